"""The first-run pane: shown instead of the views while there is no connection profile at all. It
offers the local sandbox (every view works on it at once) and a connection of one's own, and says
which view needs which kind of profile."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QVBoxLayout, QWidget

from ..services.profiles import KIND_TITLES, KINDS
from .style import set_tone
from .views.base import View


class WelcomePane(QWidget):
    sandbox_requested = Signal()
    add_requested = Signal(str)  # a profile kind

    def __init__(self, views: Sequence[View], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePane")
        title = QLabel("<h2>Welcome to StarRocks Console</h2>", self)
        intro = QLabel(
            "There is no connection yet. Try everything on the built-in sandbox — a local StarRocks "
            "cluster, Huawei Cloud and AI Lake, with sample data, gone when the console quits — or add "
            "a connection to your own.",
            self,
        )
        intro.setWordWrap(True)
        self.state = QLabel(self)
        self.state.setObjectName("welcomeState")
        self.state.setWordWrap(True)
        self.state.hide()
        where = QLabel(
            "Profiles are kept in your settings folder; passwords, tokens and secret keys only in the "
            "system keyring. The Connections panel on the left lists them (View → Connections).",
            self,
        )
        where.setWordWrap(True)
        set_tone(where, "muted")
        body = QWidget(self)
        body.setMaximumWidth(640)
        lay = QVBoxLayout(body)
        for part in (title, intro, 8, self._buttons(), self.state, 12, self._needs(views), 12, where):
            if isinstance(part, int):
                lay.addSpacing(part)
            elif isinstance(part, QHBoxLayout):
                lay.addLayout(part)
            else:
                lay.addWidget(part)
        lay.addStretch(1)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(body, 4)
        outer.addStretch(1)

    def _buttons(self) -> QHBoxLayout:
        self.sandbox_button = QPushButton("Start the local sandbox", self)
        self.sandbox_button.setObjectName("startSandbox")
        self.sandbox_button.setDefault(True)
        self.sandbox_button.clicked.connect(self.sandbox_requested.emit)
        self.add_button = QToolButton(self)
        self.add_button.setObjectName("welcomeAdd")
        self.add_button.setText("Add a connection")
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        for kind in KINDS:
            action = menu.addAction(f"{KIND_TITLES[kind]}…")
            action.triggered.connect(lambda _c=False, k=kind: self.add_requested.emit(k))
        self.add_button.setMenu(menu)
        row = QHBoxLayout()
        row.addWidget(self.sandbox_button)
        row.addWidget(self.add_button)
        row.addStretch(1)
        return row

    def _needs(self, views: Sequence[View]) -> QLabel:
        rows = "".join(
            f"<tr><td><b>{html.escape(v.title)}</b></td><td>&nbsp;&nbsp;</td>"
            f"<td>{html.escape(' or '.join(KIND_TITLES[k] for k in v.kinds))} profile</td></tr>"
            for v in views
        )
        needs = QLabel(f"<p>What each view works with:</p><table>{rows}</table>", self)
        needs.setObjectName("welcomeNeeds")
        needs.setTextFormat(Qt.TextFormat.RichText)
        return needs

    def starting(self) -> None:
        self.sandbox_button.setEnabled(False)
        self.state.show()
        set_tone(self.state, "muted")
        self.state.setText("Starting the sandbox… (a few seconds)")

    def failed(self, why: str) -> None:
        self.sandbox_button.setEnabled(True)
        self.state.show()
        set_tone(self.state, "error")
        self.state.setText(f"The sandbox did not start: {why}")
