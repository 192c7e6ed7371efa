"""What the Instances view knows without Qt: TaurusDB instances with their StarRocks instances as
rows, the status a row shows while a job runs on it, following a job until the instance settles,
the create form checked field by field against the create page's limits and the API's catalogue,
and AI Lake database instances with the object storages they read.

The view turns these into table rows and dialogs; nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ..api import errors
from ..api.ailake import (
    AILakeClient,
    DatabaseInstance,
    ObjectStorageInfo,
    ProvisionDatabaseInstanceRequest,
    field_problems,
)
from ..api.huawei import (
    HtapDatastore,
    HtapFlavor,
    HtapInstance,
    HtapStorageType,
    HuaweiCloudClient,
    Job,
    ResourceCheckRequest,
    StarRocksCreateRequest,
    StarRocksInstance,
    TaurusInstance,
    field_errors,
)
from ..api.huawei.models import (
    BE_VOLUME_MAX,
    BE_VOLUME_MIN,
    CLUSTER_NODES_MAX,
    CLUSTER_NODES_MIN,
    FE_VOLUME_MAX,
    FE_VOLUME_MIN,
    PASSWORD_MAX,
    PASSWORD_MIN,
    ROOT_PASSWORD_SPECIALS,
    VOLUME_STEP,
    ResizeFlavorRequest,
    StarRocksNode,
)

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


def job_detail(job: Job) -> str:
    return " ".join(p for p in (job.status, job.process or "") if p)


def job_progress(job: Job) -> float | None:
    if job.status == "Completed":
        return 1.0
    percent = job.percent
    return None if percent is None else percent / 100


async def follow_job(
    client: HuaweiCloudClient,
    job_id: str,
    on_progress: Callable[[Job], Awaitable[None] | None],
    *,
    timeout: float = 7200.0,
) -> Job:
    """Follow a job to its end. Polls once a second at first (jobs that take seconds are seen
    finishing), slowing down to every 15 s for the long ones (an instance takes minutes to create)."""
    return await client.wait_for(
        job_id, timeout=timeout, poll_interval=1.0, max_interval=15.0, backoff=1.3, on_progress=on_progress
    )


async def settle(
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


# -- the create form -------------------------------------------------------------------------------


PASSWORD_KINDS = ("upper-case letters", "lower-case letters", "digits", "special characters")


def password_rules(password: str) -> list[tuple[str, bool]]:
    """The root password rules of the create page, each with whether ``password`` meets it."""
    kinds = (
        any(c.isascii() and c.isupper() for c in password),
        any(c.isascii() and c.islower() for c in password),
        any(c.isdigit() for c in password),
        any(c in ROOT_PASSWORD_SPECIALS for c in password),
    )
    only_allowed = all((c.isascii() and c.isalnum()) or c in ROOT_PASSWORD_SPECIALS for c in password)
    have = ", ".join(k for k, ok in zip(PASSWORD_KINDS, kinds, strict=True) if ok) or "none yet"
    return [
        (f"{PASSWORD_MIN} to {PASSWORD_MAX} characters", PASSWORD_MIN <= len(password) <= PASSWORD_MAX),
        (
            f"only letters, digits and {ROOT_PASSWORD_SPECIALS}",
            bool(password) and only_allowed,
        ),
        (f"at least three kinds of: upper-case, lower-case, digits, specials (has: {have})", sum(kinds) >= 3),
    ]


@dataclass
class CreateForm:
    """What the create wizard's fields hold (None: nothing picked)."""

    taurus: TaurusInstance | None = None
    name: str = ""
    datastore: HtapDatastore | None = None
    mode: str = "Single"
    az: str = ""
    time_zone: str = "UTC+08:00"
    fe_flavor: HtapFlavor | None = None
    be_flavor: HtapFlavor | None = None
    fe_count: int = 1
    be_count: int = 1
    fe_storage: HtapStorageType | None = None
    be_storage: HtapStorageType | None = None
    fe_gb: int = 50
    be_gb: int = 100
    password: str = ""
    confirm: str = ""
    existing_in_taurus: int = 0
    max_in_taurus: int | None = None

    def to_request(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "engine": {"type": "star-rocks", "version": self.datastore.name if self.datastore else ""},
            "ha": {"mode": self.mode},
            "fe_flavor_id": self.fe_flavor.id if self.fe_flavor else "",
            "be_flavor_id": self.be_flavor.id if self.be_flavor else "",
            "db_root_pwd": self.password,
            "fe_count": self.fe_count,
            "be_count": self.be_count,
            "az_mode": "single",
            "fe_volume": {
                "io_type": self.fe_storage.name if self.fe_storage else "",
                "capacity_in_gb": self.fe_gb,
            },
            "be_volume": {
                "io_type": self.be_storage.name if self.be_storage else "",
                "capacity_in_gb": self.be_gb,
            },
            "az_code": self.az,
            "time_zone": self.time_zone,
        }


# Where each of the request model's reasons is shown in the form.
_FIELD_OF = {
    "name": "name",
    "engine": "version",
    "engine.version": "version",
    "engine.type": "version",
    "ha": "mode",
    "ha.mode": "mode",
    "fe_flavor_id": "fe_flavor",
    "be_flavor_id": "be_flavor",
    "db_root_pwd": "password",
    "fe_count": "fe_count",
    "be_count": "be_count",
    "az_mode": "az",
    "az_code": "az",
    "fe_volume.io_type": "fe_storage",
    "fe_volume.capacity_in_gb": "fe_gb",
    "be_volume.io_type": "be_storage",
    "be_volume.capacity_in_gb": "be_gb",
    "time_zone": "time_zone",
}

