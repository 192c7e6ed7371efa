"""The Administration view on the sandbox: a running query of another connection (PyMySQL) killed from
the Queries page, an FE item set after typing its key and shown as changed while an immutable one
cannot be edited, a BE item set, a user created, granted, revoked and dropped (typed), a failed pipe
file retried after it is fixed, a table's DDL shown (the Schema page read again when brought back to
screen); screenshots at two sizes, light and dark. Each test waits for what it started to end: no
dialog is left open, and none is opened by background work.

Waits are generous (30 s): the CI runs these on two loaded cores, next to the sandbox's process."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pymysql
import pytest
from conftest import SandboxProcess, module_sandbox
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from qt_helpers import in_theme, wait_for, wait_signal

from gui.ui.dialogs.confirm_name import ConfirmNameDialog
from gui.ui.models.table import Role
from gui.ui.views.admin import AdminView
from gui.ui.views.admin.value_dialog import SetValueDialog
from gui.ui.widgets.badge import status_color

NAME = "Sandbox StarRocks"
LONG = 30  # seconds: what a step may take on two loaded cores


sandbox = module_sandbox("admin-sandbox")


def open_dialogs() -> list[QDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


@pytest.fixture(autouse=True)
def no_dialog_left() -> Iterator[None]:
    """A dialog left open would be seen by the next tests as one opened by their background work:
    closed here whatever happened, and an error dialog fails the test that left it."""
    yield
    left = open_dialogs()
    errors = [f"{w.objectName()}: {w.text() if isinstance(w, QMessageBox) else ''}" for w in left]
    for w in left:
        w.close()
    assert not [e for e in errors if e.startswith("errorDialog")], errors


async def settled(view: Any) -> None:
    """Every read and action of the view's pages has ended (nothing left running past the test)."""
    await wait_for(lambda: not view.busy(), LONG)


async def opened(console_window: Any, sb: SandboxProcess, size: tuple[int, int] = (1280, 800)) -> Any:
    window = console_window([AdminView], sb, size=size)
    view = window.view(AdminView)
    assert window.connections.select(NAME)
    window.tabs.setCurrentWidget(view)
    await wait_for(lambda: view.sessions.model.rowCount() > 0, LONG)
    return window, view


def yes(page: Any) -> None:
    box = page.dialog
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.Yes).click()


