"""The questions the Load transactions view asks before it acts: roll back (nothing of it will be
loaded), leave a transaction open, load a file again. Each opens without a nested event loop and
calls ``then`` only on the user's yes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ....services.transactions import EarlierLoad


def ask(
    parent: QWidget, title: str, text: str, then: Callable[[], object], name: str = "confirmRollback"
) -> QMessageBox:
    """A Yes/No question; Yes calls ``then``."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        parent,
    )
    box.setObjectName(name)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.finished.connect(lambda b: then() if b == QMessageBox.StandardButton.Yes else None)
    box.open()
    return box


def ask_rollback(parent: QWidget, text: str, then: Callable[[], object]) -> QMessageBox:
    return ask(parent, "Roll back", text, then)


def ask_load_again(parent: QWidget, earlier: list[EarlierLoad], then: Callable[[], object]) -> QMessageBox:
    """Loading a file the journal shows already loaded into this table (unchanged since) would
    load its rows twice: the user is asked first, and loading it again is their choice."""
    lines = "\n".join(f"• {e.describe()}." for e in earlier)
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Already loaded",
        f"{lines}\n\nLoading again adds the same rows a second time. Load again anyway?",
        QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setObjectName("alreadyLoaded")
    again = box.addButton("Load again", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.finished.connect(lambda _r: then() if box.clickedButton() is again else None)
    box.open()
    return box
