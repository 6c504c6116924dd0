"""What HTTPS costs the floor server: the same site served over plain HTTP and over HTTPS.

Run with `.venv/bin/python bench/https_cost.py` (or `make bench`). It seeds the demo
warehouse once, copies it into two folders, and serves one over plain HTTP and the other
over HTTPS with a site CA from `bondfloor tls init` (loopback only). Debian's `wrk` (a C
load generator, so the load does not take the server's CPU from Python) then drives both
in alternating rounds, on keep-alive connections as a handheld's browser keeps them:

  health  GET /health                                   (cheap: mostly server overhead)
  lookup  GET /api/v1/stock/lookup?code=...             (authenticated read)

It prints requests per second and latency percentiles for each scheme and the HTTPS/HTTP
ratio from the same run. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from health_ratio import ratio_line
from processes import HOST, Proc, bondfloor_exe, free_port, seed_demo_site

HEALTH = "health"
ROUTES = {HEALTH: "/health", "lookup": "/api/v1/stock/lookup?code={code}"}
LATENCY = re.compile(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)$", re.M)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, token: str, seconds: float, connections: int) -> tuple[float, dict[str, float]]:
    """Requests per second and the p50/p90/p99 latency in ms of one wrk run."""
    done = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{round(seconds)}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if errors:
        sys.exit(f"{url}: {errors.group(1)} error answers\n{done.stdout}")
    latency = {f"p{p}": float(v) * UNIT_MS[u] for p, v, u in LATENCY.findall(done.stdout)}
    return rate, latency


def serve(folder: Path, https: bool) -> tuple[Proc, str]:
    port = free_port()
    config = folder / "bondfloor.toml"
    text = config.read_text().replace("[server]\n", f'[server]\nhost = "{HOST}"\n')
    text = re.sub(r"port = \d+", f"port = {port}", text)
    tls = '[tls]\nnames = ["localhost"]\naddresses = ["127.0.0.1"]\nredirect_port = 0\n'
    config.write_text(text + (tls if https else "[tls]\nenabled = false\n"))
    if https:
        subprocess.run(
            [bondfloor_exe(), "--config", str(config), "tls", "init"],
            check=True,
            capture_output=True,
            cwd=folder,
        )
    proc = Proc("https" if https else "http", folder / "serve.log")
    proc.start([bondfloor_exe(), "--config", str(config), "serve"], folder)
    scheme = "https" if https else "http"
    return proc, f"{scheme}://{HOST}:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="Length of one wrk run.")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating rounds per row.")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("needs Debian's wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="bf-https-") as tmp:
        seeded = Path(tmp) / "seed"
        seeded.mkdir()
        db_path, _ = seed_demo_site(seeded, free_port())
        with sqlite3.connect(db_path) as conn:
            (code,) = conn.execute("SELECT code FROM locations ORDER BY id LIMIT 1").fetchone()
        procs: dict[str, tuple[Proc, str]] = {}
        try:
            for scheme in ("http", "https"):
                folder = Path(tmp) / scheme
                shutil.copytree(seeded, folder)
                procs[scheme] = serve(folder, scheme == "https")
            tokens = {}
            for scheme, (proc, base) in procs.items():
                tokens[scheme] = login(base, proc)
            print(f"wrk -t1 -c{args.connections}, {args.rounds} rounds of {args.seconds:g} s each")
            print(
                f"{'route':8} {'scheme':6} {'req/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7}"
            )
            means: dict[tuple[str, str], float] = {}
            for name, path in ROUTES.items():
                rates: dict[str, list[float]] = {"http": [], "https": []}
                lat: dict[str, dict[str, list[float]]] = {"http": {}, "https": {}}
                for n in range(args.rounds):
                    order = ("http", "https") if n % 2 == 0 else ("https", "http")
                    for scheme in order:
                        url = procs[scheme][1] + path.format(code=code)
                        rate, latency = wrk(url, tokens[scheme], args.seconds, args.connections)
                        rates[scheme].append(rate)
                        for k, v in latency.items():
                            lat[scheme].setdefault(k, []).append(v)
                for scheme in ("http", "https"):
                    mean = sum(rates[scheme]) / len(rates[scheme])
                    means[name, scheme] = mean
                    ps = [max(lat[scheme][p]) for p in ("p50", "p90", "p99")]
                    print(f"{name:8} {scheme:6} {mean:8.0f} {ps[0]:7.2f} {ps[1]:7.2f} {ps[2]:7.2f}")
                ratio = sum(rates["https"]) / sum(rates["http"])
                print(f"{name:8} HTTPS/HTTP throughput {ratio:.2f}")
            for (name, scheme), mean in means.items():
                health = means.get((HEALTH, scheme))
                if name != HEALTH and health:
                    print(f"{name:8} {scheme:6} {ratio_line(name, mean, health)}")
        finally:
            for proc, _ in procs.values():
                proc.stop()


def login(base: str, proc: Proc) -> str:
    """A supervisor's session token, over the scheme the server serves."""
    context = ssl._create_unverified_context()  # loopback bench: the CA is checked elsewhere
    body = json.dumps({"user_code": "sup01", "pin": "1234"}).encode()
    for _ in range(200):
        try:
            request = urllib.request.Request(
                f"{base}/api/v1/auth/login",
                data=body,
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, context=context, timeout=5) as answer:
                return str(json.load(answer)["token"])
        except OSError:
            if not proc.alive():
                sys.exit(f"bondfloor serve exited:\n{proc.log(3000)}")
            time.sleep(0.1)
    sys.exit(f"{base}: no login\n{proc.log(3000)}")


if __name__ == "__main__":
    main()
