"""Moves by scan: the request, what a location holds, and what was moved."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from server.fields import Lot, Quantity

Scanned = Annotated[str, Meta(min_length=1, max_length=40, description="A location's scan")]


class MoveRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    """Move one item (lot, quantity), a whole SSCC carton, or everything a location holds."""

    from_location: Scanned
    to_location: Scanned
    item: Annotated[
        str, Meta(max_length=200, description="The item's scan: barcode, GS1, SKU code or SSCC")
    ] = ""
    lot: Lot = ""
    customer: Annotated[
        str, Meta(max_length=40, description="Whose item, when two customers share a GTIN")
    ] = ""
    quantity: Quantity | None = None
    sscc: Annotated[str, Meta(pattern=r"^([0-9]{18})?\Z")] = ""
    whole_location: Annotated[bool, Meta(description="Move everything the from-location holds")] = (
        False
    )
    confirmed_large: Annotated[
        bool, Meta(description="The person confirmed a quantity above the per-scan maximum")
    ] = False


class SourceLine(Struct, kw_only=True):
    customer: str
    sku: str
    sku_name: str
    lot: str
    expiry: str
    quantity: int
    reserved: int
    available: int


class MoveSource(Struct, kw_only=True):
    """What a location holds (all of it, or the scanned item / carton), for the move page."""

    location: str
    type: str
    restricted: bool  # quarantine / inspection: only supervisors move in or out
    sscc: str
    stock: list[SourceLine]


class MovedLine(Struct, kw_only=True):
    customer: str
    sku: str
    lot: str
    expiry: str
    quantity: int


class MoveResult(Struct, kw_only=True):
    move_no: str
    from_location: str
    to_location: str
    sscc: str
    whole_location: bool
    moved: list[MovedLine]
