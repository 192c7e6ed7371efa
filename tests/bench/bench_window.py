"""Benchmarks of the window: cold start to the first painted window, and the longest UI-thread stalls
while a large load streams and while 10,000 pipe tables page into the Pipe tables view.

    .venv/bin/python tests/bench/bench_window.py [--runs 5] [--load-size 1G] [--pipe-tables 10000]
                                                 [--only cold,load,pipes]

Cold start: a fresh interpreter per run, from process start to the main window's first paint event
(offscreen). Stalls: a heartbeat QTimer every 5 ms on the qasync loop; a stall is the gap between two
beats minus the 5 ms. Load: the exactly-once loader sends a file to the local sandbox. Pipe tables:
the real window on the Pipe tables view, scrolled to the bottom again and again until every table
of a database instance holding that many is listed (each scroll to the end asks for the next page,
as a person scrolling does); then a filter typed and a sort by name over the whole list.
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
from typing import Any

import httpx

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


class Heartbeat:
    """A 5 ms QTimer on the window's loop; each beat's lateness is a stall of the UI thread. A
    watchdog thread notes where the UI thread was whenever a beat is late, so a stall can be
    traced to its cause."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self.late: list[str] = []
        self.last = time.perf_counter()
        self.active = False
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._beat)
        self._main = threading.get_ident()
        threading.Thread(target=self._watch, daemon=True).start()

    def start(self) -> None:
        self.gaps.clear()
        self.late.clear()
        self.timer.start()
        self.last = time.perf_counter()
        self.active = True

    def stop(self) -> None:
        self.active = False
        self.timer.stop()

    def _beat(self) -> None:
        now = time.perf_counter()
        if self.active:
            self.gaps.append((now - self.last) * 1000 - 5)
        self.last = now

    def _watch(self) -> None:
        while True:
            time.sleep(0.005)
            if self.active and time.perf_counter() - self.last > 0.025:
                frame = sys._current_frames().get(self._main)
                if frame is not None:
                    stack = traceback.extract_stack(frame)
                    ours = [f for f in stack if "/gui/" in f.filename]
                    where = ours[-1] if ours else stack[-1]
                    self.late.append(f"{where.filename.split('/gui/')[-1]}:{where.lineno} ({stack[-1].name})")

    def figures(self) -> dict[str, Any]:
        gaps = sorted(self.gaps) or [0.0]
        return {
            "beats": len(self.gaps),
            "max_ms": gaps[-1],
            "p99_ms": gaps[max(0, int(len(gaps) * 0.99) - 1)],
            "median_ms": statistics.median(gaps),
            "late_at": collections.Counter(self.late).most_common(3),
        }


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
    from PySide6.QtWidgets import QApplication

    from gui.api.starrocks import LoadOptions, StarRocksClient
    from gui.services.credentials import Credentials
    from gui.services.journal import Journal
    from gui.services.loader import Loader, LoadRequest
    from gui.services.profiles import Profile, ProfileStore
    from gui.services.session import ConsoleSession
    from gui.services.warmup import warm_models
    from gui.ui.collector import GarbageCollector

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
        beat = Heartbeat()

        async def run() -> None:
            # As the window does: models warmed on a thread at start, the client built by the session.
            await asyncio.to_thread(warm_models)
            collector = GarbageCollector()
            collector.start()  # as the window does once it is up
            session = ConsoleSession(
                ProfileStore(work / "profiles.json"), Credentials(), Journal(work / "journal")
            )
            profile = Profile(name="bench", kind="starrocks", url=sp.url, user=sp.auth[0])
            session.add_ephemeral(profile, {"password": sp.auth[1]})
            beat.start()
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
            beat.stop()
            collector.stop()

        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as r:
            r.run(run())
        return beat.figures()
    finally:
        sp.stop()
        shutil.rmtree(work, ignore_errors=True)


