"""How many bytes does a handheld download for its pages, plain vs gzip, cold vs revalidated?

Run with `.venv/bin/python bench/handheld_bytes.py`. A temp folder holds a config and an
empty site file; `bondfloor serve` (granian) runs on a free 127.0.0.1 port.

For every page of handheld_web/ its shell is the HTML plus every style sheet and script it
pulls: `<link rel=stylesheet>`, `<script src>`, then the static ES module imports of each script,
followed transitively (`import ... from "./x.js"`, `import "./x.js"`): what must arrive
before the page can show itself. What its scripts load with `import("./x.js")` once they
run (the error texts, which come alongside the first API call) is counted apart, as
"after start". The camera view and its decoder (`js/camera-scan.js` and what it loads)
come only when the camera button is tapped, so they are in neither figure. Each file is
fetched over one keep-alive connection twice, with `Accept-Encoding: identity` and with
`gzip`; the bytes counted are the body plus the status line and headers as sent (the wire
bytes, TCP/IP framing left out).

Then the walk a handheld makes online with every file served `Cache-Control: no-cache`:
it has loaded page A (its cache holds A's files and their ETags) and opens page B: files
it has are revalidated with If-None-Match, the others come whole (gzip). Then back to A,
which it now has whole: only revalidations. Checks: gzip bytes unzip to the plain bytes;
every revalidation of an unchanged file is a 304 with no body.

Last, the same in real Chromium with the service worker (browser_bytes.py): the bytes over
the network of a cold first page (the page itself, and what the worker precaches in the
background), then of the next pages opened online, which should download no shell file.
`--no-browser` leaves that part out.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from posixpath import dirname, join, normpath

from browser_bytes import CHROMIUM, measure, report
from health_ratio import print_health_ratios
from processes import HOST, Proc, bondfloor_exe, free_port

ROOT = Path(__file__).resolve().parent.parent
PAGES_DIR = ROOT / "handheld_web"
IMPORT = re.compile(r"""\bimport\s*(?:[\w*{}\s,]+?\s*from\s*)?["'](\.{1,2}/[^"']+)["']""")
LATER_IMPORT = re.compile(r"""\bimport\s*\(\s*["'](\.{1,2}/[^"']+)["']""")
SHELL_TARGET_KB = 60
# Loaded only on a user's action (the camera button), not as a page starts.
ON_DEMAND = {"/js/camera-scan.js"}
BENCH_USER, BENCH_PIN = "sup01", "1234"
WALKS = [("index.html", "home.html"), ("home.html", "receiving.html"), ("stock.html", "move.html")]


class ShellRefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.refs.append(str(a["src"]))
        elif (
            tag == "link"
            and a.get("href")
            and (a.get("rel") or "")
            in (
                "stylesheet",
                "modulepreload",
            )
        ):
            self.refs.append(str(a["href"]))


def resolve(base: str, ref: str) -> str | None:
    if ref.startswith(("data:", "http:", "https:", "//")):
        return None
    return normpath(join(dirname(base), ref.split("?", 1)[0]))


@dataclass
class Got:
    status: int
    body: bytes
    wire: int
    headers: dict[str, str]


class Client:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)

    def get(self, path: str, encoding: str, etag: str | None = None) -> Got:
        headers = {"Accept-Encoding": encoding}
        if etag:
            headers["If-None-Match"] = etag
        self.conn.request("GET", path, headers=headers)
        resp = self.conn.getresponse()
        body = resp.read()
        head = len(f"HTTP/1.1 {resp.status} {resp.reason}\r\n") + 2
        head += sum(len(f"{k}: {v}\r\n") for k, v in resp.getheaders())
        return Got(
            resp.status, body, head + len(body), {k.lower(): v for k, v in resp.getheaders()}
        )


def page_fetch_ms(client: Client, times: int = 200) -> float:
    """p50 of fetching the first page, gzip, one request at a time (its /health ratio)."""
    took = []
    for _ in range(times):
        t0 = time.perf_counter()
        client.get("/index.html", "gzip")
        took.append((time.perf_counter() - t0) * 1000)
    return statistics.median(took)


def shell_of(client: Client, page: str) -> tuple[list[str], list[str]]:
    """The page and every file it pulls before it shows, in fetch order; then what its
    scripts import once they run (and what those pull)."""
    html = client.get(f"/{page}", "identity").body.decode()
    parser = ShellRefs()
    parser.feed(html)
    order = [f"/{page}"]
    later: list[str] = []
    todo = [r for ref in parser.refs if (r := resolve(f"/{page}", ref))]
    after: list[str] = []
    for found in (order, later):
        while todo:
            path = todo.pop(0)
            if path in order or path in later:
                continue
            found.append(path)
            if path.endswith(".js"):
                source = client.get(path, "identity").body.decode()
                todo += [r for ref in IMPORT.findall(source) if (r := resolve(path, ref))]
                after += [
                    r
                    for ref in LATER_IMPORT.findall(source)
                    if (r := resolve(path, ref)) and r not in ON_DEMAND
                ]
        todo, after = after, []
    return order, later


def kb(n: float) -> str:
    return f"{n / 1024:7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium part")
    args = parser.parse_args()
    pages = sorted(p.name for p in PAGES_DIR.glob("*.html"))
    with tempfile.TemporaryDirectory(prefix="bench-bytes-") as tmp:
        work = Path(tmp)
        port = free_port()
        config = work / "bondfloor.toml"
        config.write_text(f'[database]\npath = "{work / "site.db"}"\n[server]\nport = {port}\n')
        subprocess.run(
            [
                *(bondfloor_exe(), "--config", str(config), "user", "add", BENCH_USER),
                *("--name", "Bench", "--role", "supervisor", "--pin", BENCH_PIN),
            ],
            cwd=work,
            check=True,
            capture_output=True,
            timeout=120,
        )
        server = Proc("serve", work / "serve.log")
        try:
            server.start_server(
                [bondfloor_exe(), "--config", str(config), "serve"], work, port, timeout=60
            )
            failures = run(Client(port), pages)
            print_health_ratios(port, [("GET /index.html (gzip)", page_fetch_ms(Client(port)))])
            if not args.no_browser and CHROMIUM.exists():
                failures += report(measure(port, BENCH_USER, BENCH_PIN))
            elif not args.no_browser:
                print(f"\n(no Chromium at {CHROMIUM}: the service-worker part is left out)")
        finally:
            server.stop()
    for failure in failures:
        print("  FAILED:", failure)
    if failures:
        sys.exit(1)


def run(client: Client, pages: list[str]) -> list[str]:
    failures: list[str] = []
    plain: dict[str, Got] = {}
    zipped: dict[str, Got] = {}
    both = {page: shell_of(client, page) for page in pages}
    shells = {page: shell for page, (shell, _) in both.items()}
    laters = {page: later for page, (_, later) in both.items()}
    for path in sorted({p for shell, later in both.values() for p in shell + later}):
        plain[path] = client.get(path, "identity")
        zipped[path] = client.get(path, "gzip")
        if plain[path].status != 200 or zipped[path].status != 200:
            failures.append(f"{path}: {plain[path].status}/{zipped[path].status}")
        elif zipped[path].headers.get("content-encoding") != "gzip":
            if len(plain[path].body) >= 512:
                failures.append(f"{path}: {len(plain[path].body)} bytes sent without gzip")
        elif gzip.decompress(zipped[path].body) != plain[path].body:
            failures.append(f"{path}: gzip bytes do not unzip to the file")

    print("cold load of each page's shell (HTML + styles + scripts), KB on the wire")
    print(f"{'page':<18} {'files':>5} {'plain':>7} {'gzip':>7}  ratio  after start (gzip)")
    totals = []
    for page, shell in shells.items():
        p = sum(plain[f].wire for f in shell)
        z = sum(zipped[f].wire for f in shell)
        later = sum(zipped[f].wire for f in laters[page])
        totals.append((p, z))
        print(f"{page:<18} {len(shell):>5} {kb(p)} {kb(z)}  {z / p:5.2f}  {kb(later)}")
    print("\nlargest files, KB (body only) plain / gzip")
    for path in sorted(plain, key=lambda f: -len(plain[f].body))[:5]:
        print(f"  {path:<24} {kb(len(plain[path].body))} {kb(len(zipped[path].body))}")

    print("\nmoving between pages online (cache holds ETags; every file revalidated)")
    print(f"{'from -> to':<34} {'200s':>4} {'304s':>4} {'KB':>7}  then back: 304s, KB")
    walk_bytes = []
    for a, b in WALKS:
        cache = {f: zipped[f].headers["etag"] for f in shells[a]}
        fresh, revalidated, total = 0, 0, 0
        for f in shells[b]:
            got = client.get(f, "gzip", cache.get(f))
            total += got.wire
            if got.status == 304:
                revalidated += 1
                if got.body:
                    failures.append(f"{f}: 304 with a body")
            else:
                fresh += 1
                if f in cache:
                    failures.append(f"{f}: unchanged file answered {got.status} to If-None-Match")
            cache[f] = got.headers.get("etag", cache.get(f, ""))
        back_304s, back_total = 0, 0
        for f in shells[a]:
            got = client.get(f, "gzip", cache[f])
            back_total += got.wire
            back_304s += got.status == 304
            if got.status != 304 or got.body:
                failures.append(f"{f}: back to {a} answered {got.status}, {len(got.body)} bytes")
        walk_bytes.append(back_total)
        print(
            f"{a + ' -> ' + b:<34} {fresh:>4} {revalidated:>4} {kb(total)}  "
            f"{back_304s}/{len(shells[a])} 304, {kb(back_total).strip()} KB"
        )

    plain_avg = sum(p for p, _ in totals) / len(totals)
    zip_avg = sum(z for _, z in totals) / len(totals)
    largest = max(z for _, z in totals)
    if largest > SHELL_TARGET_KB * 1024:
        failures.append(f"the largest cold shell is {kb(largest).strip()} KB gzip")
    print(
        f"\nverdict: a cold shell is {kb(plain_avg).strip()} KB plain, {kb(zip_avg).strip()} KB "
        f"gzip on average ({zip_avg / plain_avg:.0%}), {kb(largest).strip()} KB at most "
        f"(target {SHELL_TARGET_KB}); a page the handheld has costs "
        f"{kb(max(walk_bytes)).strip()} KB or less of 304s; "
        + ("all checks passed" if not failures else f"{len(failures)} checks FAILED")
    )
    return failures


if __name__ == "__main__":
    main()
