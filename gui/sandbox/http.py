"""Small HTTP helpers shared by the emulated services."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response


def basic_auth(request: Request) -> tuple[str, str] | None:
    """(user, password) from an ``Authorization: Basic`` header, or None when absent or malformed."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    return user, password


def json_response(
    body: Any,
    status: int = 200,
    indent: int | None = None,
    headers: dict[str, str] | None = None,
    media_type: str = "application/json",
) -> Response:
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(body, indent=indent, ensure_ascii=False, default=str, separators=separators)
    return Response(text, status_code=status, media_type=media_type, headers=headers)
