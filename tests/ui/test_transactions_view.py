"""The Load transactions view on the sandbox: step by step through begin, two loads, prepare and
commit; refusals in plain words with the raw JSON a click away; a used label; a cancelled load
that leaves the window responsive; a prepared transaction found again after a restart; stuck
transactions found and rolled back in bulk."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import SandboxProcess
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox
from qt_helpers import wait_for, wait_signal

from gui.api.starrocks import LoadOptions, StarRocksClient
from gui.services.credentials import Credentials
from gui.services.journal import Journal, JournalEntry
from gui.services.profiles import ProfileStore
from gui.services.session import ConsoleSession
from gui.ui.dialogs.txn_answer import TxnAnswerDialog
from gui.ui.main_window import MainWindow
from gui.ui.views.transactions import TAB_HISTORY, TAB_RUNNING, TransactionsView

# The BE is still on the stopped piece: asked about (its row says InProcessing) or sent again too
# soon (TXN_IN_PROCESSING); either way the operator presses Load again.
BUSY = re.compile(r"still processing|still being processed")

TABLE = (
    "CREATE TABLE `people` (\n  `id` int NOT NULL,\n  `name` varchar(100)\n) ENGINE=OLAP\n"
    "DUPLICATE KEY(`id`)\nDISTRIBUTED BY HASH(`id`) BUCKETS 1;"
)


def fresh_db(sp: SandboxProcess) -> str:
    """A new database with the table ``people``, made through the sandbox's admin switch."""
    db = "ui_" + uuid.uuid4().hex[:10]
    sp.admin_sql(f"CREATE DATABASE {db}")
    sp.admin_sql(TABLE, db=db)
    return db


def count(sp: SandboxProcess, db: str) -> int:
    return int(sp.query("select count(*) from people", db=db)[0][0])


def journaled(root: Path) -> ConsoleSession:
    """A session whose journal is in ``root/journal`` (a test may write records there first)."""
    return ConsoleSession(ProfileStore(root / "profiles.json"), Credentials(), Journal(root / "journal"))


async def open_view(w: MainWindow, db: str) -> TransactionsView:
    view = w.view(TransactionsView)
    assert isinstance(view, TransactionsView)
    loaded = wait_signal(view.loaded, 20)
    assert w.connections.select("Sandbox StarRocks")
    await loaded
    view.db_combo.setCurrentText(db)
    await wait_for(lambda: view.table_combo.currentText() == "people", 10)
    return view


@pytest_asyncio.fixture
async def window(console_window: Any, sandbox: SandboxProcess, tmp_path: Path) -> MainWindow:
    w: MainWindow = console_window([TransactionsView], sandbox, session=journaled(tmp_path))
    return w


def idle(view: TransactionsView) -> bool:
    return not view.busy


async def press(view: TransactionsView, button: Any) -> None:
    assert button.isEnabled(), button.objectName()
    button.click()
    await wait_for(lambda: idle(view), 20)


def load_again(view: TransactionsView) -> None:
    """Answer "Load again" when asked about files loaded before."""
    box = view.findChild(QMessageBox, "alreadyLoaded")
    assert box is not None and box.isVisible()
    next(b for b in box.buttons() if b.text() == "Load again").click()


