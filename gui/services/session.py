"""The console's application state without Qt: profiles, their secrets, and a client per profile.

Views ask this for a ready client of a profile; the client is built once with the profile's TLS
settings and the secret read from the keyring (or the session store when there is no keyring), and
closed when the profile changes or the console quits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from ..api import errors
from ..api.ailake import AILakeClient
from ..api.base import ServiceClient
from ..api.huawei import AkSkCredentials, HuaweiCloudClient, PasswordCredentials
from ..api.starrocks import StarRocksClient
from ..api.transport import TransportConfig
from .credentials import Credentials
from .journal import Journal
from .profiles import Profile, ProfileStore
from .tasks import stop
from .tracker import JobTracker, TrackedJob, ends_the_job

log = logging.getLogger("starrocks_console.session")
_BUILDER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="client-builder")
# The tracked-jobs file is fsynced: written off the event loop's thread, one change at a time.
_JOBS_WRITER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobs")


class MissingSecret(errors.AuthError):
    """The profile's secret is neither in the keyring nor entered this session."""


class ConsoleSession:
    def __init__(
        self,
        profiles: ProfileStore | None = None,
        credentials: Credentials | None = None,
        journal: Journal | None = None,
        jobs: JobTracker | None = None,
    ) -> None:
        self.profiles = profiles or ProfileStore()
        self.credentials = credentials or Credentials()
        self.journal = journal or Journal()
        self.jobs = jobs or JobTracker()
        self._clients: dict[str, tuple[Profile, ServiceClient]] = {}
        # Clients of a profile that changed: closed once the calls still running on them are done.
        self._retired: set[ServiceClient] = set()
        self._ephemeral: dict[str, Profile] = {}
        self._lock = asyncio.Lock()
        self._closers: set[asyncio.Task[None]] = set()

    # -- profiles --------------------------------------------------------------------------------
    def all_profiles(self) -> list[Profile]:
        """Saved profiles, then the session's own (the sandbox's), in the order they were added."""
        return [*self.profiles, *self._ephemeral.values()]

    def profile(self, name: str) -> Profile | None:
        return self._ephemeral.get(name) or self.profiles.get(name)

    def add_ephemeral(self, profile: Profile, secrets: dict[str, str]) -> None:
        """A profile for this session only (never written to the settings file); its secrets are
        held in memory by the credentials store's session fallback."""
        self._ephemeral[profile.name] = profile
        for key, value in secrets.items():
            self.credentials.remember(profile.secret_key(key), value)

    async def save_profile(
        self,
        profile: Profile,
        secrets: dict[str, str],
        old_name: str | None = None,
        to_keyring: bool = True,
    ) -> bool:
        """Save a profile and store its secrets (empty values keep what is stored). Returns whether
        the secrets went to the OS keyring (False: kept for this session only, as when
        ``to_keyring`` says the keyring cannot take them)."""
        if old_name and old_name != profile.name:
            old = self.profile(old_name)
            if old is not None:
                # Secrets left blank in a renamed profile are the ones stored under its old name.
                secrets = dict(secrets)
                for key, value in secrets.items():
                    if not value:
                        secrets[key] = await self.credentials.aget(old.secret_key(key)) or ""
            await self._move_jobs(old_name, profile.name)
        self.profiles.put(profile)
        persistent = True
        for key, value in secrets.items():
            if not value:
                continue
            if to_keyring:
                persistent = await self.credentials.aset(profile.secret_key(key), value) and persistent
            else:
                self.credentials.remember(profile.secret_key(key), value)
                persistent = False
        if old_name and old_name != profile.name:
            # The old name goes once the new one holds the secrets: work of the old name still under
            # way (a view's refresh) finds its secrets until the views are told of the rename.
            await self.delete_profile(old_name)
        await self.drop_client(profile.name)
        return persistent

    async def delete_profile(self, name: str) -> None:
        profile = self.profile(name)
        # The name goes first, its secrets after: work under way that finds the name still finds
        # its secrets, and work that fails for want of them finds the name gone (and so knows it
        # was stopped, not broken).
        self._ephemeral.pop(name, None)
        if self.profiles.get(name) is not None:
            self.profiles.remove(name)
        await self.drop_client(name)
        if profile is None:
            return
        for key in ("password", "sk", "token"):
            await self.credentials.adelete(profile.secret_key(key))
        await self._move_jobs(name, None)

    # -- jobs followed across restarts --------------------------------------------------------------
    def is_saved(self, name: str) -> bool:
        return name not in self._ephemeral and self.profiles.get(name) is not None

    async def remember_job(self, job: TrackedJob) -> None:
        """Keep a job being followed, so that the next console follows it on if this one stops
        first. A session-only profile's jobs end with the session."""
        if not self.is_saved(job.profile):
            return
        try:
            await asyncio.get_running_loop().run_in_executor(_JOBS_WRITER, self.jobs.add, job)
        except OSError as e:
            # The job is still followed in this console; only a later start would not know of it.
            log.warning("could not keep job %s in %s: %s", job.title, self.jobs.path, e)

    async def forget_job(self, job: TrackedJob) -> None:
        await asyncio.get_running_loop().run_in_executor(_JOBS_WRITER, self.jobs.remove, job.id)

    async def job_ended(self, job: TrackedJob, failure: BaseException | None = None) -> None:
        """Following a job stopped: forget it when its end is known (it succeeded, failed, or no
        longer exists); keep it when only the following was cut short, for the next start."""
        if failure is None or ends_the_job(failure):
            await self.forget_job(job)

    async def _move_jobs(self, old: str, new: str | None) -> None:
        await asyncio.get_running_loop().run_in_executor(_JOBS_WRITER, self.jobs.move_profile, old, new)

    async def unfinished_jobs(self) -> list[TrackedJob]:
        """Jobs an earlier console left being followed, whose profile still exists."""
        jobs = await asyncio.get_running_loop().run_in_executor(_JOBS_WRITER, self.jobs.pending)
        return [j for j in jobs if self.is_saved(j.profile)]

    # -- clients ---------------------------------------------------------------------------------
    async def client(self, profile: Profile) -> ServiceClient:
        """The profile's client, built anew when the profile's settings changed since the last one
        was built (``starrocks``, ``huawei`` and ``ailake`` give it typed)."""
        async with self._lock:
            existing = self._clients.get(profile.name)
            if existing is not None and existing[0] == profile and not existing[1].closed:
                return existing[1]
            if existing is not None:
                self._retire(existing[1])
            made = await self._make(profile)
            self._clients[profile.name] = (profile, made)
            return made

    async def starrocks(self, profile: Profile) -> StarRocksClient:
        """The StarRocks cluster profile's client."""
        client = await self.client(self._of_kind(profile, "starrocks"))
        assert isinstance(client, StarRocksClient)
        return client

    async def huawei(self, profile: Profile) -> HuaweiCloudClient:
        """The Huawei Cloud profile's client."""
        client = await self.client(self._of_kind(profile, "huawei"))
        assert isinstance(client, HuaweiCloudClient)
        return client

    async def ailake(self, profile: Profile) -> AILakeClient:
        """The AI Lake profile's client."""
        client = await self.client(self._of_kind(profile, "ailake"))
        assert isinstance(client, AILakeClient)
        return client

    @staticmethod
    def _of_kind(profile: Profile, kind: str) -> Profile:
        if profile.kind != kind:
            raise errors.InvalidRequest(
                f"profile {profile.name!r} is a {profile.kind} profile, not a {kind} one", service=kind
            )
        return profile

    async def drop_client(self, name: str) -> None:
        """Forget a profile's client; calls still running on it finish before it is closed (a
        profile saved again does not cut off a refresh in flight)."""
        existing = self._clients.pop(name, None)
        if existing is not None:
            self._retire(existing[1])

    def _retire(self, client: ServiceClient, grace: float = 120.0) -> None:
        if client.closed or client in self._retired:
            return
        self._retired.add(client)

        async def close_later() -> None:
            try:
                await asyncio.sleep(grace)
            finally:
                self._retired.discard(client)
                await client.aclose()

        task = asyncio.get_running_loop().create_task(close_later())
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    async def aclose(self) -> None:
        clients = [c for _p, c in self._clients.values()]
        self._clients.clear()
        await stop(list(self._closers))  # each closes its client at once
        for c in clients:
            await c.aclose()

    async def secret(self, profile: Profile, key: str) -> str:
        value = await self.credentials.aget(profile.secret_key(key))
        if value is None:
            raise MissingSecret(
                f"profile {profile.name!r} has no {key} stored",
                service=profile.kind,
                hint="edit the profile and enter it"
                + (
                    ""
                    if self.credentials.persistent
                    else " (no keyring here: it is kept for this session only)"
                ),
            )
        return value

    def transport(self, profile: Profile) -> TransportConfig:
        return TransportConfig(verify_tls=profile.verify_tls, ca_bundle=profile.ca_bundle or None)

    async def _build(self, factory: Callable[..., ServiceClient], *args: Any, **kwargs: Any) -> ServiceClient:
        """Run a client's constructor on this module's own worker thread. Not the loop's default
        executor: it may log the calls it runs with their arguments (qasync's does at DEBUG), and
        these arguments are secrets."""
        call = functools.partial(factory, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(_BUILDER, call)

    async def _make(self, profile: Profile) -> ServiceClient:
        cfg = self.transport(profile)
        # Building a client loads the CA store and httpx's machinery (tens of ms): done on a worker
        # thread so the window's loop never stalls on it. Secrets are read first, on the loop.
        if profile.kind == "starrocks":
            password = await self.secret(profile, "password")
            return await self._build(
                StarRocksClient,
                profile.url,
                profile.user,
                password,
                cfg,
                be_map=profile.be_map,
                allow_plain_http_be=profile.allow_plain_http_be,
            )
        if profile.kind == "ailake":
            token = await self.secret(profile, "token")
            return await self._build(AILakeClient, profile.url, token, cfg)
        if profile.auth_method == "aksk":
            creds: PasswordCredentials | AkSkCredentials = AkSkCredentials(
                ak=profile.ak, sk=SecretStr(await self.secret(profile, "sk"))
            )
        else:
            creds = PasswordCredentials(
                user=profile.user,
                password=SecretStr(await self.secret(profile, "password")),
                domain=profile.domain,
            )
        return await self._build(
            lambda: HuaweiCloudClient(
                region=profile.region,
                credentials=creds,
                project_id=profile.project_id or None,
                endpoint=profile.url or None,
                iam_endpoint=profile.iam_url or profile.url or None,
                config=cfg,
            )
        )


def sandbox_profiles(info: dict[str, Any]) -> list[tuple[Profile, dict[str, str]]]:
    """Ready profiles for a sandbox from the JSON line it printed, with their secrets."""
    url = str(info["url"])
    hw = info["huawei"]
    return [
        (
            Profile(
                name="Sandbox StarRocks",
                kind="starrocks",
                url=url,
                user=info["fe_user"],
                query_port=int(info.get("query_port", 9030)),
                # A sandbox offering TLS on its query port is reached over it, verified with its own
                # certificate.
                query_tls=bool(info.get("query_tls")),
                ca_bundle=str(info.get("query_tls_cert") or ""),
                sandbox=True,
            ),
            {"password": info["fe_password"]},
        ),
        (
            Profile(
                name="Sandbox Huawei Cloud",
                kind="huawei",
                url=url,
                iam_url=url,
                region=hw["region"],
                project_id=hw["project_id"],
                user=hw["iam_user"],
                domain=hw["iam_domain"],
                auth_method="password",
                ak=hw["ak"],
                sandbox=True,
            ),
            {"password": hw["iam_password"], "sk": hw["sk"]},
        ),
        (
            Profile(name="Sandbox AI Lake", kind="ailake", url=url, sandbox=True),
            {"token": info["ailake"]["token"]},
        ),
    ]
