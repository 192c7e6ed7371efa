"""Alerts as the dashboards show them: a strip of the active ones (worst first, each with its reason
and since when) and a history table of the active and the ended."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ...services.monitoring import Alert
from ..models.table import Column, RecordTableModel
from ..notifications import when
from ..style import banner_css, span
from .badge import status_color

SEVERITY_TONES = {"critical": "error", "warning": "warning"}


class AlertStrip(QLabel):
    """The active alerts in a tinted strip (hidden when there are none); at most ``shown`` lines, the
    rest counted."""

    def __init__(self, parent: QWidget | None = None, shown: int = 3) -> None:
        super().__init__(parent)
        self.setObjectName("alertStrip")
        self.shown = shown
        self.alerts: list[Alert] = []
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)
        self.hide()

    def set_alerts(self, alerts: list[Alert], stale: bool = False) -> None:
        self.alerts = list(alerts)
        if not alerts:
            self.setText("")
            self.hide()
            return
        worst = "critical" if any(a.severity == "critical" for a in alerts) else "warning"
        self.setStyleSheet(banner_css("QLabel#alertStrip", SEVERITY_TONES[worst], self.palette()))  # type: ignore[arg-type]
        lines = []
        for a in alerts[: self.shown]:
            # An unreachable cluster's reason says since when already (health's table and the
            # notifications show the reason alone): said once.
            since = "" if "(since " in a.reason else " " + span(f"(since {when(a.started_at)})", "muted")
            lines.append(
                span(f"{a.severity.upper()}", SEVERITY_TONES[a.severity], bold=True)  # type: ignore[arg-type]
                + f" {html.escape(a.title)}: {html.escape(a.reason)}"
                + since
            )
        more = len(alerts) - self.shown
        if more > 0:
            lines.append(span(f"… and {more} more (see Alerts)", "muted"))
        if stale:
            lines.append(span("As of the last reading: the cluster cannot be read now.", "muted"))
        self.setText("<br>".join(lines))
        self.setToolTip("\n".join(f"{a.severity}: {a.title}: {a.reason}" for a in alerts))
        self.show()

    def palette_changed(self) -> None:
        self.set_alerts(self.alerts)


class AlertsModel(RecordTableModel[Alert]):
    """Active alerts and those that ended, newest first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column[Alert](
                    "Severity",
                    lambda a: a.severity if a.ended_at is None else f"{a.severity}, ended",
                    badge=lambda a: status_color("error" if a.ended_at is None and a.severity == "critical"
                                                 else "busy" if a.ended_at is None else "unknown"),
                ),
                Column[Alert]("Alert", lambda a: a.title),
                Column[Alert]("Reason", lambda a: a.reason),
                Column[Alert]("Since", lambda a: when(a.started_at), sort=lambda a: a.started_at),
                Column[Alert]("Ended", lambda a: when(a.ended_at) if a.ended_at else "",
                              sort=lambda a: a.ended_at or 0),
            ],
            key=lambda a: (a.rule, a.subject, a.started_at),
            parent=parent,
        )  # fmt: skip

    def set_alerts(self, active: list[Alert], ended: list[Alert]) -> None:
        rows = sorted(
            [*active, *ended], key=lambda a: (a.ended_at is not None, -(a.ended_at or a.started_at))
        )
        self.set_rows(rows)
