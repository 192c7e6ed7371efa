"""Shared fixtures: the sandbox runs as a real process on loopback ports, as users run it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent

# The suite starts many Python processes (xdist workers, sandboxes, command-line runs); with
# PYTHONDONTWRITEBYTECODE set, as some containers set it, each of them compiled every module it
# imports again, and pytest rewrote every test module again: about a tenth of the suite's CPU.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# The window tests' fixtures and qasync loop (a plugin: see its docstring).
pytest_plugins = ["qtfixtures"]

from sandbox_forks import Forked, Zygote  # noqa: E402

# Short delays keep the Huawei jobs and AI Lake operations quick in tests; they still pass through
# every intermediate state.
FAST = ["--job-seconds", "0.6", "--operation-seconds", "0.3"]


class SandboxProcess:
    """One ``starrocks-console sandbox`` process and the JSON line it printed."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.data_dir = data_dir
        self.extra = list(extra)
        self.proc: subprocess.Popen[str] | Forked | None = None
        self.info: dict[str, Any] = {}
        self.start()

    def start(self, *args: str) -> None:
        cmd = [
            sys.executable,
            "-m",
            "gui",
            "sandbox",
            "--port",
            "0",
            # A restart on fixed FE/BE ports (tests pass --port later) still takes a free query port,
            # so that sandboxes of parallel workers never contend for 9030.
            "--query-port",
            "0",
            "--data",
            str(self.data_dir),
            *FAST,
            *self.extra,
            *args,
        ]
        # The sandbox stops when its standard input ends: the pipe held by this worker closes when
        # the worker ends, however it ends (a crashed worker left its sandboxes running before).
        env = dict(
            os.environ,
            PYTHONUNBUFFERED="1",
            STARROCKS_SANDBOX_EXIT_WITH_STDIN="1",
            STARROCKS_SANDBOX_PARENT_PID=str(os.getpid()),
        )
        zygote = Zygote.get()
        if zygote is not None:
            self.proc = zygote.spawn(cmd[3:], env, ROOT)  # what follows ``python -m gui``
        else:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"sandbox exited with {self.proc.wait()} before it was ready")
        self.info = json.loads(line)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def restart(self, *args: str) -> None:
        self.stop()
        self.start(*args)

    @property
    def url(self) -> str:
        return str(self.info["url"])

    @property
    def query_port(self) -> int:
        """The FE's MySQL-protocol port."""
        return int(self.info["query_port"])

    @property
    def be_url(self) -> str:
        return str(self.info["be_url"])

    @property
    def auth(self) -> tuple[str, str]:
        return (self.info["fe_user"], self.info["fe_password"])

    def admin_sql(self, sql: str, db: str | None = None) -> Any:
        """Run DDL/DML through the sandbox's admin switch (the SQL API refuses it, like StarRocks)."""
        body: dict[str, Any] = {"sql": sql}
        if db is not None:
            body["db"] = db
        r = httpx.post(f"{self.url}/_sandbox/sql", json=body, auth=self.auth, timeout=30)
        r.raise_for_status()
        return r.json()

    def new_table(self, prefix: str) -> str:
        """A fresh database (named ``prefix`` and a random suffix) holding the load tests' table
        ``t (id int, name varchar(64))``, one bucket; returns the database's name."""
        db = prefix + uuid.uuid4().hex[:10]
        self.admin_sql(f"CREATE DATABASE {db}")
        self.admin_sql(
            "CREATE TABLE t (id int, name varchar(64)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
            db=db,
        )
        return db

    def count_rows(self, db: str, table: str = "t") -> int:
        return int(self.query(f"select count(*) from {table}", db=db)[0][0])

    def query(self, sql: str, db: str | None = None) -> list[list[Any]]:
        """Rows of a query through the HTTP SQL API (NDJSON: connectionId, meta, data..., statistics)."""
        path = (
            f"/api/v1/catalogs/default_catalog/databases/{db}/sql"
            if db
            else "/api/v1/catalogs/default_catalog/sql"
        )
        r = httpx.post(self.url + path, json={"query": sql}, auth=self.auth, timeout=60)
        r.raise_for_status()
        rows: list[list[Any]] = []
        for line in r.text.splitlines():
            if not line.strip():
                continue
            obj = json.loads(line)
            if "data" in obj:
                rows.append(obj["data"])
            elif "status" in obj and obj.get("status") != "OK":
                raise AssertionError(f"query failed: {obj}")
        return rows


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """The sandbox shared by a test session."""
    sp = SandboxProcess(tmp_path_factory.mktemp("sandbox"))
    yield sp
    sp.stop()


def module_sandbox(folder: str) -> Any:
    """A module-scoped ``sandbox`` fixture of the module's own (``sandbox = module_sandbox("x")``),
    for tests whose views read every database. The worker's shared sandbox holds, by the time they
    run, the databases of every test before them (hundreds): those views would spend their time on
    them, and the tests' figures and screenshots would depend on what ran before."""

    @pytest.fixture(scope="module")
    def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
        sp = SandboxProcess(tmp_path_factory.mktemp(folder))
        yield sp
        sp.stop()

    return sandbox


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Any]:
    """Start private sandboxes (for restarts, odd flags); all are stopped after the test."""
    started: list[SandboxProcess] = []

    def make(*extra: str, data_dir: Path | None = None) -> SandboxProcess:
        sp = SandboxProcess(data_dir or tmp_path / f"sb{len(started)}", *extra)
        started.append(sp)
        return sp

    yield make
    for sp in started:
        if sp.proc is not None and sp.proc.poll() is None:
            sp.stop()


def wait_until(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        time.sleep(interval)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers more than the cores this process may use. The tests wait on
    sandboxes and subprocesses a good part of their time; with one worker a core, two cores were
    about 60 % busy through a whole run (measured: the quick run 73 s with two workers, 64 s with
    three; once sandboxes were forked, the whole run 2 min 57 s with three and 2 min 25–2 min 45 s
    with four, in one sitting)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores + 2


# Tests that spend most of their time waiting on something outside this machine's cores (the Debian
# systems downloaded and installed for the .deb, the frozen build they wait for). Run first, their
# waits overlap the rest of the suite; run where collection put them (two thirds in), the last
# minute of a run was these alone on one worker.
FIRST = ("tests/packaging/test_frozen.py::test_deb_installs_into_a_fresh_debian_chroot",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(FIRST))  # stable: the rest keep their order
