"""Native PIPE statements on the sandbox FE's query port, driven with PyMySQL and the `mysql` client:
files in the sandbox's data folder loaded once each, information_schema.pipes / pipe_files with
StarRocks' columns and states, RETRY FILE after a bad file is fixed, SUSPEND / RESUME, and a path
outside the data folder refused as StarRocks refuses a path it cannot read."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pymysql
import pytest
from conftest import SandboxProcess, wait_until

MYSQL = shutil.which("mysql")
needs_mysql = pytest.mark.skipif(MYSQL is None, reason="the mysql command-line client is not installed")


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def _connect(sp: SandboxProcess, **kw: Any) -> Any:
    return pymysql.connect(
        host="127.0.0.1",
        port=sp.query_port,
        user=sp.auth[0],
        password=sp.auth[1],
        database="demo",
        autocommit=True,
        connect_timeout=10,
        read_timeout=60,
        **kw,
    )


def _mysql(sp: SandboxProcess, sql: str) -> subprocess.CompletedProcess[str]:
    assert MYSQL is not None
    env = dict(os.environ, MYSQL_PWD=sp.auth[1])
    return subprocess.run(
        [MYSQL, "-h127.0.0.1", f"-P{sp.query_port}", f"-u{sp.auth[0]}", "-Ddemo", "--batch", "-e", sql],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _sweep(sp: SandboxProcess, seconds: float = 0) -> None:
    """Move the sandbox's clock: every pipe due polls and loads before the answer."""
    r = httpx.post(f"{sp.url}/_sandbox/clock", json={"advance": seconds}, auth=sp.auth, timeout=60)
    r.raise_for_status()


def _files(cur: Any, pipe: str) -> dict[str, tuple[str, str | None]]:
    cur.execute(
        "SELECT FILE_NAME, LOAD_STATE, ERROR_MSG FROM information_schema.pipe_files "
        f"WHERE PIPE_NAME = '{pipe}' ORDER BY FILE_NAME"
    )
    return {os.path.basename(name): (state, err) for name, state, err in cur.fetchall()}


def _pipe_state(cur: Any, pipe: str) -> str:
    cur.execute(f"SELECT STATE FROM information_schema.pipes WHERE PIPE_NAME = '{pipe}'")
    row = cur.fetchone()
    return str(row[0]) if row else ""


def _table(cur: Any, name: str) -> None:
    cur.execute(
        f"CREATE TABLE {name} (id INT NOT NULL, name VARCHAR(20)) DUPLICATE KEY(id) "
        "DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES('replication_num'='1')"
    )


def _folder(sp: SandboxProcess, name: str) -> Path:
    folder = sp.data_dir / "incoming" / name
    folder.mkdir(parents=True)
    return folder


