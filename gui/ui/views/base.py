"""What every view of the main window offers, so the window's shortcuts and sidebar reach them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtWidgets import QHeaderView, QWidget

from ...views import by_class
from ..widgets.state_line import StateLine
from ..widgets.tables import KEPT

if TYPE_CHECKING:
    from ...services.profiles import Profile
    from ...services.tracker import TrackedJob
    from ..context import UiContext


S = TypeVar("S", bound="ProfileService")


class ProfileService(Protocol):
    """What a view's service per profile has: the profile it works for (kept up to date)."""

    profile: Profile


class ServicesByProfile(Generic[S]):
    """One service object per profile, kept while the profile keeps its name (it may hold state,
    e.g. failed creates to retry); a profile saved again with other settings is handed to it."""

    def __init__(self, make: Callable[[Profile], S]) -> None:
        self._make = make
        self._by_name: dict[str, S] = {}

    def of(self, profile: Profile) -> S:
        found = self._by_name.get(profile.name)
        if found is None:
            found = self._by_name[profile.name] = self._make(profile)
        found.profile = profile
        return found

    def renamed(self, old: str, new: str) -> None:
        found = self._by_name.pop(old, None)
        if found is not None:
            self._by_name[new] = found

    def drop(self, name: str) -> None:
        self._by_name.pop(name, None)

    def items(self) -> list[tuple[str, S]]:
        return list(self._by_name.items())


class View(QWidget):
    """A page of the main window.

    ``kinds`` says which profiles it works with; the window calls ``set_profile`` when the user
    picks one of those in the sidebar. ``refresh``/``new_item``/``delete_selected``/``focus_filter`` back the
    F5, Ctrl+N, Delete and Ctrl+F shortcuts. ``loaded`` is emitted when a refresh has put its data on
    screen (tests and the screenshot command wait for it).
    """

    # From the view registry (gui/views.py), set on each subclass by its class name.
    title = "View"
    kinds: tuple[str, ...] = ()
    slug = ""
    loaded = Signal()
    status = Signal(str)  # a one-line state for the status bar ("3 instances", "loading…")
    profile_shown = Signal()  # current_profile() may have changed (e.g. another section on screen)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = by_class(cls.__name__)
        if spec is not None:
            cls.title, cls.kinds, cls.slug = spec.title, spec.kinds, spec.slug

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile: Profile | None = None
        # The state of the view's data (updated at, or failing since); each view places it.
        self.state_line = StateLine(self)

    def set_profile(self, profile: Profile | None) -> None:
        """Point the view at a profile; None when its profile was deleted (the view empties)."""
        if profile is None or self.profile is None or profile != self.profile:
            # What was loading for the profile before is of no use now: stopped, not reported.
            self.cancel_background()
            if profile is None or self.profile is None or profile.name != self.profile.name:
                self.state_line.clear()
        self.profile = profile
        self.refresh()

    def cancel_background(self) -> None:
        self.ctx.tasks.cancel_prefix(self._task_prefix())

    def _task_prefix(self) -> str:
        return f"{type(self).__name__}-{id(self)}/"

    def current_profile(self) -> Profile | None:
        """The profile of what the view shows now (the status bar names it)."""
        return self.profile

    def drop_profile(self, name: str) -> None:
        """A profile was deleted: a view showing it empties (its actions go with it)."""
        if self.profile is not None and self.profile.name == name:
            self.set_profile(None)

    def profile_renamed(self, old: str, profile: Profile) -> None:
        """The profile this view uses was saved again, maybe under a new name or with another
        address: the view follows it and reloads."""
        if self.profile is not None and self.profile.name == old:
            self.set_profile(profile)

    def background(
        self,
        coro: Coroutine[Any, Any, Any],
        what: str,
        line: StateLine | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        profile: Profile | None = None,
        task_key: str | None = None,
    ) -> asyncio.Task[Any]:
        """Run a refresh the user did not start this instant (or a poll): its state shows in the
        view's state line (or ``line``), a failure becomes one notification, never a dialog. A newer
        refresh of the same kind replaces a running one."""
        shown = self.state_line if line is None else line
        of = profile or self.profile
        source = f"{self.title} — {of.name}" if of is not None else self.title
        key = f"{type(self).__name__}/{of.name if of else ''}/{what}"

        def done(task: asyncio.Task[Any]) -> None:
            if task.cancelled():
                # Cancelled before it began (a newer refresh, the window closing): the work it
                # wraps never started, and is closed so that Python does not warn it was not awaited.
                coro.close()
                return
            exc = task.exception()
            if exc is None:
                shown.ok()
                return
            shown.failed(exc)
            if on_failure is not None:
                on_failure(exc)

        async def unless_gone() -> Any:
            try:
                return await coro
            except Exception:
                if of is not None and self.ctx.session.profile(of.name) is None:
                    # Its profile was renamed or deleted meanwhile (its secret moved with it): the
                    # work is over as if stopped, not a failure to report under a name now gone.
                    raise asyncio.CancelledError(f"profile {of.name!r} is gone") from None
                raise

        shown.loading()
        task: asyncio.Task[Any] = self.ctx.run_background(
            unless_gone(), key, what, source, task_key=self._task_prefix() + (task_key or what)
        )
        task.add_done_callback(done)
        return task

    def refresh(self) -> None:
        """Reload the view's data (asynchronously)."""

    def new_item(self) -> None:
        """Start creating whatever the view lists."""

    def delete_selected(self) -> None:
        """Delete the selected items, after confirmation."""

    def focus_filter(self) -> None:
        """Focus the view's filter field."""

    def follow_in_background(self, coro: Coroutine[Any, Any, Any], job: TrackedJob) -> None:
        """Following a job is background work: its outcome is in its Activity entry, never a
        dialog (anything unforeseen becomes a notification)."""
        self.ctx.run_background(coro, f"follow/{job.id}", f"following {job.title}", source=job.title)

    async def aclose(self) -> None:
        """Stop the view's background work."""

    def resume(self, job: TrackedJob) -> bool:
        """Follow on a job an earlier console left running, if it is one of this view's."""
        return False

    # -- state kept across runs --------------------------------------------------------------------
    def headers(self) -> dict[str, QHeaderView]:
        """Table headers whose column widths and order are restored on start, by a stable name."""
        return {}

    def save_state(self) -> dict[str, Any]:
        return {name: bytes(h.saveState().data()).hex() for name, h in self.headers().items()}

    def restore_state(self, state: dict[str, Any]) -> None:
        for name, header in self.headers().items():
            raw = state.get(name)
            if isinstance(raw, str) and header.restoreState(QByteArray(bytes.fromhex(raw))):
                table = header.parentWidget()
                if table is not None:
                    table.setProperty(KEPT, True)  # the user's widths from the last run stay
