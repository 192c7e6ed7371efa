"""FE and BE configuration.

FE: ``ADMIN SHOW FRONTEND CONFIG [LIKE …]`` lists every item with its type and whether it is mutable;
``ADMIN SET FRONTEND CONFIG ("key" = "value")`` changes a mutable one on the FE this connection
reaches (not written to fe.conf). What changed is measured against the values first read.

BE: StarRocks has no SQL to set a BE's item; each BE serves ``GET /varz`` (values) and ``POST
/api/update_config?key=value`` on its HTTP port. The BEs come from ``SHOW BACKENDS`` (host and
HttpPort, reached through the profile's BE address map).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...api.starrocks import StarRocksClient
from .base import AdminSql, quote_string


@dataclass(frozen=True)
class FeConfigItem:
    key: str
    value: str
    type: str
    mutable: bool
    comment: str
    first_seen: str | None  # the value when this page first read it (None: not read before)

    @property
    def changed(self) -> bool:
        return self.first_seen is not None and self.first_seen != self.value


@dataclass(frozen=True)
class BeConfigItem:
    key: str
    value: str
    first_seen: str | None

    @property
    def changed(self) -> bool:
        return self.first_seen is not None and self.first_seen != self.value


class ConfigService:
    SHOW_FE = "ADMIN SHOW FRONTEND CONFIG"

    def __init__(self, sql: AdminSql, http: StarRocksClient | None) -> None:
        self.sql = sql
        self.http = http
        self._fe_first: dict[str, str] = {}
        self._be_first: dict[str, dict[str, str]] = {}

    # -- FE ----------------------------------------------------------------------------------------
    async def fe_items(self) -> list[FeConfigItem]:
        table = await self.sql.query(self.SHOW_FE)
        items: list[FeConfigItem] = []
        for r in table.dicts():
            key, value = str(r.get("Key", "")), str(r.get("Value", ""))
            first = self._fe_first.setdefault(key, value)
            items.append(
                FeConfigItem(
                    key=key,
                    value=value,
                    type=str(r.get("Type", "")),
                    mutable=str(r.get("IsMutable", "")).lower() == "true",
                    comment=str(r.get("Comment") or ""),
                    first_seen=first,
                )
            )
        return items

    @staticmethod
    def set_fe_statement(key: str, value: str) -> str:
        return f"ADMIN SET FRONTEND CONFIG ({quote_string(key)} = {quote_string(value)})"

    async def set_fe(self, key: str, value: str, confirm: str) -> None:
        """Set one FE item; ``confirm`` is what the person typed (the item's key)."""
        await self.sql.change(self.set_fe_statement(key, value), confirm=(confirm,))

    # -- BE ----------------------------------------------------------------------------------------
    async def backends(self) -> list[str]:
        """``host:http_port`` of each BE, from SHOW BACKENDS."""
        table = await self.sql.query("SHOW BACKENDS")
        out: list[str] = []
        for r in table.dicts():
            host, port = r.get("IP") or r.get("Host"), r.get("HttpPort")
            if host and port:
                out.append(f"{host}:{port}")
        return out

    def _client(self) -> StarRocksClient:
        if self.http is None:
            from ...api import errors

            raise errors.ConnectionFailed("this profile has no HTTP client", service="starrocks")
        return self.http

    async def be_items(self, be: str) -> list[BeConfigItem]:
        http = self._client()
        shown = f"GET http://{be}/varz?raw"
        try:
            values = await http.be_config(be)
        except Exception as e:
            self.sql.note(shown, getattr(e, "message", str(e)), "BE HTTP")
            raise
        self.sql.note(shown, "ok", "BE HTTP")
        first = self._be_first.setdefault(be, {})
        return [BeConfigItem(k, v, first.setdefault(k, v)) for k, v in sorted(values.items())]

    async def set_be(self, be: str, key: str, value: str) -> None:
        """``POST /api/update_config?key=value`` on that BE; its refusal raised with its text."""
        http = self._client()
        shown = f"POST http://{be}/api/update_config?{key}={value}"
        try:
            await http.update_be_config(be, key, value)
        except Exception as e:
            self.sql.note(shown, getattr(e, "message", str(e)), "BE HTTP")
            raise
        self.sql.note(shown, "ok", "BE HTTP")


# -- a value checked against its item's type before it is sent ------------------------------------
_INT_RANGES = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
# Double.parseDouble's decimal forms (surrounding blanks are trimmed; a trailing f/d is allowed).
_JAVA_DOUBLE = re.compile(r"[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)")


def value_kind(type_name: str) -> str:
    """What a value of a Type column must be: "bool", "int", "double" or "string"."""
    t = type_name.strip().lower()
    if t == "boolean":
        return "bool"
    if t in _INT_RANGES:
        return "int"
    if t in ("double", "float"):
        return "double"
    return "string"


def kind_of_value(value: str) -> str:
    """A BE item has no type on /varz: the kind its current value shows."""
    if value.lower() in ("true", "false"):
        return "bool"
    if re.fullmatch(r"[+-]?\d+", value):
        return "int"
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?", value):
        return "double"
    return "string"


def check_value(type_name: str, value: str) -> str | None:
    """Why the FE would refuse ``value`` for an item of this Java type (ConfigBase's parsers), or
    None. For a type it does not parse (String, String[]…) every value passes here."""
    t = type_name.strip().lower()
    if t == "boolean":
        return None if value.lower() in ("true", "false") else "true or false"
    if t in _INT_RANGES:
        low, high = _INT_RANGES[t]
        digits = value[1:] if value[:1] in "+-" else value
        if not digits or not (digits.isascii() and digits.isdigit()):
            return f"a whole number ({t}, from {low} to {high})"
        if not low <= int(value) <= high:
            return f"a {t} from {low} to {high}"
        return None
    if t in ("double", "float"):
        return None if _JAVA_DOUBLE.fullmatch(value.strip()) else f"a number ({t}), e.g. 0.5 or 1e3"
    return None
