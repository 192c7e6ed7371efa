"""The SQL editor as a person uses it: StarRocks highlighting in light and dark palettes, the keys
that run the statement under the cursor or the whole script, completion after a dot and on
Ctrl+Space, and a 10,000-line script that stays responsive."""

from __future__ import annotations

import time
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QTextCursor
from qt_helpers import in_theme

from gui.services.sql.completion import Catalogue
from gui.services.sql.statements import Statement
from gui.ui.widgets.sql_editor import SqlEditor
from gui.ui.widgets.sql_highlight import State

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier

SCRIPT = """-- orders of the day
SELECT o.id, count(*) AS n, 'it''s; fine' AS note, 42.5e1
FROM `sales`.`order items` o
WHERE o.ts >= date_trunc('day', now()) # mysql-style comment
GROUP BY o.id;
/* a comment
   over lines; */
SHOW TABLES;
"""


@pytest.fixture
def editor(qtbot: Any) -> SqlEditor:
    catalogue = Catalogue()
    catalogue.set_schema(
        {"sales": {"orders": ["id", "amount", "ts"], "customers": ["id", "name"]}, "ops": {"events": ["ts"]}}
    )
    ed = SqlEditor(catalogue)
    qtbot.addWidget(ed)
    ed.resize(760, 320)
    ed.show()
    qtbot.waitExposed(ed)
    return ed


def formats(ed: SqlEditor, line: int) -> dict[str, tuple[str, bool, bool]]:
    """The text of each coloured stretch of a line -> (colour, bold, italic)."""
    block = ed.document().findBlockByNumber(line)
    text = block.text()
    layout = block.layout()
    assert layout is not None
    out: dict[str, tuple[str, bool, bool]] = {}
    for r in layout.formats():
        f = r.format
        out[text[r.start : r.start + r.length]] = (
            f.foreground().color().name(),
            f.fontWeight() == QFont.Weight.Bold,
            f.fontItalic(),
        )
    return out


def move_to(ed: SqlEditor, needle: str, after: int = 0) -> None:
    cursor = ed.textCursor()
    cursor.setPosition(ed.toPlainText().index(needle) + after)
    ed.setTextCursor(cursor)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_starrocks_sql_is_highlighted_in_either_palette(
    editor: SqlEditor, qtbot: Any, screenshot: Any, theme: str
) -> None:
    with in_theme(theme) as app:
        # Qt hands the new palette to existing widgets through the event loop.
        role = app.palette().ColorRole.Base
        qtbot.waitUntil(lambda: editor.palette().color(role) == app.palette().color(role))
        editor.setPlainText(SCRIPT)
        second = formats(editor, 1)
        keyword, function, string, number = (
            second["SELECT"],
            second["count"],
            second["'it''s; fine'"],
            second["42.5e1"],
        )
        assert keyword[1] and not function[1]  # keywords bold
        assert second["AS"] == keyword and second.get("n") is None  # a plain name keeps the text colour
        assert len({keyword[0], function[0], string[0], number[0]}) == 4
        third = formats(editor, 2)
        assert third["`sales`"] == third["`order items`"] and third["`sales`"][0] not in (
            keyword[0],
            string[0],
        )
        fourth = formats(editor, 3)
        assert fourth["date_trunc"] == function and fourth["now"] == function
        assert fourth["# mysql-style comment"][2]  # comments italic
        comment = formats(editor, 0)["-- orders of the day"]
        # A comment over two lines: the second line begins inside it.
        assert formats(editor, 5)["/* a comment"] == comment
        assert formats(editor, 6)["   over lines; */"] == comment
        assert editor.document().findBlockByNumber(5).userState() == State.COMMENT
        assert formats(editor, 7)["SHOW"] == keyword
        # Every colour reads on the editor's own background.
        base = editor.palette().color(role)
        for colour, *_ in (keyword, function, string, number, comment, third["`sales`"]):
            assert _contrast(QColor(colour), base) >= 3.0, (theme, colour)
        move_to(editor, "count", 3)
        screenshot(editor, f"sql-editor-{theme}")


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_typing_colours_as_it_goes(editor: SqlEditor, qtbot: Any) -> None:
    qtbot.keyClicks(editor, "select 'abc")
    assert formats(editor, 0)["select"][1]
    # An open string runs to the line's end, and closing it gives the rest back.
    assert editor.document().firstBlock().userState() == State.SINGLE
    qtbot.keyClicks(editor, "' from t")
    assert editor.toPlainText() == "select 'abc' from t"
    got = formats(editor, 0)
    assert "'abc'" in got and got["from"][1]
    assert editor.document().firstBlock().userState() == State.NORMAL


