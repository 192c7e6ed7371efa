"""``starrocks-console load`` reports honestly: the real command in a subprocess against a sandbox
process, with fault proxies in front of its FE and BE.

Counts and bytes are the cluster's; ``already_loaded`` only when nothing was sent; a transaction
finished by someone else, a file changed under the load, a local I/O error or a value the client
cannot send never end in "loaded" or in a transaction left running; usage errors are told before
anything is sent.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, SandboxProcess, wait_until
from faultproxy import FaultProxy, Rule

ROWS = 3000
CHUNK = 16 * 1024  # 5 chunks for the file below
LOAD = r"/api/transaction/load"


@dataclass
class Faulty:
    sp: SandboxProcess
    fe: FaultProxy
    be: FaultProxy


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


def new_table(sp: SandboxProcess, ddl: str = "id int, name varchar(64)") -> str:
    db = "ho_" + uuid.uuid4().hex[:10]
    sp.admin_sql(f"CREATE DATABASE {db}")
    sp.admin_sql(f"CREATE TABLE t ({ddl}) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1", db=db)
    return db


def rows_in(sp: SandboxProcess, db: str) -> int:
    return int(sp.query("select count(*) from t", db=db)[0][0])


def state_of(sp: SandboxProcess, db: str, label: str) -> str:
    r = httpx.get(f"{sp.url}/api/{db}/get_load_state", params={"label": label}, auth=sp.auth, timeout=10)
    return str(r.json()["state"])


def command(f: Faulty, db: str, file: Path, *extra: str, separator: str | None = ",") -> list[str]:
    be_real = f.sp.be_url.split("://", 1)[1]
    cmd = [sys.executable, "-m", "gui", "load", str(file), "--url", f.fe.url, "--user", f.sp.auth[0]]
    cmd += ["--password-env", "SR_PW", "--db", db, "--table", "t", "--chunk-size", str(CHUNK)]
    cmd += ["--be-map", f"{be_real}={f.be.netloc}", *extra]
    if separator is not None:
        cmd += ["--column-separator", separator]
    return cmd


def environment(f: Faulty, data: Path) -> dict[str, str]:
    return dict(os.environ, SR_PW=f.sp.auth[1], STARROCKS_CONSOLE_DATA=str(data))


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, dict[str, Any], str]:
    """Exit code, the one JSON line (stdout must hold exactly one) and stderr."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one result line, got {out!r}; stderr: {err}"
    assert "Traceback" not in err, err
    return proc.returncode, json.loads(lines[0]), err


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(cmd: list[str], env: dict[str, str], timeout: float = 120) -> tuple[int, dict[str, Any], str]:
    return finish(start(cmd, env), timeout)


# -- honest figures --------------------------------------------------------------------------------
@pytest.mark.slow
def test_comma_csv_with_the_default_tab_says_which_separator_fits(
    faulty: Faulty, data_file: Path, tmp_path: Path
) -> None:
    db = new_table(faulty.sp)
    code, line, err = run(command(faulty, db, data_file, separator=None), environment(faulty, tmp_path / "d"))
    assert code == 1
    assert line["already_loaded"] is False and line["finished_by_other"] is False
    assert line["state"] == "ABORTED"
    # The cluster's own figures: every row filtered, every byte received.
    assert (line["rows_loaded"], line["rows_filtered"]) == (0, ROWS)
    assert line["bytes"] == data_file.stat().st_size
    assert "too many filtered rows" in line["message"]
    assert "--column-separator ," in line["message"] and "--column-separator ," in err
    assert rows_in(faulty.sp, db) == 0


