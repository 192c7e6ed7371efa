"""The SQL console's results: a tab of messages (a line per statement, the server's text when it
failed) and a grid per result set with its figures, the row cap at the corner of the tabs; and the
sink that streams a run's results into them."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QTabWidget, QTextEdit, QWidget

from ....api.starrocks import Column
from ....services.sql.runner import Sink, StatementOutcome
from ...style import span
from ...widgets.result_grid import ResultGrid
from .lines import figures, summary

DEFAULT_ROW_CAP = 100_000


class ResultsPanel(QTabWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sqlResults")
        self.setDocumentMode(True)
        self.grids: list[tuple[ResultGrid, StatementOutcome]] = []
        self.messages = QTextEdit(self)
        self.messages.setObjectName("sqlMessages")
        self.messages.setReadOnly(True)
        self.addTab(self.messages, "Messages")
        self.row_cap = QSpinBox(self)
        self.row_cap.setObjectName("rowCap")
        self.row_cap.setRange(0, 100_000_000)
        self.row_cap.setSingleStep(10_000)
        self.row_cap.setGroupSeparatorShown(True)
        self.row_cap.setSpecialValueText("no cap")
        self.row_cap.setValue(DEFAULT_ROW_CAP)
        self.row_cap.setToolTip("Rows read of a result at most; the rest is not fetched (0: no cap)")
        # The row cap is about the results: it sits at the corner of their tabs.
        corner = QWidget(self)
        clay = QHBoxLayout(corner)
        clay.setContentsMargins(4, 0, 0, 2)
        clay.addWidget(QLabel("Row cap", corner))
        clay.addWidget(self.row_cap)
        self.setCornerWidget(corner, Qt.Corner.TopRightCorner)

    def cap(self) -> int | None:
        """The rows to read of a result at most (None: all of them)."""
        return self.row_cap.value() or None

    def clear_results(self) -> None:
        """A new run: the grids of the last one go, and its messages."""
        for grid, _outcome in self.grids:
            grid.feed.stop()
            self.removeTab(self.indexOf(grid))
            grid.deleteLater()
        self.grids = []
        self.messages.clear()

    def add_grid(self, outcome: StatementOutcome, columns: list[Column]) -> ResultGrid:
        grid = ResultGrid(self)
        grid.model.set_columns([c.name for c in columns], [c.type for c in columns])
        grid.figures.setText("running…")
        grid.running = True

        def flushed() -> None:
            if grid.running:
                grid.figures.setText(figures(outcome, running=True))

        grid.after_flush = flushed
        self.grids.append((grid, outcome))
        title = f"Result {outcome.index + 1}"
        self.addTab(grid, title)
        self.setTabToolTip(self.indexOf(grid), outcome.text[:500])
        if len(self.grids) == 1:
            self.setCurrentWidget(grid)
        return grid

    def say(self, outcome: StatementOutcome) -> None:
        """A statement's line in the messages (the server's text when it failed)."""
        line = summary(outcome)
        if outcome.status in ("error", "refused"):
            self.messages.append(span(line, "error"))
        elif outcome.status == "cancelled":
            self.messages.append(span(line, "warning"))
        elif outcome.status == "skipped":
            self.messages.append(span(line, "muted"))
        else:
            self.messages.append(html.escape(line))
        for note in outcome.notes:
            self.messages.append(span(f"    note: {note}", "muted"))

    def note(self, text: str, tone: Any = "info") -> None:
        """A line of the console's own in the messages, brought on screen."""
        self.messages.append(span(text, tone))
        self.setCurrentWidget(self.messages)

    def show_messages(self) -> None:
        self.setCurrentWidget(self.messages)

    def show_last_grid(self) -> None:
        if self.grids:
            self.setCurrentWidget(self.grids[-1][0])

    def message_text(self) -> str:
        return self.messages.toPlainText()

    def current_grid(self) -> ResultGrid | None:
        """The grid on screen, or the last one when the messages are."""
        shown = self.currentWidget()
        if isinstance(shown, ResultGrid):
            return shown
        return self.grids[-1][0] if self.grids else None


class GridSink(Sink):
    """A run's results into the panel: a grid per result set, a line per statement; ``status`` hears
    which statement is running."""

    def __init__(self, panel: ResultsPanel, status: Callable[[str], None]) -> None:
        self.panel = panel
        self.status = status
        self.grids: dict[int, ResultGrid] = {}

    def begin(self, outcome: StatementOutcome) -> None:
        self.status(f"running statement {outcome.index + 1}…")

    def columns(self, outcome: StatementOutcome, columns: list[Column]) -> None:
        self.grids[outcome.index] = self.panel.add_grid(outcome, columns)

    def rows(self, outcome: StatementOutcome, rows: list[tuple[Any, ...]]) -> None:
        self.grids[outcome.index].feed.add(rows)

    def end(self, outcome: StatementOutcome) -> None:
        grid = self.grids.get(outcome.index)
        if grid is not None:
            grid.feed.flush()
            grid.model.show_all()
            grid.running = False
            grid.figures.setText(figures(outcome))
        self.panel.say(outcome)
