"""Orders (parcels) from the OMS, customs statuses, waves, picking and packing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from server.fields import Code, Lot, Quantity, text

WaybillNo = Annotated[
    str,
    Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9\-]{5,39}\Z",
        description="Courier waybill number (logisticsNo), printed as Code128: 6-40 letters, digits, -",
    ),
]
Phone = Annotated[
    str, Meta(pattern=r"^\+?[0-9][0-9 \-]{4,23}\Z", description="Phone number: digits, +, space, -")
]
PersonName = Annotated[
    str, Meta(min_length=1, max_length=60, pattern=r"^[^\x00-\x1f\x7f]+\Z", description="A name")
]
Address = Annotated[
    str,
    Meta(
        min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+\Z", description="Street address"
    ),
]
Region = Annotated[str, text(40, "Province, city or district")]
AwareTime = Annotated[datetime, Meta(tz=True, description="ISO 8601 time with its UTC offset")]
ScanText = Annotated[str, Meta(min_length=1, max_length=200, description="What the scanner sent")]


class Party(Struct, forbid_unknown_fields=True, kw_only=True):
    """Recipient (收) or sender (寄) of a parcel; the face sheet masks the recipient."""

    name: PersonName
    phone: Phone
    province: Region = ""
    city: Region = ""
    district: Region = ""
    address: Address


class Routing(Struct, forbid_unknown_fields=True, kw_only=True):
    """Courier routing printed on the face sheet."""

    sort_code: Annotated[str, text(40, "Sort code in big characters (大头笔), e.g. 342-081-00 052")]
    consolidation_point: Annotated[str, text(40, "Consolidation point (集包地)")] = ""
    product_type: Annotated[str, text(40, "Courier product, e.g. 标准快递")] = ""


class OrderLineIn(Struct, forbid_unknown_fields=True, kw_only=True):
    sku: Code
    quantity: Quantity
    lot: Annotated[Lot, Meta(description="Required lot; empty lets allocation choose")] = ""


class OrderIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """An order (one parcel) as the OMS sends it. A re-send with the same order number is
    the same order: the same content changes nothing."""

    customer: Code
    order_no: Code
    courier: Code
    waybill_no: WaybillNo
    routing: Routing
    recipient: Party
    sender: Party
    lines: Annotated[list[OrderLineIn], Meta(min_length=1, max_length=200)]
    cutoff_at: AwareTime | None = None
    priority: Annotated[int, Meta(ge=0, le=9, description="0 normal … 9 most urgent")] = 0
    remarks: Annotated[str, text(200, "Printed on the face sheet")] = ""


class CustomsStatusIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """A customs list reply (CEB622 returnStatus) for one order."""

    order_no: Code
    code: Annotated[int, Meta(ge=-999, le=999, description="returnStatus, e.g. 120, 500, 800")]
    status_at: Annotated[AwareTime, Meta(description="returnTime: when customs set the status")]
    note: Annotated[str, text(200, "returnInfo")] = ""


class CustomsBatchIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """Customs replies in bulk (a day's releases): all applied in order, or none."""

    statuses: Annotated[list[CustomsStatusIn], Meta(min_length=1, max_length=10_000)]


class CancelIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """A cancellation (CEB623): the order is intercepted wherever it is."""

    order_no: Code
    reason: Annotated[str, text(200, "Why the order is cancelled")] = ""


class WaveIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """Build a wave from the orders ready to pick, or from the ones named."""

    courier: Code | None = None
    cutoff_before: AwareTime | None = None
    order_nos: Annotated[list[Code], Meta(max_length=5000)] = []
    max_orders: Annotated[int, Meta(ge=1, le=20000)] | None = None


LotLabel = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=200,
        description="A scan of the lot label: the lot text itself, or GS1 with AI 10",
    ),
]
LotChoice = Annotated[
    Lot,
    Meta(description="The lot chosen on the handheld; only where lot_confirmation is 'choose'"),
]


class PickCheck(Struct, forbid_unknown_fields=True, kw_only=True):
    """One step of a pick, checked before it is confirmed (changes nothing)."""

    location: ScanText | None = None
    item: ScanText | None = None
    lot: LotLabel | None = None
    tote: ScanText | None = None


