"""The Stream Load transaction interface of the sandbox, over real HTTP.

Outcomes follow StarRocks' own SQL tests (test_stream_load_basic_txn, _exception_handling,
test_prepared_timeout, test_stream_load_txn_coordinator) and the FE/BE source (api-facts part C).
"""

from __future__ import annotations

import gzip
import threading
import uuid
import zlib
from collections.abc import Iterator

import httpx
import pytest
from conftest import SandboxProcess, wait_until
from sandboxclock import advance
from txn_helpers import TABLE1, TABLE_STRICT, TxnClient, fresh_db

SR_EXC = "class com.starrocks.common.StarRocksException: "


@pytest.fixture
def client(sandbox: SandboxProcess) -> Iterator[TxnClient]:
    c = TxnClient(sandbox)
    yield c
    c.close()


def label() -> str:
    return "l_" + uuid.uuid4().hex[:16]


def count(sp: SandboxProcess, db: str, table: str) -> int:
    return int(sp.query(f"select count(*) from {table}", db=db)[0][0])


# -- the lifecycles of StarRocks' basic transaction test ----------------------------------------


def test_commit_lifecycle(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, TABLE1), label()
    begin = client.op("begin", lb, db, "table1")
    assert begin["Status"] == "OK" and begin["Label"] == lb and begin["Message"] == ""
    assert list(begin) == ["Status", "Message", "Label", "TxnId", "BeginTxnTimeMs"]
    load = client.op("load", lb, db, "table1", "1,alice\n", {"column_separator": ","})
    assert list(load) == [
        "Status",
        "Message",
        "Label",
        "TxnId",
        "LoadBytes",
        "StreamLoadPlanTimeMs",
        "ReceivedDataTimeMs",
    ]
    assert load["TxnId"] == begin["TxnId"] and load["LoadBytes"] == 8
    assert count(sandbox, db, "table1") == 0  # invisible until commit
    commit = client.op("commit", lb, db, "table1")
    assert commit["Status"] == "OK" and commit["NumberLoadedRows"] == 1
    assert list(commit)[:4] == ["Status", "Message", "Label", "TxnId"]
    assert count(sandbox, db, "table1") == 1
    again = client.op("commit", lb, db, "table1")  # answered by the FE
    assert again == {
        "Label": lb,
        "Status": "OK",
        "TxnId": begin["TxnId"],
        "Message": f"Transaction {begin['TxnId']} has already committed, label is {lb}",
    }
    assert (
        client.op("load", lb, db, "table1", "2,bob\n", {"column_separator": ","})["Status"]
        == "TXN_NOT_EXISTS"
    )
    rb = client.op("rollback", lb, db, "table1")
    assert rb["Status"] == "FAILED"
    assert rb["Message"] == f"{SR_EXC}Can not abort VISIBLE transaction {begin['TxnId']}, label is {lb}"
    assert sandbox.query("select * from table1 order by id", db=db) == [[1, "alice"]]
    dup = client.op("begin", lb, db, "table1")
    assert dup == {
        "Status": "LABEL_ALREADY_EXISTS",
        "ExistingJobStatus": "FINISHED",
        "Message": f"Label [{lb}] has already been used.",
    }


def test_rollback_lifecycle_and_label_reuse(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, TABLE1), label()
    first = client.op("begin", lb, db, "table1")
    assert client.op("load", lb, db, "table1", "1,alice\n", {"column_separator": ","})["Status"] == "OK"
    assert client.op("rollback", lb, db, "table1") == {"Status": "OK", "Message": "", "Label": lb}
    twice = client.op("rollback", lb, db, "table1")
    assert twice["Status"] == "OK"
    assert twice["Message"] == f"Transaction {first['TxnId']} has already aborted, label is {lb}"
    assert (
        client.op("load", lb, db, "table1", "2,bob\n", {"column_separator": ","})["Status"]
        == "TXN_NOT_EXISTS"
    )
    commit = client.op("commit", lb, db, "table1")
    assert commit["Status"] == "FAILED" and "Can not commit ABORTED transaction" in commit["Message"]
    assert count(sandbox, db, "table1") == 0
    second = client.op("begin", lb, db, "table1")  # the label is free again after an abort
    assert second["Status"] == "OK" and second["TxnId"] > first["TxnId"]
    assert client.load_state(db, lb) == "PREPARE"


