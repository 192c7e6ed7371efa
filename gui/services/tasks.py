"""Stopping background tasks for certain.

``Task.cancel()`` is a request: a library may swallow it. AnyIO's cancel scopes can absorb a native
cancel that arrives while the scope cancels itself (anyio issue #1214: a successful connect inside
httpx cancelling the other Happy Eyeballs attempts), and ``asyncio.wait_for`` on Python 3.11 returns
the result when the inner call finished as the cancel came. The task then goes on with
``cancelling() == 1`` and nothing cancels it again; whoever awaits it waits for ever — a window
that never closes. Asking again until the task has ended is the cure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("starrocks_console.tasks")


async def stop(
    tasks: Iterable[asyncio.Future[Any]], *, every: float = 0.5, patience: float = 30.0
) -> set[asyncio.Future[Any]]:
    """Cancel ``tasks`` and wait until each has ended, cancelling again every ``every`` seconds those
    that are still running. After ``patience`` seconds the ones left are logged and returned (a
    shutdown goes on without them rather than hang)."""
    pending = {t for t in tasks if not t.done()}
    loop = asyncio.get_running_loop()
    give_up = loop.time() + patience
    while pending:
        for t in pending:
            t.cancel()
        left = give_up - loop.time()
        if left <= 0:
            for t in pending:
                log.warning("task %r did not end %.0f s after it was cancelled", t, patience)
            return pending
        _done, pending = await asyncio.wait(pending, timeout=min(every, left))
    return set()
