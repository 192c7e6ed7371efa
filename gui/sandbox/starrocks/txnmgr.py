"""The Stream Load transaction interface: what the FE decides, what the BE does.

Semantics follow StarRocks' FE ``TransactionLoadAction`` / ``TransactionWithoutChannelHandler`` /
``TransactionLoadCoordinatorMgr`` and BE ``TransactionMgr`` / ``TransactionStreamLoadAction``:

- the FE answers 307 to the BE for begin, load and prepare, and for commit/rollback while the
  transaction runs; it answers commit of a PREPARED transaction, and commit/rollback of a finished
  one, itself;
- the BE keeps a context per running transaction, keyed by label: begin creates it, a failed load,
  prepare, commit and rollback remove it; a label is free again only after its transaction aborted;
- rows are parsed at load time into a staging table and become visible at commit.
"""

from __future__ import annotations

import bz2
import gzip
import json
import logging
import re
import shutil
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import zstandard
from starlette.requests import Request

from ..engine import qualified
from ..http import load_headers
from . import metric_names as m
from .cluster import Backend
from .loader import (
    JSON_MAX_BYTES,
    LoadFailure,
    LoadParams,
    LoadStats,
    check_format,
    load_file,
    plan,
    staging_name,
)
from .sql import FE_RPC_PORT, clock_macro
from .txn import ABORTED, COMMITTED, PREPARED, RUNNING, VISIBLE, Txn, TxnRecords

if TYPE_CHECKING:
    from ..app import Sandbox
    from .activity import Activity

log = logging.getLogger("starrocks_console.sandbox.txn")

STARROCKS_EXC = "class com.starrocks.common.StarRocksException"
DDL_EXC = "class com.starrocks.common.DdlException"
NUMBER_EXC = "class java.lang.NumberFormatException"
LABEL_RE = re.compile(r"^[-_A-Za-z0-9:]{1,128}$")
DEFAULT_TXN_TIMEOUT_S = 600  # stream_load_default_timeout_second
DEFAULT_PREPARED_TIMEOUT_S = 86400
MAX_RUNNING_TXN_PER_DB = 1000  # max_running_txn_num_per_db
OPS = ("begin", "prepare", "commit", "rollback", "load")


class FeError(Exception):
    """An exception the FE turns into ``{"Status":"FAILED","Message":"<class>: <msg>"}``."""

    def __init__(self, message: str, cls: str = STARROCKS_EXC) -> None:
        super().__init__(message)
        self.text = f"{cls}: {message}"


def be_reply(status: str, message: str = "", **fields: Any) -> dict[str, Any]:
    """A BE answer: Status, then ExistingJobStatus/Label when the status calls for them, then
    Message, then (when OK) the operation's own keys."""
    out: dict[str, Any] = {"Status": status}
    if status == "LABEL_ALREADY_EXISTS":
        out["ExistingJobStatus"] = fields.pop("ExistingJobStatus", "RUNNING")
    if status == "TXN_IN_PROCESSING":
        out["Label"] = fields.pop("Label", "")
    out["Message"] = message
    extra_tail: dict[str, Any] = {k: fields.pop(k) for k in ("ErrorURL", "RejectedRecordPath") if k in fields}
    if status == "OK":
        out.update(fields)
    out.update(extra_tail)
    return out


def fe_reply(
    status: str, message: str, label: str | None = None, txn_id: int | None = None, **extra: Any
) -> dict[str, Any]:
    """An FE TransactionResult, keys in the order StarRocks' own tests show them."""
    out: dict[str, Any] = {}
    if label is not None:
        out["Label"] = label
    out["Status"] = status
    if txn_id is not None:
        out["TxnId"] = txn_id
    out["Message"] = message
    out.update(extra)
    return out


def existing_job_status(t: Txn) -> str:
    return "FINISHED" if t.status in (COMMITTED, VISIBLE) else "RUNNING"


