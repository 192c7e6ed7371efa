"""Runs SQL for the SQL console, the administration pages and ``starrocks-console sql``: a script's
statements one after another, each streamed into a sink in batches, with its own figures.

- Each statement goes over the FE's query port (MySQL protocol). When that port cannot be reached,
  what the HTTP SQL API accepts (SELECT, SHOW, EXPLAIN, DESC, KILL) goes over HTTP instead, and
  everything else is refused with a message naming the query port (``which_channel``).
- A read-only profile refuses any statement that is not read-only before it is sent; a destructive
  statement (DROP, TRUNCATE, DELETE without WHERE, ADMIN SET CONFIG...) runs only when the caller
  passes what the person typed to confirm it (``classify(...).confirm``).
- A row cap stops reading a result (the rest is never fetched); ``cancel()`` kills the running
  statement on the server (``KILL QUERY``) and the outcome says where it stopped and whether the
  server confirmed the kill.
- Every statement sent is kept in the query history with its outcome and the server's text.
- A connection lost or dropped (a result left unread) is opened again at the next statement, and
  the session statements (SET, USE) run so far on this runner are run on it again first, so the
  statements that follow see the same session.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from ...api import errors
from ...api.starrocks import (
    Column,
    QueryPortTlsFailed,
    StarRocksClient,
    StarRocksSql,
    Stream,
    reply_of,
)
from ..profiles import Profile
from .classify import Classification, classify, read_only_refusal
from .history import HistoryEntry, QueryHistory
from .lexing import Kind
from .statements import Statement, split

if TYPE_CHECKING:
    from ..session import ConsoleSession

log = logging.getLogger("starrocks_console.sql_runner")

Channel = Literal["query port", "HTTP SQL API"]
QUERY_PORT: Channel = "query port"
HTTP_API: Channel = "HTTP SQL API"
Status = Literal["ok", "error", "cancelled", "refused", "skipped"]
# What the FE's HTTP SQL API runs (StarRocks: "http query only support SELECT, SHOW, EXPLAIN, DESC,
# KILL statement"); WITH … SELECT and VALUES are query statements to it too.
HTTP_VERBS = frozenset({"SELECT", "WITH", "VALUES", "SHOW", "EXPLAIN", "DESC", "DESCRIBE", "KILL"})
BATCH = 1000


@dataclass
class StatementOutcome:
    """One statement of a run: what happened to it, with the server's own figures."""

    index: int
    text: str
    verb: str
    status: Status = "skipped"
    channel: Channel | None = None
    columns: list[Column] = field(default_factory=list)
    rows: int = 0  # rows handed to the sink
    capped: bool = False  # more rows were there; reading stopped at the cap
    affected_rows: int | None = None  # the server's count for a statement without result set
    warnings: int | None = None
    elapsed: float = 0.0
    connection_id: int | None = None
    statistics: dict[str, Any] = field(default_factory=dict)  # the HTTP SQL API's own figures
    error: errors.ApiError | None = None
    message: str = ""  # what a person reads: the server's text, or where and why it stopped
    confirm: str = ""  # refused for want of a confirmation: what the person must type
    notes: list[str] = field(default_factory=list)

    @property
    def has_result_set(self) -> bool:
        return bool(self.columns)


@dataclass
class RunResult:
    statements: list[StatementOutcome]

    @property
    def ok(self) -> bool:
        return all(s.status == "ok" for s in self.statements)

    @property
    def cancelled(self) -> bool:
        return any(s.status == "cancelled" for s in self.statements)

    @property
    def first_failure(self) -> StatementOutcome | None:
        return next((s for s in self.statements if s.status in ("error", "refused", "cancelled")), None)


