"""Typed answers of the StarRocks FE and BE HTTP interfaces, and the load options with their limits."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..transport import BadHeader, check_header_value

# The FE's label rule (FeNameFormat): letters, digits, '-', '_' and ':', 1 to 128 characters.
LABEL_PATTERN = re.compile(r"^[-_A-Za-z0-9:]{1,128}$")
LABEL_RULE = "1 to 128 characters: letters, digits, '-', '_' or ':'"


def check_label(label: str) -> str:
    if not LABEL_PATTERN.match(label):
        raise ValueError(f"label {label!r} is not valid: use {LABEL_RULE}")
    return label


class TxnReply(BaseModel):
    """Any answer of ``/api/transaction/*``, from the FE or the BE (keys as they send them)."""

    model_config = ConfigDict(populate_by_name=True, extra="allow", defer_build=True)

    status: str = Field(alias="Status")
    message: str = Field("", alias="Message")
    label: str | None = Field(None, alias="Label")
    txn_id: int | None = Field(None, alias="TxnId")
    existing_job_status: str | None = Field(None, alias="ExistingJobStatus")
    begin_txn_time_ms: int | None = Field(None, alias="BeginTxnTimeMs")
    load_bytes: int | None = Field(None, alias="LoadBytes")
    number_total_rows: int | None = Field(None, alias="NumberTotalRows")
    number_loaded_rows: int | None = Field(None, alias="NumberLoadedRows")
    number_filtered_rows: int | None = Field(None, alias="NumberFilteredRows")
    number_unselected_rows: int | None = Field(None, alias="NumberUnselectedRows")
    load_time_ms: int | None = Field(None, alias="LoadTimeMs")
    stream_load_plan_time_ms: int | None = Field(None, alias="StreamLoadPlanTimeMs")
    received_data_time_ms: int | None = Field(None, alias="ReceivedDataTimeMs")
    write_data_time_ms: int | None = Field(None, alias="WriteDataTimeMs")
    commit_and_publish_time_ms: int | None = Field(None, alias="CommitAndPublishTimeMs")
    error_url: str | None = Field(None, alias="ErrorURL")
    # Who answered: "fe" or "be" (and the BE's address); not part of the wire format.
    answered_by: str = Field("", exclude=True)
    raw: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @property
    def ok(self) -> bool:
        return self.status == "OK"


class StreamLoadResult(BaseModel):
    """The BE's answer to ``PUT /api/{db}/{table}/_stream_load``."""

    model_config = ConfigDict(populate_by_name=True, extra="allow", defer_build=True)

    txn_id: int = Field(-1, alias="TxnId")
    label: str = Field("", alias="Label")
    status: str = Field(alias="Status")  # Success | Publish Timeout | Label Already Exists | Fail
    message: str = Field("", alias="Message")
    existing_job_status: str | None = Field(None, alias="ExistingJobStatus")
    number_total_rows: int = Field(0, alias="NumberTotalRows")
    number_loaded_rows: int = Field(0, alias="NumberLoadedRows")
    number_filtered_rows: int = Field(0, alias="NumberFilteredRows")
    number_unselected_rows: int = Field(0, alias="NumberUnselectedRows")
    load_bytes: int = Field(0, alias="LoadBytes")
    load_time_ms: int = Field(0, alias="LoadTimeMs")
    error_url: str | None = Field(None, alias="ErrorURL")


LoadState = Literal["UNKNOWN", "PREPARE", "PREPARED", "COMMITTED", "VISIBLE", "ABORTED"]


class LoadOptions(BaseModel):
    """The data headers of a load. Every load of one transaction must send the same ones."""

    model_config = ConfigDict(populate_by_name=True, defer_build=True)

    format: Literal["csv", "json"] = "csv"
    column_separator: str | None = None
    row_delimiter: str | None = None
    columns: str | None = None
    where: str | None = None
    max_filter_ratio: float | None = Field(default=None, ge=0.0, le=1.0)
    strict_mode: bool | None = None
    timezone: str | None = None
    partitions: str | None = None
    strip_outer_array: bool | None = None
    jsonpaths: str | None = None
    json_root: str | None = None
    skip_header: int | None = Field(default=None, ge=0)
    trim_space: bool | None = None
    enclose: str | None = None
    escape: str | None = None
    compression: Literal["gzip", "bzip2", "deflate", "lz4", "zstd"] | None = None

    @field_validator(
        "column_separator",
        "row_delimiter",
        "columns",
        "where",
        "timezone",
        "partitions",
        "jsonpaths",
        "json_root",
        "enclose",
        "escape",
    )
    @classmethod
    def _header_safe(cls, v: str | None, info: ValidationInfo) -> str | None:
        # Every option travels as a header: refused here, when the options are made (before any
        # transaction is begun), rather than when the first chunk is sent.
        if v is not None:
            try:
                check_header_value(info.field_name or "option", v)
            except BadHeader as e:
                separator = info.field_name in ("column_separator", "row_delimiter")
                notation = "; separators are written as \\t, \\n or \\x01" if separator else ""
                raise ValueError(f"{e}{notation}") from None
        return v

    @field_validator("column_separator", "row_delimiter")
    @classmethod
    def _separator(cls, v: str | None) -> str | None:
        if v is not None and v == "":
            raise ValueError("a separator cannot be empty")
        return v

    @field_validator("jsonpaths")
    @classmethod
    def _jsonpaths(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            paths = json.loads(v)
        except json.JSONDecodeError as e:
            raise ValueError(f'jsonpaths must be a JSON array of paths such as ["$.id"]: {e.msg}') from None
        if not isinstance(paths, list) or not all(isinstance(p, str) and p.startswith("$") for p in paths):
            raise ValueError('jsonpaths must be a JSON array of paths such as ["$.id", "$.name"]')
        return v

    @model_validator(mode="after")
    def _format_rules(self) -> LoadOptions:
        if self.format == "csv" and (self.jsonpaths or self.json_root or self.strip_outer_array):
            raise ValueError("jsonpaths, json_root and strip_outer_array apply to JSON loads only")
        if self.format == "json" and (self.column_separator or self.row_delimiter or self.skip_header):
            raise ValueError("column and row separators and skip_header apply to CSV loads only")
        return self

    def headers(self) -> dict[str, str]:
        """The HTTP headers StarRocks reads, only for options that are set."""
        out: dict[str, str] = {}
        if self.format != "csv":
            out["format"] = self.format
        for name in (
            "column_separator",
            "row_delimiter",
            "columns",
            "where",
            "timezone",
            "partitions",
            "jsonpaths",
            "json_root",
            "enclose",
            "escape",
            "compression",
        ):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        for name in ("strict_mode", "strip_outer_array", "trim_space"):
            value = getattr(self, name)
            if value is not None:
                out[name] = "true" if value else "false"
        if self.max_filter_ratio is not None:
            out["max_filter_ratio"] = repr(self.max_filter_ratio)
        if self.skip_header is not None:
            out["skip_header"] = str(self.skip_header)
        return out

    def row_delimiter_bytes(self) -> bytes:
        return decode_separator(self.row_delimiter or "\n")


def decode_separator(text: str) -> bytes:
    """``\\n``, ``\\t`` and hex ``\\x01`` notation, as StarRocks reads separators."""
    if text.lower().startswith("\\x") and len(text) > 2:
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            pass
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1")


class Column(BaseModel):
    model_config = ConfigDict(defer_build=True)
    name: str
    type: str


class Backend(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    host: str
    http_port: int | None = None
    alive: bool | None = None


class MetricSample(BaseModel):
    model_config = ConfigDict(defer_build=True)
    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    value: float
