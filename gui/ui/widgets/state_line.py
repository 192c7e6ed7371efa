"""The state of a view's data, inline: when it was last updated, or since when it cannot be, and how
old what is on screen is. Background refreshes report here (and to the notifications list), never in
a dialog."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QPalette, QShowEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ..notifications import describe_failure, failure_detail, failure_kind, when
from ..style import set_tone


class StateLine(QLabel):
    def __init__(self, parent: QWidget | None = None, retry: str = "press Refresh (F5) to try again") -> None:
        super().__init__(parent)
        self.setObjectName("stateLine")
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # Opaque, in the background of what it lies on: its new time at each refresh then repaints
        # the line alone, not the window, the tabs and the view beneath it too (measured: 2-3 ms a
        # reading of the dashboard, most of what a reading cost the window's thread).
        self.setAutoFillBackground(True)
        self._matching = False
        self.retry = retry
        self.last_ok: float | None = None
        self.failing_since: float | None = None
        self.failure = ""
        self.clear()

    def _match_background(self) -> None:
        """Take the brush of the nearest ancestor that paints its own background (a style may give
        a tab's page another colour than the window's)."""
        if self._matching:
            return  # the palette set below announces itself with a change of palette
        under = self.parentWidget()
        while under is not None and not (under.autoFillBackground() or under.isWindow()):
            under = under.parentWidget()
        if under is None:
            return
        brush = under.palette().brush(under.backgroundRole())
        self._matching = True
        try:
            if self.backgroundRole() != QPalette.ColorRole.Window:
                self.setBackgroundRole(QPalette.ColorRole.Window)
            if self.palette().brush(QPalette.ColorRole.Window) != brush:
                pal = self.palette()
                pal.setBrush(QPalette.ColorRole.Window, brush)
                self.setPalette(pal)
        finally:
            self._matching = False

    def showEvent(self, event: QShowEvent) -> None:
        self._match_background()
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange and not self._matching:
            # A new theme reaches the widgets one by one, through posted events: the one beneath
            # may not have it yet. Matched once they all have.
            QTimer.singleShot(0, self, self._match_background)
        super().changeEvent(event)

    @property
    def stale(self) -> bool:
        """What is on screen is older than the last attempt to refresh it."""
        return self.failing_since is not None

    def clear(self) -> None:
        """No source (no profile picked): nothing to say."""
        self.last_ok = self.failing_since = None
        self.failure = ""
        self.setText("")
        self.hide()

    def loading(self) -> None:
        if self.failing_since is not None:
            return  # keep saying what is wrong until it works again
        self.show()
        set_tone(self, "muted")
        self.setText(
            f"Refreshing… (data from {when(self.last_ok)})" if self.last_ok is not None else "Loading…"
        )

    def ok(self, at: float | None = None) -> None:
        self.last_ok = time.time() if at is None else at
        self.failing_since = None
        self.failure = ""
        self.show()
        set_tone(self, "muted")
        self.setText(f"Updated {when(self.last_ok)}")

    def failed(self, exc: BaseException) -> None:
        now = time.time()
        if self.failing_since is None:
            self.failing_since = now
        self.failure = describe_failure(exc)
        kind = failure_kind(exc)
        shown = (
            f"Showing data from {when(self.last_ok)}." if self.last_ok is not None else "Nothing loaded yet."
        )
        self.show()
        set_tone(self, "error")
        self.setText(
            f"{kind[:1].upper()}{kind[1:]} since {when(self.failing_since)} (last try {when(now)}: "
            f"{failure_detail(exc)}). {self.retry[:1].upper()}{self.retry[1:]}. {shown}"
        )
        self.setToolTip(self.text())