class Sink:
    """Where a run's results go (a table model, stdout). Called on the loop, in order."""

    def begin(self, outcome: StatementOutcome) -> None:
        """A statement is about to be sent."""

    def columns(self, outcome: StatementOutcome, columns: list[Column]) -> None:
        """Its result set's columns, before any row."""

    def rows(self, outcome: StatementOutcome, rows: list[tuple[Any, ...]]) -> None:
        """A batch of its rows."""

    def end(self, outcome: StatementOutcome) -> None:
        """It ended (``outcome.status`` says how), or was refused or skipped."""


def first_word(stmt: Statement) -> str:
    for tok in stmt.tokens:
        if tok.text != "(":
            return tok.word
    return ""


def http_accepts(stmt: Statement) -> bool:
    """Whether the FE's HTTP SQL API runs this statement."""
    return first_word(stmt) in HTTP_VERBS


def channel_for(profile: Profile, password: str) -> StarRocksSql:
    """The query-port channel of a StarRocks cluster profile: the FE's host, its query port, the
    profile's TLS settings."""
    host = urlsplit(profile.url).hostname or "127.0.0.1"
    return StarRocksSql(
        host,
        profile.user,
        password,
        port=profile.query_port,
        tls=profile.query_tls,
        verify_tls=profile.verify_tls,
        ca_bundle=profile.ca_bundle or None,
    )


async def runner_for(
    session: ConsoleSession,
    profile: Profile,
    history: QueryHistory | None = None,
    database: str | None = None,
) -> SqlRunner:
    """A runner of a StarRocks cluster profile of the console's session: its own query-port
    connection (one per console tab), the session's HTTP client for the HTTP SQL API, the password
    from the keyring. ``aclose()`` it when done."""
    password = await session.secret(profile, "password")
    http = await session.starrocks(profile)
    return SqlRunner(
        profile, query=channel_for(profile, password), http=http, history=history, database=database
    )


@dataclass(eq=False)
class _Run:
    """One ``run()`` in progress. Runs of one runner may overlap (the administration pages share one);
    each has its own stop and its own statement on the server, so that stopping one never stops,
    kills or reports on another's."""

    cancel: bool = False
    outcome: StatementOutcome | None = None  # its statement being run
    stream: Stream | None = None  # that statement's result on the query port, once asked for
    http_connection: int | None = None  # the HTTP SQL API's connection running it, once known
    kill: tuple[bool, str] | None = None  # (accepted, what was said)
    killing: asyncio.Future[None] | None = None  # the KILL QUERY a cancel sent, while on its way
    sent: str = ""  # the statement's text as sent over the HTTP SQL API


@dataclass(frozen=True)
class ChannelChoice:
    channel: Channel | None  # None: the statement cannot be run now
    reason: str  # why (empty when the query port is used as usual)


