"""Where the console keeps its files: the platform's config and data folders.

``STARROCKS_CONSOLE_CONFIG`` and ``STARROCKS_CONSOLE_DATA`` override them (tests, portable use).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "starrocks-console"


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
