"""Time from starting the frozen application to its first painted window, on a real X server (Xvfb).

    python packaging/measure_start.py [BINARY] [--runs N]

BINARY defaults to packaging/build/dist/starrocks-console/starrocks-console. Each run starts the
console with a fresh HOME (the first-run pane, no profile), and polls the X server with ``xwd`` for
the window named "StarRocks Console <version>" until its picture holds more than a few colours: the
window is mapped *and* painted. The first run is reported apart (the bundle's files are then the
least likely to be in the page cache; the cache is dropped first when the kernel allows it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERSION = tomllib.loads((HERE.parent / "pyproject.toml").read_text())["project"]["version"]
TITLE = f"StarRocks Console {VERSION}"


def _painted(display: str) -> bool:
    shot = subprocess.run(
        ["xwd", "-silent", "-name", TITLE],
        capture_output=True,
        env=dict(os.environ, DISPLAY=display),
    )
    if shot.returncode != 0 or len(shot.stdout) < 4096:
        return False
    header = int.from_bytes(shot.stdout[:4], "big")
    pixels = shot.stdout[header:]
    distinct = {pixels[i : i + 4] for i in range(0, len(pixels) - 4, 4 * 97)}
    return len(distinct) > 8


def _drop_caches() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def one_run(binary: Path, display: str, deadline: float = 60.0) -> float:
    home = Path(tempfile.mkdtemp(prefix="starrocks-console-start-"))
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "DISPLAY": display,
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "xcb",
        "XDG_RUNTIME_DIR": str(home),
    }
    started = time.monotonic()
    err = (home / "stderr").open("w+")
    proc = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        while time.monotonic() - started < deadline:
            if proc.poll() is not None:
                err.seek(0)
                raise RuntimeError(
                    f"the console exited with {proc.returncode} before its window was painted: "
                    + err.read()[-2000:]
                )
            if _painted(display):
                return time.monotonic() - started
            time.sleep(0.02)
        raise RuntimeError(f"no painted window in {deadline:.0f} s")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        err.close()
        shutil.rmtree(home, ignore_errors=True)


def _xvfb() -> tuple[subprocess.Popen[bytes], str]:
    for number in range(200 + os.getpid() % 300, 600):
        display = f":{number}"
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        xvfb = subprocess.Popen(
            ["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        limit = time.monotonic() + 10
        while xvfb.poll() is None and time.monotonic() < limit:
            probe = subprocess.run(
                ["xwininfo", "-root"], capture_output=True, env=dict(os.environ, DISPLAY=display)
            )
            if probe.returncode == 0:
                return xvfb, display
            time.sleep(0.05)
        xvfb.kill()
        xvfb.wait()
    raise RuntimeError("no free X display for Xvfb")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = HERE / "build/dist/starrocks-console/starrocks-console"
    p.add_argument("binary", nargs="?", type=Path, default=default)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    # A display of its own, far from the ones desktops and other test runs use (:0, :99...), taken
    # once Xvfb answers on it.
    xvfb, display = _xvfb()
    try:
        dropped = _drop_caches()
        first = one_run(args.binary, display)
        print(f"first run ({'page cache dropped' if dropped else 'page cache NOT dropped'}): {first:.2f} s")
        times = [one_run(args.binary, display) for _ in range(max(0, args.runs - 1))]
        if times:
            print(f"next {len(times)} runs: median {statistics.median(times):.2f} s, max {max(times):.2f} s")
    finally:
        xvfb.terminate()
        xvfb.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
