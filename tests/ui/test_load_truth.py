"""What the Load view says happened is what happened: Cancel before commit leaves the transaction
open and offered (the journal, History and Activity agree); Cancel once commit is on its way says so
and reports the cluster's final answer; a file loaded before is not loaded again by accident."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import SandboxProcess
from faultproxy import FaultProxy, Rule
from PySide6.QtWidgets import QMessageBox
from qt_helpers import entry_titled, finished, wait_for, wait_signal

from gui.api.starrocks import StarRocksClient
from gui.services.journal import Journal
from gui.services.transactions import OPEN_STEPS
from gui.ui.activity import CANCELLED, SUCCEEDED
from gui.ui.views.transactions import TAB_HISTORY, TransactionsView

TABLE = (
    "CREATE TABLE people (id BIGINT NOT NULL, name VARCHAR(32)) DUPLICATE KEY(id) "
    "DISTRIBUTED BY HASH(id) BUCKETS 1"
)


def fresh_db(sb: SandboxProcess, name: str) -> str:
    sb.admin_sql(f"CREATE DATABASE {name}")
    sb.admin_sql(TABLE, db=name)
    return name


def count(sb: SandboxProcess, db: str) -> int:
    return int(sb.query("select count(*) from people", db=db)[0][0])


def csv(path: Path, rows: int, start: int = 1) -> Path:
    path.write_text("".join(f"{i},name{i}\n" for i in range(start, start + rows)))
    return path


async def open_view(window: Any, db: str) -> TransactionsView:
    view = window.view(TransactionsView)
    loaded = wait_signal(view.loaded, 20)
    assert window.connections.select("Sandbox StarRocks")
    await loaded
    view.db_combo.setCurrentText(db)
    await wait_for(lambda: view.table_combo.currentText() == "people", 10)
    return view


def idle(view: TransactionsView) -> bool:
    return not view.busy


@pytest.mark.slow
@pytest.mark.asyncio
async def test_cancel_before_commit_leaves_the_transaction_offered(
    console_window: Any, sandbox_factory: Any, secret_service: Any, tmp_path: Path, screenshot: Any
) -> None:
    sb = sandbox_factory()
    proxy = FaultProxy(sb.url)  # the FE, reached through a proxy that can hold a request
    try:
        db = fresh_db(sb, "truth_a")
        window = console_window([TransactionsView], info=dict(sb.info, url=proxy.url), size=(1024, 700))
        view = await open_view(window, db)
        view.form.add_files([csv(tmp_path / "people.csv", 5000)])
        label = view.form.label.text()
        held = proxy.add(Rule("POST", r"/api/transaction/prepare", "pause"))
        view.steps.all_button.click()
        await wait_for(held.reached.is_set, 20)  # every chunk sent, prepare on its way
        assert view.steps.cancel_button.isVisible() and view.steps.cancel_button.isEnabled()
        view.steps.cancel_button.click()
        entry = entry_titled(window, "exactly once")
        assert "before commit" in entry.detail
        held.released.set()
        await wait_for(lambda: idle(view) and not entry.running, 30)

        # Activity, the Load view, the journal, the cluster and History say the same thing.
        assert entry.state == CANCELLED
        assert "stopped after prepare" in entry.result and "prepared, not committed" in entry.result
        assert "nothing was committed" in view.steps.latest().headline
        async with StarRocksClient(sb.url, *sb.auth) as client:
            assert await client.load_state(db, label) == "PREPARED"
        assert count(sb, db) == 0
        record = window.ctx.session.journal.get(proxy.url, db, label)
        assert record is not None and record.step in OPEN_STEPS and "stopped" in record.message
        await wait_for(lambda: [u.label for u in view.unfinished.model.rows] == [label], 10)
        assert view.unfinished.model.rows[0].action == "commit"
        assert [u.label for u in view.unfinished.selected()] == [label]
        view.tabs.setCurrentIndex(TAB_HISTORY)
        row = next(e for e in view.history.rows if e.label == label)
        assert row.step in OPEN_STEPS
        # History reads whole: its time with the date, its numbers in columns as wide as they are.
        at = view.history_proxy.index(0, 8).data()
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", at), at
        metrics = view.history_table.fontMetrics()
        for col in (0, 5, 7, 8):
            text = view.history_proxy.index(0, col).data()
            assert view.history_table.columnWidth(col) >= metrics.horizontalAdvance(text), (col, text)
        assert (window.width(), window.height()) == (1024, 700)  # the banner made nothing grow
        screenshot(window, "load-cancelled-before-commit")

        # The user's choice: commit it from Unfinished; the rows are in, once.
        view.unfinished.commit_button.click()
        await wait_for(lambda: count(sb, db) == 5000, 20)
        # The Load tab's last word on this transaction follows: no stale "left open".
        await wait_for(lambda: view.steps.latest().headline.startswith("Committed"), 10)
        await wait_for(lambda: window.ctx.session.journal.get(proxy.url, db, label).step == "done", 10)
        await window.aclose()
    finally:
        proxy.close()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_cancel_once_commit_is_sent_says_so_and_reports_the_final_state(
    console_window: Any, sandbox_factory: Any, secret_service: Any, tmp_path: Path, screenshot: Any
) -> None:
    sb = sandbox_factory()
    proxy = FaultProxy(sb.url)
    try:
        db = fresh_db(sb, "truth_b")
        window = console_window([TransactionsView], info=dict(sb.info, url=proxy.url))
        view = await open_view(window, db)
        view.form.add_files([csv(tmp_path / "people.csv", 3000)])
        label = view.form.label.text()
        held = proxy.add(Rule("POST", r"/api/transaction/commit", "pause"))
        view.steps.all_button.click()
        await wait_for(held.reached.is_set, 20)
        view.steps.cancel_button.click()
        entry = entry_titled(window, "exactly once")
        latest = view.steps.latest()
        assert latest is not None and "already sent" in latest.headline
        assert entry.running and "waiting for the cluster's answer" in entry.detail
        assert entry.cancel is None  # nothing is left to cancel
        screenshot(window, "load-cancel-too-late")
        held.released.set()
        done = await finished(window, "exactly once", 30)
        assert done.state == SUCCEEDED and done.result == "3,000 rows loaded, 0 filtered"
        assert count(sb, db) == 3000
        assert window.ctx.session.journal.get(proxy.url, db, label).step == "done"
        assert not view.unfinished.model.rows
        # Other files: the finished load's 100 % and figures are not left describing them.
        assert view.steps.progress.isVisible() and view.steps.progress.value() == 1000
        view.form.add_files([csv(tmp_path / "more.csv", 10, start=5000)])
        assert not view.steps.progress.isVisible() and view.steps.stats.text() == ""
        await window.aclose()
    finally:
        proxy.close()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_file_committed_step_by_step_is_not_loaded_again_by_accident(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any, tmp_path: Path, screenshot: Any
) -> None:
    db = fresh_db(sandbox, "truth_c")
    window = console_window([TransactionsView], sandbox)
    view = await open_view(window, db)
    data = csv(tmp_path / "orders.csv", 200)
    view.form.add_files([data])
    first = view.form.label.text()
    for button in (view.steps.begin_button, view.steps.load_button, view.steps.commit_button):
        button.click()
        await wait_for(lambda: idle(view), 20)
    assert count(sandbox, db) == 200
    # A fresh label is in the field; "Load all at once" with the same file asks first.
    assert view.form.label.text() != first
    view.steps.all_button.click()
    box = view.findChild(QMessageBox, "alreadyLoaded")
    assert box is not None and box.isVisible()
    assert f"orders.csv was loaded into {db}.people on " in box.text() and first in box.text()
    screenshot(box, "load-same-file-asked")
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert idle(view) and count(sandbox, db) == 200
    assert entry_titled(window, "exactly once") is None  # nothing started
    # Loading it again is an explicit choice, and then it is done.
    view.steps.all_button.click()
    box = view.findChild(QMessageBox, "alreadyLoaded")
    next(b for b in box.buttons() if b.text() == "Load again").click()
    done = await finished(window, "exactly once", 30)
    assert done.state == SUCCEEDED and count(sandbox, db) == 400
    entries = Journal(window.ctx.session.journal.root).loads_of_file(
        sandbox.url, db, "people", str(data), data.stat().st_size, data.stat().st_mtime_ns
    )
    assert len(entries) == 2
