"""Work the user did not start never opens a dialog: a refresh of a stopped cluster says so inline,
with the time of the last good data, and repeated failures are one counted notification; following a
cloud job through a network cut says "interrupted — retrying" and goes on to the job's real end."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SandboxProcess
from faultproxy import FaultProxy, Rule
from PySide6.QtWidgets import QApplication, QMessageBox
from qt_helpers import entry_titled, finished, wait_for, wait_signal

from gui.ui.activity import SUCCEEDED
from gui.ui.views.dashboard import DashboardView
from gui.ui.views.instances import InstancesView


def open_dialogs() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_stopped_cluster_is_reported_inline_and_once(
    console_window: Any, sandbox_factory: Any, secret_service: Any, screenshot: Any
) -> None:
    sb: SandboxProcess = sandbox_factory()
    window = console_window([DashboardView], sb, size=(1024, 700))
    dash = window.view(DashboardView)
    loaded = wait_signal(dash.loaded, 20)
    assert window.connections.select("Sandbox StarRocks")
    await loaded
    assert "1/1 backends alive (healthy)" in dash.heading.text()
    assert dash.state_line.text().startswith("Updated ")
    good = dash.state_line.last_ok

    port = sb.url.rsplit(":", 1)[1]
    be_port = sb.be_url.rsplit(":", 1)[1]
    sb.stop()
    notices = window.ctx.notifications
    for n in (1, 2):  # two refreshes, as the 10 s timer would do: one entry, counted twice
        window.refresh_action.trigger()
        await wait_for(lambda n=n: notices.rowCount() == 1 and notices.record(0).count == n, 30)
    assert not open_dialogs(), "a background refresh opened a dialog"
    notice = notices.record(0)
    assert notice.active and notice.source == "Dashboard — Sandbox StarRocks"
    assert notice.message.startswith("unreachable")
    # Inline: since when, and how old the figures on screen are.
    line = dash.state_line.text()
    assert line.startswith("Unreachable") and "since" in line and "Showing data from" in line
    assert "healthy" not in dash.heading.text() and "stale" in dash.heading.text()
    assert not dash.table.isEnabled()
    assert window.notices_button.isVisible() and "1 failing" in window.notices_button.text()
    screenshot(window, "dashboard-cluster-unreachable-1024x700")

    sb.restart("--port", port, "--be-port", be_port)
    loaded = wait_signal(dash.loaded, 30)
    window.refresh_action.trigger()
    await loaded
    await wait_for(lambda: not notices.record(0).active, 10)
    assert dash.state_line.text().startswith("Updated ") and dash.state_line.last_ok != good
    assert "healthy" in dash.heading.text() and dash.table.isEnabled()
    assert not window.notices_button.isVisible()
    assert "recovered at" in notices.data(notices.index(0, 4))
    assert not open_dialogs()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_following_a_job_rides_out_a_network_cut(
    console_window: Any, sandbox_factory: Any, secret_service: Any, screenshot: Any
) -> None:
    sb: SandboxProcess = sandbox_factory()
    proxy = FaultProxy(sb.url)
    try:
        info = dict(sb.info, url=proxy.url)  # Huawei Cloud (and IAM) reached through the proxy
        window = console_window([InstancesView], info=info)
        view = window.view(InstancesView)
        loaded = wait_signal(view.loaded, 30)
        assert window.connections.select("Sandbox Huawei Cloud")
        await loaded
        assert view.select_instance("htap-sandbox")
        # Every look at the job answers 503 for a while: more than the client's own retries (4).
        proxy.add(Rule("GET", r"/v3/[^/]+/jobs", "status", status=503, times=6))
        view.restart_button.click()
        view.restart_box.button(QMessageBox.StandardButton.Yes).click()
        await wait_for(lambda: entry_titled(window, "Restart htap-sandbox") is not None, 10)
        entry = entry_titled(window, "Restart htap-sandbox")
        await wait_for(lambda: "interrupted since" in entry.detail, 30)
        assert entry.running and "the job itself goes on" in entry.detail
        screenshot(window, "job-following-interrupted")
        done = await finished(window, "Restart htap-sandbox", 90)
        assert done.state == SUCCEEDED, done.result
        assert done.result.startswith("htap-sandbox restarted")
        assert not open_dialogs()
        await window.aclose()  # its connections to the proxy close before the proxy does
    finally:
        proxy.close()
