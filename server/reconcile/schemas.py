"""Stock snapshots and reconciliation reports: what the OMS sends and what it gets back."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from server.fields import Code, Lot

MAX_OMS_LINES = 200_000
MAX_OMS_QUANTITY = 1_000_000_000
MAX_SEQ = 2**63 - 1

DifferenceKind = Literal["floor_more", "oms_more", "missing_on_floor", "missing_in_oms"]


class SnapshotLine(Struct, kw_only=True):
    """One customer / SKU / lot / expiry, summed over every location in the building."""

    customer: str
    sku: str
    sku_name: str
    customs_record_no: str
    lot: str
    expiry: str
    quantity: int


class CustomerTotal(Struct, kw_only=True):
    customer: str
    customs_book_no: str
    lines: int
    quantity: int


class SnapshotTotals(Struct, kw_only=True):
    lines: int
    quantity: int
    by_customer: list[CustomerTotal]


class StockSnapshot(Struct, kw_only=True):
    """Stock as it stood right after event `as_of_seq` (`as_of_at` is that event's time)."""

    as_of_seq: int
    as_of_at: str
    taken_at: str
    customer: str | None
    lines: list[SnapshotLine]
    totals: SnapshotTotals


class OmsLine(Struct, forbid_unknown_fields=True, kw_only=True):
    """One line of the OMS's book. A negative quantity is reported with the other problems."""

    customer: Code
    sku: Code
    quantity: Annotated[int, Meta(ge=-MAX_OMS_QUANTITY, le=MAX_OMS_QUANTITY)]
    lot: Lot = ""


class ReconciliationIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """The OMS's snapshot of the book, to compare with the floor's stock at `as_of_seq`."""

    reference: Annotated[
        str,
        Meta(
            max_length=80,
            pattern=r"^[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*\Z",
            description="The OMS's id of its snapshot",
        ),
    ]
    lines: Annotated[list[OmsLine], Meta(max_length=MAX_OMS_LINES)]
    customer: Code | None = None
    as_of_seq: Annotated[int, Meta(ge=0, le=MAX_SEQ)] | None = None


class LineProblem(Struct, kw_only=True):
    """One bad line of the OMS's book: its place in `lines` (from 1), the field, a code."""

    line: int
    field: str
    code: str
    message: str


class Difference(Struct, kw_only=True):
    """`difference` is floor minus OMS: positive when the floor holds more."""

    customer: str
    sku: str
    customs_record_no: str
    lot: str
    floor_quantity: int
    oms_quantity: int
    difference: int
    kind: DifferenceKind


class ReconciliationReport(Struct, kw_only=True):
    id: int
    reference: str
    customer: str | None
    as_of_seq: int
    created_at: str
    created_by: str
    oms_line_count: int
    matched: int
    differences: list[Difference]


class ReconciliationFinished(Struct, kw_only=True):
    """The `reconciliation.finished` event: the summary the OMS files with the report."""

    id: int
    reference: str
    customer: str | None
    as_of_seq: int
    matched: int
    difference_count: int


class ReconciliationKept(Struct, kw_only=True):
    """What a reconciliation's idempotency key keeps: the report's id, not the report (the
    report is stored once, unchangeable, and read back for the answer)."""

    id: int
