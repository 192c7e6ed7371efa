"""The SQL console's history pane: the statements run, newest first, searched as one types, of this
profile or of every one; a double-click puts one back in the editor."""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ....services.sql.history import HistoryEntry
from ...widgets.sql_editor import SqlEditor

HISTORY_SHOWN = 1000


class HistoryPane(QWidget):
    asked = Signal()  # the search text or the "All profiles" box changed: the list is to be filled again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setObjectName("historySearch")
        self.search.setPlaceholderText("Search the history…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self.asked.emit())
        self.all_profiles = QCheckBox("All profiles", self)
        self.all_profiles.setToolTip("Show the statements run on every profile, not only this one")
        self.all_profiles.toggled.connect(lambda _on: self.asked.emit())
        self.list = QListWidget(self)
        self.list.setObjectName("historyList")
        self.list.setToolTip("Double-click a statement to put it in the editor")
        self.list.setUniformItemSizes(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("Query history", self))
        lay.addWidget(self.search)
        lay.addWidget(self.all_profiles)
        lay.addWidget(self.list, 1)

    def fill(self, entries: Sequence[HistoryEntry]) -> None:
        self.list.clear()
        for e in entries[:HISTORY_SHOWN]:
            first = " ".join(e.statement.split())
            item = QListWidgetItem(first[:160] + ("…" if len(first) > 160 else ""))
            item.setData(Qt.ItemDataRole.UserRole, e.statement)
            rows = "" if e.rows is None else f" · {e.rows:,} rows"
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.started_at))
            tip = f"{when} · {e.profile} · {e.outcome}{rows} · {e.duration:.2f} s"
            if e.message:
                tip += f"\n{e.message[:300]}"
            item.setToolTip(f"{tip}\n\n{e.statement[:2000]}")
            self.list.addItem(item)


def put_at_end(editor: SqlEditor, statement: str) -> None:
    """Append a statement to the editor's text, selected (nothing of the text is lost)."""
    if not statement.endswith(";"):
        statement += ";"
    text = editor.toPlainText()
    sep = "" if not text.strip() else ("\n" if text.endswith("\n") else "\n\n")
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    cursor.insertText(sep)
    start = cursor.position()
    cursor.insertText(statement)
    cursor.setPosition(start)
    cursor.setPosition(start + len(statement), cursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    editor.setFocus()
