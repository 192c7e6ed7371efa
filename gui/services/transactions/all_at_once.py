"""Several files loaded exactly once, one after the other: each file is a transaction of its own,
the first under the chosen label, the next ones under ``label-2``, ``label-3``… (the exactly-once
loader of ``gui/services/loader.py`` does each); progress over all the files, and a stop that the
loader honours at its next safe point, never after commit is sent."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ...api import errors
from ...api.starrocks import LoadOptions, StarRocksClient
from ..journal import Journal
from ..loader import Loader, LoadFailed, LoadOutcome, LoadRequest, LoadStopped
from ..words import join, plural
from .answers import Answer, explain_error
from .settings import TxnSettings


@dataclass
class Transfer:
    """Bytes sent so far of a whole, and how fast."""

    done: int
    total: int
    rate: float  # bytes per second since the start

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


class Meter:
    """Bytes sent against time, sampled at most every ``every`` seconds: a repaint per block sent
    would cost more than the block."""

    def __init__(self, total: int, every: float = 0.05) -> None:
        self.total = total
        self.every = every
        self.started = time.monotonic()
        self._last = 0.0

    def sample(self, done: int, force: bool = False) -> Transfer | None:
        now = time.monotonic()
        if not force and now - self._last < self.every:
            return None
        self._last = now
        return Transfer(done, self.total, done / max(now - self.started, 1e-3))

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


@dataclass
class AllAtOnceRequest:
    files: list[Path]
    db: str
    table: str
    options: LoadOptions
    settings: TxnSettings  # its label is the first file's; chunk size and timeout apply to each

    def label_of(self, i: int) -> str:
        return self.settings.label if i == 0 else f"{self.settings.label}-{i + 1}"

    def load_request(self, i: int, size: int) -> LoadRequest:
        return LoadRequest(
            file=self.files[i],
            db=self.db,
            table=self.table,
            label=self.label_of(i),
            options=self.options,
            # A JSON file goes whole: cutting it on lines would split an array of rows.
            chunk_size=(self.settings.chunk_mib << 20) if self.options.format == "csv" else max(size, 1),
            timeout=self.settings.timeout,
        )


@dataclass
class AllAtOnceResult:
    """How the load of all the files ended: ``loaded`` (every file visible), ``stopped`` by the user
    before a commit, or ``failed``. ``answer`` is the last word to show, ``summary`` the line of
    its Activity entry."""

    state: Literal["loaded", "stopped", "failed"]
    answer: Answer
    summary: str
    label: str  # the label the load ended on
    files: int  # files loaded (visible)
    rows: int
    filtered: int
    bytes: int  # of all the files
    seconds: float


@dataclass
class Stopping:
    """What a stop could do: ``too_late`` once commit is on its way (the load then ends as the
    cluster gives it)."""

    too_late: bool
    answer: Answer


class AllAtOnce:
    """One run over the files. ``on_file(i, file, label)`` before each file, ``on_progress`` with
    the bytes sent over all the files (throttled), ``on_answer`` with each file's outcome in
    plain words."""

    def __init__(
        self,
        client: Callable[[], Awaitable[StarRocksClient]],
        journal: Journal,
        request: AllAtOnceRequest,
        *,
        in_flight: set[str] | None = None,
        on_file: Callable[[int, Path, str], None] | None = None,
        on_progress: Callable[[Transfer], None] | None = None,
        on_answer: Callable[[Answer], None] | None = None,
    ) -> None:
        self._client = client
        self.journal = journal
        self.request = request
        # Labels being loaded now: not offered as unfinished while they run.
        self.in_flight = in_flight if in_flight is not None else set()
        self.on_file = on_file
        self.on_progress = on_progress
        self.on_answer = on_answer
        self._loader: Loader | None = None
        self._stop_early = False

    @property
    def label(self) -> str:
        """The label loading now (the first one before the load starts)."""
        return (self._loader.label if self._loader else "") or self.request.settings.label

    def stop(self) -> Stopping:
        """Stop before the next commit; what was begun is left open (prepared or running) for
        Unfinished transactions. Call it from the loop ``run()`` runs on."""
        if self._loader is None:
            self._stop_early = True
            text = "Stopping before the first file is sent; nothing will be loaded."
            return Stopping(False, Answer("cancel", text, "warning", label=self.label))
        said = self._loader.stop(rollback=False)
        return Stopping(said.too_late, Answer("cancel", said.text, "warning", label=self.label))

    async def run(self) -> AllAtOnceResult:
        req = self.request
        sizes = [f.stat().st_size for f in req.files]
        total = sum(sizes)
        meter = Meter(total)
        base = 0

        def report(sent: int, _size: int) -> None:
            sample = meter.sample(base + sent)
            if sample is not None and self.on_progress is not None:
                self.on_progress(sample)

        client = await self._client()
        if self._stop_early:
            return self._result("stopped", self._stopped_early(), 0, 0, 0, total, meter, req.label_of(0))
        loader = self._loader = Loader(client, self.journal, progress=report)
        rows = filtered = 0
        answer: Answer | None = None
        for i, (f, size) in enumerate(zip(req.files, sizes, strict=True)):
            label = req.label_of(i)
            if self.on_file is not None:
                self.on_file(i, f, label)
            self.in_flight.add(label)
            try:
                outcome = await loader.run(req.load_request(i, size))
            except LoadStopped as e:
                rest = len(req.files) - i - 1
                answer, summary = _stopped(e, label, rest)
                return self._result("stopped", answer, i, rows, filtered, total, meter, label, summary)
            except (LoadFailed, ValueError) as e:
                answer = _failed(e, f, label, len(req.files) - i - 1)
                return self._result("failed", answer, i, rows, filtered, total, meter, label)
            finally:
                self.in_flight.discard(label)
            base += size
            rows += outcome.rows_loaded
            filtered += outcome.rows_filtered
            answer = _loaded(outcome, f, label)
            if self.on_answer is not None:
                self.on_answer(answer)
        assert answer is not None
        summary = f"{rows:,} rows loaded, {filtered:,} filtered"
        last = req.label_of(len(req.files) - 1)
        return self._result("loaded", answer, len(req.files), rows, filtered, total, meter, last, summary)

    def _stopped_early(self) -> Answer:
        return Answer(
            "cancel",
            "Stopped before anything was sent; nothing was committed.",
            "warning",
            detail="No transaction was begun.",
            label=self.request.label_of(0),
        )

    def _result(
        self,
        state: Literal["loaded", "stopped", "failed"],
        answer: Answer,
        files: int,
        rows: int,
        filtered: int,
        total: int,
        meter: Meter,
        label: str,
        summary: str = "",
    ) -> AllAtOnceResult:
        return AllAtOnceResult(
            state, answer, summary or answer.headline, label, files, rows, filtered, total, meter.seconds
        )


def _loaded(outcome: LoadOutcome, f: Path, label: str) -> Answer:
    if outcome.already_loaded:
        headline = (
            f"{f.name}: the label {label} was already loaded ({outcome.rows_loaded:,} rows); "
            "nothing was sent (exactly once)."
        )
    else:
        headline = (
            f"{f.name}: {outcome.rows_loaded:,} rows loaded, {outcome.rows_filtered:,} filtered, "
            f"visible ({outcome.seconds:.1f} s"
            + (f", {plural(outcome.restarts, 'restart')}" if outcome.restarts else "")
            + ")."
        )
    return Answer(
        "loader", headline, raw=dataclasses.asdict(outcome), label=label, error_url=outcome.error_url
    )


def _stopped(e: LoadStopped, label: str, rest: int) -> tuple[Answer, str]:
    """The user stopped the load before commit: where, and what was left of it."""
    state = e.outcome.state
    left = (
        "rolled back"
        if e.rolled_back
        else {
            "PREPARED": "prepared, not committed: commit or roll it back under Unfinished transactions",
            "PREPARE": "open: roll it back under Unfinished transactions",
        }.get(state, f"in state {state}")
    )
    not_sent = f" {plural(rest, 'later file')} not sent." if rest else ""
    answer = Answer(
        "cancel",
        f"Stopped {e.where}; nothing was committed.",
        "warning",
        detail=f"Transaction {label} is {left}.{not_sent}",
        raw=dataclasses.asdict(e.outcome),
        label=label,
    )
    return answer, f"stopped {e.where}; transaction {label} {left}.{not_sent}"


def _failed(e: LoadFailed | ValueError, f: Path, label: str, rest: int) -> Answer:
    if isinstance(e, ValueError):  # refused before anything was sent
        answer = Answer("loader", f"{f.name}: {e}", "error", detail="Nothing was sent.", label=label)
    else:
        cause = e.__cause__
        answer = (
            explain_error("loader", cause, label)
            if isinstance(cause, errors.ApiError) and not e.outcome.finished_by_other
            else Answer("loader", str(e), "error", label=label)
        )
        answer.headline = f"{f.name}: {answer.headline}"
        answer.error_url = answer.error_url or e.outcome.error_url
        if answer.raw is None:
            answer.raw = dataclasses.asdict(e.outcome)
    if rest:
        answer.detail = join(answer.detail, f"{plural(rest, 'later file')} not sent.")
    return answer
