"""The contract of the events the floor sends to the OMS: the envelope, the batch, and one
documented payload struct per event type, each with its version and an example.

Versioning: every event type has a version, sent with each event. Adding a field keeps
the version (consumers ignore fields they do not know). Renaming or removing a field, or
changing what a field means, bumps the version of that type. The journal stores the
version each event was written with, so an old event sent again still says what it is.

The structs mirror exactly what the slices emit today: tests/sync/test_contract.py drives
the floor's flows and converts every journal row strictly, so an event type that is not
here, or a payload that differs from its struct, fails there. `docs/events.md` is
rendered from this module: `python -m server.sync.contract > docs/events.md`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from server.alerts.schemas import AlertCleared, AlertRaised
from server.billing.schemas import PeriodReopened, StatementClosed
from server.counts.schemas import CountFinished
from server.ledger.schemas import MovementKind
from server.reconcile.schemas import ReconciliationFinished

VERSIONING = (
    "Every event type has a version, sent with each event. Adding a field keeps the "
    "version: ignore fields you do not know. Renaming or removing a field, or changing what "
    "a field means, bumps the version of that type. The journal stores the version each "
    "event was written with, so an old event sent again keeps its version."
)

# -- field types shared by the payloads --------------------------------------------------

At = Annotated[str, Meta(description="UTC time, ISO 8601 with milliseconds")]
OrderNo = Annotated[str, Meta(description="The OMS's order number")]
WaybillNo = Annotated[str, Meta(description="The courier waybill number on the face sheet")]
ListNo = Annotated[str, Meta(description="The loading list number (装载清单号)")]
PlanNo = Annotated[str, Meta(description="The delivery plan (ASN) number")]
Customer = Annotated[str, Meta(description="The cargo owner's code")]
Lot = Annotated[str, Meta(description="Lot / batch number, empty if not tracked")]
Expiry = Annotated[str, Meta(description="Expiry date YYYY-MM-DD, empty if not tracked")]
SkuCode = Annotated[str, Meta(description="The SKU code")]
SkuName = Annotated[str, Meta(description="The SKU's name")]
FloorId = Annotated[int, Meta(description="The floor's own row id; prefer the code beside it")]
# The floor's ORDER_STATES (server/outbound/states.py), spelled out for the type checker;
# tests/sync/test_contract.py keeps the two equal.
OrderState = Literal[
    "new",
    "backorder",
    "allocated",
    "waved",
    "picking",
    "picked",
    "short",
    "packed",
    "loaded",
    "shipped",
    "cancelled",
]

# The floor's customs gates (server/outbound/customs.py Gate), by name in lower case.
GateName = Literal["waiting", "accepted", "released", "hold"]


# -- the envelope ------------------------------------------------------------------------


class EventOut(Struct, kw_only=True):
    """One event of the journal as the OMS receives it."""

    key: Annotated[
        str,
        Meta(
            description="`site:epoch:seq`: unique per event, never reused (not even after a "
            "restore), and the same on every resend; take each event once by it"
        ),
    ]
    epoch: Annotated[
        str,
        Meta(
            description="The journal epoch the event was written in (see Restores and "
            "epochs); empty for events written before epochs existed (key `site:seq`)"
        ),
    ]
    seq: Annotated[
        int,
        Meta(
            description="The event's sequence number: one more than the event before it; "
            "a restore starts an epoch at a seq the OMS may already hold in an older one"
        ),
    ]
    type: Annotated[str, Meta(description="The event type, e.g. `order.packed`")]
    version: Annotated[int, Meta(description="The version of the type's payload")]
    at: Annotated[str, Meta(description="When it happened on the floor: UTC, ISO 8601")]
    payload: Annotated[dict[str, Any], Meta(description="The type's payload (see its schema)")]


class EventBatch(Struct, kw_only=True):
    """What one POST to the OMS carries: some events of one site, in sequence order."""

    site: Annotated[str, Meta(description="The site code (one floor server per site)")]
    events: Annotated[list[EventOut], Meta(description="In sequence order, at least one")]


# -- inbound -----------------------------------------------------------------------------


class InboundArrived(Struct, kw_only=True):
    """A truck or container of a delivery plan checked in at the dock."""

    plan_no: PlanNo
    customer: Customer
    reference: Annotated[
        str, Meta(description="Container no, truck plate or air waybill as read at the dock")
    ]
    seal_no: Annotated[str, Meta(description="The seal on the container or truck, if read")]
    override: Annotated[
        str,
        Meta(
            description="Empty when the reference matched the plan; else "
            "`<reference>: <supervisor's reason>` for a mismatch a supervisor accepted"
        ),
    ]


class ReceiptLine(Struct, kw_only=True):
    """Expected against counted for one plan line (SKU and planned lot), or for a SKU or
    lot received that was not on the plan (expected 0)."""

    sku: SkuCode
    sku_name: SkuName
    lot: Annotated[
        str,
        Meta(
            description="The planned lot; empty for a line planned without a lot, which "
            "collects every lot of its SKU (see `received_lots` for the actual lots)"
        ),
    ]
    expiry: Annotated[str, Meta(description="The line's expiry YYYY-MM-DD, empty if none")]
    expected: Annotated[int, Meta(description="Units on the plan")]
    counted: Annotated[int, Meta(description="Units received in any condition")]
    damaged: Annotated[int, Meta(description="Of `counted`: units received damaged")]
    quarantined: Annotated[
        int, Meta(description="Of `counted`: units quarantined (shelf life too short)")
    ]
    difference: Annotated[int, Meta(description="`counted` minus `expected`")]
    reason: Annotated[
        Literal["", "short", "over", "damaged", "wrong_item"],
        Meta(description="The receiver's reason for a difference or damage; empty if none"),
    ]
    note: Annotated[str, Meta(description="The receiver's note on the difference")]


class ReceivedLot(Struct, kw_only=True):
    """Units actually received of one SKU, lot, expiry and condition at one location."""

    sku: SkuCode
    sku_name: SkuName
    customs_record_no: Annotated[
        str, Meta(description="The SKU's customs record number (商品备案号), empty if none")
    ]
    lot: Lot
    expiry: Expiry
    condition: Annotated[
        Literal["good", "damaged", "quarantine"],
        Meta(description="quarantine: good units whose shelf life is too short"),
    ]
    location: Annotated[
        str, Meta(description="Where they were put: the dock, or quarantine if not good")
    ]
    quantity: int


class ReceiptClosed(Struct, kw_only=True):
    """The warehouse receipt (进仓单) of a delivery plan: receiving is over, with the
    actual quantities per line and per lot and a reason for every difference."""

    plan_no: PlanNo
    customer: Customer
    closed_at: At
    lines: Annotated[
        list[ReceiptLine], Meta(description="Expected against counted, ordered by SKU and lot")
    ]
    received_lots: Annotated[
        list[ReceivedLot], Meta(description="What was received, per lot, condition, location")
    ]
    pdf_path: Annotated[
        str,
        Meta(
            description="The warehouse receipt as an A4 PDF: its path on the site's server, "
            "to GET with the OMS token (see Documents). Empty in events written before "
            "the server made PDFs"
        ),
    ] = ""


# -- stock -------------------------------------------------------------------------------


class StockMoved(Struct, kw_only=True):
    """One movement of the stock ledger: units of one customer's SKU, lot and expiry from
    one location to another, into the warehouse (no `from_location`) or out of it (no
    `to_location`). Summed per key, the movements are the floor's stock."""

    id: Annotated[int, Meta(description="The movement's number in the ledger")]
    at: At
    kind: Annotated[MovementKind, Meta(description="The movement kind, as in the event type")]
    customer: Customer
    customer_id: FloorId
    sku: SkuCode
    sku_id: FloorId
    quantity: Annotated[int, Meta(description="Units moved, always positive")]
    lot: Lot
    expiry: Expiry
    from_location: Annotated[
        str | None, Meta(description="Location code taken from; null when units come in")
    ]
    from_location_id: Annotated[int | None, Meta(description="The floor's id of from_location")]
    to_location: Annotated[
        str | None, Meta(description="Location code put to; null when units leave")
    ]
    to_location_id: Annotated[int | None, Meta(description="The floor's id of to_location")]
    reason: Annotated[
        str,
        Meta(
            description="Why: required for adjust and count, `return_to_stock` for a "
            "cancelled order's goods; else empty"
        ),
    ]
    document: Annotated[
        str,
        Meta(
            description="The document it belongs to: plan no (receive), carton SSCC "
            "(putaway, else empty), order no (pick, pack, return), loading list no (ship)"
        ),
    ]
    user_code: Annotated[str, Meta(description="Who: the floor user's (or token's) code")]
    device: Annotated[str, Meta(description="The handheld or station it came from, or empty")]


