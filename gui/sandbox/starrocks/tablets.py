"""A table's partitions, tablets and replicas as the FE lists them: ``SHOW PARTITIONS FROM t``
(PartitionsProcDir, shared-nothing titles), ``SHOW TABLET FROM t`` (LocalTabletsProcDir) and
``ADMIN SHOW REPLICA STATUS FROM t`` (MetadataViewer.getTabletStatus).

What the sandbox knows of a table is its definition (buckets, replication_num), its rows, and the
BEs: an unpartitioned table has one partition named after the table; each bucket is a tablet; the
replicas of tablet k sit on the BEs the cluster places them on (``Cluster.replicas``). Ids follow the
order the FE hands them out when it creates the table: the partition, the base index, then each
tablet followed by its replicas. A partition's visible version starts at 1 (PARTITION_INIT_VERSION)
and each published load adds one.

A replica on a BE the FE finds dead keeps its state (``NORMAL``) in SHOW TABLET — the FE does not
change a replica's state when its BE stops — and ADMIN SHOW REPLICA STATUS calls it ``DEAD``
(``!be.isAvailable()``), as StarRocks does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine import TableDef
from .cluster import Backend, Cluster

if TYPE_CHECKING:
    from ..app import Sandbox

VERSION_KIND = "partition_version"
INIT_VERSION = 1  # Partition.PARTITION_INIT_VERSION
# DataProperty.MAX_COOLDOWN_TIME_MS as TimeUtils prints it: HDD data never cools down.
NO_COOLDOWN = "9999-12-31 23:59:59"
SCHEMA_HASH = "0"  # Replica.DEPRECATED_PROP_SCHEMA_HASH

PARTITION_TITLES = [
    "PartitionId", "PartitionName", "VisibleVersion", "VisibleVersionTime", "VisibleVersionHash",
    "State", "PartitionKey", "Range", "DistributionKey", "Buckets", "ReplicationNum", "StorageMedium",
    "CooldownTime", "LastConsistencyCheckTime", "DataSize", "IsInMemory", "RowCount",
]  # fmt: skip
TABLET_TITLES = [
    "TabletId", "ReplicaId", "BackendId", "SchemaHash", "Version", "VersionHash", "LstSuccessVersion",
    "LstSuccessVersionHash", "LstFailedVersion", "LstFailedVersionHash", "LstFailedTime", "DataSize",
    "RowCount", "State", "LstConsistencyCheckTime", "CheckVersion", "CheckVersionHash", "VersionCount",
    "PathHash", "MetaUrl", "CompactionStatus",
]  # fmt: skip
REPLICA_STATUS_TITLES = [
    "TabletId", "ReplicaId", "BackendId", "Version", "LastFailedVersion", "LastSuccessVersion",
    "CommittedVersion", "SchemaHash", "VersionNum", "IsBad", "IsSetBadForce", "State", "Status",
]  # fmt: skip


def size_string(n: int) -> str:
    """ByteSizeValue.toString: the largest unit reached, one decimal kept (cut, not rounded), a
    zero decimal left out: ``0B``, ``512B``, ``1.5KB``, ``12MB``."""
    value = float(n)
    suffix = "B"
    for unit, size in (("PB", 1024**5), ("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            value, suffix = n / size, unit
            break
    whole, _, frac = repr(value).partition(".")
    first = frac[:1] if frac and "e" not in frac else "0"
    return f"{whole}{suffix}" if first == "0" else f"{whole}.{first}{suffix}"


@dataclass(frozen=True)
class Replica:
    tablet_id: int
    replica_id: int
    backend: Backend
    rows: int
    data_bytes: int


class Tablets:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    @property
    def cluster(self) -> Cluster:
        return self.sb.cluster

    # -- versions ---------------------------------------------------------------------------------
    def published(self, td: TableDef) -> None:
        """A load became visible in the table's partition: its version goes up by one."""
        key = f"{td.db}.{td.name}.{td.table_id}"
        with self.sb.store.lock:
            doc = self.sb.store.get(VERSION_KIND, key) or {"version": INIT_VERSION}
            doc = {"version": int(doc["version"]) + 1, "time_ms": self.sb.clock.ms()}
            self.sb.store.put(VERSION_KIND, key, doc)

    def version(self, td: TableDef) -> tuple[int, int]:
        """(visible version, when it became visible in ms) of the table's one partition."""
        doc = self.sb.store.get(VERSION_KIND, f"{td.db}.{td.name}.{td.table_id}")
        if doc is None:
            return INIT_VERSION, int(td.created_at * 1000)
        return int(doc["version"]), int(doc["time_ms"])

    # -- layout -------------------------------------------------------------------------------------
    def partition_id(self, td: TableDef) -> int:
        return td.table_id + 1

    def tablet_ids(self, td: TableDef) -> list[int]:
        buckets, copies = self.cluster.layout(td)
        first = td.table_id + 3
        return [first + k * (1 + copies) for k in range(buckets)]

    def size(self, td: TableDef) -> tuple[int, int]:
        """(rows, bytes of one copy) of a table."""
        rows = self.sb.engine.row_count(td.db, td.name)
        # The sandbox's measure of loaded data everywhere else (disks, BE metrics): 8 bytes a value.
        return rows, rows * len(td.columns) * 8

    def replicas(self, td: TableDef) -> list[Replica]:
        buckets, copies = self.cluster.layout(td)
        rows, nbytes = self.size(td)
        n = len(self.cluster.backends)
        out: list[Replica] = []
        for k, tablet_id in enumerate(self.tablet_ids(td)):
            # Rows spread evenly over the buckets, the first ones taking what does not divide.
            tablet_rows = rows // buckets + (1 if k < rows % buckets else 0)
            tablet_bytes = nbytes // buckets + (1 if k < nbytes % buckets else 0)
            for j in range(copies):
                be = self.cluster.backends[(td.table_id + k + j) % n]
                out.append(Replica(tablet_id, tablet_id + 1 + j, be, tablet_rows, tablet_bytes))
        return out

    # -- the statements' rows ------------------------------------------------------------------------
    def partitions(self, td: TableDef) -> list[list[str | None]]:
        from .sql import time_string

        version, at_ms = self.version(td)
        rows, nbytes = self.size(td)
        buckets, _ = self.cluster.layout(td)
        dist = td.distribution or {}
        dist_key = ", ".join(dist.get("columns") or []) if dist.get("type") == "hash" else "ALL KEY"
        part_cols = ", ".join((td.partition or {}).get("columns") or [])
        replication = (td.properties or {}).get("replication_num") or "1"
        medium = str((td.properties or {}).get("storage_medium") or "HDD").upper()
        in_memory = str((td.properties or {}).get("in_memory") or "false").lower()
        return [
            [str(self.partition_id(td)), td.name, str(version), time_string(at_ms), "0", "NORMAL",
             part_cols, "", dist_key, str(buckets), str(replication), medium, NO_COOLDOWN,
             time_string(None), size_string(nbytes), in_memory, str(rows)]
        ]  # fmt: skip

    def tablets(self, td: TableDef) -> list[list[str | None]]:
        from .sql import host_port, time_string

        version, _ = self.version(td)
        out: list[list[str | None]] = []
        for r in self.replicas(td):
            host, port = host_port(r.backend.advertised, 8040)
            disk_hash = r.backend.disks[0].path_hash if r.backend.disks else -1
            out.append(
                [str(r.tablet_id), str(r.replica_id), str(r.backend.id), SCHEMA_HASH, str(version), "0",
                 str(version), "0", "-1", "0", time_string(None), size_string(r.data_bytes), str(r.rows),
                 "NORMAL", time_string(None), "-1", "0", str(version), str(disk_hash),
                 f"http://{host}:{port}/api/meta/header/{r.tablet_id}",
                 f"http://{host}:{port}/api/compaction/show?tablet_id={r.tablet_id}"]
            )  # fmt: skip
        # LocalTabletsProcDir: by TabletId, then ReplicaId
        out.sort(key=lambda row: (int(row[0] or 0), int(row[1] or 0)))
        return out

    def replica_status(
        self, td: TableDef, wanted: str | None = None, equal: bool = True
    ) -> list[list[str | None]]:
        """``wanted``: the WHERE STATUS filter, kept when equal to it (``=``) or not (``!=``)."""
        version, _ = self.version(td)
        now = self.sb.clock.ms()
        out: list[list[str | None]] = []
        for r in self.replicas(td):
            available = self.cluster.alive(r.backend, now) and not r.backend.decommissioned
            status = "OK" if available else "DEAD"
            if wanted is not None and (status == wanted) != equal:
                continue
            out.append(
                [str(r.tablet_id), str(r.replica_id), str(r.backend.id), str(version), "-1", str(version),
                 str(version), SCHEMA_HASH, str(version), "false", "false", "NORMAL", status]
            )  # fmt: skip
        return out
