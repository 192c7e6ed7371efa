"""What the clients protect: credentials follow a redirect only to hosts the profile trusts and never
from https to plain http; header values go as UTF-8 and control characters never leave; a
certificate that cannot be verified fails at once; a password in a base URL is refused unlogged.

The FE that redirects, the BE it names and the untrusted host are small HTTP servers on loopback
written here; each counts the connections it accepts, so "nothing was sent" is observed, not assumed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import SandboxProcess
from pydantic import SecretStr, ValidationError
from tls_certs import make_cert

from gui.api import errors
from gui.api.ailake import AILakeClient
from gui.api.huawei import AkSkCredentials, HuaweiCloudClient
from gui.api.starrocks import FileBody, LoadOptions, StarRocksClient, TxnHandle
from gui.api.transport import TransportConfig

PASSWORD = "pw-" + uuid.uuid4().hex[:8]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- loopback peers --------------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: list[tuple[str, bytes]]  # values as the bytes that arrived
    body: bytes

    def header(self, name: str) -> bytes | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Peer:
    """An HTTP/1.1 server on 127.0.0.1 (optionally TLS) answering every request with ``answer``."""

    answer: Callable[[Seen], Answer]
    tls: ssl.SSLContext | None = None
    accepted: int = 0
    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                # http.server decodes header bytes as latin-1: encoding back gives the wire bytes.
                raw = [(k, v.encode("latin-1")) for k, v in self.headers.raw_items()]
                seen = Seen(self.command, self.path, raw, body)
                peer.requests.append(seen)
                status, headers, out = peer.answer(seen)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PUT = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self) -> tuple[socket.socket, Any]:
                sock, addr = self.socket.accept()
                peer.accepted += 1
                if peer.tls is not None:
                    sock = peer.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                return sock, addr

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a refused handshake or a cut connection is what some tests do on purpose

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.netloc}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def ok_txn(seen: Seen) -> Answer:
    body = {"Status": "OK", "Message": "", "Label": "x", "TxnId": 7}
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def show_rows(*nodes: str) -> bytes:
    """An HTTP SQL API answer to SHOW BACKENDS / SHOW FRONTENDS listing ``nodes`` (host:http_port)."""
    meta = [{"name": "IP", "type": "varchar"}, {"name": "HttpPort", "type": "varchar"}]
    data = [{"IP": n.rsplit(":", 1)[0], "HttpPort": n.rsplit(":", 1)[1]} for n in nodes]
    lines = [{"connectionId": 1}, {"meta": meta, "data": data, "statistics": {"returnRows": len(data)}}]
    return "\n".join(json.dumps(x) for x in lines).encode()


def fe_answer(status: int, location: str, backends: list[str]) -> Callable[[Seen], Answer]:
    """An FE: SHOW BACKENDS lists ``backends``, the other SHOWs nothing, everything else is redirected."""

    def answer(seen: Seen) -> Answer:
        if "/sql" in seen.path:
            query = json.loads(seen.body)["query"].lower()
            return 200, {}, show_rows(*(backends if "backends" in query else []))
        return status, {"Location": location + seen.path.split("?", 1)[0]}, b""

    return answer


@pytest.fixture
def peers() -> Iterator[Callable[..., Peer]]:
    made: list[Peer] = []

    def make(answer: Callable[[Seen], Answer] = ok_txn, tls: ssl.SSLContext | None = None) -> Peer:
        p = Peer(answer, tls)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (it is its own CA) and its key."""
    return make_cert(tmp_path_factory.mktemp("tls"), "cert", common_name="127.0.0.1")


