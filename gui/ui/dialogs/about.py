"""Help → About: the console's version and the licence of every component it runs on, read from the
installed distributions' own metadata (in a frozen app, the metadata its build copied into the
bundle), so the list is what is really shipped, not a list kept by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import Distribution, PackageNotFoundError, distribution

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ... import __version__

DIST = "starrocks-console"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    licence: str


def _field(dist: Distribution, name: str) -> str:
    # get_all: a field the metadata lacks is None here, where item access raises on newer Pythons.
    values = dist.metadata.get_all(name) or []
    return str(values[0]).strip() if values else ""


def licence_of(dist: Distribution) -> str:
    """The distribution's own word on its licence: the SPDX expression (metadata 2.4), else the
    short ``License`` field, else the trove classifiers; ``License`` fields that hold the whole
    licence text are not a name and are left out."""
    meta = dist.metadata
    expression = _field(dist, "License-Expression")
    if expression:
        return expression
    field = _field(dist, "License")
    if field and "\n" not in field and len(field) <= 80 and field.upper() != "UNKNOWN":
        return field
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::") and c.count("::") >= 2
    ]
    if classifiers:
        return ", ".join(classifiers)
    if field:
        return field.splitlines()[0].strip()[:80]
    return "not stated in its metadata"


def _applies(marker: str) -> bool:
    """Whether an environment marker holds here, by the PyPA's own evaluator where it is installed
    (it is not a requirement of the console's); without it, the requirement is kept."""
    try:
        from packaging.markers import InvalidMarker, Marker
    except ImportError:
        return True
    try:
        return bool(Marker(marker.strip()).evaluate())
    except InvalidMarker:
        return True


def _runtime_requirements(dist: Distribution) -> list[str]:
    names = []
    for req in dist.requires or []:
        spec, _, marker = req.partition(";")
        if "extra" in marker:  # an optional part (tests, packaging): not shipped
            continue
        if marker.strip() and not _applies(marker):
            continue  # for another system or Python (colorama on Windows...): not running here
        m = _NAME.match(spec)
        if m:
            names.append(m.group(1))
    return names


def components(root: str = DIST) -> list[Component]:
    """Every distribution the console runs on (its runtime requirements, and theirs), with version
    and licence, by name; the console itself is not in the list."""
    seen: dict[str, Component] = {}
    queue = [root]
    while queue:
        name = queue.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue  # a requirement for another platform, or one this build does not carry
        seen[key] = Component(dist.metadata["Name"] or name, dist.version, licence_of(dist))
        queue.extend(_runtime_requirements(dist))
    seen.pop(DIST, None)
    return sorted(seen.values(), key=lambda c: c.name.lower())


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, icon: QIcon | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About StarRocks Console")
        top = QHBoxLayout()
        if icon is not None and not icon.isNull():
            mark = QLabel(self)
            mark.setPixmap(icon.pixmap(64, 64))
            top.addWidget(mark, 0, Qt.AlignmentFlag.AlignTop)
        self.heading = QLabel(
            f"<h3>StarRocks Console {__version__}</h3>"
            "<p>A desktop admin console for StarRocks, Huawei Cloud TaurusDB and AI Lake.<br>"
            "Licensed under the Apache License 2.0.</p>"
            "<p>It is built on these components, each under its own licence:</p>",
            self,
        )
        self.heading.setObjectName("aboutHeading")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.heading, 1)
        found = components()
        self.table = QTableWidget(len(found), 3, self)
        self.table.setObjectName("aboutComponents")
        self.table.setHorizontalHeaderLabels(["Component", "Version", "Licence"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, c in enumerate(found):
            for col, text in enumerate((c.name, c.version, c.licence)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(620, 520)


def show_about(parent: QWidget) -> AboutDialog:
    """Help → About over ``parent``: window-modal, without a nested event loop (qasync runs the
    console's coroutines on Qt's loop)."""
    dialog = AboutDialog(parent, QApplication.windowIcon())
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
