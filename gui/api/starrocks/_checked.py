"""pydantic's reading of load options that are not given as their declared types (the window's form
gives text to convert) or that break a rule: the values converted, or one ``ValidationError`` naming
each field and its problem. Imported by ``models.LoadOptions`` only then; the rules are the ones
``models`` applies to options given as declared."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from . import models


# Named like the public class, so that a refusal reads "validation error for LoadOptions".
class LoadOptions(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

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

    @field_validator(*models.TEXT_OPTIONS)
    @classmethod
    def _text(cls, v: str | None, info: ValidationInfo) -> str | None:
        problem = models.field_problem(info.field_name or "option", v)
        if problem is not None:
            raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _format_rules(self) -> LoadOptions:
        problem = models.format_problem(self)
        if problem is not None:
            raise ValueError(problem)
        return self


def checked_options(data: Any) -> dict[str, Any]:
    """Every option's value, converted to its type; ValidationError when one cannot be."""
    return LoadOptions.model_validate(data).model_dump()
