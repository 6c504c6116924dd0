"""OMS sync failures in the log once per change of state: failing, stopped, recovered;
a retry that fails again writes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.db import Database
from server.sync.outbox import Outbox
from tests.sync.test_outbox import FakeOms, add_events, drain, site


@pytest.fixture
def oms() -> Iterator[FakeOms]:
    fake = FakeOms()
    yield fake
    fake.close()


def sync_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (r.levelname, r.getMessage().split(":")[0])
        for r in caplog.records
        if r.name == "bondfloor.sync"
    ]


def test_a_failing_link_is_logged_once_until_it_recovers(
    tmp_path: Path, db: Database, oms: FakeOms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bondfloor.sync")
    outbox = Outbox(site(tmp_path, oms.url, retry_min_seconds=0.001, retry_max_seconds=0.002))
    add_events(db, 3)
    oms.mode = "fail"
    outcomes = drain(outbox, db, until="failed") + drain(outbox, db, until="failed")
    outcomes += drain(outbox, db, until="failed")
    assert outcomes.count("failed") == 3
    assert sync_lines(caplog) == [("WARNING", "OMS delivery failing (500)")]
    oms.mode = "ok"
    drain(outbox, db)
    assert sync_lines(caplog) == [
        ("WARNING", "OMS delivery failing (500)"),
        ("INFO", "OMS delivery recovered after 3 failed attempt(s)"),
    ]
    add_events(db, 2)
    drain(outbox, db)
    assert len(sync_lines(caplog)) == 2  # delivering as usual writes nothing


def test_a_refused_event_is_logged_once_when_delivery_stops(
    tmp_path: Path, db: Database, oms: FakeOms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bondfloor.sync")
    outbox = Outbox(site(tmp_path, oms.url))
    add_events(db, 3)
    oms.refused = {2}
    drain(outbox, db, until="stopped")
    assert outbox.deliver_once(db) == "stopped"
    lines = sync_lines(caplog)
    assert lines == [("ERROR", "OMS delivery stopped")]
    stopped = next(r for r in caplog.records if r.name == "bondfloor.sync")
    assert "event 2" in stopped.getMessage() and "unknown SKU" in stopped.getMessage()
