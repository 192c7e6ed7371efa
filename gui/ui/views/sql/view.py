"""The SQL console: an editor with StarRocks highlighting and completion, the statement under the
cursor, the selection or the whole script run through the SQL runner, each result streamed into its
own grid with its figures, errors said inline as the server said them, a row cap, cancel (Esc) that
kills the query on the server, EXPLAIN / EXPLAIN COSTS, exports, and the searchable query history.

Every call to the cluster goes through the runner (``gui.services.sql``); the view builds the
widgets, turns the person's actions into runs and shows what the runner reports. A destructive
statement is sent only after its name was typed in a ``ConfirmNameDialog``; a read-only profile's
refusal, and what needs the query port when only HTTP answers, are said in the messages before
anything is sent.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ....api import errors
from ....api.starrocks import Column
from ....services.profiles import Profile
from ....services.sql.classify import Classification, classify
from ....services.sql.completion import Catalogue
from ....services.sql.export import Format, write_rows
from ....services.sql.history import QueryHistory
from ....services.sql.runner import RunResult, Sink, SqlRunner, StatementOutcome, runner_for
from ....services.sql.schema import SchemaReader
from ....services.sql.statements import ExplainLevel, NotExplainable, Statement, explain, split
from ...context import UiContext
from ...dialogs.confirm_name import ConfirmNameDialog
from ...export import ask_save_path
from ...style import span
from ...widgets.result_grid import ResultGrid
from ...widgets.sql_editor import SqlEditor
from ..base import View
from .lines import figures, summary

DEFAULT_ROW_CAP = 100_000
HISTORY_SHOWN = 1000
_NOUNS = {
    "TABLE": "table",
    "DATABASE": "database",
    "TRUNCATE TABLE": "table",
    "DELETE without WHERE": "table",
    "ALTER SYSTEM": "node",
    "REVOKE": "user or role",
}
EXPORTS: tuple[tuple[Format, str, str], ...] = (
    ("csv", "CSV…", "CSV files (*.csv)"),
    ("tsv", "TSV…", "TSV files (*.tsv)"),
    ("jsonl", "JSON lines…", "JSON lines (*.jsonl)"),
)


def noun_of(c: Classification) -> str:
    """What the name typed to confirm ``c`` names ("table", "node", …)."""
    if c.verb in _NOUNS:
        return _NOUNS[c.verb]
    if c.verb.startswith("ADMIN SET"):
        return "configuration item"
    last = c.verb.rsplit(" ", 1)[-1]
    return _NOUNS.get(last, last.lower() if c.verb.startswith("DROP") else "object")


class _ToGrids(Sink):
    """A run's results into the view: a grid per result set, a line per statement."""

    def __init__(self, view: SqlConsoleView) -> None:
        self.view = view
        self.grids: dict[int, ResultGrid] = {}

    def begin(self, outcome: StatementOutcome) -> None:
        self.view.status.emit(f"running statement {outcome.index + 1}…")

    def columns(self, outcome: StatementOutcome, columns: list[Column]) -> None:
        self.grids[outcome.index] = self.view.add_grid(outcome, columns)

    def rows(self, outcome: StatementOutcome, rows: list[tuple[Any, ...]]) -> None:
        self.grids[outcome.index].feed.add(rows)

    def end(self, outcome: StatementOutcome) -> None:
        grid = self.grids.get(outcome.index)
        if grid is not None:
            grid.feed.flush()
            grid.model.show_all()
            grid.running = False
            grid.figures.setText(figures(outcome))
        self.view.say(outcome)