def test_edge_cases(sandbox: SandboxProcess, client: TxnClient) -> None:
    db = fresh_db(sandbox, TABLE1)
    nb = label()
    load = client.op("load", nb, db, "table1", "1,alice\n", {"column_separator": ","})
    assert load["Status"] == "FAILED"
    assert load["Message"].startswith(f"{SR_EXC}Can't find the transaction with db [{db}] and label[{nb}].")
    commit = client.op("commit", nb, db, "table1")
    assert commit == {
        "Status": "FAILED",
        "Message": f"{SR_EXC}No transaction found with db[{db}] and label[{nb}]",
    }
    assert client.op("rollback", nb, db, "table1")["Status"] == "FAILED"

    empty = label()
    begin = client.op("begin", empty, db, "table1")
    res = client.op("commit", empty, db, "table1")
    assert res["Status"] == "INTERNAL_ERROR"
    assert f"txn_id={begin['TxnId']}" in res["Message"] and res["Message"].endswith(
        "hasn't send any data yet"
    )

    er = label()
    client.op("begin", er, db, "table1")
    assert client.op("rollback", er, db, "table1")["Status"] == "OK"

    dbl = label()
    assert client.op("begin", dbl, db, "table1")["Status"] == "OK"
    dup = client.op("begin", dbl, db, "table1")
    assert dup == {
        "Status": "LABEL_ALREADY_EXISTS",
        "ExistingJobStatus": "RUNNING",
        "Message": f"Label [{dbl}] has already been used.",
    }
    assert client.op("rollback", dbl, db, "table1")["Status"] == "OK"
    assert count(sandbox, db, "table1") == 0


def test_bad_columns_header_aborts_the_transaction(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, TABLE_STRICT), label()
    assert client.op("begin", lb, db, "table_strict")["Status"] == "OK"
    bad = client.op(
        "load", lb, db, "table_strict", "1,alice", {"column_separator": ",", "columns": "id,name"}
    )
    assert bad == {"Status": "ANALYSIS_ERROR", "Message": "Column has no default value. column: required_col"}
    retry = client.op("load", lb, db, "table_strict", "2,bob,100", {"column_separator": ","})
    assert retry["Status"] == "TXN_NOT_EXISTS"
    assert client.op("commit", lb, db, "table_strict")["Status"] == "FAILED"
    assert client.op("rollback", lb, db, "table_strict")["Status"] == "OK"
    assert count(sandbox, db, "table_strict") == 0


def test_prepare_then_commit_is_answered_by_the_fe(sandbox: SandboxProcess, client: TxnClient) -> None:
    db = fresh_db(
        sandbox,
        "CREATE TABLE `test_normal` (`id` int) ENGINE=OLAP DUPLICATE KEY(`id`) "
        'DISTRIBUTED BY HASH(`id`) BUCKETS 10 PROPERTIES ("replication_num" = "1");',
    )
    lb = label()
    begin = client.op("begin", lb, db, "test_normal")
    client.op("load", lb, db, "test_normal", "1", {"Expect": "100-continue"})
    prep = client.op("prepare", lb, db, headers={"prepared_timeout": "300"})
    assert client.last_redirect is not None and client.last_redirect.startswith(sandbox.be_url)
    assert prep["Status"] == "OK" and prep["NumberTotalRows"] == 1 and prep["NumberLoadedRows"] == 1
    assert list(prep) == [
        "Status",
        "Message",
        "Label",
        "TxnId",
        "NumberTotalRows",
        "NumberLoadedRows",
        "NumberFilteredRows",
        "NumberUnselectedRows",
        "LoadBytes",
        "LoadTimeMs",
        "StreamLoadPlanTimeMs",
        "ReceivedDataTimeMs",
        "WriteDataTimeMs",
        "CommitAndPublishTimeMs",
    ]
    assert client.load_state(db, lb) == "PREPARED"
    assert count(sandbox, db, "test_normal") == 0
    assert client.op("load", lb, db, "test_normal", "2")["Status"] == "TXN_NOT_EXISTS"
    commit = client.op("commit", lb, db)
    assert client.last_redirect is None  # the FE commits a prepared transaction itself
    assert commit == {"Label": lb, "Status": "OK", "TxnId": begin["TxnId"], "Message": ""}
    assert sandbox.query("select * from test_normal order by id", db=db) == [[1]]


