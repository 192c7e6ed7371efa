"""The sandbox as two ASGI apps: the FE address serves every service (StarRocks FE, Huawei Cloud,
AI Lake, the sandbox's own admin switches); the BE address serves the StarRocks BE."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from .clock import Clock
from .config import SandboxConfig
from .engine import Engine
from .listener import Listener
from .metrics import Metrics
from .starrocks.cluster import BE_FIRST_ID, Backend, Cluster
from .store import Store, private_dir

log = logging.getLogger("starrocks_console.sandbox")

CLOCK_KIND = "sandbox_clock"


class QueryServer(Protocol):
    """The FE's MySQL-protocol port (``mysqlport.MysqlPort``), stopped and started with the FE."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


FE_KEY = "fe"  # the FE's listener in Sandbox.listeners (the BEs' are keyed by their id)


class Sandbox:
    """Everything the services share: settings, the store, the clock, the StarRocks engine, the
    addresses it listens on, and the background sweepers (timeouts, jobs, pipe polling)."""

    def __init__(self, config: SandboxConfig, data_dir: Path) -> None:
        self.config = config
        self.data_dir = data_dir
        self.store = Store(data_dir / "sandbox.duckdb")
        kept = self.store.get(CLOCK_KIND, "offset") or {}
        self.clock = Clock(kept.get("offset", 0.0))
        self.engine = Engine(self.store, self.clock)
        self.metrics = Metrics()
        self.fe_url = ""
        # The FE's MySQL-protocol port (set by the server once it listens) and what serves it.
        self.query_port = 9030
        self.query_server: QueryServer | None = None
        storage = [data_dir / "be" / str(BE_FIRST_ID + i) / "storage" for i in range(config.backends)]
        for folder in storage:
            private_dir(folder)
        self.cluster = Cluster(config.host, config.backends, self.clock.ms(), [str(p) for p in storage])
        # Set by the server: the FE's address (FE_KEY) and each BE's (by id), to stop and start them.
        self.listeners: dict[str | int, Listener] = {}
        self._closers: list[Callable[[], None]] = []
        self._sweepers: list[tuple[Callable[[], Awaitable[None]], asyncio.Lock]] = []
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
    def be_url(self) -> str:
        """The first BE's address."""
        return self.cluster.first.url

    @property
    def be_advertised(self) -> str:
        """host:port the FE names the first BE by."""
        return self.cluster.first.advertised

    def add_closer(self, fn: Callable[[], None]) -> None:
        """Register work to do when the sandbox stops, before its store closes."""
        self._closers.append(fn)

    def add_sweeper(self, fn: Callable[[], Awaitable[None]]) -> None:
        """Register work to repeat every ``sweep_seconds`` while the sandbox runs (and at once
        whenever the clock is moved). One round of a sweeper never overlaps another."""
        self._sweepers.append((fn, asyncio.Lock()))

    def fe_app(self) -> Starlette:
        routes: list[BaseRoute] = [
            *self.admin.routes(),
            *self.huawei.routes(),
            *self.ailake.routes(),
            *self.starrocks.fe_routes(),
        ]
        return Starlette(routes=routes)

    def be_app(self, be: Backend) -> Starlette:
        return Starlette(routes=[*self.admin.node_routes(), *self.starrocks.be_routes(be)])

    # -- nodes ------------------------------------------------------------------------------------
    async def stop_backend(self, be: Backend) -> None:
        """The BE's process ends: its port refuses connections, its transaction contexts are gone."""
        if not be.running:
            return
        self.cluster.stop_backend(be, self.clock.ms())
        await self.listeners[be.id].stop()

    async def start_backend(self, be: Backend) -> None:
        if be.running:
            return
        await self.listeners[be.id].start()
        self.cluster.start_backend(be, self.clock.ms())
        await self.starrocks.backend_started(be)

    async def stop_frontend(self, wait: bool = True) -> None:
        """The FE's process ends: its address (every service on it) refuses connections. ``wait``
        False when the request asking for it came through that address."""
        if not self.cluster.fe_running:
            return
        self.cluster.fe_running = False
        if self.query_server is not None:
            await self.query_server.stop()
        await self.listeners[FE_KEY].stop(wait=wait)

    async def start_frontend(self) -> None:
        if self.cluster.fe_running:
            return
        listener = self.listeners[FE_KEY]
        await listener.wait_stopped()
        await listener.start()
        if self.query_server is not None:
            await self.query_server.start()
        self.cluster.fe_running = True
        self.starrocks.frontend_started()

    async def start_background(self) -> None:
        for fn, lock in self._sweepers:
            self._tasks.append(asyncio.create_task(self._sweep(fn, lock)))

    async def _sweep(self, fn: Callable[[], Awaitable[None]], lock: asyncio.Lock) -> None:
        while True:
            await self._sweep_once(fn, lock)
            await asyncio.sleep(self.config.sweep_seconds)

    @staticmethod
    async def _sweep_once(fn: Callable[[], Awaitable[None]], lock: asyncio.Lock) -> None:
        async with lock:
            try:
                await fn()
            except asyncio.CancelledError:
                raise
            except Exception:  # a sweeper must outlive one bad round
                log.exception("sandbox sweeper %s failed", getattr(fn, "__qualname__", fn))

    async def advance_clock(self, seconds: float) -> float:
        """Move the sandbox's time forward and carry out, before returning, everything that fell
        due: timed-out transactions aborted, jobs settled, operations run, pipes polled. Returns the
        new offset. Raises ValueError for a step that is not a finite, non-negative number."""
        offset = self.clock.advance(seconds)
        await self.store.run(self._keep_offset)
        for fn, lock in self._sweepers:
            await self._sweep_once(fn, lock)
        return offset

    def _keep_offset(self) -> None:
        # The offset as it is when written: of two advances racing here, the last write holds both.
        self.store.put(CLOCK_KIND, "offset", {"offset": self.clock.offset})

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for fn in self._closers:
            try:
                fn()
            except Exception:  # the rest must still close, and the store with them
                log.exception("sandbox closer %s failed", getattr(fn, "__qualname__", fn))
        self.store.close()
