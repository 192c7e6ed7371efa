"""The sandbox process: its ready line, ports and clean stop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SandboxProcess


def test_ready_line_has_exactly_the_documented_keys(sandbox: SandboxProcess) -> None:
    assert set(sandbox.info) == {
        "url", "query_port", "query_tls", "query_tls_cert", "be_url", "backends", "fe_user", "fe_password",
        "huawei", "ailake",
    }  # fmt: skip
    assert sandbox.info["query_tls"] is False and sandbox.info["query_tls_cert"] is None
    (be,) = sandbox.info["backends"]
    assert set(be) == {"id", "url", "advertised"}
    assert be["url"] == sandbox.be_url and be["id"] == 10001
    assert set(sandbox.info["huawei"]) == {
        "project_id",
        "region",
        "ak",
        "sk",
        "iam_user",
        "iam_password",
        "iam_domain",
    }
    assert set(sandbox.info["ailake"]) == {"token"}
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert sandbox.be_url.startswith("http://127.0.0.1:")
    assert sandbox.url != sandbox.be_url


@pytest.mark.slow
def test_flags_and_environment_override_credentials(tmp_path: Path) -> None:
    env_sp = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gui",
            "sandbox",
            "--port",
            "0",
            "--data",
            str(tmp_path),
            "--fe-password",
            "pw-flag",
            "--huawei-ak",
            "AKFROMFLAG",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={
            **__import__("os").environ,
            "STARROCKS_SANDBOX_AILAKE_TOKEN": "tok-env",
            "STARROCKS_SANDBOX_HUAWEI_REGION": "ap-southeast-1",
        },
    )
    assert env_sp.stdout is not None
    info = json.loads(env_sp.stdout.readline())
    env_sp.send_signal(signal.SIGINT)
    assert env_sp.wait(20) == 0
    assert info["fe_password"] == "pw-flag"
    assert info["huawei"]["ak"] == "AKFROMFLAG"
    assert info["huawei"]["region"] == "ap-southeast-1"
    assert info["ailake"]["token"] == "tok-env"


@pytest.mark.slow
def test_sigterm_stops_cleanly_and_prints_one_line(tmp_path: Path) -> None:
    sp = SandboxProcess(tmp_path)
    assert sp.proc is not None and sp.proc.stdout is not None
    assert sp.stop(signal.SIGTERM) == 0
    assert sp.proc.stdout.read() == ""


@pytest.mark.slow
def test_a_stop_ends_even_with_a_request_that_never_finishes(tmp_path: Path) -> None:
    """A client that sent half a load body and went silent holds a request open forever; SIGTERM
    still ends the sandbox (its ports freed) instead of waiting for it."""
    import base64
    import socket
    import time

    sp = SandboxProcess(tmp_path)
    assert sp.proc is not None
    host, port = sp.be_url.split("://", 1)[1].rsplit(":", 1)
    basic = base64.b64encode(":".join(sp.auth).encode())
    with socket.create_connection((host, int(port)), timeout=10) as stalled:
        stalled.sendall(
            b"PUT /api/demo/orders/_stream_load HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
            b"Authorization: Basic " + basic + b"\r\nContent-Length: 100000\r\n\r\n" + b"1,a,1.0\n" * 10
        )
        time.sleep(0.5)  # the request reaches the BE's handler (nothing to observe from outside)
        started = time.monotonic()
        sp.proc.send_signal(signal.SIGTERM)
        sp.proc.wait(30)
        assert time.monotonic() - started < 10  # the grace for answers under way, not the backstop