# -- outbound ----------------------------------------------------------------------------


class OrderStateChanged(Struct, kw_only=True):
    """An order moved on the floor: allocated, waved, picked, packed, loaded, shipped,
    short, cancelled, ..."""

    order_no: OrderNo
    from_: Annotated[OrderState, Meta(description="The state before")] = msgspec.field(name="from")
    to: Annotated[OrderState, Meta(description="The state now")]


class OrderCustomsStatus(Struct, kw_only=True):
    """A customs list reply (CEB622) that took effect: it won over the replies received
    before it (later customs time, then the graver status). A reply that loses is kept on
    the floor but sends no event."""

    order_no: OrderNo
    code: Annotated[
        int, Meta(description="The reply's returnStatus, e.g. 800 released, 500 inspection")
    ]
    status_at: Annotated[str, Meta(description="The reply's customs time (returnTime), UTC")]
    gate: Annotated[
        GateName,
        Meta(description="What the status lets the floor do with the order"),
    ]
    state: Annotated[
        OrderState, Meta(description="The order's state on the floor when the reply came")
    ]


class PickShort(Struct, kw_only=True):
    """A picker did not find all of a pick task's units at its location."""

    order_no: OrderNo
    location: Annotated[str, Meta(description="The location code where units were missing")]
    sku_id: FloorId
    sku: SkuCode
    lot: Lot
    missing: Annotated[int, Meta(description="Units not found")]
    reallocated: Annotated[
        int, Meta(description="Of `missing`: units reserved again elsewhere (same customer)")
    ]
    reason: Annotated[str, Meta(description="What the picker reported, may be empty")]


