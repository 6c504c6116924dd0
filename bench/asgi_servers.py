"""Which ASGI server should bondfloor ship: granian or uvicorn?

Run with `make bench` (or `.venv/bin/python bench/asgi_servers.py`). It seeds a fresh
demo database per server with the real CLI (`bondfloor demo`), starts
`bondfloor serve --asgi granian|uvicorn` on a free loopback port, and drives three
workloads at concurrency 1 and 16 over keep-alive HTTP/1.1 connections:

  health  GET /health                      (cheap: mostly server overhead)
  lookup  GET /api/v1/stock/lookup?code=   (authenticated read)
  move    POST /api/v1/ledger/movements    (authenticated write; fsync on every commit)

Both servers run side by side; every row is measured in rounds, both servers back to back
with the order alternating, so the granian/uvicorn ratios come from the same run and the
same machine state. It prints figures only; nothing is asserted.

Needs only the project's venv (stdlib + installed packages) and Linux /proc.
The load generator (this process, asyncio, one core at most) shares the machine's cores
with the server, so requests/s of cheap routes are bounded by both; the server's CPU
time per request (`srv cpu/req`) does not depend on the load generator's speed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import importlib.metadata
import itertools
import json
import math
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from health_ratio import ratio_line
from processes import HOST, bondfloor_exe, free_port, read_log, start_in_group, stop_group

SERVERS = ("granian", "uvicorn")
CONCURRENCY = (1, 16)
USER, PIN = "sup01", "1234"  # a supervisor: may look up stock and post movements
ROUNDS = 3  # each row is measured in rounds, alternating the servers, then summed
WARMUP_SECONDS, WARMUP_MAX_REQUESTS = 0.5, 200  # before every round, on the round's connections
STARTUP_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
TITLES = {"health": "GET /health", "lookup": "GET stock/lookup", "move": "POST ledger move"}
ROWS = [(w, c) for w in TITLES for c in CONCURRENCY]


# --------------------------------------------------------------------------- processes


def proc_children(pid: int) -> list[int]:
    """Direct children of `pid`, by walking /proc (works without CONFIG_PROC_CHILDREN)."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:  # field 4 (ppid), counted after "pid (comm)"
            kids.append(int(entry))
    return kids


def proc_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        if Path(f"/proc/{p}").exists():
            tree.append(p)
            todo += proc_children(p)
    return tree


def _status_kb(pid: int, key: str, file: str = "status") -> int:
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_rss_mb(pid: int) -> float:
    """VmRSS summed over the process tree (shared pages are counted once per process)."""
    return sum(_status_kb(p, "VmRSS") for p in proc_tree(pid)) / 1024


