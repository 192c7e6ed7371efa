"""Stream Load ``columns`` mappings and ``where`` filters, as users write them, over real HTTP.

Source fields of a CSV are strings; StarRocks casts them to what each operator or function takes, so
``tmp_id * 100``, ``ifnull(tmp, 0)`` or ``year('2024-01-02')`` work. A wrong expression is refused
with the FE's own text before any data is read, and a failed plain Stream Load answers with every key
of ``StreamLoadContext::to_json``. curl drives the documentation's own example.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import SandboxProcess
from txn_helpers import TxnClient, fresh_db

# The keys StreamLoadContext::to_json writes, in its order (ErrorURL follows when there is a log).
TO_JSON_KEYS = [
    "TxnId",
    "Label",
    "Status",
    "Message",
    "NumberTotalRows",
    "NumberLoadedRows",
    "NumberFilteredRows",
    "NumberUnselectedRows",
    "LoadBytes",
    "LoadTimeMs",
    "BeginTxnTimeMs",
    "StreamLoadPlanTimeMs",
    "ReadDataTimeMs",
    "WriteDataTimeMs",
    "CommitAndPublishTimeMs",
]

# The table of the Stream Load documentation's example (a CSV of city,id loaded as id*100, city).
TABLE2 = (
    "CREATE TABLE `table2` (`id` int(11) NOT NULL, `city` varchar(50) NULL) ENGINE=OLAP "
    "DUPLICATE KEY(`id`) DISTRIBUTED BY HASH(`id`) BUCKETS 1"
)
EVENTS = (
    "CREATE TABLE `events` (\n"
    "  `id` int NOT NULL,\n"
    "  `plus_one` int NULL,\n"
    "  `filled` int NULL,\n"
    "  `hot` tinyint NULL,\n"
    "  `yr` int NULL,\n"
    "  `parsed` datetime NULL,\n"
    "  `month_text` varchar(16) NULL,\n"
    "  `day` date NULL,\n"
    "  `from_ts` varchar(32) NULL,\n"
    "  `from_ts_day` varchar(16) NULL\n"
    ") ENGINE=OLAP DUPLICATE KEY(`id`) DISTRIBUTED BY HASH(`id`) BUCKETS 1"
)
EVENTS_COLUMNS = (
    "tmp_id, tmp, d, s, ts, id = tmp_id * 10, plus_one = tmp + 1, filled = ifnull(tmp, 0), "
    "hot = if(tmp > 20, 1, 0), yr = year(d), parsed = str_to_date(s, '%d/%m/%Y %H:%i:%s'), "
    "month_text = date_format(d, '%Y%m'), day = to_date(str_to_date(s, '%d/%m/%Y %H:%i:%s')), "
    "from_ts = from_unixtime(ts), from_ts_day = from_unixtime(ts, '%Y-%m-%d')"
)
EVENTS_CSV = (
    "1,25,2024-01-02,02/01/2024 10:11:12,0\n"
    "2,\\N,2023-12-31,31/12/2023 23:59:59,1700000000\n"
    "3,10,2024-02-29,29/02/2024 00:00:01,1704067200\n"
)
EVENT_ROWS = {
    10: [
        10,
        26,
        25,
        1,
        2024,
        "2024-01-02 10:11:12",
        "202401",
        "2024-01-02",
        "1970-01-01 08:00:00",
        "1970-01-01",
    ],
    20: [
        20,
        None,
        0,
        0,
        2023,
        "2023-12-31 23:59:59",
        "202312",
        "2023-12-31",
        "2023-11-15 06:13:20",
        "2023-11-15",
    ],
    30: [
        30,
        11,
        10,
        0,
        2024,
        "2024-02-29 00:00:01",
        "202402",
        "2024-02-29",
        "2024-01-01 08:00:00",
        "2024-01-01",
    ],
}


@pytest.fixture
def client(sandbox: SandboxProcess) -> Iterator[TxnClient]:
    c = TxnClient(sandbox)
    yield c
    c.close()


def label() -> str:
    return "l_" + uuid.uuid4().hex[:16]


def rows(sp: SandboxProcess, db: str, sql: str) -> list[list[Any]]:
    return sp.query(sql, db=db)


def curl_stream_load(
    sp: SandboxProcess, db: str, table: str, data: Path, *headers: str
) -> tuple[dict[str, Any], str]:
    """curl as the documentation writes it; the answer and curl's own trace of where it went."""
    user, password = sp.auth
    cmd = ["curl", "-sS", "-v", "--location-trusted", "-u", f"{user}:{password}", "-H", "Expect:100-continue"]
    for h in headers:
        cmd += ["-H", h]
    cmd += ["-T", str(data), "-XPUT", f"{sp.url}/api/{db}/{table}/_stream_load"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    return dict(json.loads(done.stdout)), done.stderr


needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


# -- what users load ------------------------------------------------------------------------------


@needs_curl
def test_the_documentation_example_with_curl(sandbox: SandboxProcess, tmp_path: Path) -> None:
    db = fresh_db(sandbox, TABLE2)
    data = tmp_path / "example2.csv"
    data.write_text("Beijing,1\nShanghai,2\nShenzhen,3\n")
    lb = label()
    answer, trace = curl_stream_load(
        sandbox,
        db,
        "table2",
        data,
        f"label:{lb}",
        "column_separator:,",
        "columns: city,tmp_id, id = tmp_id * 100",
    )
    assert "307" in trace and sandbox.be_url.split("//")[1] in trace  # followed the FE to the BE
    assert list(answer) == TO_JSON_KEYS
    assert (answer["Status"], answer["Message"], answer["Label"]) == ("Success", "OK", lb)
    assert (answer["NumberTotalRows"], answer["NumberLoadedRows"], answer["LoadBytes"]) == (
        3,
        3,
        data.stat().st_size,
    )
    assert rows(sandbox, db, "select id, city from table2 order by id") == [
        [100, "Beijing"],
        [200, "Shanghai"],
        [300, "Shenzhen"],
    ]


def test_functions_over_string_fields(sandbox: SandboxProcess, client: TxnClient) -> None:
    db = fresh_db(sandbox, EVENTS)
    answer = client.stream_load(
        db, "events", EVENTS_CSV, {"label": label(), "column_separator": ",", "columns": EVENTS_COLUMNS}
    )
    assert answer["Status"] == "Success", answer
    assert (answer["NumberTotalRows"], answer["NumberLoadedRows"], answer["NumberFilteredRows"]) == (3, 3, 0)
    got = rows(sandbox, db, "select * from events order by id")
    assert got == [EVENT_ROWS[10], EVENT_ROWS[20], EVENT_ROWS[30]]


def test_where_over_mapped_columns(sandbox: SandboxProcess, client: TxnClient) -> None:
    db = fresh_db(sandbox, EVENTS)
    answer = client.stream_load(
        db,
        "events",
        EVENTS_CSV,
        {
            "label": label(),
            "column_separator": ",",
            "columns": EVENTS_COLUMNS,
            # The where filter reads the table's columns, after the mappings computed them.
            "where": "yr = 2024 and month(parsed) < 3 and date_format(day, '%d') != '29'",
        },
    )
    assert answer["Status"] == "Success", answer
    assert (answer["NumberTotalRows"], answer["NumberLoadedRows"], answer["NumberUnselectedRows"]) == (
        3,
        1,
        2,
    )
    assert rows(sandbox, db, "select * from events") == [EVENT_ROWS[10]]


def test_the_transaction_interface_load_step(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, EVENTS), label()
    assert client.op("begin", lb, db, "events")["Status"] == "OK"
    headers = {"column_separator": ",", "columns": EVENTS_COLUMNS, "where": "filled > 5 and hot = 0"}
    load = client.op("load", lb, db, "events", EVENTS_CSV, headers)
    assert load["Status"] == "OK", load
    commit = client.op("commit", lb, db, "events")
    assert commit["Status"] == "OK"
    assert (commit["NumberTotalRows"], commit["NumberLoadedRows"], commit["NumberUnselectedRows"]) == (
        3,
        1,
        2,
    )
    assert rows(sandbox, db, "select * from events") == [EVENT_ROWS[30]]


def test_the_load_time_zone_decides_what_from_unixtime_and_now_give(
    sandbox: SandboxProcess, client: TxnClient
) -> None:
    db = fresh_db(
        sandbox,
        "CREATE TABLE t (id int, local varchar(32), loaded_at datetime) DUPLICATE KEY(id) "
        "DISTRIBUTED BY HASH(id) BUCKETS 1",
    )
    columns = "id, ts, local = from_unixtime(ts), loaded_at = now()"
    for tz, expected in (("UTC", "1970-01-01 00:00:00"), ("-05:30", "1969-12-31 18:30:00")):
        h = {"column_separator": ",", "columns": columns, "timezone": tz}
        assert client.stream_load(db, "t", "1,0\n", h)["Status"] == "Success"
        assert rows(sandbox, db, "select local from t") == [[expected]]
        sandbox.admin_sql("truncate table t", db=db)
    bad = client.stream_load(db, "t", "1,0\n", {"column_separator": ",", "timezone": "Mars/Olympus"})
    assert bad["Status"] == "Fail" and bad["Message"] == "Unknown or incorrect time zone: 'Mars/Olympus'"


def test_values_that_do_not_convert(sandbox: SandboxProcess, client: TxnClient) -> None:
    """Non-strict mode: a mapping whose value does not convert gives NULL; a NOT NULL column
    cannot take that NULL, so the row is filtered and told in the error log."""
    db = fresh_db(sandbox, TABLE2)
    lb = label()
    failed = client.stream_load(
        db,
        "table2",
        "Beijing,1\nNowhere,x\n",
        {"label": lb, "column_separator": ",", "columns": "city,tmp_id, id = tmp_id * 100"},
    )
    assert list(failed) == [*TO_JSON_KEYS, "ErrorURL"]
    assert failed["TxnId"] > 0 and failed["Label"] == lb
    assert (failed["Status"], failed["Message"]) == ("Fail", "too many filtered rows")
    counters = [failed[k] for k in ("NumberTotalRows", "NumberLoadedRows", "NumberFilteredRows")]
    assert counters == [2, 1, 1]
    assert failed["NumberUnselectedRows"] == 0 and failed["LoadBytes"] == len("Beijing,1\nNowhere,x\n")
    assert failed["CommitAndPublishTimeMs"] == 0
    assert min(failed[k] for k in TO_JSON_KEYS[9:]) >= 0
    log = httpx.get(failed["ErrorURL"]).text
    assert log.strip() == "Error: NULL value in non-nullable column 'id'. Row: Nowhere,x"
    assert client.load_state(db, lb) == "ABORTED"
    assert rows(sandbox, db, "select count(*) from table2") == [[0]]
    tolerant = client.stream_load(
        db,
        "table2",
        "Beijing,1\nNowhere,x\n",
        {
            "column_separator": ",",
            # city is nullable: its value for "x" is NULL, not a failure
            "columns": "tmp_city,tmp_id, id = length(tmp_city), city = tmp_id + 0.5",
        },
    )
    assert tolerant["Status"] == "Success" and tolerant["NumberLoadedRows"] == 2
    assert rows(sandbox, db, "select id, city from table2 order by id") == [[7, "1.5"], [7, None]]


# -- wrong expressions, refused as StarRocks refuses them -------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("columns", "where", "message"),
    [
        (
            "city,tmp_id, id = foo(tmp_id)",
            None,
            # positions count in "COLUMNS (" + header + ")", where the FE parses the header
            "Getting analyzing error from line 1, column 27 to line 1, column 37. "
            "Detail message: No matching function with signature: foo(varchar).",
        ),
        (
            "city,tmp_id, id = str_to_date(tmp_id)",
            None,
            "Getting analyzing error from line 1, column 27 to line 1, column 45. "
            "Detail message: No matching function with signature: str_to_date(varchar).",
        ),
        ("city,tmp_id, id = tmp_idx * 100", None, "unknown reference column, column=id, reference=tmp_idx"),
        ("city,tmp_id, nope = tmp_id", None, "Mapping column is not in table. column: nope"),
        ("city,tmp_id, id = sum(tmp_id)", None, "Don't support aggregation function in load expression"),
        (
            "city,tmp_id, id = tmp_id",
            "tmp_id > 1",
            "unknown column in where statement. "
            "the column 'tmp_id' in where clause must be in the target table.",
        ),
        ("city,tmp_id, id = tmp_id", "upper(city)", "where statement is not a valid statement return bool"),
        (
            "city,tmp_id, id = tmp_id",
            "city = read_csv('/etc/passwd')",
            "Getting analyzing error from line 1, column 7 to line 1, column 29. "
            "Detail message: No matching function with signature: read_csv(varchar).",
        ),
    ],
)
def test_wrong_expressions_in_a_plain_stream_load(
    sandbox: SandboxProcess, client: TxnClient, columns: str, where: str | None, message: str
) -> None:
    db, lb = fresh_db(sandbox, TABLE2), label()
    headers = {"label": lb, "column_separator": ",", "columns": columns}
    if where is not None:
        headers["where"] = where
    answer = client.stream_load(db, "table2", "Beijing,1\n", headers)
    assert list(answer) == TO_JSON_KEYS
    assert (answer["Status"], answer["Message"]) == ("Fail", message)
    # The transaction had begun (its id is real) and was planned before any data was read.
    assert answer["TxnId"] > 0 and answer["Label"] == lb
    assert [answer[k] for k in TO_JSON_KEYS[4:10]] == [0, 0, 0, 0, 0, 0]
    assert answer["ReadDataTimeMs"] == answer["WriteDataTimeMs"] == answer["CommitAndPublishTimeMs"] == 0
    assert client.load_state(db, lb) == "ABORTED"
    assert rows(sandbox, db, "select count(*) from table2") == [[0]]


