"""The OMS link between real processes on loopback: `bondfloor serve` delivering its events
journal to `bondfloor oms-sim`, which feeds it a demo day, while either side is killed,
goes away, fails, stalls or drops the connection.

After each trouble the simulator must hold every event of the floor's journal exactly once
in effect (repeats only as repeats of the same key), in order, none missing, and the floor
must have taken each OMS message once.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import (
    LiveServer,
    running_server,
    start_serve,
    stop_server,
    wait_for_health,
)
from tests.sync.sim_process import SimProcess

SITE = "SITE1"  # the default site code: the config names none
ORDERS = 10


def oms_config(sim: SimProcess) -> str:
    return (
        f'[oms]\nenabled = true\nurl = "{sim.url}/events"\nbatch_size = 25\n'
        "timeout_seconds = 1.0\nretry_min_seconds = 0.05\nretry_max_seconds = 0.5\n"
        "poll_seconds = 0.1\n"
    )


@dataclass
class Link:
    folder: Path
    server: LiveServer
    sim: SimProcess
    proc: Any  # the serving process now (a restart replaces it)

    @property
    def port(self) -> int:
        return int(self.server.base_url.rsplit(":", 1)[1])

    def journal(self) -> list[dict[str, Any]]:
        with contextlib.closing(self._read()) as conn:
            rows = conn.execute(
                "SELECT seq, epoch, type, version, payload FROM events ORDER BY seq"
            )
            return [dict(r) for r in rows]

    def cursor(self) -> int:
        with contextlib.closing(self._read()) as conn:
            row = conn.execute("SELECT delivered_seq FROM sync_cursor").fetchone()
            return int(row[0]) if row else 0

    def sim_orders(self) -> int:
        with contextlib.closing(self._read()) as conn:
            return int(
                conn.execute("SELECT COUNT(*) FROM orders WHERE order_no LIKE 'SIM%'").fetchone()[0]
            )

    def _read(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.server.db_path}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn

    def kill_server(self) -> None:
        stop_server_hard(self.proc)

    def restart_server(self) -> None:
        self.proc = start_serve(self.folder, self.server.config, self.port, self.server.log)
        wait_for_health(f"{self.server.base_url}/health", self.proc, self.server.log)

    def sync_status(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.server.base_url}/health", timeout=5) as answer:
            health: dict[str, Any] = json.loads(answer.read())
        return health

    def delivery_passes(self) -> int:
        """Passes of the floor's sync worker so far (`/health` workers.sync.runs)."""
        return int(self.sync_status()["workers"]["sync"]["runs"])


def stop_server_hard(proc: Any) -> None:
    import os
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture
def link(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Link]:
    extra = getattr(request, "param", [])  # more simulator options, by indirect parametrize
    sim = SimProcess(
        tmp_path, tmp_path / "bondfloor.toml", "--pace", "0.05", "--orders", str(ORDERS), *extra
    )
    with running_server(tmp_path, "OMS link", oms_config(sim)) as server:
        # The demo day's setup wrote the simulator's token; now the OMS comes up.
        here = Link(tmp_path, server, sim, server.proc)
        sim.start()
        try:
            yield here
        finally:
            sim.stop()
            if here.proc is not server.proc:
                stop_server(here.proc)


