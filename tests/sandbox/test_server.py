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
        "url", "query_port", "be_url", "backends", "fe_user", "fe_password", "huawei", "ailake",
    }  # fmt: skip
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
