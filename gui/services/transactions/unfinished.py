"""The journal's unfinished transactions: records of this cluster whose transaction may still be
open (a console or ``load`` run ended before it did), with what to offer for each, and finishing
them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ...api import errors
from ...api.starrocks import StarRocksClient, StarRocksError
from ..journal import Journal, JournalEntry
from ..words import join
from .answers import Answer, explain_error, explain_reply

# Journal steps of a transaction that may still be open on the cluster.
OPEN_STEPS = ("started", "begun", "loading", "prepared", "committing")


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
        answer.detail = join(answer.detail, f"The label's state is now {state}.")
        return answer
    if action == "commit":
        e.step, e.state, e.message = "done", "VISIBLE", "committed from the console after a restart"
    else:
        e.step, e.state, e.message = "failed", "ABORTED", "rolled back from the console"
    journal.save(e)
    return explain_reply(action, reply, e.label)
