"""The SQL console view (see ``view``)."""

from __future__ import annotations

from .view import SqlConsoleView

__all__ = ["SqlConsoleView"]
