"""/health/live and /health/ready in the process: each reason to fail named, and /health's
`status` saying the same while it keeps answering 200."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from server.app import create_app
from server.config import DatabaseSettings, MonitoringSettings, OmsSettings, Settings
from server.sync.outbox import STREAM
from tests.sync.test_outbox import add_events


@contextlib.contextmanager
def client_for(tmp_path: Path, **sections: Any) -> Iterator[TestClient[Any]]:
    settings = Settings(database=DatabaseSettings(path=str(tmp_path / "site.db")), **sections)
    with TestClient(create_app(settings)) as client:
        yield client


def checks(answer: Any) -> list[str]:
    return [problem["check"] for problem in answer.json()["problems"]]


def test_live_and_ready_answer_200_on_a_healthy_site(tmp_path: Path) -> None:
    with client_for(tmp_path) as client:
        assert client.get("/health/live").json() == {"status": "live"}
        ready = client.get("/health/ready")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready", "problems": []})
        assert client.get("/health").json()["status"] == "ok"


def test_ready_fails_when_the_disk_is_nearly_full(tmp_path: Path) -> None:
    # More free space asked for than any disk here has: the disk is "nearly full".
    with client_for(tmp_path, monitoring=MonitoringSettings(disk_min_free_mb=10**12)) as client:
        ready = client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["status"] == "not_ready" and checks(ready) == ["disk"]
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded" and checks(health) == ["disk"]


def test_ready_fails_when_the_database_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "site.db"
    settings = Settings(database=DatabaseSettings(path=str(path), busy_timeout_ms=100))
    with TestClient(create_app(settings)) as client:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the file's write lock
        try:
            ready = client.get("/health/ready")
            assert ready.status_code == 503 and checks(ready) == ["database"]
            assert "locked" in ready.json()["problems"][0]["detail"]
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert client.get("/health/ready").status_code == 200


def test_ready_fails_when_the_oms_host_name_does_not_resolve(tmp_path: Path) -> None:
    oms = OmsSettings(enabled=True, url="http://oms.example.invalid/events", poll_seconds=60)
    with client_for(tmp_path, oms=oms) as client:
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and checks(ready) == ["oms_dns"]
        assert "oms.example.invalid" in ready.json()["problems"][0]["detail"]


def test_ready_fails_when_the_oms_link_has_failed_longer_than_the_threshold(
    tmp_path: Path,
) -> None:
    # Nothing listens on port 9 of loopback; the worker waits out its poll, so the test
    # sets the link's state itself.
    oms = OmsSettings(enabled=True, url="http://127.0.0.1:9/events", poll_seconds=600)
    with client_for(
        tmp_path, oms=oms, monitoring=MonitoringSettings(oms_down_seconds=60)
    ) as client:
        db = client.app.state.db

        add_events(db, 1)

        def failing_since(minutes: int) -> None:
            """The oldest undelivered event is this old, and the last try failed."""
            at = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
            db._write(lambda conn: conn.execute("UPDATE events SET at = ?", (at,)))
            db._write(
                lambda conn: conn.execute(
                    "INSERT INTO sync_cursor (stream, attempts, last_error, updated_at) "
                    "VALUES (?, 3, '0: ConnectionRefusedError', ?) ON CONFLICT (stream) DO UPDATE "
                    "SET attempts = 3, last_error = excluded.last_error",
                    (STREAM, at),
                )
            )

        failing_since(minutes=0)
        assert client.get("/health/ready").status_code == 200  # failing, not for long yet
        failing_since(minutes=5)
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and checks(ready) == ["oms_link"]
        assert "ConnectionRefusedError" in ready.json()["problems"][0]["detail"]
