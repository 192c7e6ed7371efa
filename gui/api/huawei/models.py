"""Typed requests and answers of Huawei Cloud TaurusDB (GaussDB for MySQL) StarRocks/HTAP and IAM.

JSON names are Huawei's (snake_case, identical to the Python names). Answers tolerate fields this
version does not know, and every answer field is optional because Huawei's SDK marks them so.
Request models carry the documented limits in validators whose messages name the rule, so the
console's dialogs can check a field before sending and show the reason next to it
(``field_errors``). Secrets are ``SecretStr``: hidden from ``repr``, ``str``, dumps and validation
errors; only ``to_body()`` reveals them, to build the request that is sent.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

HtapEngine = Literal["star-rocks", "click-house"]
STARROCKS: Final = "star-rocks"
CLICKHOUSE: Final = "click-house"

# Limits from "Creating a StarRocks Instance" (Huawei TaurusDB API reference).
NAME_MIN, NAME_MAX = 4, 64
ROOT_PASSWORD_SPECIALS = "~!@#$%^*-_=+?,()&|."
USER_PASSWORD_SPECIALS = "~!@#%^*-_=+?,"
PASSWORD_MIN, PASSWORD_MAX = 8, 32
CLUSTER_NODES_MIN, CLUSTER_NODES_MAX = 3, 10
FE_VOLUME_MIN, FE_VOLUME_MAX = 50, 1000
BE_VOLUME_MIN, BE_VOLUME_MAX = 50, 32000
VOLUME_STEP = 10
DEFAULT_TIME_ZONE = "UTC+08:00"
SYS_TAG_ENTERPRISE_PROJECT = "_sys_enterprise_project_id"
USER_NAME_MIN, USER_NAME_MAX = 2, 32
DML_LEVELS = {
    0: "read/write",
    1: "read-only",
    2: "read-only and settings",
    3: "read/write and settings",
}
DDL_LEVELS = {0: "no DDL", 1: "DDL"}
JOB_PENDING, JOB_RUNNING, JOB_COMPLETED, JOB_FAILED = "Pending", "Running", "Completed", "Failed"

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_USER_NAME = re.compile(r"^[a-z][a-z0-9_]*[a-z0-9]$")
_TIME_ZONE = re.compile(r"^UTC[+-](0\d|1[0-4]):[0-5]\d$")
_VERSION = re.compile(r"^\d+(\.\d+)*$")


def _invalid(message: str) -> PydanticCustomError:
    # A custom error keeps the message free of pydantic's "Value error, " prefix.
    return PydanticCustomError("huawei_limit", message)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """``{"fe_volume.capacity_in_gb": "reason", ...}`` for the console's dialogs; the inputs are not
    included, so a rejected password never shows up in the reasons."""
    out: dict[str, str] = {}
    for err in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "request"
        out.setdefault(where, err["msg"])
    return out


def check_password(
    password: str, specials: str, *, user_name: str | None = None, what: str = "password"
) -> str:
    """The password rules of Huawei's reference: 8–32 characters from letters, digits and the
    listed special characters, at least three of the four kinds, and (for database users) not the
    user name forwards or backwards."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise _invalid(f"the {what} must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long")
    bad = sorted({c for c in password if not (c.isascii() and c.isalnum()) and c not in specials})
    if bad:
        raise _invalid(
            f"the {what} may contain only letters, digits and these special characters: {specials}"
        )
    kinds = sum(
        (
            any(c.isascii() and c.isupper() for c in password),
            any(c.isascii() and c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(c in specials for c in password),
        )
    )
    if kinds < 3:
        raise _invalid(
            f"the {what} needs at least three of: upper-case letters, lower-case letters, digits, "
            f"special characters ({specials})"
        )
    if user_name and password in (user_name, user_name[::-1]):
        raise _invalid(f"the {what} must not be the user name or the user name reversed")
    return password


def check_instance_name(name: str) -> str:
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise _invalid(f"the name must be {NAME_MIN} to {NAME_MAX} characters long")
    if not name[0].isascii() or not name[0].isalpha():
        raise _invalid("the name must start with a letter")
    if not _NAME.match(name):
        raise _invalid("the name may contain only letters, digits, hyphens (-) and underscores (_)")
    return name


def check_user_name(name: str) -> str:
    if not USER_NAME_MIN <= len(name) <= USER_NAME_MAX:
        raise _invalid(f"the user name must be {USER_NAME_MIN} to {USER_NAME_MAX} characters long")
    if not _USER_NAME.match(name):
        raise _invalid(
            "the user name must start with a lower-case letter, end with a lower-case letter or digit "
            "and contain only lower-case letters, digits and underscores"
        )
    return name


def check_node_count(mode: str | None, count: int, what: str) -> int:
    """Single: exactly one node of each kind; Cluster: 3 to 10 of each."""
    if mode == "Single" and count != 1:
        raise _invalid(f"a Single instance has exactly 1 {what} node")
    if mode == "Cluster" and not CLUSTER_NODES_MIN <= count <= CLUSTER_NODES_MAX:
        raise _invalid(f"a Cluster instance has {CLUSTER_NODES_MIN} to {CLUSTER_NODES_MAX} {what} nodes")
    if mode is None and not (count == 1 or CLUSTER_NODES_MIN <= count <= CLUSTER_NODES_MAX):
        raise _invalid(
            f"the {what} node count is 1 (Single) or {CLUSTER_NODES_MIN} to {CLUSTER_NODES_MAX} (Cluster)"
        )
    return count


def _mode_of(info: ValidationInfo, field: str) -> str | None:
    value = info.data.get(field)
    if isinstance(value, Ha):
        return value.mode
    return value if isinstance(value, str) else None


def _nonblank(value: str, what: str) -> str:
    if not value or not value.strip():
        raise _invalid(f"{what} is required")
    return value


# -- bases -----------------------------------------------------------------------------------------


class HuaweiModel(BaseModel):
    """An answer: unknown fields are kept (and ignored), nothing is required."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class RequestModel(BaseModel):
    """A request body: unknown fields are refused, inputs never appear in validation errors."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, hide_input_in_errors=True, validate_assignment=True
    )

    def to_body(self) -> dict[str, Any]:
        """The JSON body to send, secrets included (and only here)."""
        body: dict[str, Any] = self.model_dump(mode="json", exclude_none=True, by_alias=True)
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            key = info.alias or name
            if isinstance(value, SecretStr):
                body[key] = value.get_secret_value()
            elif isinstance(value, RequestModel):
                body[key] = value.to_body()
        return body


