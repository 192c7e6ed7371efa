"""A destructive change confirmed by typing the name of what it destroys: the button that does it is
enabled only once the name is typed exactly, and is coloured as an error then. The dialog starts the
change itself (a refusal by the service is shown in it, and it stays open); ``started(job)`` is
emitted with what the service accepted, and the dialog closes."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ...api import errors
from ..context import UiContext
from ..style import set_tone


class ConfirmNameDialog(QDialog):
    """``name`` must be typed to enable ``button`` (its text); ``start`` does the change and returns
    what ``started`` then carries (``starting`` is shown meanwhile). ``noun`` names what is
    destroyed ("instance", "database"); ``service`` who may refuse it. Subclasses put what the
    person should know before it in ``text`` and ``body``."""

    started = Signal(object)

    def __init__(
        self,
        ctx: UiContext,
        name: str,
        *,
        noun: str,
        button: str,
        service: str,
        start: Callable[[], Awaitable[Any]],
        starting: str = "Sending…",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.name = name
        self.noun = noun
        self.service = service
        self._start = start
        self._starting = starting
        self._busy = False
        self.setMinimumWidth(520)
        self.text = QLabel(self)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.prompt = QLabel(f"Type <b>{html.escape(name)}</b> to confirm:", self)
        self.prompt.setTextFormat(Qt.TextFormat.RichText)
        self.confirm = QLineEdit(self)
        self.confirm.setObjectName("confirmName")
        self.confirm.setPlaceholderText(name)
        self.confirm.textChanged.connect(lambda _t: self.update_state())
        self.outcome = QLabel(self)
        self.outcome.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.action: QPushButton = self.buttons.addButton(button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.action.clicked.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self.body = QVBoxLayout()
        self.body.setContentsMargins(0, 0, 0, 0)
        lay = QVBoxLayout(self)
        lay.addWidget(self.text)
        lay.addLayout(self.body)
        for w in (self.prompt, self.confirm, self.outcome, self.buttons):
            lay.addWidget(w)
        self.update_state()

    def typed(self) -> bool:
        return self.confirm.text() == self.name

    def update_state(self) -> None:
        ok = self.typed() and not self._busy
        self.action.setEnabled(ok)
        # Red only when it is one click from destroying something; a disabled button stays grey.
        set_tone(self.action, "error" if ok else None, bold=ok)
        typed = self.confirm.text()
        if typed and not self.typed() and not self.name.startswith(typed):
            set_tone(self.outcome, "error")
            self.outcome.setText(f"That is not the {self.noun}'s name.")
        elif not self._busy:
            self.outcome.setText("")

    def _submit(self) -> None:
        if not self.typed() or self._busy:
            return
        self._busy = True
        self.update_state()
        set_tone(self.outcome, None)
        self.outcome.setText(self._starting)
        self.ctx.run(self._run(), key=f"confirm-name/{id(self)}", what=f"{self.action.text()} {self.name}")

    async def _run(self) -> None:
        try:
            result = await self._start()
        except errors.ApiError as e:
            self._busy = False
            self.update_state()
            set_tone(self.outcome, "error")
            self.outcome.setText(
                f"✗ {self.service} refused it: {e.message}" + (f". {e.hint}" if e.hint else "")
            )
            return
        self.started.emit(result)
        self.accept()
