"""One JSON error shape with stable codes; bad input is a 4xx and changes nothing."""

from __future__ import annotations

import pytest

from tests.conftest import Api, seed_basics, table_counts


def assert_error(answer: object, status: int, code: str) -> dict[str, object]:
    assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


BAD_BODIES = [
    ("unknown field", {"json": {"code": "C9", "name": "x", "colour": "red"}}, 400, "UNKNOWN_FIELD"),
    ("wrong type", {"json": {"code": "C9", "name": 5}}, 400, "VALIDATION_FAILED"),
    ("missing field", {"json": {"code": "C9"}}, 400, "VALIDATION_FAILED"),
    ("bad code pattern", {"json": {"code": "C 9!", "name": "x"}}, 400, "VALIDATION_FAILED"),
    (
        "malformed JSON",
        {"content": b'{"code": "C9",', "headers": {"content-type": "application/json"}},
        400,
        "MALFORMED_JSON",
    ),
    ("not an object", {"json": ["C9"]}, 400, "VALIDATION_FAILED"),
]


@pytest.mark.parametrize(
    ("case", "request_kw", "status", "code"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES]
)
def test_bad_bodies_get_a_coded_4xx_and_change_nothing(
    api: Api, case: str, request_kw: dict, status: int, code: str
) -> None:
    api.token("supervisor")
    before = table_counts(api.db)
    answer = api.post("/api/v1/customers", **request_kw)
    assert_error(answer, status, code)
    assert table_counts(api.db) == before


def test_validation_errors_name_the_field(api: Api) -> None:
    error = assert_error(
        api.post("/api/v1/customers", json={"code": "C9", "name": 5}), 400, "VALIDATION_FAILED"
    )
    assert error["details"]["problems"][0]["field"] == "name"  # type: ignore[index]


def test_oversized_body_is_refused(api: Api) -> None:
    size = api.settings.server.max_body_bytes + 1
    answer = api.post("/api/v1/import/skus?format=csv", content=b"x" * size)
    assert_error(answer, 413, "PAYLOAD_TOO_LARGE")


def test_unknown_route_and_method(api: Api) -> None:
    assert_error(api.get("/api/v1/nowhere"), 404, "NOT_FOUND")
    assert_error(
        api.client.delete("/api/v1/customers", headers=api.headers("admin")),
        405,
        "METHOD_NOT_ALLOWED",
    )


def test_missing_or_bad_idempotency_key(api: Api) -> None:
    assert_error(
        api.post("/api/v1/customers", key=None, json={"code": "C9", "name": "x"}),
        400,
        "IDEMPOTENCY_KEY_REQUIRED",
    )
    assert_error(
        api.post("/api/v1/customers", key="k" * 200, json={"code": "C9", "name": "x"}),
        400,
        "IDEMPOTENCY_KEY_INVALID",
    )
    assert table_counts(api.db)["customers"] == 0


def test_bad_query_parameters(api: Api) -> None:
    assert_error(api.get("/api/v1/skus", params={"limit": "many"}), 400, "VALIDATION_FAILED")
    assert_error(api.get("/api/v1/skus", params={"limit": 100000}), 400, "VALIDATION_FAILED")
    assert_error(api.get("/api/v1/stock/lookup"), 400, "VALIDATION_FAILED")


def test_not_found_has_its_own_code(api: Api) -> None:
    assert_error(api.get("/api/v1/customers/NOPE"), 404, "CUSTOMER_NOT_FOUND")
    assert_error(api.get("/api/v1/locations/NOPE"), 404, "LOCATION_NOT_FOUND")