class SqlConsoleView(View):
    ran = Signal(object)  # RunResult: a run ended (its statements' outcomes)
    schema_loaded = Signal(str)  # the tables and columns of a database reached completion

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("sqlConsoleView")
        self.history = QueryHistory()
        self.catalogue = Catalogue()
        self._names: dict[str, dict[str, list[str]]] = {}
        self._runner: SqlRunner | None = None
        self._reader: SchemaReader | None = None
        self._run_task: asyncio.Task[Any] | None = None
        self.grids: list[tuple[ResultGrid, StatementOutcome]] = []
        self.last_result: RunResult | None = None
        self.confirm_dialog: ConfirmNameDialog | None = None
        self._build()

    # -- widgets -----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.editor = SqlEditor(self.catalogue, self)
        self.editor.run_statement.connect(lambda stmt: self.run_statements([stmt]))
        self.editor.run_script.connect(self.run_statements)
        self.database = QComboBox(self)
        self.database.setObjectName("sqlDatabase")
        self.database.setMinimumContentsLength(10)
        self.database.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.database.setToolTip("The database the statements run in (USE changes it too)")
        self.database.currentIndexChanged.connect(self._database_picked)
        self.run_button = QPushButton("Run", self)
        self.run_button.setToolTip("Run the selection, or the statement under the cursor (Ctrl+Enter)")
        self.run_button.clicked.connect(lambda: self.run_scope("selection-or-statement"))
        self.run_all_button = QPushButton("Run all", self)
        self.run_all_button.setToolTip(
            "Run every statement of the editor (Ctrl+Shift+Enter runs the selection's)"
        )
        self.run_all_button.clicked.connect(lambda: self.run_scope("all"))
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the running statement: KILL QUERY on the server (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        self.explain_button = QToolButton(self)
        self.explain_button.setText("Explain")
        self.explain_button.setToolTip("EXPLAIN the statement under the cursor (the menu: EXPLAIN COSTS)")
        self.explain_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.explain_button.clicked.connect(lambda: self.explain_current(""))
        explain_menu = QMenu(self.explain_button)
        self.costs_action = explain_menu.addAction("Explain costs", lambda: self.explain_current("COSTS"))
        explain_menu.addAction("Explain verbose", lambda: self.explain_current("VERBOSE"))
        self.explain_button.setMenu(explain_menu)
        self.row_cap = QSpinBox(self)
        self.row_cap.setObjectName("rowCap")
        self.row_cap.setRange(0, 100_000_000)
        self.row_cap.setSingleStep(10_000)
        self.row_cap.setGroupSeparatorShown(True)
        self.row_cap.setSpecialValueText("no cap")
        self.row_cap.setValue(DEFAULT_ROW_CAP)
        self.row_cap.setToolTip("Rows read of a result at most; the rest is not fetched (0: no cap)")
        self.export_button = QToolButton(self)
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for fmt, label, pattern in EXPORTS:
            menu.addAction(label, partial(self._ask_export, fmt, pattern))
        self.export_button.setMenu(menu)
        self.export_button.setToolTip("Save the result on screen, as read from the cluster")
        self.history_button = QToolButton(self)
        self.history_button.setText("History")
        self.history_button.setCheckable(True)
        self.history_button.setChecked(True)
        self.channel_line = QLabel(self)
        self.channel_line.setObjectName("sqlChannel")
        self.channel_line.setWordWrap(True)
        self.channel_line.hide()

        self.messages = QTextEdit(self)
        self.messages.setObjectName("sqlMessages")
        self.messages.setReadOnly(True)
        self.results = QTabWidget(self)
        self.results.setObjectName("sqlResults")
        self.results.setDocumentMode(True)
        self.results.addTab(self.messages, "Messages")

        self.history_pane = QWidget(self)
        self.history_search = QLineEdit(self.history_pane)
        self.history_search.setObjectName("historySearch")
        self.history_search.setPlaceholderText("Search the history…")
        self.history_search.setClearButtonEnabled(True)
        self.history_search.textChanged.connect(lambda _t: self.show_history())
        self.history_all = QCheckBox("All profiles", self.history_pane)
        self.history_all.setToolTip("Show the statements run on every profile, not only this one")
        self.history_all.toggled.connect(lambda _on: self.show_history())
        self.history_list = QListWidget(self.history_pane)
        self.history_list.setObjectName("historyList")
        self.history_list.setToolTip("Double-click a statement to put it in the editor")
        self.history_list.itemDoubleClicked.connect(self.recall)
        self.history_list.setUniformItemSizes(True)
        self.history_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.history_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        hlay = QVBoxLayout(self.history_pane)
        hlay.setContentsMargins(0, 0, 0, 0)
        hlay.addWidget(QLabel("Query history", self.history_pane))
        hlay.addWidget(self.history_search)
        hlay.addWidget(self.history_all)
        hlay.addWidget(self.history_list, 1)
        self.history_button.toggled.connect(self.history_pane.setVisible)

        tools = QHBoxLayout()
        tools.addWidget(self.database)
        for w in (self.run_button, self.run_all_button, self.cancel_button, self.explain_button):
            tools.addWidget(w)
        tools.addStretch(1)
        tools.addWidget(self.export_button)
        tools.addWidget(self.history_button)
        # The row cap is about the results: it sits at the corner of their tabs.
        corner = QWidget(self.results)
        clay = QHBoxLayout(corner)
        clay.setContentsMargins(4, 0, 0, 2)
        clay.addWidget(QLabel("Row cap", corner))
        clay.addWidget(self.row_cap)
        self.results.setCornerWidget(corner, Qt.Corner.TopRightCorner)

        self.work = QSplitter(Qt.Orientation.Vertical, self)
        self.work.addWidget(self.editor)
        self.work.addWidget(self.results)
        self.work.setStretchFactor(0, 2)
        self.work.setStretchFactor(1, 3)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("sqlSplitter")
        self.splitter.addWidget(self.work)
        self.splitter.addWidget(self.history_pane)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([800, 260])
        lay = QVBoxLayout(self)
        lay.addLayout(tools)
        lay.addWidget(self.channel_line)
        lay.addWidget(self.state_line)
        lay.addWidget(self.splitter, 1)

        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.escape.activated.connect(self.cancel)
        self._set_running(False)

    # -- the profile -------------------------------------------------------------------------------
    def set_profile(self, profile: Profile | None) -> None:
        if profile != self.profile:
            self._drop_runners()
            self._names = {}
            self.catalogue.set_schema({})
            self.database.blockSignals(True)
            self.database.clear()
            self.database.blockSignals(False)
        super().set_profile(profile)
        self.show_history()

    def _drop_runners(self) -> None:
        if self._run_task is not None and not self._run_task.done():
            self._run_task.cancel()
        for held in (self._runner, self._reader):
            if held is not None:
                self.ctx.run(held.aclose(), what="closing an SQL connection")
        self._runner = None
        self._reader = None

    def refresh(self) -> None:
        if self.profile is None:
            self.channel_line.hide()
            return
        self.background(self._load(), "reading the databases")

    async def _load(self) -> None:
        reader = await self._schema_reader()
        down = await reader.runner.probe()
        self._show_channel(down)
        names = await reader.databases()
        self._fill_databases(names)
        current = self.current_database()
        if current:
            await self._load_tables(current)
        self.loaded.emit()

    def _show_channel(self, down: errors.ApiError | None) -> None:
        profile = self.profile
        if profile is None:
            return
        said: list[str] = []
        if down is not None:
            said.append(
                span(
                    f"The FE's query port ({profile.query_port}) is not reachable ({down.message}): SELECT, "
                    "SHOW, EXPLAIN, DESC and KILL run over the HTTP SQL API; DDL, DML, SET, ADMIN and the "
                    "other statements need the query port.",
                    "warning",
                )
            )
        if profile.read_only:
            said.append(
                span(
                    "This profile is read-only: SELECT, SHOW, DESC, EXPLAIN, ADMIN SHOW and session "
                    "settings run; anything else is refused before it is sent.",
                    "info",
                )
            )
        self.channel_line.setText("<br>".join(said))
        self.channel_line.setVisible(bool(said))

    async def _schema_reader(self) -> SchemaReader:
        if self._reader is None:
            assert self.profile is not None
            self._reader = SchemaReader(await runner_for(self.ctx.session, self.profile))
        return self._reader

    # -- databases and completion ------------------------------------------------------------------
    def current_database(self) -> str:
        data = self.database.currentData()
        return str(data) if data else ""

    def _fill_databases(self, names: Sequence[str]) -> None:
        keep = self.current_database() or (self._runner.database if self._runner else "") or ""
        self.database.blockSignals(True)
        self.database.clear()
        self.database.addItem("(none)", "")
        for name in names:
            self.database.addItem(name, name)
        found = self.database.findData(keep) if keep else 0
        self.database.setCurrentIndex(max(0, found))
        self.database.blockSignals(False)
        for name in names:
            self._names.setdefault(name, {})
        self.catalogue.set_schema(self._names)
        self.editor.database = self.current_database()

    def _database_picked(self, _index: int) -> None:
        db = self.current_database()
        self.editor.database = db
        if self._runner is not None:
            self._runner.database = db or None
        if db and not self._names.get(db):
            self.background(self._load_tables(db), f"reading the tables of {db}", task_key=f"tables/{db}")

    async def _load_tables(self, db: str) -> None:
        reader = await self._schema_reader()
        self._names[db] = await reader.tables(db)
        self.catalogue.set_schema(self._names)
        self.schema_loaded.emit(db)

    # -- running -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._run_task is not None and not self._run_task.done()

    def run_scope(self, scope: str) -> None:
        if scope == "all":
            self.run_statements(self.editor.statements("all"))
        elif self.editor.textCursor().hasSelection():
            self.run_statements(self.editor.statements("selection"))
        else:
            self.run_statements(self.editor.statements("statement"))

    def run_statements(self, statements: list[Statement]) -> None:
        """Run these statements of the editor; a destructive one asks for its name to be typed
        first (none is sent until every one of them is confirmed)."""
        self._start(statements, statements)

    def explain_current(self, level: ExplainLevel) -> None:
        stmt = self.editor.statement_under_cursor()
        if stmt is None:
            self._note("Put the cursor in a statement to explain it.", "warning")
            return
        try:
            sql = explain(stmt, level)
        except NotExplainable as e:
            self._note(f"Not sent: {e}", "warning")
            self.editor.select_statement(stmt)
            return
        self._start(split(sql), [stmt])

    def _start(self, statements: list[Statement], origin: list[Statement]) -> None:
        if not statements:
            self._note("No statement here to run.", "warning")
            return
        if self.running:
            self._note("A statement is still running: cancel it first (Esc), or wait for it.", "warning")
            return
        if self.profile is None:
            self._note("Pick a StarRocks cluster profile in Connections first.", "warning")
            return
        todo: list[tuple[Classification, Statement]] = []
        if not self.profile.read_only:
            for stmt in statements:
                c = classify(stmt)
                if c.needs_confirmation and c.confirm:
                    todo.append((c, stmt))
        if todo:
            self._confirm(statements, origin, todo, [])
        else:
            self._run_now(statements, origin, [])

    def _confirm(
        self,
        statements: list[Statement],
        origin: list[Statement],
        todo: list[tuple[Classification, Statement]],
        confirmed: list[str],
    ) -> None:
        c, stmt = todo[0]
        rest = todo[1:]

        async def start() -> list[str]:
            return [*confirmed, c.confirm]

        dialog = ConfirmNameDialog(
            self.ctx,
            c.confirm,
            noun=noun_of(c),
            button=f"Run {c.verb}",
            service="StarRocks",
            start=start,
            starting="Sending…",
            parent=self,
        )
        dialog.setWindowTitle(f"Confirm {c.verb}")
        shown = stmt.sql if len(stmt.sql) < 600 else stmt.sql[:600] + "…"
        dialog.text.setText(
            f"<b>{html.escape(c.verb)}</b>: {html.escape(c.what)}<br><br><code>{html.escape(shown)}</code>"
        )

        def confirmed_now(names: list[str]) -> None:
            self.confirm_dialog = None
            if rest:
                self._confirm(statements, origin, rest, names)
            else:
                self._run_now(statements, origin, names)

        def cancelled() -> None:
            self.confirm_dialog = None
            self._note(f"Not run: {c.verb} was not confirmed. Nothing was sent.", "warning")

        dialog.started.connect(confirmed_now)
        dialog.rejected.connect(cancelled)
        self.confirm_dialog = dialog
        dialog.open()

    def _run_now(self, statements: list[Statement], origin: list[Statement], confirm: list[str]) -> None:
        self._clear_results()
        self._run_task = self.ctx.run(
            self._run(statements, origin, confirm), key=self._task_prefix() + "run", what="running SQL"
        )

    async def _run(self, statements: list[Statement], origin: list[Statement], confirm: list[str]) -> None:
        self._set_running(True)
        result: RunResult | None = None
        started = time.monotonic()
        try:
            runner = await self._query_runner()
            cap = self.row_cap.value() or None
            result = await runner.run(statements, _ToGrids(self), max_rows=cap, confirm=confirm)
        except errors.ApiError as e:
            self._note(f"Not run: {e.message}" + (f". {e.hint}" if e.hint else ""), "error")
        finally:
            self._set_running(False)
            self.show_history()
        if result is None:
            return
        self.last_result = result
        if self._runner is not None and (self._runner.database or "") != self.current_database():
            self._follow_use(self._runner.database or "")
        failed = result.first_failure
        if failed is not None and failed.status in ("error", "refused"):
            at = origin[failed.index] if failed.index < len(origin) else origin[-1]
            self.editor.select_statement(at)
            self.results.setCurrentWidget(self.messages)
        elif self.grids:
            self.results.setCurrentWidget(self.grids[-1][0])
        took = time.monotonic() - started
        self.status.emit(
            f"{len(result.statements)} statement{'s' if len(result.statements) != 1 else ''} in {took:.2f} s"
        )
        self.ran.emit(result)

    def _follow_use(self, db: str) -> None:
        """A USE ran: the selector and completion follow it."""
        index = self.database.findData(db) if db else 0
        if index < 0:
            self.database.blockSignals(True)
            self.database.addItem(db, db)
            self.database.blockSignals(False)
            index = self.database.count() - 1
        self.database.setCurrentIndex(index)

    async def _query_runner(self) -> SqlRunner:
        if self._runner is None:
            assert self.profile is not None
            self._runner = await runner_for(
                self.ctx.session, self.profile, self.history, self.current_database() or None
            )
        return self._runner

    def cancel(self) -> None:
        """Stop the running statement (KILL QUERY on the server); the next ones are not run."""
        if not self.running or self._runner is None:
            return
        self.cancel_button.setEnabled(False)
        self._note("Cancelling: KILL QUERY sent to the server…", "info")
        self.ctx.run(self._runner.cancel(), what="cancelling the statement")

    def _set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        self.escape.setEnabled(running)
        for w in (self.run_button, self.run_all_button, self.explain_button):
            w.setEnabled(not running)

    # -- results -----------------------------------------------------------------------------------
    def _clear_results(self) -> None:
        for grid, _outcome in self.grids:
            grid.feed.stop()
            self.results.removeTab(self.results.indexOf(grid))
            grid.deleteLater()
        self.grids = []
        self.messages.clear()

    def add_grid(self, outcome: StatementOutcome, columns: list[Column]) -> ResultGrid:
        grid = ResultGrid(self.results)
        grid.model.set_columns([c.name for c in columns], [c.type for c in columns])
        grid.figures.setText("running…")
        grid.running = True

        def flushed() -> None:
            if grid.running:
                grid.figures.setText(figures(outcome, running=True))

        grid.after_flush = flushed
        self.grids.append((grid, outcome))
        title = f"Result {outcome.index + 1}"
        self.results.addTab(grid, title)
        self.results.setTabToolTip(self.results.indexOf(grid), outcome.text[:500])
        if len(self.grids) == 1:
            self.results.setCurrentWidget(grid)
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

    def _note(self, text: str, tone: Any = "info") -> None:
        self.messages.append(span(text, tone))
        self.results.setCurrentWidget(self.messages)

    def message_text(self) -> str:
        return self.messages.toPlainText()

    def current_grid(self) -> ResultGrid | None:
        shown = self.results.currentWidget()
        if isinstance(shown, ResultGrid):
            return shown
        return self.grids[-1][0] if self.grids else None

    # -- export ------------------------------------------------------------------------------------
    def export(self, path: str | Path, fmt: Format) -> int:
        """Write the result on screen (the rows read, as the cluster returned them) to ``path``;
        the rows written. ValueError when there is no result."""
        grid = self.current_grid()
        if grid is None:
            raise ValueError("there is no result to export: run a query first")
        return write_rows(path, fmt, grid.model.names, grid.model.rows)

    def _ask_export(self, fmt: Format, pattern: str) -> None:
        grid = self.current_grid()
        if grid is None:
            self._note("There is no result to export: run a query first.", "warning")
            return

        def chosen(path: str) -> None:
            try:
                n = self.export(path, fmt)
            except (OSError, ValueError) as e:
                self._note(f"Not exported: {getattr(e, 'strerror', None) or e}", "error")
                return
            self.ctx.notify(f"{n:,} rows exported to {path}")

        ask_save_path(self, "Export the result", f"result.{fmt}", pattern, chosen)

    # -- history -----------------------------------------------------------------------------------
    def show_history(self) -> None:
        profile = None if self.history_all.isChecked() or self.profile is None else self.profile.name
        entries = self.history.search(self.history_search.text(), profile)
        self.history_list.clear()
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
            self.history_list.addItem(item)
        for problem in self.history.problems:
            self.state_line.setToolTip(problem)

    def recall(self, item: QListWidgetItem) -> None:
        """Put a statement of the history at the end of the editor, selected (nothing is lost)."""
        statement = str(item.data(Qt.ItemDataRole.UserRole) or "").strip()
        if not statement:
            return
        if not statement.endswith(";"):
            statement += ";"
        text = self.editor.toPlainText()
        sep = "" if not text.strip() else ("\n" if text.endswith("\n") else "\n\n")
        cursor = self.editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        cursor.insertText(sep)
        start = cursor.position()
        cursor.insertText(statement)
        cursor.setPosition(start)
        cursor.setPosition(start + len(statement), cursor.MoveMode.KeepAnchor)
        self.editor.setTextCursor(cursor)
        self.editor.setFocus()

    # -- the window --------------------------------------------------------------------------------
    def focus_filter(self) -> None:
        self.history_button.setChecked(True)
        self.history_search.setFocus()

    def palette_changed(self) -> None:
        self.editor.palette_changed()

    async def aclose(self) -> None:
        if self._run_task is not None and not self._run_task.done():
            self._run_task.cancel()
            await asyncio.gather(self._run_task, return_exceptions=True)
        for held in (self._runner, self._reader):
            if held is not None:
                await held.aclose()
        self._runner = None
        self._reader = None
