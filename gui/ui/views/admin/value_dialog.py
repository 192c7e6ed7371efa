"""The value to set an FE or BE item to: one field checked as it is typed against the item's type
(an FE item's Type column; for a BE item, which /varz gives no type, the kind its current value
shows), Set enabled only for a value the server would parse. Opened with ``open()``, never a nested
event loop; ``chosen`` carries the value."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ....services.admin.config import check_value
from ...widgets.field import Field

KIND_NOTES = {
    "boolean": "true or false",
    "byte": "a whole number",
    "short": "a whole number",
    "int": "a whole number",
    "long": "a whole number",
    "double": "a number",
    "float": "a number",
}


class SetValueDialog(QDialog):
    chosen = Signal(str)

    def __init__(
        self,
        title: str,
        what: str,
        type_name: str,
        current: str,
        parent: QWidget | None = None,
        basis: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.type_name = type_name
        self.label = QLabel(what)
        self.label.setWordWrap(True)
        self.value = QLineEdit(current)
        self.value.setObjectName("configValue")
        kind = KIND_NOTES.get(type_name.strip().lower(), "any text")
        self.field = Field(self.value, self, note=f"{type_name or 'String'}: {kind}{basis}", lines=2)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.set_button = self.buttons.addButton("Set…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.label)
        lay.addWidget(self.field)
        lay.addWidget(self.buttons)
        self.value.textChanged.connect(lambda _t: self._check())
        self.value.selectAll()
        self.setMinimumWidth(420)
        self._check()

    def _check(self) -> None:
        wanted = check_value(self.type_name, self.value.text())
        self.field.set_error(f"The server will refuse it: it needs {wanted}" if wanted else None)
        self.set_button.setEnabled(wanted is None)

    def _accept(self) -> None:
        if check_value(self.type_name, self.value.text()) is not None:
            return
        value = self.value.text()
        self.accept()
        self.chosen.emit(value)
