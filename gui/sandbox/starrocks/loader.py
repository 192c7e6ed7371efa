"""Turning a load body into typed rows, as the BE does for Stream Load.

A body is first written to a file (never held whole in memory), then split into raw text fields,
then converted to the table's types in DuckDB. Rows that cannot be converted are filtered (and
written to an error log the ``ErrorURL`` serves); rows the ``where`` header rejects are unselected.
Good rows land in the transaction's staging table and stay invisible until commit.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb

from ..engine import Column, SrType, TableDef, quote_ident
from ..store import STAGING_SCHEMA
from . import expr

# Headers that shape how a body is read; every load of one transaction must send the same ones.
LOAD_HEADERS = (
    "format",
    "columns",
    "where",
    "column_separator",
    "row_delimiter",
    "partitions",
    "temporary_partitions",
    "negative",
    "strict_mode",
    "timezone",
    "load_mem_limit",
    "exec_mem_limit",
    "max_filter_ratio",
    "jsonpaths",
    "json_root",
    "strip_outer_array",
    "ignore_json_size",
    "partial_update",
    "partial_update_mode",
    "merge_condition",
    "transmission_compression_type",
    "load_dop",
    "content-encoding",
    "compression",
    "skip_header",
    "trim_space",
    "enclose",
    "escape",
    "log_rejected_record_num",
)

FORMATS = {
    "csv": ("csv", None),
    "json": ("json", None),
    "gzip": ("csv", "gzip"),
    "bzip2": ("csv", "bzip2"),
    "deflate": ("csv", "deflate"),
    "lz4": ("csv", "lz4"),
    "zstd": ("csv", "zstd"),
}
# How many rejected rows the error log keeps (the BE's default for the log is 1000 lines).
ERROR_LOG_ROWS = 1000
# streaming_load_max_batch_size_mb: the limit of one JSON body.
JSON_MAX_BYTES = 100 * 1024 * 1024
_NULL_TEXT = "\\N"


class LoadFailure(Exception):
    """A refusal carrying the BE Status code name (e.g. ANALYSIS_ERROR) and its message."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def unescape_separator(text: str) -> bytes:
    """StarRocks separators may be written as ``\\t``, ``\\n`` or hex ``\\x01``; a multi-byte
    separator is allowed."""
    if text.lower().startswith("\\x") and len(text) > 2:
        hexes = text[2:]
        try:
            return bytes.fromhex(hexes)
        except ValueError:
            pass
    return codecs.decode(text.encode("utf-8"), "unicode_escape").encode("latin-1")


@dataclass
class ColumnItem:
    name: str
    expr: str | None = None  # the expression of a "name = expr" item
    offset: int = 0  # where the expression starts in what the FE parses ("COLUMNS (" + header + ")")


