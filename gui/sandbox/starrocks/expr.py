"""StarRocks scalar expressions over named inputs, turned into DuckDB SQL.

A load's ``columns`` mappings and ``where`` filter are StarRocks expressions. sqlglot (its StarRocks
dialect) parses them; this module then does what StarRocks' analyzer does — resolves names, types
every node, finds the function each call means and casts its arguments implicitly to what it takes —
and writes the DuckDB expression that computes the same value, with StarRocks' semantics (source
fields of a CSV are strings; ``'7' * 100`` is a DOUBLE; ``year('2024-01-02')`` reads the string as a
DATETIME; a value that cannot be converted is NULL, never an error).

Refusals carry StarRocks' own texts: ``No matching function with signature: foo(varchar)`` wrapped
the way the FE's SemanticException words it, with the node's position in the text StarRocks parsed.

Nothing of the input text reaches DuckDB as SQL: names become the SQL of the inputs they resolve to,
literals are re-quoted here, and only functions listed in this module are ever written. An
expression therefore cannot read a file, call a table function or run a subquery, whatever the
connection it runs on allows.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.dialects.starrocks import StarRocks
from sqlglot.errors import ParseError, TokenError
from sqlglot.parsers.starrocks import StarRocksParser
from sqlglot.tokens import Token, TokenType

# The time zone of a load when it names none (STREAM LOAD's ``timezone`` default).
DEFAULT_TIMEZONE = "Asia/Shanghai"


class ExprError(Exception):
    """A refusal worded as StarRocks words it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- types ----------------------------------------------------------------------------------------

_INT_ORDER = ("TINYINT", "SMALLINT", "INT", "BIGINT", "LARGEINT")
_INT_SQL = {"TINYINT": "tinyint(4)", "SMALLINT": "smallint(6)", "INT": "int(11)", "BIGINT": "bigint(20)"}
_INT_SQL["LARGEINT"] = "largeint(40)"
_DUCK = {
    "NULL": "VARCHAR",
    "BOOLEAN": "BOOLEAN",
    "TINYINT": "TINYINT",
    "SMALLINT": "SMALLINT",
    "INT": "INTEGER",
    "BIGINT": "BIGINT",
    "LARGEINT": "HUGEINT",
    "FLOAT": "FLOAT",
    "DOUBLE": "DOUBLE",
    "VARCHAR": "VARCHAR",
    "DATE": "DATE",
    "DATETIME": "TIMESTAMP",
    "JSON": "JSON",
    "HLL": "BLOB",
    "BITMAP": "BLOB",
    "PERCENTILE": "BLOB",
    "VARBINARY": "BLOB",
}
_OPAQUE = ("HLL", "BITMAP", "PERCENTILE", "VARBINARY", "ARRAY")


@dataclass(frozen=True)
class Ty:
    """A StarRocks scalar type as the analyzer sees it."""

    name: str
    precision: int = 0  # DECIMAL precision
    scale: int = 0  # DECIMAL scale
    duck_name: str = ""  # the DuckDB type of a type this module only passes through (ARRAY)

    @property
    def duck(self) -> str:
        if self.name == "DECIMAL":
            return f"DECIMAL({self.precision},{self.scale})"
        return self.duck_name or _DUCK[self.name]

    def sql(self) -> str:
        """The type as the FE's ``Type.toSql`` writes it in messages."""
        if self.name in _INT_SQL:
            return _INT_SQL[self.name]
        if self.name == "DECIMAL":
            kind = (
                "decimal32" if self.precision <= 9 else "decimal64" if self.precision <= 18 else "decimal128"
            )
            return f"{kind}({self.precision}, {self.scale})"
        if self.name == "NULL":
            return "NULL_TYPE"
        if self.name == "ARRAY":
            return "array"
        return self.name.lower()

    @property
    def is_int(self) -> bool:
        return self.name in _INT_ORDER

    @property
    def is_numeric(self) -> bool:
        return self.is_int or self.name in ("FLOAT", "DOUBLE", "DECIMAL")

    @property
    def is_string(self) -> bool:
        return self.name == "VARCHAR"

    @property
    def is_temporal(self) -> bool:
        return self.name in ("DATE", "DATETIME")

    @property
    def is_null(self) -> bool:
        return self.name == "NULL"


NULL = Ty("NULL")
BOOLEAN = Ty("BOOLEAN")
TINYINT = Ty("TINYINT")
SMALLINT = Ty("SMALLINT")
INT = Ty("INT")
BIGINT = Ty("BIGINT")
LARGEINT = Ty("LARGEINT")
DOUBLE = Ty("DOUBLE")
VARCHAR = Ty("VARCHAR")
DATE = Ty("DATE")
DATETIME = Ty("DATETIME")
JSON = Ty("JSON")
HLL = Ty("HLL")
BITMAP = Ty("BITMAP")


def column_type(name: str, precision: int = 0, scale: int = 0, duck: str = "") -> Ty:
    """The analyzer's type for a table column type (``SrType.name`` and its parameters)."""
    if name in ("CHAR", "VARCHAR", "STRING"):
        return VARCHAR
    if name == "DECIMAL":
        return Ty("DECIMAL", precision, scale)
    if name in _DUCK:
        return Ty(name)
    return Ty(name, duck_name=duck)


# -- casts: StarRocks' conversions written in DuckDB --------------------------------------------


def literal(text: str) -> str:
    """A DuckDB string literal (standard strings: only the quote is doubled)."""
    return "'" + text.replace("'", "''") + "'"


def from_varchar(sql: str, to: Ty) -> str:
    """A string read as ``to`` the way StarRocks reads text fields: NULL when it does not parse."""
    if to.is_string or to.is_null:
        return sql
    if to.name == "BOOLEAN":
        return (
            f"CASE lower(trim({sql})) WHEN 'true' THEN true WHEN 'false' THEN false "
            f"ELSE TRY_CAST(TRY_CAST(trim({sql}) AS DOUBLE) <> 0 AS BOOLEAN) END"
        )
    if to.is_temporal:
        # StarRocks also takes compact forms like 20240101 and 20240101083000.
        compact = [f"TRY_CAST(TRY_STRPTIME(trim({sql}), '%Y%m%d') AS {to.duck})"]
        if to.name == "DATETIME":
            compact.insert(0, f"TRY_CAST(TRY_STRPTIME(trim({sql}), '%Y%m%d%H%M%S') AS {to.duck})")
        return f"COALESCE(TRY_CAST(trim({sql}) AS {to.duck}), {', '.join(compact)})"
    if to.name == "JSON":
        return f"TRY_CAST({sql} AS JSON)"
    if to.name in ("HLL", "BITMAP", "PERCENTILE", "VARBINARY"):
        return f"TRY_CAST({sql} AS BLOB)"
    return f"TRY_CAST(trim({sql}) AS {to.duck})"


def to_varchar(sql: str, ty: Ty) -> str:
    """A value as StarRocks writes it as text (``500`` for the DOUBLE 500, ``1``/``0`` for booleans)."""
    if ty.is_string:
        return sql
    if ty.is_null:
        return "CAST(NULL AS VARCHAR)"
    if ty.name in ("DOUBLE", "FLOAT"):
        # StarRocks writes whole numbers without DuckDB's trailing ".0" (500, not 500.0).
        x = f"CAST({sql} AS DOUBLE)"
        return (
            f"CASE WHEN isfinite({x}) AND {x} = trunc({x}) AND abs({x}) < 1e15 "
            f"THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) ELSE CAST({x} AS VARCHAR) END"
        )
    if ty.name == "BOOLEAN":
        return f"CASE WHEN {sql} THEN '1' WHEN NOT {sql} THEN '0' END"
    if ty.name in ("HLL", "BITMAP", "PERCENTILE", "VARBINARY"):
        return f"decode({sql})"
    return f"CAST({sql} AS VARCHAR)"


