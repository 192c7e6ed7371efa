"""What the FE does with a statement that arrives on its MySQL-protocol port (see ``mysqlport``).

One engine: queries and SHOW run through the HTTP SQL API's executor (``sql.Executor``), DDL and DML
through the admin switch's runner (``admin.Admin.run_one``), so a table made here is seen by Stream
Load and the HTTP SQL API and the other way round. On top of them, what only a MySQL session has:
session variables (``SET``, ``@@name``, ``SHOW VARIABLES``), ``KILL`` of another connection's query,
``ADMIN SHOW/SET FRONTEND CONFIG``, users, roles and grants with privileges enforced, and refusals
carrying StarRocks' MySQL error numbers and SQLSTATEs.

Everything here is synchronous and runs on a worker thread (``Store.run``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import difflib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb

from .. import passwords
from ..engine import EngineError
from . import ddl, feconfig, privileges
from . import pipes as pipes_mod
from . import sql as sqlapi
from . import system as system_mod
from . import tablets as tablets_mod

if TYPE_CHECKING:
    from ..app import Sandbox

# StarRocks' SQLSTATE for each error number it sends (ErrorCode.java); a number not listed is HY000.
SQLSTATES = {
    1007: "HY000", 1008: "HY000", 1044: "42000", 1045: "28000", 1046: "3D000", 1047: "08S01",
    1049: "42000", 1050: "42S01", 1051: "42S02", 1054: "42S22", 1058: "21S01", 1060: "42S21",
    1064: "42000", 1065: "42000", 1094: "HY000", 1102: "42000", 1103: "42000", 1104: "42000",
    1136: "21S01", 1193: "HY000", 1227: "42000", 1231: "42000", 1317: "70100", 1396: "HY000",
    5101: "F0000", 5102: "F0000", 5203: "42000", 5501: "3F000", 5502: "42602", 5509: "42S22",
    5600: "58030", 5604: "42601", 5610: "22000", 5800: "42000", 5801: "42000", 5802: "42000", 5803: "42000",
    5901: "42000", 6013: "42000",
}  # fmt: skip


WHERE_STATUS_HINT = "Where clause should looks like: status =/!= 'OK/DEAD/VERSION_ERROR/SCHEMA_ERROR/MISSING'"


class FeError(Exception):
    """A refusal as the FE sends it: MySQL error number, SQLSTATE and text."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def sqlstate(self) -> str:
        return SQLSTATES.get(self.code, "HY000")


@dataclass
class Result:
    """One statement's answer: a result set (``columns`` as (name, FE type)) or an OK packet."""

    columns: list[tuple[str, str]] | None = None
    rows: list[list[Any]] = field(default_factory=list)
    affected: int = 0
    # A SELECT's rows after ``rows``, fetched as the client reads them (None: ``rows`` is all).
    more: RowStream | None = None


class RowStream:
    """The rest of a SELECT's rows, batch by batch. The FE sends a query's rows as the BEs return
    them, so its first rows leave before the last are computed, and KILL QUERY or query_timeout stop
    it mid-result; ``fetch`` (blocking DuckDB work: call it off the event loop) gives the next batch,
    empty at the end, or raises FeError when the query was stopped. ``close`` must be called once
    the rows are read or abandoned: the statement ends there (SHOW PROCESSLIST lists it until then)."""

    def __init__(self, fetch: Any, release: Any) -> None:
        self._fetch = fetch
        self._release = release
        self._finish: Any = None
        self.closed = False

    def fetch(self) -> list[list[Any]]:
        if self.closed:
            return []
        rows: list[list[Any]] = self._fetch()
        return rows

    def close(self, ok: bool = True) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._release()
        finally:
            if self._finish is not None:
                self._finish(ok)


@dataclass
class Connection:
    """A MySQL connection's session (the FE's ConnectContext)."""

    user: str
    host: str
    db: str | None
    session: sqlapi.Session
    variables: dict[str, str] = field(default_factory=dict)
    roles: list[str] = field(default_factory=list)  # the active roles
    cancel: threading.Event = field(default_factory=threading.Event)
    killed_by: str = ""  # the KILL statement that stopped the running query

    @property
    def id(self) -> int:
        return self.session.id


USER_PROPERTY_KIND = "sr_user_property"
# UserProperty's default max_user_connections (StarRocks' documentation of SET PROPERTY).
DEFAULT_MAX_USER_CONNECTIONS = 1024
MAX_USER_CONNECTIONS_LIMIT = 10000

# The "killed manually" text is the reason StmtExecutor hands ConnectContext.kill; the error number is
# ERR_QUERY_INTERRUPTED, which the FE sets on a connection whose query is killed.
KILLED_CODE = 1317


