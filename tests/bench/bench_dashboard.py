"""UI-thread time per refresh of the dashboards: 20 clusters, each with 15 minutes of history, their
readings delivered to the real window (fleet overview on screen, and then the cluster dashboard with
its nine charts), as the monitoring delivers them. The reading is a real one of the sandbox, given to
each of the 20 profiles; the history is filled with 15 minutes of its figures, each point varied by up
to 40 % either way as a live cluster's figures vary (a flat line costs far less to paint than a
ragged one, so a history of one repeated reading would flatter the charts).

    .venv/bin/python tests/bench/bench_dashboard.py [--rounds 30] [--live 30] [--profile PATH]

Prints the time each delivery takes on the UI thread (p50, p99, max), per view on screen: the reading
handed to the views and the repaint of what it changed, as the window paints it (the regions marked
for repaint, at once); and, as an upper bound, the same with the whole view repainted. The
dashboard's charts are painted on their own thread: their share of the UI thread is putting the
finished images up and repainting them, counted in; the bench waits for them meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

CLUSTERS = 20
HISTORY_S = 900
BEAT_MS = 5


def pct(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * p / 100) - 1))]


async def beats(seconds: float) -> list[float]:
    """How late each beat of a 5 ms timer on the UI thread came, for ``seconds``."""
    from PySide6.QtCore import Qt, QTimer

    gaps: list[float] = []
    over = asyncio.Event()
    end = time.perf_counter() + seconds
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(max(0.0, (now - last[0]) * 1000 - BEAT_MS))
        last[0] = now
        if now >= end:
            over.set()

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(BEAT_MS)
    timer.timeout.connect(beat)
    timer.start()
    await over.wait()
    timer.stop()
    return gaps


async def spins(seconds: float) -> list[float]:
    """The gaps between passes of a coroutine that yields to the loop, for ``seconds``."""
    gaps: list[float] = []
    end = time.perf_counter() + seconds
    last = time.perf_counter()
    while last < end:
        await asyncio.sleep(0)
        now = time.perf_counter()
        gaps.append((now - last) * 1000)
        last = now
    return gaps


async def stalls(window: Any, feed: Any, names: list[str], seconds: float, watch: str) -> None:
    """The window live: the 20 clusters read from the sandbox every 5 s (HTTP, parsing and all, as in
    the console), each view on screen in turn. A stall is how late each beat of a 5 ms timer on the
    UI thread comes (``watch == "spin"``: the gaps between passes of a coroutine that yields to the
    loop — which keeps a core busy itself, and so lengthens the stalls it measures on two cores)."""
    from PySide6.QtCore import QCoreApplication

    from gui.ui.views.dashboard import DashboardView
    from gui.ui.views.fleet import FleetView

    feed.set_interval(5)  # the default; the collections waiting out an hour wake and read
    for label, view in (("fleet", window.view(FleetView)), ("dashboard", window.view(DashboardView))):
        # The switch to the view is the user's doing, and its first paint (the whole view) is timed
        # apart from the stalls: what background work costs is measured once it is on screen.
        started = time.perf_counter()
        window.tabs.setCurrentWidget(view)
        QCoreApplication.sendPostedEvents()  # its layout, then its paint
        took = (time.perf_counter() - started) * 1000
        print(f"{label} shown (a click on its tab): laid out and painted in {took:.1f} ms")
        await asyncio.sleep(0.5)
        gaps = await (spins(seconds) if watch == "spin" else beats(seconds))
        gaps.sort()
        long = [g for g in gaps if g > 16]
        what = "passes of the event loop" if watch == "spin" else f"beats of a {BEAT_MS} ms timer"
        print(
            f"live, {label} on screen for {seconds:g} s: {len(gaps)} {what} —"
            f" p99 {pct(gaps, 99):.2f} ms, p99.9 {pct(gaps, 99.9):.2f} ms, max {gaps[-1]:.1f} ms,"
            f" {len(long)} over 16 ms"
        )


async def main(rounds: int, live: float, profile: str = "", watch: str = "heartbeat", shot: str = "") -> None:
    from conftest import SandboxProcess
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings

    from gui.services.credentials import Credentials
    from gui.services.monitoring import ClusterMonitor, History
    from gui.services.profiles import Profile, ProfileStore
    from gui.services.session import ConsoleSession, sandbox_profiles
    from gui.ui.activity import ActivityModel
    from gui.ui.collector import GarbageCollector
    from gui.ui.context import UiContext
    from gui.ui.main_window import MainWindow
    from gui.ui.views.dashboard import DashboardView
    from gui.ui.views.fleet import FleetView

    tmp = Path(tempfile.mkdtemp(prefix="bench-dash-"))
    os.environ["STARROCKS_CONSOLE_CONFIG"] = str(tmp / "config")
    os.environ["STARROCKS_CONSOLE_DATA"] = str(tmp / "data")
    sb = SandboxProcess(tmp / "sandbox", "--backends", "3")
    try:
        session = ConsoleSession(ProfileStore(tmp / "profiles.json"), Credentials())
        [(sr, secrets)] = [(p, s) for p, s in sandbox_profiles(sb.info) if p.kind == "starrocks"]
        names = [f"cluster-{i:02d}" for i in range(CLUSTERS)]
        for name in names:
            session.add_ephemeral(Profile(name=name, kind="starrocks", url=sr.url, user=sr.user), secrets)
        probe = ClusterMonitor("probe", lambda: session.starrocks(session.profile(names[0])))  # type: ignore[arg-type]
        await probe.tick()
        await asyncio.sleep(1.2)
        state = await probe.tick()
        await probe.aclose()
        window = MainWindow(
            UiContext(session=session, activity=ActivityModel()),
            [FleetView, DashboardView],
            QSettings(str(tmp / "w.ini"), QSettings.Format.IniFormat),
        )
        feed = window.monitoring
        feed.set_interval(3600)
        window.resize(1920, 1080)
        window.show()
        await asyncio.sleep(0.5)
        collector = GarbageCollector(window)
        collector.start()  # as the console does once its window is up
        await feed.follow()  # watches the 20 (first readings at once; later ones an hour away)
        # The history ends where the rounds begin: each round is a reading 5 s later (up to now),
        # with figures of its own, added to the history as the monitoring adds them.
        start = time.time() - 5 * rounds * 2  # the rounds of both views
        tick = 0
        rng = random.Random(7)

        def varied() -> dict[str, float]:
            return {k: v * rng.uniform(0.6, 1.4) for k, v in state.figures.items()}

        for name in names:
            mon = feed.monitoring.monitor(name)
            assert mon is not None
            mon.history = History()
            for t in range(int(start - HISTORY_S), int(start), 5):
                mon.history.add(t, varied())
        await asyncio.sleep(2)
        dash = window.view(DashboardView)
        fleet = window.view(FleetView)
        print(f"{CLUSTERS} clusters, {HISTORY_S // 60} min of history each, window 1920x1080, offscreen")
        # The charts are painted on their own thread: the UI thread puts the images up when
        # they come back, and repaints them.
        painted = asyncio.Event()
        spent = {"put up": 0.0, "repaint": 0.0}
        put_up = dash.charts._painted

        def timed(result: Any, put_up: Any = put_up) -> None:
            started = time.perf_counter()
            put_up(result)
            spent["put up"] += time.perf_counter() - started
            started = time.perf_counter()
            repaint()
            spent["repaint"] += time.perf_counter() - started
            if not dash.charts.drawing:
                painted.set()

        def repaint() -> None:
            """What the window would paint next, now: the regions the reading changed, as the
            screen gets them (not what is unchanged)."""
            QCoreApplication.sendPostedEvents(window, QEvent.Type.UpdateRequest)

        dash.charts._painted = timed  # type: ignore[method-assign]
        for label, view in (("fleet", window.view(FleetView)), ("dashboard", window.view(DashboardView))):
            window.tabs.setCurrentWidget(view)
            if label == "dashboard":
                window.go_to("dashboard", names[0])
            await asyncio.sleep(0.3)
            times: list[float] = []  # the reading, and the repaint of what it changed
            wholes: list[float] = []  # the reading, and a repaint of the whole view
            cycles: list[float] = []
            profiler = cProfile.Profile() if profile else None
            for r in range(rounds):
                if profiler is not None and r == 1:
                    profiler.enable()
                cycle = 0.0
                at = start + 5 * tick
                tick += 1
                for name in names:
                    reading = dataclasses.replace(
                        state,
                        name=name,
                        sample=dataclasses.replace(state.sample, taken_at=at),
                        figures=varied(),
                        read_at=at,
                    )
                    mon = feed.monitoring.monitor(name)
                    assert mon is not None and mon.history is not None
                    mon.history.add(at, reading.figures)
                    painted.clear()
                    spent.update({"put up": 0.0, "repaint": 0.0})
                    started = time.perf_counter()
                    feed._heard(name, reading)
                    heard = time.perf_counter() - started
                    started = time.perf_counter()
                    repaint()
                    repainted = time.perf_counter() - started
                    if label == "dashboard" and name == names[0]:
                        await asyncio.wait_for(painted.wait(), 10)  # the UI thread idles meanwhile
                    started = time.perf_counter()
                    (dash if label == "dashboard" else fleet.cards[name]).grab()
                    whole = time.perf_counter() - started
                    took = (heard + repainted + spent["put up"] + spent["repaint"]) * 1000
                    times.append(took)
                    wholes.append((heard + spent["put up"] + whole) * 1000)
                    cycle += took
                    await asyncio.sleep(0)
                cycles.append(cycle)
                if r == 0:
                    times.clear()  # the first round builds what later ones reuse
                    wholes.clear()
                    cycles.clear()
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(f"{profile}.{label}")
            if shot:
                view.grab().save(f"{shot}.{label}.png")
            times.sort()
            wholes.sort()
            print(
                f"{label}: {len(times)} readings delivered — UI-thread time per reading, with the"
                f" repaint of what it changed: p50 {statistics.median(times):.2f} ms, p99"
                f" {pct(times, 99):.2f} ms, max {times[-1]:.2f} ms; per refresh of all {CLUSTERS}:"
                f" median {statistics.median(cycles):.1f} ms. With the whole view repainted instead:"
                f" p50 {statistics.median(wholes):.2f} ms, p99 {pct(wholes, 99):.2f} ms,"
                f" max {wholes[-1]:.2f} ms"
            )
        if live:
            await stalls(window, feed, names, live, watch)
        window.hide()
        await window.aclose()
    finally:
        sb.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--live", type=float, default=30, help="seconds of each view live (0: none)")
    parser.add_argument(
        "--watch",
        choices=["heartbeat", "spin"],
        default="heartbeat",
        help="how live stalls are seen: a 5 ms timer's lateness (default), or a coroutine spinning",
    )
    parser.add_argument(
        "--profile", default="", help="write cProfile stats of each view's deliveries to PATH.<view>"
    )
    parser.add_argument("--shot", default="", help="save each view as it was drawn to PATH.<view>.png")
    args = parser.parse_args()
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(main(args.rounds, args.live, args.profile, args.watch, args.shot))
