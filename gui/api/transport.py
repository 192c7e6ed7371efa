"""The one place that builds HTTP clients: timeouts, TLS, pooling, retries, redacted logging,
and the encoding of header values.

Retries are only for calls that are safe to repeat (reads, and loads guarded by a label): the
caller says so per call. Connection errors, 429 and 5xx are retried with exponential backoff and
jitter, honouring ``Retry-After``; a certificate that cannot be verified is not (it fails the same
way every time).

Header values travel as UTF-8 bytes, as curl sends what a shell gives it (StarRocks' BE reads
header values as bytes: a ``where`` or a table name may hold any letter). Control characters are
refused before anything is sent: a CR or LF would end the header and start another one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import re
import ssl
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from .. import __version__

log = logging.getLogger("starrocks_console.http")

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-auth-token",
        "x-subject-token",
        "x-security-token",
        "cookie",
        "set-cookie",
    }
)
# JSON fields and query parameters whose values are secrets (matched case-insensitively).
SECRET_FIELD = re.compile(
    r"(^|_|-)(password|passwd|pwd|secret|token|sk|secret_key|access_key_secret|db_root_pwd|credential)s?$",
    re.IGNORECASE,
)
REDACTED = "***"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class TransportConfig:
    """How one profile talks HTTP."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    write_timeout: float = 60.0
    pool_timeout: float = 30.0
    verify_tls: bool = True
    ca_bundle: str | None = None
    max_connections: int = 20
    max_keepalive: int = 10
    keepalive_expiry: float = 30.0
    retries: int = 4
    backoff_base: float = 0.25
    backoff_max: float = 8.0
    user_agent: str = f"starrocks-console/{__version__}"
    extra_headers: Mapping[str, str] = field(default_factory=dict)

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.pool_timeout,
        )

    def verify(self) -> ssl.SSLContext | bool:
        if not self.verify_tls:
            return False
        return _shared_context(self.ca_bundle)


def tls_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """The verifying context of a CA bundle (None: the system's trust store), shared by every
    client, with its trust store read now: the window calls this on a worker thread at start, since
    reading a trust store takes tens of milliseconds in C, holding the GIL, which would stall its
    loop if done at the first handshake."""
    context = _shared_context(ca_bundle)
    context.read_trust_store()
    return context


@functools.lru_cache(maxsize=16)
def _shared_context(ca_bundle: str | None) -> _VerifyingContext:
    return _VerifyingContext.make(ca_bundle)


class _VerifyingContext(ssl.SSLContext):
    """``ssl.create_default_context()`` (certificates and host names verified), except that the
    system's trust store is read at the first handshake instead of when the context is made. Reading
    it costs some 30 ms of CPU, which a load over plain HTTP (the usual way to a StarRocks cluster)
    never needs. A CA bundle given by the profile or --ca-bundle is read at once, as before: a missing
    or broken file is told when the client is made."""

    _trust_read: bool
    _trust_lock: threading.Lock

    @classmethod
    def make(cls, ca_bundle: str | None) -> _VerifyingContext:
        # What create_default_context(Purpose.SERVER_AUTH) sets (tests compare the two).
        context = cls(ssl.PROTOCOL_TLS_CLIENT)
        context.verify_mode = ssl.CERT_REQUIRED
        context.check_hostname = True
        keylog = os.environ.get("SSLKEYLOGFILE")
        if keylog and not sys.flags.ignore_environment:
            context.keylog_filename = keylog
        context._trust_lock = threading.Lock()
        context._trust_read = False
        if ca_bundle:
            context.load_verify_locations(cafile=ca_bundle)
            context._trust_read = True
        return context

    def read_trust_store(self) -> None:
        with self._trust_lock:
            if not self._trust_read:
                self.load_default_certs(ssl.Purpose.SERVER_AUTH)
                self._trust_read = True

    # Every TLS connection starts in one of these two: asyncio and anyio wrap a BIO, blocking
    # sockets (httpcore's sync backend) wrap the socket.
    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        if not self._trust_read:
            self.read_trust_store()
        return super().wrap_bio(*args, **kwargs)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        if not self._trust_read:
            self.read_trust_store()
        return super().wrap_socket(*args, **kwargs)