# -- IAM -------------------------------------------------------------------------------------------


class IamToken(BaseModel):
    """An IAM user token (the ``X-Subject-Token`` header) and what the token body says about it."""

    model_config = ConfigDict(frozen=True)

    value: SecretStr
    expires_at: datetime
    issued_at: datetime | None = None
    project_id: str | None = None
    project_name: str | None = None
    domain_name: str | None = None
    user_name: str | None = None

    def seconds_left(self, now: float) -> float:
        return self.expires_at.timestamp() - now

    @property
    def lifetime(self) -> float | None:
        if self.issued_at is None:
            return None
        return self.expires_at.timestamp() - self.issued_at.timestamp()


class IamProject(HuaweiModel):
    id: str = ""
    name: str = ""
    domain_id: str | None = None
    enabled: bool | None = None


# -- TaurusDB instances ----------------------------------------------------------------------------


class Tag(HuaweiModel):
    key: str = ""
    value: str | None = None


class TaurusDatastore(HuaweiModel):
    type: str | None = None
    version: str | None = None
    kernel_version: str | None = None


class FlavorInfo(HuaweiModel):
    vcpus: str | None = None
    ram: str | None = None


class VolumeInfo(HuaweiModel):
    type: str | None = None
    size: str | None = None


class BackupStrategy(HuaweiModel):
    start_time: str | None = None
    keep_days: str | None = None


class ChargeInfo(HuaweiModel):
    charge_mode: str | None = None
    period_type: str | None = None
    period_num: int | None = None
    is_auto_renew: str | None = None
    is_auto_pay: str | None = None


class TaurusInstance(HuaweiModel):
    """A TaurusDB instance (``MysqlInstanceListInfo``): StarRocks instances hang off one."""

    id: str = ""
    name: str = ""
    status: str | None = None
    private_ips: list[str] = Field(default_factory=list)
    proxy_ips: list[str] = Field(default_factory=list)
    readonly_private_ips: list[str] = Field(default_factory=list)
    public_ips: list[str] = Field(default_factory=list)
    port: str | None = None
    type: str | None = None
    region: str | None = None
    datastore: TaurusDatastore | None = None
    created: str | None = None
    updated: str | None = None
    db_user_name: str | None = None
    vpc_id: str | None = None
    subnet_id: str | None = None
    security_group_id: str | None = None
    flavor_ref: str | None = None
    flavor_info: FlavorInfo | None = None
    volume: VolumeInfo | None = None
    backup_strategy: BackupStrategy | None = None
    enterprise_project_id: str | None = None
    time_zone: str | None = None
    charge_info: ChargeInfo | None = None
    dedicated_resource_id: str | None = None
    tags: list[Tag] = Field(default_factory=list)


