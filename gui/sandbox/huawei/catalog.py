"""What the emulated region sells and what already exists in it: StarRocks flavors, storage types and
versions, the TaurusDB instances of the project, and one StarRocks instance attached to the first of
them so a console has something to show.

The first TaurusDB instance and the two Single-node flavors carry the ids used in Huawei's own
"Creating a StarRocks Instance" example, so that example request works against the sandbox as
printed (with the sandbox's project id, AZ and credentials).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

ENGINE = "star-rocks"
KERNEL_VERSION = "3.1.6.0"
MAJOR_VERSION = "3.1"
DATASTORE_ID = "e0a4b8a8-6d3b-3c1a-9c4e-3f1d2a6b7c80"
# A TaurusDB instance holds at most this many HTAP instances.
MAX_HTAP_PER_TAURUS = 5
SYS_TAG_KEY = "_sys_enterprise_project_id"
SYS_TAG_VALUE = "0"

SEED_TAURUS_ID = "40dc4c5729f14aad893e2dcd5baf6a15in07"
SEED_REPORTING_TAURUS_ID = "7c3e1b9a0d2f4e6a8b5c1d3e5f7a9b2cin07"
SEED_STARROCKS_ID = "5a0c7e1f2b3d4c5e8f9a0b1c2d3e4f50in17"
SEED_VPC_ID = "d5a1a29b-1476-490f-9682-c1a59593e7b0"
SEED_SUBNET_ID = "2ce0bc80-bfc5-4d5e-9b78-a7f91572e03b"
SEED_SECURITY_GROUP_ID = "967a0ac2-3cae-4e57-a49a-d0f6ff07dcc1"


def azs(region: str) -> list[str]:
    return [f"{region}a", f"{region}b", f"{region}c"]


def az_description(code: str) -> str:
    return f"AZ{'abc'.index(code[-1]) + 1}" if code and code[-1] in "abc" else code


@dataclass(frozen=True)
class Flavor:
    id: str
    spec_code: str
    node: str  # "fe" or "be"
    vcpus: int
    ram: int
    mode: str  # "Single" or "Cluster"
    arch: str = "x86"
    # AZ suffix -> status; AZs not named are "normal".
    az_overrides: tuple[tuple[str, str], ...] = ()

    def az_status(self, region: str) -> dict[str, str]:
        status = {az: "normal" for az in azs(region)}
        for suffix, value in self.az_overrides:
            status[f"{region}{suffix}"] = value
        return status

    def to_api(self, region: str) -> dict[str, Any]:
        return {
            "type": self.arch,
            "vcpus": str(self.vcpus),
            "ram": str(self.ram),
            "id": self.id,
            "spec_code": self.spec_code,
            "version_name": KERNEL_VERSION,
            "instance_mode": self.mode,
            "az_status": self.az_status(region),
        }

    @property
    def iaas_flavor(self) -> str:
        size = {4: "xlarge", 8: "2xlarge", 16: "4xlarge", 32: "8xlarge"}[self.vcpus]
        family = "kc1" if self.arch == "arm" else "c7"
        return f"{family}.{size}.{self.ram // self.vcpus}"


def _fid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox/taurusdb/flavor/{name}"))


def _flavor(node: str, size: str, vcpus: int, ram: int, mode: str, arch: str = "x86", **kw: Any) -> Flavor:
    spec = f"gaussdb.sr-{node}.{size}.{arch}.{ram // vcpus}"
    return Flavor(_fid(f"{mode}/{spec}"), spec, node, vcpus, ram, mode, arch, **kw)


FLAVORS: list[Flavor] = [
    # Single-node flavors; the first two ids are the ones in Huawei's create example.
    Flavor("afef3bfd-ac7c-32e1-ba44-c388acbb196a", "gaussdb.sr-fe.xlarge.x86.4", "fe", 4, 16, "Single"),
    Flavor("de565db8-0a96-37ea-9388-61167624712c", "gaussdb.sr-be.xlarge.x86.4", "be", 4, 16, "Single"),
    _flavor("be", "2xlarge", 8, 32, "Single"),
    # Cluster flavors.
    _flavor("fe", "xlarge", 4, 16, "Cluster"),
    _flavor("fe", "2xlarge", 8, 32, "Cluster"),
    _flavor("be", "xlarge", 4, 16, "Cluster"),
    _flavor("be", "2xlarge", 8, 32, "Cluster"),
    _flavor("be", "4xlarge", 16, 64, "Cluster", az_overrides=(("c", "sellout"),)),
    _flavor("be", "2xlarge", 8, 64, "Cluster", az_overrides=(("b", "unsupported"),)),
    _flavor("be", "2xlarge", 8, 32, "Cluster", arch="arm", az_overrides=(("a", "unsupported"),)),
]

FLAVORS_BY_ID = {f.id: f for f in FLAVORS}
FLAVORS_BY_SPEC = {(f.spec_code, f.mode): f for f in FLAVORS}


@dataclass(frozen=True)
class StorageType:
    name: str
    min_volume_size: int
    az_overrides: tuple[tuple[str, str], ...] = ()

    def az_status(self, region: str) -> dict[str, str]:
        status = {az: "normal" for az in azs(region)}
        for suffix, value in self.az_overrides:
            status[f"{region}{suffix}"] = value
        return status

    def to_api(self, region: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "az_status": self.az_status(region),
            "min_volume_size": self.min_volume_size,
        }


# TaurusDB's HTAP volumes: "SSD" (ultra-high I/O) and "ESSD" (extreme SSD).
STORAGE_TYPES = [StorageType("SSD", 50), StorageType("ESSD", 50, az_overrides=(("c", "unsupported"),))]
STORAGE_BY_NAME = {s.name: s for s in STORAGE_TYPES}

DATASTORES = [{"id": DATASTORE_ID, "name": MAJOR_VERSION, "kernel_version": KERNEL_VERSION}]
VERSION_NAMES = {MAJOR_VERSION, KERNEL_VERSION}

FE_VOLUME_RANGE = (50, 1000)
BE_VOLUME_RANGE = (50, 32000)


def taurus_instances(region: str, created: str) -> list[dict[str, Any]]:
    """The project's TaurusDB (GaussDB for MySQL) instances, in the list API's shape."""

    def one(
        id: str, name: str, ip: str, vpc: str, subnet: str, sg: str, tags: list[dict[str, str]]
    ) -> dict[str, Any]:
        return {
            "id": id,
            "name": name,
            "status": "ACTIVE",
            "private_ips": [ip],
            "proxy_ips": [],
            "readonly_private_ips": [ip[: ip.rfind(".") + 1] + str(int(ip.rsplit(".", 1)[1]) + 1)],
            "public_ips": [],
            "port": "3306",
            "type": "Cluster",
            "region": region,
            "datastore": {"type": "gaussdb-mysql", "version": "8.0", "kernel_version": "2.0.57.240900"},
            "created": created,
            "updated": created,
            "db_user_name": "root",
            "vpc_id": vpc,
            "subnet_id": subnet,
            "security_group_id": sg,
            "flavor_ref": "gaussdb.mysql.xlarge.x86.4",
            "flavor_info": {"vcpus": "4", "ram": "16"},
            "volume": {"type": "DL6", "size": "12"},
            "backup_strategy": {"start_time": "19:00-20:00", "keep_days": "7"},
            "enterprise_project_id": "0",
            "time_zone": "UTC+08:00",
            "charge_info": {"charge_mode": "postPaid"},
            "tags": tags,
        }

    return [
        one(
            SEED_TAURUS_ID,
            "taurus-sandbox",
            "192.168.0.12",
            SEED_VPC_ID,
            SEED_SUBNET_ID,
            SEED_SECURITY_GROUP_ID,
            [{"key": "env", "value": "sandbox"}],
        ),
        one(
            SEED_REPORTING_TAURUS_ID,
            "taurus-reporting",
            "10.10.0.21",
            "4b2a7c61-0f3e-4d8a-9b1c-6e5d4c3b2a10",
            "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
            "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
            [{"key": "env", "value": "reporting"}],
        ),
    ]