def test_pipe_loads_each_file_once_and_retries_a_fixed_file(sandbox: SandboxProcess) -> None:
    table, pipe = _name("pt"), _name("p")
    folder = _folder(sandbox, pipe)
    (folder / "a_good.csv").write_text("1,one\n2,two\n")
    bad = folder / "b_bad.csv"
    bad.write_text("3,three\nnot-a-number,four\n")
    with _connect(sandbox) as conn, conn.cursor() as cur:
        _table(cur, table)
        cur.execute(
            f"CREATE PIPE {pipe} PROPERTIES ('auto_ingest' = 'false', 'batch_files' = '1') AS "
            f'INSERT INTO {table} SELECT * FROM FILES("path" = "file://{folder}/*.csv", "format" = "csv", '
            '"csv.column_separator" = ",")'
        )
        _sweep(sandbox)
        settled = lambda: (f := _files(cur, pipe)) and all(s != "LOADING" for s, _ in f.values()) and f  # noqa: E731
        files = wait_until(settled)
        assert files["a_good.csv"] == ("FINISHED", None)
        state, error = files["b_bad.csv"]
        assert state == "ERROR"
        assert error is not None
        assert error.startswith("execution failed: Insert has filtered data : txn_id = ")
        assert "tracking sql = select tracking_log from information_schema.load_tracking_logs" in error
        # A task that fails the same way on every retry stops the pipe in ERROR, its error shown.
        assert wait_until(lambda: _pipe_state(cur, pipe) == "ERROR")
        cur.execute(f"SHOW PIPES LIKE '{pipe}'")
        names = [d[0] for d in cur.description]
        assert names == ["DATABASE_NAME", "PIPE_ID", "PIPE_NAME", "STATE", "TABLE_NAME", "LOAD_STATUS",
                         "LAST_ERROR", "CREATED_TIME"]  # fmt: skip
        row = cur.fetchone()
        assert row[0] == "demo" and row[2] == pipe and row[3] == "ERROR" and row[4] == f"demo.{table}"
        assert '"loadedFiles":1,"loadedBytes":12,"loadingFiles":0,' in row[5] and '"loadRows":2' in row[5]
        assert row[6].startswith('{"errorMessage":"execution failed: Insert has filtered data : txn_id = ')
        cur.execute(f"SELECT id FROM {table} ORDER BY id")
        assert cur.fetchall() == ((1,), (2,))  # nothing of the bad file

        # RETRY FILE names the file as pipe_files does; the fixed file loads, once.
        bad.write_text("3,three\n4,four\n")
        cur.execute(f"ALTER PIPE {pipe} RETRY FILE 'file:{bad}'")
        _sweep(sandbox)
        assert wait_until(lambda: _pipe_state(cur, pipe) == "FINISHED")
        assert _files(cur, pipe) == {"a_good.csv": ("FINISHED", None), "b_bad.csv": ("FINISHED", None)}
        cur.execute(f"SELECT id, name FROM {table} ORDER BY id")
        assert cur.fetchall() == ((1, "one"), (2, "two"), (3, "three"), (4, "four"))
        # Later rounds load nothing again.
        _sweep(sandbox, 400)
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone() == (4,)
        cur.execute(f"DROP PIPE {pipe}")
        cur.execute(f"SELECT count(*) FROM information_schema.pipe_files WHERE PIPE_NAME = '{pipe}'")
        assert cur.fetchone() == (0,)


def test_suspend_stops_new_files_and_resume_loads_them(sandbox: SandboxProcess) -> None:
    table, pipe = _name("pt"), _name("p")
    folder = _folder(sandbox, pipe)
    (folder / "1.csv").write_text("1,one\n")
    with _connect(sandbox) as conn, conn.cursor() as cur:
        _table(cur, table)
        cur.execute(
            f"CREATE PIPE IF NOT EXISTS {pipe} PROPERTIES ('poll_interval' = '10') AS INSERT INTO {table} "
            f'SELECT * FROM FILES("path" = "file://{folder}/*.csv", "format" = "csv", '
            '"csv.column_separator" = ",")'
        )
        _sweep(sandbox)
        assert wait_until(lambda: _files(cur, pipe) == {"1.csv": ("FINISHED", None)})
        cur.execute(f"ALTER PIPE {pipe} SUSPEND")
        assert _pipe_state(cur, pipe) == "SUSPEND"
        (folder / "2.csv").write_text("2,two\n")
        _sweep(sandbox, 60)
        assert _files(cur, pipe) == {"1.csv": ("FINISHED", None)}
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone() == (1,)
        cur.execute(f"ALTER PIPE {pipe} RESUME")
        _sweep(sandbox, 60)
        assert wait_until(lambda: _files(cur, pipe).get("2.csv") == ("FINISHED", None))
        assert _pipe_state(cur, pipe) == "RUNNING"
        cur.execute(f"SELECT id FROM {table} ORDER BY id")
        assert cur.fetchall() == ((1,), (2,))
        # A second CREATE IF NOT EXISTS changes nothing; without it the FE says the pipe exists.
        with pytest.raises(pymysql.err.MySQLError) as e:
            cur.execute(
                f"CREATE PIPE {pipe} AS INSERT INTO {table} SELECT * FROM "
                f'FILES("path" = "file://{folder}/*.csv", "format" = "csv")'
            )
        assert e.value.args == (5802, "Pipe exists")


