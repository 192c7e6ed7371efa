"""What the window's parts share: the session (profiles, secrets, clients), the task registry,
the Activity model, the notifications of background work and the error presenter."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..api import errors
from ..services.follower import FollowStopped, Interruption, Poll, follow
from ..services.session import ConsoleSession
from ..services.tracker import TrackedJob
from .activity import ActivityEntry, ActivityModel
from .notifications import NotificationsModel, clock
from .tasks import TaskRegistry

if TYPE_CHECKING:
    from .monitoring import MonitoringFeed

T = TypeVar("T")


@dataclass
class Followed(Generic[T]):
    """How following a job ended: its final state when it succeeded, else the failure (the entry
    already says which)."""

    entry: ActivityEntry
    state: T | None
    failure: errors.ApiError | None


@dataclass
class UiContext:
    session: ConsoleSession
    activity: ActivityModel
    tasks: TaskRegistry = field(default_factory=TaskRegistry)
    notifications: NotificationsModel = field(default_factory=NotificationsModel)
    # Shows an error: status bar line + a details dialog. Set by the main window.
    show_error: Callable[[BaseException, str], None] = lambda exc, what: None
    # A short message in the status bar.
    notify: Callable[[str], None] = lambda text: None
    # The readings of every StarRocks cluster profile, collected while the window runs (set by the
    # main window).
    monitoring: MonitoringFeed | None = None

    def run(self, coro: Coroutine[Any, Any, Any], key: str | None = None, what: str = "") -> Any:
        """Start background work from a slot (strong reference, latest-wins by key, errors shown)."""
        return self.tasks.start(coro, key=key, what=what)

    def run_background(
        self,
        coro: Coroutine[Any, Any, Any],
        key: Hashable,
        what: str,
        source: str = "",
        task_key: str | None = None,
    ) -> Any:
        """Start work the user did not ask for just now (a refresh, a poll, a follower): a failure
        becomes a notification (one per ``key``, counted), never a dialog; a success clears it.
        ``task_key`` (default: the key) names the work a newer start replaces."""

        def failed(exc: BaseException, _what: str) -> None:
            self.notifications.report(key, source or what, what, exc)

        def done(task: asyncio.Task[Any]) -> None:
            if not task.cancelled() and task.exception() is None:
                self.notifications.resolve(key)

        task = self.tasks.start(coro, key=task_key or str(key), what=what, on_error=failed)
        task.add_done_callback(done)
        return task

    async def follow(
        self,
        job: TrackedJob,
        check: Callable[[], Awaitable[Poll[T]]],
        *,
        kind: str,
        resumed: bool = False,
        on_progress: Callable[[Poll[T]], None] | None = None,
        cancelled_note: str = "stopped following; the job goes on in the cloud",
        failure_text: Callable[[errors.ApiError], str] | None = None,
    ) -> Followed[T]:
        """Follow a cloud job in its Activity entry (from the coroutine that runs it): progress in
        the entry; a cut connection shown as an interruption and retried; the job's failure as a
        failure; a following that cannot go on as such (the next console takes it up). The job is
        kept in the tracker while it is followed. The caller ends the entry when the job succeeded."""
        task = asyncio.current_task()
        assert task is not None
        entry = self.job_entry(job, kind, task.cancel)
        # Cancel may land at any await of the following, or of the caller's work after it (waiting
        # for an instance to settle): the entry then ends as cancelled, never stays running.
        task.add_done_callback(lambda t: entry.cancelled(cancelled_note) if t.cancelled() else None)
        if resumed:
            entry.update(None, "followed again after a restart of the console")

        def progress(seen: Poll[T]) -> None:
            entry.update(seen.progress, seen.detail)
            if on_progress is not None:
                on_progress(seen)

        def interrupted(i: Interruption | None) -> None:
            if i is None:
                entry.update(None, "connection back; following again")
                return
            entry.update(
                None,
                f"interrupted since {clock(i.since)}: {i.error}; retrying in {i.retry_in:.0f} s "
                "(the job itself goes on)",
            )

        try:
            if not resumed:
                await self.session.remember_job(job)
            state = await follow(check, on_progress=progress, on_interrupted=interrupted)
        except asyncio.CancelledError:
            entry.cancelled(cancelled_note)
            raise
        except FollowStopped as e:
            await self.session.job_ended(job, e.cause)
            entry.interrupted(
                f"stopped following: {e.cause.message}. The job goes on; the console follows it again "
                "when it next starts",
                raw=e.cause.raw,
            )
            return Followed(entry, None, e.cause)
        except errors.ApiError as e:
            await self.session.job_ended(job, e)
            entry.fail(failure_text(e) if failure_text else e.message, raw=e.raw or {"id": job.remote_id})
            return Followed(entry, None, e)
        await self.session.job_ended(job)
        return Followed(entry, state, None)

    def job_entry(self, job: TrackedJob, kind: str, stop: Callable[[], object]) -> ActivityEntry:
        """The Activity entry of a cloud job being followed (its elapsed time from when the job was
        submitted); its Cancel calls ``stop`` and stops the following in later consoles too."""

        def cancel() -> None:
            self.run(self.session.forget_job(job), what="forgetting a job")
            stop()

        return self.activity.start(job.title, kind=kind, cancel=cancel, since=job.started_at)
