"""What `load` pays for at start: the modules its command line pulls in. Qt, pydantic,
importlib.metadata and httpx's own command line are of no use to a load; each costs tens of
milliseconds of CPU before the first byte is sent."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_load_path_imports_only_what_loading_needs() -> None:
    code = (
        "import sys\n"
        "from gui.cli import build_parser, _run_load\n"
        "import gui.loadcmd, gui\n"
        "heavy = ('PySide6', 'pydantic', 'importlib.metadata', 'click', 'rich')\n"
        "print(gui.__version__, *sorted(m for m in sys.modules if m.split('.')[0] in heavy"
        " or m == 'importlib.metadata'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['httpx._main'] = None\n" + code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    version, *loaded = done.stdout.split()
    assert loaded == []
    with (ROOT / "pyproject.toml").open("rb") as f:
        assert version == tomllib.load(f)["project"]["version"]
