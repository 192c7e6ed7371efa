"""The chart library, imported on a worker thread once the window is up: the dashboards' first show
then costs no import on the window's thread (pyqtgraph and numpy take half a second), and the
window's cold start none at all."""

from __future__ import annotations

import os


def warm_charts() -> None:
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    import numpy  # noqa: F401
    import pyqtgraph  # noqa: F401