class TaurusInstanceList(HuaweiModel):
    instances: list[TaurusInstance] = Field(default_factory=list)
    total_count: int = 0


# -- HTAP / StarRocks instances --------------------------------------------------------------------


class QueryAction(HuaweiModel):
    """A job running on an instance or node (resize, restart…): while one runs, other changes are
    refused as busy."""

    id: str | None = None
    action: str | None = None
    object_id: str | None = None
    type: str | None = None
    job_id: str | None = None
    status: str | None = None
    created_at: int | None = None
    updated_at: int | None = None


class HtapInstanceState(HuaweiModel):
    instance_status: str | None = None
    create_fail_error_code: str | None = None
    fail_message: str | None = None
    wait_restart_for_params: bool | None = None


class ReadableNodeInfo(HuaweiModel):
    data_ip: str | None = None
    node_id: str | None = None
    node_name: str | None = None


class AvailableZone(HuaweiModel):
    code: str | None = None
    description: str | None = None
    az_type: str | None = None


class HtapNetwork(HuaweiModel):
    vpc_id: str | None = None
    sub_net_id: str | None = None
    security_group_id: str | None = None


class HtapInstance(HuaweiModel):
    """One HTAP (StarRocks or ClickHouse) instance of a TaurusDB instance, as listed."""

    id: str = ""
    name: str = ""
    engine_name: str | None = None
    engine_version: str | None = None
    project_id: str | None = None
    instance_state: HtapInstanceState | None = None
    create_at: int | None = None
    is_frozen: bool | None = None
    ha_mode: str | None = None
    pay_model: str | None = None
    order_id: str | None = None
    alter_order_id: str | None = None
    data_vip: str | None = None
    readable_node_infos: list[ReadableNodeInfo] = Field(default_factory=list)
    proxy_ips: list[str] = Field(default_factory=list)
    data_vip_v6: str | None = None
    port: int | None = None
    available_zones: list[AvailableZone] = Field(default_factory=list)
    current_actions: list[QueryAction] = Field(default_factory=list)
    volume_type: str | None = None
    server_type: str | None = None
    enterprise_project_id: str | None = None
    dedicated_resource_id: str | None = None
    network: HtapNetwork | None = None
    ch_master_node_id: str | None = None
    node_num: int | None = None

    @property
    def status(self) -> str | None:
        return self.instance_state.instance_status if self.instance_state else None


class HtapInstanceList(HuaweiModel):
    total: int = 0
    instances: list[HtapInstance] = Field(default_factory=list)
    max_htap_instance_num_of_taurus: int | None = None


class NodeVolume(HuaweiModel):
    type: str | None = None
    size: str | None = None


class NodeDatastore(HuaweiModel):
    id: str | None = None
    type: str | None = None
    version: str | None = None


class ParamGroupRef(HuaweiModel):
    id: str | None = None
    name: str | None = None


class StarRocksNode(HuaweiModel):
    id: str = ""
    name: str = ""
    type: str | None = None
    status: str | None = None
    period: str | None = None
    volume: NodeVolume | None = None
    cpu: str | None = None
    mem: str | None = None
    datastore: NodeDatastore | None = None
    actions: list[QueryAction] = Field(default_factory=list)
    priority: int | None = None
    frozen_flag: int | None = None
    db_port: int | None = None
    pay_model: str | None = None
    order_id: str | None = None
    traffic_ip: str | None = None
    traffic_ipv6: str | None = None
    az_code: str | None = None
    az_description: str | None = None
    az_type: str | None = None
    region_code: str | None = None
    create_at: int | None = None
    update_at: int | None = None
    flavor_id: str | None = None
    flavor_ref: str | None = None
    iass_flavor_ref: str | None = None
    max_connections: str | None = None
    vpc_id: str | None = None
    subnet_id: str | None = None
    need_restart: bool | None = None
    sg_id: str | None = None
    param_group: dict[str, ParamGroupRef] = Field(default_factory=dict)