@pytest.mark.slow
def test_already_loaded_is_said_only_when_nothing_was_sent(
    faulty: Faulty, data_file: Path, tmp_path: Path
) -> None:
    db = new_table(faulty.sp)
    env = environment(faulty, tmp_path / "d")
    code, first, _ = run(command(faulty, db, data_file), env)
    assert code == 0 and first["already_loaded"] is False and first["rows_loaded"] == ROWS
    sent = faulty.be.count("PUT", LOAD)
    code, again, _ = run(command(faulty, db, data_file), env)
    assert code == 0 and again["already_loaded"] is True and again["label"] == first["label"]
    assert (again["rows_loaded"], again["bytes"]) == (ROWS, data_file.stat().st_size)
    assert faulty.be.count("PUT", LOAD) == sent
    assert rows_in(faulty.sp, db) == ROWS


# -- usage errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("given", [None, "MY_SR_PASSWORD"])
def test_a_missing_password_variable_is_a_usage_error_naming_it(tmp_path: Path, given: str | None) -> None:
    data = tmp_path / "rows.csv"
    data.write_text("1,a\n")
    env = {k: v for k, v in os.environ.items() if k not in ("STARROCKS_PASSWORD", "MY_SR_PASSWORD")}
    env["STARROCKS_CONSOLE_DATA"] = str(tmp_path / "d")
    cmd = [sys.executable, "-m", "gui", "load", str(data), "--url", "http://127.0.0.1:9", "--user", "root"]
    cmd += ["--db", "d", "--table", "t"] + (["--password-env", given] if given else [])
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert (given or "STARROCKS_PASSWORD") in done.stderr and "not set" in done.stderr
    assert "401" not in done.stderr and "profile" not in done.stderr.split("or use")[0]


def test_a_url_with_user_info_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "rows.csv"
    data.write_text("1,a\n")
    env = dict(os.environ, SR_PW="pw", STARROCKS_CONSOLE_DATA=str(tmp_path / "d"))
    cmd = [sys.executable, "-m", "gui", "load", str(data), "--url", "http://root:s3cr3t@127.0.0.1:9"]
    cmd += ["--user", "root", "--password-env", "SR_PW", "--db", "d", "--table", "t"]
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert "--user" in done.stderr and "--password-env" in done.stderr
    assert "s3cr3t" not in done.stderr
    assert not (tmp_path / "d").exists()  # nothing written anywhere


def test_help_shows_each_default() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gui", "load", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    blocks = text.split(" --")[1:]  # one block per option, from its name to the next one
    helped = {b.split(" ", 1)[0]: b for b in blocks if not b.startswith("help ")}
    for option in (
        "url",
        "user",
        "label",
        "format",
        "column-separator",
        "row-delimiter",
        "columns",
        "where",
        "max-filter-ratio",
        "strict-mode",
        "jsonpaths",
        "json-root",
        "strip-outer-array",
        "skip-header",
        "chunk-size",
        "timeout",
        "give-up-after",
        "password-env",
        "profile",
        "be-map",
        "insecure",
        "ca-bundle",
    ):
        assert "(default" in helped[option], option
    assert "(default: tab, as StarRocks)" in text and "(default: 64M)" in text
    assert "(default: STARROCKS_PASSWORD;" in text and "(default: 600)" in text


# -- a commit from outside -------------------------------------------------------------------------
@pytest.mark.slow
def test_a_commit_from_outside_between_chunks_is_never_reported_as_success(
    faulty: Faulty, data_file: Path, tmp_path: Path
) -> None:
    db, label = new_table(faulty.sp), "out_" + uuid.uuid4().hex[:8]
    env = environment(faulty, tmp_path / "d")
    cmd = command(faulty, db, data_file, "--label", label)
    hold = faulty.be.add(Rule("PUT", LOAD, "hold", skip=2))
    proc = start(cmd, env)
    try:
        assert hold.reached.wait(60), "the load never reached its third chunk"
        # Another process, no credentials: the BE takes it, as StarRocks' does.
        r = httpx.post(
            f"{faulty.sp.be_url}/api/transaction/commit", headers={"label": label, "db": db}, timeout=30
        )
        assert r.json()["Status"] == "OK"
    finally:
        hold.released.set()
    code, line, _ = finish(proc)
    partial = rows_in(faulty.sp, db)
    assert 0 < partial < ROWS
    assert code == 1 and line["finished_by_other"] is True and line["already_loaded"] is False
    assert line["state"] == "VISIBLE" and line["rows_loaded"] == partial
    assert "finished by someone else" in line["message"] and "2 of 5 chunks" in line["message"]
    assert "HTTP port" in line["message"]
    # Running it again does not turn it into "already loaded".
    code, again, _ = run(cmd, env)
    assert code == 1 and again["finished_by_other"] is True and again["already_loaded"] is False
    assert rows_in(faulty.sp, db) == partial


