"""Run the sandbox: bind the FE and BE ports, serve both, print one JSON line when ready, stop
cleanly on SIGINT/SIGTERM (and, when started by the console, when the console goes away)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import faulthandler
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import uvicorn

from . import guard
from .app import FE_KEY, Sandbox
from .config import SandboxConfig
from .listener import Listener, bind
from .starrocks.cluster import MAX_BACKENDS
from .store import private_dir

# How long a stopping sandbox lets the requests it is answering finish (a load body still arriving)
# before it cuts them, and how long the whole stop may take before the process exits regardless.
SHUTDOWN_GRACE_SECONDS = 5
STOP_DEADLINE_SECONDS = 12


def ready_line(sb: Sandbox) -> dict[str, Any]:
    c = sb.config
    return {
        "url": sb.fe_url,
        # The FE's MySQL-protocol port, on the FE's host, and whether it offers TLS.
        "query_port": sb.query_port,
        "query_tls": c.ssl_cert is not None,
        # The certificate a client trusts to verify it (self-signed in tests).
        "query_tls_cert": str(c.ssl_cert) if c.ssl_cert is not None else None,
        # The first BE, as before there were several.
        "be_url": sb.be_url,
        "backends": [{"id": be.id, "url": be.url, "advertised": be.advertised} for be in sb.cluster.backends],
        "fe_user": c.fe_user,
        "fe_password": c.fe_password,
        "huawei": {
            "project_id": c.huawei.project_id,
            "region": c.huawei.region,
            "ak": c.huawei.ak,
            "sk": c.huawei.sk,
            "iam_user": c.huawei.iam_user,
            "iam_password": c.huawei.iam_password,
            "iam_domain": c.huawei.iam_domain,
        },
        "ailake": {"token": c.ailake_token},
    }


def _served_names(config: SandboxConfig, *urls: str) -> set[str]:
    """Host names the sandbox answers to besides loopback ones and IP literals: the one it listens
    on and the ones it advertises."""
    names = {config.host}
    names.update(u.split("://", 1)[-1] for u in urls)
    return {n for n in names if n}


def _be_ports(config: SandboxConfig) -> list[int]:
    """BE i listens on --be-port + i; with --port 0 (and no --be-port) every BE on a free port."""
    if config.be_port is not None:
        return [config.be_port + i if config.be_port else 0 for i in range(config.backends)]
    if config.port == 0:
        return [0] * config.backends
    return [8040 + i for i in range(config.backends)]


def _query_port(config: SandboxConfig) -> int:
    """--query-port; without it 9030, or a free port with --port 0."""
    if config.query_port is not None:
        return config.query_port
    return 0 if config.port == 0 else 9030


def _advertised(config: SandboxConfig, index: int, real: str) -> str:
    """What the FE names BE ``index`` by: --be-advertise HOST:PORT names the first BE, and BE i
    HOST:PORT+i; without it, the BE's real address."""
    if not config.be_advertise:
        return real
    host, _, port = config.be_advertise.rpartition(":")
    if host and port.isdigit():
        return f"{host}:{int(port) + index}"
    return config.be_advertise


def _own_data_dir(data_dir: Path) -> None:
    """Create the data folder readable by the user alone. An existing folder is tightened only when
    it is the sandbox's own (empty, or holding its database): its files hold the sandbox's secrets
    and loads, and a folder someone shares on purpose keeps its mode."""
    if data_dir.exists():
        if (data_dir / "sandbox.duckdb").exists() or not any(data_dir.iterdir()):
            with contextlib.suppress(OSError):
                data_dir.chmod(0o700)
    else:
        private_dir(data_dir)


def _exit_with_parent(stop: asyncio.Event, loop: asyncio.AbstractEventLoop) -> None:
    """Stop when the process that started the sandbox is gone: it holds the other end of our stdin
    pipe, and its end closes when it exits however it exits (even SIGKILL). On Linux the kernel is
    asked to send SIGTERM on the parent's death too, in case the pipe was passed on to another
    process."""

    def watch() -> None:
        try:
            fd = sys.stdin.fileno()
            while os.read(fd, 65536):
                pass
        except (OSError, ValueError, AttributeError):  # closed, or no stdin at all
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch, name="sandbox-parent-watch", daemon=True).start()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
            # The parent may have died before prctl took effect: then we were re-parented already.
            parent = os.environ.get("STARROCKS_SANDBOX_PARENT_PID", "")
            if parent.isdigit() and os.getppid() != int(parent):
                loop.call_soon_threadsafe(stop.set)


