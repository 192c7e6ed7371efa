"""The base every service client stands on: one place that sends requests (through the shared
transport and retry policy) and one place that turns failures into errors a person can act on."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any, ClassVar, Self

import httpx

from . import errors
from .transport import RetryPolicy, TransportConfig, build_client, redact, redact_url


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

        async def once() -> httpx.Response:
            request = self.http.build_request(
                method, url, params=params, json=json_body, content=content, headers=headers
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

    def connection_error(self, method: str, url: str, e: Exception) -> errors.ConnectionFailed:
        reason = str(e) or type(e).__name__
        if "CERTIFICATE_VERIFY_FAILED" in reason or "certificate verify failed" in reason:
            hint = (
                "the server's certificate is not trusted: add its CA bundle to the profile, "
                "or turn TLS verification off for this profile only"
            )
        else:
            hint = "check the address, the port and that the service is running and reachable from here"
        return errors.ConnectionFailed(
            f"cannot reach {redact_url(self._absolute(url))}: {reason}", service=self.service, hint=hint
        )

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


def body_of(response: httpx.Response) -> Any:
    """The JSON body of a response, or its text when it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text
