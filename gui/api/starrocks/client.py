"""Async client of a StarRocks cluster's HTTP interfaces: the Stream Load transaction interface,
plain Stream Load, load state, the HTTP SQL API (NDJSON, streamed), health and metrics.

Redirects are followed here, not by httpx: the FE answers 307 to a BE for begin, load, prepare and
for commit/rollback of a running transaction, and httpx would drop ``Authorization`` on that
cross-origin hop and cannot wait for ``100-continue``. So a transaction's BE is resolved at begin
(where the FE's 307 names it) and its loads go straight there, and a body is never streamed to the
FE only to be redirected. The FE names the BE by its address inside the cluster's network; a
profile's BE address map turns that into one reachable from here.

Following a redirect means sending the password (and the data) to the host it names, so only some
are followed, and the check is made before anything goes there:

- 307 and 308 only (they keep the method and the body; 301/302/303 ask for a GET, which no load
  wants, and StarRocks never sends them);
- to a host the profile trusts: its FE, a target of its BE address map, or a node the cluster lists
  (``SHOW BACKENDS`` / ``SHOW COMPUTE NODES`` / ``SHOW FRONTENDS``: IP or host, and HTTP port — read
  through the FE when a redirect first names an address not known yet, and cached);
- never from an https FE to plain http, unless the profile allows it (``allow_plain_http_be``):
  StarRocks builds its redirects with ``http://`` whatever the scheme of the request
  (``RestBaseAction.redirectTo``), since its BEs serve plain HTTP, so a TLS cluster needs either
  that consent or a BE address map entry to an https address (a TLS proxy in front of the BE).

Any other redirect ends the call with ``RedirectRefused``, whose message says why and how to allow it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import httpx

from .. import errors
from ..base import ServiceClient, body_of
from ..transport import TransportConfig, redact, redact_url, send_file
from .models import (
    BadAnswer,
    LoadOptions,
    LoadState,
    MetricSample,
    StreamLoadResult,
    TxnReply,
    check_label,
)

Progress = Callable[[int, int | None], None]
BLOCK = 1 << 20
REDIRECTS = (301, 302, 303, 307, 308)
KEEPS_METHOD = (307, 308)
# How long the cluster's node list is believed before a redirect to an unknown address reads it again
# (a BE added to the cluster is trusted within this time).
NODE_LIST_TTL = 30.0


class StarRocksError(errors.ApiError):
    """A refusal by the FE or BE; ``code`` is the answer's ``Status`` (e.g. ANALYSIS_ERROR)."""

    def __init__(self, message: str, *, reply: TxnReply | None = None, **kw: Any) -> None:
        kw.setdefault("service", "starrocks")
        super().__init__(message, **kw)
        self.reply = reply


class LabelAlreadyExists(StarRocksError):
    """The label was used by a transaction that is running or finished (``existing_job_status``
    RUNNING or FINISHED); a label is free again only once its transaction aborted."""

    @property
    def existing_job_status(self) -> str | None:
        return self.reply.existing_job_status if self.reply else None


class TxnNotFound(StarRocksError):
    """No running transaction has this label (TXN_NOT_EXISTS, or the FE knows no such label)."""


class TxnBusy(StarRocksError):
    """Another request of the same transaction is still being processed (TXN_IN_PROCESSING)."""


class TxnAborted(StarRocksError):
    """The transaction is aborted (by a failed load, a timeout, or a rollback)."""


class LoadRejected(StarRocksError):
    """The data or the load's parameters were refused (ANALYSIS_ERROR, DATA_QUALITY_ERROR,
    INVALID_ARGUMENT, INTERNAL_ERROR such as "too many filtered rows"). Retrying will not help."""


class BeUnreachable(errors.ConnectionFailed):
    """The FE redirected to a BE address that cannot be reached from here."""


@dataclass
class TxnHandle:
    """A begun transaction: its label and the BE (reachable address) that holds it."""

    db: str
    table: str
    label: str
    txn_id: int
    be: str  # "http://host:port" after the BE address map
    reply: TxnReply | None = field(default=None, repr=False, compare=False)  # begin's own answer


