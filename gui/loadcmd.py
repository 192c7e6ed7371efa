"""``starrocks-console load``: one exactly-once transaction from the command line.

Prints one JSON line on stdout — also when the load fails after it started — and a progress bar on
stderr when it is a terminal. Exit 0 when the rows are visible (also when an earlier run already
loaded them), 1 when the load failed, 2 for a usage error (told before anything is sent). The
password is never taken on the command line, nor from a URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from .api import errors
from .api.starrocks import LoadOptions, StarRocksClient
from .api.transport import TransportConfig
from .services.journal import Journal
from .services.loader import DEFAULT_CHUNK, Loader, LoadFailed, LoadOutcome, LoadRequest

PASSWORD_ENV = "STARROCKS_PASSWORD"


class _Bar:
    """A one-line progress bar with throughput, redrawn at most ten times a second."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        frac = done / total if total else 1.0
        width = 30
        filled = int(frac * width)
        rate = done / max(1e-6, now - self.started) / (1 << 20)
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {frac * 100:5.1f}% "
            f"{done / (1 << 20):,.1f}/{total / (1 << 20):,.1f} MiB {rate:,.1f} MiB/s"
        )
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


def _fail(message: str, code: int = 2) -> int:
    print(f"starrocks-console load: {message}", file=sys.stderr)
    return code


