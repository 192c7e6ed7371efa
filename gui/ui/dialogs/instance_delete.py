"""Delete a StarRocks instance, confirmed by typing its name. The dialog starts the delete itself so
a refusal (a job running on the instance) is shown here; ``started(job_id)`` is emitted once the
service accepted, and the job is followed in the Activity panel."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ...api import errors
from ...services.instances import StarRocksRow
from ...services.profiles import Profile
from ..context import UiContext
from ..style import set_tone, tone_hex


class DeleteInstanceDialog(QDialog):
    started = Signal(str)

    def __init__(
        self, ctx: UiContext, profile: Profile, row: StarRocksRow, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile = profile
        self.row = row
        self.setObjectName("deleteInstanceDialog")
        self.setWindowTitle(f"Delete {row.name}")
        self.setMinimumWidth(520)
        name = html.escape(row.name)
        text = QLabel(
            f"Deleting <b>{name}</b> removes its {row.fe.count or '?'} FE and {row.be.count or '?'} BE "
            f"nodes and <b>all the data it holds</b>, on TaurusDB instance {html.escape(row.taurus_name)}. "
            f"This cannot be undone.<br><br>Type <b>{name}</b> to confirm:",
            self,
        )
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setWordWrap(True)
        self.confirm = QLineEdit(self)
        self.confirm.setObjectName("confirmName")
        self.confirm.setPlaceholderText(row.name)
        self.confirm.textChanged.connect(lambda _t: self._update())
        self.outcome = QLabel(self)
        self.outcome.setObjectName("deleteResult")
        self.outcome.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.delete_button = self.buttons.addButton(
            "Delete instance", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.delete_button.setObjectName("deleteButton")
        self.delete_button.setStyleSheet(
            f"QPushButton:enabled {{ color: {tone_hex('error')}; font-weight: bold; }}"
        )
        self.delete_button.clicked.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(text)
        lay.addWidget(self.confirm)
        lay.addWidget(self.outcome)
        lay.addWidget(self.buttons)
        self._busy = False
        self._update()

    def _update(self) -> None:
        typed = self.confirm.text()
        ok = typed == self.row.name
        self.delete_button.setEnabled(ok and not self._busy)
        if typed and not ok and not self.row.name.startswith(typed):
            set_tone(self.outcome, "error")
            self.outcome.setText("That is not the instance's name.")
        elif not self._busy:
            self.outcome.setText("")

    def _submit(self) -> None:
        if self.confirm.text() != self.row.name or self._busy:
            return
        self._busy = True
        self._update()
        self.outcome.setStyleSheet("")
        self.outcome.setText("Starting the delete…")
        self.ctx.run(self._delete(), key=f"delete-dialog/{id(self)}", what=f"deleting {self.row.name}")

    async def _delete(self) -> None:
        try:
            client = await self.ctx.session.huawei(self.profile)
            job_id = await client.delete_starrocks_instance(self.row.taurus_id, self.row.id)
        except errors.ApiError as e:
            self._busy = False
            self._update()
            set_tone(self.outcome, "error")
            self.outcome.setText(
                f"✗ Huawei Cloud refused it: {e.message}" + (f". {e.hint}" if e.hint else "")
            )
            return
        self.started.emit(job_id)
        self.accept()
