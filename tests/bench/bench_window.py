"""Benchmarks of the window: cold start to the first painted window, and the longest UI-thread stall
while a large load streams on the window's event loop.

    .venv/bin/python tests/bench/bench_window.py [--runs 5] [--load-size 1G]

Cold start: a fresh interpreter per run, from process start to the main window's first paint event
(offscreen). Stall: a heartbeat QTimer every 5 ms on the qasync loop while the exactly-once loader
sends a file to the local sandbox; a stall is the gap between two beats minus the 5 ms.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

COLD = r"""
import time, os, sys
t0 = time.perf_counter()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["STARROCKS_CONSOLE_CONFIG"] = sys.argv[1]
os.environ["STARROCKS_CONSOLE_DATA"] = sys.argv[1]
from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication
import qasync, asyncio
from gui.app import _application, view_classes
from gui.services.session import ConsoleSession
from gui.ui.activity import ActivityModel
from gui.ui.context import UiContext
from gui.ui.main_window import MainWindow
app = _application()
class First(QObject):
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Type.Paint:
            print(f"{time.perf_counter() - t0:.4f}", flush=True)
            os._exit(0)
        return False
async def main():
    w = MainWindow(UiContext(session=ConsoleSession(), activity=ActivityModel()), view_classes(),
                   QSettings(sys.argv[1] + "/w.ini", QSettings.Format.IniFormat))
    f = First(); w.installEventFilter(f); w.show()
    await asyncio.sleep(30)
with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as r:
    r.run(main())
"""


def cold_start(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        folder = tempfile.mkdtemp(prefix="sr-cold-")
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", COLD, folder], capture_output=True, text=True, cwd=ROOT, timeout=60
        )
        wall = time.perf_counter() - started
        shutil.rmtree(folder, ignore_errors=True)
        if proc.returncode != 0 or not proc.stdout.strip():
            raise RuntimeError(proc.stderr[-2000:])
        out.append(wall)
    return out


def load_stall(size: int) -> dict[str, float]:
    import asyncio

    import qasync
    from conftest import SandboxProcess
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from gui.api.starrocks import LoadOptions, StarRocksClient
    from gui.services.credentials import Credentials
    from gui.services.journal import Journal
    from gui.services.loader import Loader, LoadRequest
    from gui.services.profiles import Profile, ProfileStore
    from gui.services.session import ConsoleSession
    from gui.services.warmup import warm_models

    work = Path(tempfile.mkdtemp(prefix="sr-stall-"))
    sp = SandboxProcess(work / "sandbox")
    try:
        db = "stall_" + uuid.uuid4().hex[:6]
        sp.admin_sql(f"CREATE DATABASE {db}")
        sp.admin_sql(
            "CREATE TABLE t (id bigint, v varchar(64)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
            db=db,
        )
        file = work / "data.csv"
        with file.open("w") as f:
            line_no = 0
            while f.tell() < size:
                f.write("".join(f"{i},value-{i:012d}-abcdefghij\n" for i in range(line_no, line_no + 50000)))
                line_no += 50000
        app = QApplication.instance() or QApplication([])
        gaps: list[float] = []
        last = [time.perf_counter()]
        worst = [0.0, 0.0]  # the longest gap and when it ended (perf_counter)

        def beat() -> None:
            now = time.perf_counter()
            gap = (now - last[0]) * 1000 - 5
            gaps.append(gap)
            if gap > worst[0]:
                worst[:] = [gap, now]
            last[0] = now

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(beat)
        # A watchdog thread notes where the UI thread is whenever a beat is late, so a stall can be
        # traced to its cause.
        main_thread = threading.get_ident()
        active = [False]
        late: list[str] = []

        def watch() -> None:
            while True:
                time.sleep(0.005)
                if active[0] and time.perf_counter() - last[0] > 0.025:
                    frame = sys._current_frames().get(main_thread)
                    if frame is not None:
                        stack = traceback.extract_stack(frame)
                        ours = [f for f in stack if "/gui/" in f.filename]
                        where = ours[-1] if ours else stack[-1]
                        late.append(
                            f"{where.filename.split('/work/main/')[-1]}:{where.lineno} ({stack[-1].name})"
                        )

        threading.Thread(target=watch, daemon=True).start()

        async def run() -> None:
            # As the window does: models warmed on a thread at start, the client built by the session.
            await asyncio.to_thread(warm_models)
            session = ConsoleSession(
                ProfileStore(work / "profiles.json"), Credentials(), Journal(work / "journal")
            )
            profile = Profile(name="bench", kind="starrocks", url=sp.url, user=sp.auth[0])
            session.add_ephemeral(profile, {"password": sp.auth[1]})
            timer.start()
            last[0] = time.perf_counter()
            active[0] = True
            client: StarRocksClient = await session.client(profile)
            async with client:
                req = LoadRequest(
                    file=file,
                    db=db,
                    table="t",
                    options=LoadOptions(column_separator=","),
                    label="stall_" + uuid.uuid4().hex[:8],
                    timeout=3600,
                )
                await Loader(client, Journal(work / "journal")).run(req)
            active[0] = False
            timer.stop()

        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as r:
            r.run(run())
        gaps.sort()
        return {
            "beats": len(gaps),
            "max_ms": max(gaps),
            "p99_ms": gaps[int(len(gaps) * 0.99) - 1],
            "median_ms": statistics.median(gaps),
            "worst_at": worst[1],
            "late_at": collections.Counter(late).most_common(3),
        }
    finally:
        sp.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--load-size", default="1G")
    args = ap.parse_args()
    starts = cold_start(args.runs)
    print(
        f"cold start to first paint: median {statistics.median(starts):.2f} s "
        f"(min {min(starts):.2f}, max {max(starts):.2f}, {args.runs} runs)",
        flush=True,
    )
    units = {"M": 1 << 20, "G": 1 << 30}
    size = int(float(args.load_size[:-1]) * units[args.load_size[-1].upper()])
    stall = load_stall(size)
    print(
        f"UI-thread stall while a {args.load_size} load streams: longest {stall['max_ms']:.1f} ms, "
        f"p99 {stall['p99_ms']:.1f} ms, median {stall['median_ms']:.1f} ms over {int(stall['beats'])} beats"
    )


if __name__ == "__main__":
    main()