def tree_pss_mb(pid: int) -> float:
    """Proportional set size of the tree: shared pages split between the processes."""
    return sum(_status_kb(p, "Pss", "smaps_rollup") for p in proc_tree(pid)) / 1024


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of every process (all threads) in the tree."""
    ticks = 0
    for p in proc_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return ticks / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy (not idle or waiting on I/O), from /proc/stat."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
        )
        return (user + nice + system + irq + softirq + steal) / CLK_TCK
    return math.nan


def self_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


@dataclass
class Targets:
    """Real codes from the seeded database."""

    lookup_code: str
    customer: str
    sku: str
    lot: str
    expiry: str
    loc_a: str
    loc_b: str
    on_hand_a: int
    on_hand_b: int = 0


@dataclass
class Server:
    name: str
    workdir: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    startup_s: float = 0.0
    idle_rss_mb: float = 0.0
    idle_pss_mb: float = 0.0
    token: str = ""
    targets: Targets | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.workdir / "server.log"

    @property
    def config(self) -> Path:
        return self.workdir / "bondfloor.toml"

    @property
    def db_path(self) -> Path:
        return self.workdir / "demo.db"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def seed(self) -> None:
        self.port = free_port()
        self.config.write_text(
            f'[database]\npath = "{self.db_path}"\n[server]\nport = {self.port}\n'
        )
        subprocess.run(
            [bondfloor_exe(), "--config", str(self.config), "demo"],
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=self.workdir,
        )
        self.targets = t = pick_targets(self.db_path, room=max(CONCURRENCY))
        t.on_hand_b = units_at(self.db_path, t, t.loc_b)

    def start(self) -> None:
        cmd = [bondfloor_exe(), "--config", str(self.config), "serve", "--asgi", self.name]
        cmd += ["--port", str(self.port)]
        t0 = time.perf_counter()
        # Own session: the server and its workers form one process group we can end.
        self.proc = start_in_group(cmd, self.log_path, self.workdir, append=False)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            if time.perf_counter() - t0 > STARTUP_TIMEOUT:
                raise RuntimeError(
                    f"{self.name} not healthy after {STARTUP_TIMEOUT}s:\n{self.log()}"
                )
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.call("GET", "/health")[0] == 200:
                    break
            time.sleep(0.02)
        self.startup_s = time.perf_counter() - t0
        time.sleep(0.5)  # let the start settle before reading memory
        self.idle_rss_mb, self.idle_pss_mb = tree_rss_mb(self.pid), tree_pss_mb(self.pid)
        status, body = self.call("POST", "/api/v1/auth/login", {"user_code": USER, "pin": PIN})
        if status != 201 and status != 200:
            raise RuntimeError(f"login failed on {self.name}: {status} {body[:300]!r}")
        self.token = json.loads(body)["token"]

    def call(self, method: str, path: str, payload: object = None) -> tuple[int, bytes]:
        """One blocking request on a fresh connection (setup and checks, not measured)."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
        try:
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            body = json.dumps(payload).encode() if payload is not None else None
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def stop(self) -> None:
        stop_group(self.proc)

    def log(self) -> str:
        return read_log(self.log_path, 3000)


def units_at(db_path: Path, t: Targets, location: str) -> int:
    """Units of the moved SKU/lot at a location (read after the server has stopped)."""
    conn = sqlite3.connect(str(db_path))
    try:
        row = conn.execute(
            "SELECT COALESCE(SUM(b.quantity), 0) FROM balances b "
            "JOIN locations l ON l.id = b.location_id JOIN customers c ON c.id = b.customer_id "
            "JOIN skus s ON s.id = b.sku_id "
            "WHERE l.code = ? AND c.code = ? AND s.code = ? AND b.lot = ? AND b.expiry = ?",
            (location, t.customer, t.sku, t.lot, t.expiry),
        ).fetchone()
        return int(row[0])
    finally:
        conn.close()


def moves_recorded(db_path: Path) -> int:
    conn = sqlite3.connect(str(db_path))
    try:
        return int(conn.execute("SELECT COUNT(*) FROM movements WHERE kind = 'move'").fetchone()[0])
    finally:
        conn.close()


