"""A small reader for the StarRocks SQL the sandbox accepts: a tokenizer that knows MySQL's quoting
(backquoted identifiers, '…' and "…" strings with backslash escapes, # -- /* */ comments), statement
splitting, and a parser for the DDL/DML the sandbox's admin switch runs (CREATE/DROP DATABASE,
CREATE/DROP/TRUNCATE TABLE, INSERT, USE).

It parses only what it needs; anything else is left to the caller (queries are handed to DuckDB after
translation) or refused with StarRocks' syntax error wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..engine import Column, EngineError, TableDef

# -- tokens ---------------------------------------------------------------------------------------

WORD = "word"  # bare identifier or keyword
QIDENT = "qident"  # `backquoted` identifier, value unescaped
STRING = "string"  # '…' or "…" literal, value unescaped
NUMBER = "number"
OP = "op"
SPACE = "space"  # whitespace and comments

_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*|\#[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<qident>`(?:[^`]|``)*(?:`|\Z))
  | (?P<sq>'(?:[^'\\]|\\.|'')*(?:'|\Z))
  | (?P<dq>"(?:[^"\\]|\\.|"")*(?:"|\Z))
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?(?![A-Za-z_]))
  | (?P<word>[A-Za-z_$\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*|\d+[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=>|<=|>=|<>|!=|\|\||&&|::|->>|->|[(),;.*+\-/%<>=!~&|^@?:\[\]{}])
    """,
    re.VERBOSE | re.DOTALL,
)

