"""Checks of request bodies against the OpenAPI schemas, done before a request is accepted.

Only what the request itself says is checked here (JSON types, required fields, patterns, enums,
minimums, the oneOf variants discriminated by ``type``). What needs the parquet files or StarRocks
(column names, inferred types, type strings) is checked when the operation runs and ends as a failed
operation.
"""

from __future__ import annotations

import re
from typing import Any

from .api import INT32_MAX, ApiError

TABLE_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
AGGREGATIONS = (
    "SUM",
    "MIN",
    "MAX",
    "REPLACE",
    "REPLACE_IF_NOT_NULL",
    "HLL_UNION",
    "BITMAP_UNION",
    "PERCENTILE_UNION",
)
EXPRESSION_FUNCTIONS = ("HLL_HASH", "BITMAP_HASH", "BITMAP_HASH64", "TO_BITMAP")
KEY_TYPES = ("aggregate", "duplicate", "primary", "unique")
DISTRIBUTION_TYPES = ("hash", "random")
PARTITION_TYPES = ("column", "dateTrunc", "timeSlice")
TIME_UNITS = (
    "year",
    "quarter",
    "month",
    "week",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "microsecond",
)


def _bad(detail: str) -> ApiError:
    return ApiError(400, detail)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def string(body: dict[str, Any], path: str, key: str, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise _bad(f"'{path}{key}' is required.")
        return None
    if not isinstance(value, str):
        raise _bad(f"'{path}{key}' must be a string, got {_type_name(value)}.")
    return value


def int32(body: dict[str, Any], path: str, key: str, minimum: int | None = None) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"'{path}{key}' must be an integer, got {_type_name(value)}.")
    if not -(2**31) <= value <= INT32_MAX:
        raise _bad(f"'{path}{key}' is out of the int32 range.")
    if minimum is not None and value < minimum:
        raise _bad(f"'{path}{key}' must be greater than or equal to {minimum}.")
    return value


def string_list(
    body: dict[str, Any], path: str, key: str, required: bool = False, unique: bool = False
) -> list[str] | None:
    value = body.get(key)
    if value is None:
        if required:
            raise _bad(f"'{path}{key}' is required.")
        return None
    if not isinstance(value, list):
        raise _bad(f"'{path}{key}' must be an array, got {_type_name(value)}.")
    for i, v in enumerate(value):
        if not isinstance(v, str):
            raise _bad(f"'{path}{key}[{i}]' must be a string, got {_type_name(v)}.")
    if unique and len(set(value)) != len(value):
        raise _bad(f"'{path}{key}' must not contain duplicate items.")
    return list(value)


