"""The Load tab: the form (files, format, label, timeouts) beside the steps of the current
transaction — what it is, what comes next, which steps can be pressed now, and every answer. The
steps themselves are in ``stepping`` (one at a time) and ``at_once`` (all at once)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QWidget

from ....api.starrocks.models import LoadOptions
from ....services.transactions import (
    Answer,
    TransactionsService,
    TxnSettings,
    TxnStepper,
    human_bytes,
    label_note,
    new_label,
)
from ....services.words import plural
from ...dialogs.txn_answer import show_answer
from ...style import span
from .at_once import AllAtOnceAction
from .confirm import ask, ask_load_again
from .form import TxnForm
from .stepping import StepActions
from .steps import TxnStepsPanel

if TYPE_CHECKING:
    from .view import TransactionsView

# What the state line of the steps says of each phase of the transaction.
PHASES = {
    "new": "not begun",
    "prepared": "<b>prepared</b>: commit or roll back",
    "committed": span("committed", "ok", bold=True) + ": the rows are visible",
    "aborted": span("ended", "error", bold=True) + " (aborted or rolled back)",
}


class LoadTab(QSplitter):
    def __init__(self, view: TransactionsView) -> None:
        super().__init__(Qt.Orientation.Horizontal, view)
        self.view = view
        self.stepper: TxnStepper | None = None
        self.busy = False
        self.cancel_current: Callable[[], None] | None = None  # Cancel of the running step
        self._label_generated = True
        self._label_for = ""  # the table the generated label names
        self.form = TxnForm(self)
        self.form.changed.connect(self._form_changed)
        self.form.label_edited.connect(self._label_edited)
        self.form.new_label_requested.connect(self.new_label)
        self.steps = TxnStepsPanel(self)
        self.steps.cancel_button.clicked.connect(self._cancel_clicked)
        self.steps.raw_requested.connect(lambda a: show_answer(a, self.view))
        self.addWidget(self._scroll(self.form, "txnFormScroll"))
        # The steps pane scrolls too, so that a low window (700 px with the unfinished banner and the
        # Activity panel) still fits.
        self.addWidget(self._scroll(self.steps, "txnStepsScroll", QFrame.Shape.NoFrame))
        self.setStretchFactor(0, 5)
        self.setStretchFactor(1, 6)
        self.setChildrenCollapsible(False)
        self.setSizes([400, 560])
        self._label_timer = QTimer(self)
        self._label_timer.setSingleShot(True)
        self._label_timer.setInterval(450)
        self._label_timer.timeout.connect(self._check_label)
        self.stepping = StepActions(self)
        self.at_once = AllAtOnceAction(self)

    def _scroll(self, widget: QWidget, name: str, frame: QFrame.Shape | None = None) -> QScrollArea:
        scroll = QScrollArea(self)
        scroll.setObjectName(name)
        scroll.setWidgetResizable(True)
        if frame is not None:
            scroll.setFrameShape(frame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(widget)
        # As narrow as the pane allows, never narrower: fields are not cut off at the right.
        bar = scroll.verticalScrollBar().sizeHint().width()
        scroll.setMinimumWidth(widget.minimumSizeHint().width() + bar)
        return scroll

    # -- what the view asks of it ---------------------------------------------------------------
    @property
    def service(self) -> TransactionsService | None:
        return self.view.service

    @property
    def open(self) -> bool:
        """A transaction is open (running or prepared) in this tab."""
        return self.stepper is not None and self.stepper.open

    def open_labels(self) -> set[str]:
        """Labels this tab is working on: the journal does not offer them as unfinished."""
        return {self.stepper.label} if self.stepper is not None and self.stepper.open else set()

    def stop(self) -> None:
        self._label_timer.stop()

    def table_changed(self, table: str) -> None:
        if self._label_generated and table and table != self._label_for and not self.open:
            self._set_label(new_label(table))
        self.describe()
        self.refresh_buttons()

    def new_transaction(self) -> None:
        """Ctrl+N: a new label, and a new transaction when the current one has ended."""
        st = self.stepper
        if st is None or not st.open:
            self.start_new()
            return
        ask(
            self,
            "New transaction",
            f"Transaction {st.handle.txn_id if st.handle else ''} ({st.label}) is still open. Start a "
            "new one and leave it open? It stays in the journal and is offered for commit or "
            "rollback under Unfinished transactions.",
            lambda: self.start_new(leave_open=True),
            name="confirmNew",
        )

    def start_new(self, leave_open: bool = False) -> None:
        self.stepper = None
        self.steps.clear()
        self.new_label()
        self.form.set_locked(False)
        self.describe()
        self.refresh_buttons()
        if leave_open:
            self.view.review_unfinished()

    def reset(self) -> None:
        """Another cluster: its open transaction stays in the journal, offered when it is picked
        again."""
        self.stepper = None
        self.steps.clear()
        self.form.set_locked(False)

    def finished_elsewhere(self, answer: Answer) -> None:
        """The transaction of the tab's last answer was finished under Unfinished transactions:
        its last word here ("left open…") is out of date."""
        latest = self.steps.latest()
        if latest is not None and latest.label == answer.label and self.stepper is None:
            self.steps.show_answer(answer)

    def unless_loaded_before(self, files: list[Path], db: str, table: str, then: Callable[[], None]) -> None:
        """Loading a file the journal shows already loaded into this table would load its rows
        twice: asked first."""
        service = self.service
        if service is None:
            return
        earlier = service.earlier_loads(db, table, files)
        if earlier:
            ask_load_again(self.view, earlier, then)
        else:
            then()

    # -- labels -----------------------------------------------------------------------------------
    def new_label(self) -> None:
        self._set_label(new_label(self.view.target.table() or "load"))

    def _set_label(self, label: str) -> None:
        self._label_generated = True
        self._label_for = self.view.target.table()
        self.form.label.setText(label)
        self.form.label.setCursorPosition(0)
        self.form.fields["label"].set_note(None)

    def _label_edited(self, _text: str) -> None:
        self._label_generated = False
        self.form.fields["label"].set_note(None)
        self._label_timer.start()

    def _check_label(self) -> None:
        label, db, service = self.form.label.text().strip(), self.view.target.db(), self.service
        if service is None or not db or not label or "label" in self.form.read()[2]:
            return
        self.view.ctx.run(
            self._ask_label(service, db, label), key=f"{self.view.key}-label", what="checking the label"
        )

    async def _ask_label(self, service: TransactionsService, db: str, label: str) -> None:
        state = await service.label_state(db, label)
        if self.form.label.text().strip() == label:
            self.form.fields["label"].set_note(label_note(state))

    # -- what the steps pane says -------------------------------------------------------------------
    def describe(self) -> None:
        st = self.stepper
        if st is None:
            self.steps.state_label.setText(
                "<b>No transaction open.</b> Choose files and a label, then <b>Begin</b> and <b>Load</b> "
                "them step by step — or <b>Load all at once</b>."
            )
            self.steps.next_label.setText(self._files_summary())
            return
        txn = f"Transaction <b>{st.handle.txn_id}</b>" if st.handle else "Transaction"
        phase = PHASES.get(st.phase) or f"running on BE {st.handle.be.split('://')[-1] if st.handle else '?'}"
        self.steps.state_label.setText(
            f"{txn} · label <code>{st.label}</code> · into <b>{st.db}.{st.table}</b> · {phase}"
        )
        self.steps.next_label.setText(self._next_words(st))
        self.show_stats()

    def _next_words(self, st: TxnStepper) -> str:
        piece = st.next_piece
        if st.phase != "open":
            return f"{plural(len(st.pieces), 'piece')}, {human_bytes(st.total_bytes)} in all."
        if st.uncertain is not None:
            return f"Next: check whether the stopped {st.uncertain.describe()} arrived, then go on."
        if piece is not None:
            files_done = len({p.file for p in st.pieces[: st.next]})
            return (
                f"Next: <b>{piece.describe()}</b>, {human_bytes(piece.length)} — piece {st.next + 1} of "
                f"{len(st.pieces)} ({files_done} of {plural(len(st.files), 'file')} sent)"
            )
        return "Every chosen file has been sent: <b>Prepare</b>, then <b>Commit</b>."

    def _files_summary(self) -> str:
        paths = self.form.file_paths()
        if not paths:
            return "Add the files to load (Files, on the left) to begin."
        size = sum(p.stat().st_size for p in paths if p.is_file())
        return f"{plural(len(paths), 'file')}, {human_bytes(size)} chosen."

    def show_stats(self, sending: int = 0, rate: float | None = None) -> None:
        st = self.stepper
        if st is None:
            self.steps.stats.setText("")
            return
        done = st.bytes_sent + sending
        parts = [f"{human_bytes(done)} of {human_bytes(st.total_bytes)} sent"]
        if rate is not None:
            parts.append(f"{human_bytes(rate)}/s")
        parts.append(f"{st.rows_loaded:,} rows loaded, {st.rows_filtered:,} filtered")
        self.steps.stats.setText(" · ".join(parts))
        self.steps.set_progress(done / st.total_bytes if st.total_bytes else (1.0 if st.next else 0.0))

    def refresh_buttons(self) -> None:
        st, steps, target = self.stepper, self.steps, self.view.target
        ready = self.service is not None and bool(target.db() and target.table())
        valid = ready and not self.form.read()[2]
        idle, open_ = not self.busy, self.open
        running = st is not None and st.phase == "open"
        steps.begin_button.setEnabled(idle and not open_ and valid)
        steps.all_button.setEnabled(idle and not open_ and valid)
        can_load = running and st is not None and (st.next_piece is not None or st.uncertain is not None)
        steps.load_button.setEnabled(idle and can_load)
        steps.prepare_button.setEnabled(idle and running)
        steps.commit_button.setEnabled(idle and open_)
        steps.rollback_button.setEnabled(idle and open_)
        steps.cancel_button.setVisible(self.busy and self.cancel_current is not None)
        locked = self.busy or open_
        self.form.set_locked(locked)
        target.set_locked(locked)
        if running and st is not None and st.next_piece is not None:
            steps.load_button.setText(f"Load {st.next + 1}/{len(st.pieces)}")
        else:
            steps.load_button.setText("Load")
        if st is None:
            steps.next_label.setText(self._files_summary())

    def answer(self, answer: Answer) -> None:
        """A step's answer: shown, and everything that depends on it follows."""
        self.steps.show_answer(answer)
        self.describe()
        self.refresh_buttons()
        self.view.reload_history()
        label = answer.label or (self.stepper.label if self.stepper else "")
        self.view.status.emit(f"{label}: {answer.headline}" if label else answer.headline)

    def _form_changed(self) -> None:
        """Other files or settings: the last load's progress and figures no longer describe them."""
        if not self.busy and not self.open:
            self.steps.progress.hide()
            self.steps.stats.setText("")
        self.refresh_buttons()

    # -- running a step ---------------------------------------------------------------------------
    def read_form(self) -> tuple[LoadOptions, TxnSettings] | None:
        options, settings, bad = self.form.read()
        if bad or options is None or settings is None:
            self.form.validate()
            return None
        return options, settings

    def run_step(self, coro: Coroutine[Any, Any, None], what: str) -> asyncio.Task[Any]:
        self.busy = True
        self.refresh_buttons()
        task: asyncio.Task[Any] = self.view.ctx.run(self._guard(coro), key=f"{self.view.key}-step", what=what)
        return task

    def set_cancel(self, cancel: Callable[[], None] | None) -> None:
        """What the steps pane's Cancel does while the step runs."""
        self.cancel_current = cancel
        self.steps.cancel_button.setEnabled(cancel is not None)
        self.refresh_buttons()

    def _cancel_clicked(self) -> None:
        if self.cancel_current is not None:
            self.cancel_current()

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        finally:
            self.busy = False
            self.cancel_current = None
            self.view.running.refresh_if_listed(self.view.target.db())  # the step changed what runs
            self.describe()
            self.refresh_buttons()
