"""Create a pipe table: every field of AI Lake's CreatePipeTableRequest, each checked where it is
typed against the client's request model, with the reason on the line kept under the field. The
service's refusal is shown at the field it names. An accepted create is handed to the view as the
job to follow. The dialog opens filled with the input of the instance's last create that failed,
when the service keeps one, and can start blank from there."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...api import errors
from ...api.ailake.models import (
    AGGREGATION_FUNCTIONS,
    COLUMN_FUNCTIONS,
    DEFAULT_TABLE_PROPERTIES,
    KEY_TYPES,
    TIME_UNITS,
)
from ...services.pipe_tables import (
    CREATE_FIELDS,
    CreateForm,
    FailedCreate,
    PipeTablesService,
    Refusal,
    name_list,
)
from ...services.tracker import TrackedJob
from ...services.words import words
from ..context import UiContext
from ..style import Tone, set_tone
from .pipe_fields import FailedNote, FieldGroups, PairTable, StoragePicker

# What each field is called on screen, for the line that lists what is left to fix.
LABELS = {
    "sourceStorageName": "Object storage",
    "pathPrefix": "Path prefix",
    "tableName": "Table name",
    "columns": "Columns of the files",
    "keyConfig.type": "Key type",
    "keyConfig.columns": "Key columns",
    "aggregationOverrides": "Aggregations",
    "partitionConfig.type": "Partitioning",
    "partitionConfig.columns": "Partition columns",
    "partitionConfig.column": "Partition column",
    "partitionConfig.unit": "Time unit",
    "partitionConfig.slices": "Units per slice",
    "distributionConfig.type": "Distribution",
    "distributionConfig.buckets": "Buckets",
    "distributionConfig.columns": "Distribution columns",
    "columnOverrides": "Column types",
    "columnExpressions": "Column expressions",
    "maxVarcharLength": "Max VARCHAR length",
    "pollingIntervalSeconds": "Polling interval",
    "tableProperties": "Table properties",
}
# The groups of the form, in the dialog's two columns.
LEFT = ("Source and name", "Key", "Distribution")
RIGHT = ("Partitioning", "Column types and expressions", "Loading and properties")
# What the aggregations field says while only AI Lake can check it (the columns were not typed).
LATER_AGGREGATIONS = "Every non-key column needs one; AI Lake checks this when it reads the files"


def todo_line(bad: dict[str, str], later: Sequence[str], quiet: bool) -> tuple[str, Tone | None]:
    """The line by the buttons and its tone: what is left to fix (in red once Create was pressed),
    else what only AI Lake can check, else ready."""
    left = [(LABELS[k], bad[k]) for k in CREATE_FIELDS if k in bad]
    left += [(key, reason) for key, reason in bad.items() if key not in LABELS]
    if left:
        (label, reason), others = left[0], [lbl for lbl, _ in left[1:]]
        text = f"To fix: {label} ({reason.rstrip('.')})"
        return text + (f"; also {words(others)}." if others else "."), None if quiet else "error"
    if later:
        return (
            f"Nothing left to fix that can be checked here: AI Lake checks {words(later)} when it "
            "reads the files. Type the columns of the files above to check them now.",
            "warning",
        )
    return "Ready to create.", None


class CreatePipeTableDialog(QDialog):
    """Emits ``submitted(job)``, the TrackedJob of the create, once AI Lake has accepted it."""

    submitted = Signal(object)
    storages_loaded = Signal()

    def __init__(
        self, ctx: UiContext, service: PipeTablesService, instance: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service = service
        self.instance = instance
        # What AI Lake said when it refused the form at once ("" until it does).
        self.refusal = ""
        # The failed create this form goes on from (filled from it, or refused as it): forgotten
        # once the form is accepted.
        self.retrying: FailedCreate | None = None
        self.setWindowTitle(f"New pipe table in {instance}")
        self.setObjectName("createPipeTableDialog")
        self.parts = FieldGroups(self, self._edited, self._changed)
        self.fields, self.forms, self.groups = self.parts.fields, self.parts.forms, self.parts.groups
        self._touched: set[str] = set()
        # The service's reasons, each with the value it refused: shown until that value changes.
        self._refused: dict[str, tuple[Any, str]] = {}
        self._build_source()
        self._build_key()
        self._build_partitioning()
        self._build_distribution()
        self._build_columns()
        self._build_loading()
        self._build_frame()
        self._fit_screen(parent)
        self._layout_rows()
        failed = service.failed_create(instance)
        if failed is not None:
            self.fill(failed.form, failed.reason)
            self.retrying = failed
        self.validate(quiet=True)
        self.ctx.run(
            self._load_storages(), key=f"pipe-create-storages-{id(self)}", what="listing object storages"
        )

    # -- building -----------------------------------------------------------------------------------------
    def _build_source(self) -> None:
        f, form = self.parts, self.parts.group("Source and name")
        self.storage = StoragePicker(self)
        self.storage.currentIndexChanged.connect(lambda _i: self._edited("sourceStorageName"))
        self.storage.editTextChanged.connect(lambda _t: self._edited("sourceStorageName"))
        f.row(form, "sourceStorageName", "Object storage", self.storage)
        self.path_prefix = f.line(
            form,
            "pathPrefix",
            "Path prefix",
            "e.g. sales/ or sales/year=2024/",
            note="Every parquet file at one depth: directly under it, or under Hive folders (month=01/).",
        )
        self.table_name = f.line(
            form,
            "tableName",
            "Table name",
            "e.g. sales_2024",
            note="A lowercase letter, then at most 62 lowercase letters, digits, _ or -.",
        )
        self.columns = f.line(
            form,
            "columns",
            "Columns of the files",
            "optional: order_id BIGINT, amount DECIMAL(12,2), year, month",
            note="Optional. Typed here, the key, partition, distribution and aggregation columns are "
            "checked before sending; left empty, AI Lake infers them from the files and the operation "
            "fails on what does not fit.",
        )

    def _build_key(self) -> None:
        f, form = self.parts, self.parts.group("Key")
        self.key_type = f.combo(
            form, "keyConfig.type", "Key type", [("service default (duplicate)", "")] + _same(KEY_TYPES)
        )
        self.key_columns = f.line(form, "keyConfig.columns", "Key columns", "default: the first column")
        self.aggregations = PairTable(["Column", "Aggregation"], [None, AGGREGATION_FUNCTIONS], self)
        self.fill_aggregations = QPushButton("A row per non-key column", self.aggregations)
        self.fill_aggregations.setObjectName("fillAggregations")
        self.fill_aggregations.setToolTip("Needs the columns of the files typed above")
        self.fill_aggregations.clicked.connect(self._fill_aggregations)
        self.aggregations.buttons.insertWidget(2, self.fill_aggregations)
        self.aggregations.changed.connect(lambda: self._edited("aggregationOverrides"))
        note = "An aggregate key needs one for every non-key column."
        f.row(form, "aggregationOverrides", "Aggregations", self.aggregations, note=note, lines=2)
        self.key_type.currentIndexChanged.connect(lambda _i: self._layout_rows())

    def _build_partitioning(self) -> None:
        f, form = self.parts, self.parts.group("Partitioning")
        kinds = [("nothing (one partition)", ""), ("columns", "column"), ("date_trunc", "dateTrunc")]
        self.partition_type = f.combo(
            form, "partitionConfig.type", "Partition by", kinds + [("time_slice", "timeSlice")]
        )
        self.partition_columns = f.line(form, "partitionConfig.columns", "Columns", "e.g. year, month")
        self.partition_column = f.line(form, "partitionConfig.column", "Column", "a DATE or DATETIME column")
        units = [("", "")] + _same(TIME_UNITS)
        self.partition_unit = f.combo(form, "partitionConfig.unit", "Time unit", units)
        self.partition_slices = f.line(form, "partitionConfig.slices", "Units per slice", "e.g. 7")
        self.partition_type.currentIndexChanged.connect(lambda _i: self._layout_rows())

    def _build_distribution(self) -> None:
        f, form = self.parts, self.parts.group("Distribution")
        self.distribution_type = f.combo(
            form,
            "distributionConfig.type",
            "Distribute by",
            [("service default (hash)", ""), ("hash", "hash"), ("random", "random")],
            note="Random distribution is for duplicate-key tables only.",
        )
        self.buckets = f.line(form, "distributionConfig.buckets", "Buckets", "default: 1")
        self.distribution_columns = f.line(
            form, "distributionConfig.columns", "Hash columns", "default: the first column"
        )
        self.distribution_type.currentIndexChanged.connect(lambda _i: self._layout_rows())

    def _build_columns(self) -> None:
        f, form = self.parts, self.parts.group("Column types and expressions")
        self.overrides = PairTable(["Column", "SQL type"], [None, None], self)
        self.overrides.changed.connect(lambda: self._edited("columnOverrides"))
        note = "Replace an inferred type, e.g. year → INT, event_date → DATE."
        f.row(form, "columnOverrides", "Type overrides", self.overrides, note=note)
        self.expressions = PairTable(
            ["Target column", "Function", "Source column"], [None, COLUMN_FUNCTIONS, None], self
        )
        self.expressions.changed.connect(lambda: self._edited("columnExpressions"))
        note = "Loads function(source) as the target column, e.g. HLL_HASH(user_id)."
        f.row(form, "columnExpressions", "Expressions", self.expressions, note=note)

    def _build_loading(self) -> None:
        f, form = self.parts, self.parts.group("Loading and properties")
        self.max_varchar = f.line(form, "maxVarcharLength", "Max VARCHAR length", "0 = no cap")
        self.polling = f.line(
            form, "pollingIntervalSeconds", "Polling interval (s)", "0 or empty = the service's default"
        )
        self.properties = PairTable(["Property", "Value"], [None, None], self)
        for name, value in DEFAULT_TABLE_PROPERTIES.items():
            self.properties.add_row(name, value)
        self.properties.changed.connect(lambda: self._edited("tableProperties"))
        f.row(form, "tableProperties", "Table properties", self.properties)

    def _build_frame(self) -> None:
        """The groups in two columns, scrolled; the failed input's note above, the service's
        message, the line of what is left to fix and the buttons below."""
        columns = QHBoxLayout()
        for titles in (LEFT, RIGHT):
            side = QVBoxLayout()
            for title in titles:
                side.addWidget(self.groups[title])
            side.addStretch(1)
            columns.addLayout(side, 1)
        body = QWidget(self)
        body.setLayout(columns)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        self.todo = QLabel(self)
        self.todo.setObjectName("todo")
        self.todo.setWordWrap(True)
        # Two lines kept, so that a longer state never shrinks or moves the form above.
        self.todo.setMinimumHeight(self.todo.fontMetrics().lineSpacing() * 2 + 4)
        self.todo.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.message = QLabel(self)
        self.message.setObjectName("serverMessage")
        self.message.setWordWrap(True)
        set_tone(self.message, "error")
        self.message.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton("Create", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setObjectName("createButton")
        self.buttons.accepted.connect(self._create)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.todo, 1)
        bottom.addWidget(self.buttons, 0, Qt.AlignmentFlag.AlignBottom)
        outer = QVBoxLayout(self)
        # Above the form from the start, so that showing it never moves the fields.
        self.retry_bar = FailedNote(self)
        self.retry_note, self.blank_button = self.retry_bar.note, self.retry_bar.blank_button
        self.blank_button.clicked.connect(self.start_blank)
        outer.addWidget(self.retry_bar)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.message)
        outer.addLayout(bottom)

    def _fit_screen(self, parent: QWidget | None) -> None:
        """Room for both columns, within the screen (on a 1024×700 one the buttons stay in sight:
        the form scrolls)."""
        screen = (parent or self).screen().availableGeometry()
        self.resize(min(1060, screen.width() - 24), min(860, screen.height() - 48))

    def _layout_rows(self) -> None:
        """Only the fields the chosen variants have."""
        show, key = self.parts.show_row, self.key_type.currentData()
        show("Key", "keyConfig.columns", bool(key))
        show("Key", "aggregationOverrides", key == "aggregate")
        kind = self.partition_type.currentData()
        show("Partitioning", "partitionConfig.columns", kind == "column")
        for name in ("partitionConfig.column", "partitionConfig.unit"):
            show("Partitioning", name, kind in ("dateTrunc", "timeSlice"))
        show("Partitioning", "partitionConfig.slices", kind == "timeSlice")
        dist = self.distribution_type.currentData()
        show("Distribution", "distributionConfig.buckets", bool(dist))
        show("Distribution", "distributionConfig.columns", dist == "hash")
        self.validate(quiet=True)

    def _fill_aggregations(self) -> None:
        form = self.form()
        columns = form.typed_columns() or []
        keys = set(name_list(form.key_columns) or [c.name for c in columns[:1]])
        present = set(self.aggregations.first_column())
        for c in columns:
            if c.name not in keys and c.name not in present:
                self.aggregations.add_row(c.name, "")
        self._edited("aggregationOverrides")

    # -- reading and checking ---------------------------------------------------------------------------
    def form(self) -> CreateForm:
        return CreateForm(
            source_storage=self.storage.name(),
            path_prefix=self.path_prefix.text(),
            table_name=self.table_name.text(),
            columns=self.columns.text(),
            key_type=str(self.key_type.currentData() or ""),
            key_columns=self.key_columns.text(),
            aggregations=[(r[0], r[1]) for r in self.aggregations.rows()],
            partition_type=str(self.partition_type.currentData() or ""),
            partition_columns=self.partition_columns.text(),
            partition_column=self.partition_column.text(),
            partition_unit=str(self.partition_unit.currentData() or ""),
            partition_slices=self.partition_slices.text(),
            distribution_type=str(self.distribution_type.currentData() or ""),
            buckets=self.buckets.text(),
            distribution_columns=self.distribution_columns.text(),
            overrides=[(r[0], r[1]) for r in self.overrides.rows()],
            expressions=[(r[0], r[1], r[2]) for r in self.expressions.rows()],
            max_varchar_length=self.max_varchar.text(),
            polling_interval=self.polling.text(),
            properties=[(r[0], r[1]) for r in self.properties.rows()],
        )

    def problems(self) -> dict[str, str]:
        form = self.form()
        _, found = form.check()
        body, _ = form.body()
        for key, (value, reason) in list(self._refused.items()):
            if body.get(key.split(".")[0]) == value:
                found.setdefault(key, reason)
            else:
                del self._refused[key]
        return found

    def validate(self, quiet: bool = False) -> bool:
        """Show each field's reason (in quiet mode only for fields already edited); the Create
        button is enabled when nothing is left to fix."""
        if not hasattr(self, "create_button"):
            return False  # still building the form
        bad = self.problems()
        later = self.form().checked_by_service()
        for key, box in self.fields.items():
            shown = key in self._refused or not quiet or key in self._touched or _has_text(box.editor)
            box.set_error(bad.get(key) if shown else None)
            box.set_note(None)
        if "the aggregations" in later:
            # The columns were not typed: which non-key column lacks an aggregation is only known
            # once AI Lake has read the files.
            self.fields["aggregationOverrides"].set_note(LATER_AGGREGATIONS)
        self.fill_aggregations.setEnabled(bool(self.columns.text().strip()))
        text, tone = todo_line(bad, later, quiet)
        self.todo.setText(text)
        set_tone(self.todo, tone)
        self.create_button.setEnabled(not bad)
        return not bad

    def _edited(self, key: str) -> None:
        self._touched.add(key)
        self.validate(quiet=True)

    def _changed(self) -> None:
        self.validate(quiet=True)

    def touch_all(self) -> None:
        """Show every field's reason, as a press of Create would."""
        self._touched.update(self.fields)
        self.validate(quiet=True)

    async def _load_storages(self) -> None:
        try:
            storages = await self.service.object_storages()
        except errors.ApiError as e:
            self.storage.type_by_hand()  # typing the name stays possible when the list cannot be read
            reason = f"Could not list the object storages: {Refusal.of(e).reason}"
            self.fields["sourceStorageName"].set_error(reason)
            self.storages_loaded.emit()
            return
        self.storage.show_storages(storages)
        self.validate(quiet=True)
        self.storages_loaded.emit()

    # -- filling ------------------------------------------------------------------------------------------
    def fill(self, form: CreateForm, failure: str = "") -> None:
        """Every field as in ``form``; with ``failure`` (why the create of that form failed) the
        line above the form says so and offers to start blank."""
        self.storage.want(form.source_storage)
        for edit, text in (
            (self.path_prefix, form.path_prefix),
            (self.table_name, form.table_name),
            (self.columns, form.columns),
            (self.key_columns, form.key_columns),
            (self.partition_columns, form.partition_columns),
            (self.partition_column, form.partition_column),
            (self.partition_slices, form.partition_slices),
            (self.buckets, form.buckets),
            (self.distribution_columns, form.distribution_columns),
            (self.max_varchar, form.max_varchar_length),
            (self.polling, form.polling_interval),
        ):
            edit.setText(text)
        for combo, value in (
            (self.key_type, form.key_type),
            (self.partition_type, form.partition_type),
            (self.partition_unit, form.partition_unit),
            (self.distribution_type, form.distribution_type),
        ):
            combo.setCurrentIndex(max(0, combo.findData(value)))
        self.aggregations.set_rows(form.aggregations)
        self.overrides.set_rows(form.overrides)
        self.expressions.set_rows(form.expressions)
        self.properties.set_rows(form.properties)
        if failure:
            self.retry_bar.show_failure(form.table_name.strip() or "the table", failure)
        self._touched.update(self.fields)
        self._layout_rows()

    def start_blank(self) -> None:
        """Every field empty (table properties back to their default); the failed input stays with
        the service, for the view's Edit and retry."""
        self.fill(CreateForm(properties=list(DEFAULT_TABLE_PROPERTIES.items())))
        self.storage.wanted = ""
        self.storage.setCurrentIndex(0)
        self._touched.clear()
        self._refused.clear()
        self.retrying = None
        self.retry_bar.hide()
        self.message.hide()
        self.validate(quiet=True)

    # -- sending ------------------------------------------------------------------------------------------
    def _create(self) -> None:
        self.touch_all()
        form = self.form()
        request, _ = form.check()
        if request is None or not self.validate():
            return
        self.create_button.setEnabled(False)
        self.message.hide()
        self.ctx.run(self._submit(form), key=f"pipe-create-{id(self)}", what=f"creating {request.table_name}")

    async def _submit(self, form: CreateForm) -> None:
        try:
            job = await self.service.create(self.instance, form, retrying=self.retrying)
        except errors.ApiError as e:
            self._refused_now(form, Refusal.of(e))
            return
        finally:
            self.validate(quiet=True)
        self.submitted.emit(job)
        self.accept()

    def _refused_now(self, form: CreateForm, said: Refusal) -> None:
        """AI Lake refused the form at once: its reason at the field it names and below the form."""
        kept = self.service.failed_create(self.instance)
        if kept is not None and kept.form is form:
            self.retrying = kept  # the service keeps this refusal for Edit and retry
        if said.where is not None:
            value = form.body()[0].get(said.where.split(".")[0])
            self._refused[said.where] = (value, f"AI Lake refused it: {said.reason}")
        self.refusal = said.reason
        hint = f" ({said.hint})" if said.hint else ""
        self.message.setText(f"AI Lake refused the table: {said.reason}{hint}")
        self.message.show()
        self.validate()


def _has_text(editor: QWidget) -> bool:
    return isinstance(editor, QLineEdit) and bool(editor.text())


def _same(values: Sequence[str]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


def create_pipe_table(
    ctx: UiContext,
    service: PipeTablesService,
    instance: str,
    parent: QWidget | None,
    on_submitted: Callable[[TrackedJob], None] | None = None,
) -> CreatePipeTableDialog:
    """Open the dialog: blank, or filled with the input of the instance's last create that failed
    (the service keeps it until it is sent again or forgotten)."""
    dialog = CreatePipeTableDialog(ctx, service, instance, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if on_submitted is not None:
        dialog.submitted.connect(on_submitted)
    dialog.open()
    return dialog
