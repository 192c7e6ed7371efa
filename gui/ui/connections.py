"""The Connections sidebar: profiles grouped by kind; picking one points the views at it; Add, Edit,
Delete and Test."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..services.profiles import KIND_TITLES, KINDS, Profile
from .context import UiContext
from .dialogs.profile import edit_profile

PROFILE_ROLE = Qt.ItemDataRole.UserRole + 1


class ConnectionsPanel(QWidget):
    """Profiles grouped by kind; picking one points the views at it."""

    profile_selected = Signal(object)
    profile_deleted = Signal(str)  # about to be deleted: let go of it
    profiles_changed = Signal()  # the list of profiles changed (after a delete)
    profile_saved = Signal(str, object)  # the name it had ("" for a new one), the profile as saved

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = QStandardItemModel(self)
        self.tree = QTreeView(self)
        self.tree.setObjectName("connectionsTree")
        self.tree.setModel(self.model)
        self.tree.setHeaderHidden(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.tree.doubleClicked.connect(lambda _i: self.edit_selected())
        add = QToolButton(self)
        add.setObjectName("addProfile")
        add.setText("Add")
        add.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(add)
        for kind in KINDS:
            action = menu.addAction(f"{KIND_TITLES[kind]}…")
            action.triggered.connect(lambda _checked=False, k=kind: self.add(k))
        add.setMenu(menu)
        self.edit_button = QPushButton("Edit", self)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.clicked.connect(self.delete_selected)
        self.test_button = QPushButton("Test", self)
        self.test_button.clicked.connect(self.test_selected)
        row = QHBoxLayout()
        for w in (add, self.edit_button, self.delete_button, self.test_button):
            row.addWidget(w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.tree)
        lay.addLayout(row)
        self.reload()

    def reload(self, select: str | None = None) -> None:
        chosen = self.selected()
        current = select or (chosen.name if chosen else None)
        self.model.clear()
        for kind in KINDS:
            group = QStandardItem(KIND_TITLES[kind])
            group.setSelectable(False)
            font = group.font()
            font.setBold(True)
            group.setFont(font)
            for p in self.ctx.session.all_profiles():
                if p.kind != kind:
                    continue
                item = QStandardItem(p.name + ("  (sandbox)" if p.sandbox else ""))
                item.setData(p.name, PROFILE_ROLE)
                item.setToolTip(p.url or p.region)
                group.appendRow(item)
            self.model.appendRow(group)
        self.tree.expandAll()
        if current:
            self.select(current)
        self._update_buttons()

    def select(self, name: str) -> bool:
        for r in range(self.model.rowCount()):
            group = self.model.item(r)
            for c in range(group.rowCount()):
                child = group.child(c)
                if child.data(PROFILE_ROLE) == name:
                    self.tree.setCurrentIndex(child.index())
                    return True
        return False

    def selected(self) -> Profile | None:
        idx = self.tree.currentIndex()
        name = idx.data(PROFILE_ROLE) if idx.isValid() else None
        return self.ctx.session.profile(name) if name else None

    def _current_changed(self, *_: Any) -> None:
        self._update_buttons()
        profile = self.selected()
        if profile is not None:
            self.profile_selected.emit(profile)

    def _update_buttons(self) -> None:
        p = self.selected()
        for b in (self.edit_button, self.delete_button, self.test_button):
            b.setEnabled(p is not None)
        self.edit_button.setEnabled(p is not None and not p.sandbox)
        self.delete_button.setEnabled(p is not None and not p.sandbox)

    # -- actions ---------------------------------------------------------------------------------
    def add(self, kind: str) -> None:
        edit_profile(self.ctx, kind, None, self.window(), on_saved=lambda p: self._saved("", p))

    def edit_selected(self) -> None:
        p = self.selected()
        if p is not None and not p.sandbox:
            edit_profile(self.ctx, p.kind, p, self.window(), on_saved=lambda np: self._saved(p.name, np))

    def _saved(self, old: str, profile: Profile) -> None:
        self.reload(select=profile.name)
        self.profile_saved.emit(old, profile)

    def delete_selected(self) -> None:
        p = self.selected()
        if p is None or p.sandbox:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete profile",
            f"Delete the profile {p.name!r} and its stored secrets?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.window(),
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def done(button: int) -> None:
            if button == QMessageBox.StandardButton.Yes:
                self.ctx.run(self._delete(p.name), what="deleting a profile")

        box.finished.connect(done)
        box.open()

    async def _delete(self, name: str) -> None:
        # The views let go of the profile (and stop its refreshes) before its secrets go, so no
        # refresh of theirs fails for want of them.
        self.profile_deleted.emit(name)
        await self.ctx.session.delete_profile(name)
        self.reload()
        self.profiles_changed.emit()
        self.ctx.notify(f"Deleted profile {name}.")

    def test_selected(self) -> None:
        p = self.selected()
        if p is not None:
            self.ctx.run(self._test(p), key=f"test-{p.name}", what=f"testing {p.name}")

    async def _test(self, p: Profile) -> None:
        from ..services.connection import test_profile

        self.ctx.notify(f"Testing {p.name}…")
        result = await test_profile(self.ctx.session, p, {}, p)
        self.ctx.notify(f"{p.name}: {result}")