_ESCAPES = {
    "0": "\0",
    "b": "\b",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "Z": "\x1a",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str  # exactly as written
    value: str  # unescaped identifier/string; upper-case for words
    pos: int

    def is_word(self, *words: str) -> bool:
        return self.kind == WORD and self.value in words

    @property
    def end(self) -> int:
        return self.pos + len(self.text)


class SqlSyntaxError(EngineError):
    """StarRocks' parser error, with the position it reports (line from 1, column from 0)."""

    def __init__(self, sql: str, pos: int, detail: str) -> None:
        line, col = line_col(sql, pos)
        super().__init__(
            f"Getting syntax error at line {line}, column {col}. Detail message: {detail}.", 1064
        )
        self.pos = pos


def line_col(sql: str, pos: int) -> tuple[int, int]:
    before = sql[:pos]
    line = before.count("\n") + 1
    col = pos - (before.rfind("\n") + 1)
    return line, col


def _unescape(body: str, quote: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
        elif ch == quote and i + 1 < len(body) and body[i + 1] == quote:
            out.append(quote)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def tokenize(sql: str, keep_space: bool = False) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(sql):
        m = _TOKEN_RE.match(sql, pos)
        if m is None:
            raise SqlSyntaxError(
                sql, pos, f"Unexpected input '{sql[pos]}', the most similar input is {{<EOF>}}"
            )
        kind = m.lastgroup or OP
        text = m.group(0)
        if kind == "space":
            if keep_space:
                tokens.append(Token(SPACE, text, text, pos))
        elif kind == "qident":
            if len(text) < 2 or not text.endswith("`"):
                raise SqlSyntaxError(sql, pos, "Unexpected input '`', the most similar input is {<EOF>}")
            tokens.append(Token(QIDENT, text, text[1:-1].replace("``", "`"), pos))
        elif kind in ("sq", "dq"):
            quote = text[0]
            if len(text) < 2 or not text.endswith(quote) or text.endswith("\\" + quote) and len(text) == 2:
                raise SqlSyntaxError(
                    sql, pos, f"Unexpected input '{quote}', the most similar input is {{<EOF>}}"
                )
            tokens.append(Token(STRING, text, _unescape(text[1:-1], quote), pos))
        elif kind == "word":
            tokens.append(Token(WORD, text, text.upper(), pos))
        else:
            tokens.append(Token(kind, text, text, pos))
        pos = m.end()
    return tokens


def split_statements(sql: str) -> list[tuple[str, int]]:
    """The statements of a script as (text, offset), split on top-level semicolons; empty ones dropped."""
    out: list[tuple[str, int]] = []
    start = 0
    seen = False  # a token other than whitespace or comments since the last ';'
    for tok in tokenize(sql):
        if tok.kind == OP and tok.text == ";":
            if seen:
                out.append((sql[start : tok.pos], start))
            start = tok.end
            seen = False
        else:
            seen = True
    if seen:
        out.append((sql[start:], start))
    return out


def first_word(sql: str) -> str:
    for tok in tokenize(sql):
        return tok.value if tok.kind == WORD else tok.text
    return ""


# -- statements -----------------------------------------------------------------------------------


@dataclass
class CreateDatabase:
    name: str
    if_not_exists: bool = False


@dataclass
class DropDatabase:
    name: str
    if_exists: bool = False
    force: bool = False


@dataclass
class CreateTable:
    table: TableDef
    if_not_exists: bool = False


@dataclass
class DropTable:
    db: str | None
    name: str
    if_exists: bool = False
    force: bool = False


@dataclass
class TruncateTable:
    db: str | None
    name: str


@dataclass
class Insert:
    db: str | None
    name: str
    columns: list[str] | None
    overwrite: bool = False
    label: str | None = None
    # Exactly one of these: rows of value expressions (SQL text) or a query.
    rows: list[list[str]] | None = None
    query: str | None = None


@dataclass
class Use:
    db: str


Statement = CreateDatabase | DropDatabase | CreateTable | DropTable | TruncateTable | Insert | Use

_AGGREGATIONS = {
    "SUM",
    "MIN",
    "MAX",
    "REPLACE",
    "REPLACE_IF_NOT_NULL",
    "HLL_UNION",
    "BITMAP_UNION",
    "PERCENTILE_UNION",
}
_KEY_TYPES = {"DUPLICATE", "AGGREGATE", "UNIQUE", "PRIMARY"}


class _Parser:
    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.toks = tokenize(sql)
        self.i = 0

    # -- cursor helpers -----------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else None

    def peek_text(self, ahead: int = 0) -> str:
        tok = self.peek(ahead)
        return "" if tok is None else tok.text

    def peek_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.is_word(*words)

    def at_end(self) -> bool:
        return self.i >= len(self.toks)

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise self.error(None)
        self.i += 1
        return tok

    def error(self, tok: Token | None, expected: str = "<EOF>") -> SqlSyntaxError:
        if tok is None:
            return SqlSyntaxError(
                self.sql,
                len(self.sql.rstrip()),
                f"Unexpected input '<EOF>', the most similar input is {{{expected}}}",
            )
        return SqlSyntaxError(
            self.sql, tok.pos, f"Unexpected input '{tok.text}', the most similar input is {{{expected}}}"
        )

    def accept(self, *words: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.is_word(*words):
            self.i += 1
            return True
        return False

    def accept_seq(self, *words: str) -> bool:
        for k, w in enumerate(words):
            tok = self.peek(k)
            if tok is None or not tok.is_word(w):
                return False
        self.i += len(words)
        return True

    def expect(self, *words: str) -> None:
        tok = self.peek()
        if tok is None or not tok.is_word(*words):
            raise self.error(tok, ", ".join(f"'{w}'" for w in words))
        self.i += 1

    def accept_op(self, op: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == OP and tok.text == op:
            self.i += 1
            return True
        return False

    def expect_op(self, op: str) -> None:
        if not self.accept_op(op):
            raise self.error(self.peek(), f"'{op}'")

    def ident(self) -> str:
        tok = self.peek()
        if tok is None or tok.kind not in (WORD, QIDENT):
            raise self.error(tok, "a legal identifier")
        self.i += 1
        return tok.text if tok.kind == WORD else tok.value

    def qualified_name(self) -> tuple[str | None, str]:
        first = self.ident()
        if self.accept_op("."):
            second = self.ident()
            if self.accept_op("."):  # catalog.db.table
                third = self.ident()
                if first != "default_catalog":
                    raise EngineError(f"Unknown catalog '{first}'", 1064)
                return second, third
            return first, second
        return None, first

    def ident_list(self) -> list[str]:
        self.expect_op("(")
        names = [self.ident()]
        while self.accept_op(","):
            names.append(self.ident())
        self.expect_op(")")
        return names

    def string(self) -> str:
        tok = self.peek()
        if tok is None or tok.kind != STRING:
            raise self.error(tok, "a string")
        self.i += 1
        return tok.value

    def integer(self) -> int:
        tok = self.peek()
        if tok is None or tok.kind != NUMBER or not tok.text.isdigit():
            raise self.error(tok, "an integer")
        self.i += 1
        return int(tok.text)

    def balanced_text(self) -> str:
        """The source text of a parenthesised group (the opening '(' is next), without the outer parens."""
        open_tok = self.peek()
        if open_tok is None or open_tok.text != "(":
            raise self.error(open_tok, "'('")
        depth = 0
        while True:
            tok = self.next()
            if tok.kind == OP and tok.text == "(":
                depth += 1
            elif tok.kind == OP and tok.text == ")":
                depth -= 1
                if depth == 0:
                    return self.sql[open_tok.end : tok.pos]

    def rest(self) -> str:
        tok = self.peek()
        return "" if tok is None else self.sql[tok.pos :]

    def done(self) -> None:
        if not self.at_end():
            raise self.error(self.peek())

    # -- statements ---------------------------------------------------------------------------
    def statement(self) -> Statement | None:
        tok = self.peek()
        if tok is None:
            return None
        if self.accept("CREATE"):
            if self.accept("DATABASE", "SCHEMA"):
                return self.create_database()
            self.accept("EXTERNAL", "TEMPORARY")
            if self.accept("TABLE"):
                return self.create_table()
            raise EngineError(f"The sandbox does not support CREATE {self.peek_text()}".rstrip())
        if self.accept("DROP"):
            if self.accept("DATABASE", "SCHEMA"):
                if_exists = self.accept_seq("IF", "EXISTS")
                name = self.ident()
                force = self.accept("FORCE")
                self.done()
                return DropDatabase(name, if_exists, force)
            if self.accept("TABLE"):
                if_exists = self.accept_seq("IF", "EXISTS")
                db, name = self.qualified_name()
                force = self.accept("FORCE")
                self.done()
                return DropTable(db, name, if_exists, force)
            return None
        if self.accept("TRUNCATE"):
            self.accept("TABLE")
            db, name = self.qualified_name()
            if self.accept("PARTITION"):
                self.balanced_text()
            self.done()
            return TruncateTable(db, name)
        if self.accept("INSERT"):
            return self.insert()
        if self.accept("USE"):
            db = self.ident()
            if self.accept_op("."):  # USE catalog.db
                db = self.ident()
            self.done()
            return Use(db)
        return None

    def create_database(self) -> CreateDatabase:
        if_not_exists = self.accept_seq("IF", "NOT", "EXISTS")
        name = self.ident()
        if self.accept_op("."):
            name = self.ident()
        if self.accept("PROPERTIES"):
            self.balanced_text()
        self.done()
        return CreateDatabase(name, if_not_exists)

    def create_table(self) -> CreateTable:
        if_not_exists = self.accept_seq("IF", "NOT", "EXISTS")
        db, name = self.qualified_name()
        if self.accept("LIKE") or self.peek_word("AS"):
            raise EngineError("The sandbox does not support CREATE TABLE ... LIKE/AS SELECT")
        self.expect_op("(")
        columns: list[Column] = []
        while True:
            if self.accept("INDEX"):
                self.ident()
                self.balanced_text()
                while not self.at_end() and self.peek_text() not in (",", ")"):
                    self.next()
            else:
                columns.append(self.column_def())
            if self.accept_op(","):
                continue
            self.expect_op(")")
            break
        t = TableDef(db=db or "", name=name, columns=columns)
        key_given = False
        dist_given = False
        while not self.at_end():
            if self.accept("ENGINE"):
                self.expect_op("=")
                engine = self.ident()
                if engine.upper() != "OLAP":
                    raise EngineError(f"Unknown engine name: {engine}")
            elif self.peek_word(*_KEY_TYPES):
                t.key_type = self.next().value
                self.expect("KEY")
                t.key_columns = self.ident_list()
                key_given = True
            elif self.accept("COMMENT"):
                self.accept_op("=")
                t.comment = self.string()
            elif self.accept("PARTITION"):
                self.expect("BY")
                t.partition = self.partition_desc()
            elif self.accept("DISTRIBUTED"):
                self.expect("BY")
                dist_given = True
                if self.accept("HASH"):
                    t.distribution = {"type": "hash", "columns": self.ident_list()}
                else:
                    self.expect("RANDOM")
                    t.distribution = {"type": "random"}
                if self.accept("BUCKETS"):
                    t.distribution["buckets"] = self.integer()
            elif self.accept("ORDER"):
                self.expect("BY")
                t.properties["__order_by"] = ",".join(self.ident_list())
            elif self.accept("PROPERTIES"):
                t.properties.update(self.properties())
            elif self.accept("ROLLUP"):
                self.balanced_text()
            else:
                raise self.error(self.peek())
        order_by = t.properties.pop("__order_by", None)
        if order_by:
            t.properties["order_by"] = order_by
        if not key_given:
            t.key_type = "DUPLICATE"
            t.key_columns = default_key_columns(columns)
        if not dist_given:
            # StarRocks defaults to random bucketing for duplicate key tables and hashes the keys otherwise.
            if t.key_type == "DUPLICATE":
                t.distribution = {"type": "random"}
            else:
                t.distribution = {"type": "hash", "columns": list(t.key_columns)}
        return CreateTable(t, if_not_exists)

    def column_def(self) -> Column:
        name = self.ident()
        type_text = self.type_text()
        col = Column(name, type_text)
        while True:
            tok = self.peek()
            if tok is None or (tok.kind == OP and tok.text in (",", ")")):
                break
            if self.accept("KEY"):
                col.key = True
            elif self.accept_seq("NOT", "NULL"):
                col.nullable = False
            elif self.accept("NULL"):
                col.nullable = True
            elif self.accept("DEFAULT"):
                col.default = self.default_value()
            elif self.accept("COMMENT"):
                col.comment = self.string()
            elif self.accept("AUTO_INCREMENT"):
                pass
            elif self.accept("AS"):
                self.balanced_text() if self.peek_text() == "(" else self.next()
            elif tok.is_word(*_AGGREGATIONS):
                col.aggregation = self.next().value
            else:
                raise self.error(tok)
        return col

    def type_text(self) -> str:
        start = self.peek()
        if start is None or start.kind != WORD:
            raise self.error(start, "a type")
        self.i += 1
        end = start.end
        nxt = self.peek()
        if nxt is not None and nxt.text == "<":
            depth = 0
            while True:
                tok = self.next()
                if tok.text == "<":
                    depth += 1
                elif tok.text == ">":
                    depth -= 1
                if depth <= 0:
                    end = tok.end
                    break
        elif nxt is not None and nxt.text == "(":
            self.balanced_text()
            end = self.toks[self.i - 1].end
        # "character varying", "double precision", ... are not StarRocks types; nothing else to join.
        return self.sql[start.pos : end]

    def default_value(self) -> str:
        tok = self.next()
        if tok.kind == STRING:
            return tok.value
        if tok.kind == NUMBER:
            return tok.text
        if tok.kind == OP and tok.text == "-":
            return "-" + self.next().text
        if tok.kind == OP and tok.text == "(":
            self.i -= 1
            return self.balanced_text().strip()
        if tok.is_word("NULL"):
            return "NULL"
        if tok.is_word("CURRENT_TIMESTAMP", "NOW"):
            if self.peek_text() == "(":
                self.balanced_text()
            return "CURRENT_TIMESTAMP"
        raise self.error(tok, "a default value")

    def partition_desc(self) -> dict[str, Any]:
        start = self.peek()
        if start is None:
            raise self.error(None)
        if self.accept("RANGE", "LIST"):
            kind = self.toks[self.i - 1].value.lower()
            cols = self.ident_list()
            text_start = start.pos
            if self.peek_text() == "(":
                self.balanced_text()
            return {"type": kind, "columns": cols, "text": self.sql[text_start : self.toks[self.i - 1].end]}
        # Expression partitioning: date_trunc('day', dt) | (c1, c2) | c1, c2
        text_start = start.pos
        cols = []
        while True:
            tok = self.peek()
            if tok is None:
                break
            if tok.text == "(":
                inner = self.balanced_text()
                cols.extend(_idents_in(inner))
            elif tok.kind in (WORD, QIDENT) and not tok.is_word(
                "DISTRIBUTED", "PROPERTIES", "ORDER", "COMMENT"
            ):
                self.next()
                nxt = self.peek()
                if nxt is not None and nxt.text == "(":
                    inner = self.balanced_text()
                    cols.extend(_idents_in(inner))
                else:
                    cols.append(tok.value if tok.kind == QIDENT else tok.text)
            else:
                break
            if not self.accept_op(","):
                break
        return {"type": "expr", "columns": cols, "text": self.sql[text_start : self.toks[self.i - 1].end]}

    def properties(self) -> dict[str, str]:
        props: dict[str, str] = {}
        self.expect_op("(")
        if self.accept_op(")"):
            return props
        while True:
            key = self.string()
            self.expect_op("=")
            props[key] = self.string()
            if self.accept_op(","):
                continue
            self.expect_op(")")
            return props

    def insert(self) -> Insert:
        overwrite = False
        if self.accept("OVERWRITE"):
            overwrite = True
            self.accept("TABLE")
        else:
            self.expect("INTO")
        db, name = self.qualified_name()
        label = None
        columns: list[str] | None = None
        while True:
            if self.accept("PARTITION", "TEMPORARY"):
                if self.toks[self.i - 1].value == "TEMPORARY":
                    self.expect("PARTITION")
                self.balanced_text()
            elif self.accept_seq("WITH", "LABEL"):
                label = self.ident()
            elif self.peek_text() == "(" and columns is None:
                nxt = self.peek(1)
                if nxt is not None and nxt.is_word("SELECT", "WITH", "VALUES"):
                    break
                columns = self.ident_list()
            else:
                break
        if self.accept("VALUES"):
            rows: list[list[str]] = []
            while True:
                rows.append(split_top_level(self.balanced_text()))
                if not self.accept_op(","):
                    break
            self.done()
            return Insert(db, name, columns, overwrite, label, rows=rows)
        query = self.rest()
        if not query.strip() or first_word(query) not in ("SELECT", "WITH", "("):
            raise self.error(self.peek(), "'SELECT', 'VALUES', 'WITH'")
        return Insert(db, name, columns, overwrite, label, query=query)


def _idents_in(text: str) -> list[str]:
    out: list[str] = []
    for tok in tokenize(text):
        if tok.kind == QIDENT:
            out.append(tok.value)
        elif tok.kind == WORD:
            out.append(tok.text)
    # Function names like date_trunc are followed by '('; the caller only needs column candidates.
    return out


def split_top_level(text: str) -> list[str]:
    """Split a comma-separated list of expressions at top level (quotes and brackets respected)."""
    parts: list[str] = []
    depth = 0
    start = 0
    for tok in tokenize(text):
        if tok.kind == OP and tok.text in ("(", "["):
            depth += 1
        elif tok.kind == OP and tok.text in (")", "]"):
            depth -= 1
        elif tok.kind == OP and tok.text == "," and depth == 0:
            parts.append(text[start : tok.pos].strip())
            start = tok.end
    if text.strip() or parts:
        parts.append(text[start:].strip())
    return parts


_KEYABLE_BYTES = {
    "TINYINT": 1,
    "SMALLINT": 2,
    "INT": 4,
    "BIGINT": 8,
    "LARGEINT": 16,
    "BOOLEAN": 1,
    "DATE": 3,
    "DATETIME": 8,
}


def default_key_columns(columns: list[Column]) -> list[str]:
    """StarRocks' default sort key when no key clause is given: leading columns, at most three and
    36 bytes, stopping after the first string column or before a type that cannot be a key."""
    keys: list[str] = []
    size = 0
    for c in columns:
        try:
            t = c.sr_type
        except EngineError:
            break
        if t.is_string:
            keys.append(c.name)
            break
        if t.name == "DECIMAL":
            width = 16
        elif t.name in _KEYABLE_BYTES:
            width = _KEYABLE_BYTES[t.name]
        else:
            break
        if size + width > 36 or len(keys) == 3:
            break
        size += width
        keys.append(c.name)
    return keys or [columns[0].name]


def parse(sql: str) -> Statement | None:
    """Parse one statement the admin switch executes itself; None when it is something else
    (a query or SHOW, left to the SQL API's executor)."""
    p = _Parser(sql)
    return p.statement()


def leading_words(sql: str, n: int = 3) -> list[str]:
    out: list[str] = []
    for tok in tokenize(sql):
        if tok.kind != WORD:
            break
        out.append(tok.value)
        if len(out) == n:
            break
    return out
