"""The StarRocks instances service on its own (no Qt), against a sandbox: the TaurusDB instances and
their StarRocks instances; create after the resource check, followed to its end and settled; a
change of a busy instance refused before anything is sent, and the service's own refusal when the
row was stale; a node restart, a resize and a delete, each a job whose result line carries the
instance's status; a job of another console settled by a fresh service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import SandboxProcess
from faultproxy import FaultProxy, Rule

from gui.api import errors
from gui.services.follower import follow
from gui.services.instance_forms import CreateForm, availability, flavors_for
from gui.services.instances import HuaweiInstancesService, StarRocksRow, TaurusGroup
from gui.services.profiles import Profile, ProfileStore
from gui.services.session import ConsoleSession, sandbox_profiles
from gui.services.tracker import HUAWEI_JOB, TrackedJob

PROFILE = "Sandbox Huawei Cloud"


@pytest_asyncio.fixture
async def session(tmp_path: Path) -> AsyncIterator[ConsoleSession]:
    made = ConsoleSession(ProfileStore(tmp_path / "profiles.json"))
    yield made
    await made.aclose()


def service_on(
    session: ConsoleSession, sp: SandboxProcess, info: dict[str, Any] | None = None
) -> HuaweiInstancesService:
    """The service of the sandbox's Huawei Cloud profile (``info``: its JSON line, other addresses)."""
    for profile, secrets in sandbox_profiles(info or sp.info):
        session.add_ephemeral(profile, secrets)
    profile = session.profile(PROFILE)
    assert profile is not None
    return HuaweiInstancesService(session, profile)


def row_named(groups: list[TaurusGroup], name: str) -> StarRocksRow:
    return next(r for g in groups for r in g.instances if r.name == name)


async def followed(service: HuaweiInstancesService, job: TrackedJob) -> Any:
    """The job followed to its end, looked at quickly."""
    return await follow(service.check(job), interval=0.1, max_interval=0.3)


async def filled_form(service: HuaweiInstancesService, taurus: TaurusGroup, name: str) -> CreateForm:
    """A Single instance as the wizard fills it by default: the first zone and the first flavors and
    storage types on sale there."""
    [datastore] = await service.datastores()
    catalogue = await service.catalogue(datastore)
    az = sorted({z for f in catalogue.flavors for z in f.az_status})[0]

    def on_sale(node: str) -> Any:
        return next(
            f for f in flavors_for(catalogue.flavors, node, "Single") if not availability(f.az_status, az)
        )

    storage = next(s for s in catalogue.storages if not availability(s.az_status, az))
    return CreateForm(
        taurus=taurus.taurus,
        name=name,
        datastore=datastore,
        mode="Single",
        az=az,
        fe_flavor=on_sale("fe"),
        be_flavor=on_sale("be"),
        fe_storage=storage,
        be_storage=storage,
        fe_gb=60,
        be_gb=200,
        password="Lake#2026xQ",
        confirm="Lake#2026xQ",
        existing_in_taurus=len(taurus.instances),
        max_in_taurus=taurus.max_instances,
    )


@pytest.mark.asyncio
async def test_the_seeded_instances_are_listed_with_their_nodes(
    session: ConsoleSession, sandbox: SandboxProcess
) -> None:
    service = service_on(session, sandbox)
    groups = await service.load()
    assert {g.name for g in groups} >= {"taurus-sandbox", "taurus-reporting"}
    row = row_named(groups, "htap-sandbox")
    assert (row.status, row.ha_mode, row.engine_version) == ("normal", "Cluster", "3.1.6.0")
    assert (row.fe.count, row.be.count, row.az) == (3, 3, "cn-north-4a")
    assert row.busy_reason == ""
    # One group read again, as while a job runs on one of its instances.
    group = next(g for g in groups if g.id == row.taurus_id)
    again = await service.reload_group(group.id)
    assert again is not None and [r.id for r in again.instances] == [r.id for r in group.instances]
    assert await service.reload_group("0" * 32 + "in07") is None  # not a TaurusDB instance of the project


@pytest.mark.slow
@pytest.mark.asyncio
async def test_create_checks_the_room_then_creates_and_the_job_ends_with_the_instance_normal(
    session: ConsoleSession, sandbox_factory: Any
) -> None:
    service = service_on(session, sandbox_factory())
    groups = await service.load()
    taurus = next(g for g in groups if g.name == "taurus-sandbox")
    form = await filled_form(service, taurus, "htap-new")
    assert await service.check_resources(form) is True
    checks: list[bool] = []
    created = await service.create(form, on_checked=checks.append)
    assert created is not None and checks == [True]
    assert created.row.name == "htap-new" and created.row.status == "creating"
    job = created.job
    assert (job.kind, job.action, job.title, job.done) == (
        HUAWEI_JOB,
        "create",
        "Create htap-new",
        "htap-new created",
    )
    assert job.context == {"taurus_id": taurus.id, "instance_id": created.row.id}
    assert "Lake#2026xQ" not in repr(job)  # the root password goes to Huawei Cloud only
    final = await followed(service, job)
    assert final.status == "Completed"
    seen: list[TaurusGroup] = []
    assert await service.settle(job, on_group=seen.append, interval=0.2) == "htap-new created (normal)"
    new = row_named(seen[-1:], "htap-new")
    assert (new.status, new.ha_mode, new.fe.count, new.be.volume_gb) == ("normal", "Single", 1, "200")