def build_client(
    config: TransportConfig | None = None,
    base_url: str = "",
    headers: Mapping[str, str] | None = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient with the profile's timeouts, TLS and pool, HTTP/1.1 keep-alive, redirects
    off (each client decides how to follow them) and redacted debug logging."""
    cfg = config or TransportConfig()
    mask_secret_headers_in_http_traces()
    all_headers = {"User-Agent": cfg.user_agent, **cfg.extra_headers, **(headers or {})}
    limits = httpx.Limits(
        max_connections=cfg.max_connections,
        max_keepalive_connections=cfg.max_keepalive,
        keepalive_expiry=cfg.keepalive_expiry,
    )
    return httpx.AsyncClient(
        base_url=base_url,
        headers=all_headers,
        auth=auth,
        timeout=cfg.timeout(),
        verify=cfg.verify(),
        limits=limits,
        http1=True,
        http2=False,
        follow_redirects=False,
        event_hooks={"request": [_log_request], "response": [_log_response]},
    )


# -- header values ----------------------------------------------------------------------------------

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_NAMES = {"\r": "a carriage return (CR)", "\n": "a line feed (LF)", "\x00": "a NUL byte"}


class BadHeader(ValueError):
    """A header that cannot be sent as given; ``name`` is the header (columns, where, label...)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"the {name!r} header {reason}")
        self.name = name


def check_header_value(name: str, value: str) -> str:
    """``value`` when it can travel in a header; else BadHeader naming the header and the character
    (never the value: it may be a secret)."""
    bad = _CONTROL.search(value)
    if bad:
        char = bad.group()
        what = _CONTROL_NAMES.get(char, f"the control character U+{ord(char):04X}")
        why = (
            "a header ends at a line break, so the rest would reach the server as another header"
            if char in "\r\n"
            else "HTTP does not allow control characters in a header"
        )
        raise BadHeader(name, f"cannot contain {what} (at character {bad.start() + 1}): {why}")
    return value


def encode_headers(headers: Mapping[str, str] | None) -> dict[bytes, bytes]:
    """Header names checked as HTTP tokens, values checked and encoded as UTF-8."""
    out: dict[bytes, bytes] = {}
    for name, value in (headers or {}).items():
        if not _TOKEN.match(name):
            raise BadHeader(name, "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)")
        out[name.encode("ascii")] = check_header_value(name, str(value)).encode("utf-8")
    return out


# -- redaction -------------------------------------------------------------------------------------


