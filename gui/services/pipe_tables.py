"""AI Lake pipe tables without Qt: ``PipeTablesService`` (one per AI Lake profile) lists the
database instances and, page by page, their pipe tables; reads a table; sends a create, a delete, a
partition refresh and ANALYZE, each as a ``TrackedJob`` to follow with the one follower (the service
gives its ``check``); and keeps the input of the last create that failed in each instance, for Edit
and retry.

Beside it, the rules of the forms: the create form turned into a checked request, the refresh form,
and the words a table's configuration and an operation's result are said in. Forms go in as plain
strings and come back as requests or ``{field: reason}``, so every rule lives in the client's request
models (``gui.api.ailake.models``) and is checked the same way in tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from pydantic import ValidationError

from ..api import errors
from ..api.ailake import AILakeClient
from ..api.ailake.models import (
    MAX_PAGE_SIZE,
    ColumnInfo,
    CreatePipeTableRequest,
    DatabaseInstance,
    ObjectStorageInfo,
    Operation,
    PipeTable,
    PipeTableSummary,
    RefreshPartitionRequest,
    SucceededOperation,
    field_problems,
)
from .follower import Poll, ailake_operation
from .profiles import Profile
from .session import ConsoleSession
from .tracker import AILAKE_OPERATION, TrackedJob, ends_the_job
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

    async def first(self, at_least: int = 0) -> list[PipeTableSummary]:
        """The first page, and the pages after it until ``at_least`` tables are in (a reload keeps
        the rows that were on screen, so the place the user scrolled to stays)."""
        rows = await self.next_page()
        while not self.done and len(rows) < at_least:
            rows += await self.next_page()
        return rows


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


# -- the service ----------------------------------------------------------------------------------------

# What each kind of operation the service sends does, as its Activity entry says when it succeeds.
PIPE_ACTIONS = {
    "create": "created and its files loaded",
    "delete": "dropped",
    "refresh": "rows deleted and the partition's files loaded again",
    "analyze": "done",
}


@dataclass
class FailedCreate:
    """The input of a create that failed, kept so that it can be edited and sent again."""

    form: CreateForm
    table: str
    reason: str


@dataclass(frozen=True)
class Refusal:
    """Why AI Lake refused a request at once, for people."""

    reason: str  # the service's own words, lists as words, as a sentence
    hint: str | None = None  # what to try, when known
    where: str | None = None  # the create form's field the refusal names

    @classmethod
    def of(cls, error: errors.ApiError) -> Refusal:
        return cls(failure_reason(error), error.hint, refused_field(error.message))


def summary_of(table: PipeTable) -> PipeTableSummary:
    """The list's row of a table read whole."""
    return PipeTableSummary(
        pipe_table_id=table.pipe_table_id,
        table_name=table.table_name,
        path_prefix=table.path_prefix,
        columns=table.columns,
    )


def is_pipe_job(job: TrackedJob) -> bool:
    """Whether the job is an operation the pipe-table service sent (and follows)."""
    return job.kind == AILAKE_OPERATION and job.action in PIPE_ACTIONS


def partition_of(job: TrackedJob) -> str:
    """The partition folder a refresh job is about (from its title when an earlier console did not
    keep it apart)."""
    return job.context.get("partition") or job.title.rpartition(" partition ")[2]


