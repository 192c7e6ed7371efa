"""The one place that builds HTTP clients: timeouts, TLS, pooling, retries, redacted logging.

Retries are only for calls that are safe to repeat (reads, and loads guarded by a label): the
caller says so per call. Connection errors, 429 and 5xx are retried with exponential backoff and
jitter, honouring ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import ssl
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
        ctx = (
            ssl.create_default_context(cafile=self.ca_bundle)
            if self.ca_bundle
            else ssl.create_default_context()
        )
        return ctx


def build_client(
    config: TransportConfig | None = None,
    base_url: str = "",
    headers: Mapping[str, str] | None = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient with the profile's timeouts, TLS and pool, HTTP/1.1 keep-alive, redirects
    off (each client decides how to follow them) and redacted debug logging."""
    cfg = config or TransportConfig()
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


# -- retries ----------------------------------------------------------------------------------------

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
                if not retry or attempt > self.retries:
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
