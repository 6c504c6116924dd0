"""How long from a fixed scanner's scan to its effect committed on the server?

Run with `.venv/bin/python bench/station_scan.py`. Everything is real and runs as
separate processes on loopback, as tests/stations/test_agent_and_server.py sets it up:

  - `bondfloor serve` (granian) with its own config and SQLite file in a temp folder, on a
    free 127.0.0.1 port; the config has a pack bench `pack-01` (kind pack_bench) whose
    fixed scanner `bench-scanner` is serial (suffix CR) on a symlink to the slave side of
    a pseudo-terminal this process opened, and a file printer `label-1`;
  - `bondfloor station --server http://127.0.0.1:PORT --spool <tmp>/spool.db` with the
    bench's token in BONDFLOOR_STATION_TOKEN (`bondfloor token add pack-01 --kind
    station`): it opens the pty with pyserial, keeps each scan in its SQLite spool
    (fsync'd) and forwards it with an Idempotency-Key (POST /api/v1/stations/pack-01/scans).

The site is made with the real CLI (`bondfloor init`, `user add` for a supervisor, a
picker and a packer with a badge, `token add` for the station and an OMS) and the HTTP
API: a customer, one SKU (EAN-13, not lot/expiry tracked), a storage location, two totes,
the lanes; stock received (POST /api/v1/ledger/movements, kind receive); an order of
--scans units of that SKU (and one of --burst units) created with the OMS token, released
(customs 800), waved and picked into its tote through next-task / confirm.

Then this process writes to the pty's controller side, as the scanner would: the packer's
badge (sign-in) and the tote (opens the order), then --scans times the SKU's EAN + CR,
one at a time. For each: t0 = just before the write, t1 = when the scan's row is
committed in `station_scans`, seen by polling the server's file read-only (MAX(id),
`file:...?mode=ro`) every --poll-ms; the next scan is written only once the agent has
recorded the server's answer in its spool (polled the same way), so a scan never waits
behind the previous one. Reported: p50/p95/p99/max of t1 - t0, and where the time goes
from three clocks in the same machine (wall clock, ms resolution): write -> scan kept in
the agent's spool (`scanned_at`, set just before its INSERT: serial read and framing), ->
server command start (`received_at`: spool INSERT + fsync, forwarder wake-up, HTTP,
routing, the writer lock), -> commit seen here (the scan's command, COMMIT + fsync, the
poll); and commit seen -> answer recorded in the agent's spool (not part of t1 - t0).

Burst (--burst, 0 to skip), clearly apart: the second order's tote is scanned, then
--burst EANs are written back to back (no pacing; a real 9600-baud scanner could not send
faster than about 70 scans/s) and the time until all are committed gives scans/s.

Checks, all exact: every station_scans row `ok`, with the actions expected (sign_in, open,
pack_scan x --scans, [open, pack_scan x --burst]); `pack_scans` holds exactly --scans
units for the first order (and --burst for the second), each row one unit by the badge's
packer at pack-01; the spool sent every scan, answered `ok`, and the server's scan keys
are the spool's id:seq in order.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import pty
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asgi_servers import (
    REQUEST_TIMEOUT,
    filesystem_of,
    machine_busy_seconds,
    self_cpu_seconds,
    tree_cpu_seconds,
    version,
)
from health_ratio import print_health_ratios
from pick_http import pct
from processes import HOST, Proc, bondfloor_exe, free_port, wait_for
from receiving_http import fsync_ms

STATION, SCANNER, PRINTER = "pack-01", "bench-scanner", "label-1"
SUPERVISOR, PICKER, PACKER, PIN = "sup01", "pick01", "pack01", "1234"
BADGE = "BF-BADGE-PACK01"
CUSTOMER, SKU, EAN = "BENCHCO", "SOAP-1", "6901234567892"
STORAGE, TOTES, LANE = "A-01-01", ("T-0001", "T-0002"), "OUT-01"
SUFFIX = b"\r"  # the scanner's configured suffix (CR)
STARTUP_TIMEOUT = 30.0
COMMIT_TIMEOUT = 10.0  # one scan not committed within this: the run fails


# --------------------------------------------------------------------------- the pty


class Pty:
    """A pseudo-terminal standing in for the scanner's serial port, behind a stable path
    (what tests/devices/pty_port.py does; bench/ does not import tests/)."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.controller, self.device = pty.openpty()
        link.unlink(missing_ok=True)
        link.symlink_to(os.ttyname(self.device))

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.controller, view) :]

    def close(self) -> None:
        for fd in (self.controller, self.device):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.link.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the site