class StarRocksGroup(HuaweiModel):
    id: str | None = None
    name: str | None = None
    nodes: list[StarRocksNode] = Field(default_factory=list)
    group_type_name: str | None = None
    group_node_type: str | None = None


class OpsWindow(HuaweiModel):
    period: str | None = None
    start_time: str | None = None
    end_time: str | None = None


class TagsInfo(HuaweiModel):
    tags: list[Tag] = Field(default_factory=list)
    sys_tags: list[Tag] = Field(default_factory=list)


class PortInfo(HuaweiModel):
    mysql_port: int | None = None


class StarRocksInstance(HuaweiModel):
    """The full picture of one StarRocks instance (``StarRocksInstanceInfoInstances``)."""

    id: str = ""
    name: str = ""
    project_id: str | None = None
    public_ip: str | None = None
    data_vip: str | None = None
    can_enable_public_access: bool | None = None
    current_backup_node_id: str | None = None
    cluster_mode: str | None = None
    status: str | None = None
    is_frozen: int | None = None
    frozen_time: int | None = None
    db_user: str | None = None
    bak_period: str | None = None
    bak_keep_day: int | None = None
    bak_expected_start_time: int | None = None
    data_store_version_id: str | None = None
    data_store_version: str | None = None
    data_store_type: str | None = None
    create_at: int | None = None
    update_at: int | None = None
    delete_at: int | None = None
    db_port: str | None = None
    param_group: str | None = None
    actions: list[QueryAction] = Field(default_factory=list)
    create_fail_error_code: str | None = None
    users_sync_switch_on: bool | None = None
    groups: list[StarRocksGroup] = Field(default_factory=list)
    ops_window: OpsWindow | None = None
    tags_info: TagsInfo | None = None
    time_zone: str | None = None
    backup_used_space: str | None = None
    az_mode: str | None = None
    enterprise_project_id: str | None = None
    port_info: PortInfo | None = None
    fe_node_volume_code: str | None = None
    be_node_volume_code: str | None = None
    fe_node_volume_size: str | None = None
    be_node_volume_size: str | None = None
    support_data_replication: bool | None = None
    new_version_available: bool | None = None
    ssl_option: bool | None = None
    dedicated_resource_id: str | None = None
    pay_model: str | None = None

    @property
    def nodes(self) -> list[StarRocksNode]:
        return [node for group in self.groups for node in group.nodes]

    def nodes_of(self, node_type: str) -> list[StarRocksNode]:
        """The nodes of the groups of one kind (``fe`` or ``be``)."""
        kind = node_type.lower()
        return [
            node
            for group in self.groups
            if (group.group_node_type or "").lower() == kind or (group.group_type_name or "").lower() == kind
            for node in group.nodes
        ]

    @property
    def fe_ips(self) -> list[str]:
        return [ip.strip() for ip in (self.data_vip or "").split(",") if ip.strip()]

    @property
    def busy(self) -> bool:
        """A job is running on the instance or one of its nodes."""
        return bool(self.actions) or any(node.actions for node in self.nodes)


class EngineInfo(HuaweiModel):
    type: str | None = None
    version: str | None = None


class PayInfoResult(HuaweiModel):
    pay_model: str | None = None
    order_id: str | None = None
    period: str | None = None
    period_type: str | None = None
    is_auto_renew: str | None = None


class CreatedStarRocksInstance(HuaweiModel):
    """The instance as the create call answers it (``SrCreateInstanceRspInstance``)."""

    id: str = ""
    az_code: str | None = None
    az_mode: str | None = None
    name: str = ""
    engine: EngineInfo | None = None
    vpc_id: str | None = None
    security_group_id: str | None = None
    sub_net_id: str | None = None
    db_user: str | None = None
    port: int | None = None
    ha_mode: str | None = None
    pay_info: PayInfoResult | None = None
    enable_ssl: bool | None = None
    status: str | None = None
    region: str | None = None
    tags_info: TagsInfo | None = None


class CreateStarRocksResult(HuaweiModel):
    instance: CreatedStarRocksInstance = Field(default_factory=CreatedStarRocksInstance)
    job_id: str = ""


# -- flavors, storage, versions --------------------------------------------------------------------


