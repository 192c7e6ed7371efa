"""Asking for the name of what a destructive statement destroys, before it is sent."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QWidget

from ....services.sql.classify import Classification
from ....services.sql.statements import Statement
from ...context import UiContext
from ...dialogs.confirm_name import ConfirmNameDialog

_NOUNS = {
    "TABLE": "table",
    "DATABASE": "database",
    "TRUNCATE TABLE": "table",
    "DELETE without WHERE": "table",
    "ALTER SYSTEM": "node",
    "REVOKE": "user or role",
}


def noun_of(c: Classification) -> str:
    """What the name typed to confirm ``c`` names ("table", "node", …)."""
    if c.verb in _NOUNS:
        return _NOUNS[c.verb]
    if c.verb.startswith("ADMIN SET"):
        return "configuration item"
    last = c.verb.rsplit(" ", 1)[-1]
    return _NOUNS.get(last, last.lower() if c.verb.startswith("DROP") else "object")


def confirm_statement(
    ctx: UiContext, c: Classification, stmt: Statement, confirmed: list[str], parent: QWidget
) -> ConfirmNameDialog:
    """The dialog asking for ``c.confirm`` to be typed; its ``started`` hands on ``confirmed`` with
    this name added (nothing is sent by the dialog itself)."""

    async def start() -> list[str]:
        return [*confirmed, c.confirm]

    dialog = ConfirmNameDialog(
        ctx,
        c.confirm,
        noun=noun_of(c),
        button=f"Run {c.verb}",
        service="StarRocks",
        start=start,
        starting="Sending…",
        parent=parent,
    )
    dialog.setWindowTitle(f"Confirm {c.verb}")
    shown = stmt.sql if len(stmt.sql) < 600 else stmt.sql[:600] + "…"
    dialog.text.setText(
        f"<b>{html.escape(c.verb)}</b>: {html.escape(c.what)}<br><br><code>{html.escape(shown)}</code>"
    )
    return dialog
