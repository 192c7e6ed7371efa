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


def is_json(request: Request) -> bool:
    """Whether the request says its body is JSON. Endpoints that take JSON refuse anything else: a
    browser sends a form or text/plain post to another site without asking it first, with the
    credentials it remembers for that site; a JSON post it sends only to a server that agrees."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


NOT_JSON = "Content-Type must be application/json"


def load_headers(request: Request) -> dict[str, str]:
    """The request's headers with their values read as UTF-8, as StarRocks' BE reads the bytes it is
    sent (curl sends what the shell gives it: a `where` with 张三 arrives as UTF-8). Starlette's own
    view decodes them as Latin-1. Names are lower case; a repeated header keeps its last value."""
    out: dict[str, str] = {}
    for name, value in request.headers.raw:
        out[name.decode("latin-1").lower()] = value.decode("utf-8", errors="replace")
    return out


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