@pytest.fixture
def server_tls(cert: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


def sr(fe: Peer, cfg: TransportConfig | None = None, **kw: Any) -> StarRocksClient:
    return StarRocksClient(fe.url, "root", PASSWORD, cfg or TransportConfig(retries=0), **kw)


async def call(client: StarRocksClient, op: str, fe: Peer, tmp: Path) -> Any:
    """One of the calls that send credentials (and data) where the FE redirects them."""
    if op == "begin":
        return await client.begin("db1", "t", "lb1")
    if op == "load":
        path = tmp / "rows.csv"
        path.write_bytes(b"1,a\n2,b\n")
        handle = TxnHandle(db="db1", table="t", label="lb1", txn_id=7, be=fe.url)
        return await client.load(handle, FileBody(path), LoadOptions(column_separator=","))
    if op == "prepare":
        return await client.prepare("db1", "lb1")
    if op == "commit":
        return await client.commit("db1", "lb1")
    return await client.stream_load("db1", "t", b"1,a\n", LoadOptions(column_separator=","))


OPS = ["begin", "load", "prepare", "commit", "stream_load"]


# -- redirects -------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("op", OPS)
def test_a_redirect_to_a_host_nobody_trusts_sends_it_nothing(
    peers: Callable[..., Peer], tmp_path: Path, op: str, status: int
) -> None:
    stranger = peers()
    fe = peers(fe_answer(status, stranger.url, backends=["10.0.0.5:8040"]))

    async def go() -> None:
        async with sr(fe) as c:
            with pytest.raises(errors.RedirectRefused) as refused:
                await call(c, op, fe, tmp_path)
        text = str(refused.value)
        assert stranger.netloc in text and PASSWORD not in text
        if status in (307, 308):
            assert "SHOW BACKENDS" in text and "BE address map" in (refused.value.hint or "")
        else:
            assert "GET" in text

    run(go())
    assert stranger.accepted == 0 and not stranger.requests


def test_an_https_fe_never_sends_credentials_to_plain_http_unless_the_profile_allows_it(
    peers: Callable[..., Peer], server_tls: ssl.SSLContext, cert: tuple[Path, Path], tmp_path: Path
) -> None:
    be = peers()  # plain HTTP, as StarRocks' BEs serve
    fe = peers(fe_answer(307, be.url, backends=[be.netloc]), tls=server_tls)
    cfg = TransportConfig(retries=0, ca_bundle=str(cert[0]))

    async def go() -> None:
        for op in ("begin", "load", "stream_load"):
            async with sr(fe, cfg) as c:
                with pytest.raises(errors.RedirectRefused) as refused:
                    await call(c, op, fe, tmp_path)
                assert "plain HTTP" in str(refused.value) and "https" in (refused.value.hint or "")
        assert be.accepted == 0
        # A listed BE, but mapped by the profile too: still not over plain HTTP.
        async with sr(fe, cfg, be_map={be.netloc: be.netloc}) as c:
            with pytest.raises(errors.RedirectRefused):
                await c.begin("db1", "t", "lb1")
        assert be.accepted == 0
        async with sr(fe, cfg, allow_plain_http_be=True) as c:
            handle = await c.begin("db1", "t", "lb1")
            assert handle.be == be.url
        assert be.requests[-1].header("Authorization")

    run(go())


def test_the_cluster_s_listed_bes_and_the_address_map_are_trusted(peers: Callable[..., Peer]) -> None:
    be = peers()
    fe = peers(fe_answer(307, be.url, backends=[be.netloc]))
    hidden = peers()  # a BE the cluster does not list, reached through the address map
    fe_mapped = peers(fe_answer(307, "http://10.1.2.3:8040", backends=[]))

    async def go() -> None:
        async with sr(fe) as c:
            assert (await c.begin("db1", "t", "a")).be == be.url
            assert (await c.begin("db1", "t", "b")).be == be.url
            assert (await c.prepare("db1", "b")).ok
        async with sr(fe_mapped, be_map={"10.1.2.3:8040": hidden.netloc}) as c:
            assert (await c.begin("db1", "t", "c")).be == hidden.url

    run(go())
    assert [r.header("label") for r in be.requests] == [b"a", b"b", b"b"]
    # The node list is read once, when a redirect first names an unknown address, and cached; only
    # as far as needed: the BE is in SHOW BACKENDS, so COMPUTE NODES and FRONTENDS are not asked.
    assert [json.loads(r.body)["query"] for r in fe.requests if "/sql" in r.path] == ["show backends"]
    assert not any("/sql" in r.path for r in fe_mapped.requests)  # the map alone is enough
    assert hidden.requests[0].header("Authorization")


def test_a_redirect_to_a_node_only_show_frontends_lists_is_followed(peers: Callable[..., Peer]) -> None:
    """A follower FE redirects to the leader: not in SHOW BACKENDS, so the lists are read on until
    the leader is found in SHOW FRONTENDS."""
    leader = peers()

    def answer(seen: Seen) -> Answer:
        if "/sql" in seen.path:
            query = json.loads(seen.body)["query"].lower()
            return 200, {}, show_rows(*([leader.netloc] if "frontends" in query else []))
        return 307, {"Location": leader.url + seen.path.split("?", 1)[0]}, b""

    follower = peers(answer)

    async def go() -> None:
        async with sr(follower) as c:
            assert (await c.begin("db1", "t", "lf")).txn_id

    run(go())
    asked = [json.loads(r.body)["query"] for r in follower.requests if "/sql" in r.path]
    assert asked == ["show backends", "show compute nodes", "show frontends"]
    assert leader.requests[0].header("Authorization")


def test_a_node_list_that_cannot_be_read_is_named_in_the_refusal(peers: Callable[..., Peer]) -> None:
    be = peers()

    def answer(seen: Seen) -> Answer:
        if "/sql" in seen.path:
            denied = {
                "status": "FAILED",
                "msg": "Access denied; you need (at least one of) the OPERATE privilege",
            }
            return 200, {}, json.dumps(denied).encode()
        return 307, {"Location": be.url + seen.path}, b""

    fe = peers(answer)

    async def go() -> None:
        async with sr(fe) as c:
            with pytest.raises(errors.RedirectRefused) as refused:
                await c.begin("db1", "t", "lb1")
        assert "OPERATE privilege" in str(refused.value)
        assert f"--be-map {be.netloc}={be.netloc}" in (refused.value.hint or "")

    run(go())
    assert be.accepted == 0


def test_be_transactions_uses_the_fe_s_scheme_and_the_trust_rules(
    peers: Callable[..., Peer], server_tls: ssl.SSLContext, cert: tuple[Path, Path]
) -> None:
    be = peers(lambda s: (200, {}, b'{"Label": "x", "TxnId": 1}'))
    stranger = peers()
    fe = peers(fe_answer(307, be.url, backends=[be.netloc]), tls=server_tls)
    cfg = TransportConfig(retries=0, ca_bundle=str(cert[0]), connect_timeout=2)

    async def go() -> None:
        async with sr(fe, cfg) as c:
            assert c.be_scheme == "https"
            with pytest.raises(errors.RedirectRefused):
                await c.be_transactions(stranger.netloc)  # not a listed BE
            with pytest.raises(errors.ConnectionFailed):
                await c.be_transactions(be.netloc)  # https to a plain-HTTP BE: no clear-text request
        async with sr(fe, cfg, allow_plain_http_be=True) as c:
            assert await c.be_transactions(be.netloc) == [{"Label": "x", "TxnId": 1}]

    run(go())
    assert stranger.accepted == 0
    assert len(be.requests) == 1 and be.requests[0].header("Authorization")


# -- header values ---------------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["sendfile", "httpx"])
def test_header_values_travel_as_utf8_like_curl_s(
    peers: Callable[..., Peer], tmp_path: Path, via: str
) -> None:
    be = peers()
    where = "customer = '张三'"
    path = tmp_path / "rows.csv"
    path.write_bytes("1,张三\n".encode())

    async def go() -> None:
        async with sr(be) as c:
            handle = await c.begin("库", "订单", "lb1")
            body = FileBody(path) if via == "sendfile" else path.read_bytes()
            await c.load(handle, body, LoadOptions(column_separator=",", where=where))

    run(go())
    begin, load = be.requests
    assert begin.header("table") == "订单".encode() and begin.header("db") == "库".encode()
    assert load.header("where") == where.encode("utf-8") and load.body == path.read_bytes()
    if shutil.which("curl"):
        subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-X", "PUT", "-H", f"where: {where}", be.url + "/curl"],
            check=True,
        )
        assert be.requests[-1].header("where") == load.header("where")


