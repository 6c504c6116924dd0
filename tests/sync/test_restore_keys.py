"""A restored floor never hands the OMS a key it already holds, between real processes.

`bondfloor serve` delivers its journal to `bondfloor oms-sim` on loopback while the OMS
sends it its messages. A backup is taken, more events are delivered, the server is
stopped and the backup put back, by `bondfloor restore` or by a plain file copy; the
server starts again and new events follow. The OMS must end up holding every event once:
the ones the restore made the floor forget, and the new ones under keys of their own,
none of them dropped as a repeat, none changed.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from server.omssim.feeder import FloorClient, Message, demo_day, stocked_skus
from tests.live_server import (
    BONDFLOOR,
    LiveServer,
    running_server,
    start_serve,
    stop_server,
    wait_for_health,
)
from tests.sync.sim_process import SimProcess

SITE = "SITE1"


def oms_config(sim: SimProcess) -> str:
    return (
        f'[oms]\nenabled = true\nurl = "{sim.url}/events"\nbatch_size = 10\n'
        "timeout_seconds = 1.0\nretry_min_seconds = 0.05\nretry_max_seconds = 0.3\n"
        "poll_seconds = 0.1\n"
    )


class Floor:
    """The serving process (replaced on restart), its database and the OMS's messages."""

    def __init__(self, server: LiveServer, sim: SimProcess) -> None:
        self.server = server
        self.sim = sim
        self.proc = server.proc
        token = (server.db_path.parent / "oms-sim.token").read_text().strip()
        self.oms = FloorClient(server.base_url, token)
        skus = stocked_skus(self.oms)
        # Four orders: plan, orders with their first replies, then release, inspection...
        self.messages = list(demo_day(date.today(), skus, orders=4))

    def send(self, messages: list[Message]) -> None:
        for m in messages:
            status, answer = self.oms.request("POST", m.path, m.body, key=m.id)
            assert 200 <= status < 300, (m.id, status, answer)

    def journal(self) -> list[dict[str, Any]]:
        conn = sqlite3.connect(f"file:{self.server.db_path}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        with contextlib.closing(conn):
            rows = conn.execute("SELECT seq, epoch, type, payload FROM events ORDER BY seq")
            return [{**dict(r), "key": f"{SITE}:{r['epoch']}:{r['seq']}"} for r in rows]

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.server.base_url}/health", timeout=5) as answer:
            result: dict[str, Any] = json.loads(answer.read())
        return result

    def delivered(self) -> list[dict[str, Any]]:
        """Wait until the whole journal is at the OMS and the floor says so; the journal."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            journal = self.journal()
            held = {e["key"] for e in self.sim.taken(SITE)}
            if {e["key"] for e in journal} <= held and self.health()["sync"]["backlog"] == 0:
                return journal
            time.sleep(0.1)
        raise AssertionError(f"not delivered: {self.health()['sync']}, {self.sim.stats()}")

    def stop(self) -> None:
        self.oms.close()
        stop_server(self.proc)

    def start(self) -> None:
        port = int(self.server.base_url.rsplit(":", 1)[1])
        self.proc = start_serve(
            self.server.db_path.parent, self.server.config, port, self.server.log
        )
        wait_for_health(f"{self.server.base_url}/health", self.proc, self.server.log)


@pytest.fixture
def floor(tmp_path: Path) -> Iterator[Floor]:
    sim = SimProcess(tmp_path, tmp_path / "bondfloor.toml", "--no-feed")
    with running_server(tmp_path, "Restore", oms_config(sim)) as server:
        sim.start()
        here = Floor(server, sim)
        try:
            yield here
        finally:
            sim.stop()
            here.stop()


def bondfloor(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BONDFLOOR), "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("how", ["bondfloor restore", "file copy"])
def test_events_after_a_restore_reach_the_oms_under_new_keys_and_none_is_dropped(
    floor: Floor, tmp_path: Path, how: str
) -> None:
    messages = floor.messages
    floor.send(messages[:9])  # the plan, four orders and their first customs replies
    floor.delivered()
    backup = tmp_path / "backup.db"
    done = bondfloor(floor.server.config, "backup", str(backup))
    assert done.returncode == 0, done.stderr
    floor.send(messages[9:11])  # two releases: delivered, then forgotten by the restore
    before_restore = floor.delivered()

    floor.stop()
    if how == "bondfloor restore":
        done = bondfloor(floor.server.config, "restore", str(backup))
        assert done.returncode == 0, done.stdout + done.stderr
    else:  # someone copies the file back by hand (and its WAL away): nothing can notice
        for suffix in ("-wal", "-shm"):
            Path(f"{floor.server.db_path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(backup, floor.server.db_path)
    floor.sim.faults(mode="fail")  # the OMS is away: the backlog must say what waits
    floor.start()
    restored = floor.journal()
    assert len(restored) < len(before_restore), "the backup has fewer events"
    assert floor.health()["sync"]["backlog"] == 0, "the backup had delivered everything"

    floor.send(messages[11:13])  # two new customs replies, on orders the backup knows
    after = floor.journal()
    new = after[len(restored) :]
    assert new, "the replies journal events"
    forgotten = before_restore[len(restored) :]
    # The floor numbers them as before the restore: only the key tells them apart.
    assert new[0]["seq"] == forgotten[0]["seq"]
    assert {e["key"] for e in new}.isdisjoint(e["key"] for e in before_restore)
    sync = floor.health()["sync"]
    assert sync["backlog"] == len(new), sync
    assert sync["epoch"]["id"] == new[0]["epoch"] != forgotten[0]["epoch"]
    if how == "bondfloor restore":
        assert sync["last_restore"]["after_seq"] == restored[-1]["seq"], sync

    floor.sim.faults(mode="ok")
    final = floor.delivered()
    assert final == after

    taken = floor.sim.taken(SITE)
    keys = [e["key"] for e in taken]
    assert len(keys) == len(set(keys))
    # Every event once: the ones the floor forgot stay at the OMS, the new ones are added.
    assert keys == [e["key"] for e in before_restore] + [e["key"] for e in new]
    by_key = {e["key"]: json.loads(e["payload"]) for e in taken}
    for event in before_restore + new:
        assert by_key[event["key"]] == json.loads(event["payload"]), event["key"]
    stats = floor.sim.stats()
    assert stats["breaches"] == [], "a changed repeat (a new event dropped), a gap or disorder"
    # The OMS can tell: a new epoch that starts at a seq it holds is a restore.
    assert [(r["seq"], r["last_seq"]) for r in stats["rewinds"]] == [
        (new[0]["seq"], before_restore[-1]["seq"])
    ]
