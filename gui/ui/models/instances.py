"""The model of the StarRocks instances view (no I/O): TaurusDB instances with their StarRocks
instances as a two-level tree.

The tree is updated in place where it can (a group reloaded while a job runs keeps the selection
and the expanded rows); only a different set of TaurusDB instances resets it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from ...services.instances import StarRocksRow, TaurusGroup, local_time
from ...services.words import plural
from ..widgets.badge import status_color
from .table import Column

Index = QModelIndex | QPersistentModelIndex
Node = TaurusGroup | StarRocksRow

# internalId of a top-level (TaurusDB) index; a StarRocks index carries its group's row + 1.
_TOP = 0


def _pick(
    taurus: Callable[[TaurusGroup], Any], starrocks: Callable[[StarRocksRow], Any]
) -> Callable[[Node], Any]:
    def get(node: Node) -> Any:
        return taurus(node) if isinstance(node, TaurusGroup) else starrocks(node)

    return get


def _ts(node: Node) -> float:
    when = node.created
    return when.timestamp() if when else 0.0


def _nodes(node: StarRocksRow, which: str) -> str:
    """ "3 × 4 vCPUs, 16 GB": how many nodes of a kind, on which flavor."""
    group = node.fe if which == "fe" else node.be
    if group.count is None:
        return ""
    return f"{group.count} × {group.flavor}" if group.flavor else str(group.count)


def _nodes_sort(node: StarRocksRow, which: str) -> float:
    """By node count, then by vCPUs per node (Qt sorts numbers, not tuples)."""
    group = node.fe if which == "fe" else node.be
    try:
        cpus = float(group.flavor.split()[0]) if group.flavor else 0.0
    except ValueError:
        cpus = 0.0
    return (group.count if group.count is not None else -1) * 1000 + cpus


def _flavor_tip(node: StarRocksRow, which: str) -> str:
    group = node.fe if which == "fe" else node.be
    if group.count is None:
        return "details not read"
    lines = [plural(group.count, f"{which.upper()} node"), group.flavor, group.spec_code]
    if group.volume_type or group.volume_gb:
        lines.append(f"storage {group.volume_type} {group.volume_gb} GB")
    return "\n".join(x for x in lines if x)


def _status_badge(node: Node) -> QColor | None:
    return status_color(node.status)


TREE_COLUMNS: list[Column[Node]] = [
    Column[Node](
        "Name",
        lambda n: n.name,
        tooltip=_pick(lambda t: f"TaurusDB {t.id}\n{t.capacity}", lambda s: f"StarRocks {s.id}"),
    ),
    Column[Node]("Status", lambda n: n.status, badge=_status_badge),
    Column[Node](
        "Engine",
        _pick(
            lambda t: (
                f"TaurusDB {t.taurus.datastore.version or ''}".strip() if t.taurus.datastore else "TaurusDB"
            ),
            lambda s: f"StarRocks {s.engine_version}".strip(),
        ),
    ),
    Column[Node]("HA mode", _pick(lambda t: t.taurus.type or "", lambda s: s.ha_mode)),
    Column[Node](
        "FE nodes",
        _pick(lambda t: "", lambda s: _nodes(s, "fe")),
        sort=_pick(lambda t: -1.0, lambda s: _nodes_sort(s, "fe")),
        tooltip=_pick(lambda t: "", lambda s: _flavor_tip(s, "fe")),
    ),
    Column[Node](
        "BE nodes",
        _pick(lambda t: "", lambda s: _nodes(s, "be")),
        sort=_pick(lambda t: -1.0, lambda s: _nodes_sort(s, "be")),
        tooltip=_pick(lambda t: "", lambda s: _flavor_tip(s, "be")),
    ),
    Column[Node]("AZ", _pick(lambda t: "", lambda s: s.az)),
    Column[Node]("Region", _pick(lambda t: t.taurus.region or "", lambda s: s.region)),
    Column[Node]("Created", lambda n: local_time(n.created), sort=_ts),
]
COL_NAME, COL_STATUS = 0, 1


@dataclasses.dataclass
class _Group:
    group: TaurusGroup
    rows: list[StarRocksRow]


class InstanceTreeModel(QAbstractItemModel):
    """TaurusDB instances (top level) and their StarRocks instances (children)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(TREE_COLUMNS)
        self._groups: list[_Group] = []

    # -- Qt ---------------------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(self.columns) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _TOP) if row < len(self._groups) else QModelIndex()
        if parent.internalId() != _TOP or parent.column() != 0 or parent.row() >= len(self._groups):
            return QModelIndex()
        if row >= len(self._groups[parent.row()].rows):
            return QModelIndex()
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == _TOP:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, _TOP)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._groups)
        if parent.internalId() == _TOP and parent.column() == 0 and parent.row() < len(self._groups):
            return len(self._groups[parent.row()].rows)
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self.node(index)
        if node is None:
            return None
        if role == Qt.ItemDataRole.FontRole and isinstance(node, TaurusGroup) and index.column() == 0:
            font = QFont()
            font.setBold(True)
            return font
        return self.columns[index.column()].data(node, role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.columns):
                return self.columns[section].title
        return None

    # -- reading ----------------------------------------------------------------------------------
    def node(self, index: Index) -> Node | None:
        if not index.isValid():
            return None
        if index.internalId() == _TOP:
            return self._groups[index.row()].group if index.row() < len(self._groups) else None
        g = index.internalId() - 1
        if g >= len(self._groups) or index.row() >= len(self._groups[g].rows):
            return None
        return self._groups[g].rows[index.row()]

    def groups(self) -> list[TaurusGroup]:
        return [g.group for g in self._groups]

    def rows(self) -> list[StarRocksRow]:
        return [r for g in self._groups for r in g.rows]

    def find(self, instance_id: str, column: int = 0) -> QModelIndex:
        for gi, g in enumerate(self._groups):
            for ri, r in enumerate(g.rows):
                if r.id == instance_id:
                    return self.createIndex(ri, column, gi + 1)
            if g.group.id == instance_id:
                return self.createIndex(gi, column, _TOP)
        return QModelIndex()

    def row_of(self, instance_id: str) -> StarRocksRow | None:
        return next((r for r in self.rows() if r.id == instance_id), None)

    # -- feeding ----------------------------------------------------------------------------------
    def set_groups(self, groups: Iterable[TaurusGroup]) -> None:
        new = list(groups)
        if [g.id for g in new] == [g.group.id for g in self._groups]:
            for g in new:
                self.set_group(g)
            return
        self.beginResetModel()
        self._groups = [_Group(g, list(g.instances)) for g in new]
        self.endResetModel()

    def set_group(self, group: TaurusGroup) -> None:
        """Replace one TaurusDB instance's row and its children, in place."""
        gi = next((i for i, g in enumerate(self._groups) if g.group.id == group.id), None)
        if gi is None:
            at = len(self._groups)
            self.beginInsertRows(QModelIndex(), at, at)
            self._groups.append(_Group(group, list(group.instances)))
            self.endInsertRows()
            return
        slot = self._groups[gi]
        parent = self.createIndex(gi, 0, _TOP)
        wanted = {r.id: r for r in group.instances}
        for ri in range(len(slot.rows) - 1, -1, -1):
            if slot.rows[ri].id not in wanted:
                self.beginRemoveRows(parent, ri, ri)
                del slot.rows[ri]
                self.endRemoveRows()
        for ri, existing in enumerate(slot.rows):
            slot.rows[ri] = wanted.pop(existing.id)
        if slot.rows:
            self.dataChanged.emit(
                self.createIndex(0, 0, gi + 1),
                self.createIndex(len(slot.rows) - 1, len(self.columns) - 1, gi + 1),
            )
        added = [r for r in group.instances if r.id in wanted]
        if added:
            start = len(slot.rows)
            self.beginInsertRows(parent, start, start + len(added) - 1)
            slot.rows.extend(added)
            self.endInsertRows()
        slot.group = dataclasses.replace(group, instances=tuple(slot.rows))
        self.dataChanged.emit(parent, self.createIndex(gi, len(self.columns) - 1, _TOP))

    def upsert_row(self, row: StarRocksRow) -> None:
        """Show one StarRocks instance (e.g. just created) in its TaurusDB instance's group."""
        slot = next((g for g in self._groups if g.group.id == row.taurus_id), None)
        if slot is None:
            return
        if any(r.id == row.id for r in slot.rows):
            rows = [row if r.id == row.id else r for r in slot.rows]
        else:
            rows = [*slot.rows, row]
        self.set_group(dataclasses.replace(slot.group, instances=tuple(rows)))

    def remove_row(self, instance_id: str) -> None:
        for g in self._groups:
            if any(r.id == instance_id for r in g.rows):
                self.set_group(
                    dataclasses.replace(g.group, instances=tuple(r for r in g.rows if r.id != instance_id))
                )
                return
