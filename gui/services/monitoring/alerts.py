"""Alert rules, as data, evaluated by the console on every reading.

They are StarRocks' documented alert rules ("Manage Alerts" in its documentation), corrected where
they do not do what they say:

- *BE down*: the documented ``node_info{type="be_node_num", state="dead"} > 1`` never fires — the FE
  writes ``state`` total, alive and decommissioned for BEs, no ``dead`` (PrometheusMetricVisitor) —
  and would have waited for two dead BEs. Here every BE SHOW BACKENDS lists as not alive is down
  (dead = total − alive when only the counts can be read).
- *FE down*: the documented ``count(up{group="fe"}) >= 3`` fires while three FEs are up, the
  comparison the wrong way round. Here every FE SHOW FRONTENDS lists as not alive is down.
- *Loading failure*: documented as "failed loading transactions exceed 5 % of the total", its
  ``rate(starrocks_fe_txn_failed[5m]) * 100 > 5`` counts failures per second instead. Here it is the
  share of aborted transactions among those that ended in the last five minutes.
- *Memory*: documented on node_exporter's host memory; here the BE's own MemUsedPct (its process
  memory of its limit, as SHOW BACKENDS gives it), which is what queries and loads run out of.

Each rule has a warning and a critical threshold (None: that level is off), editable per profile
(``settings.py``). An alert is one rule on one subject (a node, a disk, a database, the cluster):
it starts when first seen, changes severity and wording as the figures move, and ends when a
reading shows it clear; a reading that could not tell (the cluster unreachable, a BE's metrics not
read) leaves it as it was.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from . import names as n
from .rates import Rates
from .sample import ClusterSample, FeNode

Severity = Literal["warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("warning", "critical")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    warning: float | None
    critical: float | None
    unit: str  # what the thresholds count, for people ("%", "ms", "failed queries per second", …)
    at_least: bool = False  # fires at the threshold (counts), rather than above it (measures)
    editable: bool = True
    documented: str = ""  # StarRocks' documented rule, for the README and the settings' tooltips


RULES: tuple[Rule, ...] = (
    Rule("unreachable", "Cluster cannot be read", None, None, "", editable=False,
         documented="(not in StarRocks' rules: a cluster the console cannot read is an alert of its own)"),
    Rule("fe_down", "FE down", None, 1, "FEs down", at_least=True,
         documented='count(up{group="fe"}) >= 3 — inverted; here: FEs SHOW FRONTENDS lists as not alive'),
    Rule("be_down", "BE down", None, 1, "BEs down", at_least=True,
         documented='node_info{type="be_node_num",state="dead"} > 1 — the FE emits no "dead"; here: '
         "BEs SHOW BACKENDS lists as not alive (total − alive)"),
    Rule("disk_used", "Disk used", 80, 90, "%",
         documented="(total − available) / total of starrocks_be_disks_*_capacity per path > 90"),
    Rule("be_cpu", "BE CPU", 90, None, "%",
         documented='1 − rate(starrocks_be_cpu{mode="idle"}) / rate(starrocks_be_cpu) > 90 %'),
    Rule("be_memory", "BE memory", 90, None, "% of its limit",
         documented="host memory (node_exporter) > 90 %; here the BE's MemUsedPct"),
    Rule("fe_heap", "FE JVM heap", 80, 90, "%",
         documented='jvm_heap_size_bytes{type="used"} / {type="max"} > 90 %'),
    Rule("compaction_score", "Compaction score", 100, None, "",
         documented="starrocks_fe_max_tablet_compaction_score > 100"),
    Rule("query_errors", "Failed queries", 0.1, None, "failed queries per second",
         documented="starrocks_fe_query_err_rate * 100 > 10 (0.1 per second), over the last minute"),
    Rule("query_latency", "Query latency p95", 5000, None, "ms",
         documented='starrocks_fe_query_latency_ms{quantile="0.95"} > 5000'),
    Rule("txn_failures", "Aborted transactions", 5, None, "% of those that ended in 5 min",
         documented="rate(starrocks_fe_txn_failed[5m]) * 100 > 5 — counts failures per second, not "
         "the 5 % of transactions it describes; here the share"),
    Rule("running_txns", "Running transactions per database", 900, 1000, "running transactions",
         at_least=True,
         documented="sum(starrocks_fe_txn_running) by (db) > 900, of max_running_txn_num_per_db "
         "(1000 by default; 100 before 3.1)"),
)  # fmt: skip
RULES_BY_ID = {r.id: r for r in RULES}


@dataclass(frozen=True)
class Limit:
    """A rule's thresholds for one profile."""

    enabled: bool
    warning: float | None
    critical: float | None
    at_least: bool = False

    def level(self, value: float) -> Severity | None:
        def reached(threshold: float | None) -> bool:
            if threshold is None:
                return False
            return value >= threshold if self.at_least else value > threshold

        if reached(self.critical):
            return "critical"
        if reached(self.warning):
            return "warning"
        return None

    def said(self, level: Severity, unit: str = "") -> str:
        """``critical above 90 %`` / ``warning from 900 running transactions``."""
        threshold = self.critical if level == "critical" else self.warning
        assert threshold is not None
        word = "from" if self.at_least else "above"
        return f"{level} {word} {num(threshold)}" + (f" {unit}" if unit else "")


