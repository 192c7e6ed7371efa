"""The StarRocks instances and AI Lake databases views on the sandbox, driven as a person would: the
seeded TaurusDB and StarRocks instances with their details, filter and sorting; the create wizard
refusing a bad name, volume and password with the reasons, then creating an instance followed in the
Activity panel until it is normal; a restart refused (with the service's reason) while a resize
runs; delete after typing the name; AI Lake databases provisioned and deprovisioned with cascade."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from conftest import SandboxProcess
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox, QWizard
from qt_helpers import entry_titled, finished, wait_for, wait_signal

from gui.services.instance_forms import CreateForm, check_create, password_rules
from gui.ui.activity import CANCELLED, FAILED, SUCCEEDED
from gui.ui.main_window import MainWindow
from gui.ui.models.instances import COL_STATUS
from gui.ui.models.table import Role
from gui.ui.views.base import View
from gui.ui.views.instances import InstancesView
from gui.ui.views.lake_databases import LakeDatabasesView

HUAWEI, LAKE = "Sandbox Huawei Cloud", "Sandbox AI Lake"


async def open_view(
    console_window: Any, sandbox: SandboxProcess, cls: type[View] = InstancesView, profile: str = HUAWEI
) -> tuple[MainWindow, Any]:
    """A window with one view on a sandbox, one profile selected and its data on screen."""
    window = console_window([cls], sandbox)
    view = window.view(cls)
    loaded = wait_signal(view.loaded, 30)
    assert window.connections.select(profile)
    await loaded
    return window, view


def error_dialog(window: MainWindow) -> QMessageBox | None:
    box = window.findChild(QMessageBox, "errorDialog")
    return box if isinstance(box, QMessageBox) and box.isVisible() else None


def status_of(view: Any, name: str) -> str | None:
    row = next((r for r in view.tree_model.rows() if r.name == name), None)
    return row.status if row else None


@pytest.mark.asyncio
async def test_seeded_instances_details_filter_and_sorting(
    console_window: Any, sandbox: SandboxProcess, screenshot: Any, qtmodeltester: Any
) -> None:
    window = console_window([InstancesView, LakeDatabasesView], sandbox)
    view = window.view(InstancesView)
    loaded = wait_signal(view.loaded, 30)
    assert window.connections.select(HUAWEI)
    await loaded
    assert window.current_view() is view
    assert {g.name for g in view.tree_model.groups()} >= {"taurus-sandbox", "taurus-reporting"}
    row = next(r for r in view.tree_model.rows() if r.name == "htap-sandbox")
    assert (row.status, row.ha_mode, row.engine_version) == ("normal", "Cluster", "3.1.6.0")
    assert (row.fe.count, row.be.count) == (3, 3)
    assert row.fe.flavor == "4 vCPUs, 16 GB" and row.be.flavor == "4 vCPUs, 16 GB"
    assert (row.az, row.region) == ("cn-north-4a", "cn-north-4")
    assert row.created is not None
    # What is on screen: the status cell is a coloured badge, the columns are the issue's.
    status = view.tree_proxy.mapFromSource(view.tree_model.find(row.id, COL_STATUS))
    assert status.data() == "normal" and isinstance(status.data(Role.BADGE), QColor)
    headers = [view.tree_model.headerData(i, Qt.Orientation.Horizontal) for i in range(9)]
    assert headers == [
        "Name",
        "Status",
        "Engine",
        "HA mode",
        "FE nodes",
        "BE nodes",
        "AZ",
        "Region",
        "Created",
    ]
    fe = view.tree_proxy.mapFromSource(view.tree_model.find(row.id, 4))
    assert fe.data() == "3 × 4 vCPUs, 16 GB" and "gaussdb.sr-fe" in fe.data(Qt.ItemDataRole.ToolTipRole)
    # The details pane shows the selected instance and its nodes.
    assert view.select_instance("htap-sandbox")
    assert view.details.title.text() == "StarRocks instance htap-sandbox"
    assert "taurus-sandbox" in view.details.overview.text()
    assert "3 × 4 vCPUs, 16 GB, SSD 100 GB" in view.details.overview.text()
    assert view.details.nodes.rowCount() == 6
    assert view.restart_button.isEnabled() and view.resize_button.isEnabled()
    assert "2 TaurusDB instances" in view.heading.text()
    qtmodeltester.check(view.tree_model)
    screenshot(window, "instances-view")
    view.details.tabs.setCurrentIndex(1)
    assert view.details.tabs.tabText(1) == "Nodes (6)"
    screenshot(view, "instances-nodes")
    view.details.tabs.setCurrentIndex(0)

    # Ctrl+F goes to the filter; the tree keeps a TaurusDB instance whose StarRocks instance matches.
    window.activateWindow()
    window.find_action.trigger()
    assert view.filter.hasFocus()
    QTest.keyClicks(view.filter, "htap-sand")
    assert view.tree_proxy.rowCount() == 1
    top = view.tree_proxy.index(0, 0)
    assert top.data() == "taurus-sandbox" and view.tree_proxy.rowCount(top) == 1
    view.filter.setText("reporting")
    assert view.tree_proxy.rowCount() == 1 and view.tree_proxy.index(0, 0).data() == "taurus-reporting"
    view.filter.clear()
    # Sorting by name, both ways; the selection stays on its instance.
    assert view.select_instance("htap-sandbox")
    view.tree.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert view.tree_proxy.index(0, 0).data() == "taurus-sandbox"
    view.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert view.tree_proxy.index(0, 0).data() == "taurus-reporting"
    assert view.selected_instance() is not None and view.selected_instance().name == "htap-sandbox"  # type: ignore[union-attr]

    # An AI Lake profile lists its databases in their own view, brought to the front.
    lake = window.view(LakeDatabasesView)
    loaded = wait_signal(lake.loaded, 20)
    assert window.connections.select(LAKE)
    await loaded
    assert window.current_view() is lake
    demo = next(r for r in lake.model.rows if r.name == "demo")
    assert demo.storages == ("sandbox-lake",) and demo.state == "active"
    assert lake.select_database("demo") and "sandbox-lake" in lake.details.text()
    qtmodeltester.check(lake.model)
    screenshot(window, "lake-databases")
    assert error_dialog(window) is None


def test_create_form_reasons() -> None:
    """The form's reasons per field, without a window."""
    _req, bad = check_create(CreateForm(name="1x", fe_gb=55, password="short"))
    assert bad["name"] == "the name must be 4 to 64 characters long"
    assert bad["fe_gb"] == "FE storage must be 50 to 1000 GB in steps of 10 GB"
    assert bad["password"] == "the root password must be 8 to 32 characters long"
    assert bad["taurus"].startswith("choose the TaurusDB instance")
    rules = dict(password_rules("abcdefgh1"))
    assert [ok for ok in rules.values()] == [True, True, False]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_create_wizard_refuses_fields_then_creates(
    console_window: Any, sandbox_factory: Any, screenshot: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    sb = sandbox_factory()
    window, view = await open_view(console_window, sb)
    assert view.select_instance("taurus-sandbox")
    window.new_action.trigger()  # Ctrl+N
    wizard = view.wizard
    await wait_for(lambda: wizard.loaded, 20)
    assert wizard.group() is not None and wizard.group().name == "taurus-sandbox"  # type: ignore[union-attr]
    next_button = wizard.button(QWizard.WizardButton.NextButton)

    # Page 1: the name.
    wizard.instance_page.name.setText("1htap")
    assert wizard.fields["name"].error.text() == "the name must start with a letter"
    assert not next_button.isEnabled()
    wizard.instance_page.name.setText("htap-new.1")
    assert "only letters, digits, hyphens" in wizard.fields["name"].error.text()
    screenshot(wizard, "instance-wizard-refused-name")
    wizard.instance_page.name.setText("htap-new")
    assert wizard.fields["name"].error.isHidden() and next_button.isEnabled()
    assert wizard.instance_page.time_zone.currentText() == "UTC+08:00"
    wizard.next()

    # Page 2: volumes and the zone's flavors and storage, from the API.
    assert wizard.currentPage() is wizard.pages["nodes"]
    wizard.nodes_page.fe.gb.setValue(55)
    assert wizard.fields["fe_gb"].error.text() == "FE storage must be 50 to 1000 GB in steps of 10 GB"
    wizard.nodes_page.be.gb.setValue(40000)
    assert wizard.fields["be_gb"].error.text() == "BE storage must be 50 to 32000 GB in steps of 10 GB"
    wizard.nodes_page.fe.count.setValue(2)
    assert wizard.fields["fe_count"].error.text() == "a Single instance has exactly 1 FE node"
    assert not next_button.isEnabled()
    screenshot(wizard, "instance-wizard-refused-nodes")
    wizard.nodes_page.fe.count.setValue(1)
    wizard.nodes_page.fe.gb.setValue(60)
    wizard.nodes_page.be.gb.setValue(200)
    assert next_button.isEnabled()
    wizard.next()

    # Page 3: the password, its rules ticked off as typed.
    assert "8 to 32 characters" in wizard.password_page.rules.text()
    wizard.password_page.password.setText("short")
    assert wizard.fields["password"].error.text() == "the root password must be 8 to 32 characters long"
    wizard.password_page.password.setText("alllowercase1")
    assert "at least three of" in wizard.fields["password"].error.text()
    assert "✗" in wizard.password_page.rules.text()
    screenshot(wizard, "instance-wizard-refused-password")
    wizard.password_page.password.setText("Lake#2026 x")
    assert "only letters, digits and these special characters" in wizard.fields["password"].error.text()
    wizard.password_page.password.setText("Lake#2026xQ")
    wizard.password_page.confirm.setText("Lake#2026xR")
    assert wizard.fields["confirm"].error.text() == "the two passwords differ"
    assert not next_button.isEnabled()
    wizard.password_page.confirm.setText("Lake#2026xQ")
    assert "✗" not in wizard.password_page.rules.text() and next_button.isEnabled()

    # Page 4: the resource check runs first, then Create.
    checked = wait_signal(wizard.checked, 20)
    wizard.next()
    assert await checked is True
    assert "room for this instance" in wizard.review_page.check_label.text()
    summary = wizard.review_page.summary.text()
    assert "htap-new" in summary and "Lake#2026xQ" not in summary
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert finish.isEnabled()
    screenshot(wizard, "instance-wizard-filled")
    finish.click()

    await wait_for(lambda: status_of(view, "htap-new") == "creating", 20)
    entry = await finished(window, "Create htap-new")
    assert entry.state == SUCCEEDED, entry.result
    assert entry.progress == 1.0 and "created" in entry.result
    assert status_of(view, "htap-new") == "normal"
    created = next(r for r in view.tree_model.rows() if r.name == "htap-new")
    assert (created.ha_mode, created.fe.count, created.be.volume_gb) == ("Single", 1, "200")
    screenshot(window, "instances-created")
    assert error_dialog(window) is None
    # The root password went to Huawei Cloud only: not to a log line, the Activity panel or a label.
    assert "Lake#2026xQ" not in caplog.text
    assert all("Lake#2026xQ" not in f"{e.result} {e.detail} {e.raw}" for e in window.ctx.activity.rows)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_restart_refused_during_resize_then_delete(
    console_window: Any, sandbox_factory: Any, screenshot: Any
) -> None:
    # Jobs of 2 s leave time to try a restart while the resize runs.
    sb = sandbox_factory("--job-seconds", "2")
    window, view = await open_view(console_window, sb)
    assert view.select_instance("htap-sandbox")

    view.resize_button.click()
    dialog = view.resize_dialog
    await wait_signal(dialog.loaded, 20)
    assert not dialog.resize_button.isEnabled()  # nothing changed yet
    # A flavor not offered in the instance's zone is refused with the reason.
    arm = next(f for f in dialog.flavors if ".arm." in (f.spec_code or ""))
    dialog.be.setCurrentIndex(dialog.be.findData(arm.id))
    assert dialog.fields["be"].error.text() == f"{arm.spec_code} is not offered in cn-north-4a"
    assert not dialog.resize_button.isEnabled()
    bigger = next(
        f
        for f in dialog.flavors
        if f.spec_code == "gaussdb.sr-be.2xlarge.x86.4" and f.instance_mode == "Cluster"
    )
    dialog.be.setCurrentIndex(dialog.be.findData(bigger.id))
    assert dialog.resize_button.isEnabled()
    dialog.resize_button.click()
    await wait_for(lambda: entry_titled(window, "Resize htap-sandbox") is not None, 10)
    await wait_for(lambda: status_of(view, "htap-sandbox") == "resizing", 10)

    # While the resize runs, the service would refuse a restart, a resize or a delete: the actions
    # are not offered, and say why where the user looks (tooltip and details pane).
    for button in (view.restart_button, view.resize_button, view.delete_button):
        assert not button.isEnabled()
        assert "A resize is running on htap-sandbox" in button.toolTip()
    notice = view.details.notice
    assert notice.isVisible() and "refuses a restart, resize or delete" in notice.text()
    window.delete_action.trigger()  # Delete on the keyboard is refused the same way: nothing opens
    assert error_dialog(window) is None and entry_titled(window, "Restart htap-sandbox") is None
    screenshot(window, "instances-restart-refused")

    resized = await finished(window, "Resize htap-sandbox")
    assert resized.state == SUCCEEDED, resized.result
    row = next(r for r in view.tree_model.rows() if r.name == "htap-sandbox")
    assert row.be.flavor == "8 vCPUs, 32 GB" and row.status == "normal"

    # A restart, now accepted; Cancel in the Activity panel stops following it (the job goes on).
    view.restart_button.click()
    view.restart_box.button(QMessageBox.StandardButton.Yes).click()
    await wait_for(lambda: entry_titled(window, "Restart htap-sandbox") is not None, 10)
    restart = entry_titled(window, "Restart htap-sandbox")
    assert restart is not None and restart.cancel is not None
    await wait_for(lambda: status_of(view, "htap-sandbox") == "rebooting", 10)
    assert "A restart is running on htap-sandbox" in view.details.notice.text()
    assert not view.restart_button.isEnabled()
    window.activity_panel.cancel(restart)
    await wait_for(lambda: not restart.running, 5)
    assert restart.state == CANCELLED and "goes on in Huawei Cloud" in restart.result

    # F5 until the restart has ended in the cloud.
    async def settled() -> bool:
        window.refresh_action.trigger()
        await asyncio.sleep(0.4)
        return status_of(view, "htap-sandbox") == "normal"

    for _ in range(30):
        if await settled():
            break
    assert status_of(view, "htap-sandbox") == "normal"

    # Delete: the instance's name must be typed.
    window.delete_action.trigger()  # the Delete key
    delete = view.delete_dialog
    assert not delete.delete_button.isEnabled()
    QTest.keyClicks(delete.confirm, "htap-sandbix")
    assert not delete.delete_button.isEnabled() and "not the instance's name" in delete.outcome.text()
    delete.confirm.setText("htap-sandbox")
    assert delete.delete_button.isEnabled()
    screenshot(delete, "instance-delete-confirm")
    delete.delete_button.click()
    await wait_for(lambda: status_of(view, "htap-sandbox") == "deleting", 10)
    deleted = await finished(window, "Delete htap-sandbox")
    assert deleted.state == SUCCEEDED, deleted.result
    assert status_of(view, "htap-sandbox") is None


@pytest.mark.slow
@pytest.mark.asyncio
async def test_ailake_provision_and_deprovision(
    console_window: Any, sandbox_factory: Any, screenshot: Any
) -> None:
    sb = sandbox_factory()
    window, view = await open_view(console_window, sb, LakeDatabasesView, LAKE)
    assert window.current_view() is view

    window.new_action.trigger()  # Ctrl+N in the AI Lake databases view
    dialog = view.provision_dialog
    await wait_signal(dialog.loaded, 20)
    dialog.name.setText("demo")
    assert dialog.fields["name"].error.text() == "a database instance named 'demo' exists"
    assert not dialog.ok.isEnabled()
    dialog.name.setText("lake_two")
    item = next(
        dialog.storage_list.item(i)
        for i in range(dialog.storage_list.count())
        if dialog.storage_list.item(i).text().startswith("sandbox-lake")
    )
    item.setCheckState(Qt.CheckState.Checked)
    assert dialog.ok.isEnabled()
    screenshot(dialog, "ailake-provision")
    dialog.ok.click()
    provisioned = await finished(window, "Provision database lake_two")
    assert provisioned.state == SUCCEEDED, provisioned.result
    await wait_for(lambda: (r := view.model.row_of("lake_two")) is not None and r >= 0, 10)
    await wait_for(
        lambda: view.select_database("lake_two") and view.selected_database().state == "active", 10
    )  # type: ignore[union-attr]
    assert view.selected_database().storages == ("sandbox-lake",)  # type: ignore[union-attr]

    # "demo" still has its pipe table: without cascade the service refuses, and says why.
    assert view.select_database("demo")
    window.delete_action.trigger()
    refuse = view.deprovision_dialog
    await wait_signal(refuse.loaded, 20)
    assert "sales" in refuse.contents.text()
    refuse.confirm.setText("demo")
    screenshot(refuse, "ailake-deprovision-confirm")
    refuse.ok.click()
    failed = await finished(window, "Deprovision database demo")
    assert failed.state == FAILED and "not empty" in failed.result
    # The operation's end is told in its Activity entry: background work opens no dialog.
    assert error_dialog(window) is None
    await wait_for(lambda: view.model.row_of("demo") is not None and view.select_database("demo"), 10)
    assert view.selected_database().state == "active"  # type: ignore[union-attr]

    # With cascade it goes.
    assert view.select_database("lake_two")
    view.deprovision_button.click()
    dialog2 = view.deprovision_dialog
    await wait_signal(dialog2.loaded, 20)
    assert not dialog2.ok.isEnabled()
    dialog2.cascade.setChecked(True)
    dialog2.confirm.setText("lake_two")
    assert dialog2.ok.isEnabled()
    dialog2.ok.click()
    gone = await finished(window, "Deprovision database lake_two (cascade)")
    assert gone.state == SUCCEEDED, gone.result
    await wait_for(lambda: view.model.row_of("lake_two") is None, 10)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_one_node_restarted_from_the_nodes_tab(
    console_window: Any, sandbox_factory: Any, screenshot: Any
) -> None:
    sb = sandbox_factory("--job-seconds", "2")
    window, view = await open_view(console_window, sb)
    assert view.select_instance("htap-sandbox")
    details = view.details
    details.tabs.setCurrentIndex(1)
    assert not details.restart_node_button.isEnabled()  # no node chosen yet
    be_row = next(r for r in range(details.nodes.rowCount()) if details.nodes.record(r).type == "be")
    node = details.nodes.record(be_row)
    details.nodes_view.setCurrentIndex(details.nodes.index(be_row, 0))
    assert details.restart_node_button.isEnabled()
    details.restart_node_button.click()
    box = view.restart_box
    assert node.name in box.text() and "other nodes keep serving" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    title = f"Restart node {node.name} of htap-sandbox"
    await wait_for(lambda: entry_titled(window, title) is not None, 10)

    def node_status() -> str:
        at = details.nodes.row_of(node.id)
        return "" if at is None else str(details.nodes.index(at, 2).data())

    await wait_for(lambda: node_status() == "rebooting", 10)
    others = [
        details.nodes.record(r) for r in range(details.nodes.rowCount()) if r != details.nodes.row_of(node.id)
    ]
    assert others and all(o.status == "normal" and not o.actions for o in others)
    screenshot(window, "instances-node-restart")
    entry = await finished(window, title)
    assert entry.state == SUCCEEDED and entry.result.startswith(f"node {node.name} of htap-sandbox restarted")
    await wait_for(lambda: node_status() == "normal", 10)