def confirm_yes(view: TransactionsView) -> None:
    box = view.findChild(QMessageBox, "confirmRollback")
    panel = view.unfinished
    shown = [(u.label, u.state, u.note) for u in panel.model.rows]
    where = (view.tabs.currentIndex(), panel.isHidden(), [u.label for u in panel.selected()])
    assert box is not None and box.isVisible(), (panel.note.text(), shown, where)
    box.button(QMessageBox.StandardButton.Yes).click()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_step_by_step_two_files_prepare_commit(
    window: MainWindow, sandbox: SandboxProcess, tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    db = fresh_db(sandbox)
    a = tmp_path / "people_a.csv"
    a.write_text("1,alice\n2,bob\n")
    b = tmp_path / "people_b.csv"
    b.write_text("3,carol\n4,dave\n5,erin\n")
    view = await open_view(window, db)
    view.form.add_files([a, b])
    label = "people-steps-" + uuid.uuid4().hex[:6]
    view.form.label.setText(label)
    steps = view.steps
    await press(view, steps.begin_button)
    st = view.stepper
    assert st is not None and st.phase == "open", steps.headline.text()
    assert "begun" in steps.headline.text()
    begun = steps.latest()
    assert begun is not None and begun.raw["Status"] == "OK" and begun.raw["TxnId"] == st.handle.txn_id
    assert not view.form.label.isEnabled()  # every load repeats the first one's settings
    await press(view, steps.load_button)
    assert st.next == 1 and "people_a.csv" in steps.headline.text()
    await press(view, steps.load_button)
    assert st.next == 2 and st.rows_loaded == 5
    assert not steps.load_button.isEnabled()  # both files sent
    assert "5 rows loaded, 0 filtered" in steps.stats.text()
    assert steps.progress.value() == 1000
    screenshot(window, "transactions-mid-transaction")
    assert count(sandbox, db) == 0  # invisible until commit
    await press(view, steps.prepare_button)
    assert st.phase == "prepared" and "Prepared: 5 rows loaded, 0 filtered" in steps.headline.text()
    await press(view, steps.commit_button)
    assert st.phase == "committed"
    assert steps.headline.text() == "Committed: the rows are visible."
    assert count(sandbox, db) == 5
    # Every answer of the transaction is listed; the journal's history shows the load.
    assert [a.step for a in steps.answers.rows] == ["begin", "load", "load", "prepare", "commit"]
    row = next(e for e in view.history.rows if e.label == label)
    assert (row.step, row.state, row.rows_loaded, row.db) == ("done", "VISIBLE", 5, db)
    assert view.tabs.tabText(TAB_HISTORY).startswith("History (")
    view.tabs.setCurrentIndex(TAB_HISTORY)
    screenshot(window, "transactions-history")
    # Activity has one entry per load, both succeeded.
    loads = [e for e in window.ctx.activity.rows if e.kind == "load"]
    assert len(loads) == 2 and all(e.state == "succeeded" for e in loads)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_bad_csv_is_refused_in_plain_words_with_the_raw_answer(
    window: MainWindow, sandbox: SandboxProcess, tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    db = fresh_db(sandbox)
    bad = tmp_path / "bad.csv"
    bad.write_text("1,alice\nnot-a-number,bob\n3,carol\n")
    view = await open_view(window, db)
    view.form.add_files([bad])
    view.form.max_filter_ratio.setText("0")
    steps = view.steps
    await press(view, steps.begin_button)
    await press(view, steps.load_button)
    st = view.stepper
    assert st is not None and st.rows_filtered == 1  # counted by the BE as it came
    assert "2 rows loaded and 1 filtered" in steps.detail.text()
    await press(view, steps.prepare_button)
    assert steps.headline.text().startswith("Too many rows were refused (more than the max filter ratio")
    assert "The label's state is now ABORTED" in steps.detail.text()
    assert "_load_error_log" in steps.error_url.text()
    assert st.phase == "aborted" and not steps.commit_button.isEnabled()
    assert steps.begin_button.isEnabled()  # the label is free again: begin anew
    # The raw JSON is a click away.
    steps.raw_button.click()
    dialog = view.findChild(TxnAnswerDialog)
    assert dialog is not None and dialog.isVisible()
    raw = dialog.raw.toPlainText()
    assert '"Status": "INTERNAL_ERROR"' in raw and "too many filtered rows" in raw
    screenshot(dialog, "transactions-answer-details")
    screenshot(window, "transactions-refused")
    dialog.close()
    row = next(e for e in view.history.rows if e.label == st.label)
    assert (row.step, row.state) == ("failed", "ABORTED")
    assert count(sandbox, db) == 0


@pytest.mark.slow
@pytest.mark.asyncio
async def test_fields_show_their_reasons_and_a_used_label_is_refused(
    window: MainWindow, sandbox: SandboxProcess, tmp_path: Path
) -> None:
    db = fresh_db(sandbox)
    label = "used-" + uuid.uuid4().hex[:8]
    async with StarRocksClient(sandbox.url, *sandbox.auth) as client:
        txn = await client.begin(db, "people", label)
        await client.load(txn, b"7,gina\n", LoadOptions(column_separator=","))
        await client.commit(db, label)
    data = tmp_path / "more.csv"
    data.write_text("8,hank\n")
    view = await open_view(window, db)
    form = view.form
    form.add_files([data])
    # Each field says why it is refused, and Begin waits until all are acceptable.
    form.timeout.setText("0")
    form.idle_timeout.setText("900")
    form.max_filter_ratio.setText("1.5")
    form.label.setText("bad label!")
    assert not view.steps.begin_button.isEnabled()
    assert "whole seconds from 1 to 259200" in form.fields["timeout"].text
    assert "a number from 0 to 1" in form.fields["max_filter_ratio"].text
    assert "letters, digits" in form.fields["label"].text
    form.timeout.setText("600")
    assert "shorter than the transaction timeout" in form.fields["idle_timeout"].text
    form.idle_timeout.setText("")
    form.max_filter_ratio.setText("0.1")
    form.format.setCurrentIndex(1)  # JSON
    form.jsonpaths.setText("id, name")
    assert "JSON array of paths" in form.fields["jsonpaths"].text
    form.jsonpaths.setText("")
    form.format.setCurrentIndex(0)
    # The used label: typed, checked against the cluster, and refused by begin in plain words.
    form.label.setText(label)
    form.label.textEdited.emit(label)
    await wait_for(lambda: "finished load" in form.fields["label"].text, 10)
    assert view.steps.begin_button.isEnabled()
    await press(view, view.steps.begin_button)
    assert view.steps.headline.text() == "The label is already used by a finished load."
    assert view.stepper is None and view.steps.begin_button.isEnabled()
    latest = view.steps.latest()
    assert latest is not None and latest.raw["ExistingJobStatus"] == "FINISHED"
    assert count(sandbox, db) == 1


class LoopWatch:
    """The longest gap between ticks of a 10 ms Qt timer: how long the window stopped answering."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.worst = 0.0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        self.worst = max(self.worst, now - self.last)
        self.last = now

    def start(self) -> None:
        self.last = time.monotonic()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.worst


def big_csv(path: Path, mib: int) -> int:
    """Writes a CSV of about ``mib`` MiB; returns its row count."""
    line = b"%d,someone with a rather long name to make the rows bigger %d\n"
    i = 0
    with path.open("wb") as f:
        while f.tell() < mib << 20:
            f.write(b"".join(line % (n, n) for n in range(i, i + 5000)))
            i += 5000
    return i


@pytest.mark.slow
@pytest.mark.asyncio
async def test_cancel_a_running_load_keeps_the_window_responsive_and_resumes_exactly_once(
    window: MainWindow, sandbox: SandboxProcess, tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    db = fresh_db(sandbox)
    data = tmp_path / "big.csv"
    rows = big_csv(data, 6)
    view = await open_view(window, db)
    view.form.add_files([data])
    steps = view.steps
    await press(view, steps.begin_button)
    st = view.stepper
    assert st is not None and st.phase == "open"
    watch = LoopWatch()
    watch.start()
    cancelled: list[Any] = []

    def cancel_while_sending(*_changed: Any) -> None:
        # The person presses Cancel while the bar shows the piece under way (on loopback the
        # whole piece can be out within milliseconds, after which a stop is too late).
        load = next((e for e in window.ctx.activity.rows if e.kind == "load" and e.running), None)
        if load is not None and not cancelled and 0 < (load.progress or 0) < 1:
            assert load.cancel is not None
            cancelled.append(load)
            window.activity_panel.cancel(load)

    window.ctx.activity.dataChanged.connect(cancel_while_sending)
    steps.load_button.click()
    await wait_for(lambda: cancelled, 10)
    window.ctx.activity.dataChanged.disconnect(cancel_while_sending)
    [entry] = cancelled
    await wait_for(lambda: idle(view) and entry.state == "cancelled", 10)
    # While it ran and was cancelled the window kept answering: other widgets still work.
    view.tabs.setCurrentIndex(TAB_HISTORY)
    view.tabs.setCurrentIndex(0)
    await asyncio.sleep(0.1)
    assert watch.stop() < 0.5, f"the window stopped answering for {watch.worst:.2f} s"
    # The view says the transaction is left open, and what to do.
    assert steps.headline.text() == "Load cancelled."
    assert "still open on the cluster: Roll back" in steps.detail.text()
    assert st.phase == "open" and st.uncertain is not None
    assert steps.rollback_button.isEnabled() and steps.load_button.isEnabled()
    screenshot(window, "transactions-cancelled")
    # Go on: Load first asks the BE whether the stopped piece arrived, so no row counts twice.
    for _ in range(50):
        await press(view, steps.load_button)
        if st.next == 1:
            break
        assert BUSY.search(steps.headline.text()), steps.headline.text()
        await asyncio.sleep(0.1)
    assert st.next == 1 and st.uncertain is None
    await press(view, steps.prepare_button)
    await press(view, steps.commit_button)
    assert st.phase == "committed", steps.headline.text()
    assert count(sandbox, db) == rows


@pytest.mark.slow
@pytest.mark.asyncio
async def test_restart_offers_the_prepared_transaction_for_commit(
    console_window: Any, sandbox: SandboxProcess, tmp_path: Path, screenshot: Callable[..., Path]
) -> None:
    db = fresh_db(sandbox)
    journal = Journal(tmp_path / "journal")
    prepared, running = "pend-" + uuid.uuid4().hex[:6], "left-" + uuid.uuid4().hex[:6]
    async with StarRocksClient(sandbox.url, *sandbox.auth) as client:
        # What a console or `load` run leaves when it ends between prepare and commit, and one
        # that ended while sending: the transactions and their journal records.
        for label, rows, step in (
            (prepared, b"1,ann\n2,ben\n", "prepared"),
            (running, b"9,zed\n", "loading"),
        ):
            txn = await client.begin(db, "people", label)
            await client.load(txn, rows, LoadOptions(column_separator=","))
            if step == "prepared":
                await client.prepare(db, label)
            journal.save(
                JournalEntry(
                    label=label,
                    fe_url=client.base_url,
                    db=db,
                    table="people",
                    step=step,
                    txn_id=txn.txn_id,
                    file=str(tmp_path / f"{label}.csv"),
                )
            )
    # A new window on the same journal folder finds them and offers each what it needs.
    w = console_window([TransactionsView], sandbox, session=journaled(tmp_path))
    view = await open_view(w, db)
    panel = view.unfinished
    await wait_for(lambda: len(panel.model.rows) == 2, 10)
    assert panel.isVisible()
    offers = {u.label: (u.state, u.action) for u in panel.model.rows}
    assert offers == {prepared: ("PREPARED", "commit"), running: ("PREPARE", "rollback")}
    assert "1 prepared: commit" in panel.title.text()
    screenshot(w, "transactions-unfinished-offered")
    assert panel.select_label(prepared)
    assert panel.commit_button.isEnabled()
    panel.commit_button.click()
    await wait_for(lambda: len(panel.model.rows) == 1, 10)
    assert f"{prepared}: Committed: the rows are visible." in panel.note.text()
    assert count(sandbox, db) == 2
    record = journal.get(panel.model.rows[0].entry.fe_url, db, prepared)
    assert record is not None and (record.step, record.state) == ("done", "VISIBLE")
    # Delete rolls back the running one, after a confirmation.
    assert panel.select_label(running)
    w.delete_action.trigger()
    confirm_yes(view)
    await wait_for(lambda: not panel.model.rows, 10)
    async with StarRocksClient(sandbox.url, *sandbox.auth) as client:
        assert await client.load_state(db, running) == "ABORTED"
    assert count(sandbox, db) == 2


@pytest.mark.slow
@pytest.mark.asyncio
async def test_running_panel_finds_an_idle_transaction_and_rolls_back_in_bulk(
    window: MainWindow, sandbox: SandboxProcess, screenshot: Callable[..., Path]
) -> None:
    db = fresh_db(sandbox)
    idle_label, busy_label = "idle-" + uuid.uuid4().hex[:6], "fresh-" + uuid.uuid4().hex[:6]
    opts = LoadOptions(column_separator=",")
    async with StarRocksClient(sandbox.url, *sandbox.auth) as client:
        txn = await client.begin(db, "people", idle_label, timeout=600)
        await client.load(txn, b"1,ann\n", opts)
        idle_since = time.monotonic()
        view = await open_view(window, db)
        await asyncio.sleep(max(0.0, 2.1 - (time.monotonic() - idle_since)))
        # One that is being fed right now: not stuck.
        txn = await client.begin(db, "people", busy_label, timeout=600)
        await client.load(txn, b"2,bo\n", opts)
    panel = view.running
    panel.idle_spin.setValue(2)
    view.tabs.setCurrentIndex(TAB_RUNNING)
    await wait_for(lambda: len(panel.model.rows) == 2, 10)
    rows = {t.label: t for t in panel.model.rows}
    assert rows[idle_label].stuck and rows[idle_label].findings[0].startswith("idle for")
    assert not rows[busy_label].stuck
    assert rows[idle_label].on_be and rows[idle_label].rows_loaded == 1
    assert "1</b> look stuck" in panel.summary.text()
    assert "stuck" in view.tabs.tabText(TAB_RUNNING)
    panel.select_stuck()
    assert [t.label for t in panel.selected()] == [idle_label]
    screenshot(window, "transactions-running-panel")
    panel.rollback_button.click()
    confirm_yes(view)
    await wait_for(lambda: "Rolled back 1 of 1" in panel.note.text(), 10)
    assert [t.label for t in panel.model.rows] == [busy_label]
    screenshot(window, "transactions-running-after-rollback")
    async with StarRocksClient(sandbox.url, *sandbox.auth) as client:
        assert await client.load_state(db, idle_label) == "ABORTED"
        assert await client.load_state(db, busy_label) == "PREPARE"
        await client.rollback(db, busy_label)
    done = next(e for e in window.ctx.activity.rows if e.kind == "rollback")
    assert done.state == "succeeded"


@pytest.mark.slow
@pytest.mark.asyncio
async def test_all_at_once_loads_each_file_exactly_once_and_the_shortcuts_work(
    window: MainWindow, sandbox: SandboxProcess, tmp_path: Path
) -> None:
    db = fresh_db(sandbox)
    a = tmp_path / "one.csv"
    a.write_text("1,ann\n2,ben\n")
    b = tmp_path / "two.csv"
    b.write_text("3,cid\n")
    view = await open_view(window, db)
    view.form.add_files([a, b])
    label = view.form.label.text()
    assert label.startswith("people-")
    await press(view, view.steps.all_button)
    assert count(sandbox, db) == 3
    entry = next(e for e in window.ctx.activity.rows if e.kind == "load")
    assert entry.state == "succeeded" and entry.result == "3 rows loaded, 0 filtered"
    done = {e.label: e.step for e in view.history.rows}
    assert done == {label: "done", f"{label}-2": "done"}
    assert view.form.label.text() != label  # a fresh label for the next load
    window.find_action.trigger()  # Ctrl+F: the history's filter
    assert view.tabs.currentIndex() == TAB_HISTORY
    view.filter.setText(f"{label}-2")
    assert view.history_proxy.rowCount() == 1
    view.filter.clear()
    # The same files again: the journal knows them loaded, so the user is asked first.
    view.form.label.setText(label)
    view.steps.all_button.click()
    box = view.findChild(QMessageBox, "alreadyLoaded")
    assert box is not None and box.isVisible()
    assert f"one.csv was loaded into {db}.people on " in box.text()
    assert f"under the label {label} (2 rows)" in box.text()
    assert f"two.csv was loaded into {db}.people on " in box.text() and f"{label}-2 (1 row)" in box.text()
    # Loading again is an explicit choice; with the same label the loader still sends nothing.
    load_again(view)
    await wait_for(lambda: idle(view) and view.steps.answers.rows, 20)
    assert "was already loaded (2 rows); nothing was sent" in view.steps.answers.rows[0].headline
    assert count(sandbox, db) == 3
    # F5 refreshes; Ctrl+N while a transaction is open asks, then leaves it to the journal.
    loaded = wait_signal(view.loaded, 10)
    window.refresh_action.trigger()
    await loaded
    view.steps.begin_button.click()  # the same files again: asked first, as for all at once
    load_again(view)
    await wait_for(lambda: idle(view), 20)
    left = view.stepper
    assert left is not None and left.open
    window.new_action.trigger()
    box = view.findChild(QMessageBox, "confirmNew")
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    assert view.stepper is None and view.form.label.text() != left.label
    await wait_for(lambda: [u.label for u in view.unfinished.model.rows] == [left.label], 10)
    assert view.unfinished.model.rows[0].action == "rollback"
    # The profile deleted: nothing of its cluster stays on screen, its history neither.
    view.drop_profile("Sandbox StarRocks")
    assert view.history.rowCount() == 0 and view.tabs.tabText(TAB_HISTORY) == "History (0)"
    assert view.unfinished.isHidden() and view.db_combo.count() == 0
    assert not view.steps.all_button.isEnabled() and not view.steps.begin_button.isEnabled()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_json_rows_with_paths_and_a_root(
    window: MainWindow, sandbox: SandboxProcess, tmp_path: Path
) -> None:
    db = fresh_db(sandbox)
    data = tmp_path / "people.json"
    data.write_text('{"data": [{"who": "ann", "n": 1}, {"who": "ben", "n": 2}]}')
    view = await open_view(window, db)
    form = view.form
    form.add_files([data])
    form.format.setCurrentIndex(1)
    assert not form.column_separator.isVisible() and form.jsonpaths.isVisible()
    form.jsonpaths.setText('["$.n", "$.who"]')
    form.json_root.setText("$.data")
    form.strip_outer_array.setChecked(True)
    form.columns.setText("id, name")
    await press(view, view.steps.begin_button)
    await press(view, view.steps.load_button)
    await press(view, view.steps.commit_button)  # commit straight from running works too
    assert view.steps.headline.text() == "Committed: the rows are visible.", view.steps.detail.text()
    assert sorted(sandbox.query("select id, name from people", db=db)) == [[1, "ann"], [2, "ben"]]


def test_the_view_models_pass_qt_model_checks(qtmodeltester: Any) -> None:
    from gui.services.transactions import Answer, RunningTxn, Unfinished
    from gui.ui.models.transactions import AnswersModel, HistoryModel, RunningModel, UnfinishedModel

    entry = JournalEntry(
        label="l1", fe_url="http://fe:8030", db="d", table="t", file="/a.csv; /b.csv; /c.csv"
    )
    history = HistoryModel()
    history.set_rows(
        [entry, JournalEntry(label="l2", fe_url="http://fe:8030", db="d", table="t", step="done")]
    )
    unfinished = UnfinishedModel()
    unfinished.set_rows([Unfinished(entry, "PREPARED", "commit", "prepared"), Unfinished(entry, "", "", "?")])
    answers = AnswersModel()
    answers.set_rows([Answer("begin", "ok"), Answer("load", "refused", "error", raw={"Status": "X"})])
    running = RunningModel()
    running.set_rows(
        [
            RunningTxn(
                1,
                "a",
                "PREPARE",
                begun=time.time() - 50,
                timeout_s=60,
                findings=["idle for 40 s"],
                stuck=True,
            ),
            RunningTxn(
                2, "b", "PREPARED", rows_loaded=3, rows_filtered=1, on_be=False, rollback="rolled back"
            ),
        ]
    )
    for model in (history, unfinished, answers, running):
        qtmodeltester.check(model)
    assert history.index(0, 2).data() == "a.csv, b.csv +1"
