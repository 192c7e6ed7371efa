"""Load transactions without Qt: every answer of the transaction interface in plain words, a
transaction driven one step at a time (journaled like the exactly-once loader), the journal's
unfinished transactions, and the cluster's running transactions classified so that stuck or leaked
ones stand out.

The window's Load transactions view is a thin layer over this module.
"""

from __future__ import annotations

import asyncio
import calendar
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..api import errors
from ..api.starrocks import (
    BeUnreachable,
    FileBody,
    LabelAlreadyExists,
    LoadOptions,
    LoadRejected,
    StarRocksClient,
    StarRocksError,
    TxnAborted,
    TxnBusy,
    TxnHandle,
    TxnNotFound,
    TxnReply,
    check_label,
)
from ..api.starrocks.models import LABEL_RULE
from .journal import Journal, JournalEntry
from .loader import chunks
from .words import plural

# StarRocks' FE refuses a Stream Load timeout above max_stream_load_timeout_second (default 3 days).
MAX_TXN_TIMEOUT_S = 259_200
# prepared_timeout has no documented ceiling; a month keeps typos (an extra zero) out.
MAX_PREPARED_TIMEOUT_S = 2_592_000
DEFAULT_TXN_TIMEOUT_S = 600  # stream_load_default_timeout_second
DEFAULT_PREPARED_TIMEOUT_S = 86_400
RUNNING_LIMIT_NOTE = (
    "StarRocks refuses every new load into a database once it holds max_running_txn_num_per_db "
    "(1000 by default) open transactions"
)
# Journal steps of a transaction that may still be open on the cluster.
OPEN_STEPS = ("started", "begun", "loading", "prepared", "committing")

Severity = Literal["ok", "warning", "error"]


# -- plain words --------------------------------------------------------------------------------------
@dataclass
class Answer:
    """One answer of the cluster (or of the console about a step), as a person reads it."""

    step: str  # begin, load, prepare, commit, rollback, state, loader, cancel
    headline: str
    severity: Severity = "ok"
    detail: str = ""  # the cluster's own words and what to do next
    code: str = ""  # the answer's Status, or the error's kind
    raw: Any = None  # the reply's raw JSON, or the error's
    label: str = ""
    error_url: str | None = None
    at: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.severity == "ok"


def _said(message: str) -> str:
    return f"The cluster said: “{message}”." if message else ""


def _join(*parts: str | None) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def explain_reply(step: str, reply: TxnReply, label: str = "") -> Answer:
    """An OK (or publish-timeout) answer in plain words."""
    msg = reply.message or ""
    raw = reply.raw or reply.model_dump(by_alias=True)
    common: dict[str, Any] = {"code": reply.status, "raw": raw, "label": label or reply.label or ""}
    if step == "begin":
        where = reply.answered_by.split("://", 1)[-1]
        return Answer(
            step,
            f"Transaction {reply.txn_id} begun; its BE is {where}.",
            detail="Load sends the chosen files to it; nothing is visible until commit.",
            **common,
        )
    if step == "load":
        size = human_bytes(reply.load_bytes or 0)
        return Answer(step, f"The BE received {size}.", detail=_said(msg), **common)
    if step == "prepare":
        return Answer(
            step,
            f"Prepared: {reply.number_loaded_rows or 0:,} rows loaded, "
            f"{reply.number_filtered_rows or 0:,} filtered.",
            detail="The rows are kept (also across a restart of the cluster) but not visible: commit "
            "makes them visible, roll back discards them.",
            error_url=reply.error_url,
            **common,
        )
    if step == "commit":
        if reply.status == "PUBLISH_TIMEOUT" or "publish timeout" in msg.lower():
            return Answer(
                step,
                "Committed, but publishing took longer than the cluster waits: the rows become "
                "visible shortly.",
                "warning",
                detail=_said(msg),
                **common,
            )
        if "already commit" in msg.lower():
            return Answer(
                step,
                "The transaction was already committed: its rows are visible.",
                detail=_said(msg),
                **common,
            )
        return Answer(step, "Committed: the rows are visible.", **common)
    if step == "rollback":
        if "already aborted" in msg.lower():
            return Answer(
                step,
                "The transaction had already been aborted: nothing to roll back.",
                detail=_said(msg),
                **common,
            )
        return Answer(
            step,
            "Rolled back: nothing of this transaction will be loaded, and the label can be used again.",
            **common,
        )
    return Answer(step, f"{step}: OK", detail=_said(msg), **common)


def _fe_message(e: StarRocksError) -> str:
    if e.reply is not None:
        text = e.reply.message or ""
        if text.startswith("class ") and ": " in text:
            text = text.split(": ", 1)[1]
        return text
    return e.message