def pick_targets(db_path: Path, room: int) -> Targets:
    """Read real codes: a location with stock, and two storage locations for a move.

    The move goes A -> B and back, one unit at a time. Each concurrent client keeps at
    most one unit in B, so A needs `room` units on hand and B room for `room` more.
    The balance key includes lot and expiry, so the move carries both.
    """
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        lookup = conn.execute(
            "SELECT l.code FROM balances b JOIN locations l ON l.id = b.location_id "
            "ORDER BY l.code LIMIT 1"
        ).fetchone()
        candidates = conn.execute(
            """
            SELECT c.code, s.code, b.lot, b.expiry, la.code, la.id, b.customer_id, b.quantity
              FROM balances b
              JOIN locations la ON la.id = b.location_id
              JOIN customers c ON c.id = b.customer_id
              JOIN skus s ON s.id = b.sku_id
             WHERE la.type = 'storage' AND la.active = 1 AND s.active = 1 AND b.quantity >= ?
               AND (la.capacity IS NULL OR la.capacity >=
                    (SELECT SUM(quantity) FROM balances WHERE location_id = la.id))
             ORDER BY la.code, s.code LIMIT 50
            """,
            (room,),
        ).fetchall()
        for customer, sku, lot, expiry, loc_a, a_id, customer_id, qty in candidates:
            b = conn.execute(
                """
                SELECT l.code FROM locations l
                 WHERE l.type = 'storage' AND l.active = 1 AND l.id != :a
                   AND (l.customer_id IS NULL OR l.customer_id = :cust)
                   AND NOT EXISTS (SELECT 1 FROM balances x
                                    WHERE x.location_id = l.id AND x.customer_id != :cust)
                   AND (l.capacity IS NULL OR l.capacity - COALESCE(
                        (SELECT SUM(quantity) FROM balances x WHERE x.location_id = l.id), 0)
                        >= :room)
                 ORDER BY EXISTS (SELECT 1 FROM balances x WHERE x.location_id = l.id), l.code
                 LIMIT 1
                """,
                {"a": a_id, "cust": customer_id, "room": room},
            ).fetchone()
            if b is not None and lookup is not None:
                return Targets(lookup[0], customer, sku, lot, expiry, loc_a, b[0], qty)
    finally:
        conn.close()
    raise RuntimeError(f"no stock / storage locations fit for the benchmark in {db_path}")


# --------------------------------------------------------------------------- HTTP client


class HttpConnection:
    """A raw keep-alive HTTP/1.1 connection: write a request, read the whole response."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, asyncio.TimeoutError):
                await asyncio.wait_for(self.writer.wait_closed(), 2)
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._read_chunked()
        elif "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:  # no length: the body runs until the server closes
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def _read_chunked(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


def build_request(
    port: int, method: str, path: str, token: str = "", body: bytes = b"", key: str = ""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Accept: application/json"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if key:
        lines.append(f"Idempotency-Key: {key}")
    if body or method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# --------------------------------------------------------------------------- workloads


@dataclass
class Slot:
    """One client connection and the state of its requests."""

    conn: HttpConnection
    unit_in_b: bool = False  # move workload: this client's unit sits in B


@dataclass
class Workload:
    name: str
    max_requests: int
    request: Callable[[Slot], bytes]
    on_success: Callable[[Slot], None] = lambda slot: None
    needs_return: Callable[[Slot], bool] = lambda slot: False


def workloads(server: Server, max_requests: dict[str, int]) -> list[Workload]:
    t = server.targets
    assert t is not None
    port, token = server.port, server.token
    health = build_request(port, "GET", "/health")
    lookup = build_request(port, "GET", f"/api/v1/stock/lookup?code={t.lookup_code}", token)
    keys = itertools.count()
    run_id = uuid.uuid4().hex[:12]

    def move(slot: Slot) -> bytes:
        src, dst = (t.loc_b, t.loc_a) if slot.unit_in_b else (t.loc_a, t.loc_b)
        payload = {
            "kind": "move", "customer": t.customer, "sku": t.sku, "quantity": 1,
            "lot": t.lot, "expiry": t.expiry, "from_location": src, "to_location": dst,
            "reason": "relocation",
        }  # fmt: skip
        key = f"bench-{server.name}-{run_id}-{next(keys)}"
        return build_request(
            port, "POST", "/api/v1/ledger/movements", token, json.dumps(payload).encode(), key
        )

    def moved(slot: Slot) -> None:
        slot.unit_in_b = not slot.unit_in_b

    return [
        Workload("health", max_requests["health"], lambda s: health),
        Workload("lookup", max_requests["lookup"], lambda s: lookup),
        Workload("move", max_requests["move"], move, moved, lambda s: s.unit_in_b),
    ]


@dataclass
class Result:
    server: str
    workload: str
    concurrency: int
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    other_cpu_s: float = 0.0  # everything else on the machine, incl. the idle other server
    rss_mb: float = 0.0
    first_error: str = ""
    round_rps: list[float] = field(default_factory=list)

    def add(self, r: Result) -> None:
        """Sum one round into this row."""
        self.requests += r.requests
        self.errors += r.errors
        self.seconds += r.seconds
        self.latencies += r.latencies
        self.server_cpu_s += r.server_cpu_s
        self.client_cpu_s += r.client_cpu_s
        self.other_cpu_s += r.other_cpu_s
        self.rss_mb = r.rss_mb
        self.first_error = self.first_error or r.first_error
        self.round_rps.append(r.rps)

    @property
    def spread(self) -> float:
        """(max - min) / mean of the rounds' req/s: how noisy this row is."""
        if len(self.round_rps) < 2 or not self.rps:
            return math.nan
        return (max(self.round_rps) - min(self.round_rps)) / (
            sum(self.round_rps) / len(self.round_rps)
        )

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct_ms(self, p: float) -> float:
        if not self.latencies:
            return math.nan
        s = sorted(self.latencies)
        return s[max(0, math.ceil(p / 100 * len(s)) - 1)] * 1000

    @property
    def cpu_ms_per_req(self) -> float:
        return self.server_cpu_s * 1000 / self.requests if self.requests else math.nan


