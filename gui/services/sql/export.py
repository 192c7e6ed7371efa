"""A result's rows written to a file as the cluster returned them: CSV (RFC 4180, header first,
NULL as an empty field), TSV (header first; NULL as ``\\N``, and tabs, newlines and backslashes
escaped as StarRocks' Stream Load and the mysql client read them) or JSON lines (one object per
row keyed by the column names; DECIMAL as a string so that no digit is lost, bytes in base64).

Values are written exactly: DECIMAL as the server wrote it, times in ISO form."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

Format = Literal["csv", "tsv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "tsv", "jsonl")


def text(value: Any) -> str:
    """A value as text, exact (NULL for None)."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    return text(value)


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _tsv(value: Any) -> str:
    return "\\N" if value is None else text(value).translate(_TSV_ESCAPES)


def write_rows(path: str | Path, fmt: Format, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write ``rows`` to ``path`` (replaced only once it is whole); returns how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"export format {fmt!r} is not one of {', '.join(FORMATS)}")
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    n = 0
    with open(partial, "w", newline="", encoding="utf-8") as f:
        if fmt == "csv":
            out = csv.writer(f, lineterminator="\r\n")
            out.writerow(columns)
            for row in rows:
                out.writerow(["" if v is None else text(v) for v in row])
                n += 1
        elif fmt == "tsv":
            f.write("\t".join(c.translate(_TSV_ESCAPES) for c in columns) + "\n")
            for row in rows:
                f.write("\t".join(_tsv(v) for v in row) + "\n")
                n += 1
        else:
            names = list(columns)
            for row in rows:
                doc = {name: json_value(v) for name, v in zip(names, row, strict=False)}
                f.write(json.dumps(doc, ensure_ascii=False) + "\n")
                n += 1
    os.replace(partial, target)
    return n
