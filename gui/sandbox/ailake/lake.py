"""Pipe tables over an object storage folder: finding the parquet files under a path prefix, checking
their layout, inferring the StarRocks table from them, and loading them into that table.

An object storage named ``N`` is the folder ``DATA/object-storage/N/``; an object key is a path
relative to it (``sales/year=2024/month=01/part-00000.parquet``). Hive partition columns come from the
``name=value`` folders of the key, as the service sees them in S3 keys, and are strings (VARCHAR) unless
``columnOverrides`` says otherwise.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..engine import Column, Engine, EngineError, SrType, TableDef, parse_type, qualified, quote_ident

STRING_TYPE = "VARCHAR(1048576)"
# StarRocks pipes poll every 300 s unless POLL_INTERVAL says otherwise.
DEFAULT_POLL_SECONDS = 300
DEFAULT_PROPERTIES = {"replication_num": "1"}
# The sandbox runs one BE, so a table can hold one replica per tablet.
ALIVE_BACKENDS = 1

_SIMPLE_TYPES = {
    "BOOLEAN": "BOOLEAN",
    "TINYINT": "TINYINT",
    "SMALLINT": "SMALLINT",
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "HUGEINT": "LARGEINT",
    "UTINYINT": "SMALLINT",
    "USMALLINT": "INT",
    "UINTEGER": "BIGINT",
    "UBIGINT": "LARGEINT",
    "UHUGEINT": "LARGEINT",
    "FLOAT": "FLOAT",
    "DOUBLE": "DOUBLE",
    "DATE": "DATE",
    "BLOB": "VARBINARY",
    "JSON": "JSON",
}
_FUNCTION_TYPES = {
    "HLL_HASH": "HLL",
    "BITMAP_HASH": "BITMAP",
    "BITMAP_HASH64": "BITMAP",
    "TO_BITMAP": "BITMAP",
}
_SKETCH_UNIONS = {"HLL": "HLL_UNION", "BITMAP": "BITMAP_UNION", "PERCENTILE": "PERCENTILE_UNION"}
_NUMERIC = {"TINYINT", "SMALLINT", "INT", "BIGINT", "LARGEINT", "FLOAT", "DOUBLE", "DECIMAL"}
_NOT_KEY = {"FLOAT", "DOUBLE", "HLL", "BITMAP", "PERCENTILE", "JSON", "ARRAY", "VARBINARY"}
_DATE_UNITS = ("year", "quarter", "month", "week", "day")
_TIME_UNITS = ("hour", "minute", "second")


class LakeError(Exception):
    """Why an operation failed; ``status`` is the HTTP status its error object carries."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


# -- files ---------------------------------------------------------------------------------------


@dataclass
class ParquetFile:
    key: str  # object key, relative to the storage root
    path: Path
    size: int
    mtime_ns: int
    partition: dict[str, str] = field(default_factory=dict)

    def digest(self) -> str:
        h = hashlib.sha256()
        with self.path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()


def storage_root(data_dir: Path, storage_name: str) -> Path:
    return data_dir / "object-storage" / storage_name


def _hive(segment: str) -> tuple[str, str] | None:
    name, sep, value = segment.partition("=")
    if not sep or not name:
        return None
    return name, value


def list_parquet(root: Path, prefix: str) -> list[ParquetFile]:
    """Parquet files under ``prefix`` (a normalised folder), skipping hidden and ``_`` entries the way
    Hive and Spark writers expect (``_SUCCESS``, ``.crc``, ``_temporary/``)."""
    base = root / prefix if prefix else root
    if not base.is_dir():
        return []
    out: list[ParquetFile] = []
    for p in sorted(base.rglob("*")):
        if not p.is_file() or p.suffix.lower() != ".parquet":
            continue
        rel = p.relative_to(base).parts
        if any(part.startswith((".", "_")) for part in rel):
            continue
        key = prefix + "/".join(rel)
        st = p.stat()
        partition: dict[str, str] = {}
        for seg in key.split("/")[:-1]:
            kv = _hive(seg)
            if kv is not None:
                partition.setdefault(kv[0], kv[1])
        out.append(ParquetFile(key, p, st.st_size, st.st_mtime_ns, partition))
    return out


def no_files_found(path: str) -> str:
    """StarRocks' refusal of a load whose path matches no file (ErrorCode ERR_NO_FILES_FOUND)."""
    return (
        f"No files were found matching the pattern(s) or path(s): '{path}'. You should check whether "
        "there are files under the path, and make sure the process has the permission to access the path"
    )