async def drive(
    slots: list[Slot], wl: Workload, seconds: float, budget: int, result: Result | None
) -> float:
    """Run the workload on every slot until `budget` requests or `seconds` have passed."""
    remaining = [budget]
    deadline = time.perf_counter() + seconds

    async def client(slot: Slot) -> None:
        while remaining[0] > 0 and time.perf_counter() < deadline:
            remaining[0] -= 1
            raw = wl.request(slot)
            t0 = time.perf_counter()
            try:
                status, body = await asyncio.wait_for(slot.conn.request(raw), REQUEST_TIMEOUT)
            except (OSError, EOFError, ValueError, asyncio.IncompleteReadError, TimeoutError) as e:
                await slot.conn.close()  # reconnects on the next request
                status, body = 0, f"{type(e).__name__}: {e}".encode()
            elapsed = time.perf_counter() - t0
            ok = 200 <= status < 300
            if ok:
                wl.on_success(slot)
            if result is not None:
                result.requests += 1
                result.latencies.append(elapsed)
                if not ok:
                    result.errors += 1
                    if not result.first_error:
                        result.first_error = f"{status} {body[:200].decode(errors='replace')}"

    start = time.perf_counter()
    await asyncio.gather(*(client(s) for s in slots))
    return time.perf_counter() - start


async def measure(
    server: Server, wl: Workload, concurrency: int, seconds: float, rounds: int
) -> Result:
    slots = [Slot(HttpConnection(server.port)) for _ in range(concurrency)]
    result = Result(server.name, wl.name, concurrency)
    try:
        for s in slots:
            await s.conn.open()
        await drive(slots, wl, WARMUP_SECONDS, WARMUP_MAX_REQUESTS, None)
        cpu0, me0, all0 = tree_cpu_seconds(server.pid), self_cpu_seconds(), machine_busy_seconds()
        budget = math.ceil(wl.max_requests / rounds)
        result.seconds = await drive(slots, wl, seconds, budget, result)
        result.server_cpu_s = tree_cpu_seconds(server.pid) - cpu0
        result.client_cpu_s = self_cpu_seconds() - me0
        result.other_cpu_s = max(
            0.0, machine_busy_seconds() - all0 - result.server_cpu_s - result.client_cpu_s
        )
        # Put every unit back in A (not measured), so the next run starts from the same stock.
        for s in slots:
            if wl.needs_return(s):
                try:
                    status, body = await asyncio.wait_for(
                        s.conn.request(wl.request(s)), REQUEST_TIMEOUT
                    )
                except (OSError, EOFError, ValueError, TimeoutError) as e:
                    status, body = 0, repr(e).encode()
                if 200 <= status < 300:
                    wl.on_success(s)
                else:
                    print(f"  ! could not return a unit: {status} {body[:200]!r}", file=sys.stderr)
        result.rss_mb = tree_rss_mb(server.pid)
    finally:
        for s in slots:
            await s.conn.close()
    return result


