"""The record table model and its filter proxy as a table view uses them: sorting by a header,
rows that arrive while sorted, the selection following its record, the filter; and the window's
garbage collector."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QTableView

from gui.ui.collector import GarbageCollector
from gui.ui.models.table import Column, RecordFilterProxy, RecordTableModel, Role


@dataclass(frozen=True)
class Row:
    name: str
    size: int | None
    when: datetime | None = None


T0 = datetime(2026, 1, 1, 12, 0)


def make() -> tuple[RecordTableModel[Row], RecordFilterProxy, QTableView]:
    model = RecordTableModel[Row](
        [
            Column[Row]("Name", lambda r: r.name),
            Column[Row]("Size", lambda r: r.size, sort=lambda r: r.size),
            Column[Row]("When", lambda r: r.when.isoformat() if r.when else "", sort=lambda r: r.when),
        ],
        key=lambda r: r.name,
    )
    proxy = RecordFilterProxy(model)
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    return model, proxy, view


def shown(proxy: RecordFilterProxy, column: int = 0) -> list[str]:
    return [proxy.index(r, column).data() for r in range(proxy.rowCount())]


def test_sorting_by_a_header_keeps_the_selection_on_its_record(qapp: Any, qtmodeltester: Any) -> None:
    model, proxy, view = make()
    model.set_rows([Row("beta", 20, T0), Row("Alpha", 3, None), Row("gamma", None, T0 - timedelta(days=1))])
    assert shown(proxy) == ["beta", "Alpha", "gamma"]  # the order they came in
    view.selectionModel().setCurrentIndex(
        proxy.index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert shown(proxy) == ["Alpha", "beta", "gamma"]  # text without regard to case
    assert view.currentIndex().data(Role.RECORD).name == "beta"
    assert [i.row() for i in view.selectionModel().selectedRows()] == [1]
    view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert shown(proxy) == ["gamma", "beta", "Alpha"]  # a blank sorts after every number
    view.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    assert shown(proxy) == ["gamma", "beta", "Alpha"]  # times, then no time
    view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    assert shown(proxy) == ["beta", "Alpha", "gamma"]
    assert view.currentIndex().data(Role.RECORD).name == "beta"
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)


def test_rows_arriving_while_sorted_take_their_place(qapp: Any) -> None:
    model, proxy, view = make()
    model.set_rows([Row(f"t{i:02d}", i) for i in (5, 1, 9)])
    view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    model.append([Row("t07", 7), Row("t00", 0)])
    assert shown(proxy) == ["t09", "t07", "t05", "t01", "t00"]
    assert model.upsert(Row("t01", 100)) == 0  # a changed value moves its row
    assert shown(proxy) == ["t01", "t09", "t07", "t05", "t00"]
    assert model.remove("t09") and model.row_of("t07") == 1 and model.row_of("t09") is None
    model.set_rows([Row("a", 1), Row("b", 2)])  # a fresh list is shown in the chosen order
    assert shown(proxy) == ["b", "a"]


def test_the_filter_matches_any_column_regardless_of_case_but_never_across_two(qapp: Any) -> None:
    model, proxy, _view = make()
    model.set_rows([Row("Orders_2024", 12), Row("events", 120), Row("Order", None)])
    proxy.set_filter_text("  ORDER ")
    assert shown(proxy) == ["Orders_2024", "Order"]
    proxy.set_filter_text("12")
    assert shown(proxy) == ["Orders_2024", "events"]
    proxy.set_filter_text("events12")  # the end of one column and the start of the next
    assert shown(proxy) == []
    model.append([Row("events12", 1)])  # a new row is matched as it arrives
    assert shown(proxy) == ["events12"]
    model.upsert(Row("events12", 1))
    proxy.set_filter_text("")
    assert len(shown(proxy)) == 4


@pytest.mark.asyncio
async def test_the_collector_collects_on_the_ui_thread_and_finds_frozen_cycles() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the cyclic collector frees it

    where: list[threading.Thread] = []

    def collected(_ref: Any) -> None:
        where.append(threading.current_thread())

    collector = GarbageCollector(interval_ms=20, everything_every_s=3600)
    kept = Node()  # alive when the collector starts: frozen with the window
    frozen_ref = weakref.ref(kept, collected)
    collector.start()
    try:
        assert not gc.isenabled() and gc.get_freeze_count() > 0
        young = Node()
        young_ref = weakref.ref(young, collected)
        del young
        # Garbage made on a worker thread is not collected there (no automatic collection).
        await asyncio.to_thread(lambda: [Node() for _ in range(50_000)])
        for _ in range(200):
            if young_ref() is None:
                break
            await asyncio.sleep(0.02)
        assert young_ref() is None and where == [threading.main_thread()]
        assert sum(collector.collections) > 0
        del kept
        await asyncio.sleep(0.2)
        assert frozen_ref() is not None  # frozen: the young collections never look at it
        collector.collect_everything()
        assert frozen_ref() is None and collector.full_passes == 1
        assert where == [threading.main_thread()] * 2
    finally:
        collector.stop()
    assert gc.isenabled() and gc.get_freeze_count() == 0