async def serve(config: SandboxConfig, out: TextIO = sys.stdout, stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (or a SIGINT/SIGTERM arrives)."""
    if not 1 <= config.backends <= MAX_BACKENDS:
        raise ValueError(f"--backends must be from 1 to {MAX_BACKENDS}")
    temp_dir: str | None = None
    if config.data_dir is None:
        temp_dir = tempfile.mkdtemp(prefix="starrocks-sandbox-")  # made 0700
        data_dir = Path(temp_dir)
    else:
        # Absolute, so DuckDB's file checks compare the same spelling the sandbox hands it.
        data_dir = config.data_dir.absolute()
        _own_data_dir(data_dir)
    protocol = guard.guarded_protocol(config.max_connections, config.header_timeout)
    guarded: dict[str, guard.HostGuard] = {}

    def make(key: str) -> Callable[[], uvicorn.Config]:
        def build() -> uvicorn.Config:
            return uvicorn.Config(
                guarded[key],
                http=protocol,
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_keep_alive=30,
                limit_concurrency=config.max_connections,
                h11_max_incomplete_event_size=guard.MAX_HEADER_BYTES,
                server_header=False,  # neither the FE nor the BE sends one
            )

        return build

    fe = Listener(config.host, config.port, make("fe"))
    bes = [Listener(config.host, port, make(f"be:{i}")) for i, port in enumerate(_be_ports(config))]
    listeners = [fe, *bes]
    query_sock: socket.socket | None = None
    try:
        for listener in listeners:
            listener.bind()
        query_sock = bind(config.host, _query_port(config))
        sb = Sandbox(config, data_dir)
    except BaseException:
        for listener in listeners:
            listener.close()
        if query_sock is not None:
            query_sock.close()
        raise
    sb.fe_url = fe.url
    sb.query_port = int(query_sock.getsockname()[1])
    # Imported here: the MySQL server library is only needed once the sandbox runs.
    from .mysqlport import MysqlPort

    mysql = MysqlPort(sb)
    sb.query_server = mysql
    for i, (be, listener) in enumerate(zip(sb.cluster.backends, bes, strict=True)):
        be.http_port = listener.port
        be.advertised = _advertised(config, i, listener.url.split("://", 1)[1])
        sb.listeners[be.id] = listener
    sb.listeners[FE_KEY] = fe
    names = _served_names(config, sb.fe_url, *(b.url for b in sb.cluster.backends),
                          *(b.advertised for b in sb.cluster.backends))  # fmt: skip
    # The FE's POST bodies are capped as the FE caps them; the BE's bodies are loads, whose limit
    # (streaming_load_max_mb) the load itself checks so that the reply is the BE's.
    guarded["fe"] = guard.HostGuard(sb.fe_app(), names, guard.FE_MAX_POST_BYTES)
    for i, be in enumerate(sb.cluster.backends):
        guarded[f"be:{i}"] = guard.HostGuard(sb.be_app(be), names)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if config.exit_with_stdin:
        _exit_with_parent(stop, loop)
    try:
        for listener in listeners:
            await listener.start()
        await mysql.start(query_sock)
        await sb.start_background()
        out.write(json.dumps(ready_line(sb)) + "\n")
        out.flush()
        await stop.wait()
        # A stop that does not end (a request or a worker thread that never returns) must not leave
        # a process behind holding the ports: after this long the threads' stacks go to stderr, for
        # the record, and the process exits.
        faulthandler.dump_traceback_later(STOP_DEADLINE_SECONDS, exit=True)
    finally:
        await asyncio.gather(
            mysql.stop(),
            *(listener.stop(grace=SHUTDOWN_GRACE_SECONDS) for listener in listeners),
            return_exceptions=True,
        )
        query_sock.close()
        await sb.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        for listener in listeners:
            listener.close()
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)


def run(config: SandboxConfig) -> int:
    # Everything the sandbox writes (its database, load bodies, error logs, parquet files) is the
    # user's alone.
    os.umask(0o077)
    try:
        asyncio.run(serve(config))
    finally:
        faulthandler.cancel_dump_traceback_later()
    return 0
