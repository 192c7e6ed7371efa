"""Python's cyclic garbage collector, run by the window rather than automatically.

Two reasons. An automatic collection runs on whichever thread happens to allocate: on one of the
console's worker threads (client builder, journal writer, keyring) it may finalize Qt objects off
the UI thread, and under the GIL it stalls the window all the same. And a full collection walks
every object alive: with the modules, Qt wrappers and a list of ten thousand pipe tables that is
tens of milliseconds, taken in the middle of whatever the window is doing.

So the automatic collector is off, and a timer on the UI thread collects between events, with
Python's own thresholds for the young generations. What has survived a full collection is frozen
(``gc.freeze``): such objects are long-lived (modules, the window, rows on screen), and the next
full collection only walks what came after them. Cycles that die among frozen objects are found by
an occasional pass over everything, which unfreezes, collects and freezes again.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer


class GarbageCollector(QObject):
    def __init__(
        self, parent: QObject | None = None, interval_ms: int = 250, everything_every_s: float = 600.0
    ) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.everything_every_s = everything_every_s
        self.collections = [0, 0, 0]  # by generation, for tests and diagnostics
        self.full_passes = 0
        self._last_pass = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self.running = False

    def start(self) -> None:
        """Take over from the automatic collector; what is alive now (the started window) is
        collected once and frozen."""
        if self.running:
            return
        gc.disable()
        gc.collect()
        gc.freeze()
        self._last_pass = time.monotonic()
        self.running = True
        self._timer.start()

    def stop(self) -> None:
        """Give collection back to Python."""
        if not self.running:
            return
        self._timer.stop()
        self.running = False
        gc.unfreeze()
        gc.enable()

    def check(self) -> None:
        if time.monotonic() - self._last_pass >= self.everything_every_s:
            self.collect_everything()
            return
        counts = gc.get_count()
        if counts[0] <= self.threshold[0]:
            return
        generation = 0
        if counts[1] > self.threshold[1]:
            generation = 1
            if counts[2] > self.threshold[2]:
                generation = 2
        gc.collect(generation)
        self.collections[generation] += 1
        if generation == 2:
            gc.freeze()

    def collect_everything(self) -> None:
        """A full collection over frozen objects too, then freeze what is left."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.full_passes += 1
        self._last_pass = time.monotonic()
