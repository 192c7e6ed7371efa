"""Command line of StarRocks Console.

Only the window and ``screenshot`` import Qt: ``load``, ``health`` and ``sandbox`` must start fast.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .views import slugs


def _sandbox_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=None, help="FE port; 0 picks free ports for FE and BE (default 8030)"
    )
    p.add_argument("--be-port", type=int, default=None, help="BE port (default 8040, free when --port is 0)")
    p.add_argument("--backends", type=int, default=None, help="how many BEs, each its own port (default 1)")
    p.add_argument(
        "--query-port",
        type=int,
        default=None,
        help="the FE's MySQL-protocol port (default 9030, free when --port is 0)",
    )
    p.add_argument(
        "--ssl-cert",
        type=Path,
        default=None,
        metavar="PEM",
        help="offer TLS on the query port with this certificate (with --ssl-key), as an FE with "
        "ssl_keystore_location set (default: no TLS there)",
    )
    p.add_argument("--ssl-key", type=Path, default=None, metavar="PEM", help="the private key of --ssl-cert")
    p.add_argument(
        "--data", type=Path, default=None, help="data folder kept across restarts (default: a temporary one)"
    )
    p.add_argument(
        "--be-advertise",
        metavar="HOST:PORT",
        default=None,
        help="the BE address the FE writes into its redirects",
    )
    p.add_argument("--fe-user", default=None)
    p.add_argument("--fe-password", default=None)
    p.add_argument("--ailake-token", default=None)
    p.add_argument("--huawei-project-id", default=None)
    p.add_argument("--huawei-region", default=None)
    p.add_argument("--huawei-ak", default=None)
    p.add_argument("--huawei-sk", default=None)
    p.add_argument("--iam-user", default=None)
    p.add_argument("--iam-password", default=None)
    p.add_argument("--iam-domain", default=None)
    p.add_argument(
        "--job-seconds",
        type=float,
        default=None,
        help="how long a Huawei job runs before it completes (default 3)",
    )
    p.add_argument(
        "--operation-seconds",
        type=float,
        default=None,
        help="how long an AI Lake operation stays pending (default 1)",
    )
    p.add_argument(
        "--token-seconds",
        type=float,
        default=None,
        help="lifetime of an IAM token (default 86400, as Huawei issues them)",
    )


def _run_sandbox(args: argparse.Namespace) -> int:
    from .sandbox.config import SandboxConfig
    from .sandbox.server import run

    cfg = SandboxConfig.from_env()
    simple = {
        "host": "host",
        "port": "port",
        "be_port": "be_port",
        "query_port": "query_port",
        "ssl_cert": "ssl_cert",
        "ssl_key": "ssl_key",
        "backends": "backends",
        "data": "data_dir",
        "be_advertise": "be_advertise",
        "fe_user": "fe_user",
        "fe_password": "fe_password",
        "ailake_token": "ailake_token",
        "job_seconds": "job_seconds",
        "operation_seconds": "operation_seconds",
        "token_seconds": "token_seconds",
    }
    for arg, attr in simple.items():
        value = getattr(args, arg, None)
        if value is not None:
            setattr(cfg, attr, value)
    huawei = {
        "huawei_project_id": "project_id",
        "huawei_region": "region",
        "huawei_ak": "ak",
        "huawei_sk": "sk",
        "iam_user": "iam_user",
        "iam_password": "iam_password",
        "iam_domain": "iam_domain",
    }
    for arg, attr in huawei.items():
        value = getattr(args, arg, None)
        if value is not None:
            setattr(cfg.huawei, attr, value)
    if (cfg.ssl_cert is None) != (cfg.ssl_key is None):
        print("starrocks-console sandbox: --ssl-cert and --ssl-key go together", file=sys.stderr)
        return 2
    return run(cfg)


def _size(text: str) -> int:
    """Bytes from ``67108864``, ``64M``, ``1G``..."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    if t and t[-1] in units:
        return int(float(t[:-1]) * units[t[-1]])
    value = int(t)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _load_args(p: argparse.ArgumentParser) -> None:
    # Every option says its default: what StarRocks does when the option is left out.
    p.add_argument("file", type=Path, help="the CSV or JSON file to load")
    p.add_argument(
        "--url",
        help="FE HTTP address, e.g. http://fe-host:8030, without user or password (default: from --profile)",
    )
    p.add_argument("--user", help="user name (default: from --profile)")
    p.add_argument("--db", required=True, help="the database (required)")
    p.add_argument("--table", required=True, help="the table (required)")
    p.add_argument(
        "--label",
        help="the transaction label; running again with it never loads twice (default: one made for this "
        "file and kept in the journal, so the same command finds it again)",
    )
    p.add_argument("--format", choices=["csv", "json"], default="csv", help="(default: csv)")
    p.add_argument(
        "--column-separator",
        metavar="S",
        help="CSV column separator, e.g. , or '|' or '\\x01' (default: tab, as StarRocks)",
    )
    p.add_argument("--row-delimiter", metavar="S", help="CSV row delimiter (default: \\n, as StarRocks)")
    p.add_argument(
        "--columns",
        help="column mapping, e.g. 'id, name, tmp, total = tmp * 2' (default: the file's "
        "columns in the table's order)",
    )
    p.add_argument("--where", help="a filter on the loaded rows (default: every row)")
    p.add_argument(
        "--max-filter-ratio",
        type=float,
        metavar="R",
        help="largest share of rows that may be filtered out, 0 to 1 (default: 0, as StarRocks: one "
        "filtered row fails the load)",
    )
    p.add_argument(
        "--strict-mode",
        action="store_true",
        help="filter out rows whose values fail conversion (default: off: such values load as NULL)",
    )
    p.add_argument(
        "--jsonpaths", help='JSON: the fields to load, e.g. \'["$.id", "$.name"]\' (default: by name)'
    )
    p.add_argument("--json-root", help="JSON: the path of the rows inside each document (default: the root)")
    p.add_argument(
        "--strip-outer-array", action="store_true", help="JSON: the file is one array of rows (default: off)"
    )
    p.add_argument("--skip-header", type=int, metavar="N", help="CSV: skip the first N lines (default: 0)")
    p.add_argument(
        "--chunk-size",
        type=_size,
        default=None,
        metavar="BYTES",
        help="cut the file into loads of about this size, on row boundaries (default: 64M)",
    )
    p.add_argument(
        "--timeout",
        type=int,
        metavar="S",
        help="the transaction's timeout in seconds (default: the FE's stream_load_default_timeout_second, "
        "600 unless changed)",
    )
    p.add_argument(
        "--give-up-after",
        type=float,
        default=600.0,
        metavar="S",
        help="how long to keep trying without progress — cluster not answering, attempts that end "
        "without moving the load on — before giving up (default: 600)",
    )
    secret = p.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-env",
        metavar="VAR",
        help="read the password from this environment variable (default: STARROCKS_PASSWORD; it must be "
        "set, empty for a user without password)",
    )
    secret.add_argument(
        "--profile",
        metavar="NAME",
        help="a StarRocks cluster profile: address, user, TLS and BE map, password from the keyring "
        "(default: none)",
    )
    _connection_args(p, nodes="the BE")


