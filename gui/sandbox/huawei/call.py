"""One request to the emulated Huawei endpoints, already read off the wire."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from . import errors
from .errors import ApiError


@dataclass
class Call:
    method: str
    raw_path: str
    raw_query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> list[tuple[str, str]]:
        pairs = []
        for part in self.raw_query.split("&"):
            if part:
                k, _, v = part.partition("=")
                pairs.append((unquote(k.replace("+", " ")), unquote(v.replace("+", " "))))
        return pairs

    def q(self, name: str) -> str | None:
        for k, v in self.query:
            if k == name:
                return v
        return None

    def json(self, required: bool = True) -> Any:
        """The JSON body; an absent body is {} when not required."""
        if not self.body.strip():
            if required:
                raise ApiError(400, errors.EMPTY_BODY)
            return {}
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as e:
            raise errors.param("the request body is not valid JSON") from e

    def json_object(self, required: bool = True) -> dict[str, Any]:
        body = self.json(required)
        if not isinstance(body, dict):
            raise errors.param("the request body must be a JSON object")
        return body
