"""Cluster profiles' query-port settings: kept and read back, old files load with StarRocks'
defaults, a bad port is told, and the sandbox's profile takes the sandbox's own query port."""

from __future__ import annotations

import json
from pathlib import Path

from gui.services.profiles import Profile, ProfileStore
from gui.services.session import sandbox_profiles


def test_query_port_tls_and_read_only_are_kept(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    store.put(
        Profile(
            name="c", kind="starrocks", url="http://fe:8030", query_port=19030, query_tls=True, read_only=True
        )
    )
    again = ProfileStore(tmp_path / "profiles.json").get("c")
    assert again is not None and (again.query_port, again.query_tls, again.read_only) == (19030, True, True)


def test_an_old_profile_file_loads_with_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    old = {"name": "old", "kind": "starrocks", "url": "http://fe:8030", "user": "root", "verify_tls": True}
    path.write_text(json.dumps({"profiles": [old]}))
    store = ProfileStore(path)
    p = store.get("old")
    assert store.problems == []
    assert p is not None and (p.query_port, p.query_tls, p.read_only) == (9030, False, False)


def test_a_bad_query_port_is_told_and_the_other_profiles_kept(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    records = [
        {"name": "zero", "kind": "starrocks", "query_port": 0},
        {"name": "text", "kind": "starrocks", "query_port": "9030"},
        {"name": "flag", "kind": "starrocks", "query_port": True},
        {"name": "good", "kind": "starrocks", "query_port": 9031},
    ]
    path.write_text(json.dumps({"profiles": records}))
    store = ProfileStore(path)
    assert [p.name for p in store] == ["good"]
    told = " ".join(store.problems)
    assert "'zero': query_port must be 1–65535" in told
    assert "'text': query_port has the wrong type" in told and "'flag': query_port has the wrong type" in told


def test_the_sandbox_profile_takes_the_sandboxs_query_port() -> None:
    info = {
        "url": "http://127.0.0.1:8030",
        "query_port": 41234,
        "fe_user": "root",
        "fe_password": "pw",
        "huawei": {
            "region": "r",
            "project_id": "p",
            "iam_user": "u",
            "iam_domain": "d",
            "ak": "ak",
            "iam_password": "x",
            "sk": "sk",
        },
        "ailake": {"token": "t"},
    }
    [(starrocks, _), *_] = sandbox_profiles(info)
    assert starrocks.kind == "starrocks" and starrocks.query_port == 41234
