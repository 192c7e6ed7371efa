"""AI Lake emulation: database instances, object storages, pipe tables, operations.

Every mutation is a long-running operation: the request is checked and answered 202 with
``operation-id`` (the client's own ``operation-id`` header when it sent one) and
``operation-location``; the operation stays ``pending`` for ``operation_seconds`` and is then carried
out, one at a time in the order accepted, ending ``succeeded`` or ``failed``. What the service can
decide from the request and its own records (schema, names, existence of instances, tables and
storages) is refused at once with a problem document; what needs the parquet files or StarRocks ends
as a failed operation whose ``error`` carries the HTTP status it stands for.

An operation is due ``operation_seconds`` after it was accepted on the sandbox's clock: a timer
starts it then, and moving the clock starts (and finishes) every operation that fell due at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, compile_path

from ..engine import EngineError, TableDef, qualified
from . import lake, seed, validate
from .api import (
    TITLES,
    ApiError,
    accepted,
    check_token,
    document,
    item,
    json_body,
    list_document,
    page_document,
    paging,
    problem,
    single_document,
)

if TYPE_CHECKING:
    from ..app import Sandbox

log = logging.getLogger("starrocks_console.sandbox.ailake")

BASE = "/api/v1/ailake"
INSTANCES = f"{BASE}/database/instances"

K_STORAGE = "ailake_storage"
K_INSTANCE = "ailake_instance"
K_PIPE = "ailake_pipe_table"
K_OPERATION = "ailake_operation"
K_SERVICE = "ailake_service"
K_META = "ailake_meta"
K_STATS = "ailake_table_stats"

SERVICE_COMMANDS = ("poll", "pause", "resume")
MAX_OPERATION_ID = 255

Handler = Callable[[Request], Awaitable[Response]]


def _storage_attributes(doc: dict[str, Any]) -> dict[str, Any]:
    config = {k: v for k, v in doc["storageConfig"].items() if not k.endswith("_env")}
    return {
        "storageId": doc["storageId"],
        "name": doc["name"],
        "storageType": doc["storageType"],
        "storageConfig": config,
    }


def _instance_attributes(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": doc["id"],
        "name": doc["name"],
        "storageIds": list(doc["storageIds"]),
        "dataSources": [dict(d) for d in doc["dataSources"]],
    }


def _columns(rec: dict[str, Any]) -> list[dict[str, str]]:
    return [{"name": c["name"], "type": c["type"]} for c in rec["plan"]]


def _pipe_summary(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "pipeTableId": rec["pipeTableId"],
        "tableName": rec["tableName"],
        "pathPrefix": rec["pathPrefix"],
        "columns": _columns(rec),
    }


def _pipe_attributes(rec: dict[str, Any]) -> dict[str, Any]:
    out = {
        "pipeTableId": rec["pipeTableId"],
        "tableName": rec["tableName"],
        "databaseName": rec["databaseName"],
        "pathPrefix": rec["pathPrefix"],
        "sourceStorageName": rec["sourceStorageName"],
        "columns": _columns(rec),
        "partitionColumns": list(rec["partitionColumns"]),
        "keyConfig": rec["keyConfig"],
        "distributionConfig": rec["distributionConfig"],
        "pollingIntervalSeconds": rec["pollingIntervalSeconds"],
        "tableProperties": rec["tableProperties"],
    }
    if rec.get("partitionConfig") is not None:
        out["partitionConfig"] = rec["partitionConfig"]
    return out


def _operation_view(doc: dict[str, Any]) -> dict[str, Any]:
    out = {"id": doc["id"], "kind": doc["kind"], "status": doc["status"]}
    if doc["status"] == "succeeded" and doc.get("result") is not None:
        out["result"] = doc["result"]
    if doc["status"] == "failed":
        out["error"] = doc["error"]
    return out


def _setter(**values: Any) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        doc.update(values)

    return apply


def _bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return False
    low = raw.strip().lower()
    if low in ("true", "1", "yes", "on"):
        return True
    if low in ("false", "0", "no", "off"):
        return False
    raise ApiError(400, f"Parameter '{name}' must be a boolean, got '{raw}'.")


class AiLake:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.store = sb.store
        # Operations and pipe polls change tables and records: one at a time.
        self._work = threading.Lock()
        self._op_lock = asyncio.Lock()
        # Pending operations waiting for their time, and the ones started (until they end).
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._seed()
        self._pending = {d["id"] for d in self.store.list(K_OPERATION) if d["status"] == "pending"}
        sb.metrics.describe(
            "sandbox_ailake_operations_total", "counter", "AI Lake operations by kind and outcome"
        )
        sb.metrics.describe(
            "sandbox_ailake_pipe_files_loaded_total", "counter", "Parquet files loaded by pipes"
        )
        sb.add_sweeper(self._sweep)

    # -- seed --------------------------------------------------------------------------------------
    def _seed(self) -> None:
        if self.store.get(K_META, "seed") is not None:
            return
        storage = seed.storage_doc()
        self.store.put(K_STORAGE, storage["storageId"], storage)
        seed.write_sales(self._root(storage["name"]))
        inst = seed.instance_doc(storage["storageId"])
        self.store.put(K_INSTANCE, inst["id"], inst)
        svc = seed.service_doc()
        self.store.put(K_SERVICE, svc["serviceId"], svc)
        if self.sb.engine.database(inst["name"]) is None:
            self.sb.engine.create_database(inst["name"])
        req = seed.sales_request()
        rec = self._new_pipe_record(inst, storage, req)
        self.store.put(K_PIPE, self._pipe_key(inst["id"], req["tableName"]), rec)
        try:
            self._create_pipe_table(rec)
        except lake.LakeError as e:  # a folder edited by hand must not stop the sandbox
            log.warning("seeded pipe table not created: %s", e.detail)
            self.store.delete(K_PIPE, self._pipe_key(inst["id"], req["tableName"]))
        self.store.put(K_META, "seed", {"seededAt": self.sb.clock.now()})

    # -- lookups -----------------------------------------------------------------------------------
    def _root(self, storage_name: str) -> Path:
        return lake.storage_root(self.sb.data_dir, storage_name)

    @staticmethod
    def _pipe_key(instance_id: str, table: str) -> str:
        return f"{instance_id}/{table}"

    def _storages(self) -> list[dict[str, Any]]:
        """Registered storages; a folder added under ``DATA/object-storage/`` registers itself."""
        docs = self.store.list(K_STORAGE)
        known = {d["name"] for d in docs}
        base = self.sb.data_dir / "object-storage"
        if base.is_dir():
            for folder in sorted(base.iterdir()):
                if folder.is_dir() and not folder.name.startswith(".") and folder.name not in known:
                    doc: dict[str, Any] = {
                        "storageId": str(uuid.uuid4()),
                        "name": folder.name,
                        "storageType": "s3",
                        "storageConfig": {"bucket": folder.name, "region": "us-east-1"},
                    }
                    self.store.put(K_STORAGE, doc["storageId"], doc)
                    docs.append(doc)
        return docs

    def _instance(self, ref: str) -> dict[str, Any]:
        """An active instance by name (preferred) or UUID."""
        docs = [d for d in self.store.list(K_INSTANCE) if d.get("state") == "active"]
        found = next((d for d in docs if d["name"] == ref), None) or next(
            (d for d in docs if d["id"] == ref), None
        )
        if found is None:
            raise ApiError(404, f"Database instance '{ref}' not found.")
        return found

    def _pipe(self, inst: dict[str, Any], table: str) -> dict[str, Any]:
        rec = self.store.get(K_PIPE, self._pipe_key(inst["id"], table))
        if rec is None or rec.get("state") != "active":
            raise ApiError(404, f"Pipe table '{table}' not found in database instance '{inst['name']}'.")
        return rec

    def _pipes_of(self, instance_id: str) -> list[dict[str, Any]]:
        return self.store.find(K_PIPE, {"instanceId": instance_id})

    # -- routes ------------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        table = INSTANCES + "/{instanceId}/pipeTables/{tableName}"
        specs: list[tuple[str, str, Handler]] = [
            (INSTANCES, "GET", self.list_instances),
            (INSTANCES, "POST", self.provision),
            (INSTANCES + "/{instanceId}", "GET", self.get_instance),
            (INSTANCES + "/{instanceId}", "DELETE", self.deprovision),
            (INSTANCES + "/{instanceId}/analyzeStatistics", "POST", self.analyze),
            (INSTANCES + "/{instanceId}/dataSource", "PATCH", self.update_data_source),
            (INSTANCES + "/{instanceId}/dataSources", "GET", self.list_data_sources),
            (INSTANCES + "/{instanceId}/dataSources", "POST", self.add_data_source),
            (INSTANCES + "/{instanceId}/dataSources/{dataSourceId}", "DELETE", self.remove_data_source),
            (INSTANCES + "/{instanceId}/pipeTables", "GET", self.list_pipe_tables),
            (INSTANCES + "/{instanceId}/pipeTables", "POST", self.create_pipe_table),
            (table, "GET", self.get_pipe_table),
            (table, "DELETE", self.delete_pipe_table),
            (table + "/refresh", "POST", self.refresh_partition),
            (f"{BASE}/objectStorages", "GET", self.list_object_storages),
            (f"{BASE}/operations/{{operationId}}", "GET", self.get_operation),
            (f"{BASE}/services", "GET", self.list_services),
            (f"{BASE}/services/{{serviceId}}/status", "GET", self.service_status),
            (f"{BASE}/services/{{serviceId}}/commands/{{commandName}}/run", "POST", self.run_command),
        ]
        by_path: dict[str, dict[str, Handler]] = {}
        for path, method, fn in specs:
            by_path.setdefault(path, {})[method] = fn
        routes: list[BaseRoute] = [
            Route(path, self._dispatch(methods), methods=list(methods)) for path, methods in by_path.items()
        ]
        known = [compile_path(path)[0] for path in by_path]
        routes.append(
            Route(
                BASE + "/{rest:path}",
                self._fallback(known),
                methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            )
        )
        return routes

    def _dispatch(self, methods: dict[str, Handler]) -> Handler:
        async def endpoint(request: Request) -> Response:
            return await self._guard(request, methods[request.method])

        return endpoint

    def _fallback(self, known: list[re.Pattern[str]]) -> Handler:
        """Unknown paths and methods answer problem documents too (after the token check)."""

        async def endpoint(request: Request) -> Response:
            async def answer(_: Request) -> Response:
                path = request.url.path
                if any(rx.match(path) for rx in known):
                    return problem(405, f"Request method '{request.method}' is not supported.")
                return problem(404, f"No endpoint {request.method} {path}.")

            return await self._guard(request, answer)

        return endpoint

    async def _guard(self, request: Request, handler: Handler) -> Response:
        try:
            check_token(request, self.sb.config.ailake_token)
            return await handler(request)
        except ApiError as e:
            return problem(e.status, e.detail)
        except Exception:
            log.exception("AI Lake request %s %s failed", request.method, request.url.path)
            return problem(500, "Server-side problem. Contact support.")

    # -- operations --------------------------------------------------------------------------------
    def _operation_id(self, request: Request) -> str:
        given = request.headers.get("operation-id")
        if given is None:
            return str(uuid.uuid4())
        given = given.strip()
        if not given or len(given) > MAX_OPERATION_ID or "/" in given:
            raise ApiError(
                400, "Header 'operation-id' must be a non-empty string without '/' (at most 255 chars)."
            )
        if self.store.get(K_OPERATION, given) is not None:
            raise ApiError(409, f"Operation '{given}' already exists.")
        return given

    def _start(self, op_id: str, kind: str, params: dict[str, Any]) -> None:
        now = self.sb.clock.now()
        delay = max(0.0, self.sb.config.operation_seconds)
        doc = {
            "id": op_id,
            "kind": kind,
            "status": "pending",
            "createdAt": now,
            "dueAt": now + delay,
            "params": params,
        }
        self.store.put(K_OPERATION, op_id, doc)
        self._pending.add(op_id)
        self._timers[op_id] = asyncio.get_running_loop().call_later(delay, self._spawn, op_id)

    def _spawn(self, op_id: str) -> asyncio.Task[None]:
        """Start carrying out an operation (once: an operation already started is not started
        again); its timer, if it is still waiting for one, is no longer needed."""
        timer = self._timers.pop(op_id, None)
        if timer is not None:
            timer.cancel()
        task = self._running.get(op_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._execute(op_id))
            self._running[op_id] = task
            task.add_done_callback(lambda _: self._running.pop(op_id, None))
        return task

    async def _execute(self, op_id: str) -> None:
        async with self._op_lock:
            try:
                doc = self.store.get(K_OPERATION, op_id)
                if doc is None or doc["status"] != "pending":
                    return
                try:
                    result = await self.store.run(self._carry_out, doc)
                    outcome: dict[str, Any] = {"status": "succeeded"}
                    if result is not None:
                        outcome["result"] = result
                except lake.LakeError as e:
                    outcome = {"status": "failed", "error": self._error(e.status, e.detail)}
                except Exception:
                    log.exception("AI Lake operation %s (%s) failed", op_id, doc["kind"])
                    outcome = {
                        "status": "failed",
                        "error": self._error(500, "Server-side problem. Contact support."),
                    }

                def finish(d: dict[str, Any]) -> None:
                    d.update(outcome)
                    d["finishedAt"] = self.sb.clock.now()

                self.store.update(K_OPERATION, op_id, finish)
                self.sb.metrics.inc(
                    "sandbox_ailake_operations_total", kind=doc["kind"], status=outcome["status"]
                )
            finally:
                self._pending.discard(op_id)

    @staticmethod
    def _error(status: int, detail: str) -> dict[str, Any]:
        return {"title": TITLES.get(status, "Error"), "status": status, "detail": detail}

    def _carry_out(self, doc: dict[str, Any]) -> dict[str, Any] | None:
        work: dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]] = {
            "provision-database": self._do_provision,
            "deprovision-database": self._do_deprovision,
            "create-pipe-table": self._do_create,
            "delete-pipe-table": self._do_delete,
            "refresh-partition": self._do_refresh,
            "analyze-statistics": self._do_analyze,
            "run-service-command": self._do_command,
        }
        with self._work:
            return work[doc["kind"]](doc["params"])

    async def _sweep(self) -> None:
        """Start the operations that are due (left pending by a previous run of the sandbox, or
        made due by moving the clock), in the order they were accepted, and wait for every started
        one to end; then poll the pipes that are due."""
        if self._pending.difference(self._running):
            due = await self.store.run(
                self.store.ids_where,
                K_OPERATION,
                "body->>'$.status' = 'pending' AND CAST(body->>'$.dueAt' AS DOUBLE) <= ?",
                [self.sb.clock.now()],
            )
            for op_id in due:
                self._spawn(op_id)
        if self._running:
            # asyncio.wait, not gather: stopping the sandbox cancels this sweep, not the operations.
            await asyncio.wait(list(self._running.values()))
        await self.store.run(self._poll_pipes)

    # -- database instances ------------------------------------------------------------------------
    async def list_instances(self, request: Request) -> Response:
        p = paging(request)
        docs = [d for d in self.store.list(K_INSTANCE) if d.get("state") == "active"]
        items = [item("databaseInstance", d["id"], _instance_attributes(d)) for d in docs]
        return list_document(request, items, p)

    async def get_instance(self, request: Request) -> Response:
        inst = self._instance(request.path_params["instanceId"])
        return single_document(request, "databaseInstance", inst["id"], _instance_attributes(inst))

    def _data_source_ids(self, exclude: str | None = None) -> set[str]:
        out = set()
        for d in self.store.list(K_INSTANCE):
            for ds in d["dataSources"]:
                if ds["dataSourceId"] != exclude:
                    out.add(ds["dataSourceId"])
        return out

    async def provision(self, request: Request) -> Response:
        req = validate.provision_request(await json_body(request))
        op_id = self._operation_id(request)
        storages = {d["storageId"] for d in self._storages()}
        for sid in req["storageIds"]:
            if sid not in storages:
                raise ApiError(400, f"Object storage '{sid}' not found.")
        with self.store.lock:
            if any(d["name"] == req["name"] for d in self.store.list(K_INSTANCE)):
                raise ApiError(409, f"Database instance '{req['name']}' already exists.")
            ds_id = req["dataSourceId"] or req["name"]
            if ds_id in self._data_source_ids():
                raise ApiError(409, f"Data source '{ds_id}' already exists.")
            inst = {
                "id": str(uuid.uuid4()),
                "name": req["name"],
                "storageIds": req["storageIds"],
                "dataSources": [
                    {
                        "id": str(uuid.uuid4()),
                        "dataSourceId": ds_id,
                        "dataSourceName": req["dataSourceName"] or req["name"],
                    }
                ],
                "state": "provisioning",
            }
            self.store.put(K_INSTANCE, inst["id"], inst)
        self._start(op_id, "provision-database", {"instanceId": inst["id"]})
        return accepted(op_id)

    def _do_provision(self, params: dict[str, Any]) -> dict[str, Any] | None:
        inst = self.store.get(K_INSTANCE, params["instanceId"])
        if inst is None:
            raise lake.LakeError(404, "Database instance not found.")
        try:
            self.sb.engine.create_database(inst["name"])
        except EngineError as e:
            self.store.delete(K_INSTANCE, inst["id"])
            raise lake.LakeError(409 if e.code == 1007 else 400, e.message) from None
        self.store.update(K_INSTANCE, inst["id"], lambda d: d.update(state="active"))
        return None

    async def deprovision(self, request: Request) -> Response:
        cascade = _bool_param(request, "cascade")
        inst = self._instance(request.path_params["instanceId"])
        op_id = self._operation_id(request)
        self._start(op_id, "deprovision-database", {"instanceId": inst["id"], "cascade": cascade})
        return accepted(op_id)

    def _do_deprovision(self, params: dict[str, Any]) -> dict[str, Any] | None:
        inst = self.store.get(K_INSTANCE, params["instanceId"])
        if inst is None:
            raise lake.LakeError(404, "Database instance not found.")
        engine = self.sb.engine
        tables = engine.tables(inst["name"]) if engine.database(inst["name"]) is not None else []
        if tables and not params["cascade"]:
            raise lake.LakeError(
                409,
                f"Database '{inst['name']}' is not empty ({len(tables)} tables); "
                "deprovision it with cascade=true to drop its tables.",
            )
        engine.drop_database(inst["name"], if_exists=True)
        for rec in self._pipes_of(inst["id"]):
            self.store.delete(K_PIPE, self._pipe_key(inst["id"], rec["tableName"]))
        self.store.delete(K_INSTANCE, inst["id"])
        return None

    # -- data sources ------------------------------------------------------------------------------
    async def list_data_sources(self, request: Request) -> Response:
        p = paging(request)
        inst = self._instance(request.path_params["instanceId"])
        items = [item("dataSource", ds["id"], dict(ds)) for ds in inst["dataSources"]]
        return list_document(request, items, p)

    async def add_data_source(self, request: Request) -> Response:
        body = await json_body(request)
        ds_id = validate.string(body, "", "dataSourceId", required=True)
        ds_name = validate.string(body, "", "dataSourceName")
        assert ds_id is not None
        if not ds_id.strip():
            raise ApiError(400, "'dataSourceId' must not be blank.")
        with self.store.lock:
            inst = self._instance(request.path_params["instanceId"])
            if ds_id in self._data_source_ids():
                raise ApiError(409, f"Data source '{ds_id}' already exists.")
            ds = {"id": str(uuid.uuid4()), "dataSourceId": ds_id, "dataSourceName": ds_name or ds_id}
            self.store.update(K_INSTANCE, inst["id"], lambda d: d["dataSources"].append(ds))
        return document({"dataSource": ds})

    async def remove_data_source(self, request: Request) -> Response:
        ds_id = request.path_params["dataSourceId"]
        with self.store.lock:
            inst = self._instance(request.path_params["instanceId"])
            if not any(ds["dataSourceId"] == ds_id for ds in inst["dataSources"]):
                raise ApiError(404, f"Data source '{ds_id}' is not associated with '{inst['name']}'.")
            if len(inst["dataSources"]) == 1:
                raise ApiError(
                    409, f"Data source '{ds_id}' is the last one of '{inst['name']}' and cannot be removed."
                )

            def drop(d: dict[str, Any]) -> None:
                d["dataSources"] = [x for x in d["dataSources"] if x["dataSourceId"] != ds_id]

            self.store.update(K_INSTANCE, inst["id"], drop)
        return document({"dataSourceId": ds_id})

    async def update_data_source(self, request: Request) -> Response:
        body = await json_body(request)
        new_id = validate.string(body, "", "dataSourceId", required=True)
        old_id = validate.string(body, "", "oldDataSourceId", required=True)
        name = validate.string(body, "", "dataSourceName")
        assert new_id is not None and old_id is not None
        if not new_id.strip():
            raise ApiError(400, "'dataSourceId' must not be blank.")
        with self.store.lock:
            inst = self._instance(request.path_params["instanceId"])
            if not any(ds["dataSourceId"] == old_id for ds in inst["dataSources"]):
                raise ApiError(404, f"Data source '{old_id}' is not associated with '{inst['name']}'.")
            if new_id != old_id and new_id in self._data_source_ids(exclude=old_id):
                raise ApiError(409, f"Data source '{new_id}' already exists.")
            new_name = name or new_id

            def change(d: dict[str, Any]) -> None:
                for ds in d["dataSources"]:
                    if ds["dataSourceId"] == old_id:
                        ds["dataSourceId"], ds["dataSourceName"] = new_id, new_name

            self.store.update(K_INSTANCE, inst["id"], change)
        return document({"dataSourceId": new_id, "dataSourceName": new_name})

    # -- object storages ---------------------------------------------------------------------------
    async def list_object_storages(self, request: Request) -> Response:
        p = paging(request)
        docs = await self.store.run(self._storages)
        items = [item("objectStorage", d["storageId"], _storage_attributes(d)) for d in docs]
        return list_document(request, items, p)

    # -- pipe tables -------------------------------------------------------------------------------
    async def list_pipe_tables(self, request: Request) -> Response:
        p = paging(request)
        inst = self._instance(request.path_params["instanceId"])
        where = {"instanceId": inst["id"], "state": "active"}
        # Cut to the page by the store: an instance may hold tens of thousands of pipe tables.
        total, recs = await self.store.run(
            lambda: (self.store.count(K_PIPE, where), self.store.find(K_PIPE, where, p.page * p.size, p.size))
        )
        items = [item("pipeTable", r["pipeTableId"], _pipe_summary(r)) for r in recs]
        return page_document(request, items, total, p)

    async def get_pipe_table(self, request: Request) -> Response:
        inst = self._instance(request.path_params["instanceId"])
        rec = self._pipe(inst, request.path_params["tableName"])
        return single_document(request, "pipeTable", rec["pipeTableId"], _pipe_attributes(rec))

    def _new_pipe_record(
        self, inst: dict[str, Any], storage: dict[str, Any], req: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "pipeTableId": str(uuid.uuid4()),
            "instanceId": inst["id"],
            "databaseName": inst["name"],
            "tableName": req["tableName"],
            "pathPrefix": req["pathPrefix"],
            "sourceStorageName": storage["name"],
            "storageId": storage["storageId"],
            "pollingIntervalSeconds": req["pollingIntervalSeconds"] or 0,
            "request": req,
            "state": "creating",
            "plan": [],
            "partitionColumns": [],
            "keyConfig": None,
            "distributionConfig": None,
            "partitionConfig": None,
            "tableProperties": None,
            "files": {},
            "lastPollAt": 0.0,
            "createdAt": self.sb.clock.now(),
        }

    async def create_pipe_table(self, request: Request) -> Response:
        req = validate.create_pipe_table(await json_body(request))
        inst = self._instance(request.path_params["instanceId"])
        op_id = self._operation_id(request)
        storages = await self.store.run(self._storages)
        storage = next((s for s in storages if s["name"] == req["sourceStorageName"]), None)
        if storage is None:
            raise ApiError(400, f"Object storage '{req['sourceStorageName']}' not found.")
        if storage["storageId"] not in inst["storageIds"]:
            raise ApiError(
                400,
                f"Database instance '{inst['name']}' has no access to object storage '{storage['name']}' "
                "(it is not among the instance's storageIds).",
            )
        key = self._pipe_key(inst["id"], req["tableName"])
        with self.store.lock:
            if self.store.get(K_PIPE, key) is not None:
                raise ApiError(409, f"Pipe table '{req['tableName']}' already exists in '{inst['name']}'.")
            self.store.put(K_PIPE, key, self._new_pipe_record(inst, storage, req))
        self._start(op_id, "create-pipe-table", {"recordId": key})
        return accepted(op_id)

    def _create_pipe_table(self, rec: dict[str, Any]) -> None:
        """Infer, create and load a pipe table whose record is reserved; marks it active."""
        key = self._pipe_key(rec["instanceId"], rec["tableName"])
        storage = self.store.get(K_STORAGE, rec["storageId"])
        if storage is None:
            raise lake.LakeError(404, f"Object storage '{rec['sourceStorageName']}' not found.")
        req = rec["request"]
        prefix = validate.normalize_prefix(req["pathPrefix"])
        files = lake.list_parquet(self._root(storage["name"]), prefix)
        with self.store.cursor() as cur:
            plan = lake.build_plan(rec["databaseName"], req, prefix, files, cur)
        td = lake.create_table(self.sb.engine, plan)
        registry: dict[str, Any] = {}
        _, errors = lake.load_files(self.sb.engine, td, plan.columns, files, registry)
        for e in errors:
            log.warning("pipe %s.%s: %s", rec["databaseName"], rec["tableName"], e)
        self.sb.metrics.inc("sandbox_ailake_pipe_files_loaded_total", float(len(files) - len(errors)))

        def activate(d: dict[str, Any]) -> None:
            d.update(
                state="active",
                prefix=prefix,
                depth=plan.depth,
                plan=[c.to_doc() for c in plan.columns],
                partitionColumns=plan.partition_columns,
                keyConfig=plan.key_config,
                distributionConfig=plan.distribution_config,
                partitionConfig=plan.partition_config,
                tableProperties=plan.table_properties,
                files=registry,
                lastPollAt=self.sb.clock.now(),
            )

        self.store.update(K_PIPE, key, activate)

    def _do_create(self, params: dict[str, Any]) -> dict[str, Any] | None:
        rec = self.store.get(K_PIPE, params["recordId"])
        if rec is None or rec.get("state") != "creating":
            raise lake.LakeError(404, "Pipe table record not found.")
        try:
            self._create_pipe_table(rec)
        except lake.LakeError:
            self.store.delete(K_PIPE, params["recordId"])
            raise
        return None

    def copy_pipe_table(self, instance: str, table: str, names: list[str]) -> None:
        """The admin switch's bulk copies: new pipe tables over the same files with the same
        configuration and rows as ``table``, made directly (no operations), so that a long list
        can be prepared quickly. All names are checked before anything is made."""
        with self._work:
            inst = self._instance(instance)
            rec = self._pipe(inst, table)
            source = self.sb.engine.table(rec["databaseName"], rec["tableName"])
            if source is None:
                raise ApiError(404, f"Table '{rec['databaseName']}.{table}' no longer exists.")
            bad = next((n for n in names if not validate.TABLE_NAME_RE.match(n)), None)
            if bad is not None:
                raise ApiError(400, f"'{bad}' is not a pipe table name (^[a-z][a-z0-9_-]{{0,62}}$).")
            taken = {r["tableName"] for r in self._pipes_of(inst["id"])} | set(
                self.sb.engine.tables(rec["databaseName"])
            )
            clash = next((n for n in names if n in taken), None)
            if clash is not None or len(set(names)) != len(names):
                raise ApiError(409, f"Pipe table '{clash or names[0]}' already exists in '{inst['name']}'.")
            db = rec["databaseName"]
            # One DuckDB transaction: all the copies or none, and far fewer commits.
            with self.store.lock, self.store.cursor() as cur:
                cur.execute("BEGIN TRANSACTION")
                try:
                    for name in names:
                        td = TableDef.from_doc(source.to_doc())
                        td.name = name
                        self.sb.engine.create_table(td)
                        cur.execute(f"INSERT INTO {qualified(db, name)} SELECT * FROM {qualified(db, table)}")
                        copy = json.loads(json.dumps(rec))
                        copy.update(pipeTableId=str(uuid.uuid4()), tableName=name)
                        copy["request"]["tableName"] = name
                        self.store.put(K_PIPE, self._pipe_key(inst["id"], name), copy)
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise

    async def delete_pipe_table(self, request: Request) -> Response:
        inst = self._instance(request.path_params["instanceId"])
        rec = self._pipe(inst, request.path_params["tableName"])
        op_id = self._operation_id(request)
        self._start(op_id, "delete-pipe-table", {"recordId": self._pipe_key(inst["id"], rec["tableName"])})
        return accepted(op_id)

    def _do_delete(self, params: dict[str, Any]) -> dict[str, Any] | None:
        rec = self.store.get(K_PIPE, params["recordId"])
        if rec is None or rec.get("state") != "active":
            raise lake.LakeError(404, "Pipe table not found.")
        self.sb.engine.drop_table(rec["databaseName"], rec["tableName"], if_exists=True)
        self.store.delete(K_PIPE, params["recordId"])
        return None

    async def refresh_partition(self, request: Request) -> Response:
        body = await json_body(request)
        inst = self._instance(request.path_params["instanceId"])
        rec = self._pipe(inst, request.path_params["tableName"])
        spec = validate.refresh_request(body)
        columns = rec["partitionColumns"]
        if not columns:
            raise ApiError(400, f"Pipe table '{rec['tableName']}' has no Hive partition columns.")
        if set(spec) != set(columns):
            raise ApiError(
                400,
                f"partitionSpec keys {sorted(spec)} must match the table's partition columns "
                f"{columns} exactly.",
            )
        op_id = self._operation_id(request)
        params = {"recordId": self._pipe_key(inst["id"], rec["tableName"]), "partitionSpec": spec}
        self._start(op_id, "refresh-partition", params)
        return accepted(op_id)

    def _do_refresh(self, params: dict[str, Any]) -> dict[str, Any] | None:
        key = params["recordId"]
        rec = self.store.get(K_PIPE, key)
        if rec is None or rec.get("state") != "active":
            raise lake.LakeError(404, "Pipe table not found.")
        td = self.sb.engine.table(rec["databaseName"], rec["tableName"])
        if td is None:
            raise lake.LakeError(404, f"Table '{rec['databaseName']}.{rec['tableName']}' no longer exists.")
        spec: dict[str, str] = params["partitionSpec"]
        storage = self.store.get(K_STORAGE, rec["storageId"])
        files = [] if storage is None else self._pipe_files(rec, storage["name"])
        files = [f for f in files if all(f.partition.get(k) == v for k, v in spec.items())]
        if not files:
            # The reference says the refresh deletes the partition's rows and loads them again from
            # S3, and that the pipe loads through StarRocks (CREATE PIPE … AS INSERT … FILES()). It
            # does not say what an empty folder does; StarRocks' INSERT from FILES() refuses a path
            # that matches no file (ErrorCode ERR_NO_FILES_FOUND, 5600), so the operation fails with
            # StarRocks' text, and the delete goes with it (one transaction here).
            raise lake.LakeError(400, lake.no_files_found(self._partition_glob(rec, storage, spec)))
        columns = [lake.PlanColumn.from_doc(c) for c in rec["plan"]]
        by_source = {c.source: c.name for c in columns if c.partition and c.function is None}
        where = {by_source[k]: v for k, v in spec.items() if k in by_source}
        registry = dict(rec["files"])
        lake.load_files(self.sb.engine, td, columns, files, registry, delete_where=where)
        self.store.update(K_PIPE, key, lambda d: d.update(files=registry))
        return None

    @staticmethod
    def _partition_glob(rec: dict[str, Any], storage: dict[str, Any] | None, spec: dict[str, str]) -> str:
        """The object-storage path the reload reads: the pipe's prefix, then the folders of the
        partition columns the prefix does not already fix."""
        prefix: str = rec["prefix"]
        fixed = {seg.partition("=")[0] for seg in prefix.split("/") if "=" in seg}
        folders = "".join(f"{k}={spec[k]}/" for k in rec["partitionColumns"] if k not in fixed and k in spec)
        config = (storage or {}).get("storageConfig") or {}
        bucket = config.get("bucket") or rec["sourceStorageName"]
        return f"s3://{bucket}/{prefix}{folders}*.parquet"

    def _pipe_files(self, rec: dict[str, Any], storage_name: str) -> list[lake.ParquetFile]:
        prefix = rec["prefix"]
        files = lake.list_parquet(self._root(storage_name), prefix)
        # A pipe reads one path pattern, so files at another depth are not its files.
        return [f for f in files if lake.depth_below(prefix, f) == rec["depth"]]

    def _poll_pipes(self) -> None:
        svc = next(iter(self.store.list(K_SERVICE)), None)
        if svc is not None and svc.get("paused"):
            return
        # An operation holds the lock: poll next round rather than queue behind it.
        if not self._work.acquire(blocking=False):
            return
        try:
            self._poll_due(False)
        finally:
            self._work.release()

    def _poll_due(self, force: bool) -> tuple[int, int]:
        """Load new and changed files of every pipe table that is due (all when ``force``), with the
        work lock held; returns (files loaded, rows added)."""
        total_files = total_rows = 0
        now = self.sb.clock.now()
        # Which tables are due is asked of the store, so a round with nothing due stays cheap
        # however many pipe tables there are.
        due = "body->>'$.state' = 'active'"
        if not force:
            due += (
                " AND COALESCE(CAST(body->>'$.lastPollAt' AS DOUBLE), 0) + COALESCE(NULLIF("
                "CAST(body->>'$.pollingIntervalSeconds' AS DOUBLE), 0), ?) <= ?"
            )
        for key in self.store.ids_where(K_PIPE, due, [] if force else [lake.DEFAULT_POLL_SECONDS, now]):
            rec = self.store.get(K_PIPE, key)
            if rec is None or rec.get("state") != "active":
                continue
            storage = self.store.get(K_STORAGE, rec["storageId"])
            td = self.sb.engine.table(rec["databaseName"], rec["tableName"])
            registry = dict(rec["files"])
            if storage is not None and td is not None:
                fresh = lake.changed_files(self._pipe_files(rec, storage["name"]), registry)
                if fresh:
                    columns = [lake.PlanColumn.from_doc(c) for c in rec["plan"]]
                    rows, errors = lake.load_files(self.sb.engine, td, columns, fresh, registry)
                    for e in errors:
                        log.warning("pipe %s.%s: %s", rec["databaseName"], rec["tableName"], e)
                    loaded = len(fresh) - len(errors)
                    total_files += loaded
                    total_rows += rows
                    self.sb.metrics.inc("sandbox_ailake_pipe_files_loaded_total", float(loaded))
            key = self._pipe_key(rec["instanceId"], rec["tableName"])
            self.store.update(K_PIPE, key, _setter(files=registry, lastPollAt=now))
        return total_files, total_rows

    def starrocks_pipes(self) -> list[dict[str, Any]]:
        """The active pipe tables as the StarRocks pipes that load them: the database, the table, its
        polling interval, whether the service is paused, and each file it has taken (object key as
        the s3:// path StarRocks reads, size, modification time, digest, load time, error)."""
        svc = next(iter(self.store.list(K_SERVICE)), None)
        paused = bool(svc is not None and svc.get("paused"))
        out: list[dict[str, Any]] = []
        for rec in self.store.list(K_PIPE):
            if rec.get("state") != "active":
                continue
            storage = self.store.get(K_STORAGE, rec["storageId"])
            bucket = ((storage or {}).get("storageConfig") or {}).get("bucket") or rec["sourceStorageName"]
            files = [{"path": f"s3://{bucket}/{key}", **entry} for key, entry in sorted(rec["files"].items())]
            created = rec.get("createdAt") or min((f.get("loadedAt") or 0 for f in files), default=0)
            out.append(
                {
                    "id": rec["pipeTableId"],
                    "db": rec["databaseName"],
                    "table": rec["tableName"],
                    "pollSeconds": int(rec.get("pollingIntervalSeconds") or lake.DEFAULT_POLL_SECONDS),
                    "paused": paused,
                    "createdAt": created,
                    "files": files,
                }
            )
        return out

    # -- operations resource ------------------------------------------------------------------------
    async def get_operation(self, request: Request) -> Response:
        op_id = request.path_params["operationId"]
        doc = self.store.get(K_OPERATION, op_id)
        if doc is None:
            raise ApiError(404, f"Operation '{op_id}' not found.")
        return document(_operation_view(doc))

    # -- ANALYZE -----------------------------------------------------------------------------------
    async def analyze(self, request: Request) -> Response:
        body = await json_body(request)
        inst = self._instance(request.path_params["instanceId"])
        names = validate.analyze_request(body)
        op_id = self._operation_id(request)
        self._start(op_id, "analyze-statistics", {"instanceId": inst["id"], "tableNames": names})
        return accepted(op_id, with_location=False)

    def _do_analyze(self, params: dict[str, Any]) -> dict[str, Any] | None:
        inst = self.store.get(K_INSTANCE, params["instanceId"])
        if inst is None:
            raise lake.LakeError(404, "Database instance not found.")
        db = inst["name"]
        engine = self.sb.engine
        existing = engine.tables(db) if engine.database(db) is not None else []
        names = params["tableNames"] or existing
        missing = [n for n in names if n not in existing]
        if missing:
            raise lake.LakeError(404, f"Table '{db}.{missing[0]}' not found; nothing was analyzed.")
        for name in names:
            rows = engine.row_count(db, name)
            stats = {"db": db, "table": name, "rows": rows, "analyzedAt": self.sb.clock.now()}
            self.store.put(K_STATS, f"{db}.{name}", stats)
        return {"tablesAnalyzed": len(names)}

    # -- services ----------------------------------------------------------------------------------
    def _service(self, service_id: str) -> dict[str, Any]:
        svc = self.store.get(K_SERVICE, service_id)
        if svc is None:
            raise ApiError(404, f"Service '{service_id}' not found.")
        return svc

    async def list_services(self, request: Request) -> Response:
        p = paging(request)
        items = [
            item("service", s["serviceId"], {"serviceId": s["serviceId"], "name": s["name"]})
            for s in self.store.list(K_SERVICE)
        ]
        return list_document(request, items, p)

    async def service_status(self, request: Request) -> Response:
        svc = self._service(request.path_params["serviceId"])
        active = await self.store.run(self.store.count, K_PIPE, {"state": "active"})
        status = {
            "ready": True,
            "paused": bool(svc.get("paused")),
            "commands": list(SERVICE_COMMANDS),
            "pipeTables": active,
            "defaultPollingIntervalSeconds": lake.DEFAULT_POLL_SECONDS,
        }
        return document({"status": status})

    async def run_command(self, request: Request) -> Response:
        body = await json_body(request)
        svc = self._service(request.path_params["serviceId"])
        command = request.path_params["commandName"]
        if command not in SERVICE_COMMANDS:
            raise ApiError(404, f"Command '{command}' is not available for service '{svc['name']}'.")
        req = validate.run_command_request(body)
        op_id = self._operation_id(request)
        self._start(op_id, "run-service-command", {"serviceId": svc["serviceId"], "command": command, **req})
        return accepted(op_id)

    def _do_command(self, params: dict[str, Any]) -> dict[str, Any] | None:
        svc_id, command = params["serviceId"], params["command"]
        if self.store.get(K_SERVICE, svc_id) is None:
            raise lake.LakeError(404, f"Service '{svc_id}' not found.")
        if command == "poll":
            files, rows = self._poll_due(True)
            return {"filesLoaded": files, "rowsLoaded": rows}
        self.store.update(K_SERVICE, svc_id, lambda d: d.update(paused=command == "pause"))
        return {"paused": command == "pause"}
