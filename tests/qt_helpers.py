"""Awaiting Qt from async tests: a signal's next emission, a condition, an Activity entry's end,
without ever starting a nested Qt event loop inside a coroutine (qasync #59/#174)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any


async def wait_signal(signal: Any, timeout: float = 10.0) -> Any:
    """Await one emission of a Qt signal (never a nested Qt loop inside a coroutine)."""
    fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def fire(*args: Any) -> None:
        if not fut.done():
            fut.set_result(args[0] if len(args) == 1 else args)

    signal.connect(fire)
    try:
        return await asyncio.wait_for(fut, timeout)
    finally:
        signal.disconnect(fire)


async def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Await until ``predicate()`` is truthy (the Qt loop keeps running meanwhile)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        await asyncio.sleep(interval)


def entry_titled(window: Any, text: str) -> Any:
    """The first Activity entry of a main window whose title contains ``text``, or None."""
    return next((e for e in window.ctx.activity.rows if text in e.title), None)


async def finished(window: Any, text: str, timeout: float = 30) -> Any:
    """That entry once it has ended (succeeded, failed or cancelled)."""
    await wait_for(lambda: (e := entry_titled(window, text)) is not None and not e.running, timeout)
    entry = entry_titled(window, text)
    assert entry is not None
    return entry


@contextlib.contextmanager
def in_theme(theme: str) -> Iterator[Any]:
    """The application in ``theme`` ("light" or "dark") for the block, light again after it, as
    every other test expects; yields the application."""
    from PySide6.QtWidgets import QApplication

    from gui.ui.theme import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, theme)
    try:
        yield app
    finally:
        apply_theme(app, "light")
