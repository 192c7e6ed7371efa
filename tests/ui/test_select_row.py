"""A row the program selects is selected whatever keys the person holds: ``QTableView.selectRow``
acts as a click, so with Ctrl held it toggled a selected row off (the Unfinished panel's Delete then
found nothing selected and did nothing, in a run where an earlier test had left Ctrl down)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QTableView

from gui.ui.widgets.tables import select_row


def table() -> QTableView:
    model = QStandardItemModel(3, 2)
    for r in range(3):
        for c in range(2):
            model.setItem(r, c, QStandardItem(f"{r},{c}"))
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    return view


def rows(view: QTableView) -> list[int]:
    return sorted(i.row() for i in view.selectionModel().selectedRows())


def test_a_row_selected_by_the_program_stays_selected_with_ctrl_or_shift_held(qtbot: Any) -> None:
    view = table()
    qtbot.addWidget(view)
    view.show()
    for key, modifier in ((Qt.Key.Key_Control, Qt.KeyboardModifier.ControlModifier),
                          (Qt.Key.Key_Shift, Qt.KeyboardModifier.ShiftModifier)):  # fmt: skip
        QTest.keyPress(view, key, modifier)
        try:
            select_row(view, 0)
            select_row(view, 0)  # again, as a refresh does: still selected
            assert rows(view) == [0]
            select_row(view, 2)  # another: it alone
            assert rows(view) == [2] and view.currentIndex().row() == 2
        finally:
            QTest.keyRelease(view, key)
    select_row(view, 7)  # no such row: nothing changes
    assert rows(view) == [2]
