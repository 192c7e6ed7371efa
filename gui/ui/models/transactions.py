"""Table models of the Load transactions view: the journal's history, the unfinished transactions
it holds, the answers of the current transaction, and the cluster's running transactions.
No I/O: the view feeds them."""

from __future__ import annotations

import os
import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from ...services.journal import JournalEntry
from ...services.transactions import Answer, RunningTxn, Unfinished, human_bytes, human_seconds
from ..style import tone
from ..widgets.badge import status_color
from .table import Column, Index, RecordTableModel

# Badges: white text on a strong colour, the same in light and dark themes.
_SEVERITY = {"ok": QColor("#2e7d32"), "warning": QColor("#ef6c00"), "error": QColor("#c62828")}
# Journal steps in the words of the history table.
STEP_WORDS = {
    "started": "starting",
    "begun": "begun",
    "loading": "loading",
    "prepared": "prepared",
    "committing": "committing",
    "done": "done",
    "failed": "failed",
}
_STEP_BADGE = {
    "starting": "pending",
    "begun": "running",
    "loading": "running",
    "prepared": "prepared",
    "committing": "committed",
    "done": "succeeded",
    "failed": "failed",
}


def _clock(ts: float | None) -> str:
    """Date and time: a journal outlives the day it was written."""
    if not ts:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _files(entry: JournalEntry) -> str:
    names = [os.path.basename(p.strip()) for p in entry.file.split(";") if p.strip()]
    if len(names) > 2:
        return f"{names[0]}, {names[1]} +{len(names) - 2}"
    return ", ".join(names)


class HistoryModel(RecordTableModel[JournalEntry]):
    def __init__(self, parent: Any = None) -> None:
        step = lambda e: STEP_WORDS.get(e.step, e.step)  # noqa: E731
        super().__init__(
            [
                Column[JournalEntry]("Label", lambda e: e.label, tooltip=lambda e: e.label),
                Column[JournalEntry]("Table", lambda e: f"{e.db}.{e.table}"),
                Column[JournalEntry]("Files", _files, tooltip=lambda e: e.file.replace("; ", "\n")),
                Column[JournalEntry]("Step", step, badge=lambda e: status_color(_STEP_BADGE.get(step(e)))),
                Column[JournalEntry]("State", lambda e: e.state),
                Column[JournalEntry](
                    "Rows", lambda e: f"{e.rows_loaded:,}", sort=lambda e: e.rows_loaded, align_right=True
                ),
                Column[JournalEntry](
                    "Filtered",
                    lambda e: f"{e.rows_filtered:,}",
                    sort=lambda e: e.rows_filtered,
                    align_right=True,
                ),
                Column[JournalEntry](
                    "Sent", lambda e: human_bytes(e.bytes_done), sort=lambda e: e.bytes_done, align_right=True
                ),
                Column[JournalEntry](
                    "When",
                    lambda e: _clock(e.updated_at),
                    sort=lambda e: e.updated_at,
                    tooltip=lambda e: f"started {_clock(e.started_at)}, last step {_clock(e.updated_at)}",
                ),
                Column[JournalEntry]("Message", lambda e: e.message, tooltip=lambda e: e.message),
            ],
            key=lambda e: (e.fe_url, e.db, e.label),
            parent=parent,
        )


class UnfinishedModel(RecordTableModel[Unfinished]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column[Unfinished]("Label", lambda u: u.label, tooltip=lambda u: u.label),
                Column[Unfinished]("Table", lambda u: f"{u.entry.db}.{u.entry.table}"),
                Column[Unfinished](
                    "State",
                    lambda u: {"PREPARE": "running", "": "?"}.get(u.state, u.state.lower()),
                    badge=lambda u: status_color(u.state.lower() if u.state else "unknown"),
                ),
                Column[Unfinished](
                    "Rows",
                    lambda u: f"{u.entry.rows_loaded:,}",
                    sort=lambda u: u.entry.rows_loaded,
                    align_right=True,
                ),
                Column[Unfinished](
                    "Last step", lambda u: _clock(u.entry.updated_at), sort=lambda u: u.entry.updated_at
                ),
                Column[Unfinished](
                    "Offer", lambda u: {"commit": "Commit", "rollback": "Roll back"}.get(u.action, "")
                ),
                Column[Unfinished]("Note", lambda u: u.note, tooltip=lambda u: u.note),
            ],
            key=lambda u: (u.entry.fe_url, u.entry.db, u.entry.label),
            parent=parent,
        )


class AnswersModel(RecordTableModel[Answer]):
    """The answers of the current transaction, newest last."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column[Answer]("Time", lambda a: time.strftime("%H:%M:%S", time.localtime(a.at))),
                Column[Answer]("Step", lambda a: a.step, badge=lambda a: _SEVERITY.get(a.severity)),
                Column[Answer]("Answer", lambda a: a.headline, tooltip=lambda a: f"{a.headline}\n{a.detail}"),
            ],
            key=lambda a: id(a),
            parent=parent,
        )


class RunningModel(RecordTableModel[RunningTxn]):
    """Open transactions of a database; ``now`` is the FE's clock of the last refresh."""

    def __init__(self, parent: Any = None) -> None:
        self.now = time.time()
        super().__init__(
            [
                Column[RunningTxn]("Txn", lambda t: t.txn_id, sort=lambda t: t.txn_id, align_right=True),
                Column[RunningTxn]("Label", lambda t: t.label, tooltip=lambda t: t.label),
                Column[RunningTxn](
                    "State",
                    lambda t: "running" if t.state == "PREPARE" else t.state.lower(),
                    badge=lambda t: status_color("prepare" if t.state == "PREPARE" else t.state.lower()),
                ),
                Column[RunningTxn](
                    "Open for",
                    lambda t: _dur(t.age(self.now)),
                    sort=lambda t: t.age(self.now) or 0,
                    align_right=True,
                ),
                Column[RunningTxn](
                    "Idle",
                    lambda t: _dur(t.idle(self.now)),
                    sort=lambda t: t.idle(self.now) or 0,
                    align_right=True,
                ),
                Column[RunningTxn](
                    "Timeout in",
                    lambda t: _dur(t.timeout_in(self.now)),
                    sort=lambda t: t.timeout_in(self.now) or 1e12,
                    align_right=True,
                ),
                Column[RunningTxn](
                    "Rows (filtered)",
                    lambda t: (
                        "" if t.rows_loaded is None else f"{t.rows_loaded:,} ({t.rows_filtered or 0:,})"
                    ),
                    sort=lambda t: t.rows_loaded or 0,
                    align_right=True,
                ),
                Column[RunningTxn]("BE", _where, tooltip=_where),
                Column[RunningTxn]("Finding", _finding, tooltip=lambda t: _finding(t).replace("; ", "\n")),
            ],
            key=lambda t: t.key,
            parent=parent,
        )

    COL_FINDING = 8

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and index.isValid()
            and index.column() == self.COL_FINDING
            and self.record(index.row()).stuck
        ):
            return tone("error")
        return super().data(index, role)


def _finding(t: RunningTxn) -> str:
    parts = ([f"rollback: {t.rollback}"] if t.rollback else []) + t.findings
    return "; ".join(parts) or "ok"


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return "passed" if seconds < 0 else human_seconds(seconds)


def _where(t: RunningTxn) -> str:
    if t.on_be is None:
        return "?"
    if not t.on_be:
        return "not on any BE"
    return t.be + (" (busy)" if t.in_processing else "")
