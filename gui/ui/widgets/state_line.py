"""The state of a view's data, inline: when it was last updated, or since when it cannot be, and how
old what is on screen is. Background refreshes report here (and to the notifications list), never in
a dialog."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ..notifications import describe_failure, failure_detail, failure_kind, when
from ..style import set_tone


class StateLine(QLabel):
    def __init__(self, parent: QWidget | None = None, retry: str = "press Refresh (F5) to try again") -> None:
        super().__init__(parent)
        self.setObjectName("stateLine")
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.retry = retry
        self.last_ok: float | None = None
        self.failing_since: float | None = None
        self.failure = ""
        self.clear()

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