@dataclass
class LoadParams:
    """The load headers of one request, parsed and checked as the BE checks them."""

    raw: dict[str, str]
    format: str = "csv"
    compression: str | None = None
    column_separator: bytes = b"\t"
    row_delimiter: bytes = b"\n"
    columns: str | None = None  # the FE parses and checks these when it plans the load
    where: str | None = None
    timezone: str | None = None
    max_filter_ratio: float = 0.0
    strict_mode: bool = False
    strip_outer_array: bool = False
    jsonpaths: list[str] | None = None
    json_root: str | None = None
    skip_header: int = 0
    trim_space: bool = False
    enclose: str | None = None
    escape: str | None = None
    partial_update: bool = False
    ignore_json_size: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_headers(cls, headers: Any) -> LoadParams:
        raw = {h: headers[h] for h in LOAD_HEADERS if h in headers}
        p = cls(raw=raw)
        check_format(headers)
        fmt = raw.get("format", "")
        if fmt:
            p.format, p.compression = FORMATS[fmt.lower()]
        enc, comp = raw.get("content-encoding", ""), raw.get("compression", "")
        if enc and comp:
            raise LoadFailure(
                "INVALID_ARGUMENT", "Only one of http header content-encoding and compression can be set"
            )
        if enc or comp:
            p.compression = (enc or comp).lower()
        if raw.get("partitions") and raw.get("temporary_partitions"):
            raise LoadFailure("INVALID_ARGUMENT", "Can not specify both partitions and temporary partitions")
        strict = raw.get("strict_mode", "")
        if strict:
            if strict.lower() not in ("true", "false"):
                raise LoadFailure("INVALID_ARGUMENT", "Invalid strict mode format. Must be bool type")
            p.strict_mode = strict.lower() == "true"
        mem = raw.get("load_mem_limit", "")
        if mem:
            try:
                if int(mem) < 0:
                    raise LoadFailure("INVALID_ARGUMENT", "load_mem_limit must be equal or greater than 0")
            except ValueError:
                raise LoadFailure("INVALID_ARGUMENT", "Invalid load mem limit format") from None
        dop = raw.get("load_dop", "")
        if dop:
            try:
                int(dop)
            except ValueError:
                raise LoadFailure("INVALID_ARGUMENT", "Invalid load_dop format") from None
        exec_mem = raw.get("exec_mem_limit", "")
        if exec_mem:
            try:
                ok = int(exec_mem) > 0
            except ValueError:
                ok = False
            if not ok:
                raise LoadFailure("INVALID_ARGUMENT", "exec_mem_limit must be greater than 0")
        if raw.get("column_separator"):
            p.column_separator = unescape_separator(raw["column_separator"])
        if raw.get("row_delimiter"):
            p.row_delimiter = unescape_separator(raw["row_delimiter"])
        if raw.get("columns", "").strip():
            p.columns = raw["columns"]
        if raw.get("where", "").strip():
            p.where = raw["where"]
        if raw.get("timezone"):
            p.timezone = raw["timezone"]
        ratio = raw.get("max_filter_ratio", "")
        if ratio:
            try:
                p.max_filter_ratio = float(ratio)
            except ValueError:
                p.max_filter_ratio = 0.0  # the BE reads it with strtod: garbage means 0
        p.strip_outer_array = raw.get("strip_outer_array", "").lower() == "true"
        p.ignore_json_size = raw.get("ignore_json_size", "").lower() == "true"
        p.partial_update = raw.get("partial_update", "") == "true"
        p.trim_space = raw.get("trim_space", "").lower() == "true"
        p.enclose = raw.get("enclose") or None
        p.escape = raw.get("escape") or None
        if raw.get("skip_header"):
            try:
                p.skip_header = int(raw["skip_header"])
            except ValueError:
                raise LoadFailure("INVALID_ARGUMENT", "Invalid csv load skip_header format") from None
            if p.skip_header < 0:
                raise LoadFailure("INVALID_ARGUMENT", "skip_header must be equal or greater than 0")
        if raw.get("json_root"):
            p.json_root = raw["json_root"]
        if raw.get("jsonpaths"):
            try:
                paths = json.loads(raw["jsonpaths"])
            except json.JSONDecodeError:
                paths = None
            if not isinstance(paths, list) or not all(isinstance(x, str) for x in paths):
                raise LoadFailure("ANALYSIS_ERROR", f"Invalid json path: {raw['jsonpaths']}")
            p.jsonpaths = paths
        return p


def check_format(headers: Any) -> None:
    """The BE's first look at a load's headers, before it begins a transaction."""
    fmt = headers.get("format", "") or ""
    if fmt and fmt.lower() not in FORMATS:
        raise LoadFailure("INTERNAL_ERROR", f"unknown data format, format={fmt}")
    if fmt.lower() == "json" and (headers.get("ignore_json_size", "") or "").lower() != "true":
        length = headers.get("content-length", "") or ""
        if length.isdigit() and int(length) > JSON_MAX_BYTES:
            raise LoadFailure(
                "INTERNAL_ERROR",
                f"The size of this batch exceed the max size [{JSON_MAX_BYTES}]  of json type data "
                f" data [ {length} ]. "
                "Set ignore_json_size to skip the check, although it may lead huge memory consuming.",
            )


# The FE parses the header as "COLUMNS (" + header + ")": positions in its messages count from there.
_COLUMNS_PREFIX = len("COLUMNS (")


