"""Start a local sandbox as a child process and read the JSON line it prints when ready."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any


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
        self.proc = await asyncio.create_subprocess_exec(
            *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
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