class WaveBuilt(Struct, kw_only=True):
    """Orders ready to pick were put in a wave: their pick tasks are open."""

    wave_no: str
    orders: Annotated[list[str], Meta(description="The order numbers in the wave")]
    automatic: Annotated[bool, Meta(description="Built by the timer, not by a supervisor")]


class PackedItem(Struct, kw_only=True):
    """Units of one SKU and lot in the parcel."""

    sku_id: FloorId
    sku: SkuCode
    lot: Lot
    expiry: Expiry
    quantity: int


class OrderPacked(Struct, kw_only=True):
    """Every unit of the order was scanned into its parcel, weighed, and its face sheet
    queued for printing."""

    order_no: OrderNo
    waybill_no: WaybillNo
    weight_g: Annotated[int, Meta(description="The parcel's weight in grams")]
    parcel_count: Annotated[int, Meta(description="Packages under this waybill")]
    station: Annotated[str, Meta(description="The pack bench")]
    items: Annotated[
        list[PackedItem],
        Meta(description="What is in the parcel (codes: the `stock.pack` events before it)"),
    ]
    expected_weight_g: Annotated[
        int | None,
        Meta(
            description="What the parcel should weigh (its SKUs' weights and the packaging "
            "allowance); null when a SKU has no weight"
        ),
    ] = None
    weight_confirmed: Annotated[
        bool,
        Meta(
            description="The weight was outside the expected range and the packer confirmed "
            "it at the bench"
        ),
    ] = False


class OrderTaskDone(Struct, kw_only=True):
    """A floor task of an order is done: a cancelled order's goods returned to stock, or
    goods customs selected taken to the inspection lane."""

    order_no: OrderNo
    location: Annotated[
        str,
        Meta(
            description="Where the goods were taken: storage, pick face or staging "
            "(return_to_stock), the inspection lane (to_inspection)"
        ),
    ]


# -- dock --------------------------------------------------------------------------------


class LoadingListCreated(Struct, kw_only=True):
    """A truck's loading list: the parcels it is to take."""

    list_no: ListNo
    plate: Annotated[str, Meta(description="The truck's plate, normalised")]
    waybills: Annotated[list[str], Meta(description="The parcels planned, in list order")]


class OrderLoaded(Struct, kw_only=True):
    """A parcel was scanned onto the truck of its loading list."""

    order_no: OrderNo
    waybill_no: WaybillNo
    list_no: ListNo
    plate: Annotated[str, Meta(description="The truck's plate")]


class ParcelRemoved(Struct, kw_only=True):
    """A supervisor took a parcel off a loading list, with a reason."""

    list_no: ListNo
    waybill_no: WaybillNo
    order_no: OrderNo
    reason: str
    was_loaded: Annotated[
        bool, Meta(description="It had been loaded (it is unloaded and waits as packed)")
    ]


class DoorReleased(Struct, kw_only=True):
    """A supervisor freed the dock door of a list that is not leaving from it; the list
    waits again with what is loaded on it."""

    list_no: ListNo
    door: Annotated[str, Meta(description="The dock door it was open at")]
    reason: str


class OrderShipped(Struct, kw_only=True):
    """The parcel left the warehouse on its departing truck."""

    order_no: OrderNo
    waybill_no: WaybillNo
    list_no: ListNo


class DepartedParcel(Struct, kw_only=True):
    """One parcel on a departed truck."""

    waybill_no: WaybillNo
    order_no: OrderNo
    courier: Annotated[str, Meta(description="The order's courier code, e.g. SF")]
    weight_g: Annotated[int, Meta(description="Weighed at packing, grams")]
    parcel_count: Annotated[int, Meta(description="Packages under this waybill")]
    loaded_at: At
    loaded_by: Annotated[str, Meta(description="The dock user who scanned it on")]


class LoadingListDeparted(Struct, kw_only=True):
    """The truck left with exactly its list's parcels, plate, driver and seal checked: the
    handover record (交接单)."""

    list_no: ListNo
    handover_no: Annotated[str, Meta(description="The handover record number")]
    plate: Annotated[str, Meta(description="The truck's plate, as verified at the door")]
    second_plate: Annotated[str, Meta(description="The trailer's plate, empty if none")]
    driver_name: Annotated[str, Meta(description="The driver's name, as confirmed")]
    driver_id: Annotated[
        str, Meta(description="The driver's ID number in full (screens on the floor mask it)")
    ]
    driver_phone: Annotated[str, Meta(description="The driver's phone number in full")]
    seal_no: Annotated[str, Meta(description="The seal on the truck, as confirmed")]
    carrier: Annotated[str, Meta(description="The haulier named on the list, may be empty")]
    departed_at: At
    parcels: Annotated[list[DepartedParcel], Meta(description="Every parcel on the truck")]
    loaded_weight_g: Annotated[int, Meta(description="Sum of the parcels' weights, grams")]
    expected_weight_g: Annotated[
        int, Meta(description="The weight the list expected, grams (given, else planned)")
    ]
    pdf_path: Annotated[
        str,
        Meta(
            description="The handover record as an A4 PDF: its path on the site's server "
            "(read by dock users and supervisors; see Documents). Empty in events written "
            "before the server made PDFs"
        ),
    ] = ""