class SqlRunner:
    def __init__(
        self,
        profile: Profile,
        *,
        query: StarRocksSql | None,
        http: StarRocksClient | None = None,
        history: QueryHistory | None = None,
        database: str | None = None,
        batch: int = BATCH,
    ) -> None:
        self.profile = profile
        self.query = query
        self.http = http
        self.history = history
        self.database = database or None
        self.batch = batch
        self._port_down: errors.ApiError | None = None
        self._probed = False
        self._session: list[str] = []  # session statements run on the query port, in order
        self._connection_seen = 0
        self._runs: list[_Run] = []

    # -- which way a statement goes ----------------------------------------------------------------
    async def probe(self) -> errors.ApiError | None:
        """Open the query port now; the reason it cannot be used, or None."""
        if self.query is None:
            self._port_down = errors.ConnectionFailed(
                "this profile has no query port", service="starrocks", hint="set the profile's query port"
            )
            return self._port_down
        try:
            await self.query.connect()
        except QueryPortTlsFailed:
            raise  # never answered by going another way: the profile asked for TLS here
        except errors.ConnectionFailed as e:
            self._port_down = e
        else:
            self._port_down = None
        self._probed = True
        return self._port_down

    async def which_channel(self, stmt: Statement) -> ChannelChoice:
        """The query port when it answers; else the HTTP SQL API for what it accepts; else None,
        with the reason naming the query port."""
        if not self._probed:
            await self.probe()
        if self._port_down is None:
            return ChannelChoice(QUERY_PORT, "")
        port = self.query.port if self.query is not None else self.profile.query_port
        down = self._port_down.message
        if self.http is not None and http_accepts(stmt):
            return ChannelChoice(
                HTTP_API, f"the FE's query port ({port}) is not reachable ({down}); run over the HTTP SQL API"
            )
        if self.http is not None and first_word(stmt) == "USE" and _use_target(stmt):
            return ChannelChoice(HTTP_API, "")
        verb = classify(stmt).verb or first_word(stmt)
        return ChannelChoice(
            None,
            f"{verb} needs the FE's query port ({port}), which is not reachable: {down}. Check the "
            "profile's query port; without it only SELECT, SHOW, EXPLAIN, DESC and KILL run (over the "
            "HTTP SQL API)",
        )

    # -- running -----------------------------------------------------------------------------------
    async def run(
        self,
        script: str | Sequence[Statement],
        sink: Sink | None = None,
        *,
        max_rows: int | None = None,
        on_error: Literal["stop", "continue"] = "stop",
        confirm: Collection[str] = (),
    ) -> RunResult:
        """Run each statement of ``script``; stop at the first that fails (``on_error="stop"``, the
        rest reported as skipped) or go on. ``confirm``: what the person typed to confirm the
        destructive statements among them (each needs its own ``classify(...).confirm``)."""
        statements = split(script) if isinstance(script, str) else list(script)
        sink = sink or Sink()
        outcomes = [
            StatementOutcome(index=i, text=s.text, verb=classify(s).verb or first_word(s))
            for i, s in enumerate(statements)
        ]
        if self._port_down is not None:
            self._probed = False  # asked again once per run: the port may be back
        run = _Run()
        self._runs.append(run)
        try:
            stopped = False
            for stmt, outcome in zip(statements, outcomes, strict=True):
                if stopped or run.cancel:
                    outcome.message = "not run: an earlier statement " + (
                        "was cancelled" if run.cancel else "failed"
                    )
                    sink.end(outcome)
                    continue
                await self._one(run, stmt, outcome, sink, max_rows, confirm)
                sink.end(outcome)
                if outcome.status == "cancelled" or (outcome.status != "ok" and on_error == "stop"):
                    stopped = True
        finally:
            self._runs.remove(run)
        return RunResult(outcomes)

    async def _one(
        self,
        run: _Run,
        stmt: Statement,
        outcome: StatementOutcome,
        sink: Sink,
        max_rows: int | None,
        confirm: Collection[str],
    ) -> None:
        c = classify(stmt)
        refusal = self._refusal(stmt, c, confirm)
        if refusal:
            outcome.status, outcome.message = "refused", refusal
            if c.needs_confirmation and c.confirm not in confirm and not self.profile.read_only:
                outcome.confirm = c.confirm
            return
        try:
            choice = await self.which_channel(stmt)
        except errors.ApiError as e:
            outcome.status, outcome.error, outcome.message = "error", e, e.message
            return
        if choice.channel is None:
            outcome.status, outcome.message = "refused", choice.reason
            return
        if choice.reason:
            outcome.notes.append(choice.reason)
        outcome.channel = choice.channel
        sink.begin(outcome)
        run.outcome, run.stream, run.http_connection, run.kill = outcome, None, None, None
        run.killing = None
        started_at = time.time()
        started = time.monotonic()
        try:
            if choice.channel == QUERY_PORT:
                await self._via_query_port(run, stmt, c, outcome, sink, max_rows)
            else:
                await self._via_http(run, stmt, outcome, sink, max_rows)
            outcome.status = "ok"
            if run.cancel:
                # The result ended on its own while the kill was on its way.
                outcome.notes.append("a cancel was asked as the statement ended; it had finished")
        except errors.QueryCancelled as e:
            self._cancelled(run, outcome, e)
        except _Stopped:
            if run.killing is not None:
                # Reading stopped at the cancel; what the message says of the server waits for
                # the answer to its KILL QUERY.
                await asyncio.shield(run.killing)
            self._cancelled(run, outcome, None)
        except errors.ApiError as e:
            if run.killing is not None:
                await asyncio.shield(run.killing)
            if run.cancel and run.kill is not None and run.kill[0] and outcome.channel == HTTP_API:
                # The HTTP SQL API answers a query killed before its first rows as a failed request
                # with the FE's text: the end of the cancel, not an error of the statement.
                self._cancelled(run, outcome, errors.QueryCancelled(_server_text(e), service=e.service))
            else:
                outcome.status, outcome.error, outcome.message = "error", e, _server_text(e)
        except asyncio.CancelledError:
            outcome.elapsed = time.monotonic() - started
            run.cancel = True
            await asyncio.shield(self._kill_running(run))
            self._cancelled(run, outcome, None)
            self._record(outcome, started_at)
            raise
        finally:
            run.outcome = run.stream = None
            if not outcome.elapsed:
                outcome.elapsed = time.monotonic() - started
        self._record(outcome, started_at)

    def _refusal(self, stmt: Statement, c: Classification, confirm: Collection[str]) -> str:
        if self.profile.read_only:
            refusal = read_only_refusal(c)
            if refusal:
                return refusal
        if c.needs_confirmation and c.confirm not in confirm:
            return (
                f"{c.verb}: {c.what} Not run: type {c.confirm!r} to confirm it"
                if c.confirm
                else f"{c.verb}: {c.what} Not run without confirmation"
            )
        if stmt.unterminated:
            return "a string or `name` in this statement is not closed; not sent"
        return ""

    async def _via_query_port(
        self,
        run: _Run,
        stmt: Statement,
        c: Classification,
        outcome: StatementOutcome,
        sink: Sink,
        max_rows: int | None,
    ) -> None:
        query = self.query
        assert query is not None
        await self._restore_session(outcome)
        if run.cancel:  # stopped while the connection was being opened: not sent at all
            raise _Stopped
        stream = run.stream = query.stream(stmt.sql, self.batch, db=self.database)
        try:
            await self._drain(run, stream, outcome, sink, max_rows)
        except _Stopped:
            if run.killing is not None:
                # The kill goes while the connection still holds the statement: dropped first, the
                # statement would go on running on the server and the FE would no longer know its id.
                await asyncio.shield(run.killing)
            raise
        except asyncio.CancelledError:
            # Stopped between two batches (not in a read, where the stream kills it itself): the
            # statement may still run on the server, so it is killed before its connection is
            # dropped — afterwards the FE would no longer know the connection's id.
            if stream.killed is None:
                await asyncio.shield(self._kill_running(run))
            raise
        finally:
            if not stream.done:
                await stream.aclose()
            outcome.connection_id = stream.connection_id
            outcome.elapsed = stream.elapsed
            if stream.killed is not None:
                run.kill = (stream.killed, stream.kill_note)
        if not outcome.columns:
            outcome.affected_rows = stream.affected_rows
        outcome.warnings = stream.warnings
        if c.effect == "session":
            self._session.append(stmt.sql)
            if first_word(stmt) == "USE" and _use_target(stmt):
                # What the next statements (and the history) run in; also the database a new
                # connection opens in.
                self.database = _use_target(stmt)

    async def _restore_session(self, outcome: StatementOutcome) -> None:
        """On a new connection (the last was lost or dropped), run this runner's session statements
        again first."""
        query = self.query
        assert query is not None
        if not query.connected:
            await query.connect()
        made = query.connections_made
        if self._connection_seen and made != self._connection_seen and self._session:
            for sql in self._session:
                await query.execute(sql, db=self.database)
            outcome.notes.append(
                f"a new connection ({query.connection_id}) was opened; the session's {len(self._session)} "
                "SET/USE statement(s) were run on it again first"
            )
        self._connection_seen = made

    async def _drain(
        self, run: _Run, batches: Any, outcome: StatementOutcome, sink: Sink, max_rows: int | None
    ) -> None:
        async for batch in batches:
            if not outcome.columns:
                outcome.columns = list(batch.columns)
                sink.columns(outcome, outcome.columns)
            if run.cancel:
                raise _Stopped
            rows = batch.rows
            if not rows:
                continue
            if max_rows is not None and outcome.rows >= max_rows:
                outcome.capped = True
                break
            if max_rows is not None and outcome.rows + len(rows) > max_rows:
                rows = rows[: max_rows - outcome.rows]
                outcome.capped = True
            outcome.rows += len(rows)
            sink.rows(outcome, rows)
            if outcome.capped:
                break
            # Rows already buffered are read without waiting on the socket: hand the loop back
            # between batches, or a fast result would hold a window's event loop until its end.
            await asyncio.sleep(0)
        if outcome.capped:
            outcome.notes.append(
                f"stopped at the row cap: the first {outcome.rows:,} rows; the rest was not read"
            )

    async def _via_http(
        self, run: _Run, stmt: Statement, outcome: StatementOutcome, sink: Sink, max_rows: int | None
    ) -> None:
        http = self.http
        assert http is not None
        if first_word(stmt) == "USE":
            # The HTTP SQL API has no session: its database is part of each request's path.
            self.database = _use_target(stmt)
            outcome.notes.append(f"the next statements run in {self.database} (a path of the HTTP SQL API)")
            return
        run.sent = stmt.sql
        result = http.sql(stmt.sql, self.database)
        rows = result.__aiter__()

        async def batches() -> Any:
            pending: list[tuple[Any, ...]] = []
            async for row in rows:
                run.http_connection = result.connection_id
                if not outcome.columns and result.columns:
                    yield _HttpBatch(_http_columns(result.columns), [])
                pending.append(tuple(row))
                if len(pending) >= self.batch:
                    yield _HttpBatch(_http_columns(result.columns), pending)
                    pending = []
            run.http_connection = result.connection_id
            cols = _http_columns(result.columns)
            if cols and not outcome.columns:
                yield _HttpBatch(cols, [])
            if pending:
                yield _HttpBatch(cols, pending)

        gen = batches()
        try:
            await self._drain(run, gen, outcome, sink, max_rows)
        finally:
            await gen.aclose()
            await rows.aclose()  # type: ignore[attr-defined]
        outcome.connection_id = result.connection_id
        outcome.statistics = dict(result.statistics)

    # -- cancel ------------------------------------------------------------------------------------
    async def cancel(self) -> None:
        """Stop the running statement of each run in progress: KILL QUERY on the server, reading
        stopped here; the statements after it are not run."""
        for run in list(self._runs):
            run.cancel = True
            if run.outcome is not None and run.killing is None:
                # A task of its own: the run, stopping at its next batch, waits for it to say
                # whether the kill was taken.
                run.killing = asyncio.ensure_future(self._kill_running(run))
        await asyncio.gather(*(r.killing for r in list(self._runs) if r.killing is not None))

    async def _kill_running(self, run: _Run) -> None:
        """KILL QUERY for the run's own statement, on the connection that runs it — only while it
        runs there: one still waiting for the connection (another run's statement holds it) has
        nothing on the server, and one that ended needs no kill."""
        outcome = run.outcome
        if run.kill is not None or outcome is None:
            return
        try:
            if outcome.channel == QUERY_PORT and self.query is not None:
                stream = run.stream
                if stream is None or stream.connection_id is None or stream.done:
                    return
                target = stream.connection_id
                await asyncio.wait_for(self.query.kill(target), 10)
                run.kill = (True, f"KILL QUERY {target}")
            elif outcome.channel == HTTP_API and self.http is not None:
                found = run.http_connection or await self._http_connection_of(run.sent)
                if isinstance(found, str):
                    run.kill = (False, found)
                    return
                await asyncio.wait_for(self.http.query(f"KILL QUERY {int(found)}"), 10)
                run.kill = (True, f"KILL QUERY {int(found)}")
            else:
                run.kill = (False, "the statement's connection was not known yet")
        except (errors.ApiError, TimeoutError) as e:
            run.kill = (False, f"KILL QUERY failed: {e}")

    async def _http_connection_of(self, sent: str) -> int | str:
        """The HTTP SQL API names a statement's connection only with its first rows: before them
        (a long scan, a sleep) the connection is looked for in SHOW PROCESSLIST, as one would by
        hand — this profile's user running this very statement. Its id, or why it was not told."""
        assert self.http is not None
        rows = await asyncio.wait_for(self.http.records("show full processlist"), 10)
        sent = sent.strip().rstrip(";").strip()
        mine = [
            r
            for r in rows
            if str(r.get("Command", "")) == "Query"
            and str(r.get("User", "")) == self.profile.user
            and str(r.get("Info", "")).strip().rstrip(";").strip() == sent
        ]
        if len(mine) != 1:
            why = "another connection of the same user runs it too" if mine else "not listed"
            return f"its connection could not be told apart in SHOW PROCESSLIST ({why})"
        return int(mine[0]["Id"])

    def _cancelled(self, run: _Run, outcome: StatementOutcome, server: errors.QueryCancelled | None) -> None:
        outcome.status = "cancelled"
        where = f"cancelled after {outcome.rows:,} rows"
        kill = run.kill
        if server is not None:
            outcome.error = server
            outcome.message = f"{where}, the server killed the query ({server.message})"
        elif kill is not None and kill[0]:
            outcome.message = f"{where}: {kill[1]} was sent and reading stopped here"
        elif kill is not None:
            outcome.message = (
                f"{where}: reading stopped here, but {kill[1]}; the statement may still be running "
                "on the server"
            )
        else:
            outcome.message = f"{where}: reading stopped here"

    # -- history -----------------------------------------------------------------------------------
    def _record(self, outcome: StatementOutcome, started_at: float) -> None:
        if self.history is None or outcome.channel is None:
            return
        rows: int | None = outcome.affected_rows if not outcome.columns else outcome.rows
        kept: Literal["ok", "error", "cancelled"] = (
            "ok" if outcome.status == "ok" else "cancelled" if outcome.status == "cancelled" else "error"
        )
        message = outcome.message
        if outcome.capped and not message:
            message = outcome.notes[-1] if outcome.notes else ""
        self.history.add(
            HistoryEntry(
                profile=self.profile.name,
                database=self.database or "",
                statement=outcome.text,
                started_at=started_at,
                duration=max(0.0, outcome.elapsed),
                rows=rows,
                outcome=kept,
                message=message,
            )
        )

    async def aclose(self) -> None:
        if self.query is not None:
            await self.query.aclose()


class _Stopped(Exception):
    """Reading stopped on a cancel before the server said anything."""


@dataclass(frozen=True)
class _HttpBatch:
    columns: list[Column]
    rows: list[tuple[Any, ...]]


def _http_columns(meta: list[dict[str, Any]]) -> list[Column]:
    return [Column(str(m.get("name")), str(m.get("type", "")).upper()) for m in meta]


def _server_text(e: errors.ApiError) -> str:
    reply = reply_of(e)
    return reply.message if reply is not None else e.message


def _use_target(stmt: Statement) -> str:
    """The database of ``USE db`` (empty for ``USE catalog.db`` and other forms)."""
    toks = [t for t in stmt.tokens]
    if len(toks) == 2 and toks[1].kind in (Kind.WORD, Kind.NAME):
        return toks[1].value
    return ""
