"""``starrocks-console sql`` as scripts run it: a process against the sandbox's real ports, rows on
stdout in each format, the server's errors on stderr, the exit codes, and no password anywhere."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import ROOT, SandboxProcess, wait_until


def run(
    sp: SandboxProcess, *args: str, tmp_path: Path, password: str | None = None, query_port: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["SQL_PW"] = sp.auth[1] if password is None else password
    env["STARROCKS_CONSOLE_DATA"] = str(tmp_path / "data")
    env["STARROCKS_CONSOLE_CONFIG"] = str(tmp_path / "config")
    port = sp.query_port if query_port is None else query_port
    base = ["--url", sp.url, "--user", sp.auth[0], "--password-env", "SQL_PW", "--query-port", str(port)]
    return subprocess.run(
        [sys.executable, "-m", "gui", "sql", *base, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def db(sandbox: SandboxProcess) -> str:
    name = f"c_{uuid.uuid4().hex[:8]}"
    sandbox.admin_sql(f"create database {name}")
    sandbox.admin_sql(
        "create table t (id int, price decimal(10,2), day date, note varchar(20)) duplicate key(id) "
        "distributed by hash(id) buckets 1 properties ('replication_num' = '1')",
        db=name,
    )
    sandbox.admin_sql("insert into t values (1, 12.50, '2024-03-01', 'one'), (2, 0.10, null, null)", db=name)
    return name


def test_e_prints_a_table_and_the_figures(sandbox: SandboxProcess, db: str, tmp_path: Path) -> None:
    done = run(sandbox, "--db", db, "-e", "select * from t order by id", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "+----+-------+------------+------+",
        "| id | price | day        | note |",
        "+----+-------+------------+------+",
        "| 1  | 12.50 | 2024-03-01 | one  |",
        "| 2  | 0.10  | NULL       | NULL |",
        "+----+-------+------------+------+",
    ]
    assert done.stderr.startswith("[1] 2 rows in set (") and "query port" in done.stderr
    history = (tmp_path / "data" / "sql-history.jsonl").read_text().splitlines()
    assert [json.loads(h)["statement"] for h in history] == ["select * from t order by id"]


def test_f_runs_a_file_as_csv(sandbox: SandboxProcess, db: str, tmp_path: Path) -> None:
    script = tmp_path / "script.sql"
    script.write_text(
        "-- the new rows\ninsert into t values (3, 3.00, '2024-03-03', 'a,\"b\"');\n"
        "select id, note from t where id >= 2 order by id;\n",
        encoding="utf-8",
    )
    done = run(sandbox, "--db", db, "-f", str(script), "--format", "csv", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert list(csv.reader(io.StringIO(done.stdout))) == [["id", "note"], ["2", ""], ["3", 'a,"b"']]
    assert "[1] Query OK, 1 row affected" in done.stderr and "[2] 2 rows in set" in done.stderr


def test_jsonl_keeps_decimals_exact_and_nulls_null(sandbox: SandboxProcess, db: str, tmp_path: Path) -> None:
    done = run(
        sandbox, "--db", db, "--format", "jsonl", "-e", "select * from t order by id", tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {"id": 1, "price": "12.50", "day": "2024-03-01", "note": "one"},
        {"id": 2, "price": "0.10", "day": None, "note": None},
    ]


def test_max_rows_caps_each_result(sandbox: SandboxProcess, tmp_path: Path) -> None:
    done = run(
        sandbox,
        "--format",
        "jsonl",
        "--max-rows",
        "3",
        "-e",
        "select * from TABLE(generate_series(1, 100000))",
        tmp_path=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 3 and "row cap" in done.stderr


def test_a_server_error_exits_1_with_its_code_and_text_and_stops(
    sandbox: SandboxProcess, db: str, tmp_path: Path
) -> None:
    done = run(
        sandbox,
        "--db",
        db,
        "-e",
        "select * from no_such_table; insert into t values (9, 9, null, null)",
        tmp_path=tmp_path,
    )
    assert done.returncode == 1
    assert "[1] ERROR 1064 (42000): " in done.stderr and "Unknown table" in done.stderr
    assert "[2] skipped" in done.stderr and done.stdout == ""
    assert sandbox.query("select count(*) from t where id = 9", db=db) == [[0]]


def test_a_destructive_statement_needs_confirm(sandbox: SandboxProcess, db: str, tmp_path: Path) -> None:
    refused = run(sandbox, "--db", db, "-e", "truncate table t", tmp_path=tmp_path)
    assert refused.returncode == 1 and "run again with --confirm t" in refused.stderr
    assert sandbox.query("select count(*) from t", db=db) == [[2]]
    done = run(sandbox, "--db", db, "--confirm", "t", "-e", "truncate table t", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sandbox.query("select count(*) from t", db=db) == [[0]]


def test_a_wrong_password_exits_1_and_is_never_printed(sandbox: SandboxProcess, tmp_path: Path) -> None:
    secret = "cli-Wrong-pw-5520"
    done = run(sandbox, "-e", "select 1", tmp_path=tmp_path, password=secret)
    assert done.returncode == 1
    assert "ERROR 1045 (28000): Access denied for user 'root' (using password: YES)" in done.stderr
    assert secret not in done.stdout + done.stderr


def test_with_the_query_port_closed_reads_go_over_http(
    sandbox: SandboxProcess, db: str, tmp_path: Path
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    done = run(
        sandbox,
        "--db",
        db,
        "--format",
        "csv",
        "-e",
        "select id from t order by id; insert into t values (5, 5, null, null)",
        tmp_path=tmp_path,
        query_port=port,
    )
    assert done.returncode == 1
    assert done.stdout.splitlines() == ["id", "1", "2"]
    assert "HTTP SQL API" in done.stderr and f"query port ({port}) is not reachable" in done.stderr
    assert f"[2] refused: INSERT needs the FE's query port ({port})" in done.stderr


@pytest.mark.parametrize(
    ("args", "env_password", "told"),
    [
        ([], True, "give the statements with -e SQL or -f FILE"),
        (["-e", "select 1"], False, "the environment variable SQL_PW named by --password-env is not set"),
        (["-e", "select 1", "--query-port", "70000"], True, "--query-port must be 1–65535"),
        (["-f", "/no/such/file.sql"], True, "/no/such/file.sql"),
        (["-e", "  "], True, "no statement to run"),
    ],
)
def test_a_command_line_that_cannot_be_run_exits_2(
    sandbox: SandboxProcess, tmp_path: Path, args: list[str], env_password: bool, told: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SQL_PW"}
    if env_password:
        env["SQL_PW"] = sandbox.auth[1]
    env["STARROCKS_CONSOLE_DATA"] = str(tmp_path / "data")
    base = ["--url", sandbox.url, "--user", "root", "--password-env", "SQL_PW"]
    done = subprocess.run(
        [sys.executable, "-m", "gui", "sql", *base, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert told in done.stderr and done.stdout == ""


def test_a_url_with_user_info_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gui",
            "sql",
            "--url",
            "http://root:pw@127.0.0.1:1",
            "--user",
            "root",
            "-e",
            "select 1",
        ],
        env=dict(os.environ, STARROCKS_PASSWORD="x", STARROCKS_CONSOLE_DATA=str(tmp_path)),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "must not carry a user name or password" in done.stderr


def test_ctrl_c_kills_the_running_statement_on_the_server(sandbox: SandboxProcess, tmp_path: Path) -> None:
    marker = f"sigint_{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, SQL_PW=sandbox.auth[1], STARROCKS_CONSOLE_DATA=str(tmp_path / "data"))
    args = ["--url", sandbox.url, "--user", "root", "--password-env", "SQL_PW"]
    args += ["--query-port", str(sandbox.query_port), "-e", f"select sleep(30) as {marker}; select 2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gui", "sql", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def running() -> bool:
        rows = sandbox.query("show full processlist")[0]
        return any(marker in str(r["Info"] or "") for r in rows)

    try:
        wait_until(running, 20)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and out == ""
    # Killed, not merely abandoned: a dropped connection would leave the sleep running for 30 s.
    wait_until(lambda: not running(), 5)
    assert time.monotonic() - started < 15


@pytest.mark.slow
def test_a_profile_brings_its_query_port_and_read_only_setting(
    sandbox: SandboxProcess, db: str, secret_service: dict[str, str], tmp_path: Path
) -> None:
    from gui.services.credentials import Credentials
    from gui.services.profiles import Profile, ProfileStore

    config = tmp_path / "config"
    ProfileStore(config / "profiles.json").put(
        Profile(
            name="lab",
            kind="starrocks",
            url=sandbox.url,
            user=sandbox.auth[0],
            query_port=sandbox.query_port,
            read_only=True,
        )
    )
    credentials = Credentials()
    assert credentials.set("lab/password", sandbox.auth[1])
    env = dict(
        os.environ, STARROCKS_CONSOLE_CONFIG=str(config), STARROCKS_CONSOLE_DATA=str(tmp_path / "data")
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "gui", "sql", "--profile", "lab", "--db", db, "--format", "csv", "-e",
             "select count(*) n from t; insert into t values (7, 7, null, null)"],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        credentials.delete("lab/password")
    assert done.returncode == 1
    assert done.stdout.splitlines() == ["n", "2"] and "query port" in done.stderr
    assert "[2] refused: INSERT is not read-only" in done.stderr
