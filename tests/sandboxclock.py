"""Moving a sandbox's clock from tests (``POST /_sandbox/clock``) instead of waiting for time to pass.

The shared session sandbox is moved by a few seconds at most per step (what its own fast jobs and
operations take), so other tests' transactions and tokens, which last minutes or days, are not
disturbed; longer steps are made on private sandboxes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from conftest import SandboxProcess

# The end states of Huawei jobs and AI Lake operations.
ENDED = {"completed", "failed", "succeeded"}


def advance(sp: SandboxProcess, seconds: float) -> dict[str, Any]:
    """Move the sandbox's time forward; returns once everything that fell due is done."""
    r = httpx.post(f"{sp.url}/_sandbox/clock", json={"advance": seconds}, auth=sp.auth, timeout=120)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def offset(sp: SandboxProcess) -> float:
    """How far the sandbox's time is ahead of the wall clock, in seconds."""
    r = httpx.get(f"{sp.url}/_sandbox/clock", auth=sp.auth, timeout=30)
    assert r.status_code == 200, r.text
    return float(r.json()["offset"])


def advancing(
    sp: SandboxProcess, seconds: float, note: Callable[[Any], object] | None = None
) -> Callable[[Any], Awaitable[None]]:
    """A progress callback for the clients' own waits (Huawei ``wait_for(on_progress=)``, AI Lake
    ``wait(progress=)``): it notes the job or operation it is shown, and while that has not ended,
    moves the sandbox's clock on by ``seconds``, so the wait's next look finds it further on."""

    async def step(state: Any) -> None:
        if note is not None:
            note(state)
        if str(getattr(state, "status", "")).lower() not in ENDED:
            await asyncio.to_thread(advance, sp, seconds)

    return step
