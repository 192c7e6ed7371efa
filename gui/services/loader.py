"""Exactly-once loading of a file through the Stream Load transaction interface.

One label stands for one file's rows. Whatever fails in between, the loader never takes a new label
for a retry whose outcome is unknown; it asks the cluster where that label stands and acts on it:

- VISIBLE / COMMITTED: the rows are in (COMMITTED is waited on until VISIBLE) — if this console
  sent the commit, or its journal shows every chunk of this file prepared under the label. When
  the label became visible although the journal shows chunks that were never sent (a BE takes
  ``commit`` on its HTTP port without credentials), the load is reported as finished by someone
  else, never as a success.
- PREPARED: commit it when every chunk of this file reached the transaction; otherwise roll it back.
- PREPARE (running): an earlier attempt's chunks may or may not all have arrived: roll it back;
  the label is free again once its transaction is aborted.
- ABORTED / UNKNOWN: begin (again) with the same label and send every chunk.

A begin whose answer was lost, a chunk cut off or answered with a 5xx, a lost prepare or commit
answer, a transaction timed out: each ends the attempt, and the next attempt starts with that
question. Every attempt counts against the restart limit and the time allowed without progress,
and waits a little longer than the one before. Data the cluster refuses (bad columns, too many
filtered rows) ends the load: retrying would not change the answer. Once commit was sent, nothing
is sent again: a label that is then not visible is an error, reported as the cluster gives it.

The file is opened once and read through that one handle for the whole load; if it is changed,
replaced or deleted before prepare, the transaction is rolled back and the load says so. Anything
that goes wrong on this side after begin (a local I/O error, a full disk, a header the client
cannot send) rolls back what was begun. A journal records each step, so a crashed run can be
resumed by running the same command again.

A load can be stopped (``Loader.stop``) until commit is sent: it then stops at the next safe point
and leaves the transaction open or rolls it back, as asked.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import random
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from ..api import errors
from ..api.starrocks import (
    FileBody,
    LabelAlreadyExists,
    LoadOptions,
    LoadRejected,
    StarRocksClient,
    TxnBusy,
    TxnHandle,
    check_label,
)
from ..api.starrocks.models import decode_separator
from .journal import Journal, JournalEntry, file_identity

log = logging.getLogger("starrocks_console.loader")

DEFAULT_CHUNK = 64 * 1024 * 1024
_JOURNAL_WRITER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
_SCAN = 64 * 1024
# Separators a CSV file commonly uses, offered when every row was filtered (see _separator_hint).
_COMMON_SEPARATORS = (b",", b"\t", b"|", b";")
# After a commit answered OK, how many times a label that is not visible is asked about again.
_AFTER_COMMIT_ASKS = 4
# Open steps of a record: its transaction may still be open on the cluster.
_OPEN = ("started", "begun", "loading", "prepared", "committing")


@dataclass
class LoadRequest:
    file: Path
    db: str
    table: str
    label: str | None = None
    options: LoadOptions = field(default_factory=LoadOptions)
    chunk_size: int = DEFAULT_CHUNK
    timeout: int | None = None  # the transaction's timeout in seconds
    give_up_after: float = 600.0  # how long to keep trying without progress


@dataclass
class LoadOutcome:
    label: str
    txn_id: int | None
    rows_loaded: int  # the cluster's figures, not counted here
    rows_filtered: int
    bytes: int
    seconds: float
    state: str  # the label's state as the cluster last gave it
    already_loaded: bool  # nothing sent: an earlier load of this label was already visible
    restarts: int
    message: str = ""
    error_url: str | None = None
    # The label became visible by a commit this console did not send, while its journal shows
    # chunks of the file that were never sent: part of the file may be in the table.
    finished_by_other: bool = False
    # Every row was filtered and the file's first line splits on this separator (not on the one
    # used): the separator that would fit, as the file shows it.
    suggested_separator: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "VISIBLE" and not self.finished_by_other


class LoadFailed(Exception):
    """The load cannot succeed as asked (data refused, table missing, cluster gone for too long,
    the file changed, finished by someone else). ``outcome`` is where it ended."""

    def __init__(self, message: str, outcome: LoadOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


class LoadStopped(Exception):
    """The user stopped the load before commit was sent (``Loader.stop``)."""

    def __init__(self, message: str, outcome: LoadOutcome, where: str, rolled_back: bool) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.where = where  # in plain words, e.g. "while sending chunk 3 of 8 (…)"
        self.rolled_back = rolled_back


@dataclass
class StopAnswer:
    """What ``Loader.stop`` could do: ``too_late`` once commit is on its way."""

    too_late: bool
    text: str


class _Restart(Exception):
    """The current attempt's outcome is unknown: ask the cluster where the label stands."""


