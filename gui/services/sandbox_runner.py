"""Start a local sandbox as a child process and read the JSON line it prints when ready.

The child gets a minimal environment (what Python needs to start and find its packages, never the
console's own secrets), fresh random credentials for this run (through its environment: process
arguments are readable by every local user), and the read end of a pipe on its standard input: it
stops when the pipe closes, which happens when the console exits however it exits.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import string
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# What a Python child needs from the parent's environment to start, find its packages, write its
# temporary files and decode text; everything else (cloud keys, passwords, tokens, the session bus
# address...) stays with the console.
_PASSED = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TEMP",
    "TMP",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSAFEPATH",
    "PYTHONNOUSERSITE",
    "PYTHONUTF8",
    "PYTHONIOENCODING",
    "VIRTUAL_ENV",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    # Windows: the system folders a Python process cannot start without.
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    "COMSPEC",
    "PATHEXT",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
)
_ALNUM = string.ascii_letters + string.digits


def _random(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def fresh_credentials() -> dict[str, str]:
    """Random credentials for one run, as STARROCKS_SANDBOX_* variables."""
    # The IAM password must pass Huawei's rules the way a real one would: upper, lower, digit and a
    # special character.
    iam = _random(4, string.ascii_uppercase) + _random(4, string.ascii_lowercase) + _random(8) + "@1a"
    return {
        "STARROCKS_SANDBOX_FE_PASSWORD": secrets.token_urlsafe(18),
        "STARROCKS_SANDBOX_AILAKE_TOKEN": "sandbox-" + secrets.token_urlsafe(32),
        "STARROCKS_SANDBOX_HUAWEI_SK": _random(40),
        "STARROCKS_SANDBOX_HUAWEI_IAM_PASSWORD": iam,
    }


def child_environment(parent: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment the sandbox child starts with: the parent's variables named in ``_PASSED``
    and ``LC_*``, plus what the sandbox itself needs."""
    env = os.environ if parent is None else parent
    out = {k: v for k, v in env.items() if k in _PASSED or k.startswith("LC_")}
    out["PYTHONUNBUFFERED"] = "1"
    out["STARROCKS_SANDBOX_EXIT_WITH_STDIN"] = "1"
    out["STARROCKS_SANDBOX_PARENT_PID"] = str(os.getpid())
    return out


class SandboxRunner:
    def __init__(self, data_dir: Path | None = None, *extra: str) -> None:
        self.data_dir = data_dir
        self.extra = list(extra)
        self.proc: asyncio.subprocess.Process | None = None
        self.info: dict[str, Any] = {}

    async def start(self, timeout: float = 60.0) -> dict[str, Any]:
        cmd = [sys.executable, "-m", "gui", "sandbox", "--port", "0", *self.extra]
        if self.data_dir is not None:
            cmd += ["--data", str(self.data_dir)]
        env = child_environment()
        env.update(fresh_credentials())
        self.proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
        )
        assert self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except BaseException:
            await self.stop()
            raise
        if not line:
            code = await self.proc.wait()
            raise RuntimeError(f"the sandbox stopped before it was ready (exit {code})")
        self.info = json.loads(line)
        return self.info

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 20)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
