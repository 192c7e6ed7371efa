"""Operator monitoring of StarRocks clusters, without Qt: a collector per cluster profile, rates
from counters, tiered history kept in the data folder, StarRocks' alert rules (corrected) with
thresholds per profile, and the health report ``starrocks-console health`` prints.

The window's dashboards take everything from here: ``Monitoring`` (every open profile, in the
background), ``ClusterState`` (a reading, its figures and alerts), ``History.series()`` (a chart's
points) and ``AlertSettings`` (thresholds per profile).
"""

from .alerts import RULES, RULES_BY_ID, Alert, AlertBook, Limit, Rule, default_limits, evaluate
from .collector import Collector
from .history import TIERS, History, HistoryStore, Tier
from .monitor import EXIT_CODES, ClusterMonitor, ClusterState, Monitoring, describe
from .rates import Rates, Step, figures
from .sample import BeNode, ClusterSample, DiskPath, FeNode
from .settings import AlertSettings

__all__ = [
    "EXIT_CODES",
    "RULES",
    "RULES_BY_ID",
    "TIERS",
    "Alert",
    "AlertBook",
    "AlertSettings",
    "BeNode",
    "ClusterMonitor",
    "ClusterSample",
    "ClusterState",
    "Collector",
    "DiskPath",
    "FeNode",
    "History",
    "HistoryStore",
    "Limit",
    "Monitoring",
    "Rates",
    "Rule",
    "Step",
    "Tier",
    "default_limits",
    "describe",
    "evaluate",
    "figures",
]
