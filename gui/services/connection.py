"""Checking a profile before it is saved: one cheap call with the settings as typed."""

from __future__ import annotations

from ..api.ailake import AILakeClient
from ..api.huawei import HuaweiCloudClient
from ..api.starrocks import StarRocksClient
from .profiles import SECRETS, Profile
from .session import ConsoleSession
from .words import plural


async def test_profile(
    session: ConsoleSession, profile: Profile, secrets: dict[str, str], stored_as: Profile | None = None
) -> str:
    """Connect with ``profile`` and the secrets typed in the form (empty: the stored ones of
    ``stored_as``); returns what was found, raises the client's error otherwise."""
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
        client = await temp.client(probe)
        if isinstance(client, StarRocksClient):
            health = await client.health()
            rows = await client.query("show databases")
            return (
                f"connected: {health.get('online_backend_num', '?')}/{health.get('total_backend_num', '?')} "
                f"backends alive, {plural(len(rows), 'database')}"
            )
        if isinstance(client, AILakeClient):
            instances = await client.list_database_instances().collect()
            return f"connected: {len(instances)} database instances"
        assert isinstance(client, HuaweiCloudClient)
        page = await client.list_taurus_instances(limit=1)
        return f"connected to project {await client.project_id()}: {page.total_count} TaurusDB instances"
    finally:
        await temp.aclose()
        for key in filled:
            temp.credentials.forget(probe.secret_key(key))
