"""AK/SK request signing, "SDK-HMAC-SHA256", as Huawei Cloud's API gateway checks it.

The canonical form follows Huawei's SDK signer (huaweicloudsdkcore 3.1.219): unlike AWS SigV4 the
HMAC key is the secret key itself (no derived key), the canonical URI always ends with ``/`` and
only header names without ``_`` are signed. The gateway refuses a signature whose ``X-Sdk-Date`` is
more than 15 minutes away from its clock.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Generator, Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote

import httpx
from pydantic import SecretStr

ALGORITHM = "SDK-HMAC-SHA256"
HEADER_DATE = "X-Sdk-Date"
HEADER_CONTENT_SHA256 = "X-Sdk-Content-Sha256"
HEADER_PROJECT = "X-Project-Id"
HEADER_SECURITY_TOKEN = "X-Security-Token"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def _encode(value: str) -> str:
    return quote(value, safe="~")


def canonical_uri(path: str) -> str:
    """Each decoded path segment percent-encoded on its own, always ending with ``/``."""
    uri = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(pairs))


def signed_header_names(headers: Iterable[str]) -> list[str]:
    """The headers that go into the signature: the gateway recomputes the canonical headers from
    this list, so it names only headers no proxy rewrites (Host, Content-Type and the ``X-``
    headers), and never a name with ``_`` (the SDK skips those too)."""
    names = {h.lower() for h in headers}
    chosen = {n for n in names if "_" not in n and (n in ("host", "content-type") or n.startswith("x-"))}
    return sorted(chosen)


def payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    if not body:
        return EMPTY_SHA256
    declared = headers.get(HEADER_CONTENT_SHA256.lower())
    if declared:
        return declared
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed: list[str],
    body: bytes,
) -> str:
    """The six lines that are hashed: method, URI, query, headers (each ending in a newline),
    signed header names, payload hash. ``headers`` has lower-case names."""
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            canonical_headers,
            ";".join(signed),
            payload_hash(body, headers),
        ]
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(secret_key: str, to_sign: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(access_key: str, signed: list[str], sig: str) -> str:
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(signed)}, Signature={sig}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AkSkAuth(httpx.Auth):
    """Signs every request with an access key / secret key pair.

    ``project_id`` becomes ``X-Project-Id`` (as Huawei's SDK sends it on project-scoped calls); it
    may be set after construction, once the project id has been looked up. ``security_token`` is
    for temporary credentials.
    """

    requires_request_body = True

    def __init__(
        self,
        access_key: str,
        secret_key: str | SecretStr,
        *,
        project_id: str | None = None,
        security_token: str | SecretStr | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not access_key:
            raise ValueError("the access key (AK) is empty")
        self.access_key = access_key
        self._secret_key = secret_key if isinstance(secret_key, SecretStr) else SecretStr(secret_key)
        if not self._secret_key.get_secret_value():
            raise ValueError("the secret key (SK) is empty")
        self._security_token = (
            security_token
            if isinstance(security_token, SecretStr) or security_token is None
            else SecretStr(security_token)
        )
        self.project_id = project_id
        self._now = now

    def __repr__(self) -> str:
        return f"AkSkAuth(access_key={self.access_key!r}, secret_key='***', project_id={self.project_id!r})"

    def sign(self, request: httpx.Request) -> None:
        """Add ``X-Sdk-Date`` (unless set), ``X-Project-Id``, ``X-Security-Token`` and the
        ``Authorization`` header to a request whose body has been read."""
        if HEADER_DATE not in request.headers:
            request.headers[HEADER_DATE] = self._now().strftime(DATE_FORMAT)
        if self.project_id and HEADER_PROJECT not in request.headers:
            request.headers[HEADER_PROJECT] = self.project_id
        if self._security_token is not None:
            request.headers[HEADER_SECURITY_TOKEN] = self._security_token.get_secret_value()
        content_type = request.headers.get("content-type")
        if content_type and not content_type.startswith(("application/json", "application/bson")):
            request.headers[HEADER_CONTENT_SHA256] = UNSIGNED_PAYLOAD
        if "host" not in request.headers:
            request.headers["Host"] = request.url.netloc.decode("ascii")

        headers = {k.lower(): v for k, v in request.headers.items()}
        signed = signed_header_names(headers)
        query = parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)
        canonical = canonical_request(
            request.method, request.url.path, query, headers, signed, request.content
        )
        sig = signature(self._secret_key.get_secret_value(), string_to_sign(canonical, headers["x-sdk-date"]))
        request.headers["Authorization"] = authorization(self.access_key, signed, sig)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request
