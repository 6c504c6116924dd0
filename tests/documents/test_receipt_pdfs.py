"""The tally record and the warehouse receipt (进仓单) as PDF files from the server: real
PDFs, read back with pypdf, with the page's content; who may fetch them, and what a plan
that does not exist or is not closed gets."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import unquote

import pytest

from server.commands import SYSTEM, run_command
from server.masterdata import service as masterdata
from server.masterdata.schemas import CustomerIn, LocationIn, SkuIn
from tests.conftest import Api, new_key
from tests.documents.reading import (
    A4_POINTS,
    event_pdf_path,
    pdf_of,
    printed_at_one_moment,
    read_pdf,
)

CREAM = "4710000000301"
SERUM = "4710000000318"
PLAN_NO = "ASN-PDF-1"


@pytest.fixture
def site(api: Api) -> Api:
    def seed(conn: Any, ctx: Any) -> None:
        masterdata.upsert_customer(
            conn, ctx, CustomerIn(code="HKB", name="香港美妆", customs_book_no="T5301W000123")
        )
        masterdata.upsert_sku(
            conn, ctx, SkuIn(customer="HKB", code="HK0006", name="洁面乳 200g", barcodes=[CREAM])
        )
        masterdata.upsert_sku(
            conn,
            ctx,
            SkuIn(customer="HKB", code="HK0007", name="保湿精华液 30ml", barcodes=[SERUM]),
        )
        masterdata.upsert_location(conn, ctx, LocationIn(code="DOCK-01", zone="D", type="dock"))

    run_command(api.db, SYSTEM, "seed", new_key("seed"), {}, seed)
    return api


def open_plan(api: Api) -> int:
    """A plan checked in and received: 10 of 10 creams, 4 of 6 serums."""
    plan = api.post(
        "/api/v1/plans",
        json={
            "customer": "HKB",
            "plan_no": PLAN_NO,
            "transport": {"type": "sea", "container_no": "MSKU1234565", "vessel": "EVER ACE"},
            "expected_arrival": date.today().isoformat(),
            "customs_released": True,
            "lines": [{"sku": "HK0006", "expected_qty": 10}, {"sku": "HK0007", "expected_qty": 6}],
        },
    )
    assert plan.status_code == 200, plan.text
    plan_id = int(plan.json()["id"])
    check = api.post(
        f"/api/v1/plans/{plan_id}/check-in",
        role="receiver",
        json={"reference": "MSKU1234565", "seal_no": "SL-88231"},
    )
    assert check.status_code == 200, check.text
    for scan, quantity in ((CREAM, 10), (SERUM, 4)):
        answer = api.post(
            f"/api/v1/plans/{plan_id}/receive",
            role="receiver",
            json={"scan": scan, "quantity": quantity},
        )
        assert answer.status_code == 200, answer.text
    return plan_id


def closed_plan(api: Api) -> int:
    plan_id = open_plan(api)
    closed = api.post(
        f"/api/v1/plans/{plan_id}/close",
        role="receiver",
        json={"differences": [{"sku": "HK0007", "reason": "short", "note": "两箱未到"}]},
    )
    assert closed.status_code == 200, closed.text
    return plan_id


def test_the_warehouse_receipt_pdf_has_the_plan_every_line_the_totals_and_the_signatures(
    site: Api,
) -> None:
    plan_id = closed_plan(site)
    answer = site.get(f"/api/v1/plans/{plan_id}/receipt.pdf", role="receiver")
    doc = read_pdf(pdf_of(answer))

    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="receipt-ASN-PDF-1.pdf"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "进仓单-ASN-PDF-1.pdf"
    assert doc.pages == 1 and all(abs(w - A4_POINTS[0]) < 1 for w, _ in doc.sizes)
    assert doc.title == "进仓单 Warehouse receipt ASN-PDF-1"
    assert doc.has("进仓单", "Warehouse receipt", PLAN_NO, "香港美妆 (HKB)", "T5301W000123")
    assert doc.has("集装箱号 Container no", "MSKU1234565", "SL-88231", "海运 Sea")
    # Each line as the table reads, cell after cell: no, SKU, name, lot, expected, counted,
    # damaged, difference, reason, note.
    assert doc.has("1 HK0006 洁面乳 200g — 10 10 0 0")
    assert doc.has("2 HK0007 保湿精华液 30ml — 6 4 0 -2 短少 Short 两箱未到")
    assert doc.has("合计 Total 16 14 0 -2")
    # The received lots: no, SKU, name, record no, lot, expiry, condition, location, quantity.
    assert doc.has("1 HK0006 洁面乳 200g — — — 良品 Good DOCK-01 10")
    assert doc.has("2 HK0007 保湿精华液 30ml — — — 良品 Good DOCK-01 4", "合计 Total 14")
    # The receipt leads with what was received, then the count, then who signs.
    lots, lines, signs = doc.order("入库批次 Received lots", "理货明细 Tally lines", "签字")
    assert lots < lines < signs
    assert doc.has("收货人 Received by: receiver01")
    assert doc.has(
        "仓库（签章）Warehouse (stamp)", "货主代表 Customer", "承运人/司机 Carrier / driver"
    )
    assert doc.text.count("签字Signature") == 3 and doc.text.count("日期Date") == 3
    assert not doc.has("草稿")


def test_the_tally_record_pdf_leads_with_the_count_and_is_signed_by_the_tally_clerk(
    site: Api,
) -> None:
    plan_id = closed_plan(site)
    answer = site.get(f"/api/v1/plans/{plan_id}/tally.pdf", role="receiver")
    doc = read_pdf(pdf_of(answer))
    assert 'filename="tally-ASN-PDF-1.pdf"' in answer.headers["content-disposition"]
    assert doc.has("理货单", "Tally record", PLAN_NO, "合计 Total 16 14 0 -2")
    lines, lots = doc.order("理货明细 Tally lines", "入库批次 Received lots")
    assert lines < lots
    assert doc.has("理货员 Tally clerk", "复核 Checked by", "承运人/司机 Carrier / driver")


def test_a_plan_not_closed_has_no_receipt_pdf_and_its_tally_record_is_a_draft(
    site: Api,
) -> None:
    plan_id = open_plan(site)
    refused = site.get(f"/api/v1/plans/{plan_id}/receipt.pdf", role="receiver")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "PLAN_NOT_CLOSED"
    assert refused.json()["error"]["details"] == {"plan_no": PLAN_NO}
    draft = read_pdf(pdf_of(site.get(f"/api/v1/plans/{plan_id}/tally.pdf", role="receiver")))
    assert draft.has("收货未关闭：本单为草稿 Receipt not closed: draft", "1 HK0006 洁面乳 200g")


@pytest.mark.parametrize("kind", ["receipt", "tally"])
def test_plan_pdfs_refuse_an_unknown_plan_and_a_role_that_may_not_read_plans(
    site: Api, kind: str
) -> None:
    plan_id = closed_plan(site)
    unknown = site.get(f"/api/v1/plans/{plan_id + 100}/{kind}.pdf", role="receiver")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "PLAN_NOT_FOUND"
    for role in ("picker", "dock", "station"):
        refused = site.get(f"/api/v1/plans/{plan_id}/{kind}.pdf", role=role)
        assert refused.status_code == 403, (role, refused.text)
        assert refused.json()["error"]["code"] == "ROLE_NOT_ALLOWED"


def test_the_receipt_event_names_the_pdf_and_the_oms_token_gets_the_same_pdf_there(
    site: Api,
) -> None:
    plan_id = closed_plan(site)
    path = event_pdf_path(site, "receipt.closed")
    assert path == f"/api/v1/plans/{plan_id}/receipt.pdf"
    # The print time is in the document: the same moment prints the same file.
    by_oms, by_receiver = printed_at_one_moment(
        site, (path, "oms"), (f"/api/v1/plans/{plan_id}/receipt.pdf", "receiver")
    )
    assert by_oms == by_receiver
    assert read_pdf(by_oms).has("打印时间 Printed: 2026-11-23 17:45")