# -- the registry ------------------------------------------------------------------------


@dataclass(frozen=True)
class EventType:
    version: int
    payload: type[Struct]
    description: str
    example: dict[str, Any]


STOCK_KINDS: dict[str, str] = {
    "receive": "Units received: by scan against a delivery plan (to the dock, or to quarantine "
    "if damaged or short-dated), or an opening balance entered by a supervisor.",
    "putaway": "Units put away from the dock or staging to a storage location.",
    "move": "Units moved between locations: by scan on a handheld (document `MV<n>`, the "
    "move's number), by a supervisor, or a cancelled order's goods returned to stock "
    "(reason `return_to_stock`).",
    "pick": "Units picked from storage into an order's tote.",
    "pack": "Units packed from the tote into the order's parcel (location `PCL-<waybill>`).",
    "ship": "Units left the warehouse on a departing truck: they leave the ledger. Only a "
    "departure ships (document: the loading list's number).",
    "adjust": "A supervisor's correction, with a reason code (`opening_balance`, `found`, "
    "`lost`, `damaged`, `expired`, `relabel`, `relocation`, `entry_error`): units added to one "
    "location (no `from_location`) or taken from one (no `to_location`). Only on storage, pick "
    "faces, quarantine, inspection and staging; one over `[ledger] approval_over_units` is "
    "applied when a second supervisor approves it.",
    "count": "A cycle count's correction approved by a supervisor, with its reason code "
    "(`count_gain`, `count_loss`, `damaged`, `found`, `miscount`) and document `COUNT-<task>`: "
    "the same shape as `adjust`.",
}

# kind: (quantity, from, to, reason, document, user, device)
STOCK_EXAMPLES: dict[str, tuple[int, str | None, str | None, str, str, str, str]] = {
    "receive": (24, None, "DOCK-01", "", "ASN-20261123-01", "recv01", "HH-07"),
    "putaway": (24, "DOCK-01", "A-03-01-1", "", "", "put01", "HH-03"),
    "move": (1, "TOTE-004", "STG-01", "return_to_stock", "SO202611230004", "pack01", "HH-11"),
    "pick": (1, "A-03-01-1", "TOTE-001", "", "SO202611230001", "pick01", "HH-05"),
    "pack": (1, "TOTE-001", "PCL-SF261123000001", "", "SO202611230001", "pack01", "pack-01"),
    "ship": (1, "PCL-SF261123000001", None, "", "LL20261123-0001", "dock01", "HH-DOCK-A"),
    "adjust": (2, "A-03-01-1", None, "damaged", "", "sup01", "HH-01"),
    "count": (1, None, "A-03-01-1", "cycle count 2026-11", "", "sup01", "HH-01"),
}


EXAMPLE_LOCATION_IDS = {
    "DOCK-01": 1,
    "DOCK-02": 2,
    "STG-01": 5,
    "STG-02": 6,
    "A-03-01-1": 73,
    "OUT-01": 411,
    "TOTE-001": 415,
    "TOTE-004": 418,
    "PCL-SF261123000001": 476,
}


def _movement_example(kind: str) -> dict[str, Any]:
    quantity, source, target, reason, document, user, device = STOCK_EXAMPLES[kind]
    return {
        "id": 1207 + list(STOCK_EXAMPLES).index(kind),
        "at": "2026-11-23T08:15:02.114+00:00",
        "kind": kind,
        "customer": "HKBEAUTY",
        "customer_id": 1,
        "sku": "HK0002",
        "sku_id": 2,
        "quantity": quantity,
        "lot": "L2611002",
        "expiry": "2028-05-31",
        "from_location": source,
        "from_location_id": EXAMPLE_LOCATION_IDS.get(source or ""),
        "to_location": target,
        "to_location_id": EXAMPLE_LOCATION_IDS.get(target or ""),
        "reason": reason,
        "document": document,
        "user_code": user,
        "device": device,
    }


RECEIPT_EXAMPLE: dict[str, Any] = {
    "plan_no": "ASN-20261123-01",
    "customer": "HKBEAUTY",
    "closed_at": "2026-11-23T09:40:11.502+00:00",
    "lines": [
        {
            "sku": "HK0006",
            "sku_name": "洁面乳 200g",
            "lot": "L2611006",
            "expiry": "2028-06-30",
            "expected": 36,
            "counted": 35,
            "damaged": 1,
            "quarantined": 0,
            "difference": -1,
            "reason": "short",
            "note": "one carton short, one crushed",
        }
    ],
    "received_lots": [
        {
            "sku": "HK0006",
            "sku_name": "洁面乳 200g",
            "customs_record_no": "GJ489000006",
            "lot": "L2611006",
            "expiry": "2028-06-30",
            "condition": condition,
            "location": location,
            "quantity": quantity,
        }
        for condition, location, quantity in (("good", "DOCK-01", 34), ("damaged", "QUAR-01", 1))
    ],
    "pdf_path": "/api/v1/plans/12/receipt.pdf",
}