def test_files_outside_the_data_folder_are_refused(sandbox: SandboxProcess, tmp_path: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("1,one\n")
    table = _name("pt")
    with _connect(sandbox) as conn, conn.cursor() as cur:
        _table(cur, table)
        for path in (
            f"file://{outside}",
            f"file://{sandbox.data_dir}/../{outside.name}",
            "s3://bucket/x.csv",
        ):
            with pytest.raises(pymysql.err.MySQLError) as e:
                cur.execute(
                    f"CREATE PIPE {_name('p')} AS INSERT INTO {table} SELECT * FROM "
                    f'FILES("path" = "{path}", "format" = "csv")'
                )
            assert e.value.args == (
                5600,
                f"No files were found matching the pattern(s) or path(s): '{path}'. You should check whether "
                "there are files under the path, and make sure the process has the permission to access the "
                "path",
            )
        with pytest.raises(pymysql.err.MySQLError) as e:
            cur.execute(
                f"CREATE PIPE {_name('p')} PROPERTIES ('poll_intervall' = '3') AS INSERT INTO {table} "
                f'SELECT * FROM FILES("path" = "file://{outside}", "format" = "csv")'
            )
        assert e.value.args == (5803, "Unknown property poll_intervall")
        with pytest.raises(pymysql.err.MySQLError) as e:
            cur.execute("ALTER PIPE no_such_pipe SUSPEND")
        assert e.value.args == (1064, "pipe-no_such_pipe not exists")
        with pytest.raises(pymysql.err.MySQLError) as e:
            cur.execute("DROP PIPE no_such_pipe")
        assert e.value.args == (5801, "Unknown pipe 'demo.no_such_pipe'")
        cur.execute("DROP PIPE IF EXISTS no_such_pipe")


@needs_mysql
def test_mysql_client_runs_a_pipe(sandbox: SandboxProcess) -> None:
    table, pipe = _name("pt"), _name("p")
    folder = _folder(sandbox, pipe)
    body = "7|seven\n8|eight\n"
    (folder / "rows.csv").write_text(body)
    done = _mysql(
        sandbox,
        f"create table {table} (id int, name varchar(20)) duplicate key(id) distributed by hash(id) "
        f"buckets 1 properties('replication_num'='1'); create pipe {pipe} properties('auto_ingest'='false') "
        f"as insert into {table} select * from files('path'='file://{folder}/rows.csv', 'format'='csv', "
        "'csv.column_separator'='|')",
    )
    assert done.returncode == 0, done.stderr
    _sweep(sandbox)

    def finished() -> bool:
        out = _mysql(sandbox, f"show pipes where name = '{pipe}'")
        return out.returncode == 0 and "\tFINISHED\t" in out.stdout

    assert wait_until(finished)
    out = _mysql(
        sandbox, f"select LOAD_STATE, FILE_SIZE from information_schema.pipe_files where PIPE_NAME='{pipe}'"
    )
    assert out.stdout.splitlines() == ["LOAD_STATE\tFILE_SIZE", f"FINISHED\t{len(body)}"]
    out = _mysql(sandbox, f"select id, name from {table} order by id")
    assert out.stdout.splitlines() == ["id\tname", "7\tseven", "8\teight"]


def test_ai_lake_pipe_tables_are_pipes_of_their_database(sandbox: SandboxProcess) -> None:
    from test_ailake_support import (
        STORAGE,
        client,
        create_table,
        rows_sql,
        storage_dir,
        unique,
        write_parquet,
    )

    prefix = unique("lakepipe")
    write_parquet(storage_dir(sandbox) / prefix / "part-0.parquet", rows_sql(5))
    name = unique("lp")
    body = {
        "pathPrefix": prefix + "/",
        "sourceStorageName": STORAGE,
        "tableName": name,
        "pollingIntervalSeconds": 60,
    }
    assert create_table(client(sandbox), body)["status"] == "succeeded"
    with _connect(sandbox) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT DATABASE_NAME, TABLE_NAME, STATE, LOAD_STATUS, PROPERTIES FROM information_schema.pipes "
            f"WHERE PIPE_NAME = '{name}'"
        )
        db, table, state, status, props = cur.fetchone()
        assert (db, table, state, props) == ("demo", f"demo.{name}", "RUNNING", '("poll_interval"="60")')
        assert '"loadedFiles":1,' in status and '"loadRows":5' in status
        files = _files(cur, name)
        assert files == {"part-0.parquet": ("FINISHED", None)}
        cur.execute(f"SELECT FILE_NAME FROM information_schema.pipe_files WHERE PIPE_NAME = '{name}'")
        assert cur.fetchone()[0].startswith("s3://") and cur.fetchone() is None
        cur.execute(f"SHOW PIPES FROM demo LIKE '{name}'")
        assert cur.fetchone()[3] == "RUNNING"
