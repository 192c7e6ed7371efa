"""The one list of the window's views, readable without importing Qt.

The window builds its tabs from it, the command line takes its ``--view`` choices from it, the
``screenshot`` command finds the profile a view shows from it, and each view class takes its title and
the kinds of profile it works with from here (``View.__init_subclass__``). Adding a view is one entry.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ViewSpec:
    slug: str  # the command line's name for it
    title: str  # the tab's title
    target: str  # "module:Class"
    kinds: tuple[str, ...]  # profile kinds it works with, the first being the one it shows first

    @property
    def class_name(self) -> str:
        return self.target.rsplit(":", 1)[1]

    def load(self) -> type[Any]:
        module, _, name = self.target.partition(":")
        cls: type[Any] = getattr(importlib.import_module(module), name)
        return cls


VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("instances", "StarRocks instances", "gui.ui.views.instances:InstancesView", ("huawei",)),
    ViewSpec(
        "lake-databases", "AI Lake databases", "gui.ui.views.lake_databases:LakeDatabasesView", ("ailake",)
    ),
    ViewSpec("pipe-tables", "Pipe tables", "gui.ui.views.pipe_tables:PipeTablesView", ("ailake",)),
    ViewSpec(
        "transactions", "Load transactions", "gui.ui.views.transactions:TransactionsView", ("starrocks",)
    ),
    ViewSpec("fleet", "Fleet", "gui.ui.views.fleet:FleetView", ("starrocks",)),
    ViewSpec("dashboard", "Dashboard", "gui.ui.views.dashboard:DashboardView", ("starrocks",)),
    ViewSpec("sql", "SQL", "gui.ui.views.sql:SqlConsoleView", ("starrocks",)),
    ViewSpec("admin", "Administration", "gui.ui.views.admin:AdminView", ("starrocks",)),
)


def first_view(kinds: list[str]) -> str:
    """The view a fresh window opens on, from the kinds of the profiles it has: the fleet when there
    are several StarRocks clusters to watch, else the first view."""
    return "fleet" if kinds.count("starrocks") >= 2 else VIEWS[0].slug


def slugs() -> list[str]:
    return [v.slug for v in VIEWS]


def by_slug(slug: str) -> ViewSpec:
    for v in VIEWS:
        if v.slug == slug:
            return v
    raise KeyError(slug)


def by_class(name: str) -> ViewSpec | None:
    return next((v for v in VIEWS if v.class_name == name), None)


def view_classes() -> list[type[Any]]:
    """The view classes in the window's order (imports Qt)."""
    return [v.load() for v in VIEWS]