def _connection_args(p: argparse.ArgumentParser, *, nodes: str) -> None:
    """TLS options of every command that reaches a cluster; with ``nodes`` (what the FE names: "the
    BE" a load is redirected to, "the node" whose metrics health reads), the address map and the
    plain-HTTP permission too, so that each command says them the same way."""
    if nodes:
        p.add_argument(
            "--be-map",
            action="append",
            default=[],
            metavar="FROM=TO",
            help=f"reach {nodes} the FE names FROM (host:port) at TO instead; repeatable (default: none, "
            "or the profile's)",
        )
    p.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify TLS certificates (default: verify them, unless the profile turns it off)",
    )
    if nodes:
        p.add_argument(
            "--allow-plain-http-be",
            action="store_true",
            help="from an https FE, let the password follow its redirects to http:// BEs (default: "
            "refuse, or the profile's setting)",
        )
    p.add_argument(
        "--ca-bundle",
        metavar="PEM",
        help="trust the certificates in this file (default: the profile's, or the system's)",
    )


def _run_load(args: argparse.Namespace) -> int:
    # httpx's own command line (click, pygments) is of no use to a load and costs it some 20 ms of
    # CPU at start: kept out the way httpx provides for an install without it (its ``main`` then
    # only says so). Nothing changes in a process that imported httpx already.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    from .loadcmd import run_load

    return run_load(args)


