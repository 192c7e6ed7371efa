"""What stands between the network and the emulated services: which Host names are served, how big a
request body may be, how long a client may take to send its headers, how many connections are held.

The sandbox listens on loopback with documented credentials, so a web page the user opens must not
be able to drive it: a page that re-points its own domain at 127.0.0.1 (DNS rebinding) still sends
its own name in ``Host``, and only loopback names, IP literals and the names the sandbox was told
to use are served.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

# The FE aggregates a POST body in memory up to this size (StarRocks HttpServer:
# StarRocksHttpPostObjectAggregator(100 * 65536)); past it Netty answers 413 with no body and
# closes the connection.
FE_MAX_POST_BYTES = 100 * 65536
# The FE's http_max_header_size: request line and headers together.
MAX_HEADER_BYTES = 32768


def host_name(header: str) -> str:
    """The name part of a Host header value (``[::1]:8030`` -> ``::1``), lower case."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def is_ip_literal(name: str) -> bool:
    # An address cannot be re-pointed the way a DNS name can, so any literal is safe to serve.
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostGuard:
    """ASGI middleware: 403 (plain text) for a Host that is not one of the sandbox's names, and a cap
    on the size of POST bodies (``max_post_bytes``; None for no cap)."""

    def __init__(self, app: ASGIApp, names: Iterable[str], max_post_bytes: int | None = None) -> None:
        self.app = app
        self.names = {host_name(n) for n in names if n} | LOOPBACK_NAMES
        self.max_post_bytes = max_post_bytes

    def allowed(self, host: str | None) -> bool:
        if host is None:  # HTTP/1.0 without Host: no browser sends that
            return True
        name = host_name(host)
        return name in self.names or is_ip_literal(name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = None
        length: int | None = None
        head = 0
        for key, value in scope.get("headers", []):
            head += len(key) + len(value) + 4
            if key == b"host":
                host = value.decode("latin-1")
            elif key == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        if head > MAX_HEADER_BYTES:
            # h11 caps only a head still arriving; one that came whole in a single read is
            # measured here.
            await _plain(send, 431, b"Request Header Fields Too Large\n")
            return
        if not self.allowed(host):
            text = f"Forbidden: '{host}' is not a name of this sandbox; use localhost or 127.0.0.1.\n"
            await _plain(send, 403, text.encode("utf-8", "replace"))
            return
        cap = self.max_post_bytes
        if cap is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        if length is not None and length > cap:
            await _too_large(send)
            return
        await _CappedBody(self.app, cap)(scope, receive, send)


class _CappedBody:
    """Counts a body as the app reads it; past the cap the client gets the 413 and the app sees the
    client gone (its own answer, if any, is dropped)."""

    def __init__(self, app: ASGIApp, cap: int) -> None:
        self.app = app
        self.cap = cap
        self.seen = 0
        self.refused = False
        self.started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted_receive() -> Message:
            if self.refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                self.seen += len(message.get("body", b""))
                if self.seen > self.cap:
                    self.refused = True
                    if not self.started:
                        self.started = True
                        await _too_large(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if self.refused:
                return
            if message["type"] == "http.response.start":
                self.started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not self.refused:
                raise


async def _too_large(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-length", b"0"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# A client that connects and says nothing for this long is closed: an HTTP client sends its request
# at once, while a MySQL client pointed at the HTTP port waits for the server's greeting and would
# otherwise hang for the whole header timeout. Closed, it reports the lost connection right away
# ("Lost connection to server at 'handshake: reading initial communication packet'").
FIRST_BYTE_SECONDS = 2.0


def guarded_protocol(max_connections: int, header_timeout: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a connection cap (connections past it are closed at once) and a
    deadline for the request line and headers (a client that connects and sends nothing, or sends
    headers a byte at a time, is cut off). uvicorn itself only times out idle keep-alive connections
    after a response."""

    class GuardedH11(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None
        _silent_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                transport.abort()
                return
            self._arm_header_timer()
            self._silent_timer = self.loop.call_later(
                min(FIRST_BYTE_SECONDS, header_timeout), self._silent_deadline
            )

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_timer()
            self._disarm_silent_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            self._disarm_silent_timer()
            super().data_received(data)
            if self.conn.their_state is h11.IDLE:
                self._arm_header_timer()  # bytes of a next request have started to arrive
            else:
                self._disarm_header_timer()

        def _disarm_silent_timer(self) -> None:
            if self._silent_timer is not None:
                self._silent_timer.cancel()
                self._silent_timer = None

        def _silent_deadline(self) -> None:
            self._silent_timer = None
            if not self.transport.is_closing():
                self.transport.close()

        def _arm_header_timer(self) -> None:
            if self._header_timer is None and not self.transport.is_closing():
                self._header_timer = self.loop.call_later(header_timeout, self._header_deadline)

        def _disarm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _header_deadline(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete):
                self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # Between requests the keep-alive timeout governs; the header deadline starts again
            # with the next request's first byte.
            self._disarm_header_timer()

    return GuardedH11
