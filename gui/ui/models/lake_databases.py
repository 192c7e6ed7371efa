"""The model of the AI Lake databases view (no I/O): database instances as a table, keyed by name."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

from ...services.lake_databases import LakeDatabaseRow
from ..widgets.badge import status_color
from .table import Column, RecordTableModel


def _lake_badge(row: LakeDatabaseRow) -> QColor | None:
    word = {"provisioning": "creating", "deprovisioning": "deleting"}.get(row.state, row.state)
    return status_color(word)


class LakeDatabaseModel(RecordTableModel[LakeDatabaseRow]):
    """AI Lake database instances, keyed by name (a database being provisioned has no id yet)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column[LakeDatabaseRow](
                    "Name", lambda r: r.name, tooltip=lambda r: r.id or "not created yet"
                ),
                Column[LakeDatabaseRow]("State", lambda r: r.state, badge=_lake_badge),
                Column[LakeDatabaseRow](
                    "Object storages",
                    lambda r: ", ".join(r.storages),
                    tooltip=lambda r: ", ".join(r.storages),
                ),
                Column[LakeDatabaseRow]("Data sources", lambda r: ", ".join(r.data_sources)),
                Column[LakeDatabaseRow]("ID", lambda r: r.id),
            ],
            key=lambda r: r.name,
            parent=parent,
        )