DEPARTED_EXAMPLE: dict[str, Any] = {
    "list_no": "LL20261123-0001",
    "handover_no": "HO00000001",
    "plate": "粤B12345",
    "second_plate": "",
    "driver_name": "李师傅",
    "driver_id": "440305199003071236",
    "driver_phone": "13800138000",
    "seal_no": "SEAL-0001",
    "carrier": "顺丰",
    "departed_at": "2026-11-23T15:02:44.318+00:00",
    "parcels": [
        {
            "waybill_no": "SF261123000001",
            "order_no": "SO202611230001",
            "courier": "SF",
            "weight_g": 850,
            "parcel_count": 1,
            "loaded_at": "2026-11-23T14:51:09.020+00:00",
            "loaded_by": "dock01",
        },
        {
            "waybill_no": "SF261123000002",
            "order_no": "SO202611230002",
            "courier": "SF",
            "weight_g": 1240,
            "parcel_count": 1,
            "loaded_at": "2026-11-23T14:51:30.771+00:00",
            "loaded_by": "dock01",
        },
    ],
    "loaded_weight_g": 2090,
    "expected_weight_g": 2090,
    "pdf_path": "/api/v1/loading-lists/31/handover.pdf",
}

CONTRACT: dict[str, EventType] = {
    "inbound.arrived": EventType(
        1,
        InboundArrived,
        "A delivery plan's truck or container checked in at the dock.",
        {
            "plan_no": "ASN-20261123-01",
            "customer": "HKBEAUTY",
            "reference": "MSKU1234565",
            "seal_no": "SL-88231",
            "override": "",
        },
    ),
    "receipt.closed": EventType(
        1,
        ReceiptClosed,
        "Receiving of a delivery plan is closed: the warehouse receipt, with actual "
        "quantities per line and per lot.",
        RECEIPT_EXAMPLE,
    ),
    **{
        f"stock.{kind}": EventType(1, StockMoved, description, _movement_example(kind))
        for kind, description in STOCK_KINDS.items()
    },
    "order.customs_status": EventType(
        1,
        OrderCustomsStatus,
        "A customs list reply took effect on an order (released, held, inspection, ...).",
        {
            "order_no": "SO202611230001",
            "code": 800,
            "status_at": "2026-11-23T07:58:00.000+00:00",
            "gate": "released",
            "state": "new",
        },
    ),
    "order.state_changed": EventType(
        1,
        OrderStateChanged,
        "An order's state on the floor changed.",
        {"order_no": "SO202611230001", "from": "picking", "to": "picked"},
    ),
    "wave.built": EventType(
        1,
        WaveBuilt,
        "A wave was built: its orders are being picked.",
        {"wave_no": "W000012", "orders": ["SO202611230001", "SO202611230002"], "automatic": False},
    ),
    "pick.short": EventType(
        1,
        PickShort,
        "A pick came up short at a location (the order may be reserved elsewhere or go short).",
        {
            "order_no": "SO202611230003",
            "location": "C-01-02-1",
            "sku_id": 203,
            "sku": "JP0003",
            "lot": "",
            "missing": 2,
            "reallocated": 1,
            "reason": "empty",
        },
    ),
    "order.packed": EventType(
        1,
        OrderPacked,
        "An order was packed: its parcel's weight and waybill, and what is in it.",
        {
            "order_no": "SO202611230001",
            "waybill_no": "SF261123000001",
            "weight_g": 850,
            "parcel_count": 1,
            "station": "pack-01",
            "items": [
                {
                    "sku_id": 2,
                    "sku": "HK0002",
                    "lot": "L2611002",
                    "expiry": "2028-05-31",
                    "quantity": 1,
                }
            ],
            "expected_weight_g": 820,
            "weight_confirmed": False,
        },
    ),
    "order.return_to_stock": EventType(
        1,
        OrderTaskDone,
        "A cancelled order's picked or packed goods were returned to stock.",
        {"order_no": "SO202611230004", "location": "STG-01"},
    ),
    "order.to_inspection": EventType(
        1,
        OrderTaskDone,
        "An order's goods customs selected for inspection (500) were taken to the lane.",
        {"order_no": "SO202611230006", "location": "INSP-01"},
    ),
    "loading_list.created": EventType(
        1,
        LoadingListCreated,
        "A loading list was made for a truck.",
        {
            "list_no": "LL20261123-0001",
            "plate": "粤B12345",
            "waybills": ["SF261123000001", "SF261123000002", "SF261123000003"],
        },
    ),
    "order.loaded": EventType(
        1,
        OrderLoaded,
        "An order's parcel was scanned onto its truck.",
        {
            "order_no": "SO202611230001",
            "waybill_no": "SF261123000001",
            "list_no": "LL20261123-0001",
            "plate": "粤B12345",
        },
    ),
    "loading_list.parcel_removed": EventType(
        1,
        ParcelRemoved,
        "A parcel was taken off a loading list.",
        {
            "list_no": "LL20261123-0001",
            "waybill_no": "SF261123000003",
            "order_no": "SO202611230003",
            "reason": "customs hold",
            "was_loaded": False,
        },
    ),
    "loading_list.door_released": EventType(
        1,
        DoorReleased,
        "A loading list's dock door was freed; the list waits to be opened again.",
        {"list_no": "LL20261123-0001", "door": "door-1", "reason": "truck moved to door 2"},
    ),
    "order.shipped": EventType(
        1,
        OrderShipped,
        "An order's parcel left on its truck (sent for every parcel before the departure).",
        {
            "order_no": "SO202611230001",
            "waybill_no": "SF261123000001",
            "list_no": "LL20261123-0001",
        },
    ),
    "loading_list.departed": EventType(
        1,
        LoadingListDeparted,
        "A truck departed: plate, driver, seal and every parcel on it (the handover record).",
        DEPARTED_EXAMPLE,
    ),
    "count.finished": EventType(
        1,
        CountFinished,
        "A cycle count of one location was submitted: each line as expected when the count "
        "started and as counted. `recount` true: a difference was beyond the threshold and "
        "`recount_task` counts it again; else the differences wait for a supervisor, and "
        "only an approved one changes stock (a `stock.count` movement, document `COUNT-<task>`).",
        {
            "task": 12,
            "location": "A-01-02-1",
            "counter": "count01",
            "recount_of": None,
            "lines": [
                {
                    "customer": "HKBEAUTY",
                    "sku": "HK0003",
                    "lot": "L2611003",
                    "expiry": "2028-06-30",
                    "expected": 48,
                    "counted": 40,
                    "difference": -8,
                }
            ],
            "recount": True,
            "recount_task": 13,
        },
    ),
    "reconciliation.finished": EventType(
        1,
        ReconciliationFinished,
        "The floor compared the OMS's stock book with its snapshot at `as_of_seq`; the "
        "report's lines are at GET /api/v1/reconciliations/{id}.",
        {
            "id": 3,
            "reference": "BOOK-20261123",
            "customer": "HKBEAUTY",
            "as_of_seq": 1207,
            "matched": 118,
            "difference_count": 2,
        },
    ),
    "alert.raised": EventType(
        1,
        AlertRaised,
        "A condition the floor watches started to hold: low or slow stock, expiring lots, "
        "orders late for their cut-off, customs holds, failing prints, the OMS link, devices "
        "away, unusual activity. `kind` is a stable code (see the supervisor's alerts).",
        {
            "id": 41,
            "kind": "LOT_EXPIRING",
            "severity": "warning",
            "subject": "HKBEAUTY/HK0006/L2611006/2026-12-20",
            "message": "35 expire 2026-12-20",
            "first_seen_at": "2026-11-23T09:30:00.000+00:00",
            "code": "LOT_EXPIRING",
            "params": {"quantity": 35, "expiry": "2026-12-20"},
        },
    ),
    "alert.cleared": EventType(
        1,
        AlertCleared,
        "A raised alert's condition no longer holds; the same `id` as its `alert.raised`.",
        {
            "id": 41,
            "kind": "LOT_EXPIRING",
            "subject": "HKBEAUTY/HK0006/L2611006/2026-12-20",
            "first_seen_at": "2026-11-23T09:30:00.000+00:00",
            "cleared_at": "2026-11-23T10:05:30.000+00:00",
        },
    ),
    "billing.statement_closed": EventType(
        1,
        StatementClosed,
        "A billing period was closed and a customer's statement frozen: money in integer fen, "
        "subtotals by category. A re-opened period closed again sends the next `version`, "
        "naming the statement it `supersedes`: keep the highest version of a (period, "
        "customer); the lines are at GET /api/v1/billing/statements/{statement} (CSV: .../csv).",
        {
            "statement": 7,
            "period": "2026-11",
            "customer": "HKBEAUTY",
            "version": 1,
            "subtotals": [
                {"category": "storage", "amount_fen": 126000},
                {"category": "inbound", "amount_fen": 24350},
                {"category": "outbound", "amount_fen": 88720},
            ],
            "charges_fen": 239070,
            "minimum_fen": 0,
            "credits_fen": 0,
            "total_fen": 239070,
            "line_count": 94,
            "supersedes": None,
        },
    ),
    "billing.period_reopened": EventType(
        1,
        PeriodReopened,
        "A supervisor re-opened a closed billing period, with the reason: every statement of "
        "it the OMS received in `billing.statement_closed` is superseded (no longer owed as "
        "sent). Closing the period again sends each customer's next `version`; a customer "
        "with nothing to bill then gets none.",
        {
            "period": "2026-11",
            "reason": "late receipt of ASN-20261128-03 found",
            "reopened_by": "user:sup01",
            "superseded": [
                {"customer": "HKBEAUTY", "statement": 7, "version": 1},
                {"customer": "JPHOME", "statement": 8, "version": 1},
            ],
        },
    ),
}


