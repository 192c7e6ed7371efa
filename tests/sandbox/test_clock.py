"""The sandbox's clock switch (``/_sandbox/clock``): moving its time makes jobs complete, tokens expire,
operations run, pipes poll and transactions time out at once, with every time it reports moved
alike; the time survives a restart.

A private sandbox whose jobs take 100 s and operations an hour: nothing in it moves unless its clock
is moved, so every state below is seen for sure, not by luck of timing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from conftest import SandboxProcess
from sandboxclock import advance, offset
from test_ailake_support import (
    BASE,
    INSTANCES,
    STORAGE,
    accepted,
    count,
    rows_sql,
    storage_dir,
    unique,
    write_parquet,
)
from test_ailake_support import client as lake_client
from test_huawei_support import SEEDED_SR_ID, TAURUS_ID, Api, error, get_token, hw, signed, token_body
from txn_helpers import TABLE1, TxnClient, fresh_db

JOB_SECONDS = 100
OPERATION_SECONDS = 3600
CLOCK = "/_sandbox/clock"


@pytest.fixture(scope="module")
def still(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    sp = SandboxProcess(
        tmp_path_factory.mktemp("still"),
        "--job-seconds",
        str(JOB_SECONDS),
        "--operation-seconds",
        str(OPERATION_SECONDS),
    )
    yield sp
    sp.stop()


def sandbox_now(sp: SandboxProcess) -> float:
    """The sandbox's time by the wall clock and its offset (the test's own reading)."""
    return time.time() + offset(sp)


def near(seconds: float, expected: float, within: float = 30.0) -> bool:
    return abs(seconds - expected) <= within


def analyze(c: httpx.Client, body: dict[str, Any]) -> str:
    r = c.post(f"{INSTANCES}/demo/analyzeStatistics", json=body)
    assert r.status_code == 202, r.text
    return r.headers["operation-id"]


def job_seconds(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp()


def iam_seconds(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


# -- the switch itself -----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_switch_answers_the_offset_and_moves_only_forward(sandbox: SandboxProcess) -> None:
    url = sandbox.url + CLOCK
    before = offset(sandbox)
    shown = httpx.get(url, auth=sandbox.auth).json()
    assert shown["status"] == "OK" and shown["offset"] == before
    assert shown["now"].endswith("Z")
    assert near(datetime.fromisoformat(shown["now"]).timestamp(), time.time() + before, 5)

    moved = advance(sandbox, 0.25)
    assert moved["status"] == "OK" and moved["offset"] == pytest.approx(before + 0.25)
    assert advance(sandbox, 0)["offset"] == moved["offset"]

    bad: list[Any] = [
        {},
        {"advance": -1},
        {"advance": "5"},
        {"advance": True},
        {"advance": None},
        {"advance": 1, "by": "me"},
        [1],
        {"advance": 10**400},
        {"advance": 1e12},
    ]
    for body in bad:
        r = httpx.post(url, json=body, auth=sandbox.auth)
        assert r.status_code == 400 and r.json()["status"] == "FAILED", (body, r.text)
    for raw in (b'{"advance": NaN}', b'{"advance": Infinity}', b"{not json"):
        r = httpx.post(url, content=raw, headers={"Content-Type": "application/json"}, auth=sandbox.auth)
        assert r.status_code == 400, (raw, r.text)
    assert httpx.post(url, content=b'{"advance": 5}', auth=sandbox.auth).status_code == 415
    for auth in (None, (sandbox.auth[0], "wrong")):
        r = httpx.post(url, json={"advance": 5}, auth=auth)
        assert r.status_code == 401 and r.json()["status"] == "FAILED"
    assert httpx.get(url).status_code == 401
    # Nothing refused moved the time.
    assert offset(sandbox) == moved["offset"]


# -- Huawei jobs and IAM tokens --------------------------------------------------------------------


@pytest.mark.slow
def test_a_job_goes_pending_running_completed_as_the_clock_moves(still: SandboxProcess) -> None:
    api = Api(still)
    sr = api.ok("PUT", f"/instances/{SEEDED_SR_ID}/starrocks/restart")["workflow_id"]
    job = api.job(sr)
    assert (job["status"], job["process"], job["ended"]) == ("Pending", "", "")
    assert near(job_seconds(job["created"]), sandbox_now(still))

    advance(still, JOB_SECONDS * 0.6)  # 60 s of 100: past the pending fifth, half of the running part
    job = api.job(sr)
    assert job["status"] == "Running" and 50 <= int(job["process"].rstrip("%")) < 60
    assert api.show(SEEDED_SR_ID)["actions"][0]["job_id"] == sr
    error(api("PUT", f"/instances/{SEEDED_SR_ID}/starrocks/restart"), 409, "DBS.200019")

    advance(still, JOB_SECONDS * 0.4)
    job = api.job(sr)
    assert (job["status"], job["process"]) == ("Completed", "")
    assert job_seconds(job["ended"]) - job_seconds(job["created"]) == JOB_SECONDS
    inst = api.show(SEEDED_SR_ID)
    assert inst["status"] == "normal" and inst["actions"] == []


def test_a_token_expires_when_the_clock_passes_its_lifetime(still: SandboxProcess) -> None:
    r = httpx.post(f"{still.url}/v3/auth/tokens?nocatalog=true", json=token_body(still))
    assert r.status_code == 201
    token, body = r.headers["X-Subject-Token"], r.json()["token"]
    issued, expires = iam_seconds(body["issued_at"]), iam_seconds(body["expires_at"])
    assert expires - issued == pytest.approx(86400) and near(issued, sandbox_now(still))
    url = f"{still.url}/v3/{hw(still)['project_id']}/htap/datastores/star-rocks"
    advance(still, 86400 - 600)
    assert httpx.get(url, headers={"X-Auth-Token": token}).status_code == 200
    advance(still, 600)
    refused = error(httpx.get(url, headers={"X-Auth-Token": token}), 401, "APIGW.0301")
    assert refused["error_msg"] == (
        f"Incorrect IAM authentication information: token expires, expires_at: {body['expires_at']}"
    )
    # A new token is good from the new time on; AK/SK signatures are dated by the caller's clock,
    # which moving the sandbox's time does not move, so they are still accepted.
    assert httpx.get(url, headers={"X-Auth-Token": get_token(still)}).status_code == 200
    path = f"/v3/{hw(still)['project_id']}/htap/datastores/star-rocks"
    assert signed(still, "GET", path).status_code == 200


# -- AI Lake operations and pipes ------------------------------------------------------------------


def test_operations_stay_pending_until_the_clock_reaches_them(still: SandboxProcess) -> None:
    c = lake_client(still)
    first = analyze(c, {})
    advance(still, OPERATION_SECONDS / 2)
    second = analyze(c, {"tableNames": ["sales"]})
    advance(still, OPERATION_SECONDS / 2 - 60)
    for op in (first, second):
        assert c.get(f"{BASE}/operations/{op}").json()["status"] == "pending"
    # The answer comes once the operations that fell due are done: nothing to wait for after it.
    advance(still, 60)
    assert c.get(f"{BASE}/operations/{first}").json()["status"] == "succeeded"
    assert c.get(f"{BASE}/operations/{second}").json()["status"] == "pending"
    advance(still, OPERATION_SECONDS / 2)
    done = c.get(f"{BASE}/operations/{second}").json()
    assert done == {
        "id": second,
        "kind": "analyze-statistics",
        "status": "succeeded",
        "result": {"tablesAnalyzed": 1},
    }


def test_a_pipe_polls_when_the_clock_reaches_its_interval(still: SandboxProcess) -> None:
    c = lake_client(still)
    prefix, name = unique("clocked"), unique("clocked")
    root = storage_dir(still) / prefix
    write_parquet(root / "a.parquet", rows_sql(5))
    body = {
        "pathPrefix": prefix,
        "sourceStorageName": STORAGE,
        "tableName": name,
        "pollingIntervalSeconds": 600,
    }
    op = accepted(c.post(f"{INSTANCES}/demo/pipeTables", json=body))
    advance(still, OPERATION_SECONDS)
    assert c.get(f"{BASE}/operations/{op}").json()["status"] == "succeeded"
    assert count(still, name) == 5

    write_parquet(root / "b.parquet", rows_sql(3, start=10))
    advance(still, 500)
    assert count(still, name) == 5
    advance(still, 100)
    assert count(still, name) == 8


# -- StarRocks transactions ------------------------------------------------------------------------


def test_transaction_times_are_the_sandbox_clock(still: SandboxProcess) -> None:
    client = TxnClient(still)
    try:
        db, lb = fresh_db(still, TABLE1), "clk_" + uuid.uuid4().hex[:12]
        assert client.op("begin", lb, db, "table1")["Status"] == "OK"
        mine = next(t for t in client.be_list() if t["Label"] == lb)
        assert near(mine["BeginTimestamp"], sandbox_now(still))
        advance(still, 300)
        assert client.op("load", lb, db, "table1", "1\ta\n")["Status"] == "OK"
        mine = next(t for t in client.be_list() if t["Label"] == lb)
        assert near(mine["LastActiveTimestamp"] - mine["BeginTimestamp"], 300, 10)
        # 600 s is Stream Load's default timeout: 300 s more end the transaction.
        advance(still, 301)
        assert client.load_state(db, lb) == "ABORTED"
        assert client.op("commit", lb, db)["Status"] == "FAILED"
    finally:
        client.close()


def test_sql_and_loads_tell_the_time_of_the_sandbox_clock(still: SandboxProcess) -> None:
    """The cluster's own now() agrees with the times it reports: the console measures how long a
    transaction has been idle as unix_timestamp() minus its LastActiveTimestamp."""
    advance(still, 30 * 86400)
    expected = sandbox_now(still)
    ts, ts_now, ts_bare, same_day = still.query(
        "select unix_timestamp(), unix_timestamp(now()), unix_timestamp(current_timestamp), "
        "curdate() = current_date and current_date = date(now())"
    )[0]
    assert all(near(float(v), expected) for v in (ts, ts_now, ts_bare)) and same_day == 1

    db = fresh_db(
        still,
        "CREATE TABLE t (id int, loaded datetime, made datetime DEFAULT CURRENT_TIMESTAMP) "
        "DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    )
    still.admin_sql("INSERT INTO t (id) VALUES (1)", db=db)
    client = TxnClient(still)
    try:
        headers = {"label": "now_" + uuid.uuid4().hex[:8], "columns": "id, loaded = now()", "timezone": "UTC"}
        answer = client.stream_load(db, "t", "2\n", headers)
        assert answer["Status"] == "Success", answer
    finally:
        client.close()
    made = still.query("select made from t where id = 1", db=db)[0][0]
    loaded = still.query("select loaded from t where id = 2", db=db)[0][0]
    # DEFAULT CURRENT_TIMESTAMP in the sandbox's own time zone; now() in the load's (UTC).
    assert near(datetime.strptime(made[:19], "%Y-%m-%d %H:%M:%S").timestamp(), expected)
    assert near(datetime.strptime(loaded, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp(), expected)


# -- restarts --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_time_and_what_was_started_under_it_survive_a_restart(still: SandboxProcess) -> None:
    advance(still, 7 * 86400)
    moved = offset(still)
    api = Api(still)
    job = api.ok("PUT", f"/instances/{SEEDED_SR_ID}/starrocks/restart")["workflow_id"]
    c = lake_client(still)
    op = analyze(c, {})
    c.close()

    still.restart()
    assert offset(still) == moved
    api = Api(still)
    # Neither went back to waiting for the wall clock to catch up, nor jumped ahead.
    assert api.job(job)["status"] == "Pending"
    advance(still, JOB_SECONDS)
    assert api.job(job)["status"] == "Completed"
    c = lake_client(still)
    assert c.get(f"{BASE}/operations/{op}").json()["status"] == "pending"
    advance(still, OPERATION_SECONDS)
    assert c.get(f"{BASE}/operations/{op}").json()["status"] == "succeeded"
    listed = api.ok("GET", f"/instances/{TAURUS_ID}/htap")["instances"]
    assert SEEDED_SR_ID in [i["id"] for i in listed]


def test_a_clock_offset_that_is_not_a_number_is_read_as_none() -> None:
    from gui.sandbox.clock import Clock

    assert Clock("soon").offset == 0.0  # type: ignore[arg-type]
    assert Clock(float("nan")).offset == 0.0
    assert Clock(-5).offset == 0.0
    assert Clock(12.5, wall=lambda: 1000.0).now() == 1012.5
