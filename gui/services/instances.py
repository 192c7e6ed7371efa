"""The StarRocks instances of a Huawei Cloud profile, without Qt: TaurusDB instances with their
StarRocks instances as rows, the status a row shows while a job runs on it and why Huawei Cloud
refuses a change then, and the changes themselves — create (after the resource check), restart (the
instance or one node), resize, delete — each started as a job to follow until the instance settles.

``HuaweiInstancesService(session, profile)`` is what the StarRocks instances view and its dialogs
use; the create form's checks are in ``instance_forms``. Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from ..api import errors
from ..api.huawei import (
    CreateStarRocksResult,
    HtapDatastore,
    HtapFlavor,
    HtapInstance,
    HtapStorageType,
    HuaweiCloudClient,
    Job,
    StarRocksInstance,
    TaurusInstance,
    field_errors,
)
from ..api.huawei.models import ResizeFlavorRequest, StarRocksNode
from . import follower
from .follower import Poll
from .instance_forms import CreateForm, availability, check_create, resource_check_request
from .profiles import Profile
from .session import ConsoleSession
from .tracker import HUAWEI_JOB, TrackedJob

SERVICE = "Huawei Cloud"
# The actions of the jobs this service starts (and follows again after a restart of the console).
JOB_ACTIONS = ("create", "restart", "restart-node", "resize", "delete")

# The action a running job shows on an instance, as the status word a row shows meanwhile: the
# service keeps an instance "normal" while it resizes or restarts, which would hide the job.
ACTION_STATES = {
    "create_instance": "creating",
    "resize_flavor": "resizing",
    "restart_instance": "rebooting",
    "restart_node": "rebooting",
    "delete_instance": "deleting",
}
# A running job's action, as a person says it.
ACTION_WORDS = {
    "create_instance": "the creation",
    "resize_flavor": "a resize",
    "restart_instance": "a restart",
    "restart_node": "a node restart",
    "delete_instance": "a delete",
}
MOVING_STATES = frozenset({"creating", "resizing", "rebooting", "deleting", "backing up", "restoring"})


def _time_from_ms(ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, UTC) if ms else None


def _time_from_text(text: str | None) -> datetime | None:
    """TaurusDB writes ``2026-01-02T03:04:05+0000``."""
    if not text:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def local_time(when: datetime | None) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else ""


def flavor_text(vcpus: str | int | None, ram: str | int | None) -> str:
    if not vcpus and not ram:
        return ""
    return f"{vcpus} vCPUs, {ram} GB"


@dataclass(frozen=True)
class NodeGroup:
    """The FE or BE nodes of one instance: how many, on which flavor and disks."""

    count: int | None = None
    flavor: str = ""  # "4 vCPUs, 16 GB"
    spec_code: str = ""
    flavor_id: str = ""
    volume_type: str = ""
    volume_gb: str = ""

    @property
    def summary(self) -> str:
        if self.count is None:
            return ""
        parts = [f"{self.count} × {self.flavor or '?'}"]
        if self.volume_type or self.volume_gb:
            parts.append(f"{self.volume_type} {self.volume_gb} GB".strip())
        return ", ".join(parts)


def _group(nodes: Sequence[StarRocksNode]) -> NodeGroup:
    if not nodes:
        return NodeGroup(count=0)
    first = nodes[0]
    return NodeGroup(
        count=len(nodes),
        flavor=flavor_text(first.cpu, first.mem),
        spec_code=first.flavor_ref or "",
        flavor_id=first.flavor_id or "",
        volume_type=(first.volume.type or "") if first.volume else "",
        volume_gb=(first.volume.size or "") if first.volume else "",
    )


@dataclass(frozen=True)
class StarRocksRow:
    """One StarRocks instance as the list shows it, from the HTAP list entry and (when it could be
    read) the instance's own details."""

    taurus_id: str
    taurus_name: str
    htap: HtapInstance
    detail: StarRocksInstance | None
    region: str

    @property
    def id(self) -> str:
        return self.htap.id

    @property
    def name(self) -> str:
        return self.htap.name

    @property
    def base_status(self) -> str:
        return (self.htap.status or (self.detail.status if self.detail else None) or "unknown").lower()

    @property
    def actions(self) -> list[str]:
        """The running jobs' actions (``resize_flavor``…), the instance's and its nodes'."""
        found = [a.action or "" for a in self.htap.current_actions]
        if self.detail is not None:
            found += [a.action or "" for a in self.detail.actions]
            found += [a.action or "" for n in self.detail.nodes for a in n.actions]
        return [a for a in dict.fromkeys(found) if a]

    @property
    def status(self) -> str:
        """What the row shows: the instance's status, or the running job's when one runs."""
        for action in self.actions:
            if action in ACTION_STATES:
                return ACTION_STATES[action]
        return self.base_status

    @property
    def settled(self) -> bool:
        return not self.actions and self.status not in MOVING_STATES

    @property
    def busy_reason(self) -> str:
        """Why Huawei Cloud refuses a change (restart, resize, delete) of the instance now, or "".
        The service starts no job on an instance that runs one or is not ``normal`` (it answers
        DBS.200019, "Another operation is being performed…")."""
        running = [ACTION_WORDS.get(a, a.replace("_", " ")) for a in self.actions]
        if running:
            what = " and ".join(running)
            return (
                f"{what[:1].upper()}{what[1:]} is running on {self.name}: Huawei Cloud refuses a restart, "
                "resize or delete until it has finished"
            )
        if self.base_status != "normal":
            return (
                f"{self.name} is {self.base_status}: Huawei Cloud accepts a restart, resize or delete only "
                "of an instance that is normal"
            )
        return ""

    @property
    def engine_version(self) -> str:
        version = self.htap.engine_version or (self.detail.data_store_version if self.detail else "") or ""
        return version

    @property
    def ha_mode(self) -> str:
        return self.htap.ha_mode or (self.detail.cluster_mode if self.detail else "") or ""

    @property
    def fe(self) -> NodeGroup:
        return _group(self.detail.nodes_of("fe")) if self.detail else NodeGroup()

    @property
    def be(self) -> NodeGroup:
        return _group(self.detail.nodes_of("be")) if self.detail else NodeGroup()

    @property
    def az(self) -> str:
        zones = [z.code or "" for z in self.htap.available_zones if z.code]
        if not zones and self.detail is not None:
            zones = list(dict.fromkeys(n.az_code for n in self.detail.nodes if n.az_code))
        return ", ".join(zones)

    @property
    def created(self) -> datetime | None:
        return _time_from_ms(self.htap.create_at or (self.detail.create_at if self.detail else None))

    @property
    def updated(self) -> datetime | None:
        return _time_from_ms(self.detail.update_at if self.detail else None)

    def matches(self, instance_id: str) -> bool:
        return self.id == instance_id


