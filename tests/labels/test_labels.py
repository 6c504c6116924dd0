"""Location and carton labels through the app: the batch reaches a real TCP printer on
loopback as one command, the raster it receives decodes (zxing-cpp) to the location code
or to the GS1 element string (biip), every SSCC is given once, and bad requests change
nothing."""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any

import biip
import pytest
import zxingcpp
from biip import parse
from biip.sscc import Sscc
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server.config import (
    LabelSettings,
    PrinterSettings,
    Settings,
    SiteSettings,
    StationSettings,
    check_config_file,
)
from tests.api.test_inbound import new_plan, receive
from tests.api.test_inbound import site as site
from tests.conftest import Api, new_key
from tests.conftest import table_counts as ledger_counts
from tests.devices.escpos_raster import raster_images
from tests.printing.fake_printer import FakePrinter
from tests.printing.printer_site import printer as printer
from tests.printing.test_print_queue import eventually, site_settings

PREFIX = "6901234"  # a 7-digit GS1 company prefix: 9-digit serial references


@pytest.fixture
def settings(tmp_path: Path, printer: FakePrinter) -> Settings:
    agent_printer = PrinterSettings(
        name="bench-2", kind="file", via_station="pack-02", folder=str(tmp_path / "out-2")
    )
    made = site_settings(
        tmp_path,
        printer,
        printers=[agent_printer],
        site=SiteSettings(gs1_company_prefix=PREFIX),
        labels=LabelSettings(batch_max=20),
    )
    made.stations.append(StationSettings(name="pack-02", kind="pack_bench", printers=["bench-2"]))
    made.printers.append(  # a jewellery-tag printer: too narrow for any of these barcodes
        PrinterSettings(
            name="tiny",
            kind="file",
            folder=str(tmp_path / "tiny"),
            label_width_mm=8,
            label_height_mm=40,
        )
    )
    return made


def table_counts(db: Any) -> dict[str, int]:
    """The shared counts, and the print queue and SSCC tables this module changes."""
    ours = ("print_jobs", "carton_labels", "sscc_serials")
    return {
        **ledger_counts(db),
        **db.read(
            lambda conn: {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ours}
        ),
    }


def code_of(answer: Any) -> str:
    return str(answer.json()["error"]["code"])


def barcodes(data: bytes) -> list[Any]:
    found = []
    for image in raster_images(data):
        found += zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)
    return found


def element_strings(found: list[Any]) -> dict[str, str]:
    """The AIs and values of every GS1 symbol found, parsed by biip from what a scanner
    sends (the symbology identifier, then the data with GS separators)."""
    out = {}
    for result in found:
        assert result.symbology_identifier == "]C1", result.text
        message = parse(result.symbology_identifier + result.text).gs1_message
        assert message is not None
        out.update({e.ai.ai: e.value for e in message.element_strings})
    return out


def cartons(api: Api, plan_id: int, key: str | None = "auto", **body: Any) -> Any:
    body = {"printer": "label-1", "line_no": 1, "labels": 1, **body}
    return api.post(f"/api/v1/plans/{plan_id}/carton-labels", role="receiver", key=key, json=body)


# -- SSCC -----------------------------------------------------------------------------------


