"""The settings of a load transaction with their limits, and labels: a fresh one per load, and what a
label's state on the cluster means for the next Begin."""

from __future__ import annotations

import re
import time
import uuid

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ...api.starrocks.models import LABEL_RULE, check_label

# StarRocks' FE refuses a Stream Load timeout above max_stream_load_timeout_second (default 3 days).
MAX_TXN_TIMEOUT_S = 259_200
# prepared_timeout has no documented ceiling; a month keeps typos (an extra zero) out.
MAX_PREPARED_TIMEOUT_S = 2_592_000
DEFAULT_TXN_TIMEOUT_S = 600  # stream_load_default_timeout_second
DEFAULT_PREPARED_TIMEOUT_S = 86_400
# What a label's state on the cluster means for a Begin with it (get_load_state's states).
LABEL_NOTES = {
    "VISIBLE": "already used by a finished load: Begin will be refused",
    "COMMITTED": "already used by a committed load: Begin will be refused",
    "PREPARE": "in use by a running transaction",
    "PREPARED": "in use by a prepared transaction: commit or roll it back first",
    "ABORTED": "used before by a load that was aborted: free to use again",
}


def new_label(table: str) -> str:
    """A fresh label naming the table and the time, valid for the FE's label rule."""
    stem = re.sub(r"[^-_A-Za-z0-9]", "_", table or "load")[:60] or "load"
    return check_label(f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}")


class TxnSettings(BaseModel):
    """The transaction fields of the view besides the data format (LoadOptions checks that)."""

    model_config = ConfigDict(defer_build=True)

    label: str
    timeout: int | None = Field(default=None, ge=1, le=MAX_TXN_TIMEOUT_S)
    idle_timeout: int | None = Field(default=None, ge=1, le=MAX_TXN_TIMEOUT_S)
    prepared_timeout: int | None = Field(default=None, ge=1, le=MAX_PREPARED_TIMEOUT_S)
    chunk_mib: int = Field(default=64, ge=1, le=10_240)

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        if not v:
            raise ValueError(f"a label is needed: {LABEL_RULE}")
        try:
            return check_label(v)
        except ValueError:
            raise ValueError(LABEL_RULE) from None

    def problems(self) -> dict[str, str]:
        """Rules between fields."""
        return timeout_problems(self.timeout, self.idle_timeout)


def timeout_problems(timeout: int | None, idle_timeout: int | None) -> dict[str, str]:
    """An idle timeout at or past the transaction's own timeout would never fire."""
    limit = timeout or DEFAULT_TXN_TIMEOUT_S
    if idle_timeout is not None and idle_timeout >= limit:
        return {
            "idle_timeout": f"must be shorter than the transaction timeout ({limit} s), or it never fires"
        }
    return {}


def label_note(state: str | None) -> str | None:
    """What a label's state means for the next Begin; None for a label never used (UNKNOWN) or
    whose state could not be asked."""
    return LABEL_NOTES.get(state or "")
