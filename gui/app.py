"""Qt + qasync bootstrap of the window, and the offscreen ``screenshot`` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

# qasync picks the first Qt binding it finds unless told (qasync #115/#127 era pitfall).
os.environ.setdefault("QT_API", "pyside6")

from .views import by_slug, view_classes

APP_ID = "io.github.starrocks_console"


def resources_dir() -> Path | None:
    """The ``resources/`` folder: inside a frozen app's bundle, else beside the ``gui`` package (a
    source checkout or an editable install); None when neither has it."""
    bundle = getattr(sys, "_MEIPASS", None)
    for base in ([Path(bundle)] if bundle else []) + [Path(__file__).resolve().parent.parent]:
        if (base / "resources" / "icons").is_dir():
            return base / "resources"
    return None


def app_icon() -> Any:
    """The application's icon, every size of it; an empty icon when the resources are absent."""
    from PySide6.QtGui import QIcon

    icon = QIcon()
    res = resources_dir()
    if res is not None:
        for png in sorted((res / "icons" / "hicolor").glob(f"*/apps/{APP_ID}.png")):
            icon.addFile(str(png))
    return icon


def _application(theme: str = "system") -> Any:
    from PySide6.QtWidgets import QApplication

    from .ui.theme import apply_theme

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("StarRocks Console")
    app.setOrganizationName("starrocks-console")
    from . import __version__

    app.setApplicationVersion(__version__)
    # The desktop entry's name, so that Wayland compositors match the window to its icon and entry.
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    # The window decides when the console ends (after its cleanup), not the last window closing.
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app, theme)
    return app


def _run(coro_factory: Any, theme: str = "system") -> int:
    import logging

    import qasync

    # qasync logs every executor call with its arguments at DEBUG; never let that reach a log.
    logging.getLogger("qasync").setLevel(logging.INFO)

    app = _application(theme)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        code = int(runner.run(coro_factory(app)))
    charts = sys.modules.get(f"{__package__}.ui.widgets.charts")
    if charts is not None:
        charts.ChartPainter.shutdown()  # a paint in progress ends before the application's fonts go
    return code


async def _start(args: argparse.Namespace, screenshot: bool = False) -> tuple[Any, Any, Any, Path | None]:
    """The session (with the sandbox's profiles when asked), the window, and the sandbox runner."""
    from .services.paths import config_dir, data_dir, private_dir
    from .services.session import ConsoleSession, sandbox_profiles
    from .ui.activity import ActivityModel
    from .ui.context import UiContext
    from .ui.main_window import MainWindow

    # The window's settings (QSettings) are written into the config folder: the user's alone.
    private_dir(config_dir())
    private_dir(data_dir())
    private: Path | None = None
    if screenshot:
        # A private folder of this run's own (0700, a fresh name): nothing can be planted there.
        private = Path(tempfile.mkdtemp(prefix="starrocks-console-shot-"))
    if screenshot and getattr(args, "sandbox", False):
        # On the sandbox a screenshot shows the sandbox only: none of the user's saved profiles,
        # loads or jobs.
        from .services.journal import Journal
        from .services.profiles import ProfileStore
        from .services.tracker import JobTracker

        assert private is not None
        session = ConsoleSession(
            ProfileStore(private / "profiles.json"),
            journal=Journal(private / "journal"),
            jobs=JobTracker(private / "jobs.json"),
        )
    else:
        session = ConsoleSession()
    runner = None
    if getattr(args, "sandbox", False):
        from .services.sandbox_runner import SandboxRunner

        runner = SandboxRunner()
        info = await runner.start()
        for profile, secrets in sandbox_profiles(info):
            session.add_ephemeral(profile, secrets)
    ctx = UiContext(session=session, activity=ActivityModel())
    settings = None
    if private is not None:
        from PySide6.QtCore import QSettings

        # A screenshot starts from defaults, not from the user's saved window state.
        settings = QSettings(str(private / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(ctx, view_classes(), settings)
    return ctx, window, runner, private


def run_window(args: argparse.Namespace) -> int:
    async def main(app: Any) -> int:
        ctx, window, runner, _private = await _start(args)
        done = asyncio.Event()
        window.closed.connect(done.set)
        app.aboutToQuit.connect(done.set)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, window.close)
        from .ui.collector import GarbageCollector

        collector = GarbageCollector(window)
        try:
            window.show()
            from .services.warmup import warm_models
            from .ui.warmup import warm_charts

            async def prepare() -> None:
                await asyncio.to_thread(warm_models)
                warm_charts(window)
                collector.start()  # once the window is up: what is alive then lives all session

            ctx.run(prepare(), what="preparing")
            if runner is not None:
                window.connections.select("Sandbox StarRocks")
                window.select_startup_profiles()
            else:
                window.select_startup_profiles()
            if getattr(args, "profile", None):
                window.connections.select(args.profile)
            window.resume_jobs()
            await done.wait()
        finally:
            await window.aclose()
            collector.stop()
            if runner is not None:
                await runner.stop()
        return 0

    return _run(main, getattr(args, "theme", "system") or "system")


async def _points(window: Any, name: str, count: int) -> None:
    """Until the cluster's history has ``count`` points of queries per second (rates need two
    readings; a chart needs a few)."""
    while True:
        mon = window.monitoring.monitoring.monitor(name)
        if mon is not None and mon.history is not None and len(mon.history.series("qps", 3600)[0]) >= count:
            return
        await asyncio.sleep(0.2)


def run_screenshot(args: argparse.Namespace) -> int:
    """Render the window offscreen on one view, with its data loaded, to a PNG."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    width, _, height = (args.size or "1280x800").partition("x")

    async def main(app: Any) -> int:
        ctx, window, runner, private = await _start(args, screenshot=True)
        try:
            window.resize(int(width), int(height))
            spec = by_slug(args.view)
            target = next(v for v in window.views if type(v).__name__ == spec.class_name)
            window.tabs.setCurrentWidget(target)
            live = spec.slug in ("dashboard", "fleet")
            if live:
                window.monitoring.set_interval(1)  # charts with a few points in seconds, not a minute
            loaded = asyncio.get_running_loop().create_future()
            target.loaded.connect(lambda: None if loaded.done() else loaded.set_result(True))
            window.show()
            window.select_startup_profiles()
            first = next((p for p in ctx.session.all_profiles() if p.kind == spec.kinds[0]), None)
            if first is not None:
                window.connections.select(first.name)
                window.tabs.setCurrentWidget(target)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(loaded, 60)
                    if live:
                        await asyncio.wait_for(_points(window, first.name, 3), 40)
            await asyncio.sleep(0.3)  # let the last layout and paint events through the loop
            settle = getattr(target, "settle", None)
            if settle is not None:
                settle()  # what is still being painted on another thread, painted now
            out = Path(args.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(out)):
                print(f"starrocks-console screenshot: could not write {out}", file=sys.stderr)
                return 1
            print(str(out))
        finally:
            window.hide()
            await window.aclose()
            if runner is not None:
                await runner.stop()
            if private is not None:
                shutil.rmtree(private, ignore_errors=True)
        return 0

    return _run(main, getattr(args, "theme", "system") or "system")
