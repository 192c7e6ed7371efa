"""The layering contract, checked on the code itself (the import contracts are import-linter's, in
pyproject.toml, run by .ci/run): the window never holds a client — no module of ``gui/ui`` imports a
client class, asks the session for a client, or imports httpx; views and dialogs stay small enough to
read; the parts that must run without Qt never import it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

GUI = Path(__file__).resolve().parent.parent / "gui"
UI = GUI / "ui"
CLIENT_ACCESSORS = {"client", "starrocks", "huawei", "ailake"}
MAX_CLASS_LINES = 400
MAX_INIT_LINES = 60


def modules(root: Path) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(root.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(GUI.parent)}:{getattr(node, 'lineno', 0)}"


def test_the_window_never_holds_a_client() -> None:
    found: list[str] = []
    for path, tree in modules(UI):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if module.split(".")[0] == "httpx":
                    found.append(f"{where(path, node)} imports httpx")
                for alias in node.names:
                    if alias.name.endswith("Client"):
                        found.append(f"{where(path, node)} imports {alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "httpx":
                        found.append(f"{where(path, node)} imports httpx")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CLIENT_ACCESSORS
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "session"
            ):
                found.append(f"{where(path, node)} asks the session for a client ({node.func.attr})")
    assert not found, "gui/ui reaches clients (services own every client call):\n" + "\n".join(found)


def test_views_and_dialogs_stay_small() -> None:
    found: list[str] = []
    for path, tree in modules(UI):
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_CLASS_LINES:
                found.append(f"{where(path, node)} class {node.name} is {length} lines")
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    init = (item.end_lineno or item.lineno) - item.lineno + 1
                    if init > MAX_INIT_LINES:
                        found.append(f"{where(path, item)} {node.name}.__init__ is {init} lines")
    assert not found, "\n".join(found)


@pytest.mark.slow
@pytest.mark.parametrize("part", ["api", "services", "sandbox"])
def test_these_parts_run_without_qt(part: str) -> None:
    found: list[str] = []
    for path, tree in modules(GUI / part):
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.split(".")[0] in ("PySide6", "qasync", "shiboken6"):
                    found.append(f"{where(path, node)} imports {name}")
    assert not found, "\n".join(found)
