"""Sandboxes for the test run, forked from one process that has imported the sandbox once.

The suite starts over a hundred sandboxes; each spent about 0.35 s of CPU starting Python and
importing the sandbox (DuckDB, sqlglot, uvicorn, mysql-mimic) before doing anything of its own, a
tenth of the suite's CPU. A fork server ("zygote") per test worker imports them once; each sandbox
is then a fork of it that runs the same ``starrocks-console sandbox`` command line (``gui.cli.main``)
with the test's environment, working folder and a pipe for its standard output. The fork is the
zygote's child, not the worker's: ``Forked`` stands in for ``subprocess.Popen`` (pid, stdout,
signals, wait, poll, returncode), the zygote reporting each child's exit on the child's own
connection.

The zygote is single-threaded and forks from a clean state: no event loop, no thread, no DuckDB
connection exists in it. Run as ``python tests/sandbox_forks.py SOCKET``.
"""

from __future__ import annotations

import array
import atexit
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent

# What a sandbox imports as it starts and serves (uvicorn loads its protocol classes by name).
PRELOAD = (
    "gui.cli",
    "gui.sandbox.server",
    "gui.sandbox.mysqlport",
    "gui.sandbox.admin",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.lifespan.off",
    "uvicorn.loops.asyncio",
)


# -- the test side --------------------------------------------------------------------------------
class Forked:
    """A forked sandbox, as much of ``subprocess.Popen`` as the tests use."""

    def __init__(self, conn: socket.socket, pid: int, stdout: IO[str], stdin: int) -> None:
        self._conn = conn
        self._buf = b""
        self.pid = pid
        self.stdout: IO[str] | None = stdout
        # The write end of the sandbox's standard input, held for its life: it closes when this
        # worker ends however it ends (a crash too), and the sandbox then stops.
        self._stdin: int | None = stdin
        self.returncode: int | None = None

    def _read_status(self, timeout: float | None) -> int | None:
        self._conn.settimeout(timeout)
        try:
            while b"\n" not in self._buf:
                data = self._conn.recv(64)
                if not data:
                    raise RuntimeError(f"the sandbox fork server went away before {self.pid} ended")
                self._buf += data
        except (TimeoutError, BlockingIOError):
            return None
        self.returncode = int(self._buf.split(b"\n", 1)[0])
        self._conn.close()
        if self._stdin is not None:
            os.close(self._stdin)
            self._stdin = None
        return self.returncode

    def poll(self) -> int | None:
        if self.returncode is None:
            self._read_status(0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self._read_status(timeout) is None:
            raise subprocess.TimeoutExpired(f"sandbox {self.pid}", timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:  # never a pid that ended (and may be someone else's by now)
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    """This worker's fork server, started at its first use."""

    _lock = threading.Lock()
    _instance: Zygote | None = None
    _failed = False

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="sandbox-forks-")
        self.path = os.path.join(self.folder, "zygote.sock")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__)), self.path],
            stdout=subprocess.PIPE,
            stdin=subprocess.PIPE,  # the zygote ends when this worker does, however it ends
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the sandbox fork server did not start ({self.proc.wait()})")

    @classmethod
    def get(cls) -> Zygote | None:
        """The worker's zygote; None where there is none (it could not start, or is turned off)."""
        if os.environ.get("SANDBOX_FORKS") == "0" or not hasattr(os, "fork") or cls._failed:
            return None
        with cls._lock:
            if cls._instance is None or cls._instance.proc.poll() is not None:
                try:
                    cls._instance = Zygote()
                    atexit.register(cls._instance.close)
                except (OSError, RuntimeError):
                    cls._failed = True
                    return None
            return cls._instance

    def spawn(self, args: list[str], env: dict[str, str], cwd: Path) -> Forked:
        """``gui.cli.main(args)`` in a fork, its standard output a pipe read here, its standard
        input a pipe held here (a sandbox told to stop with its input ends with this worker)."""
        read, write = os.pipe()
        stdin_r, stdin_w = os.pipe()
        # The fork is the zygote's child: the zygote is the parent its sandbox checks for.
        env = {**env, "STARROCKS_SANDBOX_PARENT_PID": str(self.proc.pid)}
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(self.path)
            message = json.dumps({"args": args, "env": env, "cwd": str(cwd)}).encode()
            conn.sendmsg(
                [len(message).to_bytes(4, "big") + message],
                [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [write, stdin_r]))],
            )
        except BaseException:
            os.close(read)
            os.close(stdin_w)
            conn.close()
            raise
        finally:
            os.close(write)
            os.close(stdin_r)
        line = b""
        while not line.endswith(b"\n"):
            data = conn.recv(1)
            if not data:
                os.close(read)
                os.close(stdin_w)
                raise RuntimeError("the sandbox fork server did not fork")
            line += data
        return Forked(conn, int(line), os.fdopen(read, "r"), stdin_w)

    def close(self) -> None:
        """Ended and waited for (its children's CPU counts towards this worker's, as a
        sandbox's did when it was the worker's own child)."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# -- the zygote -----------------------------------------------------------------------------------
def _receive(conn: socket.socket) -> tuple[dict[str, Any], int, int]:
    """The request, and the fork's standard output and input."""
    fds = array.array("i")
    data, ancdata, _flags, _addr = conn.recvmsg(1 << 20, socket.CMSG_SPACE(2 * fds.itemsize))
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    size = int.from_bytes(data[:4], "big")
    body = data[4:]
    while len(body) < size:
        more = conn.recv(size - len(body))
        if not more:
            raise ConnectionError("request cut short")
        body += more
    if len(fds) != 2:
        for fd in fds:
            os.close(fd)
        raise ValueError("a request carries its fork's standard output and input")
    return json.loads(body), fds[0], fds[1]


