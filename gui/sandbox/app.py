"""The sandbox as two ASGI apps: the FE address serves every service (StarRocks FE, Huawei Cloud,
AI Lake, the sandbox's own admin switches); the BE address serves the StarRocks BE."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from .config import SandboxConfig
from .engine import Engine
from .metrics import Metrics
from .store import Store

log = logging.getLogger("starrocks_console.sandbox")


class Sandbox:
    """Everything the services share: settings, the store, the StarRocks engine, the addresses
    it listens on, and the background sweepers (timeouts, jobs, pipe polling)."""

    def __init__(self, config: SandboxConfig, data_dir: Path) -> None:
        self.config = config
        self.data_dir = data_dir
        self.store = Store(data_dir / "sandbox.duckdb")
        self.engine = Engine(self.store)
        self.metrics = Metrics()
        self.fe_url = ""
        self.be_url = ""
        self._sweepers: list[Callable[[], Awaitable[None]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        # Imported here: each service module registers its routes, seed and sweepers on this object.
        from . import admin
        from .ailake import service as ailake
        from .huawei import service as huawei
        from .starrocks import service as starrocks

        self.starrocks = starrocks.StarRocks(self)
        self.huawei = huawei.Huawei(self)
        self.ailake = ailake.AiLake(self)
        self.admin = admin.Admin(self)

    @property
    def be_advertised(self) -> str:
        """host:port the FE names in its redirects to the BE."""
        if self.config.be_advertise:
            return self.config.be_advertise
        return self.be_url.split("://", 1)[1]

    def add_sweeper(self, fn: Callable[[], Awaitable[None]]) -> None:
        """Register work to repeat every ``sweep_seconds`` while the sandbox runs."""
        self._sweepers.append(fn)

    def fe_app(self) -> Starlette:
        routes: list[BaseRoute] = [
            *self.admin.routes(),
            *self.huawei.routes(),
            *self.ailake.routes(),
            *self.starrocks.fe_routes(),
        ]
        return Starlette(routes=routes)

    def be_app(self) -> Starlette:
        return Starlette(routes=self.starrocks.be_routes())

    async def start_background(self) -> None:
        for fn in self._sweepers:
            self._tasks.append(asyncio.create_task(self._sweep(fn)))

    async def _sweep(self, fn: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                await fn()
            except asyncio.CancelledError:
                raise
            except Exception:  # a sweeper must outlive one bad round
                log.exception("sandbox sweeper %s failed", getattr(fn, "__qualname__", fn))
            await asyncio.sleep(self.config.sweep_seconds)

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self.store.close()
