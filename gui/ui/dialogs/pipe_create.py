"""Create a pipe table: every field of AI Lake's CreatePipeTableRequest, each checked where it is
typed against the client's request model, with the reason on the line kept under the field. The
service's refusal is shown at the field it names; an accepted request is handed to the view as an
operation id, with the form as typed (``sent_form``) so that a create that fails later can be
edited and sent again. The dialog can open filled with such a form, and start blank from there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ...api import errors
from ...api.ailake import (
    AGGREGATION_FUNCTIONS,
    COLUMN_FUNCTIONS,
    DEFAULT_TABLE_PROPERTIES,
    KEY_TYPES,
    TIME_UNITS,
    CreatePipeTableRequest,
)
from ...services.pipe_tables import (
    CREATE_FIELDS,
    CreateForm,
    failure_reason,
    name_list,
    refused_field,
    words,
)
from ...services.profiles import Profile
from ..context import UiContext
from ..style import set_tone
from .pipe_fields import FieldBox, PairTable

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


class CreatePipeTableDialog(QDialog):
    """Emits ``submitted(operation_id, table_name)`` once AI Lake has accepted the request."""

    submitted = Signal(str, str)
    storages_loaded = Signal()

    def __init__(
        self,
        ctx: UiContext,
        profile: Profile,
        instance: str,
        parent: QWidget | None = None,
        form: CreateForm | None = None,
        failure: str = "",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile = profile
        self.instance = instance
        # The form sent when AI Lake accepted it; what AI Lake said when it refused it at once.
        self.sent_form: CreateForm | None = None
        self.refusal = ""
        # Filled with the input of a create that failed (and not started blank since).
        self.from_failed = False
        self._wanted_storage = ""
        self._storages_read = False
        self.setWindowTitle(f"New pipe table in {instance}")
        self.setObjectName("createPipeTableDialog")
        self.fields: dict[str, FieldBox] = {}
        self.forms: dict[str, QFormLayout] = {}
        self.groups: dict[str, QGroupBox] = {}
        self._touched: set[str] = set()
        # The service's reasons, each with the value it refused: shown until that value changes.
        self._refused: dict[str, tuple[Any, str]] = {}

        # -- source and name ------------------------------------------------------------------------
        source = self._group("Source and name")
        self.storage = QComboBox(self)
        self.storage.setObjectName("sourceStorageName")
        self.storage.addItem("Loading object storages…", "")
        self.storage.currentIndexChanged.connect(lambda _i: self._edited("sourceStorageName"))
        self.storage.editTextChanged.connect(lambda _t: self._edited("sourceStorageName"))
        self._row(source, "sourceStorageName", "Object storage", self.storage)
        self.path_prefix = self._line(
            source,
            "pathPrefix",
            "Path prefix",
            "e.g. sales/ or sales/year=2024/",
            note="Every parquet file at one depth: directly under it, or under Hive folders (month=01/).",
        )
        self.table_name = self._line(
            source,
            "tableName",
            "Table name",
            "e.g. sales_2024",
            note="A lowercase letter, then at most 62 lowercase letters, digits, _ or -.",
        )
        self.columns = self._line(
            source,
            "columns",
            "Columns of the files",
            "optional: order_id BIGINT, amount DECIMAL(12,2), year, month",
            note="Optional. Typed here, the key, partition, distribution and aggregation columns are "
            "checked before sending; left empty, AI Lake infers them from the files and the operation "
            "fails on what does not fit.",
        )

        # -- key ----------------------------------------------------------------------------------------
        key = self._group("Key")
        self.key_type = self._combo(
            key, "keyConfig.type", "Key type", [("service default (duplicate)", "")] + _same(KEY_TYPES)
        )
        self.key_columns = self._line(key, "keyConfig.columns", "Key columns", "default: the first column")
        self.aggregations = PairTable(["Column", "Aggregation"], [None, AGGREGATION_FUNCTIONS], self)
        self.fill_aggregations = QPushButton("A row per non-key column", self.aggregations)
        self.fill_aggregations.setObjectName("fillAggregations")
        self.fill_aggregations.setToolTip("Needs the columns of the files typed above")
        self.fill_aggregations.clicked.connect(self._fill_aggregations)
        self.aggregations.buttons.insertWidget(2, self.fill_aggregations)
        self.aggregations.changed.connect(lambda: self._edited("aggregationOverrides"))
        self._row(
            key,
            "aggregationOverrides",
            "Aggregations",
            self.aggregations,
            note="An aggregate key needs one for every non-key column.",
            lines=2,
        )
        self.key_type.currentIndexChanged.connect(lambda _i: self._layout_rows())

        # -- partitioning -------------------------------------------------------------------------------
        part = self._group("Partitioning")
        self.partition_type = self._combo(
            part,
            "partitionConfig.type",
            "Partition by",
            [("nothing (one partition)", ""), ("columns", "column"), ("date_trunc", "dateTrunc")]
            + [("time_slice", "timeSlice")],
        )
        self.partition_columns = self._line(part, "partitionConfig.columns", "Columns", "e.g. year, month")
        self.partition_column = self._line(
            part, "partitionConfig.column", "Column", "a DATE or DATETIME column"
        )
        self.partition_unit = self._combo(
            part, "partitionConfig.unit", "Time unit", [("", "")] + _same(TIME_UNITS)
        )
        self.partition_slices = self._line(part, "partitionConfig.slices", "Units per slice", "e.g. 7")
        self.partition_type.currentIndexChanged.connect(lambda _i: self._layout_rows())

        # -- distribution -------------------------------------------------------------------------------
        dist = self._group("Distribution")
        self.distribution_type = self._combo(
            dist,
            "distributionConfig.type",
            "Distribute by",
            [("service default (hash)", ""), ("hash", "hash"), ("random", "random")],
            note="Random distribution is for duplicate-key tables only.",
        )
        self.buckets = self._line(dist, "distributionConfig.buckets", "Buckets", "default: 1")
        self.distribution_columns = self._line(
            dist, "distributionConfig.columns", "Hash columns", "default: the first column"
        )
        self.distribution_type.currentIndexChanged.connect(lambda _i: self._layout_rows())

        # -- columns ------------------------------------------------------------------------------------
        cols = self._group("Column types and expressions")
        self.overrides = PairTable(["Column", "SQL type"], [None, None], self)
        self.overrides.changed.connect(lambda: self._edited("columnOverrides"))
        self._row(
            cols,
            "columnOverrides",
            "Type overrides",
            self.overrides,
            note="Replace an inferred type, e.g. year → INT, event_date → DATE.",
        )
        self.expressions = PairTable(
            ["Target column", "Function", "Source column"], [None, COLUMN_FUNCTIONS, None], self
        )
        self.expressions.changed.connect(lambda: self._edited("columnExpressions"))
        self._row(
            cols,
            "columnExpressions",
            "Expressions",
            self.expressions,
            note="Loads function(source) as the target column, e.g. HLL_HASH(user_id).",
        )

        # -- loading ------------------------------------------------------------------------------------
        load = self._group("Loading and properties")
        self.max_varchar = self._line(load, "maxVarcharLength", "Max VARCHAR length", "0 = no cap")
        self.polling = self._line(
            load,
            "pollingIntervalSeconds",
            "Polling interval (s)",
            "0 or empty = the service's default",
        )
        self.properties = PairTable(["Property", "Value"], [None, None], self)
        for name, value in DEFAULT_TABLE_PROPERTIES.items():
            self.properties.add_row(name, value)
        self.properties.changed.connect(lambda: self._edited("tableProperties"))
        self._row(load, "tableProperties", "Table properties", self.properties)

        # -- the dialog ---------------------------------------------------------------------------------
        left = QVBoxLayout()
        for title in ("Source and name", "Key", "Distribution"):
            left.addWidget(self.groups[title])
        left.addStretch(1)
        right = QVBoxLayout()
        for title in ("Partitioning", "Column types and expressions", "Loading and properties"):
            right.addWidget(self.groups[title])
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
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
        # Above the form from the start, so that it never moves the fields.
        self.retry_bar = QWidget(self)
        self.retry_bar.setObjectName("retryBar")
        self.retry_note = QLabel(self.retry_bar)
        self.retry_note.setObjectName("retryNote")
        self.retry_note.setWordWrap(True)
        set_tone(self.retry_note, "warning")
        self.retry_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.blank_button = QPushButton("Start blank", self.retry_bar)
        self.blank_button.setObjectName("startBlank")
        self.blank_button.setToolTip("Empty every field; the failed input stays available in the view")
        self.blank_button.clicked.connect(self.start_blank)
        retry = QHBoxLayout(self.retry_bar)
        retry.setContentsMargins(0, 0, 0, 0)
        retry.addWidget(self.retry_note, 1)
        retry.addWidget(self.blank_button)
        self.retry_bar.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton("Create", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setObjectName("createButton")
        self.buttons.accepted.connect(self._create)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.todo, 1)
        bottom.addWidget(self.buttons, 0, Qt.AlignmentFlag.AlignBottom)
        outer = QVBoxLayout(self)
        outer.addWidget(self.retry_bar)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.message)
        outer.addLayout(bottom)
        self.resize(1060, 860)
        self._layout_rows()
        if form is not None:
            self.fill(form, failure)
        self.validate(quiet=True)
        self.ctx.run(
            self._load_storages(), key=f"pipe-create-storages-{id(self)}", what="listing object storages"
        )

    # -- building ---------------------------------------------------------------------------------------
    def _group(self, title: str) -> QFormLayout:
        box = QGroupBox(title, self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.forms[title] = form
        self.groups[title] = box
        return form

    def _row(
        self, form: QFormLayout, key: str, label: str, editor: QWidget, note: str = "", lines: int = 1
    ) -> FieldBox:
        box = FieldBox(editor, self, note, lines)
        self.fields[key] = box
        form.addRow(label, box)
        return box

    def _line(
        self,
        form: QFormLayout,
        key: str,
        label: str,
        placeholder: str = "",
        note: str = "",
        lines: int = 1,
    ) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(key)
        edit.setPlaceholderText(placeholder)
        edit.textEdited.connect(lambda _t: self._edited(key))
        edit.textChanged.connect(lambda _t: self.validate(quiet=True))
        self._row(form, key, label, edit, note, lines)
        return edit

    def _combo(
        self, form: QFormLayout, key: str, label: str, items: Sequence[tuple[str, str]], note: str = ""
    ) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(key)
        for text, data in items:
            combo.addItem(text, data)
        combo.currentIndexChanged.connect(lambda _i: self._edited(key))
        self._row(form, key, label, combo, note)
        return combo

    def _layout_rows(self) -> None:
        """Only the fields the chosen variants have."""
        key_form = self.forms["Key"]
        key_form.setRowVisible(self.fields["keyConfig.columns"], bool(self.key_type.currentData()))
        key_form.setRowVisible(
            self.fields["aggregationOverrides"], self.key_type.currentData() == "aggregate"
        )
        part_form = self.forms["Partitioning"]
        kind = self.partition_type.currentData()
        part_form.setRowVisible(self.fields["partitionConfig.columns"], kind == "column")
        for name in ("partitionConfig.column", "partitionConfig.unit"):
            part_form.setRowVisible(self.fields[name], kind in ("dateTrunc", "timeSlice"))
        part_form.setRowVisible(self.fields["partitionConfig.slices"], kind == "timeSlice")
        dist_form = self.forms["Distribution"]
        dist = self.distribution_type.currentData()
        dist_form.setRowVisible(self.fields["distributionConfig.buckets"], bool(dist))
        dist_form.setRowVisible(self.fields["distributionConfig.columns"], dist == "hash")
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
        storage = self.storage.currentText() if self.storage.isEditable() else self.storage.currentData()
        return CreateForm(
            source_storage=str(storage or ""),
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
            self.fields["aggregationOverrides"].set_note(
                "Every non-key column needs one; AI Lake checks this when it reads the files"
            )
        self.fill_aggregations.setEnabled(bool(self.columns.text().strip()))
        left = [(LABELS[k], bad[k]) for k in CREATE_FIELDS if k in bad]
        left += [(key, reason) for key, reason in bad.items() if key not in LABELS]
        if left:
            (label, reason), others = left[0], [lbl for lbl, _ in left[1:]]
            text = f"To fix: {label} ({reason.rstrip('.')})"
            self.todo.setText(text + (f"; also {words(others)}." if others else "."))
            set_tone(self.todo, None if quiet else "error")
        elif later:
            self.todo.setText(
                f"Nothing left to fix that can be checked here: AI Lake checks {words(later)} when it "
                "reads the files. Type the columns of the files above to check them now."
            )
            set_tone(self.todo, "warning")
        else:
            self.todo.setText("Ready to create.")
            self.todo.setStyleSheet("")
        self.create_button.setEnabled(not bad)
        return not bad

    def _edited(self, key: str) -> None:
        self._touched.add(key)
        self.validate(quiet=True)

    def touch_all(self) -> None:
        """Show every field's reason, as a press of Create would."""
        self._touched.update(self.fields)
        self.validate(quiet=True)

    # -- object storages --------------------------------------------------------------------------------
    async def _load_storages(self) -> None:
        try:
            client = await self.ctx.session.ailake(self.profile)
            storages = await client.list_object_storages().collect()
        except errors.ApiError as e:
            # Typing the name stays possible when the list cannot be read.
            self.storage.clear()
            self.storage.setEditable(True)
            line = self.storage.lineEdit()
            if line is not None:
                line.setPlaceholderText("the object storage's name")
                line.setText(self._wanted_storage)
            self._storages_read = True
            self.fields["sourceStorageName"].set_error(
                f"Could not list the object storages: {failure_reason(e)}"
            )
            self.storages_loaded.emit()
            return
        self.storage.blockSignals(True)
        self.storage.clear()
        if not storages:
            self.storage.addItem("No object storage: configure one in GoodData first", "")
        for s in storages:
            self.storage.addItem(f"{s.name}  ({s.storage_type})", s.name)
            self.storage.setItemData(
                self.storage.count() - 1,
                "\n".join(f"{k}: {v}" for k, v in s.storage_config.items()) or s.storage_id,
                Qt.ItemDataRole.ToolTipRole,
            )
        self._storages_read = True
        self._select_storage(self._wanted_storage)
        self.storage.blockSignals(False)
        self.validate(quiet=True)
        self.storages_loaded.emit()

    def _select_storage(self, name: str) -> None:
        """Select the storage typed before; one no longer listed is kept, and said so."""
        if not name:
            return
        if self.storage.isEditable():
            self.storage.setEditText(name)
            return
        index = self.storage.findData(name)
        if index < 0:
            self.storage.addItem(f"{name}  (not among the listed storages)", name)
            index = self.storage.count() - 1
        self.storage.setCurrentIndex(index)

    # -- filling ------------------------------------------------------------------------------------------
    def fill(self, form: CreateForm, failure: str = "") -> None:
        """Every field as in ``form``; with ``failure`` (why the create of that form failed) the
        line above the form says so and offers to start blank."""
        self._wanted_storage = form.source_storage
        if self._storages_read:
            self._select_storage(form.source_storage)
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
        self.from_failed = bool(failure)
        if failure:
            name = form.table_name.strip() or "the table"
            self.retry_note.setText(f"As typed for {name}, whose create failed: {failure}")
            self.retry_note.setToolTip(failure)
            self.retry_bar.show()
        self._touched.update(self.fields)
        self._layout_rows()

    def start_blank(self) -> None:
        """Every field empty (table properties back to their default)."""
        blank = CreateForm(properties=list(DEFAULT_TABLE_PROPERTIES.items()))
        self.fill(blank)
        self._wanted_storage = ""
        self.storage.setCurrentIndex(0)
        self._touched.clear()
        self._refused.clear()
        self.from_failed = False
        self.retry_bar.hide()
        self.message.hide()
        self.validate(quiet=True)

    # -- sending ------------------------------------------------------------------------------------------
    def _create(self) -> None:
        self.touch_all()
        request, _ = self.form().check()
        if request is None or not self.validate():
            return
        self.create_button.setEnabled(False)
        self.message.hide()
        self.ctx.run(
            self._submit(request), key=f"pipe-create-{id(self)}", what=f"creating {request.table_name}"
        )

    async def _submit(self, request: CreatePipeTableRequest) -> None:
        columns = self.form().typed_columns()
        try:
            client = await self.ctx.session.ailake(self.profile)
            op_id = await client.create_pipe_table(self.instance, request, columns=columns)
        except errors.ApiError as e:
            reason = failure_reason(e)
            where = refused_field(e.message)
            if where is not None:
                value = self.form().body()[0].get(where.split(".")[0])
                self._refused[where] = (value, f"AI Lake refused it: {reason}")
            self.refusal = reason
            self.message.setText(f"AI Lake refused the table: {reason}" + (f" ({e.hint})" if e.hint else ""))
            self.message.show()
            self.validate()
            return
        finally:
            self.validate(quiet=True)
        self.sent_form = self.form()
        self.submitted.emit(op_id, request.table_name)
        self.accept()


def _has_text(editor: QWidget) -> bool:
    return isinstance(editor, QLineEdit) and bool(editor.text())


def _same(values: Sequence[str]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


def create_pipe_table(
    ctx: UiContext,
    profile: Profile,
    instance: str,
    parent: QWidget | None,
    on_submitted: Any = None,
    form: CreateForm | None = None,
    failure: str = "",
) -> CreatePipeTableDialog:
    """Open the dialog, blank or filled with ``form`` (the input of a create that failed, and
    ``failure`` why)."""
    dialog = CreatePipeTableDialog(ctx, profile, instance, parent, form, failure)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if on_submitted is not None:
        dialog.submitted.connect(on_submitted)
    dialog.open()
    return dialog
