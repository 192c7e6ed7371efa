"""StarRocks FE + BE emulation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from ..app import Sandbox


class StarRocks:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def fe_routes(self) -> list[BaseRoute]:
        return []

    def be_routes(self) -> list[BaseRoute]:
        return []