def explain_error(step: str, exc: BaseException, label: str = "") -> Answer:
    """A refusal or a failure in plain words; the raw answer is kept for the details."""
    raw = getattr(exc, "raw", None)
    hint = getattr(exc, "hint", None) or ""

    def answer(headline: str, detail: str = "", severity: Severity = "error", **kw: Any) -> Answer:
        kw.setdefault("code", getattr(exc, "code", None) or type(exc).__name__)
        return Answer(step, headline, severity, detail=detail, raw=raw, label=label, **kw)

    if isinstance(exc, LabelAlreadyExists):
        said = _said(_fe_message(exc))
        status = (exc.existing_job_status or "").upper()
        if status == "FINISHED":
            return answer(
                "The label is already used by a finished load.",
                _join(said, "Its rows are already in the table; choose another label to load again."),
            )
        if status == "RUNNING":
            return answer(
                "The label is already used by a transaction that is still open.",
                _join(
                    said,
                    "Commit or roll back that transaction (see Running transactions), or "
                    "choose another label.",
                ),
            )
        return answer("The label is already used.", _join(said, "Choose another label."))
    if isinstance(exc, TxnNotFound):
        return answer(
            "The transaction no longer exists (timed out or rolled back).",
            _join(
                _said(_fe_message(exc)),
                "Begin a new one; the label is free again once its transaction is aborted.",
            ),
        )
    if isinstance(exc, TxnBusy):
        return answer(
            "Another request of this transaction is still being processed.",
            _join(_said(_fe_message(exc)), "Wait a moment and try again."),
            "warning",
        )
    if isinstance(exc, TxnAborted):
        msg = _fe_message(exc)
        why = "it timed out" if "timeout" in msg.lower() else "it was aborted"
        return answer(
            f"The transaction is aborted: {why}.",
            _join(_said(msg), "None of its rows will be loaded; begin again (the label is free)."),
        )
    if isinstance(exc, LoadRejected):
        return _explain_rejected(exc, answer)
    if isinstance(exc, StarRocksError):
        return _explain_fe(exc, answer)
    if isinstance(exc, BeUnreachable):
        return answer("The BE the FE chose cannot be reached from here.", _join(exc.message, hint))
    if isinstance(exc, errors.AuthError):
        return answer("The cluster refused the user name or password.", _join(exc.message, hint))
    if isinstance(exc, errors.ConnectionFailed):
        return answer(
            "The cluster could not be reached; the step's outcome is unknown.",
            _join(exc.message, hint, "Refresh to see where the transaction stands."),
        )
    if isinstance(exc, errors.ApiError):
        return answer(exc.message, hint)
    return answer(f"{type(exc).__name__}: {exc}")


def _explain_rejected(exc: LoadRejected, answer: Callable[..., Answer]) -> Answer:
    msg = _fe_message(exc)
    low = msg.lower()
    url = exc.reply.error_url if exc.reply else None
    said = _said(msg)
    if "too many filtered rows" in low:
        return answer(
            "Too many rows were refused (more than the max filter ratio allows); the transaction is aborted.",
            _join(
                said,
                "The refused rows and their reasons are behind the error URL; fix the data "
                "or raise the max filter ratio, then begin again.",
            ),
            error_url=url,
        )
    if "not equal last" in low:
        return answer(
            "Every load of one transaction must use the same format settings as its first load.",
            _join(said, "The transaction is aborted; begin again with one set of settings."),
        )
    if "hasn't send any data" in low or "has not sent any data" in low or "no data" in low:
        return answer(
            "Nothing was loaded in this transaction, so there was nothing to commit; it is aborted.",
            said,
        )
    if "running txns on db" in low:
        return answer(
            "The database has reached its limit of open transactions, so no load can begin.",
            _join(said, "Roll back stuck transactions under Running transactions."),
        )
    if "unknown table" in low:
        return answer("The table does not exist.", said)
    if "unknown database" in low:
        return answer("The database does not exist.", said)
    code = exc.code or ""
    if code == "ANALYSIS_ERROR":
        return answer(
            "The cluster refused the load's settings; the transaction is aborted.",
            _join(said, "Check the columns, where and format fields."),
            error_url=url,
        )
    if code == "DATA_QUALITY_ERROR":
        return answer(
            "The data could not be read in the chosen format; the transaction is aborted.",
            _join(said, "Check the format settings (JSON: strip outer array, JSON paths, root)."),
            error_url=url,
        )
    if code == "INVALID_ARGUMENT":
        return answer("A setting of the load was refused.", said)
    if code == "NOT_AUTHORIZED":
        return answer("This user may not load into this table.", said)
    if code == "MEMORY_LIMIT_EXCEEDED":
        return answer("The BE ran out of memory for this load.", _join(said, "Send smaller chunks."))
    return answer("The cluster could not do it.", said, error_url=url)


