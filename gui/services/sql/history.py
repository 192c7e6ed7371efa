"""The SQL console's query history: every statement run, newest first, searchable by its text and
by profile, in ``<data dir>/sql-history.jsonl`` (0600, in a folder of the user's alone).

One JSON line per statement, appended as it ends, so a run costs one short write whatever the size
of the history; past ``limit`` entries (5,000 by default) the file is rewritten atomically with the
newest ones. Secrets never reach the file: ``IDENTIFIED BY '...'``, ``PASSWORD('...')`` and secret
properties are replaced before an entry is kept, and taken out of its error message too.

A damaged file never stops the console: lines that do not read back (not JSON, not UTF-8, fields
of the wrong type, a line cut by a crash) are left out, a copy of the file as it was is set aside
as ``sql-history.jsonl.damaged-<time>``, the file is rewritten with the good lines, and
``problems`` says what was found.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from ..monitoring.files import set_aside, write_private
from ..paths import data_dir, private_dir
from .secrets import redact, scrub

log = logging.getLogger("starrocks_console.sql_history")

Outcome = Literal["ok", "error", "cancelled"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "error", "cancelled")
LIMIT = 5000


@dataclass(frozen=True)
class HistoryEntry:
    profile: str
    database: str
    statement: str
    started_at: float  # seconds since the epoch
    duration: float  # seconds
    rows: int | None  # rows returned or affected, as the cluster counted them; None when it said none
    outcome: Outcome
    message: str = ""  # the server's own text when it refused or failed


class QueryHistory:
    def __init__(self, path: Path | None = None, limit: int = LIMIT) -> None:
        self.path = path or data_dir() / "sql-history.jsonl"
        self.limit = limit
        self.problems: list[str] = []
        self.set_aside: Path | None = None
        self._entries: list[HistoryEntry] = []  # oldest first, as in the file
        self._seen: tuple[int, int] | None = None  # (size, mtime_ns) of the file last read
        self._load()

    # -- writing -----------------------------------------------------------------------------------
    def add(self, entry: HistoryEntry) -> HistoryEntry:
        """Keep ``entry`` with its secrets taken out; returns what was kept."""
        statement, secrets = redact(entry.statement)
        kept = replace(entry, statement=statement, message=scrub(entry.message, secrets))
        self._refresh()
        line = (json.dumps(asdict(kept), ensure_ascii=False) + "\n").encode("utf-8")
        self._entries.append(kept)
        try:
            private_dir(self.path.parent)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)  # one write: a reader sees the whole line or none of it
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            # The statement ran whatever its history does: it is kept for this session, and said.
            problem = (
                f"{self.path} could not be written ({e.strerror or e}); the history is kept for this session"
            )
            if problem not in self.problems:
                self.problems.append(problem)
            log.warning("%s", problem)
            return kept
        if len(self._entries) > self.limit + max(50, self.limit // 10):
            self._entries = self._entries[-self.limit :]
            self._rewrite()
        else:
            self._remember()
        return kept

    def clear(self) -> None:
        self._entries = []
        self._rewrite()

    # -- reading -----------------------------------------------------------------------------------
    def entries(self) -> list[HistoryEntry]:
        """Every entry, newest first (at most ``limit``)."""
        self._refresh()
        newest = sorted(self._entries, key=lambda e: e.started_at, reverse=True)
        return newest[: self.limit]

    def search(self, text: str = "", profile: str | None = None) -> list[HistoryEntry]:
        """Entries whose statement holds every word of ``text`` (any case, any order), of
        ``profile`` when given; newest first."""
        words = [w.casefold() for w in text.split()]
        return [
            e
            for e in self.entries()
            if (profile is None or e.profile == profile) and all(w in e.statement.casefold() for w in words)
        ]

    def profiles(self) -> list[str]:
        return sorted({e.profile for e in self._entries})

    # -- the file ----------------------------------------------------------------------------------
    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_size, st.st_mtime_ns

    def _remember(self) -> None:
        self._seen = self._stat()

    def _refresh(self) -> None:
        """Read the file again when another console wrote to it meanwhile."""
        if self._stat() != self._seen:
            self._load()

    def _load(self) -> None:
        self._entries = []
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            self._remember()
            return
        except OSError as e:
            problem = f"{self.path} could not be read ({e.strerror}); the history starts empty"
            if problem not in self.problems:
                self.problems.append(problem)
            self._remember()  # not read again (and again) until the file changes
            return
        bad: list[str] = []
        for n, raw in enumerate(data.split(b"\n"), 1):
            if not raw.strip():
                continue
            try:
                self._entries.append(entry_from(json.loads(raw.decode("utf-8"))))
            except UnicodeDecodeError:
                bad.append(f"line {n} is not UTF-8 text")
            except json.JSONDecodeError as e:
                bad.append(f"line {n} is not JSON ({e.msg})")
            except ValueError as e:
                bad.append(f"line {n}: {e}")
        if bad:
            self._damaged(bad)
        self._remember()
        if len(self._entries) > self.limit:
            self._entries = self._entries[-self.limit :]
            self._rewrite()

    def _damaged(self, bad: list[str]) -> None:
        shown = bad[:3] + ([f"and {len(bad) - 3} more"] if len(bad) > 3 else [])
        copy = set_aside(self.path, "; ".join(shown), copy=True)
        self.set_aside = copy
        where = f"; the file as it was is kept as {copy}" if copy else ""
        self.problems.append(
            f"{self.path}: {len(bad)} damaged entr{'y' if len(bad) == 1 else 'ies'} left out "
            f"({'; '.join(shown)}){where}"
        )
        if copy is not None:  # rewritten without the damaged lines only once they are kept elsewhere
            self._rewrite()

    def _rewrite(self) -> None:
        body = "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in self._entries)
        try:
            write_private(self.path, body.encode("utf-8"))
        except OSError as e:
            log.warning("the SQL history %s could not be rewritten: %s", self.path, e)
        self._remember()


def entry_from(doc: Any) -> HistoryEntry:
    """An entry from its JSON, every field's type checked (ValueError says what is wrong); unknown
    keys are ignored (a newer version may add some)."""
    if not isinstance(doc, dict):
        raise ValueError(f"a JSON {type(doc).__name__} instead of an object")
    values: dict[str, Any] = {}
    for f in fields(HistoryEntry):
        if f.name not in doc:
            if f.name == "message":
                continue
            raise ValueError(f"no {f.name}")
        value = doc[f.name]
        check, wanted = _CHECKS[f.name]
        if not check(value):
            raise ValueError(f"{f.name} is {json.dumps(value)[:40]}, not {wanted}")
        values[f.name] = value
    return HistoryEntry(**values)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v >= 0


_CHECKS: dict[str, tuple[Any, str]] = {
    "profile": (lambda v: isinstance(v, str), "a string"),
    "database": (lambda v: isinstance(v, str), "a string"),
    "statement": (lambda v: isinstance(v, str), "a string"),
    "message": (lambda v: isinstance(v, str), "a string"),
    "started_at": (_number, "a time"),
    "duration": (_number, "a number of seconds"),
    "rows": (lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0), "a count"),
    "outcome": (lambda v: v in OUTCOMES, "ok, error or cancelled"),
}
