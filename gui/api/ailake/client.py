"""Async client of GoodData's AI Lake API (``/api/v1/ailake``): database instances, object
storages, pipe tables, ANALYZE, services and long-running operations.

Every mutation is answered ``202`` with an ``operation-id``; the client sends its own UUID in that
header, so an answer lost on the way back can still be followed with ``wait()``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from .. import errors
from ..base import ServiceClient, body_of
from ..transport import REDACTED, TransportConfig, redact
from .models import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    AddDatabaseDataSourceRequest,
    AnalyzeStatisticsRequest,
    ColumnInfo,
    CreatePipeTableRequest,
    DatabaseInstance,
    DataSourceInfo,
    FailedOperation,
    FieldProblem,
    ObjectStorageInfo,
    Operation,
    Page,
    PipeTable,
    PipeTableSummary,
    ProvisionDatabaseInstanceRequest,
    RefreshPartitionRequest,
    RunServiceCommandRequest,
    ServiceInfo,
    SucceededOperation,
    UpdateDatabaseDataSourceRequest,
    UpdatedDataSource,
    field_problems,
)

log = logging.getLogger("starrocks_console.ailake")

API = "/api/v1/ailake"
# Sent as GoodData's own Python SDK sends them, so the gateway treats the console like the SDK.
SDK_HEADERS = {"X-Requested-With": "XMLHttpRequest", "X-GDC-VALIDATE-RELATIONS": "true"}
TRACE_HEADER = "x-gdc-trace-id"

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
ProgressCallback = Callable[[Operation], Awaitable[None] | None]

_OPERATION = TypeAdapter[Operation](Operation)

_KIND_WORDS = {
    "provision-database": "provisioning the database instance",
    "deprovision-database": "deprovisioning the database instance",
    "run-service-command": "running the service command",
    "create-pipe-table": "creating the pipe table",
    "delete-pipe-table": "deleting the pipe table",
    "analyze-statistics": "analyzing the tables",
    "refresh-partition": "refreshing the partition",
}

_HINTS = {
    401: "the API token is missing, wrong or expired: create a new API token in GoodData and put it "
    "in the profile",
    403: "the API token was accepted but may not do this: AI Lake needs the token of a user with the "
    "MANAGE permission on the organization",
    404: "check the name or id (a database instance is named by its database name or its UUID); "
    "list them to see what exists",
    409: "it already exists or is in a state that does not allow this; refresh and try again",
    415: "the request was not sent as JSON, which is a fault of this console",
    429: "the service is busy with too many requests: wait a little and try again",
}
_CLIENT_ERROR_HINT = "correct what the message names and try again"
_SERVER_ERROR_HINT = (
    "the service failed; try again later, and quote the trace id to GoodData support if it keeps failing"
)
_OPERATION_HINTS = {
    400: "the request was accepted but could not be carried out: correct what the message names and "
    "run it again",
    404: "something it needs does not exist (any more): check the names and run it again",
    409: "it conflicts with what already exists: remove or rename that, or choose another name",
}


class BearerToken(httpx.Auth):
    """``Authorization: Bearer <token>``; the token never shows in a repr."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return f"BearerToken({REDACTED})"


