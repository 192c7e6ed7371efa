"""Pipes: each pipe's state and loaded files, its files with their errors; RETRY FILE on a failed
file, RETRY ALL, SUSPEND and RESUME (plain confirmations)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from ....services.admin import AdminSql, PipeFile, PipeRow, PipesService
from ....services.words import plural
from ...models.table import Column
from ...widgets.tables import select_key
from .page import AdminPage, table_of

PICK_A_PIPE = "Pick a pipe above to list its files."
PIPE_COLUMNS: list[Column[PipeRow]] = [
    Column("Database", lambda p: p.database),
    Column("Pipe", lambda p: p.name),
    Column("State", lambda p: p.state),
    Column("Table", lambda p: p.table),
    Column("Loaded files", lambda p: p.loaded_files, align_right=True),
    Column("Loading", lambda p: p.loading_files, align_right=True),
    Column("Last error", lambda p: p.last_error),
    Column("Created", lambda p: p.created),
]
FILE_COLUMNS: list[Column[PipeFile]] = [
    Column("File", lambda f: f.name),
    Column("State", lambda f: f.state),
    Column("Size", lambda f: f.size, align_right=True),
    Column("Rows", lambda f: f.rows, align_right=True),
    Column("Error", lambda f: f.error),
    Column("Staged", lambda f: f.staged),
    Column("Finished", lambda f: f.finished),
]


class PipesPage(AdminPage):
    title = "Pipes"

    def build(self) -> None:
        self.retry_file = QPushButton("Retry file…")
        self.retry_file.clicked.connect(lambda: self.alter("RETRY FILE"))
        self.retry_all = QPushButton("Retry all…")
        self.retry_all.clicked.connect(lambda: self.alter("RETRY ALL"))
        self.suspend = QPushButton("Suspend…")
        self.suspend.clicked.connect(lambda: self.alter("SUSPEND"))
        self.resume = QPushButton("Resume…")
        self.resume.clicked.connect(lambda: self.alter("RESUME"))
        for w in (self.retry_file, self.retry_all, self.suspend, self.resume):
            self.buttons.addWidget(w)
        self.pipes_table, self.pipes_model = table_of(PIPE_COLUMNS, key=lambda p: p.key)
        self.pipes_table.selectionModel().selectionChanged.connect(lambda *_: self._pipe_picked())
        self.files_table, self.files_model = table_of(FILE_COLUMNS, key=lambda f: f.name)
        self.files_table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        # What the lower table lists, said above it (empty until a pipe is picked).
        self.files_caption = QLabel(PICK_A_PIPE)
        self.files_caption.setObjectName("pipeFilesCaption")
        files = QWidget()
        files_lay = QVBoxLayout(files)
        files_lay.setContentsMargins(0, 4, 0, 0)
        files_lay.addWidget(self.files_caption)
        files_lay.addWidget(self.files_table)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.pipes_table)
        split.addWidget(files)
        self.body.addWidget(split)
        self._enable()

    async def load(self, sql: AdminSql) -> None:
        picked = self.selected()
        self.pipes_model.set_rows(await PipesService(sql).pipes())
        if picked is not None and self.select_pipe(*picked.key):
            await self._load_files(sql, picked)
        self._enable()

    def selected(self) -> PipeRow | None:
        idx = self.pipes_table.selectionModel().selectedRows()
        return self.pipes_model.record(idx[0].row()) if idx else None

    def selected_file(self) -> PipeFile | None:
        idx = self.files_table.selectionModel().selectedRows()
        return self.files_model.record(idx[0].row()) if idx else None

    def select_pipe(self, database: str, name: str) -> bool:
        return select_key(self.pipes_table, self.pipes_model, (database, name))

    def select_file(self, name: str) -> bool:
        return select_key(self.files_table, self.files_model, name)

    def _pipe_picked(self) -> None:
        self._enable()
        pipe = self.selected()
        if pipe is None:
            self.files_model.set_rows([])
            self.files_caption.setText(PICK_A_PIPE)
        elif self.owner.sql is not None:
            self.owner.background(
                self._load_files(self.owner.sql, pipe), "admin pipe files", line=self.state_line
            )

    async def _load_files(self, sql: AdminSql, pipe: PipeRow) -> None:
        files = await PipesService(sql).files(pipe.database, pipe.name)
        current = self.selected()
        if current is not None and current.key == pipe.key:
            self.files_model.set_rows(files)
            self.files_caption.setText(
                f"Files of {pipe.database}.{pipe.name}: {plural(len(files), 'file')}" if files
                else f"{pipe.database}.{pipe.name} has no files yet."
            )  # fmt: skip
        self.show_statements()
        self._enable()

    def _enable(self) -> None:
        pipe, file = self.selected(), self.selected_file()
        for b in (self.retry_all, self.suspend, self.resume):
            b.setEnabled(pipe is not None)
        self.retry_file.setEnabled(pipe is not None and file is not None and file.state == "ERROR")

    def alter(self, action: str) -> None:
        pipe = self.selected()
        if pipe is None:
            return
        file = self.selected_file() if action == "RETRY FILE" else None
        if action == "RETRY FILE" and file is None:
            return
        statement = PipesService.alter_statement(
            pipe.database, pipe.name, action, file.name if file else None
        )
        self.confirm(
            f"{statement}?",
            lambda: self.act(
                statement,
                lambda sql: PipesService(sql).alter(
                    pipe.database, pipe.name, action, file.name if file else None
                ),
            ),
        )
