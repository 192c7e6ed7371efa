"""The FE's PIPE statements and the pipes they make (StarRocks 3.2+: PipeManager, Pipe, FilePipeSource,
FileListRepo), over files in the sandbox's own data folder.

``CREATE [OR REPLACE] PIPE [IF NOT EXISTS] [db.]p [PROPERTIES (...)] AS INSERT INTO [db.]t [(cols)]
SELECT * FROM FILES("path" = "file:///...", "format" = "csv"|"parquet", ...)``, ``ALTER PIPE p
SUSPEND | RESUME | RETRY ALL | RETRY FILE '<file>' | SET (...)``, ``DROP PIPE [IF EXISTS] p``, ``SHOW
PIPES [FROM db] [LIKE '...' | WHERE NAME = '...']``, and ``information_schema.pipes`` /
``pipe_files``. What StarRocks' code does and the sandbox does too:

- a pipe polls its path every ``poll_interval`` seconds (of the sandbox's clock) and stages each file
  it has not seen, told apart by name and version (the modification time, as Hadoop's file status
  gives it for a file that is not on S3); it lists again only once no staged file is UNLOADED;
  ``auto_ingest`` = false lists once and the pipe ends FINISHED (or ERROR when files failed);
- files are loaded in pieces of at most ``batch_files`` files / ``batch_size`` bytes, one INSERT
  transaction per piece: a piece's rows and its files' FINISHED state are written in one DuckDB
  transaction, so a file's rows are in the table once or not at all; a file left LOADING by a
  stopped sandbox is ERROR when the pipe next runs (no rows of it were committed);
- the INSERT is strict (enable_insert_strict): a piece with a row that does not fit fails whole, its
  files ERROR with the task's message; StarRocks retries a failed task, and a piece that fails the
  same way each time puts the pipe in ERROR (more than FAILED_TASK_THRESHOLD failed executions);
- ``SUSPEND`` stops polling and loading, ``RESUME`` starts them again, ``RETRY FILE`` sets one ERROR
  file back to UNLOADED and ``RETRY ALL`` every one (both RUNNING again a SUSPEND or ERROR pipe).

A path outside the data folder is answered as StarRocks answers a path its process cannot read
(ERR_NO_FILES_FOUND), so nothing outside it is ever listed or read.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ..engine import EngineError, TableDef, quote_ident
from ..store import STAGING_SCHEMA
from . import ddl, loader
from . import sql as sqlapi

if TYPE_CHECKING:
    from ..app import Sandbox

K_PIPE = "sr_pipe"
K_FILE = "sr_pipe_file"

# Pipe.java / PipeAnalyzer.java
MAX_POLL_INTERVAL = 3600
DEFAULT_BATCH_SIZE = 1 << 30
DEFAULT_BATCH_FILES = 256
FAILED_TASK_THRESHOLD = 5
# Config.pipe_default_poll_interval_s is not in the references the sandbox was written from; the
# documentation of CREATE PIPE gives 300 s as POLL_INTERVAL's default.
DEFAULT_POLL_SECONDS = 300
SUPPORTED_PROPERTIES = ("auto_ingest", "poll_interval", "batch_size", "batch_files", "warehouse")

# Pipe.State (SHOW PIPES and information_schema.pipes print the enum's name: SUSPEND, not the
# documentation's SUSPENDED — the code wins).
RUNNING, SUSPEND, FINISHED, ERROR = "RUNNING", "SUSPEND", "FINISHED", "ERROR"
# FileListRepo.PipeFileState
UNLOADED, LOADING, LOADED, FILE_ERROR = "UNLOADED", "LOADING", "FINISHED", "ERROR"

# ErrorCode.java
ERR_NO_DB_ERROR = 1046
ERR_BAD_PIPE_STATEMENT = 5800
ERR_UNKNOWN_PIPE = 5801
ERR_PIPE_EXISTS = 5802
ERR_UNKNOWN_PROPERTY = 5803
ERR_NO_FILES_FOUND = 5600
ERR_INVALID_PARAMETER = 6013

_CSV_OPTIONS = {
    "csv.column_separator": "column_separator",
    "csv.row_delimiter": "row_delimiter",
    "csv.skip_header": "skip_header",
    "csv.enclose": "enclose",
    "csv.escape": "escape",
    "csv.trim_space": "trim_space",
}


class PipeError(Exception):
    """A refusal with StarRocks' error number."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def no_files_found(path: str) -> PipeError:
    return PipeError(
        ERR_NO_FILES_FOUND,
        f"No files were found matching the pattern(s) or path(s): '{path}'. You should check whether there "
        "are files under the path, and make sure the process has the permission to access the path",
    )