def _user_info(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return "@" in parts.netloc


def run_load(args: argparse.Namespace) -> int:
    url, user, password = args.url, args.user, None
    verify, ca = not args.insecure, args.ca_bundle
    be_map: dict[str, str] = {}
    plain_http_be = bool(getattr(args, "allow_plain_http_be", False))
    password_from = ""
    if args.url and _user_info(args.url):
        # It would end up in the journal, in logs and in the process list: refused, not stripped,
        # so that nobody believes the password in it was used.
        return _fail(
            "--url must not carry a user name or password (user@host): give the user with --user and "
            "the password in an environment variable named by --password-env"
        )
    if args.profile:
        from .services.credentials import Credentials
        from .services.profiles import ProfileStore

        profile = ProfileStore().get(args.profile)
        if profile is None or profile.kind != "starrocks":
            return _fail(f"no StarRocks cluster profile named {args.profile!r}")
        url, user = url or profile.url, user or profile.user
        verify = verify and profile.verify_tls
        ca = ca or profile.ca_bundle or None
        be_map.update(profile.be_map)
        plain_http_be = plain_http_be or profile.allow_plain_http_be
        password = Credentials().get(profile.secret_key("password"))
        if password is None:
            return _fail(f"no password for profile {args.profile!r} in the keyring; set it in the console")
        password_from = f"the keyring entry of profile {args.profile!r}"
        if url and _user_info(url):
            return _fail(
                f"the address of profile {args.profile!r} carries a user name or password; remove it"
            )
    if not url or not user:
        return _fail("--url and --user are required (or --profile)")
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        usable = False
    if not usable:
        return _fail(f"--url wants the FE's HTTP address, e.g. http://fe-host:8030; got {url!r}")
    if not args.profile:
        var = args.password_env or PASSWORD_ENV
        password = os.environ.get(var)
        if password is None:
            how = (
                "named by --password-env"
                if args.password_env
                else "(the default; --password-env names another)"
            )
            return _fail(
                f"no password for {user}: the environment variable {var} {how} is not set. Set it to the "
                "password (empty for a user without one), or use --profile NAME"
            )
        password_from = f"the environment variable {var}"
    assert password is not None
    for item in args.be_map:
        src, sep, dst = item.partition("=")
        if not sep or not src or not dst:
            return _fail(f"--be-map wants FROM=TO, got {item!r}")
        be_map[src] = dst
    if not args.file.is_file():
        return _fail(f"{args.file} is not a file")
    try:
        options = LoadOptions(
            format=args.format,
            column_separator=args.column_separator,
            row_delimiter=args.row_delimiter,
            columns=args.columns,
            where=args.where,
            max_filter_ratio=args.max_filter_ratio,
            strict_mode=True if args.strict_mode else None,
            jsonpaths=args.jsonpaths,
            json_root=args.json_root,
            strip_outer_array=True if args.strip_outer_array else None,
            skip_header=args.skip_header,
        )
    except ValueError as e:
        # pydantic says what is wrong with options it had to read; it is imported only then.
        from pydantic import ValidationError

        if not isinstance(e, ValidationError):
            raise
        return _fail("; ".join(err["msg"] for err in e.errors()))
    request = LoadRequest(
        file=args.file,
        db=args.db,
        table=args.table,
        label=args.label,
        options=options,
        chunk_size=args.chunk_size or DEFAULT_CHUNK,
        timeout=args.timeout,
        give_up_after=args.give_up_after,
    )
    config = TransportConfig(
        verify_tls=verify, ca_bundle=ca, read_timeout=max(60.0, float(args.timeout or 0))
    )
    bar = _Bar() if sys.stderr.isatty() else None
    journal = Journal()
    try:
        try:
            outcome = asyncio.run(
                _load(url, user, password, config, be_map, request, bar, journal, plain_http_be)
            )
        finally:
            if bar:
                bar.close()
            for path in journal.set_aside:
                print(
                    f"starrocks-console load: a damaged journal record was set aside as {path}",
                    file=sys.stderr,
                )
    except LoadFailed as e:
        outcome = e.outcome
        message = str(e)
        if _refused_auth(e):
            message = (
                f"the cluster refused user {user} with the password from {password_from} (HTTP 401): "
                f"check --user and that password. {message}"
            )
        if outcome.suggested_separator is not None:
            message += f"; run again with {_separator_flag(outcome.suggested_separator)}"
        outcome.message = message
        _print(outcome)
        return _fail(message, 1)
    except ValueError as e:  # refused before anything was sent: a label, a header value
        return _fail(str(e))
    except KeyboardInterrupt:
        return _fail("interrupted; run the same command again to finish or roll back", 130)
    except Exception as e:  # never a traceback: one result line and the reason
        message = f"the load ended on an unexpected error: {type(e).__name__}: {e}"
        _print_bare(request.label, message)
        return _fail(message, 1)
    _print(outcome)
    return 0


async def _load(
    url: str,
    user: str,
    password: str,
    config: TransportConfig,
    be_map: dict[str, str],
    request: LoadRequest,
    bar: _Bar | None,
    journal: Journal,
    plain_http_be: bool = False,
) -> LoadOutcome:
    async with StarRocksClient(
        url, user, password, config, be_map=be_map, allow_plain_http_be=plain_http_be
    ) as client:
        return await Loader(client, journal, progress=bar).run(request)


def _refused_auth(e: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, errors.AuthError) and cur.status == 401:
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def _separator_flag(sep: str) -> str:
    # A tab is given in StarRocks' hex notation: a shell passes it without quoting tricks.
    return "--column-separator '\\x09'" if sep == "\t" else f"--column-separator {shlex.quote(sep)}"


def _print(o: LoadOutcome) -> None:
    line: dict[str, Any] = {
        "label": o.label,
        "txn_id": o.txn_id,
        "rows_loaded": o.rows_loaded,
        "rows_filtered": o.rows_filtered,
        "bytes": o.bytes,
        "seconds": o.seconds,
        "state": o.state,
        "already_loaded": o.already_loaded,
        "finished_by_other": o.finished_by_other,
        "restarts": o.restarts,
        "message": o.message,
    }
    if o.error_url:
        line["error_url"] = o.error_url
    print(json.dumps(line), flush=True)


def _print_bare(label: str | None, message: str) -> None:
    _print(
        LoadOutcome(
            label=label or "",
            txn_id=None,
            rows_loaded=0,
            rows_filtered=0,
            bytes=0,
            seconds=0.0,
            state="",  # not known here: the cluster was not asked
            already_loaded=False,
            restarts=0,
            message=message,
        )
    )
