"""A BE's configuration over its HTTP port, as StarRocks' BE serves it:

- ``GET /varz``: the web page "Configurations" (be/src/http/default_path_handlers.cpp,
  ``config_handler``): ``<h2>Configurations</h2><pre>name=value`` one a line ``</pre>``, inside the
  BE's HTML page unless ``?raw`` is asked (web_page_handler.cpp). Values only: whether an item is
  mutable is not on this page.
- ``POST /api/update_config?name=value`` (be/src/http/action/update_config_action.cpp): exactly one
  parameter, always HTTP 200 with a pretty-printed ``{"status": "OK"|"BAD", "msg": ...}``; a refusal
  is ``set name=value failed, reason: <Status>`` with configbase.cpp's texts ("'x' is not found",
  "'x' is immutable", "Invalid value of config 'x': 'v'"). The change lives in the process only: a
  restarted BE is back at its be.conf values. (StarRocks' documentation mentions a ``persist``
  parameter; the BE's code takes exactly one parameter and refuses a second — the code wins.)

The items are a few real ones of be/src/common/config.h with their types, defaults and whether they
are ``CONF_m…`` (mutable).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .cluster import Backend


@dataclass(frozen=True)
class Item:
    name: str
    type: str  # bool, int32, int64, double, string
    default: str
    mutable: bool


ITEMS: tuple[Item, ...] = (
    Item("be_http_port", "int32", "8040", False),
    Item("be_port", "int32", "9060", False),
    Item("brpc_port", "int32", "8060", False),
    Item("disable_storage_page_cache", "bool", "false", True),
    Item("flush_thread_num_per_store", "int32", "2", True),
    Item("heartbeat_service_port", "int32", "9050", False),
    Item("max_compaction_concurrency", "int32", "-1", True),
    Item("max_runnings_transactions_per_txn_map", "int32", "100", True),
    Item("mem_limit", "string", "90%", False),
    Item("priority_networks", "string", "", False),
    Item("scanner_thread_pool_thread_num", "int32", "48", True),
    Item("storage_flood_stage_left_capacity_bytes", "int64", "107374182400", True),
    Item("storage_flood_stage_usage_percent", "int32", "95", True),
    Item("storage_page_cache_limit", "string", "20%", True),
    Item("storage_root_path", "string", "${STARROCKS_HOME}/storage", False),
    Item("streaming_load_max_mb", "int64", "102400", True),
    Item("sys_log_level", "string", "INFO", True),
    Item("tablet_max_versions", "int32", "1000", True),
    Item("transaction_publish_version_worker_count", "int32", "0", True),
    Item("write_buffer_size", "int64", "104857600", True),
)
_BY_NAME = {i.name: i for i in ITEMS}
_INT_RANGE = {"int16": 2**15, "int32": 2**31, "int64": 2**63}

# Per BE: (the process start it belongs to, the values changed since).
_changed: dict[int, tuple[int, dict[str, str]]] = {}


def values(be: Backend) -> dict[str, str]:
    """The BE process's current values: be.conf's (the defaults here), and what update_config set
    since this process started."""
    start, changed = _changed.get(be.id, (be.start_ms, {}))
    if start != be.start_ms:
        changed = {}
    out = {i.name: i.default for i in ITEMS}
    out["be_http_port"] = str(be.http_port)
    out["be_port"] = str(be.be_port)
    out["brpc_port"] = str(be.brpc_port)
    out["heartbeat_service_port"] = str(be.heartbeat_port)
    out.update(changed)
    return out


def _parsed(item: Item, value: str) -> str | None:
    """The value as the BE keeps it, or None when it does not parse as the item's type."""
    v = value.strip()
    if item.type == "bool":
        low = v.lower()
        if low in ("true", "1"):
            return "true"
        if low in ("false", "0"):
            return "false"
        return None
    if item.type in _INT_RANGE:
        try:
            n = int(v, 10)
        except ValueError:
            return None
        limit = _INT_RANGE[item.type]
        return str(n) if -limit <= n < limit else None
    if item.type == "double":
        try:
            return repr(float(v))
        except ValueError:
            return None
    return v


def update(be: Backend, name: str, value: str) -> str:
    """Set one item; "" when done, else the Status text the BE answers with."""
    item = _BY_NAME.get(name)
    if item is None:
        return f"Not found: '{name}' is not found"
    if not item.mutable:
        return f"Not supported: '{name}' is immutable"
    parsed = _parsed(item, value)
    if parsed is None:
        return f"Invalid argument: Invalid value of config '{name}': '{value}'"
    start, changed = _changed.get(be.id, (be.start_ms, {}))
    if start != be.start_ms:
        changed = {}
    changed[name] = parsed
    _changed[be.id] = (be.start_ms, changed)
    return ""


def _page(content: str) -> str:
    return (
        "\n<!DOCTYPE html>\n<html>\n  <head>\n    <title>StarRocks</title>\n    <meta charset='utf-8'/>\n"
        "  </head>\n  <body>\n" + content + "\n  </body>\n</html>\n"
    )


def routes(be: Backend) -> list[BaseRoute]:
    async def varz(request: Request) -> Response:
        lines = "".join(f"{k}={html.escape(v, quote=False)}\n" for k, v in sorted(values(be).items()))
        content = f"<h2>Configurations</h2><pre>{lines}</pre>"
        raw = "raw" in request.query_params
        return Response(content if raw else _page(content), media_type="text/html")

    async def update_config(request: Request) -> Response:
        params = list(request.query_params.multi_items())
        if len(params) != 1:
            status, msg = "BAD", "Now only support to set a single config once, via 'config_name=new_value'"
        else:
            name, value = params[0]
            refusal = update(be, name, value)
            status = "BAD" if refusal else "OK"
            msg = f"set {name}={value} failed, reason: {refusal}" if refusal else ""
        body = json.dumps({"status": status, "msg": msg}, indent=4)
        return Response(body, media_type="application/json")

    return [
        Route("/varz", varz, methods=["GET"]),
        Route("/api/update_config", update_config, methods=["POST"]),
    ]
