"""Status checks never hold up a label: a printer that does not answer them is never
asked, "paper near its end" stays shown, each change of state is logged once, and a
printer back from a fault prints its waiting labels at once. A real TCP printer on
loopback; waits are on signals (the dispatcher's passes, the printer's quiet), not sleeps."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest

from server.config import Settings
from server.db import Database
from server.printing.dispatch import PrintDispatcher
from server.printing.service import SAMPLE_LABEL
from tests.conftest import Api
from tests.outbound.helpers import put_stock, seed_outbound
from tests.printing.fake_printer import FakePrinter
from tests.printing.printer_site import printer as printer
from tests.printing.printer_site import printer_site_settings
from tests.printing.test_print_queue import eventually, jobs, packed


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, printer: FakePrinter) -> Settings:
    options: dict[str, Any] = getattr(request, "param", {})
    printer.mode = options.pop("mode", "ok")  # before the dispatcher first looks at it
    printing = options.pop("printing", {})
    return printer_site_settings(tmp_path, printer, label_options=options, printing=printing)


@pytest.fixture
def site(api: Api) -> Api:
    seed_outbound(api)
    put_stock(api, "A-1", "S1", 100)
    return api


def printer_view(api: Api) -> dict[str, Any]:
    return {p["name"]: p for p in api.get("/api/v1/printers").json()}["label-1"]


@pytest.mark.parametrize(
    "settings",
    [{"mode": "silent", "answers_status": False, "timeout_seconds": 3.0}],
    indirect=True,
)
def test_a_label_queued_while_a_silent_printer_would_be_asked_for_status_arrives_at_once(
    db: Database, settings: Settings, printer: FakePrinter
) -> None:
    dispatcher = PrintDispatcher(db, settings)
    dispatcher.start()
    try:
        # The printer's loop has just found its queue empty: where it used to ask for the
        # status and wait the whole 3 s timeout for an answer this printer never gives.
        assert dispatcher.wait_for_passes("label-1", 1, timeout=10)
        started = time.monotonic()
        payload = msgspec.json.encode({**SAMPLE_LABEL, "date": "2026-12-07"}).decode()
        db._write(
            lambda c: c.execute(
                "INSERT INTO print_jobs (printer, kind, payload, created_by, created_at) "
                "VALUES ('label-1', 'test', ?, 'test', '2026-12-07')",
                (payload,),
            )
        )
        dispatcher.notify("label-1")
        assert printer.wait_for_jobs(1, timeout=10)
        took = time.monotonic() - started
        assert took < 1.5, f"the label took {took:.2f} s"
        assert dispatcher.wait_for_passes("label-1", 2, timeout=10)
        assert printer.wait_until_quiet()
        assert printer.queries == 0
    finally:
        dispatcher.stop()


@pytest.mark.parametrize("settings", [{"mode": "near_end"}], indirect=True)
def test_paper_near_its_end_stays_shown_after_a_job(site: Api, printer: FakePrinter) -> None:
    packed(site)
    printer.wait_for_jobs(1)
    eventually(lambda: all(j["status"] == "done" for j in jobs(site)))
    view = printer_view(site)
    assert (view["state"], view["detail"]) == ("online", "paper near its end")


@pytest.mark.parametrize("settings", [{"printing": {"fault_check_seconds": 0.05}}], indirect=True)
def test_an_outage_is_logged_once_when_it_begins_and_once_when_it_ends(
    site: Api, printer: FakePrinter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bondfloor.printing")
    dispatcher = site.client.app.state.printing
    # Known online: the status thread asks a printer that answers at once when it starts
    # (waiting for its next pass would wait out the idle check, 10 s).
    eventually(lambda: printer_view(site)["state"] == "online")
    before = len(caplog.records)
    printer.stop()
    packed(site)
    eventually(lambda: max(j["attempts"] for j in jobs(site)) >= 3)
    # The status thread checked the printer in its fault again and again meanwhile.
    assert dispatcher.wait_for_passes("label-1/status", 5, timeout=10)
    printer.start()
    eventually(lambda: all(j["status"] == "done" for j in jobs(site)))
    assert dispatcher.wait_for_passes("label-1", 2, timeout=10)
    said = [
        r.getMessage().split(",")[0]
        for r in caplog.records[before:]
        if r.name == "bondfloor.printing" and r.getMessage().startswith("printer label-1 is")
    ]
    assert said == ["printer label-1 is unavailable", "printer label-1 is online"]


@pytest.mark.parametrize(
    "settings",
    [{"printing": {"retry_min_seconds": 30, "retry_max_seconds": 30, "fault_check_seconds": 0.1}}],
    indirect=True,
)
def test_a_printer_back_from_a_fault_prints_at_once_not_at_the_end_of_the_backoff(
    site: Api, printer: FakePrinter
) -> None:
    printer.mode = "paper_out"
    packed(site)
    eventually(lambda: printer_view(site)["state"] == "paper_out")
    assert [j["attempts"] for j in jobs(site)] == [1]  # the next try is 30 s away
    printer.mode = "ok"  # paper reloaded
    assert printer.wait_for_jobs(1, timeout=5)
    eventually(lambda: all(j["status"] == "done" for j in jobs(site)))
    assert printer_view(site)["state"] == "online"


def test_the_default_backoff_after_a_fault_is_capped_at_ten_seconds() -> None:
    from server.printing.service import backoff_seconds

    assert backoff_seconds(50, Settings()) == 10.0


@pytest.mark.parametrize(
    "settings",
    [
        {
            "mode": "silent",
            "answers_status": False,
            "printing": {
                "retry_min_seconds": 30,
                "retry_max_seconds": 30,
                "fault_check_seconds": 0.1,
            },
        }
    ],
    indirect=True,
)
def test_a_printer_without_status_answers_back_on_the_network_prints_at_once(
    site: Api, printer: FakePrinter
) -> None:
    printer.stop()
    packed(site)
    eventually(lambda: printer_view(site)["state"] == "unavailable")
    assert [j["attempts"] for j in jobs(site)] == [1]  # the next try is 30 s away
    printer.start()  # switched on again: it takes connections, still answers nothing
    assert printer.wait_for_jobs(1, timeout=5)
    eventually(lambda: all(j["status"] == "done" for j in jobs(site)))
    assert printer_view(site)["state"] == "online"
    assert printer.queries == 0
