"""What every view of the main window offers, so the window's shortcuts and sidebar reach them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtWidgets import QHeaderView, QWidget

if TYPE_CHECKING:
    from ...services.profiles import Profile
    from ...services.tracker import TrackedJob
    from ..context import UiContext


class View(QWidget):
    """A page of the main window.

    ``kinds`` says which profiles it works with; the window calls ``set_profile`` when the user
    picks one of those in the sidebar. ``refresh``/``new_item``/``delete_selected``/``focus_filter`` back the
    F5, Ctrl+N, Delete and Ctrl+F shortcuts. ``loaded`` is emitted when a refresh has put its data on
    screen (tests and the screenshot command wait for it).
    """

    title = "View"
    kinds: tuple[str, ...] = ()
    loaded = Signal()
    status = Signal(str)  # a one-line state for the status bar ("3 instances", "loading…")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile: Profile | None = None

    def set_profile(self, profile: Profile | None) -> None:
        self.profile = profile
        self.refresh()

    def refresh(self) -> None:
        """Reload the view's data (asynchronously)."""

    def new_item(self) -> None:
        """Start creating whatever the view lists."""

    def delete_selected(self) -> None:
        """Delete the selected items, after confirmation."""

    def focus_filter(self) -> None:
        """Focus the view's filter field."""

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
            if isinstance(raw, str):
                header.restoreState(QByteArray(bytes.fromhex(raw)))