# -- the file under the load -----------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("change", ["rewritten", "deleted"])
def test_a_file_changed_during_the_load_is_rolled_back(
    faulty: Faulty, data_file: Path, tmp_path: Path, change: str
) -> None:
    db, label = new_table(faulty.sp), "chg_" + uuid.uuid4().hex[:8]
    pause = faulty.be.add(Rule("PUT", LOAD, "pause", skip=2))
    proc = start(command(faulty, db, data_file, "--label", label), environment(faulty, tmp_path / "d"))
    try:
        assert pause.reached.wait(60), "the load never reached its third chunk"
        if change == "rewritten":
            with data_file.open("r+") as f:  # in place: same file, new rows
                f.write("9999999,someone-else-wrote-this\n" * 100)
        else:
            data_file.unlink()
    finally:
        pause.released.set()
    code, line, _ = finish(proc)
    assert code == 1 and line["state"] == "ABORTED" == state_of(faulty.sp, db, label)
    assert ("changed during the load" if change == "rewritten" else "was deleted during the load") in line[
        "message"
    ]
    assert "rolled back" in line["message"]
    assert rows_in(faulty.sp, db) == 0


def test_a_full_data_folder_mid_load_rolls_back_with_one_result_line(
    faulty: Faulty, data_file: Path, tmp_path: Path
) -> None:
    """The journal's folder on a tiny tmpfs of the load's own mount namespace, filled up while a
    chunk is on its way."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs unshare and root to mount a private tmpfs")
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot make a mount namespace here")
    db, label = new_table(faulty.sp), "full_" + uuid.uuid4().hex[:8]
    data = tmp_path / "data"
    data.mkdir()
    inner = command(faulty, db, data_file, "--label", label)
    cmd = ["unshare", "--mount", "sh", "-c", 'mount -t tmpfs -o size=1m tmpfs "$0" && exec "$@"', str(data)]
    cmd += inner
    pause = faulty.be.add(Rule("PUT", LOAD, "pause", skip=2))
    proc = start(cmd, environment(faulty, data))
    try:
        assert pause.reached.wait(60), "the load never reached its third chunk"
        # The load's view of its data folder (its own mount namespace), filled to the last byte.
        seen = Path(f"/proc/{proc.pid}/root{data}")
        wait_until(lambda: (seen / "journal").is_dir())
        with (seen / "filler").open("wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass  # full
    finally:
        pause.released.set()
    code, line, err = finish(proc)
    assert code == 1 and line["state"] == "ABORTED" == state_of(faulty.sp, db, label)
    assert "No space left on device" in line["message"] and "rolled back" in line["message"]
    assert rows_in(faulty.sp, db) == 0


# -- errors after begin -----------------------------------------------------------------------------
def test_a_value_the_client_cannot_send_leaves_no_transaction_running(faulty: Faulty, tmp_path: Path) -> None:
    db, label = new_table(faulty.sp, "id int, customer varchar(64)"), "enc_" + uuid.uuid4().hex[:8]
    data = tmp_path / "rows.csv"
    data.write_text("1,张三\n2,李四\n")
    cmd = command(faulty, db, data, "--label", label, "--where", "customer = '张三'")
    code, line, _ = run(cmd, environment(faulty, tmp_path / "d"))
    state = state_of(faulty.sp, db, label)
    # Sent as UTF-8 it loads; refused by the client, it is rolled back. Never left running.
    assert state == line["state"] and state in ("VISIBLE", "ABORTED")
    assert code == (0 if state == "VISIBLE" else 1)
    assert rows_in(faulty.sp, db) == (1 if state == "VISIBLE" else 0)


def test_a_line_break_in_a_header_value_is_refused_before_begin(
    faulty: Faulty, data_file: Path, tmp_path: Path
) -> None:
    db = new_table(faulty.sp)
    done = subprocess.run(
        command(faulty, db, data_file, "--where", "id = 1\r\nX-Injected: yes"),
        env=environment(faulty, tmp_path / "d"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "line break" in done.stderr
    assert faulty.fe.count("POST", "/api/transaction/begin") == 0


@pytest.mark.slow  # the loader keeps asking for --give-up-after seconds of real time
def test_unknown_after_commit_is_an_error_bounded_by_give_up_after(
    faulty: Faulty, data_file: Path, tmp_path: Path
) -> None:
    db = new_table(faulty.sp)
    faulty.fe.add(
        Rule(
            "GET",
            r"/api/[^/]+/get_load_state",
            "rewrite",
            times=1_000_000,
            pattern=rb'"state"\s*:\s*"(VISIBLE|COMMITTED)"',
            replacement=b'"state":"UNKNOWN"',
        )
    )
    started = time.monotonic()
    code, line, _ = run(
        command(faulty, db, data_file, "--give-up-after", "10"), environment(faulty, tmp_path / "d")
    )
    assert time.monotonic() - started < 40
    assert code == 1 and line["state"] == "UNKNOWN" and "UNKNOWN" in line["message"]
    assert "commit" in line["message"] and line["already_loaded"] is False
    # The file went out once: one begin, one request per chunk.
    assert faulty.fe.count("POST", "/api/transaction/begin") == 1
    assert faulty.be.count("PUT", LOAD) == 5
    assert rows_in(faulty.sp, db) == ROWS  # the commit did land: the state answer was the lie


# -- the journal -----------------------------------------------------------------------------------
def test_damaged_journal_records_are_set_aside_and_named(
    faulty: Faulty, data_file: Path, tmp_path: Path
) -> None:
    db = new_table(faulty.sp)
    folder = tmp_path / "d" / "journal"
    folder.mkdir(parents=True)
    damaged = {
        "a" * 32 + ".json": b"[]",
        "b" * 32 + ".json": b"null",
        "c" * 32 + ".json": b"\xff\xfe\x00\x81",
        "d" * 32 + ".json": json.dumps({"label": 7, "fe_url": 1, "db": "x", "table": "t"}).encode(),
    }
    for name, content in damaged.items():
        (folder / name).write_bytes(content)
    code, line, err = run(command(faulty, db, data_file), environment(faulty, tmp_path / "d"))
    assert code == 0 and line["state"] == "VISIBLE" and line["rows_loaded"] == ROWS
    for name in damaged:
        assert not (folder / name).exists()
        [aside] = folder.glob(name + ".damaged-*")
        assert str(aside) in err


# -- TLS --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_certificate_verification_failure_is_not_retried(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert)]
        + ["-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True,
        capture_output=True,
    )

    class Fe(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Fe)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    data = tmp_path / "rows.csv"
    data.write_text("1,a\n")
    env = dict(os.environ, SR_PW="pw", STARROCKS_CONSOLE_DATA=str(tmp_path / "d"))
    cmd = [sys.executable, "-m", "gui", "load", str(data), "--url", f"https://127.0.0.1:{server.server_port}"]
    cmd += ["--user", "root", "--password-env", "SR_PW", "--db", "d", "--table", "t", "--give-up-after", "60"]
    try:
        started = time.monotonic()
        code, line, err = run(cmd, env)
        assert time.monotonic() - started < 30
    finally:
        server.shutdown()
    assert code == 1 and "certificate" in line["message"].lower()