@pytest.mark.asyncio
async def test_a_form_the_service_would_refuse_is_not_sent(
    session: ConsoleSession, sandbox: SandboxProcess
) -> None:
    service = service_on(session, sandbox)
    before = sum(len(g.instances) for g in await service.load())
    with pytest.raises(errors.InvalidRequest) as refused:
        await service.create(CreateForm(name="1x", password="short"))
    assert "the name must be 4 to 64 characters long" in refused.value.message
    assert sum(len(g.instances) for g in await service.load()) == before


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_busy_instance_is_refused_here_and_a_stale_row_by_huawei_cloud(
    session: ConsoleSession, sandbox_factory: Any
) -> None:
    service = service_on(session, sandbox_factory("--job-seconds", "3"))
    groups = await service.load()
    row = row_named(groups, "htap-sandbox")
    flavors = await service.flavors(row)
    bigger = next(
        f for f in flavors if f.spec_code == "gaussdb.sr-be.2xlarge.x86.4" and f.instance_mode == "Cluster"
    )
    unavailable = next(f for f in flavors if ".arm." in (f.spec_code or "") and f.node_type == "be")
    with pytest.raises(errors.InvalidRequest, match="not offered in cn-north-4a"):
        await service.resize(row, None, unavailable)
    job = await service.resize(row, None, bigger)
    assert job.action == "resize" and job.title == "Resize htap-sandbox (BE → 8 vCPUs, 32 GB)"

    group = await service.reload_group(row.taurus_id)
    assert group is not None
    busy = next(r for r in group.instances if r.id == row.id)
    assert busy.status == "resizing" and busy.busy_reason.startswith("A resize is running on htap-sandbox")
    for change in (service.restart(busy), service.delete(busy), service.resize(busy, None, bigger)):
        with pytest.raises(errors.Conflict) as refused:
            await change
        assert refused.value.message == busy.busy_reason
    # The row read before the resize says nothing of it: the request goes, and Huawei Cloud's own
    # refusal comes back as it is.
    with pytest.raises(errors.ApiError) as stale:
        await service.restart(row)
    assert stale.value.code == "DBS.200019"
    await followed(service, job)
    assert await service.settle(job, interval=0.2) == "htap-sandbox resized (normal)"
    resized = row_named(await service.load(), "htap-sandbox")
    assert resized.be.flavor == "8 vCPUs, 32 GB"


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_node_restart_then_a_delete(session: ConsoleSession, sandbox_factory: Any) -> None:
    service = service_on(session, sandbox_factory())
    row = row_named(await service.load(), "htap-sandbox")
    assert row.detail is not None
    node = next(n for n in row.detail.nodes if n.type == "be")
    job = await service.restart(row, node)
    assert (job.action, job.title) == ("restart-node", f"Restart node {node.name} of htap-sandbox")
    await followed(service, job)
    assert await service.settle(job, interval=0.2) == f"node {node.name} of htap-sandbox restarted (normal)"

    row = row_named(await service.load(), "htap-sandbox")
    job = await service.delete(row)
    assert (job.action, job.done) == ("delete", "htap-sandbox deleted")
    await followed(service, job)
    shown: list[TaurusGroup] = []
    assert await service.settle(job, on_group=shown.append, interval=0.2) == "htap-sandbox deleted"
    assert all(r.id != row.id for r in shown[-1].instances)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_job_left_by_another_console_is_settled_by_a_fresh_service(
    session: ConsoleSession, sandbox_factory: Any
) -> None:
    sp = sandbox_factory()
    first = service_on(session, sp)
    row = row_named(await first.load(), "htap-sandbox")
    job = await first.restart(row)
    assert HuaweiInstancesService.owns(job)
    assert not HuaweiInstancesService.owns(TrackedJob("ailake-operation", PROFILE, "op", "t", "provision"))
    # The next console's service has read nothing yet: it finds the TaurusDB instance by its id.
    profile = session.profile(PROFILE)
    assert profile is not None
    fresh = HuaweiInstancesService(session, profile)
    await followed(fresh, job)
    assert await fresh.settle(job, interval=0.2) == "htap-sandbox restarted (normal)"


@pytest.mark.asyncio
async def test_a_look_at_the_instance_that_fails_does_not_fail_the_job(
    session: ConsoleSession, sandbox: SandboxProcess
) -> None:
    proxy = FaultProxy(sandbox.url)
    try:
        service = service_on(session, sandbox, dict(sandbox.info, url=proxy.url))
        row = row_named(await service.load(), "htap-sandbox")
        job = await service.restart(row)
        await followed(service, job)
        # The job is done; the look at the instance afterwards is refused.
        proxy.add(Rule("GET", r"/v3/[^/]+/instances/[^/]+/htap", "status", status=403, times=100))
        result = await service.settle(job, interval=0.2)
        assert result.startswith("htap-sandbox restarted (the instance could not be read afterwards: ")
        await session.aclose()  # its connections to the proxy close before the proxy does
    finally:
        proxy.close()


@pytest.mark.asyncio
async def test_a_profile_of_another_kind_is_refused(session: ConsoleSession, sandbox: SandboxProcess) -> None:
    service_on(session, sandbox)
    lake = session.profile("Sandbox AI Lake")
    assert isinstance(lake, Profile)
    with pytest.raises(errors.InvalidRequest, match="not a huawei one"):
        await HuaweiInstancesService(session, lake).load()
