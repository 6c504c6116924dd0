"""Print latency, before and after, in one run: `print_latency.py` with packs spaced
randomly 0-`--gap-max` s apart on a printer that answers status and on one that does not,
for this checkout and for an older one (`--baseline DIR`, e.g. a `git archive` of its
server/, devices/ and handheld_web/).

The two printers of one version run at the same time (two servers, two recording printers,
each its own `print_latency.py` process: the wait is the random gaps, not the CPU), then the
next version. Each run's full output goes to `--out DIR/<version>-<printer>.txt`; the table
at the end gives p50/p95/max of pack's last scan -> the label's last byte on the printer's
socket per version and printer."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pick_http import pct

HERE = Path(__file__).resolve().parent
PRINTERS = {"status": [], "no-status": ["--no-status"]}
TARGET_P95_MS = 300.0


def run_version(name: str, baseline: str | None, args: argparse.Namespace, out: Path) -> dict:
    """Both printers of one version at once; returns printer -> (t1 - t0 values, exit code)."""
    procs = {}
    for printer, flags in PRINTERS.items():
        cmd = [sys.executable, str(HERE / "print_latency.py"), "--parcels", str(args.parcels)]
        cmd += ["--gap-max", str(args.gap_max), "--seed", str(args.seed), "--breakdown", "0"]
        cmd += ["--json", str(out / f"{name}-{printer}.json"), *flags]
        if baseline:
            cmd += ["--baseline", baseline]
        log = (out / f"{name}-{printer}.txt").open("w")
        procs[printer] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log)
    results = {}
    for printer, (proc, log) in procs.items():
        code = proc.wait()
        log.close()
        path = out / f"{name}-{printer}.json"
        values = json.loads(path.read_text()) if path.exists() else []
        results[printer] = (values, code)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", metavar="DIR", help="the older checkout's top folder")
    parser.add_argument(
        "--current",
        metavar="DIR",
        help="serve this version from a snapshot of this checkout (`git archive HEAD ...`), so "
        "edits made while the run goes on do not reach it (default: this checkout itself)",
    )
    parser.add_argument("--parcels", type=int, default=40, help="packs per printer and version")
    parser.add_argument("--gap-max", type=float, default=15.0, help="gaps random 0 to this (s)")
    parser.add_argument("--seed", type=int, default=5, help="random seed of orders and gaps")
    parser.add_argument("--out", help="folder for each run's output (default: a temp folder)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="bf-print-versions-"))
    out.mkdir(parents=True, exist_ok=True)
    # the baseline first: a problem with the older code shows before the longer wait
    versions = ([("baseline", args.baseline)] if args.baseline else []) + [("this", args.current)]
    t0 = time.perf_counter()
    table: list[tuple[str, str, list[float], int]] = []
    for name, baseline in versions:
        t = time.perf_counter()
        for printer, (values, code) in run_version(name, baseline, args, out).items():
            table.append((name, printer, values, code))
        print(f"{name}: both printers done in {time.perf_counter() - t:.0f} s", flush=True)
    print(
        f"\nlast pack scan -> label's last byte on the printer's socket, ms; packs spaced "
        f"randomly 0-{args.gap_max:g} s apart; outputs in {out}"
    )
    print(f"  {'version':<9} {'printer':<10} {'packs':>5} {'p50':>7} {'p95':>7} {'max':>7}  exit")
    for name, printer, values, code in table:
        if not values:
            print(f"  {name:<9} {printer:<10} {0:>5} {'-':>7} {'-':>7} {'-':>7}  {code}")
            continue
        print(
            f"  {name:<9} {printer:<10} {len(values):>5} {pct(values, 50):>7.1f} "
            f"{pct(values, 95):>7.1f} {max(values):>7.1f}  {code}"
            f"{'' if pct(values, 95) <= TARGET_P95_MS else '  (p95 over 300)'}"
        )
    print(f"total time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
