"""Scripts split as StarRocks reads them, the statement under a cursor, what each statement does,
and what a read-only profile refuses."""

from __future__ import annotations

import pytest

from gui.services.sql.classify import Classification, classify, read_only_refusal
from gui.services.sql.statements import (
    NotExplainable,
    ScriptIndex,
    explain,
    split,
    statement_at,
    statements_in,
)


def texts(script: str) -> list[str]:
    return [s.text for s in split(script)]


def test_semicolons_inside_strings_names_and_comments_do_not_split() -> None:
    script = (
        "SELECT 'a;b', \"c;d\", 'it''s;', 'x\\';y', `weird;name`, `back``tick;` FROM t -- not; here\n"
        "WHERE x = 1 /* nor; here */;\n"
        "# mysql-client comment; too\n"
        "SHOW TABLES"
    )
    assert texts(script) == [
        "SELECT 'a;b', \"c;d\", 'it''s;', 'x\\';y', `weird;name`, `back``tick;` FROM t -- not; here\n"
        "WHERE x = 1",
        "SHOW TABLES",
    ]


def test_blank_and_comment_only_pieces_are_no_statements() -> None:
    assert texts(";;  -- nothing\n; /* nothing */ ;\n") == []
    assert texts("-- lead\nSELECT 1;;\n\nSELECT 2 -- trail\n") == ["SELECT 1", "SELECT 2"]


def test_starrocks_statements_no_sql_parser_knows_split_by_their_tokens() -> None:
    script = """
    CREATE PIPE p1 PROPERTIES ("AUTO_INGEST" = "TRUE") AS
      INSERT INTO t SELECT * FROM FILES ("path" = "s3://bucket/a;b/*.parquet", "format" = "parquet");
    ALTER PIPE p1 SET ("poll_interval" = "30");
    SUBMIT /*+ SET_VAR(query_timeout=100000) */ TASK t1 AS INSERT INTO x SELECT ';';
    ADMIN SET FRONTEND CONFIG ("max_routine_load_job_num" = "40");
    ALTER SYSTEM DECOMMISSION BACKEND "172.16.0.1:9050";
    CREATE FUNCTION py(INT) RETURNS INT PROPERTIES ("type" = "Python", "symbol" = "f") AS
    $$
    def f(x): return x; # a semicolon in Python code
    $$;
    SHOW PIPES
    """
    got = texts(script)
    assert [t.split()[0] + " " + t.split()[1] for t in got] == [
        "CREATE PIPE",
        "ALTER PIPE",
        "SUBMIT /*+",
        "ADMIN SET",
        "ALTER SYSTEM",
        "CREATE FUNCTION",
        "SHOW PIPES",
    ]
    assert got[5].endswith("$$")


def test_hash_comments_are_blanked_in_what_is_sent_and_positions_kept() -> None:
    (stmt,) = split("SELECT a, # the key\n  b FROM t")
    assert stmt.text == "SELECT a, # the key\n  b FROM t"
    assert stmt.sql == "SELECT a,          \n  b FROM t"
    # `--` and /* */ are StarRocks' own comments: left as they are.
    (kept,) = split("SELECT /*+ SET_VAR(a=1) */ 1 -- x\n FROM t")
    assert kept.sql == kept.text


def test_unfinished_text_never_raises() -> None:
    # A string, a backquoted name or a comment still being typed runs to the end of the text.
    assert texts("SELECT 1; SELECT 'abc; SELECT 2") == ["SELECT 1", "SELECT 'abc; SELECT 2"]
    assert split("SELECT 1; SELECT 'abc; SELECT 2")[1].unterminated
    assert texts("SELECT 1; SELECT `na;me") == ["SELECT 1", "SELECT `na;me"]
    assert texts("SELECT 1; SELECT 2 /* open; comment") == ["SELECT 1", "SELECT 2"]
    assert texts("SELECT $$ open; attachment") == ["SELECT $$ open; attachment"]