def parse_columns(text: str) -> list[ColumnItem]:
    """Split ``a, b, tmp, c = upper(tmp)`` into names and mapping expressions, as the FE's
    ``COLUMNS (...)`` rule reads it: items at top-level commas, each a name or ``name = expr``."""
    try:
        tokens = expr.tokenize(text)
    except expr.ExprError as e:
        raise LoadFailure("ANALYSIS_ERROR", e.message) from None
    items: list[ColumnItem] = []
    group: list[expr.Token] = []
    depth = 0
    for tok in [*tokens, None]:
        kind = tok.token_type if tok is not None else None
        if kind in (expr.TokenType.L_PAREN, expr.TokenType.L_BRACKET):
            depth += 1
        elif kind in (expr.TokenType.R_PAREN, expr.TokenType.R_BRACKET):
            depth -= 1
        if tok is not None and not (kind == expr.TokenType.COMMA and depth == 0):
            group.append(tok)
            continue
        end = tok.start if tok is not None else len(text)
        items.append(_column_item(text, group, end, tok))
        group = []
    return items


def _column_item(text: str, group: list[expr.Token], end: int, after: expr.Token | None) -> ColumnItem:
    def syntax(tok: expr.Token | None) -> LoadFailure:
        col = _COLUMNS_PREFIX + (tok.start if tok is not None else len(text))
        word = text[tok.start : tok.end + 1] if tok is not None else ")"
        return LoadFailure("ANALYSIS_ERROR", expr.syntax_error(col, word).message)

    if not group:
        raise syntax(after)
    name_tok = group[0]
    if not (expr.is_identifier(name_tok)):
        raise syntax(name_tok)
    if len(group) == 1:
        return ColumnItem(name_tok.text)
    if group[1].token_type != expr.TokenType.EQ:
        raise syntax(group[1])
    if len(group) == 2:
        raise syntax(after)
    start = group[1].end + 1
    return ColumnItem(name_tok.text, text[start:end], _COLUMNS_PREFIX + start)


@dataclass
class Target:
    """How one table column gets its value."""

    kind: str  # "field" (a source field), "expr" (a mapping), "default", "null"
    sql: str = ""  # "field": the field's SQL; "expr": the compiled expression; "default": a literal
    ty: expr.Ty = expr.VARCHAR  # the type of ``sql`` (source fields are strings)
    direct: bool = False  # a value read straight from a field (strict mode checks those)


@dataclass
class Plan:
    """How the fields of a body become the table's columns (the FE's stream load plan)."""

    table: TableDef
    params: LoadParams
    source: list[str]  # names of the fields in the body, in order
    targets: dict[str, Target]  # table column -> how it gets its value
    where: str | None = None  # the where filter over the converted columns (DuckDB SQL)


def field_value(i: int) -> str:
    """A field's text; an explicit ``\\N`` is NULL (a missing trailing field is NULL already)."""
    return f"NULLIF({_field(i)}, '{_NULL_TEXT}')"


def plan(table: TableDef, params: LoadParams) -> Plan:
    """Check the ``columns``/``where`` headers against the table, as the FE plans a stream load:
    parse both, check the time zone, then Load.initColumns' checks in its order, then analyze
    each mapping (names first, then functions), then the where filter over the table's columns."""
    items = parse_columns(params.columns) if params.columns is not None else None
    if params.where is not None:
        try:
            expr.parse(params.where)
        except expr.ExprError as e:
            raise LoadFailure("ANALYSIS_ERROR", e.message) from None
    tz = expr.DEFAULT_TIMEZONE
    if params.timezone is not None:
        try:
            tz = expr.normalize_timezone(params.timezone)
        except expr.ExprError as e:
            raise LoadFailure("ANALYSIS_ERROR", e.message) from None
    if items is None or not any(i.expr is None for i in items):
        mappings = items or []
        source = [c.name for c in table.columns]
    else:
        mappings = [i for i in items if i.expr is not None]
        source = [i.name for i in items if i.expr is None]
    seen: set[str] = set()
    for item in items or []:
        low = item.name.lower()
        if item.expr is None:
            if low in seen:
                raise LoadFailure("ANALYSIS_ERROR", f"Duplicate column: {item.name}")
            seen.add(low)
    mapped: dict[str, ColumnItem] = {}
    for item in mappings:
        if item.name.lower() in mapped:
            raise LoadFailure("ANALYSIS_ERROR", f"Duplicate column mapping: {item.name}")
        if table.column(item.name) is None:
            raise LoadFailure("ANALYSIS_ERROR", f"Mapping column is not in table. column: {item.name}")
        mapped[item.name.lower()] = item
    by_lower = {s.lower(): i for i, s in enumerate(source)}
    for col in table.columns:
        low = col.name.lower()
        if low not in mapped and low not in by_lower and col.default is None and not col.nullable:
            raise LoadFailure("ANALYSIS_ERROR", f"Column has no default value. column: {col.name}")
    inputs = {s.lower(): expr.Input(field_value(i), expr.VARCHAR) for i, s in enumerate(source)}
    targets: dict[str, Target] = {}
    for col in table.columns:
        low = col.name.lower()
        if low in mapped:
            targets[col.name] = _mapping(col, mapped[low], inputs, tz)
        elif low in by_lower:
            targets[col.name] = Target("field", field_value(by_lower[low]), direct=True)
        elif col.default is not None:
            targets[col.name] = Target("default", _literal(col.default))
        else:
            targets[col.name] = Target("null")
    where = _where(params.where, table, tz) if params.where is not None else None
    return Plan(table, params, source, targets, where)


