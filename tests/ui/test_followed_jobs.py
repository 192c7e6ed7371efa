"""Cloud jobs followed across a restart of the console: a pipe-table delete and an instance restart
left running when the window closed are followed again by the next window to their end; Cancel in
the Activity panel stops the following for good; jobs of the sandbox's session-only profiles are
not kept; the jobs file and profile renames."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import SandboxProcess
from PySide6.QtWidgets import QMessageBox
from qt_helpers import entry_titled, finished, wait_for, wait_signal
from sandboxclock import advance

from gui.api.ailake import AILakeClient
from gui.services.credentials import Credentials
from gui.services.profiles import Profile, ProfileStore
from gui.services.session import ConsoleSession, sandbox_profiles
from gui.services.tracker import AILAKE_OPERATION, HUAWEI_JOB, JobTracker, TrackedJob
from gui.ui.activity import CANCELLED, SUCCEEDED, ActivityEntry
from gui.ui.main_window import MainWindow
from gui.ui.views.base import View
from gui.ui.views.instances import InstancesView
from gui.ui.views.pipe_tables import PipeTablesView

Open = Callable[..., Any]


@pytest_asyncio.fixture
async def console(console_window: Any, tmp_path: Path, secret_service: Any) -> Open:
    """Start a console (a window over saved profiles, jobs file and settings in this test's
    folder); each start is a new session reading what the one before left on disk."""

    async def start(views: list[type[View]], profile: str) -> tuple[MainWindow, Any]:
        session = ConsoleSession(
            ProfileStore(tmp_path / "profiles.json"),
            Credentials(),
            jobs=JobTracker(tmp_path / "jobs.json"),
        )
        window = console_window(views, session=session)
        view = window.view(views[0])
        loaded = wait_signal(view.loaded, 30)
        assert window.connections.select(profile)
        await loaded
        window.resume_jobs()
        return window, view

    return start


async def quit_console(window: MainWindow) -> None:
    """The window closed while jobs run (the user said Yes to quitting): the app's shutdown."""
    window.hide()
    await window.aclose()


async def save_profiles(tmp_path: Path, sp: SandboxProcess) -> None:
    """The sandbox's connections saved as a user saves them (secrets to the keyring)."""
    session = ConsoleSession(ProfileStore(tmp_path / "profiles.json"), Credentials())
    for profile, secrets in sandbox_profiles(sp.info):
        saved = Profile.from_json({**profile.to_json(), "name": "lab " + profile.kind, "sandbox": False})
        assert await session.save_profile(saved, secrets)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_pipe_table_delete_left_running_is_followed_to_its_end_by_the_next_console(
    console: Open, sandbox_factory: Any, tmp_path: Path, screenshot: Any
) -> None:
    # Operations last until the test moves the sandbox's clock: nothing here races the wall clock.
    sp = sandbox_factory("--operation-seconds", "600")
    await save_profiles(tmp_path, sp)
    async with AILakeClient(sp.url, sp.info["ailake"]["token"], poll_interval=0.05) as c:
        for name in ("jan", "feb"):
            body = {"pathPrefix": f"sales/year=2024/month=0{1 if name == 'jan' else 2}/"}
            body |= {"sourceStorageName": "sandbox-lake", "tableName": name}
            op = await c.create_pipe_table("demo", body)
            advance(sp, 601)
            await c.wait(op, timeout=60)
    jobs = JobTracker(tmp_path / "jobs.json")

    window, view = await console([PipeTablesView], "lab ailake")
    for name in ("jan", "feb"):
        assert view.select_table(name)
        window.delete_action.trigger()
        box = view.confirm_box
        assert isinstance(box, QMessageBox)
        box.button(QMessageBox.StandardButton.Yes).click()
        await wait_for(lambda n=name: entry_titled(window, f"Delete pipe table {n}") is not None, 10)
    await wait_for(lambda: len(jobs.pending()) == 2, 10)
    [jan, feb] = jobs.pending()
    assert (jan.kind, jan.action, jan.profile, jan.context) == (
        AILAKE_OPERATION,
        "delete",
        "lab ailake",
        {"instance": "demo", "table": "jan"},
    )
    # Cancel stops following feb for good; quitting leaves jan to the next console.
    cancelled = entry_titled(window, "Delete pipe table feb")
    assert cancelled is not None
    window.activity_panel.cancel(cancelled)
    await wait_for(lambda: cancelled.state == CANCELLED and len(jobs.pending()) == 1, 5)
    await quit_console(window)
    left = entry_titled(window, "Delete pipe table jan")
    assert left is not None and left.state == CANCELLED
    assert [j.remote_id for j in jobs.pending()] == [jan.remote_id]

    again, view = await console([PipeTablesView], "lab ailake")
    entry = await wait_for(lambda: entry_titled(again, "Delete pipe table jan of demo"), 10)
    # Counted from when the first console started it, not from this start.
    assert abs(entry.elapsed - (time.time() - jan.started_at)) < 2 and entry.running
    assert entry_titled(again, "feb") is None
    screenshot(again, "followed-again-after-restart")
    advance(sp, 601)  # the operation's time is up in the sandbox
    entry = await finished(again, "Delete pipe table jan of demo")
    assert entry.state == SUCCEEDED and entry.result == "dropped", entry.result
    await wait_for(lambda: view.model.row_of("jan") is None, 5)
    assert jobs.pending() == []


