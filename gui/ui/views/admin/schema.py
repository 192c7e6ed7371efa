"""Schema: databases → tables (engine, key type, rows, size), a table's DDL with Copy, its partitions
and tablets as the cluster answers SHOW PARTITIONS / SHOW TABLET — or its refusal, said inline — and
the health of the tablets' replicas: how many the FE calls OK, DEAD, VERSION_ERROR… (ADMIN SHOW
REPLICA STATUS), each tablet row badged with its replica's status, the unhealthy ones in red."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ....api import errors
from ....services.admin import AdminSql, SchemaService, Table, TableRow, TabletHealth
from ...models.table import Column, RecordTableModel
from ...style import set_tone
from ...widgets.badge import BadgeDelegate, status_color
from ...widgets.tables import select_key
from .page import AdminPage, table_of

TABLE_COLUMNS: list[Column[TableRow]] = [
    Column("Table", lambda t: t.name),
    Column("Engine", lambda t: t.engine),
    Column("Key type", lambda t: t.key_type),
    Column("Rows", lambda t: t.rows, align_right=True),
    Column("Size (bytes)", lambda t: t.data_bytes, align_right=True),
]


class SchemaPage(AdminPage):
    title = "Schema"

    def build(self) -> None:
        self.db_pick = QComboBox()
        self.db_pick.setMinimumContentsLength(16)
        self.db_pick.activated.connect(lambda _i: self.refresh())
        self.copy = QPushButton("Copy DDL")
        self.copy.clicked.connect(self.copy_ddl)
        for w in (QLabel("Database:"), self.db_pick, self.copy):
            self.buttons.addWidget(w)
        self.tables_table, self.tables_model = table_of(TABLE_COLUMNS, key=lambda t: t.name)
        self.tables_table.selectionModel().selectionChanged.connect(lambda *_: self._table_picked())
        self.ddl = QPlainTextEdit()
        self.ddl.setObjectName("ddl")
        self.ddl.setReadOnly(True)
        self.ddl.setPlaceholderText("Pick a table above to see its CREATE TABLE statement.")
        self.parts = QTableView()
        self.tablets = QTableView()
        self.health = QLabel()
        self.health.setObjectName("tabletHealth")
        self.health.setWordWrap(True)
        self.health.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tablet_health: TabletHealth | None = None
        tablets_tab = QWidget()
        tablets_lay = QVBoxLayout(tablets_tab)
        tablets_lay.setContentsMargins(0, 4, 0, 0)
        tablets_lay.addWidget(self.health)
        tablets_lay.addWidget(self.tablets)
        self.details = QTabWidget()
        self.details.addTab(self.ddl, "DDL")
        self.details.addTab(self.parts, "Partitions")
        self.details.addTab(tablets_tab, "Tablets")
        self.notes: dict[str, str] = {}
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tables_table)
        split.addWidget(self.details)
        # The details (DDL, partitions, tablets) are what a table is picked for: they get the room.
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        self.body.addWidget(split)

    async def load(self, sql: AdminSql) -> None:
        svc = SchemaService(sql)
        dbs = await svc.databases()
        current = self.db_pick.currentText()
        if [self.db_pick.itemText(i) for i in range(self.db_pick.count())] != dbs:
            self.db_pick.clear()
            self.db_pick.addItems(dbs)
            preferred = current if current in dbs else next((d for d in dbs if d != "information_schema"), "")
            self.db_pick.setCurrentText(preferred)
        db = self.db_pick.currentText()
        self.tables_model.set_rows(await svc.tables(db) if db else [])

    def select_database(self, name: str) -> bool:
        """Show ``name``'s tables, as picking it in the list does; False when it is not listed."""
        if self.db_pick.findText(name) < 0:
            return False
        self.db_pick.setCurrentText(name)
        self.refresh()
        return True

    def select_table(self, name: str) -> bool:
        return select_key(self.tables_table, self.tables_model, name)

    def _table_picked(self) -> None:
        idx = self.tables_table.selectionModel().selectedRows()
        if not idx or self.owner.sql is None:
            return
        table = self.tables_model.record(idx[0].row()).name
        self.owner.background(
            self._details(self.owner.sql, self.db_pick.currentText(), table),
            "admin table",
            line=self.state_line,
        )

    async def _details(self, sql: AdminSql, db: str, table: str) -> None:
        svc = SchemaService(sql)
        self.ddl.setPlainText(await svc.ddl(db, table))
        health: TabletHealth | None = None
        try:
            health = await svc.tablet_health(db, table)
        except errors.ApiError as e:
            self.health.setText(f"Replica health not answered: {e.message}")
            set_tone(self.health, "warning")
        else:
            self.health.setText(health.summary())
            set_tone(self.health, "error" if health.unhealthy else "ok", bold=bool(health.unhealthy))
        self.tablet_health = health
        for view, what, read in (
            (self.parts, "Partitions", svc.partitions),
            (self.tablets, "Tablets", svc.tablets),
        ):
            try:
                shown = await read(db, table)
            except errors.ApiError as e:
                # Not answered by this cluster: its own text, nothing made up in its place.
                shown = Table(["The cluster's answer"], [(e.message,)])
                self.notes[what] = e.message
            else:
                self.notes.pop(what, None)
            self._fill(view, shown, health if view is self.tablets and what not in self.notes else None)
        self.show_statements()

    def _fill(self, view: QTableView, table: Table, health: TabletHealth | None = None) -> None:
        cols: list[Column[tuple[object, ...]]] = []
        if health is not None and "ReplicaId" in table.columns:
            at = table.columns.index("ReplicaId")
            cols.append(_health_column(at, health))
        cols += [Column(name, _cell(i)) for i, name in enumerate(table.columns)]
        model: RecordTableModel[tuple[object, ...]] = RecordTableModel(cols, key=lambda r: id(r), parent=view)
        rows = table.rows
        if cols and cols[0].title == "Health":
            # The unhealthy replicas first: they are what a look at this tab is for.
            rows = sorted(rows, key=lambda r: cols[0].text(r) == "OK")
        model.set_rows(rows)
        view.setModel(model)
        if cols and cols[0].title == "Health":
            view.setItemDelegateForColumn(0, BadgeDelegate(view))
        else:
            view.setItemDelegateForColumn(0, view.itemDelegate())
        view.resizeColumnsToContents()

    def copy_ddl(self) -> None:
        QGuiApplication.clipboard().setText(self.ddl.toPlainText())
        self.say("DDL copied", "muted")


def _cell(i: int) -> Callable[[tuple[object, ...]], object]:
    return lambda r: r[i]


def _health_column(replica_at: int, health: TabletHealth) -> Column[tuple[object, ...]]:
    def status(r: tuple[object, ...]) -> str:
        return health.by_replica.get(str(r[replica_at]), "")

    def color(r: tuple[object, ...]) -> QColor | None:
        s = status(r)
        # The FE's verdicts other than OK (DEAD, VERSION_ERROR, SCHEMA_ERROR) all in the bad colour.
        return (status_color(s) or status_color("error")) if s else None

    return Column("Health", status, badge=color)