@dataclass
class Site:
    folder: Path
    port: int = field(default_factory=free_port)
    server: Proc = field(init=False)
    agent: Proc = field(init=False)
    scanner: Pty = field(init=False)
    station_token: str = ""
    oms_token: str = ""
    sessions: dict[str, str] = field(default_factory=dict)
    keys: int = 0
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def __post_init__(self) -> None:
        self.server = Proc("server", self.folder / "serve.log")
        self.agent = Proc("agent", self.folder / "agent.log")
        self.scanner = Pty(self.folder / "ttyBenchScanner")

    @property
    def config(self) -> Path:
        return self.folder / "bondfloor.toml"

    @property
    def db_path(self) -> Path:
        return self.folder / "site.db"

    @property
    def spool_path(self) -> Path:
        return self.folder / "spool.db"

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def write_config(self) -> None:
        self.config.write_text(
            '[site]\ncode = "BENCH"\nname = "station scan bench"\n'
            f'[database]\npath = "{self.db_path}"\n'
            f'[server]\nhost = "{HOST}"\nport = {self.port}\n'
            "[discovery]\nadvertise = false\n"
            # The opening stock of both orders is one correction; above this it would wait
            # for a second supervisor's approval and the orders would find no stock.
            "[ledger]\napproval_over_units = 1000000\n"
            # Each order is picked whole in one confirmation (1,000 units), not one by one.
            "[scan]\nmax_quantity_per_scan = 1000000\n"
            f'[[printers]]\nname = "{PRINTER}"\nkind = "file"\n'
            f'folder = "{self.folder / "printouts"}"\n'
            f'[[scanners]]\nname = "{SCANNER}"\nkind = "serial"\n'
            f'device = "{self.scanner.link}"\nbaud = 9600\nsuffix = "CR"\n'
            f'[[stations]]\nname = "{STATION}"\nkind = "pack_bench"\n'
            f'printers = ["{PRINTER}"]\nscanners = ["{SCANNER}"]\n',
            encoding="utf-8",
        )

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [bondfloor_exe(), "--config", str(self.config), *args],
            cwd=self.folder,
            capture_output=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"bondfloor {' '.join(args[:3])} failed ({done.returncode}): "
                f"{done.stderr.decode(errors='replace')[-500:]}"
            )
        return done.stdout.decode()

    def prepare(self) -> None:
        """Config, database, users and tokens with the real CLI."""
        self.write_config()
        self.cli("init")
        for code, role, badge in (
            (SUPERVISOR, "supervisor", ""),
            (PICKER, "picker", ""),
            (PACKER, "packer", BADGE),
        ):
            extra = ["--badge", badge] if badge else []
            self.cli("user", "add", code, "--name", code, "--role", role, "--pin", PIN, *extra)
        self.station_token = self.cli("token", "add", STATION, "--kind", "station")
        self.station_token = self.station_token.strip().splitlines()[-1]
        self.oms_token = self.cli("token", "add", "oms-1", "--kind", "oms").strip().splitlines()[-1]

    def start_server(self) -> float:
        cmd = [bondfloor_exe(), "--config", str(self.config), "serve"]
        return self.server.start_server(cmd, self.folder, self.port, STARTUP_TIMEOUT)

    def start_agent(self) -> float:
        """Start `bondfloor station`; returns the seconds until it had the pty open (scans
        written before that are lost)."""
        t0 = time.perf_counter()
        self.agent.start(
            [
                bondfloor_exe(),
                "--config",
                str(self.config),
                "station",
                "--server",
                self.base_url,
                "--spool",
                str(self.spool_path),
            ],
            cwd=self.folder,
            env={**os.environ, "BONDFLOOR_STATION_TOKEN": self.station_token},
        )

        def opened() -> bool:
            if not self.agent.alive():
                raise RuntimeError(f"bondfloor station exited early:\n{self.agent.log(3000)}")
            return bool(re.search(rf"scanner {SCANNER} on \S+ is available", self.agent.log()))

        wait_for(opened, STARTUP_TIMEOUT, "the agent opening the scanner's pty")
        return time.perf_counter() - t0

    def close(self) -> None:
        self.agent.stop()
        self.server.stop()
        self.scanner.close()

    # -- HTTP (setup only, not timed) ---------------------------------------------------

    def request(
        self, method: str, path: str, payload: Any = None, *, token: str, device: str = "bench"
    ) -> tuple[int, Any]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            headers = {"Accept": "application/json", "X-Device": device}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            if method == "POST":
                self.keys += 1
                headers["Idempotency-Key"] = f"bench-{self.run_id}-{self.keys}"
            body = None
            if payload is not None:
                headers["Content-Type"] = "application/json"
                body = json.dumps(payload).encode()
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
        finally:
            conn.close()

    def call(self, who: str, method: str, path: str, payload: Any = None) -> Any:
        """As a user (logged in once) or, with who="oms", with the OMS token."""
        if who == "oms":
            token = self.oms_token
        else:
            if who not in self.sessions:
                self.sessions[who] = must(
                    *self.request(
                        "POST",
                        "/api/v1/auth/login",
                        {"user_code": who, "pin": PIN},
                        token="",
                        device=f"bench-{who}",
                    ),
                    f"login {who}",
                )["token"]
            token = self.sessions[who]
        return must(
            *self.request(method, path, payload, token=token, device=f"bench-{who}"),
            f"{method} {path}",
        )

    def seed(self, orders: list[tuple[str, str, int]]) -> None:
        """Master data, stock and the orders (order_no, tote, units), picked into their
        totes: ready to pack."""
        self.call(SUPERVISOR, "POST", "/api/v1/customers", {"code": CUSTOMER, "name": "Bench Co"})
        self.call(
            SUPERVISOR,
            "POST",
            "/api/v1/skus",
            {"customer": CUSTOMER, "code": SKU, "name": "Soap", "barcodes": [EAN]},
        )
        locations = [(STORAGE, "storage", 1), (LANE, "outbound_lane", 0)]
        locations += [("INSP-01", "inspection", 0)] + [(t, "tote", 0) for t in TOTES]
        for code, type_, seq in locations:
            self.call(
                SUPERVISOR,
                "POST",
                "/api/v1/locations",
                {"code": code, "zone": code.split("-")[0], "type": type_, "pick_sequence": seq},
            )
        self.call(
            SUPERVISOR,
            "POST",
            "/api/v1/ledger/movements",
            {
                "kind": "receive",
                "reason": "opening_balance",
                "customer": CUSTOMER,
                "sku": SKU,
                "quantity": sum(units for _, _, units in orders),
                "lot": "",
                "expiry": "",
                "to_location": STORAGE,
            },
        )
        released_at = datetime.now(UTC).isoformat()
        for i, (order_no, _, units) in enumerate(orders):
            self.call("oms", "POST", "/api/v1/orders", order_body(order_no, i, units))
            self.call(
                "oms",
                "POST",
                "/api/v1/customs-statuses",
                {"order_no": order_no, "code": 800, "status_at": released_at},
            )
        wave = self.call(
            SUPERVISOR, "POST", "/api/v1/waves", {"order_nos": [o for o, _, _ in orders]}
        )
        if wave["orders"] != len(orders):
            raise RuntimeError(f"wave took {wave['orders']} of {len(orders)} orders: {wave}")
        tote_of = {order_no: tote for order_no, tote, _ in orders}
        while (
            task := self.call(PICKER, "POST", f"/api/v1/waves/{wave['id']}/next-task", {})["task"]
        ) is not None:
            self.call(
                PICKER,
                "POST",
                f"/api/v1/pick-tasks/{task['id']}/confirm",
                {
                    "location": task["location"],
                    "item": task["barcodes"][0],
                    "quantity": task["remaining"],
                    "tote": tote_of[task["order_no"]],
                },
            )

    # -- reading the server's and the agent's files, read-only --------------------------

    def read(self, sql: str, *params: Any, path: Path | None = None) -> list[sqlite3.Row]:
        conn = sqlite3.connect(f"file:{path or self.db_path}?mode=ro", uri=True, timeout=5)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def must(status: int, answer: Any, what: str) -> Any:
    if status not in (200, 201):
        raise RuntimeError(f"{what}: {status} {str(answer)[:300]}")
    return answer


