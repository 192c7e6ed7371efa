"""A form field with, under it, lines kept for its note, or in its place the reason it is refused (or a
note about what only the service can check).

The lines are kept whatever they show — the room of the field's note, and at least ``lines`` lines —
so a reason that appears or goes away never moves the fields below. A reason longer than that room is
cut with "…" and shown whole in the tooltip of the lines and of the input.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..style import Tone, set_tone

_WRAP = int(Qt.TextFlag.TextWordWrap)


class ReasonLine(QLabel):
    """The lines kept under a field; ``full_text`` is always the whole reason or note."""

    def __init__(self, parent: QWidget | None = None, note: str = "", lines: int = 1) -> None:
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.note = note
        self.lines = max(1, lines)
        self._full = ""
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setTextFormat(Qt.TextFormat.PlainText)
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.set_reason("", None)

    @property
    def full_text(self) -> str:
        """The reason shown, whole ("" when the field shows only its note, or nothing)."""
        return self._full

    def text_shown(self) -> str:
        return self._full or self.note

    def set_reason(self, text: str, tone: Tone | None) -> None:
        self._full = text
        set_tone(self, tone if text else "muted")
        self._fit()
        self.setVisible(bool(text or self.note))

    # -- the room kept: the note's, at least ``lines`` lines ------------------------------------------
    def _room(self, width: int) -> int:
        metrics = self.fontMetrics()
        need = metrics.lineSpacing() * self.lines
        if self.note:
            box = metrics.boundingRect(QRect(0, 0, max(width, 40), 100_000), _WRAP, self.note)
            need = max(need, box.height())
        return need + 2

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._room(width)

    def sizeHint(self) -> QSize:
        return QSize(200, self._room(200))

    def minimumSizeHint(self) -> QSize:
        return QSize(40, self.fontMetrics().lineSpacing() * self.lines + 2)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fits(self, text: str, width: int, height: int) -> bool:
        box = self.fontMetrics().boundingRect(QRect(0, 0, width, 100_000), _WRAP, text)
        return box.height() <= height and box.width() <= width

    def _fit(self) -> None:
        width = max(self.width(), 40)
        # The room the layout gave (a squeezed dialog may give less than asked): what does not fit
        # is cut with "…", never clipped mid-line.
        height = (self.height() if self.isVisible() and self.height() > 0 else self._room(width)) - 2
        text = self.text_shown()
        shown = text
        if text and not self._fits(text, width, height):
            # The longest start of the text that fits with "…" after it.
            low, high = 0, len(text)
            while low < high:
                mid = (low + high + 1) // 2
                if self._fits(text[:mid].rstrip() + "…", width, height):
                    low = mid
                else:
                    high = mid - 1
            shown = text[:low].rstrip() + "…"
        QLabel.setText(self, shown)
        self.setToolTip(text if shown != text else "")

    def text(self) -> str:
        """The whole reason (or note), not the part that fits."""
        return self.text_shown()


class Field(QWidget):
    """An input and the lines kept under it: its note, or in its place the reason it is refused
    (red) or a note about it (amber). ``text`` is the reason or note ("" when none)."""

    def __init__(
        self, editor: QWidget, parent: QWidget | None = None, note: str = "", lines: int = 1
    ) -> None:
        super().__init__(parent)
        self.editor = editor
        self._tip = editor.toolTip()
        self.error = ReasonLine(self, note, lines)
        self._error: str | None = None
        self._note: str | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(editor)
        lay.addWidget(self.error)

    @property
    def reason(self) -> str:
        """The whole reason or note shown under the field ("" when it shows only its own note)."""
        return self.error.full_text

    @property
    def text(self) -> str:
        return self._error or self._note or ""

    @property
    def refused(self) -> bool:
        return self._error is not None

    def set_error(self, text: str | None) -> None:
        self._error = text or None
        self._show()

    def set_note(self, text: str | None) -> None:
        self._note = text or None
        self._show()

    def _show(self) -> None:
        if self._error:
            self.error.set_reason(self._error, "error")
        else:
            self.error.set_reason(self._note or "", "warning")
        self.editor.setToolTip(self.text or self._tip)
