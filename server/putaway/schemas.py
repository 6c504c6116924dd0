"""Put-away requests and suggestions."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from server.fields import Code, Lot


class Suggestion(Struct, kw_only=True):
    location: str
    zone: str
    reason: str  # same_sku_lot | same_sku | empty_customer_zone | empty
    held: int


class PutawayRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    """Move an item (or a whole SSCC carton) from a dock/staging location to storage."""

    from_location: Code
    to_location: Annotated[str, Meta(min_length=1, max_length=40)]
    item: Annotated[
        str, Meta(max_length=200, description="The item's scan: barcode, GS1 or SKU code")
    ] = ""
    lot: Lot = ""
    customer: Annotated[
        str, Meta(max_length=40, description="Whose item, when two customers share a GTIN")
    ] = ""
    quantity: Annotated[int, Meta(gt=0, le=10_000_000)] | None = None
    sscc: Annotated[str, Meta(pattern=r"^([0-9]{18})?\Z")] = ""


# -- answers ------------------------------------------------------------------------------


class StockToPutAway(Struct, kw_only=True):
    """Stock on a dock or staging location, with where it should go (none when nothing fits)."""

    sku: str
    sku_name: str
    customer: str
    lot: str
    expiry: str
    quantity: int
    suggestion: Suggestion | None


class ScanSuggestion(Struct, kw_only=True):
    """The scanned item (or SSCC carton, `sscc` not empty) on a location, and where it goes."""

    location: str
    sscc: str
    stock: list[StockToPutAway]


class MovedStock(Struct, kw_only=True):
    sku: str
    lot: str
    expiry: str
    quantity: int
    movement_id: int


class PutAway(Struct, kw_only=True):
    from_location: str
    to_location: str
    moved: list[MovedStock]
