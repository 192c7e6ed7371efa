"""The FE's HTTP SQL API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from ..app import Sandbox


def routes(sb: Sandbox) -> list[BaseRoute]:
    return []
