"""The alert thresholds of one cluster profile: each editable rule with its warning and critical
threshold (empty: that level is off) and whether it is on. A value the settings refuse is said at its
field, and nothing of that rule is saved."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...services.monitoring import RULES, AlertSettings, Limit, Rule
from ...services.monitoring.alerts import num
from ..widgets.field import Field


def _text(value: float | None) -> str:
    return "" if value is None else num(value).replace(",", "")


def _number(text: str) -> float | None:
    """A threshold typed: empty is "off"; ValueError for what is not a number."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number (leave it empty to turn this level off)") from None


class _RuleRow:
    def __init__(self, rule: Rule, limit: Limit, parent: QWidget) -> None:
        self.rule = rule
        self.enabled = QCheckBox(rule.title, parent)
        self.enabled.setChecked(limit.enabled)
        self.enabled.setToolTip(f"StarRocks' documented rule: {rule.documented}" if rule.documented else "")
        self.warning = Field(QLineEdit(_text(limit.warning), parent), parent)
        self.critical = Field(QLineEdit(_text(limit.critical), parent), parent)
        self.unit = QLabel(rule.unit, parent)
        self.start = (limit.enabled, _text(limit.warning), _text(limit.critical))

    def values(self) -> tuple[bool, str, str]:
        w, c = self.warning.editor, self.critical.editor
        assert isinstance(w, QLineEdit) and isinstance(c, QLineEdit)
        return self.enabled.isChecked(), w.text().strip(), c.text().strip()

    @property
    def changed(self) -> bool:
        return self.values() != self.start


class ThresholdsDialog(QDialog):
    saved = Signal(str)  # the profile whose thresholds changed

    def __init__(self, settings: AlertSettings, profile: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thresholdsDialog")
        self.setWindowTitle(f"Alert thresholds — {profile}")
        self.settings = settings
        self.profile = profile
        self.rows: dict[str, _RuleRow] = {}
        intro = QLabel(
            "A rule alerts above its threshold (for counts: from it). Leave a threshold empty to turn "
            "that level off. These apply to this profile only.",
            self,
        )
        intro.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults,
            self,
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        restore = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.clicked.connect(self.restore_defaults)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self._rules(), 1)
        lay.addWidget(self.buttons)
        self.resize(640, 560)

    def _rules(self) -> QScrollArea:
        area = QScrollArea(self)
        area.setWidgetResizable(True)
        body = QWidget(area)
        grid = QGridLayout(body)
        for col, title in enumerate(("Rule", "Warning", "Critical", "Unit")):
            grid.addWidget(QLabel(f"<b>{title}</b>", body), 0, col)
        limits = self.settings.limits(self.profile)
        for i, rule in enumerate(r for r in RULES if r.editable):
            row = self.rows[rule.id] = _RuleRow(rule, limits[rule.id], body)
            grid.addWidget(row.enabled, i + 1, 0)
            grid.addWidget(row.warning, i + 1, 1)
            grid.addWidget(row.critical, i + 1, 2)
            grid.addWidget(row.unit, i + 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        area.setWidget(body)
        return area

    def save(self) -> bool:
        """Save every changed rule; a refused one keeps the dialog open with the reason at its field."""
        ok = True
        for row in self.rows.values():
            row.warning.set_error(None)
            row.critical.set_error(None)
            if not row.changed:
                continue
            enabled, warning_text, critical_text = row.values()
            try:
                warning = _number(warning_text)
            except ValueError as e:
                row.warning.set_error(str(e))
                ok = False
                continue
            try:
                critical = _number(critical_text)
            except ValueError as e:
                row.critical.set_error(str(e))
                ok = False
                continue
            try:
                self.settings.set(
                    self.profile, row.rule.id, warning=warning, critical=critical, enabled=enabled
                )
            except ValueError as e:
                where = row.critical if str(e).startswith("the critical") else row.warning
                where.set_error(str(e)[:1].upper() + str(e)[1:])
                ok = False
                continue
            row.start = row.values()
        if ok:
            self.saved.emit(self.profile)
            self.accept()
        return ok

    def restore_defaults(self) -> None:
        self.settings.reset(self.profile)
        limits = self.settings.limits(self.profile)
        for rule_id, row in self.rows.items():
            limit = limits[rule_id]
            row.enabled.setChecked(limit.enabled)
            for field, value in ((row.warning, limit.warning), (row.critical, limit.critical)):
                assert isinstance(field.editor, QLineEdit)
                field.editor.setText(_text(value))
                field.set_error(None)
            row.start = row.values()
        self.saved.emit(self.profile)
