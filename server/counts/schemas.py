"""Cycle count structs: creating tasks, counting lines, deciding proposals, the event."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from server.fields import Code, Expiry, Lot, check_expiry, text

ReasonCode = Literal["count_gain", "count_loss", "damaged", "found", "miscount"]
REASON_CODES: tuple[str, ...] = ("count_gain", "count_loss", "damaged", "found", "miscount")
"""The fixed reasons a supervisor gives when approving or rejecting a difference."""

Counted = Annotated[
    int, Meta(ge=0, le=10_000_000, description="Units counted, a whole number, 0 or more")
]


class SkuRef(Struct, forbid_unknown_fields=True, kw_only=True):
    customer: Code
    sku: Code


class CountCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    """Count tasks by hand: name exactly one of locations, zone, sku or abc_class."""

    locations: Annotated[list[Code], Meta(max_length=500)] = []
    zone: Annotated[str, text(40, "Every storage location of this zone")] = ""
    sku: SkuRef | None = None
    abc_class: Literal["A", "B", "C", ""] = ""


class CountStart(Struct, forbid_unknown_fields=True, kw_only=True):
    """The counter scans the location: this starts (freezes) its count."""

    location: Annotated[str, text(200, "The scanned location")]


class CountLineIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """One item counted: the scan (GS1 with lot/expiry, EAN or SKU code) and how many."""

    item: Annotated[str, text(200, "The scanned item barcode or SKU code")]
    quantity: Counted
    lot: Lot = ""
    expiry: Expiry = ""
    customer: Annotated[str, text(40, "The owner, when two customers share a barcode")] = ""
    confirmed_large: Annotated[
        bool, Meta(description="The person confirmed a quantity above the per-scan maximum")
    ] = False

    def __post_init__(self) -> None:
        check_expiry(self.expiry)


class Decision(Struct, forbid_unknown_fields=True, kw_only=True):
    reason: ReasonCode
    note: Annotated[str, text(200, "A word on the decision")] = ""


def _d(text: str) -> Meta:
    return Meta(description=text)


class CountedLine(Struct, kw_only=True):
    """One stock key of a counted location."""

    customer: Annotated[str, _d("The cargo owner's code")]
    sku: Annotated[str, _d("The SKU code")]
    lot: Annotated[str, _d("Lot / batch number, empty if not tracked")]
    expiry: Annotated[str, _d("Expiry date YYYY-MM-DD, empty if not tracked")]
    expected: Annotated[int, _d("Units the ledger held here when the count started")]
    counted: Annotated[int, _d("Units counted (0 for an expected item not found)")]
    difference: Annotated[int, _d("counted - expected")]


class CountFinished(Struct, kw_only=True):
    """A count was submitted: what was counted and how far it was from the ledger."""

    task: Annotated[int, _d("The count task's number")]
    location: Annotated[str, _d("The counted location's code")]
    counter: Annotated[str, _d("Who counted (user code)")]
    recount_of: Annotated[int | None, _d("The count this one repeats, or null")]
    lines: Annotated[list[CountedLine], _d("Every stock key expected or found there")]
    recount: Annotated[bool, _d("A difference was beyond the threshold: counted again")]
    recount_task: Annotated[int | None, _d("The recount's task number, or null")]


# -- answers: a counter's view has no expected quantity, as a type -------------------------

TaskStatus = Literal["open", "counting", "submitted", "cancelled"]


class CountTask(Struct, kw_only=True):
    """A count task, without its lines."""

    id: int
    location: str
    zone: str
    status: TaskStatus
    origin: str
    recount_of: int | None
    outcome: str
    counter: str
    created_by: str
    created_at: str
    started_at: str | None
    submitted_at: str | None


class BlindLine(Struct, kw_only=True):
    """What the counter entered for one item: never what the ledger expects."""

    customer: str
    sku: str
    sku_name: str
    lot: str
    expiry: str
    counted: int


class CheckedLine(Struct, kw_only=True):
    """A line as a supervisor sees it: expected, counted (null: not yet) and the difference."""

    customer: str
    sku: str
    sku_name: str
    lot: str
    expiry: str
    expected: int
    counted: int | None
    difference: int | None


class BlindCount(CountTask, kw_only=True):
    """A task as its counter sees it: only the lines counted, never the expected."""

    lines: list[BlindLine]
    blind: Literal[True] = True


class CheckedCount(CountTask, kw_only=True):
    """A task as a supervisor sees it: every expected line with its difference."""

    lines: list[CheckedLine]
    blind: Literal[False] = False


CountView = BlindCount | CheckedCount
"""A task with its lines as the asker may see it: a counter's (no expected quantities) or a
supervisor's."""


class CountsCreated(Struct, kw_only=True):
    created: list[CountTask]
    already_planned: Annotated[list[str], _d("Locations that already have a live count")]


class _Submitted(Struct, kw_only=True):
    task: int
    location: str
    outcome: str
    recount_task: int | None


class CountSubmitted(_Submitted, kw_only=True, omit_defaults=True):
    """A submitted count as its counter learns it: the outcome, never the differences."""

    # Never sent: a `view` that can only be null keeps this answer apart from a
    # supervisor's in the API document (a union is documented as `oneOf`).
    view: None = None


class CheckedCountSubmitted(_Submitted, kw_only=True):
    """A submitted count as a supervisor learns it: with the checked view."""

    view: CheckedCount


class CountProposal(Struct, kw_only=True):
    """A difference of a finished count, waiting for (or given) a supervisor's decision."""

    id: int
    task_id: int
    location: str
    customer: str
    sku: str
    sku_name: str
    lot: str
    expiry: str
    expected: int
    counted: int
    delta: int
    status: Literal["pending", "approved", "rejected"]
    reason: str
    decided_by: str
    decided_at: str | None
    movement_id: int | None
    created_at: str
