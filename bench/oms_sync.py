"""How fast does the link to the OMS move in bulk: a backlog of 100,000 events drained to
the OMS, 10,000 orders taken by the inbox (in one import, and one message each), and
10,000 SKUs in one call?

Run with `.venv/bin/python bench/oms_sync.py`. Every process is real and on 127.0.0.1;
each part has its own temp folder, config and SQLite file.

1. Backlog drain. A site file is made in-process with 100,000 events in its journal:
   `run_command` of a rule that `append_event`s 10,000 `stock.*` events per command (ten
   write transactions), each payload a `StockMoved` of about 370 bytes of JSON, like
   the ledger's (the contract's examples are 367-399). Per --drains: batch_size 100 (the
   default) and 500 with `poll_seconds = 0.05`, then the shipped defaults (100, 1 s), each
   on a fresh copy of that file and a fresh simulator store: `bondfloor oms-sim --no-feed`
   is started, then `bondfloor serve` with `[oms] enabled = true`, `url = <sim>/events`.
   This script polls `sync_cursor.delivered_seq` in the server's file (read-only) every
   20 ms until it reaches 100,000: seconds from the server's start and from its first
   acknowledged batch, events/s overall and between 10 % and 90 % of the backlog (the
   steady rate), CPU seconds of the server's and of the simulator's process trees
   (utime + stime from /proc/<pid>/stat) over the drain. Checks: the
   simulator's `/sim/stats` holds exactly 100,000 events of the site (its events are
   unique by key), seq 1 to 100,000, no breaches (gap, disorder, changed repeat); the
   cursor is at the last event.
2. Inbox of 10,000 orders. `bondfloor demo` seeds a site (customers HKBEAUTY, AUNUTRI,
   JPHOME, SKUs HK0001.., AU0001.., JP0001..) and writes the simulated OMS's token; then
   `bondfloor serve`, with the OMS link off (nothing else runs), and as the OMS:
   (a) one `POST /api/v1/order-imports?format=json` of 10,000 orders (1-2 lines each,
       about 700 bytes of JSON each): seconds from sending to the last byte of the answer;
   (b) 10,000 other orders, one `POST /api/v1/orders` each, from --clients (8) threads
       with a keep-alive `http.client` connection each: seconds, messages/s, p50/p99 per
       message, server CPU per message;
   (c) 1,000 of (b) sent again with the same Idempotency-Keys and bodies: every answer
       must equal the first, and the number of orders must not change.
   Checks: every answer 200, the file has +10,000 orders after (a) and after (b).
3. 10,000 SKUs in one call, on the same server: `POST /api/v1/import/skus?format=json`
   of 10,000 new SKUs of JPHOME (unique codes, an EAN-13 each with its check digit):
   seconds; the answer says 10,000 created and the file has them.
Beside each bulk call of (a) and 3, a probe sends a single order every 50 ms: its longest
answer is how long a floor write waited for the bulk call's one write transaction.

The figures come from a 2-core machine shared with the load generator (this process),
the simulator, and whatever else runs there: each part prints how much CPU other
processes used meanwhile.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asgi_servers import (
    filesystem_of,
    machine_busy_seconds,
    self_cpu_seconds,
    tree_cpu_seconds,
    version,
)
from health_ratio import ratio_line, wrk_health_rate
from pick_http import pct
from processes import HOST, Proc, bondfloor_exe, free_port, health_ok, wait_for
from receiving_http import fsync_ms

from server.commands import SYSTEM, CommandContext, append_event, run_command
from server.db import Database
from server.demo import demo_skus, ean13
from server.omssim.feeder import COURIERS
from server.omssim.feeder import order_body as simulated_order
from server.sync.contract import StockMoved

SITE = "BENCH"
CHUNK = 10_000  # events per write transaction when the journal is made
KINDS = ("receive", "putaway", "move", "pick", "pack", "load", "ship")
DOCUMENTS = {"receive": "WR", "putaway": "PA", "move": "MV", "pick": "PK", "pack": "PCL"}
DOCUMENTS |= {"load": "LL", "ship": "HO"}
REASONS = {"move": "补货到拣货位", "putaway": "按建议库位上架", "receive": "ASN line 2"}
REASONS |= {"pick": "波次 W-03", "pack": "打包台 pack-01", "load": "粤B12345", "ship": "交接"}
STARTUP_TIMEOUT = 60.0
REQUEST_TIMEOUT = 300.0  # one import of 10,000 orders is one request
POLL = 0.02  # seconds between reads of the cursor
PROBE_SECONDS = 0.05  # between the single orders sent beside a bulk call
SECRET_ENV = ("BONDFLOOR_CONFIG", "BONDFLOOR_OMS_TOKEN", "BONDFLOOR_OMS_HMAC_SECRET")


def child_env() -> dict[str, str]:
    """The children's environment without the site's secrets (no HMAC, no OMS token)."""
    return {k: v for k, v in os.environ.items() if k not in SECRET_ENV}


def site_config(folder: Path, port: int, extra: str = "") -> Path:
    config = folder / "bondfloor.toml"
    config.write_text(
        f'[site]\ncode = "{SITE}"\nname = "OMS link bench"\n'
        f'[database]\npath = "{folder / "site.db"}"\n'
        f'[server]\nhost = "{HOST}"\nport = {port}\n'
        "[discovery]\nadvertise = false\n"
        "[outbound]\nauto_wave_minutes = 0\n" + extra,
        encoding="utf-8",
    )
    return config


def read_only(db_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)


def count(db_path: Path, sql: str) -> int:
    with contextlib.closing(read_only(db_path)) as conn:
        return int(conn.execute(sql).fetchone()[0] or 0)


@dataclass
class Cpu:
    """CPU seconds of some process trees, of this process and of the whole machine."""

    pids: dict[str, int]
    start: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.start = self.now()

    def now(self) -> dict[str, float]:
        out = {name: tree_cpu_seconds(pid) for name, pid in self.pids.items()}
        out["bench"] = self_cpu_seconds()
        out["machine"] = machine_busy_seconds()
        return out

    def used(self) -> dict[str, float]:
        """Seconds used since start; `others`: the machine's busy time minus all named."""
        end = self.now()
        used = {k: end[k] - self.start[k] for k in end}
        used["others"] = max(0.0, used.pop("machine") - sum(used.values()))
        return used


