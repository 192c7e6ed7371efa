"""The FE's configuration as ``ADMIN SHOW FRONTEND CONFIG`` lists it and ``ADMIN SET FRONTEND CONFIG``
changes it.

The items are real ones of StarRocks' ``Config.java`` (3.x): name, Java type, default and whether
``@ConfField(mutable = true)``. SHOW answers StarRocks' columns (Key, AliasNames, Value, Type,
IsMutable, Comment); SET refuses an item that is unknown or not mutable with ERROR_CONFIG_NOT_EXIST
(5102, SQLSTATE F0000) and a value that does not parse as its type with ERROR_SET_CONFIG_FAILED (5101),
as ConfigBase.setMutableConfig does. Values set last until the sandbox stops, as on a real FE (which
keeps ADMIN SET changes in memory only).
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    name: str
    type: str  # the Java field's simple type name, as the Type column shows it
    default: str
    mutable: bool
    comment: str = ""
    aliases: tuple[str, ...] = ()


ITEMS: tuple[Item, ...] = (
    Item("run_mode", "String", "shared_nothing", False),
    Item("http_port", "int", "8030", False),
    Item("rpc_port", "int", "9020", False),
    Item("query_port", "int", "9030", False),
    Item("edit_log_port", "int", "9010", False),
    Item("mysql_service_io_threads_num", "int", "4", False),
    Item("max_mysql_service_task_threads_num", "int", "4096", False),
    Item("qe_max_connection", "int", "4096", False),
    Item("sys_log_level", "String", "INFO", False),
    Item("sys_log_roll_num", "int", "10", False),
    Item("audit_log_roll_num", "int", "90", False),
    Item("qe_slow_log_ms", "long", "5000", True),
    Item("enable_validate_password", "boolean", "false", True),
    Item("enable_password_reuse", "boolean", "true", True),
    Item("enable_qe_slow_log", "boolean", "true", True),
    Item("slow_lock_threshold_ms", "long", "3000", True),
    Item("heartbeat_timeout_second", "int", "5", True),
    Item("heartbeat_retry_times", "int", "3", True),
    Item("max_running_txn_num_per_db", "int", "1000", True),
    Item("desired_max_waiting_jobs", "int", "1024", True),
    Item("default_replication_num", "short", "3", True),
    Item("empty_load_as_error", "boolean", "true", True),
    Item("label_keep_max_second", "int", "259200", True),
    Item("stream_load_default_timeout_second", "int", "600", True),
    Item("max_stream_load_timeout_second", "int", "259200", True),
    Item("prepared_transaction_default_timeout_second", "int", "86400", True),
    Item("max_load_timeout_second", "int", "259200", True),
    Item("insert_load_default_timeout_second", "int", "3600", True),
    Item("enable_statistic_collect", "boolean", "true", True),
    Item("dynamic_partition_enable", "boolean", "true", True),
    Item("tablet_create_timeout_second", "int", "10", True),
    Item("max_create_table_timeout_second", "int", "600", True),
    Item("catalog_trash_expire_second", "long", "86400", True),
    Item("enable_udf", "boolean", "false", False),
    Item("expr_children_limit", "int", "10000", True),
    Item("max_routine_load_task_num_per_be", "int", "16", True),
    Item("storage_usage_soft_limit_percent", "int", "90", True),
    Item("storage_usage_hard_limit_percent", "int", "95", True),
    Item("enable_strict_storage_medium_check", "boolean", "false", True),
    Item("max_bucket_number_per_partition", "int", "1024", True),
    Item("priority_networks", "String", "", False),
    Item("frontend_address", "String", "0.0.0.0", False),
    Item("meta_dir", "String", "/opt/starrocks/fe/meta", False),
)

_BY_NAME = {i.name: i for i in ITEMS}


class FrontendConfig:
    """The FE's current configuration values."""

    def __init__(self, query_port: int = 9030, http_port: int = 8030, qe_max_connection: int = 4096) -> None:
        self._lock = threading.Lock()
        self._values = {i.name: i.default for i in ITEMS}
        # What this FE was started with.
        self._values["query_port"] = str(query_port)
        self._values["http_port"] = str(http_port)
        self._values["qe_max_connection"] = str(qe_max_connection)

    def value(self, name: str) -> str | None:
        with self._lock:
            return self._values.get(name)

    def show(self, pattern: str | None) -> list[list[str]]:
        """Rows of ADMIN SHOW FRONTEND CONFIG [LIKE pattern] (LIKE is case-insensitive, as the FE's
        PatternMatcher with caseSensitive false)."""
        rows = []
        with self._lock:
            for item in sorted(ITEMS, key=lambda i: i.name):
                if pattern is not None and not _like(item.name, pattern):
                    continue
                rows.append(
                    [
                        item.name,
                        "[" + ", ".join(item.aliases) + "]",
                        self._values[item.name],
                        item.type,
                        str(item.mutable).lower(),
                        item.comment,
                    ]
                )
        return rows

    def set(self, name: str, value: str) -> None:
        """ADMIN SET FRONTEND CONFIG: ConfigError(code, message) for what the FE refuses."""
        item = _BY_NAME.get(name)
        if item is None or not item.mutable:
            raise ConfigError(5102, f"Config '{name}' does not exist or is not mutable")
        checked = _parse(item, value)
        with self._lock:
            self._values[name] = checked


class ConfigError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_RANGES = {"short": (-(2**15), 2**15 - 1), "int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _parse(item: Item, value: str) -> str:
    """The value as the FE's field setter reads it (Short/Integer/Long.parseShort/parseInt/parseLong,
    Double.parseDouble, Boolean); the failure text is the Java exception's message."""
    if item.type in _RANGES:
        low, high = _RANGES[item.type]
        # Java's parsers take an optional sign and ASCII digits, nothing around them.
        digits = value[1:] if value[:1] in "+-" else value
        if not digits or not (digits.isascii() and digits.isdigit()) or not low <= int(value) <= high:
            raise ConfigError(5101, f'Set config failed: For input string: "{value}"')
        return str(int(value))
    if item.type == "double":
        try:
            return str(float(value))
        except ValueError:
            raise ConfigError(5101, f'Set config failed: For input string: "{value}"') from None
    if item.type == "boolean":
        # ConfigBase refuses anything but true/false (any case) for a boolean item.
        if value.lower() not in ("true", "false"):
            raise ConfigError(5101, f"Set config failed: Invalid boolean value: {value}")
        return value.lower()
    return value


def _like(name: str, pattern: str) -> bool:
    glob = "".join(
        "*" if ch == "%" else "?" if ch == "_" else "[" + ch + "]" if ch in "[]*?" else ch for ch in pattern
    )
    return fnmatch.fnmatchcase(name.lower(), glob.lower())
