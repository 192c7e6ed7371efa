"""Words for people, the same in every view and message: plural forms, lists in words, reasons as
sentences."""

from __future__ import annotations

import re
from collections.abc import Sequence


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 database``, ``2 databases`` (``many`` for nouns that do not just take an s)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


def words(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def sentence(text: str) -> str:
    """A reason as a sentence of its own: first letter capital ("must be at least 1" → "Must be at
    least 1"). Text that starts with a name (quoted, camelCase, snake_case) is left as it is."""
    text = text.strip()
    if text == "is required":
        return "Required"
    first = re.match(r"\w+", text)
    # A first word like aggregationOverrides or order_id is a name, which keeps its case.
    if first and text[0].islower() and first.group(0).isalpha() and first.group(0).islower():
        return text[0].upper() + text[1:]
    return text


def join(*parts: str | None) -> str:
    """Sentences one after another, the empty ones left out."""
    return " ".join(p.strip() for p in parts if p and p.strip())
