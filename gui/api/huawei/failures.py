"""Huawei Cloud refusals turned into the console's error hierarchy.

Huawei services answer errors in several shapes; the SDK's exception handler reads
``{"error_code","error_msg"}``, ``{"errorCode","errorMsg"}`` and ``{"code","message"}``, and IAM
(Keystone) nests them: ``{"error":{"code","message","title"}}``. The API gateway adds
``request_id``; every answer carries ``X-Request-Id``, which support asks for.
"""

from __future__ import annotations

from typing import Any

import httpx

from .. import errors
from ..base import body_of
from ..transport import redact, redact_url

# The codes Huawei's database services use for "no such instance/node" (the RDS/TaurusDB error
# tables), plus the one TaurusDB answers for an HTAP instance id it does not know (with HTTP 400).
NOT_FOUND_CODES = frozenset({"DBS.200002", "DBS.200013", "DBS.200823", "DBS.05000044"})
# "Another operation is being performed on the DB instance": a job holds the instance.
BUSY_CODES = frozenset({"DBS.200011", "DBS.200019"})
# The gateway: no such API (wrong endpoint or path) and refused credentials.
GATEWAY_NO_API = "APIGW.0101"
GATEWAY_AUTH = "APIGW.0301"

_SHAPES = (("error_code", "error_msg"), ("errorCode", "errorMsg"), ("code", "message"))


def parse_error(body: Any) -> tuple[str | None, str | None]:
    """The service's error code and message, whichever of Huawei's shapes the body uses."""
    if not isinstance(body, dict):
        text = body.strip() if isinstance(body, str) else ""
        return None, (text[:300] or None)
    for code_key, msg_key in _SHAPES:
        if code_key in body or msg_key in body:
            code, msg = body.get(code_key), body.get(msg_key)
            return (str(code) if code not in (None, "") else None), (str(msg) if msg else None)
    nested = body.get("error")
    if isinstance(nested, dict):
        code, msg = parse_error(nested)
        title = nested.get("title")
        return code, msg or (str(title) if title else None)
    return None, None


def request_id_of(response: httpx.Response, body: Any) -> str | None:
    rid = response.headers.get("X-Request-Id")
    if not rid and isinstance(body, dict):
        rid = body.get("request_id")
    return str(rid) if rid else None


def error_for(
    response: httpx.Response, *, service: str, auth_hint: str, what: str | None = None
) -> errors.ApiError:
    """The error for a refused call. ``auth_hint`` says what to check for 401s (it depends on the
    profile's kind of credentials); ``what`` names the object of the call for busy messages."""
    body = body_of(response)
    code, msg = parse_error(body)
    status = response.status_code
    rid = request_id_of(response, body)
    raw = redact(body)
    where = f"{response.request.method} {redact_url(response.request.url)}"
    kwargs: dict[str, Any] = {
        "service": service,
        "status": status,
        "code": code,
        "request_id": rid,
        "raw": raw,
    }

    if status == 401 or code == GATEWAY_AUTH:
        return errors.AuthError(msg or f"{where} was refused (not authenticated)", hint=auth_hint, **kwargs)
    if code in BUSY_CODES:
        subject = what or "the instance"
        return errors.Conflict(
            f"{subject} is busy: a job is running on it",
            hint="wait for the running job to finish (see the instance's actions), then try again"
            + (f"; the service said: {msg}" if msg else ""),
            **kwargs,
        )
    if status == 403:
        return errors.AuthError(
            msg or f"{where} was refused (not allowed)",
            hint="the IAM user is not allowed to do this: ask the account administrator for the "
            "TaurusDB (gaussdbformysql) permissions of this action, or check the project",
            **kwargs,
        )
    if code == GATEWAY_NO_API or (status == 404 and code is None):
        return errors.NotFound(
            msg or f"{where}: no such API",
            hint="this address does not offer this API: check the profile's region and endpoint addresses",
            **kwargs,
        )
    if status == 404 or code in NOT_FOUND_CODES:
        return errors.NotFound(
            msg or f"{where}: not found",
            hint="check the id; the instance may have been deleted (refresh the list)",
            **kwargs,
        )
    if status == 409:
        return errors.Conflict(
            msg or f"{where} conflicts with the current state",
            hint="refresh to see the current state, then try again",
            **kwargs,
        )
    if status == 429:
        return errors.RateLimited(
            msg or "too many requests",
            hint="wait a moment and try again; the service limits call rates",
            **kwargs,
        )
    if status >= 500:
        return errors.ServerError(
            msg or f"{where} failed on the service's side",
            hint="try again later; if it persists, give Huawei support the request id",
            **kwargs,
        )
    return errors.for_status(status)(
        msg or f"{where} was refused",
        hint="correct what the service names and try again",
        **kwargs,
    )
