"""A 1,000,000-row SELECT into the SQL console's grid, side by side with the ``mysql`` client
fetching the same rows from the same sandbox in the same run.

    .venv/bin/python tests/bench/bench_sql_grid.py [--rows 1000000] [--rounds 2]

The table (BIGINT, VARCHAR, DECIMAL(12,2), DATETIME) is filled in the sandbox with one
``INSERT … SELECT … FROM TABLE(generate_series(…))``. The console's run is the real view, offscreen,
on the qasync loop: time to the first row in the grid, time to the last, the UI thread's stalls
(how late each beat of a 5 ms timer comes, as a person would feel them; ``--watch spin``: a
coroutine that yields to the loop and records each gap, which keeps a core busy itself),
and the process's peak RSS. The mysql client runs ``mysql --quick -e 'SELECT …' > /dev/null``
(password through MYSQL_PWD): its wall time and CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

QUERY = "SELECT id, name, amount, ts FROM bench.t"
BEAT_MS = 5
WATCH = "heartbeat"  # or "spin" (--watch)


def pct(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * p / 100) - 1))]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(sb: Any, rows: int) -> float:
    import pymysql

    conn = pymysql.connect(
        host="127.0.0.1", port=sb.query_port, user=sb.auth[0], password=sb.auth[1], autocommit=True
    )
    started = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE bench")
        cur.execute(
            "CREATE TABLE bench.t (id BIGINT, name VARCHAR(64), amount DECIMAL(12,2), ts DATETIME) "
            "DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4 PROPERTIES ('replication_num' = '1')"
        )
        cur.execute(
            "INSERT INTO bench.t SELECT generate_series, concat('customer-', generate_series), "
            "generate_series * 1.25, '2026-01-01 08:00:00' FROM TABLE(generate_series(1, %s))",
            (rows,),
        )
        cur.execute("SELECT count(*) FROM bench.t")
        (count,) = cur.fetchone()
    conn.close()
    assert count == rows, count
    return time.perf_counter() - started


def bytes_a_row(rows: list[tuple[Any, ...]], sample: int = 20_000) -> float:
    """What the grid holds for a row: its slot in the list, its tuple and the values in it (each
    object counted once: the driver may share one between rows), over evenly spread rows."""
    step = max(1, len(rows) // sample)
    seen: set[int] = set()
    total = 0
    picked = rows[::step]
    for row in picked:
        total += 8 + sys.getsizeof(row)
        for v in row:
            if id(v) not in seen:
                seen.add(id(v))
                total += sys.getsizeof(v)
    return total / max(1, len(picked))


def mysql_client(sb: Any) -> tuple[float, float, float]:
    """Seconds to the mysql client's first row, wall and CPU seconds to read every row (the rows
    read here as they come and dropped)."""
    exe = shutil.which("mysql")
    if exe is None:
        return float("nan"), float("nan"), float("nan")
    env = dict(os.environ, MYSQL_PWD=sb.auth[1])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [exe, "--quick", "-h", "127.0.0.1", "-P", str(sb.query_port), "-u", sb.auth[0], "-e", QUERY],
        stdout=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the column names: sent before any row
    proc.stdout.readline()
    first = time.perf_counter() - started
    while proc.stdout.read(1 << 16):
        pass
    assert proc.wait() == 0
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return first, wall, cpu


async def into_grid(view: Any, rows: int) -> dict[str, float]:
    """One run of the SELECT in the console, with the loop watched."""
    from qt_helpers import wait_signal

    gaps: list[float] = []
    busy: list[float] = []  # the UI thread's own CPU time in each gap (the rest: waiting for a core)
    done = asyncio.Event()

    beat = [time.perf_counter()]
    samples: collections.Counter[str] = collections.Counter()
    timed: list[tuple[float, str]] = []  # (when, where) of each sample, to name the longest passes
    long_passes: list[tuple[float, float, float]] = []  # (began, gap ms, own CPU ms)
    if os.environ.get("BENCH_DEBUG"):
        import threading
        import traceback

        main_id = threading.get_ident()
        over = float(os.environ.get("BENCH_DEBUG_MS", "8")) / 1000

        def watchdog() -> None:
            # Samples where the UI thread is, every 2 ms, while a pass of the loop has run longer
            # than BENCH_DEBUG_MS: the places the long passes spend their time, counted.
            while not done.is_set():
                time.sleep(0.002)
                if time.perf_counter() - beat[0] > over:
                    frame = sys._current_frames().get(main_id)
                    stack = traceback.extract_stack(frame)[-7:]
                    where = " < ".join(f"{f.name}:{f.lineno}" for f in reversed(stack))
                    samples[where] += 1
                    timed.append((time.perf_counter(), where))

        threading.Thread(target=watchdog, daemon=True).start()

    last = [time.perf_counter(), time.thread_time()]

    def record() -> None:
        now, cpu_now = time.perf_counter(), time.thread_time()
        beat[0] = now
        gap = (now - last[0]) * 1000 - (BEAT_MS if WATCH == "heartbeat" else 0)
        gaps.append(max(0.0, gap))
        busy.append((cpu_now - last[1]) * 1000)
        if gaps[-1] > 16:
            long_passes.append((last[0], gaps[-1], busy[-1]))
        last[:] = [now, cpu_now]

    async def watch() -> None:
        if WATCH == "heartbeat":
            # A beat every 5 ms on the UI thread: a stall is how late a beat comes. The process
            # sleeps between beats, as the console does, instead of keeping a core busy.
            from PySide6.QtCore import Qt, QTimer

            timer = QTimer()
            timer.setTimerType(Qt.TimerType.PreciseTimer)
            timer.setInterval(BEAT_MS)
            timer.timeout.connect(record)
            last[:] = [time.perf_counter(), time.thread_time()]
            timer.start()
            await done.wait()
            timer.stop()
            return
        last[:] = [time.perf_counter(), time.thread_time()]
        while not done.is_set():
            await asyncio.sleep(0)
            record()

    view.editor.setPlainText(QUERY)
    cpu0 = time.process_time()
    started = time.perf_counter()
    watcher = asyncio.ensure_future(watch())
    ran = wait_signal(view.ran, 600)
    view.run_button.click()
    result = await ran
    ended = time.perf_counter()
    done.set()
    await watcher
    cpu = time.process_time() - cpu0
    [outcome] = result.statements
    grid = view.grids[-1][0]
    model = grid.model
    first_at = grid.feed.first_at
    assert outcome.status == "ok" and outcome.rows == rows == model.rowCount(), (outcome.status, outcome.rows)
    view.grids[-1][0].table.scrollToBottom()
    view.grids[-1][0].grab()  # the last rows painted, as a person scrolling down would see them
    for where, n in samples.most_common(15):
        print(f"  {n * 2} ms sampled in long passes at {where}", file=sys.stderr)
    if timed:
        for began, gap, own in sorted(long_passes, key=lambda p: -p[1])[:8]:
            at = (began - started) * 1000
            print(f"  pass at +{at:.0f} ms: {gap:.1f} ms (own CPU {own:.1f} ms)", file=sys.stderr)
            inside = collections.Counter(w for t, w in timed if began <= t <= began + gap / 1000)
            for where, n in inside.most_common(3):
                print(f"      {n * 2} ms at {where}", file=sys.stderr)
    gaps.sort()
    busy.sort()
    return {
        "busy_p99": pct(busy, 99),
        "busy_max": busy[-1],
        "first": (first_at - started) * 1000 if first_at is not None else float("nan"),
        "all": ended - started,
        "cpu": cpu,
        "p50": pct(gaps, 50),
        "p99": pct(gaps, 99),
        "max": gaps[-1],
        "over16": float(sum(1 for g in gaps if g > 16)),
        "passes": float(len(gaps)),
    }


async def main(rows: int, rounds: int, nice: int) -> None:
    from conftest import SandboxProcess
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings
    from qt_helpers import wait_signal

    from gui.services.credentials import Credentials
    from gui.services.profiles import ProfileStore
    from gui.services.session import ConsoleSession, sandbox_profiles
    from gui.ui.activity import ActivityModel
    from gui.ui.collector import GarbageCollector
    from gui.ui.context import UiContext
    from gui.ui.main_window import MainWindow
    from gui.ui.views.sql import SqlConsoleView

    tmp = Path(tempfile.mkdtemp(prefix="bench-sql-"))
    os.environ["STARROCKS_CONSOLE_CONFIG"] = str(tmp / "config")
    os.environ["STARROCKS_CONSOLE_DATA"] = str(tmp / "data")
    sb = SandboxProcess(tmp / "sandbox")
    if nice:
        # The sandbox stands in for a cluster on other machines: lowered, it does not take the core
        # the console's UI thread is ready to run on (on two cores it otherwise often does).
        # Every thread of it (Linux sets a thread's niceness; threads started later inherit it).
        assert sb.proc is not None
        for task in os.listdir(f"/proc/{sb.proc.pid}/task"):
            os.setpriority(os.PRIO_PROCESS, int(task), nice)
    try:
        took = fill(sb, rows)
        print(f"{rows:,} rows (BIGINT, VARCHAR, DECIMAL, DATETIME) put in the sandbox in {took:.1f} s")
        session = ConsoleSession(ProfileStore(tmp / "profiles.json"), Credentials())
        for profile, secrets in sandbox_profiles(sb.info):
            session.add_ephemeral(profile, secrets)
        window = MainWindow(
            UiContext(session=session, activity=ActivityModel()),
            [SqlConsoleView],
            QSettings(str(tmp / "w.ini"), QSettings.Format.IniFormat),
        )
        if window.ctx.monitoring is not None:
            window.ctx.monitoring.set_interval(3600)  # no readings competing for the loop
        window.resize(1920, 1080)
        window.show()
        collector = GarbageCollector(window)
        collector.start()  # as the console does once its window is up
        view = window.view(SqlConsoleView)
        loaded = wait_signal(view.loaded, 30)
        assert window.connections.select("Sandbox StarRocks")
        window.tabs.setCurrentWidget(view)
        await loaded
        view.row_cap.setValue(0)  # no cap: every row into the grid
        rss0 = rss_mb()
        print(f"console before the first run: peak RSS {rss0:.0f} MB")
        for r in range(rounds):
            if view.grids:
                # The last run's grid goes first, as a new run replaces it: what is measured is this run's.
                view._clear_results()
                QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
                collector.collect_everything()
            m = await into_grid(view, rows)
            held = bytes_a_row(view.grids[-1][0].model.rows)
            print(
                f"console, run {r + 1}: first row on screen {m['first']:.0f} ms, all {rows:,} rows"
                f" {m['all']:.2f} s (CPU {m['cpu']:.2f} s); UI-thread stalls over {m['passes']:.0f} passes"
                f" of the loop: p50 {m['p50']:.2f} ms, p99 {m['p99']:.2f} ms, max {m['max']:.1f} ms,"
                f" {m['over16']:.0f} over 16 ms (UI thread's own CPU in a gap: p99 {m['busy_p99']:.2f} ms,"
                f" max {m['busy_max']:.1f} ms); peak RSS {rss_mb():.0f} MB,"
                f" held by the grid: {held:.0f} bytes a row"
            )
            first, wall, cpu = mysql_client(sb)
            print(
                f"mysql --quick, run {r + 1}: first row {first * 1000:.0f} ms, all {rows:,} rows {wall:.2f} s"
                f" (CPU {cpu:.2f} s)"
            )
        window.hide()
        await window.aclose()
    finally:
        sb.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--watch",
        choices=["heartbeat", "spin"],
        default="heartbeat",
        help="how stalls are seen: a 5 ms timer's lateness (default), or a coroutine spinning on the loop",
    )
    parser.add_argument(
        "--nice", type=int, default=0, metavar="N", help="run the sandbox at this niceness (default: 0)"
    )
    args = parser.parse_args()
    WATCH = args.watch
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(main(args.rows, args.rounds, args.nice))
