"""Writing the monitoring's files: atomically, readable by the user alone, and setting a damaged one
aside rather than losing it or stopping on it (as the journal and the profiles do)."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from pathlib import Path

from ..paths import private_dir

log = logging.getLogger("starrocks_console.monitoring")


def write_private(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Replace ``path`` with ``data`` at once (a reader sees the old file or the new one, never half):
    a temporary file made 0600 beside it, flushed, then renamed over it."""
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def set_aside(path: Path, reason: str, *, copy: bool = False) -> Path | None:
    """Rename (or copy, when part of it is still used) a damaged file to ``<name>.damaged-<time>``;
    None when that failed (it is then left where it is, and said in the log)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    k = 1
    while target.exists():
        k += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{k}")
    try:
        if copy:
            write_private(target, path.read_bytes())
        else:
            os.rename(path, target)
    except OSError as e:
        log.warning("%s is damaged (%s) and could not be set aside: %s", path, reason, e)
        return None
    log.warning("%s is damaged (%s); set aside as %s", path, reason, target)
    return target