def test_ctrl_enter_runs_the_statement_under_the_cursor(editor: SqlEditor, qtbot: Any) -> None:
    editor.setPlainText(SCRIPT)
    ran: list[Statement] = []
    editor.run_statement.connect(ran.append)
    move_to(editor, "GROUP BY")
    qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL)
    assert len(ran) == 1
    assert ran[0].text.startswith("SELECT o.id") and ran[0].text.endswith("GROUP BY o.id")
    # What is sent has the mysql client's # comment blanked (StarRocks does not know it).
    assert "mysql-style" not in ran[0].sql and "'it''s; fine'" in ran[0].sql
    move_to(editor, "SHOW TABLES", 4)
    qtbot.keyClick(editor, Qt.Key.Key_Enter, CTRL)  # the keypad's Enter too
    assert ran[-1].text == "SHOW TABLES"
    assert editor.toPlainText() == SCRIPT  # no newline typed


def test_ctrl_shift_enter_runs_the_selection_or_everything(editor: SqlEditor, qtbot: Any) -> None:
    editor.setPlainText("SELECT 1; SELECT 2; SELECT 3;")
    ran: list[list[Statement]] = []
    editor.run_script.connect(ran.append)
    qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL | SHIFT)
    assert [s.text for s in ran[-1]] == ["SELECT 1", "SELECT 2", "SELECT 3"]
    cursor = editor.textCursor()
    cursor.setPosition(len("SELECT 1; "))
    cursor.setPosition(len("SELECT 1; SELECT 2; SEL"), QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL | SHIFT)
    assert [s.text for s in ran[-1]] == ["SELECT 2", "SEL"]
    assert editor.pieces("selection") == ["SELECT 2", "SEL"]
    assert editor.pieces("all") == ["SELECT 1", "SELECT 2", "SELECT 3"]


def test_completion_after_a_database_and_a_dot(editor: SqlEditor, qtbot: Any, screenshot: Any) -> None:
    qtbot.keyClicks(editor, "select * from sales.")
    popup = editor.popup()
    qtbot.waitUntil(popup.isVisible)
    shown = [editor.completion_model.item(i).text() for i in range(editor.completion_model.rowCount())]
    assert shown == ["customers", "orders"]
    screenshot(popup, "sql-editor-completion-popup")
    qtbot.keyClicks(editor, "or")  # narrows as one types
    shown = [editor.completion_model.item(i).text() for i in range(editor.completion_model.rowCount())]
    assert shown == ["orders"]
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert editor.toPlainText() == "select * from sales.orders"
    assert not popup.isVisible()
    # Then the columns of an alias, on Ctrl+Space.
    editor.setPlainText("select o. from sales.orders o")
    move_to(editor, "o. from", 2)
    qtbot.keyClick(editor, Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(popup.isVisible)
    shown = [editor.completion_model.item(i).text() for i in range(editor.completion_model.rowCount())]
    assert shown == ["id", "amount", "ts"]
    qtbot.keyClick(popup, Qt.Key.Key_Escape)
    assert not popup.isVisible() and editor.toPlainText() == "select o. from sales.orders o"


def test_keywords_complete_in_the_case_typed(editor: SqlEditor, qtbot: Any) -> None:
    qtbot.keyClicks(editor, "sele")
    qtbot.keyClick(editor, Qt.Key.Key_Space, CTRL)
    popup = editor.popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "select"


@pytest.mark.slow
def test_a_10000_line_script_stays_responsive(editor: SqlEditor, qtbot: Any) -> None:
    lines = [
        f"SELECT a.id{i}, count(*), 'x;{i}' FROM sales.orders a WHERE a.x > {i}; -- c{i}\n"
        for i in range(10000)
    ]
    editor.setPlainText("".join(lines))
    doc = editor.document()
    assert doc.blockCount() == 10001
    assert "SELECT" in formats(editor, 9999)  # highlighted to the end
    cursor = editor.textCursor()
    cursor.setPosition(doc.findBlockByNumber(5000).position() + 7)
    editor.setTextCursor(cursor)
    started = time.perf_counter()
    qtbot.keyClicks(editor, "x, ")
    typing = time.perf_counter() - started
    assert doc.findBlockByNumber(5000).text().startswith("SELECT x, a.id5000")
    ran: list[Statement] = []
    editor.run_statement.connect(ran.append)
    qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL)  # the first run reads the script once
    qtbot.keyClicks(editor, "y")
    started = time.perf_counter()
    qtbot.keyClick(editor, Qt.Key.Key_Return, CTRL)  # later ones read only what changed
    again = time.perf_counter() - started
    assert ran[-1].text.startswith("SELECT x, ya.id5000") and ran[-1].text.endswith("a.x > 5000")
    # Three keys re-colour three lines, not 10,000; a run after an edit reads one stretch again.
    # (Generous bounds: a whole re-reading takes seconds on the slowest machines.)
    assert typing < 0.5, typing
    assert again < 0.5, again
