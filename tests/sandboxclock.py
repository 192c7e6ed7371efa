"""Moving a sandbox's clock from tests (``POST /_sandbox/clock``) instead of waiting for time to pass.

The shared session sandbox is moved by a few seconds at most per step (what its own fast jobs and
operations take), so other tests' transactions and tokens, which last minutes or days, are not
disturbed; longer steps are made on private sandboxes.
"""

from __future__ import annotations

from typing import Any

import httpx
from conftest import SandboxProcess


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
