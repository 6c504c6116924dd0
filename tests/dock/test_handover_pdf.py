"""The handover record (交接单) as a PDF from the server: a real PDF, read back with pypdf,
with the truck, driver, seal, every parcel loaded and the totals; who may fetch it; and
the departure event that names it."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest

from tests.conftest import Api
from tests.dock.test_checkout import DRIVER_ID, ok, packed_parcel, ready, scan, truck
from tests.documents.reading import (
    A4_POINTS,
    event_pdf_path,
    pdf_of,
    printed_at_one_moment,
    read_pdf,
)
from tests.outbound.helpers import put_stock, seed_outbound


@pytest.fixture
def site(api: Api) -> Api:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 50)
    return api


def loading(api: Api) -> tuple[int, list[dict[str, Any]]]:
    """A list of two packed parcels, both loaded at door D1, not departed."""
    parcels = [packed_parcel(api, tote) for tote in ("T-1", "T-2")]
    made = ok(
        api.post(
            "/api/v1/loading-lists", role="dock", json=truck([p["waybill_no"] for p in parcels])
        )
    )
    ready(api, made["id"])
    for parcel in parcels:
        ok(scan(api, made["id"], parcel["waybill_no"]))
    return made["id"], parcels


def test_the_handover_pdf_has_the_truck_the_driver_every_parcel_the_totals_and_signatures(
    site: Api,
) -> None:
    list_id, parcels = loading(site)
    early = site.get(f"/api/v1/loading-lists/{list_id}/handover.pdf", role="dock")
    assert early.status_code == 409 and early.json()["error"]["code"] == "LIST_NOT_DEPARTED"

    record = ok(site.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={}))
    answer = site.get(f"/api/v1/loading-lists/{list_id}/handover.pdf", role="dock")
    doc = read_pdf(pdf_of(answer))

    number = record["handover_no"]
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="handover-{number}.pdf"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"交接单-{number}.pdf"
    assert doc.pages == 1 and doc.sizes == [pytest.approx(A4_POINTS, abs=1)]
    assert doc.has("交接单", "Handover record", f"交接单号 Handover no {number}")
    assert doc.has(f"装车单号 Loading list no {record['list_no']}", "车牌 Truck plate 粤B12345")
    assert doc.has("港澳车牌 HK/Macau plate AB1234", "司机 Driver 李师傅")
    # The paper the driver signs shows the ID number in full, as the page does.
    assert doc.has(f"司机身份证号 Driver's ID number {DRIVER_ID}", "13800138000")
    assert doc.has("封条号 Seal no SEAL-0001", "承运人 Carrier 顺丰", "装车口 Dock door D1")
    for index, parcel in enumerate(parcels, start=1):
        assert doc.has(f"{index} {parcel['waybill_no']} {parcel['order_no']}"), parcel
    assert doc.text.count("1.00") == 2  # each parcel weighed 1000 g
    assert doc.has("合计 Total 2.00 2 预计重量 Expected weight 2.00 kg")
    assert doc.has("仓库（签章）Warehouse (stamp)", "司机Driver签字", "承运商 Carrier")
    assert doc.text.count("签字Signature") == 3 and doc.text.count("日期Date") == 3


def test_the_oms_gets_the_handover_pdf_at_the_events_path_with_the_driver_id_masked(
    site: Api,
) -> None:
    list_id, _ = loading(site)
    record = ok(site.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={}))
    path = event_pdf_path(site, "loading_list.departed")
    masked = f"{DRIVER_ID[:6]}********{DRIVER_ID[-4:]}"
    oms_copy = read_pdf(pdf_of(site.get(path, role="oms")))
    assert oms_copy.has(f"司机身份证号 Driver's ID number {masked}")
    assert DRIVER_ID not in oms_copy.text.replace(" ", "")
    assert oms_copy.has(f"交接单号 Handover no {record['handover_no']}", "司机 Driver 李师傅")
    for role in ("dock", "supervisor"):
        full_copy = read_pdf(pdf_of(site.get(path, role=role)))
        assert full_copy.has(f"司机身份证号 Driver's ID number {DRIVER_ID}"), role


def test_the_handover_pdf_refuses_an_unknown_list_and_roles_that_do_not_work_the_dock(
    site: Api,
) -> None:
    list_id, _ = loading(site)
    ok(site.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={}))
    unknown = site.get(f"/api/v1/loading-lists/{list_id + 100}/handover.pdf", role="dock")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "LIST_NOT_FOUND"
    for role in ("picker", "receiver"):
        refused = site.get(f"/api/v1/loading-lists/{list_id}/handover.pdf", role=role)
        assert refused.status_code == 403, (role, refused.text)


def test_the_departure_event_names_the_handover_pdf_and_that_path_answers_it(site: Api) -> None:
    list_id, _ = loading(site)
    ok(site.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={}))
    path = event_pdf_path(site, "loading_list.departed")
    assert path == f"/api/v1/loading-lists/{list_id}/handover.pdf"
    by_path, by_route = printed_at_one_moment(
        site, (path, "supervisor"), (f"/api/v1/loading-lists/{list_id}/handover.pdf", "dock")
    )
    assert by_path == by_route
