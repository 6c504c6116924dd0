"""Master data through the API: upserts, CSV/JSON imports that are all-or-nothing."""

from __future__ import annotations

import msgspec
import pytest

from server.commands import request_fingerprint
from server.imports import body_digest
from server.masterdata import service as masterdata_service
from tests.conftest import Api, seed_basics, table_counts

SKU_CSV = (
    "customer,code,name,barcodes,unit,weight_g,lot_tracked,expiry_tracked,shelf_life_days\n"
    "C1,S10,Face cream,4710000000103|04710000000103,EA,120,true,true,720\n"
    "C1,S11,Soap,4710000000202,EA,90,false,false,\n"
)


def post_import(api: Api, kind: str, body: bytes, fmt: str, key: str | None = "auto") -> object:
    return api.post(f"/api/v1/import/{kind}?format={fmt}", key=key, content=body)


def test_customer_upsert_is_create_or_update(api: Api) -> None:
    assert api.post("/api/v1/customers", json={"code": "C1", "name": "One"}).status_code == 200
    api.post(
        "/api/v1/customers",
        json={"code": "C1", "name": "One Ltd", "customs_book_no": "T5165W000101"},
    )
    got = api.get("/api/v1/customers/C1").json()
    assert (got["name"], got["customs_book_no"]) == ("One Ltd", "T5165W000101")
    assert len(api.get("/api/v1/customers").json()) == 1


def test_sku_with_several_barcodes(api: Api) -> None:
    seed_basics(api)
    sku = {
        "customer": "C1",
        "code": "S9",
        "name": "Cream",
        "barcodes": ["6920000000012", "6920000000029"],
        "customs_record_no": "GJ001",
        "hs_code": "3304990099",
        "expiry_tracked": True,
        "shelf_life_days": 730,
    }
    assert api.post("/api/v1/skus", json=sku).status_code == 200
    got = api.get("/api/v1/skus/C1/S9").json()
    assert got["barcodes"] == ["6920000000012", "6920000000029"]
    assert got["lot_tracked"] is True  # expiry tracking implies lot tracking


