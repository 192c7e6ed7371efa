"""Counters and gauges the sandbox exposes in Prometheus text on ``/metrics``."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Metrics:
    """A tiny registry: counters that services bump, gauges read when /metrics is rendered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._help: dict[str, tuple[str, str]] = {}
        self._gauges: dict[str, Callable[[], float]] = {}

    def describe(self, name: str, kind: str, help_text: str) -> None:
        self._help[name] = (kind, help_text)

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._counters[key] = self._counters.get(key, 0.0) + value

    def gauge(self, name: str, read: Callable[[], float], help_text: str = "") -> None:
        self._gauges[name] = read
        self._help.setdefault(name, ("gauge", help_text))

    def snapshot(self) -> tuple[dict[tuple[str, tuple[tuple[str, str], ...]], float], dict[str, float]]:
        """Counters (by name and labels) and the current value of every gauge that can be read."""
        with self._lock:
            counters = dict(self._counters)
        gauges: dict[str, float] = {}
        for name, read in list(self._gauges.items()):
            try:
                gauges[name] = float(read())
            except Exception:  # a gauge that cannot be read is left out, as a failing FE gauge would be
                continue
        return counters, gauges

    def help_of(self, name: str, kind: str = "counter") -> tuple[str, str]:
        """(kind, help text) registered for a metric."""
        return self._help.get(name, (kind, ""))

    def value(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._counters.get((name, tuple(sorted(labels.items()))), 0.0)

    def reset(self, prefix: str) -> None:
        """Forget the counters whose name starts with ``prefix`` (a node that restarted)."""
        with self._lock:
            for key in [k for k in self._counters if k[0].startswith(prefix)]:
                del self._counters[key]

    def render(self) -> str:
        """Prometheus text exposition format 0.0.4."""
        with self._lock:
            counters = dict(self._counters)
        by_name: dict[str, list[tuple[tuple[tuple[str, str], ...], float]]] = {}
        for (name, labels), v in counters.items():
            by_name.setdefault(name, []).append((labels, v))
        for name, read in self._gauges.items():
            by_name.setdefault(name, []).append(((), float(read())))
        lines: list[str] = []
        for name in sorted(by_name):
            kind, help_text = self._help.get(name, ("counter", ""))
            if help_text:
                lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")
            for labels, v in sorted(by_name[name]):
                lbl = ""
                if labels:
                    lbl = "{" + ", ".join(f'{k}="{_escape(val)}"' for k, val in labels) + "}"
                num = int(v) if float(v).is_integer() else v
                lines.append(f"{name}{lbl} {num}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