def _mapping(col: Column, item: ColumnItem, inputs: dict[str, expr.Input], tz: str) -> Target:
    assert item.expr is not None

    def unknown(name: str) -> expr.ExprError:
        return expr.ExprError(f"unknown reference column, column={col.name}, reference={name}")

    try:
        compiled = expr.compile_expr(item.expr, inputs, offset=item.offset, timezone=tz, unknown=unknown)
    except expr.ExprError as e:
        raise LoadFailure("ANALYSIS_ERROR", e.message) from None
    return Target("expr", compiled.sql, compiled.ty, direct=compiled.ref is not None)


def column_type(t: SrType) -> expr.Ty:
    return expr.column_type(t.name, t.precision, t.scale, t.duckdb)


def _where(text: str, table: TableDef, tz: str) -> str:
    """The where filter over the converted columns; it may name table columns only."""
    inputs = {c.name.lower(): expr.Input(quote_ident(c.name), column_type(c.sr_type)) for c in table.columns}

    def unknown(name: str) -> expr.ExprError:
        return expr.ExprError(
            f"unknown column in where statement. the column '{name}' in where clause "
            "must be in the target table."
        )

    try:
        compiled = expr.compile_expr(text, inputs, timezone=tz, unknown=unknown)
    except expr.ExprError as e:
        raise LoadFailure("ANALYSIS_ERROR", e.message) from None
    if compiled.ty.name not in ("BOOLEAN", "NULL"):
        raise LoadFailure("ANALYSIS_ERROR", "where statement is not a valid statement return bool")
    return compiled.sql


def _field(i: int) -> str:
    return f"f{i}"


def _literal(value: str) -> str:
    return expr.literal(value)


# -- reading bodies -------------------------------------------------------------------------------


class _Reader(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...
    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: Any) -> Any: ...


def _open_body(path: Path, compression: str | None) -> _Reader:
    if compression in (None, ""):
        return path.open("rb")
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bzip2":
        return bz2.open(path, "rb")
    if compression == "deflate":
        return _InflateReader(path)
    raise LoadFailure("INTERNAL_ERROR", f"compression type {compression} is not supported")


