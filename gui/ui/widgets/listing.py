"""Pieces the list views share: rows whose status badge sits on the row's selection, toolbar buttons
that keep their own tooltip for when no reason replaces it, and key/value pairs as a compact table."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QApplication, QPushButton, QStyle, QStyleOptionViewItem, QWidget

from ..models.table import Role
from .badge import BadgeDelegate

ROW_HEIGHT = 24


class RowDelegate(BadgeDelegate):
    """Rows tall enough for a status badge to read as one, the badge on the row's selection."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        if isinstance(index.data(Role.BADGE), QColor):
            # The badge is drawn over the cell, so the selected row's highlight goes under it first.
            background = QStyleOptionViewItem(option)
            self.initStyleOption(background, index)
            background.text = ""
            widget = background.widget
            style = widget.style() if widget is not None else QApplication.style()
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, background, painter, widget)
        super().paint(painter, option, index)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), ROW_HEIGHT))


def toolbar_button(parent: QWidget, text: str, name: str, tip: str, slot: Callable[[], None]) -> QPushButton:
    """A button with its own tooltip kept (as the ``tip`` property) for when no reason replaces it."""
    b = QPushButton(text, parent)
    b.setObjectName(name)
    b.setToolTip(tip)
    b.setProperty("tip", tip)
    b.clicked.connect(lambda _c=False: slot())
    return b


def explain(button: QPushButton, enabled: bool, reason: str = "") -> None:
    """Enable a toolbar button or not; a disabled one says why in its tooltip (Qt shows the tooltips
    of disabled buttons), else its own tooltip is back."""
    button.setEnabled(enabled)
    button.setToolTip(reason if reason and not enabled else str(button.property("tip") or ""))


def pairs_html(pairs: list[tuple[str, str]], columns: int = 2) -> str:
    """Key/value pairs as a compact table of ``columns`` pairs per line."""
    cells = [
        f"<td style='color:palette(placeholder-text); padding-right:6px'>{html.escape(k)}</td>"
        f"<td style='padding-right:18px'>{html.escape(v) if v else '–'}</td>"
        for k, v in pairs
    ]
    lines = ["".join(cells[i : i + columns]) for i in range(0, len(cells), columns)]
    return "<table cellspacing='2'>" + "".join(f"<tr>{line}</tr>" for line in lines) + "</table>"
