"""The Pipe tables view on the sandbox: the seeded ``sales`` table and its details, the create
dialog's field checks and the service's refusal, a failed create edited and sent again, lazy paging
over many tables, a partition refresh through the form built from the partition columns (and one of
a partition without files, which is not reported as refreshed), ANALYZE, delete, and Cancel in the
Activity panel."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import pytest_asyncio
from conftest import SandboxProcess
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from qt_helpers import entry_titled, finished, wait_for, wait_signal

from gui.api.ailake import AILakeClient, PipeTable
from gui.services.pipe_tables import (
    CreateForm,
    check_refresh,
    describe_polling,
    operation_summary,
    plural,
    readable,
    refresh_failure,
    refresh_summary,
    refused_field,
    sentence,
    words,
)
from gui.services.tracker import AILAKE_OPERATION, TrackedJob
from gui.ui.activity import CANCELLED, FAILED, SUCCEEDED
from gui.ui.dialogs.analyze import AnalyzeDialog
from gui.ui.dialogs.pipe_create import CreatePipeTableDialog
from gui.ui.dialogs.pipe_refresh import RefreshPartitionDialog
from gui.ui.main_window import MainWindow
from gui.ui.views.pipe_tables import PipeTablesView

LAKE = "Sandbox AI Lake"
OpenWindow = Callable[..., Any]


@pytest_asyncio.fixture
async def open_window(console_window: Any, secret_service: Any) -> OpenWindow:
    """A window with the Pipe tables view on a sandbox, the AI Lake profile selected and its first
    page on screen."""

    async def open_(
        sandbox: SandboxProcess, page_size: int | None = None
    ) -> tuple[MainWindow, PipeTablesView]:
        window = console_window([PipeTablesView], sandbox=sandbox)
        view = window.view(PipeTablesView)
        assert isinstance(view, PipeTablesView)
        if page_size is not None:
            view.page_size = page_size
        loaded = wait_signal(view.loaded, 30)
        assert window.connections.select(LAKE)
        await loaded
        return window, view

    return open_


def lake(sp: SandboxProcess) -> AILakeClient:
    return AILakeClient(sp.url, sp.info["ailake"]["token"], poll_interval=0.05)


# -- Qt-free rules of the forms --------------------------------------------------------------------------


def test_create_form_reasons_come_from_the_request_model() -> None:
    request, bad = CreateForm(source_storage="s", path_prefix="x/", table_name="Bad Name").check()
    assert request is None and "lowercase letter" in bad["tableName"]
    form = CreateForm(
        source_storage="s",
        path_prefix="sales/",
        table_name="agg",
        columns="order_id BIGINT, amount DECIMAL(12,2), region",
        key_type="aggregate",
        key_columns="order_id",
        aggregations=[("amount", "SUM"), ("region", "")],
        distribution_type="random",
        buckets="0",
        polling_interval="soon",
        overrides=[("year", "")],
        properties=[("replication_num", "1"), ("replication_num", "3")],
    )
    request, bad = form.check()
    assert request is None
    assert "at least 1" in bad["distributionConfig.buckets"]
    assert "whole number" in bad["pollingIntervalSeconds"]
    assert "'year'" in bad["columnOverrides"] and "SQL type" in bad["columnOverrides"]
    assert "listed twice" in bad["tableProperties"]
    form.buckets, form.polling_interval, form.overrides = "", "", []
    form.properties = [("replication_num", "1")]
    request, bad = form.check()
    assert bad["aggregationOverrides"] == "No aggregation yet for region"
    assert "duplicate-key" in bad["distributionConfig.type"]
    form.aggregations = [("amount", "SUM"), ("region", "REPLACE")]
    form.distribution_type = "hash"
    form.partition_type, form.partition_column, form.partition_unit = "dateTrunc", "", "month"
    request, bad = form.check()
    assert "must not be empty" in bad["partitionConfig.column"]
    form.partition_type = ""
    request, bad = form.check()
    assert bad == {} and request is not None
    assert request.to_json()["aggregationOverrides"] == {"amount": "SUM", "region": "REPLACE"}
    assert request.to_json()["tableProperties"] == {"replication_num": "1"}
    assert refused_field("cannot create: 'tableName' must match ^[a-z]…") == "tableName"
    assert refused_field("Pipe table 'sales' already exists in 'demo'.") == "tableName"

    spec, bad = check_refresh({"year": "2024", "month": ""}, ["year", "month"])
    assert spec is None and set(bad) == {"month"}
    spec, bad = check_refresh({"year": "2024", "month": "01"}, ["year", "month"])
    assert spec == {"year": "2024", "month": "01"} and bad == {}


# -- the view on the sandbox --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_sales_is_listed_with_its_details(
    open_window: OpenWindow, sandbox: SandboxProcess, screenshot: Any, qtmodeltester: Any
) -> None:
    window, view = await open_window(sandbox)
    assert view.instance == "demo"
    assert "demo" in [view.instance_combo.itemText(i) for i in range(view.instance_combo.count())]
    row = view.model.row_of("sales")
    assert row is not None
    assert view.model.record(row).path_prefix == "sales/"
    if view.current_name() != "sales":
        details = wait_signal(view.details_loaded, 10)
        assert view.select_table("sales")
        await details
    table = view.table_details
    assert isinstance(table, PipeTable) and table.table_name == "sales"
    assert view.details_title.text() == "sales"
    assert view.facts["source"].text() == "sandbox-lake / sales/"
    assert view.facts["hive"].text() == "year, month"
    assert view.facts["key"].text() == "duplicate key (order_id)"
    assert view.facts["polling"].text() == "new files every 1 min"
    demo = view.instance_combo.findData("demo")
    assert view.instance_combo.itemData(demo, Qt.ItemDataRole.ToolTipRole).endswith("\n1 object storage")
    assert "replication_num = 1" in view.facts["properties"].text()
    roles = {r.name: r.role for r in view.columns_model.rows}
    assert roles["order_id"].startswith("key") and roles["month"] == "Hive partition"
    assert view.partition_button.isEnabled() and view.delete_button.isEnabled()
    qtmodeltester.check(view.model)
    qtmodeltester.check(view.columns_model)
    assert "Pipe tables" in [window.tabs.tabText(i) for i in range(window.tabs.count())]
    screenshot(window, "pipe-tables-details")


@pytest.mark.slow
@pytest.mark.asyncio
async def test_create_refused_then_created(
    open_window: OpenWindow, sandbox_factory: Any, screenshot: Any
) -> None:
    sp = sandbox_factory()
    window, view = await open_window(sp)
    window.new_action.trigger()  # Ctrl+N
    dialog = view.dialog
    assert isinstance(dialog, CreatePipeTableDialog) and dialog.isVisible()
    await wait_for(lambda: dialog.storage.currentData() == "sandbox-lake", 10)

    # Refused where typed, with the reason under each field; Create stays disabled.
    QTest.keyClicks(dialog.table_name, "Sales 2024")
    QTest.keyClicks(dialog.path_prefix, "sales/")
    QTest.keyClicks(dialog.columns, "order_id BIGINT, amount DECIMAL(12,2), region")
    dialog.key_type.setCurrentIndex(dialog.key_type.findData("aggregate"))
    QTest.keyClicks(dialog.key_columns, "order_id")
    dialog.fill_aggregations.click()
    assert dialog.aggregations.first_column() == ["amount", "region"]
    dialog.aggregations.set_cell(0, 1, "SUM")
    dialog.distribution_type.setCurrentIndex(dialog.distribution_type.findData("hash"))
    QTest.keyClicks(dialog.buckets, "0")
    QTest.keyClicks(dialog.polling, "-5")
    assert not dialog.create_button.isEnabled()
    assert "lowercase letter" in dialog.fields["tableName"].reason
    assert dialog.fields["aggregationOverrides"].reason == "No aggregation yet for region"
    assert dialog.fields["distributionConfig.buckets"].reason == "Must be at least 1"
    assert dialog.fields["pollingIntervalSeconds"].reason == "Must be at least 0"
    assert dialog.todo.text().startswith("To fix:")
    screenshot(dialog, "pipe-create-refused")

    # What only the service knows: a table of that name exists. Shown at the name field.
    dialog.table_name.setText("sales")
    dialog.key_type.setCurrentIndex(0)
    dialog.buckets.setText("2")
    dialog.polling.setText("3600")
    dialog.columns.clear()
    assert dialog.validate(), dialog.problems()
    dialog.create_button.click()
    await wait_for(lambda: dialog.message.isVisible(), 10)
    assert "already exists" in dialog.message.text()
    assert "already exists" in dialog.fields["tableName"].reason
    assert not dialog.create_button.isEnabled() and dialog.isVisible()

    # A good name: the operation is followed in the Activity panel and the row appears.
    dialog.table_name.setText("sales_copy")  # another name clears the service's reason
    assert dialog.validate(), dialog.problems()
    accepted: list[tuple[str, str]] = []
    dialog.submitted.connect(lambda job: accepted.append((job.remote_id, job.context["table"])))
    dialog.create_button.click()
    entry = await finished(window, "Create pipe table sales_copy")
    assert entry.state == SUCCEEDED, entry.result
    assert accepted and accepted[0][1] == "sales_copy"  # the dialog closed once AI Lake took it
    await wait_for(lambda: view.model.row_of("sales_copy") is not None, 10)
    await wait_for(lambda: view.current_name() == "sales_copy", 5)
    async with lake(sp) as c:
        made = await c.get_pipe_table("demo", "sales_copy")
    assert made.polling_interval_seconds == 3600
    assert made.distribution_config.model_dump()["buckets"] == 2  # type: ignore[union-attr]

    # An aggregate key given only part of the columns: AI Lake fails the operation, which says why.
    view.new_item()
    second = view.dialog
    assert isinstance(second, CreatePipeTableDialog) and second is not dialog
    await wait_for(lambda: second.storage.currentData() == "sandbox-lake", 10)
    second.table_name.setText("sales_agg")
    second.path_prefix.setText("sales/")
    second.key_type.setCurrentIndex(second.key_type.findData("aggregate"))
    second.key_columns.setText("order_id")
    second.aggregations.add_row("amount", "SUM")
    assert second.validate(), second.problems()
    # The columns were not typed: whether every non-key column has an aggregation is AI Lake's to
    # check, and the dialog says so at the field rather than "Ready to create".
    later = "Every non-key column needs one; AI Lake checks this when it reads the files"
    assert second.fields["aggregationOverrides"].reason == later
    assert not second.fields["aggregationOverrides"].refused
    assert "Ready" not in second.todo.text() and "AI Lake checks the aggregations" in second.todo.text()
    screenshot(second, "pipe-create-checked-by-the-service")
    second.create_button.click()
    failed = await finished(window, "Create pipe table sales_agg")
    assert failed.state == FAILED and "aggregat" in failed.result.lower()
    # The service's list of missing columns, in words.
    assert (
        "missing: order_date, customer, region" in failed.result
        and "unit_price, year and month" in failed.result
    )
    assert "['" not in failed.result and "[" not in failed.result
    assert view.model.row_of("sales_agg") is None


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_failed_create_comes_back_to_edit_and_retry(
    open_window: OpenWindow, sandbox_factory: Any, screenshot: Any
) -> None:
    sp = sandbox_factory()
    window, view = await open_window(sp)
    assert not view.retry_bar.isVisible()

    # A reason appearing under a field never moves the fields below it.
    view.new_item()
    dialog = view.dialog
    assert isinstance(dialog, CreatePipeTableDialog)
    await wait_for(lambda: dialog.storage.currentData() == "sandbox-lake", 10)
    below = dialog.fields["columns"]
    before = below.mapTo(dialog, QPoint(0, 0))
    QTest.keyClicks(dialog.table_name, "Not A Name")
    assert "lowercase letter" in dialog.fields["tableName"].reason
    assert below.mapTo(dialog, QPoint(0, 0)) == before
    dialog.buckets.setText("x")
    dialog.distribution_type.setCurrentIndex(dialog.distribution_type.findData("hash"))
    assert below.mapTo(dialog, QPoint(0, 0)) == before

    # Refused at once (the name is taken), then cancelled: what was typed is kept.
    dialog.table_name.setText("sales")
    dialog.path_prefix.setText("sales/year=2024/")
    dialog.buckets.setText("3")
    dialog.polling.setText("600")
    assert dialog.validate(), dialog.problems()
    dialog.create_button.click()
    await wait_for(lambda: dialog.refusal != "", 10)
    assert "already exists" in dialog.refusal
    dialog.reject()
    await wait_for(lambda: view.retry_bar.isVisible(), 5)
    assert view.retry_label.text().startswith("Creating sales in demo failed: AI Lake refused it: Pipe table")

    # New… opens that input, with a way to start blank.
    window.new_action.trigger()
    again = view.dialog
    assert isinstance(again, CreatePipeTableDialog) and again is not dialog
    await wait_for(lambda: again.storage.currentData() == "sandbox-lake", 10)
    assert again.retry_bar.isVisible() and "already exists" in again.retry_note.text()
    assert again.table_name.text() == "sales" and again.path_prefix.text() == "sales/year=2024/"
    assert again.buckets.text() == "3" and again.polling.text() == "600"
    assert again.distribution_type.currentData() == "hash"
    assert "already exists" in again.fields["tableName"].reason or again.validate()
    again.start_blank()
    assert again.table_name.text() == "" and again.path_prefix.text() == "" and again.buckets.text() == ""
    assert again.distribution_type.currentIndex() == 0 and not again.retry_bar.isVisible()
    assert again.properties.rows() == [("replication_num", "1")]
    again.reject()
    assert view.retry_bar.isVisible()  # starting blank lost nothing

    # A create whose operation fails later: its input comes back from the line above the list.
    view.dismiss_failed_create()
    assert not view.retry_bar.isVisible() and view.failed_creates == {}
    view.new_item()
    third = view.dialog
    assert isinstance(third, CreatePipeTableDialog) and not third.retry_bar.isVisible()
    assert third.table_name.text() == ""
    await wait_for(lambda: third.storage.currentData() == "sandbox-lake", 10)
    third.table_name.setText("agg_retry")
    third.path_prefix.setText("sales/")
    third.key_type.setCurrentIndex(third.key_type.findData("aggregate"))
    third.key_columns.setText("order_id, order_date")
    third.aggregations.add_row("amount", "SUM")
    third.aggregations.add_row("quantity", "SUM")
    third.create_button.click()
    failed = await finished(window, "Create pipe table agg_retry")
    assert failed.state == FAILED and "customer, region" in failed.result
    await wait_for(lambda: view.retry_bar.isVisible(), 5)
    assert view.retry_label.text().startswith("Creating agg_retry in demo failed: aggregationOverrides")
    screenshot(window, "pipe-create-failed-retry")
    view.retry_button.click()
    retry = view.dialog
    assert isinstance(retry, CreatePipeTableDialog) and retry is not third
    await wait_for(lambda: retry.storage.currentData() == "sandbox-lake", 10)
    assert retry.table_name.text() == "agg_retry" and retry.key_type.currentData() == "aggregate"
    assert retry.key_columns.text() == "order_id, order_date"
    assert retry.aggregations.rows() == [("amount", "SUM"), ("quantity", "SUM")]
    assert "customer, region" in retry.retry_note.text()
    screenshot(retry, "pipe-create-retry-form")
    # Fixed and sent again: it is created, and the failed input is forgotten.
    retry.columns.setText(
        "order_id, order_date, customer, region, product, channel, quantity, unit_price, amount, year, month"
    )
    retry.fill_aggregations.click()
    for row, (column, _fn) in enumerate(retry.aggregations.rows()):
        if column not in ("amount", "quantity"):
            retry.aggregations.set_cell(row, 1, "MAX")
    assert retry.validate(), retry.problems()
    assert retry.todo.text() == "Ready to create."
    retry.create_button.click()
    await wait_for(lambda: not view.retry_bar.isVisible(), 10)
    assert view.failed_creates == {}
    runs = await wait_for(
        lambda: (
            (r := [e for e in window.ctx.activity.rows if "agg_retry" in e.title])
            and len(r) == 2
            and not r[1].running
            and r
        ),
        60,
    )
    assert runs[1].state == SUCCEEDED, runs[1].result
    await wait_for(lambda: view.model.row_of("agg_retry") is not None, 10)

    # A failed create followed again after a restart of the console still brings its input back.
    form = CreateForm(
        source_storage="sandbox-lake",
        path_prefix="sales/",
        table_name="agg_later",
        key_type="aggregate",
        aggregations=[("amount", "SUM")],
    )
    request, _ = form.check()
    assert request is not None
    async with lake(sp) as c:
        op_id = await c.create_pipe_table("demo", request)
    job = TrackedJob(
        kind=AILAKE_OPERATION,
        profile=LAKE,
        remote_id=op_id,
        title="Create pipe table agg_later in demo",
        action="create",
        context={"instance": "demo", "table": "agg_later", "form": form.to_json()},
        done="created and its files loaded",
    )
    assert view.resume(job)
    later = await finished(window, "Create pipe table agg_later")
    assert later.state == FAILED
    await wait_for(lambda: "agg_later" in view.retry_label.text(), 5)
    view.new_item()
    resumed = view.dialog
    assert isinstance(resumed, CreatePipeTableDialog)
    assert resumed.table_name.text() == "agg_later" and resumed.aggregations.rows() == [("amount", "SUM")]
    resumed.reject()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_list_pages_in_as_the_user_scrolls(
    open_window: OpenWindow, sandbox_factory: Any, screenshot: Any
) -> None:
    sp = sandbox_factory()
    names = [f"bulk_{i:02d}" for i in range(30)]
    async with lake(sp) as c:
        ops = [
            await c.create_pipe_table(
                "demo",
                {
                    "pathPrefix": "sales/year=2024/month=01/",
                    "sourceStorageName": "sandbox-lake",
                    "tableName": n,
                    "pollingIntervalSeconds": 3600,
                },
            )
            for n in names
        ]
        await asyncio.gather(*(c.wait(op, timeout=120) for op in ops))
    window, view = await open_window(sp, page_size=5)
    pages = view.list_pane.pages
    assert pages is not None and pages.total == 31
    # The view asks for pages while its last row is in sight, then waits for the user.
    await wait_for(lambda: not view.model.fetching and view.model.rowCount() > 5, 10)
    await asyncio.sleep(0.3)
    shown = view.model.rowCount()
    assert shown < 31 and view.model.more and "scroll down for more" in view.count_label.text()
    screenshot(window, "pipe-tables-paging")
    while view.model.more or view.model.fetching:
        before = view.model.rowCount()
        view.table.scrollToBottom()
        await wait_for(lambda b=before: view.model.rowCount() > b or not view.model.more, 10)
    assert view.model.rowCount() == 31 and pages.pages_read == 7
    assert sorted(r.table_name for r in view.model.rows) == sorted([*names, "sales"])
    assert view.count_label.text() == "31 pipe tables"

    # Filter (Ctrl+F) and sort.
    window.find_action.trigger()
    assert QApplication.focusWidget() is view.filter
    QTest.keyClicks(view.filter, "bulk_1")
    assert view.proxy.rowCount() == 10
    assert view.count_label.text().startswith("10 match")
    view.filter.clear()
    view.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert view.proxy.index(0, 0).data() == "sales"
    assert view.proxy.index(1, 0).data() == "bulk_29"
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert view.proxy.index(0, 0).data() == "bulk_00"

    # F5 starts again from the first page, keeping the selected table.
    assert view.select_table("bulk_07")
    reloaded = wait_signal(view.loaded, 20)
    window.refresh_action.trigger()
    await reloaded
    assert view.current_name() == "bulk_07" and view.model.rowCount() == 31


@pytest.mark.slow
@pytest.mark.asyncio
async def test_refresh_partition_analyze_and_delete(
    open_window: OpenWindow, sandbox_factory: Any, screenshot: Any
) -> None:
    sp = sandbox_factory()
    window, view = await open_window(sp)
    assert view.current_name() == "sales" and view.table_details is not None

    # Refresh a partition through the form built from the partition columns.
    view.partition_button.click()
    dialog = view.dialog
    assert isinstance(dialog, RefreshPartitionDialog)
    assert list(dialog.edits) == ["year", "month"]
    assert not dialog.refresh_button.isEnabled()
    QTest.keyClicks(dialog.edits["year"], "2024")
    QTest.keyClicks(dialog.edits["month"], "01/02")
    assert "no '/'" in dialog.fields["month"].reason and not dialog.refresh_button.isEnabled()
    dialog.edits["month"].setText("02")
    assert dialog.refresh_button.isEnabled()
    assert dialog.folder.text() == "sales/year=2024/month=02/"
    screenshot(dialog, "pipe-refresh-form")
    dialog.refresh_button.click()
    entry = await finished(window, "Refresh sales partition year=2024/month=02")
    assert entry.state == SUCCEEDED, entry.result
    assert sp.query("select count(*) from sales", db="demo") == [[890]]

    # A partition that has no files in the storage: the refresh is not reported as done.
    view.partition_button.click()
    empty = view.dialog
    assert isinstance(empty, RefreshPartitionDialog) and empty is not dialog
    assert "does not list the folders" in empty.findChild(QLabel).text()
    QTest.keyClicks(empty.edits["year"], "2099")
    QTest.keyClicks(empty.edits["month"], "01")
    assert empty.folder.text() == "sales/year=2099/month=01/"
    empty.refresh_button.click()
    entry = await finished(window, "Refresh sales partition year=2099/month=01")
    assert entry.state == FAILED
    assert entry.result.startswith("No files found for partition year=2099/month=01: nothing was loaded")
    assert "s3://sandbox-lake/sales/year=2099/month=01/*.parquet" in entry.result
    assert sp.query("select count(*) from sales", db="demo") == [[890]]

    # ANALYZE the selected table, then every table.
    view.analyze_button.click()
    analyze = view.dialog
    assert isinstance(analyze, AnalyzeDialog) and analyze.only_selected.isChecked()
    analyze.analyze_button.click()
    entry = await finished(window, "Analyze sales")
    assert entry.state == SUCCEEDED and entry.result == "1 table analyzed"
    view.analyze()
    every = view.dialog
    assert isinstance(every, AnalyzeDialog) and every is not analyze
    every.every_table.setChecked(True)
    every.analyze_button.click()
    entry = await finished(window, "Analyze every table of demo")
    assert entry.state == SUCCEEDED and "tables analyzed" in entry.result

    screenshot(window, "pipe-tables-activity")

    # Delete (the Delete key's action), confirmed.
    window.delete_action.trigger()
    box = view.confirm_box
    assert isinstance(box, QMessageBox) and "sales" in box.text()
    yes = box.button(QMessageBox.StandardButton.Yes)
    assert yes is not None
    yes.click()
    entry = await finished(window, "Delete pipe table sales of demo")
    assert entry.state == SUCCEEDED, entry.result
    await wait_for(lambda: view.model.row_of("sales") is None, 5)
    assert view.table_details is None and not view.delete_button.isEnabled()
    assert "no pipe tables" in view.details_title.text() or view.model.rowCount() == 0


@pytest.mark.slow
@pytest.mark.asyncio
async def test_cancel_stops_waiting_for_an_operation(open_window: OpenWindow, sandbox_factory: Any) -> None:
    sp = sandbox_factory("--operation-seconds", "30")
    window, view = await open_window(sp)
    view.analyze()
    dialog = view.dialog
    assert isinstance(dialog, AnalyzeDialog)
    dialog.analyze_button.click()
    await wait_for(lambda: entry_titled(window, "Analyze sales") is not None, 10)
    entry = entry_titled(window, "Analyze sales")
    assert entry is not None
    await wait_for(lambda: "pending" in entry.detail, 10)
    window.activity_panel.cancel(entry)
    await wait_for(lambda: entry.state == CANCELLED, 5)
    assert "goes on in AI Lake" in entry.result


def test_what_the_view_says_reads_as_words() -> None:
    assert plural(1, "database") == "1 database" and plural(2, "database") == "2 databases"
    assert plural(0, "pipe table") == "0 pipe tables"
    assert words([]) == "" and words(["a"]) == "a" and words(["a", "b", "c"]) == "a, b and c"
    assert sentence("must be at least 1") == "Must be at least 1" and sentence("is required") == "Required"
    assert sentence("aggregationOverrides must give") == "aggregationOverrides must give"
    assert sentence("order_id is missing") == "order_id is missing"
    # Lists the service writes as code (Python's, JSON's, Java's) become words; nothing else moves.
    assert readable("missing: ['customer', 'amount'].") == "missing: customer and amount."
    assert readable('keys ["month"] must match [year, month]') == "keys month must match year and month"
    assert (
        readable("'tableName' must match ^[a-z][a-z0-9_-]{0,62}$")
        == "'tableName' must match ^[a-z][a-z0-9_-]{0,62}$"
    )
    assert (
        readable("Distribution column[region] is not key column.")
        == "Distribution column[region] is not key column."
    )
    assert describe_polling(0) == "new files at the service's default interval"
    assert describe_polling(None) == "new files at the service's default interval"
    assert describe_polling(7200) == "new files every 2 h" and describe_polling(45) == "new files every 45 s"

    from gui.api.ailake import SucceededOperation

    nothing = SucceededOperation(
        id="x", kind="refresh-partition", status="succeeded", result={"filesLoaded": 0, "rowsLoaded": 0}
    )
    assert (
        refresh_summary(nothing, "day=1", "done") == "no files found for partition day=1: nothing was loaded"
    )
    some = SucceededOperation(id="x", kind="refresh-partition", status="succeeded", result={"filesLoaded": 2})
    assert refresh_summary(some, "day=1", "done") == "2 files loaded"
    bare = SucceededOperation(id="x", kind="refresh-partition", status="succeeded")
    assert refresh_summary(bare, "day=1", "reloaded") == "reloaded"
    assert refresh_failure("Table 'x' no longer exists.", "day=1") == "Table 'x' no longer exists."

    # The create form kept with its operation comes back as typed.
    form = CreateForm(
        source_storage="sandbox-lake",
        path_prefix="sales/",
        table_name="agg",
        key_type="aggregate",
        aggregations=[("amount", "SUM")],
        expressions=[("buyers", "HLL_HASH", "customer")],
        properties=[("replication_num", "1")],
    )
    assert CreateForm.from_json(form.to_json()) == form
    assert CreateForm.from_json("not json") is None and CreateForm.from_json("[1]") is None
    assert form.checked_by_service() == ["the aggregations", "the column names"]
    form.columns = "order_id, amount"
    assert form.checked_by_service() == []
    assert CreateForm(source_storage="s", path_prefix="p/", table_name="t").checked_by_service() == []


def test_operation_summary_in_words() -> None:
    from gui.api.ailake import SucceededOperation

    op = SucceededOperation(
        id="x", kind="analyze-statistics", status="succeeded", result={"tablesAnalyzed": 3}
    )
    assert operation_summary(op) == "3 tables analyzed"
    assert operation_summary(SucceededOperation(id="x", kind="k", status="succeeded")) == "done"
