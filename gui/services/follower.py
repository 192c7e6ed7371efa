"""Following a cloud job (a Huawei Cloud job, an AI Lake operation) to its end, whatever the network
does meanwhile.

A job runs in the cloud; the console only watches it. When the watching fails — a cut network, the
service answering 5xx or 429 — the job has not failed: the follower says the following is
interrupted, waits (with backoff) and polls again, for as long as the job may run. Only the service
saying so ends a job as failed (it failed, or it no longer exists). A failure that retrying will not
mend (credentials refused, a certificate that does not verify) stops the following but not the job:
it stays in the tracker and the next console follows it on.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..api import errors
from ..api.ailake import AILakeClient
from ..api.ailake.models import FailedOperation, Operation, SucceededOperation
from ..api.huawei import HuaweiCloudClient, Job
from .tracker import ends_the_job

T = TypeVar("T")

# Failures of the watching that a later poll may not meet again.
TRANSIENT: tuple[type[errors.ApiError], ...] = (
    errors.ConnectionFailed,
    errors.ServerError,
    errors.RateLimited,
)


def is_transient(exc: BaseException) -> bool:
    if not isinstance(exc, TRANSIENT):
        return False
    # A certificate that does not verify will not verify on the next poll either.
    return not _tls_refused(exc)


def _tls_refused(exc: BaseException) -> bool:
    text = str(getattr(exc, "message", "") or exc).lower()
    return "certificate" in text and ("verif" in text or "self-signed" in text or "self signed" in text)


def short_reason(exc: errors.ApiError) -> str:
    """Why a look at a job failed, in a few words (the full message goes to the log)."""
    if isinstance(exc, errors.RateLimited):
        return "the service asks to slow down (HTTP 429)"
    if isinstance(exc, errors.ServerError):
        return f"the service answered HTTP {exc.status}" if exc.status else "the service failed"
    if isinstance(exc, errors.ConnectionFailed):
        return "no connection to the service"
    return exc.message


@dataclass
class Interruption:
    """The following is interrupted: since when, how often it was tried, why, and when next."""

    since: float  # time.time() of the first failed poll
    attempts: int
    error: str
    retry_in: float  # seconds


@dataclass
class Poll(Generic[T]):
    """One look at a job: whether it has ended (successfully: failures raise), its last state,
    and what to show of it."""

    done: bool
    state: T
    progress: float | None = None  # 0..1 when the service says
    detail: str = ""


class FollowStopped(Exception):
    """The following stopped without learning how the job ended (the job goes on)."""

    def __init__(self, cause: errors.ApiError) -> None:
        super().__init__(cause.message)
        self.cause = cause


async def follow(
    check: Callable[[], Awaitable[Poll[T]]],
    *,
    on_progress: Callable[[Poll[T]], None] | None = None,
    on_interrupted: Callable[[Interruption | None], None] | None = None,
    interval: float = 1.0,
    max_interval: float = 15.0,
    backoff: float = 1.3,
    retry_first: float = 2.0,
    retry_max: float = 60.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.time,
) -> T:
    """Look at a job with ``check`` until it has ended and return its final state.

    Looks come every ``interval`` seconds at first (jobs that take seconds are seen finishing),
    slowing down to ``max_interval`` for long ones. ``on_progress`` hears every change of what is
    shown. A transient failure (network, 5xx, 429) interrupts the following, never the job: it is
    reported through ``on_interrupted``, retried with backoff without end, and ``None`` is reported
    once a look works again. A failure that says how the job ended (it failed, it is gone) is raised
    as it is; any other raises ``FollowStopped``. Cancelling the awaiting task stops the following,
    not the job."""
    since: float | None = None
    attempts = 0
    wait = interval
    shown: tuple[float | None, str] | None = None
    while True:
        try:
            seen = await check()
        except errors.ApiError as e:
            if ends_the_job(e):
                raise
            if not is_transient(e):
                raise FollowStopped(e) from e
            attempts += 1
            if since is None:
                since = clock()
            delay = min(retry_max, retry_first * (1.6 ** min(attempts - 1, 12)))
            delay *= random.uniform(0.8, 1.0)
            if on_interrupted is not None:
                on_interrupted(Interruption(since, attempts, short_reason(e), delay))
            await sleep(delay)
            continue
        if since is not None:
            since, attempts = None, 0
            if on_interrupted is not None:
                on_interrupted(None)
        if on_progress is not None and (seen.progress, seen.detail) != shown:
            on_progress(seen)
        shown = (seen.progress, seen.detail)
        if seen.done:
            return seen.state
        await sleep(wait)
        wait = min(max_interval, wait * backoff)


# -- looks at the services' jobs ----------------------------------------------------------------------
def huawei_job(client: HuaweiCloudClient, job_id: str) -> Callable[[], Awaitable[Poll[Job]]]:
    """A look at a Huawei Cloud job (``Pending`` → ``Running`` → ``Completed`` or ``Failed``)."""

    async def check() -> Poll[Job]:
        job = await client.get_job(job_id)
        if job.status == "Failed":
            raise client.job_failure(job_id, job)
        done = job.status == "Completed"
        progress = 1.0 if done else (None if job.percent is None else job.percent / 100)
        detail = " ".join(p for p in (job.status, job.process or "") if p)
        return Poll(done, job, progress, detail)

    return check


def ailake_operation(
    client: AILakeClient, operation_id: str, since: float | None = None
) -> Callable[[], Awaitable[Poll[Operation]]]:
    """A look at an AI Lake operation (``pending`` → ``succeeded`` or ``failed``), saying how long
    it has been pending since ``since`` (a ``time.time()`` of its submission) when known."""

    async def check() -> Poll[Operation]:
        op = await client.get_operation(operation_id)
        if isinstance(op, FailedOperation):
            raise client.operation_failure(op)
        done = isinstance(op, SucceededOperation)
        detail = op.status
        if since is not None and not done:
            detail = f"{op.status} for {int(time.time() - since)} s (operation {operation_id[:8]})"
        return Poll(done, op, 1.0 if done else None, detail)

    return check
