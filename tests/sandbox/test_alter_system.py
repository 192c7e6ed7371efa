"""ALTER SYSTEM on the sandbox FE's query port: BEs added, decommissioned and dropped as StarRocks'
SystemHandler does it, reflected in SHOW BACKENDS, with the FE's refusals; what the sandbox cannot do
(drop the BEs it runs, add frontends) is refused and says why."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pymysql
import pytest
from conftest import SandboxProcess


def _connect(sp: SandboxProcess, user: str | None = None, password: str | None = None) -> Any:
    return pymysql.connect(
        host="127.0.0.1",
        port=sp.query_port,
        user=user or sp.auth[0],
        password=password if password is not None else sp.auth[1],
        autocommit=True,
        connect_timeout=10,
        read_timeout=60,
    )


def _backends(cur: Any) -> dict[str, dict[str, str]]:
    cur.execute("SHOW BACKENDS")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return {f"{r['IP']}:{r['HeartbeatPort']}": r for r in rows}


def _refused(cur: Any, sql: str) -> tuple[int, str]:
    with pytest.raises(pymysql.err.MySQLError) as e:
        cur.execute(sql)
    return int(e.value.args[0]), str(e.value.args[1])


@pytest.mark.slow
def test_backends_added_decommissioned_and_dropped(sandbox_factory: Any) -> None:
    sp: SandboxProcess = sandbox_factory("--backends", "2")
    with _connect(sp) as conn, conn.cursor() as cur:
        own = _backends(cur)
        assert len(own) == 2
        first = next(iter(own))
        cur.execute("ALTER SYSTEM ADD BACKEND '10.0.0.9:9050', '10.0.0.10:9050'")
        shown = _backends(cur)
        assert set(shown) == set(own) | {"10.0.0.9:9050", "10.0.0.10:9050"}
        added = shown["10.0.0.9:9050"]
        # No process answers its heartbeats: listed, not alive, with the heartbeat's error.
        assert added["Alive"] == "false" and added["SystemDecommissioned"] == "false"
        assert added["ErrMsg"] == "java.net.ConnectException: Connection refused (Connection refused)"
        assert added["TabletNum"] == "0" and int(added["BackendId"]) not in {
            int(r["BackendId"]) for r in own.values()
        }
        assert _refused(cur, "ALTER SYSTEM ADD BACKEND '10.0.0.9:9050'") == (
            1064,
            "Same backend already exists[10.0.0.9:9050]",
        )
        assert _refused(cur, f"ALTER SYSTEM ADD BACKEND '{first}'") == (
            1064,
            f"Same backend already exists[{first}]",
        )

        cur.execute("ALTER SYSTEM DROP BACKEND '10.0.0.10:9050'")
        assert "10.0.0.10:9050" not in _backends(cur)
        assert _refused(cur, "ALTER SYSTEM DROP BACKEND '10.0.0.10:9050'") == (
            1064,
            "backend does not exists[10.0.0.10:9050]",
        )
        # A decommissioned BE holding no tablets is dropped at the system handler's next round.
        cur.execute("ALTER SYSTEM DECOMMISSION BACKEND '10.0.0.9:9050'")
        assert _backends(cur)["10.0.0.9:9050"]["SystemDecommissioned"] == "true"
        httpx.post(
            f"{sp.url}/_sandbox/clock", json={"advance": 0}, auth=sp.auth, timeout=30
        ).raise_for_status()
        assert set(_backends(cur)) == set(own)
        assert _refused(cur, "ALTER SYSTEM DECOMMISSION BACKEND '10.0.0.9:9050'") == (
            1064,
            "Backend does not exist[10.0.0.9:9050]",
        )

        # The BEs the sandbox runs: decommissioned and back, never dropped.
        cur.execute(f"ALTER SYSTEM DECOMMISSION BACKEND '{first}'")
        assert _backends(cur)[first]["SystemDecommissioned"] == "true"
        cur.execute(f"CANCEL DECOMMISSION BACKEND '{first}'")
        assert _backends(cur)[first]["SystemDecommissioned"] == "false"
        code, text = _refused(cur, f"ALTER SYSTEM DROP BACKEND '{first}'")
        assert code == 1064 and "POST /_sandbox/backends/" in text
        code, text = _refused(cur, "ALTER SYSTEM ADD FOLLOWER '10.0.0.9:9010'")
        assert code == 1064 and text.startswith("ALTER SYSTEM ADD FOLLOWER is not supported by the sandbox")
        assert set(_backends(cur)) == set(own)


def test_alter_system_needs_the_node_privilege(sandbox: SandboxProcess) -> None:
    user = f"u_{uuid.uuid4().hex[:8]}"
    with _connect(sandbox) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE USER '{user}' IDENTIFIED BY 'pw'")
    with _connect(sandbox, user, "pw") as conn, conn.cursor() as cur:
        code, text = _refused(cur, "ALTER SYSTEM ADD BACKEND '10.0.0.99:9050'")
        assert code == 5203
        assert text.startswith("Access denied; you need (at least one of) the NODE privilege(s) on SYSTEM")
