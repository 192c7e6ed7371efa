"""``starrocks-console sql``: statements from the command line (``-e`` or a file) through the SQL
runner the console uses — the FE's query port, or the HTTP SQL API for what it accepts when only
HTTP answers.

Rows go to stdout (a table, CSV, or JSON lines), streamed as they arrive; each statement's figures,
notes and errors go to stderr, errors as the server said them (``ERROR 1146 (42S02): ...``). Exit 0
when every statement ran, 1 when one failed, was refused or cancelled (the ones after it are not
run unless ``--continue``), 2 for a command line that cannot be run (nothing was sent), 130 when
interrupted. The password comes from the profile's keyring entry or an environment variable, never
from the command line, and is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import csv
import datetime as dt
import decimal
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from .api import errors
from .api.starrocks import Column, StarRocksClient, reply_of
from .api.transport import TransportConfig
from .services.profiles import Profile
from .services.sql.runner import RunResult, Sink, SqlRunner, StatementOutcome, channel_for

PASSWORD_ENV = "STARROCKS_PASSWORD"
USAGE = 2
FAILED = 1


class UsageError(Exception):
    """The command line cannot be run as given; nothing was sent."""


def _fail(message: str, code: int = USAGE) -> int:
    print(f"starrocks-console sql: {message}", file=sys.stderr)
    return code


def _profile(args: argparse.Namespace) -> tuple[Profile, str]:
    """The profile to run with (a saved one, or one made of --url/--user) and its password."""
    if args.profile and (args.url or args.user):
        raise UsageError("give either --profile NAME or --url with --user, not both")
    if args.profile:
        from .services.credentials import Credentials
        from .services.profiles import ProfileStore

        profile = ProfileStore().get(args.profile)
        if profile is None or profile.kind != "starrocks":
            raise UsageError(f"no StarRocks cluster profile named {args.profile!r}")
        password = Credentials().get(profile.secret_key("password"))
        if password is None:
            raise UsageError(
                f"no password for profile {args.profile!r} in the keyring; set it in the console"
            )
    else:
        if not args.url or not args.user:
            raise UsageError("give --profile NAME, or --url and --user (the password in --password-env)")
        if "@" in urlsplit(args.url).netloc:
            raise UsageError(
                "--url must not carry a user name or password (user@host): give the user with --user and "
                "the password in an environment variable named by --password-env"
            )
        var = args.password_env or PASSWORD_ENV
        env_password = os.environ.get(var)
        if env_password is None:
            how = (
                "named by --password-env"
                if args.password_env
                else "(the default; --password-env names another)"
            )
            raise UsageError(
                f"no password for {args.user}: the environment variable {var} {how} is not set. Set it to "
                "the password (empty for a user without one), or use --profile NAME"
            )
        password = env_password
        profile = Profile(name=args.url.rstrip("/"), kind="starrocks", url=args.url, user=args.user)
    try:
        parts = urlsplit(profile.url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        usable = False
    if not usable:
        raise UsageError(f"the FE's HTTP address must look like http://fe-host:8030; got {profile.url!r}")
    if args.query_port is not None:
        if not 1 <= args.query_port <= 65535:
            raise UsageError(f"--query-port must be 1–65535, not {args.query_port}")
        profile.query_port = args.query_port
    profile.query_tls = profile.query_tls or args.query_tls
    profile.verify_tls = profile.verify_tls and not args.insecure
    profile.ca_bundle = args.ca_bundle or profile.ca_bundle
    return profile, password


def _script(args: argparse.Namespace) -> str:
    if args.execute is not None:
        return str(args.execute)
    if args.file is None:
        raise UsageError("give the statements with -e SQL or -f FILE")
    if args.file == "-":
        return sys.stdin.read()
    try:
        return Path(args.file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{args.file} is not UTF-8 text") from None
    except OSError as e:
        raise UsageError(f"{args.file}: {e.strerror or e}") from None


# -- output -------------------------------------------------------------------------------------------
def _text(value: Any) -> str:
    """A value as text, exact: DECIMAL as written, times in ISO form, bytes in hex."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)  # a JSON number would be read back as a float
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    return _text(value)


