"""AI Lake emulation: database instances, object storages, pipe tables, operations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from ..app import Sandbox


class AiLake:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def routes(self) -> list[BaseRoute]:
        return []
