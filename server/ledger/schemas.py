"""Movement structs: what a command asks for, and what the ledger recorded."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Struct

from server.fields import Code, Expiry, Lot, Quantity, check_expiry, text

MovementKind = Literal[
    "receive", "putaway", "move", "pick", "pack", "load", "ship", "adjust", "count"
]


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
    reason: Annotated[str, text(200, "Why, for corrections")] = ""
    document: Annotated[str, text(80, "The document this movement belongs to")] = ""

    def __post_init__(self) -> None:
        check_expiry(self.expiry)


class Movement(MovementIn, kw_only=True):
    id: int
    at: str
    user_code: str
    device: str


CorrectionReason = Literal[
    "opening_balance",
    "found",
    "lost",
    "damaged",
    "expired",
    "relabel",
    "relocation",
    "entry_error",
]
CORRECTION_REASONS: tuple[str, ...] = CorrectionReason.__args__  # type: ignore[attr-defined]
"""Why a supervisor corrects stock by hand. Stock added: opening_balance (a site's first
stock), found; taken: lost, damaged (written off), expired (destroyed); moved: relabel,
relocation; any: entry_error (undoing an earlier wrong entry)."""


class MovementRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    """A supervisor's manual correction, in the codes people use on the floor: `receive` or
    `adjust` adds to or takes from one location, `move` moves between two. Only storage,
    pick faces, quarantine, inspection and staging; always with a reason code."""

    kind: MovementKind
    customer: Code
    sku: Code
    quantity: Quantity
    reason: CorrectionReason
    lot: Lot = ""
    expiry: Expiry = ""
    from_location: Code | None = None
    to_location: Code | None = None
    document: Annotated[str, text(80, "The document this movement belongs to")] = ""

    def __post_init__(self) -> None:
        check_expiry(self.expiry)


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


class AdjustmentProposal(Struct, kw_only=True):
    """A manual adjustment over the approval limit, waiting for (or given) a second
    supervisor's decision."""

    id: int
    kind: str
    customer: str
    sku: str
    lot: str
    expiry: str
    quantity: int
    from_location: str | None
    to_location: str | None
    reason: str
    document: str
    status: Literal["pending", "approved", "rejected"]
    proposed_by: str
    proposed_at: str
    decided_by: str
    decided_at: str | None
    movement_id: int | None


class LedgerMovement(Struct, kw_only=True):
    """A movement as the movement list shows it: with the floor's codes."""

    id: int
    at: str
    kind: MovementKind
    customer: str
    sku: str
    lot: str
    expiry: str
    quantity: int
    from_location: str | None
    to_location: str | None
    reason: str
    document: str
    user_code: str
    device: str


class JournalEvent(Struct, kw_only=True):
    """One event of the journal (the OMS outbox), its payload decoded."""

    seq: int
    epoch: str
    at: str
    type: str
    version: int
    payload: dict[str, Any]
