"""Run the sandbox: bind the FE and BE ports, serve both, print one JSON line when ready, stop
cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any, TextIO

import uvicorn

from .app import Sandbox
from .config import SandboxConfig


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


async def serve(config: SandboxConfig, out: TextIO = sys.stdout, stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (or a SIGINT/SIGTERM arrives)."""
    temp_dir: str | None = None
    if config.data_dir is None:
        temp_dir = tempfile.mkdtemp(prefix="starrocks-sandbox-")
        data_dir = Path(temp_dir)
    else:
        data_dir = config.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
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
    servers = []
    for app, sock in ((sb.fe_app(), fe_sock), (sb.be_app(), be_sock)):
        cfg = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
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
    asyncio.run(serve(config))
    return 0
