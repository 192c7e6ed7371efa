"""StarRocks cluster clients: Stream Load transactions, plain Stream Load, SQL API, monitoring over
HTTP; statements over the FE's query port (MySQL protocol)."""

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
from .query import (
    DEFAULT_QUERY_PORT,
    Batch,
    Column,
    Result,
    ServerReply,
    StarRocksSql,
    Stream,
    mysql_error,
    reply_of,
)

__all__ = [
    "DEFAULT_QUERY_PORT",
    "Batch",
    "Column",
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
