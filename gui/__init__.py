"""StarRocks Console: a desktop admin console for StarRocks."""

import os
import sys

_DIST = "starrocks_console-"


def _version() -> str:
    # pyproject.toml is the one place the version is written; the installed distribution's metadata
    # (copied into a frozen app's bundle by its build) carries it here. The metadata directory's name
    # says it (``<name>-<version>.dist-info``): a listing of the import path costs well under a
    # millisecond, where importing importlib.metadata costs every command, `load` included, some
    # 30–40 ms of CPU at start.
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as found:
                for item in found:
                    if item.name.startswith(_DIST) and item.name.endswith(".dist-info"):
                        return item.name[len(_DIST) : -len(".dist-info")]
        except OSError:  # not a directory (a zip of the standard library), or gone
            continue
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("starrocks-console")
    except PackageNotFoundError:
        return "0+unknown"


__version__ = _version()
