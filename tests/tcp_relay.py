"""A loopback TCP relay that keeps what the client sent: to check what crosses the wire."""

from __future__ import annotations

import contextlib
import socket
import threading


class Relay:
    """A loopback TCP relay to the query port that keeps what the client sent: plain sockets in
    threads, so that the client's switch of its socket to TLS is only bytes to it."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.sent = bytearray()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        upstream = socket.create_connection(("127.0.0.1", self.target_port))

        def pipe(src: socket.socket, dst: socket.socket, keep: bool) -> None:
            try:
                while data := src.recv(65536):
                    if keep:
                        self.sent += data
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)

        threading.Thread(target=pipe, args=(client, upstream, True), daemon=True).start()
        threading.Thread(target=pipe, args=(upstream, client, False), daemon=True).start()

    def close(self) -> None:
        self.listener.close()
