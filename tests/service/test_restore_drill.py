"""The restore drill (`make restore-drill`), with real processes on loopback:

1. a primary `bondfloor serve` with the demo warehouse does a day's OMS work (plan, orders,
   customs) and delivers its journal to the simulated OMS;
2. Litestream replicates its database to a folder (a NAS mount), with the config
   `bondfloor backup litestream-config` writes;
3. the primary is killed (SIGKILL: the machine is gone);
4. `litestream restore` brings the replica into a second directory, and `bondfloor
   restore` puts it in place there and begins a new journal epoch;
5. the standby serves, and is checked: the ledger equals the balances, and the OMS journal
   goes on under keys the OMS has never seen, none dropped as a repeat.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server.ledger.service import balances_from_movements, stored_balances
from tests.live_server import (
    BONDFLOOR,
    LiveServer,
    free_port,
    running_server,
    start_serve,
    stop_server,
    wait_for_health,
)
from tests.sync.sim_process import SimProcess
from tests.sync.test_restore_keys import Floor, oms_config


def litestream() -> str:
    here = Path(sys.executable).parent / "litestream"
    found = str(here) if here.exists() else shutil.which("litestream")
    if found is None:
        pytest.skip("litestream is not installed (pip install 'bondfloor[litestream]')")
    return found


def step(text: str) -> None:
    print(f"drill: {text}", flush=True)


def bf(config: Path, *args: str) -> str:
    done = subprocess.run(
        [str(BONDFLOOR), "--config", str(config), *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def event_count(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def replica_holds(ls: str, config: Path, db: Path, events: int, probe: Path) -> bool:
    """Restore the replica into a probe file: does it have every event yet?"""
    probe.unlink(missing_ok=True)
    done = subprocess.run(
        [ls, "restore", "-config", str(config), "-o", str(probe), str(db)],
        capture_output=True,
        timeout=60,
    )
    return done.returncode == 0 and event_count(probe) == events


def test_restore_drill_a_litestream_replica_restored_elsewhere_serves_with_balances_and_new_keys(
    tmp_path: Path,
) -> None:
    ls = litestream()
    primary_dir, standby_dir, nas = tmp_path / "primary", tmp_path / "standby", tmp_path / "nas"
    primary_dir.mkdir()
    standby_dir.mkdir()
    litestream_yml = tmp_path / "litestream.yml"
    sim = SimProcess(tmp_path, primary_dir / "bondfloor.toml", "--no-feed")
    replication: subprocess.Popen[bytes] | None = None
    try:
        with running_server(primary_dir, "Primary", oms_config(sim)) as primary:
            sim.start()
            step(f"primary serving on {primary.base_url}, database {primary.db_path}")
            bf(primary.config, "backup", "litestream-config", "--to", str(nas),
               "--output", str(litestream_yml))  # fmt: skip
            with (tmp_path / "litestream.log").open("ab") as out:
                replication = subprocess.Popen(
                    [ls, "replicate", "-config", str(litestream_yml)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            step(f"litestream replicating to {nas}")
            floor = Floor(primary, sim)
            floor.send(floor.messages[:11])  # a plan, four orders, customs replies, releases
            before = floor.delivered()
            floor.oms.close()
            events = event_count(primary.db_path)
            step(f"work done: {events} events, all delivered to the OMS")
            deadline = time.monotonic() + 30
            probe = tmp_path / "probe.db"
            while not replica_holds(ls, litestream_yml, primary.db_path, events, probe):
                assert time.monotonic() < deadline, (tmp_path / "litestream.log").read_text()
                time.sleep(0.5)
            step("the replica holds every event")
            os.killpg(primary.proc.pid, signal.SIGKILL)
            primary.proc.wait()
            step("primary killed (SIGKILL)")
        os.killpg(replication.pid, signal.SIGTERM)
        replication.wait(timeout=20)

        restored = standby_dir / "from-replica.db"
        subprocess.run(
            [ls, "restore", "-config", str(litestream_yml), "-o", str(restored),
             str(primary.db_path)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        port = free_port()
        standby_config = standby_dir / "bondfloor.toml"
        standby_db = standby_dir / "site.db"
        standby_config.write_text(
            f'[site]\nname = "Standby"\n[database]\npath = "{standby_db}"\n'
            f'[server]\nhost = "127.0.0.1"\nport = {port}\n' + oms_config(sim),
            encoding="utf-8",
        )
        step("litestream restore into " + str(restored))
        out = bf(standby_config, "restore", str(restored))
        step("bondfloor restore: " + out.strip().replace("\n", " | "))
        shutil.copy(primary_dir / "oms-sim.token", standby_dir / "oms-sim.token")

        log = standby_dir / "serve.log"
        proc = start_serve(standby_dir, standby_config, port, log)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_for_health(f"{base_url}/health", proc, log)
            step(f"standby serving on {base_url}")
            with contextlib.closing(
                sqlite3.connect(f"file:{standby_db}?mode=ro", uri=True)
            ) as conn:
                conn.row_factory = sqlite3.Row
                balances = stored_balances(conn)
                assert balances, "the demo's stock came back"
                assert balances_from_movements(conn) == balances
            step(bf(standby_config, "check-ledger").strip())

            standby = Floor(LiveServer(base_url, standby_db, standby_config, log, proc), sim)
            standby.messages = floor.messages
            restored_journal = standby.journal()
            assert [e["key"] for e in restored_journal] == [e["key"] for e in before]
            standby.send(floor.messages[11:13])
            after = standby.delivered()
            new = after[len(restored_journal) :]
            assert new, "the new work journals events"
            assert {e["key"] for e in new}.isdisjoint(e["key"] for e in before)
            assert new[0]["seq"] == before[-1]["seq"] + 1
            taken = [e["key"] for e in sim.taken("SITE1")]
            assert taken == [e["key"] for e in before] + [e["key"] for e in new]
            assert sim.stats()["breaches"] == []
            step(f"OMS journal goes on in a new epoch: {len(new)} new events, no key reused")
            standby.oms.close()
        finally:
            stop_server(proc)
    finally:
        if replication is not None and replication.poll() is None:
            os.killpg(replication.pid, signal.SIGKILL)
            replication.wait()
        sim.stop()