def test_sscc_check_digit_is_the_gs1_mod10() -> None:
    from devices.small_labels import sscc_check_digit

    for first17 in ("00690123456789000", "36901234000000001", "10614141123456789"):
        sscc = first17 + sscc_check_digit(first17)
        assert Sscc.parse(sscc).value == sscc  # biip refuses a wrong check digit


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_the_check_digit_is_what_biip_checks(first17: str) -> None:
    from devices.small_labels import sscc_check_digit

    sscc = first17 + sscc_check_digit(first17)
    assert Sscc.parse(sscc).value == sscc
    wrong = first17 + str((int(sscc[-1]) + 1) % 10)
    with pytest.raises(biip.ParseError):
        Sscc.parse(wrong)


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.integers(1, 5), st.booleans()), min_size=1, max_size=6),
)
def test_no_sscc_is_given_twice_whatever_the_requests_and_retries(
    site: Api, requests: list[tuple[int, bool]]
) -> None:
    plan_id = site.db.read(
        lambda conn: conn.execute("SELECT MAX(id) FROM delivery_plans").fetchone()[0]
    )
    if plan_id is None:
        plan_id = new_plan(site)
    answers: dict[str, list[str]] = {}
    keys: list[str] = []
    for labels, retry in requests:
        key = keys[-1] if retry and keys else new_key("h")
        answer = cartons(site, plan_id, key=key, labels=labels)
        if key in answers:  # a retry answers what the first call did (or is refused as
            # another request under the same key when the size differs)
            again = [label["sscc"] for label in answer.json().get("labels", [])]
            assert answer.status_code != 200 or again == answers[key]
            continue
        assert answer.status_code == 200, answer.text
        answers[key] = [label["sscc"] for label in answer.json()["labels"]]
        keys.append(key)
    stored = site.db.read(
        lambda conn: [r[0] for r in conn.execute("SELECT sscc FROM carton_labels")]
    )
    answered = [s for batch in answers.values() for s in batch]
    assert len(stored) == len(set(stored))
    assert len(answered) == len(set(answered))
    assert set(answered) <= set(stored)


def test_allocated_ssccs_carry_prefix_extension_and_a_valid_check_digit(site: Api) -> None:
    plan_id = new_plan(site)
    answer = cartons(site, plan_id, labels=3)
    assert answer.status_code == 200, answer.text
    ssccs = [label["sscc"] for label in answer.json()["labels"]]
    assert [s[1:8] for s in ssccs] == [PREFIX] * 3
    assert [s[0] for s in ssccs] == ["0"] * 3
    assert [int(s[8:17]) for s in ssccs] == [1, 2, 3]
    for sscc in ssccs:
        assert Sscc.parse(sscc).value == sscc


def test_a_retried_request_prints_and_allocates_nothing_twice(
    site: Api, printer: FakePrinter
) -> None:
    plan_id = new_plan(site)
    key = new_key("cartons")
    first = cartons(site, plan_id, key=key, labels=2)
    again = cartons(site, plan_id, key=key, labels=2)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    printer.wait_for_jobs(2)
    assert table_counts(site.db)["carton_labels"] == 2
    after = cartons(site, plan_id, labels=1).json()["labels"][0]["sscc"]
    assert int(after[8:17]) == 3


