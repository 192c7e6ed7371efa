"""Typed answers of the StarRocks FE and BE HTTP interfaces, and the load options with their limits.

Plain dataclasses: nothing here imports pydantic, so that ``starrocks-console load``, which reads
every answer and builds its options here, does not pay some 0.1 s of CPU for it at each start. They
keep the surface the rest of the console uses (``model_validate``, ``model_dump``, ``model_construct``,
``model_rebuild``):

- an answer is read by the keys StarRocks sends (``Status``, ``TxnId``...) or by field name; a value
  that cannot be read as its field's type is refused with ``BadAnswer``, a ValueError naming the key;
- load options given with their declared types (as the command line gives them) and within the
  rules are taken as they are; any other input (text to convert, as the window's form gives it, or
  a value a rule refuses) is read by the pydantic model in ``_checked``, imported only then, so that
  a refusal is one ``pydantic.ValidationError`` naming each field and its problem, as before.
"""

import json
import re
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, Literal, Self, get_args, get_origin

from ..transport import BadHeader, check_header_value

# The FE's label rule (FeNameFormat): letters, digits, '-', '_' and ':', 1 to 128 characters.
LABEL_PATTERN = re.compile(r"^[-_A-Za-z0-9:]{1,128}$")
LABEL_RULE = "1 to 128 characters: letters, digits, '-', '_' or ':'"


def check_label(label: str) -> str:
    if not LABEL_PATTERN.match(label):
        raise ValueError(f"label {label!r} is not valid: use {LABEL_RULE}")
    return label


class BadAnswer(ValueError):
    """An answer that does not have the shape StarRocks gives it (a field of the wrong type)."""


_INT_TEXT = re.compile(r"\s*[-+]?\d+\s*")


def _key(alias: str, default: Any = MISSING) -> Any:
    """A field read from the JSON key ``alias`` (also accepted: the field's own name)."""
    return field(default=default, metadata={"alias": alias})


def _internal(**kw: Any) -> Any:
    """A field set by the client, not read from the answer nor dumped: who answered, the raw body."""
    return field(repr=False, metadata={"internal": True}, **kw)


def _as_type(key: str, kind: Any, value: Any) -> Any:
    """``value`` as the field's type (ints may come as whole numbers written as text, as pydantic read
    them), or BadAnswer."""
    args = get_args(kind)
    if type(None) in args:
        if value is None:
            return None
        kind = next(a for a in args if a is not type(None))
    base = get_origin(kind) or kind
    if base is int and not isinstance(value, bool):
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_TEXT.fullmatch(value):
            return int(value)
    elif base is float and not isinstance(value, bool):
        if isinstance(value, int | float):
            return float(value)
    elif base is str or base is bool:
        if isinstance(value, base):
            return value
    elif base is dict and isinstance(value, dict):
        return dict(value)
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise BadAnswer(f"{key} should be {getattr(base, '__name__', base)}, not {shown}")


class _Typed:
    """What answers and options share: reading a mapping, dumping one."""

    # Whether keys the class does not know are kept (in ``model_extra``) or ignored.
    _keeps_extra: ClassVar[bool] = False

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise BadAnswer(f"{cls.__name__} is read from a JSON object, not {type(data).__name__}")
        values: dict[str, Any] = {}
        taken: set[str] = set()
        for f in fields(cls):  # type: ignore[arg-type]
            if f.metadata.get("internal"):
                continue
            alias = f.metadata.get("alias", f.name)
            key = alias if alias in data else f.name
            if key not in data:
                if f.default is MISSING and f.default_factory is MISSING:
                    raise BadAnswer(f"{alias} is missing")
                continue
            taken.add(key)
            values[f.name] = _as_type(alias, f.type, data[key])
        made = cls(**values)
        if cls._keeps_extra:
            made.model_extra.update((k, v) for k, v in data.items() if k not in taken)
        return made

    @classmethod
    def model_rebuild(cls) -> None:
        """Nothing to build (kept for callers that prepare pydantic models ahead of use)."""

    @property
    def model_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = self.__dict__.setdefault("_extra", {})
        return extra

    def model_dump(self, *, by_alias: bool = False) -> dict[str, Any]:
        out = {
            (f.metadata.get("alias", f.name) if by_alias else f.name): getattr(self, f.name)
            for f in fields(self)  # type: ignore[arg-type]
            if not f.metadata.get("internal")
        }
        out.update(self.model_extra)
        return out