def test_names_in_the_url_path_are_percent_encoded(peers: Callable[..., Peer]) -> None:
    fe = peers(lambda s: (200, {}, b'{"status": "OK", "state": "UNKNOWN"}'))

    async def go() -> None:
        async with sr(fe) as c:
            assert await c.load_state("库/x", "lb1") == "UNKNOWN"

    run(go())
    assert fe.requests[0].path == "/api/%E5%BA%93%2Fx/get_load_state?label=lb1"


@pytest.mark.parametrize(
    ("value", "what"),
    [("1=1\r\nX-Injected: yes", "carriage return"), ("1=1\nX-Injected: yes", "line feed"), ("a\x00b", "NUL")],
)
def test_control_characters_in_a_header_value_are_refused_before_anything_is_sent(
    peers: Callable[..., Peer], tmp_path: Path, value: str, what: str
) -> None:
    be = peers()
    with pytest.raises(ValidationError, match=f"'where' header cannot contain.*{what}"):
        LoadOptions(where=value)
    assert LoadOptions(column_separator="\t").column_separator == "\t"  # a tab is a valid header byte
    path = tmp_path / "rows.csv"
    path.write_bytes(b"1,a\n")
    unchecked = LoadOptions.model_construct(where=value, format="csv")  # skips the model's checks

    async def go() -> None:
        async with sr(be) as c:
            with pytest.raises(errors.InvalidRequest, match="'table' header"):
                await c.begin("db1", value, "lb1")
            handle = TxnHandle(db="db1", table="t", label="lb1", txn_id=7, be=be.url)
            for body in (FileBody(path), b"1,a\n"):
                with pytest.raises(errors.InvalidRequest, match=f"'where' header.*{what}") as refused:
                    await c.load(handle, body, unchecked)
                assert "X-Injected" not in str(refused.value)

    run(go())
    assert be.accepted == 0