def depth_below(prefix: str, f: ParquetFile) -> int:
    return len(f.key[len(prefix) :].split("/")) - 1


def check_layout(prefix: str, files: list[ParquetFile]) -> tuple[int, list[str]]:
    """(folder depth below the prefix, Hive partition columns) of a uniform layout, or LakeError."""
    depths = sorted({depth_below(prefix, f) for f in files})
    if len(depths) > 1:
        raise LakeError(
            400,
            f"Parquet files under '{prefix}' are at mixed depths {depths}: all files must be directly under "
            "the prefix or all under a consistent Hive partition hierarchy (e.g. year=2024/month=01/).",
        )
    depth = depths[0]
    layouts: set[tuple[str, ...]] = set()
    for f in files:
        names = []
        for seg in f.key[len(prefix) :].split("/")[:-1]:
            kv = _hive(seg)
            if kv is None:
                raise LakeError(
                    400,
                    f"Folder '{seg}' in '{f.key}' is not a Hive partition (name=value): parquet files "
                    "must be directly under the prefix or under a Hive partition hierarchy.",
                )
            names.append(kv[0])
        layouts.add(tuple(names))
    if len(layouts) > 1:
        shown = sorted("/".join(layout) for layout in layouts)
        raise LakeError(400, f"Inconsistent Hive partition hierarchy under '{prefix}': {shown}.")
    columns: list[str] = []
    for seg in prefix.split("/"):
        kv = _hive(seg)
        if kv is not None and kv[0] not in columns:
            columns.append(kv[0])
    for name in layouts.pop():
        if name not in columns:
            columns.append(name)
    return depth, columns


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _reader(paths: list[Path]) -> str:
    files = ", ".join(_literal(str(p)) for p in paths)
    return f"read_parquet([{files}], union_by_name = true)"


def parquet_columns(cur: duckdb.DuckDBPyConnection, paths: list[Path]) -> list[tuple[str, str]]:
    try:
        rows = cur.execute(f"DESCRIBE SELECT * FROM {_reader(paths)}").fetchall()
    except duckdb.Error as e:
        raise LakeError(400, f"Cannot read the parquet files: {e}") from None
    return [(str(r[0]), str(r[1])) for r in rows]


# -- types ---------------------------------------------------------------------------------------


def starrocks_type(duck: str) -> str:
    """The StarRocks column type a pipe creates for a parquet/DuckDB type."""
    t = duck.strip().upper()
    if t.endswith("[]"):
        return f"ARRAY<{starrocks_type(t[:-2])}>"
    m = re.match(r"^DECIMAL\((\d+),\s*(\d+)\)$", t)
    if m:
        return f"DECIMAL({m.group(1)},{m.group(2)})"
    if t in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[t]
    if t.startswith("TIMESTAMP"):
        return "DATETIME"
    if t.startswith(("STRUCT", "MAP", "UNION")):
        return "JSON"
    return STRING_TYPE


def cap_varchar(sr_type: str, cap: int) -> str:
    if cap <= 0:
        return sr_type
    return re.sub(
        r"VARCHAR\((\d+)\)", lambda m: f"VARCHAR({min(int(m.group(1)), cap)})", sr_type, flags=re.IGNORECASE
    )


# -- the table a pipe creates ----------------------------------------------------------------------


@dataclass
class PlanColumn:
    name: str
    type: str
    source: str | None  # parquet column, Hive key (partition=True), or function argument
    function: str | None = None
    partition: bool = False

    def to_doc(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "source": self.source,
            "function": self.function,
            "partition": self.partition,
        }

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> PlanColumn:
        return cls(d["name"], d["type"], d.get("source"), d.get("function"), bool(d.get("partition")))


@dataclass
class Plan:
    """Everything a create operation resolved: the table definition, how each column is projected
    from a file, and the resolved configs the API reports."""

    columns: list[PlanColumn]
    partition_columns: list[str]
    depth: int
    key_config: dict[str, Any]
    distribution_config: dict[str, Any]
    partition_config: dict[str, Any] | None
    table_properties: dict[str, str]
    tabledef: TableDef


def _sr(col: PlanColumn) -> SrType:
    return parse_type(col.type)


def _find(columns: list[PlanColumn], name: str) -> PlanColumn | None:
    return next((c for c in columns if c.name == name), None)


def _require(columns: list[PlanColumn], name: str, what: str) -> PlanColumn:
    col = _find(columns, name)
    if col is None:
        raise LakeError(400, f"Column '{name}' in {what} does not exist in the inferred schema.")
    return col


