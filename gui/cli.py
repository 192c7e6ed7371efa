"""Command line of StarRocks Console.

Only the window and ``screenshot`` import Qt: ``load`` and ``sandbox`` must start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__


def _sandbox_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=None, help="FE port; 0 picks free ports for FE and BE (default 8030)"
    )
    p.add_argument("--be-port", type=int, default=None, help="BE port (default 8040, free when --port is 0)")
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
    return run(cfg)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="starrocks-console",
        description="Admin console for StarRocks: Huawei Cloud TaurusDB instances, AI Lake pipe tables, "
        "Stream Load transactions.",
    )
    parser.add_argument("--version", action="version", version=f"starrocks-console {__version__}")
    parser.add_argument("--sandbox", action="store_true", help="start on a fresh local sandbox")
    sub = parser.add_subparsers(dest="command")
    sb = sub.add_parser(
        "sandbox",
        help="run the local sandbox in the foreground",
        description="Run the local sandbox (StarRocks FE/BE, Huawei Cloud TaurusDB, AI Lake). "
        "Prints one JSON line with its URLs and credentials when ready.",
    )
    _sandbox_args(sb)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "sandbox":
        return _run_sandbox(args)
    # The window arrives with the console issue; until then the console is its sandbox.
    print("starrocks-console: the window is not built yet; starting the local sandbox", file=sys.stderr)
    return _run_sandbox(argparse.Namespace(port=None))


if __name__ == "__main__":
    sys.exit(main())