class _InflateReader:
    """A file-like reader over a zlib/deflate stream, inflating no more than is asked for: a
    megabyte of a highly compressed body can inflate to a gigabyte, which one ``decompress`` call
    would hold in memory at once."""

    STEP = 1 << 20  # the most inflated in one call, and the compressed bytes read at once

    def __init__(self, path: Path) -> None:
        self._f = path.open("rb")
        self._z = zlib.decompressobj()
        self._buf = b""

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self._buf) < n) and not self._z.eof:
            data = self._z.unconsumed_tail or self._f.read(self.STEP)
            if not data:
                self._buf += self._z.flush()
                break
            room = self.STEP if n < 0 else max(1, min(self.STEP, n - len(self._buf)))
            try:
                self._buf += self._z.decompress(data, room)
            except zlib.error as e:
                raise LoadFailure("INTERNAL_ERROR", f"failed to decompress deflate data: {e}") from None
        if n < 0:
            data, self._buf = self._buf, b""
        else:
            data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> _InflateReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _split_records(f: _Reader, delim: bytes) -> Iterator[bytes]:
    """Records of a stream, read in blocks; a trailing record without delimiter still counts."""
    rest = b""
    while True:
        block = f.read(1 << 20)
        if not block:
            break
        rest += block
        parts = rest.split(delim)
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _fast_csv(params: LoadParams) -> bool:
    """DuckDB's CSV reader handles the common cases; others go through Python."""
    return (
        params.format == "csv"
        and params.row_delimiter in (b"\n", b"\r\n")
        and 1 <= len(params.column_separator) <= 4
        and b"\n" not in params.column_separator
        and params.compression in (None, "", "gzip", "zstd")
        and not params.trim_space
    )


@dataclass
class LoadStats:
    total: int = 0
    loaded: int = 0
    filtered: int = 0
    unselected: int = 0
    errors: list[str] = field(default_factory=list)


def load_file(
    cur: duckdb.DuckDBPyConnection, p: Plan, body: Path, staging: str, seq_base: int, work_dir: Path
) -> LoadStats:
    """Parse ``body`` with plan ``p`` and append the good rows to ``staging`` (created if needed)."""
    width = len(p.source)
    raw = f"__raw_{abs(hash((staging, seq_base))) % 10**12}"
    fields = ", ".join(f"{_field(i)} VARCHAR" for i in range(width + 1))
    try:
        if _fast_csv(p.params):
            cols = "{" + ", ".join(f"'{_field(i)}': 'VARCHAR'" for i in range(width + 1)) + "}"
            sep = p.params.column_separator.decode("utf-8", "replace").replace("'", "''")
            quote = (p.params.enclose or "").replace("'", "''")
            escape = (p.params.escape or p.params.enclose or "").replace("'", "''")
            comp = p.params.compression or "none"
            # Unusual nullstr so that "\N" stays visible as text: a missing field (padding) is
            # then the only NULL, which tells a short row from an explicit null.
            cur.execute(
                f"CREATE TEMP TABLE {raw} AS SELECT *, row_number() OVER () AS __line FROM read_csv("
                f"?, columns={cols}, delim='{sep}', quote='{quote}', escape='{escape}', header=false, "
                f"auto_detect=false, null_padding=true, strict_mode=false, nullstr='\x00\x01', "
                f"skip={p.params.skip_header}, compression='{comp}', parallel=false, "
                f"max_line_size=104857600)",
                [str(body)],
            )
        else:
            ndjson = work_dir / (body.name + ".rows.ndjson")
            with ndjson.open("w", encoding="utf-8") as out:
                for values in _python_rows(p, body):
                    out.write(json.dumps({_field(i): v for i, v in enumerate(values)}))
                    out.write("\n")
            cols = "{" + ", ".join(f"'{_field(i)}': 'VARCHAR'" for i in range(width + 1)) + "}"
            cur.execute(
                f"CREATE TEMP TABLE {raw} AS SELECT *, row_number() OVER () AS __line FROM read_json("
                f"?, columns={cols}, format='newline_delimited', maximum_object_size=1073741824)",
                [str(ndjson)],
            )
            ndjson.unlink(missing_ok=True)
    except duckdb.Error as e:
        raise LoadFailure("INTERNAL_ERROR", f"failed to read the load data: {_first_line(e)}") from None
    del fields
    try:
        return _convert(cur, p, raw, staging, seq_base)
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {raw}")


def _python_rows(p: Plan, body: Path) -> Iterator[list[str | None]]:
    """Fields of each record for the cases DuckDB's reader does not cover (JSON, odd delimiters)."""
    width = len(p.source)
    if p.params.format == "json":
        yield from _json_rows(p, body)
        return
    sep = p.params.column_separator
    with _open_body(body, p.params.compression) as f:
        for n, rec in enumerate(_split_records(f, p.params.row_delimiter)):
            if n < p.params.skip_header:
                continue
            parts = rec.split(sep)
            texts: list[str | None] = []
            for part in parts[: width + 1]:
                s = part.decode("utf-8", "replace")
                texts.append(s.strip() if p.params.trim_space else s)
            while len(texts) < width + 1:
                texts.append(None)
            yield texts


