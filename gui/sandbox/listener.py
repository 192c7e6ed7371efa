"""One listening address of the sandbox (the FE's, or one BE's) that can be stopped and started again,
as a node's process is: stopped, its port refuses connections and the connections it held are
closed; started, it listens on the same port again."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Generator
from typing import Any

import uvicorn

# How long a node being stopped lets the requests it is answering finish before it cuts them off.
STOP_GRACE_SECONDS = 2.0


class _Server(uvicorn.Server):
    # Every listener shares one process; the sandbox handles the signals for all of them itself.
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class Listener:
    """A uvicorn server on one address. ``bind`` first (so the port is known), then ``start``."""

    def __init__(self, host: str, port: int, make_config: Callable[[], uvicorn.Config]) -> None:
        self.host = host
        self.port = port
        self._make_config = make_config
        self._sock: socket.socket | None = None
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return url_of(self.host, self.port)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def bind(self) -> None:
        self._sock = bind(self.host, self.port)
        self.port = int(self._sock.getsockname()[1])

    async def start(self) -> None:
        """Serve (binding the same port again after a stop); returns once it accepts connections."""
        if self.running:
            return
        if self._sock is None or self._sock.fileno() < 0:
            self.bind()
        server = _Server(self._make_config())
        sock = self._sock
        assert sock is not None
        self._server = server
        self._task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if self._task.done():
                exc = self._task.exception()
                raise exc if exc else RuntimeError("the sandbox's HTTP server stopped while starting")
            await asyncio.sleep(0.01)

    def refuse_now(self) -> None:
        """Stop accepting connections at once (the ones held go on until ``stop`` ends them)."""
        server = self._server
        if server is not None:
            for s in getattr(server, "servers", []):
                s.close()
        if self._sock is not None:
            self._sock.close()

    async def stop(self, grace: float | None = STOP_GRACE_SECONDS, wait: bool = True) -> None:
        """Close the port and the connections; ``wait`` False lets that finish in the background
        (a node stopped by a request it is itself answering)."""
        server, task = self._server, self._task
        self.refuse_now()
        if server is None or task is None:
            return
        if grace is not None:
            server.config.timeout_graceful_shutdown = int(grace) or 1
        server.should_exit = True
        if wait:
            await asyncio.gather(task, return_exceptions=True)

    async def wait_stopped(self) -> Any:
        if self._task is not None:
            return await asyncio.gather(self._task, return_exceptions=True)
        return None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
