"""Run the sandbox: bind the FE and BE ports, serve both, print one JSON line when ready, stop
cleanly on SIGINT/SIGTERM (and, when started by the console, when the console goes away)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any, TextIO

import uvicorn

from . import guard
from .app import Sandbox
from .config import SandboxConfig
from .store import private_dir


class _Server(uvicorn.Server):
    # Both servers share one process; the sandbox handles the signals for both itself.
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def ready_line(sb: Sandbox) -> dict[str, Any]:
    c = sb.config
    return {
        "url": sb.fe_url,
        "be_url": sb.be_url,
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
    if config.be_advertise:
        names.add(config.be_advertise)
    names.update(u.split("://", 1)[-1] for u in urls)
    return {n for n in names if n}


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
    temp_dir: str | None = None
    if config.data_dir is None:
        temp_dir = tempfile.mkdtemp(prefix="starrocks-sandbox-")  # made 0700
        data_dir = Path(temp_dir)
    else:
        # Absolute, so DuckDB's file checks compare the same spelling the sandbox hands it.
        data_dir = config.data_dir.absolute()
        _own_data_dir(data_dir)
    fe_sock = _bind(config.host, config.port)
    be_port = config.be_port if config.be_port is not None else (0 if config.port == 0 else 8040)
    be_sock = _bind(config.host, be_port)
    sb = Sandbox(config, data_dir)
    sb.fe_url, sb.be_url = _url(fe_sock), _url(be_sock)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if config.exit_with_stdin:
        _exit_with_parent(stop, loop)
    names = _served_names(config, sb.fe_url, sb.be_url)
    protocol = guard.guarded_protocol(config.max_connections, config.header_timeout)
    servers = []
    apps = (
        # The FE's POST bodies are capped as the FE caps them; the BE's bodies are loads, whose
        # limit (streaming_load_max_mb) the load itself checks so that the reply is the BE's.
        (guard.HostGuard(sb.fe_app(), names, guard.FE_MAX_POST_BYTES), fe_sock),
        (guard.HostGuard(sb.be_app(), names), be_sock),
    )
    for app, sock in apps:
        cfg = uvicorn.Config(
            app,
            http=protocol,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            limit_concurrency=config.max_connections,
            h11_max_incomplete_event_size=guard.MAX_HEADER_BYTES,
            server_header=False,  # neither the FE nor the BE sends one
        )
        servers.append((_Server(cfg), sock))
    tasks = [asyncio.create_task(s.serve(sockets=[sock])) for s, sock in servers]
    try:
        while not all(s.started for s, _ in servers):
            if any(t.done() for t in tasks):
                for t in tasks:
                    if t.done() and t.exception():
                        raise t.exception()  # type: ignore[misc]
                raise RuntimeError("the sandbox's HTTP servers stopped while starting")
            await asyncio.sleep(0.01)
        await sb.start_background()
        out.write(json.dumps(ready_line(sb)) + "\n")
        out.flush()
        await stop.wait()
    finally:
        for s, _ in servers:
            s.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        await sb.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        fe_sock.close()
        be_sock.close()
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)


def run(config: SandboxConfig) -> int:
    # Everything the sandbox writes (its database, load bodies, error logs, parquet files) is the
    # user's alone.
    os.umask(0o077)
    asyncio.run(serve(config))
    return 0
