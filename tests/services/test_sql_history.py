"""The query history: kept in the data folder, bounded, searchable, never holding a password, and
never stopped by a damaged file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from gui.services.sql.history import HistoryEntry, QueryHistory


def entry(statement: str, at: float, profile: str = "prod", **kw: object) -> HistoryEntry:
    fields: dict[str, object] = {
        "profile": profile,
        "database": "sales",
        "statement": statement,
        "started_at": at,
        "duration": 0.25,
        "rows": 3,
        "outcome": "ok",
    }
    fields.update(kw)
    return HistoryEntry(**fields)  # type: ignore[arg-type]


def test_entries_survive_a_restart_newest_first_in_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "console" / "sql-history.jsonl"
    h = QueryHistory(path)
    h.add(entry("SELECT 1", 100.0))
    h.add(entry("DELETE FROM t WHERE id = 3", 200.0, outcome="error", message="Access denied", rows=None))
    h.add(entry("SELECT sleep(100)", 300.0, outcome="cancelled", rows=None))
    again = QueryHistory(path)
    got = again.entries()
    assert [e.statement for e in got] == ["SELECT sleep(100)", "DELETE FROM t WHERE id = 3", "SELECT 1"]
    assert got[1].outcome == "error" and got[1].message == "Access denied" and got[1].rows is None
    assert got[2] == entry("SELECT 1", 100.0)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert again.problems == []


def test_the_history_is_bounded_to_the_newest(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    h = QueryHistory(path, limit=100)
    for i in range(400):
        h.add(entry(f"SELECT {i}", float(i)))
    assert len(h.entries()) == 100
    assert h.entries()[0].statement == "SELECT 399" and h.entries()[-1].statement == "SELECT 300"
    # The file itself stays near the bound, not the 400 statements run.
    assert len(path.read_text().splitlines()) <= 100 + 50
    assert [e.statement for e in QueryHistory(path, limit=100).entries()][-1] == "SELECT 300"


def test_search_by_words_and_profile(tmp_path: Path) -> None:
    h = QueryHistory(tmp_path / "h.jsonl")
    h.add(entry("SELECT * FROM orders WHERE region = 'EU'", 1.0, profile="prod"))
    h.add(entry("select count(*) from ORDERS", 2.0, profile="test"))
    h.add(entry("SHOW BACKENDS", 3.0, profile="prod"))
    assert [e.statement for e in h.search("orders")] == [
        "select count(*) from ORDERS",
        "SELECT * FROM orders WHERE region = 'EU'",
    ]
    assert [e.statement for e in h.search("eu ORDERS")] == ["SELECT * FROM orders WHERE region = 'EU'"]
    assert [e.statement for e in h.search("", profile="prod")] == [
        "SHOW BACKENDS",
        "SELECT * FROM orders WHERE region = 'EU'",
    ]
    assert h.search("orders", profile="nobody") == []
    assert h.profiles() == ["prod", "test"]


def test_passwords_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    h = QueryHistory(path)
    kept = h.add(
        entry(
            "CREATE USER jack IDENTIFIED BY 'S3cret;pw'",
            1.0,
            outcome="error",
            message="Getting syntax error at line 1, column 31. Detail message: near 'S3cret;pw'",
        )
    )
    h.add(entry("SET PASSWORD FOR jack = PASSWORD('An0ther!')", 2.0))
    h.add(entry("ALTER USER jack IDENTIFIED WITH mysql_native_password BY 'Th1rd'", 3.0))
    h.add(entry("SELECT * FROM FILES('path'='s3://b/x', \"aws.s3.secret_key\" = \"SK-fourth\")", 4.0))
    assert kept.statement == "CREATE USER jack IDENTIFIED BY '***'"
    assert "S3cret" not in kept.message and "near '***'" in kept.message
    text = path.read_text()
    for secret in ("S3cret", "An0ther", "Th1rd", "SK-fourth"):
        assert secret not in text
    assert "SET PASSWORD FOR jack = PASSWORD('***')" in text
    assert "'s3://b/x'" in text  # what is no secret stays


def test_a_damaged_file_loses_only_its_damaged_lines(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    good = json.dumps(
        {
            "profile": "p",
            "database": "",
            "statement": "SELECT 1",
            "started_at": 5,
            "duration": 0.1,
            "rows": 1,
            "outcome": "ok",
            "message": "",
        }
    )
    wrong_type = good.replace('"rows": 1', '"rows": "many"')
    path.write_bytes(
        b"\n".join(
            [good.encode(), b"{not json", b"\xff\xfe", wrong_type.encode(), b'{"profile": "p", "statem']
        )
    )
    h = QueryHistory(path)
    assert [e.statement for e in h.entries()] == ["SELECT 1"]
    assert len(h.problems) == 1 and "4 damaged entries" in h.problems[0]
    assert "rows is" in h.problems[0]
    assert h.set_aside is not None and b"{not json" in h.set_aside.read_bytes()
    # It goes on working, and the next start finds a clean file.
    h.add(entry("SELECT 2", 6.0))
    later = QueryHistory(path)
    assert later.problems == [] and [e.statement for e in later.entries()] == ["SELECT 2", "SELECT 1"]


def test_a_file_that_is_not_history_at_all_does_not_stop_it(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_bytes(os.urandom(2000).replace(b"\n", b"x"))
    h = QueryHistory(path)
    assert h.entries() == [] and h.problems
    h.add(entry("SELECT 1", 1.0))
    assert [e.statement for e in QueryHistory(path).entries()] == ["SELECT 1"]


def test_two_consoles_see_each_others_entries(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    a, b = QueryHistory(path), QueryHistory(path)
    a.add(entry("SELECT 'from a'", 1.0))
    b.add(entry("SELECT 'from b'", 2.0))
    assert [e.statement for e in a.entries()] == ["SELECT 'from b'", "SELECT 'from a'"]
    assert [e.statement for e in b.entries()] == ["SELECT 'from b'", "SELECT 'from a'"]


def test_a_history_that_cannot_be_written_is_kept_for_the_session(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    h = QueryHistory(blocker / "sql-history.jsonl")
    kept = h.add(entry("SELECT 1", 1.0))
    assert h.entries() == [kept]
    written = [p for p in h.problems if "could not be written" in p]
    assert len(written) == 1
    h.add(entry("SELECT 2", 2.0))
    assert [e.statement for e in h.entries()] == ["SELECT 2", "SELECT 1"]
    assert [p for p in h.problems if "could not be written" in p] == written  # said once
