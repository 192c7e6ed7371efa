"""The state of a view's data, inline: when it was last updated, or since when it cannot be, and how
old what is on screen is. Background refreshes report here (and to the notifications list), never in
a dialog."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QImage, QPalette, QRegion, QShowEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ..notifications import describe_failure, failure_detail, failure_kind, when
from ..style import set_tone


class StateLine(QLabel):
    def __init__(self, parent: QWidget | None = None, retry: str = "press Refresh (F5) to try again") -> None:
        super().__init__(parent)
        self.setObjectName("stateLine")
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # Opaque once shown, in the colour of what it lies on: its new time at each refresh then
        # repaints the line alone, not the window, the tabs and the view beneath it too (measured:
        # 2-3 ms a reading of the dashboard, most of what a reading cost the window's thread).
        self._matching = False
        self.retry = retry
        self.last_ok: float | None = None
        self.failing_since: float | None = None
        self.failure = ""
        self.clear()

    def _match_background(self) -> None:
        """Take the colour of what is beneath, as the window paints it (a style may draw a tab's
        pane lighter than the window, and no widget's palette says so): one pixel of the window,
        rendered with this line transparent, at its top right corner (where its text is not)."""
        if self._matching or not self.isVisible() or self.width() < 2 or self.height() < 2:
            return
        self._matching = True
        try:
            self.setAutoFillBackground(False)
            win = self.window()
            spot = self.mapTo(win, QPoint(self.width() - 1, 0))
            image = QImage(1, 1, QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(Qt.GlobalColor.transparent)
            flags = QWidget.RenderFlag.DrawWindowBackground | QWidget.RenderFlag.DrawChildren
            win.render(image, QPoint(0, 0), QRegion(QRect(spot, QSize(1, 1))), flags)
            colour = image.pixelColor(0, 0)
            if colour.alpha() < 255:
                return  # nothing opaque beneath: stays transparent
            if self.palette().color(QPalette.ColorRole.Window) != colour:
                pal = self.palette()
                pal.setColor(QPalette.ColorRole.Window, colour)
                self.setPalette(pal)
            self.setBackgroundRole(QPalette.ColorRole.Window)
            self.setAutoFillBackground(True)
        finally:
            self._matching = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self, self._match_background)  # once laid out where it is shown

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange and not self._matching:
            # A new theme reaches the widgets one by one, through posted events: matched once they
            # all have it, transparent meanwhile.
            self.setAutoFillBackground(False)
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
