"""Load transactions without Qt: every answer of the transaction interface in plain words, a
transaction driven one step at a time (journaled like the exactly-once loader), several files loaded
all at once and exactly once, the journal's unfinished transactions, and the cluster's running
transactions classified so that stuck or leaked ones stand out.

``TransactionsService`` is the one object the window's Load transactions view talks to.
"""

from __future__ import annotations

from .all_at_once import AllAtOnce, AllAtOnceRequest, AllAtOnceResult, Meter, Stopping, Transfer
from .answers import (
    Answer,
    Severity,
    explain_error,
    explain_reply,
    human_bytes,
    human_seconds,
    journal_answer,
    raw_text,
)
from .files import EarlierLoad, earlier_loads, file_ref
from .running import (
    RUNNING_LIMIT_NOTE,
    BulkRollback,
    RollbackResult,
    RunningSnapshot,
    RunningTxn,
    Thresholds,
    backend_addresses,
    classify,
    lost_note,
    parse_fe_time,
    rollback_and_recheck,
    rollback_many,
    rollback_one,
    running_snapshot,
    still_listed_but_lost,
)
from .service import SYSTEM_DATABASES, TransactionsService
from .settings import (
    DEFAULT_PREPARED_TIMEOUT_S,
    DEFAULT_TXN_TIMEOUT_S,
    MAX_PREPARED_TIMEOUT_S,
    MAX_TXN_TIMEOUT_S,
    TxnSettings,
    label_note,
    new_label,
    timeout_problems,
)
from .stepper import Piece, Progress, TxnPhase, TxnStepper, plan_pieces
from .unfinished import OPEN_STEPS, Unfinished, finish_unfinished, review_unfinished

__all__ = [
    "DEFAULT_PREPARED_TIMEOUT_S",
    "DEFAULT_TXN_TIMEOUT_S",
    "MAX_PREPARED_TIMEOUT_S",
    "MAX_TXN_TIMEOUT_S",
    "OPEN_STEPS",
    "RUNNING_LIMIT_NOTE",
    "SYSTEM_DATABASES",
    "AllAtOnce",
    "AllAtOnceRequest",
    "AllAtOnceResult",
    "Answer",
    "BulkRollback",
    "EarlierLoad",
    "Meter",
    "Piece",
    "Progress",
    "RollbackResult",
    "RunningSnapshot",
    "RunningTxn",
    "Severity",
    "Stopping",
    "Thresholds",
    "TransactionsService",
    "Transfer",
    "TxnPhase",
    "TxnSettings",
    "TxnStepper",
    "Unfinished",
    "backend_addresses",
    "classify",
    "earlier_loads",
    "explain_error",
    "explain_reply",
    "file_ref",
    "finish_unfinished",
    "human_bytes",
    "human_seconds",
    "journal_answer",
    "label_note",
    "lost_note",
    "new_label",
    "parse_fe_time",
    "plan_pieces",
    "raw_text",
    "review_unfinished",
    "rollback_and_recheck",
    "rollback_many",
    "rollback_one",
    "running_snapshot",
    "still_listed_but_lost",
    "timeout_problems",
]