def test_offsets_are_the_scripts() -> None:
    script = "  SELECT 1 ;\n\n  SHOW DATABASES;"
    a, b = split(script)
    assert script[a.start : a.end] == a.text and script[b.start : b.end] == b.text
    assert a.terminated and b.terminated
    assert a.segment_end == script.index(";") + 1


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ("SEL|ECT 1", "SELECT 1"),
        ("SELECT 1;|", "SELECT 1"),  # right after the semicolon
        ("SELECT 1;   |", "SELECT 1"),  # on the same line, after it
        ("SELECT 1;   \n|", "SELECT 2"),  # the next line belongs to the next statement
        ("SELECT 2 FROM t|", "SELECT 2 FROM t"),
        ("-- trailing comment|", "SELECT 2 FROM t"),  # after the last statement: the last one
    ],
)
def test_the_statement_under_the_cursor(marker: str, expected: str) -> None:
    script = "SELECT 1;   \n\nSELECT 2 FROM t;\n-- trailing comment\n"
    # The marker names the place of the cursor within its stretch of the script.
    plain = marker.replace("|", "")
    offset = script.index(plain) + marker.index("|")
    stmt = statement_at(script, offset)
    assert stmt is not None
    assert stmt.text == (expected if expected != "SELECT 2" else "SELECT 2 FROM t")


def test_no_statement_in_a_blank_script() -> None:
    assert statement_at("  -- only a comment\n", 3) is None
    assert statement_at("", 0) is None


def test_a_selection_keeps_the_scripts_offsets() -> None:
    script = "SELECT 0; SELECT 1; SELECT 2;"
    start = script.index("SELECT 1")
    got = statements_in(script, start, len(script))
    assert [s.text for s in got] == ["SELECT 1", "SELECT 2"]
    assert script[got[1].start : got[1].end] == "SELECT 2"


# -- classification ----------------------------------------------------------------------------------


def one(sql: str) -> Classification:
    (stmt,) = split(sql)
    return classify(stmt)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM t",
        "(SELECT 1) UNION ALL (SELECT 2)",
        "WITH a AS (SELECT 1), b AS (SELECT 2) SELECT * FROM a JOIN b",
        "SHOW PROCESSLIST",
        "DESC t",
        "DESCRIBE db.t ALL",
        "EXPLAIN COSTS SELECT 1",
        "EXPLAIN DELETE FROM t",  # shows a plan, deletes nothing
        "ADMIN SHOW FRONTEND CONFIG LIKE '%timeout%'",
        "ADMIN SHOW REPLICA STATUS FROM t",
    ],
)
def test_read_only_statements(sql: str) -> None:
    c = one(sql)
    assert c.effect == "read" and c.read_only and not c.needs_confirmation
    assert read_only_refusal(c) is None


@pytest.mark.parametrize(
    ("sql", "verb", "confirm"),
    [
        ("DROP TABLE IF EXISTS sales.orders FORCE", "DROP TABLE", "orders"),
        ("drop table `order items`", "DROP TABLE", "order items"),
        ("DROP TEMPORARY TABLE tmp1", "DROP TEMPORARY TABLE", "tmp1"),
        ("DROP DATABASE sales", "DROP DATABASE", "sales"),
        ("DROP MATERIALIZED VIEW IF EXISTS db.mv_daily", "DROP MATERIALIZED VIEW", "mv_daily"),
        ("DROP VIEW v1", "DROP VIEW", "v1"),
        ("DROP USER 'jack'@'%'", "DROP USER", "jack"),
        ("DROP ROLE analyst", "DROP ROLE", "analyst"),
        ("DROP CATALOG hive_c", "DROP CATALOG", "hive_c"),
        ("DROP RESOURCE GROUP rg1", "DROP RESOURCE GROUP", "rg1"),
        ("DROP FUNCTION my_add(INT, INT)", "DROP FUNCTION", "my_add"),
        ("DROP INDEX idx1 ON t", "DROP INDEX", "idx1"),
        ("DROP PIPE p1", "DROP PIPE", "p1"),
        ("DROP TASK t1", "DROP TASK", "t1"),
        ("DROP STORAGE VOLUME v1", "DROP STORAGE VOLUME", "v1"),
        ("TRUNCATE TABLE sales.orders", "TRUNCATE TABLE", "orders"),
        ("TRUNCATE TABLE t PARTITION (p1, p2)", "TRUNCATE TABLE", "t"),
        ("DELETE FROM sales.orders", "DELETE without WHERE", "orders"),
        ("DELETE FROM t PARTITION p1", "DELETE without WHERE", "t"),
        ("UPDATE t SET a = 1", "UPDATE without WHERE", "t"),
        ("INSERT OVERWRITE t SELECT * FROM s", "INSERT OVERWRITE", "t"),
        ("ALTER TABLE t DROP PARTITION p1", "ALTER TABLE … DROP", "t"),
        ("ALTER SYSTEM DROP BACKEND \"172.16.0.1:9050\"", "ALTER SYSTEM", "172.16.0.1:9050"),
        ("ALTER SYSTEM ADD BACKEND 'a:9050', 'b:9050'", "ALTER SYSTEM", "ALTER SYSTEM"),
        ("ADMIN SET FRONTEND CONFIG (\"max_routine_load_job_num\" = \"40\")",
         "ADMIN SET FRONTEND CONFIG", "max_routine_load_job_num"),
        ("ADMIN SET REPLICA STATUS PROPERTIES (\"tablet_id\" = \"1\", \"status\" = \"bad\")",
         "ADMIN SET REPLICA STATUS", "ADMIN SET"),
        ("REVOKE SELECT ON TABLE db.t FROM USER 'jack'@'%'", "REVOKE", "jack"),
        ("REVOKE analyst FROM ROLE r2", "REVOKE", "r2"),
        ("SET GLOBAL query_timeout = 600", "SET GLOBAL", "query_timeout"),
        ("WITH d AS (SELECT 1) DELETE FROM t", "WITH … DELETE without WHERE", "t"),
    ],
)  # fmt: skip
def test_destructive_statements_name_what_must_be_typed(sql: str, verb: str, confirm: str) -> None:
    c = one(sql)
    assert c.effect == "destructive" and c.needs_confirmation
    assert (c.verb, c.confirm) == (verb, confirm)
    assert c.what.endswith(".") and len(c.what) >= 15
    refusal = read_only_refusal(c)
    assert refusal is not None and refusal.startswith(verb) and "read-only" in refusal


