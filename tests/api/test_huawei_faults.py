"""Faults the sandbox does not produce on its own, injected by a small proxy in front of it: a
token that stays refused, 5xx/429 answers (reads retried, changes not), the two other error shapes
Huawei's SDK reads, a job that fails, and an unreachable service."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from conftest import SandboxProcess
from pydantic import SecretStr

from gui.api import errors
from gui.api.huawei import AkSkCredentials, HuaweiCloudClient, Job, PasswordCredentials
from gui.api.transport import TransportConfig

FAST = TransportConfig(retries=2, backoff_base=0.01, backoff_max=0.05)
TAURUS = "40dc4c5729f14aad893e2dcd5baf6a15in07"
HTAP = "5a0c7e1f2b3d4c5e8f9a0b1c2d3e4f50in17"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}

# fault(method, path) -> (status, JSON body) to answer instead of the sandbox, or None to forward;
# rewrite(method, path, status, body) -> new body for a forwarded answer.
Fault = Callable[[str, str], tuple[int, Any] | None]
Rewrite = Callable[[str, str, int, Any], Any]


class FaultProxy:
    """Forwards every request to the sandbox unchanged (Host included, so AK/SK signatures stay
    valid) unless ``fault`` answers it; records what it saw."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.fault: Fault | None = None
        self.rewrite: Rewrite | None = None
        self.seen: list[tuple[str, str]] = []
        self.forwarded: list[tuple[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                proxy.seen.append((self.command, self.path))
                injected = proxy.fault(self.command, self.path) if proxy.fault else None
                if injected is not None:
                    status, payload = injected
                    self._answer(status, {"X-Request-Id": "proxy-request-id"}, json.dumps(payload).encode())
                    return
                proxy.forwarded.append((self.command, self.path))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                with httpx.Client(timeout=30) as c:
                    r = c.request(self.command, proxy.upstream + self.path, headers=headers, content=body)
                out = r.content
                if proxy.rewrite is not None and r.headers.get("content-type", "").startswith(
                    "application/json"
                ):
                    out = json.dumps(proxy.rewrite(self.command, self.path, r.status_code, r.json())).encode()
                keep = {
                    k: v for k, v in r.headers.items() if k.lower() not in HOP_BY_HOP | {"date", "server"}
                }
                self._answer(r.status_code, keep, out)

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def count(self, method: str, fragment: str) -> int:
        return sum(1 for m, p in self.seen if m == method and fragment in p)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(sandbox: SandboxProcess) -> Iterator[FaultProxy]:
    p = FaultProxy(sandbox.url)
    yield p
    p.close()


def through(
    sp: SandboxProcess, proxy: FaultProxy, kind: str = "password", **kwargs: Any
) -> HuaweiCloudClient:
    hw = sp.info["huawei"]
    creds: PasswordCredentials | AkSkCredentials
    if kind == "password":
        creds = PasswordCredentials(
            user=hw["iam_user"], password=SecretStr(hw["iam_password"]), domain=hw["iam_domain"]
        )
    else:
        creds = AkSkCredentials(ak=hw["ak"], sk=SecretStr(hw["sk"]))
    return HuaweiCloudClient(
        region=hw["region"],
        credentials=creds,
        endpoint=proxy.url,
        iam_endpoint=proxy.url,
        config=FAST,
        **kwargs,
    )


@pytest.mark.asyncio
async def test_token_renewed_only_once(sandbox: SandboxProcess, proxy: FaultProxy) -> None:
    def refuse_gaussdb(method: str, path: str) -> tuple[int, Any] | None:
        if path.startswith("/v3/") and "/auth/tokens" not in path:
            return 401, {"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information"}
        return None

    proxy.fault = refuse_gaussdb
    async with through(sandbox, proxy, project_id=sandbox.info["huawei"]["project_id"]) as hw:
        with pytest.raises(errors.AuthError) as info:
            await hw.list_datastores()
        e = info.value
        assert e.status == 401 and e.code == "APIGW.0301" and e.request_id == "proxy-request-id"
        assert "logging in again" in (e.hint or "")
        assert proxy.count("GET", "/htap/datastores/") == 2
        assert proxy.count("POST", "/v3/auth/tokens") == 2
        assert hw.token_source is not None and hw.token_source.logins == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["password", "aksk"])
async def test_reads_are_retried_changes_are_not(
    sandbox: SandboxProcess, proxy: FaultProxy, kind: str
) -> None:
    failures = {"GET": 2, "PUT": 1}

    def flaky(method: str, path: str) -> tuple[int, Any] | None:
        if "/htap/datastores/" in path or "/starrocks/restart" in path:
            if failures.get(method, 0) > 0:
                failures[method] -= 1
                return 503, {"error_code": "DBS.200005", "error_msg": "Server failure."}
        return None

    proxy.fault = flaky
    async with through(sandbox, proxy, kind, project_id=sandbox.info["huawei"]["project_id"]) as hw:
        stores = await hw.list_datastores()
        assert stores[0].kernel_version == "3.1.6.0"
        assert proxy.count("GET", "/htap/datastores/") == 3

        with pytest.raises(errors.ServerError) as info:
            await hw.restart_starrocks_instance(HTAP)
        e = info.value
        assert e.status == 503 and e.code == "DBS.200005" and e.message == "Server failure."
        assert e.request_id == "proxy-request-id" and "request id" in (e.hint or "")
        assert proxy.count("PUT", "/starrocks/restart") == 1
        assert not any(p.endswith("/starrocks/restart") for _, p in proxy.forwarded)

        proxy.fault = lambda m, p: (
            (429, {"error_code": "APIGW.0308", "error_msg": "throttled"}) if m == "DELETE" else None
        )
        with pytest.raises(errors.RateLimited):
            await hw.delete_database_user(HTAP, "report_reader")
        assert proxy.count("DELETE", "/starrocks/users") == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "message"),
    [
        (
            400,
            {"errorCode": "DBS.280234", "errorMsg": "Invalid DB instance name."},
            errors.InvalidRequest,
            "DBS.280234",
            "Invalid DB instance name.",
        ),
        (
            500,
            {"code": "DBS.108000", "message": "Server failure."},
            errors.ServerError,
            "DBS.108000",
            "Server failure.",
        ),
        (
            403,
            {"error_code": "DBS.200010", "error_msg": "Not authorized."},
            errors.AuthError,
            "DBS.200010",
            "Not authorized.",
        ),
        (
            404,
            {"error_code": "DBS.200002", "error_msg": "The DB instance does not exist."},
            errors.NotFound,
            "DBS.200002",
            "The DB instance does not exist.",
        ),
        (
            409,
            {"error_code": "DBS.200022", "error_msg": "The DB instance name already exists."},
            errors.Conflict,
            "DBS.200022",
            "The DB instance name already exists.",
        ),
        (
            403,
            {"error_code": "DBS.200011", "error_msg": "status does not allow this"},
            errors.Conflict,
            "DBS.200011",
            "busy: a job is running on it",
        ),
        (502, "<html>bad gateway</html>", errors.ServerError, None, "bad gateway"),
    ],
)
async def test_error_shapes(
    sandbox: SandboxProcess,
    proxy: FaultProxy,
    status: int,
    body: Any,
    cls: type[errors.ApiError],
    code: str | None,
    message: str,
) -> None:
    proxy.fault = lambda m, p: (status, body) if "/htap/datastores/" in p else None
    async with through(sandbox, proxy, "aksk", project_id=sandbox.info["huawei"]["project_id"]) as hw:
        hw.retry_policy.retries = 0
        with pytest.raises(errors.ApiError) as info:
            await hw.list_datastores()
    e = info.value
    assert type(e) is cls and e.status == status and e.code == code and message in e.message
    assert e.request_id == "proxy-request-id" and e.hint


