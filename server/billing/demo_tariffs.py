"""The demo warehouse's tariffs: a site default and one per demo customer (rates in fen),
in force since 2020 so every demo period is priced."""

from __future__ import annotations

from server.billing.schemas import RateIn, TariffSet

SINCE = "2020-01-01"

DEFAULT_RATES = {
    "storage.location_day.storage": 150,
    "storage.location_day.pick_face": 200,
    "storage.location_day.quarantine": 150,
    "storage.location_day.inspection": 150,
    "inbound.unit": 20,
    "inbound.carton": 300,
    "inbound.plan": 5000,
    "putaway.unit": 10,
    "outbound.order": 150,
    "outbound.line": 50,
    "outbound.unit": 20,
    "outbound.face_sheet": 30,
    "exception.reprint": 50,
    "exception.return_to_stock": 300,
    "exception.inspection": 500,
    "exception.cycle_count": 800,
    "service.labelling": 30,
    "service.kitting": 200,
    "service.photo": 100,
}

# Each demo customer's contract differs from the default in a few rates and its minimum.
CUSTOMER_TERMS = {
    "HKBEAUTY": (300_000, {"storage.m3_day": 1_500, "outbound.order": 120}),
    "AUNUTRI": (500_000, {"storage.pallet_day": 600, "inbound.unit": 15}),
    "JPHOME": (200_000, {"outbound.unit": 15, "service.photo": 80}),
}


def demo_tariffs() -> list[TariffSet]:
    def version(customer: str, minimum: int, rates: dict[str, int]) -> TariffSet:
        return TariffSet(
            customer=customer,
            effective_from=SINCE,
            minimum_fen=minimum,
            rates=[RateIn(charge_code=c, rate_fen=r) for c, r in sorted(rates.items())],
            reason="demo contract",
        )

    versions = [version("", 0, DEFAULT_RATES)]
    for code, (minimum, changes) in CUSTOMER_TERMS.items():
        versions.append(version(code, minimum, {**DEFAULT_RATES, **changes}))
    return versions
