"""What the window's parts share: the session (profiles, secrets, clients), the task registry,
the Activity model and the error presenter."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from ..services.session import ConsoleSession
from ..services.tracker import TrackedJob
from .activity import ActivityEntry, ActivityModel
from .tasks import TaskRegistry


@dataclass
class UiContext:
    session: ConsoleSession
    activity: ActivityModel
    tasks: TaskRegistry = field(default_factory=TaskRegistry)
    # Shows an error: status bar line + a details dialog. Set by the main window.
    show_error: Callable[[BaseException, str], None] = lambda exc, what: None
    # A short message in the status bar.
    notify: Callable[[str], None] = lambda text: None

    def run(self, coro: Coroutine[Any, Any, Any], key: str | None = None, what: str = "") -> Any:
        """Start background work from a slot (strong reference, latest-wins by key, errors shown)."""
        return self.tasks.start(coro, key=key, what=what)

    def job_entry(self, job: TrackedJob, kind: str, stop: Callable[[], object]) -> ActivityEntry:
        """The Activity entry of a cloud job being followed (its elapsed time from when the job was
        submitted); its Cancel calls ``stop`` and stops the following in later consoles too."""

        def cancel() -> None:
            self.run(self.session.forget_job(job), what="forgetting a job")
            stop()

        return self.activity.start(job.title, kind=kind, cancel=cancel, since=job.started_at)
