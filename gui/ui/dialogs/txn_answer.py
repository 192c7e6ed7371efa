"""The details of one answer of a load transaction: the plain words, and the cluster's raw JSON
(redacted), with a button to copy it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...services.transactions import Answer, raw_text
from ..style import TONES, set_tone


class TxnAnswerDialog(QDialog):
    def __init__(self, answer: Answer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.answer = answer
        self.setObjectName("txnAnswerDialog")
        label = f" — {answer.label}" if answer.label else ""
        self.setWindowTitle(f"Answer to {answer.step}{label}")
        self.resize(640, 460)
        self.headline = QLabel(answer.headline, self)
        self.headline.setObjectName("answerHeadline")
        self.headline.setWordWrap(True)
        set_tone(self.headline, TONES.get(answer.severity), bold=True)
        self.detail = QLabel(answer.detail, self)
        self.detail.setWordWrap(True)
        self.detail.setVisible(bool(answer.detail))
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        facts = [f"Step: {answer.step}"]
        if answer.code:
            facts.append(f"Status: {answer.code}")
        self.facts = QLabel(" · ".join(facts), self)
        self.error_url = QLabel(self)
        self.error_url.setWordWrap(True)
        self.error_url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if answer.error_url:
            self.error_url.setText(f"Refused rows and their reasons: {answer.error_url}")
        self.error_url.setVisible(bool(answer.error_url))
        self.raw = QPlainTextEdit(raw_text(answer.raw), self)
        self.raw.setObjectName("rawAnswer")
        self.raw.setReadOnly(True)
        self.raw.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        copy = QPushButton("Copy JSON", self)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.raw.toPlainText()))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.headline)
        lay.addWidget(self.detail)
        lay.addWidget(self.facts)
        lay.addWidget(self.error_url)
        lay.addWidget(QLabel("Raw answer:", self))
        lay.addWidget(self.raw, 1)
        lay.addWidget(buttons)


def show_answer(answer: Answer, parent: QWidget | None) -> TxnAnswerDialog:
    dialog = TxnAnswerDialog(answer, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
