"""FE and BE monitoring: health, bootstrap, metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from ..app import Sandbox


def fe_routes(sb: Sandbox) -> list[BaseRoute]:
    return []


def be_routes(sb: Sandbox) -> list[BaseRoute]:
    return []
