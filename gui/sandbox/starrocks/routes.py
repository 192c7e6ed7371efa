"""HTTP routes of the emulated StarRocks FE and BE for loading: the transaction interface, plain
Stream Load, load state, the BE's transaction list and error logs."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..http import basic_auth, json_response, load_headers
from . import auth
from . import metric_names as m
from .cluster import Backend
from .txnmgr import FeError, TxnManager, be_reply

if TYPE_CHECKING:
    from ..app import Sandbox

_OP_METRICS = {
    "begin": (m.TXN_STREAM_LOAD_BEGIN_NUM, m.TXN_STREAM_LOAD_BEGIN_LATENCY_MS),
    "load": (m.TXN_STREAM_LOAD_LOAD_NUM, m.TXN_STREAM_LOAD_LOAD_LATENCY_MS),
    "prepare": (m.TXN_STREAM_LOAD_PREPARE_NUM, m.TXN_STREAM_LOAD_PREPARE_LATENCY_MS),
    "commit": (m.TXN_STREAM_LOAD_COMMIT_NUM, m.TXN_STREAM_LOAD_COMMIT_LATENCY_MS),
    "rollback": (m.TXN_STREAM_LOAD_ROLLBACK_NUM, m.TXN_STREAM_LOAD_ROLLBACK_LATENCY_MS),
}


def _be_json(body: Any) -> Response:
    # The BE writes with rapidjson's PrettyWriter: 4-space indent, keys in insertion order.
    return Response(json.dumps(body, indent=4), media_type="application/json")


def _fe_json(body: Any) -> Response:
    # The FE's TransactionResult goes through Gson pretty printing: 2-space indent.
    return Response(json.dumps(body, indent=2), media_type="application/json")


def _rest_result(msg: str) -> Response:
    """The FE's RestBaseResult for a failure (lowercase keys)."""
    return json_response({"status": "FAILED", "code": "1", "msg": msg, "message": msg})


def _redirect(be: Backend, request: Request) -> Response:
    query = request.url.query
    location = f"http://{be.advertised}{request.url.path}" + (f"?{query}" if query else "")
    return Response(status_code=307, headers={"Location": location, "Content-Length": "0"})


def _txn_backend(sb: Sandbox, mgr: TxnManager, op: str, headers: dict[str, str]) -> Backend:
    """The BE a transaction request goes to, as TransactionLoadAction picks it: begin takes the next
    alive BE (round robin) and the FE remembers it for the label; every later request of the label
    goes to that BE, alive or not."""
    label = headers.get("label", "")
    if op == "begin":
        be = sb.cluster.choose_backend(sb.clock.ms())
        if be is None:
            raise FeError("No backend alive.")
        sb.cluster.remember_txn(label, be)
        return be
    be = sb.cluster.txn_backend(label)
    if be is None:
        # The label map lives in the FE's memory; the transaction's record still names its BE.
        t = mgr.records.by_label(headers.get("db", ""), label)
        be = sb.cluster.backend(t.be_id) if t is not None else None
    return be or sb.cluster.first


