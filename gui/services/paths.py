"""Where the console keeps its files: the platform's config and data folders.

``STARROCKS_CONSOLE_CONFIG`` and ``STARROCKS_CONSOLE_DATA`` override them (tests, portable use).

The folders the console creates are the user's alone (0700), and so are the files it writes in them
(0600: profiles.json, jobs.json): they name the user's clouds, accounts and jobs. A folder that
already exists keeps its mode (it may be shared on purpose), except the console's own folders,
which earlier versions made 0755: those are tightened.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

APP = "starrocks-console"


def private_dir(folder: Path) -> Path:
    """Create ``folder`` and its missing parents readable by the user alone; tighten the folder
    itself when it is one of the console's own (named after the application). Returns ``folder``."""
    missing: list[Path] = []
    p = folder.absolute()
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=0o700)
        _tighten(d)
    if folder.name == APP:
        _tighten(folder)
    return folder


def _tighten(folder: Path) -> None:
    with contextlib.suppress(OSError):
        if folder.stat().st_mode & 0o077:
            folder.chmod(0o700)


def config_dir() -> Path:
    override = os.environ.get("STARROCKS_CONSOLE_CONFIG")
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / APP
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / APP


def data_dir() -> Path:
    override = os.environ.get("STARROCKS_CONSOLE_DATA")
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / APP
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / APP
