"""The SQL console on the sandbox, as a person uses it: the statement under the cursor and a whole
script run into result grids, 200,000 rows streamed against a row cap with an honest line, cancel
that kills the query on the server (checked there with PyMySQL), the server's error inline, the
query history searched and recalled, exports checked byte by byte, the typed confirmation of a DROP
TABLE, a read-only profile's refusal, and screenshots in both palettes at both sizes."""

from __future__ import annotations

import asyncio
import csv
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pymysql
import pytest
from conftest import SandboxProcess
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest
from qt_helpers import in_theme, wait_for, wait_signal

from gui.services.session import sandbox_profiles
from gui.ui.views.sql import SqlConsoleView

NAME = "Sandbox StarRocks"


def mysql(sb: SandboxProcess, sql: str) -> list[tuple[Any, ...]]:
    """A statement through the sandbox's query port with an outside MySQL client."""
    conn = pymysql.connect(
        host="127.0.0.1", port=sb.query_port, user=sb.auth[0], password=sb.auth[1], autocommit=True
    )
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall())
    finally:
        conn.close()


def fresh_db(sb: SandboxProcess) -> str:
    db = f"console_{uuid.uuid4().hex[:8]}"
    mysql(sb, f"CREATE DATABASE {db}")
    mysql(
        sb,
        f"CREATE TABLE {db}.orders (id BIGINT, item VARCHAR(32)) DUPLICATE KEY(id) "
        "DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES ('replication_num' = '1')",
    )
    mysql(sb, f"INSERT INTO {db}.orders VALUES (1, 'apple'), (2, 'pear')")
    return db


async def open_console(console_window: Any, sb: SandboxProcess, size: tuple[int, int] = (1280, 800)) -> Any:
    window = console_window([SqlConsoleView], sb, size=size)
    view = window.view(SqlConsoleView)
    loaded = wait_signal(view.loaded, 30)
    assert window.connections.select(NAME)
    window.tabs.setCurrentWidget(view)
    await loaded
    return window, view


def put(view: SqlConsoleView, text: str, cursor_at: str | None = None) -> None:
    view.editor.setPlainText(text)
    cursor = view.editor.textCursor()
    cursor.setPosition(text.index(cursor_at) if cursor_at else 0)
    view.editor.setTextCursor(cursor)
    view.editor.setFocus()


async def run(view: SqlConsoleView, act: Any, timeout: float = 30) -> Any:
    ran = wait_signal(view.ran, timeout)
    act()
    return await ran


def rows(view: SqlConsoleView, n: int = -1) -> list[tuple[Any, ...]]:
    return list(view.grids[n][0].model.rows)


def running_on_server(sb: SandboxProcess, needle: str) -> bool:
    """Whether a connection is running a statement with ``needle`` (an idle one keeps its last
    statement in Info, as StarRocks does, with Command ``Sleep``)."""
    return any(r[5] == "Query" and needle in str(r[9] or "") for r in mysql(sb, "SHOW FULL PROCESSLIST"))


