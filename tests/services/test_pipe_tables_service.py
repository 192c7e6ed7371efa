"""``PipeTablesService`` on its own, over real HTTP against a sandbox of its own (the tests create,
refresh and drop tables): listing, paging, details, and each change sent as a job that the one
follower takes to its end; a create refused at once or failed later keeps its input for Edit and
retry until it is sent again; deletes accepted before a refusal are still reported."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SandboxProcess

from gui.api import errors
from gui.api.ailake import AILakeClient
from gui.api.ailake.models import PipeTableSummary, SucceededOperation
from gui.services.credentials import Credentials
from gui.services.follower import follow
from gui.services.pipe_tables import CreateForm, PipeTablesService, is_pipe_job
from gui.services.profiles import ProfileStore
from gui.services.session import ConsoleSession, sandbox_profiles
from gui.services.tracker import AILAKE_OPERATION, HUAWEI_JOB, TrackedJob

LAKE = "Sandbox AI Lake"


@pytest.fixture(scope="module")
def lake_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    sp = SandboxProcess(tmp_path_factory.mktemp("pipe-service"))
    yield sp
    sp.stop()


@pytest.fixture
def session(tmp_path: Path, lake_sandbox: SandboxProcess) -> ConsoleSession:
    s = ConsoleSession(ProfileStore(tmp_path / "profiles.json"), Credentials())
    for profile, secrets in sandbox_profiles(lake_sandbox.info):
        s.add_ephemeral(profile, secrets)
    return s


def service_of(session: ConsoleSession) -> PipeTablesService:
    profile = session.profile(LAKE)
    assert profile is not None
    return PipeTablesService(session, profile)


async def run(service: PipeTablesService, job: TrackedJob) -> SucceededOperation:
    """The job followed to its end as the window follows it (failures raise)."""
    op = await follow(service.check(job), interval=0.05)
    assert isinstance(op, SucceededOperation)
    return op


def agg_form(name: str) -> CreateForm:
    """An aggregate key with an aggregation for only one column: sendable (the columns are not
    typed, so the form cannot tell), and the operation fails once AI Lake reads the files."""
    return CreateForm(
        source_storage="sandbox-lake",
        path_prefix="sales/",
        table_name=name,
        key_type="aggregate",
        key_columns="order_id",
        aggregations=[("amount", "SUM")],
    )


@pytest.mark.slow
@pytest.mark.asyncio
async def test_instances_pages_details_and_storages(
    session: ConsoleSession, lake_sandbox: SandboxProcess
) -> None:
    service = service_of(session)
    instances = await service.database_instances()
    assert "demo" in [i.name for i in instances]
    assert [s.name for s in await service.object_storages()] == ["sandbox-lake"]

    async with AILakeClient(lake_sandbox.url, lake_sandbox.info["ailake"]["token"]) as c:
        ops = [
            await c.create_pipe_table(
                "demo",
                {
                    "pathPrefix": "sales/year=2024/month=01/",
                    "sourceStorageName": "sandbox-lake",
                    "tableName": n,
                },
            )
            for n in ("page_a", "page_b", "page_c", "page_d")
        ]
        for op in ops:
            await c.wait(op, timeout=60)
        listed = sorted([t.table_name async for t in c.list_pipe_tables("demo")])
    pages = await service.pages("demo", page_size=2)
    first = await pages.first(at_least=3)  # a reload keeps what was on screen: whole pages up to it
    assert len(first) == 4 and pages.pages_read == 2 and not pages.done
    rest: list[PipeTableSummary] = []
    while not pages.done:
        rest += await pages.next_page()
    assert pages.total == len(listed) >= 5
    assert sorted(t.table_name for t in first + rest) == listed

    sales = await service.details("demo", "sales")
    assert sales.partition_columns == ["year", "month"] and sales.source_storage_name == "sandbox-lake"
    with pytest.raises(errors.NotFound):
        await service.details("demo", "no_such_table")

    # The client is asked for at each call: the profile as saved last is the one used.
    good = service.profile
    service.profile = replace(good, name="Lake with a wrong token")
    session.credentials.remember(service.profile.secret_key("token"), "not-the-token")
    with pytest.raises(errors.AuthError):
        await service.database_instances()
    service.profile = good
    assert await service.database_instances()


@pytest.mark.asyncio
async def test_a_create_refused_at_once_is_kept_until_sent_again(session: ConsoleSession) -> None:
    service = service_of(session)
    heard: list[str] = []
    service.on_failed_changed = heard.append

    # A form with problems is not sent, and nothing is kept: there was no create.
    with pytest.raises(errors.InvalidRequest) as bad:
        await service.create(
            "demo", CreateForm(source_storage="sandbox-lake", path_prefix="", table_name="X")
        )
    fields = {p["field"] for p in bad.value.raw}
    assert {"pathPrefix", "tableName"} <= fields
    assert service.failed_create("demo") is None and heard == []

    # AI Lake refuses it (the name is taken): the input is kept with AI Lake's reason.
    form = CreateForm(
        source_storage="sandbox-lake", path_prefix="sales/", table_name="sales", polling_interval="600"
    )
    with pytest.raises(errors.ApiError) as refused:
        await service.create("demo", form)
    failed = service.failed_create("demo")
    assert failed is not None and failed.form == form and failed.table == "sales"
    assert failed.reason.startswith("AI Lake refused it: ") and "already exists" in failed.reason
    assert "already exists" in refused.value.message and heard == ["demo"]
    assert service.failed_creates() == {"demo": failed}

    # Edited and sent again: accepted, the kept input is forgotten, the job says what it is.
    form.table_name = "sales_retry"
    job = await service.create("demo", form, retrying=failed)
    assert service.failed_create("demo") is None and heard == ["demo", "demo"]
    assert (job.kind, job.profile, job.action, job.title) == (
        AILAKE_OPERATION,
        LAKE,
        "create",
        "Create pipe table sales_retry in demo",
    )
    assert job.context["instance"] == "demo" and job.context["table"] == "sales_retry"
    assert CreateForm.from_json(job.context["form"]) == form
    op = await run(service, job)
    assert service.result_text(job, op) == "created and its files loaded"
    made = await service.details("demo", "sales_retry")
    assert made.polling_interval_seconds == 600


@pytest.mark.asyncio
async def test_a_create_that_fails_later_keeps_its_input_from_the_job(session: ConsoleSession) -> None:
    service = service_of(session)
    form = agg_form("agg_later")
    job = await service.create("demo", form)
    assert service.failed_create("demo") is None
    with pytest.raises(errors.OperationFailed) as failed:
        await run(service, job)
    reason = service.failure_text(job, failed.value)
    # AI Lake's own reason, its list of columns in words.
    assert "customer" in reason and "['" not in reason
    assert service.job_failed(job, failed.value, reason)
    kept = service.failed_create("demo")
    assert kept is not None and kept.form == form and kept.table == "agg_later" and kept.reason == reason

    # A job followed again by another console (a new service, the same job from the jobs file).
    again = service_of(session)
    assert again.job_failed(job, failed.value, reason)
    assert again.failed_create("demo") is not None and again.failed_create("demo") == kept

    # A failure of the following only (no connection) is not the job's: nothing is kept.
    other = service_of(session)
    lost = errors.ConnectionFailed("no route", service="ailake")
    assert not other.job_failed(job, lost, "no route") and other.failed_create("demo") is None

    # Filled from one failure, while a newer one replaced it: sending the older does not drop the newer.
    newer = agg_form("agg_newer")
    newer_job = await service.create("demo", newer)
    with pytest.raises(errors.OperationFailed) as e:
        await run(service, newer_job)
    service.job_failed(newer_job, e.value, service.failure_text(newer_job, e.value))
    assert service.failed_create("demo") is not kept
    fixed = agg_form("agg_fixed")
    fixed.key_type = ""
    await service.create("demo", fixed, retrying=kept)
    still = service.failed_create("demo")
    assert still is not None and still.table == "agg_newer"
    service.forget_failed_create("demo")
    assert service.failed_creates() == {}


@pytest.mark.slow
@pytest.mark.asyncio
async def test_refresh_analyze_and_delete_are_jobs_followed_to_their_end(
    session: ConsoleSession, lake_sandbox: SandboxProcess
) -> None:
    service = service_of(session)
    sales = await service.details("demo", "sales")

    job = await service.refresh_partition("demo", sales, {"month": "02", "year": "2024"})
    assert (
        job.title == "Refresh sales partition year=2024/month=02"
        and job.context["partition"] == "year=2024/month=02"
    )
    op = await run(service, job)
    assert service.result_text(job, op) == "rows deleted and the partition's files loaded again"
    assert lake_sandbox.query("select count(*) from sales where month = 2", db="demo")[0][0] > 0

    # A partition without files: the refresh fails, and says so.
    empty = await service.refresh_partition("demo", sales, {"year": "2099", "month": "01"})
    with pytest.raises(errors.OperationFailed) as nothing:
        await run(service, empty)
    text = service.failure_text(empty, nothing.value)
    assert text.startswith("No files found for partition year=2099/month=01: nothing was loaded")

    job = await service.analyze("demo", ["sales"])
    assert job.title == "Analyze sales"
    assert service.result_text(job, await run(service, job)) == "1 table analyzed"
    job = await service.analyze("demo", None)
    assert job.title == "Analyze every table of demo"
    assert "tables analyzed" in service.result_text(job, await run(service, job))

    # Deletes one by one: those accepted before a refusal are reported as they are accepted.
    async with AILakeClient(lake_sandbox.url, lake_sandbox.info["ailake"]["token"]) as c:
        body = {"pathPrefix": "sales/year=2024/month=01/", "sourceStorageName": "sandbox-lake"}
        await c.wait(await c.create_pipe_table("demo", {**body, "tableName": "gone_a"}), timeout=60)
    accepted: list[TrackedJob] = []
    with pytest.raises(errors.NotFound):
        await service.delete("demo", ["gone_a", "never_made", "sales"], on_submitted=accepted.append)
    assert [j.title for j in accepted] == ["Delete pipe table gone_a of demo"]
    assert accepted[0].context == {"instance": "demo", "table": "gone_a"}
    assert service.result_text(accepted[0], await run(service, accepted[0])) == "dropped"
    with pytest.raises(errors.NotFound):
        await service.details("demo", "gone_a")
    assert (await service.details("demo", "sales")).table_name == "sales"  # not reached


def test_which_jobs_are_pipe_table_operations() -> None:
    assert is_pipe_job(TrackedJob(AILAKE_OPERATION, "p", "op", "Delete t", "delete"))
    assert not is_pipe_job(TrackedJob(AILAKE_OPERATION, "p", "op", "Provision", "provision"))
    assert not is_pipe_job(TrackedJob(HUAWEI_JOB, "p", "job", "Delete t", "delete"))
