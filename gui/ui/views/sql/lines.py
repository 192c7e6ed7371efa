"""What the SQL console says about each statement, in the mysql client's words where it has some:
the figures of a result, the server's error as it wrote it, where a cancel stopped."""

from __future__ import annotations

from ....api.starrocks import reply_of
from ....services.sql.runner import StatementOutcome
from ....services.words import plural


def figures(o: StatementOutcome, running: bool = False) -> str:
    """A result's line above its grid."""
    channel = f", {o.channel}" if o.channel else ""
    if running:
        return f"{o.rows:,} {'row' if o.rows == 1 else 'rows'} so far…"
    if o.status == "cancelled":
        return f"{_first_upper(o.message)} ({o.elapsed:.2f} s{channel})"
    if o.capped:
        return (
            f"Showing the first {o.rows:,} rows: the row cap was reached and the rest was not read, "
            f"so how many rows the result has is not known ({o.elapsed:.2f} s{channel})"
        )
    text = f"{o.rows:,} {'row' if o.rows == 1 else 'rows'} in set"
    if o.status == "error":
        text = f"{text} before the error: {error_text(o)}"
    if o.warnings:
        text += f", {plural(o.warnings, 'warning')}"
    return f"{text} ({o.elapsed:.2f} s{channel})"


def error_text(o: StatementOutcome) -> str:
    """The server's own error line (``ERROR 1146 (42S02): ...``) when it sent one."""
    if o.error is not None:
        reply = reply_of(o.error)
        if reply is not None and reply.errno < 2000:
            return str(reply)
        return o.error.message
    return o.message


def summary(o: StatementOutcome) -> str:
    """A statement's line in the messages."""
    head = f"[{o.index + 1}] {o.verb or 'statement'}: "
    channel = f", {o.channel}" if o.channel else ""
    if o.status == "ok":
        if o.columns:
            return head + figures(o)
        if o.affected_rows is not None:
            n = o.affected_rows
            text = f"Query OK, {n:,} {'row' if n == 1 else 'rows'} affected"
        else:
            text = "Query OK"
        if o.warnings:
            text += f", {plural(o.warnings, 'warning')}"
        return f"{head}{text} ({o.elapsed:.2f} s{channel})"
    if o.status == "error":
        return f"{head}{error_text(o)}"
    if o.status == "refused":
        return f"{head}not sent: {o.message}"
    if o.status == "cancelled":
        return f"{head}{o.message} ({o.elapsed:.2f} s{channel})"
    return f"{head}{o.message or 'not run'}"


def _first_upper(s: str) -> str:
    return s[:1].upper() + s[1:]