# --------------------------------------------------------------------------- report


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def filesystem_of(path: Path) -> str:
    best, fstype = "", "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            mount = parts[1]
            if str(path).startswith(mount.rstrip("/") + "/") and len(mount) >= len(best):
                best, fstype = mount, parts[2]
    return f"{fstype} on {best or '?'}"


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def geomean(values: list[float]) -> float:
    vals = [v for v in values if v > 0 and not math.isnan(v)]
    return math.exp(sum(map(math.log, vals)) / len(vals)) if vals else math.nan


HEADER = (
    f"{'server':<8} {'workload':<17} {'conc':>4} {'requests':>8} {'req/s':>8} "
    f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'srv cpu':>7} "
    f"{'srv cpu/req':>11} {'gen cpu':>7} {'other':>5} {'RSS MB':>7} {'spread':>6}"
)


def row(r: Result) -> str:
    return (
        f"{r.server:<8} {TITLES[r.workload]:<17} {r.concurrency:>4} {r.requests:>8} {r.rps:>8.0f} "
        f"{r.pct_ms(50):>7.2f} {r.pct_ms(95):>7.2f} {r.pct_ms(99):>7.2f} {r.errors:>6} "
        f"{r.server_cpu_s / r.seconds:>7.0%} {r.cpu_ms_per_req:>8.3f} ms "
        f"{r.client_cpu_s / r.seconds:>7.0%} {r.other_cpu_s / r.seconds:>5.0%} {r.rss_mb:>7.1f} "
        f"{r.spread:>6.0%}"
    )


