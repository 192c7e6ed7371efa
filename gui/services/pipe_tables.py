"""AI Lake pipe tables without Qt: the pages of the list, the create form turned into a checked
request, the refresh form, following an operation to its end, and the words the view shows for a
table's configuration.

The view feeds plain strings in and gets requests or ``{field: reason}`` back, so every rule lives
in the client's request models (``gui.api.ailake.models``) and is checked the same way in tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from pydantic import ValidationError

from ..api import errors
from ..api.ailake import (
    AILakeClient,
    ColumnInfo,
    CreatePipeTableRequest,
    PipeTable,
    PipeTableSummary,
    RefreshPartitionRequest,
    SucceededOperation,
    field_problems,
)
from .words import plural, sentence, words  # noqa: F401 (re-exported for the views)

# The fields of the create form, by the JSON path the request models use in their problems.
CREATE_FIELDS: tuple[str, ...] = (
    "sourceStorageName",
    "pathPrefix",
    "tableName",
    "columns",
    "keyConfig.type",
    "keyConfig.columns",
    "aggregationOverrides",
    "partitionConfig.type",
    "partitionConfig.columns",
    "partitionConfig.column",
    "partitionConfig.unit",
    "partitionConfig.slices",
    "distributionConfig.type",
    "distributionConfig.buckets",
    "distributionConfig.columns",
    "columnOverrides",
    "columnExpressions",
    "maxVarcharLength",
    "pollingIntervalSeconds",
    "tableProperties",
)
# Fields whose value is a map: a problem of one entry ("columnOverrides.year") is shown at the map.
_MAP_FIELDS = ("aggregationOverrides", "columnOverrides", "columnExpressions", "tableProperties")


# -- words -----------------------------------------------------------------------------------------


# A list written as code in a service's text: ['a', 'b'] (Python), ["a"] (JSON), [a, b] (Java's
# List.toString). Not a regular expression's class such as ^[a-z] or [a-z0-9_-]: those follow ^ or ]
# or hold no comma-separated names.
_CODE_LIST = re.compile(r"(?<![\w^\]\\])\[([^\[\]]*)\](?![\w{+*?])")
_BARE_NAME = re.compile(r"[A-Za-z0-9_$]+")


def readable(text: str) -> str:
    """A service's message for people: the lists it writes as code become words
    ("missing: ['customer', 'amount']" → "missing: customer and amount"). The rest is the
    service's text, unchanged."""

    def spoken(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if not inner:
            return m.group(0)
        items = [i.strip() for i in inner.split(",")]
        if all(len(i) >= 2 and i[0] == i[-1] and i[0] in "'\"" for i in items):
            return words([i[1:-1] for i in items])
        if all(_BARE_NAME.fullmatch(i) for i in items) and (len(items) > 1 or m.start() > 0):
            return words(items)
        return m.group(0)

    return _CODE_LIST.sub(spoken, text)


def failure_reason(error: errors.ApiError) -> str:
    """What the service said when an operation failed or a request was refused, for people: its
    own detail (not the console's frame around it), lists as words, as a sentence."""
    detail = ""
    raw = error.raw
    if isinstance(raw, dict):
        problem = raw.get("error") if isinstance(raw.get("error"), dict) else raw
        for key in ("detail", "title"):
            value = problem.get(key) if isinstance(problem, dict) else None
            if isinstance(value, str) and value.strip():
                detail = value.strip()
                break
    if not detail:
        detail = error.message.split(": ", 1)[-1] if ": " in error.message else error.message
    return sentence(readable(detail))


# -- text lists ------------------------------------------------------------------------------------


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """``text`` cut at ``sep`` outside parentheses ("a DECIMAL(10,2), b" → two parts), trimmed,
    empty parts dropped."""
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def name_list(text: str) -> list[str] | None:
    """A comma-separated list of column names; None when nothing was typed (the service's default)."""
    names = split_top_level(text)
    return names or None


def parse_columns(text: str) -> list[ColumnInfo] | None:
    """Columns typed as "name" or "name TYPE", comma-separated (types may hold commas in
    parentheses, e.g. ``amount DECIMAL(12,2)``); None when nothing was typed."""
    out: list[ColumnInfo] = []
    for part in split_top_level(text):
        name, _, sql_type = part.partition(" ")
        out.append(ColumnInfo(name=name.strip(), type=sql_type.strip()))
    return out or None


# -- the create form ---------------------------------------------------------------------------------


@dataclass
class CreateForm:
    """What the create dialog holds, as typed. Empty text means "leave it to the service"."""

    source_storage: str = ""
    path_prefix: str = ""
    table_name: str = ""
    columns: str = ""  # optional: the files' columns, for the checks that need them
    key_type: str = ""  # "" = the service's default (duplicate on the first column)
    key_columns: str = ""
    aggregations: list[tuple[str, str]] = field(default_factory=list)  # (column, function)
    partition_type: str = ""  # "" = not partitioned
    partition_columns: str = ""
    partition_column: str = ""
    partition_unit: str = ""
    partition_slices: str = ""
    distribution_type: str = ""  # "" = the service's default (hash on the first column)
    buckets: str = ""
    distribution_columns: str = ""
    overrides: list[tuple[str, str]] = field(default_factory=list)  # (column, SQL type)
    expressions: list[tuple[str, str, str]] = field(default_factory=list)  # (target, function, source)
    max_varchar_length: str = ""
    polling_interval: str = ""
    properties: list[tuple[str, str]] = field(default_factory=list)  # (name, value)

    def body(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The JSON body the form describes, and the problems found while reading it (names
        listed twice in a map, which a JSON object cannot carry)."""
        problems: dict[str, str] = {}
        body: dict[str, Any] = {
            "pathPrefix": self.path_prefix.strip(),
            "sourceStorageName": self.source_storage.strip(),
            "tableName": self.table_name.strip(),
        }
        if not body["pathPrefix"]:
            problems["pathPrefix"] = "give the folder of the parquet files in the storage, e.g. sales/"
        if self.key_type:
            key: dict[str, Any] = {"type": self.key_type}
            cols = name_list(self.key_columns)
            if cols is not None:
                key["columns"] = cols
            body["keyConfig"] = key
            if self.key_type == "aggregate":
                # A row without a function is an aggregation not given yet: the model's check then
                # names the column as missing rather than refusing an empty function name.
                chosen = [(c, f) for c, f in self.aggregations if f.strip()]
                body["aggregationOverrides"] = _pairs(chosen, "aggregationOverrides", problems)
        if self.partition_type:
            part: dict[str, Any] = {"type": self.partition_type}
            if self.partition_type == "column":
                part["columns"] = name_list(self.partition_columns) or []
            else:
                part["column"] = self.partition_column.strip()
                part["unit"] = self.partition_unit or None
                if self.partition_type == "timeSlice":
                    part["slices"] = self.partition_slices.strip() or None
            body["partitionConfig"] = {k: v for k, v in part.items() if v is not None}
        if self.distribution_type:
            dist: dict[str, Any] = {"type": self.distribution_type}
            if self.buckets.strip():
                dist["buckets"] = self.buckets.strip()
            if self.distribution_type == "hash":
                cols = name_list(self.distribution_columns)
                if cols is not None:
                    dist["columns"] = cols
            body["distributionConfig"] = dist
        body["columnOverrides"] = _pairs(self.overrides, "columnOverrides", problems)
        expressions: dict[str, Any] = {}
        for target, function, source in self.expressions:
            target = target.strip()
            if not (target or function or source.strip()):
                continue
            if target in expressions:
                problems.setdefault("columnExpressions", f"column '{target}' is listed twice")
            expressions[target] = {"column": source.strip(), "function": function}
        body["columnExpressions"] = expressions or None
        for key_name, text in (
            ("maxVarcharLength", self.max_varchar_length),
            ("pollingIntervalSeconds", self.polling_interval),
        ):
            if text.strip():
                body[key_name] = text.strip()
        body["tableProperties"] = _pairs(self.properties, "tableProperties", problems) or {}
        return {k: v for k, v in body.items() if v is not None}, problems

    def typed_columns(self) -> list[ColumnInfo] | None:
        return parse_columns(self.columns)

    def checked_by_service(self) -> list[str]:
        """What the form names that only AI Lake can check, because the columns of the files were
        not typed: "the aggregations" of an aggregate key, "the column names" the form uses.
        Empty when the columns were typed (the form checks everything it can) or none is named."""
        if self.typed_columns() is not None:
            return []
        left = []
        if self.key_type == "aggregate":
            left.append("the aggregations")
        named = [self.key_columns, self.distribution_columns, self.partition_columns, self.partition_column]
        named_maps = [*self.overrides, *self.expressions]
        if self.key_type == "aggregate":
            named_maps += self.aggregations
        if any(t.strip() for t in named) or any(row[0].strip() for row in named_maps):
            left.append("the column names")
        return left

    def to_json(self) -> str:
        """The form as typed, to be kept with the operation it was sent as (no secrets in it)."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CreateForm | None:
        """A form kept by ``to_json``; None when the text is not one (an older console's, damaged)."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = data.get(f.name)
            if value is None:
                continue
            if isinstance(value, list):
                values[f.name] = [tuple(str(v) for v in row) for row in value if isinstance(row, list)]
            else:
                values[f.name] = str(value)
        return cls(**values)

    def check(self) -> tuple[CreatePipeTableRequest | None, dict[str, str]]:
        """The request, when every field is acceptable, and ``{field: reason}`` otherwise (one
        reason per field, the first found). The rules are the request model's; those that need the
        columns are checked only when the columns were typed."""
        body, problems = self.body()
        columns = self.typed_columns()
        if columns is not None:
            names = [c.name for c in columns]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                problems.setdefault("columns", f"column '{dupes[0]}' is listed twice")
        try:
            request = CreatePipeTableRequest.model_validate(body)
        except ValidationError as e:
            found = field_problems(e)
            for p in found:
                _add(problems, p.field, p.message)
            # The rules across fields still speak about the fields that are fine: check them on the
            # request without the refused parts, so every reason shows at once.
            refused = {p.field.split(".")[0].split("[")[0] for p in found}
            rest = {k: v for k, v in body.items() if k not in refused}
            rest.update({k: _PLACEHOLDERS[k] for k in _PLACEHOLDERS if k in refused})
            try:
                partial = CreatePipeTableRequest.model_validate(rest)
            except ValidationError:
                return None, problems
            for p in partial.problems(columns):
                _add(problems, p.field, p.message)
            self._name_missing_aggregations(problems, columns)
            return None, problems
        for p in request.problems(columns):
            _add(problems, p.field, p.message)
        self._name_missing_aggregations(problems, columns)
        return (None if problems else request), problems

    def _name_missing_aggregations(self, problems: dict[str, str], columns: list[ColumnInfo] | None) -> None:
        """The field's note states the rule; its reason names the columns still without one."""
        if "aggregationOverrides" not in problems or columns is None or self.key_type != "aggregate":
            return
        names = [c.name for c in columns]
        keys = set(name_list(self.key_columns) or names[:1])
        given = {c.strip() for c, f in self.aggregations if f.strip()}
        missing = [n for n in names if n not in keys and n not in given]
        if missing and "missing:" in problems["aggregationOverrides"]:
            problems["aggregationOverrides"] = f"No aggregation yet for {words(missing)}"


# Stand-ins for refused required fields, so the other fields can still be checked together.
_PLACEHOLDERS = {"pathPrefix": "x/", "sourceStorageName": "x", "tableName": "x"}


def _pairs(rows: Sequence[tuple[str, str]], where: str, problems: dict[str, str]) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for name, value in rows:
        name = name.strip()
        if not name and not value.strip():
            continue  # an empty row the user added and left
        if name in out:
            problems.setdefault(where, f"'{name}' is listed twice")
        out[name] = value.strip()
    return out or None


def form_field(path: str) -> str:
    """The form field a problem's JSON path belongs to (``columnOverrides.year`` → the map,
    ``keyConfig.columns[1]`` → the key columns)."""
    path = re.sub(r"\[\d+\]", "", path)
    for name in _MAP_FIELDS:
        if path == name or path.startswith(name + "."):
            return name
    if path in CREATE_FIELDS:
        return path
    top = path.split(".")[0]
    if top in ("keyConfig", "partitionConfig", "distributionConfig"):
        return f"{top}.type"
    return path


def _add(problems: dict[str, str], path: str, message: str) -> None:
    where = form_field(path)
    clean = re.sub(r"\[\d+\]", "", path)
    if where in _MAP_FIELDS and clean != where:
        # Name the entry the reason is about, quoted so that it keeps its case in a sentence:
        # "'year': give an SQL type…", unless the reason names it already.
        entry = clean[len(where) + 1 :].split(".")[0]
        if f"'{entry}'" not in message:
            message = f"'{entry}': {message}"
    problems.setdefault(where, message)


_QUOTED_FIELD = re.compile(r"'([A-Za-z]+)(?:\.[^']*)?'")


def refused_field(message: str) -> str | None:
    """The form field a service's refusal names (its messages quote the JSON field, e.g.
    "'tableName' must match …"); None when it names none."""
    for m in _QUOTED_FIELD.finditer(message):
        full = m.group(0).strip("'")
        where = form_field(full)
        if where in CREATE_FIELDS:
            return where
    lowered = message.lower()
    if "already exists" in lowered and "table" in lowered:
        return "tableName"
    if "object storage" in lowered:
        return "sourceStorageName"
    return None


# -- the refresh form ----------------------------------------------------------------------------------


def check_refresh(
    values: Mapping[str, str], partition_columns: Sequence[str]
) -> tuple[dict[str, str] | None, dict[str, str]]:
    """The partition spec typed in the refresh form (one value per partition column), or
    ``{column: reason}``."""
    problems: dict[str, str] = {}
    spec: dict[str, str] = {}
    for column in partition_columns:
        value = values.get(column, "").strip()
        if not value:
            problems[column] = f"Give the value of {column} as written in the folder names ({column}=…)"
        elif "/" in value or "=" in value:
            problems[column] = "One folder's value only: no '/' or '='"
        else:
            spec[column] = value
    if problems:
        return None, problems
    try:
        request = RefreshPartitionRequest.model_validate({"partitionSpec": spec})
    except ValidationError as e:
        return None, {"": sentence("; ".join(p.message for p in field_problems(e)))}
    found = request.problems(partition_columns)
    if found:
        return None, {"": sentence(found[0].message)}
    return spec, {}


def partition_folder(spec: Mapping[str, str]) -> str:
    """The Hive folder a partition spec names: ``year=2024/month=01``."""
    return "/".join(f"{k}={v}" for k, v in spec.items())


# StarRocks' refusal of a load whose path matches no file (ErrorCode ERR_NO_FILES_FOUND), which is
# how a refresh of a partition without files ends.
_NO_FILES = re.compile(r"no files (were )?found", re.IGNORECASE)


def refresh_failure(reason: str, folder: str) -> str:
    """The result line of a refresh that failed: when the service says it found no file for the
    partition, say so in those words; otherwise its reason."""
    if _NO_FILES.search(reason):
        return f"No files found for partition {folder}: nothing was loaded ({reason})"
    return reason


def refresh_summary(op: SucceededOperation, folder: str, default: str) -> str:
    """The result line of a refresh that succeeded: "no files found" when the service reports that
    it loaded no file, its own figures otherwise."""
    result = op.result or {}
    counts = [v for k, v in result.items() if "file" in k.lower() and isinstance(v, int | float)]
    if counts and not any(counts):
        return f"no files found for partition {folder}: nothing was loaded"
    return operation_summary(op, default)


# -- the list, page by page ------------------------------------------------------------------------------


class PipeTablePages:
    """The pipe tables of one instance, one page at a time, each table once: a table met again on a
    later page (the list shifted between two reads) is dropped. ``done`` once the last page has come."""

    def __init__(self, client: AILakeClient, instance: str, page_size: int) -> None:
        self.instance = instance
        self._pager = client.list_pipe_tables(instance, page_size=page_size)
        self._next = 0
        self._seen: set[str] = set()
        self._previous: list[str] | None = None
        self.done = False

    @property
    def total(self) -> int | None:
        return self._pager.total_elements

    @property
    def pages_read(self) -> int:
        return self._pager.pages_read

    def seen(self, name: str) -> None:
        """A table the view added itself (just created), not to be listed twice."""
        self._seen.add(name)

    def forget(self, name: str) -> None:
        self._seen.discard(name)

    async def next_page(self) -> list[PipeTableSummary]:
        if self.done:
            return []
        page = await self._pager.page(self._next)
        fresh = [t for t in page.items if t.table_name not in self._seen]
        self._seen.update(t.table_name for t in fresh)
        # The same ids twice in a row means the service ignores `page`: stop instead of looping.
        if page.is_last or page.ids == self._previous:
            self.done = True
        self._previous = page.ids
        self._next += 1
        return fresh


# -- operations -----------------------------------------------------------------------------------------


def operation_summary(op: SucceededOperation, default: str = "done") -> str:
    """An operation's result in words: ``{"tablesAnalyzed": 7}`` → "7 tables analyzed"."""
    if not op.result:
        return default
    parts = []
    for key, value in op.result.items():
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", key).lower()
        if value == 1 and " " in words:
            noun, rest = words.split(" ", 1)
            words = f"{noun.removesuffix('s')} {rest}"
        parts.append(f"{value} {words}" if isinstance(value, int | float) else f"{words}: {value}")
    return ", ".join(parts)


# -- words for the details pane ---------------------------------------------------------------------------


def _config(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    dumped: dict[str, Any] = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


def describe_key(table: PipeTable) -> str:
    cfg = _config(table.key_config)
    cols = cfg.get("columns") or []
    return f"{cfg.get('type', '?')} key ({', '.join(cols) or 'first column'})"


def describe_distribution(table: PipeTable) -> str:
    cfg = _config(table.distribution_config)
    kind = cfg.get("type", "?")
    buckets = cfg.get("buckets") or 1
    text = f"{kind}, {buckets} bucket{'s' if buckets != 1 else ''}"
    if kind == "hash":
        text += f" on {', '.join(cfg.get('columns') or []) or 'the first column'}"
    return text


def describe_partition(table: PipeTable) -> str:
    cfg = _config(table.partition_config)
    if not cfg:
        return "none (one partition)"
    kind = cfg.get("type")
    if kind == "column":
        return f"by column ({', '.join(cfg.get('columns') or [])})"
    if kind == "dateTrunc":
        return f"date_trunc('{cfg.get('unit')}', {cfg.get('column')})"
    if kind == "timeSlice":
        return f"time_slice({cfg.get('column')}, {cfg.get('slices')} {cfg.get('unit')})"
    return ", ".join(f"{k}={v}" for k, v in cfg.items())


def describe_polling(seconds: int | None) -> str:
    """How often the pipe looks for new files, as the details pane says it."""
    if not seconds:
        return "new files at the service's default interval"
    if seconds % 3600 == 0:
        return f"new files every {seconds // 3600} h"
    if seconds % 60 == 0:
        return f"new files every {seconds // 60} min"
    return f"new files every {seconds} s"
