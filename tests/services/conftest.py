"""Qt-free service tests: their async tests run on the default asyncio loop, not on qasync (the
window tests' loop factory comes from the qtfixtures plugin; this one answers first here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_asyncio_loop_factories(
    config: Any, item: Any
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    return {"asyncio": asyncio.new_event_loop}