# --------------------------------------------------------------------------- 1. drain


def movement_event(n: int, rng: random.Random) -> StockMoved:
    """A believable stock movement as the journal tells it (about 400 bytes of JSON)."""
    kind = KINDS[n % len(KINDS)]
    customer, prefix = (("HKBEAUTY", "HK"), ("AUNUTRI", "AU"), ("JPHOME", "JP"))[n % 3]
    sku = 1 + rng.randrange(100)
    source = None if kind == "receive" else f"A-{1 + n % 4:02d}-{1 + n % 8:02d}-{1 + n % 3}"
    target = None if kind == "ship" else f"P{prefix[0]}-{1 + n % 12:02d}"
    return StockMoved(
        id=n,
        at="",  # set below: the command's time
        user_code=("recv01", "put01", "pick01", "pack01", "dock01")[n % 5],
        device=f"HH-FLOOR-{1 + n % 30:02d}",
        kind=kind,  # type: ignore[arg-type]
        customer_id=1 + n % 3,
        sku_id=sku + 100 * (n % 3),
        quantity=1 + rng.randrange(48),
        lot=f"L2611{rng.randrange(1000):03d}",
        expiry="2028-05-31",
        from_location_id=None if source is None else 1 + n % 400,
        to_location_id=None if target is None else 1 + (n * 7) % 400,
        reason=REASONS.get(kind, ""),
        document=f"{DOCUMENTS[kind]}-SF2611{n:08d}",
        customer=customer,
        sku=f"{prefix}{sku:04d}",
        from_location=source,
        to_location=target,
    )


def make_journal(db_path: Path, events: int, rng: random.Random) -> tuple[float, int]:
    """A site file with `events` events in its journal, CHUNK per command; returns the
    seconds it took and the mean payload size in bytes."""
    t0 = time.perf_counter()
    db = Database(db_path)
    sizes = 0
    try:
        db.migrate()
        for start in range(0, events, CHUNK):
            batch = [
                movement_event(n, rng) for n in range(start + 1, min(events, start + CHUNK) + 1)
            ]

            def rules(conn: sqlite3.Connection, ctx: CommandContext, batch: Any = batch) -> Any:
                for e in batch:
                    e.at = ctx.at
                    append_event(conn, ctx, f"stock.{e.kind}", e)
                return {"events": len(batch)}

            run_command(db, SYSTEM, "bench.journal", f"bench-journal:{start}", start, rules)
        with contextlib.closing(sqlite3.connect(db_path)) as raw:
            sizes = raw.execute("SELECT SUM(LENGTH(payload)) FROM events").fetchone()[0]
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return time.perf_counter() - t0, sizes // max(1, events)