def _partition_expression(cfg: dict[str, Any]) -> str:
    if cfg["type"] == "column":
        return ", ".join(f"`{c}`" for c in cfg["columns"])
    if cfg["type"] == "dateTrunc":
        return f"date_trunc('{cfg['unit']}', `{cfg['column']}`)"
    return f"time_slice(`{cfg['column']}`, INTERVAL {cfg['slices']} {cfg['unit']})"


def build_plan(
    db: str,
    req: dict[str, Any],
    prefix: str,
    files: list[ParquetFile],
    cur: duckdb.DuckDBPyConnection,
) -> Plan:
    """Infer the table from the files and apply the request's overrides and configs, refusing with
    StarRocks' rules what StarRocks would refuse."""
    if not files:
        raise LakeError(
            400,
            f"No parquet files found under path prefix '{prefix}' in object storage "
            f"'{req['sourceStorageName']}'.",
        )
    depth, partition_columns = check_layout(prefix, files)
    inferred = parquet_columns(cur, [f.path for f in files])
    cap = req.get("maxVarcharLength") or 0
    columns: list[PlanColumn] = [
        PlanColumn(name, cap_varchar(starrocks_type(duck), cap), name)
        for name, duck in inferred
        if name not in partition_columns
    ]
    columns += [
        PlanColumn(name, cap_varchar(STRING_TYPE, cap), name, partition=True) for name in partition_columns
    ]

    for name, text in (req.get("columnOverrides") or {}).items():
        col = _require(columns, name, "columnOverrides")
        try:
            parse_type(text)
        except EngineError as e:
            raise LakeError(
                400, f"Invalid type '{text}' for column '{name}' in columnOverrides: {e.message}"
            ) from None
        col.type = text.strip().upper()

    for target, expr in (req.get("columnExpressions") or {}).items():
        source = _require(columns, expr["column"], f"columnExpressions.{target}.column")
        want = _FUNCTION_TYPES[expr["function"]]
        existing = _find(columns, target)
        if existing is None:
            columns.append(PlanColumn(target, want, source.source, expr["function"], source.partition))
            continue
        if _sr(existing).name != want:
            raise LakeError(
                400,
                f"{expr['function']}() produces {want}, but column '{target}' is {existing.type}; "
                f"override its type to {want} in columnOverrides.",
            )
        existing.source, existing.function, existing.partition = (
            source.source,
            expr["function"],
            source.partition,
        )
    for col in columns:
        if _sr(col).name in ("HLL", "BITMAP", "PERCENTILE") and col.function is None:
            raise LakeError(
                400,
                f"Column '{col.name}' is {col.type}: it needs a columnExpressions entry, StarRocks "
                f"rejects raw VARBINARY into {_sr(col).name} columns.",
            )

    key_in = req.get("keyConfig") or {"type": "duplicate"}
    key_type = key_in["type"]
    key_cols = list(key_in.get("columns") or [columns[0].name])
    if len(set(key_cols)) != len(key_cols):
        raise LakeError(400, f"Duplicate key columns in keyConfig: {key_cols}.")
    for k in key_cols:
        col = _require(columns, k, "keyConfig.columns")
        if _sr(col).name in _NOT_KEY:
            raise LakeError(400, f"Invalid key column '{k}': {col.type} can not be used as a key column.")
    # StarRocks wants the key columns first, in key order.
    columns = [c for k in key_cols for c in columns if c.name == k] + [
        c for c in columns if c.name not in key_cols
    ]

    aggregations: dict[str, str] = {}
    if key_type == "aggregate":
        given = {k: v.upper() for k, v in (req.get("aggregationOverrides") or {}).items()}
        for name in given:
            _require(columns, name, "aggregationOverrides")
            if name in key_cols:
                raise LakeError(400, f"Key column '{name}' can not have an aggregation function.")
        missing = [c.name for c in columns if c.name not in key_cols and c.name not in given]
        if missing:
            raise LakeError(
                400,
                f"aggregationOverrides must give an aggregation function for every non-key column of an "
                f"aggregate key table; missing: {missing}.",
            )
        for col in columns:
            if col.name in key_cols:
                continue
            fn, base = given[col.name], _sr(col).name
            if base in _SKETCH_UNIONS and fn != _SKETCH_UNIONS[base]:
                raise LakeError(
                    400, f"Column '{col.name}' is {base}: its aggregation must be {_SKETCH_UNIONS[base]}."
                )
            if fn in _SKETCH_UNIONS.values() and _SKETCH_UNIONS.get(base) != fn:
                raise LakeError(400, f"{fn} can not be used on column '{col.name}' of type {col.type}.")
            if fn == "SUM" and base not in _NUMERIC:
                raise LakeError(400, f"SUM can not be used on column '{col.name}' of type {col.type}.")
            aggregations[col.name] = fn
    else:
        for col in columns:
            base = _sr(col).name
            if base in ("HLL", "PERCENTILE") or (base == "BITMAP" and key_type != "primary"):
                raise LakeError(
                    400, f"{base} column '{col.name}' can only be used in an aggregate key table."
                )

    dist_in = req.get("distributionConfig") or {"type": "hash"}
    buckets = int(dist_in.get("buckets") or 1)
    if dist_in["type"] == "random":
        if key_type != "duplicate":
            raise LakeError(400, "Random distribution is only supported in DUPLICATE KEY tables.")
        distribution: dict[str, Any] = {"type": "random", "buckets": buckets}
    else:
        dist_cols = list(dist_in.get("columns") or [columns[0].name])
        for d in dist_cols:
            _require(columns, d, "distributionConfig.columns")
            if key_type != "duplicate" and d not in key_cols:
                raise LakeError(400, f"Distribution column[{d}] is not key column.")
        distribution = {"type": "hash", "buckets": buckets, "columns": dist_cols}

    part_cfg = req.get("partitionConfig")
    partition: dict[str, Any] | None = None
    if part_cfg is not None:
        names = part_cfg["columns"] if part_cfg["type"] == "column" else [part_cfg["column"]]
        for name in names:
            col = _require(columns, name, "partitionConfig")
            base = _sr(col).name
            if key_type != "duplicate" and name not in key_cols:
                raise LakeError(
                    400, f"Partition column '{name}' must be a key column of the {key_type} key table."
                )
            if part_cfg["type"] == "column" and base in _NOT_KEY:
                raise LakeError(400, f"Column '{name}' of type {col.type} can not be a partition column.")
            if part_cfg["type"] != "column":
                unit = part_cfg["unit"]
                if base not in ("DATE", "DATETIME"):
                    raise LakeError(
                        400, f"Partition column '{name}' must be DATE or DATETIME, got {col.type}."
                    )
                if unit not in _DATE_UNITS + _TIME_UNITS or (base == "DATE" and unit in _TIME_UNITS):
                    raise LakeError(
                        400, f"Unsupported partition time unit '{unit}' for {base} column '{name}'."
                    )
        partition = {**part_cfg, "expression": _partition_expression(part_cfg)}

    props = dict(req.get("tableProperties") or DEFAULT_PROPERTIES)
    if "replication_num" in props:
        raw = props["replication_num"]
        if not raw.strip().isdigit() or int(raw) < 1:
            raise LakeError(400, f"Invalid replication_num '{raw}': it must be a positive integer.")
        if int(raw) > ALIVE_BACKENDS:
            raise LakeError(
                400,
                "Table replication num should be less than or equal to the number of available BE nodes. "
                f"Current alive backend count is {ALIVE_BACKENDS}, replication_num={raw}.",
            )

    key_config = {"type": key_type, "columns": key_cols}
    tabledef = TableDef(
        db=db,
        name=req["tableName"],
        columns=[
            Column(c.name, c.type, key=c.name in key_cols, aggregation=aggregations.get(c.name))
            for c in columns
        ],
        key_type=key_type.upper(),
        key_columns=key_cols,
        distribution=dict(distribution),
        partition=partition,
        properties=props,
    )
    return Plan(
        columns=columns,
        partition_columns=partition_columns,
        depth=depth,
        key_config=key_config,
        distribution_config=distribution,
        partition_config=part_cfg,
        table_properties=props,
        tabledef=tabledef,
    )


