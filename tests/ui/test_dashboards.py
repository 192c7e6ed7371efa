"""The fleet overview and the cluster dashboard on real sandboxes: a stopped BE turns its card red with
the reason and green again, a filled disk raises the alert, charts gain points as queries and loads
run, the history survives a restart of the console, exports write files, wall mode renders, the
thresholds dialog says at the field what it refuses."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import SandboxProcess, module_sandbox
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QLineEdit
from qt_helpers import wait_for
from sandboxclock import advance

from gui.services.credentials import Credentials
from gui.services.profiles import Profile, ProfileStore
from gui.services.session import ConsoleSession
from gui.ui.views.dashboard import DashboardView
from gui.ui.views.fleet import FleetView
from gui.views import first_view

NAME = "Sandbox StarRocks"


sandbox = module_sandbox("dashboards-sandbox")


def admin(sb: SandboxProcess, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(f"{sb.url}{path}", json=body, auth=sb.auth, timeout=30)
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def backends(sb: SandboxProcess) -> list[dict[str, Any]]:
    doc = httpx.get(f"{sb.url}/_sandbox/backends", auth=sb.auth, timeout=30).json()
    found: list[dict[str, Any]] = doc["backends"] if isinstance(doc, dict) else doc
    return found


async def readings(window: Any, name: str, until: Any, most: int = 2) -> Any:
    """Ask for a reading (F5) at most ``most`` times until ``until(state)`` holds; the state."""
    feed = window.monitoring
    state = None
    for _ in range(most):
        state = await feed.read_now(name)
        if state is not None and until(state):
            return state
    raise AssertionError(f"not within {most} readings: {state and state.state} {state and state.alerts}")


async def started(window: Any, name: str = NAME) -> Any:
    await wait_for(lambda: window.monitoring.state(name) is not None, 30)
    return window.monitoring.state(name)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_stopped_be_turns_its_card_red_with_the_reason_and_green_again(
    console_window: Any, sandbox_factory: Any, secret_service: Any, screenshot: Any
) -> None:
    sb: SandboxProcess = sandbox_factory("--backends", "2")
    window = console_window([FleetView, DashboardView], sb, size=(1024, 700))
    window.monitoring.set_interval(3600)  # only the readings this test asks for
    fleet = window.view(FleetView)
    window.tabs.setCurrentWidget(fleet)
    await started(window)
    card = await wait_for(lambda: fleet.cards.get(NAME), 10)
    await wait_for(lambda: card.light.colour == "green", 10)
    second = backends(sb)[1]["id"]
    admin(sb, f"/_sandbox/backends/{second}", {"action": "stop"})
    advance(sb, 20)  # the FE's heartbeats find it dead
    await readings(window, NAME, lambda s: s.state == "critical")
    await wait_for(lambda: card.light.colour == "red", 5)
    assert card.reason_text.startswith("BE ") and "down" in card.reason_text, card.reason_text
    assert card.reason.toolTip() == card.reason_text and card.reason.text()
    assert card.facts["be"].text() == "BE alive 1/2"
    # Offscreen there is no tray: the desktop notice goes to the status bar.
    assert window.monitoring.told[-1][0] == "status bar"
    assert window.monitoring.told[-1][1].startswith(f"{NAME} turned red: BE ")
    screenshot(window, "fleet-be-down-1024x700")

    admin(sb, f"/_sandbox/backends/{second}", {"action": "start"})
    advance(sb, 6)  # the FE's next heartbeat finds it alive
    await readings(window, NAME, lambda s: s.state == "ok")
    await wait_for(lambda: card.light.colour == "green", 5)
    assert card.facts["be"].text() == "BE alive 2/2"
    assert window.monitoring.told[-1][1].startswith(f"{NAME} recovered")


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_disk_filled_past_90_percent_raises_the_alert_shown_on_the_dashboard(
    console_window: Any, sandbox_factory: Any, secret_service: Any, screenshot: Any, tmp_path: Path
) -> None:
    sb: SandboxProcess = sandbox_factory("--backends", "2")
    window = console_window([FleetView, DashboardView], sb, size=(1024, 700))
    window.monitoring.set_interval(3600)
    dash = window.view(DashboardView)
    assert window.connections.select(NAME)
    window.tabs.setCurrentWidget(dash)
    await started(window)
    first = backends(sb)[0]["id"]
    admin(sb, f"/_sandbox/backends/{first}", {"disk_used_pct": 93})
    state = await readings(window, NAME, lambda s: any(a.rule == "disk_used" for a in s.alerts))
    [alert] = [a for a in state.alerts if a.rule == "disk_used"]
    assert alert.severity == "critical" and "93 %" in alert.reason
    await wait_for(lambda: dash.alert_strip.isVisible() and "Disk used" in dash.alert_strip.text(), 5)
    assert "critical" in dash.heading.text()
    assert any(r.used_pct and r.used_pct > 90 for r in dash.nodes.disks.rows)
    screenshot(window, "dashboard-disk-alert-1024x700")

    # Exports: the charts as shown, a table as on screen.
    png, csv_path = tmp_path / "charts.png", tmp_path / "backends.csv"
    assert dash.export_png(png) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert dash.export_csv("backends", csv_path) == 2
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("ID,Backend,Alive,Disk used") and len(lines) == 3
    assert dash.export_csv("alerts", tmp_path / "alerts.csv") >= 1


@pytest.mark.slow
@pytest.mark.asyncio
async def test_charts_gain_points_as_queries_and_loads_run(
    console_window: Any, sandbox_factory: Any, secret_service: Any, screenshot: Any, tmp_path: Path
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is needed")
    sb: SandboxProcess = sandbox_factory()
    admin(sb, "/_sandbox/workload", {"qps": 20})
    window = console_window([DashboardView], sb, size=(1280, 800))
    window.monitoring.set_interval(1)
    dash = window.view(DashboardView)
    assert window.connections.select(NAME)
    await started(window)
    await wait_for(lambda: dash.charts.points().get("qps", 0) >= 1, 20)
    before = dash.charts.points()["qps"]
    rows = tmp_path / "rows.csv"
    rows.write_text("".join(f"{9000 + i},load{i},{i}.50,2024-01-01 00:00:00\n" for i in range(50)))
    done = subprocess.run(
        ["curl", "-sS", "--location-trusted", "-u", ":".join(sb.auth), "-H", "Expect:100-continue",
         "-H", "column_separator:,", "-T", str(rows), f"{sb.url}/api/demo/orders/_stream_load"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert '"Status": "Success"' in done.stdout, done.stdout + done.stderr
    await wait_for(lambda: dash.charts.points()["qps"] > before, 20)
    history = dash.history()
    await wait_for(lambda: any(v > 0 for v in history.series("load_rows_per_s", 300)[1]), 20)
    await wait_for(lambda: dash.charts.points()["load_rows"] >= 1, 10)
    assert dash.charts.charts["latency"].points >= 3  # p50, p95, p99 from the first reading on
    screenshot(window, "dashboard-live-charts")


@pytest.mark.slow
@pytest.mark.asyncio
async def test_the_history_survives_a_restart_of_the_console(
    console_window: Any, sandbox_factory: Any, secret_service: Any, tmp_path: Path
) -> None:
    sb: SandboxProcess = sandbox_factory()
    store = ProfileStore(tmp_path / "kept.json")
    session = ConsoleSession(store, Credentials())
    name = f"kept-{tmp_path.name}"
    await session.save_profile(
        Profile(name=name, kind="starrocks", url=sb.url, user=sb.auth[0]), {"password": sb.auth[1]}
    )
    first = console_window([DashboardView], session=session)
    first.monitoring.set_interval(1)
    await started(first, name)
    mon = first.monitoring.monitoring.monitor(name)
    await wait_for(lambda: len(mon.history.series("qps", 3600)[0]) >= 2, 30)
    first.hide()
    await first.aclose()  # saves the history
    kept = mon.history.series("qps", 3600)

    again = ConsoleSession(ProfileStore(tmp_path / "kept.json"), Credentials())
    second = console_window([DashboardView], session=again)
    second.monitoring.set_interval(3600)
    await wait_for(lambda: second.monitoring.monitoring.monitor(name) is not None, 30)
    loaded = second.monitoring.monitoring.monitor(name).history.series("qps", 3600)
    assert loaded[0][: len(kept[0])] == kept[0] and len(kept[0]) >= 2
    dash = second.view(DashboardView)
    assert second.connections.select(name)
    await started(second, name)
    await wait_for(lambda: dash.charts.points().get("qps", 0) >= len(kept[0]), 10)
    second.hide()
    await second.aclose()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_wall_mode_renders_and_cycles(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any, screenshot: Any
) -> None:
    window = console_window([FleetView, DashboardView], sandbox)
    session = window.ctx.session
    other = Profile(name="Second cluster", kind="starrocks", url=sandbox.url, user=sandbox.auth[0])
    session.add_ephemeral(other, {"password": sandbox.auth[1]})
    window.connections.reload()
    await wait_for(lambda: {NAME, "Second cluster"} <= set(window.monitoring.watched()), 30)
    await started(window)
    window.open_wall(NAME)
    wall = window.wall
    await wait_for(lambda: wall.isVisible() and wall.updated.text().startswith("Updated "), 10)
    assert wall.isFullScreen() and wall.position.text().startswith(f"{NAME} — ")
    assert wall.geometry() == window.screen().geometry()
    assert [c.caption.text() for c in wall.charts] == [
        "Queries per second",
        "Query latency p99 (ms)",
        "Load rows (per second)",
    ]
    assert wall.card is not None and wall.card.light.colour in ("green", "amber")
    await wait_for(lambda: wall.card.isVisible() and wall.card.width() > wall.width() // 2, 10)
    widths = [c.width() for c in wall.charts]
    assert max(widths) - min(widths) <= 2, widths  # the longest caption does not take a wider share
    await wait_for(lambda: all(c.painted is not None and not c.painting for c in wall.charts), 10)
    # A caption that wraps (the offscreen screen is narrow) does not set its plot lower.
    assert len({c.canvas.mapTo(wall, QPoint(0, 0)).y() for c in wall.charts}) == 1
    qps = wall.charts[0]
    assert qps.points >= 1 and qps.font().pointSizeF() > window.font().pointSizeF()  # axes read from afar
    screenshot(wall, "wall-mode")
    wall.next()
    assert wall.current == "Second cluster" or wall.current == NAME
    assert wall.position.text().startswith(wall.current)
    wall.close()


@pytest.mark.asyncio
async def test_thresholds_are_edited_per_profile_and_refusals_said_at_the_field(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any, screenshot: Any, tmp_path: Path
) -> None:
    from gui.services.monitoring import AlertSettings
    from gui.ui.dialogs.thresholds import ThresholdsDialog

    window = console_window([DashboardView], sandbox)
    settings = AlertSettings(tmp_path / "alerts.json")
    dialog = ThresholdsDialog(settings, NAME, window)
    dialog.open()
    row = dialog.rows["disk_used"]
    warning, critical = row.warning.editor, row.critical.editor
    assert isinstance(warning, QLineEdit) and isinstance(critical, QLineEdit)
    assert (warning.text(), critical.text()) == ("80", "90")
    warning.setText("95")
    assert not dialog.save()
    assert "must not be above the critical one" in row.warning.reason
    assert not (tmp_path / "alerts.json").exists()
    screenshot(dialog, "thresholds-refused")
    critical.setText("97")
    assert dialog.save()
    limit = settings.limits(NAME)["disk_used"]
    assert (limit.warning, limit.critical) == (95, 97)
    assert settings.limits("another")["disk_used"].warning == 80


@pytest.mark.asyncio
async def test_the_fleet_is_the_first_view_when_there_are_several_clusters(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any, tmp_path: Path
) -> None:
    assert first_view(["starrocks", "huawei"]) == "instances"
    assert first_view(["starrocks", "starrocks"]) == "fleet"
    session = ConsoleSession(ProfileStore(tmp_path / "none.json"), Credentials())
    for name in ("one", "two"):
        session.add_ephemeral(Profile(name=name, kind="starrocks", url=sandbox.url, user="root"), {})
    window = console_window([DashboardView, FleetView], session=session)
    assert window.current_view() is window.view(FleetView)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_loads_and_transactions_at_a_glance_filter_and_open_load_transactions(
    console_window: Any, sandbox_factory: Any, secret_service: Any, screenshot: Any
) -> None:
    from gui.api.starrocks import LoadOptions, StarRocksClient
    from gui.ui.views.transactions import TransactionsView

    sb: SandboxProcess = sandbox_factory()
    sb.admin_sql("CREATE DATABASE glance")
    sb.admin_sql("CREATE TABLE people (id INT, name VARCHAR(20)) DUPLICATE KEY(id) "
                 "DISTRIBUTED BY HASH(id) BUCKETS 1", db="glance")  # fmt: skip
    opts = LoadOptions(column_separator=",")
    async with StarRocksClient(sb.url, *sb.auth) as client:
        await client.stream_load("glance", "people", b"1,ann\n2,bo\n", opts, label="glance-done")
        txn = await client.begin("glance", "people", "glance-open", timeout=600)
        await client.load(txn, b"3,cy\n", opts)
    window = console_window([DashboardView, TransactionsView], sb, size=(1024, 700))
    dash = window.view(DashboardView)
    assert window.connections.select(NAME)
    window.tabs.setCurrentWidget(dash)
    await started(window)
    dash.tabs.setCurrentWidget(dash.glance)
    panel = dash.glance
    await wait_for(lambda: any(r.label == "glance-done" for r in panel.loads.rows), 20)
    done_row = next(r for r in panel.loads.rows if r.label == "glance-done")
    assert (done_row.group, done_row.rows, done_row.source) == ("finished", 2, "cluster")
    await wait_for(lambda: any(r.txn and r.txn.label == "glance-open" for r in panel.txns.rows), 20)
    assert "running transactions in glance (1)" in panel.summary.text()
    panel.filter.setText("glance-done")
    assert panel.proxy.rowCount() == 1
    panel.group.setCurrentIndex(panel.group.findData("running"))
    assert panel.proxy.rowCount() == 0  # a finished load is not a running one
    panel.filter.clear()
    panel.group.setCurrentIndex(panel.group.findData(""))
    screenshot(window, "dashboard-loads-at-a-glance-1024x700")
    row = next(i for i, r in enumerate(panel.txns.rows) if r.txn and r.txn.label == "glance-open")
    panel.txns_table.doubleClicked.emit(panel.txns.index(row, 0))
    await wait_for(lambda: window.current_view() is window.view(TransactionsView), 5)
    async with StarRocksClient(sb.url, *sb.auth) as client:
        await client.rollback("glance", "glance-open")
