"""Trace answers: one history row shape for movements, document events and audit lines."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

TraceKind = Literal["sku", "lot", "location", "order", "parcel", "user"]
Source = Literal["movement", "event", "audit"]


class TraceEntry(Struct, kw_only=True):
    """One step of a history: a ledger movement, a document event or an audit line."""

    source: Source
    id: int  # movement id, event seq or audit id: unique within its source
    at: str
    what: str  # movement kind (`pick`), event type (`order.packed`) or audit action
    quantity: int | None = None
    customer: str = ""
    sku: str = ""
    lot: str = ""
    expiry: str = ""
    from_location: str = ""
    to_location: str = ""
    user: str = ""
    device: str = ""
    document: str = ""
    reason: str = ""
    note: str = ""  # what an event or audit line says, in a few words


class TracePage(Struct, kw_only=True):
    kind: TraceKind
    value: str
    customer: str
    subject: str  # what was traced, as people name it (SKU name, location zone, order state)
    entries: list[TraceEntry]
    next_cursor: str | None  # pass as `before` for the next (older) page; None at the end


class MovementLine(Struct, kw_only=True):
    id: int
    at: str
    kind: str
    quantity: int
    lot: str
    expiry: str
    from_location: str
    to_location: str
    user: str
    device: str
    document: str
    reason: str
    # For the counted location; without one, for the building ("move": within it).
    direction: Literal["in", "out", "move"]


class HeldElsewhere(Struct, kw_only=True):
    """Units of the key that sit in a tote or on a parcel: picked, not yet shipped."""

    location: str
    location_type: str
    quantity: int
    lot: str
    order_no: str
    order_state: str
    picked_by: str


class Reserved(Struct, kw_only=True):
    location: str
    quantity: int
    lot: str
    order_no: str


class Candidate(Struct, kw_only=True):
    """One plain-language explanation of (part of) the difference."""

    kind: Literal["moved_out", "moved_in", "picked", "shipped", "adjusted", "reserved"]
    quantity: int
    location: str
    user: str
    at: str
    order_no: str
    matches: bool  # its quantity is exactly the difference
    text: str


class Explanation(Struct, kw_only=True):
    customer: str
    sku: str
    lot: str | None  # None: every lot of the SKU
    location: str | None  # None: the whole building
    ledger_quantity: int
    counted: int
    difference: int  # counted minus ledger: negative = units missing on the shelf
    since: str | None  # the last count or adjustment of the key there, None if never
    since_movement_id: int | None
    movements_since: list[MovementLine]
    held_elsewhere: list[HeldElsewhere]
    reserved: list[Reserved]
    candidates: list[Candidate]
