"""AI Lake request and response models, with the limits of GoodData's OpenAPI 1.73.0 (pipe tables
included) so the console can check each field before sending and show the reason at the field.

Requests refuse unknown top-level fields (a misspelt field would otherwise be dropped silently);
responses keep whatever extra fields the service adds, and an unknown variant of a table
configuration is kept as a plain dict rather than failing the whole answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
)
from pydantic.alias_generators import to_camel

INT32_MAX = 2_147_483_647
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50

TABLE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
TABLE_NAME_RULE = (
    "must start with a lowercase letter followed by at most 62 lowercase letters, digits, '_' or '-'"
)

KeyType = Literal["aggregate", "duplicate", "primary", "unique"]
DistributionType = Literal["hash", "random"]
PartitionType = Literal["column", "dateTrunc", "timeSlice"]
AggregationFunction = Literal[
    "SUM", "MIN", "MAX", "REPLACE", "REPLACE_IF_NOT_NULL", "HLL_UNION", "BITMAP_UNION", "PERCENTILE_UNION"
]
ColumnFunction = Literal["HLL_HASH", "BITMAP_HASH", "BITMAP_HASH64", "TO_BITMAP"]
TimeUnit = Literal[
    "year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond", "microsecond"
]

KEY_TYPES: tuple[str, ...] = ("aggregate", "duplicate", "primary", "unique")
DISTRIBUTION_TYPES: tuple[str, ...] = ("hash", "random")
PARTITION_TYPES: tuple[str, ...] = ("column", "dateTrunc", "timeSlice")
AGGREGATION_FUNCTIONS: tuple[str, ...] = (
    "SUM",
    "MIN",
    "MAX",
    "REPLACE",
    "REPLACE_IF_NOT_NULL",
    "HLL_UNION",
    "BITMAP_UNION",
    "PERCENTILE_UNION",
)
COLUMN_FUNCTIONS: tuple[str, ...] = ("HLL_HASH", "BITMAP_HASH", "BITMAP_HASH64", "TO_BITMAP")
TIME_UNITS: tuple[str, ...] = (
    "year",
    "quarter",
    "month",
    "week",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "microsecond",
)
DEFAULT_TABLE_PROPERTIES: dict[str, str] = {"replication_num": "1"}

# Operation kinds of 1.73 (1.77+ dropped the pipe-table ones); kept as plain strings in the
# models so a newer service's kinds still load.
OPERATION_KINDS: tuple[str, ...] = (
    "provision-database",
    "deprovision-database",
    "run-service-command",
    "create-pipe-table",
    "delete-pipe-table",
    "analyze-statistics",
    "refresh-partition",
)

_CAMEL = {
    "alias_generator": to_camel,
    "validate_by_name": True,
    "validate_by_alias": True,
    "serialize_by_alias": True,
}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", **_CAMEL)  # type: ignore[typeddict-item]

    def to_json(self) -> dict[str, Any]:
        """The JSON body: camelCase names, unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class _Nested(BaseModel):
    # Strict like requests, so a misspelt field is not dropped silently; in responses a variant
    # this client does not know falls back to a plain dict (see PipeTable).
    model_config = ConfigDict(extra="forbid", **_CAMEL)  # type: ignore[typeddict-item]


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", **_CAMEL)  # type: ignore[typeddict-item]


# -- shared field checks ---------------------------------------------------------------------------


def _column_list(value: list[str] | None, *, default: str) -> list[str] | None:
    if value is None:
        return None
    if not value:
        raise ValueError(f"give at least one column, or leave it out to use {default}")
    seen: set[str] = set()
    for name in value:
        if not name.strip():
            raise ValueError("column names must not be empty")
        if name in seen:
            raise ValueError(f"column '{name}' is listed twice")
        seen.add(name)
    return value


def _name(value: str, what: str) -> str:
    if not value.strip():
        raise ValueError(f"{what} must not be empty")
    return value


