"""How the AI Lake API answers: JSON:API documents for resources, RFC 7807 problem documents for
errors, the bearer-token check and the page/size/metaInclude query parameters of list endpoints.

The OpenAPI document declares no error responses. The shape used here is the one GoodData's
gateway is recorded answering with (GoodData's own SDK test cassettes): ``application/problem+json``
with ``title``, ``status``, ``detail`` and ``traceId``, and the trace id repeated in the
``X-GDC-TRACE-ID`` header.
"""

from __future__ import annotations

import hmac
import json
import math
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"
TRACE_HEADER = "X-GDC-TRACE-ID"
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
INT32_MAX = 2**31 - 1

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}


class ApiError(Exception):
    """A refusal answered as a problem document."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def trace_id() -> str:
    return uuid.uuid4().hex


def problem(status: int, detail: str) -> Response:
    tid = trace_id()
    body = {"detail": detail, "status": status, "title": TITLES.get(status, "Error"), "traceId": tid}
    return Response(
        json.dumps(body),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={TRACE_HEADER: tid, "Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"},
    )


def document(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
        headers={TRACE_HEADER: trace_id()},
    )


def accepted(operation_id: str, with_location: bool = True) -> Response:
    """202 with the operation headers and no body (the spec's ``content: {}``)."""
    headers = {"operation-id": operation_id, TRACE_HEADER: trace_id()}
    if with_location:
        headers["operation-location"] = f"/api/v1/ailake/operations/{operation_id}"
    return Response(status_code=202, headers=headers)


def check_token(request: Request, token: str) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "Authorization header with a Bearer API token is required.")
    if not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise ApiError(401, "The API token is invalid or has expired.")


# -- request bodies ------------------------------------------------------------------------------


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; every operation with a body declares it required and JSON."""
    ctype = request.headers.get("content-type", "")
    media = ctype.split(";", 1)[0].strip().lower()
    raw = await request.body()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        if not raw and not media:
            raise ApiError(400, "Required request body is missing.")
        raise ApiError(415, f"Content-Type '{ctype or 'none'}' is not supported. Use application/json.")
    if not raw.strip():
        raise ApiError(400, "Required request body is missing.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError(400, f"JSON parse error: {e}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "JSON parse error: the request body must be a JSON object.")
    return body


# -- lists ---------------------------------------------------------------------------------------


@dataclass
class Paging:
    page: int
    size: int
    totals: bool


def _int_param(request: Request, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ApiError(400, f"Parameter '{name}' must be an integer, got '{raw}'.") from None
    if value < minimum:
        raise ApiError(400, f"Parameter '{name}' must be greater than or equal to {minimum}.")
    if value > maximum:
        raise ApiError(400, f"Parameter '{name}' must be less than or equal to {maximum}.")
    return value


def paging(request: Request) -> Paging:
    page = _int_param(request, "page", 0, 0, INT32_MAX)
    size = _int_param(request, "size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    include: list[str] = []
    for raw in request.query_params.getlist("metaInclude"):
        include.extend(v.strip() for v in raw.split(",") if v.strip())
    totals = any(v.lower() in ("page", "all") for v in include)
    return Paging(page, size, totals)


def list_document(request: Request, items: list[dict[str, Any]], p: Paging) -> Response:
    start = p.page * p.size
    return page_document(request, items[start : start + p.size], len(items), p)


def page_document(request: Request, page: list[dict[str, Any]], total: int, p: Paging) -> Response:
    """One page of a list already cut to the page (``total``: the length of the whole list)."""
    page_info: dict[str, Any] = {"number": p.page, "size": p.size}
    if p.totals:
        page_info["totalElements"] = total
        page_info["totalPages"] = math.ceil(total / p.size)
    return document({"data": page, "links": {"self": str(request.url)}, "meta": {"page": page_info}})


def item(kind: str, id: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"id": id, "type": kind, "attributes": attributes}


def single_document(request: Request, kind: str, id: str, attributes: dict[str, Any]) -> Response:
    return document({"data": item(kind, id, attributes), "links": {"self": str(request.url)}})
