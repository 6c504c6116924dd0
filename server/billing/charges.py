"""The charge types a tariff can price, and the one rounding rule.

Money is integer fen. A line's quantity is an integer in the charge's `scale`d unit
(m³-days are counted in mm³-days, so scale 10⁹); its amount is
`quantity × rate_fen / scale`, rounded half up once per line, never per fact. Every other
charge has scale 1 and so is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Names(NamedTuple):
    """What people call a thing, in Chinese and English: the statement PDF prints both, the
    pages pick the one of the page's language (from GET /api/v1/billing/charge-codes). Kept
    here, beside the codes, and nowhere else, so the page and the PDF cannot disagree."""

    zh: str
    en: str


CATEGORY_NAMES = {
    "storage": Names("仓储", "Storage"),
    "inbound": Names("入库", "Inbound"),
    "putaway": Names("上架", "Put-away"),
    "outbound": Names("出库", "Outbound"),
    "exceptions": Names("异常处理", "Exceptions"),
    "services": Names("增值服务", "Value-added services"),
    "minimum": Names("月最低消费", "Monthly minimum"),
    "credit": Names("争议退款", "Credits"),
}
CATEGORIES = tuple(CATEGORY_NAMES)
"""Statement categories, in the order a statement lists them."""

UNIT_NAMES = {
    "location-day": Names("库位·日", "location-day"),
    "pallet-day": Names("托·日", "pallet-day"),
    "m³-day": Names("立方米·日", "m³-day"),
    "unit": Names("件", "unit"),
    "carton": Names("箱", "carton"),
    "plan": Names("单", "plan"),
    "order": Names("单", "order"),
    "line": Names("行", "line"),
    "label": Names("张", "label"),
    "count": Names("次", "count"),
    "kit": Names("套", "kit"),
    "photo": Names("张", "photo"),
    "month": Names("月", "month"),
}
"""The charges' units, as a statement line's quantity is counted."""

BILLED_LOCATION_TYPES = ("storage", "pick_face", "quarantine", "inspection")
"""Location types whose occupation is storage; docks, totes, parcels and lanes are work in
progress and are paid for by the handling charges."""
_PLACES = {
    "storage": Names("存储位", "storage"),
    "pick_face": Names("拣货位", "pick face"),
    "quarantine": Names("隔离区", "quarantine"),
    "inspection": Names("查验区", "inspection"),
}
"""Each billed location type as its location-day charge's name says it."""


@dataclass(frozen=True)
class ChargeType:
    code: str
    category: str
    unit: str
    name_zh: str
    name_en: str
    description: str
    scale: int = 1

    @property
    def names(self) -> Names:
        return Names(self.name_zh, self.name_en)


def _types() -> dict[str, ChargeType]:
    kind = ChargeType
    types = [
        *(
            kind(
                f"storage.location_day.{t}",
                "storage",
                "location-day",
                f"库位日（{place.zh}）",
                f"Location-days, {place.en}",
                f"a {t} location used",
            )
            for t in BILLED_LOCATION_TYPES
            for place in [_PLACES[t]]
        ),
        kind(
            "storage.pallet_day",
            "storage",
            "pallet-day",
            "托盘日",
            "Pallet-days",
            "pallets held (units/pallet)",
        ),
        kind(
            "storage.m3_day",
            "storage",
            "m³-day",
            "立方米日",
            "Cubic-metre-days",
            "volume held, from SKU dimensions",
            10**9,
        ),
        kind("inbound.unit", "inbound", "unit", "入库件数", "Units received", "units received"),
        kind(
            "inbound.carton",
            "inbound",
            "carton",
            "入库箱/托（SSCC）",
            "Cartons received (SSCC)",
            "cartons or pallets (SSCC) received",
        ),
        kind(
            "inbound.plan",
            "inbound",
            "plan",
            "入库单",
            "Delivery plans",
            "delivery plans whose receipt closed",
        ),
        kind("putaway.unit", "putaway", "unit", "上架件数", "Units put away", "units put away"),
        kind("outbound.order", "outbound", "order", "出库订单", "Orders packed", "orders packed"),
        kind(
            "outbound.line",
            "outbound",
            "line",
            "出库订单行",
            "Order lines packed",
            "order lines packed",
        ),
        kind("outbound.unit", "outbound", "unit", "出库件数", "Units packed", "units packed"),
        kind(
            "outbound.face_sheet", "outbound", "label", "面单", "Face sheets", "face sheets printed"
        ),
        kind(
            "exception.reprint",
            "exceptions",
            "label",
            "面单重打",
            "Face sheet reprints",
            "face sheets reprinted",
        ),
        kind(
            "exception.return_to_stock",
            "exceptions",
            "order",
            "退回库存",
            "Returns to stock",
            "orders returned to stock",
        ),
        kind(
            "exception.inspection",
            "exceptions",
            "order",
            "送查验",
            "Orders to inspection",
            "orders to the inspection lane",
        ),
        kind(
            "exception.cycle_count",
            "exceptions",
            "count",
            "盘点",
            "Cycle counts",
            "locations counted",
        ),
        kind("service.labelling", "services", "unit", "贴标", "Labelling", "units labelled"),
        kind("service.kitting", "services", "kit", "组套", "Kitting", "kits made"),
        kind("service.photo", "services", "photo", "拍照", "Photos", "photos taken"),
    ]
    return {t.code: t for t in types}


CHARGE_TYPES = _types()
"""The charges a tariff prices."""
SERVICE_CODES = tuple(c for c, t in CHARGE_TYPES.items() if t.category == "services")
MINIMUM_CODE = "minimum.topup"
CREDIT_CODE = "credit.disputed"
NO_RATE_CODES = {
    MINIMUM_CODE: ChargeType(
        MINIMUM_CODE,
        "minimum",
        "month",
        "补足月最低消费",
        "Top-up to the monthly minimum",
        "up to the monthly minimum",
    ),
    CREDIT_CODE: ChargeType(
        CREDIT_CODE,
        "credit",
        "line",
        "争议行退款",
        "Disputed line credited",
        "a disputed line credited",
    ),
}
"""The lines a statement adds itself, which no tariff prices."""


def amount_fen(quantity: int, rate_fen: int, scale: int = 1) -> int:
    """quantity × rate / scale, rounded half up (quantities and rates are never negative)."""
    return (2 * quantity * rate_fen + scale) // (2 * scale)


def charge_type(code: str) -> ChargeType:
    return CHARGE_TYPES.get(code) or NO_RATE_CODES[code]
