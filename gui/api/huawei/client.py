"""The async client of Huawei Cloud TaurusDB's StarRocks (HTAP) API.

Reads are retried on connection failures, 429 and 5xx; changes (create, delete, restart, resize,
user changes) are sent once, because resending one could start a second job. Changes answer with
a job id; ``wait_for`` follows it to the end.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from .. import errors
from ..base import ServiceClient, body_of, refuse_user_info
from ..transport import TransportConfig
from . import failures
from .auth import (
    AKSK_HINT,
    JSON_UTF8,
    TOKEN_HINT,
    AkSkCredentials,
    Credentials,
    HuaweiProfile,
    IamClient,
    PasswordCredentials,
    TokenAuth,
    TokenSource,
    aksk_auth,
    check_project_id,
)
from .models import (
    JOB_COMPLETED,
    JOB_FAILED,
    STARROCKS,
    CreateStarRocksResult,
    DatabaseUser,
    DatabaseUserCreate,
    DatabaseUserList,
    DatabaseUserPassword,
    DatabaseUserPermission,
    HtapDatastore,
    HtapEngine,
    HtapFlavor,
    HtapInstanceList,
    HtapStorageType,
    Job,
    RequestModel,
    ResizeFlavorRequest,
    ResourceCheckRequest,
    StarRocksCreateRequest,
    StarRocksDatabaseList,
    StarRocksInstance,
    TaurusInstance,
    TaurusInstanceList,
    field_errors,
)
from .regions import check_region, gaussdb_endpoint
from .regions import iam_endpoint as region_iam_endpoint
from .signer import AkSkAuth

log = logging.getLogger("starrocks_console.huawei")

SERVICE = "Huawei Cloud"
PAGE_MAX = 100

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=RequestModel)
ProgressCallback = Callable[[Job], Awaitable[None] | None]


def _seg(value: str, what: str) -> str:
    """One path segment: ids go into URLs, so an empty or slash-bearing one is refused here."""
    if not isinstance(value, str) or not value.strip():
        raise errors.InvalidRequest(f"{what} is required", service=SERVICE, hint="choose one from the list")
    if "/" in value or value in (".", ".."):
        raise errors.InvalidRequest(f"{what} {value!r} is not an id", service=SERVICE)
    return quote(value, safe="")


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= PAGE_MAX:
        raise errors.InvalidRequest(f"limit must be 1 to {PAGE_MAX}", service=SERVICE)
    if offset < 0:
        raise errors.InvalidRequest("offset must not be negative", service=SERVICE)


def _validated(model: type[R], value: R | Mapping[str, Any], what: str) -> R:
    """A request model, checked before anything is sent; bad input becomes InvalidRequest whose
    ``raw`` maps each field to its reason (no input values, so no password leaks)."""
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except ValidationError as e:
        reasons = field_errors(e)
        listed = "; ".join(f"{k}: {v}" for k, v in reasons.items())
        raise errors.InvalidRequest(
            f"the {what} is not valid: {listed}",
            service=SERVICE,
            hint="correct the fields named and try again (nothing was sent)",
            raw={"fields": reasons},
        ) from None


class HuaweiCloudClient(ServiceClient):
    """TaurusDB instances and their StarRocks instances, flavors, databases, users and jobs.

    ``credentials`` picks the authentication: ``PasswordCredentials`` log in to IAM for a token,
    ``AkSkCredentials`` sign each request. ``project_id`` is found from the token or IAM when not
    given. ``endpoint``/``iam_endpoint`` default to the region's public addresses.
    """

    service = SERVICE

    def __init__(
        self,
        *,
        region: str,
        credentials: Credentials,
        project_id: str | None = None,
        endpoint: str | None = None,
        iam_endpoint: str | None = None,
        config: TransportConfig | None = None,
        language: str = "en-us",
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Checked before the IAM client is built, so a refused address leaves no client open.
        for address in (endpoint, iam_endpoint):
            if address:
                refuse_user_info(address, SERVICE)
        if project_id:
            check_project_id(project_id)
        self.region = check_region(region)
        self.iam = IamClient(iam_endpoint or region_iam_endpoint(region), config)
        self._project_id = project_id
        self._project_lock = asyncio.Lock()
        self.token_source: TokenSource | None = None
        auth: httpx.Auth
        if isinstance(credentials, PasswordCredentials):
            # Scoped by id when known (it is what the calls use), else by the region's project name.
            self.token_source = TokenSource(
                self.iam,
                credentials,
                project_id=project_id,
                project_name=None if project_id else region,
                clock=clock,
            )
            auth = TokenAuth(self.token_source)
            self.auth_kind = "password"
            self._auth_hint = TOKEN_HINT
        elif isinstance(credentials, AkSkCredentials):
            self._aksk = credentials
            auth = aksk_auth(credentials, project_id)
            self.auth_kind = "aksk"
            self._auth_hint = AKSK_HINT
        else:
            raise TypeError("credentials must be PasswordCredentials or AkSkCredentials")
        self._auth = auth
        # Huawei's SDK declares JSON on body-less calls too; calls with a body add the charset.
        super().__init__(
            endpoint or gaussdb_endpoint(region),
            config,
            auth=auth,
            headers={"X-Language": language, "Content-Type": "application/json"},
        )

    @classmethod
    def from_profile(cls, profile: HuaweiProfile, config: TransportConfig | None = None) -> HuaweiCloudClient:
        return cls(
            region=profile.region,
            credentials=profile.credentials(),
            project_id=profile.project_id,
            endpoint=profile.endpoint,
            iam_endpoint=profile.iam_endpoint,
            config=config,
            language=profile.language,
        )

    async def __aenter__(self) -> Self:
        return self

    def __repr__(self) -> str:
        return (
            f"HuaweiCloudClient(region={self.region!r}, endpoint={self.base_url!r}, auth={self.auth_kind!r})"
        )

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            await self.iam.aclose()

    def error_for(self, response: httpx.Response) -> errors.ApiError:
        return failures.error_for(response, service=self.service, auth_hint=self._auth_hint)

    # -- plumbing -------------------------------------------------------------------------------------

    async def project_id(self) -> str:
        """The project the calls are made in: the profile's, the token's, or IAM's project of the
        region's name (AK/SK)."""
        if self._project_id:
            return self._project_id
        async with self._project_lock:
            if self._project_id:
                return self._project_id
            if self.token_source is not None:
                token = await self.token_source.get()
                pid = token.project_id
            else:
                projects = await self.iam.list_projects(auth=aksk_auth(self._aksk), name=self.region)
                pid = next((p.id for p in projects if p.name == self.region), None)
            if not pid:
                raise errors.NotFound(
                    f"no project named {self.region!r} was found for these credentials",
                    service=self.service,
                    hint="enter the project id in the profile (My Credentials > API Credentials)",
                )
            self._project_id = pid
            if isinstance(self._auth, AkSkAuth):
                self._auth.project_id = pid
            return pid

    async def _path(self, *parts: str) -> str:
        pid = await self.project_id()
        return "/v3/" + "/".join([quote(pid, safe=""), *parts])

    async def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        response = await self.call("GET", path, params=clean or None, retry=True)
        return self._json(response)

    async def _change(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        what: str | None = None,
    ) -> Any:
        content = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": JSON_UTF8} if body is not None else None
        response = await self.send(method, path, params=params, content=content, headers=headers, retry=False)
        if response.status_code >= 400:
            await response.aread()
            raise failures.error_for(response, service=self.service, auth_hint=self._auth_hint, what=what)
        return self._json(response)

    def _json(self, response: httpx.Response) -> Any:
        data = body_of(response)
        if response.content and not isinstance(data, (dict, list)):
            raise errors.ServerError(
                f"{response.request.method} {response.request.url.path} answered HTTP "
                f"{response.status_code} with a body that is not JSON",
                service=self.service,
                status=response.status_code,
                request_id=response.headers.get("X-Request-Id"),
                hint="check that the profile's endpoint is the TaurusDB API address",
            )
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _model(model: type[M], data: Any) -> M:
        return model.model_validate(data if isinstance(data, dict) else {})

    @staticmethod
    def _job_id(data: Any, *keys: str) -> str:
        for key in keys:
            value = data.get(key) if isinstance(data, dict) else None
            if value:
                return str(value)
        raise errors.ServerError(
            "the service accepted the change but answered no job id", service=SERVICE, raw=data
        )

    # -- TaurusDB instances ---------------------------------------------------------------------------

    async def list_taurus_instances(
        self,
        *,
        id: str | None = None,
        name: str | None = None,
        type: str | None = None,
        datastore_type: str | None = None,
        vpc_id: str | None = None,
        subnet_id: str | None = None,
        private_ip: str | None = None,
        readonly_private_ip: str | None = None,
        proxy_ip: str | None = None,
        tags: Mapping[str, str] | None = None,
        offset: int = 0,
        limit: int = PAGE_MAX,
    ) -> TaurusInstanceList:
        """One page of TaurusDB instances. ``id``/``name`` starting with ``*`` match fuzzily;
        ``tags`` must all match."""
        _check_page(limit, offset)
        params = {
            "id": id,
            "name": name,
            "type": type,
            "datastore_type": datastore_type,
            "vpc_id": vpc_id,
            "subnet_id": subnet_id,
            "private_ip": private_ip,
            "readonly_private_ip": readonly_private_ip,
            "proxy_ip": proxy_ip,
            "tags": ",".join(f"{k}={v}" for k, v in tags.items()) if tags else None,
            "offset": offset,
            "limit": limit,
        }
        return self._model(TaurusInstanceList, await self._get(await self._path("instances"), params))

    async def iter_taurus_instances(
        self, *, page_size: int = PAGE_MAX, **filters: Any
    ) -> AsyncIterator[TaurusInstance]:
        """Every TaurusDB instance matching the filters, page by page, each once."""

        async def page(offset: int) -> tuple[list[TaurusInstance], int]:
            result = await self.list_taurus_instances(offset=offset, limit=page_size, **filters)
            return result.instances, result.total_count

        async for item in _paged(page, key=lambda i: i.id):
            yield item

    # -- HTAP / StarRocks instances ---------------------------------------------------------------------

    async def list_htap_instances(self, taurus_instance_id: str) -> HtapInstanceList:
        """The HTAP (StarRocks) instances of one TaurusDB instance."""
        path = await self._path("instances", _seg(taurus_instance_id, "the TaurusDB instance"), "htap")
        return self._model(HtapInstanceList, await self._get(path))

    async def show_starrocks_instance(
        self, taurus_instance_id: str, starrocks_instance_id: str
    ) -> StarRocksInstance:
        """Everything about one StarRocks instance: status, running actions, node groups."""
        path = await self._path(
            "instances",
            _seg(taurus_instance_id, "the TaurusDB instance"),
            "starrocks",
            _seg(starrocks_instance_id, "the StarRocks instance"),
        )
        data = await self._get(path)
        items = data.get("instances") or []
        if not items:
            raise errors.NotFound(
                f"StarRocks instance {starrocks_instance_id} was not found",
                service=self.service,
                hint="it may have been deleted; refresh the list",
            )
        return StarRocksInstance.model_validate(items[0])

    async def create_starrocks_instance(
        self, taurus_instance_id: str, request: StarRocksCreateRequest | Mapping[str, Any]
    ) -> CreateStarRocksResult:
        """Start creating a StarRocks instance on a TaurusDB instance; follow ``job_id`` with
        ``wait_for``. The request is checked against every documented limit before it is sent."""
        body = _validated(StarRocksCreateRequest, request, "StarRocks instance").to_body()
        path = await self._path("instances", _seg(taurus_instance_id, "the TaurusDB instance"), "starrocks")
        data = await self._change("POST", path, body, what="the TaurusDB instance")
        result = self._model(CreateStarRocksResult, data)
        if not result.job_id:
            self._job_id(data, "job_id")
        return result

    async def delete_starrocks_instance(self, taurus_instance_id: str, starrocks_instance_id: str) -> str:
        """Start deleting a StarRocks instance (its data is lost); returns the workflow id."""
        path = await self._path(
            "instances",
            _seg(taurus_instance_id, "the TaurusDB instance"),
            "starrocks",
            _seg(starrocks_instance_id, "the StarRocks instance"),
        )
        data = await self._change("DELETE", path, what="the StarRocks instance")
        return self._job_id(data, "workflow_id", "job_id")

    async def restart_starrocks_instance(self, starrocks_instance_id: str) -> str:
        """Restart every node; returns the workflow id."""
        path = await self._path(
            "instances", _seg(starrocks_instance_id, "the StarRocks instance"), "starrocks", "restart"
        )
        data = await self._change("PUT", path, what="the StarRocks instance")
        return self._job_id(data, "workflow_id", "job_id")

    async def restart_starrocks_node(self, starrocks_instance_id: str, node_id: str) -> str:
        """Restart one node; returns the workflow id."""
        path = await self._path(
            "instances",
            _seg(starrocks_instance_id, "the StarRocks instance"),
            "starrocks",
            _seg(node_id, "the node"),
            "restart",
        )
        data = await self._change("PUT", path, what="the StarRocks instance")
        return self._job_id(data, "workflow_id", "job_id")

    async def resize_starrocks_flavor(
        self,
        starrocks_instance_id: str,
        *,
        fe_flavor_id: str | None = None,
        be_flavor_id: str | None = None,
    ) -> str:
        """Change the FE and/or BE flavor (a flavor ``id``); returns the job id.

        Huawei's reference names the path's instance "TaurusDB instance id", but the resize is of
        one StarRocks instance and the service takes the StarRocks instance id there.
        """
        body = _validated(
            ResizeFlavorRequest, {"fe_flavor_id": fe_flavor_id, "be_flavor_id": be_flavor_id}, "resize"
        ).to_body()
        path = await self._path(
            "instances", _seg(starrocks_instance_id, "the StarRocks instance"), "starrocks", "resize-flavor"
        )
        data = await self._change("POST", path, body, what="the StarRocks instance")
        return self._job_id(data, "job_id", "workflow_id")

    # -- what can be created ------------------------------------------------------------------------

    async def list_flavors(
        self,
        engine: HtapEngine = STARROCKS,
        *,
        version_name: str | None = None,
        spec_code: str | None = None,
        availability_zone_mode: str = "single",
    ) -> list[HtapFlavor]:
        """Node flavors (the service assumes kernel version 3.1.6.0 when none is given)."""
        path = await self._path("htap", "flavors", _seg(engine, "the engine"))
        params = {
            "availability_zone_mode": availability_zone_mode,
            "spec_code": spec_code,
            "version_name": version_name,
        }
        data = await self._get(path, params)
        return [HtapFlavor.model_validate(f) for f in data.get("flavors") or []]

    async def list_storage_types(
        self, version_name: str, engine: HtapEngine = STARROCKS
    ) -> list[HtapStorageType]:
        """Disk types and their smallest size, per availability zone."""
        if not version_name:
            raise errors.InvalidRequest("the engine version is required", service=self.service)
        path = await self._path("htap", "storage-type", _seg(engine, "the engine"))
        data = await self._get(path, {"version_name": version_name})
        return [HtapStorageType.model_validate(s) for s in data.get("storage_type") or []]

    async def list_datastores(self, engine: HtapEngine = STARROCKS) -> list[HtapDatastore]:
        """Engine versions that can be created."""
        path = await self._path("htap", "datastores", _seg(engine, "the engine"))
        data = await self._get(path)
        return [HtapDatastore.model_validate(d) for d in data.get("datastores") or []]

    async def check_resource(self, request: ResourceCheckRequest | Mapping[str, Any]) -> bool:
        """Whether the account has room (quota, addresses, flavors) for the instance described."""
        body = _validated(ResourceCheckRequest, request, "resource check").to_body()
        path = await self._path("starrocks", "resource-check")
        # A check changes nothing, so it is retried like a read.
        response = await self.call(
            "POST",
            path,
            content=json.dumps(body).encode(),
            headers={"Content-Type": JSON_UTF8},
            retry=True,
        )
        return bool(self._json(response).get("result"))

    # -- StarRocks databases and database users -----------------------------------------------------

    async def list_starrocks_databases(
        self,
        starrocks_instance_id: str,
        *,
        database_name: str | None = None,
        offset: int = 0,
        limit: int = PAGE_MAX,
    ) -> StarRocksDatabaseList:
        """One page of the instance's databases; ``database_name`` matches fuzzily."""
        _check_page(limit, offset)
        path = await self._path(
            "instances", _seg(starrocks_instance_id, "the StarRocks instance"), "starrocks", "databases"
        )
        params = {"database_name": database_name, "limit": str(limit), "offset": str(offset)}
        return self._model(StarRocksDatabaseList, await self._get(path, params))

    async def iter_starrocks_databases(
        self, starrocks_instance_id: str, *, database_name: str | None = None, page_size: int = PAGE_MAX
    ) -> AsyncIterator[str]:
        async def page(offset: int) -> tuple[list[str], int]:
            result = await self.list_starrocks_databases(
                starrocks_instance_id, database_name=database_name, offset=offset, limit=page_size
            )
            return result.databases, result.total_count

        async for item in _paged(page, key=lambda d: d):
            yield item

    async def list_database_users(
        self,
        starrocks_instance_id: str,
        *,
        user_name: str | None = None,
        offset: int = 0,
        limit: int = PAGE_MAX,
    ) -> DatabaseUserList:
        """One page of database users with their databases and DML/DDL levels."""
        _check_page(limit, offset)
        path = await self._path(
            "instances", _seg(starrocks_instance_id, "the StarRocks instance"), "starrocks", "users"
        )
        params = {"user_name": user_name, "limit": limit, "offset": offset}
        return self._model(DatabaseUserList, await self._get(path, params))

    async def iter_database_users(
        self, starrocks_instance_id: str, *, page_size: int = PAGE_MAX
    ) -> AsyncIterator[DatabaseUser]:
        async def page(offset: int) -> tuple[list[DatabaseUser], int]:
            result = await self.list_database_users(starrocks_instance_id, offset=offset, limit=page_size)
            return result.user_details, result.total_count

        async for item in _paged(page, key=lambda u: u.user_name):
            yield item

    async def _users_path(self, starrocks_instance_id: str, *more: str) -> str:
        return await self._path(
            "instances", _seg(starrocks_instance_id, "the StarRocks instance"), "starrocks", "users", *more
        )

    async def create_database_user(
        self, starrocks_instance_id: str, user: DatabaseUserCreate | Mapping[str, Any]
    ) -> str:
        """Create a database user with access to some databases; returns the service's result."""
        body = _validated(DatabaseUserCreate, user, "database user").to_body()
        data = await self._change(
            "POST", await self._users_path(starrocks_instance_id), body, what="the StarRocks instance"
        )
        return str(data.get("result", ""))

    async def update_database_user_password(
        self, starrocks_instance_id: str, user_name: str, password: str | SecretStr
    ) -> str:
        secret = password if isinstance(password, SecretStr) else SecretStr(password)
        body = _validated(
            DatabaseUserPassword, {"user_name": user_name, "password": secret}, "new password"
        ).to_body()
        data = await self._change(
            "PUT",
            await self._users_path(starrocks_instance_id, "password"),
            body,
            what="the StarRocks instance",
        )
        return str(data.get("result", ""))

    async def update_database_user_permission(
        self,
        starrocks_instance_id: str,
        user_name: str,
        *,
        databases: list[str] | None = None,
        dml: int | None = None,
        ddl: int | None = None,
    ) -> str:
        body = _validated(
            DatabaseUserPermission,
            {"user_name": user_name, "databases": databases, "dml": dml, "ddl": ddl},
            "permission change",
        ).to_body()
        data = await self._change(
            "PUT",
            await self._users_path(starrocks_instance_id, "permission"),
            body,
            what="the StarRocks instance",
        )
        return str(data.get("result", ""))

    async def delete_database_user(self, starrocks_instance_id: str, user_name: str) -> str:
        if not user_name:
            raise errors.InvalidRequest("the user name is required", service=self.service)
        data = await self._change(
            "DELETE",
            await self._users_path(starrocks_instance_id),
            params={"user_name": user_name},
            what="the StarRocks instance",
        )
        return str(data.get("result", ""))

    # -- jobs -----------------------------------------------------------------------------------------

    async def get_job(self, job_id: str) -> Job:
        """A job's status (``Pending``, ``Running``, ``Completed``, ``Failed``) and progress."""
        if not job_id:
            raise errors.InvalidRequest("the job id is required", service=self.service)
        try:
            data = await self._get(await self._path("jobs"), {"id": job_id})
        except errors.InvalidRequest as e:
            # The service answers an unknown job id with a parameter error.
            if "not exist" in (e.message or "").lower():
                raise errors.NotFound(
                    e.message,
                    service=self.service,
                    status=e.status,
                    code=e.code,
                    request_id=e.request_id,
                    hint="the job id is wrong, or the job is too old to be kept",
                    raw=e.raw,
                ) from None
            raise
        job = data.get("job")
        if not isinstance(job, dict):
            raise errors.NotFound(f"job {job_id} was not found", service=self.service, raw=data)
        return Job.model_validate(job)

    async def wait_for(
        self,
        job_id: str,
        *,
        timeout: float = 3600.0,
        poll_interval: float = 2.0,
        max_interval: float = 20.0,
        backoff: float = 1.5,
        on_progress: ProgressCallback | None = None,
    ) -> Job:
        """Poll a job until it completes and return it. ``on_progress`` (plain or async) gets the
        job whenever its status or ``process`` changes. A failed job raises OperationFailed with
        the service's reason; running past ``timeout`` seconds raises OperationTimeout (the job
        goes on). Cancelling the awaiting task stops the polling, not the job."""
        deadline = time.monotonic() + timeout
        interval = poll_interval
        last: tuple[str, str | None] | None = None
        job: Job | None = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._timeout(job_id, job, timeout)
            try:
                async with asyncio.timeout(remaining):
                    job = await self.get_job(job_id)
            except TimeoutError:
                raise self._timeout(job_id, job, timeout) from None
            seen = (job.status, job.process)
            if on_progress is not None and seen != last:
                outcome = on_progress(job)
                if inspect.isawaitable(outcome):
                    await outcome
            last = seen
            if job.status == JOB_COMPLETED:
                return job
            if job.status == JOB_FAILED:
                raise self.job_failure(job_id, job)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._timeout(job_id, job, timeout)
            await asyncio.sleep(min(interval, remaining))
            interval = min(max_interval, interval * backoff)

    def job_failure(self, job_id: str, job: Job) -> errors.OperationFailed:
        """The error for a job the service reports ``Failed``, with its reason."""
        label = job.name or "job"
        subject = f" on {job.instance.name or job.instance.id}" if job.instance else ""
        return errors.OperationFailed(
            f"{label} {job.id or job_id}{subject} failed: {job.fail_reason or 'no reason given'}",
            service=self.service,
            code=JOB_FAILED,
            hint="see the reason; fix what it names and start the change again",
            raw=job.model_dump(mode="json"),
        )

    def _timeout(self, job_id: str, job: Job | None, timeout: float) -> errors.OperationTimeout:
        state = f" (last seen {job.status}{' ' + job.process if job and job.process else ''})" if job else ""
        return errors.OperationTimeout(
            f"job {job_id} did not finish within {timeout:g} s{state}",
            service=self.service,
            hint="it may still be running; check it again later",
            raw=job.model_dump(mode="json") if job else None,
        )


T = TypeVar("T")


async def _paged(
    fetch: Callable[[int], Awaitable[tuple[list[T], int]]], *, key: Callable[[T], Any]
) -> AsyncIterator[T]:
    """Walk offset pages until the total is reached or a page is empty. Rows that shift between
    pages while the list changes are yielded once (by ``key``)."""
    seen: set[Any] = set()
    offset = 0
    while True:
        items, total = await fetch(offset)
        for item in items:
            k = key(item)
            if k in seen:
                continue
            seen.add(k)
            yield item
        offset += len(items)
        if not items or offset >= total:
            return
