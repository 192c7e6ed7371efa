"""Fixtures of the window tests (loaded by the root conftest as a plugin): offscreen Qt on a qasync
loop for the tests under tests/ui, a real Secret Service keyring, private config and data folders,
and screenshots saved under ``test-output/screenshots/``.

A plugin rather than tests/ui/conftest.py: two modules named ``conftest`` would shadow each other
for the tests that import helpers from the root one."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import
os.environ.setdefault("QT_API", "pyside6")

import pytest  # noqa: E402
import pytest_asyncio  # noqa: E402
import qasync  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "screenshots"
# Every qasync loop stays referenced: a loop freed by the GC on another thread crashes Qt.
_LOOPS: list[qasync.QEventLoop] = []


def _qasync_loop() -> qasync.QEventLoop:
    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    _LOOPS.append(loop)
    return loop


# Fixtures that mean a test drives Qt.
_QT_FIXTURES = {"qtbot", "qapp", "console_window", "screenshot", "qtmodeltester"}


def pytest_asyncio_loop_factories(
    config: Any, item: Any
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """The qasync loop where Qt is used (the window tests); a plain asyncio loop elsewhere (the
    clients, the services), as they run outside the window."""
    uses_qt = "tests/ui/" in str(getattr(item, "path", "")).replace("\\", "/") or bool(
        _QT_FIXTURES & set(getattr(item, "fixturenames", ()))
    )
    if uses_qt:
        return {"qasync": _qasync_loop}
    return {"asyncio": asyncio.new_event_loop}


@pytest.fixture(scope="session", autouse=True)
def private_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The console's config and data folders point into the test run, never at the user's."""
    root = tmp_path_factory.mktemp("console")
    old = {k: os.environ.get(k) for k in ("STARROCKS_CONSOLE_CONFIG", "STARROCKS_CONSOLE_DATA")}
    os.environ["STARROCKS_CONSOLE_CONFIG"] = str(root / "config")
    os.environ["STARROCKS_CONSOLE_DATA"] = str(root / "data")
    yield root
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A private D-Bus session with an unlocked gnome-keyring: the real Secret Service backend."""
    if not (shutil.which("dbus-daemon") and shutil.which("gnome-keyring-daemon")):
        pytest.skip("dbus-daemon and gnome-keyring-daemon are needed (sh packaging/bootstrap.sh test)")
    home = tmp_path_factory.mktemp("keyring-home")
    run = home / "run"
    run.mkdir(mode=0o700)
    env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / "share"), XDG_RUNTIME_DIR=str(run))
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert bus.stdout is not None
    env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
    gk = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert gk.stdin is not None
    gk.stdin.write(b"test-run-password")
    gk.stdin.close()
    keys = ("DBUS_SESSION_BUS_ADDRESS", "HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR")
    old = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: env[k] for k in keys})
    import secretstorage

    for _ in range(200):
        try:
            with secretstorage.dbus_init() as conn:
                if secretstorage.check_service_availability(conn):
                    break
        except Exception:
            pass
        time.sleep(0.05)
    import keyring
    from keyring.backends import SecretService

    previous = keyring.get_keyring()
    keyring.set_keyring(SecretService.Keyring())
    yield env
    keyring.set_keyring(previous)
    for p in (gk, bus):
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """Window state of one test, in its own file."""
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def screenshot() -> Callable[[QWidget, str], Path]:
    """Save what a person would see of a widget as test-output/screenshots/<name>.png."""

    def save(widget: QWidget, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        # No processEvents() here: inside a coroutine on qasync it would run other tasks re-entrantly.
        # grab() renders the widget synchronously.
        path = SHOTS / f"{name}.png"
        assert widget.grab().save(str(path)), f"could not save {path}"
        return path

    return save



@pytest_asyncio.fixture
async def console_window(tmp_path: Path, settings: QSettings) -> AsyncIterator[Callable[..., Any]]:
    """Make main windows on a session of one's own, closed after the test:
    ``console_window(views, sandbox=None, session=None, size=(1280, 800), info=None)``. The
    sandbox's session-only profiles are added (from ``info`` when given: a JSON line with other
    addresses); saved profiles live in the test's own folder."""
    from gui.services.credentials import Credentials
    from gui.services.profiles import ProfileStore
    from gui.services.session import ConsoleSession, sandbox_profiles
    from gui.ui.activity import ActivityModel
    from gui.ui.context import UiContext
    from gui.ui.main_window import MainWindow

    made: list[Any] = []

    def make(
        views: list[type[Any]],
        sandbox: Any = None,
        session: Any = None,
        size: tuple[int, int] = (1280, 800),
        info: dict[str, Any] | None = None,
    ) -> Any:
        if session is None:
            session = ConsoleSession(ProfileStore(tmp_path / f"profiles{len(made)}.json"), Credentials())
        source = info if info is not None else (sandbox.info if sandbox is not None else None)
        if source is not None:
            for profile, secrets in sandbox_profiles(source):
                session.add_ephemeral(profile, secrets)
        window = MainWindow(UiContext(session=session, activity=ActivityModel()), views, settings)
        made.append(window)
        window.resize(*size)
        window.show()
        return window

    yield make
    from PySide6.QtWidgets import QDialog

    for w in made:
        # A dialog a failed test left open would be counted by the next test as one it opened.
        for dialog in w.findChildren(QDialog):
            if dialog.isVisible():
                dialog.close()
        w.hide()
        await closed_in_time(w)


async def closed_in_time(window: Any, seconds: float = 60) -> None:
    """Close a window; one whose close does not end fails the test with every task's stack (a hang
    in a teardown would otherwise stop the whole run, saying nothing)."""
    import asyncio
    import io

    # asyncio.wait, not wait_for: wait_for would wait on for a cancellation the hang may ignore.
    closing = asyncio.ensure_future(window.aclose())
    done, _ = await asyncio.wait({closing}, timeout=seconds)
    if closing in done:
        closing.result()
        return
    out = io.StringIO()
    for task in asyncio.all_tasks():
        task.print_stack(file=out)
    closing.cancel()
    raise AssertionError(f"the window did not close in {seconds:g} s; tasks:\n{out.getvalue()}")


@pytest.fixture
def keyring_without_collection(tmp_path: Path, secret_service: Any) -> Iterator[None]:
    """A Secret Service that runs but has no default collection (a fresh account whose login keyring
    was never made): secrets cannot be stored in it. The real one comes back after the test."""
    home = tmp_path / "bare-keyring"
    run = home / "run"
    run.mkdir(parents=True, mode=0o700)
    env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / "share"), XDG_RUNTIME_DIR=str(run))
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    gk = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--components=secrets"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    old = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    import secretstorage

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with secretstorage.dbus_init() as conn:
                if secretstorage.check_service_availability(conn):
                    break
        except Exception:
            pass
        time.sleep(0.05)
    try:
        yield
    finally:
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = old
        for p in (gk, bus):
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
