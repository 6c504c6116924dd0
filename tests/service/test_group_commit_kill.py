"""Group commit survives a kill -9: a real `bondfloor serve` takes durable receiving scans
from several handhelds at once (so writes are committed in groups), its worker is killed
with SIGKILL mid-load and started again by granian; every scan that was answered is in
the file once, and none was applied twice.

Each client thread sends scans with its own keys and, like a handheld, sends a key again
until it gets an answer: a scan committed just before the kill answers its stored result.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.live_server import log_in, running_server
from tests.service.test_worker_respawn import healthy, wait_until, worker_pids

LOT, EXPIRY = "KILL-LOT", "2031-12-31"
CLIENTS = 8


class ScanLoad:
    """CLIENTS threads, each sending receiving scans under its own keys, one at a time."""

    def __init__(self, base_url: str, token: str, path: str, barcode: str) -> None:
        self.base_url, self.token, self.path = base_url, token, path
        self.body = {"scan": barcode, "lot": LOT, "expiry": EXPIRY}
        self.acknowledged: dict[str, Any] = {}
        self.errors: list[str] = []
        self.retries = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(CLIENTS)
        ]

    def __enter__(self) -> ScanLoad:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def count(self) -> int:
        with self._lock:
            return len(self.acknowledged)

    def _client(self, client_no: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=5) as client:
            n = 0
            while not self._stop.is_set():
                n += 1
                key = f"kill-{client_no}-{n:05d}"
                while not self._stop.is_set():
                    try:
                        answer = client.post(
                            self.path, json=self.body, headers={"Idempotency-Key": key}
                        )
                    except httpx.HTTPError:
                        self.retries += 1
                        time.sleep(0.05)
                        continue
                    if answer.status_code >= 500:  # acknowledges nothing: same key again
                        self.retries += 1
                        continue
                    with self._lock:
                        if answer.status_code == 200:
                            self.acknowledged[key] = answer.json()
                        else:
                            self.errors.append(f"{key}: {answer.status_code} {answer.text[:200]}")
                    break


def open_plan(client: httpx.Client, db_path: Path) -> tuple[int, str, str]:
    """A released plan of one lot-tracked SKU, checked in: (id, plan number, barcode)."""
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        sku, barcode = conn.execute(
            "SELECT s.code, b.barcode FROM skus s JOIN sku_barcodes b ON b.sku_id = s.id "
            "WHERE s.lot_tracked = 1 ORDER BY s.code LIMIT 1"
        ).fetchone()
        (customer,) = conn.execute(
            "SELECT c.code FROM customers c JOIN skus s ON s.customer_id = c.id WHERE s.code = ?",
            (sku,),
        ).fetchone()
    plan = {
        "customer": customer,
        "plan_no": "KILL-1",
        "transport": {"type": "land", "truck_plate": "粤B12345"},
        "customs_released": True,
        "lines": [{"sku": sku, "expected_qty": 1_000_000, "lot": LOT, "expiry": EXPIRY}],
    }
    made = client.post("/api/v1/plans", json=plan, headers={"Idempotency-Key": "kill-plan"})
    assert made.status_code == 200, made.text
    plan_id = made.json()["id"]
    arrived = client.post(
        f"/api/v1/plans/{plan_id}/check-in",
        json={"reference": "粤B12345"},
        headers={"Idempotency-Key": "kill-checkin"},
    )
    assert arrived.status_code == 200, arrived.text
    return plan_id, "KILL-1", barcode


def test_killed_worker_under_grouped_scans_loses_no_answered_scan_and_applies_none_twice(
    tmp_path: Path,
) -> None:
    with running_server(tmp_path, "Group commit kill") as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            token = log_in(client, "sup01").json()["token"]
            client.headers["Authorization"] = f"Bearer {token}"
            plan_id, plan_no, barcode = open_plan(client, server.db_path)
        path = f"/api/v1/plans/{plan_id}/receive"
        (first,) = worker_pids(server.proc.pid)
        with ScanLoad(server.base_url, token, path, barcode) as load:
            wait_until("scans running", lambda: load.count() >= 150, 60)
            os.kill(first, signal.SIGKILL)
            killed_at = load.count()
            wait_until("health answers again", lambda: healthy(server.base_url), 20)
            wait_until("scans answered again", lambda: load.count() >= killed_at + 150, 60)
        assert server.proc.poll() is None
        assert worker_pids(server.proc.pid) != [first]
        print(f"{load.count()} scans answered, {load.retries} retries around the kill")

    assert load.errors == []
    conn = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True, timeout=10)
    with contextlib.closing(conn):
        commands = {
            r[0] for r in conn.execute("SELECT key FROM commands WHERE name = 'plan.receive'")
        }
        per_key = dict(
            conn.execute(
                "SELECT command_key, COUNT(*) FROM receipt_scans WHERE plan_id = ? "
                "GROUP BY command_key",
                (plan_id,),
            ).fetchall()
        )
        movements = conn.execute(
            "SELECT COUNT(*) FROM movements WHERE kind = 'receive' AND document = ?", (plan_no,)
        ).fetchone()[0]
        counted = conn.execute(
            "SELECT SUM(quantity) FROM receipt_counts WHERE plan_id = ?", (plan_id,)
        ).fetchone()[0]
    answered = set(load.acknowledged)
    assert answered <= commands, f"answered but lost: {sorted(answered - commands)[:5]}"
    assert set(per_key) == commands
    assert set(per_key.values()) == {1}, "a key applied twice"
    assert movements == len(commands) == counted
    # No two answered scans saw the same running count: none was lost or counted twice.
    tallies = [a["counted"] for a in load.acknowledged.values()]
    assert len(set(tallies)) == len(tallies)
