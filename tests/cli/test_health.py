"""``starrocks-console health`` as scripts run it: a process, a cluster on loopback, the exit code
and what it prints. 0 ok (the sandbox), 1 warning and 2 critical (a recorded cluster with a high
compaction score, with a dead BE), 3 unreachable (a stopped sandbox) or not checked (a command line
it cannot run); several profiles, passwords from the keyring, the worst one decides. The password is
never printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SandboxProcess
from services.recorded_cluster import RecordedCluster, be_metrics, fe_metrics

PASSWORD = "pw-Zq8#never-shown"


def run(
    *args: str, env: dict[str, str] | None = None, password: str | None = PASSWORD
) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ if env is None else env)
    if password is not None:
        full["HEALTH_PW"] = password
    return subprocess.run(
        [sys.executable, "-m", "gui", "health", *args],
        env=full,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def recorded() -> Iterator[RecordedCluster]:
    cluster = RecordedCluster(password=PASSWORD, backends=2)
    yield cluster
    cluster.close()


def by_url(url: str, *more: str) -> list[str]:
    return ["--url", url, "--user", "root", "--password-env", "HEALTH_PW", *more]


@pytest.mark.slow
def test_a_healthy_sandbox_exits_0_with_its_nodes_and_figures(sandbox_factory: Any) -> None:
    # A sandbox of its own: queries other tests make fail on the shared one rightly warn.
    sandbox: SandboxProcess = sandbox_factory()
    done = run(*by_url(sandbox.url, "--json", "--window", "0"), password=sandbox.auth[1])
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert doc["state"] == "ok" and doc["exit_code"] == 0
    [c] = doc["clusters"]
    assert (c["name"], c["url"], c["profile"], c["reachable"]) == (sandbox.url, sandbox.url, None, True)
    assert c["alerts"] == [] and c["health"]["status"] == "OK"
    [be] = c["backends"]
    assert be["alive"] and be["http_port"] == sandbox.be_url.rsplit(":", 1)[1] and be["metrics_error"] is None
    [fe] = c["frontends"]
    assert fe["leader"] and fe["alive"]
    assert c["figures"]["be_alive"] == 1 and "qps" in c["figures"]


def test_a_warning_exits_1_and_the_table_says_why(recorded: RecordedCluster) -> None:
    recorded.backends[0].metrics = [be_metrics(cumulative_score=180)]
    done = run(*by_url(recorded.url, "--window", "0"))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["CLUSTER", "STATE", "FE", "BE", "QPS", "P95", "ALERTS"]
    assert lines[1].split() == [recorded.url, "warning", "1/1", "2/2", "3.5", "0.09", "s", "1"]
    assert lines[2].split(None, 1) == [
        "warning",
        "Compaction score: compaction score 180 on BE 127.0.0.1:9050 (warning above 100)",
    ]
    assert PASSWORD not in done.stdout + done.stderr


def test_a_dead_be_exits_2(recorded: RecordedCluster) -> None:
    recorded.backends[1].alive = False
    done = run(*by_url(recorded.url, "--json", "--window", "0"))
    assert done.returncode == 2, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    [alert] = doc["clusters"][0]["alerts"]
    assert (
        alert["severity"] == "critical"
        and alert["reason"] == "BE 127.0.0.1:9051 down since 2026-12-07 12:01:03"
    )


def test_rates_over_the_window_take_a_counter_reset_as_a_restart(recorded: RecordedCluster) -> None:
    # Between the two readings the FE restarted: its counters start again from 0.
    recorded.frontends[0].metrics = [
        fe_metrics(query_total=50_000, txn_success=4000, txn_failed=10),
        fe_metrics(query_total=40, txn_success=12, txn_failed=4),
    ]
    done = run(*by_url(recorded.url, "--json", "--window", "0.3"))
    assert done.returncode == 1, done.stdout + done.stderr
    c = json.loads(done.stdout)["clusters"][0]
    assert c["figures"]["qps"] > 0 and c["figures"]["txn_committed_per_min"] > 0
    [alert] = c["alerts"]
    assert alert["rule"] == "txn_failures"
    assert (
        "25 % of the transactions that ended in the last" in alert["reason"]
        and "(4 of 16;" in alert["reason"]
    )


@pytest.mark.slow
def test_a_stopped_cluster_exits_3_and_says_it_cannot_be_reached(sandbox_factory: Any) -> None:
    sb: SandboxProcess = sandbox_factory()
    url = sb.url
    sb.stop()
    done = run(*by_url(url, "--json", "--window", "0"))
    assert done.returncode == 3, done.stdout + done.stderr
    c = json.loads(done.stdout)["clusters"][0]
    assert c["state"] == "unreachable" and c["reachable"] is False and c["backends"] is None
    assert c["error"].startswith(f"cannot reach {url}/api/health")
    assert [a["rule"] for a in c["alerts"]] == ["unreachable"]


def test_a_command_line_that_cannot_be_run_exits_3_having_checked_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("STARROCKS_PASSWORD", "HEALTH_PW")}
    env["STARROCKS_CONSOLE_CONFIG"] = str(tmp_path / "config")
    cases = [
        (["--url", "http://127.0.0.1:9", "--user", "root"], "STARROCKS_PASSWORD (the default"),
        (["--url", "http://root:pw@127.0.0.1:9", "--user", "root"], "must not carry a user name or password"),
        (["--profile", "nope"], "no StarRocks cluster profile named 'nope'"),
        (["--window", "soon"], "invalid float value"),
        (["--url", "http://127.0.0.1:9", "--no-such-option"], "unrecognized arguments"),
        ([], "give --profile NAME, or --url and --user"),
    ]
    for args, said in cases:
        done = run(*args, env=env, password=None)
        assert done.returncode == 3, (args, done.stderr)
        assert said in done.stderr, (args, done.stderr)
        assert done.stdout == ""
        assert "pw" not in done.stderr.replace("--password-env", "")


@pytest.mark.slow
def test_profiles_from_the_keyring_are_checked_together_and_the_worst_decides(
    sandbox_factory: Any, recorded: RecordedCluster, secret_service: dict[str, str], tmp_path: Path
) -> None:
    from gui.services.credentials import Credentials
    from gui.services.profiles import Profile, ProfileStore

    # A sandbox of its own: the shared one carries what other tests left (open transactions, failed
    # queries), which may rightly warn.
    sandbox: SandboxProcess = sandbox_factory()

    config = tmp_path / "config"
    store = ProfileStore(config / "profiles.json")
    store.put(Profile(name="sandbox", kind="starrocks", url=sandbox.url, user=sandbox.auth[0]))
    store.put(Profile(name="recorded", kind="starrocks", url=recorded.url, user="root"))
    credentials = Credentials()
    assert credentials.set("sandbox/password", sandbox.auth[1])
    assert credentials.set("recorded/password", PASSWORD)
    recorded.backends[0].alive = False
    env = dict(os.environ, STARROCKS_CONSOLE_CONFIG=str(config))
    try:
        done = run("--profile", "sandbox", "--profile", "recorded", "--json", "--window", "0", env=env)
    finally:
        credentials.delete("sandbox/password")
        credentials.delete("recorded/password")
    assert done.returncode == 2, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert doc["state"] == "critical"
    assert [(c["profile"], c["state"]) for c in doc["clusters"]] == [
        ("sandbox", "ok"),
        ("recorded", "critical"),
    ]
    assert PASSWORD not in done.stdout + done.stderr
