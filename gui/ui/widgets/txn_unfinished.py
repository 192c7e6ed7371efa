"""Unfinished transactions found in the journal (a console or `load` run that ended before its
transaction did): prepared ones are offered for commit, running ones for rollback."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...services.transactions import Unfinished
from ...services.words import plural
from ..models.table import Role
from ..models.transactions import UnfinishedModel
from ..style import banner_css, set_tone
from .badge import BadgeDelegate
from .tables import fit_when_filled


class UnfinishedPanel(QFrame):
    commit_requested = Signal(list)
    rollback_requested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unfinishedPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.palette_changed()
        self.title = QLabel(self)
        self.title.setObjectName("unfinishedTitle")
        self.title.setWordWrap(True)
        self.model = UnfinishedModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("unfinishedTable")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(2, BadgeDelegate(self.table))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        fit_when_filled(self.table)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._buttons())
        self.commit_button = QPushButton("Commit", self)
        self.commit_button.setObjectName("commitUnfinished")
        self.commit_button.clicked.connect(
            lambda: self.commit_requested.emit([u for u in self.selected() if u.action == "commit"])
        )
        self.rollback_button = QPushButton("Roll back", self)
        self.rollback_button.setObjectName("rollbackUnfinished")
        self.rollback_button.clicked.connect(
            lambda: self.rollback_requested.emit(
                [u for u in self.selected() if u.state in ("PREPARE", "PREPARED")]
            )
        )
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
            self.table.selectRow(0)
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
                self.table.selectRow(row)
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
