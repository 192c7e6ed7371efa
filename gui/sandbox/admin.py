"""The sandbox's own admin switches, under ``/_sandbox/`` on the FE address (not part of any
emulated service)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from .app import Sandbox


class Admin:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def routes(self) -> list[BaseRoute]:
        return []
