"""``starrocks-console --self-test``: whether this installation can work here, checked offscreen.

In order: the Qt libraries and platform plugins load (offscreen, and on Linux the xcb plugin a
desktop session uses, with the system libraries it links), the keyring has a backend that can store
secrets, the trust store has CA certificates, a chart paints on its own thread, a local sandbox
starts, answers over HTTP and over its query port (the MySQL protocol), and the window renders a view
with the sandbox's data into a PNG.
Each check prints one line; the first that fails ends the run with exit 1 and its reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class CheckFailed(Exception):
    """A check's reason for failing, in words."""


def _say(ok: bool, name: str, detail: str, started: float) -> None:
    mark = "ok  " if ok else "FAIL"
    print(f"{mark} {name}: {detail} ({time.monotonic() - started:.2f} s)", flush=True)


def check_qt() -> str:
    try:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import QLibraryInfo
        from PySide6.QtWidgets import QApplication
    except ImportError as e:
        # e.g. "libGL.so.1: cannot open shared object file": a system library Qt links is missing.
        raise CheckFailed(f"Qt cannot load: {e}") from None
    plugins = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    found = sorted(p.name for p in plugins.glob("*")) if plugins.is_dir() else []
    if not any("offscreen" in name for name in found):
        raise CheckFailed(f"no offscreen platform plugin in {plugins} (found: {', '.join(found) or 'none'})")
    desktop = ""
    if sys.platform.startswith("linux"):
        xcb = next((plugins / n for n in found if n.startswith("libqxcb")), None)
        if xcb is None:
            raise CheckFailed(f"no xcb platform plugin in {plugins}: the window cannot open on X11")
        import ctypes

        try:
            # Loading the plugin links the system's X libraries (libxcb-cursor, libxkbcommon-x11...):
            # what is missing is named here rather than when a desktop session starts the window.
            ctypes.CDLL(str(xcb))
        except OSError as e:
            raise CheckFailed(f"the xcb platform plugin cannot load: {e}") from None
        desktop = ", xcb plugin loads"
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    if app.platformName() != "offscreen":
        raise CheckFailed(f"Qt started the {app.platformName()!r} platform, not 'offscreen'")
    return f"Qt {pyside_version}, offscreen platform{desktop}"


def check_keyring() -> str:
    from .services.credentials import Credentials

    state = Credentials().check()
    if not state.usable:
        raise CheckFailed(f"{state.name}: secrets cannot be stored: {state.why}")
    import keyring

    backend = keyring.get_keyring()
    return f"{state.name} ({type(backend).__module__}.{type(backend).__name__})" + (
        f"; {state.note}" if state.note else ""
    )


def check_tls() -> str:
    from .api.transport import tls_context

    paths = ssl.get_default_verify_paths()
    try:
        context = tls_context()
    except (OSError, ssl.SSLError) as e:
        raise CheckFailed(f"the trust store cannot be read: {e}") from None
    count = context.cert_store_stats().get("x509_ca", 0)
    # A trust store given as a hashed folder only is read when a certificate is checked.
    hashed = bool(paths.capath) and any(Path(paths.capath).glob("*.0"))
    if not count and not hashed:
        raise CheckFailed(
            f"no CA certificates: {paths.cafile or paths.openssl_cafile} and "
            f"{paths.capath or paths.openssl_capath} hold none (install ca-certificates, or set "
            "SSL_CERT_FILE to a CA bundle)"
        )
    where = paths.cafile or paths.capath
    return f"{count} CA certificates from {where}" if count else f"hashed CA folder {paths.capath}"


