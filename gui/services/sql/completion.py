"""The SQL editor's completion catalogue: StarRocks' keywords and functions (``resources/sql/``)
and the databases, tables and columns the caller gives (``set_schema``), offered by what the
cursor's place in the statement calls for:

- after ``db.`` — that database's tables; after ``table.`` or ``alias.`` — that table's columns;
- after FROM, JOIN, INTO, UPDATE, TABLE, DESC… — tables (and databases, for ``db.table``);
- after USE — databases;
- anywhere else — the columns of the statement's tables, then keywords, functions and names.

Keywords and functions follow the case being typed (``sel`` → ``select``, ``SEL`` → ``SELECT``);
names are offered as the cluster spells them, in backquotes when they need them.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .lexing import Kind, Lexed, Token, lex
from .statements import ScriptIndex

log = logging.getLogger("starrocks_console.sql_completion")

CandidateKind = Literal["keyword", "function", "database", "table", "column"]
RESOURCES = Path(__file__).resolve().parents[3] / "resources" / "sql"

# Words after which a table is named.
_TABLE_WORDS = {"FROM", "JOIN", "INTO", "UPDATE", "TABLE", "DESC", "DESCRIBE", "TRUNCATE", "OVERWRITE"}
_DB_WORDS = {"USE", "DATABASE", "SCHEMA"}
# Words that end a table reference (so are no alias).
_NOT_ALIAS = {
    "WHERE", "JOIN", "ON", "USING", "LEFT", "RIGHT", "INNER", "OUTER", "FULL", "CROSS", "SEMI", "ANTI",
    "GROUP", "ORDER", "LIMIT", "HAVING", "UNION", "EXCEPT", "INTERSECT", "SET", "VALUES", "SELECT",
    "PARTITION", "WITH", "LATERAL", "QUALIFY", "WINDOW", "AS", "TEMPORARY", "INTO", "FOR",
}  # fmt: skip
_PLAIN_NAME = re.compile(r"[A-Za-z_$\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*\Z")
_WORD_CHAR = re.compile(r"[A-Za-z0-9_$\u0080-\uffff]")


@dataclass(frozen=True)
class Candidate:
    text: str  # what replaces the word being typed
    kind: CandidateKind
    start: int  # where the word being typed begins (it runs to the cursor)
    detail: str = ""  # the function's family, the table's database, the column's table


@dataclass(frozen=True)
class _Place:
    prefix: str
    start: int
    quoted: bool  # the word being typed began with a backquote
    qualifier: list[str]  # the dotted names before it: ["db"] for db.ta|
    before: list[Token]  # the statement's tokens before the word
    after: list[Token]  # and after the cursor (a FROM typed later names the tables of the columns)


class Catalogue:
    def __init__(
        self,
        keywords: Sequence[str] | None = None,
        functions: Mapping[str, str] | None = None,
        reserved: Iterable[str] | None = None,
    ) -> None:
        self.functions = dict(functions) if functions is not None else load_functions()
        # A word that is also a function (CURRENT_DATE, CAST...) is offered once, as the function.
        known = {f.upper() for f in self.functions}
        self.keywords = [k for k in (keywords if keywords is not None else load_keywords()) if k not in known]
        # Names spelled like these are offered in backquotes (StarRocks would read the keyword).
        self._reserved = frozenset(w.upper() for w in (reserved if reserved is not None else load_reserved()))
        self._schema: dict[str, dict[str, list[str]]] = {}
        self._index = ScriptIndex()

    def set_schema(self, schema: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
        """The cluster's names: database -> table -> columns (replaces what was given before)."""
        self._schema = {db: {t: list(cols) for t, cols in tables.items()} for db, tables in schema.items()}

    # -- completing --------------------------------------------------------------------------------
    def complete(
        self, text: str, offset: int, database: str = "", index: ScriptIndex | None = None
    ) -> list[Candidate]:
        """What may be typed at ``offset`` of ``text``; ``database`` is the connection's current one
        (its tables are offered by their bare names). Nothing inside a string or a comment. An
        editor gives its own ``index`` of the text, which it keeps for its other uses."""
        place = self._place(text, offset, index or self._index)
        if place is None:
            return []
        if place.qualifier:
            return self._qualified(place, database)
        last = next((t for t in reversed(place.before) if t.kind is not Kind.PUNCT or t.text == ","), None)
        word = last.word if last is not None else ""
        if word in _DB_WORDS:
            return self._databases(place)
        if word in _TABLE_WORDS or (last is not None and last.text == "," and self._in_from(place.before)):
            return self._databases(place) + self._tables(place, database)
        return self._anywhere(place, database)

    def _anywhere(self, place: _Place, database: str) -> list[Candidate]:
        columns: dict[str, Candidate] = {}
        for table, alias in self._references(place.before + place.after, database):
            for col in self._columns_of(table, database):
                if _starts(col, place.prefix):
                    columns.setdefault(col, self._name(col, "column", place, alias or table[-1]))
        words = self._words(place)
        names = self._databases(place) + self._tables(place, database)
        return list(columns.values()) + words + names

    def _words(self, place: _Place) -> list[Candidate]:
        if place.quoted:
            return []  # a backquote begins a name
        upper = place.prefix[:1].isupper() if place.prefix else True
        out: list[Candidate] = []
        p = place.prefix.upper()
        for kw in self.keywords:
            if kw.startswith(p):
                out.append(Candidate(kw if upper else kw.lower(), "keyword", place.start))
        for fn, family in self.functions.items():
            if fn.upper().startswith(p):
                text = fn.upper() if place.prefix and place.prefix.isupper() else fn
                out.append(Candidate(text, "function", place.start, family))
        out.sort(key=lambda c: (c.text.upper() != p, c.text.upper()))
        return out

    def _qualified(self, place: _Place, database: str) -> list[Candidate]:
        q = place.qualifier
        if len(q) == 1 and (db := _find(self._schema, q[0])) is not None:
            return self._tables(place, database, only_db=db)
        # alias.| or table.| or db.table.|
        for table, alias in self._references(place.before + place.after, database):
            if alias and alias.casefold() == q[-1].casefold() and len(q) == 1:
                return self._columns(place, table, database)
        table_ref = tuple(q[-2:]) if len(q) >= 2 else (q[0],)
        return self._columns(place, table_ref, database)

    def _columns(self, place: _Place, table: tuple[str, ...], database: str) -> list[Candidate]:
        cols = self._columns_of(table, database)
        return [self._name(c, "column", place, table[-1]) for c in cols if _starts(c, place.prefix)]

    def _columns_of(self, table: tuple[str, ...], database: str) -> list[str]:
        if len(table) >= 2:
            db = _find(self._schema, table[-2])
            dbs = [db] if db is not None else []
        else:
            current = _find(self._schema, database) if database else None
            dbs = [current] if current is not None else list(self._schema)
        for db in dbs:
            t = _find(self._schema[db], table[-1])
            if t is not None:
                return self._schema[db][t]
        return []

    def _databases(self, place: _Place) -> list[Candidate]:
        return [self._name(db, "database", place) for db in sorted(self._schema) if _starts(db, place.prefix)]

    def _tables(self, place: _Place, database: str, only_db: str | None = None) -> list[Candidate]:
        out: list[Candidate] = []
        current = _find(self._schema, database) if database else None
        for db in [only_db] if only_db is not None else sorted(self._schema):
            for table in sorted(self._schema[db]):
                if only_db is not None or db == current or current is None and len(self._schema) == 1:
                    if _starts(table, place.prefix):
                        out.append(self._name(table, "table", place, db))
                elif current is None and not place.quoted:
                    # No current database: tables by their full names, found by either part.
                    full = f"{_quoted(db, self._reserved)}.{_quoted(table, self._reserved)}"
                    if _starts(table, place.prefix) or _starts(full, place.prefix):
                        out.append(Candidate(full, "table", place.start, db))
        return out

    def _name(self, name: str, kind: CandidateKind, place: _Place, detail: str = "") -> Candidate:
        if place.quoted:
            return Candidate("`" + name.replace("`", "``") + "`", kind, place.start, detail)
        return Candidate(_quoted(name, self._reserved), kind, place.start, detail)

    # -- where the cursor is -----------------------------------------------------------------------
    def _place(self, text: str, offset: int, index: ScriptIndex) -> _Place | None:
        segs = index.segments(text)
        k = min(bisect_right([e for _, e in segs], offset), len(segs) - 1)
        begin, end = segs[k][0], max(segs[k][1], offset)
        lexed = lex(text[begin:offset])
        if lexed.open_comment_from is not None or _in_line_comment(lexed):
            return None
        tokens = [_at(t, begin) for t in lexed.tokens]
        quoted = False
        prefix, start = "", offset
        last = tokens[-1] if tokens else None
        if last is not None and last.kind is Kind.OPEN:
            if not last.text.startswith("`"):
                return None  # inside a string
            quoted, prefix, start = True, last.value, last.start
            tokens.pop()
        elif last is not None and last.end == offset and last.kind in (Kind.NAME, Kind.STRING, Kind.NUMBER):
            return None  # right after a closed `name`, a string or a number: nothing to complete
        elif last is not None and last.end == offset and last.kind is Kind.WORD:
            prefix, start = last.text, last.start
            tokens.pop()
        qualifier: list[str] = []
        while len(tokens) >= 2 and tokens[-1].text == "." and tokens[-2].kind in (Kind.WORD, Kind.NAME):
            qualifier.insert(0, _name_of(tokens[-2]))
            tokens = tokens[:-2]
        after = [_at(t, offset) for t in lex(text[offset:end]).tokens if t.kind is not Kind.SEMICOLON]
        # A word being typed right at the cursor continues after it only in the text, not here.
        if after and after[0].start == offset and after[0].kind is Kind.WORD:
            after = after[1:]
        return _Place(prefix, start, quoted, qualifier, tokens, after)

    def _in_from(self, before: list[Token]) -> bool:
        depth = 0
        for t in reversed(before):
            if t.text == ")":
                depth += 1
            elif t.text == "(":
                if depth == 0:
                    return False
                depth -= 1
            elif depth == 0 and t.word in ("FROM", "SELECT", "WHERE", "SET", "ON", "BY"):
                return t.word == "FROM"
        return False

    def _references(self, tokens: list[Token], database: str) -> list[tuple[tuple[str, ...], str]]:
        """The tables a statement names after FROM, JOIN, UPDATE or INTO, each with its alias."""
        out: list[tuple[tuple[str, ...], str]] = []
        i = 0
        while i < len(tokens):
            if tokens[i].word not in ("FROM", "JOIN", "UPDATE", "INTO") and not (
                tokens[i].text == "," and self._in_from(tokens[:i])
            ):
                i += 1
                continue
            i += 1
            parts: list[str] = []
            while i < len(tokens) and tokens[i].kind in (Kind.WORD, Kind.NAME):
                parts.append(_name_of(tokens[i]))
                if i + 1 < len(tokens) and tokens[i + 1].text == ".":
                    i += 2
                    continue
                i += 1
                break
            if not parts:
                continue
            alias = ""
            if i < len(tokens) and tokens[i].word == "AS":
                i += 1
            if (
                i < len(tokens)
                and tokens[i].kind in (Kind.WORD, Kind.NAME)
                and tokens[i].word not in _NOT_ALIAS
            ):
                alias = _name_of(tokens[i])
                i += 1
            out.append((tuple(parts), alias))
        return out


