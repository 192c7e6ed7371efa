"""The StarRocks storage engine of the sandbox: databases, tables and their rows, in DuckDB.

A StarRocks database is a DuckDB schema; a StarRocks table is a DuckDB table in it. DuckDB types
lose what StarRocks shows (``varchar(64)``, ``int(11)``), so each table's definition is kept as a
document too, and the table's key model (duplicate, aggregate, primary, unique) is applied when
rows are merged in.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from .clock import Clock
from .store import RESERVED_SCHEMAS, Store


class EngineError(Exception):
    """A refusal with StarRocks' own wording; ``code`` is the MySQL error number it uses."""

    def __init__(self, message: str, code: int = 1064) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# -- types ---------------------------------------------------------------------------------------

_INT_WIDTH = {"TINYINT": 4, "SMALLINT": 6, "INT": 11, "BIGINT": 20, "LARGEINT": 40}
_SIMPLE = {
    "TINYINT": "TINYINT",
    "SMALLINT": "SMALLINT",
    "INT": "INTEGER",
    "BIGINT": "BIGINT",
    "LARGEINT": "HUGEINT",
    "BOOLEAN": "BOOLEAN",
    "FLOAT": "FLOAT",
    "DOUBLE": "DOUBLE",
    "DATE": "DATE",
    "DATETIME": "TIMESTAMP",
    "JSON": "JSON",
    "STRING": "VARCHAR",
    "HLL": "BLOB",
    "BITMAP": "BLOB",
    "PERCENTILE": "BLOB",
    "VARBINARY": "BLOB",
}
_ALIASES = {"INTEGER": "INT", "BOOL": "BOOLEAN", "TEXT": "STRING", "TIMESTAMP": "DATETIME", "REAL": "FLOAT"}
STRING_MAX = 65533
VARCHAR_MAX = 1048576


@dataclass(frozen=True)
class SrType:
    """A parsed StarRocks column type."""

    name: str  # canonical upper-case name: INT, DECIMAL, VARCHAR, ARRAY, ...
    precision: int = 0  # DECIMAL precision, CHAR/VARCHAR length
    scale: int = 0
    item: SrType | None = None  # ARRAY element type

    @property
    def duckdb(self) -> str:
        if self.name == "DECIMAL":
            return f"DECIMAL({self.precision},{self.scale})"
        if self.name in ("CHAR", "VARCHAR"):
            return "VARCHAR"
        if self.name == "ARRAY":
            assert self.item is not None
            return f"{self.item.duckdb}[]"
        return _SIMPLE[self.name]

    @property
    def display(self) -> str:
        """How SHOW/DESC write the type (``int(11)``, ``varchar(64)``, ``decimal(12,2)``)."""
        if self.name in _INT_WIDTH:
            return f"{self.name.lower()}({_INT_WIDTH[self.name]})"
        if self.name == "DECIMAL":
            return f"decimal({self.precision},{self.scale})"
        if self.name in ("CHAR", "VARCHAR"):
            return f"{self.name.lower()}({self.precision})"
        if self.name == "STRING":
            return f"varchar({STRING_MAX})"
        if self.name == "ARRAY":
            assert self.item is not None
            return f"array<{self.item.display}>"
        return self.name.lower()

    @property
    def max_bytes(self) -> int | None:
        """Length limit of a string type in bytes (StarRocks counts bytes, not characters)."""
        if self.name in ("CHAR", "VARCHAR"):
            return self.precision
        if self.name == "STRING":
            return STRING_MAX
        return None

    @property
    def is_string(self) -> bool:
        return self.name in ("CHAR", "VARCHAR", "STRING")

    def __str__(self) -> str:
        return self.display


_TYPE_RE = re.compile(r"^\s*([A-Za-z_0-9]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")


