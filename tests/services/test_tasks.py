"""Stopping background work for certain: a task that swallows a cancel (as AnyIO's cancel scopes
can, anyio issue #1214) is cancelled again until it ends; one that never ends is named and left
after the patience runs out, so a window still closes."""

from __future__ import annotations

import asyncio

import pytest

from gui.services.tasks import stop


@pytest.mark.asyncio
async def test_a_task_that_swallows_a_cancel_is_cancelled_again_until_it_ends() -> None:
    swallowed = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            swallowed.set()  # the cancel is lost, as in a library with the bug
        await asyncio.sleep(3600)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    left = await stop([task], every=0.05)
    assert swallowed.is_set()
    assert task.cancelled()
    assert left == set()


@pytest.mark.asyncio
async def test_a_task_that_never_ends_is_given_up_after_the_patience(
    caplog: pytest.LogCaptureFixture,
) -> None:
    released = asyncio.Event()
    cancels = 0

    async def deaf() -> None:
        nonlocal cancels
        while not released.is_set():
            try:
                await released.wait()
            except asyncio.CancelledError:
                cancels += 1

    task = asyncio.create_task(deaf(), name="deaf")
    await asyncio.sleep(0)
    left = await stop([task], every=0.02, patience=0.2)
    assert left == {task}
    assert cancels >= 2  # asked more than once
    assert "did not end" in caplog.text and "deaf" in caplog.text
    released.set()
    await task


@pytest.mark.asyncio
async def test_tasks_already_ended_and_no_tasks_return_at_once() -> None:
    done = asyncio.create_task(asyncio.sleep(0))
    await done
    assert await stop([done]) == set()
    assert await stop([]) == set()
