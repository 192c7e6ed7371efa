"""``starrocks-console load`` imports only what loading needs: a real load, in a fresh interpreter,
against a sandbox process, and the modules it left loaded.

Not pydantic (the answers and options it reads are plain classes; options it cannot take as given
go through pydantic, which is then imported to say what is wrong), not httpx's own command line
(click, pygments), not Qt, keyring or the sandbox's server, and the system's trust store is not read
for a cluster reached over plain HTTP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from conftest import ROOT, SandboxProcess

# Runs the command's own entry point, then writes what the process imported and whether the shared
# verifying context holds any certificate.
PROBE = """
import json, sys
from gui.cli import main
code = main(sys.argv[2:])
from gui.api.transport import TransportConfig
context = TransportConfig().verify()
with open(sys.argv[1], "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules), "certs": context.cert_store_stats()}, f)
"""

NOT_NEEDED = ("pydantic", "pydantic_core", "click", "pygments", "rich", "PySide6", "qasync", "keyring")
SANDBOX_ONLY = ("starlette", "uvicorn", "duckdb", "sqlglot")


def new_table(sp: SandboxProcess) -> str:
    db = "li_" + uuid.uuid4().hex[:10]
    sp.admin_sql(f"CREATE DATABASE {db}")
    ddl = "CREATE TABLE t (id int, name varchar(64)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1"
    sp.admin_sql(ddl, db=db)
    return db


def probe(sp: SandboxProcess, tmp_path: Path, *args: str) -> tuple[dict[str, object], str, str]:
    out = tmp_path / f"probe-{uuid.uuid4().hex[:6]}.json"
    env = dict(os.environ, SR_PW=sp.auth[1], STARROCKS_CONSOLE_DATA=str(tmp_path / "data"))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), "load", *args, "--url", sp.url, "--user", sp.auth[0]],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.exists(), done.stderr
    return json.loads(out.read_text()), done.stdout, done.stderr


def test_a_load_imports_only_what_loading_needs(sandbox: SandboxProcess, tmp_path: Path) -> None:
    db = new_table(sandbox)
    data = tmp_path / "rows.csv"
    data.write_text("1,ann\n2,bob\n3,cy\n")
    seen, stdout, stderr = probe(
        sandbox, tmp_path, str(data), "--password-env", "SR_PW", "--db", db, "--table", "t",
        "--column-separator", ",", "--max-filter-ratio", "0.5", "--strict-mode",
    )  # fmt: skip
    line = json.loads(stdout)
    assert seen["code"] == 0 and line["state"] == "VISIBLE" and line["rows_loaded"] == 3, stderr
    modules = seen["modules"]
    assert isinstance(modules, list)
    tops = {m.split(".")[0] for m in modules}
    assert not tops & {*NOT_NEEDED, *SANDBOX_ONLY}, sorted(tops & {*NOT_NEEDED, *SANDBOX_ONLY})
    assert "gui.ui" not in modules and "gui.app" not in modules
    # Over plain HTTP nothing was verified, so the system's certificates were never read.
    assert seen["certs"] == {"x509": 0, "crl": 0, "x509_ca": 0}


def test_options_it_cannot_take_are_refused_field_by_field_before_anything_is_sent(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    data = tmp_path / "rows.json"
    data.write_text('{"id": 1}\n')
    seen, stdout, stderr = probe(
        sandbox, tmp_path, str(data), "--password-env", "SR_PW", "--db", "nowhere", "--table", "t",
        "--format", "json", "--max-filter-ratio", "1.5", "--jsonpaths", "$.id",
    )  # fmt: skip
    assert seen["code"] == 2 and stdout == ""
    # Both problems, each in pydantic's words: it is imported for this, and only for this.
    assert "Input should be less than or equal to 1" in stderr
    assert "jsonpaths must be a JSON array of paths" in stderr
    modules = seen["modules"]
    assert isinstance(modules, list) and "pydantic" in modules
