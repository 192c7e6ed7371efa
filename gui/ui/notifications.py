"""Notifications: what went wrong in work the user did not start (refreshes, polls, followers).

Such work never opens a dialog. Its view shows its state inline; here each failing source is one row —
however often it fails — with when it started failing, when it last failed, how many times, and, once
it works again, when it recovered. The list lives in a tab of the Activity panel and the status bar
counts what is still failing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..api import errors
from .models.table import Column, RecordTableModel
from .widgets.badge import STATUS_COLORS

log = logging.getLogger("starrocks_console.ui")


def clock(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t))


def when(t: float, now: float | None = None) -> str:
    """A time of day, with the date when it is not today."""
    now = time.time() if now is None else now
    day = time.strftime("%Y-%m-%d", time.localtime(t))
    if day == time.strftime("%Y-%m-%d", time.localtime(now)):
        return clock(t)
    return f"{day} {clock(t)}"


class _Told(Exception):
    """A message to tell as it is."""


def failure_kind(exc: BaseException) -> str:
    """What a failure means for the data on screen, in two or three words."""
    if isinstance(exc, errors.ConnectionFailed):
        return "unreachable"
    if isinstance(exc, errors.AuthError):
        return "credentials refused"
    if isinstance(exc, errors.ServerError):
        return "the service fails"
    if isinstance(exc, _Told):
        return "found"
    return "failing"


def failure_detail(exc: BaseException) -> str:
    """The failure's own words (no traceback, no secrets: messages carry none)."""
    if isinstance(exc, errors.ApiError):
        return exc.message
    if isinstance(exc, _Told):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def describe_failure(exc: BaseException) -> str:
    """One line about a failure, for a person."""
    if isinstance(exc, _Told):
        return str(exc)
    return f"{failure_kind(exc)}: {failure_detail(exc)}"


@dataclass(eq=False)
class Notice:
    key: Hashable
    source: str  # where: "Dashboard — prod cluster"
    what: str  # the work: "refreshing the dashboard"
    message: str
    count: int = 1
    first: float = field(default_factory=time.time)
    last: float = field(default_factory=time.time)
    recovered: float | None = None
    told: bool = False  # a finding to read (a damaged file set aside), not a failure that retries

    @property
    def active(self) -> bool:
        return self.recovered is None and not self.told

    def state(self) -> str:
        if self.told:
            return "to read"
        return "failing" if self.active else "recovered"


class NotificationsModel(RecordTableModel[Notice]):
    changed = Signal()

    def __init__(self, parent: Any = None) -> None:
        columns = [
            Column[Notice](
                "State",
                lambda n: n.state(),
                badge=lambda n: STATUS_COLORS["busy" if n.told else "failed" if n.active else "ok"],
            ),
            Column[Notice]("Where", lambda n: n.source, tooltip=lambda n: n.what),
            Column[Notice](
                "Since",
                lambda n: when(n.first),
                sort=lambda n: n.first,
                tooltip=lambda n: f"last failed at {when(n.last)}",
            ),
            Column[Notice]("Times", lambda n: n.count, align_right=True, sort=lambda n: n.count),
            Column[Notice](
                "What happened",
                lambda n: (
                    n.message + (f" — recovered at {when(n.recovered)}" if n.recovered is not None else "")
                ),
                tooltip=lambda n: n.message,
            ),
        ]
        super().__init__(columns, key=lambda n: n.key, parent=parent)

    def report(self, key: Hashable, source: str, what: str, exc: BaseException) -> Notice:
        """A failure of background work: a new row, or the same row counted again."""
        message = describe_failure(exc)
        row = self.row_of(key)
        now = time.time()
        if row is not None and self.record(row).active:
            notice = self.record(row)
            notice.count += 1
            notice.last = now
            notice.message = message
        else:
            notice = Notice(key, source, what, message, first=now, last=now)
            log.warning("%s: %s failed: %s", source, what, message)
        notice.source = source
        self.upsert(notice)
        self.changed.emit()
        return notice

    def tell(self, key: Hashable, source: str, what: str, message: str) -> Notice:
        """Something found in the background that needs no retry but should be known (a damaged file
        set aside): one row, counted like a failure."""
        notice = self.report(key, source, what, _Told(message))
        notice.told = True
        self.upsert(notice)
        self.changed.emit()
        return notice

    def resolve(self, key: Hashable) -> None:
        """The source works again: its row says since when."""
        row = self.row_of(key)
        if row is None:
            return
        notice = self.record(row)
        if notice.active:
            notice.recovered = time.time()
            self.upsert(notice)
            self.changed.emit()

    def active(self) -> list[Notice]:
        return [n for n in self.rows if n.active]

    def clear_recovered(self) -> None:
        """Recoveries and findings go; what still fails stays."""
        self.set_rows(self.active())
        self.changed.emit()
        self.changed.emit()


class NotificationsPanel(QWidget):
    def __init__(self, model: NotificationsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notificationsPanel")
        self.model = model
        self.view = QTableView(self)
        self.view.setObjectName("notificationsTable")
        self.view.setModel(model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        from .widgets.badge import BadgeDelegate

        self.view.setItemDelegateForColumn(0, BadgeDelegate(self.view))
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((90, 220, 90, 55)):
            self.view.setColumnWidth(col, width)
        self.summary = QLabel(self)
        self.clear_button = QPushButton("Clear all but failing", self)
        self.clear_button.clicked.connect(model.clear_recovered)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.clear_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.view)
        model.changed.connect(self._changed)
        self._changed()

    def _changed(self) -> None:
        failing = len(self.model.active())
        total = self.model.rowCount()
        if total == 0:
            self.summary.setText("Nothing went wrong in the background.")
        elif failing:
            self.summary.setText(
                f"{failing} still failing, {total - failing} recovered — background refreshes and "
                "polls keep retrying on their own"
            )
        else:
            self.summary.setText(f"All {total} recovered.")
