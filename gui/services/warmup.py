"""One-time costs paid on a worker thread at start, not on the window's loop at first use: the
request/answer models that build their validators lazily."""

from __future__ import annotations


def warm_models() -> None:
    from ..api.starrocks import models as sr

    for model in (sr.TxnReply, sr.StreamLoadResult, sr.LoadOptions, sr.MetricSample, sr.Column, sr.Backend):
        model.model_rebuild()
    sr.TxnReply.model_validate({"Status": "OK"})
    sr.LoadOptions()
