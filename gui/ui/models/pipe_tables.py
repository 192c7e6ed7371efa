"""Table models of the Pipe tables view: the list (which pages in lazily through Qt's
``canFetchMore``/``fetchMore``) and the columns of the selected table. No I/O here: ``fetchMore``
only asks for a page (``fetch_more_requested``); the view fetches it and hands it back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Signal

from ...api.ailake.models import PipeTable, PipeTableSummary
from .table import Column, RecordTableModel

Index = QModelIndex | QPersistentModelIndex


def _column_names(t: PipeTableSummary, limit: int = 6) -> str:
    names = [c.name for c in t.columns]
    shown = ", ".join(names[:limit])
    return shown + (f", … (+{len(names) - limit})" if len(names) > limit else "")


class PipeTablesModel(RecordTableModel[PipeTableSummary]):
    """Pipe tables keyed by name. ``more`` says whether the service has pages not read yet."""

    fetch_more_requested = Signal()

    def __init__(self, parent: Any = None) -> None:
        columns = [
            Column[PipeTableSummary]("Name", lambda t: t.table_name),
            Column[PipeTableSummary]("Path prefix", lambda t: t.path_prefix),
            Column[PipeTableSummary](
                "Columns", lambda t: len(t.columns), sort=lambda t: len(t.columns), align_right=True
            ),
            Column[PipeTableSummary](
                "Column names",
                _column_names,
                tooltip=lambda t: "\n".join(f"{c.name}  {c.type}" for c in t.columns),
            ),
        ]
        super().__init__(columns, key=lambda t: t.table_name, parent=parent)
        self.more = False
        self.fetching = False

    # -- Qt's lazy population -----------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 (Qt's default argument)
        return not parent.isValid() and self.more and not self.fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self.fetching = True
        self.fetch_more_requested.emit()

    # -- feeding ------------------------------------------------------------------------------------
    def reset(self, rows: Iterable[PipeTableSummary], more: bool) -> None:
        """A fresh first page (or nothing, ``more=False``, while no instance is chosen)."""
        self.fetching = False
        self.more = more
        self.set_rows(rows)

    def add_page(self, rows: Iterable[PipeTableSummary], more: bool) -> None:
        fresh = [r for r in rows if self.row_of(r.table_name) is None]
        self.fetching = False
        self.more = more
        self.append(fresh)

    def fetch_stopped(self) -> None:
        """The page did not come (an error, or the fetch was replaced): no further automatic
        fetching until the next refresh, or the view would ask again and again."""
        self.fetching = False
        self.more = False


@dataclass(frozen=True)
class ColumnRow:
    name: str
    type: str
    role: str


def column_rows(table: PipeTable) -> list[ColumnRow]:
    """The table's columns with what each one is for (key, Hive partition, partitioning,
    distribution)."""
    key = _cols(table.key_config) or [c.name for c in table.columns[:1]]
    dist = table.distribution_config
    dist_cols = _cols(dist) if _type(dist) == "hash" else []
    if _type(dist) == "hash" and not dist_cols:
        dist_cols = [c.name for c in table.columns[:1]]
    part = table.partition_config
    part_cols = _cols(part) or ([str(_get(part, "column"))] if _get(part, "column") else [])
    rows = []
    for c in table.columns:
        roles = []
        if c.name in key:
            roles.append("key")
        if c.name in table.partition_columns:
            roles.append("Hive partition")
        if c.name in part_cols:
            roles.append("partitioned by")
        if c.name in dist_cols:
            roles.append("distributed by")
        rows.append(ColumnRow(c.name, c.type, ", ".join(roles)))
    return rows


def _get(cfg: Any, name: str) -> Any:
    if cfg is None:
        return None
    if isinstance(cfg, dict):
        return cfg.get(name)
    return getattr(cfg, name, None)


def _type(cfg: Any) -> str | None:
    value = _get(cfg, "type")
    return str(value) if value is not None else None


def _cols(cfg: Any) -> list[str]:
    value = _get(cfg, "columns")
    return [str(v) for v in value] if isinstance(value, list) else []


class ColumnsModel(RecordTableModel[ColumnRow]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column[ColumnRow]("Column", lambda r: r.name),
                Column[ColumnRow]("Type", lambda r: r.type),
                Column[ColumnRow]("Role", lambda r: r.role),
            ],
            key=lambda r: r.name,
            parent=parent,
        )
