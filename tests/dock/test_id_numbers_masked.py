"""A driver's ID number is personal data: a refusal, the audit log and the door's scan
feed show only its last four characters, whatever was wrong with it."""

from __future__ import annotations

from typing import Any

import pytest

from server.dock.identity import masked_tail
from tests.conftest import Api
from tests.dock.test_checkout import DRIVER_ID, OTHER_ID, ok, packed_parcel, refused, site, truck

__all__ = ["site"]  # the fixture, shared with the check-out tests

# Each wrong in its own way, each a real person's number in shape.
WRONG_IDS = {
    "check_character": DRIVER_ID[:17] + ("0" if DRIVER_ID[17] != "0" else "1"),
    "birth_date": "440305199013071230",
    "length": DRIVER_ID[:16],
}


def everything_said(site: Api) -> str:
    """The audit log and the station scans as stored."""
    return site.db.read(
        lambda conn: "\n".join(
            str(tuple(row))
            for table in ("audit", "station_scans", "commands")
            for row in conn.execute(f"SELECT * FROM {table}").fetchall()
        )
    )


def assert_only_the_ending(text: str, number: str) -> None:
    assert number not in text
    assert number[:10] not in text  # not the region and birth date either
    assert number[6:14] not in text


def test_masked_tail_keeps_at_most_the_last_four() -> None:
    assert masked_tail(DRIVER_ID) == "*" * 14 + DRIVER_ID[-4:]
    assert masked_tail("123456") == "***456"
    assert masked_tail("12") == "*2"
    assert masked_tail("") == ""


@pytest.mark.parametrize("rule", sorted(WRONG_IDS))
def test_a_refused_id_number_shows_only_its_ending_in_the_error_and_the_audit(
    site: Api, rule: str
) -> None:
    number = WRONG_IDS[rule]
    a = packed_parcel(site, "T-1")
    made = ok(site.post("/api/v1/loading-lists", role="dock", json=truck([a["waybill_no"]])))
    ok(site.post("/api/v1/dock/open", role="dock", json={"scan": "粤B12345", "door": "D1"}))
    answer = site.post(
        f"/api/v1/loading-lists/{made['id']}/driver-id", role="dock", json={"driver_id": number}
    )
    error = refused(answer, "DRIVER_ID_INVALID")
    assert error["details"]["rule"] == rule
    assert error["details"]["value"] == masked_tail(number)
    assert_only_the_ending(answer.text, number)
    assert_only_the_ending(everything_said(site), number)


def test_a_loading_list_with_a_wrong_id_number_is_refused_without_showing_it(site: Api) -> None:
    number = WRONG_IDS["check_character"]
    answer = site.post(
        "/api/v1/loading-lists",
        role="dock",
        json=truck(["SF-NOPE"], driver_id=number, driver_phone="1380013800"),
    )
    error = refused(answer, "LOADING_LIST_INVALID")
    problems = {p["field"]: p for p in error["details"]["problems"]}
    assert problems["driver_id"]["value"] == masked_tail(number)
    assert problems["driver_phone"]["value"] == masked_tail("1380013800")
    assert_only_the_ending(answer.text, number)
    assert "1380013800" not in answer.text
    assert_only_the_ending(everything_said(site), number)


def test_an_id_number_scanned_at_the_door_is_kept_only_by_its_ending(site: Api) -> None:
    from server.auth import service as auth
    from server.config import StationSettings
    from tests.conftest import _ctx, add_user

    site.settings.stations.append(StationSettings(name="door-1", kind="dock_door"))
    add_user(site.db, site.settings, "dk1", ["dock"], badge="BF-BADGE-9005")
    token = site.db._write(lambda c: auth.add_api_token(c, _ctx(), "door-1", "station"))["token"]
    a = packed_parcel(site, "T-1")
    ok(site.post("/api/v1/loading-lists", role="dock", json=truck([a["waybill_no"]])))
    wrong = WRONG_IDS["check_character"]
    seen: list[dict[str, Any]] = []
    for n, code in enumerate(("BF-BADGE-9005", "粤B12345", OTHER_ID, wrong, DRIVER_ID)):
        answer = site.client.post(
            "/api/v1/stations/door-1/scans",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"door:{n}"},
            json={"code": code},
        )
        seen.append(ok(answer))
        if code in (OTHER_ID, wrong, DRIVER_ID):
            assert_only_the_ending(answer.text, code)
    assert [(s["action"], s["outcome"], s["error_code"]) for s in seen[2:]] == [
        ("driver_id", "refused", "DRIVER_MISMATCH"),
        ("driver_id", "refused", "DRIVER_ID_INVALID"),
        ("driver_id", "ok", ""),
    ]
    assert seen[2]["code"] == masked_tail(OTHER_ID)
    feed = site.get("/api/v1/stations/door-1/scans", role="dock")
    for number in (OTHER_ID, wrong, DRIVER_ID):
        assert_only_the_ending(feed.text, number)
        assert_only_the_ending(everything_said(site), number)


def test_the_handover_slip_job_keeps_the_driver_masked(site: Api) -> None:
    """The print queue is floor work (packers read it): the slip's job holds what the slip
    prints, the ID number and phone masked."""
    from server.config import StationSettings

    site.settings.stations.append(
        StationSettings(name="door-1", kind="dock_door", printers=["label-1"])
    )
    a = packed_parcel(site, "T-1")
    made = ok(site.post("/api/v1/loading-lists", role="dock", json=truck([a["waybill_no"]])))
    list_id = made["id"]
    ok(site.post("/api/v1/dock/open", role="dock", json={"scan": "粤B12345", "door": "door-1"}))
    for step, body in (
        ("driver-id", {"driver_id": DRIVER_ID}),
        ("driver-name", {"driver_name": "李师傅"}),
        ("seal", {"seal_no": "SEAL-0001"}),
        ("scans", {"scan": a["waybill_no"]}),
    ):
        ok(site.post(f"/api/v1/loading-lists/{list_id}/{step}", role="dock", json=body))
    record = ok(site.post(f"/api/v1/loading-lists/{list_id}/depart", role="dock", json={}))
    job_id = record["print_job"]["id"]
    job = ok(site.get(f"/api/v1/print-jobs/{job_id}", role="packer"))
    assert job["payload"]["driver_id"] == DRIVER_ID[:6] + "********" + DRIVER_ID[-4:]
    assert job["payload"]["driver_phone"] == "138****8000"
    assert DRIVER_ID not in site.get("/api/v1/print-jobs", role="packer").text
    preview = site.get(f"/api/v1/print-jobs/{job_id}/preview.png", role="packer")
    assert preview.status_code == 200, preview.text
