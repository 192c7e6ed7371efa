"""The cluster profile dialog's query-port rows: shown with the profile's values, only 1–65535 can
be entered, and what is set there is what the profile gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import SandboxProcess

from gui.services.credentials import Credentials
from gui.services.profiles import Profile, ProfileStore
from gui.services.session import ConsoleSession
from gui.ui.dialogs.profile import ProfileDialog
from gui.ui.main_window import MainWindow
from gui.ui.views.dashboard import DashboardView


@pytest_asyncio.fixture
async def window(
    console_window: Any, sandbox: SandboxProcess, tmp_path: Path, secret_service: Any
) -> MainWindow:
    session = ConsoleSession(ProfileStore(tmp_path / "profiles.json"), Credentials())
    w: MainWindow = console_window([DashboardView], sandbox, session=session, size=(1000, 700))
    return w


@pytest.mark.asyncio
async def test_the_query_port_rows_edit_the_profile(window: MainWindow, screenshot: Any) -> None:
    p = Profile(
        name="c", kind="starrocks", url="http://127.0.0.1:8030", user="root", query_port=19030, read_only=True
    )
    dialog = ProfileDialog(window.ctx, "starrocks", p, window)
    dialog.open()
    try:
        assert dialog.query_port.value() == 19030
        assert dialog.read_only.isChecked() and not dialog.query_tls.isChecked()
        screenshot(dialog, "profile-dialog-query-port")
        for typed, kept in (("70000", 19030), ("0", 19030), ("9031", 9031)):
            editor = dialog.query_port.lineEdit()
            editor.selectAll()
            editor.insert(typed)  # as typed: the field takes no port outside 1–65535
            dialog.query_port.interpretText()
            assert dialog.query_port.value() == kept, typed
        dialog.query_tls.setChecked(True)
        dialog.read_only.setChecked(False)
        got = dialog.profile()
        assert (got.query_port, got.query_tls, got.read_only) == (9031, True, False)
    finally:
        dialog.close()
