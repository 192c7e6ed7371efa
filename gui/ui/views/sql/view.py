"""The SQL console: an editor with StarRocks highlighting and completion, the statement under the
cursor, the selection or the whole script run through the SQL runner, each result streamed into its
own grid with its figures, errors said inline as the server said them, a row cap, cancel (Esc) that
kills the query on the server, EXPLAIN / EXPLAIN COSTS, exports, and the searchable query history.

Every call to the cluster goes through the runner (``gui.services.sql``), held with the run under way
by the view's ``RunControl`` (``control``). The view puts its parts together — the tool row
(``toolbar``), the editor, the results (``results``) and the history pane (``history``) — and turns
the person's actions into runs. A destructive statement is sent only after its name was typed in a
``ConfirmNameDialog`` (``confirm``); a read-only profile's refusal, and what needs the query port
when only HTTP answers, are said in the messages before anything is sent.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QListWidgetItem, QSplitter, QTextEdit, QVBoxLayout, QWidget

from ....api import errors
from ....services.profiles import Profile
from ....services.sql.classify import Classification, classify
from ....services.sql.completion import Catalogue
from ....services.sql.export import Format, write_rows
from ....services.sql.history import QueryHistory
from ....services.sql.runner import RunResult, StatementOutcome
from ....services.sql.statements import ExplainLevel, NotExplainable, Statement, explain, split
from ...context import UiContext
from ...dialogs.confirm_name import ConfirmNameDialog
from ...export import ask_save_path
from ...style import span
from ...widgets.result_grid import ResultGrid
from ...widgets.sql_editor import SqlEditor
from ..base import View
from .confirm import confirm_statement
from .control import RunControl
from .history import HistoryPane, put_at_end
from .results import GridSink, ResultsPanel
from .toolbar import SqlToolbar


class SqlConsoleView(View):
    ran = Signal(object)  # RunResult: a run ended (its statements' outcomes)
    schema_loaded = Signal(str)  # the tables and columns of a database reached completion

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("sqlConsoleView")
        self.history = QueryHistory()
        self.catalogue = Catalogue()
        self._names: dict[str, dict[str, list[str]]] = {}
        self.control = RunControl(ctx, self.history)
        self.last_result: RunResult | None = None
        self.confirm_dialog: ConfirmNameDialog | None = None
        self._build()

    # -- widgets -----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.editor = SqlEditor(self.catalogue, self)
        self.editor.run_statement.connect(lambda stmt: self.run_statements([stmt]))
        self.editor.run_script.connect(self.run_statements)
        self.toolbar = SqlToolbar(self)
        self.toolbar.run_requested.connect(self.run_scope)
        self.toolbar.explain_requested.connect(self.explain_current)
        self.toolbar.cancel_requested.connect(self.cancel)
        self.toolbar.export_requested.connect(self._ask_export)
        self.toolbar.database_changed.connect(self._database_picked)
        self.database, self.run_button, self.run_all_button, self.cancel_button = (
            self.toolbar.database,
            self.toolbar.run_button,
            self.toolbar.run_all_button,
            self.toolbar.cancel_button,
        )
        self.channel_line = QLabel(self)
        self.channel_line.setObjectName("sqlChannel")
        self.channel_line.setWordWrap(True)
        self.channel_line.hide()
        self.results = ResultsPanel(self)
        self.row_cap = self.results.row_cap
        self.history_pane = HistoryPane(self)
        self.history_pane.asked.connect(self.show_history)
        self.history_pane.list.itemDoubleClicked.connect(self.recall)
        self.history_search, self.history_list = self.history_pane.search, self.history_pane.list
        self.toolbar.history_button.toggled.connect(self.history_pane.setVisible)

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
        lay.addWidget(self.toolbar)
        lay.addWidget(self.channel_line)
        lay.addWidget(self.state_line)
        lay.addWidget(self.splitter, 1)

        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.escape.activated.connect(self.cancel)
        self._set_running(False)

    # -- the parts, by the names the tests use -----------------------------------------------------
    @property
    def messages(self) -> QTextEdit:
        return self.results.messages

    @property
    def grids(self) -> list[tuple[ResultGrid, StatementOutcome]]:
        """The grids of the last run, with the outcome of the statement each shows."""
        return self.results.grids

    # -- the profile -------------------------------------------------------------------------------
    def set_profile(self, profile: Profile | None) -> None:
        if profile != self.profile:
            self.control.drop()
            self._names = {}
            self.catalogue.set_schema({})
            self.toolbar.clear_databases()
        super().set_profile(profile)
        self.show_history()

    def refresh(self) -> None:
        if self.profile is None:
            self.channel_line.hide()
            return
        self.background(self._load(), "reading the databases")

    async def _load(self) -> None:
        assert self.profile is not None
        reader = await self.control.schema_reader(self.profile)
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

    # -- databases and completion ------------------------------------------------------------------
    def current_database(self) -> str:
        return self.toolbar.current_database()

    def _fill_databases(self, names: Sequence[str]) -> None:
        runner = self.control.runner
        keep = self.current_database() or (runner.database if runner else "") or ""
        self.toolbar.fill_databases(names, keep)
        for name in names:
            self._names.setdefault(name, {})
        self.catalogue.set_schema(self._names)
        self.editor.database = self.current_database()

    def _database_picked(self, db: str) -> None:
        self.editor.database = db
        self.control.use(db)
        if db and not self._names.get(db):
            self.background(self._load_tables(db), f"reading the tables of {db}", task_key=f"tables/{db}")

    async def _load_tables(self, db: str) -> None:
        assert self.profile is not None
        reader = await self.control.schema_reader(self.profile)
        self._names[db] = await reader.tables(db)
        self.catalogue.set_schema(self._names)
        self.schema_loaded.emit(db)

    # -- running -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.control.running

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
        """Ask for the names of ``todo`` one after the other; the run starts after the last."""
        c, stmt = todo[0]
        rest = todo[1:]
        dialog = confirm_statement(self.ctx, c, stmt, confirmed, self)

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
        self.control.start(self._run(statements, origin, confirm), key=self._task_prefix() + "run")

    async def _run(self, statements: list[Statement], origin: list[Statement], confirm: list[str]) -> None:
        self._set_running(True)
        result: RunResult | None = None
        started = time.monotonic()
        try:
            assert self.profile is not None
            sink = GridSink(self.results, self.status.emit)
            result = await self.control.run(
                self.profile, self.current_database(), statements, sink, self.results.cap(), confirm
            )
        except errors.ApiError as e:
            self._note(f"Not run: {e.message}" + (f". {e.hint}" if e.hint else ""), "error")
        finally:
            self._set_running(False)
            self.show_history()
        if result is None:
            return
        self.last_result = result
        runner = self.control.runner
        if runner is not None and (runner.database or "") != self.current_database():
            # A USE ran: the selector and completion follow it.
            self.toolbar.follow(runner.database or "")
        failed = result.first_failure
        if failed is not None and failed.status in ("error", "refused"):
            at = origin[failed.index] if failed.index < len(origin) else origin[-1]
            self.editor.select_statement(at)
            self.results.show_messages()
        else:
            self.results.show_last_grid()
        took = time.monotonic() - started
        self.status.emit(
            f"{len(result.statements)} statement{'s' if len(result.statements) != 1 else ''} in {took:.2f} s"
        )
        self.ran.emit(result)

    def cancel(self) -> None:
        """Stop the running statement (KILL QUERY on the server); the next ones are not run."""
        if self.control.cancel():
            self.cancel_button.setEnabled(False)
            self._note("Cancelling: KILL QUERY sent to the server…", "info")

    def _set_running(self, running: bool) -> None:
        self.toolbar.set_running(running)
        self.escape.setEnabled(running)

    # -- results -----------------------------------------------------------------------------------
    def _clear_results(self) -> None:
        self.results.clear_results()

    def _note(self, text: str, tone: Any = "info") -> None:
        self.results.note(text, tone)

    def message_text(self) -> str:
        return self.results.message_text()

    def current_grid(self) -> ResultGrid | None:
        return self.results.current_grid()

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
        pane = self.history_pane
        profile = None if pane.all_profiles.isChecked() or self.profile is None else self.profile.name
        pane.fill(self.history.search(pane.search.text(), profile))
        for problem in self.history.problems:
            self.state_line.setToolTip(problem)

    def recall(self, item: QListWidgetItem) -> None:
        """Put a statement of the history at the end of the editor, selected (nothing is lost)."""
        statement = str(item.data(Qt.ItemDataRole.UserRole) or "").strip()
        if statement:
            put_at_end(self.editor, statement)

    # -- the window --------------------------------------------------------------------------------
    def focus_filter(self) -> None:
        self.toolbar.history_button.setChecked(True)
        self.history_pane.search.setFocus()

    def palette_changed(self) -> None:
        self.editor.palette_changed()

    async def aclose(self) -> None:
        await self.control.aclose()