class PickConfirm(Struct, forbid_unknown_fields=True, kw_only=True):
    """A pick: a lot-tracked SKU scanned by plain EAN also needs `lot` (or `lot_choice`)."""

    location: ScanText
    item: ScanText
    quantity: Quantity
    tote: ScanText
    lot: LotLabel | None = None
    lot_choice: LotChoice | None = None
    confirmed_large: Annotated[
        bool, Meta(description="The person confirmed a quantity above the per-scan maximum")
    ] = False


class ShortPick(Struct, forbid_unknown_fields=True, kw_only=True):
    """What is left of the task is not at the location."""

    reason: Annotated[str, text(200, "What the picker found")] = ""


class PackScan(Struct, forbid_unknown_fields=True, kw_only=True):
    """One item into the parcel: a lot-tracked SKU scanned by plain EAN also needs `lot`
    (or `lot_choice`)."""

    scan: ScanText
    station: Code
    lot: LotLabel | None = None
    lot_choice: LotChoice | None = None


class PackComplete(Struct, forbid_unknown_fields=True, kw_only=True):
    weight_g: Annotated[int, Meta(gt=0, le=1_000_000, description="Parcel weight in grams")]
    station: Code
    parcel_count: Annotated[int, Meta(ge=1, le=99)] = 1
    weight_confirmed: Annotated[
        bool,
        Meta(
            description="The packer confirmed a weight outside the expected range "
            "(WEIGHT_OUTSIDE_EXPECTED): pack it anyway, recorded with the parcel's event"
        ),
    ] = False


class TaskDone(Struct, forbid_unknown_fields=True, kw_only=True):
    """A return-to-stock or inspection task finished: where the goods were taken."""

    location: ScanText


# -- answers ------------------------------------------------------------------------------
# In the JSON shape the clients know: field order is key order, and `X | None` is a null
# the answer has always sent. A key sent only sometimes is `X | UnsetType = UNSET`.


class LabelRouting(Struct, kw_only=True):
    sort_code: str
    consolidation_point: str = ""
    product_type: str = ""


class LabelParty(Struct, kw_only=True):
    name: str
    phone: str
    province: str = ""
    city: str = ""
    district: str = ""
    address: str


class OrderLabel(Struct, kw_only=True):
    """What the face sheet prints for the order, as the OMS sent it."""

    routing: LabelRouting
    recipient: LabelParty
    sender: LabelParty
    remarks: str = ""


class OrderLineView(Struct, kw_only=True):
    line_no: int
    sku: str
    sku_name: str
    quantity: int
    lot: str
    allocated: int
    picked: int
    packed: int


class ParcelView(Struct, kw_only=True):
    waybill_no: str
    weight_g: int
    parcel_count: int
    status: str
    packed_at: str
    station: str
    lane: str | None


class OrderTaskBrief(Struct, kw_only=True):
    id: int
    kind: str
    status: str
    outcome: str
    source: str | None
    target: str | None


class OrderView(Struct, kw_only=True):
    """One order with its lines, parcel and floor tasks (recipient masked for the floor)."""

    id: int
    order_no: str
    customer: str
    courier: str
    waybill_no: str
    state: str
    customs_status: int | None
    customs_at: str
    customs_gate: str
    blocked: str | None
    cutoff_at: str
    priority: int
    wave: str | None
    tote: str | None
    label: OrderLabel
    lines: list[OrderLineView]
    parcel: ParcelView | None
    tasks: list[OrderTaskBrief]
    cancelled_at: str | None


class ExpectedWeight(Struct, kw_only=True):
    """What the parcel should weigh: its SKUs' weights plus the packaging allowance, and the
    range the tolerance allows. Unknown (None) while any SKU on the order has no weight."""

    expected_weight_g: int | None
    min_g: int | None
    max_g: int | None
    unknown_skus: list[str]
    checked: bool  # the site warns at packing outside the range ([outbound] weight_check)


class PackingOrder(OrderView, kw_only=True):
    """An order opened at the bench, with the weight its parcel should have."""

    weight: ExpectedWeight


class CustomsApplied(OrderView, kw_only=True):
    """The order after a customs reply, and whether the reply took effect."""

    applied: bool


class CustomsBatchApplied(Struct, kw_only=True):
    received: int
    applied: int
    superseded: int


