"""The charge types a tariff can price, and the one rounding rule.

Money is integer fen. A line's quantity is an integer in the charge's `scale`d unit
(m³-days are counted in mm³-days, so scale 10⁹); its amount is
`quantity × rate_fen / scale`, rounded half up once per line, never per fact. Every other
charge has scale 1 and so is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = (
    "storage",
    "inbound",
    "putaway",
    "outbound",
    "exceptions",
    "services",
    "minimum",
    "credit",
)
"""Statement categories, in the order a statement lists them."""

BILLED_LOCATION_TYPES = ("storage", "pick_face", "quarantine", "inspection")
"""Location types whose occupation is storage; docks, totes, parcels and lanes are work in
progress and are paid for by the handling charges."""


@dataclass(frozen=True)
class ChargeType:
    code: str
    category: str
    unit: str
    description: str
    scale: int = 1


def _types() -> dict[str, ChargeType]:
    types = [
        *(
            ChargeType(
                f"storage.location_day.{t}", "storage", "location-day", f"a {t} location used"
            )
            for t in BILLED_LOCATION_TYPES
        ),
        ChargeType("storage.pallet_day", "storage", "pallet-day", "pallets held (units/pallet)"),
        ChargeType(
            "storage.m3_day", "storage", "m³-day", "volume held, from SKU dimensions", 10**9
        ),
        ChargeType("inbound.unit", "inbound", "unit", "units received"),
        ChargeType("inbound.carton", "inbound", "carton", "cartons or pallets (SSCC) received"),
        ChargeType("inbound.plan", "inbound", "plan", "delivery plans whose receipt closed"),
        ChargeType("putaway.unit", "putaway", "unit", "units put away"),
        ChargeType("outbound.order", "outbound", "order", "orders packed"),
        ChargeType("outbound.line", "outbound", "line", "order lines packed"),
        ChargeType("outbound.unit", "outbound", "unit", "units packed"),
        ChargeType("outbound.face_sheet", "outbound", "label", "face sheets printed"),
        ChargeType("exception.reprint", "exceptions", "label", "face sheets reprinted"),
        ChargeType("exception.return_to_stock", "exceptions", "order", "orders returned to stock"),
        ChargeType("exception.inspection", "exceptions", "order", "orders to the inspection lane"),
        ChargeType("exception.cycle_count", "exceptions", "count", "locations counted"),
        ChargeType("service.labelling", "services", "unit", "units labelled"),
        ChargeType("service.kitting", "services", "kit", "kits made"),
        ChargeType("service.photo", "services", "photo", "photos taken"),
    ]
    return {t.code: t for t in types}


CHARGE_TYPES = _types()
SERVICE_CODES = tuple(c for c, t in CHARGE_TYPES.items() if t.category == "services")
MINIMUM_CODE = "minimum.topup"
CREDIT_CODE = "credit.disputed"
NO_RATE_CODES = {
    MINIMUM_CODE: ChargeType(MINIMUM_CODE, "minimum", "month", "up to the monthly minimum"),
    CREDIT_CODE: ChargeType(CREDIT_CODE, "credit", "line", "a disputed line credited"),
}


def amount_fen(quantity: int, rate_fen: int, scale: int = 1) -> int:
    """quantity × rate / scale, rounded half up (quantities and rates are never negative)."""
    return (2 * quantity * rate_fen + scale) // (2 * scale)


def charge_type(code: str) -> ChargeType:
    return CHARGE_TYPES.get(code) or NO_RATE_CODES[code]
