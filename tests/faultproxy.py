"""A small HTTP/1.1 proxy for fault-injection tests.

It sits between a client and the sandbox (one proxy per address: FE, BE) and, when a rule
matches a request, misbehaves the way networks and servers do:

- ``cut``: forward the request head and half the body, then close both sides (a connection cut
  while a chunk is being sent; the server never acts);
- ``drop``: forward the whole request, read the server's whole answer, then close the client's
  connection without it (the server acted, the answer is lost);
- ``status``: answer with this HTTP status without forwarding (a 5xx from a gateway);
- ``delay``: wait this many seconds, then forward normally;
- ``hold``: keep the request without forwarding it until the rule is released or the client goes
  away (a request in flight when the client process dies);
- ``pause``: keep the request until the rule is released, then forward it normally (a test acts
  while the request is on its way);
- ``rewrite``: forward, then change the answer's body with ``pattern`` → ``replacement`` (regular
  expression on bytes; Content-Length follows).

The proxy runs its own event loop in a thread, so sync tests, async tests and subprocesses can
all go through it.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass, field


@dataclass
class Rule:
    method: str
    path: str  # regular expression matched against the request path (without query)
    action: str  # cut | drop | status | delay | hold | pause | rewrite
    skip: int = 0  # let this many matching requests through first
    times: int = 1  # then misbehave this many times
    status: int = 503
    seconds: float = 0.0
    pattern: bytes = b""
    replacement: bytes = b""
    seen: int = 0
    fired: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    reached: threading.Event = field(default_factory=threading.Event)

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and re.fullmatch(self.path, path) is not None


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        host, port = upstream.split("://", 1)[-1].rsplit(":", 1)
        self.up_host, self.up_port = host, int(port)
        self.rules: list[Rule] = []
        self.log: list[tuple[str, str, str]] = []  # (method, path, what happened)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.AbstractServer | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.netloc}"

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            for r in self.rules:
                r.released.set()
            self.rules.clear()

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(1 for m, p, _ in self.log if m == method and re.fullmatch(path, p))

    def close(self) -> None:
        self.clear()

        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            # Connections still open (a client's keep-alive) end here, on the proxy's own loop,
            # not later when the collector finds them after the loop is gone.
            serving = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in serving:
                t.cancel()
            await asyncio.gather(*serving, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    # -- the loop -------------------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    def _pick(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for r in self.rules:
                if r.matches(method, path) and r.fired < r.times:
                    r.seen += 1
                    if r.seen > r.skip:
                        r.fired += 1
                        return r
            return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader: asyncio.StreamReader | None = None
        up_writer: asyncio.StreamWriter | None = None
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                method, path, headers = _parse_head(head)
                length = int(headers.get("content-length", "0") or 0)
                chunked = "chunked" in headers.get("transfer-encoding", "").lower()
                rule = self._pick(method, path.split("?", 1)[0])
                what = rule.action if rule else "pass"
                with self._lock:
                    self.log.append((method, path.split("?", 1)[0], what))
                if rule is not None:
                    rule.reached.set()
                if rule is not None and rule.action == "status":
                    if not chunked:
                        await reader.readexactly(length)
                    answer = f"HTTP/1.1 {rule.status} Injected\r\ncontent-length: 0\r\n"
                    answer += "connection: close\r\n\r\n"
                    writer.write(answer.encode())
                    await writer.drain()
                    return
                if rule is not None and rule.action == "hold":
                    await asyncio.get_running_loop().run_in_executor(None, rule.released.wait, 600)
                    return
                if rule is not None and rule.action == "delay":
                    await asyncio.sleep(rule.seconds)
                if rule is not None and rule.action == "pause":
                    await asyncio.get_running_loop().run_in_executor(None, rule.released.wait, 600)
                if up_writer is None:
                    up_reader, up_writer = await asyncio.open_connection(self.up_host, self.up_port)
                assert up_reader is not None
                up_writer.write(head)
                if chunked:
                    # Streamed bodies are piped through untouched until either side closes.
                    await _pipe_both(reader, writer, up_reader, up_writer)
                    return
                if rule is not None and rule.action == "cut":
                    half = await reader.readexactly(length // 2)
                    up_writer.write(half)
                    await up_writer.drain()
                    return
                remaining = length
                while remaining:
                    block = await reader.read(min(remaining, 1 << 20))
                    if not block:
                        return
                    up_writer.write(block)
                    remaining -= len(block)
                    await up_writer.drain()
                await up_writer.drain()
                response = await _read_response(up_reader)
                if response is None:
                    return
                if rule is not None and rule.action == "drop":
                    return
                if rule is not None and rule.action == "rewrite":
                    response = _rewrite(response, rule.pattern, rule.replacement)
                writer.write(response)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            for w in (writer, up_writer):
                if w is not None:
                    w.close()


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = (lines[0].split(" ", 2) + ["", ""])[:3]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return method, path, headers


async def _read_response(r: asyncio.StreamReader) -> bytes | None:
    """One whole response (skipping past 1xx interim answers), bytes as sent."""
    out = b""
    while True:
        try:
            head = await r.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        out += head
        status = int(head.split(b" ", 2)[1])
        if status >= 200:
            break
    _, _, headers = _parse_head(b"X / HTTP/1.1\r\n" + head.split(b"\r\n", 1)[1])
    if "content-length" in headers:
        out += await r.readexactly(int(headers["content-length"]))
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = await r.readuntil(b"\r\n")
            out += size_line
            size = int(size_line.strip().split(b";")[0], 16)
            out += await r.readexactly(size + 2)
            if size == 0:
                break
    return out


def _rewrite(response: bytes, pattern: bytes, replacement: bytes) -> bytes:
    head, sep, body = response.partition(b"\r\n\r\n")
    body = re.sub(pattern, replacement, body)
    lines = [
        f"content-length: {len(body)}".encode() if line.lower().startswith(b"content-length:") else line
        for line in head.split(b"\r\n")
    ]
    return b"\r\n".join(lines) + sep + body


async def _pipe_both(
    cr: asyncio.StreamReader, cw: asyncio.StreamWriter, ur: asyncio.StreamReader, uw: asyncio.StreamWriter
) -> None:
    async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while block := await src.read(1 << 16):
                dst.write(block)
                await dst.drain()
        except ConnectionError:
            pass
        finally:
            dst.close()

    await asyncio.gather(pipe(cr, uw), pipe(ur, cw))