def test_concurrent_requests_never_share_an_sscc(site: Api) -> None:
    plan_id = new_plan(site)
    answers: list[Any] = []
    keys = [new_key("c") for _ in range(6)]

    def ask(key: str) -> None:
        answers.append(cartons(site, plan_id, key=key, labels=3))

    threads = [threading.Thread(target=ask, args=(k,)) for k in keys + keys[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    by_key: dict[tuple[str, ...], int] = {}
    for a in answers:
        ssccs = tuple(label["sscc"] for label in a.json()["labels"])
        by_key[ssccs] = by_key.get(ssccs, 0) + 1
    every = [s for batch in by_key for s in batch]
    assert len(every) == len(set(every)) == 18  # six keys, three each; two replays


def test_running_out_of_serial_references_is_a_clear_refusal(site: Api) -> None:
    plan_id = new_plan(site)
    site.db._write(
        lambda conn: conn.execute(
            "INSERT INTO sscc_serials (company_prefix, last_serial) VALUES (?, ?)",
            (PREFIX, 10**9 - 2),
        )
    )
    answer = cartons(site, plan_id, labels=2)
    assert answer.status_code == 409
    assert code_of(answer) == "SSCC_SERIALS_USED_UP"
    last = cartons(site, plan_id, labels=1)
    assert last.status_code == 200, last.text
    assert last.json()["labels"][0]["sscc"][8:17] == "999999999"


def test_without_a_company_prefix_carton_labels_are_off(site: Api) -> None:
    plan_id = new_plan(site)
    site.settings.site.gs1_company_prefix = ""
    try:
        answer = cartons(site, plan_id)
    finally:
        site.settings.site.gs1_company_prefix = PREFIX
    assert code_of(answer) == "SSCC_COMPANY_PREFIX_MISSING"
    assert table_counts(site.db)["print_jobs"] == 0


@pytest.mark.parametrize("prefix", ["12345", "1234567890123", "69O1234", " 6901234"])
def test_check_config_refuses_a_company_prefix_that_is_not_6_to_12_digits(
    tmp_path: Path, prefix: str
) -> None:
    path = tmp_path / "site.toml"
    path.write_text(f'[site]\ngs1_company_prefix = "{prefix}"\n', encoding="utf-8")
    (problem,) = check_config_file(path)
    assert "site.gs1_company_prefix" in problem


def test_check_config_takes_an_empty_or_good_company_prefix(tmp_path: Path) -> None:
    for prefix in ("", "690123", "690123456789"):
        path = tmp_path / "site.toml"
        path.write_text(f'[site]\ngs1_company_prefix = "{prefix}"\n', encoding="utf-8")
        assert check_config_file(path) == []


# -- what the printer gets ------------------------------------------------------------------


def test_carton_labels_reach_the_printer_and_decode_to_their_element_strings(
    site: Api, printer: FakePrinter
) -> None:
    plan_id = new_plan(site)
    answer = cartons(site, plan_id, labels=2, count=12, lot="L2027A", expiry="2027-05-31")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["gtin"] == "06901234567892"
    jobs = printer.wait_for_jobs(2)
    for label, data in zip(body["labels"], jobs, strict=True):
        assert element_strings(barcodes(data)) == {
            "00": label["sscc"],
            "02": "06901234567892",
            "17": "270531",
            "37": "12",
            "10": "L2027A",
        }


def test_a_carton_label_we_printed_is_received_as_its_plan_line(site: Api) -> None:
    plan_id = new_plan(site)
    body = cartons(site, plan_id, line_no=2, count=4).json()
    sscc = body["labels"][0]["sscc"]
    answer = receive(site, plan_id, scan="]C100" + sscc)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["sku"], answer.json()["quantity"], answer.json()["sscc"]) == (
        "U1",
        4,
        sscc,
    )
    assert code_of(receive(site, plan_id, scan="]C100" + sscc)) == "SSCC_ALREADY_RECEIVED"
    other = new_plan(site, plan_no="ASN-2")
    assert code_of(receive(site, other, scan="]C100" + sscc)) == "SSCC_NOT_ON_PLAN"
    put_away = site.post(
        "/api/v1/putaway",
        role="putaway",
        json={"from_location": "DOCK-01", "sscc": sscc, "to_location": "A-03"},
    )
    assert put_away.status_code == 200, put_away.text  # the carton goes away in one scan


def test_location_labels_of_a_zone_print_as_one_batch_and_decode_to_their_codes(
    site: Api, printer: FakePrinter
) -> None:
    answer = site.post("/api/v1/labels/locations", json={"printer": "label-1", "zone": "A"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["codes"] == ["A-01", "A-02", "A-03"]
    jobs = printer.wait_for_jobs(3)
    assert [[r.text for r in barcodes(data)] for data in jobs] == [["A-01"], ["A-02"], ["A-03"]]
    done = eventually(
        lambda: [
            j
            for j in site.get("/api/v1/print-jobs", role="supervisor").json()
            if j["status"] == "done" and j["kind"] == "location_label"
        ]
    )
    assert len(done) == 3


def test_labels_for_a_printer_an_agent_drives_reach_that_agent(site: Api) -> None:
    from tests.stations.test_station_scans import Station

    answer = site.post("/api/v1/labels/locations", json={"printer": "bench-2", "codes": ["A-02"]})
    assert answer.status_code == 200, answer.text
    agent = Station(site, "pack-02")
    claim = site.client.post("/api/v1/station/printers/bench-2/next-job", headers=agent.headers)
    assert claim.status_code == 200, claim.text
    data = base64.b64decode(claim.json()["escpos"])
    assert [r.text for r in barcodes(data)] == ["A-02"]


def test_location_labels_by_range_and_by_list(site: Api, printer: FakePrinter) -> None:
    ranged = site.post(
        "/api/v1/labels/locations", json={"printer": "label-1", "first": "A-02", "last": "B-01"}
    )
    assert ranged.json()["codes"] == ["A-02", "A-03", "B-01"]
    listed = site.post(
        "/api/v1/labels/locations",
        json={"printer": "label-1", "codes": ["b-01", "A-01", "B-01"]},
    )
    assert listed.json()["codes"] == ["B-01", "A-01"]


# -- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"zone": "Z"}, "LABEL_ZONE_EMPTY"),
        ({"codes": ["A-01", "NOPE-1"]}, "LOCATION_NOT_FOUND"),
        ({"codes": ["A-01"], "zone": "A"}, "LABEL_LOCATIONS_UNCHOSEN"),
        ({}, "LABEL_LOCATIONS_UNCHOSEN"),
        ({"first": "A-01"}, "LABEL_LOCATIONS_UNCHOSEN"),
        ({"codes": [f"A-{i:02d}" for i in range(21)]}, "LABEL_BATCH_TOO_LARGE"),
        ({"zone": "A", "printer": "no-such"}, "PRINTER_UNKNOWN"),
    ],
)
def test_location_label_refusals_change_nothing(site: Api, body: dict[str, Any], code: str) -> None:
    site.token("supervisor")  # logging in is not the refusal's doing
    before = table_counts(site.db)
    answer = site.post("/api/v1/labels/locations", json={"printer": "label-1", **body})
    assert code_of(answer) == code, answer.text
    assert table_counts(site.db) == before


def test_an_empty_range_is_refused(site: Api) -> None:
    answer = site.post(
        "/api/v1/labels/locations", json={"printer": "label-1", "first": "X-01", "last": "X-99"}
    )
    assert code_of(answer) == "LABEL_RANGE_EMPTY"


def test_an_inactive_location_gets_no_label(site: Api) -> None:
    site.db._write(lambda conn: conn.execute("UPDATE locations SET active = 0 WHERE code = 'A-02'"))
    answer = site.post(
        "/api/v1/labels/locations", json={"printer": "label-1", "codes": ["A-01", "A-02"]}
    )
    assert code_of(answer) == "LOCATION_INACTIVE"
    assert answer.json()["error"]["details"] == {"location": "A-02"}
    zone = site.post("/api/v1/labels/locations", json={"printer": "label-1", "zone": "A"})
    assert zone.json()["codes"] == ["A-01", "A-03"]
    ranged = site.post(
        "/api/v1/labels/locations", json={"printer": "label-1", "first": "A-01", "last": "A-03"}
    )
    assert ranged.json()["codes"] == ["A-01", "A-03"]


def test_only_the_roles_that_set_up_the_floor_print_location_labels(site: Api) -> None:
    for role in ("receiver", "picker", "packer", "putaway"):
        answer = site.post(
            "/api/v1/labels/locations", role=role, json={"printer": "label-1", "zone": "A"}
        )
        assert answer.status_code == 403, role
    assert (
        site.post(
            "/api/v1/labels/locations", role="admin", json={"printer": "label-1", "zone": "A"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"labels": 21}, "LABEL_BATCH_TOO_LARGE"),
        ({"line_no": 9}, "PLAN_LINE_NOT_FOUND"),
        ({"lot": "批次"}, "CARTON_LABEL_INVALID"),
        ({"printer": "no-such"}, "PRINTER_UNKNOWN"),
    ],
)
def test_carton_label_refusals_change_nothing(site: Api, body: dict[str, Any], code: str) -> None:
    plan_id = new_plan(site)
    before = table_counts(site.db)
    answer = cartons(site, plan_id, **body)
    assert code_of(answer) == code, answer.text
    assert table_counts(site.db) == before


