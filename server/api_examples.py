"""Example request bodies for the OpenAPI document, one per body schema.

Keyed by the component schema name (the msgspec Struct's name). The tests decode each
example into its Struct, so an example that drifts from the code fails there, and they
check that every request body in the document has one. File imports (CSV or a JSON array
of rows) are keyed by their path.
"""

from __future__ import annotations

from typing import Any

_PARTY = {
    "name": "张伟",
    "phone": "13800138000",
    "province": "广东省",
    "city": "深圳市",
    "district": "南山区",
    "address": "科技园南路 88 号",
}

BODY_EXAMPLES: dict[str, Any] = {
    "LoginRequest": {"user_code": "pick01", "pin": "1234"},
    "UserCreate": {"code": "pick07", "name": "李娜", "roles": ["picker"], "pin": "4821"},
    "PinReset": {"pin": "7305"},
    "RolesChange": {"roles": ["picker", "packer"]},
    "BadgeSet": {"badge": "BF-7QK2M-X4RTA"},
    "LanguageChange": {"language": "en"},
    "TokenCreate": {"name": "pack-03", "kind": "station"},
    "AckRequest": {"note": "Restock ordered from the OMS"},
    "SafetyLevels": {"levels": [{"customer": "C001", "sku": "SKU-1001", "quantity": 50}]},
    "CustomerIn": {"code": "C001", "name": "海淘优选", "customs_book_no": "T5301W000123"},
    "SkuIn": {
        "customer": "C001",
        "code": "SKU-1001",
        "name": "婴儿奶粉 800g",
        "barcodes": ["4901234567894"],
        "unit": "罐",
        "weight_g": 950,
        "hs_code": "1901101000",
        "lot_tracked": True,
        "expiry_tracked": True,
        "shelf_life_days": 720,
    },
    "LocationIn": {"code": "A-01-02-03", "zone": "A", "type": "storage", "pick_sequence": 10203},
    "MovementRequest": {
        "kind": "adjust",
        "customer": "C001",
        "sku": "SKU-1001",
        "quantity": 2,
        "reason": "damaged",
        "from_location": "A-01-02-03",
        "document": "DMG-20261206-01",
    },
    "PlanIn": {
        "customer": "C001",
        "plan_no": "ASN-20261206-001",
        "transport": {"type": "sea", "container_no": "MSCU1234565", "vessel": "MSC AURORA"},
        "expected_arrival": "2026-12-06",
        "lines": [{"sku": "SKU-1001", "expected_qty": 240, "lot": "L2406", "expiry": "2028-06-30"}],
    },
    "Release": {"released": True},
    "PlanRelease": {"customer": "C001", "plan_no": "ASN-20261206-001", "released": True},
    "CheckIn": {"reference": "MSCU1234565", "seal_no": "SL778899", "dock": "DOCK-1"},
    "ReceiveScan": {
        "scan": "4901234567894",
        "quantity": 24,
        "lot": "L2406",
        "expiry": "2028-06-30",
    },
    "CloseReceipt": {
        "differences": [{"sku": "SKU-1001", "reason": "short", "note": "2 cans missing"}]
    },
    "PutawayRequest": {
        "from_location": "DOCK-1",
        "to_location": "A-01-02-03",
        "item": "4901234567894",
        "quantity": 24,
    },
    "MoveRequest": {
        "from_location": "A-01-02-03",
        "to_location": "A-01-02-04",
        "item": "4901234567894",
        "quantity": 6,
    },
    "OrderIn": {
        "customer": "C001",
        "order_no": "SO20261206001",
        "courier": "SF",
        "waybill_no": "SF1234567890",
        "routing": {"sort_code": "755W", "consolidation_point": "深圳南山集散"},
        "recipient": _PARTY,
        "sender": {**_PARTY, "name": "海淘优选", "phone": "075512345678"},
        "lines": [{"sku": "SKU-1001", "quantity": 2}],
        "cutoff_at": "2026-12-06T16:00:00+08:00",
    },
    "CustomsStatusIn": {
        "order_no": "SO20261206001",
        "code": 800,
        "status_at": "2026-12-06T10:15:00+08:00",
    },
    "CustomsBatchIn": {
        "statuses": [
            {"order_no": "SO20261206001", "code": 800, "status_at": "2026-12-06T10:15:00+08:00"},
            {
                "order_no": "SO20261206002",
                "code": 100,
                "status_at": "2026-12-06T10:16:00+08:00",
                "note": "退单",
            },
        ]
    },
    "CancelIn": {"order_no": "SO20261206001", "reason": "customer cancelled"},
    "WaveIn": {"courier": "SF", "cutoff_before": "2026-12-06T16:00:00+08:00", "max_orders": 200},
    "PickCheck": {"location": "A-01-02-03"},
    "PickConfirm": {
        "location": "A-01-02-03",
        "item": "4901234567894",
        "quantity": 2,
        "tote": "T0042",
    },
    "ShortPick": {"reason": "location empty"},
    "PackScan": {"scan": "4901234567894", "station": "pack-01"},
    "PackComplete": {"weight_g": 1930, "station": "pack-01"},
    "TaskDone": {"location": "A-01-02-03"},
    "Resolution": {"resolution": "counted: 4 found on A-01-02-04"},
    "ReprintIn": {"scan": "SF1234567890", "reason": "label torn", "printer": "label-1"},
    "LocationLabelsIn": {"printer": "label-1", "zone": "A"},
    "CartonLabelsIn": {
        "printer": "label-1",
        "line_no": 1,
        "labels": 4,
        "unit": "carton",
        "count": 24,
        "lot": "L2027A",
        "expiry": "2027-05-31",
    },
    "CartonLabelReprintIn": {"sscc": "069012340000000122", "reason": "label torn"},
    "LoadingListIn": {
        "plate": "粤B12345",
        "driver_name": "王强",
        "driver_id": "440301198001011234",
        "driver_phone": "13900139000",
        "seal_no": "SL990011",
        "carrier": "顺丰速运",
        "waybills": ["SF1234567890"],
    },
    "OpenAtDoor": {"scan": "粤B12345", "door": "door-1"},
    "DriverId": {"driver_id": "440301198001011234"},
    "DriverName": {"driver_name": "王强"},
    "Seal": {"seal_no": "SL990011"},
    "LoadScan": {"scan": "SF1234567890"},
    "RemoveParcel": {"waybill_no": "SF1234567890", "reason": "parcel damaged, repack"},
    "Reason": {"reason": "truck moved to door 2"},
    "Departure": {},
    "ScanIn": {
        "code": "4901234567894",
        "scanner": "bench-scanner",
        "scanned_at": "2026-12-06T10:15:00+08:00",
    },
    "PackIn": {"weight_g": 1930},
    "Heartbeat": {
        "version": "0.1.0",
        "scanners": {"bench-scanner": {"state": "online"}},
        "printers": {"label-1": {"state": "online"}},
        "buffered_scans": 0,
    },
    "JobResult": {"outcome": "printed"},
    "WeightReport": {
        "grams": 1234,
        "stable": True,
        "net": False,
        "tare_g": 0,
        "unit": "kg",
        "raw": "ST,GS,+  1.234kg",
        "scale": "pack-01-scale",
        "read_at": "2026-12-07T13:05:12.250+08:00",
    },
    "SkipIn": {"seq": 1207, "reason": "the OMS has this order already; confirmed by phone"},
    "ReconciliationIn": {
        "reference": "OMS-BOOK-20261206",
        "lines": [{"customer": "C001", "sku": "SKU-1001", "quantity": 238, "lot": "L2406"}],
    },
    "CountCreate": {"locations": ["A-01-02-03", "A-01-02-04"]},
    "TariffSet": {
        "customer": "C001",
        "effective_from": "2027-01-01",
        "minimum_fen": 300000,
        "rates": [
            {"charge_code": "storage.location_day.storage", "rate_fen": 120},
            {"charge_code": "inbound.unit", "rate_fen": 15},
            {"charge_code": "outbound.order", "rate_fen": 180},
        ],
        "reason": "2027 contract, section 4",
    },
    "ServiceRecord": {
        "customer": "C001",
        "charge_code": "service.labelling",
        "quantity": 240,
        "document": "ASN20261201-01",
        "note": "Chinese back labels",
    },
    "PeriodReopen": {"reason": "a late receipt of November was found"},
    "CreditLine": {
        "line_id": 8812,
        "amount_fen": 4500,
        "reason": "3 cartons were damaged on arrival",
    },
    "CountStart": {"location": "A-01-02-03"},
    "CountLineIn": {"item": "4901234567894", "quantity": 22, "lot": "L2406"},
    "Decision": {"reason": "count_loss", "note": "2 cans damaged and binned"},
}