def _json_rows(p: Plan, body: Path) -> Iterator[list[str | None]]:
    size = body.stat().st_size
    if size > JSON_MAX_BYTES and not p.params.ignore_json_size:
        raise LoadFailure(
            "INTERNAL_ERROR",
            f"The size of this batch exceed the max size [{JSON_MAX_BYTES}]  of json type data "
            f" data [ {size} ]. "
            "Set ignore_json_size to skip the check, although it may lead huge memory consuming.",
        )
    with _open_body(body, p.params.compression) as f:
        text = f.read().decode("utf-8", "replace")
    docs: list[Any] = []
    decoder = json.JSONDecoder()
    pos = 0
    try:
        while True:
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            if pos >= len(text):
                break
            doc, pos = decoder.raw_decode(text, pos)
            docs.append(doc)
    except json.JSONDecodeError as e:
        raise LoadFailure(
            "DATA_QUALITY_ERROR", f"Failed to parse json data: {e.msg} at offset {e.pos}"
        ) from None
    width = len(p.source)
    for doc in docs:
        if p.params.json_root:
            doc = _json_path(doc, p.params.json_root)
        if isinstance(doc, list):
            if not p.params.strip_outer_array:
                raise LoadFailure(
                    "DATA_QUALITY_ERROR",
                    "JSON data is an array, strip_outer_array must be set true",
                )
            records = doc
        else:
            records = [doc]
        for rec in records:
            if not isinstance(rec, dict):
                yield [None] * width + ["__not_an_object__"]
                continue
            if p.params.jsonpaths is not None:
                values = [_json_path(rec, path) for path in p.params.jsonpaths]
                values = (values + [None] * width)[:width]
            else:
                lowered = {str(k).lower(): v for k, v in rec.items()}
                values = [lowered.get(name.lower()) for name in p.source]
            yield [_json_text(v) for v in values] + [None]


_MISSING = object()


def _json_path(doc: Any, path: str) -> Any:
    """A small JSONPath: ``$``, ``$.a.b``, ``$.a[0]``, ``$["a b"]``."""
    if not path.startswith("$"):
        return None
    cur = doc
    for m in re.finditer(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]|\[\"([^\"]+)\"\]", path[1:]):
        key = m.group(1) or m.group(3)
        if key is not None:
            cur = cur.get(key) if isinstance(cur, dict) else None
        else:
            idx = int(m.group(2))
            cur = cur[idx] if isinstance(cur, list) and idx < len(cur) else None
        if cur is None:
            return None
    return cur


def _json_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int | float):
        return json.dumps(v)
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


# -- converting ----------------------------------------------------------------------------------


def _cast_sql(col: Column, raw: str) -> str:
    """A text field read as the column's type (StarRocks' CSV conversion)."""
    return expr.from_varchar(raw, column_type(col.sr_type))


def _column_values(col: Column, t: Target) -> tuple[str, str | None]:
    """The column's value and, for a value read straight from a field, the field's text."""
    if t.kind == "null":
        return f"CAST(NULL AS {col.sr_type.duckdb})", None
    src = f"({t.sql})"
    if t.ty.is_string:
        return _cast_sql(col, src), src if t.direct else None
    return expr.cast_sql(src, t.ty, column_type(col.sr_type)), None