class HtapFlavor(HuaweiModel):
    """A node specification; ``id`` goes into ``fe_flavor_id``/``be_flavor_id``, ``spec_code`` into
    the resource check. ``az_status`` says per AZ: normal, unsupported or sellout."""

    type: str | None = None
    vcpus: str | None = None
    ram: str | None = None
    id: str = ""
    spec_code: str | None = None
    version_name: str | None = None
    instance_mode: str | None = None
    az_status: dict[str, str] = Field(default_factory=dict)

    @property
    def node_type(self) -> str | None:
        """``fe`` or ``be``, read from the spec code (``gaussdb.sr-fe.xlarge.x86.4``)."""
        match = re.search(r"\.sr-(fe|be)\.", self.spec_code or "")
        return match.group(1) if match else None

    def available_in(self, az: str) -> bool:
        return self.az_status.get(az) == "normal"


class HtapStorageType(HuaweiModel):
    name: str = ""
    az_status: dict[str, str] = Field(default_factory=dict)
    min_volume_size: int | None = None

    def available_in(self, az: str) -> bool:
        return self.az_status.get(az) == "normal"


class HtapDatastore(HuaweiModel):
    """An engine version: ``name`` is the major version (``3.1``) that create takes,
    ``kernel_version`` the full one (``3.1.6.0``) that flavors are listed for."""

    id: str | None = None
    name: str = ""
    kernel_version: str | None = None


# -- databases and database users ------------------------------------------------------------------


class StarRocksDatabaseList(HuaweiModel):
    databases: list[str] = Field(default_factory=list)
    total_count: int = 0
    timestamp: int | None = None


class DatabaseUser(HuaweiModel):
    user_name: str = ""
    data_bases: list[str] = Field(default_factory=list)
    dml: int | None = None
    ddl: int | None = None

    @property
    def dml_text(self) -> str:
        return DML_LEVELS.get(self.dml, str(self.dml)) if self.dml is not None else ""

    @property
    def ddl_text(self) -> str:
        return DDL_LEVELS.get(self.ddl, str(self.ddl)) if self.ddl is not None else ""


class DatabaseUserList(HuaweiModel):
    user_details: list[DatabaseUser] = Field(default_factory=list)
    total_count: int = 0


# -- jobs ------------------------------------------------------------------------------------------


class JobInstance(HuaweiModel):
    id: str | None = None
    name: str | None = None


class Job(HuaweiModel):
    """A workflow started by a change (create, delete, restart, resize)."""

    id: str = ""
    name: str | None = None
    status: str = ""
    created: str | None = None
    ended: str | None = None
    process: str | None = None
    instance: JobInstance | None = None
    entities: dict[str, Any] | None = None
    fail_reason: str | None = None

    @property
    def percent(self) -> int | None:
        """The progress as a number (``process`` is like ``"60%"`` and only set while running)."""
        match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*$", self.process or "")
        return int(float(match.group(1))) if match else None

    @property
    def finished(self) -> bool:
        return self.status in (JOB_COMPLETED, JOB_FAILED)


# -- requests --------------------------------------------------------------------------------------


class Engine(RequestModel):
    type: str = STARROCKS
    version: str

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        if v != STARROCKS:
            raise _invalid(f"the engine type must be {STARROCKS!r}")
        return v

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not _VERSION.match(v or ""):
            raise _invalid("the engine version is the major version number, e.g. 3.1")
        return v


