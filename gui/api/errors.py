"""One error hierarchy for every client.

Each error keeps the service, the HTTP status, the service's own code (Huawei ``error_code``, a
JSON:API error title, a StarRocks ``Status``) and a one-line message a person can act on, plus a
hint saying what to try. Messages never contain secrets: bodies are redacted before they are kept.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A call that did not do what was asked."""

    def __init__(
        self,
        message: str,
        *,
        service: str,
        status: int | None = None,
        code: str | None = None,
        hint: str | None = None,
        request_id: str | None = None,
        raw: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.service = service
        self.status = status
        self.code = code
        self.hint = hint
        self.request_id = request_id
        self.raw = raw

    def __str__(self) -> str:
        where = [f"HTTP {self.status}" if self.status else "", self.code or ""]
        detail = ", ".join(p for p in where if p)
        text = f"{self.service}: {self.message}" + (f" ({detail})" if detail else "")
        if self.hint:
            text += f". {self.hint[:1].upper()}{self.hint[1:]}"
        return text


class ConnectionFailed(ApiError):
    """The service could not be reached: DNS, refused connection, TLS, timeout."""


class TlsVerifyFailed(ConnectionFailed):
    """The server's certificate could not be verified (unknown CA, expired, wrong host name).
    Never retried: the same certificate fails the same way until the profile changes."""


class RedirectRefused(ApiError):
    """A redirect was not followed: it named a host the profile does not trust, or went from
    https to plain http. Nothing was sent to its target: not the credentials, not a byte of data."""


class AuthError(ApiError):
    """Credentials missing, wrong or expired (401), or not allowed (403)."""


class NotFound(ApiError):
    """The instance, table, label or operation does not exist (404 or the service's equivalent)."""


class InvalidRequest(ApiError):
    """The service refused the input (400), or the client refused it before sending."""


class Conflict(ApiError):
    """The resource is busy or in the wrong state for the call (409)."""


class RateLimited(ApiError):
    """Too many requests (429)."""


class ServerError(ApiError):
    """The service failed (5xx)."""


class OperationFailed(ApiError):
    """A long-running job or operation ended in failure."""


class OperationTimeout(ApiError):
    """Waited for a job or operation longer than allowed."""


def for_status(status: int) -> type[ApiError]:
    """The error class for an HTTP status."""
    if status in (401, 403):
        return AuthError
    if status == 404:
        return NotFound
    if status == 409:
        return Conflict
    if status == 429:
        return RateLimited
    if status >= 500:
        return ServerError
    return InvalidRequest


class PermissionDenied(AuthError):
    """The user is known but lacks the privilege the statement needs (StarRocks 5203, MySQL 1142,
    1044, 1227). Signing in again will not help; a GRANT will."""


class QueryCancelled(ApiError):
    """The statement was stopped before it finished: killed on the server (KILL QUERY, MySQL 1317)
    or cancelled from here."""
