"""The cloud jobs the console follows (Huawei Cloud jobs, AI Lake operations), kept on disk so that
a console started again goes on following what the last one left running.

A job is written when the console starts following it and removed when it ends, fails, or the
user stops following it; one still listed when the console starts was cut short by a quit or a
crash. Jobs of session-only profiles (the built-in sandbox's) are not kept: their service is gone
with the session.

One JSON file, ``<data dir>/jobs.json``, replaced atomically on each change.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..api import errors
from .paths import data_dir, private_dir

HUAWEI_JOB = "huawei-job"
AILAKE_OPERATION = "ailake-operation"


@dataclass
class TrackedJob:
    kind: str  # HUAWEI_JOB or AILAKE_OPERATION
    profile: str  # the profile's name
    remote_id: str  # the job id or the operation id
    title: str  # as the Activity panel shows it
    action: str  # what it does, for the view that follows it: "create", "delete", "refresh", ...
    context: dict[str, str] = field(default_factory=dict)  # what that view needs (ids, names)
    done: str = "done"  # the result line when it succeeds
    started_at: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


class JobTracker:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "jobs.json"
        self._lock = threading.Lock()

    def pending(self) -> list[TrackedJob]:
        """Jobs not seen to their end, oldest first."""
        with self._lock:
            return self._read()

    def add(self, job: TrackedJob) -> None:
        with self._lock:
            jobs = [j for j in self._read() if j.id != job.id]
            jobs.append(job)
            self._write(jobs)

    def remove(self, job_id: str) -> None:
        with self._lock:
            jobs = self._read()
            kept = [j for j in jobs if j.id != job_id]
            if len(kept) != len(jobs):
                self._write(kept)

    def move_profile(self, old: str, new: str | None) -> None:
        """A profile renamed (``new``) or deleted (None): its jobs follow it or go with it."""
        with self._lock:
            jobs = self._read()
            if not any(j.profile == old for j in jobs):
                return
            kept = []
            for j in jobs:
                if j.profile == old:
                    if new is None:
                        continue
                    j.profile = new
                kept.append(j)
            self._write(kept)

    def _read(self) -> list[TrackedJob]:
        try:
            docs = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, json.JSONDecodeError):
            return []  # a damaged file must not stop the console; it is rewritten on the next job
        jobs = []
        for doc in docs if isinstance(docs, list) else []:
            job = _job(doc)
            if job is not None:
                jobs.append(job)
        jobs.sort(key=lambda j: j.started_at)
        return jobs

    def _write(self, jobs: list[TrackedJob]) -> None:
        private_dir(self.path.parent)  # mkstemp makes the file itself 0600
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".jobs-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump([asdict(j) for j in jobs], f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _job(doc: Any) -> TrackedJob | None:
    if not isinstance(doc, dict):
        return None
    known = {k: v for k, v in doc.items() if k in TrackedJob.__dataclass_fields__}
    try:
        job = TrackedJob(**known)
    except TypeError:
        return None
    if job.kind not in (HUAWEI_JOB, AILAKE_OPERATION) or not job.remote_id or not job.profile:
        return None
    job.context = {str(k): str(v) for k, v in dict(job.context or {}).items()}
    return job


def ends_the_job(exc: BaseException) -> bool:
    """Whether a failure met while following says how the job itself ended (it failed, or no
    longer exists) rather than that the following was cut short (network, credentials, the
    service's own trouble); a job cut short is followed again when the console next starts."""
    return isinstance(exc, errors.OperationFailed | errors.NotFound | errors.InvalidRequest)
