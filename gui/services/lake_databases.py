"""The database instances of an AI Lake organization, without Qt: listing them with the object
storages they read, provisioning and deprovisioning one (each an operation followed to its end), and
what a row shows while an operation this console started runs on it.

``LakeDatabasesService(session, profile)`` is what the AI Lake databases view and its dialogs use;
nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from pydantic import ValidationError

from ..api import errors
from ..api.ailake import AILakeClient, DatabaseInstance, ProvisionDatabaseInstanceRequest, field_problems
from ..api.ailake.models import ObjectStorageInfo, Operation
from . import follower
from .follower import Poll
from .profiles import Profile
from .session import ConsoleSession
from .tracker import AILAKE_OPERATION, TrackedJob, ends_the_job

SERVICE = "AI Lake"
# The operations of this service's jobs (the pipe tables' operations are another view's).
JOB_ACTIONS = ("provision", "deprovision")
_MOVING = {"provision": "provisioning", "deprovision": "deprovisioning"}


@dataclass(frozen=True)
class LakeDatabaseRow:
    """A database instance with its storages' names; ``state`` is "active", or what an operation
    this console started is doing to it."""

    name: str
    id: str = ""
    storages: tuple[str, ...] = ()
    data_sources: tuple[str, ...] = ()
    state: str = "active"
    instance: DatabaseInstance | None = None


@dataclass
class LakeSnapshot:
    rows: list[LakeDatabaseRow] = field(default_factory=list)
    storages: list[ObjectStorageInfo] = field(default_factory=list)


def lake_rows(
    instances: Sequence[DatabaseInstance],
    storages: Sequence[ObjectStorageInfo],
    moving: Mapping[str, str] | None = None,
) -> list[LakeDatabaseRow]:
    """Rows for the database instances; ``moving`` maps a name to the state of an operation this
    console follows (a database being provisioned is not listed by the service until it is done)."""
    names = {s.storage_id: s.name for s in storages}
    moving = moving or {}
    rows = [
        LakeDatabaseRow(
            name=inst.name,
            id=inst.id,
            storages=tuple(names.get(sid, sid) for sid in inst.storage_ids),
            data_sources=tuple(ds.data_source_name or ds.data_source_id for ds in inst.data_sources),
            state="deprovisioning" if moving.get(inst.name) == "deprovisioning" else "active",
            instance=inst,
        )
        for inst in instances
    ]
    listed = {r.name for r in rows}
    rows += [
        LakeDatabaseRow(name=name, state=state)
        for name, state in moving.items()
        if state == "provisioning" and name not in listed
    ]
    return rows


def check_provision(name: str, storage_ids: Sequence[str], existing: Sequence[str]) -> dict[str, str]:
    """Reasons by field (``name``/``storages``) the provision request would be refused for."""
    bad: dict[str, str] = {}
    try:
        ProvisionDatabaseInstanceRequest.model_validate({"name": name, "storageIds": list(storage_ids)})
    except ValidationError as e:
        for problem in field_problems(e):
            key = "storages" if problem.field.startswith("storageIds") else "name"
            bad.setdefault(key, problem.message)
    if "name" not in bad and name in existing:
        bad["name"] = f"a database instance named {name!r} exists"
    if "name" not in bad and name != name.strip():
        bad["name"] = "the name must not start or end with a space"
    return bad


def row_after(row: LakeDatabaseRow, succeeded: bool) -> LakeDatabaseRow | None:
    """What a row shows once the operation on it has ended, before the list is read again (None:
    it is gone). A database provisioned shows in the next listing; one whose deprovision failed is
    active again."""
    if (row.state, succeeded) in (("provisioning", False), ("deprovisioning", True)):
        return None
    if row.state == "deprovisioning":
        return replace(row, state="active")
    return row


class LakeDatabasesService:
    """The database instances of one AI Lake profile."""

    def __init__(self, session: ConsoleSession, profile: Profile) -> None:
        self.session = session
        self.profile = profile
        # Databases an operation followed here is provisioning/deprovisioning, by name: the service
        # does not list a database until it is provisioned, nor say that one is going.
        self.moving: dict[str, str] = {}

    async def _client(self) -> AILakeClient:
        return await self.session.ailake(self.profile)

    async def load(self) -> LakeSnapshot:
        """The database instances (with the operations followed here) and the object storages."""
        client = await self._client()
        instances, storages = await asyncio.gather(
            client.list_database_instances().collect(), client.list_object_storages().collect()
        )
        return LakeSnapshot(rows=lake_rows(instances, storages, self.moving), storages=storages)

    async def storages(self) -> list[ObjectStorageInfo]:
        """The organization's object storages, which a new database may be allowed to read."""
        return await (await self._client()).list_object_storages().collect()

    async def pipe_tables(self, database: str) -> list[str]:
        """The names of a database's pipe tables (what a deprovision with cascade drops)."""
        tables = await (await self._client()).list_pipe_tables(database).collect()
        return [t.table_name for t in tables]

    async def provision(
        self, name: str, storage_ids: Sequence[str], existing: Sequence[str] = ()
    ) -> TrackedJob:
        """Start provisioning a database; the operation, ready to be followed. A request the
        service would refuse is not sent (``InvalidRequest`` with the reasons)."""
        bad = check_provision(name, storage_ids, existing)
        if bad:
            raise errors.InvalidRequest("; ".join(bad.values()), service=SERVICE)
        op = await (await self._client()).provision_database_instance(name, list(storage_ids))
        return self._job(op, f"Provision database {name}", "provision", name)

    async def deprovision(self, row: LakeDatabaseRow, cascade: bool) -> TrackedJob:
        """Start deprovisioning a database (``cascade``: its tables are dropped first; without it the
        service refuses a database that has tables)."""
        client = await self._client()
        op = await client.deprovision_database_instance(row.id or row.name, cascade=cascade)
        title = f"Deprovision database {row.name}" + (" (cascade)" if cascade else "")
        return self._job(op, title, "deprovision", row.name)

    def _job(self, operation_id: str, title: str, action: str, name: str) -> TrackedJob:
        word = "provisioned" if action == "provision" else "deprovisioned"
        return TrackedJob(
            kind=AILAKE_OPERATION,
            profile=self.profile.name,
            remote_id=operation_id,
            title=title,
            action=action,
            context={"name": name},
            done=f"{name} {word}",
        )

    @staticmethod
    def owns(job: TrackedJob) -> bool:
        """Whether the job is one of this service's (a provision or deprovision)."""
        return job.kind == AILAKE_OPERATION and job.action in JOB_ACTIONS

    def check(self, job: TrackedJob) -> Callable[[], Awaitable[Poll[Operation]]]:
        """One look at the job's operation, for the follower."""

        async def look() -> Poll[Operation]:
            return await follower.ailake_operation(await self._client(), job.remote_id)()

        return look

    def started(self, job: TrackedJob) -> None:
        """The job is being followed: its database shows it until it ends."""
        self.moving[job.context["name"]] = _MOVING[job.action]

    def ended(self, job: TrackedJob, failure: errors.ApiError | None) -> bool | None:
        """Following the job stopped (``failure`` None: it succeeded). Whether the operation
        succeeded: None when that is not known (the following was cut short, the operation goes
        on) and only the next listing can say."""
        name = job.context["name"]
        if self.moving.get(name) == _MOVING[job.action]:
            del self.moving[name]
        if failure is None:
            return True
        return False if ends_the_job(failure) else None
