"""One-time costs paid on a worker thread at start, not on the window's loop at first use: the
request/answer models that build their validators lazily, the shared TLS trust store, the keyring
backend's discovery."""

from __future__ import annotations


def warm_models() -> None:
    # httpx's first request imports anyio's asyncio backend on the spot; with PySide6 loaded every
    # import also runs shiboken's import hook (which reads the module's source), so doing it on the
    # loop's thread in the middle of work stalls the window for tens of milliseconds.
    import encodings.unicode_escape  # noqa: F401  (used by StarRocks separator notation)

    import anyio._backends._asyncio  # noqa: F401
    import anyio.streams.memory  # noqa: F401
    import anyio.streams.stapled  # noqa: F401
    import anyio.streams.tls  # noqa: F401
    import anyio.to_thread  # noqa: F401

    from ..api.starrocks import models as sr

    for model in (sr.TxnReply, sr.StreamLoadResult, sr.LoadOptions, sr.MetricSample, sr.Column, sr.Backend):
        model.model_rebuild()
    sr.TxnReply.model_validate({"Status": "OK"})
    sr.LoadOptions()
    from ..api.transport import tls_context

    tls_context()
    import keyring

    keyring.get_keyring()