def order_body(order_no: str, n: int, units: int) -> dict[str, Any]:
    return {
        "customer": CUSTOMER,
        "order_no": order_no,
        "courier": "SF",
        "waybill_no": f"SF{7_100_000_000 + n}",
        "routing": {
            "sort_code": "342-081-00 052",
            "consolidation_point": "深圳集包",
            "product_type": "标准快递",
        },
        "recipient": {
            "name": "张三丰",
            "phone": "13812345678",
            "province": "广东省",
            "city": "深圳市",
            "district": "南山区",
            "address": "科技园南路十八号大厦三楼",
        },
        "sender": {"name": "Bonded DC", "phone": "0755-1234567", "address": "前海保税区一号仓"},
        "lines": [{"sku": SKU, "quantity": units}],
    }


# --------------------------------------------------------------------------- measuring


class Poller:
    """Read-only connections to the server's file and the agent's spool, polled."""

    def __init__(self, site: Site, poll_s: float) -> None:
        self.poll_s = poll_s
        self.db = sqlite3.connect(f"file:{site.db_path}?mode=ro", uri=True, timeout=5)
        self.spool = sqlite3.connect(f"file:{site.spool_path}?mode=ro", uri=True, timeout=5)
        self.polls = 0

    def last_scan_id(self) -> int:
        # fetchall: the statement runs to its end, so no read snapshot stays open.
        return int(self.db.execute("SELECT MAX(id) FROM station_scans").fetchall()[0][0] or 0)

    def unsent(self) -> int:
        return int(
            self.spool.execute("SELECT COUNT(*) FROM scans WHERE sent_at IS NULL").fetchall()[0][0]
        )

    def until(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.perf_counter() + timeout
        while not check():
            self.polls += 1
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{what}: not within {timeout:g} s")
            time.sleep(self.poll_s)

    def close(self) -> None:
        self.db.close()
        self.spool.close()


@dataclass
class Scan:
    t0: float = 0.0  # perf_counter just before the write
    t1: float = 0.0  # commit seen
    t2: float = 0.0  # the agent recorded the answer in its spool
    w0: float = 0.0  # wall clock just before the write
    w1: float = 0.0  # wall clock when the commit was seen


def write_and_wait(site: Site, poller: Poller, code: str, scan: Scan) -> None:
    """One scan on the pty, timed until its row is committed and the agent has the answer."""
    target = poller.last_scan_id() + 1
    frame = code.encode() + SUFFIX
    scan.w0 = time.time()
    scan.t0 = time.perf_counter()
    site.scanner.send(frame)
    poller.until(lambda: poller.last_scan_id() >= target, COMMIT_TIMEOUT, f"scan of {code}")
    scan.t1 = time.perf_counter()
    scan.w1 = time.time()
    poller.until(lambda: poller.unsent() == 0, COMMIT_TIMEOUT, "the agent's answer for it")
    scan.t2 = time.perf_counter()


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def figures(name: str, values: list[float]) -> str:
    return (
        f"  {name:<50} {pct(values, 50):>7.1f} {pct(values, 95):>7.1f} {pct(values, 99):>7.1f} "
        f"{max(values):>7.1f} {statistics.fmean(values):>7.1f}"
    )


def sequential_report(site: Site, scans: list[Scan], first_id: int) -> list[float]:
    """Figures of the one-at-a-time scans; returns t1 - t0 in ms."""
    rows = site.read(
        "SELECT id, scanned_at, received_at FROM station_scans WHERE id >= ? ORDER BY id LIMIT ?",
        first_id,
        len(scans),
    )
    ms = 1000.0
    e2e = [(s.t1 - s.t0) * ms for s in scans]
    split: dict[str, list[float]] = {
        "  write -> kept in the agent's spool (scanned_at)": [],
        "  spool -> server command start (received_at)": [],
        "  command start -> commit seen here": [],
    }
    parts = list(split.values())
    for s, r in zip(scans, rows, strict=True):
        # Both stamps are cut to the millisecond: + 0.5 ms is the middle of where they were.
        spooled, received = epoch(r["scanned_at"]) + 5e-4, epoch(r["received_at"]) + 5e-4
        parts[0].append((spooled - s.w0) * ms)
        parts[1].append((received - spooled) * ms)
        parts[2].append((s.w1 - received) * ms)
    after = [(s.t2 - s.t1) * ms for s in scans]
    n = len(scans)
    print(
        f"  {'ms, over ' + f'{n:,}' + ' scans one at a time':<50} {'p50':>7} {'p95':>7} "
        f"{'p99':>7} {'max':>7} {'mean':>7}"
    )
    print(figures("scan on the pty -> committed on the server", e2e))
    print("  where it goes (wall clocks; the agent's and the server's stamps are whole ms):")
    for name, values in split.items():
        print(figures(name, values))
    print(figures("commit seen -> answer recorded in the spool", after))
    block = max(1, n // 5)
    print(
        f"  p50 per block of {block:,} scans (the order's packed count grows): "
        + ", ".join(f"{pct(e2e[i : i + block], 50):.1f}" for i in range(0, n, block))
        + f" ms; first scan (cold) {e2e[0]:.1f} ms"
    )
    worst = sorted(range(n), key=lambda i: -e2e[i])[:5]
    print(
        "  slowest scans (ms = to spool + to command + to commit): "
        + "; ".join(
            f"#{i + 1} {e2e[i]:.0f} = {parts[0][i]:.0f} + {parts[1][i]:.0f} + {parts[2][i]:.0f}"
            for i in worst
        )
    )
    return e2e


def burst(site: Site, poller: Poller, tote: str, n: int) -> tuple[float, list[str]]:
    """--burst scans written back to back; returns (seconds until all committed, lines)."""
    opener = Scan()
    write_and_wait(site, poller, tote, opener)
    base = poller.last_scan_id()
    frame = EAN.encode() + SUFFIX
    w0 = time.time()
    t0 = time.perf_counter()
    for _ in range(n):
        site.scanner.send(frame)
    t_written = time.perf_counter()
    poller.until(lambda: poller.last_scan_id() >= base + n, 120.0, f"{n} burst scans")
    t_done = time.perf_counter()
    poller.until(lambda: poller.unsent() == 0, COMMIT_TIMEOUT, "the agent's answers")
    seconds = t_done - t0
    rows = site.read(
        "SELECT scanned_at, received_at FROM station_scans WHERE id > ? ORDER BY id", base
    )
    spooled = [epoch(r["scanned_at"]) for r in rows]
    received = [epoch(r["received_at"]) for r in rows]
    waited = [(r - s) * 1000 for s, r in zip(spooled, received, strict=True)]
    lines = [
        f"  {n:,} scans written back to back in {(t_written - t0) * 1000:.0f} ms; all committed "
        f"after {seconds:.2f} s: {n / seconds:.0f} scans/s",
        f"  the agent kept the last in its spool {(spooled[-1] - w0) * 1000:.0f} ms after the "
        f"first write ({n / max(spooled[-1] - w0, 1e-9):.0f} scans/s read and spooled); the "
        f"server started the last {(received[-1] - w0):.2f} s after it",
        f"  wait in the spool (scanned_at -> server command start) p50 / max: "
        f"{pct(waited, 50):.0f} / {max(waited):.0f} ms",
    ]
    return seconds, lines


# --------------------------------------------------------------------------- checks


def checks(site: Site, orders: list[tuple[str, str, int]], expect_actions: list[str]) -> list[str]:
    failures: list[str] = []
    rows = site.read(
        "SELECT scan_key, code, action, outcome, error_code, user_code FROM station_scans "
        "WHERE station = ? ORDER BY id",
        STATION,
    )
    refused = [r for r in rows if r["outcome"] != "ok"]
    actions = [r["action"] for r in rows]
    print(
        f"  station_scans: {len(rows):,} rows ({len(expect_actions):,} expected), "
        f"{len(rows) - len(refused):,} ok, {len(refused)} refused"
    )
    if refused:
        failures.append(
            f"{len(refused)} scans refused, e.g. {refused[0]['code']}: {refused[0]['error_code']}"
        )
    if actions != expect_actions:
        failures.append(
            f"actions {actions[:3]}... ({len(actions)}) are not the expected "
            f"{expect_actions[:3]}... ({len(expect_actions)})"
        )
    if any(r["user_code"] != PACKER for r in rows):
        failures.append(f"scans recorded for someone else than {PACKER}")
    for order_no, _, units in orders:
        (packed,) = site.read(
            "SELECT COUNT(*), COALESCE(SUM(p.quantity), 0), "
            "SUM(p.station = ? AND p.user_code = ? AND p.quantity = 1) "
            "FROM pack_scans p JOIN orders o ON o.id = p.order_id WHERE o.order_no = ?",
            STATION,
            PACKER,
            order_no,
        )
        print(
            f"  pack_scans of {order_no}: {packed[1]:,} units in {packed[0]:,} rows "
            f"({units:,} ordered), {packed[2] or 0:,} of them one unit by {PACKER} at {STATION}"
        )
        if not packed[0] == packed[1] == packed[2] == units:
            failures.append(
                f"{order_no}: {packed[1]} units packed in {packed[0]} rows, not {units}"
            )
    spool = site.read(
        "SELECT (SELECT value FROM meta WHERE key = 'spool_id') || ':' || seq AS key, "
        "sent_at IS NOT NULL AS sent, outcome FROM scans ORDER BY seq",
        path=site.spool_path,
    )
    unsent = sum(1 for r in spool if not r["sent"])
    not_ok = sum(1 for r in spool if r["outcome"] != "ok")
    in_order = [r["key"] for r in spool] == [r["scan_key"] for r in rows]
    print(
        f"  agent spool: {len(spool):,} scans, {unsent} unsent, {not_ok} not ok; server scan "
        f"keys = spool id:seq in order: {'yes' if in_order else 'NO'}"
    )
    if unsent or not_ok:
        failures.append(f"spool: {unsent} scans unsent, {not_ok} not answered ok")
    if not in_order:
        failures.append("the server's scan keys are not the spool's, in order")
    warnings = [ln for ln in site.agent.log().splitlines() if " WARNING " in ln]
    if warnings:
        print(f"  agent log: {len(warnings)} warnings, e.g. {warnings[0][:160]}")
    return failures


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scans", type=int, default=1000, help="item scans one at a time (default 1000)"
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=1000,
        help="item scans written back to back afterwards (default 1000; 0: none)",
    )
    parser.add_argument(
        "--poll-ms", type=float, default=1.0, help="poll interval of the files (default 1)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temp folder (config, logs, files)"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stops the children
    t_start = time.perf_counter()
    orders = [("SCAN-SEQ", TOTES[0], args.scans)]
    if args.burst:
        orders.append(("SCAN-BURST", TOTES[1], args.burst))
    expect = ["sign_in", "open"] + ["pack_scan"] * args.scans
    if args.burst:
        expect += ["open"] + ["pack_scan"] * args.burst
    failures: list[str] = []
    e2e: list[float] = []
    tmp = tempfile.mkdtemp(prefix="bondfloor-station-")
    folder = Path(tmp)
    site = Site(folder)
    try:
        probe = sorted(fsync_ms(folder))
        print("bondfloor: scan on a serial pty -> effect committed on the server")
        print(
            f"  python {sys.version.split()[0]}, litestar {version('litestar')}, granian "
            f"{version('granian')}, pyserial {version('pyserial')}, sqlite "
            f"{sqlite3.sqlite_version}; {os.cpu_count()} CPU cores shared by the server, the "
            "agent and this process (the pty writer and the poller)"
        )
        print(
            f"  files in {tmp} ({filesystem_of(folder)}); fsync of 4 KiB there: p50 "
            f"{probe[len(probe) // 2]:.2f} ms, p99 {probe[int(len(probe) * 0.99) - 1]:.2f} ms"
        )
        t = time.perf_counter()
        site.prepare()
        prepared = time.perf_counter() - t
        healthy = site.start_server()
        t = time.perf_counter()
        site.seed(orders)
        seeded = time.perf_counter() - t
        opened = site.start_agent()
        print(
            f"  CLI (init, 3 users, 2 tokens) {prepared:.1f} s; server pid {site.server.pid} on "
            f"port {site.port}, healthy after {healthy:.2f} s; site seeded over HTTP in "
            f"{seeded:.1f} s ({', '.join(f'{o} {u:,} units in {t}' for o, t, u in orders)}); "
            f"agent pid {site.agent.pid} had the pty open after {opened:.2f} s"
        )
        poller = Poller(site, args.poll_ms / 1000)
        try:
            for code in (BADGE, TOTES[0]):
                write_and_wait(site, poller, code, Scan())
            first_id = poller.last_scan_id() + 1
            scans = [Scan() for _ in range(args.scans)]
            cpu = (
                tree_cpu_seconds(site.server.pid),
                tree_cpu_seconds(site.agent.pid),
                self_cpu_seconds(),
                machine_busy_seconds(),
            )
            polls0, t_seq = poller.polls, time.perf_counter()
            for scan in scans:
                write_and_wait(site, poller, EAN, scan)
            seq_s = time.perf_counter() - t_seq
            server_cpu = tree_cpu_seconds(site.server.pid) - cpu[0]
            agent_cpu = tree_cpu_seconds(site.agent.pid) - cpu[1]
            mine = self_cpu_seconds() - cpu[2]
            other = max(0.0, machine_busy_seconds() - cpu[3] - server_cpu - agent_cpu - mine)
            polls = poller.polls - polls0
            print(
                f"  {args.scans:,} scans one at a time in {seq_s:.1f} s; CPU per scan: server "
                f"{server_cpu / args.scans * 1000:.1f} ms, agent {agent_cpu / args.scans * 1000:.1f}"
                f" ms, this process {mine / args.scans * 1000:.1f} ms ({polls:,} polls, "
                f"{seq_s / max(polls, 1) * 1000:.2f} ms apart); other processes used "
                f"{other / seq_s:.0%} of a core meanwhile"
            )
            print()
            e2e = sequential_report(site, scans, first_id)
            # The scan crosses the agent and the serial line as well as HTTP: this ratio
            # says how much of /health's pace one scanner's scans keep.
            print_health_ratios(site.port, [("station scans, end to end", pct(e2e, 50))])
            print()
            if args.burst:
                print(
                    f"burst (back to back, not paced like a scanner), second order {orders[1][0]}:"
                )
                _, lines = burst(site, poller, orders[1][1], args.burst)
                for line in lines:
                    print(line)
                print()
        finally:
            poller.close()
        failures += checks(site, orders, expect)
    except Exception as err:
        failures.append(f"{type(err).__name__}: {err}")
        for proc in (site.server, site.agent):
            print(f"--- {proc.name} log (tail) ---\n{proc.log(2000)}")
    finally:
        site.close()
        if args.keep:
            print(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    if failures:
        for f in failures:
            print(f"FAIL: {f}")
    else:
        print(
            f"CHECKS: all passed ({len(expect):,} station scans ok with the expected actions, "
            f"pack_scans = the units ordered, every spooled scan sent once, in order)"
        )
    if e2e:
        print(
            f"VERDICT: scan on the pty -> committed on the server over {len(e2e):,} scans: "
            f"p50 {pct(e2e, 50):.1f} / p95 {pct(e2e, 95):.1f} / p99 {pct(e2e, 99):.1f} / max "
            f"{max(e2e):.1f} ms (no target set)"
        )
    print(f"total time {time.perf_counter() - t_start:.0f} s")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
