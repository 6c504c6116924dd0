"""Field types shared by the request structs: one definition of what a code, a name or a
quantity may be. Patterns end in `\\Z`, not `$`, which would let a trailing newline in."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from msgspec import Meta

Code = Annotated[
    str,
    Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,39}\Z",
        description="A code: letters, digits, _ . - / (at most 40)",
    ),
]
Name = Annotated[
    str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+\Z", description="A name")
]


def text(max_length: int, description: str = "") -> Meta:
    """Free text on one line: no control characters."""
    return Meta(max_length=max_length, pattern=r"^[^\x00-\x1f\x7f]*\Z", description=description)


Quantity = Annotated[int, Meta(gt=0, le=10_000_000, description="Units, a whole positive number")]
Lot = Annotated[str, text(40, "Lot / batch number, empty if not tracked")]
Expiry = Annotated[
    str,
    Meta(
        pattern=r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?\Z",
        description="Expiry date YYYY-MM-DD, empty if not tracked",
        # What `check_expiry` adds to the pattern, for the OpenAPI document.
        extra_json_schema={"anyOf": [{"maxLength": 0}, {"format": "date"}]},
    ),
]
Digits = Annotated[str, Meta(pattern=r"^[0-9]*\Z")]


def check_expiry(value: str) -> None:
    """The pattern lets 2024-02-30 through; the calendar does not."""
    if value:
        try:
            date.fromisoformat(value)
        except ValueError as err:
            raise ValueError(f"expiry {value!r} is not a calendar date") from err
