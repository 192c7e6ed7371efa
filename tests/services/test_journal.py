"""The journal: damaged records are set aside and named, never a stop to every load; its folder
and records are for the user's eyes only; the loads of one file are found again."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from gui.services.journal import Journal, JournalEntry

FE = "http://fe.example:8030"


def entry(label: str, **kw: object) -> JournalEntry:
    return JournalEntry(label=label, fe_url=FE, db="d", table="t", **kw)  # type: ignore[arg-type]


def good_record(journal: Journal, label: str = "good") -> JournalEntry:
    e = entry(label, file="/data/a.csv", file_size=10, file_mtime_ns=5, step="done")
    journal.save(e)
    return e


DAMAGED = {
    "empty-list": b"[]",
    "null": b"null",
    "bytes": b"\xff\xfe\x00garbage\x81",
    "truncated": b'{"label": "x", "fe_url": "http://fe:8030", "db": "d", "tab',
    "label-not-text": json.dumps({"label": 5, "fe_url": FE, "db": "d", "table": "t"}).encode(),
    "count-not-number": json.dumps(
        {"label": "x", "fe_url": FE, "db": "d", "table": "t", "chunks_done": "three"}
    ).encode(),
    "options-not-object": json.dumps(
        {"label": "x", "fe_url": FE, "db": "d", "table": "t", "options": []}
    ).encode(),
    "files-wrong": json.dumps({"label": "x", "fe_url": FE, "db": "d", "table": "t", "files": ["a"]}).encode(),
    "no-table": json.dumps({"label": "x", "fe_url": FE, "db": "d"}).encode(),
}


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_record_is_set_aside_and_named(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    journal = Journal(tmp_path / "journal")
    good = good_record(journal)
    bad = journal.root / "0123456789abcdef0123456789abcdef.json"
    bad.write_bytes(content)

    with caplog.at_level(logging.WARNING, logger="starrocks_console.journal"):
        found = journal.entries()

    assert [e.label for e in found] == [good.label]
    assert not bad.exists()
    [aside] = journal.set_aside
    assert aside.parent == journal.root and aside.name.startswith(bad.name + ".damaged-")
    assert aside.read_bytes() == content  # kept for a person to look at
    assert str(bad) in caplog.text and str(aside) in caplog.text
    # The next look finds the journal clean: the same file is not named twice.
    assert [e.label for e in journal.entries()] == [good.label] and len(journal.set_aside) == 1


def test_a_damaged_record_of_the_label_asked_for_is_set_aside(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    e = entry("lbl")
    journal.save(e)
    path = journal._path(FE, "d", "lbl")
    path.write_text("null")
    assert journal.get(FE, "d", "lbl") is None
    assert len(journal.set_aside) == 1 and not path.exists()
    journal.save(e)  # the label can be written again
    got = journal.get(FE, "d", "lbl")
    assert got is not None and got.label == "lbl"


def test_another_writers_temporary_file_is_left_alone(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    good_record(journal)
    tmp = journal.root / ".tmp-abc.json"
    tmp.write_text('{"label": "half-writ')
    assert len(journal.entries()) == 1
    assert tmp.exists() and journal.set_aside == []


def test_folder_0700_and_records_0600(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "data" / "journal")
    good_record(journal)
    assert stat.S_IMODE(journal.root.stat().st_mode) == 0o700
    for path in journal.root.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_folder_made_open_by_an_older_version_is_closed(tmp_path: Path) -> None:
    root = tmp_path / "journal"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    good_record(Journal(root))
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_loads_of_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    path = str(tmp_path / "a.csv")
    single = entry("one", file=path, file_size=10, file_mtime_ns=5, step="done")
    journal.save(single)
    several = entry(
        "two",
        file="x; y",
        step="done",
        files=[{"path": "/else.csv", "size": 1, "mtime_ns": 1}, {"path": path, "size": 10, "mtime_ns": 5}],
    )
    journal.save(several)
    journal.save(entry("open", file=path, file_size=10, file_mtime_ns=5, step="loading"))
    journal.save(entry("changed", file=path, file_size=11, file_mtime_ns=5, step="done"))
    other_table = JournalEntry(
        label="other", fe_url=FE, db="d", table="u", file=path, file_size=10, file_mtime_ns=5, step="done"
    )
    journal.save(other_table)

    found = journal.loads_of_file(FE + "/", "d", "t", path, 10, 5)
    assert [e.label for e in found] == ["two", "one"]  # newest first; only finished, same file
    assert journal.loads_of_file("http://other:8030", "d", "t", path, 10, 5) == []
    # What the window writes for a transaction of several files reads back as written.
    again = journal.get(FE, "d", "two")
    assert again is not None and again.files == several.files
