"""Shared field types: every bound here keeps bad input a 4xx instead of a database error."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    UrlConstraints,
    ValidationInfo,
    field_validator,
)

MAX_ID = 2**53 - 1  # the largest integer every JSON client reads exactly; < BIGINT


def _number(value: object) -> object:
    """An id in a body is a JSON number, never true or "1" (a lax integer takes both).
    1.0 is an integer to JSON Schema, and so to the OpenAPI document, so it stays one."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON integer, not a string or a boolean")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_number)]
_DECIMAL = re.compile(r"[1-9][0-9]*|0")


def _canonical_id(value: object) -> object:
    """A path holds an id one way: decimal digits, no sign, space, point or leading zero
    (a lax integer would take "1.0", "+1", " 1", "1_0" or "01" for 1)."""
    if isinstance(value, str) and not _DECIMAL.fullmatch(value):
        raise ValueError("must be an integer in decimal digits")
    return value


#: the rule of an id in a path, after its ``Path(...)`` bounds (``deps.IdPath``: in that
#: order, FastAPI still documents the bounds)
CANONICAL_ID = BeforeValidator(_canonical_id)

#: code points that show nothing: controls (Cc), format characters (Cf), space
#: separators (Zs, Zl, Zp) and the rest of Unicode's default-ignorable code points
#: (variation selectors, Hangul fillers, tags). A test checks it against ``unicodedata``.
INVISIBLE: tuple[tuple[int, int], ...] = (
    (0x0000, 0x0020),
    (0x007F, 0x00A0),
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),
    (0x1680, 0x1680),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x206F),
    (0x3000, 0x3000),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)


def _class(ranges: tuple[tuple[int, int], ...]) -> str:
    """A character class body of \\uXXXX escapes: every regex engine reads them alike
    (ECMAScript with or without the u flag, Python, pydantic-core, jsonschema-rs), and no
    invisible character stands literally in the OpenAPI document."""
    bmp = [(lo, min(hi, 0xFFFF)) for lo, hi in ranges if lo <= 0xFFFF]
    one = "\\u{:04x}".format
    return "".join(one(lo) if lo == hi else f"{one(lo)}-{one(hi)}" for lo, hi in bmp)


_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
#: no NUL, and at least one character that is not invisible (not only spaces, a
#: zero-width space or a byte order mark). The pattern states the rule for the Basic
#: Multilingual Plane, where escapes are portable; ``_visible`` checks the few invisible
#: code points beyond it (tags, shorthand and musical format controls).
_VISIBLE = rf"^[^\x00]*[^{_class(INVISIBLE)}][^\x00]*$"
_EMAIL = r"^[^@\x00\t\n\v\f\r ]+@[^@\x00\t\n\v\f\r ]+$"
#: what a client is told instead of the pattern a string does not match
PATTERN_MESSAGES: dict[str, str] = {
    _VISIBLE: "String should have a visible character and no NUL",
    _NO_NUL: "String should not contain NUL",
    _EMAIL: "String should be an email address (name@domain)",
}
MAX_NAME = 255


def _invisible(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in INVISIBLE)


def _visible_nfc(value: str) -> str:
    """A visible character beyond the BMP counts too; and one spelling per name: the NFC
    and NFD forms of "é" are the same name (and label), so uniqueness holds for both."""
    if all(_invisible(char) for char in value):
        raise ValueError("must have a visible character")
    normal = unicodedata.normalize("NFC", value)
    if len(normal) > MAX_NAME:  # a few characters grow in NFC
        raise ValueError(f"must have at most {MAX_NAME} characters in Unicode NFC")
    return normal


Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_NAME, pattern=_VISIBLE),
    AfterValidator(_visible_nfc),
]
Text = Annotated[str, StringConstraints(max_length=10_000, pattern=_NO_NUL)]
Label = Name
Email = Annotated[str, StringConstraints(max_length=255, pattern=_EMAIL)]
#: the webhooks.url column's length
MAX_URL = 2048


def _fits(url: AnyHttpUrl) -> AnyHttpUrl:
    """The URL as stored (normalised: percent-encoded, punycode) must fit the column too."""
    if len(str(url)) > MAX_URL:
        raise ValueError(f"must have at most {MAX_URL} characters once normalised")
    return url


class _HttpUrl(AnyHttpUrl):
    _constraints = UrlConstraints(max_length=MAX_URL, allowed_schemes=["http", "https"])


WebhookUrl = Annotated[_HttpUrl, AfterValidator(_fits)]


def _utc(value: datetime) -> datetime:
    """Naive timestamps are taken as UTC; an instant outside years 1-9999 in UTC (such as
    0001-01-01T00:00:00+05:00) cannot be held."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must fall within years 1 to 9999 in UTC") from None


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