class Frontend:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.ex = sqlapi.executor(sb)
        self.config = feconfig.FrontendConfig(
            sb.query_port, _port_of(sb.fe_url, 8030), sb.config.qe_max_connection
        )
        self.grants = privileges.Privileges(
            sb.store,
            sb.config.fe_user,
            lambda: (self.config.value("enable_validate_password") or "").lower() == "true",
        )

    # -- authentication -------------------------------------------------------------------------
    def stored_password(self, user: str) -> str | None:
        """The user's MySQL native hash (``*HEX``, or "" for no password); None: no such user."""
        if passwords.same(user, self.sb.config.fe_user):
            return passwords.mysql_native(self.sb.config.fe_password)
        return self.grants.password(user)

    def default_roles(self, user: str) -> list[str]:
        return self.grants.default_roles(user)

    def max_user_connections(self, user: str) -> int:
        """The user's max_user_connections property (SET PROPERTY), 1024 unless set."""
        doc = self.sb.store.get(USER_PROPERTY_KIND, user) or {}
        return int(doc.get("max_user_connections", DEFAULT_MAX_USER_CONNECTIONS))

    # -- statements -----------------------------------------------------------------------------
    def execute(self, conn: Connection, text: str) -> Result:
        """Run one COM_QUERY (one or more statements; the answer is the last one's)."""
        try:
            statements = ddl.split_statements(text)
        except EngineError as e:
            raise FeError(e.code, e.message) from e
        if not statements:
            raise FeError(1065, "Query was empty")
        result = Result()
        for stmt, _ in statements:
            if result.more is not None:
                result.more.close()  # only the last statement's answer is sent
            result = self._one(conn, stmt)
        return result

    def _one(self, conn: Connection, text: str) -> Result:
        self.ex.sessions.start(conn.session, text.strip())
        conn.cancel.clear()
        conn.killed_by = ""
        started = time.monotonic()
        ok = False
        streaming = False
        try:
            result = self._dispatch(conn, text)
            ok = True
            if result.more is not None:
                # The statement runs on while its rows are sent: it ends when the stream closes.
                streaming = True
                result.more._finish = lambda fine: self._finished(conn, fine, started)
            return result
        except sqlapi.SqlError as e:
            raise FeError(e.code, e.message) from e
        except EngineError as e:
            raise FeError(e.code, e.message) from e
        except privileges.Denied as e:
            raise FeError(5203, e.message) from e
        except feconfig.ConfigError as e:
            raise FeError(e.code, e.message) from e
        finally:
            if not streaming:
                self._finished(conn, ok, started)

    def _finished(self, conn: Connection, ok: bool, started: float) -> None:
        self.ex.sessions.finish(conn.session)
        conn.session.killed = False
        sqlapi.count_query(self.sb, ok, started)

    def _dispatch(self, conn: Connection, text: str) -> Result:
        words = ddl.leading_words(text, 4)
        head = words[0] if words else ""
        if head == "SET":
            return self._set(conn, text)
        if head in ("BEGIN", "COMMIT", "ROLLBACK") or words[:2] == ["START", "TRANSACTION"]:
            return Result()
        if head == "USE":
            stmt = ddl.parse(text)
            assert isinstance(stmt, ddl.Use)
            if self.ex._database_name(stmt.db) is None and stmt.db.lower() != "information_schema":
                raise FeError(1049, f"Unknown database '{stmt.db}'")
            conn.db = stmt.db
            conn.session.db = stmt.db
            return Result()
        if head == "KILL":
            return self._kill(conn, text)
        if head == "ADMIN":
            return self._admin(conn, text)
        if head in ("CREATE", "DROP", "ALTER") and len(words) > 1 and words[1] in ("USER", "ROLE"):
            self._require_user_admin(conn)
            return self._user_ddl(conn, text, words)
        if head in ("GRANT", "REVOKE"):
            self._require_user_admin(conn)
            self.grants.grant_or_revoke(text, self.ex._database_name)
            return Result()
        if head in ("CREATE", "ALTER", "DROP") and "PIPE" in words[1:4]:
            return self._pipe(conn, text, head)
        if (head == "ALTER" and words[1:2] == ["SYSTEM"]) or words[:3] == [
            "CANCEL",
            "DECOMMISSION",
            "BACKEND",
        ]:
            self.grants.require_system(conn.user, conn.roles, "NODE")
            try:
                self.sb.starrocks.system.run(text)
            except system_mod.SystemError_ as e:
                raise FeError(e.code, e.message) from e
            return Result()
        if head in ("SHOW", "DESC", "DESCRIBE"):
            return self._show(conn, text, words)
        if head in ("SELECT", "WITH", "(") or text.lstrip().startswith("("):
            return self._query(conn, text)
        if head == "EXPLAIN":
            classified = sqlapi.classify(text)
            if classified.kind != "explain":
                raise FeError(1064, "EXPLAIN takes a query")
            plan = self.ex.explain(self._substitute(conn, classified.body), conn.db)
            return Result([("Explain String", "varchar(65533)")], [[line] for line in plan.split("\n")])
        return self._write(conn, text, head)

    # -- session variables ------------------------------------------------------------------------
    def variable(self, conn: Connection, name: str) -> str | None:
        low = name.lower()
        if low in conn.variables:
            return conn.variables[low]
        if low == "query_port":
            return str(self.sb.query_port)
        return sqlapi.SESSION_VARIABLES.get(low)

    def _set(self, conn: Connection, text: str) -> Result:
        toks = ddl.tokenize(text)
        while toks and toks[-1].text == ";":
            toks = toks[:-1]
        i = 1
        if i < len(toks) and toks[i].is_word("NAMES"):
            if i + 1 < len(toks):
                charset = (
                    toks[i + 1].value.lower() if toks[i + 1].kind != ddl.WORD else toks[i + 1].text.lower()
                )
                for v in ("character_set_client", "character_set_connection", "character_set_results"):
                    conn.variables[v] = charset
            return Result()
        if i < len(toks) and toks[i].is_word("ROLE"):
            return self._set_role(conn, toks[i + 1 :])
        if i < len(toks) and toks[i].is_word("PASSWORD"):
            self.grants.set_password(conn.user, text)
            return Result()
        if i < len(toks) and toks[i].is_word("PROPERTY"):
            return self._set_property(conn, toks[i + 1 :], text)
        for assignment in _split_commas(toks[1:]):
            self._assign(conn, assignment)
        return Result()

    def _assign(self, conn: Connection, toks: list[ddl.Token]) -> None:
        j = 0
        user_variable = False
        if j < len(toks) and toks[j].text == "@":
            j += 1
            if j < len(toks) and toks[j].text == "@":
                j += 1
            else:
                user_variable = True
        scope = "SESSION"
        if j < len(toks) and toks[j].is_word("SESSION", "GLOBAL", "LOCAL"):
            scope = toks[j].value
            j += 1
            if j < len(toks) and toks[j].text == ".":
                j += 1
        if j >= len(toks):
            raise FeError(1064, "Getting syntax error. Detail message: Unexpected input '<EOF>'.")
        name = toks[j].value if toks[j].kind == ddl.QIDENT else toks[j].text
        j += 1
        if j < len(toks) and toks[j].text in ("=", ":="):
            j += 1
        value_toks = toks[j:]
        if user_variable:
            return
        low = name.lower()
        if low not in sqlapi.SESSION_VARIABLES:
            similar = difflib.get_close_matches(low, sqlapi.SESSION_VARIABLES.keys(), n=3, cutoff=0.0)
            hint = ", ".join(f"'{s}'" for s in similar)
            raise FeError(
                1193, f"Unknown system variable '{name}', the most similar variables are {{{hint}}}"
            )
        if scope == "GLOBAL":
            raise FeError(5203, privileges.denied_text("OPERATE", "SYSTEM", "", conn.roles))
        if len(value_toks) == 1:
            tok = value_toks[0]
            value = tok.value if tok.kind in (ddl.STRING, ddl.QIDENT) else tok.text
        else:
            value = "".join(t.text for t in value_toks)
        if value.upper() == "DEFAULT":
            conn.variables.pop(low, None)
            return
        conn.variables[low] = _variable_value(low, value)

    def _set_property(self, conn: Connection, toks: list[ddl.Token], text: str) -> Result:
        """SET PROPERTY [FOR 'user'] 'key' = 'value' [, ...]: the sandbox keeps max_user_connections."""
        user = conn.user
        if toks and toks[0].is_word("FOR"):
            if len(toks) < 2 or toks[1].kind not in (ddl.STRING, ddl.QIDENT, ddl.WORD):
                raise FeError(1064, sqlapi._syntax_message(text, toks[1] if len(toks) > 1 else None))
            user = toks[1].value if toks[1].kind != ddl.WORD else toks[1].text
            user = user.split("@", 1)[0].strip("'\"`")
            toks = toks[2:]
        if user != conn.user:
            self._require_user_admin(conn)
        if self.stored_password(user) is None:
            raise FeError(1064, f"Unknown user: {user}")
        pairs: dict[str, str] = {}
        for part in _split_commas(toks):
            if (
                len(part) != 3
                or part[0].kind != ddl.STRING
                or part[1].text != "="
                or part[2].kind != ddl.STRING
            ):
                raise FeError(1064, sqlapi._syntax_message(text, part[0] if part else None))
            pairs[part[0].value.lower()] = part[2].value
        for key, value in pairs.items():
            if key != "max_user_connections":
                raise FeError(1064, f"Unknown user property({key})")
            try:
                n = int(value)
            except ValueError:
                n = 0
            if not 1 <= n <= MAX_USER_CONNECTIONS_LIMIT:
                raise FeError(
                    1064,
                    f"max_user_connections is not valid, the value must be between 1 and "
                    f"{MAX_USER_CONNECTIONS_LIMIT}",
                )
        with self.sb.store.lock:
            doc = self.sb.store.get(USER_PROPERTY_KIND, user) or {}
            doc.update(pairs)
            self.sb.store.put(USER_PROPERTY_KIND, user, doc)
        return Result()

    def _set_role(self, conn: Connection, toks: list[ddl.Token]) -> Result:
        granted = self.grants.user_roles(conn.user)
        if toks and toks[0].is_word("ALL"):
            conn.roles = list(granted)
            return Result()
        if toks and toks[0].is_word("NONE"):
            conn.roles = []
            return Result()
        names = [t.value if t.kind in (ddl.STRING, ddl.QIDENT) else t.text for t in toks if t.text != ","]
        for n in names:
            if n not in granted:
                raise FeError(5203, f"Role {n} is not granted to {privileges.identity(conn.user)}")
        conn.roles = names
        return Result()

    # -- KILL ---------------------------------------------------------------------------------------
    def _kill(self, conn: Connection, text: str) -> Result:
        toks = [t for t in ddl.tokenize(text) if t.text != ";"]
        i = 1
        connection = True
        if i < len(toks) and toks[i].is_word("QUERY"):
            connection = False
            i += 1
        elif i < len(toks) and toks[i].is_word("CONNECTION"):
            i += 1
        if i != len(toks) - 1 or toks[i].kind != ddl.NUMBER or not toks[i].text.isdigit():
            raise FeError(1064, sqlapi._syntax_message(text, toks[i] if i < len(toks) else None))
        target = int(toks[i].text)
        if target == conn.id:
            # Suicide: the FE marks its own connection killed; the statement itself succeeds.
            if connection:
                conn.session.killed = True
            return Result()
        other = self.ex.sessions.get(target)
        if other is None:
            raise FeError(1094, f"Unknown thread id: {target}")
        if other.user != conn.user:
            self.grants.require_system(conn.user, conn.roles, "OPERATE")
        reason = f"killed manually: {text.strip()}"
        peer = _connections.get(target)
        if peer is not None:
            peer.killed_by = reason
        self.ex.sessions.kill(target, connection)
        return Result()

    # -- ADMIN -------------------------------------------------------------------------------------
    def _admin(self, conn: Connection, text: str) -> Result:
        self.grants.require_system(conn.user, conn.roles, "OPERATE")
        toks = [t for t in ddl.tokenize(text) if t.text != ";"]
        p = sqlapi._TokCursor(text, toks)
        p.expect("ADMIN")
        if p.accept("SHOW"):
            if p.accept("REPLICA"):
                return self._replica_status(conn, text, p)
            p.expect("FRONTEND")
            p.expect("CONFIG")
            pattern = p.like()
            p.done()
            rows = self.config.show(pattern)
            cols = ["Key", "AliasNames", "Value", "Type", "IsMutable", "Comment"]
            return Result([(c, "varchar(30)") for c in cols], [list(r) for r in rows])
        p.expect("SET")
        p.expect("FRONTEND")
        p.expect("CONFIG")
        if not p.accept_op("("):
            raise FeError(1064, sqlapi._syntax_message(text, p.peek(), "'('"))
        key = p.string()
        if not p.accept_op("="):
            raise FeError(1064, sqlapi._syntax_message(text, p.peek(), "'='"))
        value = p.string()
        if not p.accept_op(")"):
            raise FeError(1064, sqlapi._syntax_message(text, p.peek(), "')'"))
        p.done()
        self.config.set(key, value)
        return Result()

    def _replica_status(self, conn: Connection, text: str, p: sqlapi._TokCursor) -> Result:
        """ADMIN SHOW REPLICA STATUS FROM [db.]t [WHERE STATUS = | != 'state'] (MetadataViewer)."""
        p.expect("STATUS")
        p.expect("FROM")
        tdb, name = p.qualified_name()
        wanted: str | None = None
        equal = True
        if p.accept("WHERE"):
            p.expect("STATUS")
            if p.accept_op("!="):
                equal = False
            elif not p.accept_op("="):
                raise FeError(1064, WHERE_STATUS_HINT)
            wanted = p.string().upper()
            if wanted not in ("OK", "DEAD", "VERSION_ERROR", "SCHEMA_ERROR", "MISSING"):
                raise FeError(1064, f"Invalid replica status: {wanted}")
        p.done()
        tdb = tdb or conn.db
        if not tdb:
            raise FeError(1046, "No database selected")
        if self.ex._database_name(tdb) is None:
            raise FeError(1064, f"Database {tdb} does not exsit")  # sic: MetadataViewer's text
        td = self.sb.engine.table(tdb, name)
        if td is None:
            raise FeError(1064, f"Table does not exist or is not OLAP table: {name}")
        rows = tablets_mod.Tablets(self.sb).replica_status(td, wanted, equal)
        return Result([(c, "varchar(30)") for c in tablets_mod.REPLICA_STATUS_TITLES], rows)

    # -- users and roles ---------------------------------------------------------------------------
    def _require_user_admin(self, conn: Connection) -> None:
        self.grants.require_system(conn.user, conn.roles, "GRANT")

    def _user_ddl(self, conn: Connection, text: str, words: list[str]) -> Result:
        self.grants.user_ddl(text)
        return Result()

    # -- SHOW -------------------------------------------------------------------------------------
    def _show(self, conn: Connection, text: str, words: list[str]) -> Result:
        rest = words[1:]
        if rest[:1] in (["VARIABLES"], ["SESSION"], ["GLOBAL"]) and "VARIABLES" in rest[:2]:
            return self._show_variables(conn, text)
        if rest[:2] == ["FULL", "COLUMNS"] or rest[:2] == ["FULL", "FIELDS"]:
            return self._show_full_columns(conn, text)
        if rest[:1] in (["WARNINGS"], ["ERRORS"]):
            return Result([("Level", "varchar(20)"), ("Code", "int(11)"), ("Message", "varchar(20)")], [])
        if rest[:1] == ["STATUS"]:
            return Result([("Variable_name", "varchar(20)"), ("Value", "varchar(20)")], [])
        if rest[:1] == ["GRANTS"]:
            target = self.grants.show_grants_target(text, conn.user)
            if target != conn.user:
                self._require_user_admin(conn)
            rows = self.grants.show_grants(target)
            return Result([("UserIdentity", "varchar(64)"), ("Catalog", "varchar(64)"),
                           ("Grants", "varchar(1024)")], rows)  # fmt: skip
        if rest[:1] == ["ROLES"]:
            self._require_user_admin(conn)
            return Result([("Name", "varchar(64)"), ("Builtin", "varchar(8)"), ("Comment", "varchar(64)")],
                          self.grants.show_roles())  # fmt: skip
        if rest[:1] == ["USERS"]:
            self._require_user_admin(conn)
            return Result([("User", "varchar(64)")], [[u] for u in self.grants.show_users()])
        if rest[:1] == ["PROCESSLIST"] or rest[:2] == ["FULL", "PROCESSLIST"]:
            shown = self.ex.show(text, conn.db, conn.session)
            return Result(shown.columns, [list(r) for r in shown.rows])
        if (
            rest[:1] in (["TABLES"], ["FULL"])
            or rest[:2] == ["CREATE", "TABLE"]
            or words[0]
            in (
                "DESC",
                "DESCRIBE",
            )
        ):
            pass
        shown = self.ex.show(text, conn.db, conn.session)
        return Result(shown.columns, [list(r) for r in shown.rows])

    def _show_variables(self, conn: Connection, text: str) -> Result:
        toks = [t for t in ddl.tokenize(text) if t.text != ";"]
        pattern: str | None = None
        where: tuple[str, str] | None = None
        for k, t in enumerate(toks):
            if t.is_word("LIKE") and k + 1 < len(toks) and toks[k + 1].kind == ddl.STRING:
                pattern = toks[k + 1].value
            if t.is_word("WHERE") and k + 3 < len(toks) and toks[k + 3].kind == ddl.STRING:
                where = (toks[k + 1].text.lower(), toks[k + 3].value)
        names = sorted(set(sqlapi.SESSION_VARIABLES) | set(conn.variables))
        rows: list[list[Any]] = []
        for n in names:
            value = self.variable(conn, n) or ""
            if pattern is not None and not sqlapi._like(n, pattern):
                continue
            if where is not None:
                column, wanted = where
                if (column == "variable_name" and n.lower() != wanted.lower()) or (
                    column == "value" and value != wanted
                ):
                    continue
            rows.append([n, value])
        return Result([("Variable_name", "varchar(20)"), ("Value", "varchar(20)")], rows)

    def _show_full_columns(self, conn: Connection, text: str) -> Result:
        """SHOW FULL COLUMNS: DESC's columns plus Collation, Privileges and Comment, the aggregation
        of a value column in Extra (what the StarRocks SQLAlchemy dialect reads)."""
        toks = [t for t in ddl.tokenize(text) if t.text != ";"]
        plain = "SHOW " + " ".join(t.text for t in toks[2:])
        shown = self.ex.show(plain, conn.db, conn.session)
        tdb, name = _target(toks, conn.db)
        td = self.sb.engine.table(tdb, name) if tdb else None
        comments = {c.name: c.comment for c in td.columns} if td else {}
        cols = ["Field", "Type", "Collation", "Null", "Key", "Default", "Extra", "Privileges", "Comment"]
        rows = []
        for r in shown.rows:
            field_, type_, null, key, default, extra = r
            rows.append([field_, type_, None, null, key, default, extra, "", comments.get(str(field_), "")])
        return Result([(c, "varchar(30)") for c in cols], rows)

    # -- queries ------------------------------------------------------------------------------------
    def fold(self, conn: Connection, text: str, sleeps: list[int]) -> str:
        """What the FE folds before it plans a query (the HTTP SQL API's too): see ``_substitute``."""
        return self._substitute(conn, text, sleeps)

    def _substitute(self, conn: Connection, text: str, sleeps: list[int] | None = None) -> str:
        """``@@name`` and the session's information functions as literals (the FE folds them);
        ``sleep(n)`` calls, when ``sleeps`` is given, become TRUE and their seconds are added to it."""
        toks = ddl.tokenize(text, keep_space=True)
        sig = [k for k, t in enumerate(toks) if t.kind != ddl.SPACE]
        out: dict[int, tuple[int, str]] = {}  # first token index -> (last index, text)
        depth: list[int] = []  # parentheses open before each significant token
        level = 0
        for k in sig:
            depth.append(level)
            level += {"(": 1, ")": -1}.get(toks[k].text, 0)
        n = 0
        while n < len(sig):
            k = sig[n]
            t = toks[k]
            nxt = toks[sig[n + 1]] if n + 1 < len(sig) else None
            if t.text == "@" and nxt is not None and nxt.text == "@":
                m = n + 2
                if (
                    m + 1 < len(sig)
                    and toks[sig[m]].is_word("SESSION", "GLOBAL", "LOCAL")
                    and toks[sig[m + 1]].text == "."
                ):
                    m += 2
                if m >= len(sig):
                    break
                name = toks[sig[m]].text
                spelled = "".join(tok.text for tok in toks[k : sig[m] + 1])
                value = self.variable(conn, name)
                if value is None:
                    raise FeError(
                        1193, f"Unknown system variable '{name}', the most similar variables are {{}}"
                    )
                after = toks[sig[m + 1]] if m + 1 < len(sig) else None
                alias = _alias(toks[sig[n - 1]] if n else None, after, spelled, depth[n])
                out[k] = (sig[m], _literal(name, value) + alias)
                n = m + 1
                continue
            if (
                sleeps is not None
                and t.is_word("SLEEP")
                and nxt is not None
                and nxt.text == "("
                and n + 3 < len(sig)
                and toks[sig[n + 2]].kind == ddl.NUMBER
                and toks[sig[n + 2]].text.isdigit()
                and toks[sig[n + 3]].text == ")"
            ):
                sleeps.append(int(toks[sig[n + 2]].text))
                after = toks[sig[n + 4]] if n + 4 < len(sig) else None
                spelled = "".join(tok.text for tok in toks[k : sig[n + 3] + 1])
                out[k] = (
                    sig[n + 3],
                    "TRUE" + _alias(toks[sig[n - 1]] if n else None, after, spelled, depth[n]),
                )
                n += 4
                continue
            if (
                t.kind == ddl.WORD
                and nxt is not None
                and nxt.text == "("
                and n + 2 < len(sig)
                and toks[sig[n + 2]].text == ")"
                and t.value in _INFO_FUNCTIONS
                and not (n > 0 and toks[sig[n - 1]].text == ".")
            ):
                value = self._info_function(conn, t.value)
                after = toks[sig[n + 3]] if n + 3 < len(sig) else None
                spelled = t.text + "()"
                alias = _alias(toks[sig[n - 1]] if n else None, after, spelled, depth[n])
                if value is None:
                    lit = "NULL"
                elif t.value == "CONNECTION_ID":
                    lit = f"CAST({int(value)} AS BIGINT)"  # BIGINT in StarRocks, not a string
                else:
                    lit = "'" + value.replace("'", "''") + "'"
                out[k] = (sig[n + 2], lit + alias)
                n += 3
                continue
            n += 1
        if not out:
            return text
        parts: list[str] = []
        k = 0
        while k < len(toks):
            if k in out:
                last, repl = out[k]
                parts.append(repl)
                k = last + 1
                continue
            parts.append(toks[k].text)
            k += 1
        return "".join(parts)

    def _info_function(self, conn: Connection, name: str) -> str | None:
        if name in ("DATABASE", "SCHEMA"):
            return conn.db
        if name == "CONNECTION_ID":
            return str(conn.id)
        if name in ("USER", "SESSION_USER", "SYSTEM_USER"):
            return f"'{conn.user}'@{conn.host.rsplit(':', 1)[0]}"
        if name == "CURRENT_USER":
            return privileges.identity(conn.user)
        if name == "CURRENT_ROLE":
            return ", ".join(conn.roles) or "NONE"
        return None

    def _query(self, conn: Connection, text: str) -> Result:
        sleeps: list[int] = []
        sql_text = self._substitute(conn, text, sleeps)
        tr = self.ex.translate(sql_text, conn.db)
        for tdb, name in tr.tables:
            self.grants.require_table(conn.user, conn.roles, "SELECT", tdb, name)
        # The same reading of query_timeout and sql_select_limit as the HTTP SQL API's.
        limits = sqlapi.Limits.of(lambda name: self.variable(conn, name))
        timeout = limits.timeout
        timer = threading.Timer(timeout, self._timeout, (conn,))
        timer.daemon = True
        timer.start()
        try:
            # StarRocks' sleep(n) (BOOLEAN true once slept): a slow query to watch in SHOW
            # PROCESSLIST and stop with KILL QUERY or query_timeout. The sandbox sleeps once per call
            # written in the statement, before the rest runs, not once per row.
            for seconds in sleeps:
                if conn.cancel.wait(max(0, seconds)):
                    raise self._interrupted(conn, timeout) or FeError(KILLED_CODE, "killed manually")
            q = self.ex.open_query(sql_text, conn.db, conn.session)
        except sqlapi.SqlError as e:
            raise self._interrupted(conn, timeout) or FeError(e.code, e.message) from e
        except duckdb.Error as e:
            raise self._interrupted(conn, timeout) or FeError(1064, str(e).split("\n", 1)[0]) from e
        except BaseException:
            timer.cancel()
            raise
        conn.session.cursor = q.cursor
        limit = limits.max_rows
        sent = 0

        def fetch() -> list[list[Any]]:
            nonlocal sent
            try:
                if conn.killed_by:
                    raise self._interrupted(conn, timeout) or FeError(KILLED_CODE, conn.killed_by)
                if sent >= limit:
                    return []
                batch = q.cursor.fetchmany(min(sqlapi.BATCH_ROWS, limit - sent))
                if conn.killed_by:
                    raise self._interrupted(conn, timeout) or FeError(KILLED_CODE, conn.killed_by)
            except duckdb.Error as e:
                raise self._interrupted(conn, timeout) or FeError(1064, str(e).split("\n", 1)[0]) from e
            sent += len(batch)
            return [[_text(v) for v in row] for row in batch]

        def release() -> None:
            timer.cancel()
            conn.session.cursor = None
            q.close()

        more = RowStream(fetch, release)
        try:
            first = fetch()
        except BaseException:
            release()
            raise
        return Result([(name, fe_type) for name, fe_type, _ in q.columns], first, more=more)

    def _timeout(self, conn: Connection) -> None:
        conn.killed_by = "timeout"
        conn.cancel.set()
        cur = conn.session.cursor
        if cur is not None:
            try:
                cur.interrupt()
            except duckdb.Error:
                pass

    @staticmethod
    def _interrupted(conn: Connection, timeout: int) -> FeError | None:
        if conn.killed_by == "timeout":
            return FeError(sqlapi.TIMEOUT_CODE, sqlapi.Limits(timeout, 0).timeout_message())
        if conn.killed_by:
            return FeError(KILLED_CODE, conn.killed_by)
        return None

    # -- pipes ------------------------------------------------------------------------------------
    def _pipe(self, conn: Connection, text: str, head: str) -> Result:
        pipes = self.sb.starrocks.pipes
        try:
            if head == "CREATE":
                stmt = pipes_mod.parse_create(text)
                tdb = stmt.table_db or conn.db
                if tdb:
                    self.grants.require_table(conn.user, conn.roles, "INSERT", tdb, stmt.table)
                pipes.create(text, conn.db)
            elif head == "ALTER":
                pipes.alter(text, conn.db)
            else:
                pipes.drop(text, conn.db)
        except pipes_mod.PipeError as e:
            raise FeError(e.code, e.message) from e
        return Result()

    # -- DDL and DML ----------------------------------------------------------------------------------
    def _write(self, conn: Connection, text: str, head: str) -> Result:
        stmt = ddl.parse(text)
        if isinstance(stmt, ddl.CreateDatabase):
            self.grants.require_catalog(conn.user, conn.roles, "CREATE DATABASE")
        elif isinstance(stmt, ddl.DropDatabase):
            self.grants.require_db(conn.user, conn.roles, "DROP", stmt.name)
        elif isinstance(stmt, ddl.CreateTable):
            tdb = stmt.table.db or conn.db
            if tdb:
                self.grants.require_db(conn.user, conn.roles, "CREATE TABLE", tdb)
        elif isinstance(stmt, (ddl.DropTable, ddl.TruncateTable, ddl.Insert)):
            tdb = stmt.db or conn.db
            priv = {ddl.DropTable: "DROP", ddl.TruncateTable: "DELETE", ddl.Insert: "INSERT"}[type(stmt)]
            if tdb:
                self.grants.require_table(conn.user, conn.roles, priv, tdb, stmt.name)
        result, db = self.sb.admin.run_one(text, conn.db)
        if db != conn.db:
            conn.db = db
        if isinstance(stmt, ddl.DropDatabase):
            self.grants.forget_db(stmt.name)
            self.sb.starrocks.pipes.drop_database(stmt.name)
        return Result(affected=int(result.get("rowsAffected") or 0))