def verdict(results: dict[tuple[str, str, int], Result], servers: dict[str, Server]) -> str:
    """One line, decided from the figures: speed first, then memory, then CPU per request."""
    g, u = servers["granian"], servers["uvicorn"]
    keys = [k for k in ROWS if ("granian", *k) in results and ("uvicorn", *k) in results]

    def mean_ratio(metric: Callable[[Result], float], rows: list[tuple[str, int]]) -> float:
        return geomean([ratio(metric(results["granian", *k]), metric(results["uvicorn", *k]))
                        for k in rows])  # fmt: skip

    rps = mean_ratio(lambda r: r.rps, keys)
    reads = mean_ratio(lambda r: r.rps, [k for k in keys if k[0] != "move"])
    writes = mean_ratio(lambda r: r.rps, [k for k in keys if k[0] == "move"])
    p99 = mean_ratio(lambda r: r.pct_ms(99), keys)
    cpu = mean_ratio(lambda r: r.cpu_ms_per_req, keys)
    rss = {n: max(r.rss_mb for r in results.values() if r.server == n) for n in SERVERS}
    errors = {n: sum(r.errors for r in results.values() if r.server == n) for n in SERVERS}
    figures = (
        f"granian/uvicorn req/s {rps:.2f}x (reads {reads:.2f}x, writes {writes:.2f}x), "
        f"p99 {p99:.2f}x, server CPU/req {cpu:.2f}x (geo-means of {len(keys)} rows); "
        f"RSS {rss['granian']:.0f} vs {rss['uvicorn']:.0f} MB; "
        f"startup {g.startup_s:.2f} vs {u.startup_s:.2f} s"
    )
    spreads = sorted(r.spread for r in results.values() if not math.isnan(r.spread))
    other = sum(r.other_cpu_s for r in results.values()) / sum(r.seconds for r in results.values())
    noisy = ""
    if other > 0.2 or (spreads and spreads[len(spreads) // 2] > 0.15):
        noisy = (
            f" [NOISY: other processes used {other:.0%} of a core, median round spread "
            f"{spreads[len(spreads) // 2] if spreads else math.nan:.0%}; rerun on an idle machine]"
        )
    figures += noisy
    if errors["granian"] != errors["uvicorn"]:
        winner = min(SERVERS, key=lambda n: errors[n])
        return f"VERDICT: prefer {winner}: fewer errors ({errors}); {figures}"
    # More than 10% counts (below that is noise on a shared 2-core box).
    if abs(math.log(rps)) > math.log(1.10):
        winner, why = ("granian" if rps > 1 else "uvicorn"), "faster"
    elif abs(rss["granian"] - rss["uvicorn"]) > 0.15 * min(rss.values()):
        winner, why = min(SERVERS, key=lambda n: rss[n]), "same speed within 10%, less memory"
    elif abs(math.log(cpu)) > math.log(1.10):
        winner, why = ("granian" if cpu < 1 else "uvicorn"), "same speed, less CPU per request"
    else:
        return f"VERDICT: no clear winner, every difference within noise; {figures}"
    return f"VERDICT: ship {winner} ({why}): {figures}"


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=8.0, help="measured time per row and server (default 8)"
    )
    parser.add_argument(
        "--requests", type=int, default=30_000, help="max requests per read row (default 30000)"
    )
    parser.add_argument(
        "--writes", type=int, default=5_000, help="max requests per write row (default 5000)"
    )
    args = parser.parse_args()
    # A plain `kill` of the benchmark still runs the `finally` that stops the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    max_requests = {"health": args.requests, "lookup": args.requests, "move": args.writes}

    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bondfloor-bench-") as tmp:
        servers = {name: Server(name, Path(tmp) / name) for name in SERVERS}
        uv_http = "httptools" if installed("httptools") else "h11"
        uv_loop = "uvloop" if installed("uvloop") else "asyncio"
        print("bondfloor ASGI server benchmark (granian vs uvicorn)")
        print(
            f"  python {sys.version.split()[0]}, litestar {version('litestar')}, "
            f"granian {version('granian')}, uvicorn {version('uvicorn')} "
            f"(http={uv_http}, loop={uv_loop}), sqlite {sqlite3.sqlite_version}"
        )
        print(
            f"  {os.cpu_count()} CPU cores, shared by the server AND this load generator "
            f"(asyncio, 1 process); database in {tmp} ({filesystem_of(Path(tmp))})"
        )
        print(
            f"  per row and server: {ROUNDS} rounds (server order alternating), each a "
            f"{WARMUP_SECONDS:g} s warm-up (max {WARMUP_MAX_REQUESTS} req) then max "
            f"{args.seconds / ROUNDS:.3g} s or 1/{ROUNDS} of {args.requests} reads / {args.writes} "
            f"writes;\n  keep-alive HTTP/1.1 over loopback, fresh connections every round"
        )
        results: dict[tuple[str, str, int], Result] = {}
        try:
            for s in servers.values():
                s.workdir.mkdir()
                s.seed()
            # Start one at a time, so each startup time is measured on an idle machine.
            for s in servers.values():
                s.start()
                t = s.targets
                assert t is not None
                n = len(proc_tree(s.pid))
                print(
                    f"  {s.name}: pid {s.pid}, port {s.port}, healthy after {s.startup_s:.2f} s, "
                    f"idle RSS {s.idle_rss_mb:.1f} MB (PSS {s.idle_pss_mb:.1f} MB, "
                    f"{n} process{'es' if n > 1 else ''})"
                )
            t = servers["granian"].targets
            assert t is not None
            print(
                f"  lookup code {t.lookup_code}; move 1 x {t.customer}/{t.sku} lot {t.lot or '-'} "
                f"between {t.loc_a} ({t.on_hand_a} on hand) and {t.loc_b}"
            )
            print()
            print(HEADER)
            plans = {name: workloads(s, max_requests) for name, s in servers.items()}
            flip = False
            for w, c in ROWS:
                for name in SERVERS:
                    results[name, w, c] = Result(name, w, c)
                for _ in range(ROUNDS):
                    for name in SERVERS[::-1] if flip else SERVERS:
                        wl = next(x for x in plans[name] if x.name == w)
                        r = asyncio.run(
                            measure(servers[name], wl, c, args.seconds / ROUNDS, ROUNDS)
                        )
                        results[name, w, c].add(r)
                    flip = not flip
                for name in SERVERS:
                    print(row(results[name, w, c]), flush=True)
            for s in servers.values():
                if s.proc is not None and s.proc.poll() is not None:
                    print(f"  ! {s.name} died during the run:\n{s.log()}")
        finally:
            for s in servers.values():
                s.stop()
        for s in servers.values():  # the write workload must leave the stock as it found it
            t = s.targets
            if t is not None and s.proc is not None:
                a, b = units_at(s.db_path, t, t.loc_a), units_at(s.db_path, t, t.loc_b)
                print(
                    f"  stock check {s.name}: {t.loc_a} {a} (was {t.on_hand_a}), {t.loc_b} {b} "
                    f"(was {t.on_hand_b}); {moves_recorded(s.db_path)} moves recorded"
                )

    print()
    print("ratio to the same server's /health at the same concurrency, same run:")
    for (name, workload, c), r in results.items():
        health = results.get((name, "health", c))
        if workload != "health" and health is not None and r.rps:
            print(f"  {name:8} c={c:<3} {ratio_line(workload, r.rps, health.rps)}")
    print()
    print("errors (first per row):")
    errors = [r for r in results.values() if r.errors]
    for r in errors:
        print(f"  {r.server} {r.workload} c={r.concurrency}: {r.errors} x {r.first_error}")
    if not errors:
        print("  none")

    print()
    print("granian / uvicorn  (req/s > 1: granian faster; latency, CPU, RSS < 1: granian better)")
    print(
        f"{'workload':<17} {'conc':>4} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'cpu/req':>7} {'RSS':>7}"
    )
    done = [k for k in ROWS if ("granian", *k) in results and ("uvicorn", *k) in results]
    for wl_name, c in done:
        g, u = results["granian", wl_name, c], results["uvicorn", wl_name, c]
        print(
            f"{TITLES[wl_name]:<17} {c:>4} {ratio(g.rps, u.rps):>7.2f} "
            f"{ratio(g.pct_ms(50), u.pct_ms(50)):>7.2f} {ratio(g.pct_ms(95), u.pct_ms(95)):>7.2f} "
            f"{ratio(g.pct_ms(99), u.pct_ms(99)):>7.2f} "
            f"{ratio(g.cpu_ms_per_req, u.cpu_ms_per_req):>7.2f} {ratio(g.rss_mb, u.rss_mb):>7.2f}"
        )
    g_s, u_s = servers["granian"], servers["uvicorn"]
    print(
        f"{'startup to /health':<22} {ratio(g_s.startup_s, u_s.startup_s):>7.2f}   "
        f"({g_s.startup_s:.2f} s vs {u_s.startup_s:.2f} s)"
    )
    print(
        f"{'idle RSS (tree)':<22} {ratio(g_s.idle_rss_mb, u_s.idle_rss_mb):>7.2f}   "
        f"({g_s.idle_rss_mb:.1f} vs {u_s.idle_rss_mb:.1f} MB; PSS {g_s.idle_pss_mb:.1f} vs "
        f"{u_s.idle_pss_mb:.1f} MB)"
    )
    print()
    print(
        "notes: the load generator shares the cores with the server. 'srv cpu', 'gen cpu' and\n"
        "  'other' (every other process on the machine) are CPU use in % of one core (200% =\n"
        "  both cores): near 200% together, the cores cap the row; 'srv cpu' near 100% alone,\n"
        "  the server's one Python worker (GIL) does. 'srv cpu/req' is the server tree's CPU\n"
        "  time per request and does not depend on the generator. Writes fsync every commit\n"
        "  (synchronous=FULL): 'move' depends on the disk under the database. RSS is VmRSS of the\n"
        "  server's process tree summed (granian: main + 1 worker process) after each row. 'spread'\n"
        "  is (max - min) / mean of the rounds' req/s: a ratio smaller than the spread is noise."
    )
    if done:
        print(verdict(results, servers))
    print(f"total time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