_AZ_WORDS = {"sellout": "sold out", "unsupported": "not offered"}


def availability(az_status: Mapping[str, str], az: str) -> str | None:
    """None when on sale in the AZ, else why not ("sold out in cn-north-4c")."""
    state = az_status.get(az)
    if state == "normal":
        return None
    return f"{_AZ_WORDS.get(state or '', state or 'not offered')} in {az}"


def count_hint(mode: str) -> str:
    if mode == "Single":
        return "a Single instance has 1 node of each kind"
    return f"a Cluster has {CLUSTER_NODES_MIN} to {CLUSTER_NODES_MAX} nodes of each kind"


def volume_hint(node: str, storage: HtapStorageType | None = None) -> str:
    low, high = (FE_VOLUME_MIN, FE_VOLUME_MAX) if node == "fe" else (BE_VOLUME_MIN, BE_VOLUME_MAX)
    if storage is not None and storage.min_volume_size:
        low = max(low, storage.min_volume_size)
    return f"{low} to {high} GB in steps of {VOLUME_STEP} GB"


def check_create(form: CreateForm) -> tuple[StarRocksCreateRequest | None, dict[str, str]]:
    """The request the form describes, or the reason each field is refused (by form field)."""
    bad: dict[str, str] = {}
    request: StarRocksCreateRequest | None = None
    try:
        request = StarRocksCreateRequest.model_validate(form.to_request())
    except ValidationError as e:
        for where, reason in field_errors(e).items():
            bad.setdefault(_FIELD_OF.get(where, "form"), reason)
    if form.taurus is None:
        bad["taurus"] = "choose the TaurusDB instance the StarRocks instance is attached to"
    elif form.max_in_taurus is not None and form.existing_in_taurus >= form.max_in_taurus:
        bad["taurus"] = (
            f"{form.taurus.name} already holds {form.existing_in_taurus} StarRocks instances, "
            f"the most it can hold"
        )
    if form.datastore is None:
        bad["version"] = "choose an engine version (from the service's list)"
    if not form.az:
        bad["az"] = "choose an availability zone"
    for node, flavor in (("fe", form.fe_flavor), ("be", form.be_flavor)):
        key = f"{node}_flavor"
        if flavor is None:
            bad[key] = f"choose a {node.upper()} flavor (from the service's list)"
            continue
        if flavor.node_type and flavor.node_type != node:
            bad[key] = f"{flavor.spec_code} is a {flavor.node_type.upper()} flavor"
        elif flavor.instance_mode and flavor.instance_mode != form.mode:
            bad[key] = f"{flavor.spec_code} is for {flavor.instance_mode} instances"
        elif form.az and (why := availability(flavor.az_status, form.az)):
            bad[key] = f"{flavor.spec_code} is {why}; choose another flavor or AZ"
    for node, storage, size in (
        ("fe", form.fe_storage, form.fe_gb),
        ("be", form.be_storage, form.be_gb),
    ):
        if storage is None:
            bad[f"{node}_storage"] = "choose a storage type (from the service's list)"
            continue
        if form.az and (why := availability(storage.az_status, form.az)):
            bad[f"{node}_storage"] = f"{storage.name} is {why}"
        if storage.min_volume_size and size < storage.min_volume_size and f"{node}_gb" not in bad:
            bad[f"{node}_gb"] = f"{storage.name} volumes are at least {storage.min_volume_size} GB"
    if form.password and "password" not in bad and form.confirm != form.password:
        bad["confirm"] = "the two passwords differ"
    if bad:
        return None, bad
    return request, {}


def resource_check_request(form: CreateForm) -> ResourceCheckRequest:
    """The resource check for the instance the form describes (flavors by spec code)."""
    assert form.fe_flavor is not None and form.be_flavor is not None and form.taurus is not None
    return ResourceCheckRequest.model_validate(
        {
            "resource": {
                "mode": form.mode,
                "fe_node_num": form.fe_count,
                "be_node_num": form.be_count,
                "fe_flavor_ref": form.fe_flavor.spec_code or "",
                "be_flavor_ref": form.be_flavor.spec_code or "",
                "availability_zone": form.az or None,
                "subnet_id": form.taurus.subnet_id or "",
            }
        }
    )


def flavors_for(flavors: Sequence[HtapFlavor], node: str, mode: str) -> list[HtapFlavor]:
    """The flavors of one node kind for one deployment mode, smallest first."""

    def size(f: HtapFlavor) -> tuple[float, float, str]:
        try:
            return float(f.vcpus or 0), float(f.ram or 0), f.spec_code or ""
        except ValueError:
            return 0.0, 0.0, f.spec_code or ""

    return sorted(
        (f for f in flavors if f.node_type == node and (not f.instance_mode or f.instance_mode == mode)),
        key=size,
    )


def zones_of(flavors: Sequence[HtapFlavor], storages: Sequence[HtapStorageType]) -> list[str]:
    found = {az for f in flavors for az in f.az_status} | {az for s in storages for az in s.az_status}
    return sorted(found)


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


# -- AI Lake database instances --------------------------------------------------------------------


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


async def load_lake(client: AILakeClient, moving: Mapping[str, str] | None = None) -> LakeSnapshot:
    instances, storages = await asyncio.gather(
        client.list_database_instances().collect(), client.list_object_storages().collect()
    )
    return LakeSnapshot(rows=lake_rows(instances, storages, moving), storages=storages)


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