def redact_headers(headers: Mapping[str, str] | httpx.Headers) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def redact_url(url: str | httpx.URL) -> str:
    """A URL with user info and secret query parameters hidden."""
    parts = urlsplit(str(url))
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = urlencode(
        [
            (k, REDACTED if SECRET_FIELD.search(k) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact(value: Any) -> Any:
    """A copy of a JSON-like value with every secret field's value replaced."""
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if isinstance(k, str) and SECRET_FIELD.search(k) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


async def _log_request(request: httpx.Request) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("-> %s %s %s", request.method, redact_url(request.url), redact_headers(request.headers))
    request.extensions["sr_started"] = time.monotonic()


async def _log_response(response: httpx.Response) -> None:
    if log.isEnabledFor(logging.DEBUG):
        started = response.request.extensions.get("sr_started", time.monotonic())
        log.debug(
            "<- %s %s %s in %.0f ms",
            response.status_code,
            response.request.method,
            redact_url(response.request.url),
            (time.monotonic() - started) * 1000,
        )


# -- log redaction in httpcore's traces -------------------------------------------------------------

# httpcore's own DEBUG trace prints raw response headers, IAM's X-Subject-Token (the token) among
# them; this filter masks secret headers in those lines before any handler sees them.
_HEADER_PAIR = re.compile(
    r"\((b?)(['\"])(" + "|".join(re.escape(h) for h in sorted(SECRET_HEADERS)) + r")\2, b?(['\"])(.*?)\4\)",
    re.IGNORECASE,
)


class _SecretHeaderFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            try:
                record.msg, record.args = record.getMessage(), None
            except (TypeError, ValueError):
                return True
        if isinstance(record.msg, str) and "'" in record.msg:
            record.msg = _HEADER_PAIR.sub(lambda m: f"({m[1]}{m[2]}{m[3]}{m[2]}, b'{REDACTED}')", record.msg)
        return True


def mask_secret_headers_in_http_traces() -> None:
    """Install the filter on httpcore's trace loggers (once)."""
    for name in ("httpcore.http11", "httpcore.http2", "httpcore.connection"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _SecretHeaderFilter) for f in logger.filters):
            logger.addFilter(_SecretHeaderFilter())


# -- retries ----------------------------------------------------------------------------------------


def is_cert_verify_failure(exc: BaseException) -> bool:
    """Whether a connection failed because the peer's certificate could not be verified. httpx wraps
    the ssl module's error (httpcore's ConnectError in between), so the whole chain is searched."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        text = str(current)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return True
        current = current.__cause__ or current.__context__
    return False


RETRYABLE_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.PoolTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)


@dataclass
class RetryPolicy:
    retries: int = 4
    backoff_base: float = 0.25
    backoff_max: float = 8.0
    statuses: frozenset[int] = RETRY_STATUSES
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @classmethod
    def of(cls, cfg: TransportConfig) -> RetryPolicy:
        return cls(retries=cfg.retries, backoff_base=cfg.backoff_base, backoff_max=cfg.backoff_max)

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based): the server's Retry-After when
        it gives one, else exponential backoff with full jitter."""
        if retry_after:
            try:
                return min(self.backoff_max, max(0.0, float(retry_after)))
            except ValueError:
                pass
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)

    async def run(self, send: Callable[[], Awaitable[httpx.Response]], *, retry: bool) -> httpx.Response:
        """Send, and when ``retry`` is true resend after a retryable failure. The last response
        (even a 5xx) is returned; the last connection error is raised."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await send()
            except RETRYABLE_ERRORS as e:
                if not retry or attempt > self.retries or is_cert_verify_failure(e):
                    raise
                wait = self.delay(attempt)
                log.info("retrying after %s (attempt %d, %.2fs)", type(e).__name__, attempt, wait)
                await self.sleep(wait)
                continue
            if retry and response.status_code in self.statuses and attempt <= self.retries:
                wait = self.delay(attempt, response.headers.get("retry-after"))
                log.info("retrying after HTTP %d (attempt %d, %.2fs)", response.status_code, attempt, wait)
                await response.aclose()
                await self.sleep(wait)
                continue
            return response


# -- large file bodies --------------------------------------------------------------------------------

SENDFILE_SEGMENT = 8 << 20


async def send_file(
    method: str,
    url: str,
    headers: Mapping[str, str],
    path: str,
    offset: int,
    length: int,
    config: TransportConfig,
    progress: Callable[[int, int], None] | None = None,
) -> httpx.Response:
    """Send one request whose body is a byte range of a file, over plain HTTP, with the kernel's
    sendfile: the bytes never pass through Python, which keeps a gigabyte load's CPU cost near
    curl's. One connection per request (bodies this large dwarf a handshake). Returns the whole
    response; connection failures raise httpx's own errors, so callers treat both paths alike."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError("send_file is for plain HTTP; use the client's streaming body over TLS")
    host = parts.hostname or ""
    port = parts.port or 80
    request = httpx.Request(method, url)
    target = request.url.raw_path  # percent-encoded as httpx sends it: a table name may be any word
    fields = {
        "Host": request.url.netloc.decode("ascii"),
        "User-Agent": config.user_agent,
        "Content-Length": str(length),
        "Connection": "close",
        **{k: v for k, v in {**config.extra_headers, **headers}.items() if k.lower() != "content-length"},
    }
    # Checked and encoded like httpx's requests (UTF-8 values, no control characters), before the
    # connection is opened.
    encoded = encode_headers(fields)
    lines = [method.encode("ascii") + b" " + target + b" HTTP/1.1"]
    lines += [k + b": " + v for k, v in encoded.items()]
    head = b"\r\n".join(lines) + b"\r\n"
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "-> %s %s %s (sendfile %d bytes)",
            method,
            redact_url(url),
            redact_headers({k: v for k, v in headers.items()}),
            length,
        )
    started = time.monotonic()
    try:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that lands just as
        # the inner step finishes, and a cancelled load must stop.
        async with asyncio.timeout(config.connect_timeout):
            reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        raise httpx.ConnectTimeout(f"connecting to {parts.netloc} timed out", request=request) from None
    except OSError as e:
        raise httpx.ConnectError(str(e) or type(e).__name__, request=request) from e
    try:
        writer.write(head + b"\r\n")
        async with asyncio.timeout(config.write_timeout):
            await writer.drain()
        loop = asyncio.get_running_loop()
        sent = 0
        # All but the last byte first: see below.
        ahead = max(0, length - 1)
        with open(path, "rb") as f:
            while sent < ahead:
                count = min(SENDFILE_SEGMENT, ahead - sent)
                # A segment at a time, so progress is reported and a stalled peer times out.
                async with asyncio.timeout(config.write_timeout):
                    n = await loop.sendfile(writer.transport, f, offset + sent, count)
                if n <= 0:
                    raise httpx.WriteError("the file ended before its declared length", request=request)
                sent += n
                if progress:
                    progress(sent, length)
            if sent < length:
                # The last byte is the point of no return: without it the server holds a body
                # shorter than its Content-Length, which it can never take; with it, the request
                # will be carried out whether or not anyone waits for the answer. It is written with
                # no await between the progress report before it (where a caller may still stop,
                # by raising) and the one after it (which tells the caller the request is whole).
                f.seek(offset + sent)
                last = f.read(1)
                if len(last) != 1:
                    raise httpx.WriteError("the file ended before its declared length", request=request)
                writer.write(last)
                sent = length
                if progress:
                    progress(sent, length)
        async with asyncio.timeout(config.write_timeout):
            await writer.drain()
        async with asyncio.timeout(config.read_timeout):
            status, resp_headers, body = await _read_response(reader, request)
    except TimeoutError:
        raise httpx.ReadTimeout(f"no answer from {parts.netloc} in time", request=request) from None
    except (ConnectionError, asyncio.IncompleteReadError) as e:
        raise httpx.RemoteProtocolError(f"connection to {parts.netloc} broke: {e}", request=request) from e
    finally:
        writer.close()
    response = httpx.Response(status, headers=resp_headers, content=body, request=request)
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "<- %s %s %s in %.0f ms", status, method, redact_url(url), (time.monotonic() - started) * 1000
        )
    return response


async def _read_response(
    reader: asyncio.StreamReader, request: httpx.Request
) -> tuple[int, list[tuple[str, str]], bytes]:
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split(" ", 2)[1])
        except (IndexError, ValueError):
            raise httpx.RemoteProtocolError(
                f"not an HTTP answer: {lines[0][:80]!r}", request=request
            ) from None
        if status >= 200:
            break
    headers = [
        (k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:] if ":" in line)
    ]
    lower = {k.lower(): v for k, v in headers}
    if "content-length" in lower:
        body = await reader.readexactly(int(lower["content-length"]))
    elif "chunked" in lower.get("transfer-encoding", "").lower():
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            chunks.append(await reader.readexactly(size))
            await reader.readuntil(b"\r\n")
            if size == 0:
                break
        body = b"".join(chunks)
        headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
    else:
        body = await reader.read()
    return status, headers, body