def _sql_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile",
        metavar="NAME",
        help="a StarRocks cluster profile: address, user, query port, TLS, read-only; password from the "
        "keyring",
    )
    p.add_argument("--url", help="the FE's HTTP address, e.g. http://fe-host:8030 (with --user)")
    p.add_argument("--user", help="user name (with --url)")
    p.add_argument(
        "--password-env",
        metavar="VAR",
        help="read the password from this environment variable (default: STARROCKS_PASSWORD; it must be set, "
        "empty for a user without password)",
    )
    p.add_argument(
        "--query-port",
        type=int,
        metavar="PORT",
        help="the FE's MySQL-protocol port (default: the profile's, or 9030)",
    )
    p.add_argument(
        "--query-tls",
        action="store_true",
        help="require TLS on the query port (default: the profile's setting, or off)",
    )
    _connection_args(p, nodes="")
    source = p.add_mutually_exclusive_group()
    source.add_argument("-e", "--execute", metavar="SQL", help="the statements to run (';' between them)")
    source.add_argument("-f", "--file", metavar="FILE", help="a file of statements ('-': standard input)")
    p.add_argument("--db", help="the database the statements run in (default: none)")
    p.add_argument(
        "--format",
        choices=["table", "csv", "jsonl"],
        default="table",
        help="how rows are written to stdout (default: table)",
    )
    p.add_argument(
        "--max-rows",
        type=int,
        metavar="N",
        help="read at most N rows of each result; the rest is not fetched (default: all)",
    )
    p.add_argument(
        "--confirm",
        action="append",
        default=[],
        metavar="NAME",
        help="confirm a destructive statement (DROP, TRUNCATE, DELETE without WHERE, ADMIN SET CONFIG...) "
        "by the name it acts on; repeatable. Without it such a statement is refused",
    )
    p.add_argument(
        "--continue",
        dest="keep_going",
        action="store_true",
        help="go on after a statement fails (default: stop at the first)",
    )


def _run_sql(args: argparse.Namespace) -> int:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # as for `load`
    from .sqlcmd import run_sql

    return run_sql(args)


class _Parser(argparse.ArgumentParser):
    """A sub-command's parser; ``usage_exit`` is the exit code of a command line it cannot take
    (``health`` says 3, "not checked": its 2 means a critical cluster)."""

    usage_exit = 2

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.usage_exit, f"{self.prog}: error: {message}\n")


def _health_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="NAME",
        help="a StarRocks cluster profile (address, user, TLS, BE map; password from the keyring); "
        "repeatable, the worst cluster decides the exit code",
    )
    p.add_argument("--url", help="the FE's HTTP address, e.g. http://fe-host:8030, without user or password")
    p.add_argument("--user", help="user name (with --url)")
    p.add_argument(
        "--password-env",
        metavar="VAR",
        help="read the password from this environment variable (default: STARROCKS_PASSWORD; it must be "
        "set, empty for a user without password)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document (default: a short table)")
    p.add_argument(
        "--window",
        type=float,
        default=5.0,
        metavar="S",
        help="read each cluster twice, S seconds apart, so that rates come from its counters (default: 5; "
        "0 reads once and takes the FE's own per-second figures, without the aborted-transactions rule)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds to wait for each answer (default: 10)",
    )
    _connection_args(p, nodes="the node")


def _run_health(args: argparse.Namespace) -> int:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # as for `load`
    from .healthcmd import run_health

    return run_health(args)