class _Writer(Sink):
    def __init__(self, fmt: str, out: TextIO, err: TextIO) -> None:
        self.fmt = fmt
        self.out = out
        self.err = err
        self.sets = 0
        self._widths: list[int] = []
        self._names: list[str] = []
        self._csv = csv.writer(out, lineterminator="\n")

    def columns(self, outcome: StatementOutcome, columns: list[Column]) -> None:
        self._names = [c.name for c in columns]
        self._widths = []
        if self.sets and self.fmt != "jsonl":
            self.out.write("\n")
        self.sets += 1
        if self.fmt == "csv":
            self._csv.writerow(self._names)

    def rows(self, outcome: StatementOutcome, rows: list[tuple[Any, ...]]) -> None:
        if self.fmt == "csv":
            self._csv.writerows(["" if v is None else _text(v) for v in row] for row in rows)
        elif self.fmt == "jsonl":
            for row in rows:
                doc = {n: _json_value(v) for n, v in zip(self._names, row, strict=False)}
                self.out.write(json.dumps(doc, ensure_ascii=False) + "\n")
        else:
            texts = [[_text(v) for v in row] for row in rows]
            if not self._widths:
                # Widths from the header and the first batch: the table is written as it streams.
                self._widths = [max([len(n), *(len(t[i]) for t in texts)]) for i, n in enumerate(self._names)]
                self._rule()
                self._line(self._names)
                self._rule()
            for t in texts:
                self._line(t)
        self.out.flush()

    def _rule(self) -> None:
        self.out.write("+" + "+".join("-" * (w + 2) for w in self._widths) + "+\n")

    def _line(self, cells: list[str]) -> None:
        self.out.write(
            "| " + " | ".join(c.ljust(w) for c, w in zip(cells, self._widths, strict=False)) + " |\n"
        )

    def end(self, outcome: StatementOutcome) -> None:
        if self.fmt == "table" and outcome.columns and outcome.status in ("ok", "cancelled"):
            if not self._widths:
                self._widths = [len(n) for n in self._names]
                self._rule()
                self._line(self._names)
            self._rule()
        self.out.flush()
        print(summary(outcome), file=self.err, flush=True)


def summary(o: StatementOutcome) -> str:
    """One statement's line for stderr, in the mysql client's words where it has some."""
    head = f"[{o.index + 1}] "
    notes = "".join(f"\n{head}note: {n}" for n in o.notes)
    if o.status == "ok":
        secs = f"({o.elapsed:.2f} sec{', ' + o.channel if o.channel else ''})"
        if o.columns:
            n = o.rows
            text = f"{n:,} row{'s' if n != 1 else ''} in set{' (more not read: row cap)' if o.capped else ''}"
        elif o.affected_rows is not None:
            n = o.affected_rows
            text = f"Query OK, {n:,} row{'s' if n != 1 else ''} affected"
        else:
            text = "Query OK"
        if o.warnings:
            text += f", {o.warnings} warning{'s' if o.warnings != 1 else ''}"
        return f"{head}{text} {secs}{notes}"
    if o.status == "error" and o.error is not None:
        reply = reply_of(o.error)
        if reply is not None and reply.errno < 2000:
            return f"{head}{reply}{notes}"
        return f"{head}error: {o.error}{notes}"
    if o.status == "refused":
        again = f" (run again with --confirm {o.confirm})" if o.confirm else ""
        return f"{head}refused: {o.message}{again}{notes}"
    if o.status == "cancelled":
        return f"{head}cancelled: {o.message}{notes}"
    return f"{head}skipped: {o.message}{notes}"


# -- the run ------------------------------------------------------------------------------------------
async def _run(
    profile: Profile, password: str, script: str, args: argparse.Namespace, writer: _Writer
) -> RunResult:
    from .services.sql.history import QueryHistory

    config = TransportConfig(verify_tls=profile.verify_tls, ca_bundle=profile.ca_bundle or None, retries=1)
    async with StarRocksClient(profile.url, profile.user, password, config) as http:
        runner = SqlRunner(
            profile, query=channel_for(profile, password), http=http, history=QueryHistory(), database=args.db
        )
        try:
            return await runner.run(
                script,
                writer,
                max_rows=args.max_rows,
                on_error="continue" if args.keep_going else "stop",
                confirm=args.confirm,
            )
        finally:
            await runner.aclose()


def run_sql(args: argparse.Namespace) -> int:
    if args.max_rows is not None and args.max_rows < 0:
        return _fail("--max-rows must be 0 or more")
    try:
        profile, password = _profile(args)
        script = _script(args)
    except UsageError as e:
        return _fail(str(e))
    if not script.strip():
        return _fail("no statement to run")
    writer = _Writer(args.format, sys.stdout, sys.stderr)
    try:
        result = asyncio.run(_run(profile, password, script, args, writer))
    except KeyboardInterrupt:
        return _fail("interrupted: the running statement was cancelled and the rest not run", 130)
    except errors.ApiError as e:  # before any statement: the query port refused TLS, a CA file
        return _fail(str(e), FAILED)
    except OSError as e:
        return _fail(
            f"{e.strerror or e}" + (f": {e.filename}" if getattr(e, "filename", None) else ""), FAILED
        )
    if not result.statements:
        return _fail("no statement to run")
    return 0 if result.ok else FAILED
