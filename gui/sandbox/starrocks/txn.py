"""Load transactions of the emulated cluster: their record, kept as documents in the store.

One record per transaction (kind ``txn``, id = TxnId), for both the transaction interface and
plain ``_stream_load``. ``status`` uses the FE's TransactionStatus names:
PREPARE (running: begun, loading) -> PREPARED -> COMMITTED -> VISIBLE, or ABORTED.
The newest transaction of each label is found through kind ``label`` (id ``db/label``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..store import Store

RUNNING = "PREPARE"
PREPARED = "PREPARED"
COMMITTED = "COMMITTED"
VISIBLE = "VISIBLE"
ABORTED = "ABORTED"
FINAL = (VISIBLE, ABORTED)


@dataclass
class Txn:
    txn_id: int
    label: str
    db: str
    table: str
    status: str = RUNNING
    # "txn" for /api/transaction/*, "stream_load" for /api/{db}/{table}/_stream_load
    kind: str = "txn"
    user: str = "root"
    coordinator: str = ""  # "BE: host" as SHOW PROC writes it
    be_id: int = 10001  # the BE that runs it (records written before there were several: the first)
    begin_ms: int = 0
    prepared_ms: int = 0  # when prepare succeeded (PreparedTime)
    commit_ms: int = 0
    finish_ms: int = 0  # VISIBLE or ABORTED
    last_active_ms: int = 0
    timeout_s: int = 20
    idle_timeout_s: int = 0  # 0: none
    prepared_timeout_s: int = 86400
    reason: str = ""
    error_msg: str = ""
    # The load parameters of the first load; every later load must send identical ones.
    load_params: dict[str, str] | None = None
    loads: int = 0
    rows_total: int = 0
    rows_loaded: int = 0
    rows_filtered: int = 0
    rows_unselected: int = 0
    load_bytes: int = 0
    plan_ms: int = 0
    received_ms: int = 0
    write_ms: int = 0
    commit_publish_ms: int = 0
    error_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Txn:
        return cls(**doc)


class TxnRecords:
    """Read and write transaction records."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def save(self, t: Txn) -> None:
        with self.store.lock:
            self.store.put("txn", str(t.txn_id), t.to_doc())
            self.store.put("label", f"{t.db}/{t.label}", {"txn_id": t.txn_id})

    def get(self, txn_id: int) -> Txn | None:
        doc = self.store.get("txn", str(txn_id))
        return None if doc is None else Txn.from_doc(doc)

    def by_label(self, db: str, label: str) -> Txn | None:
        ref = self.store.get("label", f"{db}/{label}")
        return None if ref is None else self.get(int(ref["txn_id"]))

    def all(self, db: str | None = None) -> list[Txn]:
        """Every transaction (of one database), oldest first."""
        txns = [Txn.from_doc(d) for d in self.store.list("txn")]
        return [t for t in txns if db is None or t.db == db]