@dataclass
class FileBody:
    """A byte range of a file, streamed in blocks; never read whole into memory."""

    path: Path
    offset: int = 0
    length: int | None = None

    @property
    def size(self) -> int:
        if self.length is not None:
            return self.length
        return os.path.getsize(self.path) - self.offset


Body = bytes | FileBody | AsyncIterable[bytes]


_FE_EXCEPTION_PREFIX = "class "


def _person_message(message: str) -> str:
    """The FE writes ``class com.starrocks...Exception: <msg>``: keep the part a person reads."""
    if message.startswith(_FE_EXCEPTION_PREFIX) and ": " in message:
        return message.split(": ", 1)[1]
    return message


def _node(url: str) -> str:
    """``host:port`` of a URL, lower case, with the scheme's default port filled in: the key by which
    redirect targets are compared with the nodes the profile trusts."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


def segment(name: str) -> str:
    """A database or table name as one URL path segment: percent-encoded UTF-8, ``/`` included."""
    return quote(name, safe="")


class StarRocksClient(ServiceClient):
    """``allow_plain_http_be``: follow an https FE's redirects to cluster nodes over plain HTTP (the
    password and the data then travel unencrypted between here and the BE). Off by default."""

    service = "starrocks"

    def __init__(
        self,
        fe_url: str,
        user: str,
        password: str,
        config: TransportConfig | None = None,
        *,
        be_map: Mapping[str, str] | None = None,
        allow_plain_http_be: bool = False,
    ) -> None:
        super().__init__(fe_url, config, auth=(user, password))
        self._auth = (user, password)
        self.be_map = {k.strip(): v.strip() for k, v in (be_map or {}).items()}
        self.allow_plain_http_be = allow_plain_http_be
        self._fe_https = urlsplit(self.base_url).scheme.lower() == "https"
        self._fe_node = _node(self.base_url)
        self._mapped = {_node(self.map_be(f"http://{k}")) for k in self.be_map}
        self._listed: set[str] = set()
        self._listed_at: float | None = None
        self._listed_note = ""
        self._lists_read: set[str] = set()  # the SHOW statements read into ``_listed`` so far
        self._listing = asyncio.Lock()

    # -- redirects and the BE address map ---------------------------------------------------------
    def map_be(self, location: str) -> str:
        """The reachable URL for a redirect target, after the profile's BE address map."""
        parts = urlsplit(location)
        mapped = self.be_map.get(parts.netloc)
        if mapped:
            scheme = parts.scheme
            if "://" in mapped:
                scheme, mapped = mapped.split("://", 1)
            return urlunsplit((scheme, mapped, parts.path, parts.query, parts.fragment))
        return location

    def _be_unreachable(self, location: str, mapped: str, e: BaseException) -> BeUnreachable:
        original = urlsplit(location).netloc
        target = urlsplit(mapped).netloc
        if original == target:
            hint = (
                f"the FE names its BE {original}, an address inside the cluster's network; map it to a "
                "host:port reachable from here in the profile's BE address map"
            )
        else:
            hint = f"the BE address map sends {original} to {target}; check that mapping"
        return BeUnreachable(
            f"cannot reach the BE at {target}: {e or type(e).__name__}", service=self.service, hint=hint
        )

    @property
    def be_scheme(self) -> str:
        """The scheme of a BE address built from SHOW BACKENDS: the FE's, or plain http where the
        profile says its BEs are reached that way."""
        return "https" if self._fe_https and not self.allow_plain_http_be else "http"

    async def cluster_nodes(self, *, refresh: bool = False, looking_for: str | None = None) -> set[str]:
        """``host:http_port`` of every node the cluster lists (SHOW BACKENDS, SHOW COMPUTE NODES and
        SHOW FRONTENDS, read through the FE), cached; a list that cannot be read is left out and the
        reason kept for the refusal it may lead to. With ``looking_for``, the lists are read only until
        that node is in them: a load's BE is found by the first, and the other two requests (each a
        few milliseconds of the load's start) are not made."""
        async with self._listing:
            stale = self._listed_at is None or time.monotonic() - self._listed_at > NODE_LIST_TTL
            if refresh or stale:
                self._listed, self._listed_note, self._lists_read = set(), "", set()
                self._listed_at = time.monotonic()
            notes = [self._listed_note] if self._listed_note else []
            # Loads go to BEs, or to compute nodes in a shared-data cluster; a follower FE
            # redirects to the leader.
            for statement in ("show backends", "show compute nodes", "show frontends"):
                if looking_for is not None and looking_for in self._listed:
                    break
                if statement in self._lists_read:
                    continue
                self._lists_read.add(statement)
                try:
                    rows = await self.records(statement)
                except errors.ApiError as e:
                    notes.append(f"{statement.upper()} failed: {e.message}")
                    continue
                for row in rows:
                    port = row.get("HttpPort")
                    for key in ("IP", "Host"):
                        host = row.get(key)
                        if host and port:
                            self._listed.add(f"{str(host).strip('[]').lower()}:{port}")
            self._listed_note = "; ".join(notes)
            return set(self._listed)

    async def _admit(self, target: str, named: str, status: int | None) -> None:
        """Raise RedirectRefused unless the profile's credentials may be sent to ``target`` (what
        ``named``, the address the FE gave, became after the BE address map). ``status`` is the
        redirect's (None for an address the client builds itself)."""
        parts = urlsplit(target)
        shown = f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
        named_node = urlsplit(named).netloc.rsplit("@", 1)[-1]
        what = f"the redirect to {shown} was not followed" if status else f"{shown} was not contacted"

        def refuse(message: str, hint: str) -> errors.RedirectRefused:
            return errors.RedirectRefused(
                f"{what}: {message}; nothing was sent there",
                service=self.service,
                code="REDIRECT_REFUSED",
                status=status,
                hint=hint,
            )

        if status is not None and status not in KEEPS_METHOD:
            raise refuse(
                f"HTTP {status} asks for the request to be repeated as a GET, which would not do what "
                "was asked (StarRocks redirects with 307)",
                "check the profile's address: a proxy in front of the FE may redirect (e.g. to https); "
                "give the address it points to",
            )
        if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc:
            raise refuse(
                "only http and https addresses without user info are followed",
                "check the FE's configuration and the profile's BE address map",
            )
        if self._fe_https and parts.scheme.lower() == "http" and not self.allow_plain_http_be:
            raise refuse(
                "the FE is reached over https and this would send the password and the data over "
                "plain HTTP (StarRocks names its BEs with http:// even behind an https FE)",
                f"map {named_node} to an https address (a TLS proxy in front of the BE) in the profile's "
                "BE address map, or allow plain HTTP to the BEs in the profile if the network between "
                "here and the cluster is trusted",
            )
        node = _node(target)
        if node == self._fe_node or node in self._mapped:
            return
        if node in self._listed or node in await self.cluster_nodes(looking_for=node):
            return
        note = self._listed_note and f" (the cluster's node list could not be read: {self._listed_note})"
        raise refuse(
            "it is neither this profile's FE, a target of its BE address map, nor a node the cluster "
            f"lists in SHOW BACKENDS, SHOW COMPUTE NODES or SHOW FRONTENDS{note}",
            f"if {named_node} is one of the cluster's BEs, add it to the profile's BE address map "
            f"(mapped to itself, or to the address that reaches it from here; `starrocks-console load` "
            f"takes --be-map {named_node}={named_node})",
        )

    async def _follow(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Body | None = None,
        progress: Progress | None = None,
        retry: bool = False,
        hops: int = 3,
    ) -> tuple[httpx.Response, str]:
        """Send and follow 307s by hand, re-sending the body with Basic auth, each hop checked by
        ``_admit`` before anything is sent to it. Returns the final response and the base URL
        (scheme://host:port) that answered."""
        self.encode_headers(headers)  # a value that cannot be sent is refused before the first hop
        location = url if "://" in url else self.base_url + url
        target = self.map_be(location)
        await self._admit(target, location, None)
        for _ in range(hops):
            try:
                if isinstance(body, FileBody) and target.startswith("http://"):
                    response = await self._send_file(method, target, headers, body, progress)
                else:
                    content, extra = self._content(body, progress)
                    response = await self.send(
                        method,
                        target,
                        headers={**headers, **extra},
                        content=content,
                        retry=retry,
                        auth=self._auth,
                    )
            except errors.TlsVerifyFailed:
                raise
            except errors.ConnectionFailed as e:
                if target.startswith(self.base_url):
                    raise
                raise self._be_unreachable(location, target, e.__cause__ or e) from e
            if response.status_code in REDIRECTS:
                await response.aclose()
                location = self._location(response, target)
                target = self.map_be(location)
                await self._admit(target, location, response.status_code)
                continue
            await response.aread()
            parts = urlsplit(target)
            return response, f"{parts.scheme}://{parts.netloc}"
        raise StarRocksError(f"too many redirects from {redact_url(url)}", service=self.service)

    def _location(self, response: httpx.Response, current: str) -> str:
        location = response.headers.get("location", "")
        if not location:
            raise StarRocksError(
                f"HTTP {response.status_code} without a Location from {redact_url(current)}",
                service=self.service,
            )
        return urljoin(current, location)

    async def _send_file(
        self, method: str, url: str, headers: Mapping[str, str], body: FileBody, progress: Progress | None
    ) -> httpx.Response:
        """A file range over plain HTTP goes through the kernel's sendfile (see transport)."""
        token = base64.b64encode(f"{self._auth[0]}:{self._auth[1]}".encode()).decode("ascii")
        auth = {"Authorization": f"Basic {token}"}
        try:
            return await send_file(
                method,
                url,
                {**headers, **auth},
                str(body.path),
                body.offset,
                body.size,
                self.config,
                progress,
            )
        except httpx.TimeoutException as e:
            raise errors.ConnectionFailed(
                f"{method} {redact_url(url)} timed out ({type(e).__name__})",
                service=self.service,
                hint="the service may be overloaded or unreachable; try again or raise the timeouts",
            ) from e
        except httpx.TransportError as e:
            raise self.connection_error(method, url, e) from e

    def _content(self, body: Body | None, progress: Progress | None) -> tuple[Any, dict[str, str]]:
        if body is None:
            return None, {"Content-Length": "0"}
        if isinstance(body, bytes):
            if progress:
                progress(len(body), len(body))
            return body, {}
        if isinstance(body, FileBody):
            return _read_file(body, progress), {"Content-Length": str(body.size)}
        return _count(body, progress), {}

    # -- answers ----------------------------------------------------------------------------------
    def error_for(self, response: httpx.Response) -> errors.ApiError:
        body = body_of(response)
        if response.status_code == 401:
            msg = body.get("msg") if isinstance(body, dict) else None
            return errors.AuthError(
                msg or "authentication failed",
                service=self.service,
                status=401,
                hint="check the user and password of this cluster profile",
                raw=redact(body),
            )
        return super().error_for(response)

    def _reply(self, response: httpx.Response, answered_by: str) -> TxnReply:
        if response.status_code != 200:
            raise self.error_for(response)
        body = body_of(response)
        if not isinstance(body, dict) or "Status" not in body:
            raise StarRocksError(
                f"unexpected answer from {answered_by}: {str(body)[:200]}",
                service=self.service,
                status=response.status_code,
            )
        try:
            reply = TxnReply.model_validate(body)
        except BadAnswer as e:
            raise StarRocksError(
                f"unexpected answer from {answered_by}: {e}",
                service=self.service,
                status=response.status_code,
                raw=redact(body),
            ) from None
        reply.answered_by = answered_by
        reply.raw = body
        return reply

    def _raise(self, reply: TxnReply, op: str) -> None:
        """Turn a non-OK answer into the error its Status stands for."""
        status = reply.status
        message = _person_message(reply.message) or status
        kw: dict[str, Any] = {"reply": reply, "code": status, "raw": reply.raw}
        if status == "LABEL_ALREADY_EXISTS":
            raise LabelAlreadyExists(
                f"{op}: {message}",
                hint="use another label, or check the earlier load with its load state",
                **kw,
            )
        if status == "TXN_NOT_EXISTS":
            raise TxnNotFound(f"{op}: {message}", hint="the transaction is no longer running", **kw)
        if status == "TXN_IN_PROCESSING":
            raise TxnBusy(f"{op}: {message}", hint="wait for the other request of this transaction", **kw)
        if status == "ABORTED":
            raise TxnAborted(f"{op}: {message}", **kw)
        if status in (
            "ANALYSIS_ERROR",
            "DATA_QUALITY_ERROR",
            "INVALID_ARGUMENT",
            "INTERNAL_ERROR",
            "NOT_AUTHORIZED",
            "MEMORY_LIMIT_EXCEEDED",
        ):
            hint = None
            if reply.error_url:
                hint = f"rejected rows: {reply.error_url}"
            raise LoadRejected(f"{op}: {message}", hint=hint, **kw)
        raise StarRocksError(f"{op}: {message}", **kw)

    # -- the transaction interface ----------------------------------------------------------------
    def _txn_headers(self, db: str, label: str, table: str | None = None, **extra: Any) -> dict[str, str]:
        h = {"label": label, "db": db}
        if table is not None:
            h["table"] = table
        for k, v in extra.items():
            if v is not None:
                h[k] = str(v)
        return h

    async def begin(
        self, db: str, table: str, label: str, *, timeout: int | None = None, idle_timeout: int | None = None
    ) -> TxnHandle:
        check_label(label)
        headers = self._txn_headers(db, label, table, timeout=timeout, idle_transaction_timeout=idle_timeout)
        response, answered = await self._follow("POST", "/api/transaction/begin", headers)
        reply = self._reply(response, answered)
        if not reply.ok:
            self._raise(reply, "begin")
        assert reply.txn_id is not None
        return TxnHandle(db=db, table=table, label=label, txn_id=reply.txn_id, be=answered, reply=reply)

    async def load(
        self, txn: TxnHandle, body: Body, options: LoadOptions | None = None, progress: Progress | None = None
    ) -> TxnReply:
        """Send one chunk of data to the transaction's BE."""
        opts = options or LoadOptions()
        headers = self._txn_headers(txn.db, txn.label, txn.table, **opts.headers())
        response, answered = await self._follow(
            "PUT", f"{txn.be}/api/transaction/load", headers, body, progress
        )
        reply = self._reply(response, answered)
        if not reply.ok:
            self._raise(reply, "load")
        return reply

    async def prepare(self, db: str, label: str, *, prepared_timeout: int | None = None) -> TxnReply:
        headers = self._txn_headers(db, label, prepared_timeout=prepared_timeout)
        response, answered = await self._follow("POST", "/api/transaction/prepare", headers)
        reply = self._reply(response, answered)
        if not reply.ok:
            self._raise(reply, "prepare")
        return reply

    async def commit(self, db: str, label: str) -> TxnReply:
        """Commit; a second commit of a committed transaction is OK too (the FE says so)."""
        response, answered = await self._follow(
            "POST", "/api/transaction/commit", self._txn_headers(db, label)
        )
        reply = self._reply(response, answered)
        if reply.status not in ("OK", "PUBLISH_TIMEOUT"):
            self._raise(reply, "commit")
        return reply

    async def rollback(self, db: str, label: str) -> TxnReply:
        response, answered = await self._follow(
            "POST", "/api/transaction/rollback", self._txn_headers(db, label)
        )
        reply = self._reply(response, answered)
        if not reply.ok:
            self._raise(reply, "rollback")
        return reply

    async def load_state(self, db: str, label: str) -> LoadState:
        """``GET /api/{db}/get_load_state``: UNKNOWN, PREPARE (running), PREPARED, COMMITTED,
        VISIBLE or ABORTED."""
        response = await self.call(
            "GET", f"/api/{segment(db)}/get_load_state", params={"label": label}, retry=True
        )
        body = body_of(response)
        if not isinstance(body, dict) or body.get("status") != "OK":
            msg = body.get("msg") if isinstance(body, dict) else str(body)
            raise StarRocksError(f"load state of {label}: {msg}", service=self.service, raw=redact(body))
        state = str(body.get("state", "UNKNOWN"))
        return state  # type: ignore[return-value]

    async def be_transactions(self, be: str) -> list[dict[str, Any]]:
        """A BE's open transactions (``POST /api/transaction/list``): objects written back to back.
        ``be`` is a URL, or ``host:http_port`` from SHOW BACKENDS (then the scheme is ``be_scheme``);
        the same trust rules as a redirect apply before the credentials go there."""
        named = be if "://" in be else f"{self.be_scheme}://{be}"
        target = self.map_be(named)
        await self._admit(target, named, None)
        url = target.rstrip("/") + "/api/transaction/list"
        try:
            response = await self.send("POST", url, auth=self._auth, retry=True)
        except errors.TlsVerifyFailed:
            raise
        except errors.ConnectionFailed as e:
            raise self._be_unreachable(named, url, e.__cause__ or e) from e
        if response.status_code != 200:
            raise self.error_for(response)
        return _concatenated_objects(response.text)

    # -- a BE's configuration ----------------------------------------------------------------------
    async def _be_url(self, be: str, path: str) -> tuple[str, str]:
        named = be if "://" in be else f"{self.be_scheme}://{be}"
        target = self.map_be(named)
        await self._admit(target, named, None)
        return named, target.rstrip("/") + path

    async def be_config(self, be: str) -> dict[str, str]:
        """A BE's configuration items and their values, from its ``/varz`` page (``?raw``: without
        the page around it). The page lists values only; StarRocks says whether an item is mutable
        when it is set. ``be``: a URL, or ``host:http_port`` from SHOW BACKENDS."""
        named, url = await self._be_url(be, "/varz")
        try:
            response = await self.send("GET", url, params={"raw": ""}, retry=True)
        except errors.TlsVerifyFailed:
            raise
        except errors.ConnectionFailed as e:
            raise self._be_unreachable(named, url, e.__cause__ or e) from e
        if response.status_code != 200:
            raise self.error_for(response)
        return parse_varz(response.text)

    async def update_be_config(self, be: str, name: str, value: str) -> None:
        """``POST /api/update_config?name=value`` on one BE. The BE answers 200 either way; a
        ``"status": "BAD"`` is raised as InvalidRequest with the BE's own ``msg``."""
        named, url = await self._be_url(be, "/api/update_config")
        try:
            response = await self.send("POST", url, params={name: value})
        except errors.TlsVerifyFailed:
            raise
        except errors.ConnectionFailed as e:
            raise self._be_unreachable(named, url, e.__cause__ or e) from e
        if response.status_code != 200:
            raise self.error_for(response)
        body = body_of(response)
        if not isinstance(body, dict) or str(body.get("status", "")).upper() != "OK":
            msg = str(body.get("msg", "")) if isinstance(body, dict) else response.text[:300]
            raise errors.InvalidRequest(msg or "the BE refused the change", service=self.service, raw=body)

    # -- plain Stream Load -------------------------------------------------------------------------
    async def stream_load(
        self,
        db: str,
        table: str,
        body: Body,
        options: LoadOptions | None = None,
        *,
        label: str | None = None,
        timeout: int | None = None,
        progress: Progress | None = None,
    ) -> StreamLoadResult:
        """One load in one transaction. The FE only needs the headers to redirect, so it is sent an
        empty body and the data goes to the BE alone."""
        opts = options or LoadOptions()
        headers = {"Expect": "100-continue", **opts.headers()}
        if label is not None:
            headers["label"] = check_label(label)
        if timeout is not None:
            headers["timeout"] = str(timeout)
        path = f"/api/{segment(db)}/{segment(table)}/_stream_load"
        response = await self.send("PUT", path, headers=headers, content=b"")
        if response.status_code not in REDIRECTS:
            await response.aread()
            if response.status_code != 200:
                raise self.error_for(response)
            got = body_of(response)
            msg = got.get("msg") if isinstance(got, dict) else str(got)
            raise StarRocksError(f"stream load refused: {msg}", service=self.service, raw=redact(got))
        await response.aclose()
        headers.pop("Expect")
        location = self._location(response, self.base_url + path)
        await self._admit(self.map_be(location), location, response.status_code)
        final, answered = await self._follow("PUT", location, headers, body, progress)
        if final.status_code != 200:
            raise self.error_for(final)
        try:
            result = StreamLoadResult.model_validate(body_of(final))
        except BadAnswer as e:
            raise StarRocksError(
                f"unexpected answer from {answered}: {e}", service=self.service, raw=redact(body_of(final))
            ) from None
        if result.status == "Label Already Exists":
            reply = TxnReply.model_validate(
                {
                    "Status": "LABEL_ALREADY_EXISTS",
                    "Label": result.label,
                    "Message": result.message,
                    "ExistingJobStatus": result.existing_job_status,
                }
            )
            self._raise(reply, "stream load")
        if result.status == "Fail":
            hint = f"rejected rows: {result.error_url}" if result.error_url else None
            raise LoadRejected(
                f"stream load: {result.message}",
                service=self.service,
                code="Fail",
                hint=hint,
                raw=body_of(final),
            )
        return result

    # -- HTTP SQL API -----------------------------------------------------------------------------
    def sql(
        self,
        query: str,
        db: str | None = None,
        *,
        catalog: str = "default_catalog",
        session_variables: Mapping[str, Any] | None = None,
    ) -> SqlResult:
        """Rows of one statement, streamed (``async for row in client.sql(...)``); the column
        names are on ``.columns`` once the first row or the end is reached."""
        cat = segment(catalog)
        path = f"/api/v1/catalogs/{cat}/databases/{segment(db)}/sql" if db else f"/api/v1/catalogs/{cat}/sql"
        body: dict[str, Any] = {"query": query}
        if session_variables:
            body["sessionVariables"] = dict(session_variables)
        return SqlResult(self, path, body)

    async def query(self, query: str, db: str | None = None) -> list[list[Any]]:
        """All rows of a (small) result."""
        return [row async for row in self.sql(query, db)]

    async def records(self, query: str, db: str | None = None) -> list[dict[str, Any]]:
        """All rows of a (small) result as column → value mappings."""
        result = self.sql(query, db)
        rows = [row async for row in result]
        names = [str(c.get("name")) for c in result.columns]
        return [dict(zip(names, row, strict=False)) for row in rows]

    # -- monitoring -------------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        response = await self.call("GET", "/api/health", retry=True)
        body = body_of(response)
        return body if isinstance(body, dict) else {"raw": body}

    async def metrics(self) -> list[MetricSample]:
        response = await self.call("GET", "/metrics", retry=True)
        return parse_prometheus(response.text)


