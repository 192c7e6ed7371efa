"""ANALYZE TABLE for AI Lake: the selected pipe tables, or every table of the database instance."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ...api import errors
from ...services.pipe_tables import PipeTablesService, Refusal
from ...services.tracker import TrackedJob
from ...services.words import words
from ..context import UiContext
from ..style import set_tone


def _names(names: Sequence[str], limit: int = 5) -> str:
    if len(names) <= limit:
        return words(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"


class AnalyzeDialog(QDialog):
    """Emits ``submitted(job)``, the TrackedJob of the ANALYZE operation, once AI Lake has
    accepted it."""

    submitted = Signal(object)

    def __init__(
        self,
        ctx: UiContext,
        service: PipeTablesService,
        instance: str,
        selected: Sequence[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service = service
        self.instance = instance
        self.selected = list(selected)
        self.setObjectName("analyzeDialog")
        self.setWindowTitle(f"Analyze tables of {instance}")
        self.setMinimumWidth(460)
        intro = QLabel(
            "ANALYZE TABLE collects the statistics StarRocks' optimizer plans queries with. "
            "Run it after large loads.",
            self,
        )
        intro.setWordWrap(True)
        self.only_selected = QRadioButton(
            f"The selected table{'s' if len(self.selected) != 1 else ''}: {_names(self.selected)}"
            if self.selected
            else "The selected tables (none selected)",
            self,
        )
        self.only_selected.setObjectName("analyzeSelected")
        self.every_table = QRadioButton(f"Every table of {instance}", self)
        self.every_table.setObjectName("analyzeAll")
        self.only_selected.setEnabled(bool(self.selected))
        (self.only_selected if self.selected else self.every_table).setChecked(True)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        set_tone(self.message, "error")
        self.message.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.analyze_button = self.buttons.addButton("Analyze", QDialogButtonBox.ButtonRole.AcceptRole)
        self.analyze_button.setObjectName("analyzeButton")
        self.buttons.accepted.connect(self._analyze)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self.only_selected)
        lay.addWidget(self.every_table)
        lay.addWidget(self.message)
        lay.addWidget(self.buttons)

    def table_names(self) -> list[str] | None:
        return list(self.selected) if self.only_selected.isChecked() else None

    def _analyze(self) -> None:
        self.analyze_button.setEnabled(False)
        self.message.hide()
        self.ctx.run(self._submit(self.table_names()), key=f"analyze-{id(self)}", what="starting ANALYZE")

    async def _submit(self, names: list[str] | None) -> None:
        try:
            job = await self.service.analyze(self.instance, names)
        except errors.ApiError as e:
            self.message.setText(f"AI Lake refused it: {Refusal.of(e).reason}")
            self.message.show()
            return
        finally:
            self.analyze_button.setEnabled(True)
        self.submitted.emit(job)
        self.accept()


def analyze_tables(
    ctx: UiContext,
    service: PipeTablesService,
    instance: str,
    selected: Sequence[str],
    parent: QWidget | None,
    on_submitted: Callable[[TrackedJob], None] | None = None,
) -> AnalyzeDialog:
    dialog = AnalyzeDialog(ctx, service, instance, selected, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if on_submitted is not None:
        dialog.submitted.connect(on_submitted)
    dialog.open()
    return dialog
