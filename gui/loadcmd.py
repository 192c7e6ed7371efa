"""``starrocks-console load``: one exactly-once transaction from the command line.

Prints one JSON line on stdout; a progress bar on stderr when it is a terminal. Exit 0 when the
rows are visible (also when an earlier run already loaded them), 1 when the load failed, 2 for a
usage error. The password is never taken on the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any

from pydantic import ValidationError

from .api import errors
from .api.starrocks import LoadOptions, StarRocksClient
from .api.transport import TransportConfig
from .services.loader import DEFAULT_CHUNK, Loader, LoadFailed, LoadOutcome, LoadRequest


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


def run_load(args: argparse.Namespace) -> int:
    url, user, password = args.url, args.user, None
    verify, ca = not args.insecure, args.ca_bundle
    be_map: dict[str, str] = {}
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
        password = Credentials().get(profile.secret_key("password"))
        if password is None:
            return _fail(f"no password for profile {args.profile!r} in the keyring; set it in the console")
    elif args.password_env:
        password = os.environ.get(args.password_env)
        if password is None:
            return _fail(f"environment variable {args.password_env} is not set")
    else:
        password = os.environ.get("STARROCKS_PASSWORD", "")
    if not url or not user:
        return _fail("--url and --user are required (or --profile)")
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
    except ValidationError as e:
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
    try:
        outcome = asyncio.run(_load(url, user, password, config, be_map, request, bar))
    except LoadFailed as e:
        _print(e.outcome)
        return _fail(str(e), 1)
    except errors.ApiError as e:
        return _fail(str(e), 1)
    except ValueError as e:
        return _fail(str(e))
    except KeyboardInterrupt:
        return _fail("interrupted; run the same command again to finish or roll back", 130)
    finally:
        if bar:
            bar.close()
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
) -> LoadOutcome:
    async with StarRocksClient(url, user, password, config, be_map=be_map) as client:
        return await Loader(client, progress=bar).run(request)


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
        "restarts": o.restarts,
        "message": o.message,
    }
    if o.error_url:
        line["error_url"] = o.error_url
    print(json.dumps(line), flush=True)
