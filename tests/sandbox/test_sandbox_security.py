"""Nothing leaks, nothing is let in: the sandbox's SQL cannot reach files or settings, it serves only
its own names, refuses what a web page could send, holds up against oversized and idle clients,
keeps its secrets hashed and its files private, and dies with the console that started it."""

from __future__ import annotations

import base64
import gzip
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from conftest import ROOT, SandboxProcess, wait_until
from test_huawei_support import SEEDED_SR_ID, TAURUS_ID, Api, create_body, hw, token_body
from txn_helpers import TABLE1, TxnClient, fresh_db

SQL = "/api/v1/catalogs/default_catalog/sql"
PASSWD_LINE = "root:x:0:0"


def sql(sp: SandboxProcess, query: str, **kw: Any) -> httpx.Response:
    return httpx.post(sp.url + SQL, json={"query": query}, auth=sp.auth, timeout=30, **kw)


def refused(r: httpx.Response, detail: str, at: tuple[int, int] | None = None) -> None:
    assert r.status_code == 500, r.text
    where = f" at line {at[0]}, column {at[1]}" if at else ""
    msg = f"Getting analyzing error{where}. Detail message: {detail}."
    assert r.json() == {"status": "FAILED", "code": "1", "msg": msg, "message": msg}


# -- SQL cannot reach files, settings or the sandbox's own catalog ---------------------------------

