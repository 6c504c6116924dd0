"""Bytes over the network in real Chromium, with the service worker: what a handheld
downloads for its first page (the page itself, and separately what the service worker
precaches in the background) and for the next pages it opens online.

Used by handheld_bytes.py. Chromium talks to the server through a byte-counting TCP proxy
on loopback, so every byte is counted, also those the browser fetches on its own (the
worker script's update check); Playwright's request events say which were the page's own,
the worker's precache, API calls or the worker script.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from processes import HOST, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
# The cold first page, then the pages a worker opens next, online.
FIRST_PAGE = "index.html"
NEXT_PAGES = ("home.html", "receiving.html", "stock.html")


class CountingProxy:
    """Loopback TCP proxy to the server counting the bytes each way."""

    def __init__(self, server_port: int) -> None:
        self.server_port = server_port
        self.port = free_port()
        self.down = 0  # server -> browser
        self.up = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server((HOST, self.port))
        self._stopping = False
        self._threads: list[threading.Thread] = []

    def start(self) -> CountingProxy:
        self._spawn(self._accept)
        return self

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((HOST, self.server_port))
            self._spawn(self._pump, client, upstream, False)
            self._spawn(self._pump, upstream, client, True)

    def _pump(self, source: socket.socket, target: socket.socket, downstream: bool) -> None:
        try:
            while chunk := source.recv(65536):
                with self._lock:
                    if downstream:
                        self.down += len(chunk)
                    else:
                        self.up += len(chunk)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                if downstream:  # the last of the pair to end: the other one is woken
                    s.close()

    def take(self) -> int:
        """Bytes sent to the browser since the last take."""
        with self._lock:
            down, self.down = self.down, 0
            self.up = 0
        return down

    def stop(self) -> None:
        self._stopping = True
        self._listener.close()


@dataclass
class Phase:
    name: str
    wire: int = 0  # everything the proxy carried to the browser
    kinds: dict[str, int] = field(default_factory=dict)  # Playwright's view, by kind
    files: dict[str, int] = field(default_factory=dict)
    from_worker: int = 0  # answers the service worker gave from its cache


def _kind(url: str, by_worker: bool) -> str:
    path = url.split("://", 1)[-1].split("/", 1)[-1]
    if path.startswith("api/"):
        return "api"
    if path.startswith("sw.js"):
        return "worker script"
    return "precache" if by_worker else "shell"


def measure(server_port: int, user: str, pin: str) -> list[Phase]:
    from playwright.sync_api import sync_playwright

    proxy = CountingProxy(server_port).start()
    base = f"http://{HOST}:{proxy.port}"
    phases: list[Phase] = []
    current: list[Phase] = []

    def finished(request: Any) -> None:
        if not current:
            return
        phase = current[0]
        response = request.response()
        if response is not None and response.from_service_worker:
            phase.from_worker += 1
            return
        sizes = request.sizes()
        size = sizes["responseHeadersSize"] + max(sizes["responseBodySize"], 0)
        kind = _kind(request.url, request.service_worker is not None)
        phase.kinds[kind] = phase.kinds.get(kind, 0) + size
        if kind in ("shell", "precache"):
            path = "/" + request.url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
            phase.files[path] = phase.files.get(path, 0) + size

    def settle(page: Any) -> None:
        page.wait_for_load_state("networkidle")
        time.sleep(0.3)

    def begin(name: str) -> Phase:
        proxy.take()
        phase = Phase(name)
        current[:] = [phase]
        return phase

    def end(phase: Phase) -> None:
        phase.wire = proxy.take()
        current.clear()
        phases.append(phase)

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            context = browser.new_context(
                base_url=base, viewport={"width": 360, "height": 640}, locale="zh-CN"
            )
            context.on("requestfinished", finished)
            page = context.new_page()

            phase = begin(f"cold {FIRST_PAGE}")
            page.goto(f"/{FIRST_PAGE}")
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            page.wait_for_function("navigator.serviceWorker.controller !== null")
            settle(page)
            end(phase)

            token = _login(server_port, user, pin)
            page.evaluate("(t) => sessionStorage.setItem('bondfloor.token', t)", token)
            for name in NEXT_PAGES:
                phase = begin(f"then {name}")
                page.goto(f"/{name}")
                settle(page)
                end(phase)
            browser.close()
    finally:
        proxy.stop()
    return phases


def _login(port: int, user: str, pin: str) -> str:
    request = urllib.request.Request(
        f"http://{HOST}:{port}/api/v1/auth/login",
        data=json.dumps({"user_code": user, "pin": pin}).encode(),
        headers={"Content-Type": "application/json", "X-Device": "bench"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return str(json.load(answer)["token"])


def report(phases: list[Phase]) -> list[str]:
    """Print the table; the failed checks (shell bytes after the first page)."""

    def kb(n: float) -> str:
        return f"{n / 1024:7.1f}"

    print("\nin Chromium with the service worker, KB over the network (via a counting proxy)")
    print(
        f"{'step':<22} {'wire':>7} {'page shell':>10} {'precache':>8} {'api':>7} {'sw.js':>6}  from worker"
    )
    failures = []
    for phase in phases:
        k = phase.kinds
        print(
            f"{phase.name:<22} {kb(phase.wire)} {kb(k.get('shell', 0)):>10} "
            f"{kb(k.get('precache', 0)):>8} {kb(k.get('api', 0))} {kb(k.get('worker script', 0)):>6}"
            f"  {phase.from_worker} files"
        )
        if not phase.name.startswith("cold") and (k.get("shell", 0) or k.get("precache", 0)):
            failures.append(f"{phase.name}: shell files over the network: {sorted(phase.files)}")
    cold, later = phases[0], phases[1:]
    later_shell = sum(p.kinds.get("shell", 0) + p.kinds.get("precache", 0) for p in later)
    print(
        f"\nverdict: the first page costs {kb(cold.kinds.get('shell', 0)).strip()} KB, the worker "
        f"then precaches {kb(cold.kinds.get('precache', 0)).strip()} KB in the background; the next "
        f"{len(later)} pages online download {kb(later_shell).strip()} KB of shell "
        f"(only their API calls: {kb(sum(p.kinds.get('api', 0) for p in later)).strip()} KB)"
    )
    return failures
