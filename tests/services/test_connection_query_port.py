"""Test connection of a cluster profile says whether the FE's query port answers, and what needs it
when it does not (the HTTP side still works then)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from conftest import SandboxProcess

from gui.services import connection
from gui.services.credentials import Credentials
from gui.services.profiles import Profile, ProfileStore
from gui.services.session import ConsoleSession, sandbox_profiles


def cluster(sp: SandboxProcess) -> tuple[Profile, dict[str, str]]:
    return next((p, s) for p, s in sandbox_profiles(sp.info) if p.kind == "starrocks")


@pytest.mark.asyncio
async def test_the_query_port_is_checked_too(
    tmp_path: Path, sandbox: SandboxProcess, secret_service: Any
) -> None:
    session = ConsoleSession(ProfileStore(tmp_path / "profiles.json"), Credentials())
    profile, secrets = cluster(sandbox)
    found = await connection.test_profile(session, profile, secrets)
    assert found.startswith("connected: 1/1 backends alive, ")
    assert f"; query port {sandbox.query_port}: connection " in found

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = int(s.getsockname()[1])
    elsewhere = Profile.from_json({**profile.to_json(), "query_port": closed})
    found = await connection.test_profile(session, elsewhere, secrets)
    assert found.startswith("connected: 1/1 backends alive, ")  # HTTP still works
    assert f"query port {closed} not reachable" in found and "the SQL console, DDL, DML" in found
