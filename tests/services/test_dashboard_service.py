"""The dashboard's service on its own (no Qt): one snapshot of a real sandbox — health, backends,
counter totals as the cluster gives them — and a cluster that cannot be reached is an error, never
figures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import SandboxProcess

from gui.api import errors
from gui.api.starrocks.models import MetricSample
from gui.services.credentials import Credentials
from gui.services.dashboard import COUNTERS, DashboardService, Health, totals
from gui.services.journal import Journal
from gui.services.profiles import Profile, ProfileStore
from gui.services.session import ConsoleSession, sandbox_profiles


@pytest_asyncio.fixture
async def session(tmp_path: Path) -> AsyncIterator[ConsoleSession]:
    s = ConsoleSession(ProfileStore(tmp_path / "profiles.json"), Credentials(), Journal(tmp_path / "journal"))
    yield s
    await s.aclose()


def cluster(session: ConsoleSession, info: dict[str, Any]) -> Profile:
    for profile, secrets in sandbox_profiles(info):
        session.add_ephemeral(profile, secrets)
    profile = session.profile("Sandbox StarRocks")
    assert profile is not None
    return profile


@pytest.mark.asyncio
async def test_one_snapshot_of_the_cluster(sandbox: SandboxProcess, session: ConsoleSession) -> None:
    profile = cluster(session, sandbox.info)
    service = DashboardService(session, profile)
    before = (await service.snapshot()).counter("starrocks_fe_query_total")
    sandbox.query("select count(*) from orders", db="demo")
    snap = await service.snapshot()
    assert snap.profile == profile
    assert snap.health.healthy and snap.health.state == "healthy" and snap.health.backends == "1/1"
    [be] = snap.backends
    assert be.alive and be.host and be.http_port == sandbox.be_url.rsplit(":", 1)[1]
    assert be.raw["Alive"] in ("true", True)
    # The FE's own counters, summed over their samples; every counter the dashboard shows is there.
    assert snap.counter("starrocks_fe_query_total") >= before + 1
    assert all(name in snap.totals for name, _ in COUNTERS)
    assert snap.counter("no_such_metric") == 0


@pytest.mark.slow
@pytest.mark.asyncio
async def test_an_unreachable_cluster_raises_and_other_profiles_are_refused(
    sandbox_factory: Any, session: ConsoleSession
) -> None:
    sb: SandboxProcess = sandbox_factory()
    service = DashboardService(session, cluster(session, sb.info))
    assert (await service.snapshot()).health.healthy
    sb.stop()
    with pytest.raises(errors.ConnectionFailed):
        await service.snapshot()
    lake = session.profile("Sandbox AI Lake")
    assert lake is not None
    with pytest.raises(errors.InvalidRequest, match="not a starrocks one"):
        await DashboardService(session, lake).snapshot()


def test_health_and_totals_in_the_clusters_own_figures() -> None:
    down = Health.from_answer({"status": "OK", "online_backend_num": 2, "total_backend_num": 3})
    assert (down.healthy, down.state, down.backends) == (False, "degraded", "2/3")
    unsaid = Health.from_answer({"status": "OK"})
    assert (unsaid.healthy, unsaid.backends) == (False, "?/?")  # not said is not healthy
    assert Health.from_answer({}).status == "?"
    samples = [
        MetricSample(name="starrocks_fe_query_total", labels={"group": "a"}, value=3),
        MetricSample(name="starrocks_fe_query_total", labels={"group": "b"}, value=4),
        MetricSample(name="starrocks_fe_txn_begin", value=1),
    ]
    assert totals(samples) == {"starrocks_fe_query_total": 7.0, "starrocks_fe_txn_begin": 1.0}
