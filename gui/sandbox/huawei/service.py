"""Huawei Cloud IAM + TaurusDB (StarRocks/HTAP) emulation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from ..app import Sandbox


class Huawei:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def routes(self) -> list[BaseRoute]:
        return []