# -- table configuration (oneOf variants told apart by `type`) -------------------------------------


class _KeyConfig(_Nested):
    columns: list[str] | None = Field(
        default=None, description="Key columns. Defaults to the first inferred column."
    )

    @field_validator("columns")
    @classmethod
    def _columns(cls, v: list[str] | None) -> list[str] | None:
        return _column_list(v, default="the first inferred column")


class AggregateKeyConfig(_KeyConfig):
    """Rows sharing the key are pre-aggregated; every other column needs an aggregation."""

    type: Literal["aggregate"] = "aggregate"


class DuplicateKeyConfig(_KeyConfig):
    """Duplicate rows are kept; the key is the sort key."""

    type: Literal["duplicate"] = "duplicate"


class PrimaryKeyConfig(_KeyConfig):
    """The key is unique; a new row replaces the old one."""

    type: Literal["primary"] = "primary"


class UniqueKeyConfig(_KeyConfig):
    """The key is unique; a new row replaces the old one."""

    type: Literal["unique"] = "unique"


class HashDistributionConfig(_Nested):
    type: Literal["hash"] = "hash"
    buckets: int | None = Field(default=None, ge=1, le=INT32_MAX, description="Defaults to 1.")
    columns: list[str] | None = Field(default=None, description="Defaults to the first column.")

    @field_validator("columns")
    @classmethod
    def _columns(cls, v: list[str] | None) -> list[str] | None:
        return _column_list(v, default="the first column")


class RandomDistributionConfig(_Nested):
    type: Literal["random"] = "random"
    buckets: int | None = Field(default=None, ge=1, le=INT32_MAX, description="Defaults to 1.")


