"""The Activity panel: every long job (a load, an instance being created, a pipe-table operation)
with a progress bar, its elapsed time, a Cancel button, and its final result or error."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QMouseEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyleOptionButton,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .models.table import Column, RecordFilterProxy, RecordTableModel, Role
from .widgets.badge import STATUS_COLORS, BadgeDelegate

_ids = itertools.count(1)

RUNNING, SUCCEEDED, FAILED, CANCELLED = "running", "succeeded", "failed", "cancelled"
# The console stopped following a job without learning how it ended (the job goes on).
INTERRUPTED = "interrupted"


@dataclass(eq=False)
class ActivityEntry:
    title: str
    kind: str = ""
    id: int = field(default_factory=lambda: next(_ids))
    state: str = RUNNING
    progress: float | None = None  # 0..1, None while the size of the work is unknown
    detail: str = ""  # the current step, e.g. "chunk 3 of 8, 42 MiB/s"
    result: str = ""
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    cancel: Callable[[], None] | None = None
    raw: Any = None  # the full answer or error, for the details dialog
    _model: ActivityModel | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def update(self, progress: float | None = None, detail: str | None = None) -> None:
        if progress is not None:
            self.progress = max(0.0, min(1.0, progress))
        if detail is not None:
            self.detail = detail
        self._changed()

    def succeed(self, result: str = "done", raw: Any = None) -> None:
        self._end(SUCCEEDED, result, raw)
        self.progress = 1.0

    def fail(self, error: str, raw: Any = None) -> None:
        self._end(FAILED, error, raw)

    def cancelled(self, note: str = "cancelled") -> None:
        self._end(CANCELLED, note, None)

    def interrupted(self, note: str, raw: Any = None) -> None:
        self._end(INTERRUPTED, note, raw)

    def _end(self, state: str, result: str, raw: Any) -> None:
        if not self.running:
            return
        self.state, self.result, self.finished = state, result, time.monotonic()
        if raw is not None:
            self.raw = raw
        self.cancel = None
        self._changed()

    def _changed(self) -> None:
        if self._model is not None:
            self._model.upsert(self)
            self._model.entry_changed.emit(self)


def _elapsed(e: ActivityEntry) -> str:
    s = int(e.elapsed)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class ActivityModel(RecordTableModel[ActivityEntry]):
    entry_changed = Signal(object)
    entry_started = Signal(object)
    COL_PROGRESS = 2
    COL_CANCEL = 5

    def __init__(self, parent: Any = None) -> None:
        columns = [
            Column[ActivityEntry]("Job", lambda e: e.title),
            Column[ActivityEntry]("State", lambda e: e.state, badge=lambda e: STATUS_COLORS.get(e.state)),
            Column[ActivityEntry](
                "Progress",
                lambda e: "" if e.progress is None else f"{e.progress:.0%}",
                sort=lambda e: e.progress or 0.0,
            ),
            Column[ActivityEntry]("Elapsed", _elapsed, sort=lambda e: e.elapsed, align_right=True),
            Column[ActivityEntry](
                "Result", lambda e: e.result or e.detail, tooltip=lambda e: e.result or e.detail
            ),
            Column[ActivityEntry]("", lambda e: "Cancel" if e.running and e.cancel else ""),
        ]
        super().__init__(columns, key=lambda e: e.id, parent=parent)

    def start(
        self,
        title: str,
        kind: str = "",
        cancel: Callable[[], None] | None = None,
        since: float | None = None,
    ) -> ActivityEntry:
        """A running entry; ``since`` (a ``time.time()``) for a job that began before this console
        did, so its elapsed time counts from then."""
        entry = ActivityEntry(title=title, kind=kind, cancel=cancel)
        if since is not None:
            entry.started = time.monotonic() - max(0.0, time.time() - since)
        entry._model = self
        self.upsert(entry)
        self.entry_changed.emit(entry)
        self.entry_started.emit(entry)
        return entry

    def running(self) -> list[ActivityEntry]:
        return [e for e in self.rows if e.running]

    def tick(self) -> None:
        """Elapsed times of running jobs move."""
        col = self.columns.index(next(c for c in self.columns if c.title == "Elapsed"))
        for i, e in enumerate(self.rows):
            if e.running:
                idx = self.index(i, col)
                self.dataChanged.emit(idx, idx)


class _ActivityDelegate(BadgeDelegate):
    """Draws the progress column as a progress bar and the last column as a Cancel button."""

    cancel_clicked = Signal(object)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        entry = index.data(Role.RECORD)
        style = QApplication.style()
        if index.column() == ActivityModel.COL_PROGRESS and isinstance(entry, ActivityEntry):
            if entry.progress is None and not entry.running:
                return  # a job that ended without a measure of its progress shows none
            bar = QStyleOptionProgressBar()
            bar.rect = option.rect.adjusted(2, 3, -2, -3)
            bar.minimum, bar.maximum = 0, 0 if entry.progress is None and entry.running else 1000
            done = 1.0 if not entry.running else 0.0
            bar.progress = int((done if entry.progress is None else entry.progress) * 1000)
            bar.text = "" if entry.progress is None else f"{entry.progress:.0%}"
            bar.textVisible = entry.progress is not None
            # Qt 6 draws a progress bar horizontally only when told so through the state.
            bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
            style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
            return
        if index.column() == ActivityModel.COL_CANCEL and isinstance(entry, ActivityEntry):
            if entry.running and entry.cancel is not None:
                button = QStyleOptionButton()
                button.rect = QRect(option.rect.adjusted(2, 2, -2, -2))
                button.text = "Cancel"
                button.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Raised
                style.drawControl(QStyle.ControlElement.CE_PushButton, button, painter)
            return
        super().paint(painter, option, index)

    def editorEvent(
        self,
        event: QEvent,
        model: Any,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        if (
            index.column() == ActivityModel.COL_CANCEL
            and event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
        ):
            entry = index.data(Role.RECORD)
            if isinstance(entry, ActivityEntry) and entry.running and entry.cancel is not None:
                self.cancel_clicked.emit(entry)
                return True
        return super().editorEvent(event, model, option, index)


class ActivityPanel(QWidget):
    """The dock's content: the jobs table and a line that counts what runs."""

    details_requested = Signal(object)

    def __init__(self, model: ActivityModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = RecordFilterProxy(model, self)
        self.view = QTableView(self)
        self.view.setObjectName("activityTable")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.setAlternatingRowColors(True)
        self.delegate = _ActivityDelegate(self.view)
        self.view.setItemDelegate(self.delegate)
        self.delegate.cancel_clicked.connect(self.cancel)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.view.setColumnWidth(0, 300)
        self.view.setColumnWidth(1, 90)
        self.view.setColumnWidth(2, 140)
        self.view.setColumnWidth(3, 70)
        self.view.setColumnWidth(5, 80)
        self.view.doubleClicked.connect(self._open)
        self.summary = QLabel("No jobs yet", self)
        self.clear_button = QPushButton("Clear finished", self)
        self.clear_button.clicked.connect(self.clear_finished)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.view)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        model.entry_changed.connect(self._changed)
        model.entry_started.connect(self.show_entry)

    def cancel(self, entry: ActivityEntry) -> None:
        if entry.running and entry.cancel is not None:
            entry.detail = "cancelling…"
            entry.cancel()
            entry._changed()

    def show_entry(self, entry: ActivityEntry) -> None:
        """Scroll a job into sight (a new one starts at the end of a long list)."""
        row = self.model.row_of(entry.id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.view.scrollTo(index)

    def clear_finished(self) -> None:
        self.model.set_rows([e for e in self.model.rows if e.running])
        self._changed(None)

    def _tick(self) -> None:
        self.model.tick()

    def _open(self, index: QModelIndex) -> None:
        entry = index.data(Role.RECORD)
        if entry is not None:
            self.details_requested.emit(entry)

    def _changed(self, _entry: object) -> None:
        running = len(self.model.running())
        total = self.model.rowCount()
        if total == 0:
            self.summary.setText("No jobs yet")
        else:
            self.summary.setText(f"{running} running, {total - running} finished")