def _explain_fe(exc: StarRocksError, answer: Callable[..., Answer]) -> Answer:
    """The FE's FAILED answers (and the documented FAILED messages of the BE)."""
    msg = _fe_message(exc)
    low = msg.lower()
    said = _said(msg)
    if "does not exist" in low and "database" in low:
        return answer("The database does not exist.", said)
    if "no transaction found" in low or "can't find the transaction" in low or "not exist" in low:
        return answer(
            "The transaction no longer exists (timed out or rolled back).",
            _join(said, "No open transaction has this label on the cluster."),
        )
    if "can not commit" in low:
        return answer("The transaction was aborted earlier, so it cannot be committed.", said)
    if "can not abort" in low:
        return answer("The transaction is already committed, so it cannot be rolled back.", said)
    if "commit timeout" in low:
        return answer(
            "The commit did not finish in time; its outcome is unknown.",
            _join(said, "Refresh: the label's state tells whether the rows are in."),
            "warning",
        )
    if "publish timeout" in low:
        return answer(
            "Committed, but publishing is still under way: the rows appear shortly.", said, "warning"
        )
    if "state invalid" in low:
        return answer("The transaction is not in a state that allows this step.", said)
    if "empty label" in low:
        return answer("A label is needed.", said)
    return answer(msg or exc.message, exc.hint or "")


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def human_seconds(s: float) -> str:
    s = max(0, int(s))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min" + (f" {s % 60} s" if s < 600 and s % 60 else "")
    if s < 86400:
        return f"{s // 3600} h" + (f" {s % 3600 // 60} min" if s % 3600 // 60 else "")
    return f"{s // 86400} d" + (f" {s % 86400 // 3600} h" if s % 86400 // 3600 else "")


def new_label(table: str) -> str:
    """A fresh label naming the table and the time, valid for the FE's label rule."""
    stem = re.sub(r"[^-_A-Za-z0-9]", "_", table or "load")[:60] or "load"
    return check_label(f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}")


# -- form settings with their limits ----------------------------------------------------------------
class TxnSettings(BaseModel):
    """The transaction fields of the view besides the data format (LoadOptions checks that)."""

    model_config = ConfigDict(defer_build=True)

    label: str
    timeout: int | None = Field(default=None, ge=1, le=MAX_TXN_TIMEOUT_S)
    idle_timeout: int | None = Field(default=None, ge=1, le=MAX_TXN_TIMEOUT_S)
    prepared_timeout: int | None = Field(default=None, ge=1, le=MAX_PREPARED_TIMEOUT_S)
    chunk_mib: int = Field(default=64, ge=1, le=10_240)

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        if not v:
            raise ValueError(f"a label is needed: {LABEL_RULE}")
        try:
            return check_label(v)
        except ValueError:
            raise ValueError(LABEL_RULE) from None

    def problems(self) -> dict[str, str]:
        """Rules between fields."""
        return timeout_problems(self.timeout, self.idle_timeout)


def timeout_problems(timeout: int | None, idle_timeout: int | None) -> dict[str, str]:
    """An idle timeout at or past the transaction's own timeout would never fire."""
    limit = timeout or DEFAULT_TXN_TIMEOUT_S
    if idle_timeout is not None and idle_timeout >= limit:
        return {
            "idle_timeout": f"must be shorter than the transaction timeout ({limit} s), or it never fires"
        }
    return {}


# -- the same file twice -----------------------------------------------------------------------------
def file_ref(path: Path) -> dict[str, Any]:
    """A file as the journal knows it: where, how big, last changed."""
    st = path.stat()
    return {"path": os.path.abspath(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


@dataclass
class EarlierLoad:
    file: Path
    entry: JournalEntry

    def describe(self) -> str:
        e = self.entry
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.updated_at))
        rows = f" ({plural(e.rows_loaded, 'row')})" if e.rows_loaded else ""
        return f"{self.file.name} was loaded into {e.db}.{e.table} on {when} under the label {e.label}{rows}"


def earlier_loads(
    journal: Journal, fe_url: str, db: str, table: str, files: Sequence[Path]
) -> list[EarlierLoad]:
    """Files that a finished, visible load of this console (or of ``load``) already put into this
    table, unchanged since (same path, size and modification time): loading one again would load
    its rows twice."""
    out: list[EarlierLoad] = []
    for f in files:
        try:
            ref = file_ref(f)
        except OSError:
            continue
        found = journal.loads_of_file(fe_url, db, table, ref["path"], ref["size"], ref["mtime_ns"])
        if found:
            out.append(EarlierLoad(f, found[0]))
    return out


# -- one transaction, step by step --------------------------------------------------------------------
@dataclass
class Piece:
    """One load request's body: a whole file, or a chunk of it cut on a row boundary."""

    file: Path
    offset: int
    length: int
    index: int  # 1-based, within its file
    count: int  # chunks of its file

    def describe(self) -> str:
        part = f" (chunk {self.index} of {self.count})" if self.count > 1 else ""
        return f"{self.file.name}{part}"


def plan_pieces(files: Sequence[Path], options: LoadOptions, chunk_bytes: int) -> list[Piece]:
    """The load requests of a transaction: each file whole or cut on row boundaries. JSON files
    are sent whole: a JSON array cannot be cut on a line."""
    out: list[Piece] = []
    for f in files:
        if options.format == "json":
            ranges = [(0, f.stat().st_size)]
        else:
            ranges = chunks(f, chunk_bytes, options.row_delimiter_bytes()) or [(0, 0)]
        for i, (offset, length) in enumerate(ranges, 1):
            out.append(Piece(f, offset, length, i, len(ranges)))
    return out


TxnPhase = Literal["new", "open", "prepared", "committed", "aborted"]
Progress = Callable[[int, int | None], None]


class TxnStepper:
    """A transaction driven by hand: begin, load the next piece (repeatable), prepare, commit or
    roll back. Each step is written to the journal before and after it happens, as the loader
    does, so a prepared transaction left by a crash is found again and offered for commit.

    Every method returns an Answer; refusals the interface documents do not raise. After a
    refusal the label's state is asked, so ``phase`` says where the transaction really stands.
    """

    def __init__(
        self,
        client: StarRocksClient,
        journal: Journal,
        *,
        db: str,
        table: str,
        label: str,
        options: LoadOptions,
        files: Sequence[Path],
        chunk_bytes: int = 64 << 20,
        timeout: int | None = None,
        idle_timeout: int | None = None,
        prepared_timeout: int | None = None,
    ) -> None:
        self.client = client
        self.journal = journal
        self.db, self.table, self.label = db, table, check_label(label)
        self.options = options
        self.files = [Path(f) for f in files]
        self.timeout, self.idle_timeout, self.prepared_timeout = timeout, idle_timeout, prepared_timeout
        self.pieces = plan_pieces(self.files, options, chunk_bytes)
        self.total_bytes = sum(p.length for p in self.pieces)
        self.next = 0  # index of the next piece to send
        self.bytes_sent = 0  # bytes of pieces the BE acknowledged
        self.phase: TxnPhase = "new"
        self.handle: TxnHandle | None = None
        self.rows_total = self.rows_loaded = self.rows_filtered = 0
        # A piece whose load was cut off (cancelled, connection lost): did it reach the BE?
        self.uncertain: Piece | None = None
        self.entry: JournalEntry | None = None

    # -- state --------------------------------------------------------------------------------
    @property
    def open(self) -> bool:
        return self.phase in ("open", "prepared")

    @property
    def next_piece(self) -> Piece | None:
        return self.pieces[self.next] if self.next < len(self.pieces) else None

    def _journal(self, step: str, **changes: Any) -> None:
        if self.entry is None:
            return
        self.entry.step = step
        for k, v in changes.items():
            setattr(self.entry, k, v)
        self.entry.chunks_done = self.next
        self.entry.bytes_done = self.bytes_sent
        self.entry.rows_loaded, self.entry.rows_filtered = self.rows_loaded, self.rows_filtered
        self.journal.save(self.entry)

    async def _settle(self, answer: Answer) -> Answer:
        """After a refusal: where does the label stand now?"""
        try:
            state = await self.client.load_state(self.db, self.label)
        except errors.ApiError:
            return answer
        self.phase = {
            "PREPARE": "open",
            "PREPARED": "prepared",
            "COMMITTED": "committed",
            "VISIBLE": "committed",
        }.get(state, "aborted" if self.phase != "new" else "new")  # type: ignore[assignment]
        if self.entry is not None:
            if self.phase == "aborted":
                self._journal("failed", state=state, message=answer.headline)
            elif self.phase == "committed":
                self._journal("done", state=state)
            else:
                self._journal(self.entry.step, state=state)
        answer.detail = _join(answer.detail, f"The label's state is now {state}.")
        return answer

    # -- steps --------------------------------------------------------------------------------
    async def begin(self) -> Answer:
        fe = self.client.base_url
        previous = self.journal.get(fe, self.db, self.label)
        # A label the journal knows as loaded or open is not overwritten by an attempt the
        # cluster is about to refuse; a new or aborted one is written before it is used.
        if previous is None or previous.step == "failed":
            self.entry = self._new_entry()
            self.journal.save(self.entry)
        try:
            self.handle = await self.client.begin(
                self.db, self.table, self.label, timeout=self.timeout, idle_timeout=self.idle_timeout
            )
        except (StarRocksError, errors.ApiError) as e:
            unknown = isinstance(e, errors.ConnectionFailed) and not isinstance(e, BeUnreachable)
            if self.entry is not None and not unknown:
                # Refused: nothing began. (A lost answer keeps the record, so that a transaction
                # the FE did begin is found and offered for rollback.)
                if previous is not None:
                    self.journal.save(previous)
                else:
                    self.journal.delete(fe, self.db, self.label)
                self.entry = None
            return explain_error("begin", e, self.label)
        if self.entry is None:
            # The journal's record was of a load the cluster no longer holds to this label (it let
            # the label begin): the record starts over.
            self.entry = self._new_entry()
        self.phase = "open"
        self._journal("begun", txn_id=self.handle.txn_id, state="PREPARE")
        reply = self.handle.reply
        if reply is None:
            reply = TxnReply.model_validate(
                {"Status": "OK", "Label": self.label, "TxnId": self.handle.txn_id}
            )
            reply.raw = {"Status": "OK", "Label": self.label, "TxnId": self.handle.txn_id}
        reply.answered_by = self.handle.be
        return explain_reply("begin", reply, self.label)

    def _new_entry(self) -> JournalEntry:
        return JournalEntry(
            label=self.label,
            fe_url=self.client.base_url,
            db=self.db,
            table=self.table,
            file="; ".join(os.path.abspath(f) for f in self.files),
            file_size=self.total_bytes,
            file_mtime_ns=max((f.stat().st_mtime_ns for f in self.files), default=0),
            chunks_total=len(self.pieces),
            options=self.options.headers(),
            files=[file_ref(f) for f in self.files],
        )

    async def load_next(self, progress: Progress | None = None) -> Answer:
        """Send the next piece. After a piece was cut off, first ask the BE whether it arrived."""
        assert self.handle is not None
        if self.uncertain is not None:
            checked = await self._check_uncertain()
            if checked is not None:
                return checked
        piece = self.next_piece
        if piece is None:
            return Answer("load", "Every chosen file has been sent; prepare or commit next.", "warning")
        self._journal("loading")
        self.uncertain = piece
        try:
            reply = await self.client.load(
                self.handle, FileBody(piece.file, piece.offset, piece.length), self.options, progress
            )
        except errors.ConnectionFailed as e:
            return explain_error("load", e, self.label)  # the piece stays uncertain
        except (StarRocksError, errors.ApiError) as e:
            self.uncertain = None
            return await self._settle(explain_error("load", e, self.label))
        self.uncertain = None
        self.next += 1
        self.bytes_sent += piece.length
        await self.refresh_counts()
        self._journal("loading")
        answer = explain_reply("load", reply, self.label)
        answer.headline = f"{piece.describe()}: {answer.headline[0].lower()}{answer.headline[1:]}"
        answer.detail = _join(
            f"{self.rows_loaded:,} rows loaded and {self.rows_filtered:,} filtered so far in this "
            "transaction."
            if self.rows_total
            else "",
            answer.detail,
        )
        return answer

    def stopped(self) -> str:
        """What to tell after the load of the current piece was cancelled."""
        piece = self.uncertain
        what = piece.describe() if piece else "the piece"
        return (
            f"Sending {what} stopped. Transaction {self.handle.txn_id if self.handle else '?'} "
            f"({self.label}) is still open on the cluster: Roll back to discard it, or press Load to "
            "go on — the console first asks the BE whether the stopped piece arrived, so no row "
            "counts twice."
        )

    async def _check_uncertain(self) -> Answer | None:
        """Did the cut-off piece reach the transaction? None: it did not, send it again."""
        piece = self.uncertain
        assert piece is not None and self.handle is not None
        try:
            mine = await self._be_row()
        except errors.ApiError as e:
            return explain_error("load", e, self.label)
        if mine is None:
            return await self._settle(
                Answer(
                    "load",
                    "The transaction no longer exists (timed out or rolled back).",
                    "error",
                    detail="The BE has no open transaction with this label any more.",
                    label=self.label,
                )
            )
        if mine.get("InProcessing"):
            return Answer(
                "load",
                "The BE is still processing the stopped piece; press Load again in a moment.",
                "warning",
                raw=mine,
                label=self.label,
            )
        received = int(mine.get("LoadBytes") or 0)
        if received >= self.bytes_sent + piece.length:
            self.uncertain = None
            self.next += 1
            self.bytes_sent += piece.length
            self._take_counts(mine)
            self._journal("loading")
            return Answer(
                "load",
                f"The stopped piece {piece.describe()} had arrived in full; it counts as sent.",
                detail="Press Load for the next piece, or prepare.",
                raw=mine,
                label=self.label,
            )
        if received > self.bytes_sent:
            return Answer(
                "load",
                "Part of the stopped piece reached the transaction; sending it again would load rows twice.",
                "error",
                detail="Roll the transaction back and begin again.",
                raw=mine,
                label=self.label,
            )
        self.uncertain = None
        return None

    async def _be_row(self) -> dict[str, Any] | None:
        assert self.handle is not None
        for row in await self.client.be_transactions(self.handle.be):
            if row.get("Label") == self.label or row.get("TxnId") == self.handle.txn_id:
                return row
        return None

    def _take_counts(self, row: dict[str, Any]) -> None:
        self.rows_total = int(row.get("NumberTotalRows") or 0)
        self.rows_loaded = int(row.get("NumberLoadedRows") or 0)
        self.rows_filtered = int(row.get("NumberFilteredRows") or 0)

    async def refresh_counts(self) -> None:
        """The running row counts, from the BE's list of open transactions (best effort)."""
        try:
            row = await self._be_row()
        except errors.ApiError:
            return
        if row is not None:
            self._take_counts(row)

    async def prepare(self) -> Answer:
        try:
            reply = await self.client.prepare(self.db, self.label, prepared_timeout=self.prepared_timeout)
        except (StarRocksError, errors.ApiError) as e:
            return await self._settle(explain_error("prepare", e, self.label))
        self.phase = "prepared"
        self.rows_total = reply.number_total_rows or self.rows_total
        self.rows_loaded = reply.number_loaded_rows or 0
        self.rows_filtered = reply.number_filtered_rows or 0
        self._journal("prepared", state="PREPARED")
        return explain_reply("prepare", reply, self.label)

    async def commit(self) -> Answer:
        self._journal("committing")
        try:
            reply = await self.client.commit(self.db, self.label)
        except (StarRocksError, errors.ApiError) as e:
            return await self._settle(explain_error("commit", e, self.label))
        self.phase = "committed"
        if reply.number_loaded_rows is not None:
            self.rows_loaded = reply.number_loaded_rows
            self.rows_filtered = reply.number_filtered_rows or 0
        state = "COMMITTED" if reply.status == "PUBLISH_TIMEOUT" else "VISIBLE"
        self._journal("done", state=state, message="committed")
        return explain_reply("commit", reply, self.label)

    async def rollback(self) -> Answer:
        try:
            reply = await self.client.rollback(self.db, self.label)
        except (StarRocksError, errors.ApiError) as e:
            return await self._settle(explain_error("rollback", e, self.label))
        self.phase = "aborted"
        self._journal("failed", state="ABORTED", message="rolled back by the user")
        return explain_reply("rollback", reply, self.label)


# -- the journal's unfinished transactions -----------------------------------------------------------
@dataclass
class Unfinished:
    entry: JournalEntry
    state: str = ""  # the label's state on the cluster; "" when it could not be asked
    action: Literal["commit", "rollback", ""] = ""
    note: str = ""

    @property
    def label(self) -> str:
        return self.entry.label


async def review_unfinished(
    client: StarRocksClient, journal: Journal, skip: Iterable[str] = ()
) -> list[Unfinished]:
    """Journal records of this cluster whose transaction may still be open, with what to offer:
    commit for PREPARED, roll back for PREPARE (running). Records the cluster has finished with
    are brought up to date and not offered."""
    skipped = set(skip)
    fe = client.base_url
    out: list[Unfinished] = []
    for entry in journal.entries():
        if entry.fe_url.rstrip("/") != fe or entry.step not in OPEN_STEPS or entry.label in skipped:
            continue
        try:
            state = await client.load_state(entry.db, entry.label)
        except errors.ApiError as e:
            out.append(Unfinished(entry, "", "", f"could not ask its state: {e.message}"))
            continue
        if state == "PREPARED":
            out.append(Unfinished(entry, state, "commit", "prepared: commit makes its rows visible"))
        elif state == "PREPARE":
            out.append(Unfinished(entry, state, "rollback", "still running, and no one is sending to it"))
        elif state in ("VISIBLE", "COMMITTED"):
            entry.step, entry.state = "done", state
            journal.save(entry)
        else:
            entry.step, entry.state = "failed", state
            entry.message = entry.message or "ended on the cluster (aborted or timed out)"
            journal.save(entry)
    return out


async def finish_unfinished(
    client: StarRocksClient, journal: Journal, item: Unfinished, action: Literal["commit", "rollback"]
) -> Answer:
    """Commit or roll back a journal record's transaction, and record the outcome."""
    e = item.entry
    try:
        reply = await (client.commit(e.db, e.label) if action == "commit" else client.rollback(e.db, e.label))
    except (StarRocksError, errors.ApiError) as exc:
        answer = explain_error(action, exc, e.label)
        try:
            state = await client.load_state(e.db, e.label)
        except errors.ApiError:
            return answer
        e.state = state
        if state in ("VISIBLE", "COMMITTED"):
            e.step = "done"
        elif state in ("ABORTED", "UNKNOWN"):
            e.step = "failed"
        journal.save(e)
        answer.detail = _join(answer.detail, f"The label's state is now {state}.")
        return answer
    if action == "commit":
        e.step, e.state, e.message = "done", "VISIBLE", "committed from the console after a restart"
    else:
        e.step, e.state, e.message = "failed", "ABORTED", "rolled back from the console"
    journal.save(e)
    return explain_reply(action, reply, e.label)


# -- running transactions ------------------------------------------------------------------------
@dataclass
class Thresholds:
    idle_s: float = 300  # no data for this long: idle
    prepared_s: float = 3600  # prepared (open) for this long without a commit
    near_timeout_s: float = 60  # this close to its timeout


@dataclass
class RunningTxn:
    txn_id: int
    label: str
    state: str  # the FE's TransactionStatus: PREPARE (running) or PREPARED
    begun: float | None = None  # epoch seconds
    timeout_s: float | None = None
    be: str = ""  # the BE holding it ("host:port" as reached), when one lists it
    on_be: bool | None = None  # None: no BE list was available
    in_processing: bool = False
    last_active: float | None = None
    rows_total: int | None = None
    rows_loaded: int | None = None
    rows_filtered: int | None = None
    load_bytes: int | None = None
    idle_timeout_s: float | None = None
    coordinator: str = ""
    findings: list[str] = field(default_factory=list)
    stuck: bool = False
    rollback: str = ""  # the outcome of the last rollback attempt
    fe_row: dict[str, Any] = field(default_factory=dict)
    be_row: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.txn_id}:{self.label}"

    def age(self, now: float) -> float | None:
        return None if self.begun is None else now - self.begun

    def idle(self, now: float) -> float | None:
        return None if self.last_active is None else now - self.last_active

    def timeout_in(self, now: float) -> float | None:
        if self.begun is None or self.timeout_s is None or self.state != "PREPARE":
            return None
        return self.begun + self.timeout_s - now


@dataclass
class RunningSnapshot:
    db: str
    now: float  # the FE's clock, epoch seconds
    fe_offset: float  # FE local time minus UTC, seconds (its time strings are local)
    fe_rows: list[dict[str, Any]]
    be_rows: dict[str, list[dict[str, Any]]]  # BE address -> its open transactions
    be_errors: dict[str, str]
    backends: list[str]


def backend_addresses(records: Iterable[dict[str, Any]]) -> list[str]:
    """``host:http_port`` of each alive BE of SHOW BACKENDS (the client maps them)."""
    out: list[str] = []
    for r in records:
        host = r.get("IP") or r.get("Host") or ""
        port = r.get("HttpPort") or ""
        if host and port and str(r.get("Alive", "true")).lower() == "true":
            out.append(f"{host}:{port}")
    return out


_DB_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,256}$")