@dataclass(frozen=True)
class TaurusGroup:
    """A TaurusDB instance and the StarRocks instances attached to it."""

    taurus: TaurusInstance
    instances: tuple[StarRocksRow, ...] = ()
    max_instances: int | None = None

    @property
    def id(self) -> str:
        return self.taurus.id

    @property
    def name(self) -> str:
        return self.taurus.name

    @property
    def status(self) -> str:
        return (self.taurus.status or "unknown").lower()

    @property
    def created(self) -> datetime | None:
        return _time_from_text(self.taurus.created)

    @property
    def capacity(self) -> str:
        """ "1 of 5 StarRocks instances"."""
        n = len(self.instances)
        limit = f" of {self.max_instances}" if self.max_instances else ""
        return f"{n}{limit} StarRocks instance{'s' if n != 1 or limit else ''}"


async def load_group(client: HuaweiCloudClient, taurus: TaurusInstance, region: str = "") -> TaurusGroup:
    """One TaurusDB instance's StarRocks instances, each with its details read at the same time."""
    listing = await client.list_htap_instances(taurus.id)
    htaps = [h for h in listing.instances if (h.engine_name or "star-rocks") == "star-rocks"]

    async def detail(h: HtapInstance) -> StarRocksInstance | None:
        try:
            return await client.show_starrocks_instance(taurus.id, h.id)
        except errors.NotFound:
            return None  # deleted between the list and the look: the next refresh drops it

    details = await asyncio.gather(*(detail(h) for h in htaps))
    rows = []
    for h, d in zip(htaps, details, strict=True):
        node_region = next((n.region_code for n in d.nodes if n.region_code), None) if d else None
        rows.append(
            StarRocksRow(
                taurus_id=taurus.id,
                taurus_name=taurus.name,
                htap=h,
                detail=d,
                region=node_region or taurus.region or region or client.region,
            )
        )
    return TaurusGroup(
        taurus=taurus, instances=tuple(rows), max_instances=listing.max_htap_instance_num_of_taurus
    )


