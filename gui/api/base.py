"""The base every service client stands on: one place that sends requests (through the shared
transport and retry policy) and one place that turns failures into errors a person can act on."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

import httpx

from . import errors
from .transport import (
    BadHeader,
    RetryPolicy,
    TransportConfig,
    build_client,
    encode_headers,
    is_cert_verify_failure,
    redact,
    redact_url,
)

TLS_HINT = (
    "give the CA bundle that signed the server's certificate in the profile (--ca-bundle for "
    "`starrocks-console load`), or, knowing that anyone on the way could then read the traffic and "
    "the credentials, turn TLS verification off for this profile"
)


class ServiceClient:
    """An async client of one service. Use it as ``async with``; a closed client refuses calls."""

    service: ClassVar[str] = "service"

    def __init__(
        self,
        base_url: str,
        config: TransportConfig | None = None,
        *,
        auth: httpx.Auth | tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        refuse_user_info(base_url, self.service)
        self.base_url = base_url.rstrip("/")
        self.config = config or TransportConfig()
        self.retry_policy = RetryPolicy.of(self.config)
        self.http = build_client(self.config, self.base_url, headers=headers, auth=auth)
        self._closed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        await self.http.aclose()

    @property
    def closed(self) -> bool:
        return self._closed

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
        retry: bool = False,
        auth: httpx.Auth | tuple[str, str] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one request (resending it when ``retry`` and the failure allows); connection
        failures become ConnectionFailed. The response is returned whatever its status."""
        if self._closed:
            raise RuntimeError(f"the {self.service} client is closed")
        wire_headers = self.encode_headers(headers)

        async def once() -> httpx.Response:
            request = self.http.build_request(
                method, url, params=params, json=json_body, content=content, headers=wire_headers
            )
            kwargs: dict[str, Any] = {"stream": stream}
            if auth is not None:
                kwargs["auth"] = auth
            return await self.http.send(request, **kwargs)

        try:
            return await self.retry_policy.run(once, retry=retry)
        except httpx.TimeoutException as e:
            raise errors.ConnectionFailed(
                f"{method} {redact_url(self._absolute(url))} timed out ({type(e).__name__})",
                service=self.service,
                hint="the service may be overloaded or unreachable; try again or raise the timeouts",
            ) from e
        except httpx.TransportError as e:
            raise self.connection_error(method, url, e) from e

    def encode_headers(self, headers: Mapping[str, str] | None) -> dict[bytes, bytes]:
        """A request's own headers as sent (UTF-8 values); a control character in one is refused
        here, before anything is sent."""
        try:
            return encode_headers(headers)
        except BadHeader as e:
            raise errors.InvalidRequest(
                str(e),
                service=self.service,
                code="BAD_HEADER",
                hint="remove the character; separators are written as \\t, \\n or \\x01",
            ) from None

    def connection_error(self, method: str, url: str, e: Exception) -> errors.ConnectionFailed:
        reason = str(e) or type(e).__name__
        where = redact_url(self._absolute(url))
        if is_cert_verify_failure(e):
            hint = TLS_HINT
            if "mismatch" in reason.lower() or "doesn't match" in reason.lower():
                hint = f"the certificate was issued for another name: use that name in the address; {hint}"
            return errors.TlsVerifyFailed(
                f"the certificate of {urlsplit(where).netloc} could not be verified ({reason})",
                service=self.service,
                hint=hint,
            )
        hint = "check the address, the port and that the service is running and reachable from here"
        return errors.ConnectionFailed(f"cannot reach {where}: {reason}", service=self.service, hint=hint)

    def _absolute(self, url: str) -> str:
        return url if "://" in url else f"{self.base_url}{url}"

    async def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """``send`` and raise the service's error for any status of 400 or more."""
        response = await self.send(method, url, **kwargs)
        if response.status_code >= 400:
            await response.aread()
            raise self.error_for(response)
        return response

    def error_for(self, response: httpx.Response) -> errors.ApiError:
        """Turn a refusal into an error; services override this to read their own error shapes."""
        body = body_of(response)
        cls = errors.for_status(response.status_code)
        return cls(
            f"{response.request.method} {redact_url(response.request.url)} failed",
            service=self.service,
            status=response.status_code,
            raw=redact(body),
        )


def refuse_user_info(url: str, service: str) -> None:
    """A service address must not carry a user name or password (``http://user:pw@host``): it would
    be kept with the address in journals, profiles and logs. Credentials come from the profile and
    the keyring, or the command line's --user and --password-env. Any ``@`` before the query counts:
    a password holding a ``/`` moves the ``@`` out of what a URL parser calls the host part."""
    head = url.split("?", 1)[0].split("#", 1)[0]
    if "@" not in head:
        return
    scheme = urlsplit(url).scheme or "http"
    shown = f"{scheme}://…@{head.rsplit('@', 1)[1]}"  # never the user info itself
    raise errors.InvalidRequest(
        f"the address {shown} must not carry a user name or password (user@ or user:password@)",
        service=service,
        hint="give the address without them, the user in --user or the profile, and the password "
        "in the profile (kept in the keyring) or in an environment variable named by --password-env",
    )


def body_of(response: httpx.Response) -> Any:
    """The JSON body of a response, or its text when it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text
