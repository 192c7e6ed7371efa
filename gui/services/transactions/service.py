"""The load transactions of one StarRocks cluster profile, as the Load transactions view uses them:
where to load (databases, tables), the journal's history, a label's state, a transaction step by
step, files loaded all at once and exactly once, the unfinished transactions of the journal, and
the running transactions of a database with their bulk rollback.

Every call gets the profile's client from the session; nothing here holds a client for longer than
the work it does (a transaction begun step by step keeps its own, as its steps need it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal

from ...api import errors
from ...api.starrocks import LoadOptions, StarRocksClient
from ..journal import Journal, JournalEntry
from ..profiles import Profile
from ..session import ConsoleSession
from .all_at_once import AllAtOnce, AllAtOnceRequest, Transfer
from .answers import Answer
from .files import EarlierLoad, earlier_loads
from .running import BulkRollback, RollbackResult, RunningSnapshot, rollback_and_recheck, running_snapshot
from .settings import TxnSettings
from .stepper import TxnStepper
from .unfinished import Unfinished, finish_unfinished, review_unfinished

# Databases nobody loads into.
SYSTEM_DATABASES = frozenset({"information_schema", "_statistics_", "sys"})


class TransactionsService:
    def __init__(self, session: ConsoleSession, profile: Profile, in_flight: set[str] | None = None) -> None:
        if profile.kind != "starrocks":
            raise errors.InvalidRequest(
                f"profile {profile.name!r} is a {profile.kind} profile, not a StarRocks cluster",
                service="starrocks",
            )
        self.session = session
        self.profile = profile
        # Labels the all-at-once loader is working on: never offered as unfinished meanwhile (shared
        # with the service the profile had before it was edited, while its loads go on).
        self.in_flight: set[str] = in_flight if in_flight is not None else set()

    @property
    def journal(self) -> Journal:
        return self.session.journal

    @property
    def fe_url(self) -> str:
        return self.profile.url.rstrip("/")

    async def _client(self) -> StarRocksClient:
        return await self.session.starrocks(self.profile)

    # -- where to load ------------------------------------------------------------------------------
    async def databases(self) -> list[str]:
        """The cluster's databases one loads into, sorted (system databases left out)."""
        client = await self._client()
        names = [str(r.get("Database", "")) for r in await client.records("show databases")]
        return sorted(n for n in names if n and n not in SYSTEM_DATABASES)

    async def tables(self, db: str) -> list[str]:
        client = await self._client()
        rows = await client.records("show tables", db=db)
        return sorted(str(next(iter(r.values()), "")) for r in rows if r)

    # -- the journal --------------------------------------------------------------------------------
    def history(self) -> list[JournalEntry]:
        """The journal's records of this cluster (loads of the console and of ``load``)."""
        return [e for e in self.journal.entries() if e.fe_url.rstrip("/") == self.fe_url]

    def earlier_loads(self, db: str, table: str, files: Sequence[Path]) -> list[EarlierLoad]:
        """Files a finished load already put into this table, unchanged since."""
        return earlier_loads(self.journal, self.profile.url, db, table, files)

    async def label_state(self, db: str, label: str) -> str | None:
        """The label's state on the cluster; None when it cannot be asked (the check is advisory:
        Begin gives the cluster's own answer)."""
        try:
            client = await self._client()
            return await client.load_state(db, label)
        except errors.ApiError:
            return None

    # -- one transaction, step by step ----------------------------------------------------------------
    async def begin(
        self, db: str, table: str, files: Sequence[Path], options: LoadOptions, settings: TxnSettings
    ) -> tuple[TxnStepper | None, Answer]:
        """Begin a transaction for these files; the stepper drives its next steps. None with the
        answer when nothing began (the label is used, the table is missing…)."""
        client = await self._client()
        stepper = TxnStepper(
            client,
            self.journal,
            db=db,
            table=table,
            label=settings.label,
            options=options,
            files=files,
            chunk_bytes=settings.chunk_mib << 20,
            timeout=settings.timeout,
            idle_timeout=settings.idle_timeout,
            prepared_timeout=settings.prepared_timeout,
        )
        answer = await stepper.begin()
        return (stepper if stepper.phase != "new" else None), answer

    # -- all at once ----------------------------------------------------------------------------------
    def load_all(
        self,
        request: AllAtOnceRequest,
        *,
        on_file: Callable[[int, Path, str], None] | None = None,
        on_progress: Callable[[Transfer], None] | None = None,
        on_answer: Callable[[Answer], None] | None = None,
    ) -> AllAtOnce:
        """A load of the request's files, each exactly once; ``await run()`` does it, ``stop()``
        stops it before the next commit."""
        return AllAtOnce(
            self._client,
            self.journal,
            request,
            in_flight=self.in_flight,
            on_file=on_file,
            on_progress=on_progress,
            on_answer=on_answer,
        )

    # -- unfinished transactions of the journal ----------------------------------------------------
    async def unfinished(self, skip: Iterable[str] = ()) -> list[Unfinished]:
        """Journal records of this cluster whose transaction may still be open, with what to offer
        (labels in ``skip`` and those being loaded now are left out)."""
        client = await self._client()
        return await review_unfinished(client, self.journal, {*skip, *self.in_flight})

    async def finish(
        self, items: Sequence[Unfinished], action: Literal["commit", "rollback"]
    ) -> list[tuple[Unfinished, Answer]]:
        """Commit or roll back each in turn, recording each outcome in the journal."""
        client = await self._client()
        return [(u, await finish_unfinished(client, self.journal, u, action)) for u in items]

    # -- running transactions ------------------------------------------------------------------------
    async def running(self, db: str) -> RunningSnapshot:
        client = await self._client()
        return await running_snapshot(client, db)

    async def rollback(
        self, db: str, labels: Sequence[str], on_each: Callable[[int, RollbackResult], None] | None = None
    ) -> BulkRollback:
        """Roll back each label in turn (each outcome reported as it comes), then read the running
        transactions again."""
        client = await self._client()
        return await rollback_and_recheck(client, db, labels, on_each)