async def load_groups(client: HuaweiCloudClient) -> list[TaurusGroup]:
    """Every TaurusDB instance of the project with its StarRocks instances."""
    taurus = [t async for t in client.iter_taurus_instances()]
    return list(await asyncio.gather(*(load_group(client, t, client.region) for t in taurus)))


def node_status(node: StarRocksNode) -> str:
    """A node's status, or what the job running on it makes it (resizing, rebooting…)."""
    for action in node.actions:
        if action.action in ACTION_STATES:
            return ACTION_STATES[action.action]
    return node.status or ""


async def wait_settled(
    load: Callable[[], Awaitable[TaurusGroup]],
    instance_id: str,
    *,
    gone: bool = False,
    attempts: int = 60,
    interval: float = 1.0,
) -> tuple[TaurusGroup, StarRocksRow | None]:
    """Reload the instance's group until the instance has settled (or is gone, after a delete).
    A job is complete a moment before its effect shows in the instance, so one look may not do."""
    group = await load()
    for _ in range(attempts):
        row = next((r for r in group.instances if r.id == instance_id), None)
        if (row is None) if gone else (row is not None and row.settled):
            return group, row
        if row is None:
            return group, None
        await asyncio.sleep(interval)
        group = await load()
    return group, next((r for r in group.instances if r.id == instance_id), None)


def check_resize(
    row: StarRocksRow, fe: HtapFlavor | None, be: HtapFlavor | None
) -> tuple[dict[str, str | None], dict[str, str]]:
    """The flavor change (only what differs) or the reason per field (``fe``/``be``/``form``)."""
    bad: dict[str, str] = {}
    az = row.az.split(",")[0].strip()
    change: dict[str, str | None] = {"fe_flavor_id": None, "be_flavor_id": None}
    for node, flavor, current in (("fe", fe, row.fe), ("be", be, row.be)):
        if flavor is None or flavor.id == current.flavor_id:
            continue
        if az and (why := availability(flavor.az_status, az)):
            bad[node] = f"{flavor.spec_code} is {why}"
        else:
            change[f"{node}_flavor_id"] = flavor.id
    if not bad:
        try:
            ResizeFlavorRequest.model_validate(change)
        except ValidationError as e:
            bad["form"] = next(iter(field_errors(e).values()))
    return change, bad


# -- the service -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalogue:
    """What can be created for one engine version: node flavors and storage types."""

    flavors: list[HtapFlavor]
    storages: list[HtapStorageType]


@dataclass(frozen=True)
class Created:
    """An accepted create: the service's answer, the row to show until the instance is listed,
    and its job."""

    result: CreateStarRocksResult
    row: StarRocksRow
    job: TrackedJob


