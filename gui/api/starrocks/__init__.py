"""StarRocks cluster client: Stream Load transactions, plain Stream Load, SQL API, monitoring."""

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

__all__ = [
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
