"""The shared verifying context reads the system's trust store at its first TLS handshake, not when a
client is made: a load over plain HTTP never pays for it, and a connection over TLS is verified
exactly as ``ssl.create_default_context()`` verifies it.

The "system" store is pointed at a throwaway certificate with OpenSSL's own ``SSL_CERT_FILE``, in a
fresh interpreter, against a TLS server on loopback.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import ROOT
from tls_certs import make_cert

from gui.api.transport import TransportConfig, tls_context

PROBE = """
import asyncio, json, sys
from gui.api import errors
from gui.api.starrocks import StarRocksClient
from gui.api.transport import TransportConfig

async def main() -> None:
    config = TransportConfig(retries=0, connect_timeout=5)
    before = config.verify().cert_store_stats()["x509_ca"]
    async with StarRocksClient(sys.argv[1], "root", "pw", config) as client:
        made = config.verify().cert_store_stats()["x509_ca"]
        try:
            outcome = (await client.health())["status"]
        except errors.TlsVerifyFailed as e:
            outcome = "refused: " + str(e)
    after = config.verify().cert_store_stats()["x509_ca"]
    print(json.dumps({"before": before, "made": made, "after": after, "outcome": outcome}))

asyncio.run(main())
"""


@pytest.fixture
def certs(tmp_path: Path) -> tuple[tuple[Path, Path], tuple[Path, Path]]:
    """The server's self-signed certificate, and another one that did not sign it."""
    return make_cert(tmp_path, "server"), make_cert(tmp_path, "other")


@pytest.fixture
def tls_server(certs: tuple[tuple[Path, Path], tuple[Path, Path]]) -> Iterator[str]:
    class Health(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            body = b'{"status": "OK", "msg": "Success"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certs[0][0]), str(certs[0][1]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def probe(url: str, trusted: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_DIR", "SSLKEYLOGFILE")}
    env["SSL_CERT_FILE"] = str(trusted)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, url], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    seen: dict[str, object] = json.loads(done.stdout)
    return seen


def test_the_trust_store_is_read_at_the_first_handshake_and_verifies_as_before(
    tls_server: str, certs: tuple[tuple[Path, Path], tuple[Path, Path]]
) -> None:
    seen = probe(tls_server, trusted=certs[0][0])
    assert seen["before"] == 0 and seen["made"] == 0  # nothing read for a client that has not connected
    assert seen["outcome"] == "OK" and seen["after"] == 1


def test_a_certificate_the_trust_store_does_not_vouch_for_is_refused(
    tls_server: str, certs: tuple[tuple[Path, Path], tuple[Path, Path]]
) -> None:
    seen = probe(tls_server, trusted=certs[1][0])
    assert str(seen["outcome"]).startswith("refused: ") and "could not be verified" in str(seen["outcome"])
    assert seen["after"] == 1


def test_the_shared_context_is_set_as_create_default_context_sets_it() -> None:
    ours, stdlib = TransportConfig().verify(), ssl.create_default_context()
    assert isinstance(ours, ssl.SSLContext)
    for attr in (
        "protocol",
        "options",
        "verify_flags",
        "verify_mode",
        "check_hostname",
        "minimum_version",
        "maximum_version",
        "post_handshake_auth",
        "hostname_checks_common_name",
        "security_level",
        "keylog_filename",
    ):
        assert getattr(ours, attr) == getattr(stdlib, attr), attr
    assert ours.get_ciphers() == stdlib.get_ciphers()
    # Asked for by name (the window, on a worker thread at start), it is read then.
    assert tls_context() is ours
    assert ours.cert_store_stats() == stdlib.cert_store_stats()


def test_a_missing_ca_bundle_is_told_when_the_client_is_made(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        TransportConfig(ca_bundle=str(tmp_path / "missing.pem")).verify()