class Ha(RequestModel):
    mode: str

    @field_validator("mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v not in ("Single", "Cluster"):
            raise _invalid("the deployment mode is Single or Cluster")
        return v


def _check_volume(capacity: int, low: int, high: int, what: str) -> int:
    if not low <= capacity <= high or capacity % VOLUME_STEP:
        raise _invalid(f"{what} storage must be {low} to {high} GB in steps of {VOLUME_STEP} GB")
    return capacity


class FeVolume(RequestModel):
    io_type: str
    capacity_in_gb: int

    @field_validator("io_type")
    @classmethod
    def _io(cls, v: str) -> str:
        return _nonblank(v, "the storage type")

    @field_validator("capacity_in_gb")
    @classmethod
    def _capacity(cls, v: int) -> int:
        return _check_volume(v, FE_VOLUME_MIN, FE_VOLUME_MAX, "FE")


class BeVolume(RequestModel):
    io_type: str
    capacity_in_gb: int

    @field_validator("io_type")
    @classmethod
    def _io(cls, v: str) -> str:
        return _nonblank(v, "the storage type")

    @field_validator("capacity_in_gb")
    @classmethod
    def _capacity(cls, v: int) -> int:
        return _check_volume(v, BE_VOLUME_MIN, BE_VOLUME_MAX, "BE")


class SysTag(RequestModel):
    key: str = SYS_TAG_ENTERPRISE_PROJECT
    value: str = "0"

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        if v != SYS_TAG_ENTERPRISE_PROJECT:
            raise _invalid(f"the only system tag is {SYS_TAG_ENTERPRISE_PROJECT}")
        return v

    @field_validator("value")
    @classmethod
    def _value(cls, v: str) -> str:
        if v != "0":
            raise _invalid(f"{SYS_TAG_ENTERPRISE_PROJECT} must be 0 (the default enterprise project)")
        return v


class CreateTagsInfo(RequestModel):
    sys_tags: list[SysTag] = Field(default_factory=lambda: [SysTag()])

    @field_validator("sys_tags")
    @classmethod
    def _present(cls, v: list[SysTag]) -> list[SysTag]:
        if not v:
            raise _invalid(f"the system tag {SYS_TAG_ENTERPRISE_PROJECT}=0 is required")
        return v

    def to_body(self) -> dict[str, Any]:
        return {"sys_tags": [tag.to_body() for tag in self.sys_tags]}


class PayInfo(RequestModel):
    """Billing. StarRocks instances are pay-per-use (``pay_model`` 0); the yearly/monthly fields
    exist in Huawei's SDK model and are then all required."""

    pay_model: str = "0"
    period: str | None = None
    period_type: str | None = None
    is_auto_renew: str | None = None

    @field_validator("pay_model")
    @classmethod
    def _model(cls, v: str) -> str:
        if v not in ("0", "1"):
            raise _invalid("pay_model is 0 (pay-per-use) or 1 (yearly/monthly)")
        return v

    @field_validator("period_type")
    @classmethod
    def _period_type(cls, v: str | None) -> str | None:
        if v is not None and v not in ("2", "3"):
            raise _invalid("period_type is 2 (months) or 3 (years)")
        return v

    @field_validator("is_auto_renew")
    @classmethod
    def _renew(cls, v: str | None) -> str | None:
        if v is not None and v not in ("0", "1"):
            raise _invalid("is_auto_renew is 0 or 1")
        return v

    @model_validator(mode="after")
    def _yearly(self) -> PayInfo:
        if self.pay_model == "1" and not (self.period and self.period_type and self.is_auto_renew):
            raise _invalid("a yearly/monthly instance needs period, period_type and is_auto_renew")
        return self


class StarRocksCreateRequest(RequestModel):
    """The body of "Creating a StarRocks Instance", with every documented limit."""

    name: str
    engine: Engine
    ha: Ha
    fe_flavor_id: str
    be_flavor_id: str
    db_root_pwd: SecretStr
    fe_count: int
    be_count: int
    az_mode: str = "single"
    fe_volume: FeVolume
    be_volume: BeVolume
    az_code: str
    time_zone: str = DEFAULT_TIME_ZONE
    tags_info: CreateTagsInfo = Field(default_factory=CreateTagsInfo)
    security_group_id: str | None = None
    pay_info: PayInfo | None = None
    region_code: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_instance_name(v)

    @field_validator("fe_flavor_id", "be_flavor_id")
    @classmethod
    def _flavor(cls, v: str) -> str:
        return _nonblank(v, "a flavor (from the flavor list)")

    @field_validator("db_root_pwd")
    @classmethod
    def _password(cls, v: SecretStr) -> SecretStr:
        check_password(v.get_secret_value(), ROOT_PASSWORD_SPECIALS, what="root password")
        return v

    @field_validator("az_mode")
    @classmethod
    def _az_mode(cls, v: str) -> str:
        if v != "single":
            raise _invalid("only a single availability zone is supported (az_mode 'single')")
        return v

    @field_validator("az_code")
    @classmethod
    def _az(cls, v: str) -> str:
        return _nonblank(v, "the availability zone")

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, v: str) -> str:
        if not _TIME_ZONE.match(v):
            raise _invalid("the time zone is written like UTC+08:00")
        return v

    @field_validator("fe_count", "be_count")
    @classmethod
    def _count(cls, v: int, info: ValidationInfo) -> int:
        return check_node_count(_mode_of(info, "ha"), v, "FE" if info.field_name == "fe_count" else "BE")

    @model_validator(mode="after")
    def _billing(self) -> StarRocksCreateRequest:
        if self.pay_info is not None and self.pay_info.pay_model == "1" and not self.region_code:
            raise _invalid("a yearly/monthly instance needs region_code")
        return self

    @property
    def engine_version(self) -> str:
        return self.engine.version


