"""A sandbox started by a test worker ends when the worker does, however it ends: killed here, as a
worker that crashes is. Before, a crashed worker left its sandboxes running (and loading the machine)
for every later run; forked from the worker's fork server or started as the worker's child alike."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

WORKER = """
import sys, time
sys.path[:0] = [{root!r}, {tests!r}]
from pathlib import Path
from conftest import SandboxProcess
sandbox = SandboxProcess(Path({folder!r}))
print(sandbox.proc.pid, flush=True)
time.sleep(600)
"""


def running(pid: int) -> bool:
    """The process exists and has not ended (a zombie has ended: only its parent has yet to look)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("forks", ["1", "0"], ids=["forked", "child"])
def test_a_sandbox_ends_with_the_worker_that_started_it(tmp_path: Path, forks: str) -> None:
    script = WORKER.format(root=str(ROOT), tests=str(ROOT / "tests"), folder=str(tmp_path / "sandbox"))
    worker = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, SANDBOX_FORKS=forks),
    )
    try:
        assert worker.stdout is not None
        pid = int(worker.stdout.readline())
        assert running(pid)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    deadline = time.monotonic() + 30
    while running(pid):
        assert time.monotonic() < deadline, f"sandbox {pid} still runs 30 s after its worker was killed"
        time.sleep(0.05)  # polled: nothing here can be told when another process ends
