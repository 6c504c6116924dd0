"""Orders (parcels) from the OMS, customs statuses, waves, picking and packing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

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


class TaskDone(Struct, forbid_unknown_fields=True, kw_only=True):
    """A return-to-stock or inspection task finished: where the goods were taken."""

    location: ScanText
