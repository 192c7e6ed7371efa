"""StarRocks' semantics of the load expressions, one function at a time: each expression is compiled
and its DuckDB SQL run in DuckDB over string inputs, as a load runs it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from gui.sandbox.starrocks import expr

INPUTS = {"s": "hello", "n": "7", "d": "2024-01-02", "t": "2024-01-02 03:04:05", "blank": None}


@pytest.fixture(scope="module")
def cur() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    names = list(INPUTS)
    values = ", ".join("NULL" if v is None else expr.literal(v) for v in INPUTS.values())
    con.execute(f"CREATE TABLE src AS SELECT * FROM (VALUES ({values})) v({', '.join(names)})")
    yield con
    con.close()


def run(cur: duckdb.DuckDBPyConnection, text: str, timezone: str = expr.DEFAULT_TIMEZONE) -> Any:
    inputs = {name: expr.Input(f"CAST({name} AS VARCHAR)", expr.VARCHAR) for name in INPUTS}
    compiled = expr.compile_expr(text, inputs, timezone=timezone)
    row = cur.execute(f"SELECT {compiled.sql} FROM src").fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # strings read as the numbers the operator takes; whole doubles written without ".0"
        ("n * 100", 700.0),
        ("concat('x', n * 100)", "x700"),
        ("concat('x', n / 2)", "x3.5"),
        ("n div 2", 3),
        ("-7 div 2", -3),
        ("n / 0", None),
        ("n % 0", None),
        ("cast(2.7 as int)", 2),
        ("cast(-2.7 as int)", -2),
        ("cast(n as decimal(5,2))", 7),
        ("if(n > 5, 'big', 'small')", "big"),
        ("if(blank > 5, 'big', 'small')", "small"),
        ("ifnull(blank, 0)", "0"),
        ("coalesce(blank, blank, 'z')", "z"),
        ("nullif(s, 'hello')", None),
        ("case when n = 7 then 'seven' else 'other' end", "seven"),
        ("case n when 7 then 1 when 8 then 2 end", 1),
        ("greatest(1, 5, 3)", 5),
        ("greatest(1, blank)", None),
        ("round(2.5)", 3),
        ("round(-2.5)", -3),
        ("round(n / 3, 2)", 2.33),
        ("abs(-n)", 7.0),
        ("floor(n / 2)", 3),
        ("ceil(n / 2)", 4),
        ("n in (6, 7)", True),
        ("n between 1 and 10", True),
        ("s like 'he%'", True),
        ("blank is null", True),
        # strings
        ("concat(s, blank)", None),
        ("concat_ws('-', s, blank, n)", "hello-7"),
        ("substr(s, 2)", "ello"),
        ("substr(s, 2, 3)", "ell"),
        ("substr(s, -3, 2)", "ll"),
        ("substr(s, 0)", ""),
        ("substr(s, -10)", ""),
        ("substring(s, 1, 0)", ""),
        ("upper(s)", "HELLO"),
        ("lower('ABC')", "abc"),
        ("length('héllo')", 6),
        ("char_length('héllo')", 5),
        ("left(s, 2)", "he"),
        ("right(s, 3)", "llo"),
        ("replace(s, 'l', 'L')", "heLLo"),
        ("lpad(n, 3, '0')", "007"),
        ("split_part('a,b,c', ',', 2)", "b"),
        ("locate('l', s)", 3),
        ("locate('l', s, 4)", 4),
        ("instr(s, 'lo')", 4),
        ("trim('  x  ')", "x"),
        ("reverse(s)", "olleh"),
        ("regexp_replace(s, 'l', '')", "heo"),
        # dates and times: strings read as DATETIME, MySQL formats, the load's time zone
        ("year(d)", 2024),
        ("month(t)", 1),
        ("day(d)", 2),
        ("hour(t)", 3),
        ("year('20240305')", 2024),
        ("quarter(d)", 1),
        ("dayofweek(d)", 3),
        ("to_date(t)", dt.date(2024, 1, 2)),
        ("date_format(t, '%Y-%m-%d %H:%i:%s')", "2024-01-02 03:04:05"),
        ("date_format(t, '%W %M %e %c %k %l %p %j %T %y')", "Tuesday January 2 1 3 3 AM 002 03:04:05 24"),
        ("date_format(t, 'yyyyMMdd')", "20240102"),
        ("str_to_date('2024-1-2 3:4:5', '%Y-%m-%d %H:%i:%s')", dt.datetime(2024, 1, 2, 3, 4, 5)),
        ("str_to_date('02/01/2024', '%d/%m/%Y')", dt.datetime(2024, 1, 2)),
        ("str_to_date('January 2 2024', '%M %e %Y')", dt.datetime(2024, 1, 2)),
        ("str_to_date(s, '%Y-%m-%d')", None),
        ("from_unixtime(0)", "1970-01-01 08:00:00"),
        ("from_unixtime(1704067200, '%Y-%m-%d %H')", "2024-01-01 08"),
        ("from_unixtime(-1)", None),
        ("unix_timestamp('1970-01-01 08:00:10')", 10),
        ("datediff('2024-01-10', d)", 8),
        ("date_add(d, interval 1 month)", dt.datetime(2024, 2, 2)),
        ("date_sub(t, interval 4 hour)", dt.datetime(2024, 1, 1, 23, 4, 5)),
        ("days_add(d, 30)", dt.datetime(2024, 2, 1)),
        ("t + interval 1 day", dt.datetime(2024, 1, 3, 3, 4, 5)),
        ("date_trunc('month', t)", dt.datetime(2024, 1, 1)),
    ],
)
def test_value(cur: duckdb.DuckDBPyConnection, text: str, value: Any) -> None:
    got = run(cur, text)
    if isinstance(value, float):
        assert got == pytest.approx(value)
    else:
        assert got == value


def test_time_zones(cur: duckdb.DuckDBPyConnection) -> None:
    assert run(cur, "from_unixtime(0)", "UTC") == "1970-01-01 00:00:00"
    assert run(cur, "from_unixtime(0)", expr.normalize_timezone("+05:45")) == "1970-01-01 05:45:00"
    assert run(cur, "unix_timestamp('1970-01-01 05:45:00')", expr.normalize_timezone("+05:45")) == 0
    assert expr.normalize_timezone("CST") == "Asia/Shanghai"
    with pytest.raises(expr.ExprError, match="Unknown or incorrect time zone: 'Nowhere'"):
        expr.normalize_timezone("Nowhere")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "upper(s, 1)",
            "Getting analyzing error from line 1, column 0 to line 1, column 10. "
            "Detail message: No matching function with signature: upper(varchar, tinyint(4)).",
        ),
        (
            "1 + nope(s, 2.5, true)",
            "Getting analyzing error from line 1, column 4 to line 1, column 21. "
            "Detail message: No matching function with signature: nope(varchar, decimal32(2, 1), boolean).",
        ),
        ("s +", "Getting syntax error at line 1, column 3. Detail message: Unexpected input '<EOF>'."),
        ("s, n", "Getting syntax error at line 1, column 1. Detail message: Unexpected input ','."),
        ("s; select 1", "Getting syntax error at line 1, column 1. Detail message: Unexpected input ';'."),
        ("count(*)", "Don't support aggregation function in load expression"),
        ("date_format(t, s)", "the sandbox emulates date_format with a constant format only"),
        ("date_format(t, '%D')", "the sandbox does not emulate the date format specifier '%D'"),
    ],
)
def test_refusals(text: str, message: str) -> None:
    inputs = {name: expr.Input(name, expr.VARCHAR) for name in INPUTS}
    with pytest.raises(expr.ExprError) as caught:
        expr.compile_expr(text, inputs)
    assert message in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "read_csv('/etc/passwd')",
        "(select * from read_text('/etc/passwd'))",
        "s in (select 1)",
        "glob('/*')",
        "current_setting('home_directory')",
    ],
)
def test_nothing_outside_the_listed_functions_reaches_duckdb(text: str) -> None:
    inputs = {name: expr.Input(name, expr.VARCHAR) for name in INPUTS}
    with pytest.raises(expr.ExprError):
        expr.compile_expr(text, inputs)