@pytest.mark.slow
@pytest.mark.asyncio
async def test_failed_job_raises_with_the_reason(sandbox_factory: Callable[..., SandboxProcess]) -> None:
    sp = sandbox_factory()
    proxy = FaultProxy(sp.url)
    try:

        def fail_jobs(method: str, path: str, status: int, body: Any) -> Any:
            job = body.get("job") if isinstance(body, dict) else None
            if job and job.get("status") == "Running":
                job.update(status="Failed", process="", fail_reason="Insufficient resources in cn-north-4a.")
            return body

        proxy.rewrite = fail_jobs
        seen: list[Job] = []
        async with through(sp, proxy, "aksk") as hw:
            job_id = await hw.restart_starrocks_node(
                HTAP, (await hw.show_starrocks_instance(TAURUS, HTAP)).nodes[0].id
            )
            with pytest.raises(errors.OperationFailed) as info:
                await hw.wait_for(job_id, poll_interval=0.05, on_progress=seen.append)
        e = info.value
        assert "Insufficient resources in cn-north-4a." in e.message and job_id in e.message
        assert e.code == "Failed" and e.raw["fail_reason"] == "Insufficient resources in cn-north-4a."
        assert seen[-1].status == "Failed"
    finally:
        proxy.close()


@pytest.mark.asyncio
async def test_unreachable_service(sandbox: SandboxProcess) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    hw_info = sandbox.info["huawei"]
    async with HuaweiCloudClient(
        region=hw_info["region"],
        credentials=AkSkCredentials(ak=hw_info["ak"], sk=SecretStr(hw_info["sk"])),
        project_id=hw_info["project_id"],
        endpoint=f"http://127.0.0.1:{port}",
        config=TransportConfig(retries=1, backoff_base=0.01, backoff_max=0.02),
    ) as hw:
        with pytest.raises(errors.ConnectionFailed) as info:
            await hw.list_datastores()
    assert str(port) in info.value.message and "reachable" in (info.value.hint or "")
    async with HuaweiCloudClient(
        region=hw_info["region"],
        credentials=PasswordCredentials(user="u", password=SecretStr("Secret@123"), domain="d"),
        endpoint=sandbox.url,
        iam_endpoint=f"http://127.0.0.1:{port}",
        config=TransportConfig(retries=0),
    ) as hw:
        with pytest.raises(errors.ConnectionFailed) as info:
            await hw.list_datastores()
    assert info.value.service == "Huawei IAM" and "Secret@123" not in str(info.value)