class SqlResult:
    """A streamed SQL API result: NDJSON lines ``connectionId``, ``meta``, ``data``…, ``statistics``."""

    def __init__(self, client: StarRocksClient, path: str, body: dict[str, Any]) -> None:
        self._client = client
        self._path = path
        self._body = body
        self.connection_id: int | None = None
        self.columns: list[dict[str, Any]] = []
        self.statistics: dict[str, Any] = {}

    def __aiter__(self) -> AsyncIterator[list[Any]]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[list[Any]]:
        client = self._client
        response = await client.send("POST", self._path, json_body=self._body, retry=False, stream=True)
        try:
            if response.status_code != 200:
                await response.aread()
                raise _sql_error(client, response)
            async for line in response.aiter_lines():
                if not line.strip():
                    continue
                obj = json.loads(line)
                if "meta" in obj and isinstance(obj.get("data"), list):
                    # SHOW/DESC answer one object: meta, every row as an object keyed by column,
                    # statistics. Rows are handed out as lists in the meta's order, like SELECT rows.
                    self.columns = obj["meta"]
                    self.statistics = obj.get("statistics", {})
                    names = [c.get("name") for c in self.columns]
                    for item in obj["data"]:
                        yield [item.get(n) for n in names] if isinstance(item, dict) else item
                elif "data" in obj:
                    yield obj["data"]
                elif "meta" in obj:
                    self.columns = obj["meta"]
                elif "connectionId" in obj:
                    self.connection_id = obj["connectionId"]
                elif "statistics" in obj:
                    self.statistics = obj["statistics"]
                elif obj.get("status") == "FAILED" or "msg" in obj:
                    raise StarRocksError(
                        str(obj.get("msg") or obj.get("message") or obj),
                        service="starrocks",
                        code="FAILED",
                        raw=obj,
                    )
        finally:
            await response.aclose()