@dataclass
class Drain:
    batch_size: int
    poll_seconds: float
    events: int
    healthy_s: float = 0.0
    first_s: float = 0.0  # server start -> first acknowledged batch seen
    done_s: float = 0.0  # server start -> cursor at the last event
    steady_rate: float = 0.0  # events/s between 10 % and 90 % of the backlog
    server_cpu: float = 0.0  # over the drain (first ack -> done)
    sim_cpu: float = 0.0
    bench_cpu: float = 0.0
    others_cpu: float = 0.0
    server_start_cpu: float = 0.0  # start -> first ack (imports, migrations, the first batch)
    cursor: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.done_s if self.done_s else 0.0

    @property
    def rate_after_first(self) -> float:
        span = self.done_s - self.first_s
        return (self.events - self.batch_size) / span if span > 0 else 0.0


def sim_get(port: int, path: str) -> Any:
    """GET from the simulator; the answer is read to its end before the connection is
    closed (closing on unread bytes resets it, and the simulator logs a traceback)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def sim_healthy(port: int) -> bool:
    with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
        return bool(sim_get(port, "/health").get("ok"))
    return False


def drain_backlog(
    template: Path, events: int, batch_size: int, poll_seconds: float, timeout: float, keep: bool
) -> Drain:
    run = Drain(batch_size, poll_seconds, events)
    folder = Path(tempfile.mkdtemp(prefix=f"bondfloor-drain-{batch_size}-"))
    server = Proc("server", folder / "serve.log")
    sim = Proc("oms-sim", folder / "oms-sim.log")
    try:
        shutil.copy(template, folder / "site.db")
        db_path = folder / "site.db"
        sim_port, port = free_port(), free_port()
        config = site_config(
            folder,
            port,
            f'[oms]\nenabled = true\nurl = "http://{HOST}:{sim_port}/events"\n'
            f"batch_size = {batch_size}\npoll_seconds = {poll_seconds}\n",
        )
        exe = bondfloor_exe()
        sim.start(
            [
                *(exe, "--config", str(config), "oms-sim", "--no-feed"),
                *("--listen", f"{HOST}:{sim_port}", "--store", str(folder / "oms-sim.db")),
            ],
            folder,
            child_env(),
        )
        wait_for(lambda: sim_healthy(sim_port), STARTUP_TIMEOUT, "oms-sim healthy", poll=0.05)
        t0 = time.perf_counter()
        server.start([exe, "--config", str(config), "serve"], folder, child_env())
        cpu: Cpu | None = None
        samples: list[tuple[float, int]] = []
        with contextlib.closing(read_only(db_path)) as conn:
            while run.cursor < events:
                elapsed = time.perf_counter() - t0
                if not server.alive():
                    raise RuntimeError(f"bondfloor serve exited:\n{server.log(3000)}")
                if elapsed > timeout:
                    raise RuntimeError(f"cursor at {run.cursor:,} after {timeout:g} s")
                row = conn.execute(
                    "SELECT delivered_seq FROM sync_cursor WHERE stream = 'oms'"
                ).fetchone()
                run.cursor = int(row[0]) if row else 0
                if run.cursor and cpu is None:
                    run.first_s = elapsed
                    cpu = Cpu({"server": server.pid, "sim": sim.pid})
                    run.server_start_cpu = cpu.start["server"]
                samples.append((elapsed, run.cursor))
                if not run.healthy_s and health_ok(port, timeout=0.5):
                    run.healthy_s = time.perf_counter() - t0
                time.sleep(POLL)
        run.done_s = samples[-1][0]
        assert cpu is not None
        used = cpu.used()
        run.server_cpu, run.sim_cpu = used["server"], used["sim"]
        run.bench_cpu, run.others_cpu = used["bench"], used["others"]
        run.steady_rate = steady_rate(samples, events)
        run.stats = dict(sim_get(sim_port, "/sim/stats"))
        server.stop()
        sim.stop()
        for proc in (server, sim):
            if "Traceback" in proc.log():
                run.failures.append(f"{proc.name} log has a traceback:\n{proc.log(2000)}")
        run.failures += drain_checks(run, db_path)
    except Exception:
        print(f"--- server log (tail) ---\n{server.log(2000)}")
        raise
    finally:
        server.stop()
        sim.stop()
        if keep:
            print(f"  kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return run


def steady_rate(samples: list[tuple[float, int]], events: int) -> float:
    """Events/s between the first samples past 10 % and past 90 % of the backlog."""
    lo = next(s for s in samples if s[1] >= events * 0.1)
    hi = next(s for s in samples if s[1] >= events * 0.9)
    return (hi[1] - lo[1]) / (hi[0] - lo[0]) if hi[0] > lo[0] else 0.0


def drain_checks(run: Drain, db_path: Path) -> list[str]:
    failures = []
    streams = run.stats.get("streams", {})
    got = streams.get(SITE, {})
    expected = {"events": run.events, "first_seq": 1, "last_seq": run.events}
    # (The simulator also counts the journal epochs seen: one per process that wrote.)
    if {k: got.get(k) for k in expected} != expected or set(streams) != {SITE}:
        failures.append(f"the simulator took {streams}, expected {{{SITE}: {expected}}}")
    if run.stats.get("breaches"):
        failures.append(f"breaches at the simulator: {run.stats['breaches'][:5]}")
    delivered = count(db_path, "SELECT delivered_seq FROM sync_cursor WHERE stream = 'oms'")
    last = count(db_path, "SELECT MAX(seq) FROM events")
    if delivered != last or last != run.events:
        failures.append(f"cursor {delivered}, last event {last}, expected {run.events}")
    return failures


# --------------------------------------------------------------------------- 2. inbox


def order_body(tag: str, n: int, skus: dict[str, list[str]], rng: random.Random) -> dict[str, Any]:
    """One order as the OMS sends it: the simulator's demo-day order, numbered for the bench."""
    customers = sorted(skus)
    customer = customers[n % len(customers)]
    prefix = COURIERS[n % len(COURIERS)][1]
    lines = [
        {"sku": sku, "quantity": 1 + rng.randrange(3)}
        for sku in rng.sample(skus[customer], k=1 + n % 2)
    ]
    return simulated_order(
        n,
        customer,
        f"{tag}20261123{n:06d}",
        f"{prefix}9{tag}{n:08d}",
        lines,
        "2026-11-23T22:00:00+08:00",
        rng,
    )