def parse_type(text: str) -> SrType:
    """Parse a StarRocks type name; raise EngineError for one StarRocks would not accept."""
    raw = text.strip()
    m = re.match(r"^\s*ARRAY\s*<(.*)>\s*$", raw, re.IGNORECASE | re.DOTALL)
    if m:
        return SrType("ARRAY", item=parse_type(m.group(1)))
    m = _TYPE_RE.match(raw)
    if not m:
        raise EngineError(f"Unsupported type '{raw}'")
    name = m.group(1).upper()
    name = _ALIASES.get(name, name)
    p = int(m.group(2)) if m.group(2) else None
    s = int(m.group(3)) if m.group(3) else None
    if name in ("DECIMAL", "DECIMALV2", "DECIMAL32", "DECIMAL64", "DECIMAL128", "NUMERIC"):
        default_p = {"DECIMAL32": 9, "DECIMAL64": 18}.get(name, 10 if name != "DECIMAL128" else 38)
        precision = p if p is not None else default_p
        scale = s if s is not None else 0
        if not 1 <= precision <= 38:
            raise EngineError(f"DECIMAL's precision should range from 1 to 38, but got {precision}")
        if not 0 <= scale <= precision:
            raise EngineError(f"DECIMAL's scale should range from 0 to {precision}, but got {scale}")
        return SrType("DECIMAL", precision, scale)
    if name in ("CHAR", "VARCHAR"):
        length = p if p is not None else (1 if name == "CHAR" else VARCHAR_MAX)
        limit = 255 if name == "CHAR" else VARCHAR_MAX
        if not 1 <= length <= limit:
            raise EngineError(f"{name} size must be between 1 and {limit}, got {length}")
        return SrType(name, length)
    if name in _INT_WIDTH or name in _SIMPLE:
        return SrType(name)
    raise EngineError(f"Unsupported type '{raw}'")


# -- definitions ---------------------------------------------------------------------------------

KEY_TYPES = ("DUPLICATE", "AGGREGATE", "PRIMARY", "UNIQUE")
AGGREGATIONS = (
    "SUM",
    "MIN",
    "MAX",
    "REPLACE",
    "REPLACE_IF_NOT_NULL",
    "HLL_UNION",
    "BITMAP_UNION",
    "PERCENTILE_UNION",
)


@dataclass
class Column:
    name: str
    type: str  # StarRocks type text as written in DDL
    nullable: bool = True
    key: bool = False
    aggregation: str | None = None
    default: str | None = None
    comment: str = ""

    @property
    def sr_type(self) -> SrType:
        return parse_type(self.type)


@dataclass
class TableDef:
    db: str
    name: str
    columns: list[Column]
    key_type: str = "DUPLICATE"
    key_columns: list[str] = field(default_factory=list)
    distribution: dict[str, Any] = field(default_factory=lambda: {"type": "random", "buckets": 1})
    partition: dict[str, Any] | None = None
    properties: dict[str, str] = field(default_factory=lambda: {"replication_num": "1"})
    comment: str = ""
    table_id: int = 0
    created_at: float = 0.0

    def column(self, name: str) -> Column | None:
        low = name.lower()
        return next((c for c in self.columns if c.name.lower() == low), None)

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> TableDef:
        d = dict(doc)
        d["columns"] = [Column(**c) for c in d["columns"]]
        return cls(**d)


def ids_after_table(t: TableDef) -> int:
    """The ids the FE takes after a table's own: its partition, its base index, then each tablet
    followed by its replicas (LocalMetastore.createOlapTable, one getNextId() each)."""
    buckets = int((t.distribution or {}).get("buckets") or 1)
    try:
        copies = int((t.properties or {}).get("replication_num") or 1)
    except ValueError:
        copies = 1
    return 2 + max(1, buckets) * (1 + max(1, copies))


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualified(db: str, table: str) -> str:
    return f"{quote_ident(db)}.{quote_ident(table)}"


_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,255}$")


