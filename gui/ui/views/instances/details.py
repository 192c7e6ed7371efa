"""The details pane of the StarRocks instances view: what is known of the selected TaurusDB or
StarRocks instance, why a change of it is refused now, and its nodes (one of which can be restarted
on its own)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ....api.huawei.models import StarRocksNode
from ....services.instances import StarRocksRow, TaurusGroup, flavor_text, local_time, node_status
from ...models.table import Column, RecordTableModel, Role
from ...style import set_tone
from ...widgets.badge import status_color
from ...widgets.listing import ROW_HEIGHT, RowDelegate, pairs_html, toolbar_button
from ...widgets.tables import fit_when_filled, setup_table

NODES_TAB = 1


def _node_columns() -> list[Column[StarRocksNode]]:
    return [
        Column[StarRocksNode]("Node", lambda n: n.name),
        Column[StarRocksNode]("Role", lambda n: n.type or ""),
        Column[StarRocksNode]("Status", node_status, badge=lambda n: status_color(node_status(n))),
        Column[StarRocksNode]("Address", lambda n: n.traffic_ip or ""),
        Column[StarRocksNode](
            "Flavor", lambda n: flavor_text(n.cpu, n.mem), tooltip=lambda n: n.flavor_ref or ""
        ),
        Column[StarRocksNode](
            "Storage", lambda n: f"{n.volume.type or ''} {n.volume.size or ''} GB".strip() if n.volume else ""
        ),
    ]


def _taurus_pairs(group: TaurusGroup) -> list[tuple[str, str]]:
    t = group.taurus
    return [
        ("ID", t.id),
        ("Status", t.status or ""),
        ("Engine", f"{t.datastore.type} {t.datastore.version}" if t.datastore else ""),
        ("Type", t.type or ""),
        ("Region", t.region or ""),
        ("Private IPs", ", ".join(t.private_ips)),
        ("VPC", t.vpc_id or ""),
        ("Subnet", t.subnet_id or ""),
        ("StarRocks", group.capacity),
        ("Created", local_time(group.created)),
    ]


def _starrocks_pairs(row: StarRocksRow) -> list[tuple[str, str]]:
    d = row.detail
    return [
        ("ID", row.id),
        ("TaurusDB", row.taurus_name),
        ("Status", row.status + (f" ({row.base_status})" if row.status != row.base_status else "")),
        ("Running jobs", ", ".join(row.actions) or "none"),
        ("Engine", f"StarRocks {row.engine_version}"),
        ("HA mode", row.ha_mode),
        ("Frontends", row.fe.summary),
        ("Backends", row.be.summary),
        ("AZ", row.az),
        ("Region", row.region),
        ("FE addresses", (d.data_vip or "") if d else (row.htap.data_vip or "")),
        ("Port", str(row.htap.port or (d.db_port if d else "") or "")),
        ("Time zone", (d.time_zone or "") if d else ""),
        ("Billing", "pay-per-use" if (row.htap.pay_model or "0") == "0" else "yearly/monthly"),
        ("Created", local_time(row.created)),
        ("Updated", local_time(row.updated)),
    ]


class InstanceDetails(QWidget):
    """``node_changed`` when another node is selected; ``restart_node`` is called by the Restart
    node button (it restarts the selected node)."""

    node_changed = Signal()

    def __init__(self, restart_node: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._restart_node = restart_node
        self.setObjectName("detailsPane")
        self.title = QLabel("Select an instance to see its details.", self)
        self.title.setObjectName("detailsTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.notice = QLabel(self)
        self.notice.setObjectName("instanceNotice")
        self.notice.setWordWrap(True)
        set_tone(self.notice, "error")
        self.notice.hide()
        self.overview = QLabel(self)
        self.overview.setObjectName("details")
        self.overview.setTextFormat(Qt.TextFormat.RichText)
        self.overview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.overview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.overview)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("detailsTabs")
        self.tabs.addTab(scroll, "Overview")
        self.tabs.addTab(self._build_nodes(), "Nodes")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.notice)
        lay.addWidget(self.tabs, 1)

    def _build_nodes(self) -> QWidget:
        page = QWidget(self)
        self.nodes = RecordTableModel[StarRocksNode](_node_columns(), key=lambda n: n.id, parent=self)
        self.nodes_view = QTableView(page)
        self.nodes_view.setObjectName("nodesTable")
        self.nodes_view.setModel(self.nodes)
        setup_table(self.nodes_view)
        self.nodes_view.setItemDelegate(RowDelegate(self.nodes_view))
        self.nodes_view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        fit_when_filled(self.nodes_view)
        self.nodes_view.selectionModel().currentRowChanged.connect(lambda *_: self.node_changed.emit())
        self.restart_node_button = toolbar_button(
            page,
            "Restart node…",
            "restartNodeButton",
            "Restart the selected node only (the others keep serving)",
            self._restart_node,
        )
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.restart_node_button)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.nodes_view, 1)
        lay.addLayout(bar)
        return page

    def selected_node(self) -> StarRocksNode | None:
        index = self.nodes_view.currentIndex()
        record = index.data(Role.RECORD) if index.isValid() else None
        return record if isinstance(record, StarRocksNode) else None

    def present(self, node: TaurusGroup | StarRocksRow | None, notice: str | None = None) -> None:
        """What is known of ``node`` (nothing selected: None); ``notice`` says why a change of it is
        refused now, or was refused last."""
        self.notice.setText(notice or "")
        self.notice.setVisible(bool(notice))
        if node is None:
            self.title.setText("Select an instance to see its details.")
            self.overview.setText("")
            self.nodes.set_rows([])
            self.tabs.setTabVisible(NODES_TAB, False)
            return
        if isinstance(node, TaurusGroup):
            self.title.setText(f"TaurusDB instance {node.name}")
            self.overview.setText(pairs_html(_taurus_pairs(node)))
            self.nodes.set_rows([])
            self.tabs.setTabVisible(NODES_TAB, False)
            return
        nodes = node.detail.nodes if node.detail else []
        self.title.setText(f"StarRocks instance {node.name}")
        self.overview.setText(pairs_html(_starrocks_pairs(node)))
        self.nodes.set_rows(nodes)
        self.tabs.setTabVisible(NODES_TAB, bool(nodes))
        self.tabs.setTabText(NODES_TAB, f"Nodes ({len(nodes)})" if node.detail else "Nodes")