def test_a_wrong_expression_in_a_transaction_load(sandbox: SandboxProcess, client: TxnClient) -> None:
    db, lb = fresh_db(sandbox, TABLE2), label()
    client.op("begin", lb, db, "table2")
    bad = client.op(
        "load",
        lb,
        db,
        "table2",
        "Beijing,1\n",
        {"column_separator": ",", "columns": "city,tmp_id, id = foo(tmp_id)"},
    )
    assert bad == {
        "Status": "ANALYSIS_ERROR",
        "Message": "Getting analyzing error from line 1, column 27 to line 1, column 37. "
        "Detail message: No matching function with signature: foo(varchar).",
    }
    # As on a BE, a failed load ends the transaction.
    assert (
        client.op("load", lb, db, "table2", "Beijing,1\n", {"column_separator": ","})["Status"]
        == "TXN_NOT_EXISTS"
    )
    assert client.load_state(db, lb) == "ABORTED"


def test_a_syntax_error_in_the_columns_header(sandbox: SandboxProcess, client: TxnClient) -> None:
    db = fresh_db(sandbox, TABLE2)
    answer = client.stream_load(db, "table2", "Beijing,1\n", {"columns": "city,,id"})
    assert answer["Status"] == "Fail"
    assert answer["Message"].startswith(
        "Getting syntax error at line 1, column 14. Detail message: Unexpected input ','"
    )