class HuaweiInstancesService:
    """The TaurusDB and StarRocks instances of one Huawei Cloud profile."""

    def __init__(self, session: ConsoleSession, profile: Profile) -> None:
        self.session = session
        self.profile = profile
        # The TaurusDB instances last read, by id: a group is reloaded (while a job runs on one of
        # its StarRocks instances) without listing them all again.
        self._taurus: dict[str, TaurusInstance] = {}

    async def _client(self) -> HuaweiCloudClient:
        return await self.session.huawei(self.profile)

    # -- reading ---------------------------------------------------------------------------------
    async def load(self) -> list[TaurusGroup]:
        """Every TaurusDB instance of the project with its StarRocks instances."""
        groups = await load_groups(await self._client())
        self._taurus = {g.id: g.taurus for g in groups}
        return groups

    async def reload_group(self, taurus_id: str) -> TaurusGroup | None:
        """One TaurusDB instance's StarRocks instances read again (None: it is not known here)."""
        taurus = await self._find_taurus(taurus_id)
        if taurus is None:
            return None
        return await load_group(await self._client(), taurus, self.profile.region)

    async def _find_taurus(self, taurus_id: str) -> TaurusInstance | None:
        known = self._taurus.get(taurus_id)
        if known is not None:
            return known
        page = await (await self._client()).list_taurus_instances(id=taurus_id)
        found = next((t for t in page.instances if t.id == taurus_id), None)
        if found is not None:
            self._taurus[taurus_id] = found
        return found

    # -- create ----------------------------------------------------------------------------------
    async def datastores(self) -> list[HtapDatastore]:
        """The engine versions that can be created (``NotFound`` when the region offers none)."""
        found = await (await self._client()).list_datastores()
        if not found:
            raise errors.NotFound("the service offers no StarRocks version in this region", service=SERVICE)
        return found

    async def catalogue(self, datastore: HtapDatastore | None) -> Catalogue:
        """The flavors and storage types on sale for an engine version."""
        version = (datastore.kernel_version or datastore.name) if datastore else None
        client = await self._client()
        flavors, storages = await asyncio.gather(
            client.list_flavors(version_name=version), client.list_storage_types(version or "")
        )
        return Catalogue(flavors, storages)

    async def check_resources(self, form: CreateForm) -> bool:
        """Whether the account has room (quota, addresses, flavors) for the instance described."""
        return await (await self._client()).check_resource(resource_check_request(form))

    async def create(
        self, form: CreateForm, on_checked: Callable[[bool], None] | None = None
    ) -> Created | None:
        """Check the account's room again, then create (None: the check found no room, nothing was
        created; ``on_checked`` hears the check's answer). A form with a field the service would
        refuse is not sent (``InvalidRequest`` with the reasons)."""
        request, bad = check_create(form)
        if request is None or form.taurus is None:
            reasons = "; ".join(bad.values()) or "the form is not complete"
            raise errors.InvalidRequest(reasons, service=SERVICE)
        ok = await self.check_resources(form)
        if on_checked is not None:
            on_checked(ok)
        if not ok:
            return None
        taurus = form.taurus
        result = await (await self._client()).create_starrocks_instance(taurus.id, request)
        inst = result.instance
        self._taurus.setdefault(taurus.id, taurus)
        row = StarRocksRow(
            taurus_id=taurus.id,
            taurus_name=taurus.name,
            htap=HtapInstance.model_validate(
                {
                    "id": inst.id,
                    "name": inst.name,
                    "engine_name": "star-rocks",
                    "engine_version": inst.engine.version if inst.engine else "",
                    "instance_state": {"instance_status": inst.status or "creating"},
                    "ha_mode": inst.ha_mode,
                    "available_zones": [{"code": inst.az_code}] if inst.az_code else [],
                    "create_at": int(time.time() * 1000),
                    "port": inst.port,
                }
            ),
            detail=None,
            region=inst.region or self.profile.region,
        )
        job = self._job(result.job_id, row, f"Create {inst.name}", "create", f"{inst.name} created")
        return Created(result, row, job)

    # -- changes of an instance ------------------------------------------------------------------
    @staticmethod
    def _refuse_when_busy(row: StarRocksRow) -> None:
        # Huawei Cloud would refuse it (DBS.200019): not sent, and the reason is the row's.
        if row.busy_reason:
            raise errors.Conflict(row.busy_reason, service=SERVICE)

    async def restart(self, row: StarRocksRow, node: StarRocksNode | None = None) -> TrackedJob:
        """Restart every node of the instance, or one node; the job, ready to be followed."""
        self._refuse_when_busy(row)
        client = await self._client()
        if node is None:
            job_id = await client.restart_starrocks_instance(row.id)
            return self._job(job_id, row, f"Restart {row.name}", "restart", f"{row.name} restarted")
        job_id = await client.restart_starrocks_node(row.id, node.id)
        what = f"node {node.name} of {row.name}"
        return self._job(job_id, row, f"Restart {what}", "restart-node", f"{what} restarted")

    async def flavors(self, row: StarRocksRow) -> list[HtapFlavor]:
        """The flavors the instance's engine version can be resized to."""
        return await (await self._client()).list_flavors(version_name=row.engine_version or None)

    async def resize(self, row: StarRocksRow, fe: HtapFlavor | None, be: HtapFlavor | None) -> TrackedJob:
        """Change the FE and/or BE flavor (a flavor that is the current one is left alone)."""
        self._refuse_when_busy(row)
        change, bad = check_resize(row, fe, be)
        if bad:
            raise errors.InvalidRequest("; ".join(bad.values()), service=SERVICE)
        job_id = await (await self._client()).resize_starrocks_flavor(
            row.id, fe_flavor_id=change["fe_flavor_id"], be_flavor_id=change["be_flavor_id"]
        )
        parts = [
            f"{node} → {flavor_text(f.vcpus, f.ram)}"
            for node, key, f in (("FE", "fe_flavor_id", fe), ("BE", "be_flavor_id", be))
            if f is not None and change[key] == f.id
        ]
        title = f"Resize {row.name}" + (f" ({', '.join(parts)})" if parts else "")
        return self._job(job_id, row, title, "resize", f"{row.name} resized")

    async def delete(self, row: StarRocksRow) -> TrackedJob:
        """Delete the instance and every piece of data it holds."""
        self._refuse_when_busy(row)
        job_id = await (await self._client()).delete_starrocks_instance(row.taurus_id, row.id)
        return self._job(job_id, row, f"Delete {row.name}", "delete", f"{row.name} deleted")

    # -- following the jobs ------------------------------------------------------------------------
    def _job(self, job_id: str, row: StarRocksRow, title: str, action: str, done: str) -> TrackedJob:
        return TrackedJob(
            kind=HUAWEI_JOB,
            profile=self.profile.name,
            remote_id=job_id,
            title=title,
            action=action,
            context={"taurus_id": row.taurus_id, "instance_id": row.id},
            done=done,
        )

    @staticmethod
    def owns(job: TrackedJob) -> bool:
        """Whether the job is one of this service's."""
        return job.kind == HUAWEI_JOB and job.action in JOB_ACTIONS

    def check(self, job: TrackedJob) -> Callable[[], Awaitable[Poll[Job]]]:
        """One look at the job, for the follower."""

        async def look() -> Poll[Job]:
            return await follower.huawei_job(await self._client(), job.remote_id)()

        return look

    async def settle(
        self,
        job: TrackedJob,
        on_group: Callable[[TaurusGroup], None] | None = None,
        *,
        attempts: int = 60,
        interval: float = 1.0,
    ) -> str:
        """After the job completed: read the instance's group until the instance has settled (or is
        gone, after a delete), each reading handed to ``on_group``; the job's result line, with the
        instance's status. The job is done whatever this look finds: a failure to read the
        instance is said in the line, never raised."""
        taurus_id, instance_id = job.context["taurus_id"], job.context["instance_id"]
        gone = job.action == "delete"
        try:
            taurus = await self._find_taurus(taurus_id)
            if taurus is None:
                return job.done

            async def load() -> TaurusGroup:
                group = await load_group(await self._client(), taurus, self.profile.region)
                if on_group is not None:
                    on_group(group)
                return group

            _group, row = await wait_settled(
                load, instance_id, gone=gone, attempts=attempts, interval=interval
            )
        except errors.ApiError as e:
            return f"{job.done} (the instance could not be read afterwards: {e.message})"
        if gone or row is None:
            return job.done
        return f"{job.done} ({row.status})"
