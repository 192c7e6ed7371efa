"""Test connection of the profile dialog, on its own (no Qt), against a sandbox: each kind of profile
says what it found; a secret left blank is the one stored for the profile being edited, a secret
typed wins over it; nothing of the check is left in the session afterwards."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import SandboxProcess

from gui.api import errors
from gui.services import connection
from gui.services.credentials import Credentials
from gui.services.profiles import Profile, ProfileStore
from gui.services.session import ConsoleSession, sandbox_profiles
from gui.services.words import plural


def kinds(sp: SandboxProcess) -> dict[str, tuple[Profile, dict[str, str]]]:
    return {p.kind: (p, secrets) for p, secrets in sandbox_profiles(sp.info)}


@pytest.mark.asyncio
async def test_each_kind_says_what_it_found(
    tmp_path: Path, sandbox: SandboxProcess, secret_service: Any
) -> None:
    session = ConsoleSession(ProfileStore(tmp_path / "profiles.json"), Credentials())
    found = kinds(sandbox)
    starrocks = await connection.test_profile(session, *found["starrocks"])
    assert starrocks.startswith("connected: 1/1 backends alive, ") and " database" in starrocks
    lake = await connection.test_profile(session, *found["ailake"])
    count = re.fullmatch(r"connected: (\d+) database instances?", lake)
    assert count is not None and lake == f"connected: {plural(int(count[1]), 'database instance')}"
    huawei = await connection.test_profile(session, *found["huawei"])
    project = sandbox.info["huawei"]["project_id"]
    assert huawei == f"connected to project {project}: 2 TaurusDB instances"
    # The check ran on a session of its own: nothing of it stays in this one.
    assert session.all_profiles() == []
    for profile, secrets in found.values():
        probe = Profile.from_json({**profile.to_json(), "name": f"{profile.name} (test)"})
        assert all(session.credentials.get(probe.secret_key(key)) is None for key in secrets)


@pytest.mark.asyncio
async def test_a_blank_secret_is_the_stored_one_and_a_typed_one_wins(
    tmp_path: Path, sandbox: SandboxProcess, secret_service: Any
) -> None:
    session = ConsoleSession(ProfileStore(tmp_path / "profiles.json"), Credentials())
    lake, secrets = kinds(sandbox)["ailake"]
    saved = Profile.from_json({**lake.to_json(), "name": "lab lake", "sandbox": False})
    assert await session.save_profile(saved, secrets)
    edited = Profile.from_json({**saved.to_json(), "name": "lab lake renamed"})
    # As many database instances as the worker's shared sandbox holds by now (earlier tests add some).
    said = await connection.test_profile(session, edited, {"token": ""}, stored_as=saved)
    assert re.fullmatch(r"connected: (1 database instance|[0-9]+ database instances)", said), said
    with pytest.raises(errors.AuthError):
        await connection.test_profile(session, edited, {"token": "not-the-token"}, stored_as=saved)
    with pytest.raises(errors.AuthError):
        await connection.test_profile(session, edited, {"token": ""})  # nothing stored for a new one
    assert await session.secret(saved, "token") == secrets["token"]  # the stored one is untouched
    await session.delete_profile("lab lake")
