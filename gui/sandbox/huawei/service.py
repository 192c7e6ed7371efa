"""Huawei Cloud IAM + TaurusDB (StarRocks/HTAP) emulation.

Everything under ``/v3/`` goes through one dispatcher that plays the API gateway: it finds the API
(``APIGW.0101`` when there is none), checks the caller (IAM token or AK/SK signature, ``APIGW.0301``),
checks the project in the path, runs the handler, and stamps ``X-Request-Id`` on every answer.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import json_response
from . import errors
from .call import Call
from .errors import ApiError, KeystoneError
from .htap import Result, Taurus
from .iam import Iam

if TYPE_CHECKING:
    from ..app import Sandbox

log = logging.getLogger("starrocks_console.sandbox.huawei")

_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


@dataclass
class _Api:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[[Call], Result]
    # "project": token/AK-SK for the {project_id} in the path; "account": any valid caller;
    # "none": IAM's token API, open to all.
    auth: str


def _compile(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return re.compile(f"^{regex}$")


class Huawei:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.iam = Iam(sb)
        self.taurus = Taurus(sb)
        self.taurus.seed()
        self.taurus.settle()
        sb.add_sweeper(self._sweep)
        t = self.taurus
        p = "/v3/{project_id}"
        inst = p + "/instances/{instance_id}"
        # Literal paths come before the ones whose last segment is a parameter.
        table: list[tuple[str, str, Callable[[Call], Result], str]] = [
            ("POST", "/v3/auth/tokens", self._tokens, "none"),
            ("GET", "/v3/projects", self._projects, "account"),
            ("GET", p + "/instances", t.list_taurus, "project"),
            ("GET", p + "/jobs", t.show_job, "project"),
            ("GET", p + "/htap/flavors/{engine}", t.list_flavors, "project"),
            ("GET", p + "/htap/storage-type/{engine}", t.list_storage_types, "project"),
            ("GET", p + "/htap/datastores/{engine}", t.list_datastores, "project"),
            ("POST", p + "/starrocks/resource-check", t.resource_check, "project"),
            ("GET", inst + "/htap", t.list_htap, "project"),
            ("POST", inst + "/starrocks", t.create, "project"),
            ("POST", inst + "/starrocks/resize-flavor", t.resize, "project"),
            ("GET", inst + "/starrocks/databases", t.list_databases, "project"),
            ("GET", inst + "/starrocks/users", t.show_users, "project"),
            ("POST", inst + "/starrocks/users", t.create_user, "project"),
            ("DELETE", inst + "/starrocks/users", t.delete_user, "project"),
            ("PUT", inst + "/starrocks/users/password", t.update_password, "project"),
            ("PUT", inst + "/starrocks/users/permission", t.update_permission, "project"),
            ("PUT", p + "/instances/{sr_id}/starrocks/restart", t.restart, "project"),
            ("PUT", p + "/instances/{sr_id}/starrocks/{node_id}/restart", t.restart_node, "project"),
            ("GET", inst + "/starrocks/{sr_id}", t.show, "project"),
            ("DELETE", inst + "/starrocks/{sr_id}", t.delete, "project"),
        ]
        self._apis = [_Api(m, _compile(tpl), h, a) for m, tpl, h, a in table]

    def routes(self) -> list[BaseRoute]:
        return [Route("/v3/{rest:path}", self._endpoint, methods=_METHODS)]

    async def _sweep(self) -> None:
        await self.sb.store.run(self.taurus.settle)

    # -- the gateway ---------------------------------------------------------------------------
    async def _endpoint(self, request: Request) -> Response:
        request_id = uuid.uuid4().hex
        body = await request.body()
        raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
        # Header bytes arrive as latin-1; the signer signed their UTF-8 text.
        headers = {
            k.decode("latin-1").lower(): v.decode("utf-8", "replace") for k, v in request.scope["headers"]
        }
        call = Call(
            method=request.method,
            raw_path=raw_path.split("?", 1)[0],
            raw_query=request.scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )
        try:
            response = await self.sb.store.run(self._dispatch, call, request_id)
        except (ApiError, KeystoneError) as e:
            response = e.response(request_id)
        except Exception:  # answered like the service's own 500, and logged for the sandbox's user
            log.exception("Huawei API %s %s failed", call.method, call.raw_path)
            response = ApiError(500, errors.SERVER_ERROR).response(request_id)
        response.headers["X-Request-Id"] = request_id
        return response

    def _dispatch(self, call: Call, request_id: str) -> Response:
        path = request_path(call.raw_path)
        api, params = self._match(call.method, path)
        call.params = params
        with self.sb.store.lock:
            if api.auth != "none":
                principal = self.iam.authenticate(
                    call.method, call.raw_path, call.raw_query, call.headers, call.body
                )
                if api.auth == "project":
                    self.iam.require_project(principal, params["project_id"])
            self.taurus.settle()
            status, body = api.handler(call)
        if isinstance(body, Response):
            return body
        return json_response(body, status=status)

    def _match(self, method: str, path: str) -> tuple[_Api, dict[str, str]]:
        path_known = False
        for api in self._apis:
            m = api.pattern.match(path)
            if m is None:
                continue
            path_known = True
            if api.method == method:
                return api, m.groupdict()
        if path_known:
            raise ApiError(404, errors.APIGW_NO_API, "The API does not exist.", gateway=True)
        raise ApiError(
            404,
            errors.APIGW_NO_API,
            "The API does not exist or has not been published in the environment.",
            gateway=True,
        )

    # -- IAM -----------------------------------------------------------------------------------
    def _tokens(self, call: Call) -> Result:
        try:
            body = json.loads(call.body) if call.body.strip() else None
        except (ValueError, UnicodeDecodeError) as e:
            raise KeystoneError(400, "The request body is invalid.") from e
        if not isinstance(body, dict):
            raise KeystoneError(400, "The request body is invalid.")
        token, answer = self.iam.issue_token(body, nocatalog=bool(call.q("nocatalog")))
        return 201, json_response(answer, status=201, headers={"X-Subject-Token": token})

    def _projects(self, call: Call) -> Result:
        return 200, self.iam.projects(call.q("name"))


def request_path(raw_path: str) -> str:
    """The path the routes are matched against: percent-decoded, without a trailing slash."""
    path = unquote(raw_path)
    return path.rstrip("/") if len(path) > 1 else path