def _time(seconds: float | None) -> str | None:
    """DateUtils.formatDateTimeUnix: local ``yyyy-MM-dd HH:mm:ss``."""
    if not seconds:
        return None
    return dt.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def _bool(value: str, name: str) -> bool:
    """ParseUtil.parseBooleanValue."""
    low = value.strip().lower()
    if low in ("true", "1", "on", "yes"):
        return True
    if low in ("false", "0", "off", "no"):
        return False
    raise PipeError(1064, f"Invalid {name}: {value}")


def _data_volume(value: str) -> int:
    """ParseUtil.parseDataVolumeStr: a number with an optional B/K/KB/M/MB/G/GB/T/TB/P/PB unit."""
    text = value.strip().upper()
    units = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "M": 1 << 20, "MB": 1 << 20, "G": 1 << 30,
             "GB": 1 << 30, "T": 1 << 40, "TB": 1 << 40, "P": 1 << 50, "PB": 1 << 50}  # fmt: skip
    num = text.rstrip("BKMGTP")
    unit = text[len(num) :]
    try:
        number = float(num)
    except ValueError:
        return -1
    if unit not in units:
        return -1
    return int(number * units[unit])


def check_properties(props: dict[str, str]) -> dict[str, str]:
    """PipeAnalyzer.analyzeProperties; returns them keyed in lower case."""
    out: dict[str, str] = {}
    for name, value in props.items():
        low = name.lower()
        if low.startswith("task."):
            if low[5:] not in sqlapi.SESSION_VARIABLES:
                raise PipeError(ERR_UNKNOWN_PROPERTY, f"Unknown property {name}")
            out[low] = value
            continue
        if low not in SUPPORTED_PROPERTIES:
            raise PipeError(ERR_UNKNOWN_PROPERTY, f"Unknown property {name}")
        if low == "poll_interval":
            try:
                n = int(value)
            except ValueError:
                n = -1
            if not 1 <= n <= MAX_POLL_INTERVAL:
                raise PipeError(
                    ERR_INVALID_PARAMETER,
                    f"Invalid parameter poll_interval should in [1, {MAX_POLL_INTERVAL}]",
                )
        elif low == "batch_size":
            if _data_volume(value) < 0:
                raise PipeError(
                    ERR_INVALID_PARAMETER, "Invalid parameter batch_size should be greater than 0"
                )
        elif low == "batch_files":
            try:
                n = int(value)
            except ValueError:
                n = -1
            if not 1 <= n <= 1024:
                raise PipeError(ERR_INVALID_PARAMETER, "Invalid parameter batch_files should in [1, 1024]")
        elif low == "auto_ingest":
            _bool(value, "auto_ingest")
        elif low == "warehouse" and value != "default_warehouse":
            raise PipeError(5901, f"Warehouse {value} not exist.")
        out[low] = value
    return out


@dataclass
class CreatePipe:
    db: str | None
    name: str
    if_not_exists: bool
    replace: bool
    properties: dict[str, str]
    insert_sql: str
    table_db: str | None
    table: str
    columns: list[str] | None
    files: dict[str, str]


def _props(p: sqlapi._TokCursor) -> dict[str, str]:
    props: dict[str, str] = {}
    if not p.accept_op("("):
        raise sqlapi.SqlError(sqlapi._syntax_message(p.sql, p.peek(), "'('"))
    if p.accept_op(")"):
        return props
    while True:
        key = p.string()
        if not p.accept_op("="):
            raise sqlapi.SqlError(sqlapi._syntax_message(p.sql, p.peek(), "'='"))
        props[key] = p.string()
        if p.accept_op(","):
            continue
        if not p.accept_op(")"):
            raise sqlapi.SqlError(sqlapi._syntax_message(p.sql, p.peek(), "')'"))
        return props