async def typed(page: Any, text: str) -> None:
    dialog = page.dialog
    dialog.confirm.setText(text)
    assert dialog.action.isEnabled()
    dialog.action.click()
    await wait_for(lambda: not dialog.isVisible(), LONG)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_running_query_is_killed_and_config_is_set(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any, screenshot: Any
) -> None:
    other = pymysql.connect(
        host="127.0.0.1",
        port=sandbox.query_port,
        user=sandbox.auth[0],
        password=sandbox.auth[1],
        read_timeout=60,
    )
    cid = other.thread_id()
    failed: list[BaseException] = []

    def sleeper() -> None:
        try:
            with other.cursor() as cur:
                cur.execute("select sleep(30)")
        except BaseException as e:  # noqa: BLE001
            failed.append(e)

    thread = threading.Thread(target=sleeper)
    thread.start()
    try:
        window, view = await opened(console_window, sandbox)
        page = view.sessions

        async def listed() -> bool:
            page.refresh()
            await wait_signal(view.loaded, LONG)
            return any(r.id == cid and r.running and "sleep(30)" in r.info for r in page.rows)

        for _ in range(50):
            if await listed():
                break
        assert page.select_id(cid) and page.kill_query.isEnabled()
        page.show_sql.setChecked(True)
        screenshot(window, "admin-sessions-1280x800")
        page.kill_selected(connection=False)
        yes(page)
        await wait_for(lambda: not thread.is_alive(), LONG)
        assert failed and failed[0].args[0] == 1317
        await wait_for(lambda: f"KILL QUERY {cid}" in page.sql_pane.toPlainText(), LONG)
        await wait_for(lambda: not any(r.id == cid and r.running for r in page.rows), LONG)
        assert page.outcome.text().startswith("✓ KILL QUERY")

        # Configuration: an immutable item cannot be edited; a mutable one is set after its key is typed.
        view.tabs.setCurrentWidget(view.config)
        cfg = view.config
        await wait_for(lambda: cfg.fe_model.rowCount() > 0 and cfg.be_model.rowCount() > 0, LONG)
        assert cfg.select_fe("query_port") and not cfg.edit_fe.isEnabled()
        assert "not mutable" in cfg.edit_fe.toolTip()
        assert cfg.select_fe("qe_slow_log_ms") and cfg.edit_fe.isEnabled()
        before = next(i for i in cfg.fe_model.rows if i.key == "qe_slow_log_ms").value
        cfg.edit_selected_fe(str(int(before) + 1))
        await typed(cfg, "qe_slow_log_ms")
        await wait_for(lambda: any(i.key == "qe_slow_log_ms" and i.changed for i in cfg.fe_model.rows), LONG)
        # A BE item, over the BE's HTTP port.
        assert cfg.select_be("tablet_max_versions")
        cfg.edit_selected_be("1200")
        yes(cfg)
        await wait_for(
            lambda: any(i.key == "tablet_max_versions" and i.value == "1200" for i in cfg.be_model.rows), LONG
        )
        cfg.search.setText("slow")
        screenshot(window, "admin-config-1280x800")
        assert cfg.select_fe("qe_slow_log_ms")
        cfg.edit_selected_fe(before)
        await typed(cfg, "qe_slow_log_ms")
        assert cfg.select_be("tablet_max_versions")
        cfg.edit_selected_be("1000")
        yes(cfg)
        # The test ends once what it pressed has ended: an action cut off by the window closing
        # under it would otherwise fail after the test, in an error dialog.
        await wait_for(lambda: cfg.outcome.text().startswith("✓ set tablet_max_versions=1000"), LONG)
        await settled(view)
        assert any(i.key == "tablet_max_versions" and i.value == "1000" for i in cfg.be_model.rows)
        assert not open_dialogs()
    finally:
        thread.join(35)
        other.close()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_users_pipes_and_schema_pages(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any, screenshot: Any
) -> None:
    window, view = await opened(console_window, sandbox, size=(1024, 700))
    # Schema first, before the table below exists: the tables of demo, picked (the sandbox the tests
    # share may hold databases listed before it).
    schema = view.schema
    view.tabs.setCurrentWidget(schema)
    await wait_for(lambda: schema.db_pick.findText("demo") >= 0, LONG)
    loaded = wait_signal(view.loaded, LONG)
    assert schema.select_database("demo")
    await loaded
    assert schema.db_pick.currentText() == "demo" and schema.tables_model.rowCount() > 0

    users = view.users
    view.tabs.setCurrentWidget(users)
    await wait_for(lambda: users.users_model.rowCount() > 0 and users.role_pick.count() > 0, LONG)
    name = f"u_{uuid.uuid4().hex[:8]}"
    identity = f"'{name}'@'%'"
    dialog = users.create_user()
    assert "No password rules apply" in dialog.rules_label.text()
    dialog.user.setText(name)
    dialog.password.setText("Pass-w0rd")
    dialog.create_button.click()
    await wait_for(lambda: users.select_user(identity), LONG)
    users.role_pick.setCurrentText("db_admin")
    users.grant_role()
    yes(users)
    await wait_for(lambda: "db_admin" in users.grants.toPlainText(), LONG)
    users.revoke_role()
    await typed(users, name)
    await wait_for(lambda: users.select_user(identity) and "db_admin" not in users.grants.toPlainText(), LONG)
    screenshot(window, "admin-users-1024x700")
    users.drop_user()
    assert not users.dialog.action.isEnabled()
    await typed(users, name)
    await wait_for(lambda: users.users_model.row_of(identity) is None, LONG)

    # Pipes: a failed file retried once fixed.
    table, pipe = f"pt_{uuid.uuid4().hex[:8]}", f"p_{uuid.uuid4().hex[:8]}"
    folder = sandbox.data_dir / "incoming" / pipe
    folder.mkdir(parents=True)
    (folder / "a_good.csv").write_text("1,one\n2,two\n")
    bad = folder / "b_bad.csv"
    bad.write_text("3,three\nnot-a-number,four\n")
    with pymysql.connect(
        host="127.0.0.1", port=sandbox.query_port, user=sandbox.auth[0], password=sandbox.auth[1],
        database="demo", autocommit=True,
    ) as conn, conn.cursor() as cur:  # fmt: skip
        cur.execute(
            f"CREATE TABLE {table} (id INT NOT NULL, name VARCHAR(20)) DUPLICATE KEY(id) "
            "DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES('replication_num'='1')"
        )
        cur.execute(
            f"CREATE PIPE {pipe} PROPERTIES ('auto_ingest' = 'false', 'batch_files' = '1') AS "
            f'INSERT INTO {table} SELECT * FROM FILES("path" = "file://{folder}/*.csv", "format" = "csv", '
            '"csv.column_separator" = ",")'
        )

    def sweep(seconds: float) -> None:
        httpx.post(f"{sandbox.url}/_sandbox/clock", json={"advance": seconds}, auth=sandbox.auth, timeout=60)

    pipes = view.pipes
    view.tabs.setCurrentWidget(pipes)
    for _ in range(30):
        sweep(15)
        loaded = wait_signal(view.loaded, LONG)
        pipes.refresh()
        await loaded
        if pipes.select_pipe("demo", pipe):
            await wait_for(lambda: pipes.files_model.rowCount() > 0, LONG)
            if any(f.state == "ERROR" for f in pipes.files_model.rows):
                break
    [failed] = [f for f in pipes.files_model.rows if f.state == "ERROR"]
    assert failed.error
    count = pipes.files_model.rowCount()
    assert pipes.files_caption.text() == f"Files of demo.{pipe}: {count} file{'s' if count != 1 else ''}"
    assert pipes.select_file(failed.name) and pipes.retry_file.isEnabled()
    screenshot(window, "admin-pipes-1024x700")
    bad.write_text("3,three\n4,four\n")
    pipes.alter("RETRY FILE")
    yes(pipes)
    await wait_for(lambda: pipes.outcome.text().startswith("✓ ALTER PIPE"), LONG)
    sweep(15)
    await wait_for(lambda: sandbox.query(f"select count(*) from {table}", db="demo") == [[4]], LONG)

    # Schema again: brought back to screen, it reads demo's tables again — the new one is listed.
    view.tabs.setCurrentWidget(schema)
    await wait_for(lambda: schema.tables_model.row_of(table) is not None, LONG)
    assert schema.db_pick.currentText() == "demo"
    assert schema.select_table(table)
    await wait_for(lambda: schema.ddl.toPlainText().startswith(f"CREATE TABLE `{table}`"), LONG)
    schema.copy_ddl()
    assert QApplication.clipboard().text().startswith("CREATE TABLE")
    await settled(view)
    screenshot(window, "admin-schema-1024x700")
    assert not open_dialogs()
    assert schema.state_line.failing_since is None, schema.state_line.text()


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_schema_page_shows_tablet_health_with_a_stopped_backend(
    console_window: Any, sandbox_factory: Any, secret_service: Any, screenshot: Any, theme: str
) -> None:
    sb: SandboxProcess = sandbox_factory("--backends", "2")
    sb.admin_sql("CREATE DATABASE health")
    sb.admin_sql(
        "CREATE TABLE t (id int, name varchar(20)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2 "
        'PROPERTIES ("replication_num" = "2")',
        "health",
    )
    sb.admin_sql("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')", "health")
    r = httpx.post(f"{sb.url}/_sandbox/backends/10002", json={"action": "stop"}, auth=sb.auth, timeout=30)
    assert r.status_code == 200, r.text
    # The FE finds the BE dead after heartbeat_retry_times more failed heartbeats.
    r = httpx.post(f"{sb.url}/_sandbox/clock", json={"advance": 21}, auth=sb.auth, timeout=60)
    assert r.status_code == 200, r.text
    with in_theme(theme):
        for size in ((1024, 700), (1920, 1080)):
            window, view = await opened(console_window, sb, size=size)
            schema = view.schema
            loaded = wait_signal(view.loaded, LONG)
            view.tabs.setCurrentWidget(schema)
            await loaded
            loaded = wait_signal(view.loaded, LONG)
            assert schema.select_database("health")
            await loaded
            await wait_for(lambda: schema.select_table("t"), LONG)  # noqa: B023
            await wait_for(lambda: schema.tablet_health is not None, LONG)  # noqa: B023
            health = schema.tablet_health
            assert health is not None
            assert health.counts == {"OK": 2, "DEAD": 2}
            assert schema.health.text() == "4 replicas: 2 OK, 2 DEAD"
            assert schema.health.property("scTone") == "error"
            await wait_for(lambda: schema.parts.model() is not None, LONG)  # noqa: B023
            await wait_for(lambda: schema.tablets.model() is not None, LONG)  # noqa: B023
            tablets = schema.tablets.model()
            assert tablets.rowCount() == 4
            cols = [tablets.headerData(c, Qt.Orientation.Horizontal) for c in range(tablets.columnCount())]
            assert cols[:3] == ["Health", "TabletId", "ReplicaId"]
            backend = cols.index("BackendId")
            shown = [(tablets.index(i, 0).data(), tablets.index(i, backend).data()) for i in range(4)]
            # The dead replicas first, flagged; the healthy ones after.
            assert shown[:2] == [("DEAD", "10002")] * 2 and shown[2:] == [("OK", "10001")] * 2
            assert tablets.index(0, 0).data(Role.BADGE) == status_color("error")
            parts = schema.parts.model()
            pcols = [parts.headerData(c, Qt.Orientation.Horizontal) for c in range(parts.columnCount())]
            row = {pcols[c]: parts.index(0, c).data() for c in range(parts.columnCount())}
            assert (row["PartitionName"], row["VisibleVersion"], row["RowCount"]) == ("t", "2", "3")
            assert any(x.text == "ADMIN SHOW REPLICA STATUS FROM `health`.`t`" for x in view.sql.ran)
            schema.details.setCurrentIndex(2)
            screenshot(window, f"admin-schema-health-{size[0]}x{size[1]}-{theme}")
            await settled(view)
            window.close()


