"""The SQL console's tool row: the database the statements run in, Run, Run all, Cancel, Explain (and
its levels), Export (a format a menu entry) and the History toggle. It says what was asked; the view
decides what happens."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QMenu, QPushButton, QToolButton, QWidget

from ....services.sql.export import Format

EXPORTS: tuple[tuple[Format, str, str], ...] = (
    ("csv", "CSV…", "CSV files (*.csv)"),
    ("tsv", "TSV…", "TSV files (*.tsv)"),
    ("jsonl", "JSON lines…", "JSON lines (*.jsonl)"),
)


class SqlToolbar(QWidget):
    run_requested = Signal(str)  # the scope: "selection-or-statement" or "all"
    explain_requested = Signal(str)  # the level: "", "COSTS" or "VERBOSE"
    cancel_requested = Signal()
    export_requested = Signal(str, str)  # the format and the file dialog's pattern
    database_changed = Signal(str)  # picked by the person, or followed after a USE ("" for none)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = QComboBox(self)
        self.database.setObjectName("sqlDatabase")
        self.database.setMinimumContentsLength(10)
        self.database.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.database.setToolTip("The database the statements run in (USE changes it too)")
        self.database.currentIndexChanged.connect(
            lambda _i: self.database_changed.emit(self.current_database())
        )
        self.run_button = QPushButton("Run", self)
        self.run_button.setToolTip("Run the selection, or the statement under the cursor (Ctrl+Enter)")
        self.run_button.clicked.connect(lambda: self.run_requested.emit("selection-or-statement"))
        self.run_all_button = QPushButton("Run all", self)
        self.run_all_button.setToolTip(
            "Run every statement of the editor (Ctrl+Shift+Enter runs the selection's)"
        )
        self.run_all_button.clicked.connect(lambda: self.run_requested.emit("all"))
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the running statement: KILL QUERY on the server (Esc)")
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit())
        self.explain_button = self._explain_button()
        self.export_button = self._export_button()
        self.history_button = QToolButton(self)
        self.history_button.setText("History")
        self.history_button.setCheckable(True)
        self.history_button.setChecked(True)
        tools = QHBoxLayout(self)
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.database)
        for w in (self.run_button, self.run_all_button, self.cancel_button, self.explain_button):
            tools.addWidget(w)
        tools.addStretch(1)
        tools.addWidget(self.export_button)
        tools.addWidget(self.history_button)

    def _explain_button(self) -> QToolButton:
        button = QToolButton(self)
        button.setText("Explain")
        button.setToolTip("EXPLAIN the statement under the cursor (the menu: EXPLAIN COSTS)")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        button.clicked.connect(lambda: self.explain_requested.emit(""))
        menu = QMenu(button)
        self.costs_action = menu.addAction("Explain costs", lambda: self.explain_requested.emit("COSTS"))
        menu.addAction("Explain verbose", lambda: self.explain_requested.emit("VERBOSE"))
        button.setMenu(menu)
        return button

    def _export_button(self) -> QToolButton:
        button = QToolButton(self)
        button.setText("Export")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        for fmt, label, pattern in EXPORTS:
            menu.addAction(label, partial(self._export, fmt, pattern))
        button.setMenu(menu)
        button.setToolTip("Save the result on screen, as read from the cluster")
        return button

    def _export(self, fmt: Format, pattern: str) -> None:
        self.export_requested.emit(fmt, pattern)

    def set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        for w in (self.run_button, self.run_all_button, self.explain_button):
            w.setEnabled(not running)

    # -- the database ------------------------------------------------------------------------------
    def current_database(self) -> str:
        data = self.database.currentData()
        return str(data) if data else ""

    def clear_databases(self) -> None:
        self.database.blockSignals(True)
        self.database.clear()
        self.database.blockSignals(False)

    def fill_databases(self, names: Sequence[str], keep: str) -> None:
        """The cluster's databases, ``keep`` still picked when it is one of them (silently: nothing
        was picked by the person)."""
        self.database.blockSignals(True)
        self.database.clear()
        self.database.addItem("(none)", "")
        for name in names:
            self.database.addItem(name, name)
        found = self.database.findData(keep) if keep else 0
        self.database.setCurrentIndex(max(0, found))
        self.database.blockSignals(False)

    def follow(self, db: str) -> None:
        """A USE ran: the selector shows its database (added when the list did not have it yet)."""
        index = self.database.findData(db) if db else 0
        if index < 0:
            self.database.blockSignals(True)
            self.database.addItem(db, db)
            self.database.blockSignals(False)
            index = self.database.count() - 1
        self.database.setCurrentIndex(index)
