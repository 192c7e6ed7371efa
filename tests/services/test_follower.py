"""The job follower on its own (no Qt, no network): a cut connection interrupts the following, never
the job; only the service saying so ends a job as failed; other failures stop the following."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gui.api import errors
from gui.services.follower import FollowStopped, Interruption, Poll, follow


def script(*steps: Any) -> Callable[[], Awaitable[Poll[str]]]:
    """A job whose looks give these answers in turn (an exception is raised)."""
    queue = list(steps)

    async def check() -> Poll[str]:
        step = queue.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step

    return check


def cut() -> errors.ConnectionFailed:
    return errors.ConnectionFailed("cannot reach the service", service="huawei")


@pytest.mark.asyncio
async def test_a_network_cut_is_an_interruption_then_the_job_is_followed_to_its_end() -> None:
    slept: list[float] = []
    seen: list[Interruption | None] = []
    shown: list[str] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    state = await follow(
        script(
            Poll(False, "Pending", None, "Pending"),
            cut(),
            cut(),
            errors.ServerError("bad gateway", service="huawei", status=502),
            Poll(False, "Running", 0.5, "Running 50%"),
            Poll(True, "Completed", 1.0, "Completed"),
        ),
        on_progress=lambda p: shown.append(p.detail),
        on_interrupted=seen.append,
        sleep=sleep,
        clock=lambda: 1000.0,
    )
    assert state == "Completed"
    assert shown == ["Pending", "Running 50%", "Completed"]
    interruptions = [i for i in seen if i is not None]
    assert [i.attempts for i in interruptions] == [1, 2, 3]
    assert interruptions[-1].error == "the service answered HTTP 502"
    assert all(i.since == 1000.0 for i in interruptions)
    assert seen[-1] is None  # told once the looks work again
    # Retries back off; polls of a running job come every second at first.
    retries = [i.retry_in for i in interruptions]
    assert retries[0] < retries[1] < retries[2] and slept[0] == 1.0


@pytest.mark.asyncio
async def test_the_service_saying_the_job_failed_ends_it_as_failed() -> None:
    failed = errors.OperationFailed("restart failed: disk error", service="huawei")

    async def sleep(_s: float) -> None:
        return None

    with pytest.raises(errors.OperationFailed):
        await follow(script(cut(), failed), sleep=sleep)


@pytest.mark.asyncio
async def test_refused_credentials_stop_the_following_not_the_job() -> None:
    refused = errors.AuthError("the token was refused", service="huawei", status=401)

    async def sleep(_s: float) -> None:
        return None

    with pytest.raises(FollowStopped) as stopped:
        await follow(script(refused), sleep=sleep)
    assert stopped.value.cause is refused


@pytest.mark.asyncio
async def test_a_certificate_that_does_not_verify_is_not_retried() -> None:
    tls = errors.ConnectionFailed(
        "cannot reach https://gaussdb: certificate verify failed: self-signed certificate", service="huawei"
    )

    async def sleep(_s: float) -> None:
        raise AssertionError("a certificate failure must not be retried")

    with pytest.raises(FollowStopped):
        await follow(script(tls), sleep=sleep)