TABLE_FUNCTIONS = [
    ("select * from `read_text`('/etc/passwd')", "read_text(VARCHAR)"),
    ("select * from main.read_text('/etc/passwd')", "read_text(VARCHAR)"),
    ("select * from system.main.read_text('/etc/passwd')", "read_text(VARCHAR)"),
    ("select * from `main`.`read_text`('/etc/passwd')", "read_text(VARCHAR)"),
    ("select * from table(read_text('/etc/passwd'))", "read_text(VARCHAR)"),
    ("select * from read_blob('/proc/self/environ')", "read_blob(VARCHAR)"),
    ("select * from read_csv('/etc/passwd')", "read_csv(VARCHAR)"),
    ("select * from read_csv_auto('/etc/passwd', 1)", "read_csv_auto(VARCHAR,TINYINT)"),
    ("select * from sniff_csv('/etc/passwd')", "sniff_csv(VARCHAR)"),
    ("select * from read_json_auto('/etc/passwd')", "read_json_auto(VARCHAR)"),
    ("select * from read_parquet('/etc/passwd')", "read_parquet(VARCHAR)"),
    ("select * from parquet_scan('/etc/passwd')", "parquet_scan(VARCHAR)"),
    ("select * from iceberg_scan('/etc')", "iceberg_scan(VARCHAR)"),
    ("select * from delta_scan('/etc')", "delta_scan(VARCHAR)"),
    ("select * from glob('/etc/*')", "glob(VARCHAR)"),
    ("select * from query('select 1')", "query(VARCHAR)"),
    ("select * from query_table('x')", "query_table(VARCHAR)"),
    ("select * from duckdb_settings()", "duckdb_settings()"),
    ("select * from range(3)", "range(TINYINT)"),
    ("select * from (select 1) t, read_text('/etc/passwd')", "read_text(VARCHAR)"),
    ("select * from demo.orders join read_text('/etc/passwd') on true", "read_text(VARCHAR)"),
    ("select (select content from read_text('/etc/passwd'))", "read_text(VARCHAR)"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("query", "call"), TABLE_FUNCTIONS)
def test_duckdb_table_functions_are_unknown_to_starrocks(
    sandbox: SandboxProcess, query: str, call: str
) -> None:
    r = sql(sandbox, query)
    assert PASSWD_LINE not in r.text
    # QueryAnalyzer.visitTableFunction: SemanticException without a position.
    refused(r, f"Unknown table function '{call}'")


SCALARS = [
    ("select current_setting('allowed_directories')", "current_setting(varchar)", 7),
    ("select `current_setting`('allowed_directories')", "current_setting(varchar)", 7),
    ("select 'allowed_directories'.current_setting()", "current_setting()", 29),
    ("select main.current_setting('threads')", "current_setting(varchar)", 7),
    ("select getenv('HOME')", "getenv(varchar)", 7),
    ("select getvariable('x')", "getvariable(varchar)", 7),
    ("select 1 + length(read_text('/etc/passwd'))", "read_text(varchar)", 18),
    ("select which_secret('s3://x', 's3')", "which_secret(varchar, varchar)", 7),
]


@pytest.mark.parametrize(("query", "signature", "col"), SCALARS)
def test_functions_that_reach_files_or_settings_do_not_exist(
    sandbox: SandboxProcess, query: str, signature: str, col: int
) -> None:
    r = sql(sandbox, query)
    assert "allowed_directories" not in r.text.replace(query, "") and PASSWD_LINE not in r.text
    refused(r, f"No matching function with signature: {signature}", (1, col))


def test_starrocks_functions_still_work(sandbox: SandboxProcess) -> None:
    assert sandbox.query("select repeat('ab', 2), lower(`upper`('x')), version()") == [
        ["abab", "x", "8.0.33"]
    ]
    assert sandbox.query("select * from unnest([1, 2]) t(x) order by x") == [[1], [2]]


@pytest.mark.parametrize(
    "statement",
    [
        "COPY (select 1) TO '{tmp}/out.csv'",
        "ATTACH '{tmp}/other.db' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "PRAGMA version",
        "SET enable_external_access = true",
        "EXPORT DATABASE '{tmp}/export'",
        "select 1; COPY (select 1) TO '{tmp}/out.csv'",
    ],
)
def test_duckdb_statements_are_refused_by_both_sql_endpoints(
    sandbox: SandboxProcess, tmp_path: Path, statement: str
) -> None:
    text = statement.format(tmp=tmp_path)
    r = sql(sandbox, text)
    assert r.status_code == 500 and r.json()["status"] == "FAILED", r.text
    r = httpx.post(f"{sandbox.url}/_sandbox/sql", json={"sql": text}, auth=sandbox.auth, timeout=30)
    if text.startswith("SET"):  # the admin switch accepts SET and ignores it (see admin.py)
        assert r.json()["results"] == [{"statement": "SET", "rowsAffected": 0}], r.text
    else:
        assert r.status_code == 400 and r.json()["status"] == "FAILED", r.text
    assert list(tmp_path.iterdir()) == []
    # Still locked: the setting did not change.
    r = sql(sandbox, "select * from read_text('/etc/passwd')")
    assert PASSWD_LINE not in r.text


def test_the_admin_switch_refuses_file_readers_too(sandbox: SandboxProcess) -> None:
    r = httpx.post(
        f"{sandbox.url}/_sandbox/sql",
        json={"sql": "select * from `read_text`('/proc/self/environ')"},
        auth=sandbox.auth,
        timeout=30,
    )
    assert r.status_code == 400 and "Unknown table function 'read_text(VARCHAR)'" in r.json()["msg"]


def test_every_duckdb_connection_is_locked_to_the_data_folder(tmp_path: Path) -> None:
    """The lockdown is made where connections are made, so every DuckDB connection of the sandbox
    (the store's, its cursors, an in-memory one for expressions) has it, whatever SQL reaches it."""
    from gui.sandbox import store as sandbox_store

    data = tmp_path / "data"
    inside = data / "be" / "x.csv"
    st = sandbox_store.Store(data / "sandbox.duckdb")
    try:
        inside.parent.mkdir(parents=True)
        inside.write_text("a,b\n1,2\n")
        memory = sandbox_store.connect(None, [data])
        for con in (st.new_cursor(), memory):
            assert con.execute("select count(*) from read_csv(?)", [str(inside)]).fetchone() == (1,)
            for q in (
                "select * from read_text('/etc/passwd')",
                f"select * from read_text('{data}/../../../etc/passwd')",
                f"copy (select 1) to '{tmp_path}/escaped.csv'",
                "select * from glob('/*')",
                f"attach '{tmp_path}/other.duckdb'",
            ):
                with pytest.raises(duckdb.PermissionException):
                    con.execute(q)
            for q in (
                "set enable_external_access = true",
                "reset enable_external_access",
                "set allowed_directories = ['/']",
                "set lock_configuration = false",
            ):
                with pytest.raises(duckdb.InvalidInputException, match="locked"):
                    con.execute(q)
        memory.close()
        assert not (tmp_path / "escaped.csv").exists()
    finally:
        st.close()


def test_no_duckdb_connection_is_opened_outside_the_store() -> None:
    sources = (ROOT / "gui" / "sandbox").rglob("*.py")
    opened = [p for p in sources if "duckdb.connect(" in p.read_text() and p.name != "store.py"]
    assert opened == [], "open DuckDB connections with gui.sandbox.store.connect (it locks them down)"


# -- Host header, JSON bodies ----------------------------------------------------------------------


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8030", "localhost.attacker.example"])
def test_foreign_host_names_are_refused(sandbox: SandboxProcess, host: str) -> None:
    for url in (sandbox.url + SQL, sandbox.be_url + "/api/transaction/list"):
        r = httpx.post(url, json={"query": "select 1"}, auth=sandbox.auth, headers={"Host": host})
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/plain"), r.text
        assert "is not a name of this sandbox" in r.text


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:{port}", "127.0.0.1:{port}", "[::1]:{port}", "10.1.2.3"]
)
def test_loopback_names_and_addresses_are_served(sandbox: SandboxProcess, host: str) -> None:
    port = sandbox.url.rsplit(":", 1)[1]
    r = sql(sandbox, "select 1", headers={"Host": host.format(port=port)})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "ctype", ["application/x-www-form-urlencoded", "text/plain;charset=UTF-8", "multipart/form-data", None]
)
def test_sql_is_not_taken_from_a_form(sandbox: SandboxProcess, ctype: str | None) -> None:
    body = json.dumps({"query": "select 1"}).encode()
    headers = {"Content-Type": ctype} if ctype else {}
    r = httpx.post(sandbox.url + SQL, content=body, headers=headers, auth=sandbox.auth)
    assert r.status_code == 415 and r.json()["msg"] == "Content-Type must be application/json", r.text
    r = httpx.post(
        f"{sandbox.url}/_sandbox/sql", content=json.dumps({"sql": "create database formed"}).encode(),
        headers=headers, auth=sandbox.auth,
    )  # fmt: skip
    assert r.status_code == 415, r.text
    assert sandbox.query("select count(*) from information_schema.schemata where schema_name = 'formed'") == [
        [0]
    ]


