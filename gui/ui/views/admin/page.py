"""What every administration page has: a row of buttons, the state of its data inline, a table fed
from a service, the outcome of the last action, and "Show SQL" — the statements it ran, as a person
could run them by hand."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ....api import errors
from ....services.admin import AdminSql
from ...dialogs.confirm_name import ConfirmNameDialog
from ...models.table import Column, RecordTableModel
from ...style import set_tone
from ...widgets.state_line import StateLine
from ...widgets.tables import fit_when_filled, setup_table

if TYPE_CHECKING:
    from .view import AdminView


def table_of(
    columns: Sequence[Column[Any]], key: Callable[[Any], Any]
) -> tuple[QTableView, RecordTableModel[Any]]:
    view = QTableView()
    model: RecordTableModel[Any] = RecordTableModel(columns, key, view)
    view.setModel(model)
    setup_table(view)
    fit_when_filled(view)
    return view, model


class AdminPage(QWidget):
    """One tab of the Administration view. Subclasses build their widgets in ``build`` and load in
    ``load(sql)``; actions go through ``act``."""

    title = ""

    def __init__(self, owner: AdminView) -> None:
        super().__init__()
        self.owner = owner
        self.dialog: QWidget | None = None  # the confirmation on screen (tests reach it here)
        self.buttons = QHBoxLayout()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.buttons.addWidget(self.refresh_button)
        self.state_line = StateLine(self)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome.hide()
        self.show_sql = QToolButton()
        self.show_sql.setText("Show SQL")
        self.show_sql.setCheckable(True)
        self.show_sql.setToolTip("The statements this page ran, as you could run them yourself")
        self.show_sql.toggled.connect(self._toggle_sql)
        self.sql_pane = QPlainTextEdit()
        self.sql_pane.setObjectName("adminSql")
        self.sql_pane.setReadOnly(True)
        self.sql_pane.setMaximumHeight(140)
        self.sql_pane.hide()
        self.body = QVBoxLayout()
        lay = QVBoxLayout(self)
        lay.addLayout(self.buttons)
        lay.addWidget(self.state_line)
        lay.addWidget(self.outcome)
        lay.addLayout(self.body, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.show_sql)
        foot.addStretch(1)
        lay.addLayout(foot)
        lay.addWidget(self.sql_pane)
        self.build()
        self.buttons.addStretch(1)

    def build(self) -> None:
        """Add the page's widgets to ``self.buttons`` and ``self.body``."""

    async def load(self, sql: AdminSql) -> None:
        """Read the page's data through ``sql`` and show it."""

    # -- refresh: background work, state inline ------------------------------------------------------
    def refresh(self) -> None:
        if self.owner.profile is None:
            return
        self.owner.background(self._load(), f"admin {self.title}", line=self.state_line, task_key=self.title)

    async def _load(self) -> None:
        sql = await self.owner.admin_sql()
        try:
            await self.load(sql)
        finally:
            self.show_statements()
        self.owner.page_loaded(self)

    # -- Show SQL ----------------------------------------------------------------------------------
    def _statements(self) -> list[str]:
        sql = self.owner.sql
        if sql is None:
            return []
        lines = []
        for r in sql.ran:
            stamp = time.strftime("%H:%M:%S", time.localtime(r.at))
            said = "" if r.outcome == "ok" else f"  -- {r.outcome}"
            via = f" [{r.channel}]" if r.channel and r.channel != "query port" else ""
            lines.append(f"-- {stamp}{via}\n{r.text};{said}")
        return lines

    def show_statements(self) -> None:
        if self.sql_pane.isVisible():
            self.sql_pane.setPlainText("\n".join(self._statements()))
            bar = self.sql_pane.verticalScrollBar()
            bar.setValue(bar.maximum())

    def _toggle_sql(self, on: bool) -> None:
        self.sql_pane.setVisible(on)
        self.show_statements()

    # -- actions the person pressed ------------------------------------------------------------------
    def say(self, text: str, tone: str | None = None) -> None:
        self.outcome.show()
        set_tone(self.outcome, tone)  # type: ignore[arg-type]
        self.outcome.setText(text)

    def act(self, what: str, work: Callable[[AdminSql], Coroutine[Any, Any, Any]]) -> None:
        """Run an action the person confirmed: its outcome (the server's text when refused) inline,
        then the page refreshed."""

        async def go() -> None:
            sql = await self.owner.admin_sql()
            self.say(f"{what}…", "muted")
            try:
                await work(sql)
            except errors.ApiError as e:
                self.say(f"✗ {what}: the cluster refused it — {e.message}", "error")
            else:
                self.say(f"✓ {what}", "ok")
            finally:
                self.show_statements()
            self.refresh()

        self.owner.track(self.owner.ctx.run(go(), key=f"admin-action/{id(self)}", what=what))

    def _done(self, text: str) -> None:
        self.say(text, "ok")
        self.refresh()

    def confirm(self, text: str, then: Callable[[], None]) -> None:
        """A plain confirmation (not typed): Yes runs ``then``. Opened, never exec()'d."""
        box = QMessageBox(QMessageBox.Icon.Question, "Confirm", text, parent=self)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.accepted.connect(then)
        self.dialog = box
        box.open()

    def confirm_typed(
        self, name: str, *, noun: str, button: str, text: str, start: Callable[[], Coroutine[Any, Any, Any]]
    ) -> ConfirmNameDialog:
        """A typed confirmation: the dialog sends the change itself and shows a refusal in place."""

        async def run() -> Any:
            await self.owner.admin_sql()
            return await start()

        dialog = ConfirmNameDialog(
            self.owner.ctx, name, noun=noun, button=button, service="StarRocks", start=run, parent=self
        )
        dialog.text.setText(text)
        dialog.started.connect(lambda _r: self._done(f"✓ {button} {name}"))
        dialog.finished.connect(lambda _r: self.show_statements())
        self.dialog = dialog
        dialog.open()
        return dialog
