"""Where a load goes: the cluster, its database and table, and Refresh."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from ....services.profiles import Profile

PICK = "Pick a StarRocks cluster in Connections."


class TargetBar(QWidget):
    """Emits ``db_changed`` and ``table_changed`` when the user picks another one (not when the
    lists are filled again and the choice stays)."""

    db_changed = Signal(str)
    table_changed = Signal(str)
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("txnTarget")
        self._wanted: dict[str, str] = {}  # db/table to select once listed (restored state)
        self.where = QLabel(PICK, self)
        self.where.setObjectName("txnWhere")
        self.where.setWordWrap(True)
        self.db_combo = self._combo("dbCombo")
        self.db_combo.currentTextChanged.connect(self.db_changed.emit)
        self.table_combo = self._combo("tableCombo")
        self.table_combo.currentTextChanged.connect(self.table_changed.emit)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("F5")
        self.refresh_button.clicked.connect(self.refresh_requested.emit)
        head = QHBoxLayout(self)
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(QLabel("Database", self))
        head.addWidget(self.db_combo)
        head.addWidget(QLabel("Table", self))
        head.addWidget(self.table_combo)
        head.addWidget(self.refresh_button)
        head.addWidget(self.where, 1)

    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setMinimumContentsLength(14)
        return combo

    def db(self) -> str:
        return self.db_combo.currentText()

    def table(self) -> str:
        return self.table_combo.currentText()

    def want(self, db: str, table: str) -> None:
        """Select these once they are listed (the choice of the last run)."""
        for key, value in (("db", db), ("table", table)):
            if value:
                self._wanted[key] = value

    def set_databases(self, names: list[str]) -> None:
        """The cluster's databases; the current one (or the wanted one) stays chosen."""
        self._fill(self.db_combo, names, "db")

    def set_tables(self, tables: list[str]) -> None:
        self._fill(self.table_combo, tables, "table")

    def _fill(self, combo: QComboBox, names: list[str], key: str) -> None:
        current = combo.currentText() or self._wanted.pop(key, "")
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(names)
        if current in names:
            combo.setCurrentText(current)
        combo.blockSignals(False)

    def describe(self, profile: Profile | None) -> None:
        if profile is None:
            self.where.setText(PICK)
        else:
            self.where.setText(f"<b>{html.escape(profile.name)}</b> — {html.escape(profile.url)}")

    def set_locked(self, locked: bool) -> None:
        """While a transaction is open or a step runs, it stays where it is."""
        self.db_combo.setEnabled(not locked)
        self.table_combo.setEnabled(not locked)

    def clear(self) -> None:
        for combo in (self.db_combo, self.table_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.blockSignals(False)
