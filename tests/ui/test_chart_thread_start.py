"""The charts' paint thread starts safely: PySide6 makes some of its Python types (enums) the first
time a call needs one, and two threads making the same one at once crash the process. The first
paint on the paint thread, racing the window's own first paint, in a fresh process each time (that
first making happens once a process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import faulthandler, sys, threading, time
faulthandler.enable()
sys.setswitchinterval(1e-6)  # the interpreter's lock passed between the threads at every turn
sys.path.insert(0, {root!r})
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication
app = QApplication([])
from gui.ui.widgets.charts import ChartPainter, Frame, Line, Look, Painted
painter = ChartPainter.shared()
now = time.time()
frame = Frame((Line("qps", [now - 10, now - 5], [1.0, 2.0]),), now - 60, now, 5)
look = Look(QColor("white"), QColor("black"), (QColor("blue"),), QFont().toString())
done = threading.Event()
painter.submit(app, lambda: Painted.of(frame, QSize(200, 100), look), lambda _painted: done.set())
image = QImage(50, 50, QImage.Format.Format_ARGB32_Premultiplied)
while not done.is_set():  # the window painting meanwhile, as a canvas does
    p = QPainter(image)
    p.fillRect(QRect(0, 0, 10, 1), QColor(10, 20, 30))
    p.end()
    app.processEvents()  # where the finished paint is handed back
ChartPainter.shutdown()
print("painted")
"""


@pytest.mark.parametrize("run", range(3))
def test_the_first_paint_on_the_paint_thread_races_the_window_safely(run: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(root=str(ROOT))],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    assert done.returncode == 0 and done.stdout.strip() == "painted", done.stderr[-2000:]