class Engine:
    """Databases and tables of the emulated StarRocks cluster."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- databases -----------------------------------------------------------------------------
    def databases(self) -> list[str]:
        return [d["name"] for d in self.store.list("database")]

    def database(self, name: str) -> dict[str, Any] | None:
        return self.store.get("database", name)

    def create_database(self, name: str, if_not_exists: bool = False) -> None:
        if not _NAME_RE.match(name) or name.lower() in RESERVED_SCHEMAS:
            raise EngineError(f"Incorrect database name '{name}'", 1102)
        with self.store.lock:
            if self.database(name) is not None:
                if if_not_exists:
                    return
                raise EngineError(f"Can't create database '{name}'; database exists", 1007)
            with self.store.cursor() as cur:
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(name)}")
            self.store.put(
                "database", name, {"name": name, "id": self.store.next_id(), "created_at": self.clock.now()}
            )

    def drop_database(self, name: str, if_exists: bool = False) -> None:
        with self.store.lock:
            if self.database(name) is None:
                if if_exists:
                    return
                raise EngineError(f"Can't drop database '{name}'; database doesn't exist", 1008)
            for t in self.tables(name):
                self.store.delete("table", f"{name}.{t}")
            with self.store.cursor() as cur:
                cur.execute(f"DROP SCHEMA IF EXISTS {quote_ident(name)} CASCADE")
            self.store.delete("database", name)

    def require_database(self, name: str) -> None:
        if self.database(name) is None:
            raise EngineError(f"Unknown database '{name}'", 1049)

    # -- tables --------------------------------------------------------------------------------
    def tables(self, db: str) -> list[str]:
        return [d["name"] for d in self.store.list("table") if d["db"] == db]

    def table(self, db: str, name: str) -> TableDef | None:
        doc = self.store.get("table", f"{db}.{name}")
        return None if doc is None else TableDef.from_doc(doc)

    def require_table(self, db: str, name: str) -> TableDef:
        self.require_database(db)
        t = self.table(db, name)
        if t is None:
            raise EngineError(f"Unknown table '{db}.{name}'", 5502)
        return t

    def create_table(self, t: TableDef, if_not_exists: bool = False) -> TableDef:
        """Check a definition as StarRocks would, then create the table."""
        self.require_database(t.db)
        if not _NAME_RE.match(t.name):
            raise EngineError(f"Incorrect table name '{t.name}'", 1103)
        if not t.columns:
            raise EngineError("Table should contain at least one column")
        seen: set[str] = set()
        for c in t.columns:
            if c.name.lower() in seen:
                raise EngineError(f"Duplicate column name '{c.name}'", 1060)
            seen.add(c.name.lower())
            c.type = c.sr_type.display if not c.type else c.type
            parse_type(c.type)
        t.key_type = t.key_type.upper()
        if t.key_type not in KEY_TYPES:
            raise EngineError(f"Unknown key type '{t.key_type}'")
        if not t.key_columns:
            t.key_columns = [t.columns[0].name]
        for i, k in enumerate(t.key_columns):
            col = t.column(k)
            if col is None:
                raise EngineError(f"Key column '{k}' does not exist in table")
            # StarRocks requires key columns to be a prefix of the schema, in order.
            if t.columns[i].name.lower() != col.name.lower():
                raise EngineError(
                    "Key columns should be a ordered prefix of the schema. "
                    f"KeyColumns[{i}] (starts from zero) is {k}, but corresponding column is "
                    f"{t.columns[i].name} in the previous columns declaration."
                )
            col.key = True
            if t.key_type == "PRIMARY":
                col.nullable = False
        for c in t.columns:
            if c.key:
                c.aggregation = None
            elif t.key_type == "AGGREGATE":
                if not c.aggregation:
                    raise EngineError(
                        f"The column {c.name} must have an aggregate type, because it is a value column "
                        "of an aggregate key table"
                    )
                c.aggregation = c.aggregation.upper()
                if c.aggregation not in AGGREGATIONS:
                    raise EngineError(f"Unknown aggregate type '{c.aggregation}'")
            elif c.aggregation:
                raise EngineError(
                    f"The column {c.name} may not have an aggregate type in a {t.key_type.lower()} key table"
                )
        dist_cols = t.distribution.get("columns") or []
        for dc in dist_cols:
            if t.column(dc) is None:
                raise EngineError(f"Distribution column[{dc}] is not found in table")
        buckets = t.distribution.get("buckets")
        if buckets is not None and int(buckets) < 1:
            raise EngineError("Number of hash distribution should be greater than zero.")
        with self.store.lock:
            if self.table(t.db, t.name) is not None:
                if if_not_exists:
                    existing = self.table(t.db, t.name)
                    assert existing is not None
                    return existing
                raise EngineError(f"Table '{t.name}' already exists", 1050)
            cols_sql = ", ".join(
                f"{quote_ident(c.name)} {c.sr_type.duckdb}{'' if c.nullable else ' NOT NULL'}"
                for c in t.columns
            )
            with self.store.cursor() as cur:
                cur.execute(f"CREATE TABLE {qualified(t.db, t.name)} ({cols_sql})")
            t.table_id = self.store.next_id()
            self.store.reserve_ids(ids_after_table(t))
            t.created_at = self.clock.now()
            self.store.put("table", f"{t.db}.{t.name}", t.to_doc())
        return t

    def drop_table(self, db: str, name: str, if_exists: bool = False) -> None:
        with self.store.lock:
            if self.table(db, name) is None:
                if if_exists:
                    return
                raise EngineError(f"Unknown table '{db}.{name}'", 5502)
            with self.store.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {qualified(db, name)}")
            self.store.delete("table", f"{db}.{name}")

    def truncate(self, db: str, name: str) -> None:
        self.require_table(db, name)
        with self.store.cursor() as cur:
            cur.execute(f"DELETE FROM {qualified(db, name)}")

    def row_count(self, db: str, name: str) -> int:
        with self.store.cursor() as cur:
            row = cur.execute(f"SELECT count(*) FROM {qualified(db, name)}").fetchone()
        return int(row[0]) if row else 0

    # -- rows ----------------------------------------------------------------------------------
    def merge(self, cur: duckdb.DuckDBPyConnection, t: TableDef, source_sql: str) -> int:
        """Add the rows of ``source_sql`` to table ``t`` under its key model; returns rows added.

        ``source_sql`` must yield the table's columns in order (by position; names do not matter),
        and may yield an ordering column ``__seq`` after them: for primary/unique keys the row
        with the largest ``__seq`` wins.
        Runs on the caller's cursor so it can share the caller's DuckDB transaction.
        """
        target = qualified(t.db, t.name)
        names = [quote_ident(c.name) for c in t.columns]
        col_list = ", ".join(names)
        keys = [quote_ident(k) for k in t.key_columns]
        src_cols = [f"src.{n}" for n in names]
        count_row = cur.execute(f"SELECT count(*) FROM ({source_sql}) src").fetchone()
        added = int(count_row[0]) if count_row else 0
        if added == 0:
            return 0
        width = len(cur.execute(f"SELECT * FROM ({source_sql}) LIMIT 0").description)
        has_seq = width > len(names)
        order = "src.__seq" if has_seq else "1"
        # Name the source's columns after the table's, positionally.
        source_sql = f"SELECT * FROM ({source_sql}) s({col_list}{', __seq' if has_seq else ''})"
        if t.key_type == "DUPLICATE":
            cur.execute(
                f"INSERT INTO {target} ({col_list}) SELECT {', '.join(src_cols)} FROM ({source_sql}) src"
            )
        elif t.key_type in ("PRIMARY", "UNIQUE"):
            partition = ", ".join("src." + k for k in keys)
            latest = (
                f"SELECT {', '.join(src_cols)} FROM ({source_sql}) src "
                f"QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {order} DESC) = 1"
            )
            cur.execute(f"CREATE TEMP TABLE __merge AS {latest}")
            try:
                match = " AND ".join(f"{target}.{k} IS NOT DISTINCT FROM __merge.{k}" for k in keys)
                cur.execute(f"DELETE FROM {target} WHERE EXISTS (SELECT 1 FROM __merge WHERE {match})")
                cur.execute(f"INSERT INTO {target} ({col_list}) SELECT {col_list} FROM __merge")
            finally:
                cur.execute("DROP TABLE IF EXISTS __merge")
        else:  # AGGREGATE: fold the new rows into the existing ones, key by key
            both = (
                f"SELECT {col_list}, 0 AS __seq FROM {target} UNION ALL "
                f"SELECT {', '.join(src_cols)}, 1 + row_number() OVER () AS __seq FROM ({source_sql}) src"
            )
            aggs = []
            for c in t.columns:
                q = quote_ident(c.name)
                if c.key:
                    aggs.append(q)
                elif c.aggregation == "SUM":
                    aggs.append(f"sum({q})::{c.sr_type.duckdb} AS {q}")
                elif c.aggregation == "MIN":
                    aggs.append(f"min({q}) AS {q}")
                elif c.aggregation == "MAX":
                    aggs.append(f"max({q}) AS {q}")
                elif c.aggregation == "REPLACE_IF_NOT_NULL":
                    aggs.append(f"arg_max({q}, __seq) FILTER (WHERE {q} IS NOT NULL) AS {q}")
                else:  # REPLACE and the sketch unions keep the latest value
                    aggs.append(f"arg_max({q}, __seq) AS {q}")
            cur.execute(
                f"CREATE TEMP TABLE __merge AS SELECT {', '.join(aggs)} FROM ({both}) "
                f"GROUP BY {', '.join(keys)}"
            )
            try:
                cur.execute(f"DELETE FROM {target}")
                cur.execute(f"INSERT INTO {target} ({col_list}) SELECT {col_list} FROM __merge")
            finally:
                cur.execute("DROP TABLE IF EXISTS __merge")
        return added
