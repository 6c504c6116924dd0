"""Alerts on a real SQLite file, driven through the API and the worker's step with an
explicit `now`: each kind is raised when its condition holds and cleared when it stops,
with one `alert.raised` and one `alert.cleared` event each time, never more."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import pytest

from server.alerts.schemas import ALERT_MESSAGES, alert_message
from server.alerts.service import check_alerts, iso
from server.config import AlertSettings, OmsSettings, ScannerSettings, Settings, StationSettings
from server.printing import service as printing
from server.stations.agent_link import DeviceReport, Heartbeat, record_heartbeat
from tests.conftest import Api
from tests.outbound.helpers import (
    SOAP,
    customs,
    outbound_settings,
    pack,
    pick_all,
    put_stock,
    released_order,
    seed_outbound,
    wave,
)


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    """The outbound test site, a station whose agent drives a fixed scanner, and low
    thresholds for unusual activity (they come from the [alerts] section)."""
    base = outbound_settings(tmp_path)
    base.scanners.append(ScannerSettings(name="sc-1", kind="serial", device="/dev/null"))
    base.stations.append(StationSettings(name="bench-9", kind="pack_bench", scanners=["sc-1"]))
    base.alerts = AlertSettings(refusals_threshold=3, adjustments_threshold=3)
    return base


@pytest.fixture
def site(api: Api) -> Api:
    seed_outbound(api)
    return api


def open_alerts(api: Api) -> dict[tuple[str, str], dict[str, Any]]:
    answer = api.get("/api/v1/alerts")
    assert answer.status_code == 200, answer.text
    return {(a["kind"], a["subject"]): a for a in answer.json()}


def kinds(api: Api) -> set[str]:
    return {kind for kind, _ in open_alerts(api)}


def alert_events(api: Api) -> list[tuple[str, str, str]]:
    rows = api.db.read(
        lambda conn: conn.execute(
            "SELECT type, payload FROM events WHERE type LIKE 'alert.%' ORDER BY seq"
        ).fetchall()
    )
    return [
        (r["type"], (p := msgspec.json.decode(r["payload"]))["kind"], p["subject"]) for r in rows
    ]


def check(api: Api, now: datetime, settings: Settings | None = None) -> dict[str, list[int]]:
    return check_alerts(api.db, settings or api.settings, now)


def now() -> datetime:
    return datetime.now(UTC)


def test_safety_level_set_by_a_supervisor_raises_once_and_clears(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    answer = site.client.put(
        "/api/v1/alerts/safety-levels",
        headers=site.headers("supervisor", "levels-1"),
        json={"levels": [{"customer": "C1", "sku": "S1", "quantity": 10}]},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()[0]["quantity"] == 10
    check(site, now())
    check(site, now() + timedelta(seconds=30))
    alert = open_alerts(site)[("STOCK_BELOW_SAFETY", "C1/S1")]
    assert alert["details"] == {"on_hand": 5, "level": 10}
    assert alert["severity"] == "warning"
    assert alert["last_seen_at"] > alert["first_seen_at"]
    put_stock(site, "A-1", "S1", 5)
    check(site, now() + timedelta(seconds=60))
    assert "STOCK_BELOW_SAFETY" not in kinds(site)
    assert [e for e in alert_events(site) if e[1] == "STOCK_BELOW_SAFETY"] == [
        ("alert.raised", "STOCK_BELOW_SAFETY", "C1/S1"),
        ("alert.cleared", "STOCK_BELOW_SAFETY", "C1/S1"),
    ]


def test_safety_levels_name_every_unknown_sku_and_change_nothing(site: Api) -> None:
    body = {
        "levels": [
            {"customer": "C1", "sku": "S1", "quantity": 3},
            {"customer": "C1", "sku": "NOPE", "quantity": 3},
            {"customer": "C2", "sku": "S1", "quantity": 3},
        ]
    }
    answer = site.client.put(
        "/api/v1/alerts/safety-levels", headers=site.headers("supervisor", "lv-bad"), json=body
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "SKU_NOT_FOUND"
    assert len(answer.json()["error"]["details"]["problems"]) == 2
    assert site.get("/api/v1/alerts/safety-levels").json() == []
    negative = {"levels": [{"customer": "C1", "sku": "S1", "quantity": -1}]}
    answer = site.client.put(
        "/api/v1/alerts/safety-levels", headers=site.headers("supervisor", "lv-neg"), json=negative
    )
    assert answer.status_code == 400
    denied = site.client.put(
        "/api/v1/alerts/safety-levels", headers=site.headers("picker", "lv-pick"), json=negative
    )
    assert denied.status_code == 403


def test_the_default_safety_level_comes_from_config(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    strict = msgspec.structs.replace(
        site.settings, alerts=AlertSettings(default_safety_level=6, slow_moving_days=0)
    )
    check(site, now(), strict)
    # S2 and S3 have no stock at all: below 6 too.
    assert {s for k, s in open_alerts(site) if k == "STOCK_BELOW_SAFETY"} == {
        "C1/S1",
        "C2/S2",
        "C1/S3",
    }
    check(site, now())  # the shipped default: no safety level, nothing below it
    assert "STOCK_BELOW_SAFETY" not in kinds(site)


def test_slow_moving_stock_raised_after_n_days_without_movement(site: Api) -> None:
    put_stock(site, "A-1", "S1", 5)
    check(site, now() + timedelta(days=89))
    assert "STOCK_SLOW_MOVING" not in kinds(site)
    check(site, now() + timedelta(days=91))
    assert ("STOCK_SLOW_MOVING", "C1/S1") in open_alerts(site)
    put_stock(site, "A-1", "S1", 1)  # it moved today
    check(site, now() + timedelta(days=1))
    assert "STOCK_SLOW_MOVING" not in kinds(site)


def test_expiring_lot_then_expired_in_pickable_location(site: Api) -> None:
    expiry = (date.today() + timedelta(days=10)).isoformat()
    put_stock(site, "A-2", "S3", 4, lot="L9", expiry=expiry)
    check(site, now())
    alert = open_alerts(site)[("LOT_EXPIRING", f"C1/S3/L9/{expiry}")]
    assert alert["details"] == {"quantity": 4, "expiry": expiry}
    later = now() + timedelta(days=12)
    check(site, later)
    assert kinds(site) >= {"EXPIRED_IN_PICKABLE"}
    assert "LOT_EXPIRING" not in kinds(site)
    assert ("EXPIRED_IN_PICKABLE", "A-2/C1/S3/L9") in open_alerts(site)
    taken = site.post(
        "/api/v1/ledger/movements",
        json={
            "kind": "adjust",
            "customer": "C1",
            "sku": "S3",
            "lot": "L9",
            "expiry": expiry,
            "quantity": 4,
            "from_location": "A-2",
            "reason": "expired",
        },
    )
    assert taken.status_code == 200, taken.text
    check(site, later + timedelta(minutes=1))
    assert "EXPIRED_IN_PICKABLE" not in kinds(site)


def test_orders_at_risk_of_their_cut_off_and_customs_holds(site: Api) -> None:
    put_stock(site, "A-1", "S1", 10)
    order = released_order(site, [{"sku": "S1", "quantity": 1}], cutoff_hours=4)
    check(site, now())
    assert "ORDER_NOT_PACKED_BY_CUTOFF" not in kinds(site)
    check(site, now() + timedelta(hours=3, minutes=5))  # 55 min before the cut-off
    assert ("ORDER_NOT_PACKED_BY_CUTOFF", order["order_no"]) in open_alerts(site)

    built = wave(site, order_nos=[order["order_no"]])
    pick_all(site, built["id"], {order["order_no"]: "T-1"})
    assert pack(site, order["id"], [SOAP]).status_code == 200
    check(site, now() + timedelta(hours=3, minutes=10))  # 50 min before: loading has time
    assert kinds(site) & {"ORDER_NOT_PACKED_BY_CUTOFF", "ORDER_NOT_LOADED_BY_CUTOFF"} == set()
    check(site, now() + timedelta(hours=3, minutes=35))
    assert ("ORDER_NOT_LOADED_BY_CUTOFF", order["order_no"]) in open_alerts(site)

    held = released_order(site, [{"sku": "S1", "quantity": 1}])
    assert customs(site, held["order_no"], 500).status_code == 200
    check(site, now())
    assert ("ORDER_CUSTOMS_HOLD", held["order_no"]) in open_alerts(site)
    assert customs(site, held["order_no"], 800).status_code == 200
    check(site, now())
    assert "ORDER_CUSTOMS_HOLD" not in kinds(site)


def test_a_failed_print_job_until_it_is_retried(site: Api) -> None:
    queued = site.post("/api/v1/printers/label-1/test", role="admin")
    assert queued.status_code == 200, queued.text
    job_id = queued.json()["id"]
    check(site, now())
    assert "PRINT_JOB_FAILING" not in kinds(site)
    site.db._write(lambda conn: printing.mark_failed(conn, job_id, "no such printer", iso(now())))
    check(site, now())
    assert ("PRINT_JOB_FAILING", "label-1") in open_alerts(site)
    assert site.post(f"/api/v1/print-jobs/{job_id}/retry").status_code == 200
    check(site, now())
    assert "PRINT_JOB_FAILING" not in kinds(site)


def test_oms_sync_lag_and_stop(site: Api) -> None:
    linked = msgspec.structs.replace(
        site.settings, oms=OmsSettings(enabled=True, url="http://127.0.0.1:9/events")
    )
    put_stock(site, "A-1", "S1", 1)  # an event waits for the OMS
    check(site, now() + timedelta(seconds=100), linked)
    assert "SYNC_LAG" not in kinds(site)
    check(site, now() + timedelta(seconds=400), linked)
    assert ("SYNC_LAG", "oms") in open_alerts(site)
    site.db._write(
        lambda conn: conn.execute(
            "INSERT INTO sync_cursor (stream, delivered_seq, stopped_seq, stopped_error, "
            "updated_at) VALUES ('oms', 0, 1, 'HTTP 422: unknown SKU', ?)",
            (iso(now()),),
        )
    )
    check(site, now() + timedelta(seconds=401), linked)
    assert kinds(site) & {"SYNC_LAG", "SYNC_STOPPED"} == {"SYNC_STOPPED"}
    check(site, now(), site.settings)  # the link off: nothing to watch
    assert kinds(site) & {"SYNC_LAG", "SYNC_STOPPED"} == set()


def test_printer_and_station_devices_away(site: Api) -> None:
    since = now()
    site.db._write(
        lambda conn: printing.set_printer_state(
            conn, "label-1", "paper_out", "roll empty", iso(since)
        )
    )
    check(site, since + timedelta(seconds=30))  # a blip inside the grace
    assert "PRINTER_UNAVAILABLE" not in kinds(site)
    check(site, since + timedelta(seconds=61))
    assert ("PRINTER_UNAVAILABLE", "label-1") in open_alerts(site)
    site.db._write(
        lambda conn: printing.set_printer_state(conn, "label-1", "online", "", iso(now()))
    )

    # bench-9's agent has never reported: offline from the start.
    assert ("STATION_AGENT_OFFLINE", "bench-9") in open_alerts(site)
    station = site.settings.stations[-1]
    beat = Heartbeat(scanners={"sc-1": DeviceReport(state="unavailable", detail="unplugged")})
    site.db._write(lambda conn: record_heartbeat(conn, site.settings, station, beat, iso(now())))
    check(site, now() + timedelta(seconds=62))
    found = kinds(site)
    assert "PRINTER_UNAVAILABLE" not in found
    assert ("STATION_AGENT_OFFLINE", "bench-9") in open_alerts(site)  # that beat is old by now
    check(site, now() + timedelta(seconds=5))
    assert ("SCANNER_UNAVAILABLE", "bench-9/sc-1") in open_alerts(site)
    assert ("STATION_AGENT_OFFLINE", "bench-9") not in open_alerts(site)
    check(site, now() + timedelta(seconds=40))  # three heartbeats missed
    assert ("STATION_AGENT_OFFLINE", "bench-9") in open_alerts(site)
    assert "SCANNER_UNAVAILABLE" not in kinds(site)


def test_unusual_refusals_and_adjustments_by_one_user(site: Api) -> None:
    for _ in range(3):
        assert site.get("/api/v1/alerts", role="picker").status_code == 403
    put_stock(site, "A-1", "S1", 10)
    for _ in range(3):
        answer = site.post(
            "/api/v1/ledger/movements",
            json={
                "kind": "adjust",
                "customer": "C1",
                "sku": "S1",
                "quantity": 1,
                "from_location": "A-1",
                "reason": "damaged",
            },
        )
        assert answer.status_code == 200, answer.text
    check(site, now())
    found = open_alerts(site)
    assert found[("UNUSUAL_REFUSALS", "user:picker01")]["details"]["count"] == 3
    assert found[("UNUSUAL_ADJUSTMENTS", "user:supervisor01")]["details"]["units"] == 3
    check(site, now() + timedelta(minutes=16))
    assert kinds(site) & {"UNUSUAL_REFUSALS", "UNUSUAL_ADJUSTMENTS"} == set()


def test_a_quiet_check_writes_no_command_and_no_event(site: Api) -> None:
    def counts() -> tuple[int, int, int]:
        return site.db.read(
            lambda conn: tuple(
                conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("commands", "events", "audit")
            )
        )

    check(site, now())
    before = counts()
    for n in range(3):
        assert check(site, now() + timedelta(seconds=n)) == {"raised": [], "cleared": []}
    assert counts() == before


def test_acknowledge_by_supervisor_only_and_once(site: Api) -> None:
    check(site, now())  # bench-9's agent: never seen
    alert = open_alerts(site)[("STATION_AGENT_OFFLINE", "bench-9")]
    path = f"/api/v1/alerts/{alert['id']}/ack"
    assert site.post(path, role="picker", json={"note": "seen"}).status_code == 403
    assert site.post(path, json={"note": ""}).status_code == 400
    answer = site.post(path, json={"note": "agent PC is being replaced"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["acked_by"] == "supervisor01"
    assert answer.json()["ack_note"] == "agent PC is being replaced"
    again = site.post(path, json={"note": "again"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ALERT_ALREADY_ACKED"
    missing = site.post("/api/v1/alerts/99999/ack", json={"note": "x"})
    assert missing.json()["error"]["code"] == "ALERT_NOT_FOUND"
    # Acknowledged, still open until its condition ends; the CSV lists it with the note.
    assert open_alerts(site)[("STATION_AGENT_OFFLINE", "bench-9")]["acked_at"]
    report = site.get("/api/v1/reports/alerts.csv")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    lines = report.text.splitlines()
    assert lines[0].startswith("id,kind,severity,subject")
    assert any("agent PC is being replaced" in line for line in lines[1:])


def test_a_supervisor_checks_now_and_is_in_the_audit(site: Api) -> None:
    assert site.post("/api/v1/alerts/check", role="picker").status_code == 403
    assert site.post("/api/v1/alerts/check", key=None).status_code == 400
    answer = site.post("/api/v1/alerts/check", key="check-1")
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["raised"]) >= 1  # bench-9's agent was never seen
    assert ("STATION_AGENT_OFFLINE", "bench-9") in open_alerts(site)
    who = site.db.read(
        lambda conn: conn.execute(
            "SELECT actor FROM audit WHERE action = 'alerts.check' AND outcome = 'ok'"
        ).fetchall()
    )
    assert [r[0] for r in who] == ["user:supervisor01"]
    again = site.post("/api/v1/alerts/check", key="check-2")
    assert again.json() == {"raised": [], "cleared": []}


def test_the_alerts_csv_never_hands_a_spreadsheet_a_formula(site: Api) -> None:
    check(site, now())
    alert = open_alerts(site)[("STATION_AGENT_OFFLINE", "bench-9")]
    note = '=HYPERLINK("http://x.invalid","agent")'
    assert site.post(f"/api/v1/alerts/{alert['id']}/ack", json={"note": note}).status_code == 200
    rows = list(csv.DictReader(io.StringIO(site.get("/api/v1/reports/alerts.csv").text)))
    ours = next(r for r in rows if r["id"] == str(alert["id"]))
    assert ours["ack_note"] == "'" + note
    assert ours["kind"] == "STATION_AGENT_OFFLINE" and ours["cleared_at"] == ""
    assert ours["code"] == "STATION_AGENT_NEVER_SEEN"
    assert list(rows[0])[-1] == "code"


def test_the_worker_checks_on_its_interval_and_only_0_turns_it_off(settings: Settings) -> None:
    from litestar.testing import TestClient

    from server.app import create_app

    assert Settings().alerts.check_seconds == 30  # a site watches its floor unless told not to
    app = create_app(settings)
    with TestClient(app):
        assert "alerts" in app.state.workers
    settings.alerts = AlertSettings(check_seconds=0)
    app = create_app(settings)
    with TestClient(app):
        assert "alerts" not in app.state.workers
    settings.alerts = AlertSettings(check_seconds=0.2)
    app = create_app(settings)
    with TestClient(app):
        assert "alerts" in app.state.workers
        deadline = time.monotonic() + 10
        raised: list[Any] = []
        while not raised and time.monotonic() < deadline:
            raised = app.state.db.read(
                lambda conn: conn.execute(
                    "SELECT kind FROM alerts WHERE subject = 'bench-9'"
                ).fetchall()
            )
            time.sleep(0.05)  # polling the worker's thread, not waiting out a fixed time
        assert [r[0] for r in raised] == ["STATION_AGENT_OFFLINE"]


# -- message codes and parameters: the handheld says them in the reader's language -----


def test_an_order_past_its_cut_off_is_past_not_near_on_the_same_alert(site: Api) -> None:
    put_stock(site, "A-1", "S1", 10)
    order = released_order(site, [{"sku": "S1", "quantity": 1}], cutoff_hours=4)
    cutoff = datetime.fromisoformat(
        site.db.read(
            lambda conn: conn.execute(
                "SELECT cutoff_at FROM orders WHERE order_no = ?", (order["order_no"],)
            ).fetchone()[0]
        )
    )
    key = ("ORDER_NOT_PACKED_BY_CUTOFF", order["order_no"])
    check(site, cutoff - timedelta(minutes=55))  # a clock set to before the cut-off
    near = open_alerts(site)[key]
    assert near["code"] == "ORDER_NOT_PACKED_NEAR_CUTOFF"
    assert datetime.fromisoformat(near["params"]["cutoff_at"]) == cutoff
    assert near["params"]["state"] == "new"
    check(site, cutoff + timedelta(minutes=5))  # the same clock, past the cut-off
    past = open_alerts(site)[key]
    assert past["id"] == near["id"]
    assert past["code"] == "ORDER_NOT_PACKED_PAST_CUTOFF"
    assert past["message"].endswith("has passed")
    assert datetime.fromisoformat(past["params"]["cutoff_at"]) == cutoff
    # Still one alert: one raised event, none for the change of words.
    assert [e for e in alert_events(site) if e[2] == order["order_no"]] == [
        ("alert.raised", "ORDER_NOT_PACKED_BY_CUTOFF", order["order_no"])
    ]


def test_every_alert_carries_a_registered_code_and_utc_times_in_its_parameters(
    site: Api,
) -> None:
    since = now()
    site.db._write(
        lambda conn: printing.set_printer_state(
            conn, "label-1", "paper_out", "roll empty", iso(since)
        )
    )
    put_stock(site, "A-1", "S1", 5)
    check(site, since + timedelta(days=91))
    found = open_alerts(site)
    assert found, "the check raised nothing"
    for alert in found.values():
        assert alert["code"] in ALERT_MESSAGES, alert
        assert alert["message"] == alert_message(alert["code"], alert["params"]), alert
        for name, value in alert["params"].items():
            if name.endswith("_at") or name == "since":
                assert datetime.fromisoformat(value).utcoffset() == timedelta(0), (name, value)
    printer = found[("PRINTER_UNAVAILABLE", "label-1")]
    assert printer["code"] == "PRINTER_UNAVAILABLE"
    assert printer["params"] == {"state": "paper_out", "since": iso(since), "detail": "roll empty"}
    assert found[("STATION_AGENT_OFFLINE", "bench-9")]["code"] == "STATION_AGENT_NEVER_SEEN"
    slow = found[("STOCK_SLOW_MOVING", "C1/S1")]
    assert slow["params"]["on_hand"] == 5 and "last_moved_at" in slow["params"]


def test_an_alert_stored_before_alerts_had_codes_is_listed_with_its_message(
    site: Api,
) -> None:
    # A database upgraded with an alert open: its row has the columns' defaults.
    site.db._write(
        lambda conn: conn.execute(
            "INSERT INTO alerts (kind, subject, severity, message, details, first_seen_at, "
            "last_seen_at) VALUES ('SYNC_LAG', 'oms', 'warning', 'event 7 waits 400 s', "
            "'{\"seq\": 7}', ?, ?)",
            (iso(now()), iso(now())),
        )
    )
    alert = open_alerts(site)[("SYNC_LAG", "oms")]
    assert (alert["code"], alert["params"], alert["message"]) == ("", {}, "event 7 waits 400 s")


def test_a_printer_job_refused_by_its_code_gives_the_code_to_translate(site: Api) -> None:
    queued = site.post("/api/v1/printers/label-1/test", role="admin")
    assert queued.status_code == 200, queued.text
    failure = "PRINTER_DISABLED: the printer is disabled"
    site.db._write(
        lambda conn: printing.mark_failed(conn, queued.json()["id"], failure, iso(now()))
    )
    check(site, now())
    alert = open_alerts(site)[("PRINT_JOB_FAILING", "label-1")]
    assert alert["params"]["error_code"] == "PRINTER_DISABLED"
    assert alert["params"]["last_error"] == failure


def test_the_alerts_csv_gives_times_on_the_site_clock(site: Api) -> None:
    assert site.settings.site.timezone == "Asia/Shanghai"
    check(site, now())
    alert = open_alerts(site)[("STATION_AGENT_OFFLINE", "bench-9")]
    assert site.post(f"/api/v1/alerts/{alert['id']}/ack", json={"note": "ok"}).status_code == 200
    rows = list(csv.DictReader(io.StringIO(site.get("/api/v1/reports/alerts.csv").text)))
    ours = next(r for r in rows if r["id"] == str(alert["id"]))
    for column in ("first_seen_at", "last_seen_at", "acked_at"):
        shown = datetime.fromisoformat(ours[column])
        assert shown.utcoffset() == timedelta(hours=8), (column, ours[column])
    stored = datetime.fromisoformat(alert["first_seen_at"])
    assert datetime.fromisoformat(ours["first_seen_at"]) == stored.replace(microsecond=0)
