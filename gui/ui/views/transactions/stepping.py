"""One transaction step by step: Begin, Load (the next piece, repeatable; its Cancel leaves the
transaction open), Prepare, Commit or Roll back — each the stepper's call (gui/services/
transactions/stepper.py), its answer rendered in the Load tab, each Load an Activity entry."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING

from ....api.starrocks.models import LoadOptions
from ....services.transactions import (
    Answer,
    Meter,
    Piece,
    TransactionsService,
    TxnSettings,
    TxnStepper,
    human_bytes,
)
from ...activity import ActivityEntry
from .confirm import ask_rollback

if TYPE_CHECKING:
    from .load import LoadTab


class StepActions:
    def __init__(self, tab: LoadTab) -> None:
        self.tab = tab
        steps = tab.steps
        steps.begin_button.clicked.connect(self.begin)
        steps.load_button.clicked.connect(self.load)
        steps.prepare_button.clicked.connect(self.prepare)
        steps.commit_button.clicked.connect(self.commit)
        steps.rollback_button.clicked.connect(self.confirm_rollback)

    # -- begin --------------------------------------------------------------------------------------
    def begin(self) -> None:
        tab = self.tab
        read, service = tab.read_form(), tab.service
        if read is None or service is None:
            return
        options, settings = read
        db, table, files = tab.view.target.db(), tab.view.target.table(), tab.form.file_paths()

        def go() -> None:
            tab.steps.clear()
            tab.run_step(self._begin(service, db, table, files, options, settings), "beginning a transaction")

        tab.unless_loaded_before(files, db, table, go)

    async def _begin(
        self,
        service: TransactionsService,
        db: str,
        table: str,
        files: list[Path],
        options: LoadOptions,
        settings: TxnSettings,
    ) -> None:
        tab = self.tab
        tab.stepper, answer = await service.begin(db, table, files, options, settings)
        if tab.stepper is None:
            # Nothing began: the answer stays on screen with the form as it was.
            tab.steps.show_answer(answer)
            tab.describe()
            tab.refresh_buttons()
            tab.view.reload_history()
            return
        tab.answer(answer)

    # -- load the next piece -------------------------------------------------------------------------
    def load(self) -> None:
        tab, st = self.tab, self.tab.stepper
        if st is None or tab.busy:
            return
        piece = st.uncertain or st.next_piece
        name = piece.describe() if piece else "the next piece"
        entry = tab.view.ctx.activity.start(f"Load {name} → {st.db}.{st.table} ({st.label})", kind="load")
        task = tab.run_step(self._load(st, entry, piece), f"loading {name}")

        def cancel() -> None:
            if not st.stop_sending():
                task.cancel()  # not sending yet

        entry.cancel = cancel
        tab.set_cancel(cancel)
        entry.update(0.0, "sending…")

    async def _load(self, st: TxnStepper, entry: ActivityEntry, piece: Piece | None) -> None:
        tab = self.tab
        size = piece.length if piece else 0
        meter = Meter(size)

        def report(sent: int, _size: int | None) -> None:
            sample = meter.sample(sent, force=sent >= size)
            if sample is None:
                return
            tab.show_stats(sent, sample.rate)
            if size:
                entry.update(
                    sample.fraction,
                    f"{human_bytes(sent)} of {human_bytes(size)}, {human_bytes(sample.rate)}/s",
                )

        try:
            answer = await st.load_next(report)
        except asyncio.CancelledError:
            entry.cancelled("sending stopped; the transaction is left open")
            tab.answer(Answer("cancel", "Load cancelled.", "warning", detail=st.stopped(), label=st.label))
            raise
        except Exception as e:  # a file that could not be read: the entry ends with it
            entry.fail(str(e))
            raise
        seconds = meter.seconds
        if answer.ok:
            rate = size / max(seconds, 1e-3)
            tab.show_stats(0, rate)
            entry.succeed(f"{answer.headline} ({seconds:.1f} s, {human_bytes(rate)}/s)", raw=answer.raw)
        elif answer.severity == "warning":
            entry.succeed(answer.headline, raw=answer.raw)
        else:
            entry.fail(answer.headline, raw=answer.raw)
        tab.answer(answer)

    # -- prepare, commit, roll back ------------------------------------------------------------------
    def prepare(self) -> None:
        st = self.tab.stepper
        if st is not None:
            self.tab.run_step(self._simple(st.prepare()), "preparing the transaction")

    def commit(self) -> None:
        st = self.tab.stepper
        if st is not None:
            self.tab.run_step(self._committed(st), "committing the transaction")

    def confirm_rollback(self) -> None:
        st = self.tab.stepper
        if st is None or not st.open:
            return
        ask_rollback(
            self.tab.view,
            f"Roll back transaction {st.handle.txn_id if st.handle else ''} ({st.label})? None of its rows "
            "will be loaded.",
            lambda: self.tab.run_step(self._simple(st.rollback()), "rolling back"),
        )

    async def _simple(self, step: Awaitable[Answer]) -> None:
        self.tab.answer(await step)

    async def _committed(self, st: TxnStepper) -> None:
        answer = await st.commit()
        self.tab.answer(answer)
        if st.phase == "committed":
            self.tab.view.ctx.notify(
                f"{st.label}: committed, {st.rows_loaded:,} rows into {st.db}.{st.table}."
            )
            self.tab.new_label()  # this one is used for good