def parse_create(text: str) -> CreatePipe:
    p = sqlapi._TokCursor(text, ddl.tokenize(text))
    p.expect("CREATE")
    replace = False
    if p.accept("OR"):
        p.expect("REPLACE")
        replace = True
    p.expect("PIPE")
    if_not_exists = False
    if p.accept("IF"):
        p.expect("NOT")
        p.expect("EXISTS")
        if_not_exists = True
    db, name = p.qualified_name()
    props: dict[str, str] = {}
    if p.accept("PROPERTIES"):
        props = _props(p)
    p.expect("AS")
    start = p.peek()
    p.expect("INSERT")
    if p.accept("OVERWRITE"):
        raise PipeError(ERR_BAD_PIPE_STATEMENT, "Bad pipe statement: 'INSERT INTO cannot be OVERWRITE'")
    p.expect("INTO")
    tdb, table = p.qualified_name()
    if p.accept("WITH"):
        raise PipeError(ERR_BAD_PIPE_STATEMENT, "Bad pipe statement: 'INSERT INTO cannot with label'")
    columns: list[str] | None = None
    if p.accept_op("("):
        columns = [p.ident()]
        while p.accept_op(","):
            columns.append(p.ident())
        if not p.accept_op(")"):
            raise sqlapi.SqlError(sqlapi._syntax_message(text, p.peek(), "')'"))
    p.expect("SELECT")
    if not p.accept_op("*"):
        raise PipeError(
            1064,
            "The sandbox runs pipes whose INSERT selects * from FILES() (optionally into a column list); "
            "write the projection as the INSERT's column list",
        )
    p.expect("FROM")
    tok = p.peek()
    if tok is None or not tok.is_word("FILES"):
        raise PipeError(ERR_BAD_PIPE_STATEMENT, "Bad pipe statement: 'only support FileTableFunction'")
    p.i += 1
    files = _props(p)
    if p.peek() is not None:
        raise PipeError(
            ERR_BAD_PIPE_STATEMENT,
            "Bad pipe statement: 'must be a vanilla select statement. Aggregation, order by clause, limit "
            "clause are not supported yet.'",
        )
    assert start is not None
    insert_sql = text[start.pos :].strip().rstrip(";").strip()
    return CreatePipe(db, name, if_not_exists, replace, props, insert_sql, tdb, table, columns, files)


@dataclass
class FoundFile:
    name: str  # as Hadoop's Path prints it: file:/abs/path
    path: Path
    size: int
    mtime_ms: int