@dataclass
class Answer:
    status: int
    raw: bytes
    ms: float


class OmsClient:
    """The OMS on one keep-alive HTTP/1.1 connection, with its token."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        self.headers = {"Authorization": f"Bearer {token}", "X-Device": "oms-bench"}

    def post(self, path: str, body: bytes, key: str) -> Answer:
        headers = {**self.headers, "Content-Type": "application/json", "Idempotency-Key": key}
        t0 = time.perf_counter()
        self.conn.request("POST", path, body=body, headers=headers)
        answer = self.conn.getresponse()
        raw = answer.read()
        return Answer(answer.status, raw, (time.perf_counter() - t0) * 1000)

    def close(self) -> None:
        self.conn.close()


@dataclass
class Timed:
    """One timed HTTP part: seconds, CPU of each process, answers."""

    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    ms: list[float] = field(default_factory=list)
    answer: Answer | None = None
    size: int = 0
    probe_ms: list[float] = field(default_factory=list)  # single orders sent meanwhile
    probe_taken: int = 0


def send_many(
    port: int, token: str, clients: int, messages: list[tuple[str, bytes]], server_pid: int
) -> tuple[Timed, list[Answer | None]]:
    """`messages` (key, body) as `POST /api/v1/orders`, spread over `clients` threads with
    a keep-alive connection each, each thread taking the next message from a shared
    iterator; returns the timing and every answer in message order."""
    answers: list[Answer | None] = [None] * len(messages)
    todo: Iterator[int] = iter(range(len(messages)))
    lock = threading.Lock()
    errors: list[str] = []

    def client() -> None:
        oms = OmsClient(port, token)
        try:
            while True:
                with lock:
                    i = next(todo, None)
                if i is None:
                    return
                key, body = messages[i]
                answers[i] = oms.post("/api/v1/orders", body, key)
        except Exception as err:  # reported, and the part fails its checks
            errors.append(f"{type(err).__name__}: {err}")
        finally:
            oms.close()

    threads = [threading.Thread(target=client, name=f"oms-{c}") for c in range(clients)]
    cpu = Cpu({"server": server_pid})
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    timed = Timed(seconds=time.perf_counter() - t0, cpu=cpu.used())
    timed.ms = [a.ms for a in answers if a is not None]
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed: {errors[:3]}")
    return timed, answers


class WriteProbe:
    """Single orders sent one at a time, every PROBE_SECONDS, while a bulk call runs: how
    long a floor write waits for the one writer meanwhile."""

    def __init__(self, port: int, token: str, tag: str, catalog: dict[str, list[str]]) -> None:
        self.client = OmsClient(port, token)
        self.tag, self.catalog = tag, catalog
        self.ms: list[float] = []
        self.taken = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"probe-{tag}")

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            body = order_body(self.tag, n, self.catalog, random.Random(n))
            answer = self.client.post(
                "/api/v1/orders", json.dumps(body).encode(), f"{self.tag}-{n}"
            )
            self.ms.append(answer.ms)
            self.taken += answer.status == 200
            self._stop.wait(PROBE_SECONDS)

    def __enter__(self) -> WriteProbe:
        self._thread.start()
        time.sleep(PROBE_SECONDS)  # the first probe is answered before the bulk call starts
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.client.close()


def post_once(
    port: int, token: str, path: str, body: bytes, server_pid: int, probe: WriteProbe
) -> Timed:
    """One bulk POST while `probe` sends single orders beside it."""
    oms = OmsClient(port, token)
    try:
        with probe:
            cpu = Cpu({"server": server_pid})
            t0 = time.perf_counter()
            answer = oms.post(path, body, f"bench-{uuid.uuid4()}")
            timed = Timed(
                seconds=time.perf_counter() - t0, cpu=cpu.used(), answer=answer, size=len(body)
            )
        timed.probe_ms = probe.ms[1:]  # the first one was sent before the bulk call
        timed.probe_taken = probe.taken
        return timed
    finally:
        oms.close()


@dataclass
class Inbox:
    orders: int
    clients: int
    seeded_s: float = 0.0
    imported: Timed = field(default_factory=Timed)
    singles: Timed = field(default_factory=Timed)
    resent: Timed = field(default_factory=Timed)
    skus: Timed = field(default_factory=Timed)
    sku_count: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    health_rate: float = float("nan")  # /health req/s, wrk at `clients` connections


def inbox(
    orders: int, clients: int, resend: int, skus: int, rng: random.Random, keep: bool
) -> Inbox:
    run = Inbox(orders, clients)
    folder = Path(tempfile.mkdtemp(prefix="bondfloor-inbox-"))
    db_path = folder / "site.db"
    port = free_port()
    config = site_config(folder, port)
    exe = bondfloor_exe()
    server = Proc("server", folder / "serve.log")
    try:
        t0 = time.perf_counter()
        subprocess.run(
            [exe, "--config", str(config), "demo"],
            cwd=folder,
            env=child_env(),
            check=True,
            capture_output=True,
        )
        run.seeded_s = time.perf_counter() - t0
        token = (folder / "oms-sim.token").read_text(encoding="utf-8").strip()
        catalog: dict[str, list[str]] = {}
        for s in demo_skus():
            catalog.setdefault(s.customer, []).append(s.code)
        server.start([exe, "--config", str(config), "serve"], folder, child_env())
        wait_for(lambda: health_ok(port), STARTUP_TIMEOUT, "bondfloor serve healthy", poll=0.05)
        order_count = "SELECT COUNT(*) FROM orders"
        run.counts["demo"] = count(db_path, order_count)

        # (a) one import of `orders` orders
        body = json.dumps(
            [order_body("BI", n, catalog, rng) for n in range(1, orders + 1)], ensure_ascii=False
        ).encode()
        run.imported = post_once(
            port,
            token,
            "/api/v1/order-imports?format=json",
            body,
            server.pid,
            WriteProbe(port, token, "PA", catalog),
        )
        run.counts["after import"] = count(db_path, order_count) - run.imported.probe_taken
        said = run.imported.answer
        assert said is not None
        if said.status != 200 or json.loads(said.raw).get("orders") != orders:
            run.failures.append(f"import: {said.status} {said.raw[:300]!r}")

        # (b) `orders` more, one message each
        messages = [
            (
                f"oms-bench-order-{n}",
                json.dumps(order_body("BM", n, catalog, rng), ensure_ascii=False).encode(),
            )
            for n in range(1, orders + 1)
        ]
        run.singles, first = send_many(port, token, clients, messages, server.pid)
        run.counts["after messages"] = count(db_path, order_count) - run.imported.probe_taken
        run.health_rate = wrk_health_rate(port, clients)
        bad = [(i, a and a.status) for i, a in enumerate(first) if a is None or a.status != 200]
        if bad:
            run.failures.append(f"{len(bad)} single orders not taken, e.g. {bad[:3]}")

        # (c) some of (b) again, with the same keys and bodies
        again = sorted(rng.sample(range(orders), min(resend, orders)))
        run.resent, second = send_many(
            port, token, clients, [messages[i] for i in again], server.pid
        )
        run.counts["after re-sends"] = count(db_path, order_count) - run.imported.probe_taken
        differ = [
            i
            for i, a in zip(again, second, strict=True)
            if a is None
            or first[i] is None
            or a.status != first[i].status  # type: ignore[union-attr]
            or json.loads(a.raw) != json.loads(first[i].raw)  # type: ignore[union-attr]
        ]
        if differ:
            run.failures.append(f"{len(differ)} re-sends answered differently, e.g. {differ[:3]}")

        # 3. `skus` SKUs in one call
        before = count(db_path, "SELECT COUNT(*) FROM skus")
        rows = [
            {
                "customer": "JPHOME",
                "code": f"BULK{n:06d}",
                "name": f"批量商品 {n}",
                "barcodes": [ean13("692", 100_000 + n)],
                "weight_g": 50 + n % 950,
                "customs_record_no": f"GJ692{n:06d}",
                "hs_code": "3924100000",
            }
            for n in range(1, skus + 1)
        ]
        body = json.dumps(rows, ensure_ascii=False).encode()
        run.skus = post_once(
            port,
            token,
            "/api/v1/import/skus?format=json",
            body,
            server.pid,
            WriteProbe(port, token, "PS", catalog),
        )
        run.sku_count = count(db_path, "SELECT COUNT(*) FROM skus") - before
        said = run.skus.answer
        assert said is not None
        summary = json.loads(said.raw) if said.status == 200 else {}
        if (summary.get("rows"), summary.get("created"), run.sku_count) != (skus, skus, skus):
            run.failures.append(f"SKU import: {said.status} {said.raw[:300]!r}, +{run.sku_count}")
        server.stop()
        if "Traceback" in server.log():
            run.failures.append(f"server log has a traceback:\n{server.log(2000)}")
    except Exception:
        print(f"--- server log (tail) ---\n{server.log(2000)}")
        raise
    finally:
        server.stop()
        if keep:
            print(f"  kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    c = run.counts
    steps = [("after import", "demo"), ("after messages", "after import")]
    for now, then in steps:
        if now in c and c[now] - c[then] != orders:
            run.failures.append(f"orders {now}: +{c[now] - c[then]}, expected +{orders}")
    if "after re-sends" in c and c["after re-sends"] != c["after messages"]:
        run.failures.append(
            f"re-sends changed the order count: {c['after messages']} -> {c['after re-sends']}"
        )
    return run


# --------------------------------------------------------------------------- report


def print_drain(run: Drain) -> None:
    s = run.stats
    print(
        f"batch_size {run.batch_size}, poll_seconds {run.poll_seconds:g}: {run.events:,} events delivered in {run.done_s:.1f} s "
        f"from the server's start ({run.rate:,.0f} events/s; healthy after "
        f"{run.healthy_s:.2f} s, first batch acknowledged after {run.first_s:.2f} s)"
    )
    print(
        f"  after the first batch {run.rate_after_first:,.0f} events/s; steady (10 % -> 90 %) "
        f"{run.steady_rate:,.0f} events/s; {run.events / run.batch_size:,.0f} batches, "
        f"{(run.done_s - run.first_s) / (run.events / run.batch_size) * 1000:.1f} ms each "
        "(the worker's waits included)"
    )
    per_k = 1000 / run.events
    print(
        f"  CPU over the drain: server {run.server_cpu:.1f} s ({run.server_cpu * per_k * 1000:.0f}"
        f" ms per 1,000 events), simulator {run.sim_cpu:.1f} s ({run.sim_cpu * per_k * 1000:.0f}"
        f" ms per 1,000), this process {run.bench_cpu:.1f} s, other processes "
        f"{run.others_cpu:.1f} s ({run.others_cpu / max(1e-9, run.done_s - run.first_s):.0%} "
        f"of a core); server start-up to first ack {run.server_start_cpu:.1f} s"
    )
    stream = s.get("streams", {}).get(SITE, {})
    print(
        f"  simulator: {stream.get('events', 0):,} events of {SITE}, seq "
        f"{stream.get('first_seq')}-{stream.get('last_seq')}, {s.get('repeats', 0)} repeats, "
        f"{len(s.get('breaches', []))} breaches"
    )


def print_inbox(run: Inbox) -> None:
    im, si, re_, sk = run.imported, run.singles, run.resent, run.skus
    n = run.orders
    print(
        f"demo site seeded by `bondfloor demo` in {run.seeded_s:.1f} s "
        f"({run.counts.get('demo', 0)} orders of its own)"
    )
    if im.answer is not None:
        print(
            f"(a) one import of {n:,} orders ({im.size / 1e6:.1f} MB of JSON): "
            f"{im.answer.status} in {im.seconds:.1f} s ({n / im.seconds:,.0f} orders/s), "
            f"server CPU {im.cpu['server']:.1f} s, other processes {im.cpu['others']:.1f} s"
        )
        print_probe(im)
    if si.ms:
        print(
            f"(b) {len(si.ms):,} single orders from {run.clients} keep-alive clients: "
            f"{si.seconds:.1f} s ({len(si.ms) / si.seconds:,.0f} messages/s), per message p50 "
            f"{pct(si.ms, 50):.1f} / p95 {pct(si.ms, 95):.1f} / p99 {pct(si.ms, 99):.1f} / max "
            f"{max(si.ms):.1f} ms"
        )
        print(
            f"    server CPU {si.cpu['server'] / len(si.ms) * 1000:.2f} ms per message "
            f"({si.cpu['server'] / si.seconds:.0%} of a core), this process "
            f"{si.cpu['bench'] / len(si.ms) * 1000:.2f} ms, other processes "
            f"{si.cpu['others'] / si.seconds:.0%} of a core"
        )
    if re_.ms:
        print(
            f"(c) {len(re_.ms):,} of them sent again with the same keys: {re_.seconds:.1f} s, "
            f"p50 {pct(re_.ms, 50):.1f} / p99 {pct(re_.ms, 99):.1f} ms, server CPU "
            f"{re_.cpu['server'] / len(re_.ms) * 1000:.2f} ms per message; orders in the file (less the probes) "
            + " -> ".join(f"{v:,}" for v in run.counts.values())
        )
    if sk.answer is not None:
        print(
            f"3.  one import of {run.sku_count:,} SKUs ({sk.size / 1e6:.1f} MB of JSON): "
            f"{sk.answer.status} in {sk.seconds:.1f} s, server CPU {sk.cpu['server']:.1f} s"
        )
        print_probe(sk)


def print_probe(timed: Timed) -> None:
    ms = timed.probe_ms
    if ms:
        print(
            f"    meanwhile {len(ms)} single orders, one every {PROBE_SECONDS * 1000:.0f} ms: "
            f"p50 {pct(ms, 50):.1f} ms, max {max(ms):.0f} ms (a write waits for the bulk "
            "call's one write transaction)"
        )


def table(drains: list[Drain], run: Inbox | None) -> None:
    rows = [
        (
            f"{d.events:,} events drained, batch_size {d.batch_size}, poll {d.poll_seconds:g} s",
            f"{d.rate:,.0f} events/s ({d.done_s:.1f} s from start; steady {d.steady_rate:,.0f}/s)",
            f"server {d.server_cpu:.1f} s, sim {d.sim_cpu:.1f} s",
        )
        for d in drains
    ]
    if run is not None and run.imported.answer is not None:
        rows.append(
            (
                f"{run.orders:,} orders in one order-import",
                f"{run.imported.seconds:.1f} s; a single order meanwhile waited up to "
                f"{max(run.imported.probe_ms or [0]):.0f} ms",
                f"server {run.imported.cpu['server']:.1f} s",
            )
        )
    if run is not None and run.singles.ms:
        ms = run.singles.ms
        rows.append(
            (
                f"{len(ms):,} single orders, {run.clients} clients",
                f"{run.singles.seconds:.1f} s, {len(ms) / run.singles.seconds:,.0f} msg/s, "
                f"p50 {pct(ms, 50):.1f} / p99 {pct(ms, 99):.1f} ms",
                f"server {run.singles.cpu['server']:.1f} s",
            )
        )
    if run is not None and run.singles.ms:
        rate = len(run.singles.ms) / run.singles.seconds
        print(f"  {ratio_line('single orders', rate, run.health_rate)} (wrk -c{run.clients})")
    if run is not None and run.resent.ms:
        ms = run.resent.ms
        rows.append(
            (
                f"{len(ms):,} re-sends (same keys)",
                f"{run.resent.seconds:.1f} s, p50 {pct(ms, 50):.1f} / p99 {pct(ms, 99):.1f} ms",
                f"server {run.resent.cpu['server']:.1f} s",
            )
        )
    if run is not None and run.skus.answer is not None:
        rows.append(
            (
                f"{run.sku_count:,} SKUs in one import",
                f"{run.skus.seconds:.1f} s; a single order meanwhile waited up to "
                f"{max(run.skus.probe_ms or [0]):.0f} ms",
                f"server {run.skus.cpu['server']:.1f} s",
            )
        )
    width = max(len(r[0]) for r in rows)
    wide = max(len(r[1]) for r in rows)
    print(f"{'figure':<{width}}  {'value':<{wide}}  CPU")
    for what, value, cpu in rows:
        print(f"{what:<{width}}  {value:<{wide}}  {cpu}")


def verdict(drains: list[Drain], run: Inbox | None) -> None:
    said = [
        f"{d.events:,} events drained at {d.rate:,.0f} events/s (batch_size {d.batch_size}, "
        f"poll {d.poll_seconds:g} s)"
        for d in drains
    ]
    if run is not None and run.imported.answer is not None:
        said.append(f"{run.orders:,} orders in one import {run.imported.seconds:.1f} s")
    if run is not None and run.singles.ms:
        said.append(
            f"one by one {run.singles.seconds:.1f} s "
            f"({len(run.singles.ms) / run.singles.seconds:,.0f}/s)"
        )
    if run is not None and run.skus.answer is not None:
        said.append(f"{run.sku_count:,} SKUs in one call {run.skus.seconds:.1f} s")
    if said:
        print(f"VERDICT: {'; '.join(said)} (no target set beyond 'within seconds')")


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="backlog (default 100000)")
    parser.add_argument(
        "--drains",
        default="100:0.05,500:0.05,100:1",
        help="one drain per BATCH_SIZE:POLL_SECONDS (default 100:0.05,500:0.05,100:1: the "
        "defaults batch_size 100 and poll_seconds 1 last)",
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=300, help="seconds allowed per drain (300)"
    )
    parser.add_argument("--orders", type=int, default=10_000, help="orders per part (10000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent OMS clients (8)")
    parser.add_argument("--resend", type=int, default=1000, help="messages sent again (1000)")
    parser.add_argument("--skus", type=int, default=10_000, help="SKUs in one import (10000)")
    parser.add_argument("--only", choices=["drain", "inbox"], help="run one part only")
    parser.add_argument("--seed", type=int, default=1210, help="random seed")
    parser.add_argument("--keep", action="store_true", help="keep the temp folders")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stops the children
    rng = random.Random(args.seed)
    t_start = time.perf_counter()
    failures: list[str] = []
    drains: list[Drain] = []
    run: Inbox | None = None
    tmp = Path(tempfile.mkdtemp(prefix="bondfloor-oms-"))
    try:
        probe = sorted(fsync_ms(tmp))
        print("bondfloor OMS link: a backlog drained to the OMS, orders and SKUs taken in bulk")
        print(
            f"  python {sys.version.split()[0]}, litestar {version('litestar')}, granian "
            f"{version('granian')}, sqlite {sqlite3.sqlite_version}; {os.cpu_count()} CPU cores "
            "shared by the server, the simulator, this process and any other work on the "
            "machine (figures from a shared machine)"
        )
        print(
            f"  files in {tmp} ({filesystem_of(tmp)}); fsync of 4 KiB there: p50 "
            f"{probe[len(probe) // 2]:.2f} ms, p99 {probe[int(len(probe) * 0.99) - 1]:.2f} ms"
        )
        print()
        if args.only in (None, "drain"):
            template = tmp / "journal.db"
            made_s, size = make_journal(template, args.events, rng)
            print(
                f"journal of {args.events:,} stock events made in-process in {made_s:.1f} s "
                f"({args.events // CHUNK or 1} commands; payload {size} bytes of JSON on "
                f"average; file {template.stat().st_size / 1e6:.0f} MB)"
            )
            for spec in args.drains.split(","):
                size, _, poll = spec.partition(":")
                what = f"drain, batch_size {size}, poll_seconds {poll or 0.05}"
                try:
                    drain = drain_backlog(
                        template,
                        args.events,
                        int(size),
                        float(poll or 0.05),
                        args.drain_timeout,
                        args.keep,
                    )
                except Exception as err:
                    failures.append(f"{what}: {type(err).__name__}: {err}")
                    continue
                drains.append(drain)
                print_drain(drain)
                failures += [f"{what}: {f}" for f in drain.failures]
            print()
        if args.only in (None, "inbox"):
            try:
                run = inbox(args.orders, args.clients, args.resend, args.skus, rng, args.keep)
            except Exception as err:
                failures.append(f"inbox: {type(err).__name__}: {err}")
            else:
                print_inbox(run)
                failures += [f"inbox: {f}" for f in run.failures]
            print()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if drains or run is not None:
        table(drains, run)
        print()
    if failures:
        for f in failures:
            print(f"FAIL: {f}")
    else:
        checked = []
        if drains:
            checked.append("the simulator took every event once, in order, no breaches")
        if run is not None:
            checked.append(
                "every order taken once; re-sends answered as the first time and changed "
                "nothing; every SKU created"
            )
        print(f"CHECKS: all passed ({'; '.join(checked)})")
    verdict(drains, run)
    print(f"total time {time.perf_counter() - t_start:.0f} s (shared 2-core machine)")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