def _convert(cur: duckdb.DuckDBPyConnection, p: Plan, raw: str, staging: str, seq_base: int) -> LoadStats:
    table = p.table
    width = len(p.source)
    # Each column's value is computed once (inner select); the checks read it by name (outer).
    # The extra field f{width} being present means the row had too many fields.
    values: list[str] = []
    checks: list[str] = []
    selects: list[str] = []
    for j, col in enumerate(table.columns):
        typed, src = _column_values(col, p.targets[col.name])
        value = f"__v{j}"
        values.append(f"{typed} AS {value}")
        selects.append(f"{value} AS {quote_ident(col.name)}")
        if p.params.strict_mode and src is not None:
            values.append(f"{src} AS __s{j}")
            checks.append(
                f"WHEN __s{j} IS NOT NULL AND {value} IS NULL THEN 'Value ''' || left(__s{j}, 64) || ''' is "
                f"invalid for column ''{col.name}'' of type {col.sr_type.display}'"
            )
        if not col.nullable:
            checks.append(f"WHEN {value} IS NULL THEN 'NULL value in non-nullable column ''{col.name}'''")
        limit = col.sr_type.max_bytes
        if limit is not None:
            checks.append(
                f"WHEN octet_length(encode({value})) > {limit} THEN 'The length of input is too long than "
                f"schema. column: {col.name}, input length: ' || octet_length(encode({value})) || ', "
                f"schema length: {limit}'"
            )
    shape = []
    if width > 0:
        shape.append(
            f"WHEN f{width - 1} IS NULL AND f0 IS NOT NULL AND {width} > 1 THEN 'Value count does not match "
            f"column count. Expect {width}, but got fewer'"
        )
    shape.append(
        f"WHEN f{width} IS NOT NULL THEN "
        f"'Value count does not match column count. Expect {width}, but got more'"
    )
    if width > 0:
        shape.insert(0, f"WHEN f0 IS NULL AND {width} > 0 THEN 'Empty row'")
    reason = "CASE " + " ".join(shape + checks) + " ELSE NULL END"
    # The rejected row as the error log shows it: its fields joined by the column separator.
    sep_sql = _literal(p.params.column_separator.decode("utf-8", "replace"))
    raw_line = f" || {sep_sql} || ".join(f"COALESCE(f{i}, '')" for i in range(width)) if width else "''"
    raw_line = f"{raw_line} || COALESCE({sep_sql} || f{width}, '')"
    fields = "".join(f"f{i}, " for i in range(width + 1))
    conv = f"__conv_{raw}"
    try:
        cur.execute(
            f"CREATE TEMP TABLE {conv} AS SELECT {', '.join(selects)}, {reason} AS __reason, "
            f"CASE WHEN ({reason}) IS NOT NULL THEN {raw_line} END AS __raw_text, "
            f"{seq_base} + __line AS __seq FROM (SELECT {', '.join(values)}, {fields}__line FROM {raw})"
        )
    except duckdb.Error as e:
        raise LoadFailure("ANALYSIS_ERROR", _first_line(e)) from None
    try:
        stats = LoadStats()
        row = cur.execute(f"SELECT count(*), count(__reason) FROM {conv}").fetchone()
        assert row is not None
        stats.total, stats.filtered = int(row[0]), int(row[1])
        keep = "__reason IS NULL"
        if p.where is not None:
            try:
                unsel = cur.execute(
                    f"SELECT count(*) FROM {conv} WHERE {keep} AND NOT COALESCE(({p.where}), false)"
                ).fetchone()
            except duckdb.Error as e:
                raise LoadFailure("ANALYSIS_ERROR", _first_line(e)) from None
            stats.unselected = int(unsel[0]) if unsel else 0
            keep = f"{keep} AND COALESCE(({p.where}), false)"
        stats.loaded = stats.total - stats.filtered - stats.unselected
        cols = ", ".join(quote_ident(c.name) for c in table.columns)
        ensure_staging(cur, table, staging)
        cur.execute(f"INSERT INTO {staging} SELECT {cols}, __seq FROM {conv} WHERE {keep}")
        if stats.filtered:
            bad = cur.execute(
                f"SELECT __reason, __raw_text FROM {conv} WHERE __reason IS NOT NULL ORDER BY __seq "
                f"LIMIT {ERROR_LOG_ROWS}"
            ).fetchall()
            stats.errors = [f"Error: {r}. Row: {t}" for r, t in bad]
        return stats
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {conv}")


def ensure_staging(cur: duckdb.DuckDBPyConnection, table: TableDef, staging: str) -> None:
    cols = ", ".join(f"{quote_ident(c.name)} {c.sr_type.duckdb}" for c in table.columns)
    cur.execute(f"CREATE TABLE IF NOT EXISTS {staging} ({cols}, __seq BIGINT)")


def staging_name(txn_id: int) -> str:
    return f"{STAGING_SCHEMA}.txn_{txn_id}"


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
