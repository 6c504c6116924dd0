"""The same server's `GET /health` measured in the same run, and a figure's ratio to it.

A shared 2-core machine makes absolute figures move with whatever else runs; /health (no
database, no command) measured on the same server at the same concurrency a moment apart
moves with it. So each bench that talks HTTP prints its rate beside /health's:

    ratio = the bench's operations per second / /health requests per second

at the same concurrency and with the same kind of client. A bench that times one request
at a time over one keep-alive connection (latency benches) compares its own rate at that
concurrency, 1000 / p50 ms, with /health's over such a connection (`measure_health`).
The wrk benches measure /health with wrk themselves and only use `ratio_line`.

In-process benches have no HTTP and say so (`NO_HTTP`).
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from statistics import median

HOST = "127.0.0.1"
NO_HTTP = "/health ratio: none (in-process: this bench sends no HTTP request)"


@dataclass
class Health:
    """`GET /health` on one keep-alive connection, one request at a time."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else float("nan")

    def describe(self) -> str:
        return (
            f"/health on the same server, one keep-alive connection: {self.rate:,.0f} req/s, "
            f"p50 {self.p50_ms:.2f} ms, p99 {self.p99_ms:.2f} ms ({self.requests} requests)"
        )


def measure_health(port: int, seconds: float = 2.0, host: str = HOST) -> Health:
    """/health one request at a time for `seconds` over one keep-alive connection (as the
    latency benches send their own requests)."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    times: list[float] = []
    try:
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            t0 = time.perf_counter()
            conn.request("GET", "/health")
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"/health answered {resp.status}")
            times.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    ordered = sorted(times)
    return Health(
        len(times), elapsed, median(ordered), ordered[max(0, int(len(ordered) * 0.99) - 1)]
    )


def ratio_line(what: str, rate: float, health_rate: float) -> str:
    """`what / health 0.42 (what 812/s, /health 1,934 req/s)`."""
    ratio = rate / health_rate if health_rate else float("nan")
    return f"{what} / health {ratio:.2f} ({what} {rate:,.0f}/s, /health {health_rate:,.0f} req/s)"


def latency_ratio_line(what: str, p50_ms: float, health: Health) -> str:
    """For a bench timing one request at a time: its rate at that concurrency (1000 / p50)
    against /health's over one keep-alive connection, measured in the same run."""
    rate = 1000 / p50_ms if p50_ms else float("nan")
    return ratio_line(what, rate, 1000 / health.p50_ms) + " at one request at a time (1000/p50)"


def print_health_ratios(port: int, medians: list[tuple[str, float]]) -> Health:
    """Measure /health now (one keep-alive connection) and print each figure's ratio to it:
    `medians` are (what, p50 ms) of requests sent one at a time."""
    health = measure_health(port)
    print(health.describe())
    for what, p50 in medians:
        print("  " + latency_ratio_line(what, p50, health))
    return health


def wrk_health_rate(port: int, connections: int, seconds: float = 3.0, host: str = HOST) -> float:
    """/health requests per second under Debian's `wrk` (one thread, `connections`
    keep-alive connections); NaN when wrk is not installed (scans_wrk.py installs it)."""
    if shutil.which("wrk") is None:
        return float("nan")
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            f"http://{host}:{port}/health",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(found.group(1)) if found else float("nan")