def test_sku_barcode_with_bad_check_digit_is_refused(api: Api) -> None:
    seed_basics(api)
    answer = api.post(
        "/api/v1/skus",
        json={"customer": "C1", "code": "S9", "name": "x", "barcodes": ["6920000000013"]},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "BARCODE_INVALID"


def test_an_expiry_tracked_sku_without_its_shelf_life_is_refused_by_its_own_code(
    api: Api,
) -> None:
    seed_basics(api)
    before = table_counts(api.db)
    answer = api.post(
        "/api/v1/skus",
        json={"customer": "C1", "code": "S9", "name": "x", "expiry_tracked": True},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "SHELF_LIFE_REQUIRED"
    assert answer.json()["error"]["details"] == {"field": "shelf_life_days"}
    assert table_counts(api.db) == before


def test_a_barcode_belongs_to_one_sku_per_customer(api: Api) -> None:
    seed_basics(api)
    answer = api.post(
        "/api/v1/skus",
        json={"customer": "C1", "code": "S9", "name": "x", "barcodes": ["6901234567892"]},
    )
    assert answer.json()["error"]["code"] == "BARCODE_IN_USE"
    # another customer may sell the same product under the same GTIN
    other = api.post(
        "/api/v1/skus",
        json={"customer": "C2", "code": "S9", "name": "x", "barcodes": ["6901234567892"]},
    )
    assert other.status_code == 200


def test_csv_import_creates_and_updates(api: Api) -> None:
    seed_basics(api)
    answer = post_import(api, "skus", SKU_CSV.encode(), "csv")
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    assert answer.json() == {"kind": "skus", "rows": 2, "created": 2, "updated": 0, "unchanged": 0}  # type: ignore[attr-defined]
    again = post_import(api, "skus", SKU_CSV.replace("Soap", "Soap bar").encode(), "csv")
    assert again.json() == {"kind": "skus", "rows": 2, "created": 0, "updated": 1, "unchanged": 1}  # type: ignore[attr-defined]
    assert api.get("/api/v1/skus/C1/S11").json()["name"] == "Soap bar"


def test_a_reimport_of_the_same_rows_reports_them_unchanged(api: Api) -> None:
    seed_basics(api)
    post_import(api, "skus", SKU_CSV.encode(), "csv")
    # The same rows in another order, with the barcodes listed the other way round.
    lines = SKU_CSV.splitlines()
    swapped = (
        "\n".join(
            [
                lines[0],
                lines[2],
                lines[1].replace("4710000000103|04710000000103", "04710000000103|4710000000103"),
            ]
        )
        + "\n"
    )
    again = post_import(api, "skus", swapped.encode(), "csv").json()  # type: ignore[attr-defined]
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    moved = post_import(api, "skus", SKU_CSV.replace("|04710000000103", "").encode(), "csv")
    assert moved.json()["updated"] == 1 and moved.json()["unchanged"] == 1  # type: ignore[attr-defined]
    locations = b"code,zone,type\nZ-1,Z,storage\nZ-2,Z,storage\n"
    post_import(api, "locations", locations, "csv")
    assert post_import(api, "locations", locations, "csv").json()["unchanged"] == 2  # type: ignore[attr-defined]
    customers = b"code,name\nC1,Customer One\n"
    post_import(api, "customers", customers, "csv")
    assert post_import(api, "customers", customers, "csv").json()["unchanged"] == 1  # type: ignore[attr-defined]


def test_a_barcode_excel_made_a_number_or_all_zeros_is_refused_on_every_route(api: Api) -> None:
    seed_basics(api)
    for barcode, reason, says in (
        ("4.89E+12", "scientific", "format the column as Text"),
        ("0000000000000", "all_zeros", "only zeros"),
        ("6901234567892;4710000000202", "separator", "separate barcodes with |"),
    ):
        answer = api.post(
            "/api/v1/skus",
            json={"customer": "C1", "code": "S9", "name": "x", "barcodes": [barcode]},
        )
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert (error["code"], error["details"]["reason"]) == ("BARCODE_INVALID", reason)
        assert says in error["message"]
        csv_body = f"customer,code,name,barcodes\nC1,S9,x,{barcode}\n".encode()
        refused = post_import(api, "skus", csv_body, "csv").json()  # type: ignore[attr-defined]
        problem = refused["error"]["details"]["problems"][0]
        assert (problem["line"], problem["field"]) == (2, "barcodes")
        assert says in problem["message"]
    assert api.get("/api/v1/skus/C1/S9").status_code == 404


def test_a_gbk_file_gets_the_how_to_in_the_answer(api: Api) -> None:
    seed_basics(api)
    body = "customer,code,name\nC1,S9,洗发水\n".encode("gbk")
    error = post_import(api, "skus", body, "csv").json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "IMPORT_NOT_UTF8" and "GBK/GB18030" in error["message"]
    assert error["details"]["reason"] == "gb18030"
    assert "CSV UTF-8 (逗号分隔)" in error["details"]["how_to_fix"]


def test_bad_rows_are_all_reported_by_line_and_nothing_is_imported(api: Api) -> None:
    seed_basics(api)
    bad = SKU_CSV + (
        "C1,S12,Lotion,6901234567891,EA,100,false,false,\n"  # line 4: check digit
        "C9,S13,Mask,,EA,50,false,false,\n"  # line 5: unknown customer
        "C1,S14,Gel,,EA,heavy,false,false,\n"  # line 6: weight not a number
        "C1,S10,Dup,,EA,1,false,false,\n"  # line 7: duplicate of line 2
        "C1,S15,Tonic,,EA,1,false,true,\n"  # line 8: expiry tracked without shelf life
    )
    before = table_counts(api.db)
    answer = post_import(api, "skus", bad.encode(), "csv")
    assert answer.status_code == 400  # type: ignore[attr-defined]
    error = answer.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "IMPORT_REJECTED"
    problems = [(p["line"], p["field"]) for p in error["details"]["problems"]]
    assert problems == [
        (4, "barcodes"),
        (5, "customer"),
        (6, "weight_g"),
        (7, "code"),
        (8, "shelf_life_days"),
    ]
    assert table_counts(api.db)["skus"] == before["skus"]
    assert table_counts(api.db)["commands"] == before["commands"]


def test_json_import_reports_rows(api: Api) -> None:
    rows = [
        {"code": "Z-1", "zone": "Z", "type": "storage"},
        {"code": "Z-2", "zone": "Z", "type": "freezer"},
    ]
    answer = post_import(api, "locations", msgspec.json.encode(rows), "json")
    problems = answer.json()["error"]["details"]["problems"]  # type: ignore[attr-defined]
    assert [(p["line"], p["field"]) for p in problems] == [(2, "type")]
    assert api.get("/api/v1/locations").json() == []


def test_import_replay_returns_the_first_result(api: Api) -> None:
    seed_basics(api)
    first = post_import(api, "skus", SKU_CSV.encode(), "csv", key="imp-1").json()  # type: ignore[attr-defined]
    again = post_import(api, "skus", SKU_CSV.encode(), "csv", key="imp-1").json()  # type: ignore[attr-defined]
    assert again == first
    other_file = post_import(api, "skus", SKU_CSV.replace("Soap", "x").encode(), "csv", key="imp-1")
    assert other_file.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"  # type: ignore[attr-defined]


def test_unknown_import_kind_and_empty_files(api: Api) -> None:
    assert post_import(api, "pallets", b"x", "csv").json()["error"]["code"] == "IMPORT_KIND_UNKNOWN"  # type: ignore[attr-defined]
    assert (
        post_import(api, "locations", b"code,zone,type\n", "csv").json()["error"]["code"]
        == "IMPORT_EMPTY"
    )  # type: ignore[attr-defined]
    assert (
        post_import(api, "locations", b"\xff\xfe", "csv").json()["error"]["code"]
        == "IMPORT_NOT_UTF8"
    )  # type: ignore[attr-defined]


def test_large_import_in_one_go(api: Api) -> None:
    seed_basics(api)
    lines = ["code,zone,type,pick_sequence,customer"] + [
        f"B-{i:05d},B,storage,{i},C1" for i in range(20_000)
    ]
    answer = post_import(api, "locations", "\n".join(lines).encode(), "csv")
    assert answer.json()["rows"] == 20_000  # type: ignore[attr-defined]
    page = api.get("/api/v1/locations", params={"prefix": "B-0001", "limit": 5}).json()
    assert [p["code"] for p in page] == ["B-00010", "B-00011", "B-00012", "B-00013", "B-00014"]


def test_location_cannot_be_assigned_away_from_goods_it_holds(api: Api) -> None:
    seed_basics(api)
    api.post(
        "/api/v1/ledger/movements",
        json={
            "kind": "receive",
            "reason": "opening_balance",
            "customer": "C1",
            "sku": "S1",
            "quantity": 3,
            "to_location": "A-1",
        },
    )
    answer = api.post(
        "/api/v1/locations", json={"code": "A-1", "zone": "A", "type": "storage", "customer": "C2"}
    )
    assert answer.json()["error"]["code"] == "LOCATION_OTHER_CUSTOMER"


def test_an_import_giving_a_used_barcode_to_another_sku_names_the_line(api: Api) -> None:
    seed_basics(api)  # S1 of C1 has 6901234567892
    body = b"customer,code,name,barcodes\nC1,S20,New,4710000000202\nC1,S21,Clash,6901234567892\n"
    problems = post_import(api, "skus", body, "csv").json()["error"]["details"]["problems"]  # type: ignore[attr-defined]
    assert problems == [
        {"line": 3, "field": "barcodes", "message": "6901234567892 belongs to SKU S1"}
    ]
    # moving a barcode between two SKUs in the same file is fine
    swap = b"customer,code,name,barcodes\nC1,S21,Gel,6901234567892\nC1,S1,Soap,4710000000202\n"
    assert post_import(api, "skus", swap, "csv").status_code == 200  # type: ignore[attr-defined]
    assert api.get("/api/v1/skus/C1/S21").json()["barcodes"] == ["6901234567892"]


def test_an_import_key_stored_before_the_upgrade_replays_when_the_file_is_sent_again(
    api: Api,
) -> None:
    """An older release stored the format as read (from the content type when the query
    had none): the OMS re-sending that file with that key after an upgrade gets the first
    answer, not IDEMPOTENCY_KEY_REUSED."""
    seed_basics(api)
    key = "oms-import-7"
    oms = api.headers("oms", key)
    old_fingerprint = request_fingerprint(
        "import.skus",
        ["oms:oms-token", {"kind": "skus", "format": "csv", "body": body_digest(SKU_CSV.encode())}],
    )
    first = {"kind": "skus", "rows": 2, "created": 2, "updated": 0, "unchanged": 0}
    api.db._write(
        lambda conn: conn.execute(
            "INSERT INTO commands (key, name, request_hash, result, actor, at) "
            "VALUES (?, 'import.skus', ?, ?, 'oms:oms-token', '2026-11-30T08:00:00.000+00:00')",
            (key, old_fingerprint, msgspec.json.encode(first).decode()),
        )
    )
    again = api.client.post(
        "/api/v1/import/skus", content=SKU_CSV.encode(), headers={**oms, "Content-Type": "text/csv"}
    )
    assert again.status_code == 200, again.text
    assert again.json() == first
    with_query = api.client.post("/api/v1/import/skus?format=csv", content=SKU_CSV, headers=oms)
    assert with_query.json() == first  # the same file in the same format: the same request


BAD_DIMENSIONS = [
    ("length_mm", -1, "Expected `int` >= 1"),
    ("width_mm", 0, "Expected `int` >= 1"),
    ("height_mm", 100_000, "Expected `int` <= 10000"),  # a 100 m SKU
    ("units_per_pallet", 100_001, "Expected `int` <= 100000"),
    ("length_mm", 1.5, "Expected `int | null`, got `float`"),
    ("width_mm", "120", "Expected `int | null`, got `str`"),
]


def test_sku_dimensions_outside_the_sane_range_are_refused_by_the_api_naming_the_field(
    api: Api,
) -> None:
    seed_basics(api)
    before = api.get("/api/v1/skus/C1/S1").json()
    for column, value, message in BAD_DIMENSIONS:
        sku = {"customer": "C1", "code": "S1", "name": "Soap", column: value}
        answer = api.post("/api/v1/skus", json=sku)
        assert answer.status_code == 400, (column, value)
        error = answer.json()["error"]
        assert error["code"] == "VALIDATION_FAILED"
        assert error["details"]["problems"] == [{"field": column, "message": message}]
    assert api.get("/api/v1/skus/C1/S1").json() == before  # nothing changed
    sane = {"length_mm": 10_000, "width_mm": 1, "height_mm": 250, "units_per_pallet": 100_000}
    answer = api.post("/api/v1/skus", json={"customer": "C1", "code": "S1", "name": "Soap", **sane})
    assert answer.status_code == 200, answer.text
    assert {k: answer.json()[k] for k in sane} == sane


def test_an_import_with_bad_sku_dimensions_names_each_row_and_column_and_writes_nothing(
    api: Api,
) -> None:
    seed_basics(api)
    columns = "customer,code,name,length_mm,width_mm,height_mm,units_per_pallet\n"
    body = (
        columns
        + "C1,S40,Fine,300,200,100,48\n"
        + "C1,S41,Long,100000,200,100,48\n"  # 100 m
        + "C1,S42,Flat,300,0,100,48\n"
        + "C1,S43,Negative,300,200,-5,48\n"
        + "C1,S44,Half,300,200,100,2.5\n"
        + "C1,S45,Words,300,two hundred,100,\n"
        + "C1,S46,Crowded,300,200,100,1000000\n"
    ).encode()
    answer = post_import(api, "skus", body, "csv")
    error = answer.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "IMPORT_REJECTED"
    assert [(p["line"], p["field"]) for p in error["details"]["problems"]] == [
        (3, "length_mm"),
        (4, "width_mm"),
        (5, "height_mm"),
        (6, "units_per_pallet"),
        (7, "width_mm"),
        (8, "units_per_pallet"),
    ]
    assert api.get("/api/v1/skus/C1/S40").status_code == 404
    json_rows = [{"customer": "C1", "code": "S47", "name": "Tall", "height_mm": 20_000}]
    refused = post_import(api, "skus", msgspec.json.encode(json_rows), "json")
    assert refused.json()["error"]["details"]["problems"] == [  # type: ignore[attr-defined]
        {"line": 1, "field": "height_mm", "message": "Expected `int` <= 10000"}
    ]


def test_a_sku_stored_with_a_size_from_before_the_range_still_reads(api: Api) -> None:
    seed_basics(api)
    api.db._write(lambda conn: conn.execute("UPDATE skus SET length_mm = 50000 WHERE code = 'S1'"))
    answer = api.get("/api/v1/skus/C1/S1")
    assert answer.status_code == 200, answer.text
    assert answer.json()["length_mm"] == 50_000


def test_a_replayed_import_answers_its_stored_summary_without_parsing_the_file_again(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_basics(api)
    first = post_import(api, "skus", SKU_CSV.encode(), "csv", key="import-once")
    assert first.status_code == 200, first.text  # type: ignore[attr-defined]

    def parsed_again(*_args: object, **_kw: object) -> object:
        raise AssertionError("a replay of a finished import parsed its file again")

    monkeypatch.setattr(masterdata_service, "parse_import", parsed_again)
    again = post_import(api, "skus", SKU_CSV.encode(), "csv", key="import-once")
    assert again.json() == first.json()  # type: ignore[attr-defined]
