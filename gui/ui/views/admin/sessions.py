"""Queries and sessions: every connection of the FE, the ones running a statement first; KILL QUERY
(plain confirmation) or KILL CONNECTION (typed) of the selected one."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QPushButton

from ....services.admin import AdminSql, SessionRow, SessionsService
from ...models.table import Column
from ...widgets.tables import select_key
from .page import AdminPage, table_of

COLUMNS: list[Column[SessionRow]] = [
    Column("Id", lambda r: r.id, align_right=True),
    Column("User", lambda r: r.user),
    Column("Host", lambda r: r.host),
    Column("Db", lambda r: r.db),
    Column("Command", lambda r: r.command),
    Column("Time (s)", lambda r: r.time, align_right=True),
    Column("State", lambda r: r.state),
    Column("SQL", lambda r: r.info),
]


class SessionsPage(AdminPage):
    title = "Queries and sessions"

    def build(self) -> None:
        self.running_only = QCheckBox("Running queries only")
        self.running_only.toggled.connect(lambda _on: self._show())
        self.kill_query = QPushButton("Kill query…")
        self.kill_query.clicked.connect(lambda: self.kill_selected(connection=False))
        self.kill_connection = QPushButton("Kill connection…")
        self.kill_connection.clicked.connect(lambda: self.kill_selected(connection=True))
        for w in (self.running_only, self.kill_query, self.kill_connection):
            self.buttons.addWidget(w)
        self.table, self.model = table_of(COLUMNS, key=lambda r: r.id)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.body.addWidget(self.table)
        self.rows: list[SessionRow] = []
        self.own: int | None = None
        self._enable()

    async def load(self, sql: AdminSql) -> None:
        svc = SessionsService(sql)
        rows = await svc.sessions()
        self.own = svc.own_connection
        self.rows = sorted(rows, key=lambda r: (not r.running, -r.time, r.id))
        self._show()

    def _show(self) -> None:
        shown = [r for r in self.rows if r.running] if self.running_only.isChecked() else self.rows
        self.model.set_rows(shown)
        self._enable()

    def selected(self) -> SessionRow | None:
        idx = self.table.selectionModel().selectedRows()
        return self.model.record(idx[0].row()) if idx else None

    def select_id(self, connection_id: int) -> bool:
        return select_key(self.table, self.model, connection_id)

    def _enable(self) -> None:
        row = self.selected()
        ok = row is not None and row.id != self.own
        self.kill_query.setEnabled(ok and row is not None and row.running)
        self.kill_connection.setEnabled(ok)
        why = "this page's own connection" if row is not None and row.id == self.own else ""
        self.kill_connection.setToolTip(why)

    def kill_selected(self, *, connection: bool) -> None:
        row = self.selected()
        if row is None or row.id == self.own:
            return
        statement = SessionsService.kill_statement(row.id, connection=connection)
        if not connection:
            self.confirm(
                f"Stop the statement connection {row.id} ({row.user}@{row.host}) runs?\n\n{row.info[:300]}"
                f"\n\n{statement}",
                lambda: self.act(statement, lambda sql: SessionsService(sql).kill(row.id, connection=False)),
            )
            return
        self.confirm_typed(
            str(row.id),
            noun="connection",
            button="Kill connection",
            text=f"<b>{statement}</b> closes connection {row.id} of {row.user}@{row.host}; what it runs "
            "stops and its session is gone.",
            start=lambda: SessionsService(self.owner.sql_now()).kill(row.id, connection=True),
        )