def test_rollback_of_prepared_transaction_discards_rows(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, TABLE1), label()
    client.op("begin", lb, db, "table1")
    client.op("load", lb, db, "table1", "1\tx\n2\ty\n")
    assert client.op("prepare", lb, db)["Status"] == "OK"
    rb = client.op("rollback", lb, db)
    assert client.last_redirect is None and rb["Status"] == "OK"
    assert client.load_state(db, lb) == "ABORTED"
    assert count(sandbox, db, "table1") == 0


# -- what the FE checks, and its redirects ---------------------------------------------------------


def test_fe_redirects_with_307_to_the_be_keeping_path_and_query(sandbox: SandboxProcess) -> None:
    db, lb = fresh_db(sandbox, TABLE1), label()
    h = {"label": lb, "db": db, "table": "table1"}
    r = httpx.post(f"{sandbox.url}/api/transaction/begin?x=1", headers=h, auth=sandbox.auth)
    assert r.status_code == 307 and r.headers["location"] == f"{sandbox.be_url}/api/transaction/begin?x=1"
    assert r.content == b""
    # httpx drops Authorization on a cross-origin redirect: the BE then refuses the begin.
    followed = httpx.post(
        f"{sandbox.url}/api/transaction/begin", headers=h, auth=sandbox.auth, follow_redirects=True
    )
    assert followed.json() == {"Status": "INTERNAL_ERROR", "Message": "no valid Basic authorization"}


