"""The completion catalogue: StarRocks' own words, and the caller's databases, tables and columns,
offered by what the place of the cursor calls for."""

from __future__ import annotations

import pytest

from gui.services.sql.completion import Candidate, Catalogue, load_functions, load_keywords, load_reserved

SCHEMA = {
    "sales": {
        "orders": ["id", "customer_id", "amount", "order date"],
        "customers": ["id", "name", "region"],
    },
    "ops": {"Events": ["ts", "kind"], "select": ["x"]},
}


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    c = Catalogue()
    c.set_schema(SCHEMA)
    return c


def at(cat: Catalogue, marked: str, database: str = "") -> list[Candidate]:
    """Complete where ``|`` is in ``marked``."""
    offset = marked.index("|")
    return cat.complete(marked.replace("|", ""), offset, database)


def texts(cands: list[Candidate], kind: str | None = None) -> list[str]:
    return [c.text for c in cands if kind is None or c.kind == kind]


def test_the_lists_come_from_starrocks() -> None:
    keywords, functions, reserved = load_keywords(), load_functions(), set(load_reserved())
    for word in ("SELECT", "PIPE", "SUBMIT", "DECOMMISSION", "WAREHOUSE", "OVERWRITE"):
        assert word in keywords
    for fn, family in (("date_trunc", "date"), ("bitmap_union_count", "aggregate"), ("array_map", "array")):
        assert functions[fn] == family
    assert {"SELECT", "FROM", "TABLE"} <= reserved and "USER" not in reserved  # USER may name a column


def test_keywords_and_functions_follow_the_case_being_typed(cat: Catalogue) -> None:
    assert texts(at(cat, "sel|"), "keyword") == ["select"]
    assert texts(at(cat, "SEL|"), "keyword") == ["SELECT"]
    # (and the table named `select`, by its full name, in backquotes)
    assert texts(at(cat, "sel|"), "table") == ["ops.`select`"]
    assert "date_trunc" in texts(at(cat, "select date_t|"), "function")
    assert "DATE_TRUNC" in texts(at(cat, "SELECT DATE_T|"), "function")
    got = at(cat, "select date_tr|")
    assert got[0].start == len("select ") and got[0].detail == "date"


def test_after_from_and_join_come_tables(cat: Catalogue) -> None:
    # With a current database: its tables by their names, and every database (for db.table).
    got = at(cat, "SELECT * FROM |", "sales")
    assert texts(got, "table") == ["customers", "orders"]
    assert texts(got, "database") == ["ops", "sales"]
    assert not texts(got, "keyword") and not texts(got, "function")
    # Without one: tables by their full names.
    assert texts(at(cat, "SELECT * FROM o|"), "table") == ["ops.Events", "ops.`select`", "sales.orders"]
    assert texts(at(cat, "select * from sales.orders o join c|", "sales"), "table") == ["customers"]
    assert texts(at(cat, "INSERT INTO |", "sales"), "table") == ["customers", "orders"]
    assert texts(at(cat, "select * from sales.orders, |", "sales"), "table") == ["customers", "orders"]


def test_after_a_database_and_a_dot_come_its_tables(cat: Catalogue) -> None:
    assert texts(at(cat, "select * from sales.|")) == ["customers", "orders"]
    assert texts(at(cat, "select * from SALES.or|")) == ["orders"]
    # Names that StarRocks would read as a keyword come in backquotes.
    assert texts(at(cat, "select * from ops.|")) == ["Events", "`select`"]


def test_after_an_alias_or_a_table_and_a_dot_come_its_columns(cat: Catalogue) -> None:
    assert texts(at(cat, "select o.| from sales.orders o")) == ["id", "customer_id", "amount", "`order date`"]
    assert texts(at(cat, "select o.am| from sales.orders AS o")) == ["amount"]
    assert texts(
        at(cat, "select c.| from sales.orders o join sales.customers c on o.customer_id = c.id")
    ) == [
        "id",
        "name",
        "region",
    ]
    assert texts(at(cat, "select orders.| from orders", "sales")) == [
        "id",
        "customer_id",
        "amount",
        "`order date`",
    ]
    assert texts(at(cat, "select sales.customers.r| from sales.customers")) == ["region"]


def test_elsewhere_come_the_statements_columns_then_words_and_names(cat: Catalogue) -> None:
    got = at(cat, "select | from sales.orders o join sales.customers c on true")
    assert texts(got)[:6] == ["id", "customer_id", "amount", "`order date`", "name", "region"]
    assert {"keyword", "function", "database", "table"} <= {c.kind for c in got}
    where = at(cat, "select id from orders where cu|", "sales")
    assert texts(where)[0] == "customer_id"
    assert "CUBE" not in texts(where) and "cube" in texts(where)  # lower case, as typed


def test_use_offers_databases(cat: Catalogue) -> None:
    assert texts(at(cat, "USE |")) == ["ops", "sales"]


def test_a_backquote_begins_a_name(cat: Catalogue) -> None:
    assert texts(at(cat, "select * from `ord|", "sales")) == ["`orders`"]
    assert at(cat, "select * from `ord|", "sales")[0].start == len("select * from ")


def test_nothing_inside_strings_and_comments(cat: Catalogue) -> None:
    assert at(cat, "select 'abc|") == []
    assert at(cat, "select 1 -- a comm|") == []
    assert at(cat, "select 1 # a comm|") == []
    assert at(cat, "select /* a comm|") == []
    assert at(cat, "select /* closed */ sel|") != []


def test_the_statement_under_the_cursor_is_the_one_read(cat: Catalogue) -> None:
    script = "select * from sales.orders o;\nselect o.| from sales.customers o;\n"
    assert texts(at(cat, script)) == ["id", "name", "region"]
    assert texts(at(cat, "select 1; sel|"), "keyword") == ["select"]


def test_a_new_schema_replaces_the_old(cat: Catalogue) -> None:
    other = Catalogue(keywords=["SELECT"], functions={}, reserved=[])
    other.set_schema({"db": {"t": ["a"]}})
    assert texts(at(other, "select * from db.|")) == ["t"]
    other.set_schema({})
    assert at(other, "select * from db.|") == []
