"""Shared field types: every bound here keeps bad input a 4xx instead of a database error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

MAX_ID = 2**53 - 1  # the largest integer every JSON client reads exactly; < BIGINT

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
#: at least one visible character and no NUL; ASCII whitespace is spelled out so the
#: OpenAPI pattern means the same in every regex engine (fuzzers, clients, pydantic-core)
_VISIBLE = r"^[^\x00]*[^\x00\t\n\v\f\r ][^\x00]*$"
_EMAIL = r"^[^@\x00\t\n\v\f\r ]+@[^@\x00\t\n\v\f\r ]+$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=_VISIBLE)]
Text = Annotated[str, StringConstraints(max_length=10_000, pattern=_NO_NUL)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=_VISIBLE)]
Email = Annotated[str, StringConstraints(max_length=255, pattern=_EMAIL)]


def _utc(value: datetime) -> datetime:
    """Naive timestamps are taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = Annotated[datetime, AfterValidator(_utc)]
#: timestamps go out as unix seconds, as Chatwoot's do
UnixTime = Annotated[datetime, PlainSerializer(lambda d: int(d.timestamp()), return_type=int)]


class Body(BaseModel):
    """Request bodies reject unknown fields, so a typo is a 422 naming it, not a no-op."""

    model_config = ConfigDict(extra="forbid")


def _strip_null(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """In the OpenAPI schema, fields outside ``nullable`` may be omitted but not null."""
    nullable: frozenset[str] = getattr(model, "nullable", frozenset())
    for name, prop in schema.get("properties", {}).items():
        if name in nullable or "anyOf" not in prop:
            continue
        branches = [b for b in prop["anyOf"] if b != {"type": "null"}]
        if len(branches) == 1:
            del prop["anyOf"]
            prop.update(branches[0])
        else:
            prop["anyOf"] = branches
        if prop.get("default", 0) is None:
            del prop["default"]


class Patch(Body):
    """A partial update: omitted fields stay as they are; only ``nullable`` fields take null."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_strip_null)
    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("must not be null")
        return value


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    error: str
    details: list[ErrorDetail] = []


class PageMeta(BaseModel):
    page: int
    per_page: int
    total: int