class Pager(Generic[T]):
    """A lazy list of one resource: ``async for item in pager`` fetches page after page only as
    the items are consumed, and stops after the last page. ``total_elements``/``total_pages`` are
    known once the first page has arrived. An item seen on an earlier page (the list shifted
    between two pages) is not yielded twice."""

    def __init__(self, fetch: Callable[[int, int], Awaitable[Page[T]]], page_size: int) -> None:
        self._fetch = fetch
        self.page_size = page_size
        self.total_elements: int | None = None
        self.total_pages: int | None = None
        self.pages_read = 0

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def page(self, number: int) -> Page[T]:
        """One page (zero-based), e.g. for a table view that shows page N of M."""
        page = await self._fetch(number, self.page_size)
        self.pages_read += 1
        if page.total_elements is not None:
            self.total_elements = page.total_elements
        if page.total_pages is not None:
            self.total_pages = page.total_pages
        return page

    async def pages(self) -> AsyncIterator[Page[T]]:
        """The pages in order, each without the items already yielded."""
        seen: set[str] = set()
        previous: list[str] | None = None
        number = 0
        while True:
            page = await self.page(number)
            fresh: list[tuple[str, T]] = []
            for i, item in zip(page.ids, page.items, strict=True):
                if i not in seen:
                    seen.add(i)
                    fresh.append((i, item))
            if fresh:
                yield Page(
                    items=[item for _, item in fresh],
                    ids=[i for i, _ in fresh],
                    number=page.number,
                    size=page.size,
                    total_elements=page.total_elements,
                    total_pages=page.total_pages,
                    self_link=page.self_link,
                )
            # The same ids twice in a row: the service ignores `page`; stop instead of looping.
            if page.is_last or page.ids == previous:
                return
            previous = page.ids
            number += 1

    async def collect(self) -> list[T]:
        """Every item, for the small lists (instances, storages, services)."""
        return [item async for item in self]


