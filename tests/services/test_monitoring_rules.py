"""The monitoring on a recorded StarRocks cluster (FE and BEs on loopback, serving the metric texts
and SHOW rows a real cluster writes): rates from counters across node restarts, and StarRocks'
alert rules — corrected — starting, changing and ending with the reasons in words. Readings are
driven one by one with a clock the test moves: nothing sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from gui.api.starrocks import StarRocksClient
from gui.services.monitoring import AlertSettings, ClusterMonitor, ClusterState

from .recorded_cluster import GiB, RecordedCluster, be_metrics, fe_metrics

T0 = 1_796_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def recorded() -> Iterator[RecordedCluster]:
    cluster = RecordedCluster(backends=2)
    yield cluster
    cluster.close()


@pytest_asyncio.fixture
async def client(recorded: RecordedCluster) -> AsyncIterator[StarRocksClient]:
    async with StarRocksClient(recorded.url, "root", "secret") as c:
        yield c


def monitor(client: StarRocksClient, clock: Clock, settings: AlertSettings | None = None) -> ClusterMonitor:
    async def source() -> StarRocksClient:
        return client

    if settings is None:
        return ClusterMonitor("recorded", source, clock=clock)
    return ClusterMonitor("recorded", source, clock=clock, limits=lambda: settings.limits("recorded"))


def alerts(state: ClusterState) -> dict[tuple[str, str], tuple[str, str]]:
    return {(a.rule, a.subject): (a.severity, a.reason) for a in state.alerts}


@pytest.mark.asyncio
async def test_rates_come_from_counters_and_a_restart_never_makes_them_negative(
    recorded: RecordedCluster, client: StarRocksClient
) -> None:
    be = recorded.backends[0]
    # Loads on the first BE; it restarts before the third reading (its counters start from 0).
    be.metrics = [
        be_metrics(load_rows=1000, load_bytes=10_000),
        be_metrics(load_rows=1500, load_bytes=20_000),
        be_metrics(load_rows=200, load_bytes=4_000),
    ]
    recorded.backends[1].metrics = [be_metrics(load_rows=0, load_bytes=0)]
    fe = recorded.frontends[0]
    fe.metrics = [
        fe_metrics(query_total=1000, txn_begin=100, txn_success=95, txn_failed=0),
        fe_metrics(query_total=1100, txn_begin=110, txn_success=105, txn_failed=0),
        # The FE restarted and has already counted past its old value: only its start time tells.
        fe_metrics(query_total=1250, txn_begin=12, txn_success=12, txn_failed=0),
    ]
    clock = Clock()
    mon = monitor(client, clock)
    first = await mon.tick()
    assert first.state == "ok" and first.sample.reachable
    # Before two readings there is no rate from counters: the FE's own per-second figure is shown.
    assert first.figures["qps"] == 3.5 and "load_rows_per_s" not in first.figures

    clock.advance(5)
    second = await mon.tick()
    assert second.figures["load_rows_per_s"] == pytest.approx(100.0)  # 500 rows in 5 s
    assert second.figures["load_bytes_per_s"] == pytest.approx(2000.0)
    assert second.figures["qps"] == pytest.approx(20.0)
    assert second.figures["txn_begun_per_min"] == pytest.approx(120.0)  # 10 in 5 s

    clock.advance(5)
    fe.start_time = "2026-12-07 12:30:00"
    third = await mon.tick()
    # The BE's counter went down: what it counted since it came back, over the interval.
    assert third.figures["load_rows_per_s"] == pytest.approx(40.0)
    assert third.figures["load_bytes_per_s"] == pytest.approx(800.0)
    # The FE's counter went up, yet it restarted: 1250 queries since, not 150.
    assert third.figures["qps"] == pytest.approx(250.0)
    assert all(v >= 0 for v in third.figures.values())
    await mon.aclose()


@pytest.mark.asyncio
async def test_a_dead_be_is_down_though_the_fe_writes_no_dead_state_and_the_alert_ends_when_it_returns(
    recorded: RecordedCluster, client: StarRocksClient
) -> None:
    dead = recorded.backends[1]
    dead.alive = False
    dead.error = "java.net.ConnectException: Connection refused"
    recorded.frontends[0].metrics = [fe_metrics(be_total=2, be_alive=1)]
    # StarRocks' documented rule asks for node_info{type="be_node_num",state="dead"}: the FE never
    # writes it, so that rule would stay silent here.
    assert 'type="be_node_num", state="dead"' not in recorded.frontends[0].metrics[0]
    clock = Clock()
    mon = monitor(client, clock)
    state = await mon.tick()
    assert state.state == "critical" and state.exit_code == 2
    assert alerts(state)[("be_down", "be:10002")] == (
        "critical",
        "BE 127.0.0.1:9051 down since 2026-12-07 12:01:03: java.net.ConnectException: Connection refused",
    )
    [down] = [a for a in state.alerts if a.rule == "be_down"]
    assert down.started_at == T0 and down.ended_at is None
    # A dead BE's metrics are not asked for.
    assert not any(node == "be:10002" for node, _ in recorded.requests)

    clock.advance(5)
    dead.alive = True
    state = await mon.tick()
    assert state.state == "ok" and not state.alerts
    assert [(a.rule, a.ended_at) for a in state.ended] == [("be_down", T0 + 5)]
    assert [a.rule for a in state.changed] == ["be_down"]
    await mon.aclose()


@pytest.mark.asyncio
async def test_a_full_disk_is_named_by_path_changes_severity_and_ends_under_the_profiles_threshold(
    recorded: RecordedCluster, client: StarRocksClient, tmp_path: Path
) -> None:
    be = recorded.backends[0]
    be.metrics = [
        be_metrics(disks={"/data1": (100 * GiB, 7 * GiB), "/data2": (100 * GiB, 50 * GiB)}),
        be_metrics(disks={"/data1": (100 * GiB, 15 * GiB), "/data2": (100 * GiB, 50 * GiB)}),
    ]
    settings = AlertSettings(tmp_path / "alerts.json")
    clock = Clock()
    mon = monitor(client, clock, settings)
    state = await mon.tick()
    assert alerts(state)[("disk_used", "be:10001:/data1")] == (
        "critical",
        "disk /data1 on 127.0.0.1 at 93 % (critical above 90 %)",
    )
    assert ("disk_used", "be:10001:/data2") not in alerts(state)
    assert [d["path"] for d in state.sample.backends[0].to_json()["disks"]] == ["/data1", "/data2"]  # type: ignore[index]

    clock.advance(5)
    state = await mon.tick()
    [disk] = [a for a in state.alerts if a.rule == "disk_used"]
    assert (disk.severity, disk.reason) == (
        "warning",
        "disk /data1 on 127.0.0.1 at 85 % (warning above 80 %)",
    )
    assert disk.started_at == T0  # the same alert, still going

    settings.set("recorded", "disk_used", warning=88)
    clock.advance(5)
    state = await mon.tick()
    assert not [a for a in state.alerts if a.rule == "disk_used"]
    assert [a.ended_at for a in state.ended if a.rule == "disk_used"] == [T0 + 10]
    await mon.aclose()


@pytest.mark.asyncio
async def test_cluster_rules_read_their_figures_from_the_nodes_own_metrics(
    recorded: RecordedCluster, client: StarRocksClient
) -> None:
    fe = recorded.frontends[0]
    fe.metrics = [
        fe_metrics(query_total=1000, query_err=0, txn_success=95, txn_failed=0),
        fe_metrics(
            query_total=1100, query_err=30, txn_success=100, txn_failed=5, heap_used=7 * GiB, p95=6200.0
        ),
    ]
    be = recorded.backends[0]
    be.metrics = [
        be_metrics(idle=900_000, busy=100_000),
        # 950 busy jiffies of 1,000 (guest time is inside user: not counted twice).
        be_metrics(idle=900_050, busy=100_950, cumulative_score=150),
    ]
    be.cpu_pct = 12.0  # the FE's older figure; the BE's own counters are newer
    recorded.backends[1].mem_pct = 93.0
    recorded.running = {"sales": 950, "logs": 2}
    follower = recorded.add_frontend("127.0.0.1_9011_1764579600000", alive=False)
    follower.last_heartbeat = "2026-12-07 11:58:40"
    clock = Clock()
    mon = monitor(client, clock)
    await mon.tick()
    clock.advance(5)
    state = await mon.tick()
    found = alerts(state)
    assert found[("fe_down", f"fe:{follower.name}")] == (
        "critical",
        "FE 127.0.0.1:9011 (FOLLOWER) down since 2026-12-07 11:58:40",
    )
    assert found[("fe_heap", f"fe:{fe.name}")] == (
        "warning",
        "JVM heap of FE 127.0.0.1:9010 at 88 % (warning above 80 %)",
    )
    assert found[("be_cpu", "be:10001")] == (
        "warning",
        "CPU of BE 127.0.0.1:9050 at 95 % (warning above 90 %)",
    )
    assert found[("be_memory", "be:10002")] == (
        "warning",
        "memory of BE 127.0.0.1:9051 at 93 % of its limit (warning above 90 %)",
    )
    assert found[("compaction_score", "be:10001")] == (
        "warning",
        "compaction score 150 on BE 127.0.0.1:9050 (warning above 100)",
    )
    assert found[("query_errors", "cluster")] == (
        "warning",
        "6 failed queries per second over the last 5 s (warning above 0.1 per second)",
    )
    assert found[("query_latency", "cluster")] == ("warning", "p95 query latency 6.2 s (warning above 5 s)")
    # Documented as "more than 5 % of the transactions failed": 5 of the 10 that ended.
    assert found[("txn_failures", "cluster")] == (
        "warning",
        "50 % of the transactions that ended in the last 5 s were aborted (5 of 10; warning above 5 %)",
    )
    severity, reason = found[("running_txns", "db:sales")]
    assert severity == "warning" and reason.startswith(
        "database sales holds 950 running transactions (warning from 900 running)"
    )
    assert ("running_txns", "db:logs") not in found
    assert state.state == "critical"  # the FE that is down
    assert state.figures["be:10001:cpu_pct"] == pytest.approx(95.0)
    assert state.figures["fe:" + fe.name + ":heap_pct"] == pytest.approx(87.5)
    await mon.aclose()


@pytest.mark.asyncio
async def test_without_the_privilege_to_list_nodes_the_fes_counts_still_tell_a_be_is_down(
    recorded: RecordedCluster, client: StarRocksClient
) -> None:
    recorded.refused = {"show backends", "show frontends", "show proc '/transactions'"}
    recorded.frontends[0].metrics = [fe_metrics(be_total=3, be_alive=2)]
    state = await ClusterMonitor("r", _source(client), clock=Clock()).tick()
    assert state.sample.backends is None and state.sample.frontends is None
    assert any("SHOW BACKENDS could not be read: Access denied" in note for note in state.sample.notes)
    assert alerts(state)[("be_down", "bes")] == (
        "critical",
        "1 of 3 BEs down (the FE's count; SHOW BACKENDS could not be read)",
    )
    # Figures still come from the profile's FE; the per-database rule says nothing rather than 0.
    assert state.figures["qps"] == 3.5 and state.sample.running_txns is None


@pytest.mark.asyncio
async def test_a_refused_user_is_an_unreachable_cluster_and_nothing_else_is_claimed(
    recorded: RecordedCluster,
) -> None:
    async with StarRocksClient(recorded.url, "root", "wrong") as c:
        state = await ClusterMonitor("r", _source(c), clock=Clock()).tick()
    assert state.state == "unreachable" and state.exit_code == 3 and state.sample.refused
    [alert] = state.alerts
    assert alert.rule == "unreachable" and "Access denied for root@127.0.0.1" in alert.reason
    assert state.figures == {}


@pytest.mark.asyncio
async def test_an_answer_no_starrocks_writes_makes_the_cluster_unreadable_not_the_collection_fail(
    recorded: RecordedCluster, client: StarRocksClient
) -> None:
    recorded.garbage = {"show backends"}
    state = await ClusterMonitor("r", _source(client), clock=Clock()).tick()
    assert state.state == "unreachable"
    assert state.sample.error.startswith(
        f"an answer of the FE at {recorded.url} could not be read: JSONDecodeError"
    )


def _source(client: StarRocksClient):  # type: ignore[no-untyped-def]
    async def source() -> StarRocksClient:
        return client

    return source


def test_thresholds_are_kept_per_profile_privately_and_a_damaged_file_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "config" / "alerts.json"
    settings = AlertSettings(path)
    assert settings.limits("prod")["disk_used"].critical == 90
    limit = settings.set("prod", "disk_used", warning=85, critical=95)
    assert (limit.warning, limit.critical) == (85, 95)
    settings.set("prod", "be_cpu", enabled=False)
    assert path.stat().st_mode & 0o777 == 0o600
    again = AlertSettings(path)
    assert again.limits("prod")["disk_used"].warning == 85 and not again.limits("prod")["be_cpu"].enabled
    assert again.limits("staging")["disk_used"].warning == 80  # another profile keeps the defaults
    with pytest.raises(ValueError, match="must not be above the critical one"):
        again.set("prod", "disk_used", warning=99)
    with pytest.raises(ValueError, match="no thresholds to change"):
        again.set("prod", "unreachable", warning=1)
    assert AlertSettings(path).limits("prod")["disk_used"].warning == 85  # nothing saved
    again.rename("prod", "production")
    assert AlertSettings(path).limits("production")["disk_used"].warning == 85

    path.write_text('{"profiles": {"x": {"disk_used": {"warning": "high"}, "be_cpu": {"warning": 70}}}}')
    partly = AlertSettings(path)
    assert partly.limits("x")["be_cpu"].warning == 70 and partly.limits("x")["disk_used"].warning == 80
    assert any("the warning threshold must be a number" in p for p in partly.problems)
    assert partly.set_aside is not None and partly.set_aside.read_text() == path.read_text()

    path.write_text("{not json")
    broken = AlertSettings(path)
    assert (
        not path.exists()
        and broken.set_aside is not None
        and broken.set_aside.name.startswith("alerts.json.damaged-")
    )
    assert broken.limits("x")["be_cpu"].warning == 90
