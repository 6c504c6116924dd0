"""Stock lookup: scan a location or an item (EAN, GS1 with AIM prefix and GS placeholder)."""

from __future__ import annotations

from tests.conftest import Api, seed_basics


def stocked(api: Api) -> None:
    seed_basics(api)
    for body in (
        {
            "kind": "receive",
            "reason": "opening_balance",
            "customer": "C1",
            "sku": "S1",
            "quantity": 12,
            "to_location": "A-1",
            "lot": "L7",
            "expiry": "2027-06-30",
        },
        {
            "kind": "receive",
            "reason": "opening_balance",
            "customer": "C1",
            "sku": "S1",
            "quantity": 5,
            "to_location": "A-2",
            "lot": "L8",
            "expiry": "2027-09-30",
        },
        {
            "kind": "receive",
            "reason": "opening_balance",
            "customer": "C2",
            "sku": "S2",
            "quantity": 4,
            "to_location": "A-3",
        },
    ):
        assert api.post("/api/v1/ledger/movements", json=body).status_code == 200


def lookup(api: Api, code: str) -> object:
    return api.get("/api/v1/stock/lookup", role="picker", params={"code": code})


def test_scan_a_location_shows_its_stock(api: Api) -> None:
    stocked(api)
    answer = lookup(api, "A-1").json()  # type: ignore[attr-defined]
    assert answer["kind"] == "location"
    assert [(r["customer"], r["sku"], r["lot"], r["quantity"]) for r in answer["rows"]] == [
        ("C1", "S1", "L7", 12)
    ]


def test_scan_an_ean_shows_where_it_lies(api: Api) -> None:
    stocked(api)
    answer = lookup(api, "6901234567892").json()  # type: ignore[attr-defined]
    assert answer["kind"] == "sku"
    assert [(r["location"], r["quantity"]) for r in answer["rows"]] == [("A-1", 12), ("A-2", 5)]
    assert answer["total"] == 17


def test_scan_gs1_with_aim_prefix_and_gs_placeholder(api: Api) -> None:
    stocked(api)
    answer = lookup(api, "]C101069012345678921727063010L7~3712").json()  # type: ignore[attr-defined]
    assert answer["kind"] == "sku" and answer["total"] == 17


def test_bad_check_digit_is_a_clear_error(api: Api) -> None:
    stocked(api)
    answer = lookup(api, "6901234567891")
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert answer.json()["error"]["code"] == "BARCODE_INVALID"  # type: ignore[attr-defined]
    assert answer.json()["error"]["details"]["reason"] == "check_digit"  # type: ignore[attr-defined]


def test_unknown_code(api: Api) -> None:
    stocked(api)
    answer = lookup(api, "ZZ-404")
    assert answer.status_code == 404  # type: ignore[attr-defined]
    assert answer.json()["error"]["code"] == "CODE_NOT_FOUND"  # type: ignore[attr-defined]


def test_sku_code_works_too(api: Api) -> None:
    stocked(api)
    assert lookup(api, "S2").json()["rows"][0]["location"] == "A-3"  # type: ignore[attr-defined]


def test_a_typed_location_code_in_lower_case_is_found(api: Api) -> None:
    stocked(api)
    answer = lookup(api, "a-1").json()  # type: ignore[attr-defined]
    assert (answer["kind"], answer["total"]) == ("location", 12)