def _sql_error(client: StarRocksClient, response: httpx.Response) -> errors.ApiError:
    body = body_of(response)
    if response.status_code == 401:
        return client.error_for(response)
    msg = body.get("msg") or body.get("message") if isinstance(body, dict) else str(body)
    cls = errors.for_status(response.status_code)
    return cls(str(msg), service="starrocks", status=response.status_code, raw=redact(body))


async def _read_file(body: FileBody, progress: Progress | None) -> AsyncIterator[bytes]:
    """The blocks of a file range, each reported before it is handed over. The last byte goes
    alone, reported as the whole (see ``transport.send_file``): until then a raise from
    ``progress`` leaves the server a body it can never take; after it, the request is whole."""
    total = body.size
    sent = 0
    with body.path.open("rb") as f:
        f.seek(body.offset)
        while sent < total:
            block = f.read(min(BLOCK, max(1, total - 1 - sent)))
            if not block:
                break
            sent += len(block)
            if progress:
                progress(sent, total)
            yield block


async def _count(source: AsyncIterable[bytes], progress: Progress | None) -> AsyncIterator[bytes]:
    sent = 0
    async for block in source:
        sent += len(block)
        if progress:
            progress(sent, None)
        yield block


def _concatenated_objects(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        obj, pos = decoder.raw_decode(text, pos)
        out.append(obj)
    return out


def parse_varz(text: str) -> dict[str, str]:
    """``name=value`` lines of a BE's ``/varz`` page (its ``<pre>`` block, HTML entities undone)."""
    import html

    start, end = text.find("<pre>"), text.rfind("</pre>")
    block = text[start + 5 : end] if start >= 0 and end > start else text
    out: dict[str, str] = {}
    for line in block.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip():
            out[name.strip()] = html.unescape(value)
    return out


def parse_prometheus(text: str) -> list[MetricSample]:
    """Samples of a Prometheus text exposition (comments skipped)."""
    samples: list[MetricSample] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        labels: dict[str, str] = {}
        if "{" in line:
            name, rest = line.split("{", 1)
            label_text, _, value_text = rest.rpartition("}")
            for part in _split_labels(label_text):
                k, _, v = part.partition("=")
                labels[k.strip()] = v.strip().strip('"').replace('\\"', '"').replace("\\\\", "\\")
        else:
            name, _, value_text = line.partition(" ")
        value_text = value_text.strip().split(" ")[0]
        try:
            value = float(value_text)
        except ValueError:
            continue
        samples.append(MetricSample(name=name.strip(), labels=labels, value=value))
    return samples


def _split_labels(text: str) -> list[str]:
    parts, buf, quoted, escaped = [], [], False, False
    for ch in text:
        if escaped:
            buf.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
            buf.append(ch)
            continue
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    if "".join(buf).strip():
        parts.append("".join(buf))
    return parts