class AILakeClient(ServiceClient):
    """One profile's AI Lake: ``base_url`` is the GoodData organization's address
    (``https://<org>.cloud.gooddata.com``; a URL ending in ``/api/v1/ailake`` is accepted too)."""

    service = "AI Lake"

    def __init__(
        self,
        base_url: str,
        token: str,
        config: TransportConfig | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        poll_interval: float = 0.5,
        max_poll_interval: float = 5.0,
    ) -> None:
        if not token or not token.strip():
            raise errors.AuthError(
                "the profile has no AI Lake API token",
                service=self.service,
                hint="create an API token in GoodData and put it in the profile",
            )
        base = base_url.rstrip("/")
        if base.endswith(API):
            base = base[: -len(API)]
        self.page_size = _page_size(page_size, self.service)
        self._token = token.strip()
        super().__init__(base, config, auth=BearerToken(self._token), headers=SDK_HEADERS)
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval

    async def __aenter__(self) -> Self:
        return self

    def __repr__(self) -> str:
        return f"AILakeClient({self.base_url!r})"

    # -- database instances ------------------------------------------------------------------------

    def list_database_instances(self, *, page_size: int | None = None) -> Pager[DatabaseInstance]:
        return self._pager(
            "cannot list database instances", f"{API}/database/instances", DatabaseInstance, page_size
        )

    async def get_database_instance(self, instance_id: str) -> DatabaseInstance:
        """By database name (preferred) or UUID."""
        action = f"cannot read database instance '{instance_id}'"
        body = await self._get_json(action, self._instance_path(instance_id, action))
        return self._parse(DatabaseInstance, _attributes(body), action)

    async def provision_database_instance(
        self,
        name: str,
        storage_ids: Sequence[str],
        *,
        data_source_id: str | None = None,
        data_source_name: str | None = None,
        operation_id: str | None = None,
    ) -> str:
        """Create a database that may read the given object storages (``storageId`` values).
        Returns the operation id."""
        action = f"cannot provision database instance '{name}'"
        request = self._validate(
            ProvisionDatabaseInstanceRequest,
            {
                "name": name,
                "storageIds": list(storage_ids),
                "dataSourceId": data_source_id,
                "dataSourceName": data_source_name,
            },
            action,
        )
        return await self._submit(
            action,
            "POST",
            f"{API}/database/instances",
            json_body=request.to_json(),
            operation_id=operation_id,
        )

    async def deprovision_database_instance(
        self, instance_id: str, *, cascade: bool = False, operation_id: str | None = None
    ) -> str:
        """Delete a database. A database that still has tables is only deleted with ``cascade``
        (which drops its tables first). Returns the operation id."""
        action = f"cannot deprovision database instance '{instance_id}'"
        path = self._instance_path(instance_id, action)
        # Only sent when asked for: the parameter is newer than the 1.73 API.
        params = {"cascade": "true"} if cascade else None
        return await self._submit(action, "DELETE", path, params=params, operation_id=operation_id)

    # -- data sources of an instance ---------------------------------------------------------------

    def list_data_sources(self, instance_id: str, *, page_size: int | None = None) -> Pager[DataSourceInfo]:
        action = f"cannot list the data sources of '{instance_id}'"
        path = f"{self._instance_path(instance_id, action)}/dataSources"
        return self._pager(action, path, DataSourceInfo, page_size)

    async def add_data_source(
        self, instance_id: str, data_source_id: str, data_source_name: str | None = None
    ) -> DataSourceInfo:
        action = f"cannot add data source '{data_source_id}' to '{instance_id}'"
        request = self._validate(
            AddDatabaseDataSourceRequest,
            {"dataSourceId": data_source_id, "dataSourceName": data_source_name},
            action,
        )
        path = f"{self._instance_path(instance_id, action)}/dataSources"
        response = await self._call(action, "POST", path, json_body=request.to_json())
        body = self._json(response, action)
        return self._parse(DataSourceInfo, body.get("dataSource") if isinstance(body, dict) else None, action)

    async def update_data_source(
        self,
        instance_id: str,
        old_data_source_id: str,
        data_source_id: str,
        data_source_name: str | None = None,
    ) -> UpdatedDataSource:
        action = f"cannot replace data source '{old_data_source_id}' of '{instance_id}'"
        request = self._validate(
            UpdateDatabaseDataSourceRequest,
            {
                "oldDataSourceId": old_data_source_id,
                "dataSourceId": data_source_id,
                "dataSourceName": data_source_name,
            },
            action,
        )
        path = f"{self._instance_path(instance_id, action)}/dataSource"
        response = await self._call(action, "PATCH", path, json_body=request.to_json())
        return self._parse(UpdatedDataSource, self._json(response, action), action)

    async def remove_data_source(self, instance_id: str, data_source_id: str) -> str:
        """The service refuses to remove an instance's last data source. Returns the removed id."""
        action = f"cannot remove data source '{data_source_id}' from '{instance_id}'"
        path = (
            f"{self._instance_path(instance_id, action)}/dataSources/"
            f"{_segment(data_source_id, 'data source id', action, self.service)}"
        )
        response = await self._call(action, "DELETE", path)
        body = self._json(response, action)
        removed = body.get("dataSourceId") if isinstance(body, dict) else None
        return str(removed) if removed is not None else data_source_id

    # -- object storages ---------------------------------------------------------------------------

    def list_object_storages(self, *, page_size: int | None = None) -> Pager[ObjectStorageInfo]:
        """Use an item's ``name`` as ``sourceStorageName`` of a pipe table and its ``storage_id``
        in ``provision_database_instance``."""
        return self._pager(
            "cannot list object storages", f"{API}/objectStorages", ObjectStorageInfo, page_size
        )

    # -- pipe tables -------------------------------------------------------------------------------

    def list_pipe_tables(self, instance_id: str, *, page_size: int | None = None) -> Pager[PipeTableSummary]:
        action = f"cannot list the pipe tables of '{instance_id}'"
        path = f"{self._instance_path(instance_id, action)}/pipeTables"
        return self._pager(action, path, PipeTableSummary, page_size)

    async def get_pipe_table(self, instance_id: str, table_name: str) -> PipeTable:
        action = f"cannot read pipe table '{table_name}' of '{instance_id}'"
        body = await self._get_json(action, self._table_path(instance_id, table_name, action))
        return self._parse(PipeTable, _attributes(body), action)

    async def create_pipe_table(
        self,
        instance_id: str,
        request: CreatePipeTableRequest | Mapping[str, Any],
        *,
        columns: Iterable[str | ColumnInfo] | None = None,
        operation_id: str | None = None,
    ) -> str:
        """Create a pipe-backed table over the parquet files under ``pathPrefix``. With the
        table's ``columns`` (known or inferred beforehand, Hive partition columns included) the
        rules that need them are checked before sending, e.g. an aggregation for every non-key
        column of an aggregate key. Returns the operation id."""
        if isinstance(request, CreatePipeTableRequest):
            name = request.table_name
        else:
            name = request.get("tableName", request.get("table_name"))
        action = f"cannot create pipe table '{name}' in '{instance_id}'"
        model = (
            request
            if isinstance(request, CreatePipeTableRequest)
            else self._validate(CreatePipeTableRequest, request, action)
        )
        problems = model.problems(columns)
        if problems:
            raise _invalid(action, problems, self.service)
        path = f"{self._instance_path(instance_id, action)}/pipeTables"
        return await self._submit(action, "POST", path, json_body=model.to_json(), operation_id=operation_id)

    async def delete_pipe_table(
        self, instance_id: str, table_name: str, *, operation_id: str | None = None
    ) -> str:
        """Drop the pipe and the table and remove the record. Returns the operation id."""
        action = f"cannot delete pipe table '{table_name}' of '{instance_id}'"
        path = self._table_path(instance_id, table_name, action)
        return await self._submit(action, "DELETE", path, operation_id=operation_id)

    async def refresh_partition(
        self,
        instance_id: str,
        table_name: str,
        partition_spec: Mapping[str, str],
        *,
        partition_columns: Sequence[str] | None = None,
        operation_id: str | None = None,
    ) -> str:
        """Delete the rows of one Hive partition and load its current files again, e.g.
        ``{"year": "2024", "month": "01"}``. With the table's ``partition_columns`` (from
        ``get_pipe_table``) the keys are checked before sending. Returns the operation id."""
        action = f"cannot refresh a partition of pipe table '{table_name}'"
        request = self._validate(RefreshPartitionRequest, {"partitionSpec": dict(partition_spec)}, action)
        if partition_columns is not None:
            problems = request.problems(partition_columns)
            if problems:
                raise _invalid(action, problems, self.service)
        path = f"{self._table_path(instance_id, table_name, action)}/refresh"
        return await self._submit(
            action, "POST", path, json_body=request.to_json(), operation_id=operation_id
        )

    async def analyze_statistics(
        self, instance_id: str, table_names: Sequence[str] | None = None, *, operation_id: str | None = None
    ) -> str:
        """Collect optimizer statistics (ANALYZE TABLE) for some tables, or all when none are
        named. Returns the operation id."""
        action = f"cannot analyze the tables of '{instance_id}'"
        names = list(table_names) if table_names else None
        request = self._validate(AnalyzeStatisticsRequest, {"tableNames": names}, action)
        path = f"{self._instance_path(instance_id, action)}/analyzeStatistics"
        return await self._submit(
            action, "POST", path, json_body=request.to_json(), operation_id=operation_id
        )

    # -- services ----------------------------------------------------------------------------------

    def list_services(self, *, page_size: int | None = None) -> Pager[ServiceInfo]:
        return self._pager("cannot list services", f"{API}/services", ServiceInfo, page_size)

    async def service_status(self, service_id: str) -> dict[str, Any] | None:
        """The service's own status document (its fields depend on the service)."""
        action = f"cannot read the status of service '{service_id}'"
        path = f"{API}/services/{_segment(service_id, 'service id', action, self.service)}/status"
        body = await self._get_json(action, path)
        if not isinstance(body, dict) or "status" not in body:
            raise _unexpected(action, "no status in the answer", body, self.service)
        status = body["status"]
        return status if isinstance(status, dict) or status is None else {"value": status}

    async def run_service_command(
        self,
        service_id: str,
        command: str,
        *,
        context: Mapping[str, str | None] | None = None,
        payload: Any = None,
        operation_id: str | None = None,
    ) -> str:
        """Returns the operation id."""
        action = f"cannot run command '{command}' of service '{service_id}'"
        request = self._validate(
            RunServiceCommandRequest,
            {"context": dict(context) if context is not None else None, "payload": payload},
            action,
        )
        path = (
            f"{API}/services/{_segment(service_id, 'service id', action, self.service)}/commands/"
            f"{_segment(command, 'command name', action, self.service)}/run"
        )
        return await self._submit(
            action, "POST", path, json_body=request.to_json(), operation_id=operation_id
        )

    # -- operations --------------------------------------------------------------------------------

    async def get_operation(self, operation_id: str) -> Operation:
        action = f"cannot read operation '{operation_id}'"
        path = f"{API}/operations/{_segment(operation_id, 'operation id', action, self.service)}"
        body = await self._get_json(
            action,
            path,
            hints={
                404: "the service does not know this operation id: it was never accepted, or its "
                "record has expired"
            },
        )
        try:
            return _OPERATION.validate_python(body)
        except ValidationError as e:
            raise _unexpected(action, _first_problem(e), body, self.service) from None

    async def wait(
        self,
        operation_id: str,
        *,
        progress: ProgressCallback | None = None,
        timeout: float | None = 300.0,
        poll_interval: float | None = None,
        max_poll_interval: float | None = None,
    ) -> SucceededOperation:
        """Poll the operation until it succeeds (its record is returned, ``result`` included) or
        fails (OperationFailed with the operation's title, detail and status). ``progress`` is
        called (sync or async) with every state read. Polling slows down from ``poll_interval``
        to ``max_poll_interval``. After ``timeout`` seconds (None: no limit) OperationTimeout is
        raised; the operation itself goes on. Cancel the awaiting task to stop waiting."""
        interval = poll_interval if poll_interval is not None else self.poll_interval
        ceiling = max_poll_interval if max_poll_interval is not None else self.max_poll_interval
        last: Operation | None = None
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                while True:
                    last = await self.get_operation(operation_id)
                    if progress is not None:
                        outcome = progress(last)
                        if inspect.isawaitable(outcome):
                            await outcome
                    if isinstance(last, SucceededOperation):
                        return last
                    if isinstance(last, FailedOperation):
                        raise self.operation_failure(last)
                    await asyncio.sleep(interval)
                    interval = min(interval * 1.5, max(ceiling, interval))
        except TimeoutError:
            if not deadline.expired():
                raise
            what = _KIND_WORDS.get(last.kind, last.kind) if last is not None else "the operation"
            state = f"still {last.status}" if last is not None else "not read yet"
            raise errors.OperationTimeout(
                f"{what} ({operation_id}) is {state} after {timeout:g} s",
                service=self.service,
                hint="it goes on in the service: wait for the same operation id again, or look at it later",
                raw=last.model_dump(mode="json", by_alias=True) if last is not None else None,
            ) from None

    def operation_failure(self, op: FailedOperation) -> errors.OperationFailed:
        error = op.error
        detail = (error.detail or error.title) if error is not None else ""
        what = _KIND_WORDS.get(op.kind, f"operation {op.kind}")
        status = error.status if error is not None else None
        message = f"{what} failed: {_sentence(detail) or 'the service gave no reason'} (operation {op.id})"
        return errors.OperationFailed(
            self._scrub(message),
            service=self.service,
            status=status,
            code=(error.title or None) if error is not None else None,
            hint=_OPERATION_HINTS.get(status or 0),
            raw=self._scrub(redact(op.model_dump(mode="json", by_alias=True))),
        )

    # -- plumbing ----------------------------------------------------------------------------------

    def _instance_path(self, instance_id: str, action: str) -> str:
        instance = _segment(instance_id, "database instance name or id", action, self.service)
        return f"{API}/database/instances/{instance}"

    def _table_path(self, instance_id: str, table_name: str, action: str) -> str:
        table = _segment(table_name, "pipe table name", action, self.service)
        return f"{self._instance_path(instance_id, action)}/pipeTables/{table}"

    def _pager(self, action: str, path: str, model: type[M], page_size: int | None) -> Pager[M]:
        size = _page_size(page_size if page_size is not None else self.page_size, self.service)

        async def fetch(number: int, size: int) -> Page[M]:
            if number < 0:
                raise errors.InvalidRequest(
                    f"{action}: page {number} does not exist", service=self.service, hint="pages count from 0"
                )
            params = [("page", number), ("size", size), ("metaInclude", "page")]
            body = await self._get_json(action, path, params=params)
            return self._page(body, model, action, number, size)

        return Pager(fetch, size)

    def _page(self, body: Any, model: type[M], action: str, number: int, size: int) -> Page[M]:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise _unexpected(action, "no list of items in the answer", body, self.service)
        items: list[M] = []
        ids: list[str] = []
        for entry in data:
            item = self._parse(model, entry.get("attributes") if isinstance(entry, dict) else None, action)
            items.append(item)
            ids.append(str(entry.get("id")) if entry.get("id") is not None else repr(item))
        meta = body.get("meta") or {}
        info = meta.get("page") if isinstance(meta, dict) else None
        info = info if isinstance(info, dict) else {}
        links = body.get("links") if isinstance(body.get("links"), dict) else {}
        return Page(
            items=items,
            ids=ids,
            number=_int(info.get("number"), number),
            size=_int(info.get("size"), size),
            total_elements=_opt_int(info.get("totalElements")),
            total_pages=_opt_int(info.get("totalPages")),
            self_link=links.get("self"),
        )

    def _validate(self, model: type[M], data: Mapping[str, Any], action: str) -> M:
        try:
            return model.model_validate({k: v for k, v in data.items() if v is not None})
        except ValidationError as e:
            raise _invalid(action, field_problems(e), self.service) from None

    def _parse(self, model: type[M], data: Any, action: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as e:
            raise _unexpected(action, _first_problem(e), data, self.service) from None

    def _json(self, response: httpx.Response, action: str) -> Any:
        body = body_of(response)
        if isinstance(body, str):
            raise _unexpected(action, "the answer is not JSON", body[:200], self.service)
        return body

    async def _get_json(
        self,
        action: str,
        path: str,
        *,
        params: list[tuple[str, Any]] | None = None,
        hints: Mapping[int, str] | None = None,
    ) -> Any:
        response = await self._call(action, "GET", path, params=params, retry=True, hints=hints)
        return self._json(response, action)

    async def _call(
        self, action: str, method: str, path: str, *, hints: Mapping[int, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        response = await self.send(method, path, **kwargs)
        if response.status_code >= 400:
            await response.aread()
            raise self.error_for(response, action, hints)
        return response

    async def _submit(
        self,
        action: str,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        operation_id: str | None = None,
    ) -> str:
        op_id = operation_id or str(uuid.uuid4())
        headers = {"operation-id": op_id}
        try:
            # Not resent automatically: a mutation is not safe to repeat blindly. If the answer
            # is lost, the operation id tells whether the service took the request.
            response = await self._call(
                action, method, path, json_body=json_body, params=params, headers=headers
            )
        except errors.TlsVerifyFailed:
            raise  # the request never left: no operation to look for
        except errors.ConnectionFailed as lost:
            if await self._operation_known(op_id):
                log.info("%s: the answer was lost but the service accepted operation %s", action, op_id)
                return op_id
            raise errors.ConnectionFailed(
                f"{action}: {lost.message}",
                service=self.service,
                hint=f"{lost.hint}; if the request reached the service after all, "
                f"it runs as operation {op_id}",
            ) from lost
        accepted = response.headers.get("operation-id") or op_id
        log.info("%s -> operation %s", action.removeprefix("cannot "), accepted)
        return accepted

    async def _operation_known(self, operation_id: str) -> bool:
        try:
            await self.get_operation(operation_id)
        except errors.ApiError:
            return False
        return True

    def error_for(
        self, response: httpx.Response, action: str | None = None, hints: Mapping[int, str] | None = None
    ) -> errors.ApiError:
        """A refusal as an error: the service's problem document (``title``, ``detail``,
        ``status``, ``traceId``; JSON:API ``errors`` lists are read too) with its detail as the
        message."""
        status = response.status_code
        body = body_of(response)
        title, detail, trace = _problem(body)
        if not detail and not title:
            detail = f"HTTP {status} {response.reason_phrase}".strip()
        message = _sentence(detail or title or "")
        if action:
            message = f"{action}: {message}"
        if hints and status in hints:
            hint: str | None = hints[status]
        elif status in _HINTS:
            hint = _HINTS[status]
        elif status >= 500:
            hint = _SERVER_ERROR_HINT
        else:
            hint = _CLIENT_ERROR_HINT
        raw = body[:2000] if isinstance(body, str) else redact(body)
        cls = errors.for_status(status)
        return cls(
            self._scrub(message),
            service=self.service,
            status=status,
            code=title or None,
            hint=hint,
            request_id=response.headers.get(TRACE_HEADER) or trace,
            raw=self._scrub(raw),
        )

    def _scrub(self, value: Any) -> Any:
        """The token taken out of anything kept in an error (a service may echo it back)."""
        if isinstance(value, str):
            return value.replace(self._token, REDACTED) if self._token else value
        if isinstance(value, dict):
            return {k: self._scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub(v) for v in value]
        return value


# -- helpers ------------------------------------------------------------------------------------------


def _segment(value: str, what: str, action: str, service: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise errors.InvalidRequest(
            f"{action}: the {what} is empty", service=service, hint=f"give the {what}"
        )
    return quote(value, safe="")


def _page_size(size: int, service: str) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise errors.InvalidRequest(
            f"a page size of {size!r} is not possible",
            service=service,
            hint=f"use a page size from 1 to {MAX_PAGE_SIZE}",
        )
    return size


def _attributes(body: Any) -> Any:
    data = body.get("data") if isinstance(body, dict) else None
    return data.get("attributes") if isinstance(data, dict) else None


def _problem(body: Any) -> tuple[str, str, str | None]:
    """(title, detail, trace id) of a problem document or a JSON:API error document."""
    if isinstance(body, dict):
        if isinstance(body.get("errors"), list) and body["errors"]:
            entries = [e for e in body["errors"] if isinstance(e, dict)]
            title = str(entries[0].get("title") or "") if entries else ""
            details = [str(e.get("detail") or e.get("title") or "") for e in entries]
            trace = body.get("traceId") or (entries[0].get("id") if entries else None)
            return title, "; ".join(d for d in details if d), str(trace) if trace else None
        title = str(body.get("title") or body.get("error") or "")
        detail = str(body.get("detail") or body.get("description") or body.get("message") or "")
        trace = body.get("traceId")
        return title, detail, str(trace) if trace else None
    if isinstance(body, str) and body.strip() and not body.lstrip().startswith("<"):
        return "", body.strip().splitlines()[0][:200], None
    return "", "", None


def _sentence(text: str) -> str:
    return text.strip().rstrip(".")


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _first_problem(e: ValidationError) -> str:
    problems = field_problems(e)
    return str(problems[0]) if problems else str(e)


def _invalid(action: str, problems: Sequence[FieldProblem], service: str) -> errors.InvalidRequest:
    return errors.InvalidRequest(
        f"{action}: " + "; ".join(str(p) for p in problems),
        service=service,
        hint=_CLIENT_ERROR_HINT,
        raw=[{"field": p.field, "message": p.message} for p in problems],
    )


def _unexpected(action: str, why: str, body: Any, service: str) -> errors.ApiError:
    return errors.ApiError(
        f"{action}: unexpected answer from the service ({why})",
        service=service,
        code="unexpected-answer",
        hint="the service may run another version of the AI Lake API than this console knows",
        raw=redact(body),
    )
