"""``starrocks-console --self-test`` run as users run it: a process of its own, offscreen, with a real
Secret Service; it passes here, and a missing keyring or trust store fails it with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ("qt", "keyring", "tls", "charts", "sandbox", "http", "query port", "render")


def _self_test(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gui", "--self-test"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=180,
    )


@pytest.mark.slow
def test_self_test_passes_here(secret_service: dict[str, str], tmp_path: Path) -> None:
    env = dict(os.environ, **secret_service)
    env.pop("QT_QPA_PLATFORM", None)  # the self-test goes offscreen by itself
    run = _self_test(env)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    for check in CHECKS:
        assert any(line.startswith(f"ok   {check}: ") for line in lines), (check, run.stdout)
    assert "GNOME Keyring / Secret Service" in run.stdout
    assert lines[-1] == "self-test passed"


def test_self_test_fails_on_the_fail_keyring(tmp_path: Path) -> None:
    # What keyring falls back to on a machine with no keyring service at all.
    env = dict(os.environ, HOME=str(tmp_path), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    run = _self_test(env)
    assert run.returncode == 1
    assert "FAIL keyring: " in run.stdout
    assert "self-test failed: keyring: " in run.stderr
    assert "ok   sandbox" not in run.stdout  # stopped at the first failure


def test_self_test_fails_without_ca_certificates(secret_service: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    (tmp_path / "certs").mkdir()
    env: dict[str, Any] = dict(os.environ, **secret_service)
    env.update(SSL_CERT_FILE=str(empty), SSL_CERT_DIR=str(tmp_path / "certs"))
    run = _self_test(env)
    assert run.returncode == 1, run.stdout
    assert "ok   keyring" in run.stdout
    assert "FAIL tls: no CA certificates" in run.stdout
