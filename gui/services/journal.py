"""The transaction journal: one small JSON record per load label, written before and after each
step, so that running the same load again after a crash finishes it or reports it done.

Records live in ``<data dir>/journal/`` (a folder only its owner may read: 0700, records 0600);
each write replaces the file atomically. A record that cannot be read back (not JSON, not an
object, fields of the wrong type) is renamed ``<name>.damaged-<time>``, named in a warning and in
``Journal.set_aside``, and the journal goes on without it: one bad file never stops every load.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .paths import data_dir

log = logging.getLogger("starrocks_console.journal")

# Steps a load goes through, in order; "done" and "failed" end it.
STEPS = ("started", "begun", "loading", "prepared", "committing", "done", "failed")


@dataclass
class JournalEntry:
    label: str
    fe_url: str
    db: str
    table: str
    file: str = ""
    file_size: int = 0
    file_mtime_ns: int = 0
    step: str = "started"
    txn_id: int | None = None
    chunks_total: int = 0
    chunks_done: int = 0
    bytes_done: int = 0  # bytes of the file the cluster accepted into the transaction
    rows_loaded: int = 0  # the cluster's figures (prepare's answer, or its load record)
    rows_filtered: int = 0
    load_bytes: int = 0
    restarts: int = 0
    state: str = ""  # the server's load state when last known
    message: str = ""
    started_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    options: dict[str, str] = field(default_factory=dict)
    # Several files in one transaction (the window's step-by-step loads): each
    # {"path": absolute path, "size": bytes, "mtime_ns": modification time}.
    files: list[dict[str, Any]] = field(default_factory=list)
    # Commit was sent for this label by the console: only then are its visible rows known to be
    # the ones the record describes.
    commit_sent: bool = False

    @property
    def finished(self) -> bool:
        return self.step in ("done", "failed")

    def identity(self) -> str:
        return file_identity(self.fe_url, self.db, self.table, self.file, self.file_size, self.file_mtime_ns)

    def holds_file(self, path: str, size: int, mtime_ns: int) -> bool:
        """This record's load is of that file as it is (the single file, or one of ``files``)."""
        if self.file == path and self.file_size == size and self.file_mtime_ns == mtime_ns:
            return True
        return any(
            f.get("path") == path and f.get("size") == size and f.get("mtime_ns") == mtime_ns
            for f in self.files
        )


def file_identity(fe_url: str, db: str, table: str, file: str, size: int, mtime_ns: int) -> str:
    """What makes two runs "the same load": the cluster, the target table, and the file as it is."""
    text = "\n".join([fe_url.rstrip("/"), db, table, os.path.abspath(file), str(size), str(mtime_ns)])
    return hashlib.sha256(text.encode()).hexdigest()