@pytest.mark.asyncio
async def test_the_set_value_prompt_checks_the_items_type_before_anything_is_sent(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any, screenshot: Any
) -> None:
    window, view = await opened(console_window, sandbox, size=(1024, 700))
    cfg = view.config
    view.tabs.setCurrentWidget(cfg)
    await wait_for(lambda: cfg.fe_model.rowCount() > 0 and cfg.be_model.rowCount() > 0, LONG)
    ran_before = len(view.sql.ran)

    # A long item: whole numbers in the long's range only.
    assert cfg.select_fe("qe_slow_log_ms")
    cfg.edit_selected_fe()  # opened, not exec()'d: the call returns with the prompt on screen
    prompt = cfg.dialog
    assert isinstance(prompt, SetValueDialog) and prompt.isVisible()
    for refused in ("12x", "1.5", "", "99999999999999999999", "١٢"):
        prompt.value.setText(refused)
        assert not prompt.set_button.isEnabled(), refused
        assert prompt.field.refused and (
            "whole number" in prompt.field.text or "long from" in prompt.field.text
        )
    prompt.value.setText("abc")
    screenshot(prompt, "admin-config-set-value-prompt")
    prompt.value.setText("7000")
    assert prompt.set_button.isEnabled() and not prompt.field.refused
    prompt.set_button.click()
    # Then the typed confirmation, nothing sent yet.
    confirm = cfg.dialog
    assert isinstance(confirm, ConfirmNameDialog)
    assert "ADMIN SET FRONTEND CONFIG" in confirm.text.text() and "7000" in confirm.text.text()
    confirm.reject()
    assert len(view.sql.ran) == ran_before

    # A boolean item: true or false, any case.
    assert cfg.select_fe("enable_validate_password")
    cfg.edit_selected_fe()
    prompt = cfg.dialog
    assert isinstance(prompt, SetValueDialog)
    prompt.value.setText("yes")
    assert not prompt.set_button.isEnabled() and "true or false" in prompt.field.text
    prompt.value.setText("TRUE")
    assert prompt.set_button.isEnabled()
    prompt.reject()

    # A BE item: /varz has no types, so the kind its current value shows, said as such.
    assert cfg.select_be("tablet_max_versions")
    cfg.edit_selected_be()
    prompt = cfg.dialog
    assert isinstance(prompt, SetValueDialog)
    assert "judged from its current value" in prompt.field.error.text()
    prompt.value.setText("many")
    assert not prompt.set_button.isEnabled()
    prompt.value.setText("1500")
    prompt.set_button.click()
    box = cfg.dialog
    assert isinstance(box, QMessageBox) and "update_config?tablet_max_versions=1500" in box.text()
    box.reject()
    assert len(view.sql.ran) == ran_before


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_every_page_at_both_sizes(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any, screenshot: Any, theme: str
) -> None:
    with in_theme(theme):
        for size in ((1024, 700), (1920, 1080)):
            window, view = await opened(console_window, sandbox, size=size)
            assert (window.width(), window.height()) == size
            for page in (view.sessions, view.config, view.users, view.pipes, view.schema):
                loaded = wait_signal(view.loaded, LONG)
                view.tabs.setCurrentWidget(page)
                page.refresh()
                await loaded
                name = page.title.split()[0].lower()
                screenshot(window, f"admin-{name}-{size[0]}x{size[1]}-{theme}")
            await settled(view)
            window.close()