def settle(link: Link, timeout: float = 60) -> list[dict[str, Any]]:
    """Wait until the demo day is sent and the whole journal is delivered and quiet."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        journal = link.journal()
        day_done = "demo day sent" in link.sim.log.read_text()
        if day_done and journal and link.cursor() == journal[-1]["seq"] == last:
            return journal
        last = journal[-1]["seq"] if journal else -1
        time.sleep(0.5)
    raise AssertionError(
        f"not settled: cursor {link.cursor()} of {last}; sim {link.sim.stats()}\n"
        + link.sim.log.read_text()[-3000:]
    )


def assert_exactly_once_in_order(link: Link, journal: list[dict[str, Any]]) -> dict[str, Any]:
    taken = link.sim.taken(SITE)
    assert [e["seq"] for e in taken] == [e["seq"] for e in journal], "missing or extra events"
    assert [e["key"] for e in taken] == [f"{SITE}:{e['epoch']}:{e['seq']}" for e in journal]
    for mine, theirs in zip(journal, taken, strict=True):
        assert (theirs["type"], theirs["version"]) == (mine["type"], mine["version"])
        assert json.loads(theirs["payload"]) == json.loads(mine["payload"]), mine["seq"]
    stats = link.sim.stats()
    assert stats["breaches"] == [], "a gap, an event out of order, or a changed repeat"
    # The floor took every message of the OMS's day once: all acknowledged, none twice.
    messages = link.sim.messages()
    assert messages and all(200 <= m["status"] < 300 for m in messages), [
        m for m in messages if m["status"] >= 300
    ]
    assert link.sim_orders() == ORDERS
    return stats


def wait_for(check: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"never {what}")


# Slow answers from the start keep delivery in the middle of the journal when the server dies.
@pytest.mark.parametrize("link", [["--fault", "stall", "--fault-seconds", "0.8"]], indirect=True)
def test_floor_server_killed_mid_delivery_restarts_where_the_oms_acknowledged(link: Link) -> None:
    wait_for(lambda: len(link.sim.taken(SITE)) >= 50, "50 events at the OMS")
    before = link.cursor()
    link.kill_server()  # SIGKILL: no shutdown, whatever was in flight is cut
    assert before < link.journal()[-1]["seq"], "delivery had finished before the kill"
    link.sim.faults(mode="ok")
    time.sleep(0.5)  # the OMS's day keeps trying against a dead server
    link.restart_server()
    journal = settle(link)
    stats = assert_exactly_once_in_order(link, journal)
    assert stats["repeats"] > 0, "a stalled batch was taken but never acknowledged"


def test_oms_away_for_a_while_then_back_gets_everything_once(link: Link) -> None:
    wait_for(lambda: len(link.sim.taken(SITE)) >= 25, "25 events at the OMS")
    link.sim.kill()
    # The floor goes on working while the OMS is away: a wave of the day's orders.
    wave = post(link.server.base_url, "/api/v1/waves", login(link.server.base_url, "sup01"), {})
    assert wave["orders"], wave
    wait_for(lambda: link.sync_status()["sync"]["last_error"], "a failed delivery")
    status = link.sync_status()["sync"]
    assert status["backlog"] > 0 and status["attempts"] >= 1, status
    # Away for a while: the floor has tried again, and failed again, since.
    wait_for(lambda: link.sync_status()["sync"]["attempts"] >= 3, "two more failed deliveries")
    link.sim.start()  # same store: it remembers what it took
    journal = settle(link)
    assert_exactly_once_in_order(link, journal)


# The OMS fails from the start, so the demo's backlog waits for the faults below.
@pytest.mark.parametrize("link", [["--fault", "fail"]], indirect=True)
def test_errors_stalls_and_dropped_connections_lose_and_reorder_nothing(link: Link) -> None:
    for mode, times in (("fail", 3), ("drop", 3), ("stall", 2), ("fail", 2), ("drop", 2)):
        link.sim.faults(mode=mode, times=times, seconds=1.5)
        wait_for(lambda: link.sim.stats()["faults"]["mode"] == "ok", f"{mode} spent", timeout=60)
    journal = settle(link)
    stats = assert_exactly_once_in_order(link, journal)
    assert stats["repeats"] > 0, "dropped and stalled batches must have come again"


@pytest.mark.parametrize("link", [["--fault", "fail"]], indirect=True)
def test_refused_event_stops_delivery_until_a_supervisor_skips_it(link: Link) -> None:
    refused = 60  # inside the demo's backlog, held back until now by the failing OMS
    link.sim.faults(mode="ok", refuse_seqs=[refused])
    wait_for(
        lambda: (link.sync_status()["sync"].get("stopped") or {}).get("seq") == refused,
        f"stopped at {refused}",
    )
    # Two more passes of the delivery worker, the second begun after the stop was recorded,
    # had their chance to send past it (an OMS takes an event before it answers).
    passes = link.delivery_passes()
    wait_for(lambda: link.delivery_passes() >= passes + 2, "two more delivery passes")
    assert max(e["seq"] for e in link.sim.taken(SITE)) == refused - 1, "nothing after the stop"
    sup = login(link.server.base_url, "sup01")
    skip = post(
        link.server.base_url, "/api/v1/sync/skip", sup, {"seq": refused, "reason": "OMS lost SKU"}
    )
    assert skip["skipped_seq"] == refused
    journal = settle(link)
    taken = [e["seq"] for e in link.sim.taken(SITE)]
    assert taken == [e["seq"] for e in journal if e["seq"] != refused]
    assert [b["seq"] for b in link.sim.stats()["breaches"]] == [refused + 1]  # the one gap


def login(base_url: str, user: str) -> str:
    answer = post(base_url, "/api/v1/auth/login", "", {"user_code": user, "pin": "1234"})
    return str(answer["token"])


def post(base_url: str, path: str, token: str, body: Any) -> Any:
    headers = {"Content-Type": "application/json", "Idempotency-Key": f"t-{time.time_ns()}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        base_url + path, data=json.dumps(body).encode(), headers=headers
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())
