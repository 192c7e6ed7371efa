"""The AI Lake databases service on its own (no Qt), against a sandbox: the databases with the
object storages they read; a provision followed to its end, its row shown meanwhile (the service
lists a database only once it is provisioned); a deprovision the service refuses (tables left, no
cascade) ending as a failure with the row active again; a request the service would refuse is not
sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import SandboxProcess

from gui.api import errors
from gui.services.follower import follow
from gui.services.lake_databases import LakeDatabaseRow, LakeDatabasesService, row_after
from gui.services.profiles import ProfileStore
from gui.services.session import ConsoleSession, sandbox_profiles
from gui.services.tracker import AILAKE_OPERATION, HUAWEI_JOB, TrackedJob


@pytest_asyncio.fixture
async def session(tmp_path: Path) -> AsyncIterator[ConsoleSession]:
    made = ConsoleSession(ProfileStore(tmp_path / "profiles.json"))
    yield made
    await made.aclose()


def service_on(session: ConsoleSession, sp: SandboxProcess) -> LakeDatabasesService:
    for profile, secrets in sandbox_profiles(sp.info):
        session.add_ephemeral(profile, secrets)
    profile = session.profile("Sandbox AI Lake")
    assert profile is not None
    return LakeDatabasesService(session, profile)


def by_name(rows: list[LakeDatabaseRow]) -> dict[str, LakeDatabaseRow]:
    return {r.name: r for r in rows}


async def followed(service: LakeDatabasesService, job: TrackedJob) -> Any:
    return await follow(service.check(job), interval=0.1, max_interval=0.3)


@pytest.mark.asyncio
async def test_the_databases_are_listed_with_the_storages_they_read(
    session: ConsoleSession, sandbox: SandboxProcess
) -> None:
    service = service_on(session, sandbox)
    snapshot = await service.load()
    demo = by_name(snapshot.rows)["demo"]
    assert (demo.state, demo.storages) == ("active", ("sandbox-lake",)) and demo.id
    assert "sandbox-lake" in [s.name for s in snapshot.storages]
    assert [s.name for s in await service.storages()] == [s.name for s in snapshot.storages]
    assert "sales" in await service.pipe_tables("demo")


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_provision_shows_its_row_until_the_operation_ends(
    session: ConsoleSession, sandbox_factory: Any
) -> None:
    service = service_on(session, sandbox_factory("--operation-seconds", "1"))
    storage = next(s for s in await service.storages() if s.name == "sandbox-lake")
    job = await service.provision("lake_two", [storage.storage_id], existing=["demo"])
    assert (job.kind, job.action, job.title, job.done) == (
        AILAKE_OPERATION,
        "provision",
        "Provision database lake_two",
        "lake_two provisioned",
    )
    assert LakeDatabasesService.owns(job) and job.context == {"name": "lake_two"}
    service.started(job)
    # Not listed by AI Lake until it is done: the row comes from the operation followed here.
    assert by_name((await service.load()).rows)["lake_two"] == LakeDatabaseRow(
        "lake_two", state="provisioning"
    )
    await followed(service, job)
    assert service.ended(job, None) is True and service.moving == {}
    two = by_name((await service.load()).rows)["lake_two"]
    assert (two.state, two.storages) == ("active", ("sandbox-lake",)) and two.id


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_deprovision_refused_by_ai_lake_ends_as_failed_and_the_row_is_active_again(
    session: ConsoleSession, sandbox_factory: Any
) -> None:
    service = service_on(session, sandbox_factory())
    demo = by_name((await service.load()).rows)["demo"]
    job = await service.deprovision(demo, cascade=False)
    assert (job.action, job.title, job.done) == (
        "deprovision",
        "Deprovision database demo",
        "demo deprovisioned",
    )
    service.started(job)
    shown = by_name((await service.load()).rows)["demo"]
    assert shown.state == "deprovisioning"
    # "demo" still has its pipe table: without cascade AI Lake refuses, and says why.
    with pytest.raises(errors.ApiError) as failed:
        await followed(service, job)
    assert "not empty" in failed.value.message
    assert service.ended(job, failed.value) is False
    after = row_after(shown, False)
    assert after is not None and after.state == "active"
    assert by_name((await service.load()).rows)["demo"].state == "active"


def test_what_a_row_shows_once_its_operation_ended() -> None:
    provisioning = LakeDatabaseRow("x", state="provisioning")
    going = LakeDatabaseRow("x", id="1", state="deprovisioning")
    assert row_after(provisioning, False) is None
    assert row_after(provisioning, True) == provisioning  # the next listing shows it
    assert row_after(going, True) is None
    assert row_after(going, False) == LakeDatabaseRow("x", id="1", state="active")


@pytest.mark.asyncio
async def test_a_cut_following_leaves_the_outcome_to_the_next_listing(
    session: ConsoleSession, sandbox: SandboxProcess
) -> None:
    service = service_on(session, sandbox)
    job = TrackedJob(
        AILAKE_OPERATION, "Sandbox AI Lake", "op-1", "Provision database x", "provision", {"name": "x"}
    )
    service.started(job)
    assert service.moving == {"x": "provisioning"}
    cut = errors.AuthError("the token was refused", service="AI Lake", status=401)
    assert service.ended(job, cut) is None and service.moving == {}
    assert not LakeDatabasesService.owns(TrackedJob(AILAKE_OPERATION, "p", "op", "t", "delete"))
    assert not LakeDatabasesService.owns(TrackedJob(HUAWEI_JOB, "p", "job", "t", "provision"))


@pytest.mark.asyncio
async def test_a_request_ai_lake_would_refuse_is_not_sent(
    session: ConsoleSession, sandbox: SandboxProcess
) -> None:
    service = service_on(session, sandbox)
    storage = (await service.storages())[0]
    with pytest.raises(errors.InvalidRequest, match="a database instance named 'demo' exists"):
        await service.provision("demo", [storage.storage_id], existing=["demo"])
    with pytest.raises(errors.InvalidRequest, match="listed only once"):
        await service.provision("lake_three", [storage.storage_id] * 2, existing=["demo"])
    assert "lake_three" not in by_name((await service.load()).rows)
