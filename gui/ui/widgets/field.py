"""A form field with the reason it is refused (or a note about it) on a line of its own under it.

The reason's line is kept whether or not there is a reason, so a refusal appearing or going away never
moves the fields below; a reason longer than the line is shortened with an ellipsis and given whole
in the tooltip of the line and of the input.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..style import set_tone


class ReasonLine(QLabel):
    """One line of text, elided to its width; ``text()`` is always the whole reason."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldError")
        self.setWordWrap(False)
        self.setTextFormat(Qt.TextFormat.PlainText)
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 0.92)
        self.setFont(font)
        self.setFixedHeight(self.fontMetrics().height() + 2)

    def sizeHint(self) -> QSize:
        return QSize(0, self.fontMetrics().height() + 2)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.width())
        painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)


class Field(QWidget):
    """An input, an optional fixed hint under it, and its reason line (red for a refusal, amber for a
    note). ``text`` is what the reason line says (empty when nothing)."""

    def __init__(self, editor: QWidget, parent: QWidget | None = None, note: str = "") -> None:
        super().__init__(parent)
        self.editor = editor
        self._error: str | None = None
        self._note: str | None = None
        self._tip = editor.toolTip()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(editor)
        if note:
            hint = QLabel(note, self)
            hint.setWordWrap(True)
            hint.setObjectName("fieldNote")
            set_tone(hint, "muted")
            lay.addWidget(hint)
        self.error = ReasonLine(self)
        self.error.hide()
        lay.addWidget(self.error)

    def set_error(self, text: str | None) -> None:
        self._error = text or None
        self._show()

    def set_note(self, text: str | None) -> None:
        self._note = text or None
        self._show()

    def _show(self) -> None:
        text = self._error or self._note or ""
        set_tone(self.error, "error" if self._error else "warning")
        self.error.setText(text)
        self.error.setToolTip(text)
        self.error.setVisible(bool(text))
        self.editor.setToolTip(text or self._tip)
        self.error.update()

    @property
    def text(self) -> str:
        return self._error or self._note or ""