class ColumnPartitionConfig(_Nested):
    type: Literal["column"] = "column"
    columns: list[str] = Field(description="Columns to partition by.")

    @field_validator("columns")
    @classmethod
    def _columns(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("give at least one column to partition by")
        checked = _column_list(v, default="")
        assert checked is not None
        return checked


class DateTruncPartitionConfig(_Nested):
    type: Literal["dateTrunc"] = "dateTrunc"
    column: str
    unit: TimeUnit

    @field_validator("column")
    @classmethod
    def _column(cls, v: str) -> str:
        return _name(v, "the partition column")


class TimeSlicePartitionConfig(_Nested):
    type: Literal["timeSlice"] = "timeSlice"
    column: str
    unit: TimeUnit
    slices: int = Field(ge=1, le=INT32_MAX, description="How many units per slice.")

    @field_validator("column")
    @classmethod
    def _column(cls, v: str) -> str:
        return _name(v, "the partition column")


KeyConfig = Annotated[
    AggregateKeyConfig | DuplicateKeyConfig | PrimaryKeyConfig | UniqueKeyConfig,
    Field(discriminator="type"),
]
DistributionConfig = Annotated[HashDistributionConfig | RandomDistributionConfig, Field(discriminator="type")]
PartitionConfig = Annotated[
    ColumnPartitionConfig | DateTruncPartitionConfig | TimeSlicePartitionConfig,
    Field(discriminator="type"),
]


class ColumnExpression(_Nested):
    """``function(column)`` projected as the target column in the pipe's INSERT."""

    column: str = Field(description="Source column (after columnOverrides).")
    function: ColumnFunction

    @field_validator("column")
    @classmethod
    def _column(cls, v: str) -> str:
        return _name(v, "the source column")


# -- requests ---------------------------------------------------------------------------------------


class CreatePipeTableRequest(_Request):
    """Body of ``POST …/pipeTables``: a pipe-backed OLAP table over parquet files."""

    path_prefix: str = Field(
        description="Folder of the parquet files in the object storage, e.g. 'my-dataset/year=2024/'."
    )
    source_storage_name: str = Field(description="The `name` of an object storage.")
    table_name: str = Field(description="Name of the OLAP table to create.")
    aggregation_overrides: dict[str, AggregationFunction] | None = None
    column_expressions: dict[str, ColumnExpression] | None = None
    column_overrides: dict[str, str] | None = None
    distribution_config: DistributionConfig | None = None
    key_config: KeyConfig | None = None
    max_varchar_length: int | None = Field(default=None, ge=0, le=INT32_MAX, description="0 = no cap.")
    partition_config: PartitionConfig | None = None
    polling_interval_seconds: int | None = Field(
        default=None, ge=0, le=INT32_MAX, description="0 or null = the service's default."
    )
    table_properties: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_TABLE_PROPERTIES))

    @field_validator("table_name")
    @classmethod
    def _table_name(cls, v: str) -> str:
        if not TABLE_NAME_PATTERN.fullmatch(v):
            raise ValueError(TABLE_NAME_RULE)
        return v

    @field_validator("source_storage_name")
    @classmethod
    def _storage(cls, v: str) -> str:
        return _name(v, "the object storage name")

    @field_validator("aggregation_overrides", "column_expressions")
    @classmethod
    def _target_columns(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        for name in v or {}:
            _name(name, "column names")
        return v

    @field_validator("column_overrides")
    @classmethod
    def _overrides(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        for name, sql_type in (v or {}).items():
            _name(name, "column names")
            if not sql_type.strip():
                raise ValueError(f'give an SQL type for column \'{name}\', e.g. "INT" or "DATE"')
        return v

    @field_validator("table_properties")
    @classmethod
    def _properties(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            _name(name, "property names")
        return v

    def key_columns(self, columns: Sequence[str]) -> list[str]:
        """The key columns the table will have, given its columns (the first one by default)."""
        if self.key_config is not None and self.key_config.columns:
            return list(self.key_config.columns)
        return list(columns[:1])

    def problems(self, columns: Iterable[str | ColumnInfo] | None = None) -> list[FieldProblem]:
        """Rules that span fields or need the table's columns (as inferred from the files,
        Hive partition columns included). Without columns only the cross-field rules are checked.
        An empty list means nothing is known to be wrong."""
        found: list[FieldProblem] = []
        key_type = self.key_config.type if self.key_config is not None else "duplicate"
        if isinstance(self.distribution_config, RandomDistributionConfig) and key_type != "duplicate":
            found.append(
                FieldProblem(
                    "distributionConfig.type",
                    "StarRocks distributes rows randomly only in duplicate-key tables, "
                    f"and this table has a {key_type} key; use hash distribution",
                )
            )
        if columns is None:
            return found
        infos = [c if isinstance(c, ColumnInfo) else ColumnInfo(name=c, type="") for c in columns]
        names = [c.name for c in infos]
        known = set(names)
        types = {c.name: (self.column_overrides or {}).get(c.name, c.type) for c in infos}

        def unknown(path: str, cols: Iterable[str]) -> None:
            for col in cols:
                if col not in known:
                    found.append(FieldProblem(path, f"there is no column '{col}' in the files"))

        if self.key_config is not None and self.key_config.columns:
            unknown("keyConfig.columns", self.key_config.columns)
        if isinstance(self.distribution_config, HashDistributionConfig) and self.distribution_config.columns:
            unknown("distributionConfig.columns", self.distribution_config.columns)
        part = self.partition_config
        if isinstance(part, ColumnPartitionConfig):
            unknown("partitionConfig.columns", part.columns)
        elif part is not None:
            unknown("partitionConfig.column", [part.column])
        for col in self.column_overrides or {}:
            unknown(f"columnOverrides.{col}", [col])
        for target, expr in (self.column_expressions or {}).items():
            unknown(f"columnExpressions.{target}", [target])
            unknown(f"columnExpressions.{target}.column", [expr.column])

        if key_type == "aggregate":
            keys = set(self.key_columns(names))
            overrides = self.aggregation_overrides or {}
            for col in overrides:
                if col in keys:
                    found.append(
                        FieldProblem(
                            f"aggregationOverrides.{col}",
                            f"'{col}' is a key column; only non-key columns take an aggregation",
                        )
                    )
                elif col not in known:
                    found.append(
                        FieldProblem(
                            f"aggregationOverrides.{col}", f"there is no column '{col}' in the files"
                        )
                    )
            missing = [c for c in names if c not in keys and c not in overrides]
            if missing:
                found.append(
                    FieldProblem(
                        "aggregationOverrides",
                        "an aggregate key needs an aggregation for every non-key column; missing: "
                        + ", ".join(missing),
                    )
                )
            for col in names:
                sql_type = types.get(col, "").strip().upper()
                needed = _SKETCH_AGGREGATION.get(sql_type)
                if col in keys or needed is None:
                    continue
                given = overrides.get(col)
                if given is not None and given != needed:
                    found.append(
                        FieldProblem(
                            f"aggregationOverrides.{col}", f"{sql_type} columns are aggregated with {needed}"
                        )
                    )
                if sql_type in _SKETCH_FUNCTIONS and col not in (self.column_expressions or {}):
                    found.append(
                        FieldProblem(
                            f"columnExpressions.{col}",
                            f"the {sql_type} column '{col}' needs an expression "
                            f"({' or '.join(_SKETCH_FUNCTIONS[sql_type])}) to be loaded from the files",
                        )
                    )
        return found


_SKETCH_AGGREGATION = {"HLL": "HLL_UNION", "BITMAP": "BITMAP_UNION", "PERCENTILE": "PERCENTILE_UNION"}
_SKETCH_FUNCTIONS = {"HLL": ("HLL_HASH",), "BITMAP": ("BITMAP_HASH", "BITMAP_HASH64", "TO_BITMAP")}


class RefreshPartitionRequest(_Request):
    """Body of ``POST …/pipeTables/{tableName}/refresh``."""

    partition_spec: dict[str, str] = Field(
        description="Value of every Hive partition column, as in the folder names, e.g. {'month': '01'}."
    )

    @field_validator("partition_spec")
    @classmethod
    def _spec(cls, v: dict[str, str]) -> dict[str, str]:
        if not v:
            raise ValueError("give the value of every partition column of the table")
        for name in v:
            _name(name, "partition column names")
        return v

    def problems(self, partition_columns: Sequence[str]) -> list[FieldProblem]:
        """The keys must be exactly the table's partition columns."""
        keys, wanted = set(self.partition_spec), set(partition_columns)
        if not wanted:
            return [FieldProblem("partitionSpec", "the table has no Hive partition columns to refresh")]
        if keys == wanted:
            return []
        parts = []
        if wanted - keys:
            parts.append("missing " + ", ".join(c for c in partition_columns if c not in keys))
        if keys - wanted:
            parts.append("not a partition column: " + ", ".join(sorted(keys - wanted)))
        return [
            FieldProblem(
                "partitionSpec",
                f"give exactly the partition columns ({', '.join(partition_columns)}); " + "; ".join(parts),
            )
        ]


class AnalyzeStatisticsRequest(_Request):
    table_names: list[str] | None = Field(default=None, description="Empty or null: every table.")


class ProvisionDatabaseInstanceRequest(_Request):
    name: str
    storage_ids: list[str] = Field(description="Ids (storageId) of the object storages it may read.")
    data_source_id: str | None = None
    data_source_name: str | None = None

    @field_validator("name")
    @classmethod
    def _name_given(cls, v: str) -> str:
        return _name(v, "the database instance name")

    @field_validator("storage_ids")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("each object storage may be listed only once")
        return v


class AddDatabaseDataSourceRequest(_Request):
    data_source_id: str
    data_source_name: str | None = None

    @field_validator("data_source_id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _name(v, "the data source id")


class UpdateDatabaseDataSourceRequest(_Request):
    data_source_id: str
    old_data_source_id: str
    data_source_name: str | None = None

    @field_validator("data_source_id", "old_data_source_id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _name(v, "the data source id")


class RunServiceCommandRequest(_Request):
    context: dict[str, str | None] | None = None
    payload: Any = None


# -- responses --------------------------------------------------------------------------------------


class ColumnInfo(_Response):
    name: str
    type: str = Field(description="StarRocks SQL type, e.g. VARCHAR(200), BIGINT, DOUBLE.")


class DataSourceInfo(_Response):
    id: str
    data_source_id: str
    data_source_name: str


class UpdatedDataSource(_Response):
    data_source_id: str
    data_source_name: str


class DatabaseInstance(_Response):
    id: str
    name: str
    storage_ids: list[str] = Field(default_factory=list)
    data_sources: list[DataSourceInfo] = Field(default_factory=list)


class ObjectStorageInfo(_Response):
    storage_id: str
    name: str
    storage_type: str
    storage_config: dict[str, str] = Field(default_factory=dict)


class ServiceInfo(_Response):
    service_id: str
    name: str


class PipeTableSummary(_Response):
    pipe_table_id: str
    table_name: str
    path_prefix: str
    columns: list[ColumnInfo] = Field(default_factory=list)


class PipeTable(_Response):
    pipe_table_id: str
    table_name: str
    database_name: str
    path_prefix: str
    source_storage_name: str
    columns: list[ColumnInfo] = Field(default_factory=list)
    partition_columns: list[str] = Field(default_factory=list)
    key_config: KeyConfig | dict[str, Any]
    distribution_config: DistributionConfig | dict[str, Any]
    partition_config: PartitionConfig | dict[str, Any] | None = None
    polling_interval_seconds: int | None = None
    table_properties: dict[str, str] = Field(default_factory=dict)


class OperationError(_Response):
    title: str = ""
    status: int | None = None
    detail: str = ""


class _Operation(_Response):
    id: str
    kind: str
    status: str


class PendingOperation(_Operation):
    status: Literal["pending"]


class SucceededOperation(_Operation):
    status: Literal["succeeded"]
    result: dict[str, Any] | None = Field(default=None, description="Missing for e.g. deletes.")


class FailedOperation(_Operation):
    status: Literal["failed"]
    error: OperationError | None = None


class OtherOperation(_Operation):
    """A status this client does not know; treated as still running."""


def _operation_tag(value: Any) -> str:
    status = value.get("status") if isinstance(value, Mapping) else getattr(value, "status", None)
    return status if status in ("pending", "succeeded", "failed") else "other"


Operation = Annotated[
    Annotated[PendingOperation, Tag("pending")]
    | Annotated[SucceededOperation, Tag("succeeded")]
    | Annotated[FailedOperation, Tag("failed")]
    | Annotated[OtherOperation, Tag("other")],
    Discriminator(_operation_tag),
]

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of a JSON:API list: the items, their resource ids, and the page metadata
    (``total_elements``/``total_pages`` only when ``metaInclude=page`` was asked for)."""

    items: list[T]
    ids: list[str]
    number: int
    size: int
    total_elements: int | None = None
    total_pages: int | None = None
    self_link: str | None = None

    @property
    def is_last(self) -> bool:
        if not self.items:
            return True
        if self.total_pages is not None:
            return self.number + 1 >= self.total_pages
        return len(self.items) < self.size


# -- field problems for dialogs ----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field, named by its JSON path (e.g. ``keyConfig.columns``)."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


_CONFIG_FIELDS = {"keyConfig", "distributionConfig", "partitionConfig"}
_VARIANT_TAGS = set(KEY_TYPES) | set(DISTRIBUTION_TYPES) | set(PARTITION_TYPES)
_TYPE_LISTS = {
    "keyConfig": KEY_TYPES,
    "distributionConfig": DISTRIBUTION_TYPES,
    "partitionConfig": PARTITION_TYPES,
}


def _json_path(loc: Sequence[int | str]) -> str:
    out = ""
    prev: str | None = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        name = to_camel(part) if part in _FIELD_NAMES else part
        # The union member pydantic adds after a config field is not part of the JSON.
        if prev in _CONFIG_FIELDS and name in _VARIANT_TAGS:
            prev = None
            continue
        out = f"{out}.{name}" if out else name
        prev = name
    return out


def _message(error: Mapping[str, Any], path: str) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    config = path.split(".")[0]
    if kind == "missing":
        return "is required"
    if kind == "union_tag_invalid":
        return f"unknown type '{ctx.get('tag')}'; use one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        choices = ", ".join(_TYPE_LISTS.get(config, ()))
        return f"needs a type ({choices})" if choices else "needs a type"
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx.get('expected')}, not {error.get('input')!r}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind == "extra_forbidden":
        return "is not a field of this request"
    if kind == "string_type":
        return 'must be text (put numbers in quotes, e.g. "1")'
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind == "value_error":
        return str(ctx.get("error") or error["msg"])
    return str(error["msg"])


def field_problems(error: ValidationError) -> list[FieldProblem]:
    """Pydantic's validation errors as one plain message per field, with JSON field paths."""
    problems = []
    for e in error.errors(include_url=False):
        path = _json_path(e["loc"])
        if e["type"] == "union_tag_not_found" or e["type"] == "union_tag_invalid":
            path = f"{path}.type"
        problems.append(FieldProblem(path, _message(e, path)))
    return problems


_FIELD_NAMES = {
    name
    for model in (
        CreatePipeTableRequest,
        AggregateKeyConfig,
        HashDistributionConfig,
        RandomDistributionConfig,
        ColumnPartitionConfig,
        DateTruncPartitionConfig,
        TimeSlicePartitionConfig,
        ColumnExpression,
        RefreshPartitionRequest,
        AnalyzeStatisticsRequest,
        ProvisionDatabaseInstanceRequest,
        AddDatabaseDataSourceRequest,
        UpdateDatabaseDataSourceRequest,
        RunServiceCommandRequest,
    )
    for name in model.model_fields
    if "_" in name
}

__all__ = [
    "AGGREGATION_FUNCTIONS",
    "COLUMN_FUNCTIONS",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_TABLE_PROPERTIES",
    "DISTRIBUTION_TYPES",
    "KEY_TYPES",
    "MAX_PAGE_SIZE",
    "OPERATION_KINDS",
    "PARTITION_TYPES",
    "TABLE_NAME_PATTERN",
    "TIME_UNITS",
    "AddDatabaseDataSourceRequest",
    "AggregateKeyConfig",
    "AggregationFunction",
    "AnalyzeStatisticsRequest",
    "ColumnExpression",
    "ColumnFunction",
    "ColumnInfo",
    "ColumnPartitionConfig",
    "CreatePipeTableRequest",
    "DataSourceInfo",
    "DatabaseInstance",
    "DateTruncPartitionConfig",
    "DistributionConfig",
    "DuplicateKeyConfig",
    "FailedOperation",
    "FieldProblem",
    "HashDistributionConfig",
    "KeyConfig",
    "ObjectStorageInfo",
    "Operation",
    "OperationError",
    "OtherOperation",
    "Page",
    "PartitionConfig",
    "PendingOperation",
    "PipeTable",
    "PipeTableSummary",
    "PrimaryKeyConfig",
    "ProvisionDatabaseInstanceRequest",
    "RandomDistributionConfig",
    "RefreshPartitionRequest",
    "RunServiceCommandRequest",
    "ServiceInfo",
    "SucceededOperation",
    "TimeSlicePartitionConfig",
    "TimeUnit",
    "UniqueKeyConfig",
    "UpdateDatabaseDataSourceRequest",
    "UpdatedDataSource",
    "field_problems",
]
