"""Import files read and checked without a server: the column reference, the header, the
names of columns in problems, encodings and the barcode rules every route shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from server.errors import InvalidInput
from server.import_reference import BY_NAME, KINDS, render_markdown
from server.imports import ImportRejected, count_rows
from server.inbound import plan_import
from server.masterdata import service
from server.masterdata.service import IMPORT_KINDS, parse_import
from server.outbound import order_import

DOCS = Path(__file__).parents[1] / "docs" / "imports.md"
PLAN_HEAD = "customer,plan_no,transport_mode,container_no,sku,expected_qty\n"
ORDER_HEAD = (
    "customer,order_no,courier,waybill_no,sort_code,recipient_name,recipient_phone,"
    "recipient_address,sender_name,sender_phone,sender_address,sku,quantity\n"
)


def parse(kind: str, body: bytes, fmt: str = "csv") -> Any:
    if kind == "plans":
        return plan_import.parse_plan_import(body, fmt)
    if kind == "orders":
        return order_import.parse_order_import(body, fmt)
    return parse_import(kind, body, fmt, {"C1"})


def problems(kind: str, body: bytes, fmt: str = "csv") -> list[tuple[int, str, str]]:
    with pytest.raises(ImportRejected) as refused:
        parse(kind, body, fmt)
    return [(p["line"], p["field"], p["message"]) for p in refused.value.details["problems"]]


def test_docs_imports_md_is_rendered_from_the_code() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), (
        "docs/imports.md is out of date: run `python -m server.import_reference > docs/imports.md`"
    )


def test_the_reference_lists_exactly_the_columns_each_importer_takes() -> None:
    taken = {kind: tuple(struct.__struct_fields__) for kind, struct in IMPORT_KINDS.items()}
    taken |= {"plans": plan_import.KNOWN_COLUMNS, "orders": order_import.KNOWN_COLUMNS}
    assert {k.name: {c.name for c in k.columns} for k in KINDS} == {
        kind: set(columns) for kind, columns in taken.items()
    }
    skus = {c.name: c for c in BY_NAME["skus"].columns}
    assert (skus["code"].required, skus["barcodes"].required) == ("yes", "no")
    assert "separated by `|`" in skus["barcodes"].allowed
    plans = {c.name: c for c in BY_NAME["plans"].columns}
    assert plans["transport_mode"].allowed == "`sea`, `land`, `air`"
    assert plans["container_no"].required == "when transport_mode is `sea`"
    locations = {c.name: c for c in BY_NAME["locations"].columns}
    assert "`storage`" in locations["type"].allowed and "`parcel`" not in locations["type"].allowed


@pytest.mark.parametrize("kind", [k.name for k in KINDS])
def test_every_example_in_the_reference_is_accepted_by_its_importer(kind: str) -> None:
    parse(kind, BY_NAME[kind].example.encode())


def test_a_plan_problem_names_transport_mode_as_the_file_does() -> None:
    body = PLAN_HEAD + "C1,P1,boat,MSKU1234565,S1,1\n"
    ((line, field, message),) = problems("plans", body.encode())
    assert (line, field) == (2, "transport_mode")
    assert "sea, land, air" in message
    missing = "customer,plan_no,sku,expected_qty\nC1,P1,S1,1\n"
    assert problems("plans", missing.encode()) == [
        (2, "transport_mode", "required column is missing or empty")
    ]


def test_an_order_problem_names_the_party_column_as_the_file_does() -> None:
    body = ORDER_HEAD + "C1,O1,SF,SF1400000001,755,张三,call me,某路1号,DC,075512345,仓库,S1,1\n"
    assert [(line, field) for line, field, _ in problems("orders", body.encode())] == [
        (2, "recipient_phone")
    ]
    no_address = ORDER_HEAD.replace(",recipient_address", "")
    body = no_address + "C1,O1,SF,SF1400000001,755,张三,13800138000,DC,075512345,仓库,S1,1\n"
    assert [(line, field) for line, field, _ in problems("orders", body.encode())] == [
        (2, "recipient_address")
    ]


@pytest.mark.parametrize(
    ("kind", "header", "row"),
    [
        ("skus", "customer,code,name", "C1,S1,Soap"),
        ("plans", PLAN_HEAD.strip(), "C1,P1,sea,MSKU1234565,S1,1"),
        (
            "orders",
            ORDER_HEAD.strip(),
            "C1,O1,SF,SF1400000001,755,张三,13800138000,某路,DC,0755123,仓库,S1,1",
        ),
    ],
)
def test_every_unknown_column_is_reported_once_against_the_header(
    kind: str, header: str, row: str
) -> None:
    body = f"{header},colour,Barcode\n{row},red,x\n{row},blue,y\n"
    found = problems(kind, body.encode())
    assert [(line, field) for line, field, _ in found] == [(1, "colour"), (1, "Barcode")]
    assert all(message.startswith("unknown column; the") for *_, message in found)
    assert all(c.name in found[0][2] for c in BY_NAME[kind].columns)


def test_a_gbk_file_is_told_it_looks_like_gbk_and_how_to_save_it_as_utf8() -> None:
    body = "customer,code,name\nC1,S1,洗发水\n".encode("gbk")
    with pytest.raises(InvalidInput) as refused:
        parse("skus", body)
    assert refused.value.code == "IMPORT_NOT_UTF8"
    assert "GBK/GB18030" in refused.value.message
    assert "CSV UTF-8 (逗号分隔)" in refused.value.message
    assert refused.value.details["reason"] == "gb18030"
    assert "CSV UTF-8 (逗号分隔)" in refused.value.details["how_to_fix"]
    with pytest.raises(InvalidInput) as latin:
        parse("skus", "customer,code,name\nC1,S1,Crème\n".encode("latin-1"))
    assert "reason" not in latin.value.details and "how_to_fix" in latin.value.details


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        ("6901234567892;4710000000202", "separate barcodes with |"),
        ('"6901234567892,4710000000202"', "separate barcodes with |"),
        ("6901234567892 4710000000202", "separate barcodes with |"),
        ('"6,90123E+12"', "Excel turned the barcode into a number; format the column as Text"),
        ("4.89E+12", "Excel turned the barcode into a number; format the column as Text"),
        ("0000000000000", "only zeros"),
        ("00000000", "only zeros"),
    ],
)
def test_a_damaged_barcode_cell_is_refused_with_what_to_do(cell: str, says: str) -> None:
    body = f"customer,code,name,barcodes\nC1,S1,Soap,{cell}\n"
    ((line, field, message),) = problems("skus", body.encode())
    assert (line, field) == (2, "barcodes") and says in message


def test_the_same_barcode_rules_hold_for_json_imports() -> None:
    rows = [{"customer": "C1", "code": "S1", "name": "Soap", "barcodes": ["4.89E+12"]}]
    ((line, field, message),) = problems("skus", msgspec.json.encode(rows), "json")
    assert (line, field) == (1, "barcodes") and "format the column as Text" in message


def test_barcodes_separated_by_the_documented_separator_are_taken() -> None:
    body = b"customer,code,name,barcodes\nC1,S1,Soap,6901234567892|4710000000202\n"
    assert parse("skus", body).rows[0].barcodes == ["6901234567892", "4710000000202"]


def test_rows_are_counted_not_lines() -> None:
    body = b'code,name\nC1,"Acme\nCosmetics"\n\nC2,Beta\nC3,Gamma\n'
    assert count_rows(body, "csv") == 3
    assert count_rows(b'[{"code": "C1"}, {"code": "C2"}]', "json") == 2
    assert count_rows(b"not json", "json") == 0


def test_a_problem_on_a_row_with_a_quoted_line_break_names_the_line_it_starts_on() -> None:
    body = b'customer,code,name\nC1,S1,"Soap\nbar"\nC1,S2,x\nC9,S3,y\n'
    assert [(line, field) for line, field, _ in problems("skus", body)] == [
        (2, "name"),
        (5, "customer"),
    ]


def test_every_row_is_counted_once_by_the_progress_callback() -> None:
    steps: list[int] = []
    body = b"code,name\nC1,A\nC2,B\nC3,C\n"
    service.parse_import("customers", body, "csv", set(), progress=steps.append)
    assert len(steps) == count_rows(body, "csv") == 3


@pytest.mark.parametrize(
    ("kind", "row"),
    [
        ("skus", "customer,code,name\nC1,S1,Soap, 500 ml\n"),
        ("plans", PLAN_HEAD + "C1,P1,sea,MSKU1234565,S1,1,Soap, 500 ml\n"),
    ],
)
def test_a_row_with_more_cells_than_the_header_is_refused_not_cut(kind: str, row: str) -> None:
    ((line, field, message),) = problems(kind, row.encode())
    assert (line, field) == (2, "(extra cells)")
    assert "must be in double quotes" in message


def test_a_nameless_trailing_column_is_let_through_and_a_repeated_one_is_not() -> None:
    assert len(parse("customers", b"code,name,\nC1,Acme,\nC2,Beta,\n").rows) == 2
    assert problems("customers", b"code,name,name\nC1,Acme,Beta\n") == [
        (1, "name", "the column is in the header more than once")
    ]
    nameless_with_a_value = b"code,name,\nC1,Acme,oops\n"
    assert [(line, field) for line, field, _ in problems("customers", nameless_with_a_value)] == [
        (2, "")
    ]


def test_the_handheld_has_both_texts_for_every_new_refusal_reason() -> None:
    js = Path(__file__).parents[1] / "handheld_web" / "js"
    source = "".join(p.read_text(encoding="utf-8") for p in (js / "i18n.js", js / "error-texts.js"))
    for key in (
        "BARCODE_INVALID:scientific",
        "BARCODE_INVALID:separator",
        "BARCODE_INVALID:all_zeros",
        "IMPORT_NOT_UTF8:gb18030",
    ):
        entry = source[source.index(f'"{key}": {{') :].split("},", 1)[0]
        assert 'zh: "' in entry and 'en: "' in entry, key
    assert "CSV UTF-8 (逗号分隔)" in source
