"""The cluster dashboard (``view.py``) and its parts: charts, nodes, loads and transactions."""

from .view import DashboardView

__all__ = ["DashboardView"]
