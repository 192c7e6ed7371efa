"""Deprovision an AI Lake database instance: say what it holds, offer cascade (drop its tables
first; without it the service refuses a database that still has tables), and ask for the name to be
typed. The dialog sends the request itself and emits ``started(job)`` once AI Lake accepted it."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QWidget

from ...api import errors
from ...services.lake_databases import SERVICE, LakeDatabaseRow, LakeDatabasesService
from ...services.words import plural
from ..context import UiContext
from ..style import set_tone
from .confirm_name import ConfirmNameDialog


class DeprovisionDatabaseDialog(ConfirmNameDialog):
    loaded = Signal()

    def __init__(
        self,
        ctx: UiContext,
        service: LakeDatabasesService,
        row: LakeDatabaseRow,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            ctx,
            row.name,
            noun="database",
            button="Deprovision",
            service=SERVICE,
            start=lambda: service.deprovision(row, self.cascade.isChecked()),
            parent=parent,
        )
        self.lake = service
        self.row = row
        self.tables: list[str] = []
        self.setObjectName("deprovisionDatabaseDialog")
        self.setWindowTitle(f"Deprovision {row.name}")
        self.ok = self.action
        self.ok.setObjectName("deprovisionButton")
        self.outcome.setObjectName("deprovisionResult")
        name = html.escape(row.name)
        self.text.setText(
            f"Deprovisioning <b>{name}</b> drops the StarRocks database {name} and stops its pipes. "
            "This cannot be undone."
        )
        self.contents = QLabel("Looking at its pipe tables…", self)
        self.contents.setObjectName("contents")
        self.contents.setWordWrap(True)
        self.cascade = QCheckBox("Also drop its tables (cascade)", self)
        self.cascade.setObjectName("cascade")
        self.cascade_note = QLabel(
            "Without cascade the service refuses to deprovision a database that still has tables.", self
        )
        self.cascade_note.setWordWrap(True)
        set_tone(self.cascade_note, "muted")
        self.cascade.toggled.connect(lambda on: self.cascade_note.setVisible(not on))
        for w in (self.contents, self.cascade, self.cascade_note):
            self.body.addWidget(w)

    def open(self) -> None:
        super().open()
        self.ctx.run(self._load(), key=f"deprovision-dialog/{id(self)}", what="reading the pipe tables")

    async def _load(self) -> None:
        try:
            self.tables = await self.lake.pipe_tables(self.row.name)
        except errors.ApiError as e:
            self.contents.setText(f"Its pipe tables could not be read: {e.message}")
            return
        if self.tables:
            shown = ", ".join(self.tables[:8]) + (
                f" and {len(self.tables) - 8} more" if len(self.tables) > 8 else ""
            )
            self.contents.setText(f"It has {plural(len(self.tables), 'pipe table')}: {shown}.")
            set_tone(self.contents, "warning")
        else:
            self.contents.setText("It has no pipe tables.")
        self.loaded.emit()
