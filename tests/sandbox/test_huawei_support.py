"""Helpers for the Huawei Cloud tests: IAM tokens and AK/SK requests signed by Huawei's own signer
(``huaweicloudsdkcore.signer.Signer``), sent over real HTTP."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

import httpx
from conftest import SandboxProcess
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

TAURUS_ID = "40dc4c5729f14aad893e2dcd5baf6a15in07"
SEEDED_SR_ID = "5a0c7e1f2b3d4c5e8f9a0b1c2d3e4f50in17"
SINGLE_FE = "afef3bfd-ac7c-32e1-ba44-c388acbb196a"
SINGLE_BE = "de565db8-0a96-37ea-9388-61167624712c"


def hw(sp: SandboxProcess) -> dict[str, str]:
    return dict(sp.info["huawei"])


def token_body(sp: SandboxProcess, **scope: Any) -> dict[str, Any]:
    h = hw(sp)
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": h["iam_user"],
                        "password": h["iam_password"],
                        "domain": {"name": h["iam_domain"]},
                    }
                },
            },
            "scope": scope or {"project": {"name": h["region"]}},
        }
    }


def get_token(sp: SandboxProcess) -> str:
    r = httpx.post(f"{sp.url}/v3/auth/tokens?nocatalog=true", json=token_body(sp))
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"]


class Api:
    """Calls /v3/{project_id}/... with an IAM token, like the console does."""

    def __init__(self, sp: SandboxProcess, token: str | None = None) -> None:
        self.sp = sp
        self.project = hw(sp)["project_id"]
        self.client = httpx.Client(
            base_url=sp.url, headers={"X-Auth-Token": token or get_token(sp)}, timeout=30
        )

    def __call__(self, method: str, path: str, **kw: Any) -> httpx.Response:
        r = self.client.request(method, f"/v3/{self.project}{path}", **kw)
        assert r.headers.get("X-Request-Id"), f"no X-Request-Id on {method} {path}"
        return r

    def ok(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        r = self(method, path, **kw)
        assert r.status_code == status, r.text
        return r.json()

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.ok("GET", "/jobs", params={"id": job_id})["job"])

    def show(self, sr_id: str, taurus_id: str = TAURUS_ID) -> dict[str, Any]:
        return dict(self.ok("GET", f"/instances/{taurus_id}/starrocks/{sr_id}")["instances"][0])


def error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error_code"] == code, body
    assert isinstance(body["error_msg"], str) and body["error_msg"]
    return dict(body)


def signed(
    sp: SandboxProcess,
    method: str,
    path: str,
    *,
    query: list[tuple[str, Any]] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    ak: str | None = None,
    sk: str | None = None,
    tamper: Any = None,
) -> httpx.Response:
    """Sign with Huawei's SDK signer, then send with httpx. ``tamper(headers, content, uri)`` may
    change the request after signing and return the new (headers, content, uri)."""
    h = hw(sp)
    creds = BasicCredentials(ak or h["ak"], sk or h["sk"], h["project_id"])
    hdrs = {"Content-Type": "application/json", "X-Project-Id": h["project_id"], **(headers or {})}
    content = json.dumps(body).encode() if body is not None else b""
    req = SdkRequest(
        method=method,
        schema="http",
        host=urlparse(sp.url).netloc,
        resource_path=path,
        query_params=list(query or []),
        header_params=hdrs,
        body=content,
    )
    Signer(creds).sign(req)
    out_headers, uri = dict(req.header_params), req.uri
    if tamper is not None:
        out_headers, content, uri = tamper(out_headers, content, uri)
    return httpx.request(method, sp.url + uri, headers=out_headers, content=content, timeout=30)


def create_body(region: str, **overrides: Any) -> dict[str, Any]:
    """Huawei's example create request, in the sandbox's AZ."""
    body: dict[str, Any] = {
        "name": "htap-ff64",
        "engine": {"type": "star-rocks", "version": "3.1"},
        "ha": {"mode": "Single"},
        "fe_flavor_id": SINGLE_FE,
        "be_flavor_id": SINGLE_BE,
        "db_root_pwd": "Test@123!",
        "fe_count": 1,
        "be_count": 1,
        "az_mode": "single",
        "fe_volume": {"io_type": "SSD", "capacity_in_gb": 50},
        "be_volume": {"io_type": "SSD", "capacity_in_gb": 50},
        "az_code": f"{region}a",
        "time_zone": "UTC+08:00",
        "tags_info": {"sys_tags": [{"key": "_sys_enterprise_project_id", "value": "0"}]},
    }
    body.update(overrides)
    return body
