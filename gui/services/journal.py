"""The transaction journal: one small JSON record per load label, written before and after each
step, so that running the same load again after a crash finishes it or reports it done.

Records live in ``<data dir>/journal/``; each write replaces the file atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .paths import data_dir

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
    bytes_done: int = 0
    rows_loaded: int = 0
    rows_filtered: int = 0
    restarts: int = 0
    state: str = ""  # the server's load state when last known
    message: str = ""
    started_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    options: dict[str, str] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.step in ("done", "failed")

    def identity(self) -> str:
        return file_identity(self.fe_url, self.db, self.table, self.file, self.file_size, self.file_mtime_ns)


def file_identity(fe_url: str, db: str, table: str, file: str, size: int, mtime_ns: int) -> str:
    """What makes two runs "the same load": the cluster, the target table, and the file as it is."""
    text = "\n".join([fe_url.rstrip("/"), db, table, os.path.abspath(file), str(size), str(mtime_ns)])
    return hashlib.sha256(text.encode()).hexdigest()


class Journal:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or data_dir() / "journal"

    def _path(self, fe_url: str, db: str, label: str) -> Path:
        key = hashlib.sha256(f"{fe_url.rstrip('/')}\n{db}\n{label}".encode()).hexdigest()[:32]
        return self.root / f"{key}.json"

    def save(self, entry: JournalEntry) -> None:
        entry.updated_at = time.time()
        self.root.mkdir(parents=True, exist_ok=True)
        path = self._path(entry.fe_url, entry.db, entry.label)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(asdict(entry), f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, fe_url: str, db: str, label: str) -> JournalEntry | None:
        path = self._path(fe_url, db, label)
        try:
            return _entry(json.loads(path.read_text(encoding="utf-8")))
        except (FileNotFoundError, json.JSONDecodeError, TypeError):
            return None

    def entries(self) -> list[JournalEntry]:
        """Every record, newest first."""
        out: list[JournalEntry] = []
        if not self.root.is_dir():
            return out
        for path in self.root.glob("*.json"):
            try:
                entry = _entry(json.loads(path.read_text(encoding="utf-8")))
            except (json.JSONDecodeError, TypeError, OSError):
                continue
            out.append(entry)
        out.sort(key=lambda e: e.updated_at, reverse=True)
        return out

    def find_unfinished(self, identity: str) -> JournalEntry | None:
        """The newest record of the same load (same cluster, table and file), finished or not."""
        for entry in self.entries():
            if entry.identity() == identity:
                return entry
        return None

    def delete(self, fe_url: str, db: str, label: str) -> None:
        self._path(fe_url, db, label).unlink(missing_ok=True)


def _entry(doc: dict[str, Any]) -> JournalEntry:
    known = {k: v for k, v in doc.items() if k in JournalEntry.__dataclass_fields__}
    return JournalEntry(**known)
