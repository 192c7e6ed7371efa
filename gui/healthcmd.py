"""``starrocks-console health``: the console's evaluation of one or more clusters, for scripts and
monitoring systems.

Each cluster is read as the window's monitoring reads it (``ClusterMonitor.tick``): once, then again
after ``--window`` seconds so that rates come from the cluster's counters (failed queries, aborted
transactions). Exit codes follow the usual monitoring plugin convention: 0 ok, 1 warning, 2
critical, 3 unreachable — also for a command line that cannot be run (no such profile, no
password), since nothing could be checked. With several clusters the worst one decides.

The password comes from the profile's keyring entry or an environment variable, never from the
command line or a URL, and is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .api import errors
from .api.starrocks import StarRocksClient
from .api.transport import TransportConfig
from .services.monitoring.monitor import EXIT_CODES, ClusterMonitor, ClusterState, describe

PASSWORD_ENV = "STARROCKS_PASSWORD"
UNCHECKED = EXIT_CODES["unreachable"]
ORDER = ("ok", "warning", "critical", "unreachable")


class UsageError(Exception):
    """The command line cannot be run as given; nothing was checked."""


@dataclass
class Target:
    name: str  # the profile's name, or the address given
    url: str
    user: str
    password: str
    verify: bool
    ca_bundle: str | None
    be_map: dict[str, str]
    plain_http_be: bool
    profile: str | None = None


def _fail(message: str) -> int:
    print(f"starrocks-console health: {message}", file=sys.stderr)
    return UNCHECKED


def _usable(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "@" not in parts.netloc


def _be_map(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        src, sep, dst = item.partition("=")
        if not sep or not src or not dst:
            raise UsageError(f"--be-map wants FROM=TO, got {item!r}")
        out[src.strip()] = dst.strip()
    return out


def targets(args: argparse.Namespace) -> list[Target]:
    """The clusters to check, with their secrets; UsageError before anything is sent."""
    be_map = _be_map(args.be_map)
    if args.profile and args.url:
        raise UsageError("give either --profile NAME (repeatable) or --url with --user, not both")
    if args.profile:
        from .services.credentials import Credentials
        from .services.profiles import ProfileStore

        store = ProfileStore()
        credentials = Credentials()
        out: list[Target] = []
        for name in dict.fromkeys(args.profile):
            profile = store.get(name)
            if profile is None or profile.kind != "starrocks":
                raise UsageError(f"no StarRocks cluster profile named {name!r}")
            if not _usable(profile.url):
                raise UsageError(
                    f"the address of profile {name!r} is not an FE's HTTP address without user info"
                )
            password = credentials.get(profile.secret_key("password"))
            if password is None:
                raise UsageError(f"no password for profile {name!r} in the keyring; set it in the console")
            out.append(
                Target(
                    name=name,
                    url=profile.url,
                    user=profile.user,
                    password=password,
                    verify=profile.verify_tls and not args.insecure,
                    ca_bundle=args.ca_bundle or profile.ca_bundle or None,
                    be_map={**profile.be_map, **be_map},
                    plain_http_be=profile.allow_plain_http_be or args.allow_plain_http_be,
                    profile=name,
                )
            )
        return out
    if not args.url or not args.user:
        raise UsageError("give --profile NAME, or --url and --user (the password in --password-env)")
    if "@" in args.url.split("?", 1)[0]:
        # It would end up in logs and the process list: refused, not stripped.
        raise UsageError(
            "--url must not carry a user name or password (user@host): give the user with --user and the "
            "password in an environment variable named by --password-env"
        )
    if not _usable(args.url):
        raise UsageError(f"--url wants the FE's HTTP address, e.g. http://fe-host:8030; got {args.url!r}")
    var = args.password_env or PASSWORD_ENV
    password = os.environ.get(var)
    if password is None:
        how = (
            "named by --password-env" if args.password_env else "(the default; --password-env names another)"
        )
        raise UsageError(
            f"no password for {args.user}: the environment variable {var} {how} is not set. Set it to the "
            "password (empty for a user without one), or use --profile NAME"
        )
    return [
        Target(
            name=args.url.rstrip("/"),
            url=args.url,
            user=args.user,
            password=password,
            verify=not args.insecure,
            ca_bundle=args.ca_bundle,
            be_map=be_map,
            plain_http_be=args.allow_plain_http_be,
        )
    ]


async def check(target: Target, window: float, timeout: float) -> ClusterState:
    config = TransportConfig(
        verify_tls=target.verify,
        ca_bundle=target.ca_bundle,
        connect_timeout=timeout,
        read_timeout=timeout,
        write_timeout=timeout,
        retries=1,  # a script asks again on its own schedule; one retry rides out a dropped connection
    )
    async with StarRocksClient(
        target.url,
        target.user,
        target.password,
        config,
        be_map=target.be_map,
        allow_plain_http_be=target.plain_http_be,
    ) as client:

        async def source() -> StarRocksClient:
            return client

        monitor = ClusterMonitor(target.name, source)
        try:
            state = await monitor.tick()
            if window > 0 and state.sample.reachable:
                await asyncio.sleep(window)  # the interval the counters' rates are measured over
                state = await monitor.tick()
            elif state.sample.reachable:
                state.sample.notes.append(
                    "one reading (--window 0): queries and failed queries per second are the FE's own "
                    "figures, and aborted transactions were not evaluated"
                )
        finally:
            await monitor.aclose()
        return state


def report(states: list[tuple[Target, ClusterState]]) -> dict[str, Any]:
    worst = max((s.state for _t, s in states), key=ORDER.index, default="ok")
    clusters = []
    for target, state in states:
        doc = describe(state)
        doc = {"name": doc.pop("name"), "profile": target.profile, "url": target.url, **doc}
        clusters.append(doc)
    return {
        "state": worst,
        "exit_code": EXIT_CODES[worst],
        "checked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "clusters": clusters,
    }


def _count(alive: int | None, total: int | None) -> str:
    return "?" if alive is None or total is None else f"{alive}/{total}"


def table(states: list[tuple[Target, ClusterState]]) -> str:
    """A short table: one line per cluster, then its alerts and notes."""
    rows = [("CLUSTER", "STATE", "FE", "BE", "QPS", "P95", "ALERTS")]
    details: list[list[str]] = []
    for target, state in states:
        s, f = state.sample, state.figures
        qps = f"{f['qps']:.1f}" if s.reachable and "qps" in f else "-"
        p95 = f"{f['query_p95_ms'] / 1000:.2f} s" if s.reachable and "query_p95_ms" in f else "-"
        fe = _count(*s.frontend_counts()) if s.reachable else "-"
        be = _count(*s.backend_counts()) if s.reachable else "-"
        rows.append((target.name, state.state, fe, be, qps, p95, str(len(state.alerts))))
        lines = [f"  {a.severity:<9} {a.title}: {a.reason}" for a in state.alerts]
        lines += [f"  {'note':<9} {note}" for note in s.notes]
        details.append(lines)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = ["  ".join(c.ljust(w) for c, w in zip(rows[0], widths, strict=True)).rstrip()]
    for row, lines in zip(rows[1:], details, strict=True):
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        out.extend(lines)
    return "\n".join(out)


def run_health(args: argparse.Namespace) -> int:
    if args.window < 0 or args.timeout <= 0:
        return _fail("--window must be 0 or more seconds and --timeout more than 0")
    try:
        chosen = targets(args)
    except UsageError as e:
        return _fail(str(e))

    async def all_of() -> list[ClusterState]:
        return list(await asyncio.gather(*(check(t, args.window, args.timeout) for t in chosen)))

    try:
        states = list(zip(chosen, asyncio.run(all_of()), strict=True))
    except errors.ApiError as e:  # refused before anything was sent (an address)
        return _fail(str(e))
    except OSError as e:  # a CA bundle that cannot be read
        return _fail(f"{e.strerror or e}" + (f": {e.filename}" if getattr(e, "filename", None) else ""))
    except KeyboardInterrupt:
        return _fail("interrupted")
    except Exception as e:  # never a traceback: the reason, and "not checked"
        return _fail(f"the check ended on an unexpected error: {type(e).__name__}: {e}")
    doc = report(states)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False), flush=True)
    else:
        print(table(states), flush=True)
    return int(doc["exit_code"])