def test_carton_labels_for_a_packer_or_an_unknown_plan_are_refused(site: Api) -> None:
    plan_id = new_plan(site)
    body = {"printer": "label-1", "line_no": 1, "labels": 1}
    packer = site.post(f"/api/v1/plans/{plan_id}/carton-labels", role="packer", json=body)
    assert packer.status_code == 403
    assert code_of(cartons(site, plan_id + 100)) == "PLAN_NOT_FOUND"


def test_a_lot_gs1_cannot_carry_is_refused_naming_the_field(site: Api) -> None:
    plan_id = new_plan(site)
    answer = cartons(site, plan_id, lot="L" * 21)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "CARTON_LABEL_INVALID"
    assert answer.json()["error"]["details"] == {"field": "lot"}


def test_a_carton_label_is_reprinted_with_its_own_sscc_as_a_copy_with_its_reason(
    site: Api, printer: FakePrinter
) -> None:
    plan_id = new_plan(site)
    body = cartons(site, plan_id, labels=2, count=6).json()
    sscc = body["labels"][1]["sscc"]
    printer.wait_for_jobs(2)
    before = site.db.read(
        lambda conn: conn.execute("SELECT COUNT(*) FROM carton_labels").fetchone()
    )

    again = site.post(
        "/api/v1/labels/cartons/reprint",
        role="receiver",
        json={"sscc": sscc, "reason": "label got wet"},
    )
    assert again.status_code == 200, again.text
    answer = again.json()
    assert (answer["sscc"], answer["copy"], answer["copy_of"]) == (
        sscc,
        1,
        body["labels"][1]["print_job_id"],
    )
    data = printer.wait_for_jobs(3)[-1]
    assert element_strings(barcodes(data))["00"] == sscc  # the same carton, not a new one
    after = site.db.read(lambda conn: conn.execute("SELECT COUNT(*) FROM carton_labels").fetchone())
    assert tuple(after) == tuple(before)  # no SSCC allocated
    job = site.get(f"/api/v1/print-jobs/{answer['print_job_id']}", role="supervisor").json()
    assert (job["reason"], job["copy_of"]) == ("label got wet", answer["copy_of"])


