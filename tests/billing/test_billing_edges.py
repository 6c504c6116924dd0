"""Billing at its edges, as a careless supervisor, a buggy client and the owner's accountant
meet it: absurd rates, bad days, work that was never done, a line credited twice."""

from __future__ import annotations

from datetime import UTC, datetime

from server import clock
from tests.conftest import Api, seed_basics

IN_MARCH = datetime(2025, 3, 10, 2, tzinfo=UTC)


def _tariff(api: Api, rates: dict[str, int], **more: object) -> None:
    answer = api.post(
        "/api/v1/billing/tariffs",
        json={
            "effective_from": "2025-01-01",
            "reason": "contract",
            "rates": [{"charge_code": c, "rate_fen": r} for c, r in rates.items()],
            **more,
        },
    )
    assert answer.status_code == 200, answer.text


def _service(api: Api, quantity: int, code: str = "service.photo") -> None:
    with clock.use(clock.ManualClock(IN_MARCH)):
        answer = api.post(
            "/api/v1/billing/services",
            json={"customer": "C1", "charge_code": code, "quantity": quantity},
        )
    assert answer.status_code == 200, answer.text


def test_an_amount_past_what_a_bill_holds_is_refused_with_a_code_and_nothing_stored(
    api: Api,
) -> None:
    seed_basics(api)
    _tariff(api, {"service.photo": 10**12})  # the largest rate the API takes
    _service(api, 10_000_000)  # the largest quantity: 10^19 fen, past SQLite's 64 bits

    preview = api.get("/api/v1/billing/preview", params={"period": "2025-03", "customer": "C1"})
    assert preview.status_code == 422, preview.text
    assert preview.json()["error"]["details"] == {
        "customer": "C1",
        "charge_code": "service.photo",
        "day": "2025-03-10",
    }
    closed = api.post("/api/v1/billing/periods/2025-03/close")
    assert closed.status_code == 422, closed.text
    assert closed.json()["error"]["code"] == "BILLING_AMOUNT_TOO_LARGE"
    assert api.get("/api/v1/billing/periods").json() == []
    assert api.get("/api/v1/billing/statements").json() == []


def test_a_statement_whose_lines_sum_past_what_a_page_shows_exactly_is_refused(api: Api) -> None:
    seed_basics(api)
    # Each line fits; their sum is past 2^53 fen, where a browser's numbers stop being exact.
    _tariff(api, {"service.photo": 10**12, "service.kitting": 10**12})
    _service(api, 5_000, "service.photo")
    _service(api, 5_000, "service.kitting")
    preview = api.get("/api/v1/billing/preview", params={"period": "2025-03", "customer": "C1"})
    assert preview.json()["error"]["code"] == "BILLING_AMOUNT_TOO_LARGE", preview.text


def test_a_tariff_day_that_is_no_day_is_named_in_the_refusal(api: Api) -> None:
    seed_basics(api)
    answer = api.post(
        "/api/v1/billing/tariffs",
        json={"effective_from": "2025-02-30", "reason": "x", "rates": []},
    )
    assert answer.json()["error"] == {
        "code": "BILLING_DAY_INVALID",
        "message": "2025-02-30 is not a day (YYYY-MM-DD)",
        "details": {"day": "2025-02-30"},
    }