# -- the published contract: JSON schema and markdown --------------------------------------


class EventTypeDoc(Struct, kw_only=True):
    version: int
    description: str
    schema: Annotated[dict[str, Any], Meta(description="JSON schema of the payload")]
    example: Annotated[dict[str, Any], Meta(description="An example payload")]


class EventContract(Struct, kw_only=True):
    """The event contract as the OMS reads it (`GET /api/v1/events/schema`)."""

    versioning: str
    batch: Annotated[dict[str, Any], Meta(description="JSON schema of a batch (the POST body)")]
    types: dict[str, EventTypeDoc]
    components: Annotated[
        dict[str, Any], Meta(description="The schemas the `$ref`s point to (#/components/...)")
    ]
    example_batch: EventBatch  # one event of each type: also puts the batch into OpenAPI


REF_TEMPLATE = "#/components/{name}"


@cache
def _schemas() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(batch schema, payload schema per type, components), built once."""
    names = list(CONTRACT)
    refs, components = msgspec.json.schema_components(
        [EventBatch, *(CONTRACT[n].payload for n in names)], ref_template=REF_TEMPLATE
    )
    return refs[0], dict(zip(names, refs[1:], strict=True)), components


EXAMPLE_EPOCH = "5f0c3a9b2e71"


def example_batch(site: str, types: list[str] | None = None) -> EventBatch:
    """A batch as the OMS would receive it, one event of each type (or of `types`)."""
    events = [
        EventOut(
            key=f"{site}:{EXAMPLE_EPOCH}:{seq}",
            epoch=EXAMPLE_EPOCH,
            seq=seq,
            type=name,
            version=CONTRACT[name].version,
            at="2026-11-23T08:15:02.114+00:00",
            payload=CONTRACT[name].example,
        )
        for seq, name in enumerate(types or CONTRACT, 1207)
    ]
    return EventBatch(site=site, events=events)


def published_contract(site: str) -> EventContract:
    batch, payloads, components = _schemas()
    return EventContract(
        versioning=VERSIONING,
        batch=batch,
        types={
            name: EventTypeDoc(
                version=spec.version,
                description=spec.description,
                schema=payloads[name],
                example=spec.example,
            )
            for name, spec in CONTRACT.items()
        },
        components=components,
        example_batch=example_batch(site),
    )


DELIVERY = """\
- Each site's server POSTs batches to the OMS's URL, in sequence order. A batch is sent
  again, whole, until the OMS acknowledges it with a 2xx; only then does the delivery
  cursor move past it.