def _temporal_number(sql: str, ty: Ty) -> str:
    # StarRocks reads a DATE as the number 20240102 and a DATETIME as 20240102030405.
    fmt = "%Y%m%d" if ty.name == "DATE" else "%Y%m%d%H%M%S"
    return f"CAST(strftime({sql}, '{fmt}') AS BIGINT)"


def can_cast(src: Ty, dst: Ty) -> bool:
    if src == dst or src.is_null:
        return True
    if src.name in _OPAQUE or dst.name in _OPAQUE:
        return False
    if src.name == "JSON" or dst.name == "JSON":
        return src.is_string or dst.is_string
    return True


def cast_sql(sql: str, src: Ty, dst: Ty) -> str:
    """``CAST(sql AS dst)`` with StarRocks' semantics; a value that does not convert is NULL."""
    if src == dst or (src.is_string and dst.is_string):
        return sql
    if src.is_null:
        return f"CAST(NULL AS {dst.duck})"
    if dst.is_string:
        return to_varchar(sql, src)
    if src.is_string:
        return from_varchar(sql, dst)
    if src.name in _OPAQUE or dst.name in _OPAQUE or src.name == "JSON" or dst.name == "JSON":
        return from_varchar(to_varchar(sql, src), dst)
    if src.name == "BOOLEAN":
        if dst.is_temporal:
            return f"CAST(NULL AS {dst.duck})"
        return cast_sql(f"CAST({sql} AS TINYINT)", TINYINT, dst)
    if dst.name == "BOOLEAN":
        number = _temporal_number(sql, src) if src.is_temporal else sql
        return f"(({number}) <> 0)"
    if dst.is_temporal:
        if src.is_temporal:
            return f"CAST({sql} AS {dst.duck})"
        return from_varchar(to_varchar(sql, src), dst)
    if src.is_temporal:
        return cast_sql(_temporal_number(sql, src), BIGINT, dst)
    if dst.is_int and src.name in ("FLOAT", "DOUBLE", "DECIMAL"):
        # StarRocks truncates toward zero; DuckDB would round.
        return f"TRY_CAST(trunc({sql}) AS {dst.duck})"
    return f"TRY_CAST({sql} AS {dst.duck})"


# -- type rules ---------------------------------------------------------------------------------


def _int_rank(t: Ty) -> int:
    return _INT_ORDER.index("TINYINT" if t.name == "BOOLEAN" else t.name)


def _wider_int(a: Ty, b: Ty) -> Ty:
    return Ty(_INT_ORDER[max(_int_rank(a), _int_rank(b))])


def _decimal_of(types: Sequence[Ty]) -> Ty:
    scale = max((t.scale for t in types if t.name == "DECIMAL"), default=0)
    return Ty("DECIMAL", 38, min(scale, 38))


def common_type(types: Sequence[Ty]) -> Ty | None:
    """The type IF/IFNULL/COALESCE/CASE branches meet at; None when they cannot meet."""
    known = [t for t in types if not t.is_null]
    if not known:
        return NULL
    first = known[0]
    if all(t == first for t in known):
        return first
    if any(t.name in _OPAQUE for t in known):
        return None
    if any(t.is_string for t in known):
        return VARCHAR
    if any(t.name == "JSON" for t in known):
        return None
    if all(t.is_temporal for t in known):
        return DATETIME
    if any(t.is_temporal for t in known):
        return VARCHAR
    if any(t.name in ("DOUBLE", "FLOAT") for t in known):
        return DOUBLE
    if any(t.name == "DECIMAL" for t in known):
        return _decimal_of(known)
    widest = known[0]
    for t in known[1:]:
        widest = _wider_int(widest, t)
    return widest


def compare_type(a: Ty, b: Ty) -> Ty | None:
    """The type both sides of a comparison are read as; None when they cannot be compared."""
    if a.is_null:
        return b
    if b.is_null:
        return a
    if any(t.name in _OPAQUE or t.name == "JSON" for t in (a, b)):
        return None
    if a.is_string and b.is_string:
        return VARCHAR
    if (a.is_temporal or a.is_string) and (b.is_temporal or b.is_string):
        return DATE if a.name == b.name == "DATE" else DATETIME
    if a.is_string or b.is_string or a.is_temporal or b.is_temporal:
        return DOUBLE
    return common_type([a, b])


def arithmetic_type(op: str, a: Ty, b: Ty) -> Ty:
    """The result type of ``a op b`` (StarRocks widens integers one step so a result fits)."""
    types = [a, b]
    if any(t.is_null for t in types):
        other = b if a.is_null else a
        return DOUBLE if op == "/" or other.is_null or not other.is_numeric else other
    if op == "/":
        return DOUBLE
    if any(t.is_string or t.name in ("DOUBLE", "FLOAT") for t in types):
        return DOUBLE
    if any(t.name == "DECIMAL" for t in types):
        return _decimal_of(types)
    ints = [BIGINT if t.is_temporal else (TINYINT if t.name == "BOOLEAN" else t) for t in types]
    widest = _wider_int(ints[0], ints[1])
    if op == "%":
        return widest
    return Ty(_INT_ORDER[min(_int_rank(widest) + 1, len(_INT_ORDER) - 1)])


# -- what an expression compiles to -------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """A name an expression may use: its DuckDB SQL and its type."""

    sql: str
    ty: Ty


@dataclass(frozen=True)
class Compiled:
    sql: str
    ty: Ty
    # The input a bare reference names (strict mode treats ``col = src`` like a plain field).
    ref: str | None = None


@dataclass
class _Val:
    sql: str
    ty: Ty
    literal: str | None = None  # the text of a string literal, for format arguments


# -- time zones ---------------------------------------------------------------------------------

_OFFSET_RE = re.compile(r"^([+-]?)(\d{1,2}):(\d{2})$")


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def normalize_timezone(text: str) -> str:
    """The FE's ``TimeUtils.checkTimeZoneValidAndStandardize``: a region name, ``CST``, or an
    offset like ``+08:00``; anything else is refused with its message."""
    value = text.strip()
    if value.upper() == "CST":
        return DEFAULT_TIMEZONE
    m = _OFFSET_RE.match(value)
    if m:
        hours, minutes = int(m.group(2)), int(m.group(3))
        if hours <= 14 and minutes < 60:
            return f"{m.group(1) or '+'}{hours:02d}:{minutes:02d}"
    elif value in _zone_names() or value.upper() == "UTC":
        return "UTC" if value.upper() == "UTC" else value
    raise ExprError(f"Unknown or incorrect time zone: '{text}'")


def _offset_seconds(tz: str) -> int | None:
    m = _OFFSET_RE.match(tz)
    if not m:
        return None
    seconds = int(m.group(2)) * 3600 + int(m.group(3)) * 60
    return -seconds if m.group(1) == "-" else seconds


def _local(tz: str, instant_sql: str) -> str:
    """A TIMESTAMPTZ as the wall-clock TIMESTAMP of ``tz``."""
    offset = _offset_seconds(tz)
    if offset is None:
        return f"timezone({literal(tz)}, {instant_sql})"
    return f"(timezone('UTC', {instant_sql}) + to_seconds({offset}))"


def _instant(tz: str, local_sql: str) -> str:
    """A wall-clock TIMESTAMP of ``tz`` as a TIMESTAMPTZ."""
    offset = _offset_seconds(tz)
    if offset is None:
        return f"timezone({literal(tz)}, {local_sql})"
    return f"timezone('UTC', {local_sql} - to_seconds({offset}))"


# -- MySQL-style date formats -------------------------------------------------------------------

