"""Prometheus metrics of one app: counters fed as things happen, gauges read from the
database when /metrics is scraped.

Each app has its own registry (prometheus-client's default one is process-global, and the
tests build many apps in one process). Label values are bounded: a route is its template
(`/api/v1/orders/{order_id}/pack-scans`), never the raw path; a refusal is its error
code, from a registered table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from server.config import Settings
from server.db import Database
from server.sync.outbox import sync_status
from server.tls.service import served_certificate_status

# `*_created` series double the exposition and no dashboard here reads them.
disable_created_metrics()

SCAN_ROUTES = {
    ("POST", "/api/v1/plans/{plan_id}/receive"): "receiving",
    ("POST", "/api/v1/putaway"): "putaway",
    ("POST", "/api/v1/pick-tasks/{task_id}/check"): "picking",
    ("POST", "/api/v1/pick-tasks/{task_id}/confirm"): "picking",
    ("POST", "/api/v1/orders/{order_id}/pack-scans"): "packing",
    ("POST", "/api/v1/loading-lists/{list_id}/scans"): "dock",
    ("POST", "/api/v1/stations/{name}/scans"): "station",
    ("POST", "/api/v1/counts/{task_id}/lines"): "counting",
}
"""The routes a scan goes to, by flow (a test checks each is a route of the app)."""

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LOCK_WAIT_BUCKETS = (0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


class FloorMetrics:
    """The registry of one app and the counters its requests and writer feed."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "bondfloor_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bondfloor_http_request_duration_seconds",
            "Time from request to the end of the answer, by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.scans = Counter(
            "bondfloor_scans",
            "Scans by flow and outcome (ok or refused) and, when refused, the error code",
            ["flow", "outcome", "code"],
            registry=self.registry,
        )
        self.write_lock_wait = Histogram(
            "bondfloor_db_write_lock_wait_seconds",
            "Time a write waited for the one writer connection",
            buckets=LOCK_WAIT_BUCKETS,
            registry=self.registry,
        )
        self.write_batch = Histogram(
            "bondfloor_db_write_batch_size",
            "Writes committed together in one transaction (group commit: one fsync each)",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )

        self._request_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def request_series(self, method: str, route: str, status: int) -> tuple[Any, Any]:
        """The request counter and latency histogram of one method, route and status.

        Kept per label set: `labels()` takes a lock and builds its key on every call, and
        this runs for every request. The label sets are bounded (route templates, statuses).
        """
        key = (method, route, status)
        series = self._request_series.get(key)
        if series is None:
            series = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._request_series[key] = series
        return series

    def watch(self, db: Database, settings: Settings) -> None:
        """Read the floor's state from `db` at each scrape, and time its write lock."""
        self.registry.register(FloorStateCollector(db, settings))
        db.lock_wait_observer = self.write_lock_wait.observe
        db.batch_observer = self.write_batch.observe


class FloorStateCollector(Collector):
    """Gauges read from the database at scrape time: nothing to keep in step."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings

    def describe(self) -> list[Metric]:
        return []  # read at scrape time only: no database access when registered

    def collect(self) -> Iterator[Metric]:
        yield from self._db.read(self._read)

    def _read(self, conn: sqlite3.Connection) -> list[Metric]:
        jobs = GaugeMetricFamily(
            "bondfloor_print_jobs",
            "Print jobs by printer and state (done jobs are counted too)",
            labels=["printer", "state"],
        )
        for printer, state, count in conn.execute(
            "SELECT printer, status, COUNT(*) FROM print_jobs GROUP BY printer, status"
        ):
            jobs.add_metric([printer, state], count)
        alerts = GaugeMetricFamily(
            "bondfloor_alerts_open", "Open alerts by kind and severity", labels=["kind", "severity"]
        )
        for kind, severity, count in conn.execute(
            "SELECT kind, severity, COUNT(*) FROM alerts WHERE cleared_at IS NULL "
            "GROUP BY kind, severity"
        ):
            alerts.add_metric([kind, severity], count)
        sync: dict[str, Any] = sync_status(conn, self._settings)
        certificate = served_certificate_status(self._settings)
        return [
            jobs,
            alerts,
            *(
                [
                    GaugeMetricFamily(
                        "bondfloor_tls_certificate_days_left",
                        "Whole days until the served HTTPS certificate expires",
                        value=certificate.days_left,
                    )
                ]
                if certificate is not None
                else []
            ),
            GaugeMetricFamily(
                "bondfloor_sync_backlog_events",
                "Events in the journal not yet acknowledged by the OMS",
                value=sync["backlog"],
            ),
            GaugeMetricFamily(
                "bondfloor_sync_lag_seconds",
                "Age of the oldest event the OMS has not acknowledged (0 when none)",
                value=sync["lag_seconds"],
            ),
            GaugeMetricFamily(
                "bondfloor_sync_stopped",
                "1 while delivery is stopped on an event the OMS refused",
                value=0 if sync["stopped"] is None else 1,
            ),
            GaugeMetricFamily(
                "bondfloor_events_last_seq",
                "Sequence number of the newest event",
                value=sync["last_seq"],
            ),
        ]
