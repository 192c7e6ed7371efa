"""TLS on the query port, against a sandbox whose FE has a keystore (StarRocks 3.4.1 and later): the
console's channel switches to TLS before its login and verifies the FE's certificate with the
profile's CA file, a certificate that CA did not sign is refused with what to do, verification off
still encrypts, a client without TLS is still served (ssl_force_secure_transport is off by default),
and the `mysql` client negotiates TLS with the same port."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from typing import Any

import pytest
from conftest import SandboxProcess
from tcp_relay import Relay
from tls_certs import make_cert

from gui.api import errors
from gui.api.starrocks import StarRocksSql
from gui.services.session import sandbox_profiles

pytestmark = pytest.mark.slow  # a sandbox of its own


@pytest.fixture(scope="module")
def tls_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Any:
    d = tmp_path_factory.mktemp("tls")
    crt, key = make_cert(d, "fe")
    other, _ = make_cert(d, "other")
    sp = SandboxProcess(d / "sb", "--ssl-cert", str(crt), "--ssl-key", str(key))
    yield sp, crt, other
    sp.stop()


def ask(sp: SandboxProcess, port: int | None = None, **kw: Any) -> list[tuple[Any, ...]]:
    async def go() -> list[tuple[Any, ...]]:
        async with StarRocksSql("127.0.0.1", sp.auth[0], sp.auth[1], port=port or sp.query_port, **kw) as q:
            return list((await q.execute("SELECT 'over the wire' AS said")).rows)

    return asyncio.run(go())


def test_the_channel_switches_to_tls_before_its_login_and_verifies_the_fe(tls_sandbox: Any) -> None:
    sp, crt, _other = tls_sandbox
    assert sp.info["query_tls"] is True

    relay = Relay(sp.query_port)
    try:
        rows = ask(sp, relay.port, tls=True, ca_bundle=str(crt))
    finally:
        relay.close()
    sent = bytes(relay.sent)
    assert rows == [("over the wire",)]
    # The login and the statement crossed encrypted: neither the user nor the SQL is in the bytes.
    assert sp.auth[0].encode() not in sent and b"over the wire" not in sent


def test_a_certificate_the_profiles_ca_did_not_sign_is_refused_with_what_to_do(tls_sandbox: Any) -> None:
    sp, _crt, other = tls_sandbox
    with pytest.raises(errors.TlsVerifyFailed) as refused:
        ask(sp, tls=True, ca_bundle=str(other))
    assert "could not be verified" in str(refused.value)
    assert "CA file" in (refused.value.hint or "")
    # The system's trust store does not vouch for it either.
    with pytest.raises(errors.TlsVerifyFailed):
        ask(sp, tls=True)


def test_verification_off_still_encrypts_and_a_client_without_tls_is_served(tls_sandbox: Any) -> None:
    sp, _crt, _other = tls_sandbox
    assert ask(sp, tls=True, verify_tls=False) == [("over the wire",)]
    assert ask(sp) == [("over the wire",)]  # ssl_force_secure_transport is off, as by default


def test_the_mysql_client_negotiates_tls_with_the_query_port(tls_sandbox: Any) -> None:
    sp, crt, _other = tls_sandbox
    exe = shutil.which("mysql") or shutil.which("mariadb")
    if exe is None:
        pytest.skip("no mysql client installed")
    done = subprocess.run(
        [exe, "--ssl-ca", str(crt), "--ssl-verify-server-cert", "-h", "127.0.0.1", "-P", str(sp.query_port),
         "-u", sp.auth[0], "-e", "status"],
        env=dict(os.environ, MYSQL_PWD=sp.auth[1]), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ssl_line = next(line for line in done.stdout.splitlines() if line.strip().startswith("SSL:"))
    assert "Cipher in use" in ssl_line, ssl_line


def test_the_sandbox_profile_reaches_its_query_port_over_tls(tls_sandbox: Any) -> None:
    sp, crt, _other = tls_sandbox
    [profile] = [p for p, _ in sandbox_profiles(sp.info) if p.kind == "starrocks"]
    assert profile.query_tls and profile.ca_bundle == str(crt)