# StarRocks' format specifiers -> DuckDB's, for writing (date_format) and reading (str_to_date).
_WRITE = {
    "a": "%a", "b": "%b", "c": "%-m", "d": "%d", "e": "%-d", "f": "%f", "H": "%H", "h": "%I",
    "I": "%I", "i": "%M", "j": "%j", "k": "%-H", "l": "%-I", "M": "%B", "m": "%m", "p": "%p",
    "r": "%I:%M:%S %p", "S": "%S", "s": "%S", "T": "%H:%M:%S", "U": "%U", "u": "%W", "v": "%V",
    "W": "%A", "w": "%w", "x": "%G", "Y": "%Y", "y": "%y", "%": "%%",
}  # fmt: skip
_READ = dict(_WRITE, c="%m", e="%d", k="%H", l="%I")
# Java-style patterns StarRocks' date_format and from_unixtime take besides MySQL's.
_JAVA = {"yyyy-MM-dd": "%Y-%m-%d", "yyyyMMdd": "%Y%m%d", "yyyy-MM-dd HH:mm:ss": "%Y-%m-%d %H:%M:%S"}


def duckdb_format(fmt: str, reading: bool) -> str:
    """A StarRocks date format as a DuckDB strftime/strptime format."""
    if not reading and fmt in _JAVA:
        return _JAVA[fmt]
    table = _READ if reading else _WRITE
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            spec = fmt[i + 1]
            if spec in table:
                out.append(table[spec])
            elif spec in "DVX":
                raise ExprError(
                    f"Getting analyzing error. Detail message: the sandbox does not emulate the date format "
                    f"specifier '%{spec}'."
                )
            else:
                out.append("%%" if spec == "%" else spec)  # MySQL: "%x" is a literal x
            i += 2
            continue
        out.append("%%" if ch == "%" else ch)
        i += 1
    return "".join(out)


# -- parsing ------------------------------------------------------------------------------------


class _Parser(StarRocksParser):
    # Every call stays an Anonymous node carrying the name as written, so the analyzer below
    # (not sqlglot's normalisation) decides what each name means in StarRocks.
    FUNCTIONS: ClassVar[dict[str, Callable[..., exp.Expression]]] = {}


class _Dialect(StarRocks):
    Parser = _Parser


_DIALECT = _Dialect()
_PREFIX = "SELECT "
AGGREGATES = frozenset(
    "count sum min max avg group_concat array_agg bitmap_union bitmap_union_count hll_union "
    "hll_union_agg hll_raw_agg ndv approx_count_distinct percentile_approx percentile_union "
    "stddev stddev_pop stddev_samp variance var_pop var_samp any_value max_by min_by".split()
)


def syntax_error(col: int, token: str) -> ExprError:
    # StarRocks' parser adds the tokens it expected ("the most similar input is {...}"); that set
    # comes from its ANTLR grammar and is not reproduced here.
    return ExprError(
        f"Getting syntax error at line 1, column {col}. Detail message: Unexpected input '{token}'."
    )


def tokenize(text: str) -> list[Token]:
    """StarRocks' tokens of ``text`` (quotes, backticks, comments), with their offsets."""
    try:
        return list(_DIALECT.tokenize(text))
    except TokenError as e:
        raise syntax_error(0, str(e).split("\n")[0]) from None


def is_identifier(tok: Token) -> bool:
    """Whether a token can name a column (a word or a backticked name)."""
    if tok.token_type in (TokenType.IDENTIFIER, TokenType.VAR):
        return True
    if tok.token_type in (TokenType.STRING, TokenType.NUMBER):
        return False
    return re.fullmatch(r"[A-Za-z_]\w*", tok.text) is not None


def parse(text: str, offset: int = 0) -> tuple[exp.Expression, list[Token]]:
    """Parse one StarRocks expression; ``offset`` is where ``text`` starts in what StarRocks parsed
    (positions in messages count from there)."""
    try:
        tokens = _DIALECT.tokenize(text)
    except TokenError as e:
        raise syntax_error(offset, str(e).split("\n")[0]) from None
    if not tokens:
        raise syntax_error(offset, "<EOF>")
    try:
        statements = sqlglot.parse(_PREFIX + text, dialect=_DIALECT)
    except ParseError as e:
        info = e.errors[0] if e.errors else {}
        highlight = str(info.get("highlight") or "")
        col = int(info.get("col") or 0) - len(highlight) - len(_PREFIX)
        description = str(info.get("description") or "")
        if not highlight or (
            col >= tokens[-1].start and ("missing" in description or description.startswith("Expecting"))
        ):
            # The text ended where more was needed.
            raise syntax_error(offset + len(text), "<EOF>") from None
        raise syntax_error(offset + max(col, 0), highlight) from None
    tail = tokens[-1]
    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        bad = next((t for t in tokens if t.token_type == TokenType.SEMICOLON), tail)
        raise syntax_error(offset + bad.start, bad.text)
    select = statements[0]
    extra = [k for k, v in select.args.items() if v and k != "expressions"]
    if extra or len(select.expressions) != 1 or isinstance(select.expressions[0], exp.Alias):
        bad = next((t for t in tokens if t.token_type in (TokenType.COMMA, TokenType.FROM)), tail)
        if isinstance(select.expressions[0], exp.Alias) and len(select.expressions) == 1:
            bad = tokens[1] if len(tokens) > 1 else tail
        raise syntax_error(offset + bad.start, bad.text)
    return select.expressions[0], tokens


@dataclass
class _Calls:
    """Where each call starts and where its closing parenthesis is (for messages)."""

    by_name: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, tokens: list[Token]) -> _Calls:
        calls = cls()
        for i, tok in enumerate(tokens[:-1]):
            if tokens[i + 1].token_type != TokenType.L_PAREN or not re.match(r"^\w+$", tok.text):
                continue
            depth, close = 0, tokens[-1].start
            for later in tokens[i + 1 :]:
                if later.token_type == TokenType.L_PAREN:
                    depth += 1
                elif later.token_type == TokenType.R_PAREN:
                    depth -= 1
                    if depth == 0:
                        close = later.start
                        break
            calls.by_name.setdefault(tok.text.lower(), []).append((tok.start, close))
        return calls

    def take(self, names: Sequence[str], start: int | None = None) -> tuple[int, int] | None:
        """The span of the call at ``start``, or the first not yet taken among ``names``."""
        best: tuple[int, str, int] | None = None
        for name in names:
            for k, span in enumerate(self.by_name.get(name, [])):
                if start is None or span[0] == start:
                    if best is None or span[0] < best[0]:
                        best = (span[0], name, k)
                    break
        if best is None:
            return None
        return self.by_name[best[1]].pop(best[2])


# -- the analyzer -------------------------------------------------------------------------------

_NOT_PREDICATE = "HLL, BITMAP, PERCENTILE and ARRAY, MAP, STRUCT type couldn't as Predicate"


def references(node: exp.Expression) -> list[str]:
    """The column names an expression reads, in order, once each."""
    out: list[str] = []
    for col in node.find_all(exp.Column):
        name = _column_name(col)
        if name.lower() not in (n.lower() for n in out):
            out.append(name)
    return out


def _column_name(col: exp.Column) -> str:
    parts = [p.name for p in col.parts]
    return ".".join(parts)


def compile_expr(
    text: str,
    inputs: Mapping[str, Input],
    *,
    offset: int = 0,
    timezone: str = DEFAULT_TIMEZONE,
    unknown: Callable[[str], ExprError] | None = None,
) -> Compiled:
    """Compile ``text`` over ``inputs`` (keyed by lower-case name).

    Names are resolved first, as the FE substitutes slots before it analyzes: an unknown name is
    refused with ``unknown(name)`` before any function is looked at."""
    node, tokens = parse(text, offset)
    for name in references(node):
        if name.lower() not in inputs:
            raise (unknown(name) if unknown else ExprError(f"Unknown column '{name}'"))
    analyzer = _Analyzer(inputs, timezone, offset, _Calls.of(tokens))
    val = analyzer.value(node)
    ref = _column_name(node).lower() if isinstance(node, exp.Column) else None
    return Compiled(val.sql, val.ty, ref)


