"""The monitoring against the real sandbox: a reading through a profile (health, SHOW FRONTENDS and
BACKENDS, each node's own /metrics, running transactions per database), a BE reached through the
profile's BE address map, the collection running in the background for every watched profile and
its history and alerts kept across a restart, and a stopped cluster as an alert of its own with the
last figures kept, marked stale."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import SandboxProcess
from faultproxy import FaultProxy, Rule

from gui.services.credentials import Credentials
from gui.services.journal import Journal
from gui.services.monitoring import AlertSettings, ClusterMonitor, ClusterState, HistoryStore, Monitoring
from gui.services.monitoring.collector import Collector
from gui.services.profiles import Profile, ProfileStore
from gui.services.session import ConsoleSession, sandbox_profiles


@pytest_asyncio.fixture
async def session(tmp_path: Path) -> AsyncIterator[ConsoleSession]:
    s = ConsoleSession(ProfileStore(tmp_path / "profiles.json"), Credentials(), Journal(tmp_path / "journal"))
    yield s
    await s.aclose()


def cluster(session: ConsoleSession, info: dict[str, Any], **changes: Any) -> Profile:
    for profile, secrets in sandbox_profiles(info):
        if profile.kind == "starrocks":
            for k, v in changes.items():
                setattr(profile, k, v)
        session.add_ephemeral(profile, secrets)
    profile = session.profile("Sandbox StarRocks")
    assert profile is not None
    return profile


def of(session: ConsoleSession, profile: Profile, **kw: Any) -> ClusterMonitor:
    async def source() -> Any:
        return await session.starrocks(profile)

    return ClusterMonitor(profile.name, source, **kw)


async def until(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
    return value


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_reading_of_the_sandbox_through_its_profile(
    sandbox_factory: Any, session: ConsoleSession
) -> None:
    # A sandbox of its own: queries other tests make fail on the shared one rightly warn.
    sandbox: SandboxProcess = sandbox_factory()
    db = "mon_" + uuid.uuid4().hex[:8]
    sandbox.admin_sql(f"CREATE DATABASE {db}")
    sandbox.admin_sql("CREATE TABLE t (id int) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1", db=db)
    profile = cluster(session, sandbox.info)
    client = await session.starrocks(profile)
    label = "mon_" + uuid.uuid4().hex[:8]
    await client.begin(db, "t", label)
    mon = of(session, profile)
    try:
        state = await mon.tick()
    finally:
        await client.rollback(db, label)
        await mon.aclose()
    s = state.sample
    assert s.reachable and s.health["status"] == "OK"
    [fe] = s.frontends or []
    assert fe.alive and fe.leader and fe.http_port == sandbox.url.rsplit(":", 1)[1] and not fe.metrics_error
    [be] = s.backends or []
    assert be.alive and be.http_port == sandbox.be_url.rsplit(":", 1)[1]
    assert not be.metrics_error  # its own /metrics was read at the address SHOW BACKENDS gives
    assert "starrocks_be_load_rows" in s.counters[f"be:{be.key}"]
    assert "starrocks_fe_query_total" in s.counters[f"fe:{fe.key}"]
    assert s.running_txns is not None and s.running_txns[db] == 1
    assert state.figures["be_alive"] == state.figures["be_total"] == 1
    assert state.state == "ok" and state.exit_code == 0, [a.reason for a in state.alerts]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_be_named_by_an_address_inside_the_cluster_is_read_through_the_be_address_map(
    sandbox_factory: Any, session: ConsoleSession
) -> None:
    inside = f"localhost:{_closed_port()}"
    sb: SandboxProcess = sandbox_factory("--be-advertise", inside)
    reachable = sb.be_url.split("://", 1)[1]
    profile = cluster(session, sb.info, be_map={inside: reachable})
    mon = of(session, profile)
    mapped = (await mon.tick()).sample
    [be] = mapped.backends or []
    assert f"{be.host}:{be.http_port}" == inside and not be.metrics_error
    assert "starrocks_be_load_rows" in mapped.counters[f"be:{be.key}"]
    await mon.aclose()

    unmapped = ConsoleSession(ProfileStore(session.profiles.path.with_name("p2.json")), Credentials())
    bare = cluster(unmapped, sb.info)
    mon = of(unmapped, bare)
    state = await mon.tick()
    [be] = state.sample.backends or []
    assert be.metrics_error.startswith(f"cannot read http://{inside}/metrics")
    # The rest of the reading stands; the BE's own figures are missing, not zero.
    assert state.state == "ok" and f"be:{be.key}" not in state.sample.counters
    await mon.aclose()
    await unmapped.aclose()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_stopped_cluster_is_an_alert_and_its_last_figures_are_kept_as_stale(
    sandbox_factory: Any, session: ConsoleSession
) -> None:
    sb: SandboxProcess = sandbox_factory()
    mon = of(session, cluster(session, sb.info))
    first = await mon.tick()
    assert first.state == "ok"
    sb.stop()
    state = await mon.tick()
    assert state.state == "unreachable" and state.exit_code == 3 and state.stale
    [alert] = state.alerts
    assert alert.rule == "unreachable" and alert.severity == "critical"
    assert alert.reason.startswith(f"cannot reach {sb.url}/api/health") and "(since " in alert.reason
    assert state.figures == first.figures and state.read_at == first.sample.taken_at
    await mon.aclose()


@pytest.mark.asyncio
async def test_a_cluster_that_takes_the_connection_and_never_answers_is_unreachable_within_seconds(
    sandbox: SandboxProcess, session: ConsoleSession
) -> None:
    proxy = FaultProxy(sandbox.url)
    try:
        mon = of(
            session, cluster(session, sandbox.info, url=proxy.url), collector=Collector(node_timeout=0.5)
        )
        held = proxy.add(Rule("GET", "/api/health", "hold", times=10))
        started = time.monotonic()
        state = await asyncio.wait_for(mon.tick(), 30)  # before: held for minutes
        took = time.monotonic() - started
        assert held.fired >= 1
        assert state.state == "unreachable" and state.exit_code == 3
        assert state.sample.error == f"{proxy.url}/api/health did not answer within 1 s."
        [alert] = state.alerts
        assert alert.rule == "unreachable" and alert.reason.startswith(state.sample.error.rstrip("."))
        assert took < 5, took  # not the client's read timeout and its retries
        held.released.set()
        proxy.clear()
        assert (await mon.tick()).state != "unreachable"  # answering again: read again
        await mon.aclose()
    finally:
        proxy.close()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_every_watched_profile_is_collected_in_the_background_and_a_restart_keeps_history_and_alerts(
    sandbox: SandboxProcess, session: ConsoleSession, tmp_path: Path
) -> None:
    # A saved profile (its secret kept for the session only: no keyring in this test).
    profile = Profile(name="prod", kind="starrocks", url=sandbox.url, user=sandbox.auth[0])
    assert not await session.save_profile(profile, {"password": sandbox.auth[1]}, to_keyring=False)
    store = HistoryStore(tmp_path / "data" / "metrics")
    settings = AlertSettings(tmp_path / "config" / "alerts.json")
    # Every database holding a running transaction or none is "near the limit" at 0: an alert to keep.
    settings.set(profile.name, "running_txns", warning=0, critical=None)
    heard: list[ClusterState] = []
    monitoring = Monitoring(session, store=store, settings=settings, interval=0.2)
    monitoring.listeners.append(lambda name, state: heard.append(state))
    mon = await monitoring.watch(profile)
    assert await monitoring.watch(profile) is mon
    await until(lambda: len(heard) >= 3)
    assert all(s.name == profile.name and s.sample.reachable for s in heard)
    [alert] = [a for a in heard[-1].alerts if a.subject == "db:demo"]
    assert alert.rule == "running_txns" and alert.severity == "warning"
    assert mon.history is not None
    before = mon.history.series("be_total", 300)
    assert before[1] and set(before[1]) == {1.0}
    await monitoring.unwatch(profile.name)
    path = store.path(profile.name)
    assert path.stat().st_mode & 0o777 == 0o600

    again = Monitoring(
        session, store=HistoryStore(store.root), settings=AlertSettings(settings.path), interval=60
    )
    mon2 = await again.watch(profile)
    assert mon2.history is not None
    kept = mon2.history.series("be_total", 300)
    assert kept[0][: len(before[0])] == before[0]  # the readings before the restart are there
    restored = mon2.book.active[("running_txns", "db:demo")]
    assert restored.started_at == alert.started_at
    await again.unwatch(profile.name, forget=True)
    assert not path.exists() and again.settings.limits(profile.name)["running_txns"].warning == 900

    # The sandbox's profile lives for this session only, and so does its history: the next
    # session's sandbox is another cluster.
    sandbox_profile = cluster(session, sandbox.info)
    await again.follow_profiles()  # every StarRocks profile of the session, saved or not
    assert sorted(again.watched()) == ["Sandbox StarRocks", "prod"]
    mon3 = again.monitor(sandbox_profile.name)
    assert mon3 is not None
    await until(lambda: mon3.state is not None)
    await again.aclose()
    assert not store.path(sandbox_profile.name).exists() and path.exists()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_shorter_interval_takes_effect_at_once_not_after_the_old_one(
    sandbox: SandboxProcess, session: ConsoleSession, tmp_path: Path
) -> None:
    profile = cluster(session, sandbox.info)
    heard: list[float] = []
    monitoring = Monitoring(
        session,
        store=HistoryStore(tmp_path / "m"),
        settings=AlertSettings(tmp_path / "a.json"),
        interval=3600,
    )
    monitoring.listeners.append(lambda name, state: heard.append(time.monotonic()))
    await monitoring.watch(profile)
    await until(lambda: len(heard) == 1)
    lowered = time.monotonic()
    monitoring.interval = 0.5  # as the fleet's "Refresh every" does
    await until(lambda: len(heard) >= 3, timeout=20)
    assert heard[1] - lowered < 10  # not an hour
    await monitoring.aclose()


@pytest.mark.asyncio
async def test_nothing_is_watched_again_once_the_monitoring_is_closed(
    sandbox: SandboxProcess, session: ConsoleSession, tmp_path: Path
) -> None:
    """A start or a profile change that arrives after the window closed its monitoring must not
    leave a collection running that nobody stops."""
    from gui.api import errors

    profile = cluster(session, sandbox.info)
    monitoring = Monitoring(
        session,
        store=HistoryStore(tmp_path / "m"),
        settings=AlertSettings(tmp_path / "a.json"),
        interval=3600,
    )
    await monitoring.watch(profile)
    await monitoring.aclose()
    await monitoring.follow_profiles()  # a profile change heard late
    assert monitoring.watched() == []
    with pytest.raises(errors.InvalidRequest, match="closed"):
        await monitoring.watch(profile)
    running = [t for t in asyncio.all_tasks() if t.get_name().startswith("monitoring ")]
    assert running == []
