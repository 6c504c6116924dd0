"""What the wrk benches (scans_wrk.py, picks_wrk.py) share: Debian's wrk and one run of
it, a copy of the seeded demo to serve, one row per run (rate, latency, the server's CPU
per request, the load average), rounds that alternate the servers, and the medians per
server and connection count beside /health's.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import TypeVar

from asgi_servers import tree_cpu_seconds
from processes import Proc, free_port, loadavg, seed_demo_site

LATENCY = re.compile(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def ensure_wrk() -> None:
    """Debian's wrk, installed with apt-get when missing and this runs as root."""
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit("needs Debian's wrk: apt-get install wrk")
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)


def wrk(
    token: str, seconds: float, connections: int, extra: list[str], threads: int = 1
) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, requests answered) of one wrk run; exits on any error."""
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{round(seconds)}s",
            "--latency",
            "--timeout",
            "10s",
            "-H",
            f"Authorization: Bearer {token}",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
    if bad:
        sys.exit(f"{extra}: errors\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    answered = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    lat = {p: float(v) * UNIT_MS[u] for p, v, u in LATENCY.findall(out)}
    nan = float("nan")
    return rate, lat.get("50", nan), lat.get("99", nan), answered


def read_only(db_path: Path) -> contextlib.closing[sqlite3.Connection]:
    """The site's file opened read-only beside the running server."""
    return contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True))


def connection_counts(connections: str) -> list[int]:
    """The comma-separated connection counts, once wrk is there to drive them."""
    ensure_wrk()
    return [int(c) for c in connections.split(",")]


def seeded_demo(tmp: str, baseline: str | None = None) -> Path:
    """The demo warehouse seeded with the real CLI into `tmp`/seed, to be copied per server.
    With a baseline, its (older) code seeds: a newer server upgrades its copy when it
    starts, and an older one refuses a database with migrations it does not know."""
    seeded = Path(tmp) / "seed"
    seeded.mkdir()
    seed_demo_site(seeded, free_port(), baseline)
    return seeded


def copy_demo(seeded: Path, folder: Path, database: Sequence[str] = ()) -> tuple[Path, int]:
    """Copy the seeded demo into `folder`, its config pointed at the copy, a free port and
    the extra `[database]` settings (`name = value` lines): (the config, the port)."""
    shutil.copytree(seeded, folder)
    port = free_port()
    config = folder / "bondfloor.toml"
    text = config.read_text().replace(str(seeded), str(folder))
    text = re.sub(r"port = \d+", f"port = {port}", text)
    extra = "".join(f"{setting}\n" for setting in database)
    config.write_text(text.replace("[database]\n", f"[database]\n{extra}"))
    return config, port


@dataclass
class WrkSite:
    """One `bondfloor serve` on its own copy of the seeded demo."""

    name: str
    folder: Path
    port: int
    proc: Proc
    token: str = ""

    @property
    def db_path(self) -> Path:
        return self.folder / "site.db"


W = TypeVar("W", bound=WrkSite)


@contextlib.contextmanager
def stopped_after(sites: list[W]) -> Iterator[list[W]]:
    """The servers started into `sites` inside the block, each stopped when it ends."""
    try:
        yield sites
    finally:
        for site in sites:
            site.proc.stop()


@dataclass
class Run:
    """One wrk run against one server."""

    site: str
    route: str
    connections: int
    rate: float
    p50: float
    p99: float
    answered: int
    cpu_ms: float  # the server tree's CPU per request answered (or per operation)
    loadavg: str


R = TypeVar("R", bound=Run)
S = TypeVar("S")


def measured(
    make: type[R],
    site: str,
    route: str,
    connections: int,
    pid: int,
    go: Callable[[], tuple[float, float, float, int]],
    cpu_unit: str = "ms per request",
) -> R:
    """Run `go` (one wrk run: rate, p50, p99, answered), the CPU of the server's process
    tree (/proc) over it, and print the row as it goes: a later failure keeps the figures."""
    cpu0 = tree_cpu_seconds(pid)
    rate, p50, p99, answered = go()
    cpu = tree_cpu_seconds(pid) - cpu0
    load = loadavg()
    run = make(
        site, route, connections, rate, p50, p99, answered, cpu * 1000 / max(answered, 1), load
    )
    print(
        f"  {site} {route} c={connections}: {rate:.0f}/s, p99 {p99:.1f} ms, "
        f"CPU {run.cpu_ms:.2f} {cpu_unit}, loadavg {load}",
        flush=True,
    )
    return run


def print_rows(
    runs: Sequence[R],
    route_width: int,
    rate_head: str,
    cpu: tuple[str, int],
    last: tuple[str, int, Callable[[R], str]],
) -> None:
    """The table of runs, one row each in the order run. A bench's own: the route column's
    width, the rate's heading, the CPU column's (heading, width), and a last column's
    (heading, width, cell) before the load average."""
    (cpu_head, cpu_width), (last_head, last_width, cell) = cpu, last
    print(
        f"{'server':8} {'route':{route_width}} {'conns':>5} {rate_head:>8} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'answered':>8} {cpu_head:>{cpu_width}} {last_head:>{last_width}}  "
        "loadavg after"
    )
    for r in runs:
        print(
            f"{r.site:8} {r.route:{route_width}} {r.connections:>5} {r.rate:>8.0f} {r.p50:>7.2f} "
            f"{r.p99:>7.2f} {r.answered:>8} {r.cpu_ms:>{cpu_width}.2f} "
            f"{cell(r):>{last_width}}  {r.loadavg}"
        )


def alternating(sites: Sequence[S], rounds: int) -> Iterator[S]:
    """Each server once a round, the order reversed every other round: before and after
    measured in the same minutes of a shared machine."""
    for n in range(rounds):
        yield from sites if n % 2 == 0 else sites[::-1]


def medians_beside_health(
    runs: Sequence[R], sites: Sequence[str], levels: Sequence[int], route: str
) -> Iterator[tuple[str, int, list[R], float, float]]:
    """Per server and connection count that has both: (server, connections, the route's
    runs, their median rate, /health's median rate)."""
    for site in sites:
        for c in levels:
            health = [r for r in runs if (r.site, r.route, r.connections) == (site, "health", c)]
            mine = [r for r in runs if (r.site, r.route, r.connections) == (site, route, c)]
            if health and mine:
                yield site, c, mine, median(r.rate for r in mine), median(r.rate for r in health)
