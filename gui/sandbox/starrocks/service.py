"""StarRocks FE + BE emulation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from . import beconfig, monitoring, routes, seed, sql
from .activity import Activity
from .cluster import Backend
from .pipes import Pipes
from .system import System
from .txnmgr import TxnManager

if TYPE_CHECKING:
    from ..app import Sandbox


class StarRocks:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        seed.seed(sb.engine)
        self.activity = Activity(sb, sb.cluster)
        self.txns = TxnManager(sb, self.activity)
        sb.add_sweeper(self.txns.sweep)
        sb.add_sweeper(self.activity.sweep)
        self.pipes = Pipes(sb)
        sb.add_sweeper(self.pipes.sweep)
        self.system = System(sb)
        sb.add_sweeper(self.system.sweep)
        sb.add_closer(self.activity.keep)

    def fe_routes(self) -> list[BaseRoute]:
        return [*routes.fe_routes(self.sb, self.txns), *sql.routes(self.sb), *monitoring.fe_routes(self.sb)]

    def be_routes(self, be: Backend) -> list[BaseRoute]:
        return [
            *routes.be_routes(self.sb, self.txns, be),
            *monitoring.be_routes(self.sb, be),
            *beconfig.routes(be),
        ]

    async def backend_started(self, be: Backend) -> None:
        """A BE process came back: the transactions it coordinated before are gone with its memory."""
        await self.txns.coordinator_restarted(be)

    def frontend_started(self) -> None:
        now = self.sb.clock.now()
        sql.cluster_info(self.sb).start_ms = int(now * 1000)
        self.activity.fe_restarted(now)
