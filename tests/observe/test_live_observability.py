"""Observability of a real `bondfloor serve` on loopback with JSON logs and an OMS that
refuses the first event: /health/ready follows the sync state, /metrics counts the scans
and prints it saw, and every log line is JSON with an access line per request."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.demo import DEMO_PIN
from tests.live_server import DEMO_BADGES, LiveServer, log_in, running_server
from tests.sync.test_outbox import FakeOms

DEVICE = "hh-observed-7"


@dataclass
class Site:
    server: LiveServer
    oms: FakeOms
    tokens: dict[str, str]

    def client(self, user: str) -> httpx.Client:
        if user not in self.tokens:
            with httpx.Client(base_url=self.server.base_url, timeout=10) as anonymous:
                answer = log_in(anonymous, user)
            assert answer.status_code == 201, answer.text
            self.tokens[user] = answer.json()["token"]
        return httpx.Client(
            base_url=self.server.base_url,
            timeout=10,
            headers={"Authorization": f"Bearer {self.tokens[user]}", "X-Device": DEVICE},
        )

    def call(self, user: str, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"Idempotency-Key": f"obs-{uuid.uuid4().hex}"} if body is not None else {}
        with self.client(user) as client:
            return client.request(method, path, json=body, headers=headers)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.server.base_url}{path}", timeout=10)

    def log_lines(self) -> list[str]:
        return [line for line in self.server.log.read_text("utf-8").splitlines() if line.strip()]

    def read(self, sql: str) -> list[sqlite3.Row]:
        conn = sqlite3.connect(f"file:{self.server.db_path}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()


def wait_for(check: Any, what: str, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"never {what}")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("observed")
    oms = FakeOms()
    oms.refused = {1}  # the demo's first event: delivery stops before it
    config = (
        f'[oms]\nenabled = true\nurl = "{oms.url}"\npoll_seconds = 0.1\n'
        "timeout_seconds = 2.0\nretry_min_seconds = 0.05\nretry_max_seconds = 0.2\n"
        '[logging]\nformat = "json"\n'
        f'[[printers]]\nname = "label-1"\nkind = "file"\nfolder = "{folder / "printouts"}"\n'
    )
    try:
        with running_server(folder, "Observed site", config) as server:
            yield Site(server, oms, {})
    finally:
        oms.close()


def test_ready_is_503_while_sync_is_stopped_and_200_after_a_retry(site: Site) -> None:
    assert site.get("/health/live").json() == {"status": "live"}
    # The demo's first events are last month's (its history): older than the OMS link's
    # `oms_down_seconds`, so the link may show as down before the worker has met the
    # refusal; wait for the stopped sync itself.
    stopped = wait_for(
        lambda: (
            (answer := site.get("/health/ready")).status_code == 503
            and "sync_stopped" in answer.text
            and answer
        ),
        "not ready on the stopped sync",
    )
    assert [p["check"] for p in stopped.json()["problems"]] in (
        ["sync_stopped"],
        ["sync_stopped", "oms_link"],
    )
    assert "event 1" in stopped.json()["problems"][0]["detail"]
    health = site.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "degraded"

    site.oms.refused = set()  # the OMS was fixed; a supervisor sends the event again
    assert site.call("sup01", "POST", "/api/v1/sync/retry", {}).status_code == 200
    wait_for(lambda: site.get("/health/ready").status_code == 200, "ready after the retry")
    assert site.get("/health").json()["status"] == "ok"

    def sync_states() -> list[str]:
        return [
            line["sync_state"]
            for line in map(json.loads, site.log_lines())
            if line["logger"] == "bondfloor.sync"
        ]

    # Stopped once (the worker kept finding it stopped), then recovered once.
    assert wait_for(lambda: sync_states() == ["stopped", "ok"] and sync_states(), "logged")


def test_metrics_show_scans_prints_and_the_sync_backlog(site: Site) -> None:
    # The demo's first plan, numbered by the site's day (not this machine's UTC date).
    plan = site.read(
        "SELECT id FROM delivery_plans WHERE plan_no LIKE 'ASN-%-01' ORDER BY id LIMIT 1"
    )[0]["id"]
    barcode = site.read(
        "SELECT b.barcode FROM sku_barcodes b JOIN skus s ON s.id = b.sku_id "
        "WHERE s.code = 'HK0002' AND length(b.barcode) = 13"
    )[0]["barcode"]
    checked_in = site.call(
        "recv01", "POST", f"/api/v1/plans/{plan}/check-in", {"reference": "MSKU1234565"}
    )
    assert checked_in.status_code == 200, checked_in.text
    receive = f"/api/v1/plans/{plan}/receive"
    scan = {"scan": barcode, "lot": "L-OBS-1", "expiry": "2029-01-31"}  # lot and expiry tracked
    for _ in range(2):
        received = site.call("recv01", "POST", receive, scan)
        assert received.status_code == 200, received.text
    refused = site.call("recv01", "POST", receive, {"scan": "NOT-ON-ANY-PLAN"})
    code = refused.json()["error"]["code"]
    printed = site.call("admin", "POST", "/api/v1/printers/label-1/test", {})
    assert printed.status_code in (200, 201), printed.text

    answer = site.get("/metrics")  # from loopback: allowed without a token
    assert answer.status_code == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("bondfloor_scans_total", flow="receiving", outcome="ok", code="") == 2
    assert value("bondfloor_scans_total", flow="receiving", outcome="refused", code=code) == 1
    route = "/api/v1/plans/{plan_id}/receive"
    assert value("bondfloor_http_requests_total", method="POST", route=route, status="200") == 2
    assert value("bondfloor_http_request_duration_seconds_count", method="POST", route=route) == 3
    jobs = sum(v for (name, labels), v in samples.items() if name == "bondfloor_print_jobs")
    assert jobs == site.read("SELECT COUNT(*) AS n FROM print_jobs")[0]["n"] >= 1
    assert value("bondfloor_db_write_lock_wait_seconds_count") >= 4
    journal = site.read(
        "SELECT (SELECT MAX(seq) FROM events) AS last, "
        "(SELECT delivered_seq FROM sync_cursor) AS delivered"
    )[0]
    assert value("bondfloor_events_last_seq") >= journal["last"]
    assert 0 <= value("bondfloor_sync_backlog_events") <= journal["last"]


def test_every_log_line_is_json_and_requests_have_an_access_line_without_secrets(
    site: Site,
) -> None:
    with httpx.Client(base_url=site.server.base_url, timeout=10) as anonymous:
        badge = log_in(anonymous, "recv01", DEMO_BADGES["recv01"])
    token = badge.json()["token"]
    with httpx.Client(
        base_url=site.server.base_url,
        headers={"Authorization": f"Bearer {token}", "X-Device": DEVICE},
    ) as client:
        assert client.get("/api/v1/auth/sessions").status_code == 200

    def access_line() -> dict[str, Any] | None:
        lines = [json.loads(line) for line in site.log_lines()]  # each line parses
        return next(
            (
                line
                for line in lines
                if line["logger"] == "bondfloor.access" and line["route"] == "/api/v1/auth/sessions"
            ),
            None,
        )

    line = wait_for(access_line, "an access line")
    assert {k: line[k] for k in ("method", "status", "device", "user")} == {
        "method": "GET",
        "status": 200,
        "device": DEVICE,
        "user": "user:recv01",
    }
    assert line["level"] == "info" and line["duration_ms"] >= 0 and line["time"]
    text = site.server.log.read_text("utf-8")
    for secret in (token, DEMO_BADGES["recv01"], *site.tokens.values()):
        assert secret not in text
    # A PIN is four digits: as a number of its own, not inside a PID or a time of day.
    pin = re.compile(rf"(?<![\d:.]){re.escape(DEMO_PIN)}(?![\d:.])")
    for logged in site.log_lines():
        fields = {k: v for k, v in json.loads(logged).items() if k not in ("time", "duration_ms")}
        assert not pin.search(json.dumps(fields, ensure_ascii=False)), fields
    loggers = {json.loads(line)["logger"] for line in site.log_lines()}
    assert {"bondfloor", "_granian", "bondfloor.access"} <= loggers  # one format for all