@pytest.mark.slow
def test_a_utf8_where_loads_the_right_row_in_the_sandbox(sandbox: SandboxProcess) -> None:
    db = "sec_" + uuid.uuid4().hex[:10]
    sandbox.admin_sql(f"CREATE DATABASE {db}")
    sandbox.admin_sql(
        "CREATE TABLE orders (order_id bigint NOT NULL, customer varchar(64)) DUPLICATE KEY(order_id) "
        "DISTRIBUTED BY HASH(order_id) BUCKETS 1",
        db=db,
    )
    rows = "1,张三\n2,李四\n3,zhang\n".encode()

    async def go() -> None:
        async with StarRocksClient(sandbox.url, *sandbox.auth) as c:
            h = await c.begin(db, "orders", "utf8-" + uuid.uuid4().hex[:8])
            opts = LoadOptions(column_separator=",", where="customer = '张三'")
            await c.load(h, rows, opts)
            reply = await c.prepare(db, h.label)
            assert reply.number_loaded_rows == 1 and reply.number_unselected_rows == 2
            await c.commit(db, h.label)

    run(go())
    assert sandbox.query("select order_id, customer from orders", db=db) == [[1, "张三"]]


# -- TLS -------------------------------------------------------------------------------------------


def _client(which: str, url: str) -> tuple[Any, Callable[[Any], Any]]:
    """A client of ``which`` service and a call of it that is retried on connection errors."""
    cfg = TransportConfig(retries=4, connect_timeout=5)  # the default retry count: none may be used
    if which == "starrocks":
        return StarRocksClient(url, "root", PASSWORD, cfg), lambda c: c.health()
    if which == "ailake":
        return AILakeClient(url, "token-" + PASSWORD, cfg), lambda c: c.get_operation("op-1")
    credentials = AkSkCredentials(ak="AK", sk=SecretStr(PASSWORD))
    client = HuaweiCloudClient(
        region="cn-north-4",
        credentials=credentials,
        project_id="0" * 32,
        endpoint=url,
        iam_endpoint=url,
        config=cfg,
    )
    return client, lambda c: c.list_taurus_instances()


@pytest.mark.parametrize("which", ["starrocks", "ailake", "huawei"])
def test_an_unverifiable_certificate_fails_at_once_with_the_fix(
    peers: Callable[..., Peer], server_tls: ssl.SSLContext, which: str
) -> None:
    server = peers(tls=server_tls)  # self-signed: not in the default trust store

    async def go() -> float:
        client, act = _client(which, server.url)
        started = time.monotonic()
        async with client:
            with pytest.raises(errors.TlsVerifyFailed) as failed:
                await act(client)
        assert "could not be verified" in str(failed.value) and "CA bundle" in (failed.value.hint or "")
        assert isinstance(failed.value, errors.ConnectionFailed)  # still a connection failure
        return time.monotonic() - started

    elapsed = run(go())
    assert server.accepted == 1 and not server.requests and elapsed < 2


def test_a_certificate_for_another_name_says_so(
    peers: Callable[..., Peer], server_tls: ssl.SSLContext, cert: tuple[Path, Path]
) -> None:
    server = peers(tls=server_tls)  # its certificate names 127.0.0.1 only
    cfg = TransportConfig(ca_bundle=str(cert[0]), connect_timeout=5)

    async def go() -> None:
        async with StarRocksClient(f"https://localhost:{server.netloc.split(':')[1]}", "root", "x", cfg) as c:
            with pytest.raises(errors.TlsVerifyFailed) as failed:
                await c.health()
        assert "issued for another name" in (failed.value.hint or "")

    run(go())
    assert server.accepted == 1


# -- user info in base URLs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "userinfo",
    [f"root:{PASSWORD}@", f"root:{PASSWORD}/x@", f"{PASSWORD}@"],
    ids=["user-and-password", "password-with-a-slash", "password-alone"],
)
def test_a_password_in_a_base_url_is_refused_and_never_logged(
    caplog: pytest.LogCaptureFixture, userinfo: str
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://{userinfo}127.0.0.1:8030"
    made: list[Callable[[], Any]] = [
        lambda: StarRocksClient(url, "root", "x"),
        lambda: AILakeClient(url, "token"),
        lambda: HuaweiCloudClient(
            region="cn-north-4",
            credentials=AkSkCredentials(ak="AK", sk=SecretStr("sk")),
            project_id="0" * 32,
            endpoint=url,
        ),
    ]
    for make in made:
        with pytest.raises(errors.InvalidRequest) as refused:
            make()
        text = f"{refused.value} {refused.value!r} {refused.value.hint}"
        assert "must not carry a user name or password" in text and "127.0.0.1:8030" in text
        assert PASSWORD not in text
    assert PASSWORD not in caplog.text