class Journal:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or data_dir() / "journal"
        # Damaged records renamed out of the way by this journal, for callers to show.
        self.set_aside: list[Path] = []

    def _path(self, fe_url: str, db: str, label: str) -> Path:
        key = hashlib.sha256(f"{fe_url.rstrip('/')}\n{db}\n{label}".encode()).hexdigest()[:32]
        return self.root / f"{key}.json"

    def _ensure_root(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if sys.platform != "win32":
            # Records name files, tables and clusters: for the user's eyes only, also when the
            # folder was made by an older version with the default mode.
            mode = self.root.stat().st_mode & 0o777
            if mode != 0o700:
                os.chmod(self.root, 0o700)

    def save(self, entry: JournalEntry) -> None:
        entry.updated_at = time.time()
        self._ensure_root()
        path = self._path(entry.fe_url, entry.db, entry.label)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".json")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(asdict(entry), f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _sync_folder(self.root)

    def get(self, fe_url: str, db: str, label: str) -> JournalEntry | None:
        return self._read(self._path(fe_url, db, label))

    def entries(self) -> list[JournalEntry]:
        """Every readable record, newest first (damaged ones are set aside)."""
        out: list[JournalEntry] = []
        if not self.root.is_dir():
            return out
        for path in self.root.glob("*.json"):
            if path.name.startswith("."):
                continue  # another writer's temporary file, not yet a record
            entry = self._read(path)
            if entry is not None:
                out.append(entry)
        out.sort(key=lambda e: e.updated_at, reverse=True)
        return out

    def find_unfinished(self, identity: str) -> JournalEntry | None:
        """The newest record of the same load (same cluster, table and file), finished or not."""
        for entry in self.entries():
            if entry.identity() == identity:
                return entry
        return None

    def loads_of_file(
        self, fe_url: str, db: str, table: str, path: str, size: int, mtime_ns: int
    ) -> list[JournalEntry]:
        """Finished, visible loads (step "done") of this same file as it is (path, size and
        modification time) into this table of this cluster, alone or among a record's ``files``;
        newest first."""
        fe = fe_url.rstrip("/")
        path = os.path.abspath(path)
        return [
            e
            for e in self.entries()
            if e.step == "done"
            and e.fe_url.rstrip("/") == fe
            and e.db == db
            and e.table == table
            and e.holds_file(path, size, mtime_ns)
        ]

    def delete(self, fe_url: str, db: str, label: str) -> None:
        self._path(fe_url, db, label).unlink(missing_ok=True)

    # -- reading back ------------------------------------------------------------------------------
    def _read(self, path: Path) -> JournalEntry | None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            self._put_aside(path, f"cannot be read: {e.strerror or e}")
            return None
        try:
            return entry_from(json.loads(raw.decode("utf-8")))
        except UnicodeDecodeError:
            reason = "not UTF-8 text"
        except json.JSONDecodeError as e:
            reason = f"not JSON ({e.msg} at line {e.lineno})"
        except DamagedRecord as e:
            reason = str(e)
        self._put_aside(path, reason)
        return None

    def _put_aside(self, path: Path, reason: str) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        target = path.with_name(f"{path.name}.damaged-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return  # set aside (or replaced) by another process meanwhile
        except OSError as e:
            log.warning("journal record %s is damaged (%s) and could not be set aside: %s", path, reason, e)
            return
        log.warning("journal record %s is damaged (%s); set aside as %s", path, reason, target)
        self.set_aside.append(target)


class DamagedRecord(ValueError):
    """A journal record's content is not a record (says what is wrong with it)."""


_REQUIRED = ("label", "fe_url", "db", "table")


def entry_from(doc: Any) -> JournalEntry:
    """A record from its JSON, checking every known field's type; unknown keys are ignored (a
    newer version may add some)."""
    if not isinstance(doc, dict):
        raise DamagedRecord(f"a JSON {type(doc).__name__} instead of an object")
    missing = [k for k in _REQUIRED if not isinstance(doc.get(k), str) or not doc[k]]
    if missing:
        raise DamagedRecord(f"no valid {', '.join(missing)}")
    known: dict[str, Any] = {}
    for f in fields(JournalEntry):
        if f.name not in doc:
            continue
        value = doc[f.name]
        fits, kind = _FIELD_TYPES.get(f.name, (_count, "a whole number"))
        if not fits(value):
            raise DamagedRecord(f"{f.name} is {json.dumps(value)[:40]}, not {kind}")
        known[f.name] = value
    return JournalEntry(**known)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _count(v: Any) -> bool:
    return _is_int(v) and v >= 0


def _text(v: Any) -> bool:
    return isinstance(v, str)


def _file_list(v: Any) -> bool:
    return isinstance(v, list) and all(
        isinstance(f, dict)
        and isinstance(f.get("path"), str)
        and _is_int(f.get("size"))
        and _is_int(f.get("mtime_ns"))
        for f in v
    )


def _options(v: Any) -> bool:
    return isinstance(v, dict) and all(isinstance(k, str) and isinstance(x, str) for k, x in v.items())


# Field -> (check, what it should be); fields not named here are counts.
_FIELD_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    **{
        name: (_text, "a string")
        for name in ("label", "fe_url", "db", "table", "file", "step", "state", "message")
    },
    "txn_id": (lambda v: v is None or _is_int(v), "a number or null"),
    "started_at": (lambda v: _is_int(v) or isinstance(v, float), "a time"),
    "updated_at": (lambda v: _is_int(v) or isinstance(v, float), "a time"),
    "options": (_options, "an object of strings"),
    "files": (_file_list, "a list of {path, size, mtime_ns}"),
    "commit_sent": (lambda v: isinstance(v, bool), "true or false"),
}


def _sync_folder(folder: Path) -> None:
    """Make a rename durable: on POSIX the folder's own entry must reach the disk too."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
