"""The sandbox's time.

Everything the sandbox decides by time — a Huawei job moving Pending → Running → Completed, an IAM
token expiring, an AI Lake operation leaving ``pending``, a pipe's next poll, a Stream Load
transaction's total, idle and prepared timeouts — and every time it reports (create times, job
begin and end, ``LastActiveTimestamp``, SHOW PROC's times, SQL's ``now()``) is read from one
``Clock``: the wall clock plus an offset that only grows. ``POST /_sandbox/clock`` moves it forward,
so that a test or a person sees an hour pass at once. The offset is kept in the store, so a restart
on the same data folder goes on from the time it stopped at instead of going back behind the state
it wrote.

What the clock does not move: durations the sandbox measures of its own work (plan, receive and
write times, query latencies), connection keep-alives and the header timeout (they belong to real
sockets), and the date an AK/SK signature is checked against (the signer's clock is the caller's,
which this switch does not move).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

# Larger offsets would put times past what datetime and the services' formats can write.
MAX_OFFSET_SECONDS = 100 * 365 * 86400.0


class Clock:
    def __init__(self, offset: float = 0.0, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._offset = _checked_offset(offset)
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        """Seconds the sandbox's time is ahead of the wall clock."""
        return self._offset

    def now(self) -> float:
        """The sandbox's time, in seconds since the epoch."""
        return self._wall() + self._offset

    def ms(self) -> int:
        """The sandbox's time in whole milliseconds since the epoch (StarRocks' unit)."""
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> float:
        """Move the time forward by ``seconds`` (0 or more); returns the new offset."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ValueError("the time can only move forward by a number of seconds")
        if math.isnan(seconds) or seconds < 0:
            raise ValueError("the time can only move forward by a number of seconds")
        with self._lock:
            offset = self._offset + float(seconds)
            if offset > MAX_OFFSET_SECONDS:
                raise ValueError(
                    f"the time can be moved at most {MAX_OFFSET_SECONDS:.0f} seconds ahead of the wall clock"
                )
            self._offset = offset
            return offset


def _checked_offset(offset: float) -> float:
    # A stored offset that is not a usable number (hand-edited, damaged) is read as none.
    if isinstance(offset, bool) or not isinstance(offset, int | float):
        return 0.0
    if not math.isfinite(offset) or not 0 <= offset <= MAX_OFFSET_SECONDS:
        return 0.0
    return float(offset)
