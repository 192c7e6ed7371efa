"""Exactly-once loading: whatever fails in between, the table ends with every row of the file once.

Faults are injected by a proxy in front of the sandbox's FE and BE (the client reaches the BE
through the profile's BE address map); rows are counted afterwards with the SQL API.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, SandboxProcess, wait_until
from faultproxy import FaultProxy, Rule
from sandboxclock import advance

from gui.api.starrocks import LoadOptions, StarRocksClient
from gui.api.transport import TransportConfig
from gui.services.journal import Journal
from gui.services.loader import Loader, LoadFailed, LoadOutcome, LoadRequest

ROWS = 3000
CHUNK = 16 * 1024  # about 6 chunks for the file below
LOAD = r"/api/transaction/load"


@dataclass
class Faulty:
    sp: SandboxProcess
    fe: FaultProxy
    be: FaultProxy

    @property
    def be_map(self) -> dict[str, str]:
        return {self.sp.be_url.split("://", 1)[1]: self.be.netloc}


@pytest.fixture
def faulty(sandbox: SandboxProcess) -> Iterator[Faulty]:
    fe, be = FaultProxy(sandbox.url), FaultProxy(sandbox.be_url)
    yield Faulty(sandbox, fe, be)
    fe.close()
    be.close()


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    with path.open("w") as f:
        for i in range(ROWS):
            f.write(f"{i},name-{i:05d}-{'x' * 10}\n")
    return path


def rows_in(sp: SandboxProcess, db: str) -> tuple[int, int]:
    total, distinct = sp.query("select count(*), count(distinct id) from t", db=db)[0]
    return int(total), int(distinct)


def run_loader(
    f: Faulty,
    db: str,
    file: Path,
    journal: Journal,
    label: str | None = None,
    timeout: int | None = None,
    give_up_after: float = 60.0,
) -> LoadOutcome:
    async def go() -> LoadOutcome:
        config = TransportConfig(read_timeout=10.0, retries=0)
        async with StarRocksClient(f.fe.url, *f.sp.auth, config, be_map=f.be_map) as client:
            req = LoadRequest(
                file=file,
                db=db,
                table="t",
                label=label,
                chunk_size=CHUNK,
                options=LoadOptions(column_separator=","),
                timeout=timeout,
                give_up_after=give_up_after,
            )
            loader = Loader(client, journal)
            # Repeated faults would otherwise wait out the real backoff, up to 10 s an attempt:
            # what is tested is that no row is lost or doubled, not how long the waits are.
            loader.max_backoff = 1.0
            return await loader.run(req)

    return asyncio.run(go())


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal")


def test_clean_load(faulty: Faulty, data_file: Path, journal: Journal) -> None:
    db = faulty.sp.new_table("eo_")
    out = run_loader(faulty, db, data_file, journal)
    assert out.ok and out.rows_loaded == ROWS and out.restarts == 0 and not out.already_loaded
    assert faulty.be.count("PUT", LOAD) >= 5  # really cut into chunks
    assert rows_in(faulty.sp, db) == (ROWS, ROWS)
    again = run_loader(faulty, db, data_file, journal)  # same file, no label: found in the journal
    assert again.already_loaded and again.label == out.label
    # Nothing sent, and the figures are the cluster's own for that label.
    assert (again.rows_loaded, again.bytes) == (ROWS, out.bytes) and out.bytes == data_file.stat().st_size
    assert rows_in(faulty.sp, db) == (ROWS, ROWS)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("where", "rule"),
    [
        ("be", Rule("PUT", LOAD, "cut", skip=2)),  # connection cut while a chunk is being sent
        ("be", Rule("PUT", LOAD, "drop", skip=3)),  # the chunk was applied, its answer lost
        ("be", Rule("PUT", LOAD, "status", skip=1, status=503)),  # a 5xx on a chunk
        ("be", Rule("POST", r"/api/transaction/begin", "drop")),  # begun, the answer lost
        ("be", Rule("POST", r"/api/transaction/prepare", "drop")),  # prepared, the answer lost
        ("fe", Rule("POST", r"/api/transaction/commit", "drop")),  # committed, the answer lost
        ("fe", Rule("POST", r"/api/transaction/commit", "status", status=502)),  # not committed: 5xx
        ("fe", Rule("GET", r"/api/[^/]+/get_load_state", "status", status=503, times=3)),
        # Fails again on the retries: the loader's own backoff (up to seconds per retry) runs on.
        pytest.param("be", Rule("PUT", LOAD, "cut", skip=1, times=3), marks=pytest.mark.slow),
    ],
    ids=[
        "chunk-cut",
        "chunk-answer-lost",
        "chunk-5xx",
        "begin-answer-lost",
        "prepare-answer-lost",
        "commit-answer-lost",
        "commit-5xx",
        "state-5xx",
        "repeated-cuts",
    ],
)
def test_faults_never_duplicate_or_lose_rows(
    faulty: Faulty, data_file: Path, journal: Journal, where: str, rule: Rule
) -> None:
    db = faulty.sp.new_table("eo_")
    (faulty.be if where == "be" else faulty.fe).add(rule)
    out = run_loader(faulty, db, data_file, journal, label="eo_" + uuid.uuid4().hex[:10])
    assert rule.fired == rule.times, "the fault was not exercised"
    assert out.ok and out.state == "VISIBLE"
    assert rows_in(faulty.sp, db) == (ROWS, ROWS)
    assert journal.get(faulty.fe.url, db, out.label).step == "done"  # type: ignore[union-attr]


@pytest.mark.slow
def test_transaction_timeout_restarts_under_the_same_label(
    faulty: Faulty, data_file: Path, journal: Journal
) -> None:
    db = faulty.sp.new_table("eo_")
    # The third chunk arrives after the transaction's timeout: held on its way while the sandbox's
    # clock passes the timeout, so the sandbox aborts the transaction before the chunk arrives.
    paused = faulty.be.add(Rule("PUT", LOAD, "pause", skip=2))
    result: dict[str, object] = {}

    def load() -> None:
        try:
            label = "eo_" + uuid.uuid4().hex[:10]
            result["out"] = run_loader(faulty, db, data_file, journal, label=label, timeout=60)
        except Exception as e:  # reported below
            result["err"] = e

    th = threading.Thread(target=load)
    th.start()
    try:
        assert paused.reached.wait(30), "the load never reached its third chunk"
        advance(faulty.sp, 61)
    finally:
        paused.released.set()
        th.join(120)
    assert "err" not in result, result.get("err")
    out = result["out"]
    assert isinstance(out, LoadOutcome) and out.ok and out.restarts >= 1
    assert rows_in(faulty.sp, db) == (ROWS, ROWS)


def test_refused_data_fails_without_retrying(faulty: Faulty, tmp_path: Path, journal: Journal) -> None:
    db = faulty.sp.new_table("eo_")
    bad = tmp_path / "bad.csv"
    bad.write_text("1,ok\n2,ok,one-field-too-many\n3,ok\n")
    with pytest.raises(LoadFailed) as err:
        run_loader(faulty, db, bad, journal, label="eo_" + uuid.uuid4().hex[:10])
    assert "too many filtered rows" in str(err.value)
    assert err.value.outcome.restarts == 0 and err.value.outcome.error_url
    assert rows_in(faulty.sp, db) == (0, 0)


@pytest.mark.slow
def test_cluster_down_then_back(sandbox_factory: object, data_file: Path, journal: Journal) -> None:
    """The sandbox stops after prepare (its commit never arrives) and comes back: the prepared
    transaction survived, and the loader, which kept asking, commits it."""
    sp: SandboxProcess = sandbox_factory()  # type: ignore[operator]
    db = sp.new_table("eo_")
    # Fixed ports so the proxies find the restarted sandbox at the same addresses.
    fe_port, be_port = sp.url.rsplit(":", 1)[1], sp.be_url.rsplit(":", 1)[1]
    f = Faulty(sp, FaultProxy(sp.url), FaultProxy(sp.be_url))
    hold = f.fe.add(Rule("POST", r"/api/transaction/commit", "hold"))
    try:
        result: dict[str, object] = {}

        def load() -> None:
            try:
                result["out"] = run_loader(f, db, data_file, journal, label="eo_down", give_up_after=60)
            except Exception as e:  # reported below
                result["err"] = e

        th = threading.Thread(target=load)
        th.start()
        assert hold.reached.wait(30)
        sp.kill()
        asked = len(f.fe.log)
        hold.released.set()
        # The loader asks again while the cluster is down (the proxy notes it, then finds no FE).
        wait_until(lambda: len(f.fe.log) > asked, timeout=60)
        _restart_on(sp, fe_port, be_port)
        th.join(90)
        assert "err" not in result, result.get("err")
        out = result["out"]
        assert isinstance(out, LoadOutcome) and out.ok
        assert rows_in(sp, db) == (ROWS, ROWS)
    finally:
        f.fe.close()
        f.be.close()


def _restart_on(sp: SandboxProcess, fe_port: str, be_port: str) -> None:
    cmd = [
        sys.executable,
        "-m",
        "gui",
        "sandbox",
        "--port",
        fe_port,
        "--be-port",
        be_port,
        "--query-port",
        "0",
        "--data",
        str(sp.data_dir),
    ]
    sp.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert sp.proc.stdout is not None
    sp.info = json.loads(sp.proc.stdout.readline())


@pytest.mark.slow
def test_killed_process_is_finished_by_running_the_same_command(
    faulty: Faulty, data_file: Path, tmp_path: Path
) -> None:
    db = faulty.sp.new_table("eo_")
    env = dict(os.environ, SR_PW=faulty.sp.auth[1], STARROCKS_CONSOLE_DATA=str(tmp_path / "data"))
    be_real = faulty.sp.be_url.split("://", 1)[1]
    cmd = [
        sys.executable,
        "-m",
        "gui",
        "load",
        str(data_file),
        "--url",
        faulty.fe.url,
        "--user",
        faulty.sp.auth[0],
        "--password-env",
        "SR_PW",
        "--db",
        db,
        "--table",
        "t",
        "--column-separator",
        ",",
        "--chunk-size",
        str(CHUNK),
        "--be-map",
        f"{be_real}={faulty.be.netloc}",
    ]
    hold = faulty.be.add(Rule("PUT", LOAD, "hold", skip=3))
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert hold.reached.wait(30), "the load never reached its fourth chunk"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        hold.released.set()
    assert rows_in(faulty.sp, db) == (0, 0)
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    assert line["state"] == "VISIBLE" and line["rows_loaded"] == ROWS and line["already_loaded"] is False
    assert rows_in(faulty.sp, db) == (ROWS, ROWS)
    again = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0
    assert json.loads(again.stdout)["already_loaded"] is True
    assert rows_in(faulty.sp, db) == (ROWS, ROWS)
