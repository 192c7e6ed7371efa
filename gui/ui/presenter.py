"""The window's few dialogs that are not a view's: a failure of what the user pressed (a status bar
line and a details dialog, secrets redacted), an Activity entry's details, and the question asked
when quitting while jobs run (it follows the jobs while it is open)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QMessageBox

from ..api import errors
from ..api.transport import redact
from ..services.words import plural
from .activity import ActivityEntry, ActivityModel
from .status import show_status

log = logging.getLogger("starrocks_console.ui")


def show_error(window: QMainWindow, exc: BaseException, what: str = "") -> None:
    if isinstance(exc, errors.ApiError):
        headline = exc.message
        detail_lines = [str(exc)]
        if exc.request_id:
            detail_lines.append(f"request id: {exc.request_id}")
        if exc.raw is not None:
            detail_lines.append(json.dumps(redact(exc.raw), indent=2, default=str, ensure_ascii=False)[:4000])
    else:
        log.error("unexpected error while %s", what or "working", exc_info=exc)
        headline = f"{type(exc).__name__}: {exc}"
        detail_lines = [headline]
    prefix = f"{what[:1].upper()}{what[1:]} failed: " if what else ""
    show_status(window.statusBar(), prefix + headline, 15000)
    ok = QMessageBox.StandardButton.Ok
    box = QMessageBox(QMessageBox.Icon.Warning, "StarRocks Console", prefix + headline, ok, window)
    box.setObjectName("errorDialog")
    box.setDetailedText("\n\n".join(detail_lines))
    if isinstance(exc, errors.ApiError) and exc.hint:
        box.setInformativeText(exc.hint[:1].upper() + exc.hint[1:] + ".")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


def show_entry(window: QMainWindow, entry: ActivityEntry) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Information,
        entry.title,
        f"{entry.state}: {entry.result or entry.detail}",
        QMessageBox.StandardButton.Ok,
        window,
    )
    if entry.raw is not None:
        box.setDetailedText(json.dumps(redact(entry.raw), indent=2, default=str, ensure_ascii=False))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


def quit_text(activity: ActivityModel) -> str:
    running = len(activity.running())
    if not running:
        return "Every job has ended. Quit?"
    return (
        f"{plural(running, 'job')} still running. Quit anyway? Loads can be finished later from the "
        "journal; cloud jobs carry on in the cloud and are followed again when the console next starts."
    )


def ask_to_quit(window: QMainWindow, activity: ActivityModel, quit_anyway: Callable[[], None]) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Quit",
        quit_text(activity),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        window,
    )
    box.setObjectName("quitConfirm")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def follow(_entry: object) -> None:  # one that ends is no longer counted
        box.setText(quit_text(activity))

    activity.entry_changed.connect(follow)

    def done(button: int) -> None:
        activity.entry_changed.disconnect(follow)
        if button == QMessageBox.StandardButton.Yes:
            quit_anyway()

    box.finished.connect(done)
    box.open()
