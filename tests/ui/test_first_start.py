"""The first start, as a new user meets it: no profile at all shows a first-run pane that starts the
sandbox or adds a connection; a damaged profiles file is set aside and named, never a traceback; a
keyring that cannot store is found when the profile dialog opens; ``screenshot --sandbox`` shows the
sandbox only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from qt_helpers import wait_for, wait_signal

from gui.services.credentials import Credentials
from gui.services.profiles import Profile, ProfileStore
from gui.services.session import ConsoleSession
from gui.ui.dialogs.profile import ProfileDialog
from gui.ui.views.transactions import TransactionsView
from gui.views import view_classes

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_no_profile_shows_a_first_run_pane_that_starts_the_sandbox(
    console_window: Any, secret_service: Any, screenshot: Any
) -> None:
    window = console_window(view_classes(), size=(1024, 700))
    assert window.centre.currentWidget() is window.welcome
    needs = window.findChild(type(window.welcome.state), "welcomeNeeds").text()
    for view, kind in (
        ("StarRocks instances", "Huawei Cloud profile"),
        ("AI Lake databases", "AI Lake profile"),
        ("Pipe tables", "AI Lake profile"),
        ("Load transactions", "StarRocks cluster profile"),
        ("Dashboard", "StarRocks cluster profile"),
    ):
        assert f"<b>{view}</b>" in needs and kind in needs.split(f"<b>{view}</b>", 1)[1].split("</tr>")[0]
    screenshot(window, "first-run-pane-1024x700")

    txn = window.view(TransactionsView)
    loaded = wait_signal(txn.loaded, 60)
    window.welcome.sandbox_button.click()
    assert "Starting the sandbox" in window.welcome.state.text()
    await loaded
    assert window.centre.currentWidget() is window.tabs
    names = {p.name for p in window.ctx.session.all_profiles()}
    assert names == {"Sandbox StarRocks", "Sandbox Huawei Cloud", "Sandbox AI Lake"}
    assert txn.db_combo.count() >= 1
    runner = window.sandbox_runner
    assert runner is not None and runner.proc.returncode is None
    await window.aclose()
    assert runner.proc.returncode is not None  # the sandbox goes with the window


DAMAGE: dict[str, bytes] = {
    "not-json": b'{"profiles": [',
    "a-list": b"[]",
    "null": b"null",
    "not-utf8": b'{"profiles": [{"name": "\xff\xfe"}]}',
    "profiles-not-a-list": b'{"profiles": {"name": "x"}}',
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_profiles_file_is_set_aside_and_named(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "profiles.json"
    path.write_bytes(DAMAGE[damage])
    store = ProfileStore(path)
    assert list(store) == []
    assert store.problems and "starts without saved profiles" in store.problems[0]
    assert store.set_aside is not None and store.set_aside.read_bytes() == DAMAGE[damage]
    assert not path.exists()
    # The console goes on: a new profile is saved into a fresh file.
    store.put(Profile(name="again", kind="starrocks", url="http://fe:8030", user="root"))
    assert [p.name for p in ProfileStore(path)] == ["again"]


def test_damaged_records_are_dropped_with_their_reason_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    good = {"name": "prod", "kind": "starrocks", "url": "https://fe:8030", "user": "root"}
    records = [
        good,
        {"name": "odd", "kind": "mysql"},
        {"kind": "starrocks"},
        {"name": "typed", "kind": "starrocks", "verify_tls": "yes"},
        {"name": "map", "kind": "starrocks", "be_map": ["a"]},
        "text",
    ]
    path.write_text(json.dumps({"profiles": records}))
    store = ProfileStore(path)
    assert [p.name for p in store] == ["prod"]
    text = "\n".join(store.problems)
    assert "profile 'odd' has the kind 'mysql', which this console does not know" in text
    assert "a profile without a name" in text
    assert "profile 'typed': verify_tls has the wrong type (str)" in text
    assert "profile 'map': be_map has the wrong type (list)" in text
    assert "a profile must be an object, not str" in text
    assert store.set_aside is not None and json.loads(store.set_aside.read_text())["profiles"] == records


@pytest.mark.asyncio
async def test_the_window_starts_on_a_damaged_profiles_file_and_says_so(
    console_window: Any, tmp_path: Path, secret_service: Any
) -> None:
    path = tmp_path / "damaged" / "profiles.json"
    path.parent.mkdir()
    path.write_text("{not json")
    window = console_window(view_classes(), session=ConsoleSession(ProfileStore(path), Credentials()))
    notices = window.ctx.notifications
    assert notices.rowCount() == 1
    notice = notices.record(0)
    assert notice.told and "is not valid JSON" in notice.message and "damaged-" in notice.message
    assert window.centre.currentWidget() is window.welcome


@pytest.mark.slow
def test_the_command_line_starts_on_a_damaged_profiles_file(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "profiles.json").write_bytes(b"\x00\x01 not a profile file")
    env = dict(
        os.environ,
        STARROCKS_CONSOLE_CONFIG=str(config),
        STARROCKS_CONSOLE_DATA=str(tmp_path / "data"),
        QT_QPA_PLATFORM="offscreen",
    )
    out = tmp_path / "shot.png"
    done = subprocess.run(
        [sys.executable, "-m", "gui", "screenshot", "--view", "dashboard", "--out", str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and out.is_file()
    assert list(config.glob("profiles.json.damaged-*"))


@pytest.mark.asyncio
async def test_a_keyring_that_cannot_store_is_found_when_the_dialog_opens(
    console_window: Any, keyring_without_collection: None, screenshot: Any
) -> None:
    window = console_window(view_classes())
    dialog = ProfileDialog(window.ctx, "starrocks", None, window)
    dialog.open()
    await dialog.keyring_checked
    note = dialog.keyring_note.text()
    assert note.startswith("Secrets cannot be stored in the keyring here: it has no default collection")
    assert "kept for this session only" in note
    screenshot(dialog, "profile-dialog-keyring-cannot-store")
    dialog.name.setText("lab")
    dialog.url.setText("http://127.0.0.1:9")
    dialog.user.setText("root")
    dialog.password.setText("Qx7-session-only")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    await wait_for(lambda: window.ctx.session.profile("lab") is not None, 10)
    # Kept for the session, as the dialog said: the keyring was never asked to store it.
    assert window.ctx.session.credentials.get("lab/password") == "Qx7-session-only"


@pytest.mark.slow
def test_screenshot_on_the_sandbox_shows_only_the_sandbox(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir(mode=0o700)
    saved = {"name": "production-cluster", "kind": "starrocks", "url": "http://10.9.9.9:8030", "user": "root"}
    (config / "profiles.json").write_text(json.dumps({"profiles": [saved]}))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    # A planted link where an older console wrote its settings: nothing may be written through it.
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp / "starrocks-console-shot.ini").symlink_to(victim)
    env = dict(
        os.environ,
        STARROCKS_CONSOLE_CONFIG=str(config),
        STARROCKS_CONSOLE_DATA=str(tmp_path / "data"),
        TMPDIR=str(tmp),
        QT_QPA_PLATFORM="offscreen",
    )
    out = tmp_path / "shot.png"
    done = subprocess.run(
        [sys.executable, "-m", "gui", "screenshot", "--sandbox", "--view", "transactions", "--out", str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert out.is_file() and victim.read_text() == "keep me"
    assert not [p for p in tmp.iterdir() if p.name.startswith("starrocks-console-shot-")]  # cleaned up


@pytest.mark.slow
@pytest.mark.asyncio
async def test_screenshot_on_the_sandbox_lists_no_saved_profile(
    tmp_path: Path, monkeypatch: Any, secret_service: Any
) -> None:
    config = tmp_path / "config"
    config.mkdir(mode=0o700)
    saved = {"name": "production-cluster", "kind": "starrocks", "url": "http://10.9.9.9:8030", "user": "root"}
    (config / "profiles.json").write_text(json.dumps({"profiles": [saved]}))
    monkeypatch.setenv("STARROCKS_CONSOLE_CONFIG", str(config))
    import argparse

    from gui.app import _start

    ctx, window, runner, private = await _start(argparse.Namespace(sandbox=True), screenshot=True)
    try:
        names = {p.name for p in ctx.session.all_profiles()}
        assert names == {"Sandbox StarRocks", "Sandbox Huawei Cloud", "Sandbox AI Lake"}
        assert private is not None and ctx.session.journal.root.is_relative_to(private)
        assert (private.stat().st_mode & 0o777) == 0o700
    finally:
        await window.aclose()
        await runner.stop()
