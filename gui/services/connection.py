"""Checking a profile before it is saved: one cheap call with the settings as typed."""

from __future__ import annotations

from ..api import errors
from .profiles import SECRETS, Profile
from .session import ConsoleSession
from .words import plural


async def test_profile(
    session: ConsoleSession, profile: Profile, secrets: dict[str, str], stored_as: Profile | None = None
) -> str:
    """Connect with ``profile`` and the secrets typed in the form (empty: the stored ones of
    ``stored_as``); returns what was found, raises the client's error otherwise. Nothing is saved:
    the check runs on a session of its own, closed (and its secrets forgotten) afterwards."""
    temp = ConsoleSession(session.profiles, session.credentials, session.journal)
    filled: dict[str, str] = {}
    for key in SECRETS[profile.kind]:
        value = secrets.get(key) or ""
        if not value and stored_as is not None:
            value = await session.credentials.aget(stored_as.secret_key(key)) or ""
        filled[key] = value
    probe = Profile.from_json({**profile.to_json(), "name": f"{profile.name} (test)"})
    temp.add_ephemeral(probe, filled)
    try:
        if probe.kind == "starrocks":
            starrocks = await temp.starrocks(probe)
            health = await starrocks.health()
            rows = await starrocks.query("show databases")
            port = await _query_port(probe, filled["password"])
            return (
                f"connected: {health.get('online_backend_num', '?')}/{health.get('total_backend_num', '?')} "
                f"backends alive, {plural(len(rows), 'database')}; {port}"
            )
        if probe.kind == "ailake":
            instances = await (await temp.ailake(probe)).list_database_instances().collect()
            return f"connected: {plural(len(instances), 'database instance')}"
        huawei = await temp.huawei(probe)
        page = await huawei.list_taurus_instances(limit=1)
        project = await huawei.project_id()
        return f"connected to project {project}: {plural(page.total_count, 'TaurusDB instance')}"
    finally:
        await temp.aclose()
        for key in filled:
            temp.credentials.forget(probe.secret_key(key))


async def _query_port(profile: Profile, password: str) -> str:
    """Whether the FE's query port answers, and what needs it when it does not."""
    from .sql.runner import channel_for

    channel = channel_for(profile, password)
    try:
        await channel.connect()
    except errors.ConnectionFailed as e:
        return (
            f"query port {profile.query_port} not reachable ({e.message}): the SQL console, DDL, DML and "
            "administration need it; SELECT, SHOW, EXPLAIN and DESC run over HTTP"
        )
    finally:
        await channel.aclose()
    return f"query port {profile.query_port}: connection {channel.connection_id}"
