"""Deprovision an AI Lake database instance: say what it holds, offer cascade (drop its tables
first; without it the service refuses a database that still has tables), and ask for the name to be
typed. The dialog sends the request itself and emits ``started(operation_id, name, cascade)``."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ...api import errors
from ...api.ailake import AILakeClient
from ...services.instances import LakeDatabaseRow
from ...services.profiles import Profile
from ..context import UiContext
from ..style import set_tone, tone_hex


class DeprovisionDatabaseDialog(QDialog):
    started = Signal(str, str, bool)
    loaded = Signal()

    def __init__(
        self, ctx: UiContext, profile: Profile, row: LakeDatabaseRow, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile = profile
        self.row = row
        self.tables: list[str] = []
        self.setObjectName("deprovisionDatabaseDialog")
        self.setWindowTitle(f"Deprovision {row.name}")
        self.setMinimumWidth(520)
        name = html.escape(row.name)
        text = QLabel(
            f"Deprovisioning <b>{name}</b> drops the StarRocks database {name} and stops its pipes. "
            "This cannot be undone.",
            self,
        )
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setWordWrap(True)
        self.contents = QLabel("Looking at its pipe tables…", self)
        self.contents.setObjectName("contents")
        self.contents.setWordWrap(True)
        self.cascade = QCheckBox("Also drop its tables (cascade)", self)
        self.cascade.setObjectName("cascade")
        self.cascade.toggled.connect(lambda _c: self._update())
        self.cascade_note = QLabel(
            "Without cascade the service refuses to deprovision a database that still has tables.", self
        )
        self.cascade_note.setWordWrap(True)
        self.cascade_note.setStyleSheet("color: palette(placeholder-text);")
        prompt = QLabel(f"Type <b>{name}</b> to confirm:", self)
        prompt.setTextFormat(Qt.TextFormat.RichText)
        self.confirm = QLineEdit(self)
        self.confirm.setObjectName("confirmName")
        self.confirm.setPlaceholderText(row.name)
        self.confirm.textChanged.connect(lambda _t: self._update())
        self.outcome = QLabel(self)
        self.outcome.setObjectName("deprovisionResult")
        self.outcome.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = self.buttons.addButton("Deprovision", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.ok.setObjectName("deprovisionButton")
        self.ok.setStyleSheet(f"QPushButton:enabled {{ color: {tone_hex('error')}; font-weight: bold; }}")
        self.ok.clicked.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        for w in (text, self.contents, self.cascade, self.cascade_note, prompt, self.confirm, self.outcome):
            lay.addWidget(w)
        lay.addWidget(self.buttons)
        self._busy = False
        self._update()

    def open(self) -> None:
        super().open()
        self.ctx.run(self._load(), key=f"deprovision-dialog/{id(self)}", what="reading the pipe tables")

    async def _client(self) -> AILakeClient:
        client = await self.ctx.session.ailake(self.profile)
        return client

    async def _load(self) -> None:
        try:
            tables = await (await self._client()).list_pipe_tables(self.row.name).collect()
        except errors.ApiError as e:
            self.contents.setText(f"Its pipe tables could not be read: {e.message}")
            return
        self.tables = [t.table_name for t in tables]
        if self.tables:
            shown = ", ".join(self.tables[:8]) + (
                f" and {len(self.tables) - 8} more" if len(self.tables) > 8 else ""
            )
            n = len(self.tables)
            self.contents.setText(f"It has {n} pipe table{'' if n == 1 else 's'}: {shown}.")
            set_tone(self.contents, "warning")
        else:
            self.contents.setText("It has no pipe tables.")
        self._update()
        self.loaded.emit()

    def _update(self) -> None:
        ok = self.confirm.text() == self.row.name and not self._busy
        self.ok.setEnabled(ok)
        self.cascade_note.setVisible(not self.cascade.isChecked())

    def _submit(self) -> None:
        if self.confirm.text() != self.row.name or self._busy:
            return
        self._busy = True
        self._update()
        self.outcome.setStyleSheet("")
        self.outcome.setText("Sending…")
        self.ctx.run(self._deprovision(), key=f"deprovision-dialog/{id(self)}", what="deprovisioning")

    async def _deprovision(self) -> None:
        cascade = self.cascade.isChecked()
        try:
            client = await self._client()
            op = await client.deprovision_database_instance(self.row.id or self.row.name, cascade=cascade)
        except errors.ApiError as e:
            self._busy = False
            self._update()
            set_tone(self.outcome, "error")
            self.outcome.setText(f"✗ AI Lake refused it: {e.message}" + (f". {e.hint}" if e.hint else ""))
            return
        self.started.emit(op, self.row.name, cascade)
        self.accept()