def pipe_stall(count: int) -> dict[str, Any]:
    """The window on the Pipe tables view of a database instance holding ``count`` pipe tables,
    scrolled to the end until all are listed; then a filter and a sort over the whole list."""
    import asyncio

    import duckdb
    import qasync
    from conftest import SandboxProcess
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import QApplication

    from gui.api.ailake import AILakeClient
    from gui.app import view_classes
    from gui.services.credentials import Credentials
    from gui.services.journal import Journal
    from gui.services.profiles import Profile, ProfileStore
    from gui.services.session import ConsoleSession
    from gui.services.warmup import warm_models
    from gui.ui.activity import ActivityModel
    from gui.ui.collector import GarbageCollector
    from gui.ui.context import UiContext
    from gui.ui.main_window import MainWindow
    from gui.ui.views.pipe_tables import PipeTablesView

    work = Path(tempfile.mkdtemp(prefix="sr-pipes-"))
    sp = SandboxProcess(work / "sandbox")
    token = sp.info["ailake"]["token"]
    try:
        # The tables' files hold no rows: ten thousand tables then cost the sandbox little disk.
        folder = sp.data_dir / "object-storage" / "sandbox-lake" / "bench-empty"
        folder.mkdir(parents=True)
        con = duckdb.connect()
        con.execute(
            "COPY (SELECT CAST(1 AS BIGINT) AS event_id, 'x' AS customer, DATE '2024-01-01' AS day, "
            "CAST(1.5 AS DECIMAL(10,2)) AS amount, 'web' AS channel LIMIT 0) "
            f"TO '{folder / 'part-00000.parquet'}' (FORMAT parquet)"
        )
        con.close()

        async def prepare() -> None:
            async with AILakeClient(sp.url, token) as c:
                storages = await c.list_object_storages().collect()
                lake = next(s for s in storages if s.name == "sandbox-lake")
                await c.wait(await c.provision_database_instance("bench", [lake.storage_id]), timeout=60)
                op = await c.create_pipe_table(
                    "bench",
                    {
                        "pathPrefix": "bench-empty/",
                        "sourceStorageName": "sandbox-lake",
                        "tableName": "events",
                        "pollingIntervalSeconds": 86400,
                    },
                )
                await c.wait(op, timeout=60)
            made = httpx.post(
                f"{sp.url}/_sandbox/ailake/pipe-tables/copy",
                json={"instance": "bench", "table": "events", "prefix": "events_", "count": count - 1},
                headers={"Authorization": f"Bearer {token}"},
                timeout=3600,
            )
            made.raise_for_status()

        asyncio.run(prepare())
        app = QApplication.instance() or QApplication([])
        beat = Heartbeat()
        out: dict[str, Any] = {}

        async def run() -> None:
            await asyncio.to_thread(warm_models)
            session = ConsoleSession(
                ProfileStore(work / "profiles.json"), Credentials(), Journal(work / "journal")
            )
            profile = Profile(name="bench", kind="ailake", url=sp.url)
            session.add_ephemeral(profile, {"token": token})
            ctx = UiContext(session=session, activity=ActivityModel())
            settings = QSettings(str(work / "w.ini"), QSettings.Format.IniFormat)
            window = MainWindow(ctx, view_classes(), settings)
            view = window.view(PipeTablesView)
            assert isinstance(view, PipeTablesView)
            view.restore_state({"instance": "bench"})  # the instance chosen last time
            GarbageCollector(window).start()  # as the window does once it is up
            window.tabs.setCurrentWidget(view)
            window.show()
            first = asyncio.get_running_loop().create_future()
            view.loaded.connect(lambda: None if first.done() else first.set_result(None))
            beat.start()
            started = time.perf_counter()
            window.connections.select("bench")
            await asyncio.wait_for(first, 60)
            while view.model.more or view.model.fetching:
                view.table.scrollToBottom()
                await asyncio.sleep(0.005)
            out["seconds"] = time.perf_counter() - started
            out["rows"] = view.model.rowCount()
            await asyncio.sleep(0.2)
            beat.stop()
            out.update(beat.figures())
            t = time.perf_counter()
            view.filter.setText("events_09")
            out["filter_ms"] = (time.perf_counter() - t) * 1000
            out["matches"] = view.proxy.rowCount()
            view.filter.clear()
            t = time.perf_counter()
            view.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
            out["sort_ms"] = (time.perf_counter() - t) * 1000
            window.hide()
            await window.aclose()

        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as r:
            r.run(run())
        return out
    finally:
        sp.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--load-size", default="1G")
    ap.add_argument("--pipe-tables", type=int, default=10000)
    ap.add_argument("--only", default="cold,load,pipes", help="which figures, comma-separated")
    args = ap.parse_args()
    only = set(args.only.split(","))
    if "cold" in only:
        starts = cold_start(args.runs)
        print(
            f"cold start to first paint: median {statistics.median(starts):.2f} s "
            f"(min {min(starts):.2f}, max {max(starts):.2f}, {args.runs} runs)",
            flush=True,
        )
    if "load" in only:
        units = {"M": 1 << 20, "G": 1 << 30}
        size = int(float(args.load_size[:-1]) * units[args.load_size[-1].upper()])
        stall = load_stall(size)
        print(
            f"UI-thread stall while a {args.load_size} load streams: longest {stall['max_ms']:.1f} ms, "
            f"p99 {stall['p99_ms']:.1f} ms, median {stall['median_ms']:.1f} ms over {stall['beats']} beats; "
            f"late beats at {stall['late_at']}",
            flush=True,
        )
    if "pipes" in only:
        p = pipe_stall(args.pipe_tables)
        print(
            f"UI-thread stall while {p['rows']} pipe tables page in ({p['seconds']:.1f} s): longest "
            f"{p['max_ms']:.1f} ms, p99 {p['p99_ms']:.1f} ms, median {p['median_ms']:.1f} ms over "
            f"{p['beats']} beats; late beats at {p['late_at']}",
            flush=True,
        )
        print(
            f"then, over the whole list: a filter ({p['matches']} matches) {p['filter_ms']:.0f} ms, "
            f"a sort by name {p['sort_ms']:.0f} ms"
        )


if __name__ == "__main__":
    main()
