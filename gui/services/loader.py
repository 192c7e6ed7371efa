"""Exactly-once loading of a file through the Stream Load transaction interface.

One label stands for one file's rows. Whatever fails in between, the loader never takes a new label
for a retry whose outcome is unknown; it asks the cluster where that label stands and acts on it:

- VISIBLE / COMMITTED: the rows are in (COMMITTED is waited on until VISIBLE): done.
- PREPARED: every chunk reached the transaction and it was prepared: commit it.
- PREPARE (running): an earlier attempt's chunks may or may not all have arrived: roll it back;
  the label is free again once its transaction is aborted.
- ABORTED / UNKNOWN: begin (again) with the same label and send every chunk.

A begin whose answer was lost, a chunk cut off or answered with a 5xx, a lost prepare or commit
answer, a transaction timed out: each ends the attempt, and the next attempt starts with that
question. Data the cluster refuses (bad columns, too many filtered rows) ends the load: retrying
would not change the answer. A journal records each step, so a crashed run can be resumed by
running the same command again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import errors
from ..api.starrocks import (
    FileBody,
    LabelAlreadyExists,
    LoadOptions,
    LoadRejected,
    StarRocksClient,
    StarRocksError,
    TxnHandle,
    check_label,
)
from .journal import Journal, JournalEntry, file_identity

log = logging.getLogger("starrocks_console.loader")

DEFAULT_CHUNK = 64 * 1024 * 1024
_JOURNAL_WRITER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
_SCAN = 64 * 1024


@dataclass
class LoadRequest:
    file: Path
    db: str
    table: str
    label: str | None = None
    options: LoadOptions = field(default_factory=LoadOptions)
    chunk_size: int = DEFAULT_CHUNK
    timeout: int | None = None  # the transaction's timeout in seconds
    give_up_after: float = 600.0  # how long to keep trying while the cluster is unreachable


@dataclass
class LoadOutcome:
    label: str
    txn_id: int | None
    rows_loaded: int
    rows_filtered: int
    bytes: int
    seconds: float
    state: str
    already_loaded: bool
    restarts: int
    message: str = ""
    error_url: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "VISIBLE"


class LoadFailed(Exception):
    """The load cannot succeed as asked (data refused, table missing, cluster gone for too long)."""

    def __init__(self, message: str, outcome: LoadOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


class _Restart(Exception):
    """The current attempt's outcome is unknown: ask the cluster where the label stands."""


Progress = Callable[[int, int], None]


def chunks(path: Path, size: int, delimiter: bytes) -> list[tuple[int, int]]:
    """(offset, length) ranges of at most about ``size`` bytes, each ending on a row delimiter
    (the last one at the end of the file), found by reading a little past each cut."""
    total = path.stat().st_size
    out: list[tuple[int, int]] = []
    start = 0
    with path.open("rb") as f:
        while start < total:
            end = min(total, start + max(1, size))
            if end < total:
                f.seek(end - len(delimiter) + 1 if len(delimiter) > 1 else end)
                pos = f.tell()
                carry = b""
                found = -1
                while True:
                    block = f.read(_SCAN)
                    if not block:
                        break
                    data = carry + block
                    idx = data.find(delimiter)
                    if idx >= 0:
                        found = pos - len(carry) + idx + len(delimiter)
                        break
                    carry = data[-(len(delimiter) - 1) :] if len(delimiter) > 1 else b""
                    pos += len(block)
                end = total if found < 0 else found
            out.append((start, end - start))
            start = end
    return out


def default_label(identity: str) -> str:
    """A label for a run without one: fresh, but recorded in the journal under the file's
    identity so that the same command finds it again."""
    return f"scl_{identity[:12]}_{uuid.uuid4().hex[:12]}"