def create_table(engine: Engine, plan: Plan) -> TableDef:
    try:
        return engine.create_table(plan.tabledef)
    except EngineError as e:
        raise LakeError(409 if e.code == 1050 else 400, e.message) from None


# -- loading -------------------------------------------------------------------------------------


def _projection(col: PlanColumn, available: set[str], f: ParquetFile) -> str:
    target = parse_type(col.type).duckdb
    if col.source is None:
        value = "NULL"
    elif col.partition:
        raw = f.partition.get(col.source)
        value = "NULL" if raw is None else _literal(raw)
    elif col.source in available:
        value = quote_ident(col.source)
    else:
        value = "NULL"
    if col.function == "HLL_HASH":
        return f"CAST(CAST(hash({value}) AS VARCHAR) AS BLOB)"
    if col.function == "BITMAP_HASH":
        return f"CAST(CAST(hash({value}) % 4294967296 AS VARCHAR) AS BLOB)"
    if col.function == "BITMAP_HASH64":
        return f"CAST(CAST(hash({value}) AS VARCHAR) AS BLOB)"
    if col.function == "TO_BITMAP":
        return f"CAST(CAST(CAST({value} AS UBIGINT) AS VARCHAR) AS BLOB)"
    return f"CAST({value} AS {target})"


def _load_one(
    engine: Engine, cur: duckdb.DuckDBPyConnection, td: TableDef, columns: list[PlanColumn], f: ParquetFile
) -> int:
    available = {name for name, _ in parquet_columns(cur, [f.path])}
    select = ", ".join(_projection(c, available, f) for c in columns)
    source = f"SELECT {select} FROM {_reader([f.path])}"
    # INSERT from FILES() is strict in StarRocks: a string longer than its VARCHAR fails the load.
    limits = [(i, c) for i, c in enumerate(columns) if parse_type(c.type).name == "VARCHAR"]
    if limits:
        probes = ", ".join(f"max(strlen(CAST(s.c{i} AS VARCHAR)))" for i, _ in limits)
        names = ", ".join(f"c{i}" for i in range(len(columns)))
        row = cur.execute(f"SELECT {probes} FROM ({source}) s({names})").fetchone()
        for (_, col), longest in zip(limits, row or (), strict=False):
            size = parse_type(col.type).precision
            if longest is not None and int(longest) > size:
                raise LakeError(
                    400, f"Value too long for column '{col.name}' {col.type} ({longest} bytes) in '{f.key}'."
                )
    return engine.merge(cur, td, source)