_INFO_FUNCTIONS = {
    "DATABASE", "SCHEMA", "CONNECTION_ID", "USER", "SESSION_USER", "SYSTEM_USER", "CURRENT_USER",
    "CURRENT_ROLE",
}  # fmt: skip

# Connections by id, so that KILL can tell the killed query why it stopped.
_connections: dict[int, Connection] = {}


def attach(conn: Connection) -> None:
    _connections[conn.id] = conn


def detach(conn: Connection) -> None:
    _connections.pop(conn.id, None)


def _alias(before: ddl.Token | None, after: ddl.Token | None, spelled: str, depth: int) -> str:
    """The column name MySQL gives a select-list item written as ``spelled`` (``@@version_comment``,
    ``database()``), when it stands alone in the select list without an alias of its own."""
    if depth != 0 or before is None or not (before.is_word("SELECT", "DISTINCT") or before.text == ","):
        return ""
    if after is not None and (
        after.is_word("AS")
        or (after.kind in (ddl.WORD, ddl.QIDENT) and not after.is_word("FROM", "LIMIT", "UNION", "INTO"))
        or after.text not in (",", ";")
        and after.kind not in (ddl.WORD, ddl.QIDENT)
    ):
        return ""
    return " AS " + sqlapi.quote_ident(spelled)