class Pipes:
    """Every pipe of the FE, kept in the store (they outlive a restart, as the FE's image keeps them)."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self._lock = threading.RLock()
        self._recovered = False
        self._root = os.path.realpath(sb.data_dir)

    # -- names ------------------------------------------------------------------------------------
    def _db(self, db: str | None, current: str | None) -> str:
        name = db or current
        if not name:
            raise PipeError(ERR_NO_DB_ERROR, "No database selected")
        real = sqlapi.executor(self.sb)._database_name(name)
        if real is None:
            raise PipeError(1049, f"Unknown database '{name}'")
        return real

    def _lake(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The AI Lake's pipe tables as pipes of the databases they load into (the AI Lake loads
        through StarRocks pipes: CREATE PIPE … AS INSERT … FILES()), in the shape of the FE's own
        pipe and file records. Read-only here: the AI Lake API manages them."""
        pipes: list[dict[str, Any]] = []
        files: list[dict[str, Any]] = []
        for lp in self.sb.ailake.starrocks_pipes():
            # The AI Lake names its pipes by UUID; the FE's ids are BIGINTs, so one is derived from it.
            pipe_id = uuid.UUID(lp["id"]).int % (1 << 63)
            loaded = [f for f in lp["files"] if not f.get("error")]
            failed = [f for f in lp["files"] if f.get("error")]
            last = max(failed, key=lambda f: f.get("loadedAt") or 0) if failed else None
            pipes.append(
                {
                    "id": pipe_id,
                    "db": lp["db"],
                    "name": lp["table"],
                    "tableDb": lp["db"],
                    "table": lp["table"],
                    "properties": {"poll_interval": str(lp["pollSeconds"])},
                    "state": SUSPEND if lp["paused"] else RUNNING,
                    "createdAt": int(lp["createdAt"] or 0),
                    "loadStatus": {
                        "loadedFiles": len(loaded),
                        "loadedBytes": sum(int(f.get("size") or 0) for f in loaded),
                        "loadingFiles": 0,
                        "lastLoadedTime": max((f.get("loadedAt") or 0 for f in loaded), default=None),
                        "loadRows": sum(int(f.get("rows") or 0) for f in loaded),
                    },
                    "lastError": None
                    if last is None
                    else {"errorMessage": last["error"], "errorTime": last.get("loadedAt")},
                }
            )
            for f in lp["files"]:
                at = f.get("loadedAt")
                files.append(
                    {
                        "pipeId": str(pipe_id),
                        "fileName": f["path"],
                        "fileVersion": f.get("digest") or "",
                        "fileSize": int(f.get("size") or 0),
                        "lastModified": int(f.get("mtimeNs") or 0) / 1e9,
                        "state": FILE_ERROR if f.get("error") else LOADED,
                        "stagedTime": at,
                        "startLoadTime": at,
                        "finishLoadTime": None if f.get("error") else at,
                        "errorMessage": f.get("error"),
                    }
                )
        return pipes, files

    def _all(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        lake_pipes, lake_files = self._lake()
        return [*self.sb.store.list(K_PIPE), *lake_pipes], [*self.sb.store.list(K_FILE), *lake_files]

    def _find(self, db: str, name: str) -> dict[str, Any] | None:
        for doc in self.sb.store.find(K_PIPE, {"db": db, "name": name}):
            return doc
        return None

    def _files(self, pipe_id: int) -> list[dict[str, Any]]:
        return self.sb.store.find(K_FILE, {"pipeId": str(pipe_id)})

    @staticmethod
    def _file_key(pipe_id: int, name: str, version: str) -> str:
        return json.dumps([pipe_id, name, version])

    # -- FILES() -----------------------------------------------------------------------------------
    def list_files(self, path: str) -> list[FoundFile]:
        """The files a FILES() path names, only ever under the data folder."""
        if not path.startswith("file://"):
            # Other file systems (s3://, hdfs://...) are out of the sandbox's reach.
            raise no_files_found(path)
        local = path[len("file://") :]
        if not local.startswith("/"):
            raise no_files_found(path)
        # The part before the first wildcard must already be inside the data folder: nothing
        # outside it is listed, let alone read.
        fixed = local
        for i, ch in enumerate(local):
            if ch in "*?[{":
                fixed = local[: local.rfind("/", 0, i) + 1]
                break
        if not self._inside(fixed):
            raise no_files_found(path)
        found: list[FoundFile] = []
        for hit in sorted(glob.glob(local)):
            if os.path.isdir(hit):
                continue
            real = os.path.realpath(hit)
            if not self._inside(real) or self._private(real):
                continue
            st = os.stat(real)
            name = "file:" + os.path.abspath(hit)
            found.append(FoundFile(name, Path(real), st.st_size, st.st_mtime_ns // 10**6))
        if not found:
            raise no_files_found(path)
        return found

    def _inside(self, local: str) -> bool:
        real = os.path.realpath(local)
        return real == self._root or real.startswith(self._root.rstrip(os.sep) + os.sep)

    def _private(self, real: str) -> bool:
        """The sandbox's own database and the BEs' storage are not files a pipe may read."""
        store = os.path.realpath(self.sb.store.path)
        if real.startswith(store):
            return True
        be_dir = os.path.join(self._root, "be") + os.sep
        return real.startswith(be_dir)

    # -- statements (worker thread) ------------------------------------------------------------
    def create(self, text: str, current_db: str | None) -> None:
        stmt = parse_create(text)
        props = check_properties(stmt.properties)
        tdb = self._db(stmt.table_db, current_db)
        td = self.sb.engine.table(tdb, stmt.table)
        if td is None:
            raise PipeError(5502, f"Unknown table '{tdb}.{stmt.table}'")
        pdb = self._db(stmt.db, tdb)
        if pdb.lower() != tdb.lower():
            raise PipeError(
                ERR_BAD_PIPE_STATEMENT,
                f"Bad pipe statement: 'pipe's database [{pdb}] and target table's database [{tdb}] should be "
                "the same'",
            )
        files = {k.lower(): v for k, v in stmt.files.items()}
        path = files.get("path")
        if not path:
            raise PipeError(1064, "path is a mandatory property. Please specify it in the FILES function")
        fmt = (files.get("format") or "").lower()
        if not fmt:
            raise PipeError(1064, "format is a mandatory property. Please specify it in the FILES function")
        if fmt not in ("csv", "parquet"):
            raise PipeError(
                1064, f"The sandbox's FILES() reads csv and parquet files; format '{fmt}' is not one of them"
            )
        if stmt.columns is not None:
            for c in stmt.columns:
                if td.column(c) is None:
                    raise PipeError(1054, f"Unknown column '{c}' in '{td.name}'")
        self.list_files(path)  # the INSERT's analysis lists the path: no file, no pipe
        with self._lock:
            existing = self._find(pdb, stmt.name)
            if existing is not None:
                if stmt.if_not_exists:
                    return
                if not stmt.replace:
                    raise PipeError(ERR_PIPE_EXISTS, "Pipe exists")
                self._drop(existing)
            pipe_id = self.sb.store.next_id()
            doc = {
                "id": pipe_id,
                "db": pdb,
                "name": stmt.name,
                "tableDb": tdb,
                "table": td.name,
                "columns": stmt.columns,
                "insertSql": stmt.insert_sql,
                "path": path,
                "format": fmt,
                "files": files,
                "properties": props,
                "state": RUNNING,
                "createdAt": int(self.sb.clock.now()),
                "eos": False,
                "lastPolledAt": 0.0,
                "failedTasks": 0,
                "loadStatus": {
                    "loadedFiles": 0,
                    "loadedBytes": 0,
                    "loadingFiles": 0,
                    "lastLoadedTime": None,
                    "loadRows": 0,
                },  # fmt: skip
                "lastError": None,
            }
            self.sb.store.put(K_PIPE, str(pipe_id), doc)

    def drop(self, text: str, current_db: str | None) -> None:
        p = sqlapi._TokCursor(text, ddl.tokenize(text))
        p.expect("DROP")
        p.expect("PIPE")
        if_exists = False
        if p.accept("IF"):
            p.expect("EXISTS")
            if_exists = True
        db, name = p.qualified_name()
        p.done()
        pdb = self._db(db, current_db)
        with self._lock:
            doc = self._find(pdb, name)
            if doc is None:
                if if_exists:
                    return
                raise PipeError(ERR_UNKNOWN_PIPE, f"Unknown pipe '{pdb}.{name}'")
            self._drop(doc)

    def _drop(self, doc: dict[str, Any]) -> None:
        for f in self._files(int(doc["id"])):
            self.sb.store.delete(K_FILE, self._file_key(int(doc["id"]), f["fileName"], f["fileVersion"]))
        self.sb.store.delete(K_PIPE, str(doc["id"]))

    def drop_database(self, db: str) -> None:
        """PipeManager.dropPipesOfDb: a dropped database takes its pipes with it."""
        with self._lock:
            for doc in self.sb.store.find(K_PIPE, {"db": db}):
                self._drop(doc)

    def alter(self, text: str, current_db: str | None) -> None:
        p = sqlapi._TokCursor(text, ddl.tokenize(text))
        p.expect("ALTER")
        p.expect("PIPE")
        db, name = p.qualified_name()
        action: tuple[str, Any]
        if p.accept("SUSPEND"):
            action = ("suspend", None)
        elif p.accept("RESUME"):
            action = ("resume", None)
        elif p.accept("RETRY"):
            if p.accept("ALL"):
                action = ("retry_all", None)
            else:
                p.expect("FILE")
                action = ("retry_file", p.string())
        elif p.accept("SET"):
            action = ("set", check_properties(_props(p)))
        else:
            raise sqlapi.SqlError(
                sqlapi._syntax_message(text, p.peek(), "'SUSPEND', 'RESUME', 'RETRY', 'SET'")
            )
        p.done()
        pdb = self._db(db, current_db)
        with self._lock:
            doc = self._find(pdb, name)
            if doc is None:
                # DdlException.requireNotNull("pipe-" + name, ...)
                raise PipeError(1064, f"pipe-{name} not exists")
            kind, arg = action
            state = doc["state"]
            if kind == "suspend":
                if state == RUNNING:
                    doc["state"] = SUSPEND
                    doc["loadStatus"]["loadingFiles"] = 0
            elif kind == "resume":
                if state in (SUSPEND, ERROR):
                    doc["state"] = RUNNING
                    doc["failedTasks"] = 0
            elif kind in ("retry_all", "retry_file"):
                if kind == "retry_all":
                    retried = [f for f in self._files(int(doc["id"])) if f["state"] == FILE_ERROR]
                else:
                    same = [f for f in self._files(int(doc["id"])) if f["fileName"] == arg]
                    if not same:
                        raise PipeError(1064, f"file not found: {arg}")
                    if len(same) > 1:
                        raise PipeError(1064, f"too many files found but expect 1: {arg}")
                    retried = [f for f in same if f["state"] == FILE_ERROR]
                for f in retried:
                    f["state"] = UNLOADED
                    key = self._file_key(int(doc["id"]), f["fileName"], f["fileVersion"])
                    self.sb.store.put(K_FILE, key, f)
                if state in (SUSPEND, ERROR):
                    doc["state"] = RUNNING
            else:
                doc["properties"].update(arg)
            self.sb.store.put(K_PIPE, str(doc["id"]), doc)

    # -- SHOW PIPES and information_schema -----------------------------------------------------
    SHOW_COLUMNS = [
        ("DATABASE_NAME", "varchar(64)"), ("PIPE_ID", "bigint(20)"), ("PIPE_NAME", "varchar(64)"),
        ("STATE", "varchar(8)"), ("TABLE_NAME", "varchar(64)"), ("LOAD_STATUS", "varchar(512)"),
        ("LAST_ERROR", "varchar(1024)"), ("CREATED_TIME", "datetime"),
    ]  # fmt: skip

    def show(self, text: str, current_db: str | None) -> list[list[Any]]:
        p = sqlapi._TokCursor(text, ddl.tokenize(text))
        p.expect("SHOW")
        p.expect("PIPES")
        db: str | None = None
        like: str | None = None
        equals: str | None = None
        if p.accept("FROM", "IN"):
            db = p.ident()
        if p.accept("LIKE"):
            like = p.string()
        elif p.accept("WHERE"):
            p.expect("NAME")
            if p.accept("LIKE"):
                like = p.string()
            elif p.accept_op("="):
                equals = p.string()
            else:
                raise sqlapi.SqlError(sqlapi._syntax_message(text, p.peek(), "'=', 'LIKE'"))
        p.done()
        pdb = self._db(db, current_db)
        rows = []
        for doc in self._all()[0]:
            if doc["db"] != pdb:
                continue
            if like is not None and not sqlapi._like(doc["name"], like):
                continue
            if equals is not None and doc["name"] != equals:
                continue
            rows.append(
                [doc["db"], str(doc["id"]), doc["name"], doc["state"], f"{doc['tableDb']}.{doc['table']}",
                 _load_status(doc), _last_error(doc), _time(doc["createdAt"])]
            )  # fmt: skip
        return rows

    def info_pipes(self) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for doc in self._all()[0]:
            created = dt.datetime.fromtimestamp(doc["createdAt"])
            rows.append(
                (doc["db"], doc["id"], doc["name"], _properties(doc["properties"]), doc["state"],
                 f"{doc['tableDb']}.{doc['table']}", _load_status(doc), _last_error(doc), created)
            )  # fmt: skip
        return rows

    def info_pipe_files(self) -> list[tuple[Any, ...]]:
        all_pipes, all_files = self._all()
        pipes = {int(d["id"]): d for d in all_pipes}
        rows: list[tuple[Any, ...]] = []
        for f in all_files:
            pipe = pipes.get(int(f["pipeId"]))
            # FILE_ROWS, ERROR_COUNT and ERROR_LINE are 0 as StarRocks writes them: its PipeFileRecord
            # never fills them (marked unfinished in its own source).
            rows.append(
                (pipe["db"] if pipe else "", int(f["pipeId"]), pipe["name"] if pipe else "", f["fileName"],
                 f["fileVersion"], 0, f["fileSize"], _time(f["lastModified"]), f["state"],
                 _time(f["stagedTime"]), _time(f.get("startLoadTime")), _time(f.get("finishLoadTime")),
                 f.get("errorMessage"), 0, 0)
            )  # fmt: skip
        return rows

    # -- running ---------------------------------------------------------------------------------
    async def sweep(self) -> None:
        await self.sb.store.run(self.run_due)

    def run_due(self) -> None:
        with self._lock:
            if not self._recovered:
                self._recover()
                self._recovered = True
            for doc in self.sb.store.list(K_PIPE):
                if doc["state"] == RUNNING:
                    self._run(doc)

    def _recover(self) -> None:
        """Pipe.recovery: a file left LOADING had its transaction not committed (rows and state are
        written together), so it failed."""
        for f in self.sb.store.list(K_FILE):
            if f["state"] == LOADING:
                f["state"] = FILE_ERROR
                key = self._file_key(int(f["pipeId"]), f["fileName"], f["fileVersion"])
                self.sb.store.put(K_FILE, key, f)

    def _run(self, doc: dict[str, Any]) -> None:
        pipe_id = int(doc["id"])
        props = doc["properties"]
        now = self.sb.clock.now()
        interval = int(props.get("poll_interval", DEFAULT_POLL_SECONDS))
        auto_ingest = _bool(props.get("auto_ingest", "true"), "auto_ingest")
        if not doc["eos"] and now >= float(doc["lastPolledAt"]) + interval:
            doc["lastPolledAt"] = now
            try:
                self._poll(doc, auto_ingest)
            except PipeError as e:
                doc["lastError"] = {"errorMessage": f"poll from source failed: {e.message}", "errorTime": now}
                doc["state"] = ERROR
            self.sb.store.put(K_PIPE, str(pipe_id), doc)
        while doc["state"] == RUNNING:
            piece = self._piece(doc)
            if not piece:
                if doc["eos"]:
                    files = self._files(pipe_id)
                    if all(f["state"] != FILE_ERROR and f["state"] != UNLOADED for f in files):
                        doc["state"] = FINISHED
                    else:
                        doc["lastError"] = {"errorMessage": "leave some unfinished files", "errorTime": now}
                        doc["state"] = ERROR
                    self.sb.store.put(K_PIPE, str(pipe_id), doc)
                return
            self._load(doc, piece)

    def _poll(self, doc: dict[str, Any], auto_ingest: bool) -> None:
        """FilePipeSource.poll: list the path once no staged file waits, stage the new ones."""
        pipe_id = int(doc["id"])
        known = self._files(pipe_id)
        if any(f["state"] == UNLOADED for f in known):
            return
        try:
            found = self.list_files(doc["path"])
        except PipeError:
            # A path that no longer matches anything stages nothing (the list is empty).
            found = []
        seen = {(f["fileName"], f["fileVersion"]) for f in known}
        now = self.sb.clock.now()
        for f in found:
            version = str(f.mtime_ms)
            if (f.name, version) in seen:
                continue
            rec = {
                "pipeId": str(pipe_id),
                "fileName": f.name,
                "fileVersion": version,
                "fileSize": f.size,
                "lastModified": f.mtime_ms / 1000,
                "state": UNLOADED,
                "stagedTime": now,
                "startLoadTime": None,
                "finishLoadTime": None,
                "errorMessage": None,
                "insertLabel": None,
            }
            self.sb.store.put(K_FILE, self._file_key(pipe_id, f.name, version), rec)
        if not auto_ingest:
            doc["eos"] = True

    def _piece(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        """FilePipeSource.pullPiece: UNLOADED files, at most batch_files of them, stopping once
        batch_size bytes are reached."""
        props = doc["properties"]
        limit_files = int(props.get("batch_files", DEFAULT_BATCH_FILES))
        limit_bytes = _data_volume(props["batch_size"]) if "batch_size" in props else DEFAULT_BATCH_SIZE
        piece: list[dict[str, Any]] = []
        total = 0
        for f in self._files(int(doc["id"])):
            if f["state"] != UNLOADED:
                continue
            piece.append(f)
            total += int(f["fileSize"])
            if len(piece) >= limit_files or total >= limit_bytes:
                break
        return piece

    def _load(self, doc: dict[str, Any], piece: list[dict[str, Any]]) -> None:
        pipe_id = int(doc["id"])
        txn_id = self.sb.store.next_id()
        label = f"pipe_{doc['name']}_{txn_id}"
        now = self.sb.clock.now()
        for f in piece:
            f.update(state=LOADING, startLoadTime=now, insertLabel=label, errorMessage=None)
            self.sb.store.put(K_FILE, self._file_key(pipe_id, f["fileName"], f["fileVersion"]), f)
        doc["loadStatus"]["loadingFiles"] += len(piece)
        td = self.sb.engine.table(doc["tableDb"], doc["table"])
        error: str | None = None
        rows = 0
        cur = self.sb.store.new_cursor()
        try:
            cur.execute(sqlapi.clock_macro(self.sb.clock))
            if td is None:
                raise PipeError(5502, f"Unknown table '{doc['tableDb']}.{doc['table']}'")
            staging = f"{STAGING_SCHEMA}.pipe_{pipe_id}_{txn_id}"
            try:
                self._read_piece(cur, doc, td, piece, staging, txn_id)
                cur.execute("BEGIN TRANSACTION")
                try:
                    rows = self.sb.engine.merge(cur, td, f"SELECT * FROM {staging} ORDER BY __seq")
                    finished = self.sb.clock.now()
                    for f in piece:
                        f.update(state=LOADED, finishLoadTime=finished)
                        body = json.dumps(f, separators=(",", ":"), default=str)
                        key = self._file_key(pipe_id, f["fileName"], f["fileVersion"])
                        cur.execute(
                            "UPDATE _sandbox.docs SET body = ? WHERE kind = ? AND id = ?", [body, K_FILE, key]
                        )
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
            finally:
                cur.execute(f"DROP TABLE IF EXISTS {staging}")
        except PipeError as e:
            error = e.message
        except (EngineError, sqlapi.SqlError) as e:
            error = e.message
        except loader.LoadFailure as e:
            error = e.message
        except duckdb.Error as e:
            error = str(e).strip().splitlines()[0]
        finally:
            cur.close()
        doc["loadStatus"]["loadingFiles"] -= len(piece)
        if error is None:
            size = sum(int(f["fileSize"]) for f in piece)
            status = doc["loadStatus"]
            status["loadedFiles"] += len(piece)
            status["loadedBytes"] += size
            status["loadRows"] += rows
            status["lastLoadedTime"] = self.sb.clock.now()
            # A pipe's task is an INSERT: a load job of the FE, its rows written on the BEs.
            activity = self.sb.starrocks.activity
            activity.job_finished("INSERT")
            if td is not None:
                activity.published(td, size)
        else:
            message = f"execution failed: {error}"
            for f in piece:
                f.update(state=FILE_ERROR, errorMessage=message)
                self.sb.store.put(K_FILE, self._file_key(pipe_id, f["fileName"], f["fileVersion"]), f)
            doc["lastError"] = {"errorMessage": message, "errorTime": self.sb.clock.now()}
            # The task is retried and fails alike each time; past FAILED_TASK_THRESHOLD failed
            # executions the pipe stops in ERROR.
            doc["failedTasks"] = int(doc["failedTasks"]) + FAILED_TASK_THRESHOLD + 1
            doc["state"] = ERROR
        self.sb.store.put(K_PIPE, str(pipe_id), doc)

    def _read_piece(
        self,
        cur: duckdb.DuckDBPyConnection,
        doc: dict[str, Any],
        td: TableDef,
        piece: list[dict[str, Any]],
        staging: str,
        txn_id: int,
    ) -> None:
        """The piece's rows into ``staging`` (the table's columns and ``__seq``); a row that does not
        fit fails the whole piece, as a strict INSERT does."""
        files = doc["files"]
        loader.ensure_staging(cur, td, staging)
        for n, f in enumerate(piece):
            local = f["fileName"][len("file:") :]
            real = os.path.realpath(local)
            if not self._inside(real) or self._private(real) or not os.path.isfile(real):
                raise no_files_found(f["fileName"])
            if doc["format"] == "parquet":
                self._read_parquet(cur, td, doc.get("columns"), Path(real), staging, (n + 1) << 40)
                continue
            headers = {"format": "csv", "strict_mode": "true"}
            for option, header in _CSV_OPTIONS.items():
                if option in files:
                    headers[header] = files[option]
            if doc.get("columns"):
                headers["columns"] = ", ".join(quote_ident(c) for c in doc["columns"])
            params = loader.LoadParams.from_headers(headers)
            plan = loader.plan(td, params)
            work = self.sb.data_dir / "pipes"
            work.mkdir(mode=0o700, exist_ok=True)
            stats = loader.load_file(cur, plan, Path(real), staging, (n + 1) << 40, work)
            if stats.filtered:
                job = self.sb.store.next_id()
                raise PipeError(
                    5610,
                    f"Insert has filtered data : txn_id = {txn_id}, tracking sql = select tracking_log from "
                    f"information_schema.load_tracking_logs where job_id={job}",
                )

    @staticmethod
    def _read_parquet(
        cur: duckdb.DuckDBPyConnection,
        td: TableDef,
        columns: list[str] | None,
        path: Path,
        staging: str,
        seq_base: int,
    ) -> None:
        reader = f"read_parquet({sqlapi._sql_str(str(path))})"
        width = len(cur.execute(f"SELECT * FROM {reader} LIMIT 0").description or [])
        targets = [td.column(c) for c in columns] if columns else list(td.columns)
        if width != len(targets):
            raise PipeError(
                5604,
                f"Inserted target column count: {len(targets)} doesn't match select/value column count: "
                f"{width}",
            )
        names = [f"c{i}" for i in range(width)]
        src = f"SELECT * FROM {reader}"
        by_name = {c.name.lower(): i for i, c in enumerate(t for t in targets if t is not None)}
        selects, checks = [], []
        for c in td.columns:
            duck = c.sr_type.duckdb
            i = by_name.get(c.name.lower())
            if i is None:
                value = "NULL" if c.default is None else sqlapi._sql_str(c.default)
                selects.append(f"TRY_CAST({value} AS {duck})")
                continue
            selects.append(f"TRY_CAST(s.{names[i]} AS {duck})")
            checks.append(f"(s.{names[i]} IS NOT NULL AND TRY_CAST(s.{names[i]} AS {duck}) IS NULL)")
            if not c.nullable:
                checks.append(f"s.{names[i]} IS NULL")
        body = f"FROM ({src}) s({', '.join(names)})"
        if checks:
            bad = cur.execute(f"SELECT count(*) {body} WHERE {' OR '.join(checks)}").fetchone()
            if bad and bad[0]:
                raise PipeError(5610, "Insert has filtered data : strict mode")
        cur.execute(
            f"INSERT INTO {staging} SELECT {', '.join(selects)}, {seq_base} + row_number() OVER () {body}"
        )


def _properties(props: dict[str, str]) -> str:
    """Pipe.getPropertiesString (PropertyAnalyzer.stringifyProperties)."""
    if not props:
        return ""
    return "(" + ",".join(f'"{k}"="{v}"' for k, v in sorted(props.items())) + ")"


def _load_status(doc: dict[str, Any]) -> str:
    """Pipe.LoadStatus.toJson: Gson (null fields left out, times as yyyy-MM-dd HH:mm:ss)."""
    s = doc["loadStatus"]
    out: dict[str, Any] = {
        "loadedFiles": s["loadedFiles"],
        "loadedBytes": s["loadedBytes"],
        "loadingFiles": s["loadingFiles"],
    }
    if s.get("lastLoadedTime"):
        out["lastLoadedTime"] = _time(s["lastLoadedTime"])
    out["loadRows"] = s["loadRows"]
    return json.dumps(out, separators=(",", ":"))


def _last_error(doc: dict[str, Any]) -> str | None:
    err = doc.get("lastError")
    if not err or not err.get("errorMessage"):
        return None
    return json.dumps(
        {"errorMessage": err["errorMessage"], "errorTime": _time(err["errorTime"])},
        separators=(",", ":"),
        ensure_ascii=False,
    )
