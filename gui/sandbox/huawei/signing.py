"""AK/SK request signatures, "SDK-HMAC-SHA256", checked the way Huawei's API gateway checks them.

The canonical request is rebuilt from what arrived on the wire (method, raw path, raw query, the
headers the client listed as signed, the body) exactly as ``huaweicloudsdkcore``'s signer builds it
before sending, then signed with the secret key; the signature must match byte for byte.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_HASH = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
# The gateway refuses a signature whose X-Sdk-Date is more than 15 minutes from its own clock.
MAX_SKEW_SECONDS = 15 * 60

_AUTH_RE = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=(?P<ak>[^,\s]+)\s*,\s*SignedHeaders=(?P<headers>[^,\s]+)\s*,"
    r"\s*Signature=(?P<sig>[0-9a-fA-F]+)\s*$"
)


@dataclass
class Authorization:
    ak: str
    signed_headers: list[str]
    signature: str


class SignatureError(Exception):
    """Why a signature was refused (the text goes after the gateway's fixed prefix)."""


def parse_authorization(value: str) -> Authorization | None:
    m = _AUTH_RE.match(value.strip())
    if m is None:
        return None
    return Authorization(m["ak"], m["headers"].split(";"), m["sig"].lower())


def _encode(s: str) -> str:
    return quote(s, safe="~")


def canonical_uri(raw_path: str) -> str:
    segments = unquote(raw_path).split("/")
    path = "/".join(_encode(s) for s in segments)
    return path if path.endswith("/") else path + "/"


def canonical_query(raw_query: str) -> str:
    pairs: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote(key), unquote(value)))
    pairs.sort()
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs)


def payload_hash(body: bytes, content_sha256: str | None) -> str:
    if not body:
        return EMPTY_HASH
    if content_sha256:
        return content_sha256
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, str],
    signed_headers: list[str],
    body: bytes,
) -> str:
    """``headers`` maps lower-case names to the values as received."""
    lines = []
    for name in signed_headers:
        value = headers.get(name)
        if value is None:
            raise SignatureError(f"verify aksk signature fail, signed header {name} is missing")
        lines.append(f"{name}:{value.strip()}")
    block = "\n".join(lines) + "\n"
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path),
            canonical_query(raw_query),
            block,
            ";".join(signed_headers),
            payload_hash(body, headers.get("x-sdk-content-sha256")),
        ]
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def sign(secret: str, to_sign: str) -> str:
    return hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(
    auth: Authorization,
    secret: str,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, str],
    body: bytes,
    now: datetime | None = None,
) -> None:
    """Raise SignatureError unless the request carries a current, correct signature."""
    sdk_date = headers.get("x-sdk-date")
    if not sdk_date or "x-sdk-date" not in auth.signed_headers:
        raise SignatureError("verify aksk signature fail, x-sdk-date is not signed")
    try:
        signed_at = datetime.strptime(sdk_date.strip(), DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as e:
        raise SignatureError(f"verify aksk signature fail, invalid x-sdk-date {sdk_date}") from e
    now = now or datetime.now(UTC)
    if abs((now - signed_at).total_seconds()) > MAX_SKEW_SECONDS:
        raise SignatureError(
            f"signature expired, signature time:{sdk_date.strip()},server time:{now.strftime(DATE_FORMAT)}"
        )
    canonical = canonical_request(method, raw_path, raw_query, headers, auth.signed_headers, body)
    expected = sign(secret, string_to_sign(canonical, sdk_date.strip()))
    # Bytes: a header may carry any character, and compare_digest refuses non-ASCII text.
    if not hmac.compare_digest(expected.encode(), auth.signature.encode("utf-8", "surrogateescape")):
        shown = canonical.replace("\n", "|")
        raise SignatureError(f"verify aksk signature fail,canonicalRequest:{shown}")