# -- the format header ------------------------------------------------------------------------------


@needs_curl
def test_an_unknown_format_is_refused_before_a_transaction_begins(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    db, lb = fresh_db(sandbox, TABLE2), label()
    data = tmp_path / "rows.csv"
    data.write_text("Beijing,1\n")
    answer, _ = curl_stream_load(sandbox, db, "table2", data, f"label:{lb}", "format: parquet")
    assert answer == {
        "TxnId": -1,
        "Label": lb,
        "Status": "Fail",
        "Message": "unknown data format, format=parquet",
        "NumberTotalRows": 0,
        "NumberLoadedRows": 0,
        "NumberFilteredRows": 0,
        "NumberUnselectedRows": 0,
        "LoadBytes": 0,
        "LoadTimeMs": 0,
        "BeginTxnTimeMs": 0,
        "StreamLoadPlanTimeMs": 0,
        "ReadDataTimeMs": 0,
        "WriteDataTimeMs": 0,
        "CommitAndPublishTimeMs": 0,
    }
    # No transaction began: the cluster knows nothing of the label, which stays free.
    state = httpx.get(f"{sandbox.url}/api/{db}/get_load_state", params={"label": lb}, auth=sandbox.auth)
    assert state.json()["state"] == "UNKNOWN"
    assert sandbox.query(f"select label from information_schema.loads where label = '{lb}'") == []
    again, _ = curl_stream_load(
        sandbox, db, "table2", data, f"label:{lb}", "column_separator:,", "columns: city,id"
    )
    assert again["Status"] == "Success" and again["TxnId"] > 0


def test_a_bad_timeout_is_refused_before_a_transaction_begins(
    sandbox: SandboxProcess, client: TxnClient
) -> None:
    db, lb = fresh_db(sandbox, TABLE2), label()
    answer = client.stream_load(db, "table2", "Beijing,1\n", {"label": lb, "timeout": "soon"})
    assert (answer["TxnId"], answer["Status"], answer["Message"]) == (-1, "Fail", "Invalid timeout format")
    assert client.load_state(db, lb) == "UNKNOWN"