def test_reprinting_an_sscc_never_printed_here_is_refused(site: Api) -> None:
    unknown = site.post(
        "/api/v1/labels/cartons/reprint",
        role="receiver",
        json={"sscc": "069012340000000122", "reason": "label torn"},
    )
    assert code_of(unknown) == "CARTON_LABEL_NOT_FOUND"


def test_labels_a_printers_label_cannot_carry_are_refused_before_any_sscc_is_given(
    site: Api,
) -> None:
    plan_id = new_plan(site)
    before = table_counts(site.db)
    carton = cartons(site, plan_id, printer="tiny")
    assert (carton.status_code, code_of(carton)) == (422, "LABEL_TOO_SMALL"), carton.text
    assert carton.json()["error"]["details"]["printer"] == "tiny"
    location = site.post("/api/v1/labels/locations", json={"printer": "tiny", "zone": "A"})
    assert (location.status_code, code_of(location)) == (422, "LABEL_TOO_SMALL"), location.text
    assert table_counts(site.db) == before


def test_a_longer_company_prefix_never_gives_an_sscc_the_shorter_one_gave(site: Api) -> None:
    """A prefix corrected from 7 to 8 digits ("6901234" to "69012340") makes SSCCs the old
    one made too: its serial 1 is the old serial 1. The site gives each SSCC once whatever
    its prefix was, so it steps past those, never answering with a 500 or a duplicate."""
    plan_id = new_plan(site)
    first = cartons(site, plan_id, labels=2)
    assert first.status_code == 200, first.text
    old = [label["sscc"] for label in first.json()["labels"]]
    site.settings.site.gs1_company_prefix = PREFIX + "0"
    second = cartons(site, plan_id, labels=3)
    assert second.status_code == 200, second.text
    new = [label["sscc"] for label in second.json()["labels"]]
    assert not set(new) & set(old)
    assert all(s[1:9] == PREFIX + "0" and Sscc.parse(s) for s in new)


def test_an_expiry_that_is_no_date_is_refused_and_changes_nothing(site: Api) -> None:
    plan_id = new_plan(site)
    before = table_counts(site.db)
    answer = cartons(site, plan_id, expiry="2026-02-30")
    assert answer.status_code in (400, 422), answer.text
    assert table_counts(site.db) == before