def load_files(
    engine: Engine,
    td: TableDef,
    columns: list[PlanColumn],
    files: list[ParquetFile],
    registry: dict[str, Any],
    delete_where: dict[str, str] | None = None,
) -> tuple[int, list[str]]:
    """Load ``files`` one DuckDB transaction each (a partition refresh: one transaction for the delete
    and all its files) and record each in ``registry``; returns (rows added, errors)."""
    rows = 0
    errors: list[str] = []
    cur = engine.store.new_cursor()
    try:
        if delete_where is not None:
            cur.begin()
            try:
                clauses, params = [], []
                for name, value in delete_where.items():
                    col = next(c for c in columns if c.name == name)
                    clauses.append(f"{quote_ident(name)} = CAST(? AS {parse_type(col.type).duckdb})")
                    params.append(value)
                cur.execute(f"DELETE FROM {qualified(td.db, td.name)} WHERE {' AND '.join(clauses)}", params)
                for f in files:
                    added = _load_one(engine, cur, td, columns, f)
                    rows += added
                    registry[f.key] = _entry(f, added, engine.clock.now())
                cur.commit()
            except (duckdb.Error, LakeError) as e:
                cur.rollback()
                raise LakeError(
                    400, e.detail if isinstance(e, LakeError) else f"Refresh failed: {e}"
                ) from None
            return rows, errors
        for f in files:
            cur.begin()
            try:
                added = _load_one(engine, cur, td, columns, f)
                cur.commit()
            except (duckdb.Error, LakeError) as e:
                cur.rollback()
                detail = e.detail if isinstance(e, LakeError) else f"Failed to load '{f.key}': {e}"
                errors.append(detail)
                registry[f.key] = {**_entry(f, 0, engine.clock.now()), "error": detail}
                continue
            rows += added
            registry[f.key] = _entry(f, added, engine.clock.now())
        return rows, errors
    finally:
        cur.close()


def _entry(f: ParquetFile, rows: int, now: float) -> dict[str, Any]:
    return {
        "size": f.size,
        "mtimeNs": f.mtime_ns,
        "digest": f.digest(),
        "rows": rows,
        "loadedAt": now,
    }


def changed_files(files: list[ParquetFile], registry: dict[str, Any]) -> list[ParquetFile]:
    """Files a pipe has not loaded yet: new names, or known names whose content changed (a pipe
    tells files apart by name and digest, so an overwritten file is loaded again)."""
    out = []
    for f in files:
        seen = registry.get(f.key)
        if seen is None:
            out.append(f)
            continue
        if seen.get("size") == f.size and seen.get("mtimeNs") == f.mtime_ns:
            continue
        digest = f.digest()
        if digest == seen.get("digest"):
            seen["size"], seen["mtimeNs"] = f.size, f.mtime_ns
            continue
        out.append(f)
    return out
