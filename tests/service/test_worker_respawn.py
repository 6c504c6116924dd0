"""The floor stays up: a killed server worker is started again, under load, and nothing an
answer acknowledged is lost; SIGTERM stops the server cleanly.

Real processes: `bondfloor serve` (granian's main process and its one worker) on loopback,
over HTTPS with the site CA from `tls init` as a site runs it,
a client thread sending durable commands with idempotency keys in a loop, retrying a key
until it gets an answer. The worker (not the main process) is killed with SIGKILL mid-load.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sqlite3
import ssl
import threading
import time
from pathlib import Path

import httpx

from server.db.database import in_use_lock_path
from tests.live_server import running_server


def worker_pids(main_pid: int) -> list[int]:
    """The granian worker processes: the children of the main process."""
    children = Path(f"/proc/{main_pid}/task/{main_pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def wait_until(what: str, ok: object, seconds: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if ok():  # type: ignore[operator]
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {seconds} s")


def healthy(base_url: str, verify: ssl.SSLContext | bool = True) -> bool:
    try:
        return httpx.get(f"{base_url}/health", timeout=1, verify=verify).status_code == 200
    except httpx.HTTPError:
        return False


class Load:
    """Creates customers LOAD0001, LOAD0002, ... each under its own key, one after the
    other; a key that gets no answer (connection reset, timeout) is sent again, as a
    handheld's retry would, until it is answered."""

    def __init__(self, base_url: str, token: str, verify: ssl.SSLContext | bool = True) -> None:
        self.client = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
            verify=verify,
        )
        self.acknowledged: list[str] = []
        self.retries = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.client.close()

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            key = f"load-{n:05d}"
            body = {"code": f"LOAD{n:05d}", "name": f"Load {n}"}
            while not self._stop.is_set():
                try:
                    answer = self.client.post(
                        "/api/v1/customers", json=body, headers={"Idempotency-Key": key}
                    )
                except httpx.HTTPError:
                    self.retries += 1
                    time.sleep(0.05)
                    continue
                if answer.status_code < 300:
                    self.acknowledged.append(key)
                elif answer.status_code < 500:
                    self.errors.append(f"{key}: {answer.status_code} {answer.text[:200]}")
                else:  # a 5xx acknowledges nothing: send the same key again
                    self.retries += 1
                    continue
                break


def test_a_killed_worker_is_respawned_under_load_and_no_acknowledged_command_is_lost(
    tmp_path: Path,
) -> None:
    with running_server(tmp_path, "Respawn", https=True) as server:
        assert server.base_url.startswith("https://")
        token = (tmp_path / "oms-sim.token").read_text().strip()
        (first,) = worker_pids(server.proc.pid)
        with Load(server.base_url, token, server.verify) as load:
            wait_until("load running", lambda: len(load.acknowledged) >= 30, 30)
            os.kill(first, signal.SIGKILL)
            killed_at = len(load.acknowledged)
            back_after = wait_until(
                "health answers again", lambda: healthy(server.base_url, server.verify), 15
            )
            wait_until(
                "commands acknowledged again",
                lambda: len(load.acknowledged) >= killed_at + 30,
                30,
            )
        assert server.proc.poll() is None, "the main process stayed up"
        (second,) = worker_pids(server.proc.pid)
        assert second != first
        print(f"back after {back_after:.2f} s; {load.retries} retries")
        assert load.errors == []

        conn = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True, timeout=10)
        with contextlib.closing(conn):
            stored = {
                r[0]: r[1]
                for r in conn.execute(
                    "SELECT key, count(*) FROM commands WHERE key LIKE 'load-%' GROUP BY key"
                )
            }
            customers = conn.execute(
                "SELECT count(*) FROM customers WHERE code LIKE 'LOAD%'"
            ).fetchone()[0]
            applied = conn.execute(
                "SELECT count(*) FROM audit WHERE action = 'customer.upsert' AND outcome = 'ok' "
                "AND json_extract(details, '$.key') LIKE 'load-%'"
            ).fetchone()[0]
    acknowledged = set(load.acknowledged)
    assert len(acknowledged) == len(load.acknowledged), "each key acknowledged once"
    missing = acknowledged - set(stored)
    assert not missing, f"acknowledged but not in the database: {sorted(missing)[:5]}"
    # A key sent again after the kill was applied once: one customer, one audit line.
    assert customers == len(stored)
    assert applied == len(stored)


def test_sigterm_finishes_in_flight_requests_closes_the_database_and_releases_its_lock(
    tmp_path: Path,
) -> None:
    with running_server(tmp_path, "Stop") as server:
        token = (tmp_path / "oms-sim.token").read_text().strip()
        with Load(server.base_url, token) as load:
            wait_until("load running", lambda: len(load.acknowledged) >= 10, 30)
            os.kill(server.proc.pid, signal.SIGTERM)  # the main process, as systemd does
            server.proc.wait(timeout=40)
        assert server.proc.returncode == 0, server.log.read_text()[-2000:]
        assert load.errors == []
        # Closed cleanly: the last connection checkpointed the WAL and removed it.
        assert not Path(f"{server.db_path}-wal").exists()
        conn = sqlite3.connect(server.db_path, timeout=10)
        with contextlib.closing(conn):
            stored = {r[0] for r in conn.execute("SELECT key FROM commands")}
        assert set(load.acknowledged) <= stored
        with in_use_lock_path(server.db_path).open("a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody holds it any more


def test_a_worker_that_keeps_dying_makes_the_server_exit_non_zero_for_systemd(
    tmp_path: Path,
) -> None:
    """granian gives up on a crash loop (a second death within seconds of a respawn): the
    main process exits 1, and the unit's Restart=on-failure starts the service again."""
    with running_server(tmp_path, "Crash loop", demo=False) as server:
        (first,) = worker_pids(server.proc.pid)
        os.kill(first, signal.SIGKILL)
        wait_until(
            "a new worker",
            lambda: worker_pids(server.proc.pid) not in ([], [first]),
            10,
        )
        (second,) = worker_pids(server.proc.pid)
        os.kill(second, signal.SIGKILL)
        assert server.proc.wait(timeout=20) == 1
