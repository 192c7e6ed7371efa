"""What AI Lake holds on first start: the object storage ``sandbox-lake`` with three months of sales
parquet files, the database instance ``demo`` (the StarRocks database the StarRocks seed created),
the pipe table ``sales`` over ``sales/``, and the ``pipes`` service."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from ..store import connect, private_dir

STORAGE_NAME = "sandbox-lake"
INSTANCE_NAME = "demo"
SALES_PREFIX = "sales/"
# (month, rows): a few hundred rows per monthly partition.
SALES_MONTHS = (("01", 300), ("02", 280), ("03", 310))
SERVICE_NAME = "pipes"

_CUSTOMERS = [
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "wonka",
    "tyrell",
    "cyberdyne",
]
_REGIONS = ["emea", "amer", "apac"]
_PRODUCTS = ["widget", "gadget", "gizmo", "doohickey", "sprocket", "flange"]
_CHANNELS = ["web", "store", "partner"]


def storage_doc() -> dict[str, Any]:
    storage_id = str(uuid.uuid4())
    return {
        "storageId": storage_id,
        "name": STORAGE_NAME,
        "storageType": "s3",
        "storageConfig": {
            "bucket": STORAGE_NAME,
            "region": "us-east-1",
            # Credential references are stored but never returned (keys ending in _env).
            "access_key_env": "SANDBOX_LAKE_ACCESS_KEY",
            "secret_key_env": "SANDBOX_LAKE_SECRET_KEY",
        },
    }


def _array(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def month_sql(month: str, rows: int, seed: int = 0) -> str:
    """SELECT producing one month of sales rows; ``seed`` varies the values (for overwritten files)."""
    m = int(month)
    return (
        "SELECT "
        f"CAST(2024{month}00000 + i AS BIGINT) AS order_id, "
        f"CAST(DATE '2024-{month}-01' + CAST((i * 7 + {seed}) % 28 AS INTEGER) AS DATE) AS order_date, "
        f"{_array(_CUSTOMERS)}[1 + (i * 3 + {m} + {seed}) % {len(_CUSTOMERS)}] AS customer, "
        f"{_array(_REGIONS)}[1 + (i + {seed}) % {len(_REGIONS)}] AS region, "
        f"{_array(_PRODUCTS)}[1 + (i * 5 + {m}) % {len(_PRODUCTS)}] AS product, "
        f"{_array(_CHANNELS)}[1 + (i * 11 + {seed}) % {len(_CHANNELS)}] AS channel, "
        f"CAST(1 + (i * 7 + {seed}) % 9 AS INTEGER) AS quantity, "
        f"CAST(4.99 + ((i * 37 + {m} * 13 + {seed}) % 2000) / 20.0 AS DECIMAL(10,2)) AS unit_price, "
        f"CAST((1 + (i * 7 + {seed}) % 9) * (4.99 + ((i * 37 + {m} * 13 + {seed}) % 2000) / 20.0) "
        "AS DECIMAL(12,2)) AS amount "
        f"FROM range(1, {rows + 1}) t(i) ORDER BY i"
    )


def write_parquet(path: Path, select_sql: str) -> None:
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp")
    con = connect(None, [path.parent])
    try:
        target = str(tmp).replace("'", "''")
        con.execute(f"COPY ({select_sql}) TO '{target}' (FORMAT parquet)")
    finally:
        con.close()
    tmp.replace(path)


def write_sales(root: Path) -> None:
    for month, rows in SALES_MONTHS:
        path = root / SALES_PREFIX / "year=2024" / f"month={month}" / "part-00000.parquet"
        if not path.exists():
            write_parquet(path, month_sql(month, rows))


def instance_doc(storage_id: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "name": INSTANCE_NAME,
        "storageIds": [storage_id],
        "dataSources": [
            {"id": str(uuid.uuid4()), "dataSourceId": INSTANCE_NAME, "dataSourceName": INSTANCE_NAME}
        ],
        "state": "active",
    }


def sales_request() -> dict[str, Any]:
    return {
        "pathPrefix": SALES_PREFIX,
        "sourceStorageName": STORAGE_NAME,
        "tableName": "sales",
        "keyConfig": {"type": "duplicate", "columns": ["order_id"]},
        "distributionConfig": {"type": "hash", "buckets": 1, "columns": ["order_id"]},
        "partitionConfig": None,
        "columnExpressions": None,
        "columnOverrides": None,
        "aggregationOverrides": None,
        "tableProperties": None,
        "maxVarcharLength": 255,
        "pollingIntervalSeconds": 60,
    }


def service_doc() -> dict[str, Any]:
    return {"serviceId": str(uuid.uuid4()), "name": SERVICE_NAME, "paused": False}