def _child(request: dict[str, Any], stdout: int, stdin: int, leave: list[Any]) -> None:
    """In the fork: become the sandbox command (``python -m gui ARGS``), then end as that process
    would, without going back into the zygote's loop."""
    code = 1
    try:
        for thing in leave:  # the zygote's sockets, selector and wake-up pipe
            if isinstance(thing, int):
                os.close(thing)
            else:
                thing.close()
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_IGN if sig == signal.SIGPIPE else signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.dup2(stdout, 1)
        os.close(stdout)
        os.dup2(stdin, 0)  # the zygote's own input was closed with the rest it leaves
        os.close(stdin)
        sys.stdin = open(0, encoding="utf-8", closefd=False)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if os.environ.get("PYTHONUNBUFFERED"):
            sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        sys.argv = [str(ROOT / "gui" / "__main__.py"), *request["args"]]
        from gui.cli import main

        code = main(request["args"]) or 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(path: str) -> None:
    for name in PRELOAD:
        __import__(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    waiting: dict[int, socket.socket] = {}  # child pid -> its connection
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)
    sel.register(sys.stdin, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            if key.fileobj is listener:
                conn, _addr = listener.accept()
                try:
                    request, out, inp = _receive(conn)
                except (OSError, ValueError, IndexError):
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    _child(
                        request, out, inp, [sel, listener, conn, *waiting.values(), wake_r, wake_w, sys.stdin]
                    )
                os.close(out)
                os.close(inp)
                conn.sendall(f"{pid}\n".encode())
                waiting[pid] = conn
            elif key.fileobj is sys.stdin:
                return  # the test worker is gone (its end of the pipe closed)
            else:
                try:
                    os.read(wake_r, 4096)
                except BlockingIOError:
                    pass
        while waiting:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = waiting.pop(pid, None)
            if conn is not None:
                try:
                    conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                except OSError:
                    pass
                conn.close()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    try:
        serve(sys.argv[1])
    finally:  # however it ends: its worker closed it, or went away
        for remove in (os.unlink, os.rmdir):
            try:
                remove(sys.argv[1] if remove is os.unlink else os.path.dirname(sys.argv[1]))
            except OSError:
                pass