class _Analyzer:
    def __init__(self, inputs: Mapping[str, Input], tz: str, offset: int, calls: _Calls) -> None:
        self.inputs = inputs
        self.tz = tz
        self.offset = offset
        self.calls = calls

    # -- messages --------------------------------------------------------------------------
    def semantic(self, detail: str, span: tuple[int, int] | None) -> ExprError:
        """The FE's SemanticException text: position of the node, then the detail."""
        if span is None:
            return ExprError(f"Getting analyzing error. Detail message: {detail}.")
        start, end = self.offset + span[0], self.offset + span[1]
        where = (
            f"at line 1, column {start}"
            if start == end
            else f"from line 1, column {start} to line 1, column {end}"
        )
        return ExprError(f"Getting analyzing error {where}. Detail message: {detail}.")

    def no_match(self, name: str, args: Sequence[_Val], span: tuple[int, int] | None) -> ExprError:
        types = ", ".join(a.ty.sql() for a in args)
        return self.semantic(f"No matching function with signature: {name}({types})", span)

    def unsupported(self, node: exp.Expression) -> ExprError:
        return ExprError(
            f"Getting analyzing error. Detail message: the sandbox does not emulate "
            f"'{node.sql(dialect='starrocks')}' in load expressions."
        )

    # -- nodes -----------------------------------------------------------------------------
    def value(self, node: exp.Expression) -> _Val:
        handler = getattr(self, "_" + type(node).__name__, None)
        if handler is None:
            raise self.unsupported(node)
        result: _Val = handler(node)
        return result

    def _Paren(self, node: exp.Paren) -> _Val:
        inner = self.value(node.this)
        return _Val(f"({inner.sql})", inner.ty, inner.literal)

    def _Column(self, node: exp.Column) -> _Val:
        found = self.inputs[_column_name(node).lower()]
        return _Val(found.sql, found.ty)

    def _Literal(self, node: exp.Literal) -> _Val:
        text = node.this
        if node.is_string:
            return _Val(literal(text), VARCHAR, text)
        if re.fullmatch(r"\d+", text):
            number = int(text)
            for name, bits in (
                ("TINYINT", 7),
                ("SMALLINT", 15),
                ("INT", 31),
                ("BIGINT", 63),
                ("LARGEINT", 127),
            ):
                if number < 2**bits:
                    ty = Ty(name)
                    return _Val(f"CAST({number} AS {ty.duck})", ty)
            return _Val(f"CAST('{number}' AS DOUBLE)", DOUBLE)
        if re.fullmatch(r"\d*\.\d+|\d+\.\d*", text):
            d = decimal.Decimal(text)
            digits, exponent = len(d.as_tuple().digits), -int(d.as_tuple().exponent)
            precision = max(digits, exponent, 1)
            if precision <= 38:
                ty = Ty("DECIMAL", precision, exponent)
                return _Val(f"CAST('{d}' AS {ty.duck})", ty)
        try:
            float(text)
        except ValueError:
            raise self.unsupported(node) from None
        return _Val(f"CAST('{float(text)!r}' AS DOUBLE)", DOUBLE)

    def _Boolean(self, node: exp.Boolean) -> _Val:
        return _Val("true" if node.this else "false", BOOLEAN)

    def _Null(self, node: exp.Null) -> _Val:
        return _Val("NULL", NULL)

    def _Neg(self, node: exp.Neg) -> _Val:
        inner = self.value(node.this)
        ty = inner.ty if inner.ty.is_numeric else DOUBLE
        if ty.is_int and not isinstance(node.this, exp.Literal):
            ty = Ty(_INT_ORDER[min(_int_rank(ty) + 1, len(_INT_ORDER) - 1)])
        return _Val(f"(-{cast_sql(inner.sql, inner.ty, ty)})", ty)

    # arithmetic
    def _arith(self, node: exp.Expression, op: str) -> _Val:
        if isinstance(node.this, exp.Interval) or isinstance(node.expression, exp.Interval):
            return self._interval_arith(node, op)
        a, b = self.value(node.this), self.value(node.expression)
        for v in (a, b):
            if v.ty.name in _OPAQUE or v.ty.name == "JSON":
                name = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "%": "mod"}[op]
                raise self.no_match(name, [a, b], None)
        ty = arithmetic_type(op, a.ty, b.ty)
        operand = DOUBLE if ty.is_null else ty
        x, y = self._operand(a, operand), self._operand(b, operand)
        if op in ("/", "%"):
            return _Val(f"({x} {op} NULLIF({y}, 0))", operand)
        return _Val(f"({x} {op} {y})", operand)

    def _operand(self, v: _Val, ty: Ty) -> str:
        if v.ty.is_temporal and ty.is_numeric:
            return cast_sql(_temporal_number(v.sql, v.ty), BIGINT, ty)
        return cast_sql(v.sql, v.ty, ty)

    def _Add(self, node: exp.Add) -> _Val:
        return self._arith(node, "+")

    def _Sub(self, node: exp.Sub) -> _Val:
        return self._arith(node, "-")

    def _Mul(self, node: exp.Mul) -> _Val:
        return self._arith(node, "*")

    def _Div(self, node: exp.Div) -> _Val:
        return self._arith(node, "/")

    def _Mod(self, node: exp.Mod) -> _Val:
        return self._arith(node, "%")

    def _IntDiv(self, node: exp.IntDiv) -> _Val:
        a, b = self.value(node.this), self.value(node.expression)
        ty = LARGEINT if LARGEINT in (a.ty, b.ty) else BIGINT
        return _Val(f"({self._operand(a, ty)} // NULLIF({self._operand(b, ty)}, 0))", ty)

    def _bitwise(self, node: exp.Binary, op: str) -> _Val:
        a, b = self.value(node.this), self.value(node.expression)
        ty = LARGEINT if LARGEINT in (a.ty, b.ty) else BIGINT
        x, y = self._operand(a, ty), self._operand(b, ty)
        if op == "xor":
            return _Val(f"xor({x}, {y})", ty)
        return _Val(f"({x} {op} {y})", ty)

    def _BitwiseAnd(self, node: exp.BitwiseAnd) -> _Val:
        return self._bitwise(node, "&")

    def _BitwiseOr(self, node: exp.BitwiseOr) -> _Val:
        return self._bitwise(node, "|")

    def _BitwiseXor(self, node: exp.BitwiseXor) -> _Val:
        return self._bitwise(node, "xor")

    def _BitwiseLeftShift(self, node: exp.BitwiseLeftShift) -> _Val:
        return self._bitwise(node, "<<")

    def _BitwiseRightShift(self, node: exp.BitwiseRightShift) -> _Val:
        return self._bitwise(node, ">>")

    def _BitwiseNot(self, node: exp.BitwiseNot) -> _Val:
        inner = self.value(node.this)
        return _Val(f"(~{self._operand(inner, BIGINT)})", BIGINT)

    def _interval_arith(self, node: exp.Expression, op: str) -> _Val:
        interval, other = (
            (node.this, node.expression)
            if isinstance(node.this, exp.Interval)
            else (node.expression, node.this)
        )
        if op not in ("+", "-") or (op == "-" and isinstance(node.this, exp.Interval)):
            raise self.unsupported(node)
        assert isinstance(interval, exp.Interval)
        base = self.value(other)
        return self._shift(base, interval, -1 if op == "-" else 1)

    # comparisons and logic
    def _compare(self, node: exp.Binary, op: str) -> _Val:
        a, b = self.value(node.this), self.value(node.expression)
        ty = compare_type(a.ty, b.ty)
        if ty is None:
            raise self.semantic(_NOT_PREDICATE, None)
        return _Val(f"({self._operand(a, ty)} {op} {self._operand(b, ty)})", BOOLEAN)

    def _compared(self, vals: Sequence[_Val]) -> list[str]:
        """The operands of IN/BETWEEN/CASE x, read as the one type they are compared as."""
        ty: Ty | None = vals[0].ty
        for v in vals[1:]:
            ty = compare_type(ty, v.ty) if ty is not None else None
        if ty is None:
            raise self.semantic(_NOT_PREDICATE, None)
        return [self._operand(v, ty) for v in vals]

    def _EQ(self, node: exp.EQ) -> _Val:
        return self._compare(node, "=")

    def _NEQ(self, node: exp.NEQ) -> _Val:
        return self._compare(node, "<>")

    def _GT(self, node: exp.GT) -> _Val:
        return self._compare(node, ">")

    def _GTE(self, node: exp.GTE) -> _Val:
        return self._compare(node, ">=")

    def _LT(self, node: exp.LT) -> _Val:
        return self._compare(node, "<")

    def _LTE(self, node: exp.LTE) -> _Val:
        return self._compare(node, "<=")

    def _NullSafeEQ(self, node: exp.NullSafeEQ) -> _Val:
        return self._compare(node, "IS NOT DISTINCT FROM")

    def _bool(self, node: exp.Expression) -> str:
        v = self.value(node)
        return cast_sql(v.sql, v.ty, BOOLEAN)

    def _And(self, node: exp.And) -> _Val:
        return _Val(f"({self._bool(node.this)} AND {self._bool(node.expression)})", BOOLEAN)

    def _Or(self, node: exp.Or) -> _Val:
        return _Val(f"({self._bool(node.this)} OR {self._bool(node.expression)})", BOOLEAN)

    def _Xor(self, node: exp.Xor) -> _Val:
        a, b = self._bool(node.this), self._bool(node.expression)
        return _Val(f"({a} <> {b})", BOOLEAN)

    def _Not(self, node: exp.Not) -> _Val:
        return _Val(f"(NOT {self._bool(node.this)})", BOOLEAN)

    def _Is(self, node: exp.Is) -> _Val:
        if not isinstance(node.expression, exp.Null):
            raise self.unsupported(node)
        inner = self.value(node.this)
        return _Val(f"({inner.sql} IS NULL)", BOOLEAN)

    def _common(self, vals: Sequence[_Val], node: exp.Expression) -> tuple[Ty, list[str]]:
        types = [v.ty for v in vals]
        ty = common_type(types)
        if ty is None:
            raise self.semantic(
                "The input types (" + ",".join(t.sql() for t in types) + ") are not compatible", None
            )
        return ty, [cast_sql(v.sql, v.ty, ty) for v in vals]

    def _In(self, node: exp.In) -> _Val:
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            raise self.unsupported(node)
        sqls = self._compared([self.value(node.this)] + [self.value(e) for e in node.expressions])
        return _Val(f"({sqls[0]} IN ({', '.join(sqls[1:])}))", BOOLEAN)

    def _Between(self, node: exp.Between) -> _Val:
        vals = [self.value(node.this), self.value(node.args["low"]), self.value(node.args["high"])]
        x, lo, hi = self._compared(vals)
        return _Val(f"({x} BETWEEN {lo} AND {hi})", BOOLEAN)

    def _like(self, node: exp.Binary, op: str, duck: str) -> _Val:
        a, b = self.value(node.this), self.value(node.expression)
        for side, v in (("left", a), ("right", b)):
            if not (v.ty.is_string or v.ty.is_null):
                raise self.semantic(
                    f"{side} operand of {op} must be of type STRING: {node.sql(dialect='starrocks')}", None
                )
        if duck == "regexp":
            sql = f"regexp_matches({a.sql}, {b.sql})"
        else:
            sql = f"({a.sql} {duck} {b.sql})"
        if node.args.get("negate"):
            sql = f"(NOT {sql})"
        return _Val(sql, BOOLEAN)

    def _Like(self, node: exp.Like) -> _Val:
        return self._like(node, "LIKE", "LIKE")

    def _ILike(self, node: exp.ILike) -> _Val:
        return self._like(node, "LIKE", "ILIKE")

    def _RegexpLike(self, node: exp.RegexpLike) -> _Val:
        return self._like(node, "REGEXP", "regexp")

    def _Case(self, node: exp.Case) -> _Val:
        operand = self.value(node.this) if node.this is not None else None
        whens: list[str] = []
        results: list[_Val] = []
        for branch in node.args.get("ifs") or []:
            cond = self.value(branch.this)
            if operand is not None:
                x, y = self._compared([operand, cond])
                whens.append(f"{x} = {y}")
            else:
                whens.append(cast_sql(cond.sql, cond.ty, BOOLEAN))
            results.append(self.value(branch.args["true"]))
        default = node.args.get("default")
        if default is not None:
            results.append(self.value(default))
        ty, sqls = self._common(results, node)
        parts = [f"WHEN {w} THEN {s}" for w, s in zip(whens, sqls, strict=False)]
        tail = f" ELSE {sqls[-1]}" if default is not None else ""
        return _Val(f"(CASE {' '.join(parts)}{tail} END)", ty)

    def _If(self, node: exp.If) -> _Val:
        span = self.calls.take(["if"])
        args = [node.this, node.args.get("true"), node.args.get("false")]
        vals = [self.value(a) for a in args if a is not None]
        if len(vals) != 3:
            raise self.no_match("if", vals, span)
        return self._call_if(vals, span)

    def _Cast(self, node: exp.Cast) -> _Val:
        span = self.calls.take(["cast", "convert"])
        inner = self.value(node.this)
        to = _cast_target(node.to)
        if to is None:
            raise self.unsupported(node)
        if not can_cast(inner.ty, to):
            text = node.this.sql(dialect="starrocks")
            raise self.semantic(
                f"Invalid type cast from {inner.ty.sql()} to {to.sql()} in sql `{text}`", span
            )
        return _Val(cast_sql(inner.sql, inner.ty, to), to)

    def _TryCast(self, node: exp.TryCast) -> _Val:
        return self._Cast(node)

    def _Extract(self, node: exp.Extract) -> _Val:
        unit = node.this.name.lower()
        if unit not in ("year", "quarter", "month", "week", "day", "hour", "minute", "second"):
            raise self.unsupported(node)
        span = self.calls.take(["extract"])
        return self.call(unit, [self.value(node.expression)], span)

    def _Substring(self, node: exp.Substring) -> _Val:
        span = self.calls.take(["substr", "substring"])
        args = [node.this, node.args.get("start"), node.args.get("length")]
        return self.call("substr", [self.value(a) for a in args if a is not None], span)

    def _Trim(self, node: exp.Trim) -> _Val:
        span = self.calls.take(["trim"])
        position = (node.args.get("position") or "BOTH").upper()
        name = {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(position, "trim")
        args = [self.value(node.this)]
        if node.expression is not None:
            args.append(self.value(node.expression))
        return self.call(name, args, span)

    def _Floor(self, node: exp.Floor) -> _Val:
        span = self.calls.take(["floor"])
        return self.call("floor", self._rounding_args(node), span)

    def _Ceil(self, node: exp.Ceil) -> _Val:
        span = self.calls.take(["ceil", "ceiling"])
        return self.call("ceil", self._rounding_args(node), span)

    def _rounding_args(self, node: exp.Expression) -> list[_Val]:
        decimals = node.args.get("decimals")
        return [self.value(node.this)] + ([self.value(decimals)] if decimals is not None else [])

    def _StrPosition(self, node: exp.StrPosition) -> _Val:
        span = self.calls.take(["position"])
        return self.call("locate", [self.value(node.args["substr"]), self.value(node.this)], span)

    def _CurrentDate(self, node: exp.CurrentDate) -> _Val:
        return self.call("curdate", [], self.calls.take(["current_date"]))

    def _CurrentTimestamp(self, node: exp.CurrentTimestamp) -> _Val:
        return self.call("now", [], self.calls.take(["current_timestamp"]))

    def _Anonymous(self, node: exp.Anonymous) -> _Val:
        name = str(node.this).lower()
        start = node.meta.get("start") if isinstance(node.this, str) else None
        span = self.calls.take([name], start - len(_PREFIX) if isinstance(start, int) else None)
        if any(isinstance(a, exp.Star) for a in node.expressions):
            if name in AGGREGATES:
                raise ExprError("Don't support aggregation function in load expression")
            raise self.unsupported(node)
        if name in ("date_add", "adddate", "date_sub", "subdate") and len(node.expressions) == 2:
            second = node.expressions[1]
            if isinstance(second, exp.Interval):
                base = self.value(node.expressions[0])
                return self._shift(base, second, -1 if name in ("date_sub", "subdate") else 1, span, name)
        if name == "date_trunc" and len(node.expressions) == 2:
            unit = self.value(node.expressions[0])
            return self._date_trunc(unit, self.value(node.expressions[1]), span)
        args = [self.value(a) for a in node.expressions]
        if name in AGGREGATES:
            raise ExprError("Don't support aggregation function in load expression")
        return self.call(name, args, span)

    # -- dates -----------------------------------------------------------------------------
    _UNITS = {"year": "year", "quarter": "quarter", "month": "month", "week": "week", "day": "day"}
    _UNITS.update(hour="hour", minute="minute", second="second")

    def _shift(
        self,
        base: _Val,
        interval: exp.Interval,
        sign: int,
        span: tuple[int, int] | None = None,
        name: str = "date_add",
    ) -> _Val:
        unit_node = interval.args.get("unit")
        unit = (unit_node.name if unit_node is not None else "day").lower()
        if unit not in self._UNITS:
            raise self.unsupported(interval)
        amount = self.value(interval.this)
        if not can_cast(base.ty, DATETIME):
            raise self.no_match(name, [base, amount], span)
        count = cast_sql(amount.sql, amount.ty, BIGINT)
        if sign < 0:
            count = f"(-{count})"
        when = cast_sql(base.sql, base.ty, DATETIME)
        return _Val(f"({when} + to_{unit}s(CAST({count} AS INTEGER)))", DATETIME)

    def _date_trunc(self, unit: _Val, when: _Val, span: tuple[int, int] | None) -> _Val:
        if unit.literal is None or unit.literal.lower() not in self._UNITS:
            raise self.no_match("date_trunc", [unit, when], span)
        sql = f"date_trunc({literal(unit.literal.lower())}, {cast_sql(when.sql, when.ty, DATETIME)})"
        return _Val(sql, DATETIME)

    def _format(self, fmt: _Val, reading: bool, name: str, span: tuple[int, int] | None) -> str:
        if fmt.ty.is_null:
            return "NULL"
        if fmt.literal is None:
            raise self.semantic(f"the sandbox emulates {name} with a constant format only", span)
        return literal(duckdb_format(fmt.literal, reading))

    def now_local(self) -> str:
        # now(): DuckDB's, or on the loader's cursor the sandbox's clock (sql.clock_macro).
        return f"date_trunc('second', {_local(self.tz, 'now()')})"

    # -- functions -------------------------------------------------------------------------
    def call(self, name: str, args: list[_Val], span: tuple[int, int] | None) -> _Val:
        special = _POLYMORPHIC.get(name)
        if special is not None:
            result = special(self, args, span)
            if result is not None:
                return result
            raise self.no_match(name, args, span)
        for sig in _FUNCTIONS.get(name, ()):
            if not sig.accepts(args):
                continue
            params = sig.params_for(len(args))
            casted = [
                a.sql if p is None else cast_sql(a.sql, a.ty, p) for a, p in zip(args, params, strict=True)
            ]
            return _Val(sig.build(self, casted, args, span), sig.ret)
        raise self.no_match(name, args, span)

    def _call_if(self, args: list[_Val], span: tuple[int, int] | None) -> _Val:
        cond = cast_sql(args[0].sql, args[0].ty, BOOLEAN)
        ty, (a, b) = self._common(args[1:], exp.Null())
        return _Val(f"(CASE WHEN {cond} THEN {a} ELSE {b} END)", ty)


def _cast_target(dt: exp.DataType) -> Ty | None:
    t = dt.this
    T = exp.DataType.Type
    simple = {
        T.BOOLEAN: BOOLEAN, T.TINYINT: TINYINT, T.SMALLINT: SMALLINT, T.INT: INT, T.BIGINT: BIGINT,
        T.INT128: LARGEINT, T.FLOAT: Ty("FLOAT"), T.DOUBLE: DOUBLE, T.DATE: DATE, T.DATETIME: DATETIME,
        T.TIMESTAMP: DATETIME, T.VARCHAR: VARCHAR, T.CHAR: VARCHAR, T.TEXT: VARCHAR, T.JSON: JSON,
    }  # fmt: skip
    if t in simple:
        return simple[t]
    if t in (T.DECIMAL, T.DECIMAL32, T.DECIMAL64, T.DECIMAL128):
        params = [int(p.this.this) for p in dt.expressions if isinstance(p.this, exp.Literal)]
        precision = params[0] if params else {T.DECIMAL32: 9, T.DECIMAL64: 18, T.DECIMAL128: 38}.get(t, 10)
        scale = params[1] if len(params) > 1 else 0
        if not 1 <= precision <= 38 or not 0 <= scale <= precision:
            return None
        return Ty("DECIMAL", precision, scale)
    return None


# -- the function table -------------------------------------------------------------------------

Builder = Callable[[_Analyzer, list[str], Sequence[_Val], "tuple[int, int] | None"], str]


@dataclass(frozen=True)
class _Sig:
    params: tuple[Ty | None, ...]  # None: any type, passed as it is
    ret: Ty
    build: Builder
    variadic: Ty | None = None  # the type of the repeated last parameter

    def params_for(self, n: int) -> list[Ty | None]:
        if self.variadic is None:
            return list(self.params)
        return list(self.params) + [self.variadic] * (n - len(self.params))

    def accepts(self, args: Sequence[_Val]) -> bool:
        if self.variadic is None and len(args) != len(self.params):
            return False
        if self.variadic is not None and len(args) < len(self.params) + 1:
            return False
        params = self.params_for(len(args))
        return all(p is None or can_cast(a.ty, p) for a, p in zip(args, params, strict=True))


_FUNCTIONS: dict[str, list[_Sig]] = {}


def _def(
    names: str, params: Sequence[Ty | None], ret: Ty, build: Builder, variadic: Ty | None = None
) -> None:
    for name in names.split():
        _FUNCTIONS.setdefault(name, []).append(_Sig(tuple(params), ret, build, variadic))


def _fmt(template: str) -> Builder:
    """A builder from a template over the cast arguments ``{0}``, ``{1}``..."""
    return lambda _a, s, _v, _span: template.format(*s)


# dates and times
for _name, _sql in {
    "year": "year({0})", "month": "month({0})", "day": "day({0})", "dayofmonth": "day({0})",
    "hour": "hour({0})", "minute": "minute({0})", "second": "second({0})", "quarter": "quarter({0})",
    "dayofweek": "(dayofweek({0}) + 1)", "dayofyear": "dayofyear({0})", "weekofyear": "weekofyear({0})",
    "week": "CAST(strftime({0}, '%U') AS INTEGER)",
}.items():  # fmt: skip
    _def(_name, [DATETIME], INT, _fmt(_sql))
_def("dayname", [DATETIME], VARCHAR, _fmt("strftime({0}, '%A')"))
_def("monthname", [DATETIME], VARCHAR, _fmt("strftime({0}, '%B')"))
_def("to_date date", [DATETIME], DATE, _fmt("CAST({0} AS DATE)"))
_def("last_day", [DATETIME], DATE, _fmt("last_day({0})"))
_def("datediff", [DATETIME, DATETIME], INT, _fmt("date_diff('day', CAST({1} AS DATE), CAST({0} AS DATE))"))
for _unit in ("year", "month", "week", "day", "hour", "minute", "second"):
    _def(f"{_unit}s_add", [DATETIME, INT], DATETIME, _fmt(f"({{0}} + to_{_unit}s({{1}}))"))
    _def(f"{_unit}s_sub", [DATETIME, INT], DATETIME, _fmt(f"({{0}} - to_{_unit}s({{1}}))"))
_def("date_add adddate", [DATETIME, INT], DATETIME, _fmt("({0} + to_days({1}))"))
_def("date_sub subdate", [DATETIME, INT], DATETIME, _fmt("({0} - to_days({1}))"))
_def(
    "str_to_date",
    [VARCHAR, VARCHAR],
    DATETIME,
    lambda a, s, v, span: f"TRY_STRPTIME({s[0]}, {a._format(v[1], True, 'str_to_date', span)})",
)
_def(
    "str2date",
    [VARCHAR, VARCHAR],
    DATE,
    lambda a, s, v, span: f"CAST(TRY_STRPTIME({s[0]}, {a._format(v[1], True, 'str2date', span)}) AS DATE)",
)
_def(
    "date_format",
    [DATETIME, VARCHAR],
    VARCHAR,
    lambda a, s, v, span: f"strftime({s[0]}, {a._format(v[1], False, 'date_format', span)})",
)


def _from_unixtime(a: _Analyzer, s: list[str], v: Sequence[_Val], span: tuple[int, int] | None) -> str:
    fmt = a._format(v[1], False, "from_unixtime", span) if len(v) > 1 else "'%Y-%m-%d %H:%M:%S'"
    # The seconds StarRocks accepts: 0 up to 9999-12-31 23:59:59 UTC; others give NULL.
    when = _local(a.tz, f"to_timestamp({s[0]})")
    return f"CASE WHEN {s[0]} BETWEEN 0 AND 253402300799 THEN strftime({when}, {fmt}) END"


_def("from_unixtime", [BIGINT], VARCHAR, _from_unixtime)
_def("from_unixtime", [BIGINT, VARCHAR], VARCHAR, _from_unixtime)


def _unix_timestamp(a: _Analyzer, s: list[str], v: Sequence[_Val], span: tuple[int, int] | None) -> str:
    if not s:
        return "CAST(epoch(now()) AS BIGINT)"
    when = s[0]
    if len(s) == 2:
        when = f"TRY_STRPTIME({s[0]}, {a._format(v[1], True, 'unix_timestamp', span)})"
    seconds = f"CAST(epoch({_instant(a.tz, when)}) AS BIGINT)"
    # StarRocks answers 0 for times outside what a 32-bit timestamp holds.
    return f"CASE WHEN {seconds} BETWEEN 0 AND 2147483647 THEN {seconds} WHEN {when} IS NOT NULL THEN 0 END"


_def("unix_timestamp", [], BIGINT, _unix_timestamp)
_def("unix_timestamp", [DATETIME], BIGINT, _unix_timestamp)
_def("unix_timestamp", [VARCHAR, VARCHAR], BIGINT, _unix_timestamp)
_def("now current_timestamp localtime localtimestamp", [], DATETIME, lambda a, s, v, span: a.now_local())
_def("curdate current_date", [], DATE, lambda a, s, v, span: f"CAST({a.now_local()} AS DATE)")
_def("utc_timestamp", [], DATETIME, _fmt("date_trunc('second', timezone('UTC', now()))"))

# strings
_def("concat", [], VARCHAR, lambda a, s, v, span: "(" + " || ".join(s) + ")", variadic=VARCHAR)
_def("concat_ws", [VARCHAR], VARCHAR, lambda a, s, v, span: f"concat_ws({', '.join(s)})", variadic=VARCHAR)
_def("upper ucase", [VARCHAR], VARCHAR, _fmt("upper({0})"))
_def("lower lcase", [VARCHAR], VARCHAR, _fmt("lower({0})"))
_def("reverse", [VARCHAR], VARCHAR, _fmt("reverse({0})"))
_def("md5", [VARCHAR], VARCHAR, _fmt("md5({0})"))
_def("hex", [VARCHAR], VARCHAR, _fmt("hex({0})"))
_def("trim", [VARCHAR], VARCHAR, _fmt("trim({0}, ' ')"))
_def("ltrim", [VARCHAR], VARCHAR, _fmt("ltrim({0}, ' ')"))
_def("rtrim", [VARCHAR], VARCHAR, _fmt("rtrim({0}, ' ')"))
_def("trim", [VARCHAR, VARCHAR], VARCHAR, _fmt("trim({0}, {1})"))
_def("ltrim", [VARCHAR, VARCHAR], VARCHAR, _fmt("ltrim({0}, {1})"))
_def("rtrim", [VARCHAR, VARCHAR], VARCHAR, _fmt("rtrim({0}, {1})"))
_def("length", [VARCHAR], INT, _fmt("CAST(octet_length(encode({0})) AS INTEGER)"))
_def("char_length character_length", [VARCHAR], INT, _fmt("CAST(length({0}) AS INTEGER)"))
_def("ascii", [VARCHAR], INT, _fmt("CASE WHEN {0} = '' THEN 0 ELSE ascii({0}) END"))
# substr: 1-based; 0 or a position before the start gives '', a negative one counts from the end.
_SUBSTR = (
    "CASE WHEN {1} = 0 OR -{1} > length({0}) THEN '' "
    "WHEN {1} > 0 THEN substring({0}, {1}, {2}) ELSE substring({0}, length({0}) + {1} + 1, {2}) END"
)
_def(
    "substr substring",
    [VARCHAR, INT],
    VARCHAR,
    lambda a, s, v, span: _SUBSTR.format(s[0], s[1], f"length({s[0]})"),
)
_def(
    "substr substring",
    [VARCHAR, INT, INT],
    VARCHAR,
    lambda a, s, v, span: f"CASE WHEN {s[2]} <= 0 THEN '' ELSE {_SUBSTR.format(s[0], s[1], s[2])} END",
)
_def("left strleft", [VARCHAR, INT], VARCHAR, _fmt("CASE WHEN {1} <= 0 THEN '' ELSE left({0}, {1}) END"))
_def("right strright", [VARCHAR, INT], VARCHAR, _fmt("CASE WHEN {1} <= 0 THEN '' ELSE right({0}, {1}) END"))
_def(
    "replace",
    [VARCHAR, VARCHAR, VARCHAR],
    VARCHAR,
    _fmt("CASE WHEN {1} = '' THEN {0} ELSE replace({0}, {1}, {2}) END"),
)
_def(
    "lpad", [VARCHAR, INT, VARCHAR], VARCHAR, _fmt("CASE WHEN {1} < 0 THEN NULL ELSE lpad({0}, {1}, {2}) END")
)
_def(
    "rpad", [VARCHAR, INT, VARCHAR], VARCHAR, _fmt("CASE WHEN {1} < 0 THEN NULL ELSE rpad({0}, {1}, {2}) END")
)
_def("repeat", [VARCHAR, INT], VARCHAR, _fmt("repeat({0}, greatest({1}, 0))"))
_def("space", [INT], VARCHAR, _fmt("repeat(' ', greatest({0}, 0))"))
_def(
    "split_part",
    [VARCHAR, VARCHAR, INT],
    VARCHAR,
    _fmt("CASE WHEN {2} = 0 THEN NULL ELSE split_part({0}, {1}, {2}) END"),
)
_def("instr", [VARCHAR, VARCHAR], INT, _fmt("CAST(instr({0}, {1}) AS INTEGER)"))
_def("locate", [VARCHAR, VARCHAR], INT, _fmt("CAST(instr({1}, {0}) AS INTEGER)"))
_def(
    "locate",
    [VARCHAR, VARCHAR, INT],
    INT,
    _fmt(
        "CASE WHEN {2} < 1 THEN 0 WHEN instr(substring({1}, {2}), {0}) = 0 THEN 0 "
        "ELSE CAST(instr(substring({1}, {2}), {0}) + {2} - 1 AS INTEGER) END"
    ),
)
_def("starts_with", [VARCHAR, VARCHAR], BOOLEAN, _fmt("starts_with({0}, {1})"))
_def("ends_with", [VARCHAR, VARCHAR], BOOLEAN, _fmt("ends_with({0}, {1})"))
_def("null_or_empty", [VARCHAR], BOOLEAN, _fmt("({0} IS NULL OR {0} = '')"))
_def(
    "regexp_extract",
    [VARCHAR, VARCHAR, BIGINT],
    VARCHAR,
    _fmt("regexp_extract({0}, {1}, CAST({2} AS INTEGER))"),
)
_def("regexp_replace", [VARCHAR, VARCHAR, VARCHAR], VARCHAR, _fmt("regexp_replace({0}, {1}, {2}, 'g')"))
_def("parse_json", [VARCHAR], JSON, _fmt("TRY_CAST({0} AS JSON)"))
# HLL and BITMAP values are kept as the text they were built from (the sandbox has no sketches).
_def("to_bitmap bitmap_hash", [VARCHAR], BITMAP, _fmt("encode({0})"))
_def("bitmap_empty", [], BITMAP, _fmt("encode('')"))
_def("hll_hash", [VARCHAR], HLL, _fmt("encode({0})"))
_def("hll_empty", [], HLL, _fmt("encode('')"))

# numbers
_def("pow power", [DOUBLE, DOUBLE], DOUBLE, _fmt("pow({0}, {1})"))
_def("sqrt", [DOUBLE], DOUBLE, _fmt("CASE WHEN {0} >= 0 THEN sqrt({0}) END"))
_def("exp", [DOUBLE], DOUBLE, _fmt("exp({0})"))
_def("ln log", [DOUBLE], DOUBLE, _fmt("CASE WHEN {0} > 0 THEN ln({0}) END"))
_def("log10", [DOUBLE], DOUBLE, _fmt("CASE WHEN {0} > 0 THEN log10({0}) END"))
_def("log2", [DOUBLE], DOUBLE, _fmt("CASE WHEN {0} > 0 THEN log2({0}) END"))
_def(
    "log",
    [DOUBLE, DOUBLE],
    DOUBLE,
    _fmt("CASE WHEN {0} > 0 AND {0} <> 1 AND {1} > 0 THEN ln({1}) / ln({0}) END"),
)
_def("sign", [DOUBLE], Ty("FLOAT"), _fmt("CAST(sign({0}) AS FLOAT)"))
_def("pi", [], DOUBLE, _fmt("pi()"))
_def("e", [], DOUBLE, _fmt("exp(1)"))
_def("truncate", [DOUBLE, INT], DOUBLE, _fmt("trunc({0}, {1})"))
for _name in ("sin", "cos", "tan", "asin", "acos", "atan", "radians", "degrees"):
    _def(_name, [DOUBLE], DOUBLE, _fmt(f"{_name}({{0}})"))
_def("isnull", [None], BOOLEAN, _fmt("({0} IS NULL)"))
_def("isnotnull", [None], BOOLEAN, _fmt("({0} IS NOT NULL)"))


# Functions whose types follow their arguments.
Special = Callable[[_Analyzer, list[_Val], "tuple[int, int] | None"], "_Val | None"]


def _if(a: _Analyzer, args: list[_Val], span: tuple[int, int] | None) -> _Val | None:
    return a._call_if(args, span) if len(args) == 3 else None


def _ifnull(a: _Analyzer, args: list[_Val], span: tuple[int, int] | None) -> _Val | None:
    if len(args) != 2:
        return None
    ty, (x, y) = a._common(args, exp.Null())
    return _Val(f"COALESCE({x}, {y})", ty)


def _coalesce(a: _Analyzer, args: list[_Val], span: tuple[int, int] | None) -> _Val | None:
    if not args:
        return None
    ty, sqls = a._common(args, exp.Null())
    return _Val(f"COALESCE({', '.join(sqls)})", ty)


def _nullif(a: _Analyzer, args: list[_Val], span: tuple[int, int] | None) -> _Val | None:
    if len(args) != 2:
        return None
    ty, (x, y) = a._common(args, exp.Null())
    return _Val(f"NULLIF({x}, {y})", ty)


def _extreme(fn: str) -> Special:
    def build(a: _Analyzer, args: list[_Val], span: tuple[int, int] | None) -> _Val | None:
        if not args:
            return None
        ty, sqls = a._common(args, exp.Null())
        # StarRocks' greatest/least is NULL when any argument is; DuckDB's skips NULLs.
        nulls = " OR ".join(f"{s} IS NULL" for s in sqls)
        return _Val(f"(CASE WHEN {nulls} THEN NULL ELSE {fn}({', '.join(sqls)}) END)", ty)

    return build


def _numeric_arg(v: _Val) -> tuple[str, Ty]:
    if v.ty.is_numeric:
        return v.sql, v.ty
    if v.ty.name == "BOOLEAN":
        return cast_sql(v.sql, v.ty, TINYINT), TINYINT
    return cast_sql(v.sql, v.ty, DOUBLE), DOUBLE


def _abs(a: _Analyzer, args: list[_Val], span: tuple[int, int] | None) -> _Val | None:
    if len(args) != 1 or not can_cast(args[0].ty, DOUBLE) or args[0].ty.is_temporal:
        return None
    sql, ty = _numeric_arg(args[0])
    if ty.is_int:
        ty = Ty(_INT_ORDER[min(_int_rank(ty) + 1, len(_INT_ORDER) - 1)])
        sql = cast_sql(sql, args[0].ty if args[0].ty.is_int else TINYINT, ty)
    return _Val(f"abs({sql})", ty)


def _rounding(fn: str) -> Special:
    def build(a: _Analyzer, args: list[_Val], span: tuple[int, int] | None) -> _Val | None:
        if not 1 <= len(args) <= 2 or any(not can_cast(x.ty, DOUBLE) or x.ty.is_temporal for x in args):
            return None
        sql, ty = _numeric_arg(args[0])
        if len(args) == 2:
            digits = cast_sql(args[1].sql, args[1].ty, INT)
            if fn == "round":
                return _Val(f"round({cast_sql(sql, ty, DOUBLE)}, {digits})", DOUBLE)
            scale = f"pow(10, {digits})"
            return _Val(f"({fn}({cast_sql(sql, ty, DOUBLE)} * {scale}) / {scale})", DOUBLE)
        if ty.is_int:
            return _Val(sql, ty)
        if ty.name == "DECIMAL":
            return _Val(f"{fn}({sql})", Ty("DECIMAL", ty.precision, 0))
        return _Val(f"TRY_CAST({fn}({sql}) AS BIGINT)", BIGINT)

    return build


def _mod(a: _Analyzer, args: list[_Val], span: tuple[int, int] | None) -> _Val | None:
    if len(args) != 2:
        return None
    ty = arithmetic_type("%", args[0].ty, args[1].ty)
    x, y = (a._operand(v, ty) for v in args)
    return _Val(f"({x} % NULLIF({y}, 0))", ty)


_POLYMORPHIC: dict[str, Special] = {
    "if": _if,
    "ifnull": _ifnull,
    "nvl": _ifnull,
    "coalesce": _coalesce,
    "nullif": _nullif,
    "greatest": _extreme("greatest"),
    "least": _extreme("least"),
    "abs": _abs,
    "round": _rounding("round"),
    "floor": _rounding("floor"),
    "ceil": _rounding("ceil"),
    "ceiling": _rounding("ceil"),
    "mod": _mod,
}
