"""The same file twice: a file a finished load already put into a table, unchanged since, would
load its rows a second time."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..journal import Journal, JournalEntry
from ..words import plural


def file_ref(path: Path) -> dict[str, Any]:
    """A file as the journal knows it: where, how big, last changed."""
    st = path.stat()
    return {"path": os.path.abspath(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


@dataclass
class EarlierLoad:
    file: Path
    entry: JournalEntry

    def describe(self) -> str:
        e = self.entry
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.updated_at))
        rows = f" ({plural(e.rows_loaded, 'row')})" if e.rows_loaded else ""
        return f"{self.file.name} was loaded into {e.db}.{e.table} on {when} under the label {e.label}{rows}"


def earlier_loads(
    journal: Journal, fe_url: str, db: str, table: str, files: Sequence[Path]
) -> list[EarlierLoad]:
    """Files that a finished, visible load of this console (or of ``load``) already put into this
    table, unchanged since (same path, size and modification time): loading one again would load
    its rows twice."""
    out: list[EarlierLoad] = []
    for f in files:
        try:
            ref = file_ref(f)
        except OSError:
            continue
        found = journal.loads_of_file(fe_url, db, table, ref["path"], ref["size"], ref["mtime_ns"])
        if found:
            out.append(EarlierLoad(f, found[0]))
    return out
