"""A script as the statements StarRocks would run: split at the semicolons its lexer would see
(not those inside strings, `backquoted` names, comments or ``$$`` attachments), the statement under
a cursor, and EXPLAIN wrappers. Classification lives in ``classify.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .lexing import Kind, Lexed, Token, lex


@dataclass(frozen=True)
class Statement:
    """One statement of a script. Offsets are the script's; ``text`` runs from its first token to
    its last (comments before it and the semicolon are left out)."""

    text: str
    start: int
    end: int  # exclusive
    tokens: tuple[Token, ...]
    # Where its piece of the script ends: after its semicolon, or at the end of the script.
    segment_end: int
    terminated: bool  # ended by a semicolon
    # Comments inside the statement (script offsets), to be blanked in ``sql`` when they are `#`.
    comments: tuple[tuple[int, int], ...] = ()

    @property
    def sql(self) -> str:
        """The text to send: `#` comments (the mysql client's, unknown to StarRocks) blanked, so a
        line and column the server names in an error are still those of ``text``."""
        out = self.text
        for a, b in self.comments:
            if self.text[a - self.start] == "#":
                out = out[: a - self.start] + " " * (b - a) + out[b - self.start :]
        return out

    @property
    def words(self) -> list[str]:
        """Upper-cased keywords and unquoted names, in order (quoted things as "")."""
        return [t.word for t in self.tokens]

    @property
    def unterminated(self) -> bool:
        """A string or backquoted name in it is not closed (it runs to the end of the script)."""
        return any(t.kind is Kind.OPEN for t in self.tokens)


def split(script: str) -> list[Statement]:
    """The statements of ``script``, in order; a piece holding only blanks and comments is none."""
    lexed = lex(script)
    return _statements(lexed)


def _statements(lexed: Lexed) -> list[Statement]:
    script = lexed.text
    comments = lexed.comments()
    out: list[Statement] = []
    current: list[Token] = []

    def close(segment_end: int, terminated: bool) -> None:
        if not current:
            return
        start, end = current[0].start, current[-1].end
        inside = tuple((a, b) for a, b in comments if start <= a and b <= end)
        out.append(Statement(script[start:end], start, end, tuple(current), segment_end, terminated, inside))

    for tok in lexed.tokens:
        if tok.kind is Kind.SEMICOLON:
            close(tok.end, True)
            current = []
        else:
            current.append(tok)
    close(len(script), False)
    return out


def statement_at(script: str | list[Statement], offset: int, text: str | None = None) -> Statement | None:
    """The statement a cursor at ``offset`` means: the one whose piece of the script holds it; a
    cursor after a statement's semicolon on the same line still means that statement, as does one in
    the blanks and comments after the last statement. None when the script has no statement.

    Give the script, or its statements and its text (to spare splitting it again)."""
    if isinstance(script, str):
        statements, text = split(script), script
    else:
        statements = script
        if text is None:
            raise TypeError("statement_at needs the script's text with its statements")
    if not statements:
        return None
    previous: Statement | None = None
    for stmt in statements:
        if offset <= stmt.segment_end:
            if (
                offset < stmt.start
                and previous is not None
                and "\n" not in text[previous.segment_end : offset]
            ):
                return previous
            return stmt
        previous = stmt
    return statements[-1]


def statements_in(script: str, start: int, end: int) -> list[Statement]:
    """The statements of a selection ``script[start:end]``, with the script's offsets."""
    return [_shift(s, start) for s in split(script[start:end])]


def _shift(stmt: Statement, by: int) -> Statement:
    return Statement(
        stmt.text,
        stmt.start + by,
        stmt.end + by,
        tuple(Token(t.kind, t.text, t.value, t.start + by, t.end + by) for t in stmt.tokens),
        stmt.segment_end + by,
        stmt.terminated,
        tuple((a + by, b + by) for a, b in stmt.comments),
    )


# -- EXPLAIN ---------------------------------------------------------------------------------------

ExplainLevel = Literal["", "LOGICAL", "VERBOSE", "COSTS"]
EXPLAIN_LEVELS: tuple[ExplainLevel, ...] = ("", "LOGICAL", "VERBOSE", "COSTS")
# StarRocks explains queries and the DML statements (its grammar puts explainDesc before these).
_EXPLAINABLE = {"SELECT", "WITH", "(", "VALUES", "INSERT", "UPDATE", "DELETE"}


class NotExplainable(ValueError):
    """The statement has no plan to show (says which statement and what has one)."""


def explain(stmt: Statement, level: ExplainLevel = "") -> str:
    """``EXPLAIN [level] <statement>``; an EXPLAIN already there is replaced, so asking for COSTS
    of an ``EXPLAIN VERBOSE ...`` gives ``EXPLAIN COSTS ...``. Raises NotExplainable for a statement
    StarRocks has no plan for (DDL, SHOW, ADMIN...)."""
    if level not in EXPLAIN_LEVELS:
        raise ValueError(f"EXPLAIN level {level!r} is not one of LOGICAL, VERBOSE, COSTS")
    tokens = list(stmt.tokens)
    if tokens and tokens[0].word == "EXPLAIN":
        tokens = tokens[1:]
        if tokens and tokens[0].word in ("LOGICAL", "VERBOSE", "COSTS", "ANALYZE"):
            tokens = tokens[1:]
    first = tokens[0].word or tokens[0].text if tokens else ""
    if first not in _EXPLAINABLE:
        raise NotExplainable(
            f"{first or 'An empty statement'} has no query plan to explain; "
            "EXPLAIN shows the plan of SELECT, INSERT, UPDATE and DELETE statements"
        )
    body = stmt.sql[tokens[0].start - stmt.start :]
    return f"EXPLAIN {level} {body}" if level else f"EXPLAIN {body}"


def texts(statements: Iterable[Statement]) -> list[str]:
    """What to send for each statement, in order."""
    return [s.sql for s in statements]
