"""Delivery plans, check-in, receiving scans and the tally."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct, field

from server.fields import Code, Expiry, Lot, Quantity, check_expiry, text
from server.sync.contract import ReceivedLot

Ref = Annotated[str, text(40)]
Plate = Annotated[str, Meta(max_length=16, pattern=r"^[^\x00-\x1f\x7f]*\Z")]


class SeaTransport(Struct, forbid_unknown_fields=True, kw_only=True, tag="sea"):
    contract_no: Ref = ""
    container_no: Ref
    vessel: Ref = ""
    voyage: Ref = ""
    bill_of_lading: Ref = ""
    port_of_loading: Ref = ""
    port_of_discharge: Ref = ""
    carrier: Ref = ""


class LandTransport(Struct, forbid_unknown_fields=True, kw_only=True, tag="land"):
    contract_no: Ref = ""
    truck_plate: Plate
    second_plate: Plate = ""  # cross-border trucks carry a HK/Macau plate too
    driver: Ref = ""
    container_no: Ref = ""
    carrier: Ref = ""


class AirTransport(Struct, forbid_unknown_fields=True, kw_only=True, tag="air"):
    contract_no: Ref = ""
    flight: Ref = ""
    air_waybill: Ref
    port_of_loading: Ref = ""
    port_of_discharge: Ref = ""
    forwarder: Ref = ""


Transport = SeaTransport | LandTransport | AirTransport


class PlanLineIn(Struct, forbid_unknown_fields=True, kw_only=True):
    sku: Code
    expected_qty: Quantity
    lot: Lot = ""
    expiry: Expiry = ""
    sscc: Annotated[str, Meta(pattern=r"^([0-9]{18})?\Z", description="SSCC of the carton")] = ""

    def __post_init__(self) -> None:
        check_expiry(self.expiry)


class PlanIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """A delivery plan (ASN) as the OMS sends it."""

    customer: Code
    plan_no: Code
    transport: Transport
    expected_arrival: Annotated[
        str,
        Meta(
            pattern=r"^([0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.+\-Z]{5,25})?)?\Z",
            description="Date YYYY-MM-DD, or date and time, e.g. 2026-12-01T09:00+08:00",
        ),
    ] = ""
    customs_released: bool = False
    lines: Annotated[list[PlanLineIn], Meta(min_length=1, max_length=5000)]


class CheckIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """The truck or container at the door: what was scanned or typed must match the plan."""

    reference: Annotated[str, text(40, "Container no, truck plate or air waybill as read")]
    seal_no: Annotated[str, text(40, "Seal number on the container or truck")] = ""
    dock: Code = "DOCK-01"
    override_reason: Annotated[
        str, text(200, "Supervisor only: why a mismatching reference is accepted")
    ] = ""


class ReceiveScan(Struct, forbid_unknown_fields=True, kw_only=True):
    """One receiving scan: a barcode (EAN, GS1, SSCC) with an optional count."""

    scan: Annotated[str, Meta(min_length=1, max_length=200)]
    quantity: Annotated[int, Meta(gt=0, le=100_000)] | None = None
    lot: Lot = ""
    expiry: Expiry = ""
    damaged: bool = False
    confirm_over: bool = False
    confirmed_large: Annotated[
        bool, Meta(description="The person confirmed a quantity above the per-scan maximum")
    ] = False

    def __post_init__(self) -> None:
        check_expiry(self.expiry)


DifferenceReason = Literal["short", "over", "damaged", "wrong_item"]


class DifferenceNote(Struct, forbid_unknown_fields=True, kw_only=True):
    sku: Code
    lot: Lot = ""
    reason: DifferenceReason
    note: Annotated[str, text(200)] = ""


class CloseReceipt(Struct, forbid_unknown_fields=True, kw_only=True):
    differences: list[DifferenceNote] = field(default_factory=list)


class TallyLine(Struct, kw_only=True):
    sku: str
    sku_name: str
    lot: str
    expiry: str
    expected: int
    counted: int
    damaged: int
    quarantined: int
    difference: int
    reason: str = ""
    note: str = ""


# -- answers ------------------------------------------------------------------------------

PlanStatus = Literal["planned", "arrived", "receiving", "closed"]
ReceivedCondition = Literal["good", "damaged", "quarantine"]


class PlanSummary(Struct, kw_only=True):
    """A delivery plan as the floor and the OMS read it, with its totals."""

    id: int
    plan_no: str
    customer: str
    customer_name: str
    transport_mode: Literal["sea", "land", "air"]
    transport: Transport
    expected_arrival: str
    customs_released: bool
    status: PlanStatus
    arrival_ref: str
    seal_no: str
    arrival_override: str
    dock: str | None
    arrived_at: str | None
    closed_at: str | None
    expected: int
    counted: int


class PlanWithTally(PlanSummary, kw_only=True):
    """A plan with its live tally: expected vs counted per line."""

    tally: list[TallyLine]


class ReceiveAnswer(Struct, kw_only=True):
    """What one receiving scan recorded, and the line's count after it."""

    sku: str
    sku_name: str
    lot: str
    expiry: str
    quantity: int
    condition: ReceivedCondition
    over: bool
    sscc: str
    serial: str
    warnings: list[str]  # e.g. LOT_MAY_HOLD_ANOTHER_AI: recorded as scanned, shown on the handheld
    location: str
    expected: int
    counted: int


class ReceiptDocument(Struct, kw_only=True):
    """Everything the tally record and the warehouse receipt (进仓单) print."""

    plan: PlanSummary
    tally: list[TallyLine]
    received_lots: list[ReceivedLot]
    received_by: list[str]


class PlanImportSummary(Struct, kw_only=True):
    kind: Literal["plans"]
    plans: int
    lines: int
