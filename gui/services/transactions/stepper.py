"""One load transaction driven by hand: begin, load the next piece (repeatable), prepare, commit or
roll back — journaled as the exactly-once loader journals, so a transaction left open is found
again; a piece whose sending was cut off is checked with the BE before anything is sent again."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ...api import errors
from ...api.starrocks import (
    BeUnreachable,
    FileBody,
    LoadOptions,
    StarRocksClient,
    StarRocksError,
    TxnHandle,
    TxnReply,
    check_label,
)
from ..journal import Journal, JournalEntry
from ..loader import chunks
from ..words import join
from .answers import Answer, explain_error, explain_reply
from .files import file_ref


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
        # The piece being sent (or cut off) has had its last byte handed over: the BE has the whole
        # request and carries it out whenever its turn comes, so a stop is too late and it is never
        # sent again.
        self.uncertain_whole = False
        self.entry: JournalEntry | None = None
        self._sending: asyncio.Task[Any] | None = None  # the task awaiting load_next
        self._stop = False

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
        answer.detail = join(answer.detail, f"The label's state is now {state}.")
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
        """Send the next piece. After a piece was cut off, first ask the BE whether it arrived.
        ``stop_sending`` cancels it (the piece then stays uncertain)."""
        assert self.handle is not None
        self._sending, self._stop = asyncio.current_task(), False
        try:
            return await self._load_next(progress)
        finally:
            self._sending = None

    def stop_sending(self) -> bool:
        """Cancel the load under way: ``load_next`` raises CancelledError in the task awaiting it.
        False when no load runs. A stop is too late once the piece's last byte has gone (the BE then
        has the whole request and loads it): ``load_next`` then waits for the BE's answer and
        returns it, saying that the stop came after the piece was sent.

        The next progress report of the body being sent raises the cancellation for sure: a
        cancellation that lands just as an inner wait completes is swallowed on Python 3.11 (its
        result wins), so it is also repeated while ``load_next`` runs. Call it from the loop's
        thread."""
        task = self._sending
        if task is None or task.done():
            return False
        self._stop = True
        loop = asyncio.get_running_loop()

        def again() -> None:
            # ``_stop`` too: a next ``load_next`` awaited by the same task (it resets the flag) must
            # not be cancelled by the repeats of this stop.
            if self._stop and self._sending is task and not task.done() and not self.uncertain_whole:
                task.cancel()
                loop.call_later(0.1, again)

        if asyncio.current_task() is task:
            # Asked by a progress report of this very load, which raises at once: a cancel here
            # would stay pending in the task past the load, into whatever it awaits next.
            loop.call_later(0.1, again)
        else:
            again()
        return True

    async def _load_next(self, progress: Progress | None) -> Answer:
        assert self.handle is not None
        if self.uncertain is not None:
            checked = await self._check_uncertain()
            if checked is not None:
                return checked
        piece = self.next_piece
        if piece is None:
            return Answer("load", "Every chosen file has been sent; prepare or commit next.", "warning")
        self._journal("loading")
        self.uncertain, self.uncertain_whole = piece, False

        def report(sent: int, size: int | None) -> None:
            # The client reports the last byte alone, with no await between that report and the
            # one before: a stop seen up to then keeps the piece from ever being whole at the BE.
            if size is not None and sent >= size:
                self.uncertain_whole = True
            elif self._stop:
                raise asyncio.CancelledError("stopped by the user")
            if progress is not None:
                progress(sent, size)
            if self._stop and not self.uncertain_whole:  # stopped by the progress callback itself
                raise asyncio.CancelledError("stopped by the user")

        try:
            reply = await self.client.load(
                self.handle, FileBody(piece.file, piece.offset, piece.length), self.options, report
            )
        except errors.ConnectionFailed as e:
            return explain_error("load", e, self.label)  # the piece stays uncertain
        except (StarRocksError, errors.ApiError) as e:
            self.uncertain, self.uncertain_whole = None, False  # the BE answered: it was refused
            return await self._settle(explain_error("load", e, self.label))
        late = self._stop
        self._stop = False
        self.uncertain, self.uncertain_whole = None, False
        self.next += 1
        self.bytes_sent += piece.length
        await self.refresh_counts()
        self._journal("loading")
        answer = explain_reply("load", reply, self.label)
        answer.headline = f"{piece.describe()}: {answer.headline[0].lower()}{answer.headline[1:]}"
        if late:
            answer.headline = (
                f"The stop came too late for {piece.describe()}: it had been sent whole, and the BE took it. "
                + answer.headline
            )
        answer.detail = join(
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
        if self.uncertain_whole and received < self.bytes_sent + piece.length:
            # The whole request reached the BE's network stack before the connection was dropped:
            # the BE carries it out when its turn comes, so sending it again could load it twice.
            return Answer(
                "load",
                f"The stopped piece {piece.describe()} was sent whole; the BE has not counted it yet. "
                "Press Load again in a moment.",
                "warning",
                detail="If the BE never counts it, roll the transaction back and begin again: sending "
                "the piece again could load its rows twice.",
                raw=mine,
                label=self.label,
            )
        if received >= self.bytes_sent + piece.length:
            self.uncertain, self.uncertain_whole = None, False
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