@dataclass(kw_only=True)
class TxnReply(_Typed):
    """Any answer of ``/api/transaction/*``, from the FE or the BE (keys as they send them)."""

    _keeps_extra: ClassVar[bool] = True

    status: str = _key("Status")
    message: str = _key("Message", "")
    label: str | None = _key("Label", None)
    txn_id: int | None = _key("TxnId", None)
    existing_job_status: str | None = _key("ExistingJobStatus", None)
    begin_txn_time_ms: int | None = _key("BeginTxnTimeMs", None)
    load_bytes: int | None = _key("LoadBytes", None)
    number_total_rows: int | None = _key("NumberTotalRows", None)
    number_loaded_rows: int | None = _key("NumberLoadedRows", None)
    number_filtered_rows: int | None = _key("NumberFilteredRows", None)
    number_unselected_rows: int | None = _key("NumberUnselectedRows", None)
    load_time_ms: int | None = _key("LoadTimeMs", None)
    stream_load_plan_time_ms: int | None = _key("StreamLoadPlanTimeMs", None)
    received_data_time_ms: int | None = _key("ReceivedDataTimeMs", None)
    write_data_time_ms: int | None = _key("WriteDataTimeMs", None)
    commit_and_publish_time_ms: int | None = _key("CommitAndPublishTimeMs", None)
    error_url: str | None = _key("ErrorURL", None)
    # Who answered: "fe" or "be" (and the BE's address); not part of the wire format.
    answered_by: str = _internal(default="")
    raw: dict[str, Any] = _internal(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "OK"


@dataclass(kw_only=True)
class StreamLoadResult(_Typed):
    """The BE's answer to ``PUT /api/{db}/{table}/_stream_load``."""

    _keeps_extra: ClassVar[bool] = True

    txn_id: int = _key("TxnId", -1)
    label: str = _key("Label", "")
    status: str = _key("Status")  # Success | Publish Timeout | Label Already Exists | Fail
    message: str = _key("Message", "")
    existing_job_status: str | None = _key("ExistingJobStatus", None)
    number_total_rows: int = _key("NumberTotalRows", 0)
    number_loaded_rows: int = _key("NumberLoadedRows", 0)
    number_filtered_rows: int = _key("NumberFilteredRows", 0)
    number_unselected_rows: int = _key("NumberUnselectedRows", 0)
    load_bytes: int = _key("LoadBytes", 0)
    load_time_ms: int = _key("LoadTimeMs", 0)
    error_url: str | None = _key("ErrorURL", None)


LoadState = Literal["UNKNOWN", "PREPARE", "PREPARED", "COMMITTED", "VISIBLE", "ABORTED"]

# -- load options --------------------------------------------------------------------------------

FORMATS = ("csv", "json")
COMPRESSIONS = ("gzip", "bzip2", "deflate", "lz4", "zstd")
# Options that travel as header text, as they are given.
TEXT_OPTIONS = (
    "column_separator",
    "row_delimiter",
    "columns",
    "where",
    "timezone",
    "partitions",
    "jsonpaths",
    "json_root",
    "enclose",
    "escape",
)
SWITCH_OPTIONS = ("strict_mode", "strip_outer_array", "trim_space")


def header_problem(name: str, value: str) -> str | None:
    """Why a text option cannot travel as a header, or None. Every option is a header: refused when
    the options are made (before any transaction is begun), rather than when the first chunk is sent."""
    try:
        check_header_value(name, value)
    except BadHeader as e:
        separator = name in ("column_separator", "row_delimiter")
        notation = "; separators are written as \\t, \\n or \\x01" if separator else ""
        return f"{e}{notation}"
    return None


def separator_problem(value: str) -> str | None:
    return "a separator cannot be empty" if value == "" else None


def jsonpaths_problem(value: str) -> str | None:
    try:
        paths = json.loads(value)
    except json.JSONDecodeError as e:
        return f'jsonpaths must be a JSON array of paths such as ["$.id"]: {e.msg}'
    if not isinstance(paths, list) or not all(isinstance(p, str) and p.startswith("$") for p in paths):
        return 'jsonpaths must be a JSON array of paths such as ["$.id", "$.name"]'
    return None


def format_problem(o: Any) -> str | None:
    """Options (of LoadOptions, or of its pydantic reading) that belong to the other format."""
    if o.format == "csv" and (o.jsonpaths or o.json_root or o.strip_outer_array):
        return "jsonpaths, json_root and strip_outer_array apply to JSON loads only"
    if o.format == "json" and (o.column_separator or o.row_delimiter or o.skip_header):
        return "column and row separators and skip_header apply to CSV loads only"
    return None


def field_problem(name: str, value: Any) -> str | None:
    """The rules a text option's value must meet (pydantic's checks of types and ranges aside)."""
    if value is None or name not in TEXT_OPTIONS:
        return None
    problem = header_problem(name, value)
    if problem is None and name in ("column_separator", "row_delimiter"):
        problem = separator_problem(value)
    if problem is None and name == "jsonpaths":
        problem = jsonpaths_problem(value)
    return problem


def _typed_as_declared(name: str, value: Any) -> bool:
    """Whether ``value`` already has the option's declared type, in its range: nothing to convert."""
    if name == "format":
        return value in FORMATS
    if value is None:
        return True
    if name == "compression":
        return value in COMPRESSIONS
    if name in TEXT_OPTIONS:
        return type(value) is str
    if name in SWITCH_OPTIONS:
        return type(value) is bool
    if name == "max_filter_ratio":
        return type(value) is float and 0.0 <= value <= 1.0
    if name == "skip_header":
        return type(value) is int and value >= 0
    return False


@dataclass(init=False)
class LoadOptions(_Typed):
    """The data headers of a load. Every load of one transaction must send the same ones."""

    format: Literal["csv", "json"] = "csv"
    column_separator: str | None = None
    row_delimiter: str | None = None
    columns: str | None = None
    where: str | None = None
    max_filter_ratio: float | None = None  # 0 to 1
    strict_mode: bool | None = None
    timezone: str | None = None
    partitions: str | None = None
    strip_outer_array: bool | None = None
    jsonpaths: str | None = None
    json_root: str | None = None
    skip_header: int | None = None  # 0 or more
    trim_space: bool | None = None
    enclose: str | None = None
    escape: str | None = None
    compression: Literal["gzip", "bzip2", "deflate", "lz4", "zstd"] | None = None

    def __init__(self, **data: Any) -> None:
        names = {f.name for f in fields(self)}
        if all(
            k in names and _typed_as_declared(k, v) and field_problem(k, v) is None for k, v in data.items()
        ):
            self.__dict__.update(data)
            if format_problem(self) is None:
                return
        from ._checked import checked_options  # pydantic: converts the values, or refuses them

        self.__dict__.update(checked_options(data))

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            from ._checked import checked_options

            checked_options(data)  # refuses it as pydantic does
        return cls(**data)

    @classmethod
    def model_construct(cls, **values: Any) -> Self:
        """Options taken as given, without any check (for tests of what the client refuses)."""
        made = cls.__new__(cls)
        made.__dict__.update(values)
        return made

    @classmethod
    def model_rebuild(cls) -> None:
        """Builds the pydantic reading of the window's form now (the window does it at start, on a
        worker thread, rather than on its loop at the first check)."""
        from ._checked import checked_options

        checked_options({})

    def headers(self) -> dict[str, str]:
        """The HTTP headers StarRocks reads, only for options that are set."""
        out: dict[str, str] = {}
        if self.format != "csv":
            out["format"] = self.format
        for name in (*TEXT_OPTIONS, "compression"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        for name in SWITCH_OPTIONS:
            value = getattr(self, name)
            if value is not None:
                out[name] = "true" if value else "false"
        if self.max_filter_ratio is not None:
            out["max_filter_ratio"] = repr(self.max_filter_ratio)
        if self.skip_header is not None:
            out["skip_header"] = str(self.skip_header)
        return out

    def row_delimiter_bytes(self) -> bytes:
        return decode_separator(self.row_delimiter or "\n")


def decode_separator(text: str) -> bytes:
    """``\\n``, ``\\t`` and hex ``\\x01`` notation, as StarRocks reads separators."""
    if text.lower().startswith("\\x") and len(text) > 2:
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            pass
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1")


@dataclass(kw_only=True)
class Column(_Typed):
    name: str
    type: str


@dataclass(kw_only=True)
class Backend(_Typed):
    _keeps_extra: ClassVar[bool] = True

    host: str
    http_port: int | None = None
    alive: bool | None = None


@dataclass(kw_only=True)
class MetricSample(_Typed):
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    value: float