def build_parser() -> _Parser:
    parser = _Parser(
        prog="starrocks-console",
        description="Admin console for StarRocks: Huawei Cloud TaurusDB instances, AI Lake pipe tables, "
        "Stream Load transactions.",
    )
    parser.add_argument("--version", action="version", version=f"starrocks-console {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check offscreen that this installation works here (Qt, keyring, TLS trust store, the "
        "sandbox over HTTP and its query port, a view rendered) and exit: 0 when all pass, 1 with the "
        "reason of the first failure",
    )
    parser.add_argument("--sandbox", action="store_true", help="start on a fresh local sandbox")
    parser.add_argument("--profile", metavar="NAME", help="select this profile on start")
    parser.add_argument(
        "--theme",
        choices=["system", "light", "dark"],
        default="system",
        help="colours of the window (default: follow the system)",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    sb = sub.add_parser(
        "sandbox",
        help="run the local sandbox in the foreground",
        description="Run the local sandbox (StarRocks FE/BE, Huawei Cloud TaurusDB, AI Lake). "
        "Prints one JSON line with its URLs and credentials when ready.",
    )
    _sandbox_args(sb)
    ld = sub.add_parser(
        "load",
        help="load a file in one Stream Load transaction, exactly once",
        description="Load FILE into DB.TABLE in one transaction (begin, the file in chunks cut on row "
        "boundaries, prepare, commit) and print one JSON line. Safe to run again: the same label, or "
        "the same file without one, is never loaded twice.",
    )
    _load_args(ld)
    health = sub.add_parser(
        "health",
        help="check clusters for scripts and monitoring: exit 0 ok, 1 warning, 2 critical, 3 unreachable",
        description="Read one or more StarRocks clusters and evaluate the console's alert rules on them; "
        "print a short table (or --json) of their state, nodes, alerts and key figures. Exit 0 ok, 1 "
        "warning, 2 critical, 3 unreachable or not checked (the worst cluster decides).",
    )
    assert isinstance(health, _Parser)
    health.usage_exit = 3
    _health_args(health)
    sql = sub.add_parser(
        "sql",
        help="run SQL statements on a cluster (-e SQL or -f FILE): rows as a table, CSV or JSON lines",
        description="Run statements on a StarRocks cluster through the FE's query port (MySQL protocol), "
        "or the HTTP SQL API for SELECT/SHOW/EXPLAIN/DESC/KILL when only HTTP answers. Rows go to stdout, "
        "each statement's figures and errors to stderr. Exit 0 when every statement ran, 1 when one "
        "failed, was refused or cancelled, 2 for a command line that cannot be run.",
    )
    _sql_args(sql)
    shot = sub.add_parser(
        "screenshot",
        help="render the window offscreen on one view to a PNG",
        description="Render the window offscreen on one view, with its data loaded, to a PNG.",
    )
    shot.add_argument("--view", required=True, choices=slugs())
    shot.add_argument("--out", required=True, type=Path, metavar="FILE.png")
    shot.add_argument("--sandbox", action="store_true", help="on a fresh local sandbox")
    shot.add_argument("--size", default="1280x800", metavar="WxH", help="window size (default 1280x800)")
    shot.add_argument("--theme", choices=["system", "light", "dark"], default="light")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # Told by the top-level parser, with the exit code of the sub-command it was meant for.
        if args.command == "health":
            parser.usage_exit = 3
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.self_test:
        if args.command is not None:
            parser.error(f"--self-test runs alone, not with {args.command}")
        from .selftest import run_self_test

        return run_self_test()
    if args.command == "sandbox":
        return _run_sandbox(args)
    if args.command == "load":
        return _run_load(args)
    if args.command == "health":
        return _run_health(args)
    if args.command == "sql":
        return _run_sql(args)
    if args.command == "screenshot":
        if not re.fullmatch(r"\d{2,5}x\d{2,5}", args.size):
            print("starrocks-console screenshot: --size wants WxH, e.g. 1280x800", file=sys.stderr)
            return 2
        from .app import run_screenshot

        return run_screenshot(args)
    from .app import run_window

    return run_window(args)


if __name__ == "__main__":
    sys.exit(main())
