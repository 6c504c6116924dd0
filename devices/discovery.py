"""Finding things on the LAN by mDNS / DNS-SD (zeroconf): bondfloor servers and network
label printers.

Only the interfaces given are used (the demo and the tests give 127.0.0.1, so nothing
leaves the machine); a site lists its LAN addresses in config/.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

SERVER_TYPE = "_bondfloor._tcp.local."
"""The server's own service type ("bondfloor": 9 characters, within the 15 allowed)."""
HTTP_TYPE = "_http._tcp.local."
PRINTER_TYPES = {"_pdl-datastream._tcp.local.": "raw 9100", "_ipp._tcp.local.": "IPP"}


@dataclass(frozen=True)
class Found:
    kind: str  # server | printer
    name: str
    type: str
    addresses: tuple[str, ...]
    port: int
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        address = self.addresses[0] if self.addresses else "127.0.0.1"
        scheme = "https" if self.properties.get("scheme") == "https" else "http"
        return f"{scheme}://{address}:{self.port}"


def open_zeroconf(interfaces: list[str]) -> Zeroconf:
    """A Zeroconf on its own thread: these callers block, so an event loop that happens to
    be running in the calling thread (a sync wrapper's) must not be the one it uses."""
    return Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only, use_asyncio=False)


def _decode(properties: dict[bytes, bytes | None]) -> dict[str, str]:
    return {
        k.decode(errors="replace"): (v or b"").decode(errors="replace")
        for k, v in properties.items()
    }


class _Collector:
    """Names seen by the browsers; resolved outside the zeroconf thread."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.changed = threading.Event()

    def handler(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            with self.lock:
                if (service_type, name) not in self.seen:
                    self.seen.append((service_type, name))
            self.changed.set()


def _resolve(zc: Zeroconf, service_type: str, name: str, timeout_ms: int = 1500) -> Found | None:
    info = zc.get_service_info(service_type, name, timeout=timeout_ms)
    if info is None:
        return None
    addresses = tuple(socket.inet_ntoa(a) for a in info.addresses if len(a) == 4)
    kind = "printer" if service_type in PRINTER_TYPES else "server"
    return Found(
        kind=kind,
        name=name.removesuffix("." + service_type),
        type=service_type.removesuffix(".local."),
        addresses=addresses,
        port=info.port or 0,
        properties=_decode(info.properties),
    )


def browse(
    interfaces: list[str], seconds: float = 3.0, types: list[str] | None = None
) -> list[Found]:
    """Everything that answers within `seconds`: servers first, then printers."""
    types = types or [SERVER_TYPE, *PRINTER_TYPES]
    zc = open_zeroconf(interfaces)
    collector = _Collector()
    browser = ServiceBrowser(zc, types, handlers=[collector.handler])
    try:
        time.sleep(seconds)
        with collector.lock:
            seen = list(collector.seen)
        # A busy responder may be slow to answer: give each name a few seconds.
        found = [f for t, n in seen if (f := _resolve(zc, t, n, 4000)) is not None]
    finally:
        browser.cancel()
        zc.close()
    return sorted(found, key=lambda f: (f.kind != "server", f.type, f.name))


def find_server(interfaces: list[str], *, site: str = "", timeout: float = 10.0) -> Found | None:
    """The first bondfloor server that answers (of `site`, when given), or None."""
    zc = open_zeroconf(interfaces)
    collector = _Collector()
    browser = ServiceBrowser(zc, [SERVER_TYPE], handlers=[collector.handler])
    deadline = time.monotonic() + timeout
    tried: set[tuple[str, str]] = set()
    try:
        while time.monotonic() < deadline:
            collector.changed.wait(min(0.2, max(0.0, deadline - time.monotonic())))
            collector.changed.clear()
            with collector.lock:
                fresh = [s for s in collector.seen if s not in tried]
            for service_type, name in fresh:
                found = _resolve(zc, service_type, name)
                if found is None:
                    collector.changed.set()  # not resolved yet: ask again
                    continue
                tried.add((service_type, name))
                if found.addresses and (not site or found.properties.get("site") == site):
                    return found
    finally:
        browser.cancel()
        zc.close()
    return None


def describe(found: Found) -> dict[str, Any]:
    return {
        "kind": found.kind,
        "name": found.name,
        "type": found.type,
        "addresses": list(found.addresses),
        "port": found.port,
        "properties": found.properties,
    }