def default_limits() -> dict[str, Limit]:
    return {r.id: Limit(True, r.warning, r.critical, r.at_least) for r in RULES}


def num(value: float) -> str:
    """A figure for people: ``90``, ``0.1``, ``1,000``, ``93.5``."""
    if abs(value - round(value)) < 1e-9:
        return f"{int(round(value)):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"


@dataclass(frozen=True)
class Finding:
    rule: str
    subject: str  # "cluster", "be:<id>", "be:<id>:<path>", "fe:<name>", "db:<name>"
    severity: Severity | None  # None: evaluated and clear
    reason: str = ""
    value: float | None = None


@dataclass
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    complete: bool = True  # every subject the rule covers could be evaluated


@dataclass
class Alert:
    rule: str
    subject: str
    severity: Severity
    reason: str
    started_at: float
    updated_at: float
    ended_at: float | None = None
    value: float | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.rule, self.subject

    @property
    def title(self) -> str:
        rule = RULES_BY_ID.get(self.rule)
        return rule.title if rule else self.rule

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: Any) -> Alert:
        if not isinstance(doc, dict):
            raise ValueError("an alert must be an object")
        try:
            alert = cls(
                rule=str(doc["rule"]),
                subject=str(doc["subject"]),
                severity=doc["severity"],
                reason=str(doc["reason"]),
                started_at=float(doc["started_at"]),
                updated_at=float(doc["updated_at"]),
                ended_at=None if doc.get("ended_at") is None else float(doc["ended_at"]),
                value=None if doc.get("value") is None else float(doc["value"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"an alert with a missing or wrong field ({e})") from None
        if alert.severity not in SEVERITIES:
            raise ValueError(f"an alert with the severity {alert.severity!r}")
        return alert


def clock_time(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t))


# -- the rules' checks --------------------------------------------------------------------------------


@dataclass
class Reading:
    """What a rule looks at: the reading, its figures and the recent counter increases."""

    sample: ClusterSample
    figures: Mapping[str, float]
    rates: Rates


Check = Callable[[Reading, Limit, Rule], Evaluation]


def _down(kind: str) -> Check:
    def check(r: Reading, limit: Limit, rule: Rule) -> Evaluation:
        s = r.sample
        nodes = s.backends if kind == "BE" else s.frontends
        if nodes is None:
            alive, total = s.backend_counts() if kind == "BE" else s.frontend_counts()
            if alive is None or total is None:
                return Evaluation(complete=False)
            down = total - alive
            level = limit.level(down) if down > 0 else None
            source = "SHOW BACKENDS" if kind == "BE" else "SHOW FRONTENDS"
            reason = f"{down} of {total} {kind}s down (the FE's count; {source} could not be read)"
            # Per-node alerts raised while the list could be read are left as they are.
            count = Finding(rule.id, f"{kind.lower()}s", level, reason if level else "", down)
            return Evaluation([count], complete=False)
        dead = [x for x in nodes if not x.alive]
        level = limit.level(len(dead)) if dead else None
        findings: list[Finding] = []
        for x in nodes:
            subject = f"{kind.lower()}:{x.key}"
            if x.alive:
                findings.append(Finding(rule.id, subject, None))
                continue
            role = f" ({x.role})" if isinstance(x, FeNode) and x.role else ""
            since = (
                f"down since {x.last_heartbeat}" if x.last_heartbeat else "down (no heartbeat answered yet)"
            )
            why = f": {x.error}" if x.error else ""
            findings.append(Finding(rule.id, subject, level, f"{kind} {x.address}{role} {since}{why}", 1))
        findings.append(Finding(rule.id, f"{kind.lower()}s", None))  # the count-only form, when lists return
        return Evaluation(findings)

    return check


def _disk(r: Reading, limit: Limit, rule: Rule) -> Evaluation:
    if r.sample.backends is None:
        return Evaluation(complete=False)
    out = Evaluation()
    for be in r.sample.backends:
        if be.disks:
            for d in be.disks:
                pct = d.used_pct
                if pct is None:
                    out.complete = False
                    continue
                level = limit.level(pct)
                reason = (
                    f"disk {d.path} on {be.host} at {num(round(pct))} % ({limit.said(level, '%')})"
                    if level
                    else ""
                )
                out.findings.append(Finding(rule.id, f"be:{be.key}:{d.path}", level, reason, pct))
            out.findings.append(Finding(rule.id, f"be:{be.key}", None))
        elif be.disk_pct is not None:
            pct = be.disk_pct
            level = limit.level(pct)
            reason = (
                f"fullest disk of BE {be.address} at {num(round(pct))} % ({limit.said(level, '%')})"
                if level
                else ""
            )
            out.findings.append(Finding(rule.id, f"be:{be.key}", level, reason, pct))
        else:
            out.complete = False
    return out


def _per_backend(attr: str, words: str, unit_said: str) -> Check:
    def check(r: Reading, limit: Limit, rule: Rule) -> Evaluation:
        if r.sample.backends is None:
            return Evaluation(complete=False)
        out = Evaluation()
        for be in r.sample.backends:
            value = getattr(be, attr) if be.alive else None
            if value is None:
                out.complete = out.complete and not be.alive
                continue
            level = limit.level(value)
            reason = (
                f"{words} of BE {be.address} at {num(round(value))} %{unit_said} ({limit.said(level, '%')})"
                if level
                else ""
            )
            out.findings.append(Finding(rule.id, f"be:{be.key}", level, reason, value))
        return out

    return check


def _heap(r: Reading, limit: Limit, rule: Rule) -> Evaluation:
    if r.sample.frontends is None:
        return Evaluation(complete=False)
    out = Evaluation()
    for fe in r.sample.frontends:
        pct = fe.heap_pct if fe.alive else None
        if pct is None:
            out.complete = out.complete and not fe.alive
            continue
        level = limit.level(pct)
        reason = (
            f"JVM heap of FE {fe.address} at {num(round(pct))} % ({limit.said(level, '%')})" if level else ""
        )
        out.findings.append(Finding(rule.id, f"fe:{fe.key}", level, reason, pct))
    return out


def _compaction(r: Reading, limit: Limit, rule: Rule) -> Evaluation:
    out = Evaluation()
    per_be = [b for b in r.sample.backends or [] if b.compaction_score is not None]
    for be in per_be:
        level = limit.level(be.compaction_score or 0)
        reason = (
            f"compaction score {num(be.compaction_score or 0)} on BE {be.address} ({limit.said(level)})"
            if level
            else ""
        )
        out.findings.append(Finding(rule.id, f"be:{be.key}", level, reason, be.compaction_score))
    if not per_be:
        score = r.sample.gauges.get("compaction_score")
        if score is None:
            return Evaluation(complete=False)
        level = limit.level(score)
        reason = f"highest compaction score {num(score)} ({limit.said(level)})" if level else ""
        out.findings.append(Finding(rule.id, "cluster", level, reason, score))
    return out


def _query_errors(r: Reading, limit: Limit, rule: Rule) -> Evaluation:
    window = r.rates.increase(n.FE_QUERY_ERR, 60.0, r.sample.taken_at)
    if window is not None:
        per_s = window[0] / window[1]
        over = f"over the last {num(round(window[1]))} s"
    elif "query_err_per_s" in r.figures:
        per_s = r.figures["query_err_per_s"]
        over = "(the FE's own figure, over 15 s)"
    else:
        return Evaluation(complete=False)
    level = limit.level(per_s)
    reason = (
        f"{num(per_s)} failed queries per second {over} ({limit.said(level, 'per second')})" if level else ""
    )
    return Evaluation([Finding(rule.id, "cluster", level, reason, per_s)])


def _latency(r: Reading, limit: Limit, rule: Rule) -> Evaluation:
    p95 = r.figures.get("query_p95_ms")
    if p95 is None:
        return Evaluation(complete=False)
    level = limit.level(p95)
    reason = ""
    if level:
        threshold = limit.critical if level == "critical" else limit.warning
        assert threshold is not None
        reason = f"p95 query latency {num(p95 / 1000)} s ({level} above {num(threshold / 1000)} s)"
    return Evaluation([Finding(rule.id, "cluster", level, reason, p95)])


def _txn_failures(r: Reading, limit: Limit, rule: Rule) -> Evaluation:
    failed = r.rates.increase(n.FE_TXN_FAILED, 300.0, r.sample.taken_at)
    done = r.rates.increase(n.FE_TXN_SUCCESS, 300.0, r.sample.taken_at)
    if failed is None and done is None:
        return Evaluation(complete=False)
    aborted = failed[0] if failed else 0.0
    ended = aborted + (done[0] if done else 0.0)
    if ended <= 0:
        return Evaluation([Finding(rule.id, "cluster", None, "", 0.0)])
    pct = aborted * 100.0 / ended
    level = limit.level(pct)
    covered = max(w[1] for w in (failed, done) if w is not None)
    minutes = f"{num(round(covered / 60, 1))} min" if covered >= 60 else f"{num(round(covered))} s"
    reason = (
        f"{num(round(pct))} % of the transactions that ended in the last {minutes} were aborted "
        f"({num(aborted)} of {num(ended)}; {limit.said(level, '%')})"
        if level
        else ""
    )
    return Evaluation([Finding(rule.id, "cluster", level, reason, pct)])


def _running_txns(r: Reading, limit: Limit, rule: Rule) -> Evaluation:
    running = r.sample.running_txns
    if running is None:
        return Evaluation(complete=False)
    out = Evaluation()
    for db, count in sorted(running.items()):
        level = limit.level(count)
        reason = (
            f"database {db} holds {num(count)} running transactions ({limit.said(level, 'running')}); "
            "StarRocks refuses new loads into it at max_running_txn_num_per_db (1000 by default)"
            if level
            else ""
        )
        out.findings.append(Finding(rule.id, f"db:{db}", level, reason, count))
    return out


CHECKS: dict[str, Check] = {
    "fe_down": _down("FE"),
    "be_down": _down("BE"),
    "disk_used": _disk,
    "be_cpu": _per_backend("cpu_pct", "CPU", ""),
    "be_memory": _per_backend("mem_pct", "memory", " of its limit"),
    "fe_heap": _heap,
    "compaction_score": _compaction,
    "query_errors": _query_errors,
    "query_latency": _latency,
    "txn_failures": _txn_failures,
    "running_txns": _running_txns,
}


def evaluate(reading: Reading, limits: Mapping[str, Limit]) -> dict[str, Evaluation]:
    """Every enabled rule on one reading. An unreachable cluster is only that: the other rules
    cannot tell anything, so they are not evaluated."""
    s = reading.sample
    if not s.reachable:
        return {"unreachable": Evaluation([Finding("unreachable", "cluster", "critical", s.error)])}
    out = {"unreachable": Evaluation([Finding("unreachable", "cluster", None)])}
    for rule in RULES:
        check = CHECKS.get(rule.id)
        limit = limits.get(rule.id) or Limit(True, rule.warning, rule.critical, rule.at_least)
        if check is None:
            continue
        if not limit.enabled:
            out[rule.id] = Evaluation()  # off: whatever it had raised ends
            continue
        out[rule.id] = check(reading, limit, rule)
    return out


class AlertBook:
    """The alerts of one cluster: the active ones, and the last ``keep`` that ended."""

    def __init__(self, keep: int = 200) -> None:
        self.active: dict[tuple[str, str], Alert] = {}
        self.ended: deque[Alert] = deque(maxlen=keep)

    def apply(self, now: float, evaluations: Mapping[str, Evaluation]) -> list[Alert]:
        """Start, update and end alerts from one reading's evaluations; returns those that started
        or ended."""
        changed: list[Alert] = []
        for rule_id, ev in evaluations.items():
            seen: set[tuple[str, str]] = set()
            for f in ev.findings:
                key = (f.rule, f.subject)
                seen.add(key)
                alert = self.active.get(key)
                if f.severity is None:
                    if alert is not None:
                        changed.append(self._end(alert, now))
                    continue
                reason = f.reason
                if rule_id == "unreachable":
                    since = alert.started_at if alert else now
                    reason = f"{f.reason.rstrip('.')} (since {clock_time(since)})"
                if alert is None:
                    alert = Alert(f.rule, f.subject, f.severity, reason, now, now, value=f.value)
                    self.active[key] = alert
                    changed.append(alert)
                else:
                    alert.severity, alert.reason, alert.updated_at, alert.value = (
                        f.severity,
                        reason,
                        now,
                        f.value,
                    )
            if ev.complete:
                for key in [k for k in self.active if k[0] == rule_id and k not in seen]:
                    changed.append(self._end(self.active[key], now))
        return changed

    def _end(self, alert: Alert, now: float) -> Alert:
        del self.active[alert.key]
        alert.ended_at = now
        self.ended.append(alert)
        return alert

    def current(self) -> list[Alert]:
        """Active alerts, critical first, then oldest first."""
        return sorted(self.active.values(), key=lambda a: (a.severity != "critical", a.started_at, a.subject))

    def worst(self) -> Severity | None:
        levels = {a.severity for a in self.active.values()}
        return "critical" if "critical" in levels else ("warning" if levels else None)

    def to_json(self) -> dict[str, Any]:
        return {
            "active": [a.to_json() for a in self.active.values()],
            "ended": [a.to_json() for a in self.ended],
        }

    def load(self, doc: Any) -> None:
        """Alerts kept by an earlier run (ValueError for a damaged record)."""
        if not isinstance(doc, dict):
            raise ValueError("the alerts must be an object")
        active = [Alert.from_json(a) for a in _list(doc.get("active"))]
        ended = [Alert.from_json(a) for a in _list(doc.get("ended"))]
        self.active = {a.key: a for a in active}
        self.ended.clear()
        self.ended.extend(ended)


def _list(value: Any) -> Iterable[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("alerts must be a list")
    return value