# File imports, by path: the CSV and the same rows as a JSON array.
FILE_EXAMPLES: dict[str, dict[str, Any]] = {
    "/api/v1/import/{kind}": {
        "text/csv": "code,name,customs_book_no\nC001,海淘优选,T5301W000123\n",
        "application/json": [
            {"code": "C001", "name": "海淘优选", "customs_book_no": "T5301W000123"}
        ],
    },
    "/api/v1/plan-imports": {
        "text/csv": (
            "customer,plan_no,transport_mode,container_no,expected_arrival,sku,expected_qty\n"
            "C001,ASN-20261206-001,sea,MSCU1234565,2026-12-06,SKU-1001,240\n"
        ),
        "application/json": [
            {
                "customer": "C001",
                "plan_no": "ASN-20261206-001",
                "transport_mode": "sea",
                "container_no": "MSCU1234565",
                "expected_arrival": "2026-12-06",
                "sku": "SKU-1001",
                "expected_qty": 240,
            }
        ],
    },
    "/api/v1/order-imports": {
        "text/csv": (
            "customer,order_no,courier,waybill_no,sort_code,recipient_name,recipient_phone,"
            "recipient_address,sender_name,sender_phone,sender_address,sku,quantity\n"
            "C001,SO20261206001,SF,SF1234567890,755W,张伟,13800138000,科技园南路 88 号,"
            "海淘优选,075512345678,前海保税区,SKU-1001,2\n"
        ),
        "application/json": [
            {
                "customer": "C001",
                "order_no": "SO20261206001",
                "courier": "SF",
                "waybill_no": "SF1234567890",
                "sort_code": "755W",
                "recipient_name": "张伟",
                "recipient_phone": "13800138000",
                "recipient_address": "科技园南路 88 号",
                "sender_name": "海淘优选",
                "sender_phone": "075512345678",
                "sender_address": "前海保税区",
                "sku": "SKU-1001",
                "quantity": 2,
            }
        ],
    },
}