def parse_fe_time(text: Any, offset: float) -> float | None:
    """``2024-01-01 08:00:00`` in the FE's time zone, as epoch seconds."""
    if not text or str(text).upper() in ("NULL", "N/A"):
        return None
    try:
        dt = datetime.strptime(str(text)[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return calendar.timegm(dt.timetuple()) - offset


async def running_snapshot(client: StarRocksClient, db: str) -> RunningSnapshot:
    """The FE's running transactions of a database and every BE's open transactions."""
    if not _DB_NAME.match(db):
        raise ValueError(f"not a database name: {db!r}")
    clock = await client.records("select unix_timestamp() as ts, now() as now")
    now = float(clock[0]["ts"]) if clock else time.time()
    local = parse_fe_time(clock[0]["now"], 0) if clock else None
    offset = round(((local or now) - now) / 60) * 60  # whole minutes: the two reads differ slightly
    fe_rows = await client.records(f"show proc '/transactions/{db}/running'")
    backends = backend_addresses(await client.records("show backends"))

    async def one(be: str) -> tuple[str, list[dict[str, Any]] | str]:
        try:
            return be, await client.be_transactions(be)
        except errors.ApiError as e:
            return be, _join(e.message, e.hint)

    be_rows: dict[str, list[dict[str, Any]]] = {}
    be_errors: dict[str, str] = {}
    for be, got in await asyncio.gather(*(one(b) for b in backends)):
        if isinstance(got, str):
            be_errors[be] = got
        else:
            be_rows[be] = got
    return RunningSnapshot(db, now, offset, fe_rows, be_rows, be_errors, backends)


def _int(v: Any) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def classify(snapshot: RunningSnapshot, limits: Thresholds) -> list[RunningTxn]:
    """One row per transaction the FE lists as running, joined with the BE's view of it, with
    what makes it look stuck: idle long, prepared long, near its timeout, or lost by its BE."""
    now = snapshot.now
    by_label: dict[str, tuple[str, dict[str, Any]]] = {}
    for be, rows in snapshot.be_rows.items():
        for r in rows:
            by_label[str(r.get("Label", ""))] = (be, r)
    complete = not snapshot.be_errors and bool(snapshot.backends)
    out: list[RunningTxn] = []
    for fe in snapshot.fe_rows:
        t = RunningTxn(
            txn_id=_int(fe.get("TransactionId")) or 0,
            label=str(fe.get("Label", "")),
            state=str(fe.get("TransactionStatus", "")).upper(),
            begun=parse_fe_time(fe.get("PrepareTime"), snapshot.fe_offset),
            coordinator=str(fe.get("Coordinator", "")),
            fe_row=fe,
        )
        timeout_ms = _int(fe.get("TimeoutMs"))
        t.timeout_s = timeout_ms / 1000 if timeout_ms is not None else None
        found = by_label.get(t.label)
        if found is not None:
            be, row = found
            t.be, t.be_row, t.on_be = be, row, True
            t.in_processing = bool(row.get("InProcessing"))
            t.last_active = float(row["LastActiveTimestamp"]) if row.get("LastActiveTimestamp") else None
            if row.get("BeginTimestamp"):
                t.begun = float(row["BeginTimestamp"])
            t.rows_total = _int(row.get("NumberTotalRows"))
            t.rows_loaded = _int(row.get("NumberLoadedRows"))
            t.rows_filtered = _int(row.get("NumberFilteredRows"))
            t.load_bytes = _int(row.get("LoadBytes"))
            idle = _int(row.get("IdleTransactionTimeoutSec"))
            t.idle_timeout_s = float(idle) if idle and idle > 0 else None
            if row.get("TransactionTimeoutSec"):
                t.timeout_s = float(row["TransactionTimeoutSec"])
        elif complete:
            t.on_be = False
        _findings(t, now, limits)
        out.append(t)
    out.sort(key=lambda t: (not t.stuck, t.begun or 0))
    return out


def _findings(t: RunningTxn, now: float, limits: Thresholds) -> None:
    f: list[str] = []
    age = t.age(now)
    if t.state == "PREPARED":
        if age is not None and age >= limits.prepared_s:
            f.append(f"prepared and open for {human_seconds(age)}: commit or roll back")
    else:
        idle = t.idle(now)
        if t.on_be is False:
            left = t.timeout_in(now)
            when = f" (in {human_seconds(left)})" if left is not None and left > 0 else ""
            f.append(
                "the BE no longer has it: rollback cannot reach it; the FE ends it when its "
                f"timeout passes{when}"
            )
        elif idle is not None and idle >= limits.idle_s and not t.in_processing:
            f.append(f"idle for {human_seconds(idle)}")
        left = t.timeout_in(now)
        if left is not None and left <= limits.near_timeout_s:
            f.append("past its timeout" if left <= 0 else f"times out in {human_seconds(left)}")
    if t.in_processing:
        f.append("a request is being processed")
    t.findings = f
    t.stuck = any(not s.startswith("a request") for s in f)


@dataclass
class RollbackResult:
    label: str
    ok: bool
    text: str
    not_found: bool = False
    answer: Answer | None = None


async def rollback_one(client: StarRocksClient, db: str, label: str) -> RollbackResult:
    try:
        reply = await client.rollback(db, label)
    except (StarRocksError, errors.ApiError) as e:
        answer = explain_error("rollback", e, label)
        not_found = isinstance(e, TxnNotFound) or (
            isinstance(e, StarRocksError)
            and not isinstance(e, (LoadRejected, TxnBusy, TxnAborted))
            and re.search(r"no transaction found|not exist", _fe_message(e), re.I) is not None
        )
        text = "rollback found no such transaction" if not_found else answer.headline
        return RollbackResult(label, False, text, not_found, answer)
    answer = explain_reply("rollback", reply, label)
    already = "already" in (reply.message or "").lower()
    return RollbackResult(label, True, "was already aborted" if already else "rolled back", answer=answer)


async def rollback_many(
    client: StarRocksClient,
    db: str,
    labels: Sequence[str],
    on_each: Callable[[int, RollbackResult], None] | None = None,
) -> list[RollbackResult]:
    """Roll back each label in turn, reporting each outcome as it comes."""
    results: list[RollbackResult] = []
    for i, label in enumerate(labels):
        result = await rollback_one(client, db, label)
        results.append(result)
        if on_each is not None:
            on_each(i, result)
    return results


def still_listed_but_lost(results: Iterable[RollbackResult], after: Iterable[RunningTxn]) -> list[RunningTxn]:
    """Transactions rollback did not find that the FE still lists as running: their BE lost them,
    and only their timeout on the FE ends them."""
    missing = {r.label for r in results if r.not_found}
    return [t for t in after if t.label in missing]


def lost_note(t: RunningTxn, now: float) -> str:
    left = t.timeout_in(now)
    when = f"when its timeout passes, in {human_seconds(left)}" if left and left > 0 else "at its timeout"
    return (
        f"The FE still lists transaction {t.txn_id} ({t.label}) as running, but rollback no longer "
        f"finds it: its BE does not have it any more. The FE aborts it {when}; until then it counts "
        "against the database's limit of open transactions."
    )
