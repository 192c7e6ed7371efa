"""StarRocks cluster clients: Stream Load transactions, plain Stream Load, SQL API, monitoring over
HTTP; statements over the FE's query port (MySQL protocol)."""

from typing import TYPE_CHECKING, Any

from .client import (
    BeUnreachable,
    FileBody,
    LabelAlreadyExists,
    LoadRejected,
    SqlResult,
    StarRocksClient,
    StarRocksError,
    TxnAborted,
    TxnBusy,
    TxnHandle,
    TxnNotFound,
    parse_prometheus,
)
from .models import LoadOptions, MetricSample, StreamLoadResult, TxnReply, check_label

if TYPE_CHECKING:
    from .query import (
        DEFAULT_QUERY_PORT,
        Batch,
        Column,
        QueryPortTlsFailed,
        Result,
        ServerReply,
        StarRocksSql,
        Stream,
        mysql_error,
        reply_of,
    )

# The query-port channel (asyncmy, pydantic) is imported when first named: `load` and `health`,
# which use only the HTTP client, start without it.
_QUERY_NAMES = frozenset(
    {
        "DEFAULT_QUERY_PORT",
        "Batch",
        "Column",
        "QueryPortTlsFailed",
        "Result",
        "ServerReply",
        "StarRocksSql",
        "Stream",
        "mysql_error",
        "reply_of",
    }
)


def __getattr__(name: str) -> Any:
    if name in _QUERY_NAMES:
        from . import query

        return getattr(query, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_QUERY_PORT",
    "Batch",
    "Column",
    "QueryPortTlsFailed",
    "Result",
    "ServerReply",
    "StarRocksSql",
    "Stream",
    "mysql_error",
    "reply_of",
    "BeUnreachable",
    "FileBody",
    "LabelAlreadyExists",
    "LoadOptions",
    "LoadRejected",
    "MetricSample",
    "SqlResult",
    "StarRocksClient",
    "StarRocksError",
    "StreamLoadResult",
    "TxnAborted",
    "TxnBusy",
    "TxnHandle",
    "TxnNotFound",
    "TxnReply",
    "check_label",
    "parse_prometheus",
]
