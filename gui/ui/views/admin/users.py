"""Users and roles: users with their grants, the roles; create a user (the password rules the FE
applies shown in the dialog), grant or revoke a role, drop a user (typed)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QWidget,
)

from ....services.admin import AdminSql, PasswordRules, UsersService
from ...models.table import Column
from ...widgets.tables import select_key
from .page import AdminPage, table_of

USER_COLUMNS: list[Column[str]] = [Column("User", lambda u: u)]
ROLE_COLUMNS: list[Column[tuple[str, str, str]]] = [
    Column("Role", lambda r: r[0]),
    Column("Built in", lambda r: r[1]),
    Column("Comment", lambda r: r[2]),
]


def _name_of(identity: str) -> str:
    """The user's name of 'name'@'host'."""
    head = identity.rsplit("@", 1)[0]
    return head[1:-1] if len(head) >= 2 and head[0] == head[-1] and head[0] in "'`\"" else head


class CreateUserDialog(QDialog):
    def __init__(self, rules: PasswordRules, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create user")
        self.rules = rules
        self.user = QLineEdit()
        self.host = QLineEdit("%")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        shown = (
            "Password rules (the FE's, for CREATE and ALTER USER): "
            + ", ".join(rules.rules)
            + "; other characters are allowed and count for the length only"
            + f" ({rules.source})."
            if rules.enforced
            else f"No password rules apply ({rules.source})."
        )
        self.rules_label = QLabel(shown)
        self.rules_label.setWordWrap(True)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton("Create", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("User", self.user)
        form.addRow("Host", self.host)
        form.addRow("Password", self.password)
        form.addRow(self.rules_label)
        form.addRow(self.reason)
        form.addRow(self.buttons)
        for f in (self.user, self.password, self.host):
            f.textChanged.connect(lambda _t: self._check())
        self._check()

    def _check(self) -> None:
        missing = self.rules.problems(self.password.text())
        refusal = self.rules.refusal(self.password.text())
        needs = ", ".join(missing)
        said = f"The FE will refuse it (\u201c{refusal}\u201d): it needs {needs}"
        self.reason.setText(said if missing else "")
        self.create_button.setEnabled(bool(self.user.text().strip()) and not missing)


class UsersPage(AdminPage):
    title = "Users and roles"

    def build(self) -> None:
        self.new_user = QPushButton("Create user…")
        self.new_user.clicked.connect(self.create_user)
        self.role_pick = QComboBox()
        self.role_pick.setMinimumContentsLength(12)
        self.grant = QPushButton("Grant role")
        self.grant.clicked.connect(self.grant_role)
        self.revoke = QPushButton("Revoke role…")
        self.revoke.clicked.connect(self.revoke_role)
        self.drop = QPushButton("Drop user…")
        self.drop.clicked.connect(self.drop_user)
        for w in (self.new_user, QLabel("Role:"), self.role_pick, self.grant, self.revoke, self.drop):
            self.buttons.addWidget(w)
        self.users_table, self.users_model = table_of(USER_COLUMNS, key=lambda u: u)
        self.users_table.selectionModel().selectionChanged.connect(lambda *_: self._user_picked())
        self.roles_table, self.roles_model = table_of(ROLE_COLUMNS, key=lambda r: r[0])
        self.grants = QPlainTextEdit()
        self.grants.setReadOnly(True)
        self.grants.setPlaceholderText("The selected user's grants (SHOW GRANTS FOR …)")
        split = QSplitter()
        split.addWidget(self.users_table)
        split.addWidget(self.grants)
        split.addWidget(self.roles_table)
        self.body.addWidget(split)
        self.rules: PasswordRules | None = None
        self._enable()

    async def load(self, sql: AdminSql) -> None:
        svc = UsersService(sql)
        picked = self.selected()
        self.users_model.set_rows(await svc.users())
        roles = await svc.roles()
        self.roles_model.set_rows(roles)
        current = self.role_pick.currentText()
        self.role_pick.clear()
        self.role_pick.addItems([r[0] for r in roles])
        if current:
            self.role_pick.setCurrentText(current)
        self.rules = await svc.password_rules()
        if picked and self.select_user(picked):
            await self._load_grants(sql, picked)
        self._enable()

    def selected(self) -> str | None:
        idx = self.users_table.selectionModel().selectedRows()
        return self.users_model.record(idx[0].row()) if idx else None

    def select_user(self, identity: str) -> bool:
        return select_key(self.users_table, self.users_model, identity)

    def _enable(self) -> None:
        on = self.selected() is not None
        for b in (self.grant, self.revoke, self.drop):
            b.setEnabled(on)

    def _user_picked(self) -> None:
        self._enable()
        identity = self.selected()
        if identity is not None and self.owner.sql is not None:
            sql = self.owner.sql
            self.owner.background(self._load_grants(sql, identity), "admin grants", line=self.state_line)

    async def _load_grants(self, sql: AdminSql, identity: str) -> None:
        grants = await UsersService(sql).grants(identity)
        if self.selected() == identity:
            self.grants.setPlainText("\n".join(g for _, g in grants))
        self.show_statements()

    def create_user(self) -> CreateUserDialog:
        dialog = CreateUserDialog(self.rules or PasswordRules(False, "not read yet"), self)

        def done() -> None:
            user, host, password = (
                dialog.user.text().strip(),
                dialog.host.text().strip() or "%",
                dialog.password.text(),
            )
            self.act(
                f"CREATE USER '{user}'@'{host}'",
                lambda sql: UsersService(sql).create_user(user, password, host),
            )

        dialog.accepted.connect(done)
        self.dialog = dialog
        dialog.open()
        return dialog

    def grant_role(self) -> None:
        identity, role = self.selected(), self.role_pick.currentText()
        if identity is None or not role:
            return
        self.confirm(
            f"GRANT {role} TO USER {identity}?",
            lambda: self.act(
                f"GRANT {role} TO USER {identity}", lambda sql: UsersService(sql).grant_role(role, identity)
            ),
        )

    def revoke_role(self) -> None:
        identity, role = self.selected(), self.role_pick.currentText()
        if identity is None or not role:
            return
        name = _name_of(identity)
        self.confirm_typed(
            name,
            noun="user",
            button="Revoke",
            text=f"<b>REVOKE {role} FROM USER {identity}</b>: the user loses what the role grants.",
            start=lambda: UsersService(self.owner.sql_now()).revoke_role(role, identity, confirm=name),
        )

    def drop_user(self) -> None:
        identity = self.selected()
        if identity is None:
            return
        name = _name_of(identity)
        self.confirm_typed(
            name,
            noun="user",
            button="Drop user",
            text=f"<b>DROP USER {identity}</b>: the user and their grants are deleted.",
            start=lambda: UsersService(self.owner.sql_now()).drop_user(identity, confirm=name),
        )