# -- credentials -----------------------------------------------------------------------------------


def basic(user: str, password: str) -> dict[str, str]:
    raw = f"{user}:{password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def test_non_ascii_credentials_are_refused_not_a_server_error(sandbox: SandboxProcess) -> None:
    creds = basic("rööt", "pässwörd—✓")
    r = httpx.post(sandbox.url + SQL, json={"query": "select 1"}, headers=creds)
    assert r.status_code == 401 and r.json()["msg"] == "Access denied for rööt@127.0.0.1"
    r = httpx.post(f"{sandbox.url}/api/transaction/begin", headers={**creds, "label": "x", "db": "demo"})
    assert r.status_code == 401
    r = httpx.post(f"{sandbox.be_url}/api/transaction/begin", headers={**creds, "label": "l1", "db": "demo",
                                                                        "table": "orders"})  # fmt: skip
    assert r.status_code == 200 and r.json()["Status"] == "NOT_AUTHORIZED"
    body = token_body(sandbox)
    body["auth"]["identity"]["password"]["user"]["password"] = "Pässwörd@2026"
    r = httpx.post(f"{sandbox.url}/v3/auth/tokens", json=body)
    assert r.status_code == 401, r.text
    h = hw(sandbox)
    auth = f"SDK-HMAC-SHA256 Access={h['ak']}, SignedHeaders=host;x-sdk-date, Signature=ä"
    r = httpx.get(
        f"{sandbox.url}/v3/{h['project_id']}/instances",
        headers={"Authorization": auth.encode("utf-8"),
                 "X-Sdk-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())},
    )  # fmt: skip
    assert r.status_code == 401, r.text


@pytest.mark.slow
def test_a_non_ascii_password_is_accepted(sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARROCKS_SANDBOX_FE_PASSWORD", "Grüße—✓")
    sp = sandbox_factory()
    assert sp.auth == ("root", "Grüße—✓")
    r = httpx.post(sp.url + SQL, json={"query": "select 1"}, headers=basic("root", "Grüße—✓"))
    assert r.status_code == 200, r.text


@pytest.mark.slow
def test_secrets_are_stored_hashed_and_files_private(sandbox_factory: Any, tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    sp = sandbox_factory(data_dir=data)
    api = Api(sp)
    created = api.ok("POST", f"/instances/{TAURUS_ID}/starrocks", 201,
                     json=create_body(hw(sp)["region"], db_root_pwd="Root#Secret77"))  # fmt: skip
    users = f"/instances/{SEEDED_SR_ID}/starrocks/users"
    new = {"user_name": "etl_writer1", "password": "Etl#Writer2026", "databases": ["demo"]}
    assert api.ok("POST", users, json=new) == {"result": "success"}
    assert api.ok("PUT", users + "/password", json={"user_name": "report_reader", "password": "Next#Pass99"})
    db = fresh_db(sp, TABLE1)
    c = TxnClient(sp)
    assert c.stream_load(db, "table1", "1\ta\n", {"label": "perm1"})["Status"] == "Success"
    c.close()
    assert created["instance"]["id"]
    for folder in (data, data / "be"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o700
    sp.stop()
    for f in data.glob("sandbox.duckdb*"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    con = duckdb.connect(str(data / "sandbox.duckdb"), read_only=True)
    try:
        docs = "\n".join(r[0] for r in con.execute("select body from _sandbox.docs").fetchall())
    finally:
        con.close()
    for secret in ("Root#Secret77", "Etl#Writer2026", "Next#Pass99", "Reader#2026", hw(sp)["iam_password"]):
        assert secret not in docs
    assert '"root_password":"scrypt$' in docs
    sp.start()  # the same data folder serves again
    assert Api(sp).ok("GET", users, params={"limit": 10, "offset": 0})["total_count"] == 2


# -- limits ----------------------------------------------------------------------------------------


def test_an_oversized_sql_body_is_refused_as_the_fe_refuses_it(sandbox: SandboxProcess) -> None:
    big = json.dumps({"query": "select '" + "x" * (7 * 1024 * 1024) + "'"}).encode()
    headers = {"Content-Type": "application/json"}
    r = httpx.post(sandbox.url + SQL, content=big, headers=headers, auth=sandbox.auth, timeout=30)
    assert r.status_code == 413 and r.content == b""

    def chunks() -> Any:
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    r = httpx.post(sandbox.url + SQL, content=chunks(), headers=headers, auth=sandbox.auth, timeout=30)
    assert r.status_code == 413 and r.content == b""
    assert sandbox.query("select 1") == [[1]]


@pytest.mark.slow
def test_a_gzip_bomb_of_json_is_refused(sandbox: SandboxProcess) -> None:
    db = fresh_db(sandbox, TABLE1)
    row = b'{"id": 1, "name": "' + b"a" * 1000 + b'"},'
    bomb = gzip.compress(b"[" + row * (101 * 1024 * 1024 // len(row)) + b'{"id": 2}]', 9)
    assert len(bomb) < 1024 * 1024
    c = TxnClient(sandbox)
    try:
        r = c.stream_load(
            db, "table1", bomb, {"format": "json", "compression": "gzip", "strip_outer_array": "true"}
        )
    finally:
        c.close()
    assert r["Status"] == "Fail" and "of json type data" in r["Message"], r
    assert sandbox.query(f"select count(*) from {db}.table1") == [[0]]


@pytest.fixture
def small_loads(sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch) -> SandboxProcess:
    monkeypatch.setenv("STARROCKS_SANDBOX_STREAMING_LOAD_MAX_MB", "1")
    sp: SandboxProcess = sandbox_factory()
    return sp


@pytest.mark.slow
def test_load_bodies_are_capped_before_and_after_decompression(small_loads: SandboxProcess) -> None:
    sp = small_loads
    db = fresh_db(sp, TABLE1)
    limit = 1024 * 1024
    c = TxnClient(sp)
    try:
        plain = b"1\ta\n" * (limit // 4 + 1)
        r = c.stream_load(db, "table1", plain, {"label": "big-plain"})
        assert r["Status"] == "Fail" and r["Message"] == f"body exceed max size: {limit}, data: {len(plain)}"

        def chunked() -> Any:
            for i in range(0, len(plain), 65536):
                yield plain[i : i + 65536]

        h = {"Expect": "100-continue", "label": "big-chunked"}  # sent to the BE: no Content-Length
        resp = c.http.put(
            f"{sp.be_url}/api/{db}/table1/_stream_load", headers=h, content=chunked(), auth=sp.auth
        )
        assert resp.json()["Status"] == "Fail" and resp.json()["Message"].startswith(
            f"body exceed max size: {limit}"
        )
        bomb = gzip.compress(b"1\ta\n" * (3 * limit // 4), 9)
        r = c.stream_load(db, "table1", bomb, {"label": "bomb", "compression": "gzip"})
        assert r["Status"] == "Fail", r
        assert r["Message"] == f"body exceed max size: {limit}, data: more than {limit} once decompressed"
        assert c.op("begin", "t-bomb", db, "table1")["Status"] == "OK"
        r = c.op("load", "t-bomb", db, "table1", bomb, {"compression": "gzip"})
        assert r["Status"] == "INTERNAL_ERROR" and "once decompressed" in r["Message"]
        small = gzip.compress(b"1\ta\n2\tb\n")
        r = c.stream_load(db, "table1", small, {"label": "fine", "compression": "gzip"})
        assert r["Status"] == "Success" and r["NumberLoadedRows"] == 2, r
    finally:
        c.close()
    assert sp.query(f"select count(*) from {db}.table1") == [[2]]


def _connect(url: str) -> socket.socket:
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    return s


def _closed_by_peer(s: socket.socket) -> bool:
    s.setblocking(False)
    try:
        return s.recv(65536) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


@pytest.mark.slow
def test_idle_and_slow_header_connections_are_cut_off(
    sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STARROCKS_SANDBOX_HEADER_TIMEOUT", "1")
    sp: SandboxProcess = sandbox_factory()
    socks = [_connect(sp.url) for _ in range(300)]
    slow = [_connect(url) for url in (sp.url, sp.be_url) for _ in range(5)]
    for s in slow:
        s.sendall(b"POST /api/v1/catalogs/default_catalog/sql HTTP/1.1\r\nHost: localhost\r\n")
    try:
        wait_until(lambda: all(_closed_by_peer(s) for s in socks + slow), timeout=30, interval=0.2)
        assert sp.query("select 1") == [[1]]
        # A kept-alive connection between requests, and a request that is slow but on time, are fine.
        with httpx.Client(auth=sp.auth) as client:
            for _ in range(2):
                assert client.post(sp.url + SQL, json={"query": "select 1"}).status_code == 200
    finally:
        for s in socks + slow:
            s.close()


@pytest.mark.slow
def test_connections_beyond_the_limit_are_closed(
    sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STARROCKS_SANDBOX_MAX_CONNECTIONS", "40")
    sp: SandboxProcess = sandbox_factory()
    held = [_connect(sp.url) for _ in range(40)]
    try:
        extra = [_connect(sp.url) for _ in range(20)]
        wait_until(lambda: all(_closed_by_peer(s) for s in extra), timeout=15, interval=0.1)
        assert not any(_closed_by_peer(s) for s in held)
        for s in extra:
            s.close()
    finally:
        for s in held:
            s.close()
    wait_until(lambda: sql(sp, "select 1").status_code == 200, timeout=15, interval=0.1)


def test_oversized_headers_are_refused(sandbox: SandboxProcess) -> None:
    r = httpx.get(sandbox.url + "/api/health", headers={"X-Big": "x" * 40000})
    assert r.status_code == 431
    with _connect(sandbox.url) as s:  # a head sent a piece at a time is cut off by h11 itself
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n" + b"X-Pad: " + b"x" * 33000)
        assert s.recv(1024).startswith(b"HTTP/1.1 400 ")
    assert httpx.get(sandbox.url + "/api/health").status_code == 200


# -- the sandbox started by the console ------------------------------------------------------------

RUNNER = """
import asyncio, json, os, sys
from pathlib import Path
from gui.services.sandbox_runner import SandboxRunner

async def main():
    runner = SandboxRunner(Path(sys.argv[1]))
    info = await runner.start()
    print(json.dumps({"info": info, "pid": runner.proc.pid}), flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def _start_runner(data: Path) -> tuple[subprocess.Popen[str], dict[str, Any], int]:
    env = dict(
        os.environ,
        STARROCKS_PASSWORD="console-password-do-not-leak",
        AWS_SECRET_ACCESS_KEY="aws-secret-do-not-leak",
        DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/0/bus-do-not-leak",
        STARROCKS_SANDBOX_FE_PASSWORD="inherited-must-not-win",
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(data)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"runner exited with {proc.wait()}"
    doc = json.loads(line)
    return proc, doc["info"], int(doc["pid"])


def _answers(url: str) -> bool:
    try:
        httpx.get(url + "/api/health", timeout=2)
    except httpx.TransportError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_console_sandbox_gets_fresh_secrets_and_a_minimal_environment(tmp_path: Path) -> None:
    procs = []
    try:
        first, info, child = _start_runner(tmp_path / "a")
        procs.append(first)
        environ = Path(f"/proc/{child}/environ").read_bytes().decode(errors="replace")
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace")
        for leak in (
            "console-password-do-not-leak",
            "aws-secret-do-not-leak",
            "bus-do-not-leak",
            "inherited",
        ):
            assert leak not in environ
        for secret in (info["fe_password"], info["huawei"]["sk"], info["huawei"]["iam_password"],
                       info["ailake"]["token"]):  # fmt: skip
            assert secret not in cmdline
        assert info["fe_password"] not in ("sandbox", "inherited-must-not-win")
        assert info["huawei"]["sk"] != "sandboxSecretKey0123456789abcdefghijklmn"
        assert info["ailake"]["token"] != "sandbox-ailake-token"
        r = httpx.post(info["url"] + SQL, json={"query": "select 1"}, auth=("root", info["fe_password"]))
        assert r.status_code == 200
        assert (
            httpx.post(info["url"] + SQL, json={"query": "select 1"}, auth=("root", "sandbox")).status_code
            == 401
        )
        r = httpx.post(f"{info['url']}/v3/auth/tokens", json={"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": info["huawei"]["iam_user"], "password": info["huawei"]["iam_password"],
                "domain": {"name": info["huawei"]["iam_domain"]}}}},
            "scope": {"project": {"name": info["huawei"]["region"]}}}})  # fmt: skip
        assert r.status_code == 201, r.text
        second, info2, _ = _start_runner(tmp_path / "b")
        procs.append(second)
        assert info2["fe_password"] != info["fe_password"]
        assert info2["ailake"]["token"] != info["ailake"]["token"]
    finally:
        for p in procs:
            p.kill()
            p.wait(10)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_the_sandbox_dies_with_the_console(tmp_path: Path, sig: int) -> None:
    proc, info, child = _start_runner(tmp_path / "d")
    try:
        assert _answers(info["url"]) and _answers(info["be_url"])
        proc.send_signal(sig)
        proc.wait(10)
        wait_until(
            lambda: not _answers(info["url"]) and not _answers(info["be_url"]), timeout=30, interval=0.1
        )
        wait_until(lambda: not Path(f"/proc/{child}").exists() or _zombie(child), timeout=30, interval=0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        _kill_quietly(child)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


def _kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


# -- the console's own files -----------------------------------------------------------------------


def test_console_folders_and_files_are_private(tmp_path: Path) -> None:
    from gui.services.profiles import Profile, ProfileStore
    from gui.services.tracker import JobTracker, TrackedJob

    config = tmp_path / "home" / ".config" / "starrocks-console"
    store = ProfileStore(config / "profiles.json")
    store.put(Profile(name="p", kind="starrocks", url="http://127.0.0.1:8030", user="root"))
    jobs = JobTracker(tmp_path / "share" / "starrocks-console" / "jobs.json")
    jobs.add(TrackedJob(kind="huawei-job", profile="p", remote_id="j1", title="t", action="create"))
    for folder in (config, config.parent, tmp_path / "home", tmp_path / "share" / "starrocks-console"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for f in (config / "profiles.json", tmp_path / "share" / "starrocks-console" / "jobs.json"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    # A console folder an earlier version made 0755 is tightened; a folder the user chose is not.
    old = tmp_path / "old" / "starrocks-console"
    old.mkdir(parents=True, mode=0o755)
    old.chmod(0o755)
    ProfileStore(old / "profiles.json").put(Profile(name="q", kind="ailake"))
    assert stat.S_IMODE(old.stat().st_mode) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    ProfileStore(shared / "profiles.json").put(Profile(name="q", kind="ailake"))
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
