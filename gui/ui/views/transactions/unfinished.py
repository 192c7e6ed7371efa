"""Unfinished transactions found in the journal (a console or `load` run that ended before its
transaction did): prepared ones are offered for commit, running ones for rollback; committed or
rolled back from here through the service, each outcome said in the banner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from ....services.transactions import TransactionsService, Unfinished
from ....services.words import plural
from ...models.table import Role
from ...models.transactions import UnfinishedModel
from ...style import banner_css, set_tone
from ...widgets.badge import BadgeDelegate
from ...widgets.tables import fit_when_filled, select_row
from .confirm import ask_rollback

if TYPE_CHECKING:
    from .view import TransactionsView


class UnfinishedPanel(QFrame):
    """A banner above the tabs while the journal holds transactions of this cluster that may still
    be open; its Commit and Roll back act on the selected ones."""

    def __init__(self, view: TransactionsView) -> None:
        super().__init__(view)
        self.view = view
        self.setObjectName("unfinishedPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.palette_changed()
        self.title = QLabel(self)
        self.title.setObjectName("unfinishedTitle")
        self.title.setWordWrap(True)
        self.model = UnfinishedModel(self)
        self.table = self._table()
        self.commit_button = QPushButton("Commit", self)
        self.commit_button.setObjectName("commitUnfinished")
        self.commit_button.clicked.connect(
            lambda: self.finish([u for u in self.selected() if u.action == "commit"], "commit")
        )
        self.rollback_button = QPushButton("Roll back", self)
        self.rollback_button.setObjectName("rollbackUnfinished")
        self.rollback_button.clicked.connect(lambda: self.confirm_rollback(self.selected()))
        self.hide_button = QPushButton("Hide", self)
        self.hide_button.setToolTip("They are offered again on the next start or refresh")
        self.hide_button.clicked.connect(self.hide)
        self.note = QLabel(self)
        self.note.setObjectName("unfinishedNote")
        self.note.setWordWrap(True)
        self.note.hide()
        buttons = QVBoxLayout()
        buttons.addWidget(self.commit_button)
        buttons.addWidget(self.rollback_button)
        buttons.addStretch(1)
        buttons.addWidget(self.hide_button)
        row = QHBoxLayout()
        row.addWidget(self.table, 1)
        row.addLayout(buttons)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.title)
        lay.addLayout(row)
        lay.addWidget(self.note)
        self.hide()
        self._buttons()

    def _table(self) -> QTableView:
        table = QTableView(self)
        table.setObjectName("unfinishedTable")
        table.setModel(self.model)
        table.setItemDelegateForColumn(2, BadgeDelegate(table))
        table.verticalHeader().setVisible(False)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        fit_when_filled(table)
        table.selectionModel().selectionChanged.connect(lambda *_: self._buttons())
        return table

    # -- the work ---------------------------------------------------------------------------------
    async def review(self, select: str = "") -> None:
        """Ask the cluster where each of the journal's open records stands, and offer what each
        needs (the Load tab's own transaction is not one of them)."""
        service = self.view.service
        if service is None:
            return
        self.set_items(await service.unfinished(skip=self.view.load_tab.open_labels()))
        if select:
            self.select_label(select)
        self.view.reload_history()

    def confirm_rollback(self, items: list[Unfinished]) -> None:
        # A state that could not be asked is tried too: the cluster refuses a rollback of what it
        # has already committed, and says so.
        items = [u for u in items if u.state in ("PREPARE", "PREPARED", "")]
        if not items:
            self.show_note("Nothing selected can be rolled back: select a running or prepared transaction.")
            return
        names = ", ".join(u.label for u in items[:5]) + ("…" if len(items) > 5 else "")
        ask_rollback(
            self.view,
            f"Roll back {plural(len(items), 'unfinished transaction')} ({names})? None of their rows "
            "will be loaded.",
            lambda: self.finish(items, "rollback"),
        )

    def finish(self, items: list[Unfinished], action: Literal["commit", "rollback"]) -> None:
        service = self.view.service
        if not items or service is None:
            return
        self.view.ctx.run(
            self._finish(service, items, action),
            key=f"{self.view.key}-finish",
            what=f"{action} of unfinished",
        )

    async def _finish(
        self, service: TransactionsService, items: list[Unfinished], action: Literal["commit", "rollback"]
    ) -> None:
        done = await service.finish(items, action)
        for _u, answer in done:
            self.view.load_tab.finished_elsewhere(answer)
        notes = "\n".join(f"{u.label}: {a.headline}" for u, a in done)
        self.show_note(notes, error=not all(a.ok for _u, a in done))
        await self.review()

    # -- the banner --------------------------------------------------------------------------------
    def palette_changed(self) -> None:
        self.setStyleSheet(banner_css("#unfinishedPanel", "warning"))

    def set_items(self, items: list[Unfinished]) -> None:
        self.model.set_rows(items)
        commit = sum(1 for u in items if u.action == "commit")
        rollback = sum(1 for u in items if u.action == "rollback")
        parts = []
        if commit:
            parts.append(f"{commit} prepared: commit makes their rows visible")
        if rollback:
            parts.append(f"{rollback} still running with no one sending: roll back to free them")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        if items:
            self.title.setText(
                f"<b>{plural(len(items), 'unfinished transaction')} from the journal</b> (an earlier "
                "session or a load that did not finish) — "
                + "; ".join(parts or ["their state is unknown"])
                + "."
            )
        else:
            self.title.setText("<b>No unfinished transaction is left in the journal.</b>")
        self.table.setVisible(bool(items))
        # As tall as its rows (up to three; more scroll), so the Load tab below keeps the room.
        shown = max(1, min(len(items), 3))
        self.table.setFixedHeight(
            self.table.horizontalHeader().sizeHint().height()
            + shown * self.table.verticalHeader().defaultSectionSize()
            + self.table.horizontalScrollBar().sizeHint().height()
            + 2 * self.table.frameWidth()
        )
        self.commit_button.setVisible(bool(items))
        self.rollback_button.setVisible(bool(items))
        # A settled list stays on screen while it has an outcome to tell.
        self.setVisible(bool(items) or (not self.isHidden() and bool(self.note.text())))
        if items and not self.selected():
            select_row(self.table, 0)
        self._buttons()

    def selected(self) -> list[Unfinished]:
        out: list[Unfinished] = []
        for idx in self.table.selectionModel().selectedRows():
            u = idx.data(Role.RECORD)
            if isinstance(u, Unfinished):
                out.append(u)
        return out

    def select_label(self, label: str) -> bool:
        for row, u in enumerate(self.model.rows):
            if u.label == label:
                select_row(self.table, row)
                return True
        return False

    def show_note(self, text: str, error: bool = False) -> None:
        set_tone(self.note, "error" if error else "ok")
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def _buttons(self) -> None:
        chosen = self.selected()
        self.commit_button.setEnabled(any(u.action == "commit" for u in chosen))
        self.rollback_button.setEnabled(any(u.state in ("PREPARE", "PREPARED") for u in chosen))