- Delivery is at least once: an answer lost on the network means the batch comes again.
  Take each event once by its `key` (`site:epoch:seq`), which stays the same on every
  resend and is never given to another event. The same key with another payload never
  comes from the floor: refuse it (409) rather than drop it, so that delivery stops and
  shows it.
- Events of one site arrive in journal order and are never reordered; a new batch starts
  after the last acknowledged one. `seq` grows by one from event to event, across epochs,
  except where a restore starts a new epoch (see Restores and epochs).
- A network error, a timeout, a 5xx, 408, 425 or 429 is passing trouble: the batch is
  tried again after a backoff.
- Any other 4xx refuses the content: the floor finds the event refused (sending one event
  at a time) and stops delivery before it until a supervisor retries it or skips it with
  a reason (audited). Nothing is skipped silently.
- Ignore fields you do not know (see Versioning). Acknowledge an event of a type you do
  not know and pass over it: refusing it with a 4xx stops the site's delivery.
"""


EPOCHS = """\
The floor's database can go back in time: a backup restored (`bondfloor restore`), a
standby promoted, a file copied by hand. Its journal then numbers new events from a `seq`
the OMS may already hold. The epoch keeps their keys apart.

- Every process that writes the floor's database begins a journal epoch of its own before
  its first event: a random id (12 hex digits) that no other copy of the file can have.
  A restored or copied file gets a new epoch on its first write without anyone having to
  notice the copy; `bondfloor restore` begins one at once.
- `key` = `site:epoch:seq`, so a new event never has the key of an event the OMS holds,
  whatever `seq` it gets. Events resent after a restore that were written before the
  backup keep their epoch and their key: they are real repeats, take them once.
- A new epoch usually continues at the next `seq` (a server restart). When its first event
  has a `seq` at or below one the OMS holds in an older epoch, the floor was restored:
  the older epoch's events from that `seq` on happened, but the restored floor no longer
  knows them. Keep them (do not replace them with the new ones, which have other keys)
  and reconcile those orders and that stock with the floor.
- Batches: `Idempotency-Key: <first key>..<last key>`, unique in the same way.
- An OMS that reads `GET /api/v1/events?after=N` instead of taking deliveries gets each
  event's `epoch` there too. After a restore (`/health`: `sync.last_restore.after_seq`)
  it must read again from that seq: paging by `seq` alone would pass over the new events.
"""

DOCUMENTS = """\
The paper of a receipt and of a departure is on the site's server as A4 PDF files (Chinese
with English labels), and the events name them by path (`pdf_path`): prefix it with the
site server's address, e.g. `https://floor.site1.example:8443/api/v1/plans/12/receipt.pdf`.

