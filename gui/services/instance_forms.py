"""The create form of a StarRocks instance, checked field by field against the create page's limits
and the API's catalogue (versions, flavors, storage types per availability zone), with the root
password's rules as the page states them. Pure functions: no I/O, no Qt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ..api.huawei import (
    HtapDatastore,
    HtapFlavor,
    HtapStorageType,
    ResourceCheckRequest,
    StarRocksCreateRequest,
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
)

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