class TxnManager:
    def __init__(self, sb: Sandbox, activity: Activity) -> None:
        self.sb = sb
        self.activity = activity
        self.records = TxnRecords(sb.store)
        self.work_dir = sb.data_dir / "be"
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.error_dir = self.work_dir / "error_log"
        self.error_dir.mkdir(exist_ok=True)
        self._busy: set[int] = set()
        self.max_running_per_db = MAX_RUNNING_TXN_PER_DB
        self._recover()

    # -- lifecycle ----------------------------------------------------------------------------
    def _recover(self) -> None:
        """After a restart the BE has lost the contexts of running transactions: the FE aborts
        them. Prepared transactions survive and can still be committed or rolled back."""
        for t in self.records.all():
            if t.status == RUNNING:
                self._abort(t, "coordinate BE is down")
        for leftover in self.work_dir.glob("txn-*"):
            shutil.rmtree(leftover, ignore_errors=True)

    async def sweep(self) -> None:
        """Abort what timed out on the sandbox's clock: running transactions (total and idle
        timeouts, as the BE's cleaner does) and prepared ones past their prepared_timeout (the FE's
        txn manager)."""
        now = self.sb.clock.ms()
        cluster = self.sb.cluster
        for t in self.records.all():
            be = cluster.backend(t.be_id)
            if t.status == RUNNING and be is not None and not cluster.alive(be, now):
                # HeartbeatMgr found the coordinator dead: abortTxnWhenCoordinateBeDown.
                self._busy.discard(t.txn_id)
                await self.abort(t, "coordinate BE is down")
            elif t.status == RUNNING and t.txn_id not in self._busy:
                if t.kind == "txn" and now - t.begin_ms > t.timeout_s * 1000:
                    await self.abort(t, f"transaction is aborted by timeout {t.timeout_s} seconds.")
                elif (
                    t.kind == "txn"
                    and t.idle_timeout_s > 0
                    and now - t.last_active_ms > t.idle_timeout_s * 1000
                ):
                    await self.abort(t, f"transaction is aborted by idle timeout {t.idle_timeout_s} seconds.")
            elif t.status == PREPARED and now - t.prepared_ms > t.prepared_timeout_s * 1000:
                await self.abort(t, "timeout by txn manager")

    async def coordinator_restarted(self, be: Backend) -> None:
        """A BE came back: what it was running before is gone (abortTxnWhenCoordinateBeRestart)."""
        for t in self.records.all():
            if t.status == RUNNING and t.be_id == be.id and t.begin_ms < be.start_ms:
                self._busy.discard(t.txn_id)
                await self.abort(t, "coordinate BE restart")

    # -- shared helpers -------------------------------------------------------------------------
    def running_by_label(self, label: str, be: Backend | None = None) -> Txn | None:
        """A BE's stream context for a label (each BE keys its contexts by label alone)."""
        for t in reversed(self.records.all()):
            if t.label == label and t.status == RUNNING and t.kind == "txn":
                if be is None or t.be_id == be.id:
                    return t
        return None

    def fe_down(self, be: Backend) -> LoadFailure | None:
        """What a BE's Thrift call to a stopped FE answers (ThriftClientImpl::open)."""
        if self.sb.cluster.fe_running:
            return None
        host = self.sb.fe_url.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
        return LoadFailure(
            "THRIFT_RPC_ERROR",
            f"Couldn't open transport for {host}:{FE_RPC_PORT} (connect() failed: Connection refused)",
        )

    def _abort(self, t: Txn, reason: str) -> None:
        t.status = ABORTED
        t.reason = reason
        t.finish_ms = self.sb.clock.ms()
        self.records.save(t)
        with self.sb.store.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {staging_name(t.txn_id)}")
        shutil.rmtree(self.work_dir / f"txn-{t.txn_id}", ignore_errors=True)
        self.sb.metrics.inc(m.TXN_FAILED)
        self.activity.journal(1)

    async def abort(self, t: Txn, reason: str, by: Backend | None = None) -> None:
        """Abort a transaction; ``by``: the BE that asks the FE to (StreamLoadExecutor::rollback_txn)."""
        if by is not None:
            by.metrics.inc(m.BE_TXN_REQUEST, type="rollback")
        await self.sb.store.run(self._abort, t, reason)

    def _brief(self, t: Txn) -> str:
        return f"id={t.extra.get('load_id', '')}, job_id=-1, txn_id={t.txn_id}, label={t.label}, db={t.db}"

    def _error_url(self, t: Txn, name: str) -> str:
        be = self.sb.cluster.backend(t.be_id) or self.sb.cluster.first
        return f"http://{be.advertised}/api/_load_error_log?file={name}"

    def _write_error_log(self, t: Txn, lines: list[str]) -> None:
        if not lines:
            return
        name = f"error_log_{t.txn_id}_{t.extra.get('load_id', 'x')}"
        path = self.error_dir / name
        with path.open("a", encoding="utf-8") as f:
            for line in lines:
                f.write(line + "\n")
        t.error_url = self._error_url(t, name)

    # -- FE ------------------------------------------------------------------------------------
    def fe_decide(self, op_text: str, headers: Mapping[str, str]) -> dict[str, Any] | None:
        """The FE's answer, or None when it redirects the request to the BE."""
        op = op_text.lower()
        if op not in OPS:
            raise FeError(f"Unknown transaction operation: {op_text}")
        db = headers.get("db", "")
        if not db.strip():
            raise FeError("No database selected.")
        label = headers.get("label", "")
        if not label.strip():
            raise FeError("Empty label.")
        for key in ("timeout", "prepared_timeout", "channel_id", "channel_num"):
            value = headers.get(key)
            if value is not None and not re.fullmatch(
                r"[-+]?\d+", value.strip() if key.startswith("ch") else value
            ):
                raise FeError(f'For input string: "{value}"', NUMBER_EXC)
        if headers.get("channel_num") is not None and headers.get("channel_id") is None:
            raise FeError("Must provide channel_id when stream load begin.", DDL_EXC)
        if headers.get("channel_num") is None and headers.get("channel_id") is not None:
            raise FeError("Must provide channel_num when stream load begin.", DDL_EXC)
        if headers.get("channel_id") is not None:
            raise FeError("Parallel (channel) transaction stream load is not emulated by the sandbox")
        if (headers.get("transaction_type") or "").lower() == "multi" or headers.get("source_type") == "12":
            raise FeError("Multi-statement transaction stream load is not emulated by the sandbox")
        known = self.records.by_label(db, label)
        if self.sb.engine.database(db) is None:
            raise FeError(f"Database[{db}] does not exist.")
        if known is None and op in ("commit", "rollback", "prepare"):
            raise FeError(f"No transaction found with db[{db}] and label[{label}]")
        if op == "load" and known is None:
            raise FeError(
                f"Can't find the transaction with db [{db}] and label[{label}]. The possible reasons: "
                "1. FE leader is started or switched; 2. The transaction timeouts and is cleaned."
            )
        if op in ("begin", "load", "prepare") or known is None:
            return None
        t = known
        if op == "commit":
            if t.status == PREPARED:
                return self._fe_commit_prepared(t)
            if t.status in (COMMITTED, VISIBLE):
                return fe_reply(
                    "OK", f"Transaction {t.txn_id} has already committed, label is {label}", label, t.txn_id
                )
            if t.status == ABORTED:
                raise FeError(f"Can not commit {t.status} transaction {t.txn_id}, label is {label}")
            return None
        # rollback
        if t.status == PREPARED:
            self._abort(t, "User Aborted")
            return fe_reply("OK", "", label, t.txn_id)
        if t.status == ABORTED:
            return fe_reply(
                "OK", f"Transaction {t.txn_id} has already aborted, label is {label}", label, t.txn_id
            )
        if t.status in (COMMITTED, VISIBLE):
            raise FeError(f"Can not abort {t.status} transaction {t.txn_id}, label is {label}")
        return None

    def _fe_commit_prepared(self, t: Txn) -> dict[str, Any]:
        started = time.monotonic()
        self._publish(t)
        t.commit_publish_ms += int((time.monotonic() - started) * 1000)
        self.records.save(t)
        return fe_reply("OK", "", t.label, t.txn_id)

    def _publish(self, t: Txn) -> None:
        """Make a transaction's rows visible: merge its staging rows into the table, atomically."""
        table = self.sb.engine.table(t.db, t.table)
        cur = self.sb.store.new_cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            if table is not None:
                cur.execute(
                    f"CREATE TABLE IF NOT EXISTS {staging_name(t.txn_id)} AS SELECT * FROM "
                    f"{qualified(t.db, t.table)} LIMIT 0"
                )
                self.sb.engine.merge(cur, table, f"SELECT * FROM {staging_name(t.txn_id)} ORDER BY __seq")
            cur.execute(f"DROP TABLE IF EXISTS {staging_name(t.txn_id)}")
            t.status = VISIBLE
            t.commit_ms = t.finish_ms = self.sb.clock.ms()
            # The record changes in the same DuckDB transaction as the rows: both or neither.
            cur.execute(
                "UPDATE _sandbox.docs SET body = ? WHERE kind = 'txn' AND id = ?",
                [json.dumps(t.to_doc(), separators=(",", ":")), str(t.txn_id)],
            )
            cur.execute("COMMIT")
        except Exception:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()
        shutil.rmtree(self.work_dir / f"txn-{t.txn_id}", ignore_errors=True)
        self.sb.metrics.inc(m.TXN_SUCCESS)
        self.sb.metrics.inc(m.LOAD_FINISHED)
        self.sb.metrics.inc(
            m.TABLE_LOAD_ROWS, t.rows_loaded, db_name=t.db, tbl_name=t.table, type="stream_load"
        )
        self.sb.metrics.inc(
            m.TABLE_LOAD_BYTES, t.load_bytes, db_name=t.db, tbl_name=t.table, type="stream_load"
        )
        self.sb.metrics.inc(m.TABLE_LOAD_FINISHED, db_name=t.db, tbl_name=t.table, type="stream_load")
        self.activity.published(table, t.load_bytes)

    # -- BE: begin ------------------------------------------------------------------------------
    def _begin(
        self,
        db: str,
        table: str,
        label: str,
        user: str | None,
        kind: str,
        timeout_s: int,
        idle_timeout_s: int,
        be: Backend,
    ) -> Txn:
        """The FE's loadTxnBegin as the BE calls it (StreamLoadExecutor::begin_txn, which counts the
        request first); raises LoadFailure with the BE status."""
        be.metrics.inc(m.BE_TXN_REQUEST, type="begin")
        down = self.fe_down(be)
        if down is not None:
            raise down
        if user is None:
            raise LoadFailure("NOT_AUTHORIZED", "Access denied for user; check the user name and password")
        if not LABEL_RE.match(label):
            raise LoadFailure(
                "ANALYSIS_ERROR", f"Label format error. regex: {LABEL_RE.pattern}, label: {label}"
            )
        if self.sb.engine.database(db) is None:
            raise LoadFailure("ANALYSIS_ERROR", f"unknown database, database={db}")
        if self.sb.engine.table(db, table) is None:
            raise LoadFailure("ANALYSIS_ERROR", f'unknown table "{db}.{table}"')
        with self.sb.store.lock:
            existing = self.records.by_label(db, label)
            if existing is not None and existing.status != ABORTED:
                raise _LabelExists(existing)
            running = sum(1 for t in self.records.all(db) if t.status in (RUNNING, PREPARED))
            if running >= self.max_running_per_db:
                self.sb.metrics.inc(m.TXN_REJECT)
                raise LoadFailure(
                    "INTERNAL_ERROR",
                    f"current running txns on db {db} is {running}, larger than limit "
                    f"{self.max_running_per_db}",
                )
            now = self.sb.clock.ms()
            t = Txn(
                txn_id=self.sb.store.next_id(),
                label=label,
                db=db,
                table=table,
                kind=kind,
                user=user,
                coordinator=f"BE: {be.advertised_host}",
                be_id=be.id,
                begin_ms=now,
                last_active_ms=now,
                timeout_s=timeout_s,
                idle_timeout_s=idle_timeout_s,
                extra={"load_id": uuid.uuid4().hex},
            )
            self.records.save(t)
        self.sb.metrics.inc(m.TXN_BEGIN)
        self.sb.metrics.inc(m.LOAD_ADD)
        self.activity.journal(1)
        return t

    def be_begin(
        self, headers: Mapping[str, str], user: str | None, has_auth: bool, be: Backend
    ) -> dict[str, Any]:
        label = headers.get("label", "")
        started = time.monotonic()
        if self.running_by_label(label, be) is not None:
            return be_reply(
                "LABEL_ALREADY_EXISTS", f"Label [{label}] has already been used.", ExistingJobStatus="RUNNING"
            )
        timeout_s, idle_s = DEFAULT_TXN_TIMEOUT_S, 0
        for key in ("timeout", "idle_transaction_timeout"):
            raw = headers.get(key, "")
            if raw:
                if not raw.isdigit():
                    return be_reply("INVALID_ARGUMENT", "Invalid timeout format")
                if key == "timeout":
                    timeout_s = int(raw)
                else:
                    idle_s = int(raw)
        if not has_auth:
            return be_reply("INTERNAL_ERROR", "no valid Basic authorization")
        try:
            t = self._begin(
                headers.get("db", ""), headers.get("table", ""), label, user, "txn", timeout_s, idle_s, be
            )
        except _LabelExists as e:
            return be_reply(
                "LABEL_ALREADY_EXISTS",
                f"Label [{label}] has already been used.",
                ExistingJobStatus=existing_job_status(e.txn),
            )
        except LoadFailure as e:
            return be_reply(e.status, e.message)
        be.metrics.inc(m.BE_TXN_STREAMING_LOAD_REQUESTS_TOTAL)
        return be_reply(
            "OK", "", Label=label, TxnId=t.txn_id, BeginTxnTimeMs=int((time.monotonic() - started) * 1000)
        )

    # -- BE: load ---------------------------------------------------------------------------------
    async def be_load(self, request: Request, user: str | None, be: Backend) -> dict[str, Any]:
        headers = load_headers(request)
        label = headers.get("label", "")
        if not label:
            return be_reply("INVALID_ARGUMENT", f"Invalid label {label}")
        t = self.running_by_label(label, be)
        if t is None:
            return be_reply("TXN_NOT_EXISTS", f"Transaction with label {label} not exists")
        if t.db != headers.get("db", ""):
            return be_reply(
                "INVALID_ARGUMENT",
                f"Request database {headers.get('db', '')} not equal transaction database {t.db}",
            )
        if t.table != headers.get("table", ""):
            return be_reply(
                "INVALID_ARGUMENT",
                f"Request table {headers.get('table', '')} not equal transaction table {t.table}",
            )
        return await self._exclusive(t, lambda: self._load(t, request, user, be))

    async def _exclusive(self, t: Txn, work: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """Run one request of a transaction while no other is (the BE context's try_lock)."""
        if t.txn_id in self._busy:
            return be_reply(
                "TXN_IN_PROCESSING", "Transaction in processing, please retry later", Label=t.label
            )
        self._busy.add(t.txn_id)
        try:
            return await work()
        finally:
            self._busy.discard(t.txn_id)

    async def _load(self, t: Txn, request: Request, user: str | None, be: Backend) -> dict[str, Any]:
        started = time.monotonic()
        t.last_active_ms = self.sb.clock.ms()
        self.records.save(t)
        txn_dir = self.work_dir / f"txn-{t.txn_id}"
        txn_dir.mkdir(exist_ok=True)
        body = txn_dir / f"load-{t.loads}.dat"
        try:
            size = await _receive(request, body, self.max_body_bytes)
        except LoadFailure as e:
            body.unlink(missing_ok=True)
            await self.abort(t, e.message, by=be)
            return be_reply(e.status, e.message)
        except BaseException:
            # The client went away before the body was whole: nothing of it is loaded, and the
            # transaction stays as it was.
            body.unlink(missing_ok=True)
            raise
        received_ms = int((time.monotonic() - started) * 1000)
        self.activity.load_received(be, size)
        fresh = self.records.get(t.txn_id)
        if fresh is None or fresh.status != RUNNING:
            body.unlink(missing_ok=True)
            return be_reply("ABORTED", (fresh.reason if fresh else "") or "current transaction is aborted")
        t = fresh
        try:
            if user is None:
                raise LoadFailure(
                    "NOT_AUTHORIZED", "Access denied for user; check the user name and password"
                )
            params = LoadParams.from_headers(load_headers(request))
            if t.load_params is not None and t.load_params != params.raw:
                raise LoadFailure("INTERNAL_ERROR", "load request not equal last.")
            plan_started = time.monotonic()
            p = self._plan(t.db, t.table, params, be)
            plan_ms = int((time.monotonic() - plan_started) * 1000)
            be.metrics.inc(m.BE_TXN_REQUEST, type="exec")
            stats = await self.sb.store.run(self._parse, t, p, body, txn_dir)
        except LoadFailure as e:
            body.unlink(missing_ok=True)
            await self.abort(t, e.message, by=be)
            return be_reply(e.status, e.message)
        body.unlink(missing_ok=True)
        fresh = self.records.get(t.txn_id)
        if fresh is None or fresh.status != RUNNING:
            # Rolled back (or timed out) while this load ran: its rows go with the transaction.
            await self.sb.store.run(self._drop_staging, t.txn_id)
            return be_reply("ABORTED", (fresh.reason if fresh else "") or "current transaction is aborted")
        t = fresh
        if t.load_params is None:
            t.load_params = params.raw
            t.plan_ms = plan_ms
            t.extra["max_filter_ratio"] = params.max_filter_ratio
        t.loads += 1
        t.rows_total += stats.total
        t.rows_loaded += stats.loaded
        t.rows_filtered += stats.filtered
        t.rows_unselected += stats.unselected
        t.load_bytes += size
        t.received_ms += received_ms
        t.write_ms += int((time.monotonic() - started) * 1000) - received_ms
        t.last_active_ms = self.sb.clock.ms()
        self._write_error_log(t, stats.errors)
        self.records.save(t)
        be.metrics.inc(m.BE_TXN_STREAMING_LOAD_BYTES, size)
        self._count_executed(be, size, stats)
        return be_reply(
            "OK",
            "",
            Label=t.label,
            TxnId=t.txn_id,
            LoadBytes=size,
            StreamLoadPlanTimeMs=t.plan_ms,
            ReceivedDataTimeMs=received_ms,
        )

    def _plan(self, db: str, table: str, params: LoadParams, be: Backend) -> Any:
        """The FE's streamLoadPut as the BE calls it: the load's plan, after the checks the FE makes
        while planning (the columns and where, then the disks of the tablets it writes)."""
        down = self.fe_down(be)
        if down is not None:
            raise down
        table_def = self.sb.engine.table(db, table)
        if table_def is None:
            raise LoadFailure("ANALYSIS_ERROR", f'unknown table "{db}.{table}"')
        p = plan(table_def, params)
        full = self.sb.cluster.full_disk_for(table_def)
        if full is not None:
            holder, disk = full
            message = f"disk {disk.path_hash} on backend {holder.id} exceed limit usage"
            raise LoadFailure("ANALYSIS_ERROR", message)
        return p

    @staticmethod
    def _count_executed(be: Backend, size: int, stats: LoadStats) -> None:
        """A plan fragment that ran to the end (StreamLoadExecutor's callback)."""
        be.metrics.inc(m.BE_STREAM_LOAD, size, type="receive_bytes")
        be.metrics.inc(m.BE_STREAM_LOAD, stats.loaded, type="load_rows")
        be.metrics.inc(m.BE_LOAD_ROWS, stats.loaded)
        be.metrics.inc(m.BE_LOAD_BYTES, size)

    @property
    def max_body_bytes(self) -> int:
        return self.sb.config.streaming_load_max_mb * 1024 * 1024

    def _parse(self, t: Txn, p: Any, body: Path, txn_dir: Path) -> LoadStats:
        check_decompressed(body, p.params, self.max_body_bytes)
        cur = self.sb.store.new_cursor()
        try:
            # now() and the functions made of it in `columns` and `where` read the sandbox's clock.
            cur.execute(clock_macro(self.sb.clock))
            return load_file(cur, p, body, staging_name(t.txn_id), (t.loads + 1) << 40, txn_dir)
        finally:
            cur.close()

    def _drop_staging(self, txn_id: int) -> None:
        with self.sb.store.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {staging_name(txn_id)}")

    # -- BE: prepare / commit / rollback ----------------------------------------------------------
    def _context(self, headers: Mapping[str, str], be: Backend) -> Txn | dict[str, Any]:
        """The running transaction a commit, prepare or rollback names, or the BE's refusal."""
        label = headers.get("label", "")
        t = self.running_by_label(label, be)
        if t is None:
            return be_reply("TXN_NOT_EXISTS", f"transaction with label {label} not exists")
        if t.db != headers.get("db", ""):
            return be_reply(
                "INVALID_ARGUMENT", f"request db {headers.get('db', '')} transaction db {t.db} not match"
            )
        return t

    async def be_commit(self, headers: Mapping[str, str], prepare: bool, be: Backend) -> dict[str, Any]:
        t = self._context(headers, be)
        if not isinstance(t, Txn):
            return t
        prepared_timeout = DEFAULT_PREPARED_TIMEOUT_S
        raw = headers.get("prepared_timeout", "")
        if prepare and raw:
            if not raw.isdigit() or int(raw) <= 0:
                return be_reply("INVALID_ARGUMENT", f"Invalid prepared_timeout: {raw}")
            prepared_timeout = int(raw)
        return await self._exclusive(t, lambda: self._commit(t, prepare, prepared_timeout, be))

    async def _commit(self, t: Txn, prepare: bool, prepared_timeout: int, be: Backend) -> dict[str, Any]:
        started = time.monotonic()
        if t.loads == 0:
            message = f"transaction {self._brief(t)} hasn't send any data yet"
            await self.abort(t, message, by=be)
            return be_reply("INTERNAL_ERROR", message)
        ratio = float(t.extra.get("max_filter_ratio", 0.0))
        selected = t.rows_total - t.rows_unselected
        if selected > 0 and t.rows_filtered / selected > ratio:
            await self.abort(t, "too many filtered rows", by=be)
            extra = {"ErrorURL": t.error_url} if t.error_url else {}
            return be_reply("INTERNAL_ERROR", "too many filtered rows", **extra)
        # commit_txn and prepare_txn both count as a commit request, before they call the FE.
        be.metrics.inc(m.BE_TXN_REQUEST, type="commit")
        down = self.fe_down(be)
        if down is not None:
            return be_reply(down.status, down.message)
        if prepare:
            t.status = PREPARED
            t.prepared_ms = self.sb.clock.ms()
            t.prepared_timeout_s = prepared_timeout
            self.records.save(t)
        else:
            t.status = COMMITTED
            t.commit_ms = self.sb.clock.ms()
            try:
                await self.sb.store.run(self._publish, t)
            except Exception as e:  # the table may have been dropped meanwhile
                log.exception("publish of txn %s failed", t.txn_id)
                await self.abort(t, f"publish failed: {e}")
                return be_reply("INTERNAL_ERROR", f"publish failed: {e}")
        t.commit_publish_ms = int((time.monotonic() - started) * 1000)
        self.records.save(t)
        now = self.sb.clock.ms()
        be.metrics.inc(m.BE_TXN_STREAMING_LOAD_DURATION_MS, max(0, t.commit_ms or now) - t.begin_ms)
        extra = {"ErrorURL": t.error_url} if t.error_url else {}
        return be_reply(
            "OK",
            "",
            Label=t.label,
            TxnId=t.txn_id,
            NumberTotalRows=t.rows_total,
            NumberLoadedRows=t.rows_loaded,
            NumberFilteredRows=t.rows_filtered,
            NumberUnselectedRows=t.rows_unselected,
            LoadBytes=t.load_bytes,
            LoadTimeMs=max(0, now - t.begin_ms),
            StreamLoadPlanTimeMs=t.plan_ms,
            ReceivedDataTimeMs=t.received_ms,
            WriteDataTimeMs=t.write_ms,
            CommitAndPublishTimeMs=t.commit_publish_ms,
            **extra,
        )

    async def be_rollback(self, headers: Mapping[str, str], be: Backend) -> dict[str, Any]:
        t = self._context(headers, be)
        if not isinstance(t, Txn):
            return t
        down = self.fe_down(be)
        if down is not None:
            be.metrics.inc(m.BE_TXN_REQUEST, type="rollback")
            return be_reply(down.status, down.message)
        await self.abort(t, "transaction is aborted by user.", by=be)
        return be_reply("OK", "", Label=t.label)

    def be_list(self, be: Backend) -> str:
        """BE ``/api/transaction/list``: one pretty object per open context, no enclosing array."""
        out: list[str] = []
        for t in self.records.all():
            if t.status != RUNNING or t.kind != "txn" or t.be_id != be.id:
                continue
            obj: dict[str, Any] = {}
            if t.txn_id in self._busy:
                obj["InProcessing"] = True
            else:
                obj["Status"] = "OK"
                obj["InProcessing"] = False
            obj.update(
                Label=t.label,
                TxnId=t.txn_id,
                NumberTotalRows=t.rows_total,
                NumberLoadedRows=t.rows_loaded,
                NumberFilteredRows=t.rows_filtered,
                NumberUnselectedRows=t.rows_unselected,
                LoadBytes=t.load_bytes,
                StreamLoadPlanTimeMs=t.plan_ms,
                ReceivedDataTimeMs=t.received_ms,
                WriteDataTimeMs=t.write_ms,
                BeginTimestamp=t.begin_ms // 1000,
                LastActiveTimestamp=t.last_active_ms // 1000,
                TransactionTimeoutSec=t.timeout_s,
                IdleTransactionTimeoutSec=t.idle_timeout_s if t.idle_timeout_s > 0 else -1,
            )
            out.append(json.dumps(obj, indent=4))
        return "".join(out)

    # -- BE: plain stream load ------------------------------------------------------------------
    async def stream_load(
        self, request: Request, db: str, table: str, user: str | None, be: Backend
    ) -> dict[str, Any]:
        """``PUT /api/{db}/{table}/_stream_load`` on the BE: one whole transaction.

        As StreamLoadAction does: the headers are checked and the transaction begun and planned
        before any of the body is read; a refusal at that stage answers at once (LoadBytes 0,
        LoadTimeMs 0: the BE measures a load's time only once its body was handled)."""
        headers = load_headers(request)
        label = headers.get("label") or str(uuid.uuid4())
        started = time.monotonic()
        be.metrics.inc(m.BE_STREAMING_LOAD_REQUESTS_TOTAL)
        timing = {"begin": 0}

        def answer(status: str, message: str, t: Txn | None = None, handled: bool = False) -> dict[str, Any]:
            load_ms = int((time.monotonic() - started) * 1000) if handled else 0
            body = stream_load_body(
                t.txn_id if t else -1, label, status, message, t, load_ms, timing["begin"]
            )
            if t is not None and t.error_url:
                body["ErrorURL"] = t.error_url
            return body

        timeout_s = DEFAULT_TXN_TIMEOUT_S
        try:
            check_format(headers)
            raw_timeout = headers.get("timeout")
            if raw_timeout is not None and raw_timeout != "":
                if not raw_timeout.isdigit() or int(raw_timeout) > 2**31 - 1:
                    raise LoadFailure("INVALID_ARGUMENT", "Invalid timeout format")
                timeout_s = int(raw_timeout)
            t = self._begin(db, table, label, user, "stream_load", timeout_s, 0, be)
        except _LabelExists as e:
            body = answer("Label Already Exists", f"Label [{label}] has already been used.")
            return with_existing_status(body, existing_job_status(e.txn))
        except LoadFailure as e:
            return answer("Fail", e.message)
        timing["begin"] = int((time.monotonic() - started) * 1000)
        t.extra["begin_txn_time_ms"] = timing["begin"]
        try:
            params = LoadParams.from_headers(headers)
            plan_started = time.monotonic()
            try:
                p = self._plan(db, table, params, be)
            finally:
                t.plan_ms = int((time.monotonic() - plan_started) * 1000)
        except LoadFailure as e:
            await self.abort(t, e.message, by=be)
            return answer("Fail", e.message, t)
        # The fragment starts before the body is read; it reads the body as it arrives.
        be.metrics.inc(m.BE_TXN_REQUEST, type="exec")
        txn_dir = self.work_dir / f"txn-{t.txn_id}"
        txn_dir.mkdir(exist_ok=True)
        body_path = txn_dir / "load-0.dat"
        self._busy.add(t.txn_id)
        try:
            receive_started = time.monotonic()
            try:
                size = await _receive(request, body_path, self.max_body_bytes)
            except LoadFailure as e:
                await self.abort(t, e.message, by=be)
                return answer("Fail", e.message, t, handled=True)
            self.activity.load_received(be, size)
            t.load_bytes = size
            t.received_ms = int((time.monotonic() - receive_started) * 1000)
            write_started = time.monotonic()
            try:
                stats = await self.sb.store.run(self._parse, t, p, body_path, txn_dir)
            except LoadFailure as e:
                await self.abort(t, e.message, by=be)
                return answer("Fail", e.message, t, handled=True)
            t.write_ms = int((time.monotonic() - write_started) * 1000)
            t.loads, t.load_params = 1, params.raw
            t.rows_total, t.rows_loaded = stats.total, stats.loaded
            t.rows_filtered, t.rows_unselected = stats.filtered, stats.unselected
            self._write_error_log(t, stats.errors)
            selected = stats.total - stats.unselected
            if selected > 0 and stats.filtered / selected > params.max_filter_ratio:
                await self.abort(t, "too many filtered rows", by=be)
                return answer("Fail", "too many filtered rows", t, handled=True)
            self._count_executed(be, size, stats)
            be.metrics.inc(m.BE_TXN_REQUEST, type="commit")
            down = self.fe_down(be)
            if down is not None:
                await self.abort(t, down.message, by=be)
                return answer("Fail", down.message, t, handled=True)
            if selected == 0 and stats.total == 0:
                await self.abort(t, "all partitions have no load data", by=be)
                return answer("Fail", "all partitions have no load data", t, handled=True)
            publish_started = time.monotonic()
            await self.sb.store.run(self._publish, t)
            t.commit_publish_ms = int((time.monotonic() - publish_started) * 1000)
            self.records.save(t)
        finally:
            self._busy.discard(t.txn_id)
            body_path.unlink(missing_ok=True)
        be.metrics.inc(m.BE_STREAMING_LOAD_BYTES, size)
        return answer("Success", "OK", t, handled=True)

    # -- get_load_state ---------------------------------------------------------------------------
    def load_state(self, db: str, label: str) -> str:
        t = self.records.by_label(db, label)
        return "UNKNOWN" if t is None else t.status


class _LabelExists(Exception):
    def __init__(self, txn: Txn) -> None:
        super().__init__(txn.label)
        self.txn = txn


def with_existing_status(body: dict[str, Any], existing: str) -> dict[str, Any]:
    """to_json writes ExistingJobStatus right after a "Label Already Exists" Status."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        out[key] = value
        if key == "Status":
            out["ExistingJobStatus"] = existing
    return out


def stream_load_body(
    txn_id: int, label: str, status: str, message: str, t: Txn | None, load_ms: int, begin_ms: int
) -> dict[str, Any]:
    """A plain Stream Load's answer as ``StreamLoadContext::to_json`` writes it: every key, in its
    order, whatever the outcome (ErrorURL is added by the caller when there is an error log)."""
    t = t or Txn(txn_id=-1, label="", db="", table="")
    return {
        "TxnId": txn_id,
        "Label": label,
        "Status": status,
        "Message": message,
        "NumberTotalRows": t.rows_total,
        "NumberLoadedRows": t.rows_loaded,
        "NumberFilteredRows": t.rows_filtered,
        "NumberUnselectedRows": t.rows_unselected,
        "LoadBytes": t.load_bytes,
        "LoadTimeMs": load_ms,
        "BeginTxnTimeMs": begin_ms,
        "StreamLoadPlanTimeMs": t.plan_ms,
        "ReadDataTimeMs": t.received_ms,
        "WriteDataTimeMs": t.write_ms,
        "CommitAndPublishTimeMs": t.commit_publish_ms,
    }


def _too_large(limit: int, size: int) -> LoadFailure:
    # The BE's check of a body against streaming_load_max_mb (StreamLoadAction::_on_header).
    return LoadFailure("INTERNAL_ERROR", f"body exceed max size: {limit}, data: {size}")


async def _receive(request: Request, path: Path, limit: int) -> int:
    """Write a request body to ``path`` as it arrives; returns its size. A body over ``limit``
    (announced by Content-Length, or found so while reading a chunked one) is refused."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, int(declared))
    size = 0
    with path.open("wb") as f:
        async for chunk in request.stream():
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit, size)
                f.write(chunk)
    return size