def test_domain_refusals_change_nothing(api: Api) -> None:
    seed_basics(api)
    before = table_counts(api.db)
    answer = api.post(
        "/api/v1/ledger/movements",
        json={
            "kind": "adjust",
            "reason": "lost",
            "customer": "C1",
            "sku": "S1",
            "quantity": 1,
            "from_location": "A-1",
        },
    )
    assert_error(answer, 422, "INSUFFICIENT_STOCK")
    answer = api.post(
        "/api/v1/ledger/movements",
        json={
            "kind": "receive",
            "reason": "opening_balance",
            "customer": "C1",
            "sku": "S1",
            "quantity": 1,
            "to_location": "NOWHERE",
        },
    )
    assert_error(answer, 404, "LOCATION_NOT_FOUND")
    assert table_counts(api.db) == before


def test_garbage_never_gets_a_500(api: Api) -> None:
    seed_basics(api)
    paths = [
        "/api/v1/customers",
        "/api/v1/skus",
        "/api/v1/locations",
        "/api/v1/ledger/movements",
        "/api/v1/users",
        "/api/v1/auth/login",
        "/api/v1/import/skus",
        "/api/v1/import/nothing",
    ]
    bodies = [
        b"",
        b"null",
        b"[]",
        b"{}",
        b'{"a":',
        b"\xff\xfe",
        b'"x"',
        b"1e999",
        b'{"kind":"receive","quantity":-1}',
    ]
    for path in paths:
        for body in bodies:
            answer = api.post(
                path, role="admin", content=body, headers={"content-type": "application/json"}
            )
            assert 400 <= answer.status_code < 500, (path, body, answer.status_code, answer.text)
            assert "error" in answer.json()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/customers", {"code": "C9\n", "name": "x"}),
        ("/api/v1/customers", {"code": "C9", "name": "bad\x00name"}),
        ("/api/v1/skus", {"customer": "C1", "code": "S9", "name": "x", "hs_code": "٣٣٠٤٩٩"}),
        (
            "/api/v1/ledger/movements",
            {
                "kind": "receive",
                "reason": "opening_balance",
                "customer": "C1",
                "sku": "S1",
                "quantity": 1,
                "to_location": "A-1",
                "expiry": "2027-02-30",
            },
        ),
        (
            "/api/v1/ledger/movements",
            {
                "kind": "receive",
                "reason": "opening_balance",
                "customer": "C1",
                "sku": "S1",
                "quantity": 1,
                "to_location": "A-1",
                "expiry": "2027-01-01\n",
            },
        ),
        ("/api/v1/locations", {"code": "Z-1", "zone": "Z", "type": "storage", "capacity": 2**63}),
    ],
    ids=[
        "code-newline",
        "name-nul",
        "hs-code-arabic-digits",
        "expiry-no-such-day",
        "expiry-newline",
        "capacity-huge",
    ],
)
def test_values_that_only_look_right_are_refused(api: Api, path: str, body: dict) -> None:
    seed_basics(api)
    before = table_counts(api.db)
    assert_error(api.post(path, json=body), 400, "VALIDATION_FAILED")
    assert table_counts(api.db) == before


def test_a_pin_of_non_ascii_digits_is_refused(api: Api) -> None:
    answer = api.post(
        "/api/v1/users",
        role="admin",
        json={"code": "u1", "name": "U", "roles": ["picker"], "pin": "²³¹²"},
    )
    assert_error(answer, 400, "PIN_INVALID")


def test_search_wildcards_are_taken_literally(api: Api) -> None:
    seed_basics(api)
    assert api.get("/api/v1/skus", params={"q": "%"}).json() == []
    assert [s["code"] for s in api.get("/api/v1/skus", params={"q": "S"}).json()] == ["S1", "S2"]
    assert_error(api.get("/api/v1/skus", params={"q": "x" * 65}), 400, "VALIDATION_FAILED")


def test_options_tells_the_methods_and_nothing_else(api: Api) -> None:
    answer = api.client.options("/api/v1/customers")
    assert answer.status_code == 204
    assert {"GET", "OPTIONS"} <= set(answer.headers["allow"].split(", "))
    assert answer.content == b""


def test_unknown_schema_page_has_the_error_shape(api: Api) -> None:
    assert_error(api.client.get("/schema/nothing-here"), 404, "NOT_FOUND")