@pytest.mark.slow
@pytest.mark.asyncio
async def test_an_instance_restart_is_followed_again_and_session_profiles_keep_no_jobs(
    console: Open, sandbox_factory: Any, tmp_path: Path
) -> None:
    sp = sandbox_factory("--job-seconds", "600")  # jobs end when the test moves the sandbox's clock
    await save_profiles(tmp_path, sp)
    jobs = JobTracker(tmp_path / "jobs.json")
    window, view = await console([InstancesView], "lab huawei")
    assert view.select_instance("htap-sandbox")
    view.restart_button.click()
    view.restart_box.button(QMessageBox.StandardButton.Yes).click()
    await wait_for(lambda: len(jobs.pending()) == 1, 10)
    [job] = jobs.pending()
    assert job.kind == HUAWEI_JOB and job.action == "restart" and job.done == "htap-sandbox restarted"
    await quit_console(window)

    again, view = await console([InstancesView], "lab huawei")
    await wait_for(lambda: entry_titled(again, "Restart htap-sandbox") is not None, 10)
    advance(sp, 601)
    entry = await finished(again, "Restart htap-sandbox", 40)
    assert entry.state == SUCCEEDED and entry.result == "htap-sandbox restarted (normal)", entry.result
    assert jobs.pending() == []

    # The sandbox's own profiles live for one session: nothing of theirs is kept.
    session = again.ctx.session
    for profile, secrets in sandbox_profiles(sp.info):
        session.add_ephemeral(profile, secrets)
    again.connections.reload()
    assert again.connections.select("Sandbox Huawei Cloud")
    await wait_for(
        lambda: view.profile is not None and view.profile.sandbox and view.select_instance("htap-sandbox"),
        30,
    )
    view.restart_button.click()
    view.restart_box.button(QMessageBox.StandardButton.Yes).click()
    await wait_for(lambda: len(restarts(again)) == 2, 10)
    assert restarts(again)[1].running and jobs.pending() == []
    advance(sp, 601)
    await wait_for(lambda: not restarts(again)[1].running, 40)
    assert restarts(again)[1].state == SUCCEEDED
    assert jobs.pending() == []


def restarts(window: MainWindow) -> list[ActivityEntry]:
    return [e for e in window.ctx.activity.rows if e.title == "Restart htap-sandbox"]


def test_the_jobs_file_survives_damage_and_keeps_jobs_in_the_order_started(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    jobs = JobTracker(path)
    assert jobs.pending() == []
    first = TrackedJob(HUAWEI_JOB, "p", "job-1", "Create x", "create", {"taurus_id": "t"}, started_at=10)
    second = TrackedJob(AILAKE_OPERATION, "p", "op-2", "Delete y", "delete", started_at=5)
    jobs.add(first)
    jobs.add(second)
    assert [j.remote_id for j in JobTracker(path).pending()] == ["op-2", "job-1"]
    jobs.remove(second.id)
    assert JobTracker(path).pending() == [first]
    path.write_text("{not json", encoding="utf-8")
    assert jobs.pending() == []  # a damaged file does not stop the console
    jobs.add(second)
    assert JobTracker(path).pending() == [second]
    path.write_text('[{"kind": "unknown", "profile": "p", "remote_id": "x"}, 7]', encoding="utf-8")
    assert jobs.pending() == []


@pytest.mark.asyncio
async def test_a_profile_renamed_keeps_its_jobs_and_secrets_and_one_deleted_drops_them(
    tmp_path: Path, secret_service: Any
) -> None:
    session = ConsoleSession(
        ProfileStore(tmp_path / "profiles.json"), Credentials(), jobs=JobTracker(tmp_path / "jobs.json")
    )
    lake = Profile(name="lake-a", kind="ailake", url="https://lake.example")
    assert await session.save_profile(lake, {"token": "t-123"})
    job = TrackedJob(AILAKE_OPERATION, "lake-a", "op-1", "Delete t", "delete", {"instance": "i"})
    await session.remember_job(job)
    assert [j.profile for j in await session.unfinished_jobs()] == ["lake-a"]
    renamed = Profile(name="lake-b", kind="ailake", url="https://lake.example")
    await session.save_profile(renamed, {"token": ""}, old_name="lake-a")
    assert [j.profile for j in await session.unfinished_jobs()] == ["lake-b"]
    assert await session.secret(renamed, "token") == "t-123"  # a secret left blank is kept
    await session.delete_profile("lake-b")
    assert await session.unfinished_jobs() == [] and session.jobs.pending() == []


@pytest.mark.asyncio
async def test_a_jobs_file_that_cannot_be_written_does_not_stop_the_following(
    tmp_path: Path, secret_service: Any, caplog: Any
) -> None:
    (tmp_path / "not-a-folder").write_text("x", encoding="utf-8")
    session = ConsoleSession(
        ProfileStore(tmp_path / "profiles.json"),
        Credentials(),
        jobs=JobTracker(tmp_path / "not-a-folder" / "jobs.json"),
    )
    assert await session.save_profile(
        Profile(name="lake", kind="ailake", url="https://l.example"), {"token": "t"}
    )
    job = TrackedJob(AILAKE_OPERATION, "lake", "op-1", "Delete t", "delete", {"instance": "i"})
    await session.remember_job(job)  # logged, not raised: the following goes on in this console
    assert "could not keep job Delete t" in caplog.text
    assert await session.unfinished_jobs() == []