def fe_routes(sb: Sandbox, mgr: TxnManager) -> list[BaseRoute]:
    async def transaction(request: Request) -> Response:
        if auth.check(sb.config, request) is None:
            return auth.fe_unauthorized(request)
        op = request.path_params["op"]
        metric = _OP_METRICS.get(op.lower())
        started = time.monotonic()
        if metric is not None:
            # "being handled" counters: up while the FE works on the request, down after.
            sb.metrics.inc(metric[0])
        headers = load_headers(request)
        try:
            result = mgr.fe_decide(op, headers)
            if result is None:
                return _redirect(_txn_backend(sb, mgr, op.lower(), headers), request)
        except FeError as e:
            return _fe_json({"Status": "FAILED", "Message": e.text})
        finally:
            if metric is not None:
                sb.metrics.inc(metric[0], -1)
                m.observe(sb.metrics, metric[1], (time.monotonic() - started) * 1000)
        return _fe_json(result)

    async def stream_load(request: Request) -> Response:
        if auth.check(sb.config, request) is None:
            return auth.fe_unauthorized(request)
        if "expect" not in request.headers:
            return _rest_result("There is no 100-continue header")
        db, table = request.path_params["db"], request.path_params["table"]
        if sb.engine.database(db) is None:
            return _rest_result(f"unknown database, database={db}")
        if sb.engine.table(db, table) is None:
            return _rest_result(f"unknown table, table={table}")
        be = sb.cluster.choose_backend(sb.clock.ms())
        if be is None:
            return _rest_result("No backend alive.")
        return _redirect(be, request)

    async def load_state(request: Request) -> Response:
        if auth.check(sb.config, request) is None:
            return auth.fe_unauthorized(request)
        db = request.path_params["db"]
        label = request.query_params.get("label", "")
        if not label:
            return _rest_result("No label selected")
        if sb.engine.database(db) is None:
            return _rest_result(f"unknown database, database={db}")
        return json_response(
            {
                "status": "OK",
                "code": "0",
                "msg": "Success",
                "message": "OK",
                "state": mgr.load_state(db, label),
            }
        )

    return [
        Route("/api/transaction/{op}", transaction, methods=["POST", "PUT"]),
        Route("/api/{db}/{table}/_stream_load", stream_load, methods=["PUT"]),
        Route("/api/{db}/get_load_state", load_state, methods=["GET"]),
    ]


def be_routes(sb: Sandbox, mgr: TxnManager, be: Backend) -> list[BaseRoute]:
    def be_user(request: Request) -> tuple[str | None, bool]:
        creds = basic_auth(request)
        return auth.check(sb.config, request), creds is not None

    async def transaction(request: Request) -> Response:
        op = request.path_params["op"].lower()
        be.metrics.inc(m.BE_HTTP_REQUESTS_TOTAL)
        if op == "list":
            return Response(mgr.be_list(be), media_type="application/json")
        if request.method == "PUT" and op != "load":
            return Response(status_code=405)
        if op == "load":
            if request.method != "PUT":
                return Response(status_code=405)
            user, _ = be_user(request)
            return _be_json(await mgr.be_load(request, user, be))
        headers = load_headers(request)
        if not headers.get("label"):
            return _be_json(be_reply("INVALID_ARGUMENT", "empty label"))
        if headers.get("transaction_type"):
            return _be_json(
                be_reply(
                    "INVALID_ARGUMENT",
                    "Multi-statement transaction requests can only be sent to FE nodes, not BE nodes",
                )
            )
        if op == "begin":
            user, has_auth = be_user(request)
            return _be_json(mgr.be_begin(headers, user, has_auth, be))
        if op in ("commit", "prepare"):
            return _be_json(await mgr.be_commit(headers, prepare=op == "prepare", be=be))
        if op == "rollback":
            return _be_json(await mgr.be_rollback(headers, be))
        return _be_json(
            be_reply("INVALID_ARGUMENT", f"unsupport transaction operation {request.path_params['op']}")
        )

    async def stream_load(request: Request) -> Response:
        be.metrics.inc(m.BE_HTTP_REQUESTS_TOTAL)
        user, has_auth = be_user(request)
        if not has_auth:
            return _be_json({"Status": "Fail", "Message": "no valid Basic authorization"})
        db, table = request.path_params["db"], request.path_params["table"]
        result = await mgr.stream_load(request, db, table, user, be)
        return _be_json(result)

    async def error_log(request: Request) -> Response:
        name = request.query_params.get("file", "")
        path = mgr.error_dir / name
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", name) or not path.is_file():
            return PlainTextResponse("", status_code=404)
        return PlainTextResponse(path.read_text(encoding="utf-8"))

    return [
        Route("/api/transaction/{op}", transaction, methods=["POST", "PUT"]),
        Route("/api/{db}/{table}/_stream_load", stream_load, methods=["PUT"]),
        Route("/api/_load_error_log", error_log, methods=["GET"]),
    ]
