"""A script as the statements StarRocks would run: split at the semicolons its lexer would see
(not those inside strings, `backquoted` names, comments or ``$$`` attachments), the statement under
a cursor, and EXPLAIN wrappers. Classification lives in ``classify.py``.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Literal

from .lexing import Kind, Lexed, Token, lex, semicolons


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


def _statements(lexed: Lexed, base: int = 0) -> list[Statement]:
    """The statements of lexed text; ``base`` is added to every offset (the text's place in a
    longer script)."""
    script = lexed.text
    comments = lexed.comments()
    out: list[Statement] = []
    current: list[Token] = []
    c = 0  # the first comment not yet placed: statements and comments both come in order

    def close(segment_end: int, terminated: bool) -> None:
        nonlocal c
        if not current:
            return
        start, end = current[0].start, current[-1].end
        while c < len(comments) and comments[c][0] < start:
            c += 1
        inside: list[tuple[int, int]] = []
        while c < len(comments) and comments[c][1] <= end:
            inside.append((comments[c][0] + base, comments[c][1] + base))
            c += 1
        tokens = current if not base else [_moved(t, base) for t in current]
        out.append(
            Statement(
                script[start:end],
                start + base,
                end + base,
                tuple(tokens),
                segment_end + base,
                terminated,
                tuple(inside),
            )
        )

    for tok in lexed.tokens:
        if tok.kind is Kind.SEMICOLON:
            close(tok.end, True)
            current = []
        else:
            current.append(tok)
    close(len(script), False)
    return out


def _moved(t: Token, by: int) -> Token:
    return Token(t.kind, t.text, t.value, t.start + by, t.end + by)


def statement_at(script: str, offset: int) -> Statement | None:
    """The statement a cursor at ``offset`` of ``script`` means (see ``ScriptIndex.statement_at``)."""
    return ScriptIndex().statement_at(script, offset)


def statements_in(script: str, start: int, end: int) -> list[Statement]:
    """The statements of a selection ``script[start:end]``, with the script's offsets."""
    return _statements(lex(script[start:end]), start)


class ScriptIndex:
    """Where the statements of a script being edited begin and end, kept between calls so that a
    long script is not read whole again at each keystroke or run: the script is read in stretches
    of lines, and a stretch is read again only when its text changed (or when a string or comment
    left open before it changed how it reads)."""

    def __init__(self, chunk_lines: int = 200, keep: int = 4096) -> None:
        self.chunk_lines = chunk_lines
        self.keep = keep
        self._chunks: dict[str, tuple[list[int], bool]] = {}

    def segments(self, script: str) -> list[tuple[int, int]]:
        """The (start, end) of each piece of the script a semicolon ends (the end is after it); the
        last piece runs to the end of the script."""
        ends: list[int] = []
        starts = self._chunk_starts(script)
        i = 0
        while i < len(starts):
            j = i + 1
            while True:
                stop = starts[j] if j < len(starts) else len(script)
                semis, open_end = self._read(script[starts[i] : stop])
                if not open_end or j >= len(starts):
                    break
                # A stretch ending inside a string or comment is read again with the ones after it,
                # twice as many each time: a comment left open early costs a few readings, not one
                # per stretch.
                j = min(len(starts), j + (j - i))
            ends += [starts[i] + k + 1 for k in semis]
            i = j
        if len(self._chunks) > self.keep:
            self._chunks.clear()
        out: list[tuple[int, int]] = []
        prev = 0
        for e in ends:
            out.append((prev, e))
            prev = e
        if prev < len(script) or not out:
            out.append((prev, len(script)))
        return out

    def _chunk_starts(self, script: str) -> list[int]:
        # Stretches end after lines chosen by their own text (and at the latest every
        # ``chunk_lines`` lines), not every n lines: a line typed or deleted then moves no later
        # boundary, and only the stretch around it is read again.
        starts = [0]
        pos = 0
        lines = 0
        while True:
            end = script.find("\n", pos) + 1
            if end == 0 or end >= len(script):
                return starts
            lines += 1
            if lines >= self.chunk_lines or (lines >= 8 and hash(script[pos:end]) & 31 == 0):
                starts.append(end)
                lines = 0
            pos = end

    def _read(self, chunk: str) -> tuple[list[int], bool]:
        got = self._chunks.get(chunk)
        if got is None:
            got = self._chunks[chunk] = semicolons(chunk)
        return got

    def statement_at(self, script: str, offset: int) -> Statement | None:
        """The statement a cursor at ``offset`` means: the one whose piece of the script holds it; a
        cursor after a statement's semicolon on the same line still means that statement, and so
        does one in the blanks and comments after the last statement. None when the script has no
        statement."""
        segs = self.segments(script)
        ends = [e for _, e in segs]
        i = min(bisect_left(ends, offset), len(segs) - 1)

        def stmt(k: int) -> Statement | None:
            a, b = segs[k]
            found = _statements(lex(script[a:b]), a)
            return found[0] if found else None

        def before(k: int) -> Statement | None:
            for m in range(k - 1, -1, -1):
                s = stmt(m)
                if s is not None:
                    return s
            return None

        here = stmt(i)
        if here is None:
            prev = before(i)
            if prev is not None:
                return prev
            return next((s for m in range(i + 1, len(segs)) if (s := stmt(m)) is not None), None)
        if offset < here.start and i > 0:
            prev = before(i)
            if prev is not None and "\n" not in script[prev.segment_end : offset]:
                return prev
        return here


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