- The OMS authenticates as it does for every call to the floor: `Authorization: Bearer
  <token>` with an OMS API token an admin made on the site (admin page, "tokens", kind
  `oms`). That token reads `GET /api/v1/plans/{id}/receipt.pdf` (the warehouse receipt,
  in `receipt.closed`) and `GET /api/v1/plans/{id}/tally.pdf` (the tally record).
- `GET /api/v1/loading-lists/{id}/handover.pdf` (in `loading_list.departed`, the handover
  record) is read by the same OMS token, with the driver's ID number masked as the
  handover slip prints it (`440305********1234`): the full number does not leave the site.
  The dock and supervisors get the record whole, as on the handover page.
- The answer is `application/pdf` with `Content-Disposition: attachment` and a file name
  such as `receipt-ASN-20261123-01.pdf` (`filename*`: `进仓单-ASN-20261123-01.pdf`). Each GET
  draws the document from the floor's records at that moment, with the print time in its
  footer.
"""


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _type_text(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_slug(name)})"
    if "anyOf" in prop:
        return " or ".join(_type_text(p) for p in prop["anyOf"])
    if "enum" in prop:
        return "one of " + ", ".join(f"`{json.dumps(v, ensure_ascii=False)}`" for v in prop["enum"])
    if prop.get("type") == "array":
        return f"list of {_type_text(prop['items'])}"
    return str(prop.get("type", "any"))


def _fields_table(schema: dict[str, Any]) -> list[str]:
    rows = ["| field | type | description |", "| --- | --- | --- |"]
    for name, prop in schema["properties"].items():
        description = prop.get("description", "").replace("|", "\\|")
        rows.append(f"| `{name}` | {_type_text(prop)} | {description} |")
    return rows


def _doc(schema: dict[str, Any]) -> str:
    """A struct's docstring on one line (a markdown paragraph)."""
    return " ".join(schema.get("description", "").split())


def _struct_table(name: str, schema: dict[str, Any]) -> list[str]:
    return [f"#### {name}", "", _doc(schema), "", *_fields_table(schema), ""]


def _nested(name: str, components: dict[str, Any]) -> list[str]:
    """The structs `name` refers to, depth first, each once."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref:
                child = ref.rsplit("/", 1)[-1]
                if child not in found:
                    found.append(child)
                    walk(components[child])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(components[name])
    return found


def _example(value: Any) -> list[str]:
    return ["```json", json.dumps(value, ensure_ascii=False, indent=2), "```", ""]


def _type_section(
    name: str, spec: EventType, components: dict[str, Any], first_use: dict[str, str]
) -> list[str]:
    """One event type: what it means, its payload's fields (nested structs after them, each
    once in the document) and an example. A payload shared by several types (the stock
    movements) is tabled at its first type and linked from the others."""
    payload = spec.payload.__name__
    out = [f"### {name}", "", spec.description, ""]
    if payload in first_use:
        seen = first_use[payload]
        out += [f"Version {spec.version}. Payload `{payload}`, as in [{seen}](#{_slug(seen)}).", ""]
    else:
        first_use[payload] = name
        schema = components[payload]
        out += [f"Version {spec.version}. Payload `{payload}`: {_doc(schema)}"]
        out += ["", *_fields_table(schema), ""]
        for struct in _nested(payload, components):
            if struct not in first_use:
                first_use[struct] = name
                out += _struct_table(struct, components[struct])
    return [*out, "Example payload:", "", *_example(spec.example)]


def render_markdown() -> str:
    """docs/events.md, from this module: the contract for OMS integrators."""
    _, _, components = _schemas()
    out = [
        "# Events sent to the OMS",
        "",
        "<!-- Rendered by `python -m server.sync.contract > docs/events.md`: edit "
        "server/sync/contract.py, not this file. -->",
        "",
        "Every change on the floor (a scan, a receipt, a departure) appends an event to its "
        "site's journal in the same transaction; the site's server delivers the journal to "
        "the OMS. `GET /api/v1/events/schema` (supervisors and OMS tokens) answers this "
        "contract as JSON schema, with an example of every type.",
        "",
        "## Envelope and batch",
        "",
        "One POST carries one batch (`Content-Type: application/json`, "
        "`Idempotency-Key: <first key>..<last key>`).",
        "",
        *_struct_table("EventBatch", components["EventBatch"]),
        *_struct_table("EventOut", components["EventOut"]),
        "Example batch:",
        "",
        *_example(
            msgspec.to_builtins(example_batch("SITE1", ["order.packed", "order.state_changed"]))
        ),
        "## Delivery",
        "",
        DELIVERY,
        "## Restores and epochs",
        "",
        EPOCHS,
        "## Versioning",
        "",
        VERSIONING,
        "",
        "## Documents",
        "",
        DOCUMENTS,
        "## Event types",
        "",
        "| type | version | payload | description |",
        "| --- | --- | --- | --- |",
        *(
            f"| [{name}](#{_slug(name)}) | {spec.version} | `{spec.payload.__name__}` | "
            f"{spec.description} |"
            for name, spec in CONTRACT.items()
        ),
        "",
    ]
    first_use: dict[str, str] = {}
    for name, spec in CONTRACT.items():
        out += _type_section(name, spec, components, first_use)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
