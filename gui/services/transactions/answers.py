"""Every answer of the Stream Load transaction interface in plain words: what happened, the
cluster's own words, what to do next; the raw answer kept for the details."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ...api import errors
from ...api.starrocks import (
    BeUnreachable,
    LabelAlreadyExists,
    LoadRejected,
    StarRocksError,
    TxnAborted,
    TxnBusy,
    TxnNotFound,
    TxnReply,
)
from ...api.transport import redact
from ..journal import JournalEntry
from ..words import join

Severity = Literal["ok", "warning", "error"]


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


def cluster_said(message: str) -> str:
    return f"The cluster said: “{message}”." if message else ""


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
        return Answer(step, f"The BE received {size}.", detail=cluster_said(msg), **common)
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
                detail=cluster_said(msg),
                **common,
            )
        if "already commit" in msg.lower():
            return Answer(
                step,
                "The transaction was already committed: its rows are visible.",
                detail=cluster_said(msg),
                **common,
            )
        return Answer(step, "Committed: the rows are visible.", **common)
    if step == "rollback":
        if "already aborted" in msg.lower():
            return Answer(
                step,
                "The transaction had already been aborted: nothing to roll back.",
                detail=cluster_said(msg),
                **common,
            )
        return Answer(
            step,
            "Rolled back: nothing of this transaction will be loaded, and the label can be used again.",
            **common,
        )
    return Answer(step, f"{step}: OK", detail=cluster_said(msg), **common)


def fe_message(e: StarRocksError) -> str:
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
        said = cluster_said(fe_message(exc))
        status = (exc.existing_job_status or "").upper()
        if status == "FINISHED":
            return answer(
                "The label is already used by a finished load.",
                join(said, "Its rows are already in the table; choose another label to load again."),
            )
        if status == "RUNNING":
            return answer(
                "The label is already used by a transaction that is still open.",
                join(
                    said,
                    "Commit or roll back that transaction (see Running transactions), or "
                    "choose another label.",
                ),
            )
        return answer("The label is already used.", join(said, "Choose another label."))
    if isinstance(exc, TxnNotFound):
        return answer(
            "The transaction no longer exists (timed out or rolled back).",
            join(
                cluster_said(fe_message(exc)),
                "Begin a new one; the label is free again once its transaction is aborted.",
            ),
        )
    if isinstance(exc, TxnBusy):
        return answer(
            "Another request of this transaction is still being processed.",
            join(cluster_said(fe_message(exc)), "Wait a moment and try again."),
            "warning",
        )
    if isinstance(exc, TxnAborted):
        msg = fe_message(exc)
        why = "it timed out" if "timeout" in msg.lower() else "it was aborted"
        return answer(
            f"The transaction is aborted: {why}.",
            join(cluster_said(msg), "None of its rows will be loaded; begin again (the label is free)."),
        )
    if isinstance(exc, LoadRejected):
        return _explain_rejected(exc, answer)
    if isinstance(exc, StarRocksError):
        return _explain_fe(exc, answer)
    if isinstance(exc, BeUnreachable):
        return answer("The BE the FE chose cannot be reached from here.", join(exc.message, hint))
    if isinstance(exc, errors.AuthError):
        return answer("The cluster refused the user name or password.", join(exc.message, hint))
    if isinstance(exc, errors.ConnectionFailed):
        return answer(
            "The cluster could not be reached; the step's outcome is unknown.",
            join(exc.message, hint, "Refresh to see where the transaction stands."),
        )
    if isinstance(exc, errors.ApiError):
        return answer(exc.message, hint)
    return answer(f"{type(exc).__name__}: {exc}")


def _explain_rejected(exc: LoadRejected, answer: Callable[..., Answer]) -> Answer:
    msg = fe_message(exc)
    low = msg.lower()
    url = exc.reply.error_url if exc.reply else None
    said = cluster_said(msg)
    if "too many filtered rows" in low:
        return answer(
            "Too many rows were refused (more than the max filter ratio allows); the transaction is aborted.",
            join(
                said,
                "The refused rows and their reasons are behind the error URL; fix the data "
                "or raise the max filter ratio, then begin again.",
            ),
            error_url=url,
        )
    if "not equal last" in low:
        return answer(
            "Every load of one transaction must use the same format settings as its first load.",
            join(said, "The transaction is aborted; begin again with one set of settings."),
        )
    if "hasn't send any data" in low or "has not sent any data" in low or "no data" in low:
        return answer(
            "Nothing was loaded in this transaction, so there was nothing to commit; it is aborted.",
            said,
        )
    if "running txns on db" in low:
        return answer(
            "The database has reached its limit of open transactions, so no load can begin.",
            join(said, "Roll back stuck transactions under Running transactions."),
        )
    if "unknown table" in low:
        return answer("The table does not exist.", said)
    if "unknown database" in low:
        return answer("The database does not exist.", said)
    code = exc.code or ""
    if code == "ANALYSIS_ERROR":
        return answer(
            "The cluster refused the load's settings; the transaction is aborted.",
            join(said, "Check the columns, where and format fields."),
            error_url=url,
        )
    if code == "DATA_QUALITY_ERROR":
        return answer(
            "The data could not be read in the chosen format; the transaction is aborted.",
            join(said, "Check the format settings (JSON: strip outer array, JSON paths, root)."),
            error_url=url,
        )
    if code == "INVALID_ARGUMENT":
        return answer("A setting of the load was refused.", said)
    if code == "NOT_AUTHORIZED":
        return answer("This user may not load into this table.", said)
    if code == "MEMORY_LIMIT_EXCEEDED":
        return answer("The BE ran out of memory for this load.", join(said, "Send smaller chunks."))
    return answer("The cluster could not do it.", said, error_url=url)


def _explain_fe(exc: StarRocksError, answer: Callable[..., Answer]) -> Answer:
    """The FE's FAILED answers (and the documented FAILED messages of the BE)."""
    msg = fe_message(exc)
    low = msg.lower()
    said = cluster_said(msg)
    if "does not exist" in low and "database" in low:
        return answer("The database does not exist.", said)
    if "no transaction found" in low or "can't find the transaction" in low or "not exist" in low:
        return answer(
            "The transaction no longer exists (timed out or rolled back).",
            join(said, "No open transaction has this label on the cluster."),
        )
    if "can not commit" in low:
        return answer("The transaction was aborted earlier, so it cannot be committed.", said)
    if "can not abort" in low:
        return answer("The transaction is already committed, so it cannot be rolled back.", said)
    if "commit timeout" in low:
        return answer(
            "The commit did not finish in time; its outcome is unknown.",
            join(said, "Refresh: the label's state tells whether the rows are in."),
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


def raw_text(raw: Any) -> str:
    """A raw answer as the details show it: indented JSON, secrets redacted."""
    if raw is None:
        return "(this step had no answer from the cluster)"
    if isinstance(raw, str):
        return raw
    return json.dumps(redact(raw), indent=2, ensure_ascii=False, default=str)


def journal_answer(entry: JournalEntry) -> Answer:
    """A journal record as an answer: its last step, the state the cluster gave, and the record."""
    return Answer(
        "journal",
        f"{entry.label}: {entry.step}" + (f" ({entry.state})" if entry.state else ""),
        "error" if entry.step == "failed" else "ok",
        detail=entry.message,
        raw=dataclasses.asdict(entry),
        label=entry.label,
    )