def _text(v: Any) -> Any:
    """A value as the MySQL text protocol carries it (StarRocks' MysqlRowBuffer spellings)."""
    if v is None or isinstance(v, (str, bytes)):
        return v
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, dt.datetime):
        text = v.strftime("%Y-%m-%d %H:%M:%S")
        return f"{text}.{v.microsecond:06d}" if v.microsecond else text
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    return str(v)


def _float(v: float) -> str:
    text = repr(v)
    return text[:-2] if text.endswith(".0") else text


def _literal(name: str, value: str) -> str:
    if name.lower() in _NUMERIC_VARIABLES and re.fullmatch(r"-?\d+", value):
        return value
    return "'" + value.replace("'", "''") + "'"


_NUMERIC_VARIABLES = sqlapi.NUMERIC_VARIABLES


def _variable_value(name: str, value: str) -> str:
    try:
        return sqlapi.session_variable_value(name, value)
    except sqlapi.SqlError as e:
        raise FeError(e.code, e.message) from e


def _split_commas(toks: list[ddl.Token]) -> list[list[ddl.Token]]:
    parts: list[list[ddl.Token]] = [[]]
    depth = 0
    for t in toks:
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth -= 1
        if t.text == "," and depth == 0:
            parts.append([])
        else:
            parts[-1].append(t)
    return [p for p in parts if p]


def _target(toks: list[ddl.Token], db: str | None) -> tuple[str | None, str]:
    """The table of SHOW [FULL] COLUMNS FROM t [FROM db]."""
    names = [t.value if t.kind == ddl.QIDENT else t.text for t in toks if t.kind in (ddl.WORD, ddl.QIDENT)]
    upper = [n.upper() for n in names]
    i = next(k for k, w in enumerate(upper) if w in ("FROM", "IN")) + 1
    parts = [names[i]]
    k = i + 1
    while k < len(names) and upper[k] not in ("FROM", "IN", "LIKE", "WHERE"):
        parts.append(names[k])
        k += 1
    if k + 1 < len(names) and upper[k] in ("FROM", "IN"):
        return names[k + 1], parts[-1]
    return (parts[-2] if len(parts) > 1 else db), parts[-1]


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _port_of(url: str, default: int) -> int:
    return sqlapi.host_port(url, default)[1] if url else default
