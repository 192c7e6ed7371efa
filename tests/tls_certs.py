"""Throwaway TLS certificates for servers on loopback, made with the openssl command line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def make_cert(directory: Path, name: str, common_name: str | None = None) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key: ``name``.pem, ``name``.key.
    The test is skipped where openssl is not installed."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    crt, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(crt), "-days", "1",
         "-subj", f"/CN={common_name or name}", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt, key
