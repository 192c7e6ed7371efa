"""Task-centre jobs (``GET /v3/{project_id}/jobs?id=``) and the instance actions they stand for.

A job's state is computed from the time it was created (on the sandbox's clock), kept in the store,
so a restarted sandbox carries on where it stopped and moving the clock moves the job: Pending for
the first fifth of ``job_seconds``, then Running with its progress ("60%"), then Completed. Its
effect on the instance (nodes become normal, new flavors, the instance disappears) is applied once,
by ``settle``, the first time anyone looks after it completed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from ..store import Store

JOB_KIND = "hw_job"
PENDING_SHARE = 0.2


def job_time(ts: float) -> str:
    """TaurusDB's "yyyy-mm-ddThh:mm:ssZ" where Z is the offset, e.g. 2026-01-02T03:04:05+0000."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def new_job(
    store: Store,
    name: str,
    kind: str,
    action: str,
    instance: dict[str, Any],
    duration: float,
    now: float,
    object_id: str | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    job = {
        "id": str(uuid.uuid4()),
        "name": name,
        "kind": kind,
        "action": action,
        "action_id": str(uuid.uuid4()),
        "object_id": object_id or instance["id"],
        "object_type": "node" if object_id else "instance",
        "instance_id": instance["id"],
        "instance_name": instance["name"],
        "created": now,
        "duration": duration,
        "params": params or {},
        "applied": False,
    }
    store.put(JOB_KIND, job["id"], job)
    return job


def status(job: dict[str, Any], now: float) -> tuple[str, str]:
    """(status, process) of a job at ``now``."""
    elapsed = now - float(job["created"])
    duration = float(job["duration"])
    if elapsed >= duration:
        return "Completed", ""
    if elapsed < duration * PENDING_SHARE:
        return "Pending", ""
    share = (elapsed - duration * PENDING_SHARE) / (duration * (1 - PENDING_SHARE))
    return "Running", f"{min(99, max(1, int(share * 100)))}%"


def to_api(job: dict[str, Any], now: float) -> dict[str, Any]:
    state, process = status(job, now)
    return {
        "id": job["id"],
        "name": job["name"],
        "status": state,
        "created": job_time(float(job["created"])),
        "ended": job_time(float(job["created"]) + float(job["duration"])) if state == "Completed" else "",
        "process": process,
        "instance": {"id": job["instance_id"], "name": job["instance_name"]},
        "entities": {},
    }


def action(job: dict[str, Any]) -> dict[str, Any]:
    """The QueryAction an unfinished job shows on its instance or node."""
    created = int(float(job["created"]) * 1000)
    return {
        "id": job["action_id"],
        "action": job["action"],
        "object_id": job["object_id"],
        "type": job["object_type"],
        "job_id": job["id"],
        "status": "running",
        "created_at": created,
        "updated_at": created,
    }


def unfinished(store: Store, instance_id: str) -> list[dict[str, Any]]:
    return [j for j in store.list(JOB_KIND) if j["instance_id"] == instance_id and not j["applied"]]
