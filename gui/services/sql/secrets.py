"""Secrets written into SQL text — ``IDENTIFIED BY '...'``, ``PASSWORD('...')``, ``SET PASSWORD =
'...'``, and properties such as ``"aws.s3.secret_key" = "..."`` in FILES(), catalogs, resources and
loads — replaced by a mark before the text is kept anywhere (the query history, logs)."""

from __future__ import annotations

import re

from .lexing import Kind, Token, lex

MARK = "'***'"
# Property keys whose values are secrets (StarRocks' storage, catalog and load properties).
_SECRET_KEY = re.compile(r"password|passwd|secret|token|credential|private[._]?key|sas|signature", re.I)


def redact(sql: str) -> tuple[str, list[str]]:
    """``sql`` with every secret literal replaced by ``'***'``, and the secrets it held (to take them
    out of texts that may repeat them, such as a server's error message)."""
    tokens = [t for t in lex(sql).tokens]
    spans: list[Token] = []
    for i, tok in enumerate(tokens):
        if tok.kind not in (Kind.STRING, Kind.OPEN):
            continue
        if _after_secret_words(tokens, i) or _is_secret_property(tokens, i):
            spans.append(tok)
    out = sql
    for tok in reversed(spans):
        out = out[: tok.start] + MARK + out[tok.end :]
    return out, [t.value for t in spans if t.value]


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with each of ``secrets`` replaced by ``***``."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= 3:  # a one-letter password would blank every such letter of the text
            text = text.replace(secret, "***")
    return text


def _after_secret_words(tokens: list[Token], i: int) -> bool:
    before = [t.word or t.text for t in tokens[max(0, i - 4) : i]]
    # IDENTIFIED BY 'pw' | IDENTIFIED BY PASSWORD 'hash' | IDENTIFIED WITH plugin BY|AS 'pw'
    if before[-2:] == ["IDENTIFIED", "BY"] or before[-3:] == ["IDENTIFIED", "BY", "PASSWORD"]:
        return True
    if (
        len(before) >= 4
        and before[-4] == "IDENTIFIED"
        and before[-3] == "WITH"
        and before[-1] in ("BY", "AS")
    ):
        return True
    # PASSWORD('pw') | SET PASSWORD [FOR user] = 'hash'
    if before[-2:] == ["PASSWORD", "("]:
        return True
    if before[-1:] == ["="] and _in_set_password(tokens, i):
        return True
    return False


def _in_set_password(tokens: list[Token], i: int) -> bool:
    words = [t.word for t in tokens[:i]]
    return words[:2] == ["SET", "PASSWORD"]


def _is_secret_property(tokens: list[Token], i: int) -> bool:
    """The value of ``"key" = "value"`` whose key names a secret."""
    if i < 2 or tokens[i - 1].text != "=":
        return False
    key = tokens[i - 2]
    name = key.value if key.kind in (Kind.STRING, Kind.NAME) else key.text
    return bool(_SECRET_KEY.search(name))