class ResizeFlavorRequest(RequestModel):
    fe_flavor_id: str | None = None
    be_flavor_id: str | None = None

    @model_validator(mode="after")
    def _something(self) -> ResizeFlavorRequest:
        if not (self.fe_flavor_id or self.be_flavor_id):
            raise _invalid("choose a new FE flavor, a new BE flavor or both")
        return self


class ResourceCheckResource(RequestModel):
    enterprise_project_id: str = "0"
    instance_num: int = 1
    mode: str
    availability_zone_mode: str = "single"
    fe_node_num: int
    be_node_num: int
    fe_flavor_ref: str
    be_flavor_ref: str
    availability_zone: str | None = None
    subnet_id: str

    @field_validator("mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v not in ("Single", "Cluster"):
            raise _invalid("the deployment mode is Single or Cluster")
        return v

    @field_validator("availability_zone_mode")
    @classmethod
    def _az_mode(cls, v: str) -> str:
        if v != "single":
            raise _invalid("only a single availability zone is supported ('single')")
        return v

    @field_validator("instance_num")
    @classmethod
    def _num(cls, v: int) -> int:
        if v < 1:
            raise _invalid("at least one instance")
        return v

    @field_validator("fe_node_num", "be_node_num")
    @classmethod
    def _count(cls, v: int, info: ValidationInfo) -> int:
        return check_node_count(_mode_of(info, "mode"), v, "FE" if info.field_name == "fe_node_num" else "BE")

    @field_validator("fe_flavor_ref", "be_flavor_ref", "subnet_id")
    @classmethod
    def _required(cls, v: str) -> str:
        return _nonblank(v, "this field")


class ResourceCheckRequest(RequestModel):
    action: str = "createInstance"
    resource: ResourceCheckResource

    @field_validator("action")
    @classmethod
    def _action(cls, v: str) -> str:
        if v != "createInstance":
            raise _invalid("only instance creation can be checked (action 'createInstance')")
        return v


def _check_dml(v: int | None) -> int | None:
    if v is not None and v not in DML_LEVELS:
        raise _invalid("dml is 0 (read/write), 1 (read-only), 2 (read-only + settings) or 3 (all)")
    return v


def _check_ddl(v: int | None) -> int | None:
    if v is not None and v not in DDL_LEVELS:
        raise _invalid("ddl is 0 (no DDL) or 1 (DDL allowed)")
    return v


class DatabaseUserCreate(RequestModel):
    user_name: str
    password: SecretStr
    databases: list[str]
    dml: int = 2
    ddl: int = 0

    @field_validator("user_name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_user_name(v)

    @field_validator("dml")
    @classmethod
    def _dml(cls, v: int) -> int | None:
        return _check_dml(v)

    @field_validator("ddl")
    @classmethod
    def _ddl(cls, v: int) -> int | None:
        return _check_ddl(v)

    @field_validator("password")
    @classmethod
    def _password(cls, v: SecretStr, info: ValidationInfo) -> SecretStr:
        check_password(v.get_secret_value(), USER_PASSWORD_SPECIALS, user_name=info.data.get("user_name"))
        return v


class DatabaseUserPassword(RequestModel):
    user_name: str
    password: SecretStr

    @field_validator("user_name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _nonblank(v, "the user name")

    @field_validator("password")
    @classmethod
    def _password(cls, v: SecretStr, info: ValidationInfo) -> SecretStr:
        check_password(v.get_secret_value(), USER_PASSWORD_SPECIALS, user_name=info.data.get("user_name"))
        return v


class DatabaseUserPermission(RequestModel):
    user_name: str
    databases: list[str] | None = None
    dml: int | None = None
    ddl: int | None = None

    @field_validator("user_name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _nonblank(v, "the user name")

    @field_validator("dml")
    @classmethod
    def _dml(cls, v: int | None) -> int | None:
        return _check_dml(v)

    @field_validator("ddl")
    @classmethod
    def _ddl(cls, v: int | None) -> int | None:
        return _check_ddl(v)

    @model_validator(mode="after")
    def _something(self) -> DatabaseUserPermission:
        if self.databases is None and self.dml is None and self.ddl is None:
            raise _invalid("give the databases, the DML level or the DDL level to change")
        return self