class PipeTablesService:
    """The pipe tables of one AI Lake profile (one organization), as the Pipe tables view and its
    dialogs read and change them. Every change is an AI Lake operation, returned as the
    ``TrackedJob`` to follow with ``check``. Failures are the client's errors, as they came."""

    def __init__(self, session: ConsoleSession, profile: Profile) -> None:
        self.session = session
        # Replaced when the profile is saved again (other settings, another name).
        self.profile = profile
        # The input of the last create that failed, by database instance.
        self._failed: dict[str, FailedCreate] = {}
        # Hears the instance whose failed create was kept, replaced or forgotten.
        self.on_failed_changed: Callable[[str], None] | None = None

    async def _client(self) -> AILakeClient:
        # Asked for each call: the session builds a new client once the profile has other settings.
        return await self.session.ailake(self.profile)

    # -- reading ------------------------------------------------------------------------------------
    async def database_instances(self) -> list[DatabaseInstance]:
        """The organization's database instances, every page."""
        client = await self._client()
        return await client.list_database_instances(page_size=MAX_PAGE_SIZE).collect()

    async def pages(self, instance: str, page_size: int) -> PipeTablePages:
        """The instance's pipe tables, to read one page at a time (at most the service's largest
        page size per request)."""
        return PipeTablePages(await self._client(), instance, min(page_size, MAX_PAGE_SIZE))

    async def details(self, instance: str, name: str) -> PipeTable:
        """The table's whole configuration; NotFound once it no longer exists."""
        client = await self._client()
        return await client.get_pipe_table(instance, name)

    async def object_storages(self) -> list[ObjectStorageInfo]:
        """The storages a pipe table can read from (its ``sourceStorageName`` is one's name)."""
        client = await self._client()
        return await client.list_object_storages().collect()

    # -- changes --------------------------------------------------------------------------------------
    async def create(
        self, instance: str, form: CreateForm, *, retrying: FailedCreate | None = None
    ) -> TrackedJob:
        """Send the create the form describes. A form with problems is not sent (InvalidRequest,
        ``raw`` lists each field and its reason). AI Lake refusing it at once is kept as the
        instance's failed create, then raised. Once accepted, ``retrying`` (the failed create the
        form was filled from, or refused as) is forgotten, unless another failure replaced it."""
        request, problems = form.check()
        if request is None:
            raise errors.InvalidRequest(
                f"cannot create pipe table '{form.table_name.strip()}' in '{instance}': "
                + "; ".join(f"{where}: {reason}" for where, reason in problems.items()),
                service="ailake",
                hint="correct the fields named and send it again",
                raw=[{"field": where, "message": reason} for where, reason in problems.items()],
            )
        name = request.table_name
        try:
            client = await self._client()
            op_id = await client.create_pipe_table(instance, request, columns=form.typed_columns())
        except errors.ApiError as e:
            self._keep_failed(instance, FailedCreate(form, name, f"AI Lake refused it: {failure_reason(e)}"))
            raise
        if retrying is not None and self._failed.get(instance) is retrying:
            self.forget_failed_create(instance)
        title = f"Create pipe table {name} in {instance}"
        return self._job(instance, "create", op_id, title, table=name, form=form.to_json())

    async def delete(
        self, instance: str, names: Sequence[str], on_submitted: Callable[[TrackedJob], None] | None = None
    ) -> list[TrackedJob]:
        """One delete operation per table, sent one after the other; ``on_submitted`` hears each
        as AI Lake accepts it, so a refusal half-way does not hide the deletes already running."""
        client = await self._client()
        jobs = []
        for name in names:
            op_id = await client.delete_pipe_table(instance, name)
            job = self._job(instance, "delete", op_id, f"Delete pipe table {name} of {instance}", table=name)
            jobs.append(job)
            if on_submitted is not None:
                on_submitted(job)
        return jobs

    async def refresh_partition(self, instance: str, table: PipeTable, spec: Mapping[str, str]) -> TrackedJob:
        """Delete the rows of one Hive partition of ``table`` and load its files again."""
        client = await self._client()
        op_id = await client.refresh_partition(
            instance, table.table_name, spec, partition_columns=table.partition_columns
        )
        folder = partition_folder({c: spec[c] for c in table.partition_columns if c in spec})
        name = table.table_name
        return self._job(
            instance, "refresh", op_id, f"Refresh {name} partition {folder}", table=name, partition=folder
        )

    async def analyze(self, instance: str, names: Sequence[str] | None) -> TrackedJob:
        """ANALYZE the named tables, or every table of the instance (``names`` None or empty)."""
        client = await self._client()
        op_id = await client.analyze_statistics(instance, list(names) if names else None)
        what = words(names) if names else f"every table of {instance}"
        return self._job(instance, "analyze", op_id, f"Analyze {what}")

    def _job(self, instance: str, action: str, op_id: str, title: str, **context: str) -> TrackedJob:
        return TrackedJob(
            kind=AILAKE_OPERATION,
            profile=self.profile.name,
            remote_id=op_id,
            title=title,
            action=action,
            context={"instance": instance, **context},
            done=PIPE_ACTIONS[action],
        )

    # -- following an operation --------------------------------------------------------------------------
    def check(self, job: TrackedJob) -> Callable[[], Awaitable[Poll[Operation]]]:
        """One look at the job's operation, for the follower."""

        async def look() -> Poll[Operation]:
            client = await self._client()
            return await ailake_operation(client, job.remote_id, since=job.started_at)()

        return look

    def failure_text(self, job: TrackedJob, error: errors.ApiError) -> str:
        """The result line of the job when it failed: AI Lake's reason, and for a refresh of a
        partition without files, that."""
        reason = failure_reason(error)
        return refresh_failure(reason, partition_of(job)) if job.action == "refresh" else reason

    def result_text(self, job: TrackedJob, op: Operation) -> str:
        """The result line of the job when it succeeded, in AI Lake's own figures."""
        if not isinstance(op, SucceededOperation):
            return job.done
        if job.action == "refresh":
            return refresh_summary(op, partition_of(job), job.done)
        return operation_summary(op, job.done)

    def job_failed(self, job: TrackedJob, failure: errors.ApiError, reason: str) -> bool:
        """Whether the failure ended the job (False: only the following stopped, the job goes on).
        A create whose operation failed keeps its input, with ``reason``, for Edit and retry."""
        if not ends_the_job(failure):
            return False
        if job.action == "create" and isinstance(failure, errors.OperationFailed):
            form = CreateForm.from_json(job.context.get("form", ""))
            if form is not None:  # None: followed again from a console that did not keep the input
                failed = FailedCreate(form, job.context.get("table", ""), reason)
                self._keep_failed(job.context.get("instance", ""), failed)
        return True

    # -- the failed creates ---------------------------------------------------------------------------------
    def failed_create(self, instance: str) -> FailedCreate | None:
        """The input of the last create that failed in the instance, until sent again or forgotten."""
        return self._failed.get(instance)

    def failed_creates(self) -> dict[str, FailedCreate]:
        """Every instance's failed create, by instance."""
        return dict(self._failed)

    def forget_failed_create(self, instance: str) -> None:
        if self._failed.pop(instance, None) is not None:
            self._failed_changed(instance)

    def _keep_failed(self, instance: str, failed: FailedCreate) -> None:
        self._failed[instance] = failed
        self._failed_changed(instance)

    def _failed_changed(self, instance: str) -> None:
        if self.on_failed_changed is not None:
            self.on_failed_changed(instance)
