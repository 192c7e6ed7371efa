"""Helpers shared by the AI Lake tests: an authenticated client, operation polling and parquet files
written into the sandbox's object storage folder."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import duckdb
import httpx
from conftest import SandboxProcess
from sandboxclock import advance

BASE = "/api/v1/ailake"
INSTANCES = f"{BASE}/database/instances"
STORAGE = "sandbox-lake"


class LakeClient(httpx.Client):
    """An AI Lake client of one sandbox, which ``wait_operation`` moves the clock of."""

    def __init__(self, sp: SandboxProcess, token: str | None = None, step: float = 1.0) -> None:
        super().__init__(
            base_url=sp.url,
            headers={"Authorization": f"Bearer {token or sp.info['ailake']['token']}"},
            timeout=30,
        )
        self.sandbox = sp
        # Seconds the clock moves per look at a pending operation: at least the sandbox's
        # --operation-seconds.
        self.step = step


def client(sp: SandboxProcess, token: str | None = None, step: float = 1.0) -> LakeClient:
    return LakeClient(sp, token, step)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def storage_dir(sp: SandboxProcess, storage: str = STORAGE) -> Path:
    return sp.data_dir / "object-storage" / storage


def write_parquet(path: Path, select_sql: str) -> None:
    """Write a parquet file atomically, so a polling pipe never reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    con = duckdb.connect()
    try:
        con.execute(f"COPY ({select_sql}) TO '{tmp}' (FORMAT parquet)")
    finally:
        con.close()
    tmp.replace(path)


def rows_sql(n: int, start: int = 1, label: str = "x") -> str:
    """n rows of a small orders-like schema."""
    return (
        f"SELECT CAST(i AS BIGINT) AS id, '{label}' || i AS name, CAST(i * 1.5 AS DECIMAL(10,2)) AS price, "
        f"DATE '2024-01-01' + CAST(i % 28 AS INTEGER) AS day FROM range({start}, {start + n}) t(i)"
    )


def wait_operation(c: httpx.Client, op_id: str, steps: int = 100) -> dict[str, Any]:
    """The operation's final JSON. While it is pending, the sandbox's clock is moved on by the
    client's step, which carries out whatever fell due before it answers: no waiting on the wall
    clock."""
    assert isinstance(c, LakeClient), "an operation is followed with the client of its sandbox"
    for _ in range(steps):
        r = c.get(f"{BASE}/operations/{op_id}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] != "pending":
            return body
        advance(c.sandbox, c.step)
    raise AssertionError(f"operation {op_id} still pending after the clock moved {steps} times")


def accepted(r: httpx.Response) -> str:
    """The operation id of a 202; checks the documented headers."""
    assert r.status_code == 202, r.text
    op_id = r.headers["operation-id"]
    assert r.headers["operation-location"] == f"{BASE}/operations/{op_id}"
    assert r.content == b""
    return op_id


def create_table(
    c: httpx.Client, body: dict[str, Any], instance: str = "demo", **headers: str
) -> dict[str, Any]:
    r = c.post(f"{INSTANCES}/{instance}/pipeTables", json=body, headers=headers)
    return wait_operation(c, accepted(r))


def assert_problem(r: httpx.Response, status: int, title: str, *fragments: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert set(body) == {"title", "status", "detail", "traceId"}
    assert body["status"] == status and body["title"] == title
    assert body["traceId"] == r.headers["x-gdc-trace-id"]
    for f in fragments:
        assert f in body["detail"], body["detail"]
    return body


def count(sp: SandboxProcess, table: str, db: str = "demo", where: str = "") -> int:
    rows = sp.query(f"SELECT count(*) FROM {table} {where}", db=db)
    return int(rows[0][0])


def shown(sp: SandboxProcess, sql: str, db: str | None = None) -> list[str]:
    """First column of a SHOW statement (the SQL API answers SHOW as one object: rows keyed by column)."""
    out: list[str] = []
    for row in sp.query(sql, db=db):
        for value in row:
            out.append(next(iter(value.values())) if isinstance(value, dict) else value)
    return out
