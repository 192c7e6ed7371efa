"""StarRocks Console: a desktop admin console for StarRocks."""

from importlib.metadata import PackageNotFoundError, version


def _version() -> str:
    # pyproject.toml is the one place the version is written; the installed distribution's metadata
    # (copied into a frozen app's bundle by its build) carries it here.
    try:
        return version("starrocks-console")
    except PackageNotFoundError:
        return "0+unknown"


__version__ = _version()