class OrderListRow(Struct, kw_only=True):
    id: int
    order_no: str
    customer: str
    courier: str
    waybill_no: str
    state: str
    customs_status: int | None
    cutoff_at: str
    priority: int
    cancelled_at: str | None
    wave: str | None
    tote: str | None
    open_tasks: int
    customs_gate: str
    blocked: str | None


class OrderCounts(Struct, kw_only=True):
    by_state: dict[str, int]
    on_hold: int
    open_tasks: dict[str, int]
    open_shortages: int


class OrderImportSummary(Struct, kw_only=True):
    kind: Literal["orders"]
    orders: int
    lines: int


class WaveView(Struct, kw_only=True):
    id: int
    wave_no: str
    courier: str
    cutoff_before: str
    automatic: bool
    status: str
    created_at: str
    orders: int
    tasks: int
    open_tasks: int


class SkippedOrder(Struct, kw_only=True):
    order_no: str
    code: str


class WaveBuilt(Struct, kw_only=True):
    """The wave built; when no order could be fully reserved there is no wave (`id` null)
    and only the back-orders and the skipped orders are the news."""

    id: int | None
    wave_no: str | None
    courier: str | UnsetType = UNSET
    cutoff_before: str | UnsetType = UNSET
    automatic: bool | UnsetType = UNSET
    status: str | UnsetType = UNSET
    created_at: str | UnsetType = UNSET
    orders: int
    tasks: int | UnsetType = UNSET
    open_tasks: int | UnsetType = UNSET
    backordered: list[str]
    skipped: list[SkippedOrder]


class PickTask(Struct, kw_only=True):
    id: int
    status: str
    quantity: int
    picked_qty: int
    lot: str
    expiry: str
    lease_holder: str
    lease_expires_at: str
    location: str
    zone: str
    sku: str
    sku_name: str
    lot_to_confirm: bool
    order_no: str
    order_id: int
    customer: str
    wave_no: str | None
    tote: str | None
    barcodes: list[str]
    remaining: int


class NextTask(Struct, kw_only=True):
    """The leased task, or none with how many tasks are still open (held by others)."""

    task: PickTask | None
    open_tasks: int | UnsetType = UNSET


class ItemChecked(Struct, kw_only=True):
    sku: str
    lot: str
    count: int | None
    lot_needed: bool
    lot_policy: str


class PickChecked(Struct, kw_only=True):
    """Each scan sent is answered under its own name; an unsent one is left out."""

    task: int
    location: Literal["ok"] | UnsetType = UNSET
    item: ItemChecked | UnsetType = UNSET
    lot: str | UnsetType = UNSET
    tote: str | UnsetType = UNSET


class PickConfirmed(Struct, kw_only=True):
    task: PickTask
    tote: str
    order_no: str
    order_state: str


class ShortPicked(Struct, kw_only=True):
    task: PickTask
    missing: int
    reallocated: int
    order_state: str


class PackScanned(Struct, kw_only=True):
    sku: str
    packed: int
    ordered: int
    complete: bool
    order: OrderView


class PrintJobQueued(Struct, kw_only=True):
    id: int
    printer: str
    status: str


class SheetParty(Struct, kw_only=True):
    name: str
    phone: str
    region: str
    address: str


class FaceSheet(Struct, kw_only=True):
    """What the face sheet prints, recipient masked (see server/outbound/label.py)."""

    courier: str
    product_type: str
    date: str
    waybill_no: str
    sort_code: str
    consolidation_point: str
    qr: str
    recipient: SheetParty
    sender: SheetParty
    order_no: str
    weight_g: int
    parcel_count: int
    remarks: str
    checked_mark: str


class PackedParcel(Struct, kw_only=True):
    order_no: str
    waybill_no: str
    weight_g: int
    lane: str
    print_job: PrintJobQueued
    label: FaceSheet
    weight_confirmed: bool = False  # packed outside the expected range, as the packer confirmed


class OrderTask(Struct, kw_only=True):
    """A return-to-stock or to-inspection task."""

    id: int
    kind: str
    status: str
    outcome: str
    created_at: str
    done_at: str | None
    done_by: str
    order_no: str
    source: str | None
    target: str | None


class PickShortage(Struct, kw_only=True):
    id: int
    location: str
    customer: str
    sku: str
    lot: str
    expiry: str
    missing: int
    order_no: str
    reason: str
    reported_by: str
    reported_at: str
    resolved_by: str
    resolved_at: str | None
    resolution: str
