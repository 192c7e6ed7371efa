"""Helpers for the Stream Load tests: a careful HTTP client that follows the FE's 307 to the BE
itself (keeping method, body and Basic auth, as ``curl --location-trusted`` does), and fresh
databases made through the sandbox's admin switch."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from conftest import SandboxProcess


class TxnClient:
    def __init__(self, sp: SandboxProcess, auth: tuple[str, str] | None = None) -> None:
        self.sp = sp
        self.auth = auth if auth is not None else sp.auth
        self.http = httpx.Client(timeout=60)
        self.last_redirect: str | None = None

    def close(self) -> None:
        self.http.close()

    def send(
        self, method: str, url: str, headers: dict[str, str], data: bytes | None = None, auth: bool = True
    ) -> httpx.Response:
        """One request; a 307 is followed by hand with the same method, body and credentials."""
        kwargs: dict[str, Any] = {"headers": headers, "content": data}
        if auth:
            kwargs["auth"] = self.auth
        r = self.http.request(method, url, **kwargs)
        self.last_redirect = None
        if r.status_code == 307:
            self.last_redirect = r.headers["location"]
            r = self.http.request(method, r.headers["location"], **kwargs)
        return r

    def op(
        self,
        op: str,
        label: str,
        db: str,
        table: str | None = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> dict[str, Any]:
        h = {"label": label, "db": db}
        if table is not None:
            h["table"] = table
        h.update(headers or {})
        method = "PUT" if op == "load" else "POST"
        body = data.encode() if isinstance(data, str) else data
        r = self.send(method, f"{self.sp.url}/api/transaction/{op}", h, body, auth)
        assert r.status_code == 200, (r.status_code, r.text)
        return dict(r.json())

    def stream_load(self, db: str, table: str, data: bytes | str, headers: dict[str, str]) -> dict[str, Any]:
        body = data.encode() if isinstance(data, str) else data
        h = {"Expect": "100-continue", **headers}
        r = self.send("PUT", f"{self.sp.url}/api/{db}/{table}/_stream_load", h, body)
        assert r.status_code == 200, (r.status_code, r.text)
        return dict(r.json())

    def load_state(self, db: str, label: str) -> str:
        r = self.http.get(f"{self.sp.url}/api/{db}/get_load_state", params={"label": label}, auth=self.auth)
        return str(r.json()["state"])

    def be_list(self) -> list[dict[str, Any]]:
        r = self.http.post(f"{self.sp.be_url}/api/transaction/list", auth=self.auth)
        return parse_concatenated(r.text)


def parse_concatenated(text: str) -> list[dict[str, Any]]:
    """Objects written one after another with no enclosing array (the BE's transaction list)."""
    decoder = json.JSONDecoder()
    out, pos = [], 0
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        obj, pos = decoder.raw_decode(text, pos)
        out.append(obj)
    return out


def fresh_db(sp: SandboxProcess, *tables: str) -> str:
    """A new database with the given CREATE TABLE statements run in it."""
    db = "db_" + uuid.uuid4().hex[:12]
    sp.admin_sql(f"CREATE DATABASE {db}")
    for ddl in tables:
        sp.admin_sql(ddl, db=db)
    return db


TABLE1 = (
    "CREATE TABLE `table1` (\n  `id` int,\n  `name` varchar(100)\n) ENGINE=OLAP\n"
    "DUPLICATE KEY(`id`)\nDISTRIBUTED BY HASH(`id`) BUCKETS 1;"
)
TABLE_STRICT = (
    "CREATE TABLE `table_strict` (\n  `id` int,\n  `name` varchar(100),\n  `required_col` bigint NOT NULL\n"
    ") ENGINE=OLAP\nDUPLICATE KEY(`id`)\nDISTRIBUTED BY HASH(`id`) BUCKETS 1;"
)
