"""TaurusDB instances and their StarRocks (HTAP standard edition) instances: the operations of
``huaweicloudsdkgaussdb`` that a console needs, with the limits of Huawei's "Creating a StarRocks
Instance" page.

All handlers are synchronous and run in a worker thread under the store's lock, so a check and the
write that follows it (e.g. "no other job runs on this instance", then "start a restart job") are
atomic.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from .. import passwords
from . import catalog, errors, jobs
from .call import Call
from .errors import ApiError

if TYPE_CHECKING:
    from ..app import Sandbox

TAURUS_KIND = "hw_taurus"
SR_KIND = "hw_sr"
META_KIND = "hw_meta"

Result = tuple[int, Any]

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{3,63}$")
_TIME_ZONE_RE = re.compile(r"^UTC[+-](0\d|1[0-4]):(00|30|45)$")
_USER_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}[a-z0-9]$")
ROOT_SPECIALS = set("~!@#$%^*-_=+?,()&|.")
USER_SPECIALS = set("~!@#%^*-_=+?,")


def _classes(password: str, specials: set[str]) -> int | None:
    """How many character classes a password uses, or None if it has a character not allowed."""
    found = set()
    for ch in password:
        if "A" <= ch <= "Z":
            found.add("upper")
        elif "a" <= ch <= "z":
            found.add("lower")
        elif "0" <= ch <= "9":
            found.add("digit")
        elif ch in specials:
            found.add("special")
        else:
            return None
    return len(found)


def valid_root_password(password: str) -> bool:
    if not 8 <= len(password) <= 32:
        return False
    n = _classes(password, ROOT_SPECIALS)
    return n is not None and n >= 3


def valid_user_password(user: str, password: str) -> bool:
    if not 8 <= len(password) <= 32 or password in (user, user[::-1]):
        return False
    n = _classes(password, USER_SPECIALS)
    return n is not None and n >= 3


def _get(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str = "") -> Any:
    """A required field of a given JSON type (an int is never a bool here)."""
    name = f"{where}{key}"
    if key not in obj or obj[key] is None:
        raise errors.param(f"{name} is required")
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise errors.param(f"{name} has the wrong type")
    if not isinstance(value, kinds):
        raise errors.param(f"{name} has the wrong type")
    return value


def _opt(obj: dict[str, Any], key: str, kind: type, where: str = "") -> Any:
    if obj.get(key) is None:
        return None
    return _get(obj, key, kind, where)


def _int_query(call: Call, name: str, default: int | None, low: int, high: int | None) -> int | None:
    raw = call.q(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as e:
        raise errors.param(f"{name} must be a number") from e
    if value < low or (high is not None and value > high):
        raise errors.param(f"{name} is out of range")
    return value


class Taurus:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.store = sb.store

    @property
    def region(self) -> str:
        return self.sb.config.huawei.region

    # -- seed ----------------------------------------------------------------------------------
    def seed(self) -> None:
        """Create the seeded instances once; a restart on the same data folder keeps what is there,
        including a seeded instance the user deleted."""
        with self.store.lock:
            if self.store.get(META_KIND, "seed") is not None:
                self._hash_stored_passwords()
                return
            now = self.sb.clock.now()
            for t in catalog.taurus_instances(self.region, jobs.job_time(now - 86400 * 30)):
                self.store.put(TAURUS_KIND, t["id"], t)
            fe = next(f for f in catalog.FLAVORS if f.mode == "Cluster" and f.node == "fe")
            be = next(f for f in catalog.FLAVORS if f.mode == "Cluster" and f.node == "be")
            taurus = self.store.get(TAURUS_KIND, catalog.SEED_TAURUS_ID)
            assert taurus is not None
            created = now - 86400 * 7
            inst = self._new_instance(
                catalog.SEED_STARROCKS_ID,
                taurus,
                name="htap-sandbox",
                mode="Cluster",
                az_code=catalog.azs(self.region)[0],
                time_zone="UTC+08:00",
                sys_tags=[{"key": catalog.SYS_TAG_KEY, "value": catalog.SYS_TAG_VALUE}],
                security_group_id=taurus["security_group_id"],
                fe=(fe, "SSD", 100, 3),
                be=(be, "ESSD", 500, 3),
                status="normal",
                created=created,
            )
            # The seeded instance shows the sandbox's own StarRocks catalog (database demo...).
            inst["engine_backed"] = True
            inst["users"] = [
                {
                    "user_name": "report_reader",
                    "password": passwords.hash_secret("Reader#2026"),
                    "databases": ["demo"],
                    "dml": 1,
                    "ddl": 0,
                }
            ]
            self.store.put(SR_KIND, inst["id"], inst)
            self.store.put(META_KIND, "seed", {"at": now})

    def _hash_stored_passwords(self) -> None:
        """Instances written by an earlier version kept their passwords in plain text: hash them."""
        for inst in self.store.list(SR_KIND):
            changed = False
            root = inst.get("root_password")
            if isinstance(root, str) and not passwords.is_hashed(root):
                inst["root_password"] = passwords.hash_secret(root)
                changed = True
            for u in inst.get("users", []):
                pw = u.get("password")
                if isinstance(pw, str) and not passwords.is_hashed(pw):
                    u["password"] = passwords.hash_secret(pw)
                    changed = True
            if changed:
                self.store.put(SR_KIND, inst["id"], inst)

    # -- jobs ----------------------------------------------------------------------------------
    def settle(self, now: float | None = None) -> None:
        """Apply the effects of every job that has completed since the last look."""
        now = self.sb.clock.now() if now is None else now
        with self.store.lock:
            for job in self.store.list(jobs.JOB_KIND):
                if job["applied"] or now < float(job["created"]) + float(job["duration"]):
                    continue
                self._apply(job, float(job["created"]) + float(job["duration"]))
                job["applied"] = True
                self.store.put(jobs.JOB_KIND, job["id"], job)

    def _apply(self, job: dict[str, Any], at: float) -> None:
        inst = self.store.get(SR_KIND, job["instance_id"])
        if inst is None:
            return
        kind = job["kind"]
        if kind == "delete":
            self.store.delete(SR_KIND, inst["id"])
            return
        if kind == "create":
            inst["status"] = "normal"
            for n in inst["nodes"]:
                n["status"] = "normal"
                n["updated"] = at
        elif kind == "resize":
            for group in ("fe", "be"):
                new = job["params"].get(f"{group}_flavor_id")
                if new:
                    inst[group]["flavor_id"] = new
                    for n in inst["nodes"]:
                        if n["group"] == group:
                            n["updated"] = at
        elif kind == "restart_node":
            for n in inst["nodes"]:
                if n["id"] == job["object_id"]:
                    n["updated"] = at
        inst["updated"] = at
        self.store.put(SR_KIND, inst["id"], inst)

    def _start(self, inst: dict[str, Any], name: str, kind: str, action: str, **kw: Any) -> dict[str, Any]:
        if inst["status"] != "normal" or jobs.unfinished(self.store, inst["id"]):
            raise ApiError(409, errors.BUSY)
        return jobs.new_job(
            self.store, name, kind, action, inst, self.sb.config.job_seconds, self.sb.clock.now(), **kw
        )

    # -- lookups -------------------------------------------------------------------------------
    def _taurus(self, taurus_id: str) -> dict[str, Any]:
        doc = self.store.get(TAURUS_KIND, taurus_id)
        if doc is None:
            raise ApiError(404, errors.TAURUS_NOT_FOUND)
        doc["region"] = self.region
        return doc

    def _sr(self, sr_id: str, taurus_id: str | None = None) -> dict[str, Any]:
        doc = self.store.get(SR_KIND, sr_id)
        if doc is None or (taurus_id is not None and doc["taurus_id"] != taurus_id):
            raise ApiError(400, errors.HTAP_NOT_FOUND)
        return doc

    # -- instance construction -----------------------------------------------------------------
    def _new_instance(
        self,
        sr_id: str,
        taurus: dict[str, Any],
        *,
        name: str,
        mode: str,
        az_code: str,
        time_zone: str,
        sys_tags: list[dict[str, str]],
        security_group_id: str,
        fe: tuple[catalog.Flavor, str, int, int],
        be: tuple[catalog.Flavor, str, int, int],
        status: str,
        created: float,
    ) -> dict[str, Any]:
        prefix = taurus["private_ips"][0].rsplit(".", 1)[0]
        nodes = []
        for group, (_flavor, _io, _size, count) in (("fe", fe), ("be", be)):
            for i in range(count):
                if group == "fe":
                    node_type = "fe-leader" if i == 0 else "fe-follower"
                else:
                    node_type = "be"
                nodes.append(
                    {
                        "id": uuid.uuid4().hex + "no17",
                        "name": f"{name}_{group}_{i + 1}",
                        "type": node_type,
                        "group": group,
                        "ip": f"{prefix}.{30 + self.store.next_id() % 220}",
                        "status": status,
                        "created": created,
                        "updated": created,
                    }
                )
        return {
            "id": sr_id,
            "taurus_id": taurus["id"],
            "name": name,
            "mode": mode,
            "version": catalog.KERNEL_VERSION,
            "datastore_id": catalog.DATASTORE_ID,
            "az_code": az_code,
            "time_zone": time_zone,
            "sys_tags": sys_tags,
            "security_group_id": security_group_id,
            "vpc_id": taurus["vpc_id"],
            "subnet_id": taurus["subnet_id"],
            "pay_model": "0",
            "created": created,
            "updated": created,
            "status": status,
            "fe": {"flavor_id": fe[0].id, "volume_type": fe[1], "volume_size": fe[2]},
            "be": {"flavor_id": be[0].id, "volume_type": be[1], "volume_size": be[2]},
            "nodes": nodes,
            "users": [],
            "databases": [],
            "engine_backed": False,
            "users_sync": False,
        }

    # -- views ---------------------------------------------------------------------------------
    def _node_api(
        self, inst: dict[str, Any], node: dict[str, Any], actions: list[dict[str, Any]]
    ) -> dict[str, Any]:
        group = inst[node["group"]]
        flavor = catalog.FLAVORS_BY_ID[group["flavor_id"]]
        return {
            "id": node["id"],
            "name": node["name"],
            "type": node["type"],
            "status": node["status"],
            "period": "",
            "volume": {"type": group["volume_type"], "size": str(group["volume_size"])},
            "cpu": str(flavor.vcpus),
            "mem": str(flavor.ram),
            "datastore": {"id": inst["datastore_id"], "type": catalog.ENGINE, "version": inst["version"]},
            "actions": [a for a in actions if a["object_id"] == node["id"]],
            "priority": 1,
            "frozen_flag": 0,
            "db_port": 3306,
            "pay_model": inst["pay_model"],
            "order_id": "",
            "traffic_ip": node["ip"],
            "traffic_ipv6": "",
            "az_code": inst["az_code"],
            "az_description": catalog.az_description(inst["az_code"]),
            "az_type": "single",
            "region_code": self.region,
            "create_at": int(node["created"] * 1000),
            "update_at": int(node["updated"] * 1000),
            "flavor_id": flavor.id,
            "flavor_ref": flavor.spec_code,
            "iass_flavor_ref": flavor.iaas_flavor,
            "max_connections": "",
            "vpc_id": inst["vpc_id"],
            "subnet_id": inst["subnet_id"],
            "need_restart": False,
            "sg_id": inst["security_group_id"],
            "param_group": {
                node["group"]: {
                    "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{inst['id']}/{node['group']}").hex + "pr17",
                    "name": f"Default-StarRocks-{catalog.MAJOR_VERSION}-{node['group'].upper()}",
                }
            },
        }

    def _actions(self, inst: dict[str, Any]) -> list[dict[str, Any]]:
        return [jobs.action(j) for j in jobs.unfinished(self.store, inst["id"])]

    def _fe_ips(self, inst: dict[str, Any]) -> str:
        return ",".join(n["ip"] for n in inst["nodes"] if n["group"] == "fe")

    def _instance_api(self, inst: dict[str, Any]) -> dict[str, Any]:
        actions = self._actions(inst)
        groups = []
        for group in ("fe", "be"):
            groups.append(
                {
                    "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{inst['id']}/group/{group}").hex + "gr17",
                    "name": f"{inst['name']}_{group}",
                    "group_type_name": group.upper(),
                    "group_node_type": group,
                    "nodes": [self._node_api(inst, n, actions) for n in inst["nodes"] if n["group"] == group],
                }
            )
        return {
            "id": inst["id"],
            "name": inst["name"],
            "project_id": self.sb.config.huawei.project_id,
            "public_ip": "",
            "data_vip": self._fe_ips(inst),
            "can_enable_public_access": False,
            "current_backup_node_id": "",
            "cluster_mode": inst["mode"],
            "status": inst["status"],
            "is_frozen": 0,
            "frozen_time": 0,
            "db_user": "root",
            "bak_period": "",
            "bak_keep_day": 0,
            "bak_expected_start_time": 0,
            "data_store_version_id": inst["datastore_id"],
            "data_store_version": inst["version"],
            "data_store_type": catalog.ENGINE,
            "create_at": int(inst["created"] * 1000),
            "update_at": int(inst["updated"] * 1000),
            "delete_at": 0,
            "db_port": "3306",
            "param_group": "",
            "actions": [a for a in actions if a["type"] == "instance"],
            "create_fail_error_code": "",
            "users_sync_switch_on": inst["users_sync"],
            "groups": groups,
            "ops_window": {"period": "1,2,3,4,5,6,7", "start_time": "18:00", "end_time": "22:00"},
            "tags_info": {"tags": [], "sys_tags": inst["sys_tags"]},
            "time_zone": inst["time_zone"],
            "backup_used_space": "0",
            "az_mode": "single",
            "enterprise_project_id": "0",
            "port_info": {"mysql_port": 3306},
            "fe_node_volume_code": inst["fe"]["volume_type"],
            "be_node_volume_code": inst["be"]["volume_type"],
            # Bytes, as the service reports them (Huawei's own Terraform provider divides by 1e9).
            "fe_node_volume_size": str(inst["fe"]["volume_size"] * 1_000_000_000),
            "be_node_volume_size": str(inst["be"]["volume_size"] * 1_000_000_000),
            "support_data_replication": True,
            "new_version_available": False,
            "ssl_option": False,
            "pay_model": inst["pay_model"],
        }

    def _htap_item(self, inst: dict[str, Any]) -> dict[str, Any]:
        fe_nodes = [n for n in inst["nodes"] if n["group"] == "fe"]
        return {
            "id": inst["id"],
            "name": inst["name"],
            "engine_name": catalog.ENGINE,
            "engine_version": inst["version"],
            "project_id": self.sb.config.huawei.project_id,
            "instance_state": {
                "instance_status": inst["status"],
                "create_fail_error_code": "",
                "fail_message": "",
                "wait_restart_for_params": False,
            },
            "create_at": int(inst["created"] * 1000),
            "is_frozen": False,
            "ha_mode": inst["mode"],
            "pay_model": inst["pay_model"],
            "order_id": "",
            "alter_order_id": "",
            "data_vip": self._fe_ips(inst),
            "readable_node_infos": [
                {"data_ip": n["ip"], "node_id": n["id"], "node_name": n["name"]} for n in fe_nodes
            ],
            "proxy_ips": [],
            "data_vip_v6": "",
            "port": 3306,
            "available_zones": [
                {
                    "code": inst["az_code"],
                    "description": catalog.az_description(inst["az_code"]),
                    "az_type": "single",
                }
            ],
            "current_actions": self._actions(inst),
            "volume_type": inst["be"]["volume_type"],
            "server_type": "ecs",
            "enterprise_project_id": "0",
            "network": {
                "vpc_id": inst["vpc_id"],
                "sub_net_id": inst["subnet_id"],
                "security_group_id": inst["security_group_id"],
            },
            "ch_master_node_id": "",
            "node_num": len(inst["nodes"]),
        }

    # -- TaurusDB ------------------------------------------------------------------------------
    def list_taurus(self, call: Call) -> Result:
        rows = self.store.list(TAURUS_KIND)
        for r in rows:
            r["region"] = self.region

        def fuzzy(field: str) -> None:
            nonlocal rows
            value = call.q(field)
            if value is None or value == "":
                return
            if value == "*":
                raise errors.param(f"{field} cannot be only *")
            if value.startswith("*"):
                rows = [r for r in rows if value[1:] in r[field]]
            else:
                rows = [r for r in rows if r[field] == value]

        fuzzy("id")
        fuzzy("name")
        kind = call.q("type")
        if kind:
            if kind != "Cluster":
                raise errors.param("type supports only Cluster")
            rows = [r for r in rows if r["type"] == kind]
        ds = call.q("datastore_type")
        if ds:
            if ds != "gaussdb-mysql":
                raise errors.param("datastore_type supports only gaussdb-mysql")
            rows = [r for r in rows if r["datastore"]["type"] == ds]
        for field, key in (("vpc_id", "vpc_id"), ("subnet_id", "subnet_id")):
            value = call.q(field)
            if value:
                rows = [r for r in rows if r[key] == value]
        for field, key in (
            ("private_ip", "private_ips"),
            ("readonly_private_ip", "readonly_private_ips"),
            ("proxy_ip", "proxy_ips"),
        ):
            value = call.q(field)
            if value:
                rows = [r for r in rows if value in r[key]]
        tags = call.q("tags")
        if tags:
            for pair in tags.split(","):
                key, sep, value = pair.partition("=")
                if not key or not sep:
                    raise errors.param("tags must be key=value pairs")
                rows = [r for r in rows if {"key": key, "value": value} in r["tags"]]
        offset = _int_query(call, "offset", 0, 0, None) or 0
        limit = _int_query(call, "limit", 100, 1, 100) or 100
        return 200, {"instances": rows[offset : offset + limit], "total_count": len(rows)}

    def show_job(self, call: Call) -> Result:
        job_id = call.q("id")
        if not job_id:
            raise errors.param("id is required")
        job = self.store.get(jobs.JOB_KIND, job_id)
        if job is None:
            raise errors.param(f"job {job_id} does not exist")
        return 200, {"job": jobs.to_api(job, self.sb.clock.now())}

    # -- catalogue -----------------------------------------------------------------------------
    @staticmethod
    def _engine(name: str) -> bool:
        """True for StarRocks, False for ClickHouse (which this sandbox does not sell)."""
        if name not in (catalog.ENGINE, "click-house"):
            raise errors.param("engine name must be star-rocks or click-house")
        return name == catalog.ENGINE

    def list_flavors(self, call: Call) -> Result:
        if not self._engine(call.params["engine"]):
            return 200, {"flavors": []}
        mode = call.q("availability_zone_mode")
        if mode and mode != "single":
            raise errors.param("availability_zone_mode supports only single")
        version = call.q("version_name") or catalog.KERNEL_VERSION
        spec = call.q("spec_code")
        flavors = [
            f
            for f in catalog.FLAVORS
            if version in catalog.VERSION_NAMES and (not spec or f.spec_code == spec)
        ]
        return 200, {"flavors": [f.to_api(self.region) for f in flavors]}

    def list_storage_types(self, call: Call) -> Result:
        version = call.q("version_name")
        if not version:
            raise errors.param("version_name is required")
        if not self._engine(call.params["engine"]) or version not in catalog.VERSION_NAMES:
            return 200, {"storage_type": []}
        return 200, {"storage_type": [s.to_api(self.region) for s in catalog.STORAGE_TYPES]}

    def list_datastores(self, call: Call) -> Result:
        if not self._engine(call.params["engine"]):
            return 200, {"datastores": []}
        return 200, {"datastores": catalog.DATASTORES}

    def resource_check(self, call: Call) -> Result:
        body = call.json_object()
        action = _get(body, "action", str)
        if action != "createInstance":
            raise errors.param("action supports only createInstance")
        res = _get(body, "resource", dict)
        w = "resource."
        _get(res, "enterprise_project_id", str, w)
        num = _get(res, "instance_num", int, w)
        mode = _get(res, "mode", str, w)
        az_mode = _get(res, "availability_zone_mode", str, w)
        fe_num = _get(res, "fe_node_num", int, w)
        be_num = _get(res, "be_node_num", int, w)
        fe_ref = _get(res, "fe_flavor_ref", str, w)
        be_ref = _get(res, "be_flavor_ref", str, w)
        az = _opt(res, "availability_zone", str, w)
        subnet = _get(res, "subnet_id", str, w)
        if mode not in ("Single", "Cluster"):
            raise ApiError(400, errors.HA_MODE)
        if az_mode != "single":
            raise errors.param("resource.availability_zone_mode supports only single")
        fe = catalog.FLAVORS_BY_SPEC.get((fe_ref, mode))
        be = catalog.FLAVORS_BY_SPEC.get((be_ref, mode))
        ok = (
            num >= 1
            and fe is not None
            and fe.node == "fe"
            and be is not None
            and be.node == "be"
            and _counts_ok(mode, fe_num, be_num)
            and any(t["subnet_id"] == subnet for t in self.store.list(TAURUS_KIND))
        )
        if ok and az is not None:
            assert fe is not None and be is not None
            ok = (
                fe.az_status(self.region).get(az) == "normal"
                and be.az_status(self.region).get(az) == "normal"
            )
        if ok:
            used = len(self.store.list(SR_KIND))
            ok = used + num <= catalog.MAX_HTAP_PER_TAURUS * max(1, len(self.store.list(TAURUS_KIND)))
        return 200, {"result": bool(ok)}

    # -- StarRocks instances -------------------------------------------------------------------
    def list_htap(self, call: Call) -> Result:
        taurus = self._taurus(call.params["instance_id"])
        items = [self._htap_item(i) for i in self.store.list(SR_KIND) if i["taurus_id"] == taurus["id"]]
        return 200, {
            "total": len(items),
            "instances": items,
            "max_htap_instance_num_of_taurus": catalog.MAX_HTAP_PER_TAURUS,
        }

    def create(self, call: Call) -> Result:
        taurus = self._taurus(call.params["instance_id"])
        body = call.json_object()
        name = _get(body, "name", str)
        engine = _get(body, "engine", dict)
        engine_type = _get(engine, "type", str, "engine.")
        engine_version = _get(engine, "version", str, "engine.")
        ha = _get(body, "ha", dict)
        mode = _get(ha, "mode", str, "ha.")
        fe_flavor_id = _get(body, "fe_flavor_id", str)
        be_flavor_id = _get(body, "be_flavor_id", str)
        password = _get(body, "db_root_pwd", str)
        fe_count = _get(body, "fe_count", int)
        be_count = _get(body, "be_count", int)
        az_mode = _get(body, "az_mode", str)
        fe_volume = _get(body, "fe_volume", dict)
        fe_io = _get(fe_volume, "io_type", str, "fe_volume.")
        fe_size = _get(fe_volume, "capacity_in_gb", int, "fe_volume.")
        be_volume = _get(body, "be_volume", dict)
        be_io = _get(be_volume, "io_type", str, "be_volume.")
        be_size = _get(be_volume, "capacity_in_gb", int, "be_volume.")
        az_code = _get(body, "az_code", str)
        time_zone = _opt(body, "time_zone", str) or "UTC+08:00"
        tags_info = _get(body, "tags_info", dict)
        sys_tags = _get(tags_info, "sys_tags", list, "tags_info.")
        security_group_id = _opt(body, "security_group_id", str)
        pay_info = _opt(body, "pay_info", dict)
        _opt(body, "region_code", str)

        if not _NAME_RE.match(name) or len(name.encode()) > 64:
            raise ApiError(400, errors.INSTANCE_NAME)
        if engine_type != catalog.ENGINE:
            raise ApiError(400, errors.ENGINE)
        if engine_version not in catalog.VERSION_NAMES:
            raise ApiError(400, errors.ENGINE_VERSION)
        if mode not in ("Single", "Cluster"):
            raise ApiError(400, errors.HA_MODE)
        if az_mode != "single":
            raise errors.param("az_mode supports only single")
        if not _counts_ok(mode, fe_count, be_count):
            if mode == "Single":
                raise errors.param("fe_count and be_count must be 1 for a Single instance")
            raise errors.param("fe_count and be_count must be between 3 and 10 for a Cluster instance")
        if not valid_root_password(password):
            raise ApiError(400, errors.ROOT_PASSWORD)
        fe = self._flavor(fe_flavor_id, "fe", mode)
        be = self._flavor(be_flavor_id, "be", mode)
        if az_code not in catalog.azs(self.region):
            raise ApiError(400, errors.INVALID_AZ)
        for flavor in (fe, be):
            if flavor.az_status(self.region).get(az_code) != "normal":
                raise ApiError(
                    400,
                    errors.FLAVOR_INVALID,
                    f"The specifications {flavor.spec_code} are not on sale in {az_code}.",
                )
        _check_volume("fe_volume", fe_io, fe_size, catalog.FE_VOLUME_RANGE, az_code, self.region)
        _check_volume("be_volume", be_io, be_size, catalog.BE_VOLUME_RANGE, az_code, self.region)
        if not _TIME_ZONE_RE.match(time_zone):
            raise errors.param("time_zone must look like UTC+08:00")
        if not sys_tags:
            raise errors.param("tags_info.sys_tags is required")
        for tag in sys_tags:
            if not isinstance(tag, dict):
                raise errors.param("tags_info.sys_tags has the wrong type")
            key = _get(tag, "key", str, "tags_info.sys_tags.")
            value = _get(tag, "value", str, "tags_info.sys_tags.")
            if key != catalog.SYS_TAG_KEY or value != catalog.SYS_TAG_VALUE:
                raise errors.param(
                    f"tags_info.sys_tags supports only {catalog.SYS_TAG_KEY}={catalog.SYS_TAG_VALUE}"
                )
        if pay_info is not None and pay_info.get("pay_model", "0") != "0":
            raise errors.param("StarRocks instances support only pay-per-use billing (pay_model 0)")
        existing = [i for i in self.store.list(SR_KIND) if i["taurus_id"] == taurus["id"]]
        if len(existing) >= catalog.MAX_HTAP_PER_TAURUS:
            raise errors.param(
                f"a TaurusDB instance holds at most {catalog.MAX_HTAP_PER_TAURUS} HTAP instances"
            )

        now = self.sb.clock.now()
        inst = self._new_instance(
            uuid.uuid4().hex + "in17",
            taurus,
            name=name,
            mode=mode,
            az_code=az_code,
            time_zone=time_zone,
            sys_tags=[{"key": t["key"], "value": t["value"]} for t in sys_tags],
            security_group_id=security_group_id or taurus["security_group_id"],
            fe=(fe, fe_io, fe_size, fe_count),
            be=(be, be_io, be_size, be_count),
            status="creating",
            created=now,
        )
        inst["root_password"] = passwords.hash_secret(password)
        self.store.put(SR_KIND, inst["id"], inst)
        job = jobs.new_job(
            self.store,
            "CreateStarRocksInstance",
            "create",
            "create_instance",
            inst,
            self.sb.config.job_seconds,
            now,
        )
        return 201, {
            "instance": {
                "id": inst["id"],
                "az_code": az_code,
                "az_mode": "single",
                "name": name,
                "engine": {"type": engine_type, "version": engine_version},
                "vpc_id": inst["vpc_id"],
                "security_group_id": inst["security_group_id"],
                "sub_net_id": inst["subnet_id"],
                "db_user": "root",
                "port": 3306,
                "ha_mode": mode,
                "pay_info": {
                    "pay_model": "0",
                    "order_id": None,
                    "period": None,
                    "period_type": None,
                    "is_auto_renew": None,
                },
                "enable_ssl": False,
                "status": "creating",
                "region": self.region,
                "tags_info": {"tags": [], "sys_tags": inst["sys_tags"]},
            },
            "job_id": job["id"],
        }

    def _flavor(self, flavor_id: str, node: str, mode: str) -> catalog.Flavor:
        flavor = catalog.FLAVORS_BY_ID.get(flavor_id)
        if flavor is None or flavor.node != node or flavor.mode != mode:
            raise ApiError(400, errors.FLAVOR_MISSING)
        return flavor

    def show(self, call: Call) -> Result:
        self._taurus(call.params["instance_id"])
        inst = self._sr(call.params["sr_id"], call.params["instance_id"])
        return 200, {"instances": [self._instance_api(inst)]}

    def delete(self, call: Call) -> Result:
        self._taurus(call.params["instance_id"])
        inst = self._sr(call.params["sr_id"], call.params["instance_id"])
        job = self._start(inst, "DeleteStarRocksInstance", "delete", "delete_instance")
        return 200, {"workflow_id": job["id"]}

    def restart(self, call: Call) -> Result:
        inst = self._sr(call.params["sr_id"])
        job = self._start(inst, "RestartStarRocksInstance", "restart", "restart_instance")
        return 200, {"workflow_id": job["id"]}

    def restart_node(self, call: Call) -> Result:
        inst = self._sr(call.params["sr_id"])
        node_id = call.params["node_id"]
        if not any(n["id"] == node_id for n in inst["nodes"]):
            raise errors.param(f"node {node_id} does not belong to the instance")
        job = self._start(inst, "RestartStarRocksNode", "restart_node", "restart_node", object_id=node_id)
        return 200, {"workflow_id": job["id"]}

    def resize(self, call: Call) -> Result:
        # Huawei's SDK names this path segment "TaurusDB instance id", but the service (and Huawei's
        # own Terraform provider) put the StarRocks instance id there: it names what is resized.
        inst = self._sr(call.params["instance_id"])
        body = call.json_object(required=False)
        changes: dict[str, str] = {}
        for group in ("fe", "be"):
            value = _opt(body, f"{group}_flavor_id", str)
            if value:
                flavor = self._flavor(value, group, inst["mode"])
                if flavor.id != inst[group]["flavor_id"]:
                    changes[f"{group}_flavor_id"] = flavor.id
        if not changes:
            raise errors.param("the new flavors must differ from the current ones")
        job = self._start(inst, "ResizeStarRocksFlavor", "resize", "resize_flavor", params=changes)
        return 200, {"job_id": job["id"]}

    # -- databases and users -------------------------------------------------------------------
    def _databases(self, inst: dict[str, Any]) -> list[str]:
        if inst.get("engine_backed"):
            return self.sb.engine.databases()
        return list(inst["databases"])

    def list_databases(self, call: Call) -> Result:
        inst = self._sr(call.params["instance_id"])
        names = self._databases(inst)
        wanted = call.q("database_name")
        if wanted:
            names = [n for n in names if wanted in n]
        offset = _int_query(call, "offset", 0, 0, None) or 0
        limit = _int_query(call, "limit", None, 1, None)
        page = names[offset:] if limit is None else names[offset : offset + limit]
        return 200, {"databases": page, "total_count": len(names), "timestamp": self.sb.clock.ms()}

    def _usable(self, call: Call) -> dict[str, Any]:
        inst = self._sr(call.params["instance_id"])
        if inst["status"] != "normal":
            raise ApiError(409, errors.BUSY)
        return inst

    def _check_databases(self, inst: dict[str, Any], value: Any, field: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
            raise errors.param(f"{field} has the wrong type")
        known = set(self._databases(inst))
        for d in value:
            if d not in known:
                raise errors.param(f"database {d} does not exist")
        return list(dict.fromkeys(value))

    @staticmethod
    def _privilege(body: dict[str, Any], key: str, high: int, default: int | None) -> int | None:
        value = _opt(body, key, int)
        if value is None:
            return default
        if not 0 <= value <= high:
            raise errors.param(f"{key} must be between 0 and {high}")
        return int(value)

    @staticmethod
    def _user(inst: dict[str, Any], name: str) -> dict[str, Any]:
        for u in inst["users"]:
            if u["user_name"] == name:
                return dict(u)
        raise errors.param(f"database user {name} does not exist")

    def show_users(self, call: Call) -> Result:
        inst = self._sr(call.params["instance_id"])
        limit = _int_query(call, "limit", None, 1, 100)
        offset = _int_query(call, "offset", None, 0, None)
        if limit is None:
            raise errors.param("limit is required")
        if offset is None:
            raise errors.param("offset is required")
        users = inst["users"]
        wanted = call.q("user_name")
        if wanted:
            users = [u for u in users if u["user_name"] == wanted]
        details = [
            {"user_name": u["user_name"], "data_bases": u["databases"], "dml": u["dml"], "ddl": u["ddl"]}
            for u in users[offset : offset + limit]
        ]
        return 200, {"user_details": details, "total_count": len(users)}

    def create_user(self, call: Call) -> Result:
        inst = self._usable(call)
        body = call.json_object()
        name = _get(body, "user_name", str)
        password = _get(body, "password", str)
        databases = self._check_databases(inst, _get(body, "databases", list), "databases")
        dml = self._privilege(body, "dml", 3, 2)
        ddl = self._privilege(body, "ddl", 1, 0)
        if not 2 <= len(name) <= 32 or not _USER_RE.match(name) or name == "root":
            raise errors.param("user_name is invalid")
        if not valid_user_password(name, password):
            raise errors.param("password is invalid")
        if any(u["user_name"] == name for u in inst["users"]):
            raise errors.param(f"database user {name} already exists")
        inst["users"].append(
            {
                "user_name": name,
                "password": passwords.hash_secret(password),
                "databases": databases,
                "dml": dml,
                "ddl": ddl,
            }
        )
        self.store.put(SR_KIND, inst["id"], inst)
        return 200, {"result": "success"}

    def update_password(self, call: Call) -> Result:
        inst = self._usable(call)
        body = call.json_object()
        name = _get(body, "user_name", str)
        password = _get(body, "password", str)
        if name == "root":
            if not valid_root_password(password):
                raise ApiError(400, errors.ROOT_PASSWORD)
            inst["root_password"] = passwords.hash_secret(password)
        else:
            self._user(inst, name)
            if not valid_user_password(name, password):
                raise errors.param("password is invalid")
            for u in inst["users"]:
                if u["user_name"] == name:
                    u["password"] = passwords.hash_secret(password)
        self.store.put(SR_KIND, inst["id"], inst)
        return 200, {"result": "success"}

    def update_permission(self, call: Call) -> Result:
        inst = self._usable(call)
        body = call.json_object()
        name = _get(body, "user_name", str)
        self._user(inst, name)
        databases = body.get("databases")
        new_dbs = None if databases is None else self._check_databases(inst, databases, "databases")
        dml = self._privilege(body, "dml", 3, None)
        ddl = self._privilege(body, "ddl", 1, None)
        for u in inst["users"]:
            if u["user_name"] == name:
                if new_dbs is not None:
                    u["databases"] = new_dbs
                if dml is not None:
                    u["dml"] = dml
                if ddl is not None:
                    u["ddl"] = ddl
        self.store.put(SR_KIND, inst["id"], inst)
        return 200, {"result": "success"}

    def delete_user(self, call: Call) -> Result:
        inst = self._usable(call)
        name = call.q("user_name")
        if not name:
            raise errors.param("user_name is required")
        self._user(inst, name)
        inst["users"] = [u for u in inst["users"] if u["user_name"] != name]
        self.store.put(SR_KIND, inst["id"], inst)
        return 200, {"result": "success"}


def _counts_ok(mode: str, fe: int, be: int) -> bool:
    if mode == "Single":
        return fe == 1 and be == 1
    return 3 <= fe <= 10 and 3 <= be <= 10


def _check_volume(field: str, io_type: str, size: int, limits: tuple[int, int], az: str, region: str) -> None:
    storage = catalog.STORAGE_BY_NAME.get(io_type)
    if storage is None or storage.az_status(region).get(az) != "normal":
        raise ApiError(400, errors.STORAGE_TYPE, f"Invalid storage type: {field}.io_type {io_type}.")
    low = max(limits[0], storage.min_volume_size)
    if not low <= size <= limits[1]:
        raise ApiError(
            400,
            errors.STORAGE_RANGE,
            f"Storage space is out of range: {field} must be {low} to {limits[1]} GB.",
        )
    if size % 10:
        raise ApiError(400, errors.STORAGE_STEP)