_BLOCK = 1 << 20


def check_decompressed(body: Path, params: LoadParams, limit: int) -> None:
    """Refuse a compressed body that grows past ``limit`` (or, for JSON, past the JSON batch limit)
    once decompressed. The BE checks only the size received, so a small compressed body could
    otherwise expand to fill the memory or the disk; this is the sandbox's own guard. The stream is
    decompressed a block at a time and nothing is kept; a damaged stream is left for the loader to
    report in its own words."""
    if not params.compression:
        return
    is_json = params.format == "json" and not params.ignore_json_size
    cap = min(limit, JSON_MAX_BYTES) if is_json else limit
    total = 0
    try:
        for block in _decompressed_blocks(body, params.compression):
            total += len(block)
            if total > cap:
                break
    except (OSError, EOFError, ValueError, zlib.error, zstandard.ZstdError):
        return
    if total <= cap:
        return
    if is_json and cap == JSON_MAX_BYTES:
        raise LoadFailure(
            "INTERNAL_ERROR",
            f"The size of this batch exceed the max size [{JSON_MAX_BYTES}]  of json type data "
            f" data [ more than {JSON_MAX_BYTES} once decompressed ]. "
            "Set ignore_json_size to skip the check, although it may lead huge memory consuming.",
        )
    raise LoadFailure(
        "INTERNAL_ERROR", f"body exceed max size: {limit}, data: more than {limit} once decompressed"
    )


def _decompressed_blocks(body: Path, compression: str) -> Iterator[bytes]:
    """The decompressed stream in blocks of at most ``_BLOCK`` bytes (bounded memory whatever the
    compression ratio)."""
    with body.open("rb") as raw:
        if compression in ("gzip", "bzip2", "zstd"):
            reader: Any
            if compression == "gzip":
                reader = gzip.GzipFile(fileobj=raw)
            elif compression == "bzip2":
                reader = bz2.BZ2File(raw)
            else:
                reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            with reader:
                while block := reader.read(_BLOCK):
                    yield block
        elif compression == "deflate":
            z = zlib.decompressobj()
            while not z.eof:
                data = z.unconsumed_tail or raw.read(_BLOCK)
                if not data:
                    break
                block = z.decompress(data, _BLOCK)
                if block:
                    yield block
            # lz4 and anything else: the loader does not decompress them, so there is nothing to guard