def string_map(body: dict[str, Any], path: str, key: str) -> dict[str, str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad(f"'{path}{key}' must be an object, got {_type_name(value)}.")
    for k, v in value.items():
        if not isinstance(v, str):
            raise _bad(f"'{path}{key}.{k}' must be a string, got {_type_name(v)}.")
    return dict(value)


def _object(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad(f"'{key}' must be an object, got {_type_name(value)}.")
    return value


def _variant(body: dict[str, Any], key: str, types: tuple[str, ...]) -> tuple[dict[str, Any], str] | None:
    obj = _object(body, key)
    if obj is None:
        return None
    kind = string(obj, f"{key}.", "type", required=True)
    assert kind is not None
    if kind not in types:
        raise _bad(f"'{key}.type' must be one of {list(types)}, got '{kind}'.")
    return obj, kind


def key_config(body: dict[str, Any]) -> dict[str, Any] | None:
    found = _variant(body, "keyConfig", KEY_TYPES)
    if found is None:
        return None
    obj, kind = found
    out: dict[str, Any] = {"type": kind}
    cols = string_list(obj, "keyConfig.", "columns")
    if cols is not None:
        out["columns"] = cols
    return out


def distribution_config(body: dict[str, Any]) -> dict[str, Any] | None:
    found = _variant(body, "distributionConfig", DISTRIBUTION_TYPES)
    if found is None:
        return None
    obj, kind = found
    out: dict[str, Any] = {"type": kind}
    buckets = int32(obj, "distributionConfig.", "buckets", minimum=1)
    if buckets is not None:
        out["buckets"] = buckets
    if kind == "hash":
        cols = string_list(obj, "distributionConfig.", "columns")
        if cols is not None:
            out["columns"] = cols
    return out


def _unit(obj: dict[str, Any]) -> str:
    unit = string(obj, "partitionConfig.", "unit", required=True)
    assert unit is not None
    if unit not in TIME_UNITS:
        raise _bad(f"'partitionConfig.unit' must be one of {list(TIME_UNITS)}, got '{unit}'.")
    return unit


def partition_config(body: dict[str, Any]) -> dict[str, Any] | None:
    found = _variant(body, "partitionConfig", PARTITION_TYPES)
    if found is None:
        return None
    obj, kind = found
    if kind == "column":
        cols = string_list(obj, "partitionConfig.", "columns", required=True)
        assert cols is not None
        return {"type": kind, "columns": cols}
    column = string(obj, "partitionConfig.", "column", required=True)
    if kind == "dateTrunc":
        return {"type": kind, "column": column, "unit": _unit(obj)}
    slices = int32(obj, "partitionConfig.", "slices", minimum=1)
    if slices is None:
        raise _bad("'partitionConfig.slices' is required.")
    return {"type": kind, "column": column, "unit": _unit(obj), "slices": slices}


def column_expressions(body: dict[str, Any]) -> dict[str, dict[str, str]] | None:
    value = _object(body, "columnExpressions")
    if value is None:
        return None
    out: dict[str, dict[str, str]] = {}
    for target, expr in value.items():
        path = f"columnExpressions.{target}."
        if not isinstance(expr, dict):
            raise _bad(f"'columnExpressions.{target}' must be an object, got {_type_name(expr)}.")
        column = string(expr, path, "column", required=True)
        function = string(expr, path, "function", required=True)
        assert column is not None and function is not None
        if function not in EXPRESSION_FUNCTIONS:
            raise _bad(f"'{path}function' must be one of {list(EXPRESSION_FUNCTIONS)}, got '{function}'.")
        out[target] = {"column": column, "function": function}
    return out


def normalize_prefix(prefix: str) -> str:
    """A pathPrefix as a folder under the storage root: no leading slash, one trailing slash."""
    parts = [p for p in prefix.replace("\\", "/").split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise _bad("'pathPrefix' must not contain '..' segments.")
    return "/".join(parts) + "/" if parts else ""


def create_pipe_table(body: dict[str, Any]) -> dict[str, Any]:
    """A CreatePipeTableRequest checked and normalised (absent optionals are None)."""
    path_prefix = string(body, "", "pathPrefix", required=True)
    storage = string(body, "", "sourceStorageName", required=True)
    table = string(body, "", "tableName", required=True)
    assert path_prefix is not None and storage is not None and table is not None
    if not TABLE_NAME_RE.match(table):
        raise _bad(f"'tableName' must match ^[a-z][a-z0-9_-]{{0,62}}$, got '{table}'.")
    if not path_prefix.strip():
        raise _bad("'pathPrefix' must not be blank.")
    if not storage.strip():
        raise _bad("'sourceStorageName' must not be blank.")
    req: dict[str, Any] = {
        "pathPrefix": path_prefix,
        "sourceStorageName": storage,
        "tableName": table,
        "keyConfig": key_config(body),
        "distributionConfig": distribution_config(body),
        "partitionConfig": partition_config(body),
        "columnExpressions": column_expressions(body),
        "columnOverrides": string_map(body, "", "columnOverrides"),
        "aggregationOverrides": string_map(body, "", "aggregationOverrides"),
        "tableProperties": string_map(body, "", "tableProperties"),
        "maxVarcharLength": int32(body, "", "maxVarcharLength", minimum=0),
        "pollingIntervalSeconds": int32(body, "", "pollingIntervalSeconds", minimum=0),
    }
    normalize_prefix(path_prefix)
    key = req["keyConfig"]
    if key is not None and key["type"] == "aggregate":
        for col, fn in (req["aggregationOverrides"] or {}).items():
            if fn.upper() not in AGGREGATIONS:
                raise _bad(f"'aggregationOverrides.{col}' must be one of {list(AGGREGATIONS)}, got '{fn}'.")
    return req


def provision_request(body: dict[str, Any]) -> dict[str, Any]:
    name = string(body, "", "name", required=True)
    assert name is not None
    if not name.strip():
        raise _bad("'name' must not be blank.")
    storage_ids = string_list(body, "", "storageIds", required=True, unique=True)
    return {
        "name": name,
        "storageIds": storage_ids,
        "dataSourceId": string(body, "", "dataSourceId"),
        "dataSourceName": string(body, "", "dataSourceName"),
    }


def refresh_request(body: dict[str, Any]) -> dict[str, str]:
    if body.get("partitionSpec") is None:
        raise _bad("'partitionSpec' is required.")
    spec = string_map(body, "", "partitionSpec")
    assert spec is not None
    return spec


def analyze_request(body: dict[str, Any]) -> list[str]:
    return string_list(body, "", "tableNames") or []


def run_command_request(body: dict[str, Any]) -> dict[str, Any]:
    context = body.get("context")
    if context is not None:
        if not isinstance(context, dict):
            raise _bad(f"'context' must be an object, got {_type_name(context)}.")
        for k, v in context.items():
            if v is not None and not isinstance(v, str):
                raise _bad(f"'context.{k}' must be a string, got {_type_name(v)}.")
    payload = body.get("payload")
    if payload is not None and not isinstance(payload, dict):
        raise _bad(f"'payload' must be an object, got {_type_name(payload)}.")
    return {"context": context, "payload": payload}