class _StopNow(Exception):
    """Raised from the progress callback between blocks of a chunk: the user asked to stop."""


class _FileChanged(Exception):
    """The file is no longer the one the load started with."""


Progress = Callable[[int, int], None]


def chunks(source: Path | IO[bytes], size: int, delimiter: bytes) -> list[tuple[int, int]]:
    """(offset, length) ranges of at most about ``size`` bytes, each ending on a row delimiter
    (the last one at the end of the file), found by reading a little past each cut. ``source``
    is a path or an open binary file (read through its own position, which is left moved)."""
    if isinstance(source, Path):
        with source.open("rb") as opened:
            return chunks(opened, size, delimiter)
    f = source
    total = os.fstat(f.fileno()).st_size
    out: list[tuple[int, int]] = []
    start = 0
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


def public_url(url: str) -> str:
    """The URL without user name or password: what may be written down (journal, logs)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url.rstrip("/")
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)).rstrip("/")


def check_header_values(headers: dict[str, str]) -> None:
    """Refuse, before anything is begun, a header value no HTTP request can carry."""
    for name, value in headers.items():
        bad = next((c for c in ("\r", "\n", "\x00") if c in value), None)
        if bad is not None:
            raise ValueError(
                f"{name} contains a {'NUL' if bad == chr(0) else 'line break'} character, which an HTTP "
                f"header cannot carry: {value!r}"
            )


def tls_refused(e: BaseException) -> bool:
    """The error says TLS verification failed: trying again cannot help."""
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLCertVerificationError):
            return True
        text = f"{cur} {getattr(cur, 'hint', '') or ''}".lower()
        if "certificate verify failed" in text or "certificate_verify_failed" in text:
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GiB"


@dataclass
class _Figures:
    rows_loaded: int
    rows_filtered: int
    load_bytes: int


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
        # The longest wait between two attempts (they double from 0.2 s, with jitter): a cluster
        # that is restarting is not asked again and again, nor left alone for long.
        self.max_backoff = 10.0
        self._running = False
        self._stop_requested = False
        self._stop_rollback = False
        self._commit_sent = False
        self._wake = asyncio.Event()
        self._label = ""

    async def run(self, req: LoadRequest) -> LoadOutcome:
        """Load ``req.file`` once. Returns the outcome when its rows are visible; raises
        ``LoadFailed`` (with the outcome) when they are not, ``LoadStopped`` after ``stop()``,
        ``ValueError`` for a request that can be refused before anything is sent. The journal is
        written before any of these reaches the caller."""
        if self._running:
            raise RuntimeError("this loader is already running a load")
        self._running = True
        self._stop_requested = self._stop_rollback = self._commit_sent = False
        self._wake.clear()
        try:
            return await _Run(self, req).go()
        finally:
            self._running = False

    def stop(self, rollback: bool = False) -> StopAnswer:
        """Ask the running load to stop before commit. Call it from the loop ``run()`` runs on."""
        if not self._running:
            return StopAnswer(False, "No load is running.")
        if self._commit_sent:
            return StopAnswer(
                True,
                f"Commit of {self._label} was already sent: the load can no longer be stopped. Its "
                "final state is shown as the cluster gives it.",
            )
        self._stop_requested = True
        self._stop_rollback = self._stop_rollback or rollback
        self._wake.set()
        what = "rolled back" if self._stop_rollback else "left open (commit or roll it back later)"
        name = f" {self._label}" if self._label else ""
        return StopAnswer(False, f"Stopping{name} before commit; its transaction will be {what}.")

    @property
    def label(self) -> str:
        """The label of the load running now ("" before the first begins)."""
        return self._label

    @property
    def stopping(self) -> bool:
        return self._stop_requested


class _Run:
    """One ``Loader.run``: the request, its journal record and the state of this run."""

    def __init__(self, loader: Loader, req: LoadRequest) -> None:
        self.loader = loader
        self.client = loader.client
        self.journal = loader.journal
        self.req = req
        self.started = time.monotonic()
        self.deadline = self.started + req.give_up_after
        self.label = req.label or ""
        self.entry: JournalEntry | None = None
        self.prior: JournalEntry | None = None  # the record of this load as this run found it
        self.path = os.path.abspath(req.file)
        self.fh: IO[bytes] | None = None
        self.st: os.stat_result | None = None
        self.ranges: list[tuple[int, int]] = []
        self.began_here = False  # this run asked for a begin: a transaction of ours may be open
        self.figures: _Figures | None = None  # from this run's prepare answer
        self.error_url: str | None = None
        self.last_error: BaseException | None = None
        self.suggested: str | None = None
        self.stop_sent = 0  # bytes of the file sent when a stop cut a chunk
        self.other_file: str | None = None  # the file of the label's record, when another one
        self.prior_step = ""

    # -- the outcome --------------------------------------------------------------------------------
    def outcome(
        self,
        state: str,
        message: str = "",
        *,
        figures: _Figures | None = None,
        already_loaded: bool = False,
        finished_by_other: bool = False,
    ) -> LoadOutcome:
        e = self.entry
        f = figures or _Figures(0, 0, 0)
        return LoadOutcome(
            label=self.label,
            txn_id=e.txn_id if e else None,
            rows_loaded=f.rows_loaded,
            rows_filtered=f.rows_filtered,
            bytes=f.load_bytes,
            seconds=round(time.monotonic() - self.started, 3),
            state=state,
            already_loaded=already_loaded,
            restarts=e.restarts if e else 0,
            message=message,
            error_url=self.error_url,
            finished_by_other=finished_by_other,
            suggested_separator=self.suggested,
        )

    def _writes(self) -> bool:
        """A record of another file's load under this label stays untouched until this run
        begins a transaction of its own under it."""
        return self.entry is not None and (self.began_here or self.other_file is None)

    async def save(self) -> None:
        # The journal is fsynced; off the event loop's thread, so a window never stalls on the disk.
        # A thread of our own: the loop's default executor may be costly to start (qasync starts all
        # its worker threads at once on first use).
        if self.entry is None or not self._writes():
            return
        await asyncio.get_running_loop().run_in_executor(_JOURNAL_WRITER, self.journal.save, self.entry)

    async def save_quietly(self) -> str:
        """Save at the end of a failed load, where a journal that cannot be written must not hide
        the load's own outcome: returns what went wrong, or ""."""
        try:
            await self.save()
        except OSError as e:
            log.warning("the journal could not be written: %s", e)
            return f" The journal could not be written ({e.strerror or e})."
        return ""

    # -- the whole run ------------------------------------------------------------------------------
    async def go(self) -> LoadOutcome:
        req = self.req
        # What can be told before anything is sent is refused before anything is sent.
        if req.label is not None:
            check_label(req.label)
        check_header_values(req.options.headers())
        try:
            self.fh = open(req.file, "rb")  # held for the whole load: closed below
        except OSError as e:
            raise LoadFailed(f"cannot read {req.file}: {e.strerror or e}", self.outcome("UNKNOWN")) from e
        try:
            return await self._guarded()
        finally:
            self.fh.close()

    async def _guarded(self) -> LoadOutcome:
        try:
            self._start()
            # Nothing is written before there is something to remember: the first begin writes
            # the record (a run that finds the label already loaded leaves other records alone).
            return await self._rounds()
        except (LoadFailed, LoadStopped):
            raise
        except asyncio.CancelledError:
            # The caller cancelled the task: what was begun stays as it is; the record says where.
            if self.entry is not None and self._writes():
                self.entry.message = "interrupted; run the same load again to finish or roll it back"
                try:
                    self.journal.save(self.entry)
                except OSError:
                    pass
            raise
        except _FileChanged as e:
            raise await self._abandon(str(e), e) from e
        except Exception as e:  # local I/O, a header the client cannot send, anything unforeseen
            raise await self._abandon(_describe(e), e) from e

    def _start(self) -> None:
        assert self.fh is not None
        req = self.req
        self.st = os.fstat(self.fh.fileno())
        fe = public_url(self.client.base_url)
        identity = file_identity(fe, req.db, req.table, self.path, self.st.st_size, self.st.st_mtime_ns)
        if req.label is not None:
            found = self.journal.get(fe, req.db, req.label)
        else:
            found = self.journal.find_unfinished(identity)
            self.label = found.label if found is not None else default_label(identity)
        self.loader._label = self.label
        self.prior = found if found is not None and found.identity() == identity else None
        self.other_file = found.file if found is not None and self.prior is None else None
        self.prior_step = self.prior.step if self.prior is not None else ""
        if self.prior is not None:
            self.entry = self.prior
        else:
            self.entry = JournalEntry(
                label=self.label,
                fe_url=fe,
                db=req.db,
                table=req.table,
                file=self.path,
                file_size=self.st.st_size,
                file_mtime_ns=self.st.st_mtime_ns,
            )
        self.entry.options = req.options.headers()
        delimiter = req.options.row_delimiter_bytes() if req.options.format == "csv" else b"\n"
        self.ranges = chunks(self.fh, req.chunk_size, delimiter)

    # -- rounds -------------------------------------------------------------------------------------
    async def _rounds(self) -> LoadOutcome:
        entry = self.entry
        assert entry is not None
        asks_after_commit = 0
        while True:
            self._check_limits()
            await self._stop_point(self._where_between())
            state = await self._state()
            entry.state = state
            if state in ("VISIBLE", "COMMITTED"):
                return await self._visible(state)
            if self.loader._commit_sent:
                if state == "PREPARED":
                    # The commit did not arrive (a 5xx on the way, a lost connection): again.
                    await self._restart()
                    await self._commit()
                    continue
                if state in ("UNKNOWN", "PREPARE") and asks_after_commit < _AFTER_COMMIT_ASKS:
                    # Never sent again once committed: only asked again, a few times.
                    asks_after_commit += 1
                    await self._restart()
                    continue
                raise await self._not_visible_after_commit(state)
            if state == "PREPARED":
                if self._holds_whole_file(prepared=False):
                    await self._commit()
                    continue
                # Prepared, but not known to hold every chunk of this file: start over.
                log.info("%s is PREPARED without every chunk of %s: rolling back", self.label, self.path)
                await self._rollback_quietly()
                await self._restart()
                continue
            if state == "PREPARE":
                # Running from an attempt whose outcome is unknown (maybe a crashed run): start over.
                await self._rollback_quietly()
                await self._restart()
                continue
            # UNKNOWN or ABORTED: (re)start the transaction under the same label.
            if await self._attempt():
                await self._commit()

    def _check_limits(self) -> None:
        assert self.entry is not None
        if self.entry.restarts > self.loader.max_restarts:
            raise _GiveUp(f"gave up after {self.entry.restarts} restarts: {self._last()}")
        if time.monotonic() > self.deadline:
            raise _GiveUp(f"gave up after {self.req.give_up_after:g} s without progress: {self._last()}")

    def _last(self) -> str:
        return str(self.last_error) if self.last_error else "no attempt moved the load on"

    async def _restart(self, error: BaseException | None = None) -> None:
        assert self.entry is not None
        if error is not None:
            self.last_error = error
        self.entry.restarts += 1
        await self.save()
        await self._backoff(self.entry.restarts)

    def _progressed(self) -> None:
        self.deadline = time.monotonic() + self.req.give_up_after

    async def _attempt(self) -> bool:
        """Begin, send every chunk, prepare. True when prepared; False when the attempt ended and
        the next round must ask where the label stands."""
        entry = self.entry
        req = self.req
        assert entry is not None
        self._check_file()
        await self._stop_point("before the transaction began")
        entry.step, entry.chunks_done, entry.bytes_done = "started", 0, 0
        entry.chunks_total = len(self.ranges)
        entry.rows_loaded = entry.rows_filtered = entry.load_bytes = 0
        entry.commit_sent, entry.txn_id, entry.message = False, None, ""
        self.figures = None
        await self.save()
        self.began_here = True
        try:
            handle = await self.client.begin(req.db, req.table, self.label, timeout=req.timeout)
        except LabelAlreadyExists as e:
            # Someone (maybe our own lost begin) holds it: look again, as one more attempt.
            await self._restart(e)
            return False
        except LoadRejected as e:
            raise await self._refused(e) from e
        except errors.ApiError as e:
            self._fatal(e)
            await self._restart(e)
            return False
        entry.step, entry.txn_id, entry.state = "begun", handle.txn_id, "PREPARE"
        await self.save()
        self._progressed()
        try:
            await self._send_chunks(handle)
            self._check_file()
            await self._stop_point("after every chunk was sent, before prepare")
            reply = await self.client.prepare(req.db, self.label)
        except LoadRejected as e:
            raise await self._refused(e) from e
        except _Restart as e:
            log.info("attempt of %s ended: %s", self.label, e)
            await self._restart(e.__cause__ or e)
            return False
        except errors.ApiError as e:
            self._fatal(e)
            log.info("attempt of %s ended: %s", self.label, e)
            await self._restart(e)
            return False
        self._progressed()
        self.figures = _Figures(
            reply.number_loaded_rows or 0, reply.number_filtered_rows or 0, reply.load_bytes or 0
        )
        self.error_url = reply.error_url
        entry.step, entry.state = "prepared", "PREPARED"
        entry.rows_loaded, entry.rows_filtered = self.figures.rows_loaded, self.figures.rows_filtered
        entry.load_bytes = self.figures.load_bytes
        await self.save()
        return True

    async def _send_chunks(self, handle: TxnHandle) -> None:
        entry = self.entry
        assert entry is not None and self.fh is not None
        total = sum(n for _, n in self.ranges)
        body_path = _handle_path(self.fh, Path(self.path))
        done = 0
        for i, (offset, length) in enumerate(self.ranges):
            self._check_file()
            await self._stop_point(self._where_sending(i, done, total))
            base = done

            def report(sent: int, _size: int | None, base: int = base, length: int = length) -> None:
                if self.loader.progress:
                    self.loader.progress(base + sent, total)
                # Between blocks of a chunk; once its last block is out, its answer is awaited.
                if self.loader._stop_requested and sent < length:
                    self.stop_sent = base + sent
                    raise _StopNow()

            try:
                await self.client.load(handle, FileBody(body_path, offset, length), self.req.options, report)
            except _StopNow:
                raise await self._stopped(self._where_sending(i, self.stop_sent, total)) from None
            except LoadRejected:
                raise
            except errors.ApiError as e:
                self._fatal(e)
                raise _Restart(f"chunk {i + 1}/{len(self.ranges)}: {e}") from e
            done += length
            entry.chunks_done, entry.bytes_done = i + 1, done
            entry.step = "loading"
            await self.save()
            self._progressed()

    async def _commit(self) -> None:
        entry = self.entry
        assert entry is not None
        await self._stop_point(self._where_prepared())
        entry.step, entry.commit_sent = "committing", True
        await self.save()
        # The last moment a stop can still keep the commit from being sent; from here on the
        # load goes on to the final state the cluster gives.
        await self._stop_point(self._where_prepared())
        self.loader._commit_sent = True
        try:
            await self.client.commit(self.req.db, self.label)
        except errors.ApiError as e:
            # Whatever commit answered, the next round reads the label's state and finishes.
            self.last_error = e
            log.info("commit of %s: %s (the next round reads its state)", self.label, e)

    # -- the label is visible -----------------------------------------------------------------------
    async def _visible(self, state: str) -> LoadOutcome:
        entry = self.entry
        assert entry is not None
        if state == "COMMITTED":
            state = await self._wait_visible()
        earlier = not self.began_here and self.prior is not None
        if earlier and self.prior_step == "done":
            figures = await self._figures(from_record=True)
            message = "the label was already loaded by an earlier run; nothing was sent"
            return self.outcome(state, message, figures=figures, already_loaded=True)
        if self.loader._commit_sent or (earlier and self._holds_whole_file(prepared=True)):
            # Our commit, or an earlier run's that had sent every chunk and prepared them.
            figures = self.figures or await self._figures(from_record=True)
            entry.step, entry.state = "done", state
            entry.rows_loaded, entry.rows_filtered = figures.rows_loaded, figures.rows_filtered
            entry.load_bytes = figures.load_bytes
            entry.message = "loaded" if self.loader._commit_sent else "loaded (committed by an earlier run)"
            await self.save()
            return self.outcome(state, entry.message, figures=figures)
        if not self.began_here and self.prior is None:
            figures = await self._figures(from_record=False)
            if self.other_file:
                # That load's record stays as it is: this run did nothing to add to it.
                message = f"the label was already loaded, by a load of {self.other_file}; nothing was sent"
            else:
                message = "the label was already loaded (this console has no record of it); nothing was sent"
                entry.step, entry.state, entry.message = "done", state, message
                entry.rows_loaded, entry.rows_filtered = figures.rows_loaded, figures.rows_filtered
                entry.load_bytes = figures.load_bytes
                await self.save()
            return self.outcome(state, message, figures=figures, already_loaded=True)
        raise await self._finished_by_other(state)

    async def _finished_by_other(self, state: str) -> LoadFailed:
        entry = self.entry
        assert entry is not None and self.st is not None
        figures = await self._figures(from_record=False)
        size = self.st.st_size
        if entry.bytes_done >= size:
            sent = "every chunk of the file had been sent, but not prepared and committed"
        else:
            sent = (
                f"only {entry.chunks_done} of {entry.chunks_total or len(self.ranges)} chunks "
                f"({human_bytes(entry.bytes_done)} of {human_bytes(size)}) had been sent"
            )
        message = (
            f"the transaction of {self.label} was finished by someone else: the cluster shows it {state} "
            f"with {figures.rows_loaded:,} rows loaded, but {sent} by this console. Part of "
            f"{self.path} may be in {self.req.db}.{self.req.table}: check the table, remove those rows "
            "if they must not stay, and load the file again under a new label. A BE takes commit and "
            "rollback on its HTTP port without credentials: keep that port away from untrusted hosts."
        )
        entry.step, entry.state, entry.message = "failed", state, message
        entry.rows_loaded, entry.rows_filtered = figures.rows_loaded, figures.rows_filtered
        entry.load_bytes = figures.load_bytes
        note = await self.save_quietly()
        return LoadFailed(
            message + note, self.outcome(state, message + note, figures=figures, finished_by_other=True)
        )

    async def _not_visible_after_commit(self, state: str) -> LoadFailed:
        """Commit was sent and the label is still not visible after asking again: the file is never
        sent again; say what the cluster says."""
        entry = self.entry
        assert entry is not None
        if state == "ABORTED":
            message = (
                f"commit of {self.label} was sent, but the cluster aborted its transaction: nothing of it "
                "is visible. Run the load again to send the file again."
            )
        else:
            message = (
                f"commit of {self.label} was sent, but the cluster gives the label's state as "
                f"{state}, not VISIBLE: whether the rows are in is not known. Check the table and the "
                "label (information_schema.loads) before loading the file again."
            )
        entry.step, entry.state, entry.message = "failed", state, message
        note = await self.save_quietly()
        figures = await self._figures(from_record=False)
        return LoadFailed(message + note, self.outcome(state, message + note, figures=figures))

    def _holds_whole_file(self, *, prepared: bool) -> bool:
        """The journal shows every chunk of this file sent into the label's transaction and, with
        ``prepared``, prepared by this console (else a lost prepare answer is enough)."""
        e = self.entry
        if e is None or self.st is None or self.st.st_size == 0:
            return False
        if e.identity() != file_identity(
            e.fe_url, self.req.db, self.req.table, self.path, self.st.st_size, self.st.st_mtime_ns
        ):
            return False
        steps = ("prepared", "committing") if prepared else ("loading", "prepared", "committing")
        return e.bytes_done == self.st.st_size and (e.commit_sent or e.step in steps)

    async def _wait_visible(self) -> str:
        tries = 0
        while True:
            state = await self._state()
            if state != "COMMITTED":
                return state
            tries += 1
            if time.monotonic() > self.deadline:
                raise _GiveUp("the transaction is committed but not visible yet")
            await self._backoff(tries)

    # -- asking the cluster -------------------------------------------------------------------------
    async def _state(self) -> str:
        """The label's state, asking until the cluster answers or the time allowed is over."""
        tries = 0
        while True:
            try:
                return await self.client.load_state(self.req.db, self.label)
            except (errors.ConnectionFailed, errors.ServerError, errors.RateLimited) as e:
                self._fatal(e)
                self.last_error = e
                tries += 1
                if time.monotonic() > self.deadline:
                    raise _GiveUp(f"the cluster did not answer: {e}") from e
                await self._stop_point(self._where_between())
                await self._backoff(tries)
            except errors.ApiError as e:
                raise _GiveUp(str(e)) from e

    async def _state_once(self) -> str | None:
        try:
            return await self.client.load_state(self.req.db, self.label)
        except errors.ApiError as e:
            log.info("state of %s: %s", self.label, e)
            return None

    async def _figures(self, *, from_record: bool) -> _Figures:
        """The cluster's own figures for the label's newest load (information_schema.loads);
        the journal's record of them when the cluster cannot be asked."""
        db = self.req.db.replace("\\", "\\\\").replace("'", "''")
        query = (
            "SELECT SINK_ROWS, FILTERED_ROWS, SCAN_BYTES FROM information_schema.loads "
            f"WHERE DB_NAME = '{db}' AND LABEL = '{self.label}' ORDER BY ID DESC LIMIT 1"
        )
        try:
            rows = await self.client.query(query)
        except (errors.ApiError, ValueError) as e:
            log.info("figures of %s: %s", self.label, e)
            rows = []
        if rows and len(rows[0]) >= 3:
            try:
                return _Figures(*(int(v or 0) for v in rows[0][:3]))
            except (TypeError, ValueError):
                pass
        rec = self.entry
        if from_record and rec is not None:
            return _Figures(rec.rows_loaded, rec.rows_filtered, rec.load_bytes)
        return _Figures(0, 0, 0)

    def _fatal(self, e: BaseException) -> None:
        """Errors no retry can mend end the load at once."""
        if tls_refused(e):
            raise _GiveUp(f"TLS verification failed: {e}") from e
        if isinstance(e, errors.AuthError):
            raise _GiveUp(str(e)) from e

    # -- refusals, stops and abandoning -------------------------------------------------------------
    async def _refused(self, e: LoadRejected) -> LoadFailed:
        """The cluster refused the data or the load: roll back, take its figures, say why."""
        entry = self.entry
        assert entry is not None
        if e.reply is not None and e.reply.error_url:
            self.error_url = e.reply.error_url
        await self._rollback_quietly()
        figures = await self._figures(from_record=False)
        message = str(e)
        if figures.rows_filtered:
            message += f" ({figures.rows_loaded:,} rows loaded, {figures.rows_filtered:,} filtered)"
        hint = self._separator_hint(figures)
        if hint:
            message += f". {hint}"
        state = await self._state_once() or "ABORTED"
        entry.step, entry.state, entry.message = "failed", state, message
        entry.rows_loaded, entry.rows_filtered = figures.rows_loaded, figures.rows_filtered
        entry.load_bytes = figures.load_bytes
        note = await self.save_quietly()
        return LoadFailed(message + note, self.outcome(state, message + note, figures=figures))

    def _separator_hint(self, figures: _Figures) -> str:
        """When every row was filtered, a CSV whose first line splits on a common separator but not
        on the one used most likely needs that separator."""
        opts = self.req.options
        if opts.format != "csv" or figures.rows_loaded or not figures.rows_filtered or self.fh is None:
            return ""
        used = decode_separator(opts.column_separator) if opts.column_separator else b"\t"
        try:
            self.fh.seek(0)
            head = self.fh.read(_SCAN)
        except OSError:
            return ""
        line = head.split(opts.row_delimiter_bytes(), 1)[0]
        if used in line:
            return ""
        fits = [s for s in _COMMON_SEPARATORS if s != used and s in line]
        if not fits:
            return ""
        best = max(fits, key=line.count).decode()
        self.suggested = best
        shown_used = "tab, StarRocks' default" if used == b"\t" else repr(used.decode("utf-8", "replace"))
        shown = "tab" if best == "\t" else repr(best)
        return (
            f"Every row was filtered: the file's first line splits on {shown} but not on the column "
            f"separator used ({shown_used}); {shown} would fit"
        )

    async def _stop_point(self, where: str) -> None:
        if self.loader._stop_requested:
            raise await self._stopped(where)

    async def _stopped(self, where: str) -> LoadStopped:
        """Stop before commit: roll back if asked, write the record, say where it stopped."""
        entry = self.entry
        assert entry is not None
        rollback = self.loader._stop_rollback
        state = await self._state_once() if (self.began_here or self.prior is not None) else "UNKNOWN"
        rolled_back, note = False, ""
        if rollback and state in ("PREPARE", "PREPARED", None):
            failure = await self._rollback()
            if failure is None:
                rolled_back = True
            else:
                note = f" The rollback failed: {failure}."
            state = await self._state_once()
        state = state or entry.state or "UNKNOWN"
        entry.state, entry.commit_sent = state, False
        if state == "PREPARED":
            entry.step = "prepared"
            tail = "the transaction is left PREPARED (not visible): commit or roll it back later"
        elif state == "PREPARE":
            entry.step = entry.step if entry.step in ("begun", "loading") else "loading"
            tail = "the transaction is left open (running, nothing visible): roll it back or load again"
        elif rolled_back:
            entry.step = "failed"
            tail = "the transaction was rolled back; nothing of it is visible"
        elif not self.began_here and self.prior is None:
            entry.step = "failed"
            tail = "nothing was begun"
        else:
            entry.step = "failed" if state in ("ABORTED", "UNKNOWN") else entry.step
            tail = f"the label is {state}"
        message = f"stopped by the user {where}; {tail}.{note}"
        entry.message = message
        save_note = await self.save_quietly()
        figures = self.figures if state in ("PREPARED",) else None
        return LoadStopped(
            message + save_note, self.outcome(state, message, figures=figures), where, rolled_back
        )

    async def _abandon(self, reason: str, cause: BaseException) -> LoadFailed:
        """End the load on an error of this side: roll back what was begun (never after commit was
        sent), write down why, and hand back the outcome."""
        if isinstance(cause, _GiveUp):
            reason = str(cause)
        entry = self.entry
        if entry is None:
            return LoadFailed(reason, self.outcome("UNKNOWN", reason))
        state: str | None = None
        note = ""
        if not self.loader._commit_sent and (self.began_here or self.prior is not None):
            state = await self._state_once()
            if state in ("PREPARE", "PREPARED") or (state is None and self.began_here):
                failure = await self._rollback()
                note = (
                    " The transaction was rolled back; nothing of it is visible."
                    if failure is None
                    else f" Rolling the transaction back failed too: {failure}."
                )
                state = await self._state_once()
        elif self.loader._commit_sent:
            state = await self._state_once()
        state = state or entry.state or "UNKNOWN"
        if not note and self.began_here and state in ("ABORTED", "UNKNOWN"):
            note = f" Its transaction is {state}: nothing of it is visible."
        message = reason + note
        entry.state = state
        if state in ("ABORTED", "UNKNOWN") or entry.step not in _OPEN:
            entry.step = "failed"
        entry.message = message
        save_note = await self.save_quietly()
        return LoadFailed(message + save_note, self.outcome(state, message + save_note))

    async def _rollback(self) -> str | None:
        """Roll the label's transaction back; None when done, else why not. A request of the same
        transaction still being handled (a chunk just cut) is waited for."""
        for n in range(1, 8):
            try:
                await self.client.rollback(self.req.db, self.label)
                return None
            except TxnBusy:
                await asyncio.sleep(0.1 * n)
            except errors.ApiError as e:
                state = await self._state_once()
                if state in ("ABORTED", "UNKNOWN"):
                    return None  # nothing left to roll back
                return str(e)
        return "the transaction stayed busy"

    async def _rollback_quietly(self) -> None:
        failure = await self._rollback()
        if failure:
            log.info("rollback of %s: %s (the next round reads its state)", self.label, failure)

    # -- the file -----------------------------------------------------------------------------------
    def _check_file(self) -> None:
        """The file is still the one the load started with (same file, size and modification
        time), both under its name and through the handle the chunks are read from."""
        assert self.fh is not None and self.st is not None
        st0 = self.st
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            raise _FileChanged(f"{self.path} was deleted during the load") from None
        except OSError as e:
            raise _FileChanged(f"{self.path} can no longer be read: {e.strerror or e}") from e
        held = os.fstat(self.fh.fileno())
        if (now.st_dev, now.st_ino) != (st0.st_dev, st0.st_ino):
            raise _FileChanged(f"{self.path} was replaced by another file during the load")
        for seen in (now, held):
            if seen.st_size != st0.st_size or seen.st_mtime_ns != st0.st_mtime_ns:
                raise _FileChanged(
                    f"{self.path} changed during the load (it was {st0.st_size:,} bytes, modified "
                    f"{_when(st0.st_mtime_ns)}; now {seen.st_size:,} bytes, modified "
                    f"{_when(seen.st_mtime_ns)})"
                )

    # -- words --------------------------------------------------------------------------------------
    def _where_sending(self, i: int, done: int, total: int) -> str:
        return (
            f"while sending chunk {i + 1} of {len(self.ranges)} "
            f"({human_bytes(done)} of {human_bytes(total)} sent)"
        )

    def _where_prepared(self) -> str:
        f = self.figures
        if f is None:
            e = self.entry
            rows = e.rows_loaded if e else 0
        else:
            rows = f.rows_loaded
        return f"after prepare: {rows:,} rows prepared, not visible"

    def _where_between(self) -> str:
        if not self.began_here:
            return "before the transaction began"
        e = self.entry
        return f"between attempts (restart {e.restarts if e else 0})"

    async def _backoff(self, n: int) -> None:
        """Wait before the next attempt, waking early when a stop is asked for."""
        delay = min(self.loader.max_backoff, 0.2 * (2 ** min(n, 6))) * random.uniform(0.5, 1.0)
        try:
            async with asyncio.timeout(delay):
                await self.loader._wake.wait()
        except TimeoutError:
            pass


class _GiveUp(Exception):
    """Trying again cannot help (or the limits are reached): end the load with this message."""


def _handle_path(fh: IO[bytes], path: Path) -> Path:
    """A name that opens the very file behind ``fh`` (Linux: /proc/self/fd/N), so every chunk is
    read from the file the load started with even if another one is moved to its name; elsewhere
    the name itself, with the checks before each chunk and before prepare."""
    proc = Path(f"/proc/self/fd/{fh.fileno()}")
    return proc if proc.exists() else path


def _when(mtime_ns: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(mtime_ns / 1e9))


def _describe(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        where = f" ({e.filename})" if e.filename else ""
        return f"a local I/O error stopped the load: {e.strerror}{where}"
    if isinstance(e, UnicodeEncodeError):
        return f"a value could not be sent to the cluster: {e}"
    if isinstance(e, errors.ApiError):
        return str(e)
    return f"the load stopped on an error: {type(e).__name__}: {e}"