def _at(t: Token, by: int) -> Token:
    return Token(t.kind, t.text, t.value, t.start + by, t.end + by) if by else t


def _in_line_comment(lexed: Lexed) -> bool:
    """Whether the end of the text is inside a `--` or `#` comment (they end at the line's end)."""
    text = lexed.text
    return any(b == len(text) and text[a] in "-#" for a, b in lexed.comments())


def _name_of(t: Token) -> str:
    return t.value if t.kind is Kind.NAME else t.text


def _find(names: Mapping[str, object], name: str) -> str | None:
    """The key of ``names`` that is ``name``, exactly or else in another case."""
    if name in names:
        return name
    folded = name.casefold()
    return next((n for n in names if n.casefold() == folded), None)


def _starts(name: str, prefix: str) -> bool:
    return name.casefold().startswith(prefix.casefold())


def _quoted(name: str, reserved: Iterable[str] = ()) -> str:
    if _PLAIN_NAME.match(name) and name.upper() not in reserved:
        return name
    return "`" + name.replace("`", "``") + "`"


# -- the lists ---------------------------------------------------------------------------------------


def _lines(name: str) -> list[str]:
    path = RESOURCES / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        # Completion is a help, not a need: the editor goes on without these words.
        log.warning("the SQL completion list %s could not be read: %s", path, e)
        return []
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def load_keywords() -> list[str]:
    return [w.upper() for w in _lines("keywords.txt")]


def load_reserved() -> list[str]:
    return [w.upper() for w in _lines("reserved.txt")]


def load_functions() -> dict[str, str]:
    """Function name -> its family (aggregate, date, string…)."""
    out: dict[str, str] = {}
    family = ""
    for line in _lines("functions.txt"):
        if line.startswith("[") and line.endswith("]"):
            family = line[1:-1]
        else:
            out.setdefault(line, family)
    return out
