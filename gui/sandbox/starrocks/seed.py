"""The seeded database ``demo``: ``orders`` and ``events``, with a few rows to look at."""

from __future__ import annotations

from ..engine import Column, Engine, TableDef

ORDERS = TableDef(
    db="demo",
    name="orders",
    columns=[
        Column("order_id", "BIGINT", nullable=False),
        Column("customer", "VARCHAR(64)"),
        Column("amount", "DECIMAL(12,2)", nullable=False),
        Column("created_at", "DATETIME"),
    ],
    key_type="DUPLICATE",
    key_columns=["order_id"],
    distribution={"type": "hash", "columns": ["order_id"], "buckets": 4},
)

EVENTS = TableDef(
    db="demo",
    name="events",
    columns=[
        Column("event_time", "DATETIME"),
        Column("user_id", "BIGINT"),
        Column("kind", "VARCHAR(32)"),
        Column("payload", "JSON"),
    ],
    key_type="DUPLICATE",
    key_columns=["event_time"],
    distribution={"type": "hash", "columns": ["user_id"], "buckets": 4},
)

_CUSTOMERS = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka"]
_KINDS = ["login", "view", "cart", "purchase", "logout"]


def seed(engine: Engine) -> None:
    """Create ``demo`` once; a restart on the same data folder keeps what is there."""
    if engine.database("demo") is not None:
        return
    engine.create_database("demo")
    orders = engine.create_table(ORDERS)
    events = engine.create_table(EVENTS)
    order_rows = ", ".join(
        f"({i}, '{_CUSTOMERS[i % len(_CUSTOMERS)]}', {(i * 37) % 500 + 9.99:.2f}, "
        f"TIMESTAMP '2024-01-01 08:00:00' + INTERVAL {i * 7} HOUR)"
        for i in range(1, 25)
    )
    event_rows = ", ".join(
        f"(TIMESTAMP '2024-01-01 08:00:00' + INTERVAL {i * 13} MINUTE, {100 + i % 6}, "
        f'\'{_KINDS[i % len(_KINDS)]}\', \'{{"page": "/p/{i}", "ms": {i * 11 % 900}}}\')'
        for i in range(1, 31)
    )
    with engine.store.cursor() as cur:
        engine.merge(cur, orders, f"SELECT * FROM (VALUES {order_rows}) v(a, b, c, d)")
        engine.merge(cur, events, f"SELECT * FROM (VALUES {event_rows}) v(a, b, c, d)")
