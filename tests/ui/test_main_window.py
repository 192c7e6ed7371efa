"""The main window on the sandbox: connections sidebar, dashboard, Activity panel, state restored,
profile dialog with its field checks, secrets only in the keyring."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import SandboxProcess, module_sandbox
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit
from qt_helpers import wait_for, wait_signal

from gui.services.credentials import Credentials
from gui.services.profiles import ProfileStore
from gui.services.session import ConsoleSession
from gui.ui.activity import ActivityModel
from gui.ui.context import UiContext
from gui.ui.dialogs.profile import ProfileDialog
from gui.ui.main_window import MainWindow
from gui.ui.models.table import Role
from gui.ui.views.dashboard import DashboardView
from gui.ui.widgets.badge import status_color

sandbox = module_sandbox("main-window-sandbox")


@pytest_asyncio.fixture
async def window(
    console_window: Any, sandbox: SandboxProcess, tmp_path: Path, secret_service: Any
) -> MainWindow:
    session = ConsoleSession(ProfileStore(tmp_path / "profiles.json"), Credentials())
    w: MainWindow = console_window([DashboardView], sandbox, session=session, size=(1200, 760))
    return w


@pytest.mark.asyncio
async def test_dashboard_shows_the_sandbox_cluster(
    window: MainWindow, sandbox: SandboxProcess, screenshot: Any
) -> None:
    sandbox.query("select count(*) from orders", db="demo")  # a query for the counters to show
    dash = window.view(DashboardView)
    loaded = wait_signal(dash.loaded, 20)
    assert window.connections.select("Sandbox StarRocks")
    await loaded
    assert dash.backends.rowCount() == 1
    assert "1/1 backends alive" in dash.heading.text()
    # The cluster's own figures: the FE's query rate and latency quantiles, the BE's disks.
    assert dash.shown is not None and dash.shown.figures.get("qps") is not None
    assert dash.shown.figures.get("query_p99_ms") is not None and dash.nodes.disks.rowCount() >= 1
    assert "Sandbox StarRocks" in window.connection_label.text()
    screenshot(window, "dashboard")


@pytest.mark.slow
@pytest.mark.asyncio
async def test_dashboard_of_a_stopped_cluster_keeps_no_green_badge(
    console_window: Any, sandbox_factory: Any, secret_service: Any, screenshot: Any
) -> None:
    sb: SandboxProcess = sandbox_factory()
    window = console_window([DashboardView], sb, size=(1024, 700))
    dash = window.view(DashboardView)
    loaded = wait_signal(dash.loaded, 20)
    assert window.connections.select("Sandbox StarRocks")
    await loaded
    badge = dash.backends.index(0, 2)
    assert badge.data() == "alive" and badge.data(Role.BADGE) == status_color("normal")
    sb.stop()
    window.refresh_action.trigger()
    await wait_for(lambda: not dash.table.isEnabled(), 30)
    # What the cluster said before it went away is still shown, but no longer as good news.
    assert dash.backends.index(0, 2).data(Role.BADGE) == status_color("unknown")
    assert "stale" in dash.heading.text() and dash.table.toolTip().startswith("Stale: as of ")
    screenshot(window, "dashboard-stale-1024x700")


@pytest.mark.slow
@pytest.mark.asyncio
async def test_profile_dialog_checks_fields_and_keeps_secrets_in_the_keyring(
    window: MainWindow, sandbox_factory: Any, tmp_path: Path, screenshot: Any, caplog: Any
) -> None:
    # A password no log line or path could contain by chance.
    sandbox = sandbox_factory("--fe-password", "Qx7-unlikely-S3cret")
    caplog.set_level(logging.DEBUG)
    ctx = window.ctx
    dialog = ProfileDialog(ctx, "starrocks", None, window)
    dialog.open()
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    dialog.name.setText("bad name!")
    dialog.url.setText("not-a-url")
    assert not dialog.validate()
    assert not save.isEnabled()
    assert "letters, digits" in dialog.fields["name"].error.text()
    assert "https://host:port" in dialog.fields["url"].error.text()
    screenshot(dialog, "profile-dialog-refused")
    dialog.name.setText("lab cluster")
    dialog.url.setText(sandbox.url)
    dialog.user.setText(sandbox.auth[0])
    dialog.password.setText(sandbox.auth[1])
    assert dialog.validate() and save.isEnabled()
    dialog.test_button.click()
    await wait_for(lambda: dialog.test_result.text().startswith(("✓", "✗")), 20)
    assert dialog.test_result.text().startswith("✓"), dialog.test_result.text()
    screenshot(dialog, "profile-dialog-tested")
    saved = wait_signal(dialog.saved, 10)
    save.click()
    profile = await saved
    assert profile.name == "lab cluster"
    # The secret is in the OS keyring (Secret Service), not in the settings file.
    assert ctx.session.credentials.persistent
    assert await ctx.session.credentials.aget("lab cluster/password") == sandbox.auth[1]
    stored = (tmp_path / "profiles.json").read_text()
    assert "lab cluster" in stored and sandbox.auth[1] not in stored
    assert sandbox.auth[1] not in caplog.text
    for edit in dialog.findChildren(QLineEdit):
        if edit.echoMode() == QLineEdit.EchoMode.Password:
            assert edit.displayText() != sandbox.auth[1]
    await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_window_state_is_restored(
    sandbox: SandboxProcess, tmp_path: Path, settings: QSettings, secret_service: Any
) -> None:
    session = ConsoleSession(ProfileStore(tmp_path / "p.json"), Credentials())
    ctx = UiContext(session=session, activity=ActivityModel())
    first = MainWindow(ctx, [DashboardView], settings)
    first.resize(790, 560)  # inside the offscreen screen (800x600)
    first.show()
    first.activity_dock.hide()
    first.close()
    await first.aclose()
    second = MainWindow(UiContext(session=session, activity=ActivityModel()), [DashboardView], settings)
    second.show()
    assert (second.width(), second.height()) == (790, 560)
    assert not second.activity_dock.isVisible()
    second.close()
    await second.aclose()


@pytest.mark.asyncio
async def test_activity_panel_tracks_and_cancels_jobs(window: MainWindow, screenshot: Any) -> None:
    model = window.ctx.activity
    cancelled = asyncio.Event()

    async def job() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    task = window.ctx.run(job(), key="job")
    await asyncio.sleep(0.05)  # the job is under way
    entry = model.start("Loading orders.csv", cancel=task.cancel)
    entry.update(0.4, "chunk 2 of 5")
    done = model.start("Create instance htap-1")
    done.succeed("normal after 42 s")
    failed = model.start("Refresh partition")
    failed.fail("partition keys differ")
    screenshot(window.activity_panel, "activity-panel")
    assert window.activity_panel.summary.text() == "1 running, 2 finished"
    window.activity_panel.cancel(entry)
    await asyncio.wait_for(cancelled.wait(), 5)
    assert task.cancelled() or task.done()
    entry.cancelled()
    assert not model.running()
