"""StarRocks FE + BE emulation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from . import monitoring, seed, sql

if TYPE_CHECKING:
    from ..app import Sandbox


class StarRocks:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        seed.seed(sb.engine)

    def fe_routes(self) -> list[BaseRoute]:
        return [*sql.routes(self.sb), *monitoring.fe_routes(self.sb)]

    def be_routes(self) -> list[BaseRoute]:
        return [*monitoring.be_routes(self.sb)]
