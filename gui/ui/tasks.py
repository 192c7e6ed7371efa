"""Background work of the window: every coroutine started from a slot goes through here.

qasync's ``asyncSlot`` (0.28) keeps no reference to the task it starts, so a task can be garbage
collected mid-flight; this registry keeps a strong reference to each one, cancels the previous task
of the same key (a refresh replaces the refresh before it), and sends failures to one place.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from ..services.tasks import stop

log = logging.getLogger("starrocks_console.ui")

ErrorHandler = Callable[[BaseException, str], None]


class TaskRegistry:
    def __init__(self, on_error: ErrorHandler | None = None) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._by_key: dict[str, asyncio.Task[Any]] = {}
        self.on_error = on_error

    def start(
        self,
        coro: Coroutine[Any, Any, Any],
        key: str | None = None,
        what: str = "",
        on_error: ErrorHandler | None = None,
    ) -> asyncio.Task[Any]:
        """Run ``coro``; with a key, cancel the still-running task of that key first. A failure goes
        to ``on_error`` when given, else to the registry's handler."""
        if key is not None:
            previous = self._by_key.pop(key, None)
            if previous is not None and not previous.done():
                previous.cancel()
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        if key is not None:
            self._by_key[key] = task
        task.add_done_callback(lambda t: self._done(t, key, what, on_error))
        return task

    def _done(
        self, task: asyncio.Task[Any], key: str | None, what: str, on_error: ErrorHandler | None = None
    ) -> None:
        self._tasks.discard(task)
        if key is not None and self._by_key.get(key) is task:
            del self._by_key[key]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            handler = on_error or self.on_error
            if handler is not None:
                handler(exc, what)
            else:
                log.error("background task %s failed", what, exc_info=exc)

    def running(self, key: str) -> bool:
        task = self._by_key.get(key)
        return task is not None and not task.done()

    def cancel_prefix(self, prefix: str) -> None:
        """Cancel every running task whose key starts with ``prefix`` (a view's own work)."""
        for key, task in list(self._by_key.items()):
            if key.startswith(prefix) and not task.done():
                task.cancel()

    def cancel(self, key: str) -> None:
        task = self._by_key.get(key)
        if task is not None:
            task.cancel()

    async def cancel_all(self) -> None:
        await stop(list(self._tasks))

    def __len__(self) -> int:
        return len(self._tasks)
