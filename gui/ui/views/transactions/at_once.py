"""Load all at once: the chosen files loaded exactly once, one after the other (the service's
``AllAtOnce`` does the work); one Activity entry whose Cancel stops before the next commit, the
progress over all the files, and each file's outcome in the Load tab."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ....services.transactions import (
    AllAtOnce,
    AllAtOnceRequest,
    AllAtOnceResult,
    Answer,
    TransactionsService,
    Transfer,
    human_bytes,
)
from ....services.words import plural
from ...activity import ActivityEntry

if TYPE_CHECKING:
    from .load import LoadTab


class AllAtOnceAction:
    def __init__(self, tab: LoadTab) -> None:
        self.tab = tab
        tab.steps.all_button.clicked.connect(self.start)

    def start(self) -> None:
        tab = self.tab
        read, service = tab.read_form(), tab.service
        if read is None or service is None:
            return
        options, settings = read
        request = AllAtOnceRequest(
            tab.form.file_paths(), tab.view.target.db(), tab.view.target.table(), options, settings
        )
        tab.unless_loaded_before(
            request.files, request.db, request.table, lambda: self._start(service, request)
        )

    def _start(self, service: TransactionsService, request: AllAtOnceRequest) -> None:
        tab, files = self.tab, request.files
        tab.steps.clear()
        tab.stepper = None
        title = f"Load {files[0].name}" + (f" and {len(files) - 1} more" if len(files) > 1 else "")
        entry = tab.view.ctx.activity.start(
            f"{title} → {request.db}.{request.table} exactly once ({request.settings.label})", kind="load"
        )
        run = service.load_all(
            request,
            on_file=lambda i, f, label: self._file(i, len(files), f, label),
            on_progress=lambda t: self._progress(entry, t),
            on_answer=self._file_answer,
        )
        tab.run_step(self._run(run, entry), "loading exactly once")

        def stop() -> None:
            # Not a task cancel: the loader stops at its next safe point, never after commit is sent.
            self._stop(run, entry)

        entry.cancel = stop
        tab.set_cancel(stop)

    def _stop(self, run: AllAtOnce, entry: ActivityEntry) -> None:
        stopping = run.stop()
        entry.update(None, stopping.answer.headline)
        self.tab.steps.cancel_button.setEnabled(False)
        self.tab.steps.show_answer(stopping.answer)
        if stopping.too_late:
            entry.cancel = None  # nothing left to stop: the entry ends with the cluster's answer
            entry.update(None, "commit already sent; waiting for the cluster's answer")

    # -- what the run reports -------------------------------------------------------------------------
    def _file(self, i: int, count: int, f: Path, label: str) -> None:
        self.tab.steps.next_label.setText(f"File {i + 1} of {count}: <b>{f.name}</b> as <code>{label}</code>")

    def _progress(self, entry: ActivityEntry, t: Transfer) -> None:
        self.tab.steps.set_progress(t.fraction)
        self.tab.steps.stats.setText(
            f"{human_bytes(t.done)} of {human_bytes(t.total)} sent · {human_bytes(t.rate)}/s"
        )
        entry.update(t.fraction, f"{human_bytes(t.done)} of {human_bytes(t.total)}, {human_bytes(t.rate)}/s")

    def _file_answer(self, answer: Answer) -> None:
        self.tab.steps.show_answer(answer)
        self.tab.view.reload_history()

    async def _run(self, run: AllAtOnce, entry: ActivityEntry) -> None:
        req = run.request
        self.tab.steps.state_label.setText(
            f"<b>Loading exactly once</b> into <b>{req.db}.{req.table}</b>: begin, every chunk, prepare and "
            "commit for each file; a failure in between is retried under the same label."
        )
        try:
            result = await run.run()
        except Exception as e:
            # Not the load's own end (that is a result): the session could not give a client, a
            # file could not be read… The entry ends with it; the error shows as any other.
            entry.fail(str(getattr(e, "message", "") or e))
            raise
        finally:
            self.tab.view.reload_history()
        if result.state == "loaded":
            self._loaded(req, result, entry)
        elif result.state == "stopped":
            entry.cancelled(result.summary)
            self.tab.steps.show_answer(result.answer)
            self.tab.view.review_unfinished(select=result.label)
        else:
            entry.fail(result.answer.headline, raw=result.answer.raw)
            self.tab.answer(result.answer)

    def _loaded(self, req: AllAtOnceRequest, result: AllAtOnceResult, entry: ActivityEntry) -> None:
        tab = self.tab
        tab.steps.set_progress(1.0)
        tab.steps.stats.setText(
            f"{human_bytes(result.bytes)} in {result.seconds:.1f} s · {result.rows:,} rows loaded, "
            f"{result.filtered:,} filtered"
        )
        entry.succeed(result.summary, raw=result.answer.raw)
        tab.view.ctx.notify(
            f"Loaded {plural(result.files, 'file')} into {req.db}.{req.table}: {result.rows:,} rows."
        )
        tab.new_label()
