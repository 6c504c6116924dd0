"""The server advertises itself by mDNS so station agents and `bondfloor discover` find it.

Two records: the server's own service type (`_bondfloor._tcp`) and `_http._tcp` for any
browser, both carrying the site code, version and API path in TXT. Only the interfaces in
`[discovery]` are used; the demo and the tests keep it to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

from devices.discovery import HTTP_TYPE, SERVER_TYPE
from server import __version__
from server.config import Settings
from server.tls.service import serves_https

log = logging.getLogger("bondfloor.discovery")

LISTEN_ENV = "BONDFLOOR_LISTEN"
"""`host:port` the server listens on, set by `bondfloor serve` for the app to advertise."""


def listen_address(settings: Settings) -> tuple[str, int]:
    host, _, port = os.environ.get(LISTEN_ENV, "").rpartition(":")
    if host and port.isdigit():
        return host, int(port)
    return settings.server.host, settings.server.port


def service_infos(settings: Settings, host: str, port: int) -> list[ServiceInfo]:
    """What the server advertises: its own type and `_http._tcp`, with the same TXT."""
    wildcard = host in ("", "0.0.0.0", "::")
    addresses = settings.discovery.interfaces if wildcard else [host]
    properties = {
        "site": settings.site.code,
        "name": settings.site.name,
        "version": __version__,
        "api": "/api/v1",
        "path": "/",
        # A station agent reaches the server at scheme://address:port (HTTPS on a site).
        "scheme": "https" if serves_https(settings, host) else "http",
    }
    instance = f"bondfloor {settings.site.code}"
    hostname = f"bondfloor-{settings.site.code.lower()}-{port}.local."
    return [
        ServiceInfo(
            service_type,
            f"{instance}.{service_type}",
            addresses=[socket.inet_aton(a) for a in addresses],
            port=port,
            properties=properties,
            server=hostname,
        )
        for service_type in (SERVER_TYPE, HTTP_TYPE)
    ]


class Advertiser:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._zc: AsyncZeroconf | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Announce in the background: probing the names takes a second or two, which the
        server does not wait for."""
        host, port = listen_address(self._settings)
        infos = service_infos(self._settings, host, port)
        self._zc = AsyncZeroconf(
            interfaces=self._settings.discovery.interfaces, ip_version=IPVersion.V4Only
        )
        self._task = asyncio.create_task(self._register(infos, f"{host}:{port}"))

    async def _register(self, infos: list[ServiceInfo], where: str) -> None:
        assert self._zc is not None
        try:
            for info in infos:
                announced = await self._zc.async_register_service(info, allow_name_change=True)
                await announced
        except Exception:  # the server serves on; stations can still be given --server
            log.exception("mDNS advertising failed")
            return
        log.info(
            "advertising %s on %s by mDNS (%s)",
            infos[0].name,
            ", ".join(self._settings.discovery.interfaces),
            where,
        )

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._zc is not None:
            await self._zc.async_unregister_all_services()
            await self._zc.async_close()
            self._zc = None
