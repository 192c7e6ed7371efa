"""Exports of what a view shows: a table model as CSV (the text of its cells, as on screen) and a
widget as PNG; and the save dialog that asks where (opened, never run in a nested loop)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QFileDialog, QWidget


def model_csv(model: QAbstractItemModel, path: str | Path) -> int:
    """Write the model's rows (as shown, header first) to ``path``; returns the rows written."""
    columns = model.columnCount()
    rows = model.rowCount()
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            [
                str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
                for c in range(columns)
            ]
        )
        for r in range(rows):
            out.writerow(
                [str(model.index(r, c).data(Qt.ItemDataRole.DisplayRole) or "") for c in range(columns)]
            )
    return rows


def widget_png(widget: QWidget, path: str | Path) -> bool:
    return bool(widget.grab().save(str(path), "PNG"))


def ask_save_path(
    parent: QWidget, title: str, suggested: str, pattern: str, then: Callable[[str], object]
) -> QFileDialog:
    """A save dialog (opened, not exec'd); ``then(path)`` when the user picks a file."""
    dialog = QFileDialog(parent, title, suggested, pattern)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix(pattern.rsplit("*.", 1)[-1].rstrip(")"))
    dialog.fileSelected.connect(then)
    dialog.open()
    return dialog
