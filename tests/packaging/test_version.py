"""One version, written in pyproject.toml only: --version and Help → About say it, and About lists
the licence of every component from the distributions' own metadata."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_version_is_pyprojects() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "gui", "--version"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"starrocks-console {VERSION}"
    init = (ROOT / "gui" / "__init__.py").read_text()
    assert VERSION not in init  # written in one place only


def test_about_lists_version_and_licences_from_metadata(qtbot: object) -> None:
    from gui.ui.dialogs.about import AboutDialog, components

    found = {c.name.lower().replace("_", "-"): c for c in components()}
    assert "starrocks-console" not in found
    expected = {
        "pyside6-essentials": "LGPL-3.0",
        "sqlglot": "MIT",
        "httpx": "BSD",
        "asyncmy": "Apache-2.0",
        "mysql-mimic": "MIT",
        "duckdb": "MIT",
        "keyring": "MIT",
        "qasync": "BSD",
    }
    for name, licence in expected.items():
        assert name in found, name
        assert licence in found[name].licence, (name, found[name].licence)
    dialog = AboutDialog()
    qtbot.addWidget(dialog)  # type: ignore[attr-defined]
    assert f"StarRocks Console {VERSION}" in dialog.heading.text()
    rows = {
        dialog.table.item(r, 0).text(): (dialog.table.item(r, 1).text(), dialog.table.item(r, 2).text())
        for r in range(dialog.table.rowCount())
    }
    from importlib.metadata import version

    assert rows["httpx"] == (version("httpx"), "BSD-3-Clause")
    assert len(rows) == len(found)


@pytest.mark.asyncio
async def test_help_menu_opens_about(console_window: Any, qtbot: Any) -> None:
    from PySide6.QtWidgets import QApplication

    from gui.ui.dialogs.about import AboutDialog

    window = console_window([])
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    about = next(a for a in help_menu.actions() if a.text().startswith("About"))
    about.trigger()
    qtbot.waitUntil(
        lambda: any(isinstance(w, AboutDialog) and w.isVisible() for w in QApplication.topLevelWidgets())
    )
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, AboutDialog))
    assert f"StarRocks Console {VERSION}" in dialog.heading.text()
    dialog.close()