def test_the_sentences_say_what_happens() -> None:
    assert one("DROP TABLE db.t FORCE").what == (
        "Deletes the table db.t and all its data. FORCE skips the recycle bin: RECOVER cannot bring it back."
    )
    assert "RECOVER can bring it back" in one("DROP TABLE db.t").what
    assert (
        "max_routine_load_job_num to 40"
        in one("ADMIN SET FRONTEND CONFIG ('max_routine_load_job_num'='40')").what
    )
    assert one("DELETE FROM t").what == "Deletes every row of the table t."
    assert one("ALTER SYSTEM DECOMMISSION BACKEND 'h:9050'").what == (
        "Changes the cluster's nodes: decommission backend (h:9050)."
    )


@pytest.mark.parametrize(
    ("sql", "effect"),
    [
        ("DELETE FROM t WHERE id = 3", "write"),
        ("DELETE FROM t WHERE id IN (SELECT id FROM s)", "write"),
        ("UPDATE t SET a = 1 WHERE id = 3", "write"),
        ("INSERT INTO t VALUES (1)", "write"),
        ("SUBMIT TASK AS INSERT INTO t SELECT 1", "write"),
        ("CREATE PIPE p AS INSERT INTO t SELECT * FROM FILES('path'='s3://a')", "write"),
        ("SELECT * FROM t INTO OUTFILE 's3://b/out_'", "write"),  # writes files
        ("EXPLAIN ANALYZE INSERT INTO t SELECT 1", "write"),  # runs the insert
        ("ALTER TABLE t ADD COLUMN c INT", "write"),
        ("KILL 42", "write"),
        ("SET PASSWORD FOR 'jack' = PASSWORD('x')", "write"),
        ("USE sales", "session"),
        ("SET query_timeout = 600", "session"),
        ("SET ROLE ALL", "session"),
        ("SET CATALOG hive_c", "session"),
        ("SPLATTER the cluster", "write"),  # unknown: taken as a change
    ],
)
def test_writes_and_session_settings(sql: str, effect: str) -> None:
    c = one(sql)
    assert c.effect == effect and not c.needs_confirmation
    assert (read_only_refusal(c) is None) == (effect == "session")


def test_a_delete_whose_only_where_is_in_a_subquery_deletes_every_row() -> None:
    c = one("DELETE FROM t USING (SELECT id FROM s WHERE x > 1) AS q")
    assert c.effect == "destructive" and c.confirm == "t"


