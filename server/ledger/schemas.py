"""Movement structs: what a command asks for, and what the ledger recorded."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

MovementKind = Literal[
    "receive", "putaway", "move", "pick", "pack", "load", "ship", "adjust", "count"
]
Quantity = Annotated[int, Meta(gt=0, le=10_000_000, description="Units, a whole positive number")]
Lot = Annotated[str, Meta(max_length=40, description="Lot / batch number, empty if not tracked")]
Expiry = Annotated[
    str,
    Meta(
        pattern=r"^(\d{4}-\d{2}-\d{2})?$",
        description="Expiry date YYYY-MM-DD, empty if not tracked",
    ),
]
Code = Annotated[str, Meta(min_length=1, max_length=64)]


class MovementIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """A movement in ledger terms (ids), built by the services."""

    kind: MovementKind
    customer_id: int
    sku_id: int
    quantity: Quantity
    lot: Lot = ""
    expiry: Expiry = ""
    from_location_id: int | None = None
    to_location_id: int | None = None
    reason: Annotated[str, Meta(max_length=200)] = ""
    document: Annotated[str, Meta(max_length=80)] = ""


class Movement(MovementIn, kw_only=True):
    id: int
    at: str
    user_code: str
    device: str


class MovementEvent(Movement, kw_only=True):
    """A movement as the events journal tells it to the OMS: with the floor's codes."""

    customer: str
    sku: str
    from_location: str | None
    to_location: str | None


class MovementRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    """A supervisor's manual movement, in the codes people use on the floor."""

    kind: MovementKind
    customer: Code
    sku: Code
    quantity: Quantity
    lot: Lot = ""
    expiry: Expiry = ""
    from_location: Code | None = None
    to_location: Code | None = None
    reason: Annotated[str, Meta(max_length=200)] = ""
    document: Annotated[str, Meta(max_length=80)] = ""


class StockRow(Struct):
    location: str
    location_type: str
    zone: str
    customer: str
    customer_name: str
    sku: str
    sku_name: str
    lot: str
    expiry: str
    quantity: int
