"""Prometheus /metrics in the process: who may read it, bounded labels, scans by outcome,
the writer's lock wait, and the floor's state read at scrape time."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from litestar.routes import HTTPRoute
from prometheus_client.parser import text_string_to_metric_families

from server.observe.metrics import SCAN_ROUTES
from tests.conftest import Api, movement_by_service, seed_basics

METRICS_TOKEN = "metrics-secret-for-tests"


def scrape(api: Api) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = api.client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(autouse=True)
def metrics_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BONDFLOOR_METRICS_TOKEN", METRICS_TOKEN)


def test_every_scan_route_is_a_route_of_the_app(api: Api) -> None:
    routes = {
        (method, route.path_format)
        for route in api.client.app.routes
        if isinstance(route, HTTPRoute)
        for method in route.methods
    }
    assert set(SCAN_ROUTES) <= routes


def test_metrics_need_an_allowed_address_or_the_token(api: Api) -> None:
    # The in-process client has no IP address: only the token lets it in.
    assert api.client.get("/metrics").json()["error"]["code"] == "UNAUTHENTICATED"
    wrong = api.client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    floor_token = api.client.get("/metrics", headers=api.headers("admin"))
    assert floor_token.status_code == 401  # a floor login is not the metrics token
    assert (
        "bondfloor_http_requests_total"
        in api.client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    )


def test_requests_are_counted_by_route_template_not_raw_path(api: Api) -> None:
    for plan_id in (101, 102, 103):
        api.get(f"/api/v1/plans/{plan_id}")
    samples = scrape(api)
    series = [key for key in samples if key[0] == "bondfloor_http_requests_total"]
    plan_routes = {
        dict(labels)["route"] for _, labels in series if "/plans/" in dict(labels)["route"]
    }
    assert plan_routes == {"/api/v1/plans/{plan_id}"}
    assert (
        value(
            samples,
            "bondfloor_http_requests_total",
            method="GET",
            route="/api/v1/plans/{plan_id}",
            status="404",
        )
        == 3
    )
    assert (
        value(
            samples,
            "bondfloor_http_request_duration_seconds_count",
            method="GET",
            route="/api/v1/plans/{plan_id}",
        )
        == 3
    )


def test_scans_are_counted_by_flow_outcome_and_error_code(api: Api) -> None:
    seed_basics(api)
    movement_by_service(
        api, kind="receive", customer="C1", sku="S1", quantity=5, to_location="DOCK-1"
    )
    scan = {"from_location": "DOCK-1", "item": "6901234567892", "quantity": 1}
    for to_location in ("A-1", "A-1", "NO-SUCH-PLACE"):
        api.post("/api/v1/putaway", role="putaway", json={**scan, "to_location": to_location})
    samples = scrape(api)
    assert value(samples, "bondfloor_scans_total", flow="putaway", outcome="ok", code="") == 2
    assert (
        value(
            samples,
            "bondfloor_scans_total",
            flow="putaway",
            outcome="refused",
            code="LOCATION_NOT_FOUND",
        )
        == 1
    )


def test_the_writers_lock_wait_is_measured(api: Api) -> None:
    db = api.db
    before = value(scrape(api), "bondfloor_db_write_lock_wait_seconds_count")
    held = threading.Event()
    release = threading.Event()

    def hold_the_writer() -> None:
        def wait(_conn: object) -> None:
            held.set()
            release.wait(5)

        db._write(wait)

    holder = threading.Thread(target=hold_the_writer)
    holder.start()
    held.wait(5)
    timer = threading.Timer(0.2, release.set)
    timer.start()
    db._write(lambda conn: conn.execute("SELECT 1"))  # waits for the holder
    holder.join()
    samples = scrape(api)
    assert value(samples, "bondfloor_db_write_lock_wait_seconds_count") >= before + 2
    assert value(samples, "bondfloor_db_write_lock_wait_seconds_sum") >= 0.15
    assert value(samples, "bondfloor_db_write_lock_wait_seconds_bucket", le="0.1") < value(
        samples, "bondfloor_db_write_lock_wait_seconds_count"
    )


def test_writes_committed_together_are_counted_as_one_batch(api: Api) -> None:
    db = api.db
    before = scrape(api)
    release = threading.Event()
    holder = threading.Thread(target=lambda: db._write(lambda conn: release.wait(5)))
    holder.start()
    deadline = time.monotonic() + 5
    while not (db._leading and db.waiting_writes == 0):
        assert time.monotonic() < deadline
        time.sleep(0.005)
    queued = [threading.Thread(target=lambda: db._write(lambda c: c.execute("SELECT 1")))]
    queued += [threading.Thread(target=lambda: db._write(lambda c: c.execute("SELECT 2")))]
    queued += [threading.Thread(target=lambda: db._write(lambda c: c.execute("SELECT 3")))]
    for t in queued:
        t.start()
    while db.waiting_writes < 3:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    release.set()
    for t in [holder, *queued]:
        t.join(5)
    after = scrape(api)
    count = "bondfloor_db_write_batch_size_count"
    assert value(after, count) - value(before, count) >= 2  # the holder, then the three

    def three_or_four(samples: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> float:
        bucket = "bondfloor_db_write_batch_size_bucket"
        return value(samples, bucket, le="4.0") - value(samples, bucket, le="2.0")

    assert three_or_four(after) - three_or_four(before) >= 1


def test_print_queue_alerts_and_sync_are_read_from_the_database(api: Api) -> None:
    at = "2026-01-01T00:00:00+00:00"

    def seed(conn: sqlite3.Connection) -> None:
        # Finished states: the print dispatcher leaves them as they are.
        conn.executemany(
            "INSERT INTO print_jobs (printer, kind, status, payload, created_by, created_at) "
            "VALUES (?, 'test', ?, '', 'test', ?)",
            [("label-1", "done", at), ("label-1", "done", at), ("label-2", "cancelled", at)],
        )
        conn.executemany(
            "INSERT INTO alerts (kind, subject, severity, first_seen_at, last_seen_at, cleared_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                ("low_stock", "S1", "warning", at, at, None),
                ("low_stock", "S2", "warning", at, at, None),
                ("low_stock", "S3", "warning", at, at, at),  # cleared: not open
            ],
        )

    api.db._write(seed)
    samples = scrape(api)
    assert value(samples, "bondfloor_print_jobs", printer="label-1", state="done") == 2
    assert value(samples, "bondfloor_print_jobs", printer="label-2", state="cancelled") == 1
    assert value(samples, "bondfloor_alerts_open", kind="low_stock", severity="warning") == 2
    last_seq = api.db.read(
        lambda c: c.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
    )
    assert value(samples, "bondfloor_sync_backlog_events") == last_seq  # the OMS link is off
    assert value(samples, "bondfloor_sync_stopped") == 0
