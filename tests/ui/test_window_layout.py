"""The window as a person meets it: every view usable at 1024×700 in light and dark palettes (docks
can be closed, nothing forces the window wider); the wheel scrolls a form without changing its
fields; views follow a profile that is renamed or deleted, and the status bar names the profile of
the view on screen."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SandboxProcess, module_sandbox
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox
from qt_helpers import in_theme, wait_for, wait_signal

from gui.services.profiles import Profile
from gui.ui.dialogs.profile import ProfileDialog
from gui.ui.style import banner_css
from gui.ui.views.dashboard import DashboardView
from gui.ui.views.instances import InstancesView
from gui.ui.views.transactions import TransactionsView
from gui.views import view_classes

SELECT = {
    "InstancesView": "Sandbox Huawei Cloud",
    "LakeDatabasesView": "Sandbox AI Lake",
    "PipeTablesView": "Sandbox AI Lake",
    "TransactionsView": "Sandbox StarRocks",
    "FleetView": "Sandbox StarRocks",
    "DashboardView": "Sandbox StarRocks",
    "SqlConsoleView": "Sandbox StarRocks",
    "AdminView": "Sandbox StarRocks",
}


sandbox = module_sandbox("layout-sandbox")


def wheel(widget: Any, steps: int = -1) -> None:
    """One notch of the mouse wheel over a widget (negative: towards the user)."""
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        pos,
        widget.mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_every_view_fits_1024_by_700(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any, screenshot: Any, theme: str
) -> None:
    with in_theme(theme):
        window = console_window(view_classes(), sandbox, size=(1024, 700))
        # Nothing asks for more room than the smallest screen the console supports.
        assert window.minimumSizeHint().width() <= 1024 and window.minimumSizeHint().height() <= 700
        assert (window.width(), window.height()) == (1024, 700)
        for view in window.views:
            loaded = wait_signal(view.loaded, 30)
            window.tabs.setCurrentWidget(view)
            assert window.connections.select(SELECT[type(view).__name__])
            window.tabs.setCurrentWidget(view)
            # The profile may be selected already (for an earlier view of its kind): F5 loads it again.
            window.refresh_action.trigger()
            await loaded
            name = type(view).__name__.removesuffix("View").lower()
            screenshot(window, f"fit-1024x700-{name}-{theme}")
        # The docks can be closed for the views to have the whole window.
        window.connections_dock.toggleViewAction().trigger()
        window.activity_dock.toggleViewAction().trigger()
        assert not window.connections_dock.isVisible() and not window.activity_dock.isVisible()
        screenshot(window, f"fit-1024x700-docks-closed-{theme}")
        # Colours with a meaning come from the palette: the unfinished-transactions banner is a
        # dark tint in a dark theme, a light one in a light theme.
        background = banner_css("#x", "warning").split("background: ")[1][:7]
        assert (QColor(background).lightness() < 100) == (theme == "dark")


@pytest.mark.asyncio
async def test_the_wheel_scrolls_the_form_and_leaves_its_fields_alone(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any
) -> None:
    window = console_window([TransactionsView], sandbox, size=(1024, 700))
    view = window.view(TransactionsView)
    loaded = wait_signal(view.loaded, 20)
    assert window.connections.select("Sandbox StarRocks")
    await loaded
    fmt = view.form.format
    scroll = view.findChild(type(view.splitter.widget(0)), "txnFormScroll")
    bar = scroll.verticalScrollBar()
    assert bar.maximum() > 0, "the form is taller than the pane at 700 px: it scrolls"
    before = (fmt.currentText(), bar.value())
    window.activateWindow()
    view.form.label.setFocus()
    wheel(fmt)  # over the Format combo box, not focused: the form scrolls
    assert fmt.currentText() == before[0]
    assert bar.value() > before[1]
    fmt.setFocus()
    wheel(fmt)  # focused: the wheel is the user's way to change it
    assert fmt.currentText() != before[0]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_views_follow_a_renamed_then_deleted_profile(
    console_window: Any, sandbox: SandboxProcess, secret_service: Any, screenshot: Any
) -> None:
    window = console_window([InstancesView, TransactionsView, DashboardView], sandbox)
    session = window.ctx.session
    await session.save_profile(
        Profile(name="lab", kind="starrocks", url=sandbox.url, user=sandbox.auth[0]),
        {"password": sandbox.auth[1]},
    )
    window.connections.reload()
    txn = window.view(TransactionsView)
    dash = window.view(DashboardView)
    loaded = wait_signal(txn.loaded, 20)
    assert window.connections.select("lab")
    await loaded
    assert window.current_view() is txn
    assert txn.profile is not None and dash.profile is not None and dash.profile.name == "lab"
    assert window.connection_label.text() == f"Load transactions: lab (StarRocks cluster) — {sandbox.url}"
    assert txn.steps.all_button.isEnabled() is False or txn.db_combo.count() > 0

    # The status bar names the profile of the view on screen, not the sidebar's selection.
    instances = window.view(InstancesView)
    loaded = wait_signal(instances.loaded, 30)
    assert window.connections.select("Sandbox Huawei Cloud")
    await loaded
    assert window.current_view() is instances
    label = window.connection_label.text()
    assert label.startswith("StarRocks instances: Sandbox Huawei Cloud (Huawei Cloud)")
    window.tabs.setCurrentWidget(txn)
    assert window.connection_label.text().startswith("Load transactions: lab ")
    window.tabs.setCurrentWidget(dash)
    assert window.connection_label.text().startswith("Dashboard: lab ")

    # Renamed in its dialog: every view follows the new name.
    assert window.connections.select("lab")
    window.connections.edit_selected()
    dialog = await wait_for(lambda: window.findChild(ProfileDialog), 5)
    dialog.name.setText("lab-renamed")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    await wait_for(lambda: txn.profile is not None and txn.profile.name == "lab-renamed", 10)
    assert dash.profile is not None and dash.profile.name == "lab-renamed"
    await wait_for(lambda: window.connection_label.text().startswith("Dashboard: lab-renamed "), 5)

    # Deleted: the views empty, their actions go with it, the status bar says what is missing.
    assert window.connections.select("lab-renamed")
    window.connections.delete_selected()
    box = await wait_for(
        lambda: next((b for b in window.findChildren(QMessageBox) if b.isVisible()), None), 5
    )
    box.button(QMessageBox.StandardButton.Yes).click()
    await wait_for(lambda: txn.profile is None and dash.profile is None, 10)
    assert not txn.steps.begin_button.isEnabled() and not txn.steps.all_button.isEnabled()
    assert txn.db_combo.count() == 0 and dash.backends.rowCount() == 0
    assert "Pick a StarRocks cluster" in txn.where.text()
    assert window.connection_label.text() == "Dashboard: no StarRocks cluster profile picked"
    assert instances.profile is not None  # another kind's profile is untouched
    # Nothing of this failed in the background: work of a renamed or deleted profile was stopped,
    # not cut off mid-request.
    assert window.ctx.notifications.rowCount() == 0, window.ctx.notifications.rows
    screenshot(window, "profile-deleted-dashboard-empty")


@pytest.mark.asyncio
async def test_the_quit_question_follows_the_jobs(console_window: Any, secret_service: Any) -> None:
    window = console_window(view_classes())
    job = window.ctx.activity.start("Load big.csv", kind="load", cancel=lambda: None)
    window.close()
    box = window.findChild(QMessageBox, "quitConfirm")
    assert box is not None and box.isVisible()
    assert box.text().startswith("1 job still running. Quit anyway?")
    job.succeed("done")
    assert box.text() == "Every job has ended. Quit?"
    box.button(QMessageBox.StandardButton.No).click()
    assert window.isVisible()
