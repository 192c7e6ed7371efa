"""Words for people: one database, two databases; lists in words; reasons as sentences."""

from __future__ import annotations

from gui.services.words import join, plural, sentence, words


def test_plural_forms() -> None:
    assert plural(1, "database") == "1 database"
    assert plural(2, "database") == "2 databases"
    assert plural(0, "row") == "0 rows"
    assert plural(1, "object storage") == "1 object storage"
    assert plural(3, "index", "indexes") == "3 indexes"


def test_lists_and_sentences() -> None:
    assert words(["a"]) == "a"
    assert words(["customer", "amount"]) == "customer and amount"
    assert words(["a", "b", "c"]) == "a, b and c"
    assert sentence("must be at least 1") == "Must be at least 1"
    assert sentence("order_id is required") == "order_id is required"  # a name keeps its case
    assert join("Nothing was sent.", "", None, " 2 later files not sent. ") == (
        "Nothing was sent. 2 later files not sent."
    )
