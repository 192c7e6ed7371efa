"""Configuration: the FE's items (searchable; a mutable one set after typing its key; what changed
since the page opened marked) and a BE's items from its HTTP port (set with a plain confirmation)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ....services.admin import AdminSql, BeConfigItem, ConfigService, FeConfigItem
from ....services.admin.config import kind_of_value
from ...models.table import Column, RecordFilterProxy
from ...widgets.tables import fit_columns, select_key
from .page import AdminPage, table_of
from .value_dialog import SetValueDialog

# A BE item's kind (from its current value) as the Java type whose parser checks it the same way.
_BE_TYPES = {"bool": "boolean", "int": "long", "double": "double", "string": "String"}

FE_COLUMNS: list[Column[FeConfigItem]] = [
    Column("Key", lambda i: i.key),
    Column("Value", lambda i: i.value),
    Column("Type", lambda i: i.type),
    Column("Mutable", lambda i: "yes" if i.mutable else "no"),
    Column("Changed", lambda i: f"was {i.first_seen}" if i.changed else ""),
    Column("Comment", lambda i: i.comment),
]
BE_COLUMNS: list[Column[BeConfigItem]] = [
    Column("Key", lambda i: i.key),
    Column("Value", lambda i: i.value),
    Column("Changed", lambda i: f"was {i.first_seen}" if i.changed else ""),
]


class ConfigPage(AdminPage):
    title = "Configuration"

    def build(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search FE items…")
        self.search.setClearButtonEnabled(True)
        self.edit_fe = QPushButton("Set FE item…")
        self.edit_fe.clicked.connect(lambda: self.edit_selected_fe())
        self.buttons.addWidget(self.search)
        self.buttons.addWidget(self.edit_fe)
        self.fe_table, self.fe_model = table_of(FE_COLUMNS, key=lambda i: i.key)
        self.fe_proxy = RecordFilterProxy(self.fe_model, self.fe_table)
        self.fe_table.setModel(self.fe_proxy)
        self.search.textChanged.connect(self.fe_proxy.set_filter_text)
        self.fe_table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        be_box = QWidget()
        be_lay = QVBoxLayout(be_box)
        be_lay.setContentsMargins(0, 0, 0, 0)
        row = QWidget()
        from PySide6.QtWidgets import QHBoxLayout

        row_lay = QHBoxLayout(row)
        row_lay.setContentsMargins(0, 0, 0, 0)
        self.be_pick = QComboBox()
        self.be_pick.setMinimumContentsLength(22)
        self.be_pick.activated.connect(lambda _i: self.refresh())
        self.edit_be = QPushButton("Set BE item…")
        self.edit_be.clicked.connect(lambda: self.edit_selected_be())
        self.be_note = QLabel(
            "BE items from the BE's /varz page; whether one is mutable, the BE says when it is set."
        )
        self.be_note.setWordWrap(True)
        for w in (QLabel("BE:"), self.be_pick, self.edit_be):
            row_lay.addWidget(w)
        row_lay.addStretch(1)
        self.be_table, self.be_model = table_of(BE_COLUMNS, key=lambda i: i.key)
        self.be_table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        be_lay.addWidget(row)
        be_lay.addWidget(self.be_note)
        be_lay.addWidget(self.be_table)
        split = QSplitter()
        split.addWidget(self.fe_table)
        split.addWidget(be_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.body.addWidget(split)
        self._enable()

    async def load(self, sql: AdminSql) -> None:
        svc = self.owner.config_service()
        first = self.fe_model.rowCount() == 0
        self.fe_model.set_rows(await svc.fe_items())
        if first:
            # Fitted on the rows through the search filter's proxy (the model is not the view's).
            fit_columns(self.fe_table)
        bes = await svc.backends()
        current = self.be_pick.currentText()
        if [self.be_pick.itemText(i) for i in range(self.be_pick.count())] != bes:
            self.be_pick.clear()
            self.be_pick.addItems(bes)
            if current in bes:
                self.be_pick.setCurrentText(current)
        be = self.be_pick.currentText()
        self.be_model.set_rows(await svc.be_items(be) if be else [])
        self._enable()

    def _fe_selected(self) -> FeConfigItem | None:
        idx = self.fe_table.selectionModel().selectedRows()
        if not idx:
            return None
        return self.fe_model.record(self.fe_proxy.mapToSource(idx[0]).row())

    def _be_selected(self) -> BeConfigItem | None:
        idx = self.be_table.selectionModel().selectedRows()
        return self.be_model.record(idx[0].row()) if idx else None

    def select_fe(self, key: str) -> bool:
        return select_key(self.fe_table, self.fe_model, key, self.fe_proxy)

    def select_be(self, key: str) -> bool:
        return select_key(self.be_table, self.be_model, key)

    def _enable(self) -> None:
        fe = self._fe_selected()
        self.edit_fe.setEnabled(fe is not None and fe.mutable)
        self.edit_fe.setToolTip(
            f"{fe.key} is not mutable: it changes only in fe.conf, with a restart"
            if fe and not fe.mutable
            else ""
        )
        self.edit_be.setEnabled(self._be_selected() is not None)

    def edit_selected_fe(self, value: str | None = None) -> None:
        item = self._fe_selected()
        if item is None or not item.mutable:
            return
        if value is None:
            dialog = SetValueDialog(
                "Set FE item", f"New value of {item.key} (now {item.value}):", item.type, item.value, self
            )
            dialog.chosen.connect(lambda v: self.edit_selected_fe(v))
            self.dialog = dialog
            dialog.open()
            return
        statement = ConfigService.set_fe_statement(item.key, value)
        self.confirm_typed(
            item.key,
            noun="item",
            button="Set",
            text=f"<b>{statement}</b><br>Changes {item.key} from {item.value} to {value} on the FE this "
            "connection reaches, until it restarts (fe.conf is not written).",
            start=lambda: self.owner.config_service().set_fe(item.key, value, confirm=item.key),
        )

    def edit_selected_be(self, value: str | None = None) -> None:
        item = self._be_selected()
        be = self.be_pick.currentText()
        if item is None or not be:
            return
        if value is None:
            dialog = SetValueDialog(
                "Set BE item",
                f"New value of {item.key} on {be} (now {item.value}):",
                _BE_TYPES[kind_of_value(item.value)],
                item.value,
                self,
                basis=" (judged from its current value: /varz gives no type; the BE decides)",
            )
            dialog.chosen.connect(lambda v: self.edit_selected_be(v))
            self.dialog = dialog
            dialog.open()
            return
        self.confirm(
            f"Set {item.key} from {item.value} to {value} on the BE {be}?\n\n"
            f"POST http://{be}/api/update_config?{item.key}={value}\n\n"
            "It lasts until that BE restarts (be.conf is not written).",
            lambda: self.act(
                f"set {item.key}={value} on {be}",
                lambda _sql: self.owner.config_service().set_be(be, item.key, value),
            ),
        )