class Loader:
    def __init__(
        self,
        client: StarRocksClient,
        journal: Journal | None = None,
        *,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.journal = journal or Journal()
        self.progress = progress
        self.max_restarts = 20

    async def run(self, req: LoadRequest) -> LoadOutcome:
        started = time.monotonic()
        st = req.file.stat()
        fe = self.client.base_url
        identity = file_identity(fe, req.db, req.table, str(req.file), st.st_size, st.st_mtime_ns)
        entry: JournalEntry | None = None
        if req.label is not None:
            check_label(req.label)
            entry = self.journal.get(fe, req.db, req.label)
            label = req.label
        else:
            entry = self.journal.find_unfinished(identity)
            label = entry.label if entry is not None else default_label(identity)
        if entry is None or entry.identity() != identity:
            entry = JournalEntry(
                label=label,
                fe_url=fe,
                db=req.db,
                table=req.table,
                file=os.path.abspath(req.file),
                file_size=st.st_size,
                file_mtime_ns=st.st_mtime_ns,
                options=req.options.headers(),
            )
        entry.options = req.options.headers()
        await self._save(entry)
        ranges = chunks(
            req.file,
            req.chunk_size,
            req.options.row_delimiter_bytes() if req.options.format == "csv" else b"\n",
        )
        entry.chunks_total = len(ranges)
        loaded_here = False
        deadline = time.monotonic() + req.give_up_after
        attempt = 0
        last_error: Exception | None = None
        result: dict[str, object] = {}

        def outcome(state: str, message: str = "") -> LoadOutcome:
            return LoadOutcome(
                label=label,
                txn_id=entry.txn_id if entry else None,
                rows_loaded=entry.rows_loaded if loaded_here else 0,
                rows_filtered=entry.rows_filtered if loaded_here else 0,
                bytes=entry.bytes_done if loaded_here else 0,
                seconds=round(time.monotonic() - started, 3),
                state=state,
                already_loaded=not loaded_here,
                restarts=entry.restarts,
                message=message,
                error_url=result.get("error_url"),  # type: ignore[arg-type]
            )

        def fail(message: str) -> LoadFailed:
            entry.step, entry.message = "failed", message
            self.journal.save(entry)  # the load ends here: nothing else is waiting on the loop
            return LoadFailed(message, outcome(entry.state or "ABORTED", message))

        while True:
            attempt += 1
            if entry.restarts > self.max_restarts:
                raise fail(f"gave up after {entry.restarts} restarts: {last_error}")
            state = await self._state(req.db, label, deadline, fail)
            entry.state = state
            if state in ("VISIBLE", "COMMITTED"):
                if state == "COMMITTED":
                    state = await self._wait_visible(req.db, label, deadline, fail)
                entry.step, entry.state = "done", state
                await self._save(entry)
                return outcome(
                    state, "loaded" if loaded_here else "the label was already loaded; nothing was sent"
                )
            if state == "PREPARED":
                entry.step = "committing"
                await self._save(entry)
                # This run makes the rows visible, even if their chunks were sent by a crashed one.
                loaded_here = True
                await self._try(self.client.commit(req.db, label))
                continue
            if state == "PREPARE":
                # Running from an attempt whose outcome is unknown (maybe a crashed run): start over.
                await self._try(self.client.rollback(req.db, label))
                entry.restarts += 1
                await self._backoff(entry.restarts)
                continue
            # UNKNOWN or ABORTED: (re)start the transaction under the same label.
            entry.step, entry.chunks_done, entry.bytes_done = "started", 0, 0
            entry.rows_loaded = entry.rows_filtered = 0
            await self._save(entry)
            try:
                handle = await self.client.begin(req.db, req.table, label, timeout=req.timeout)
            except LabelAlreadyExists:
                continue  # someone (maybe our lost begin) holds it: look again
            except LoadRejected as e:
                raise fail(str(e)) from e
            except (errors.ConnectionFailed, errors.ServerError, StarRocksError) as e:
                last_error = e
                entry.restarts += 1
                await self._backoff(entry.restarts)
                continue
            entry.step, entry.txn_id = "begun", handle.txn_id
            await self._save(entry)
            try:
                await self._send_chunks(handle, req, ranges, entry)
                entry.step = "loading"
                reply = await self.client.prepare(req.db, label)
            except LoadRejected as e:
                await self._try(self.client.rollback(req.db, label))
                entry.state = "ABORTED"
                result["error_url"] = e.reply.error_url if e.reply else None
                raise fail(str(e)) from e
            except (_Restart, errors.ConnectionFailed, errors.ServerError, StarRocksError) as e:
                last_error = e
                log.info("attempt %d of %s ended: %s", attempt, label, e)
                entry.restarts += 1
                await self._save(entry)
                await self._backoff(entry.restarts)
                continue
            loaded_here = True
            entry.step = "prepared"
            entry.rows_loaded = reply.number_loaded_rows or 0
            entry.rows_filtered = reply.number_filtered_rows or 0
            result["error_url"] = reply.error_url
            await self._save(entry)
            entry.step = "committing"
            await self._save(entry)
            await self._try(self.client.commit(req.db, label))
            # Whatever commit answered, the next round reads the label's state and finishes.

    async def _send_chunks(
        self, handle: TxnHandle, req: LoadRequest, ranges: list[tuple[int, int]], entry: JournalEntry
    ) -> None:
        total = sum(n for _, n in ranges)
        done = 0
        for i, (offset, length) in enumerate(ranges):
            base = done

            def report(sent: int, _size: int | None, base: int = base) -> None:
                if self.progress:
                    self.progress(base + sent, total)

            try:
                await self.client.load(handle, FileBody(req.file, offset, length), req.options, report)
            except LoadRejected:
                raise
            except (errors.ConnectionFailed, errors.ServerError, StarRocksError) as e:
                raise _Restart(f"chunk {i + 1}/{len(ranges)}: {e}") from e
            done += length
            entry.chunks_done, entry.bytes_done = i + 1, done
            entry.step = "loading"
            await self._save(entry)

    async def _state(self, db: str, label: str, deadline: float, fail: Callable[[str], LoadFailed]) -> str:
        """The label's state, asking until the cluster answers or the deadline passes."""
        tries = 0
        while True:
            try:
                return await self.client.load_state(db, label)
            except (errors.ConnectionFailed, errors.ServerError) as e:
                tries += 1
                if time.monotonic() > deadline:
                    raise fail(f"the cluster did not answer: {e}") from e
                await self._backoff(tries)
            except errors.AuthError as e:
                raise fail(str(e)) from e

    async def _wait_visible(
        self, db: str, label: str, deadline: float, fail: Callable[[str], LoadFailed]
    ) -> str:
        tries = 0
        while True:
            state = await self._state(db, label, deadline, fail)
            if state != "COMMITTED":
                return state
            tries += 1
            if time.monotonic() > deadline:
                raise fail("the transaction is committed but not visible yet")
            await self._backoff(tries)

    async def _try(self, call: Awaitable[Any]) -> Any:
        """Await a call whose failure the next round will detect through the label's state."""
        try:
            return await call
        except (errors.ApiError, StarRocksError) as e:
            log.info("ignored (the next round checks the label's state): %s", e)
            return None

    async def _save(self, entry: JournalEntry) -> None:
        # The journal is fsynced; off the event loop's thread, so a window never stalls on the disk.
        # A thread of our own: the loop's default executor may be costly to start (qasync starts all
        # its worker threads at once on first use).
        await asyncio.get_running_loop().run_in_executor(_JOURNAL_WRITER, self.journal.save, entry)

    async def _backoff(self, n: int) -> None:
        await asyncio.sleep(min(10.0, 0.2 * (2 ** min(n, 6))) * random.uniform(0.5, 1.0))