def check_charts() -> str:
    """The dashboards' charts: one painted into an image on a thread of its own, as the dashboard
    paints them (its fonts too), with its curve where it belongs."""
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QWidget

    from .ui.widgets.charts import Chart, Frame, Line, render

    now = time.time()
    times = [now - 300 + 5 * i for i in range(61)]
    frame = Frame((Line("check", times, [50.0] * len(times)),), now - 300, now, 5)
    look = Chart.look_of(QWidget())
    out: dict[str, Any] = {}

    def paint() -> None:
        try:
            out["image"], out["scale"] = render(frame, QSize(320, 200), look)
        except Exception as e:  # noqa: BLE001 - any failure is the check's finding
            out["error"] = f"{type(e).__name__}: {e}"

    worker = threading.Thread(target=paint, name="chart-check", daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():
        raise CheckFailed("painting a chart on its thread did not finish in 30 s")
    if "error" in out:
        raise CheckFailed(f"a chart could not be painted: {out['error']}")
    image, scale = out["image"], out["scale"]
    x, y = int(scale.x(now - 150)), round(scale.y(50.0))
    # The curve is antialiased: its pixel may be shared by two rows. Measured along the channel
    # where the curve's colour and the background differ most, the rows around it add up to it.
    base, colour = look.base, look.series[0]
    channel = max(("red", "green", "blue"), key=lambda c: abs(getattr(base, c)() - getattr(colour, c)()))
    full = getattr(base, channel)() - getattr(colour, channel)()
    rows = range(max(0, y - 2), min(image.height(), y + 3))
    drawn = sum(
        max(0.0, (getattr(base, channel)() - getattr(image.pixelColor(x, r), channel)()) / full) for r in rows
    )
    if drawn < 0.7:
        raise CheckFailed("a chart was painted without its curve")
    return f"a chart painted on its own thread, in {look.font.split(',')[0]}"


async def _checks_with_sandbox(app: Any, run: Callable[[str, Callable[[], Any]], Any]) -> None:
    from .services.sandbox_runner import SandboxRunner

    runner = SandboxRunner()
    private = Path(tempfile.mkdtemp(prefix="starrocks-console-selftest-"))
    try:

        async def start() -> str:
            try:
                info = await runner.start(timeout=90)
            except Exception as e:
                raise CheckFailed(f"the sandbox did not start: {e or type(e).__name__}") from None
            return f"FE {info['url']}, query port {info.get('query_port')}"

        await run("sandbox", start)
        info = runner.info

        async def http() -> str:
            from .api.starrocks.client import StarRocksClient

            client = StarRocksClient(str(info["url"]), str(info["fe_user"]), str(info["fe_password"]))
            try:
                health = await client.health()
                rows = await client.query("SHOW FRONTENDS")
            except Exception as e:
                raise CheckFailed(f"the FE over HTTP: {e}") from None
            finally:
                await client.aclose()
            return f"/api/health {health.get('status', health)}, SHOW FRONTENDS {len(rows)} row(s)"

        await run("http", http)

        async def query_port() -> str:
            from urllib.parse import urlsplit

            from .api.starrocks.query import StarRocksSql

            host = urlsplit(str(info["url"])).hostname or "127.0.0.1"
            sql = StarRocksSql(
                host, str(info["fe_user"]), str(info["fe_password"]), port=int(info["query_port"])
            )
            try:
                result = await sql.execute("SHOW DATABASES")
            except Exception as e:
                raise CheckFailed(f"the FE's query port: {e}") from None
            finally:
                await sql.aclose()
            return f"MySQL protocol, server {sql.server_version}, SHOW DATABASES {len(result.rows)} row(s)"

        await run("query port", query_port)

        async def render() -> str:
            return await _render(info, private)

        await run("render", render)
    finally:
        await runner.stop()
        shutil.rmtree(private, ignore_errors=True)


async def _render(info: dict[str, Any], private: Path) -> str:
    """The StarRocks instances view on the sandbox's Huawei Cloud, painted into a PNG."""
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QImage

    from .services.journal import Journal
    from .services.profiles import ProfileStore
    from .services.session import ConsoleSession, sandbox_profiles
    from .services.tracker import JobTracker
    from .ui.activity import ActivityModel
    from .ui.context import UiContext
    from .ui.main_window import MainWindow
    from .views import by_slug, view_classes

    # Nothing of the user's: a private profile store, journal, job list and window settings.
    session = ConsoleSession(
        ProfileStore(private / "profiles.json"),
        journal=Journal(private / "journal"),
        jobs=JobTracker(private / "jobs.json"),
    )
    for profile, secrets in sandbox_profiles(info):
        session.add_ephemeral(profile, secrets)
    ctx = UiContext(session=session, activity=ActivityModel())
    settings = QSettings(str(private / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(ctx, view_classes(), settings)
    try:
        spec = by_slug("instances")
        view = next(v for v in window.views if type(v).__name__ == spec.class_name)
        loaded = asyncio.get_running_loop().create_future()
        view.loaded.connect(lambda: None if loaded.done() else loaded.set_result(True))
        window.resize(1024, 700)
        window.show()
        window.connections.select("Sandbox Huawei Cloud")
        window.tabs.setCurrentWidget(view)
        try:
            await asyncio.wait_for(loaded, 60)
        except TimeoutError:
            raise CheckFailed(
                "the StarRocks instances view did not load the sandbox's data in 60 s"
            ) from None
        await asyncio.sleep(0.2)  # the layout and paint events of the rows just loaded
        out = private / "instances.png"
        if not window.grab().save(str(out)):
            raise CheckFailed(f"could not write {out}")
        image = QImage(str(out))
        if image.isNull() or image.width() < 100:
            raise CheckFailed(f"{out} is not a readable picture of the window")
        return f"StarRocks instances view, {image.width()}x{image.height()} PNG of {out.stat().st_size} bytes"
    finally:
        window.hide()
        await window.aclose()


def run_self_test() -> int:
    # Offscreen whatever the session: the check must run the same on a server, in CI, in a chroot.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("QT_API", "pyside6")
    from . import __version__

    where = "frozen" if getattr(sys, "frozen", False) else sys.executable
    print(f"starrocks-console {__version__} self-test ({where})")
    failure: list[str] = []

    def sync(name: str, fn: Callable[[], str]) -> bool:
        started = time.monotonic()
        try:
            detail = fn()
        except CheckFailed as e:
            _say(False, name, str(e), started)
            failure.append(f"{name}: {e}")
            return False
        _say(True, name, detail, started)
        return True

    checks = (("qt", check_qt), ("keyring", check_keyring), ("tls", check_tls), ("charts", check_charts))
    for name, fn in checks:
        if not sync(name, fn):
            print(f"self-test failed: {failure[0]}", file=sys.stderr)
            return 1

    async def run(name: str, fn: Callable[[], Any]) -> None:
        started = time.monotonic()
        try:
            detail = await fn()
        except Exception as e:  # an unforeseen failure is a failure of this check too, said as it is
            reason = str(e) if isinstance(e, CheckFailed) else f"{type(e).__name__}: {e}"
            _say(False, name, reason, started)
            failure.append(f"{name}: {reason}")
            raise CheckFailed(reason) from e
        _say(True, name, detail, started)

    async def main(app: Any) -> int:
        with contextlib.suppress(CheckFailed):
            await _checks_with_sandbox(app, run)
        return 1 if failure else 0

    from .app import _run

    code = _run(main, "light")
    if failure:
        print(f"self-test failed: {failure[0]}", file=sys.stderr)
        return code or 1
    print("self-test passed")
    return code
