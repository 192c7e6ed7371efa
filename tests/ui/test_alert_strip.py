"""The alert strip says each alert's start once: after the reason, or in it when the reason says it
(an unreachable cluster's)."""

from __future__ import annotations

from typing import Any

from gui.services.monitoring import Alert
from gui.ui.widgets.alerts import AlertStrip


def test_each_alert_says_since_when_once(qtbot: Any) -> None:
    strip = AlertStrip()
    qtbot.addWidget(strip)
    unreachable = Alert(
        "unreachable", "", "critical", "cannot reach http://fe:8030/api/health (since 19:14:24)", 100.0, 100.0
    )
    disk = Alert("disk_used", "be 10001", "warning", "disk 91 % used", 100.0, 100.0)
    strip.set_alerts([unreachable, disk])
    first, second = strip.text().split("<br>")[:2]
    assert first.count("(since ") == 1 and "(since 19:14:24)" in first
    assert second.count("(since ") == 1
