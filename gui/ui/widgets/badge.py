"""Status badges: a coloured rounded label for states like creating, normal, failed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from ..models.table import Role

# One palette for every state word the services use, so a state looks the same everywhere.
STATUS_COLORS: dict[str, QColor] = {
    # good
    "normal": QColor("#2e7d32"),
    "active": QColor("#2e7d32"),
    "succeeded": QColor("#2e7d32"),
    "completed": QColor("#2e7d32"),
    "visible": QColor("#2e7d32"),
    "ok": QColor("#2e7d32"),
    # moving
    "creating": QColor("#1565c0"),
    "running": QColor("#1565c0"),
    "pending": QColor("#6a1b9a"),
    "prepare": QColor("#1565c0"),
    "prepared": QColor("#6a1b9a"),
    "committed": QColor("#1565c0"),
    "rebooting": QColor("#1565c0"),
    "resizing": QColor("#1565c0"),
    "deleting": QColor("#ef6c00"),
    "busy": QColor("#ef6c00"),
    # bad
    "abnormal": QColor("#c62828"),
    "createfail": QColor("#c62828"),
    "failed": QColor("#c62828"),
    "aborted": QColor("#c62828"),
    "error": QColor("#c62828"),
    "cancelled": QColor("#616161"),
    "interrupted": QColor("#ef6c00"),
    "unknown": QColor("#616161"),
}


PADDING = 16  # the badge's width beyond its text


def status_color(state: str | None) -> QColor | None:
    return STATUS_COLORS.get((state or "").lower())


class BadgeDelegate(QStyledItemDelegate):
    """Paints a column whose model gives a Role.BADGE colour as a rounded badge with the text."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        color = index.data(Role.BADGE)
        if not isinstance(color, QColor):
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        rect: Any = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = option.fontMetrics
        width = min(rect.width() - 8, metrics.horizontalAdvance(text) + PADDING)
        # Too narrow a column shows "FINIS…", not a word cut mid-letter that reads as another state.
        text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, width - PADDING // 2))
        badge = QRectF(rect.x() + 4, rect.y() + 3, width, rect.height() - 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(badge, badge.height() / 2, badge.height() / 2)
        painter.setPen(QColor("white"))
        painter.drawText(badge, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        # Room for the badge's padding and margins, so that a column fitted to its contents shows the
        # whole word (the plain text's hint is 16 px short of it).
        hint = super().sizeHint(option, index)
        if isinstance(index.data(Role.BADGE), QColor):
            self.initStyleOption(option, index)
            text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
            hint.setWidth(max(hint.width(), option.fontMetrics.horizontalAdvance(text) + PADDING + 8))
        return hint