@pytest.mark.asyncio
async def test_the_statement_under_the_cursor_and_a_whole_script_run_into_grids(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any
) -> None:
    db = fresh_db(sandbox)
    window, view = await open_console(console_window, sandbox)
    # The selector has the cluster's databases; picking one reads its tables for completion.
    assert view.database.findData(db) >= 0
    schema = wait_signal(view.schema_loaded, 20)
    view.database.setCurrentIndex(view.database.findData(db))
    assert await schema == db
    assert view.catalogue._schema[db] == {"orders": ["id", "item"]}

    script = "select 1 as one;\nselect id, item from orders order by id;\nselect 3"
    put(view, script, cursor_at="item from")
    result = await run(
        view, lambda: QTest.keyClick(view.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    )
    assert [o.text for o in result.statements] == ["select id, item from orders order by id"]
    assert rows(view) == [(1, "apple"), (2, "pear")]
    grid = view.grids[0][0]
    assert grid.model.names == ["id", "item"]
    assert grid.figures.text().startswith("2 rows in set (") and "query port" in grid.figures.text()
    assert view.results.currentWidget() is grid

    result = await run(view, lambda: view.run_all_button.click())
    assert [o.status for o in result.statements] == ["ok", "ok", "ok"]
    assert len(view.grids) == 3 and rows(view, 0) == [(1,)] and rows(view, 2) == [(3,)]
    assert view.results.count() == 4  # the messages and a tab per result set
    lines = view.message_text().splitlines()
    assert lines[0].startswith("[1] SELECT: 1 row in set (") and lines[1].startswith(
        "[2] SELECT: 2 rows in set"
    )


@pytest.mark.asyncio
async def test_200000_rows_stream_in_batches_up_to_the_row_cap_said_honestly(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any
) -> None:
    window, view = await open_console(console_window, sandbox)
    view.row_cap.setValue(150_000)
    inserts: list[int] = []
    seen: list[int] = []

    def watch() -> None:
        grid = view.grids[-1][0]
        grid.model.rowsInserted.connect(lambda _p, first, last: inserts.append(last - first + 1))

    put(view, "select * from TABLE(generate_series(1, 200000))")
    ran = wait_signal(view.ran, 60)
    view.run_button.click()
    await wait_for(lambda: view.grids, 20)
    watch()
    # The grid fills while the rows stream: some are on screen before the last has arrived.
    await wait_for(lambda: (n := view.grids[-1][0].model.rowCount()) and seen.append(n) is None, 20)
    result = await ran
    [outcome] = result.statements
    model = view.grids[0][0].model
    assert model.rowCount() == outcome.rows == 150_000 and outcome.capped
    assert model.rows[0] == (1,) and model.rows[-1] == (150_000,)
    assert seen[0] < 150_000
    # Batches of 1,000 reach the grid coalesced: far fewer inserts than batches.
    assert sum(inserts) + seen[0] == 150_000 and len(inserts) < 100
    text = view.grids[0][0].figures.text()
    assert text.startswith(
        "Showing the first 150,000 rows: the row cap was reached and the rest was not read"
    )
    assert "not known" in text


@pytest.mark.asyncio
async def test_rows_below_the_first_screens_reach_the_view_when_scrolled_to_or_at_the_end(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any
) -> None:
    window, view = await open_console(console_window, sandbox)
    view.row_cap.setValue(0)
    put(view, "select * from TABLE(generate_series(1, 300000))")
    ran = wait_signal(view.ran, 60)
    view.run_button.click()
    await wait_for(lambda: view.grids and len(view.grids[-1][0].model.rows) > 5_000, 20)
    grid = view.grids[-1][0]
    model = grid.model
    if grid.running:
        # Kept, not inserted: each insert would repaint the whole grid while the person reads the top.
        assert model.rowCount() == 1_000 < len(model.rows)
        assert model.canFetchMore(QModelIndex())
        bar = grid.table.verticalScrollBar()
        bar.setValue(bar.maximum())  # the person drags to the end of what is shown
        assert model.rowCount() == len(model.rows) > 1_000
    result = await ran
    [outcome] = result.statements
    assert outcome.status == "ok" and model.rowCount() == len(model.rows) == outcome.rows == 300_000
    assert not model.canFetchMore(QModelIndex())
    assert model.data(model.index(299_999, 0)) == "300000"


@pytest.mark.asyncio
async def test_cancel_kills_the_query_on_the_server_and_says_so(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any
) -> None:
    window, view = await open_console(console_window, sandbox)
    marker = uuid.uuid4().hex[:8]
    put(view, f"select sleep(30) as slept_{marker};\nselect 2")
    ran = wait_signal(view.ran, 30)
    view.run_all_button.click()
    assert view.running
    deadline = time.monotonic() + 15
    while not await asyncio.to_thread(running_on_server, sandbox, f"slept_{marker}"):
        assert time.monotonic() < deadline, "the query never reached the server"
        await asyncio.sleep(0.05)
    assert view.cancel_button.isEnabled()
    started = time.monotonic()
    QTest.keyClick(view.editor, Qt.Key.Key_Escape)
    result = await ran
    assert time.monotonic() - started < 10
    killed, after = result.statements
    assert killed.status == "cancelled" and after.status == "skipped"
    assert not await asyncio.to_thread(running_on_server, sandbox, f"slept_{marker}")
    text = view.message_text()
    assert "[1] SELECT: cancelled after 0 rows, the server killed the query" in text
    assert "[2] SELECT: not run: an earlier statement was cancelled" in text
    assert view.run_button.isEnabled() and not view.cancel_button.isEnabled()


@pytest.mark.asyncio
async def test_an_error_is_shown_inline_with_the_servers_message_and_its_statement_selected(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any
) -> None:
    window, view = await open_console(console_window, sandbox)
    bad = "select * from no_such_db_here.t"
    with pytest.raises(pymysql.err.MySQLError) as server:
        mysql(sandbox, bad)
    errno, text = server.value.args
    put(view, f"select 1;\n{bad};\nselect 3")
    result = await run(view, view.run_all_button.click)
    assert [o.status for o in result.statements] == ["ok", "error", "skipped"]
    shown = view.message_text()
    assert f"[2] SELECT: ERROR {errno} (" in shown and text in shown
    assert view.editor.textCursor().selectedText() == bad
    assert view.results.currentWidget() is view.messages


@pytest.mark.asyncio
async def test_the_history_is_searched_and_a_statement_recalled_into_the_editor(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any
) -> None:
    window, view = await open_console(console_window, sandbox)
    marker = uuid.uuid4().hex[:10]
    statement = f"select 'hist-{marker}' as marker"
    put(view, statement)
    await run(view, view.run_button.click)
    view.history_search.setText(f"hist-{marker}")
    assert view.history_list.count() == 1
    item = view.history_list.item(0)
    assert item.text() == statement and "ok" in item.toolTip() and NAME in item.toolTip()
    view.history_search.setText(f"HIST-{marker} MARKER")  # any case, any order of the words
    assert view.history_list.count() == 1
    view.history_search.setText(f"hist-{marker} nowhere")
    assert view.history_list.count() == 0
    view.history_search.setText(f"hist-{marker}")
    put(view, "select 42;")
    rect = view.history_list.visualItemRect(view.history_list.item(0))
    QTest.mouseClick(
        view.history_list.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center()
    )
    QTest.mouseDClick(
        view.history_list.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center()
    )
    # Added after what was there, selected: nothing the person typed is lost.
    assert view.editor.toPlainText() == f"select 42;\n\n{statement};"
    assert view.editor.textCursor().selectedText() == f"{statement};"
    # The history is the data folder's file, kept for the next console.
    from gui.services.paths import data_dir

    kept = (data_dir() / "sql-history.jsonl").read_text(encoding="utf-8")
    assert f"hist-{marker}" in kept


@pytest.mark.asyncio
async def test_the_result_is_exported_as_csv_tsv_and_json_lines(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any, tmp_path: Path
) -> None:
    window, view = await open_console(console_window, sandbox)
    put(
        view,
        "select 1 as id, 'a,b \"q\"' as s, NULL as n, cast(1.50 as decimal(10,2)) as d "
        "union all select 2, 'tab\there', 'x', cast(2.25 as decimal(10,2)) order by id",
    )
    await run(view, view.run_button.click)
    assert rows(view)[0][0] == 1
    csv_path, tsv_path, jsonl_path = tmp_path / "r.csv", tmp_path / "r.tsv", tmp_path / "r.jsonl"
    assert view.export(csv_path, "csv") == 2
    assert list(csv.reader(csv_path.open(encoding="utf-8", newline=""))) == [
        ["id", "s", "n", "d"],
        ["1", 'a,b "q"', "", "1.50"],
        ["2", "tab\there", "x", "2.25"],
    ]
    assert csv_path.read_bytes().startswith(b'id,s,n,d\r\n1,"a,b ""q""",,1.50\r\n')
    assert view.export(tsv_path, "tsv") == 2
    assert (
        tsv_path.read_text(encoding="utf-8") == 'id\ts\tn\td\n1\ta,b "q"\t\\N\t1.50\n2\ttab\\there\tx\t2.25\n'
    )
    assert view.export(jsonl_path, "jsonl") == 2
    assert [json.loads(line) for line in jsonl_path.read_text(encoding="utf-8").splitlines()] == [
        {"id": 1, "s": 'a,b "q"', "n": None, "d": "1.50"},
        {"id": 2, "s": "tab\there", "n": "x", "d": "2.25"},
    ]


@pytest.mark.asyncio
async def test_drop_table_runs_only_once_its_name_is_typed(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any
) -> None:
    db = fresh_db(sandbox)
    window, view = await open_console(console_window, sandbox)
    drop = f"drop table {db}.orders"
    put(view, drop)
    view.run_button.click()
    dialog = await wait_for(lambda: view.confirm_dialog, 5)
    assert "DROP TABLE" in dialog.text.text() and "orders" in dialog.text.text()
    assert not dialog.action.isEnabled()
    QTest.keyClicks(dialog.confirm, "order")  # a wrong name: the button stays off
    QTest.keyClicks(dialog.confirm, "z")
    assert not dialog.action.isEnabled() and "not the table's name" in dialog.outcome.text()
    dialog.buttons.button(dialog.buttons.StandardButton.Cancel).click()
    await wait_for(lambda: view.confirm_dialog is None, 5)
    assert "Not run: DROP TABLE was not confirmed. Nothing was sent." in view.message_text()
    assert mysql(sandbox, f"SHOW TABLES FROM {db}") == [("orders",)]
    assert not [e for e in view.history.entries() if e.statement == drop]

    view.run_button.click()
    dialog = await wait_for(lambda: view.confirm_dialog, 5)
    QTest.keyClicks(dialog.confirm, "orders")
    assert dialog.action.isEnabled()
    ran = wait_signal(view.ran, 30)
    dialog.action.click()
    result = await ran
    assert result.statements[0].status == "ok"
    assert mysql(sandbox, f"SHOW TABLES FROM {db}") == []
    assert view.message_text().startswith("[1] DROP TABLE: Query OK")


@pytest.mark.asyncio
async def test_a_read_only_profile_refuses_a_write_before_sending_it(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any
) -> None:
    db = fresh_db(sandbox)
    window = console_window([SqlConsoleView], sandbox)
    [(sr, secrets)] = [(p, s) for p, s in sandbox_profiles(sandbox.info) if p.kind == "starrocks"]
    sr.name, sr.read_only = "Read-only StarRocks", True
    window.ctx.session.add_ephemeral(sr, secrets)
    window.connections.reload()
    view = window.view(SqlConsoleView)
    loaded = wait_signal(view.loaded, 30)
    assert window.connections.select(sr.name)
    window.tabs.setCurrentWidget(view)
    await loaded
    assert "This profile is read-only" in view.channel_line.text() and view.channel_line.isVisible()
    insert = f"insert into {db}.orders values (3, 'plum')"
    put(view, f"select count(*) from {db}.orders;\n{insert};\ndrop table {db}.orders")
    result = await run(view, view.run_all_button.click)
    assert [o.status for o in result.statements] == ["ok", "refused", "skipped"]
    assert view.confirm_dialog is None  # a read-only profile never asks: it refuses
    assert "[2] INSERT: not sent: INSERT is not read-only" in view.message_text()
    assert view.editor.textCursor().selectedText() == insert
    assert mysql(sandbox, f"SELECT count(*) FROM {db}.orders") == [(2,)]
    assert not [e for e in view.history.entries() if e.statement == insert]


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_screenshots_of_the_console_with_a_result(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any, screenshot: Any, theme: str
) -> None:
    with in_theme(theme):
        db = fresh_db(sandbox)
        for size in ((1024, 700), (1920, 1080)):
            window, view = await open_console(console_window, sandbox, size=size)
            view.database.setCurrentIndex(view.database.findData(db))
            put(
                view,
                "-- the day's orders\nselect id, item, id * 2.5 as amount, NULL as note\nfrom orders\n"
                "order by id;\nselect * from TABLE(generate_series(1, 5000));\nselect * from missing_table;",
            )
            await run(view, view.run_all_button.click)
            view.results.setCurrentWidget(view.grids[0][0])
            screenshot(window, f"sql-console-{size[0]}x{size[1]}-{theme}")
            view.results.setCurrentWidget(view.messages)
            screenshot(window, f"sql-console-messages-{size[0]}x{size[1]}-{theme}")
            assert window.minimumSizeHint().width() <= 1024 and window.minimumSizeHint().height() <= 700


@pytest.mark.asyncio
async def test_a_painted_cell_is_one_call_into_the_model_with_what_it_shows(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any
) -> None:
    """Painting asks the model for a cell's roles in one call (multiData), not seven calls of
    ``data``: each call from C++ into Python cost more than its answer, and a full-screen grid
    paints hundreds of cells. What the cell shows is the same: its text, numbers on the right,
    NULL muted."""
    from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

    from gui.ui.style import tone

    window, view = await open_console(console_window, sandbox, size=(1920, 1080))
    put(view, "select 12.50 as amount, null as nothing, 'customer-7' as name")
    result = await run(view, view.run_button.click)
    assert result.statements[0].status == "ok"
    grid = view.grids[-1][0]
    model = grid.model
    asked: list[int] = []
    data = model.data

    def counted(index: Any, role: int = 0) -> Any:
        asked.append(int(role))
        return data(index, role)

    model.data = counted  # type: ignore[method-assign]
    grid.table.viewport().grab()
    assert asked == [], f"data() called {len(asked)} times for one painted row"

    class Probe(QStyledItemDelegate):
        def option(self, row: int, col: int) -> QStyleOptionViewItem:
            opt = QStyleOptionViewItem()
            self.initStyleOption(opt, model.index(row, col))  # what painting draws from
            return opt

    probe = Probe()
    amount, nothing, name = (probe.option(0, c) for c in range(3))
    assert (amount.text, nothing.text, name.text) == ("12.50", "NULL", "customer-7")
    assert amount.displayAlignment & Qt.AlignmentFlag.AlignRight
    assert not name.displayAlignment & Qt.AlignmentFlag.AlignRight
    assert nothing.palette.text().color() == tone("muted")
    assert name.palette.text().color() != tone("muted")
