"""What the window's parts share: the session (profiles, secrets, clients), the task registry,
the Activity model and the error presenter."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from ..services.session import ConsoleSession
from .activity import ActivityModel
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