def test_the_read_only_refusal_says_why() -> None:
    refusal = read_only_refusal(one("INSERT INTO t VALUES (1)"))
    assert refusal == (
        "INSERT is not read-only (adds rows). This profile is read-only: it runs SELECT, SHOW, DESC, "
        "EXPLAIN, ADMIN SHOW and session settings only."
    )


# -- EXPLAIN ------------------------------------------------------------------------------------------


def test_explain_wraps_a_query_and_replaces_an_explain_already_there() -> None:
    (stmt,) = split("SELECT a # key\nFROM t")
    assert explain(stmt) == "EXPLAIN SELECT a      \nFROM t"
    assert explain(stmt, "COSTS") == "EXPLAIN COSTS SELECT a      \nFROM t"
    (again,) = split("EXPLAIN VERBOSE SELECT 1")
    assert explain(again, "COSTS") == "EXPLAIN COSTS SELECT 1"
    (insert,) = split("INSERT INTO t SELECT 1")
    assert explain(insert, "LOGICAL") == "EXPLAIN LOGICAL INSERT INTO t SELECT 1"


def test_explain_refuses_a_statement_without_a_plan() -> None:
    (drop,) = split("DROP TABLE t")
    with pytest.raises(NotExplainable, match="DROP has no query plan"):
        explain(drop)


# -- long scripts ------------------------------------------------------------------------------------

TRICKY = """-- a script whose strings and comments cross lines
SELECT 'first;
line' FROM t;
/* a comment
   over; lines */ SELECT 2;
CREATE FUNCTION f(INT) RETURNS INT AS $$
def f(x): return x;
$$;
SELECT `a
b;` FROM t2; # the mysql client's comment;
SELECT 3
;
SHOW TABLES;
SELECT 'open to the end;
"""


@pytest.mark.parametrize("chunk_lines", [1, 2, 3, 200])
def test_the_index_of_a_long_script_finds_what_a_whole_reading_finds(chunk_lines: int) -> None:
    index = ScriptIndex(chunk_lines=chunk_lines)
    whole = split(TRICKY)
    for offset in range(len(TRICKY) + 1):
        got = index.statement_at(TRICKY, offset)
        assert got is not None
        # The statement found is one of the whole reading's, with the same offsets and tokens.
        assert got in whole, (offset, got.text)
    assert [s.text.split()[0] for s in whole] == [
        "SELECT",
        "SELECT",
        "CREATE",
        "SELECT",
        "SELECT",
        "SHOW",
        "SELECT",
    ]


def test_an_edit_reads_again_only_around_it() -> None:
    script = "".join(f"SELECT {i} FROM t WHERE x = '{i};';\n" for i in range(3000))
    index = ScriptIndex()
    index.segments(script)
    read_before = len(index._chunks)
    cut = script.index("\n", 40000) + 1
    edited = script[:cut] + "SELECT 'inserted';\n" + script[cut:]
    index.segments(edited)
    # One or two stretches around the edit are new; the rest were found as they were.
    assert len(index._chunks) - read_before <= 2
    at = edited.index("SELECT 'inserted'") + 3
    stmt = index.statement_at(edited, at)
    assert stmt is not None and stmt.text == "SELECT 'inserted'"


def test_any_text_at_all_reads_without_failing() -> None:
    """Half-typed SQL of every shape: splitting, the cursor's statement, classification, EXPLAIN
    and redaction never fail, and each statement is the script's own text at its offsets."""
    import random

    from gui.services.sql.completion import Catalogue
    from gui.services.sql.secrets import redact

    pieces = [
        "select", " ", "\n", "'", '"', "`", ";", "--", "#", "/*", "*/", "$$", "$", "a", "1", ".", "(", ")",
        "from", "drop", "table", "@", "@@", "\\", "x'", "é", "\t", "where", "delete", "IDENTIFIED BY", "=",
    ]  # fmt: skip
    catalogue = Catalogue()
    catalogue.set_schema({"db": {"t": ["a", "b"]}})
    rnd = random.Random(7)
    for _ in range(300):
        script = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 30)))
        statements = split(script)
        for stmt in statements:
            assert script[stmt.start : stmt.end] == stmt.text
            classify(stmt)
            try:
                explain(stmt, "COSTS")
            except NotExplainable:
                pass
        index = ScriptIndex(chunk_lines=1)
        for offset in range(0, len(script) + 1, 4):
            found = index.statement_at(script, offset)
            assert found is None or found in statements
            catalogue.complete(script, offset, "db")
        redact(script)
