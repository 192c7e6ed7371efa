"""StarRocks FE + BE emulation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from . import monitoring, routes, seed, sql
from .txnmgr import TxnManager

if TYPE_CHECKING:
    from ..app import Sandbox


class StarRocks:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        seed.seed(sb.engine)
        self.txns = TxnManager(sb)
        sb.add_sweeper(self.txns.sweep)

    def fe_routes(self) -> list[BaseRoute]:
        return [*routes.fe_routes(self.sb, self.txns), *sql.routes(self.sb), *monitoring.fe_routes(self.sb)]

    def be_routes(self) -> list[BaseRoute]:
        return [*routes.be_routes(self.sb, self.txns), *monitoring.be_routes(self.sb)]