def test_fe_auth_is_checked_first(sandbox: SandboxProcess) -> None:
    r = httpx.post(f"{sandbox.url}/api/transaction/begin", headers={"label": "x", "db": "demo"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == 'Basic realm=""'
    assert r.json() == {
        "status": "FAILED",
        "code": "1",
        "msg": "Need auth information.",
        "message": "Need auth information.",
    }
    bad = httpx.post(
        f"{sandbox.url}/api/transaction/begin", headers={"label": "x", "db": "demo"}, auth=("root", "wrong")
    )
    assert bad.status_code == 401 and bad.json()["msg"].startswith("Access denied for root@")


@pytest.mark.parametrize(
    ("op", "headers", "message"),
    [
        ("begin", {"label": "a"}, "No database selected."),
        ("begin", {"db": "demo"}, "Empty label."),
        ("list", {"db": "demo", "label": "a"}, "Unknown transaction operation: list"),
        ("begin", {"db": "nodb", "label": "a", "table": "t"}, "Database[nodb] does not exist."),
    ],
)
def test_fe_refusals(sandbox: SandboxProcess, op: str, headers: dict[str, str], message: str) -> None:
    r = httpx.post(f"{sandbox.url}/api/transaction/{op}", headers=headers, auth=sandbox.auth)
    assert r.status_code == 200
    assert r.json() == {"Status": "FAILED", "Message": SR_EXC + message}


def test_fe_refuses_a_timeout_that_is_not_a_number(sandbox: SandboxProcess) -> None:
    h = {"label": "a", "db": "demo", "table": "orders", "timeout": "soon"}
    r = httpx.post(f"{sandbox.url}/api/transaction/begin", headers=h, auth=sandbox.auth)
    assert r.json() == {
        "Status": "FAILED",
        "Message": 'class java.lang.NumberFormatException: For input string: "soon"',
    }


def test_be_refusals(sandbox: SandboxProcess) -> None:
    be = sandbox.be_url
    r = httpx.post(f"{be}/api/transaction/begin", headers={"db": "demo"}, auth=sandbox.auth)
    assert r.json() == {"Status": "INVALID_ARGUMENT", "Message": "empty label"}
    r = httpx.post(
        f"{be}/api/transaction/begin",
        headers={"db": "demo", "label": "x", "table": "orders", "transaction_type": "multi"},
        auth=sandbox.auth,
    )
    assert r.json() == {
        "Status": "INVALID_ARGUMENT",
        "Message": "Multi-statement transaction requests can only be sent to FE nodes, not BE nodes",
    }
    r = httpx.post(f"{be}/api/transaction/begin", headers={"db": "demo", "label": "x", "table": "orders"})
    assert r.json() == {"Status": "INTERNAL_ERROR", "Message": "no valid Basic authorization"}
    r = httpx.post(
        f"{be}/api/transaction/begin",
        headers={"db": "demo", "label": "x", "table": "nosuch"},
        auth=sandbox.auth,
    )
    assert r.json() == {"Status": "ANALYSIS_ERROR", "Message": 'unknown table "demo.nosuch"'}
    r = httpx.post(
        f"{be}/api/transaction/begin",
        headers={"db": "demo", "label": "bad label!", "table": "orders"},
        auth=sandbox.auth,
    )
    assert r.json()["Status"] == "ANALYSIS_ERROR" and r.json()["Message"].startswith("Label format error.")
    r = httpx.put(
        f"{be}/api/transaction/load",
        headers={"db": "demo", "label": "nolabel", "table": "orders"},
        auth=sandbox.auth,
        content=b"1",
    )
    assert r.json() == {"Status": "TXN_NOT_EXISTS", "Message": "Transaction with label nolabel not exists"}
    # BE replies are pretty-printed with a 4-space indent, keys in StarRocks' order.
    assert r.text.startswith('{\n    "Status": "TXN_NOT_EXISTS",\n    "Message"')


def test_be_transaction_list_shows_open_transactions(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, TABLE1), label()
    begin = client.op("begin", lb, db, "table1", headers={"timeout": "120", "idle_transaction_timeout": "60"})
    client.op("load", lb, db, "table1", "1\ta\n2\tb\n")
    listed = {o["Label"]: o for o in client.be_list()}
    assert lb in listed
    entry = listed[lb]
    assert entry["TxnId"] == begin["TxnId"] and entry["InProcessing"] is False and entry["Status"] == "OK"
    assert entry["TransactionTimeoutSec"] == 120 and entry["IdleTransactionTimeoutSec"] == 60
    assert entry["NumberTotalRows"] == 2 and entry["LoadBytes"] == 8
    client.op("rollback", lb, db)
    assert lb not in {o["Label"] for o in client.be_list()}


def test_load_parameters_must_not_change_within_a_transaction(
    sandbox: SandboxProcess, client: TxnClient
) -> None:
    db, lb = fresh_db(sandbox, TABLE1), label()
    client.op("begin", lb, db, "table1")
    assert client.op("load", lb, db, "table1", "1,a\n", {"column_separator": ","})["Status"] == "OK"
    changed = client.op("load", lb, db, "table1", "2|b\n", {"column_separator": "|"})
    assert changed == {"Status": "INTERNAL_ERROR", "Message": "load request not equal last."}
    assert client.load_state(db, lb) == "ABORTED"


def test_load_to_another_table_or_database_is_refused(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, TABLE1, TABLE_STRICT), label()
    client.op("begin", lb, db, "table1")
    r = client.op("load", lb, db, "table_strict", "1,a,1\n", {"column_separator": ","})
    assert r == {
        "Status": "INVALID_ARGUMENT",
        "Message": "Request table table_strict not equal transaction table table1",
    }
    assert client.load_state(db, lb) == "PREPARE"  # still running: the request was refused, not applied


def test_concurrent_request_on_a_busy_transaction(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, TABLE1), label()
    client.op("begin", lb, db, "table1")
    release = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b"1\ta\n"
        release.wait(10)
        yield b"2\tb\n"

    result: dict[str, object] = {}

    def slow_load() -> None:
        with httpx.Client(timeout=30) as c:
            r = c.put(
                f"{sandbox.be_url}/api/transaction/load",
                headers={"label": lb, "db": db, "table": "table1"},
                auth=sandbox.auth,
                content=slow_body(),
            )
            result.update(r.json())

    th = threading.Thread(target=slow_load)
    th.start()
    try:
        wait_until(lambda: any(o.get("InProcessing") for o in client.be_list() if o["Label"] == lb))
        busy = client.op("commit", lb, db)
        assert busy == {
            "Status": "TXN_IN_PROCESSING",
            "Label": lb,
            "Message": "Transaction in processing, please retry later",
        }
    finally:
        release.set()
        th.join(20)
    assert result["Status"] == "OK"
    assert client.op("commit", lb, db)["NumberLoadedRows"] == 2


# -- rows: parsing, typing, filtering ----------------------------------------------------------------


def test_bad_rows_are_filtered_and_the_ratio_enforced_at_commit(
    sandbox: SandboxProcess, client: TxnClient
) -> None:
    db, lb = fresh_db(sandbox, TABLE_STRICT), label()
    rows = "1,a,10\n2,b,notanumber\n3,c\n4,d,40,extra\n5,e,50\n"
    client.op("begin", lb, db, "table_strict")
    client.op("load", lb, db, "table_strict", rows, {"column_separator": ","})
    res = client.op("commit", lb, db)
    assert res["Status"] == "INTERNAL_ERROR" and res["Message"] == "too many filtered rows"
    errors = httpx.get(res["ErrorURL"]).text.splitlines()
    assert len(errors) == 3
    assert "required_col" in errors[0] and "2,b,notanumber" in errors[0]
    assert "Value count does not match" in errors[1] and "Value count does not match" in errors[2]
    assert client.load_state(db, lb) == "ABORTED"

    ok = label()
    client.op("begin", ok, db, "table_strict")
    client.op("load", ok, db, "table_strict", rows, {"column_separator": ",", "max_filter_ratio": "0.6"})
    done = client.op("commit", ok, db)
    assert done["Status"] == "OK"
    assert (done["NumberTotalRows"], done["NumberLoadedRows"], done["NumberFilteredRows"]) == (5, 2, 3)
    assert "ErrorURL" in done
    assert sandbox.query("select id, required_col from table_strict order by id", db=db) == [[1, 10], [5, 50]]


def test_strict_mode_filters_what_non_strict_turns_into_null(
    sandbox: SandboxProcess, client: TxnClient
) -> None:
    db = fresh_db(
        sandbox,
        "CREATE TABLE t (id int, v int, s varchar(3)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    )
    data = "1,7,abc\n2,x,abc\n3,9,abcd\n4,\\N,ok\n"
    lax, strict = label(), label()
    client.op("begin", lax, db, "t")
    client.op("load", lax, db, "t", data, {"column_separator": ",", "max_filter_ratio": "1"})
    assert client.op("commit", lax, db)["NumberFilteredRows"] == 1  # only the too-long string
    client.op("begin", strict, db, "t")
    client.op(
        "load",
        strict,
        db,
        "t",
        data,
        {"column_separator": ",", "max_filter_ratio": "1", "strict_mode": "true"},
    )
    assert client.op("commit", strict, db)["NumberFilteredRows"] == 2
    rows = sandbox.query("select id, v, s from t order by id, v", db=db)
    assert rows == [[1, 7, "abc"], [1, 7, "abc"], [2, None, "abc"], [4, None, "ok"], [4, None, "ok"]]
    lb = label()
    client.op("begin", lb, db, "t")
    bad = client.op("load", lb, db, "t", data, {"strict_mode": "maybe"})
    assert bad == {"Status": "INVALID_ARGUMENT", "Message": "Invalid strict mode format. Must be bool type"}


def test_columns_mapping_expressions_and_where(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, TABLE_STRICT), label()
    client.op("begin", lb, db, "table_strict")
    headers = {
        "column_separator": ",",
        "columns": "tmp_name, id, required_col, name = upper(tmp_name)",
        "where": "required_col > 10",
    }
    client.op("load", lb, db, "table_strict", "ann,1,5\nbob,2,20\ncid,3,30\n", headers)
    res = client.op("commit", lb, db)
    assert (res["NumberTotalRows"], res["NumberLoadedRows"], res["NumberUnselectedRows"]) == (3, 2, 1)
    rows = sandbox.query("select id, name, required_col from table_strict order by id", db=db)
    assert rows == [[2, "BOB", 20], [3, "CID", 30]]


def test_json_loads(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, TABLE_STRICT), label()
    client.op("begin", lb, db, "table_strict")
    arr = '[{"id": 1, "name": "a", "required_col": 10}, {"id": 2, "required_col": 20}]'
    h = {"format": "json", "strip_outer_array": "true"}
    assert client.op("load", lb, db, "table_strict", arr, h)["Status"] == "OK"
    assert client.op("load", lb, db, "table_strict", '{"id": 3, "required_col": 30}', h)["Status"] == "OK"
    assert client.op("commit", lb, db)["NumberLoadedRows"] == 3
    paths = label()
    client.op("begin", paths, db, "table_strict")
    body = '{"data": {"rows": [{"k": 9, "n": {"v": "deep"}, "r": 90}]}}'
    client.op(
        "load",
        paths,
        db,
        "table_strict",
        body,
        {
            "format": "json",
            "strip_outer_array": "true",
            "json_root": "$.data.rows",
            "jsonpaths": '["$.k", "$.n.v", "$.r"]',
            "columns": "id, name, required_col",
        },
    )
    assert client.op("commit", paths, db)["Status"] == "OK"
    rows = sandbox.query("select id, name, required_col from table_strict order by id", db=db)
    assert rows == [[1, "a", 10], [2, None, 20], [3, None, 30], [9, "deep", 90]]
    arr_no_strip = label()
    client.op("begin", arr_no_strip, db, "table_strict")
    res = client.op("load", arr_no_strip, db, "table_strict", arr, {"format": "json"})
    assert res["Status"] == "DATA_QUALITY_ERROR"


def test_other_delimiters_and_compression(sandbox: SandboxProcess, client: TxnClient) -> None:
    db = fresh_db(sandbox, TABLE1)
    hex_sep, zipped = label(), label()
    client.op("begin", hex_sep, db, "table1")
    client.op(
        "load",
        hex_sep,
        db,
        "table1",
        b"1\x01one\x022\x01two\x02",
        {"column_separator": "\\x01", "row_delimiter": "\\x02"},
    )
    assert client.op("commit", hex_sep, db)["NumberLoadedRows"] == 2
    client.op("begin", zipped, db, "table1")
    client.op(
        "load",
        zipped,
        db,
        "table1",
        gzip.compress(b"3,three\n4,four\n"),
        {"column_separator": ",", "format": "gzip"},
    )
    assert client.op("commit", zipped, db)["NumberLoadedRows"] == 2
    assert [r[1] for r in sandbox.query("select * from table1 order by id", db=db)] == [
        "one",
        "two",
        "three",
        "four",
    ]


def test_a_deflate_body_of_many_times_its_size_loads_whole(
    sandbox: SandboxProcess, client: TxnClient
) -> None:
    """``format: deflate``: a zlib stream that inflates to some 20 times its size (the sandbox
    inflates it a megabyte at a time, whatever the ratio) loads every row."""
    db, lb = fresh_db(sandbox, TABLE1), label()
    rows = 200_000
    body = b"".join(b"%d,%s\n" % (i, b"x" * 40) for i in range(rows))
    packed = zlib.compress(body, 9)
    assert len(body) > 10 * len(packed)
    client.op("begin", lb, db, "table1")
    client.op("load", lb, db, "table1", packed, {"column_separator": ",", "format": "deflate"})
    assert client.op("commit", lb, db)["NumberLoadedRows"] == rows
    assert sandbox.query("select count(*), max(id) from table1", db=db) == [[rows, rows - 1]]


@pytest.mark.slow
def test_many_loads_in_one_transaction_keep_order_and_count(
    sandbox: SandboxProcess, client: TxnClient
) -> None:
    db, lb = fresh_db(sandbox, TABLE1), label()
    client.op("begin", lb, db, "table1")
    for chunk in range(10):
        body = "".join(f"{chunk * 100 + i}\tn{i}\n" for i in range(100))
        assert client.op("load", lb, db, "table1", body)["Status"] == "OK"
    res = client.op("commit", lb, db)
    assert res["NumberLoadedRows"] == 1000
    assert sandbox.query("select count(distinct id), min(id), max(id) from table1", db=db) == [[1000, 0, 999]]


# -- time: timeouts that abort on their own (the sandbox's clock moved instead of waiting) -------------


def test_prepared_timeout_aborts(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, TABLE1), label()
    client.op("begin", lb, db, "table1")
    client.op("load", lb, db, "table1", "3\tc\n")
    assert client.op("prepare", lb, db, headers={"prepared_timeout": "30"})["Status"] == "OK"
    advance(sandbox, 15)
    assert client.load_state(db, lb) == "PREPARED"
    advance(sandbox, 16)
    assert client.load_state(db, lb) == "ABORTED"
    assert client.op("commit", lb, db)["Status"] == "FAILED"
    invalid = label()
    client.op("begin", invalid, db, "table1")
    client.op("load", invalid, db, "table1", "3\tc\n")
    assert client.op("prepare", invalid, db, headers={"prepared_timeout": "0"}) == {
        "Status": "INVALID_ARGUMENT",
        "Message": "Invalid prepared_timeout: 0",
    }


def test_idle_and_total_timeouts_abort_running_transactions(
    sandbox: SandboxProcess, client: TxnClient
) -> None:
    db = fresh_db(sandbox, TABLE1)
    idle, total = label(), label()
    client.op("begin", idle, db, "table1", headers={"idle_transaction_timeout": "20"})
    client.op("begin", total, db, "table1", headers={"timeout": "40"})
    client.op("load", total, db, "table1", "1\ta\n")
    advance(sandbox, 21)
    assert client.load_state(db, idle) == "ABORTED"
    assert client.load_state(db, total) == "PREPARE"
    advance(sandbox, 20)
    assert client.load_state(db, total) == "ABORTED"
    assert client.op("load", total, db, "table1", "2\tb\n")["Status"] == "TXN_NOT_EXISTS"
    assert client.op("commit", total, db)["Status"] == "FAILED"
    assert count(sandbox, db, "table1") == 0


# -- restarts -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_prepared_transaction_survives_a_restart(sandbox_factory: object) -> None:
    sp: SandboxProcess = sandbox_factory()  # type: ignore[operator]
    c = TxnClient(sp)
    try:
        db = fresh_db(sp, TABLE1)
        prepared, running = label(), label()
        c.op("begin", prepared, db, "table1")
        c.op("load", prepared, db, "table1", "1\tkept\n")
        assert c.op("prepare", prepared, db)["Status"] == "OK"
        c.op("begin", running, db, "table1")
        c.op("load", running, db, "table1", "2\tlost\n")
        sp.kill()  # no clean shutdown
        sp.start()
        c.close()
        c = TxnClient(sp)
        assert c.load_state(db, running) == "ABORTED"  # the BE's context died with it
        assert c.load_state(db, prepared) == "PREPARED"
        assert c.op("commit", prepared, db)["Status"] == "OK"
        assert sp.query("select * from table1", db=db) == [[1, "kept"]]
    finally:
        c.close()


# -- plain Stream Load and load state ----------------------------------------------------------------


def test_plain_stream_load(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = (
        fresh_db(
            sandbox,
            "CREATE TABLE `t0` (`c0` int(11) NOT NULL, `c1` int(11) NOT NULL) ENGINE=OLAP "
            "DUPLICATE KEY(`c0`) DISTRIBUTED BY HASH(`c0`) BUCKETS 10",
        ),
        label(),
    )
    ok = client.stream_load(db, "t0", "1,2", {"label": lb, "column_separator": ","})
    assert client.last_redirect is not None and client.last_redirect.startswith(sandbox.be_url)
    assert ok["Status"] == "Success" and ok["Message"] == "OK" and ok["Label"] == lb
    assert ok["NumberLoadedRows"] == 1 and ok["TxnId"] > 0
    dup = client.stream_load(db, "t0", "1,2", {"label": lb, "column_separator": ","})
    # to_json: ExistingJobStatus after the Status, then every counter (zeros: nothing was loaded).
    assert dict(list(dup.items())[:5]) == {
        "TxnId": -1,
        "Label": lb,
        "Status": "Label Already Exists",
        "ExistingJobStatus": "FINISHED",
        "Message": f"Label [{lb}] has already been used.",
    }
    assert dup["NumberTotalRows"] == dup["LoadBytes"] == dup["CommitAndPublishTimeMs"] == 0
    assert sandbox.query("select c0, c1 from t0", db=db) == [[1, 2]]
    bad = client.stream_load(db, "t0", "x,2\n", {"column_separator": ","})
    assert bad["Status"] == "Fail" and bad["Message"] == "too many filtered rows" and "ErrorURL" in bad
    assert client.load_state(db, lb) == "VISIBLE"
    no_expect = httpx.put(f"{sandbox.url}/api/{db}/t0/_stream_load", content=b"1,2", auth=sandbox.auth)
    assert (
        no_expect.json()["status"] == "FAILED"
        and no_expect.json()["msg"] == "There is no 100-continue header"
    )


def test_load_state(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, TABLE1), label()
    assert client.load_state(db, lb) == "UNKNOWN"
    client.op("begin", lb, db, "table1")
    assert client.load_state(db, lb) == "PREPARE"
    r = httpx.get(f"{sandbox.url}/api/{db}/get_load_state", params={"label": lb})
    assert r.status_code == 401


@pytest.mark.slow
def test_be_advertise_address_is_used_in_redirects(sandbox_factory: object) -> None:
    # A BE address inside the cluster's network, unreachable from the client (port 9: nothing listens).
    sp: SandboxProcess = sandbox_factory("--be-advertise", "127.0.0.1:9")  # type: ignore[operator]
    r = httpx.post(
        f"{sp.url}/api/transaction/begin",
        headers={"label": "a", "db": "demo", "table": "orders"},
        auth=sp.auth,
    )
    assert r.status_code == 307 and r.headers["location"] == "http://127.0.0.1:9/api/transaction/begin"
    with pytest.raises(httpx.ConnectError):
        httpx.post(
            r.headers["location"],
            headers={"label": "a", "db": "demo", "table": "orders"},
            auth=sp.auth,
            timeout=3,
        )
    show = sp.query("show backends")
    assert any("127.0.0.1" in str(row) and "9" in str(row) for row in show)
