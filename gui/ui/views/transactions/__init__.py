"""The Load transactions view and its parts (see ``view``)."""

from __future__ import annotations

from .view import TAB_HISTORY, TAB_LOAD, TAB_RUNNING, TransactionsView

__all__ = ["TAB_HISTORY", "TAB_LOAD", "TAB_RUNNING", "TransactionsView"]
