"""The dashboards' service on its own (no Qt): a card's light and reason from real readings of a
sandbox, the desktop notice on turning red and recovering, and loads at a glance — the cluster's
``information_schema.loads`` joined with the console's journal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from conftest import SandboxProcess

from gui.services.credentials import Credentials
from gui.services.dashboard import DashboardService, card_figures, desktop_notice, light, reason
from gui.services.journal import Journal, JournalEntry
from gui.services.monitoring import ClusterMonitor
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


@pytest.mark.slow
@pytest.mark.asyncio
async def test_lights_reasons_and_notices_follow_a_stopped_and_restarted_cluster(
    sandbox_factory: Any, session: ConsoleSession
) -> None:
    sb: SandboxProcess = sandbox_factory()
    profile = cluster(session, sb.info)
    mon = ClusterMonitor(profile.name, lambda: session.starrocks(profile))
    try:
        ok = await mon.tick()
        assert light(ok) == "green" and reason(ok) == "All good (1/1 FE, 1/1 BE alive)"
        figures = card_figures(ok)
        assert figures.be == (1, 1) and figures.fullest_disk is not None and figures.txn_limit == 1000
        assert desktop_notice(None, ok) is None
        port = sb.url.rsplit(":", 1)[1]
        be_port = sb.be_url.rsplit(":", 1)[1]
        sb.stop()
        down = await mon.tick()
        assert light(down) == "red" and reason(down).startswith("Unreachable: ")
        notice = desktop_notice(ok, down)
        assert notice is not None and notice.startswith("Sandbox StarRocks turned red: Unreachable")
        assert desktop_notice(down, down) is None  # told once, not at every reading
        sb.restart("--port", port, "--be-port", be_port)
        back = await mon.tick()
        assert light(back) == "green"
        assert (desktop_notice(down, back) or "").startswith("Sandbox StarRocks recovered")
    finally:
        await mon.aclose()


@pytest.mark.asyncio
async def test_loads_at_a_glance_join_the_cluster_and_the_journal(
    sandbox: SandboxProcess, session: ConsoleSession
) -> None:
    profile = cluster(session, sandbox.info)
    label = f"glance-{id(session)}"
    r = httpx.put(
        f"{sandbox.url}/api/demo/orders/_stream_load",
        content=b"9100,glance,1.00,2024-01-01 00:00:00\n",
        headers={"Expect": "100-continue", "label": label, "column_separator": ","},
        auth=sandbox.auth,
        follow_redirects=False,
    )
    assert r.status_code == 307
    done = httpx.put(
        r.headers["location"],
        content=b"9100,glance,1.00,2024-01-01 00:00:00\n",
        headers={"label": label, "column_separator": ","},
        auth=sandbox.auth,
    )
    assert done.json()["Status"] == "Success", done.text
    session.journal.save(JournalEntry(label="console-only", fe_url=sandbox.url, db="demo", table="orders",
                                      step="prepared", state="PREPARED"))  # fmt: skip
    glance = await DashboardService(session, profile).glance({"demo": 0})
    mine = [row for row in glance.loads if row.label == label]
    assert mine and mine[0].source == "cluster" and mine[0].group == "finished" and mine[0].rows == 1
    journal = [row for row in glance.loads if row.label == "console-only"]
    assert journal and journal[0].source == "console" and journal[0].group == "running"
    assert glance.databases == [] and not glance.loads_error
