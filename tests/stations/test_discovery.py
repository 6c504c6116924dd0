"""mDNS on loopback only: the server advertises itself (or not, when turned off) and
`bondfloor discover` lists servers and network label printers. Every Zeroconf here is
bound to 127.0.0.1: nothing is sent to a real network."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient
from zeroconf import ServiceInfo

from devices.discovery import PRINTER_TYPES, SERVER_TYPE, find_server, open_zeroconf
from server import __version__
from server.app import create_app
from server.config import DatabaseSettings, DiscoverySettings, Settings, SiteSettings, load_settings
from server.discovery import service_infos

LOOPBACK = ["127.0.0.1"]
BONDFLOOR = Path(sys.executable).parent / "bondfloor"


def site_settings(tmp_path: Path, *, advertise: bool) -> Settings:
    return Settings(
        site=SiteSettings(code=f"T{uuid.uuid4().hex[:6].upper()}"),
        database=DatabaseSettings(path=str(tmp_path / "site.db")),
        discovery=DiscoverySettings(advertise=advertise, interfaces=LOOPBACK),
    )


@pytest.fixture
def label_printer_advert() -> Iterator[str]:
    """A network label printer announcing raw port 9100, as one on the LAN does."""
    zc = open_zeroconf(LOOPBACK)
    name = f"Label {uuid.uuid4().hex[:6]}"
    info = ServiceInfo(
        "_pdl-datastream._tcp.local.",
        f"{name}._pdl-datastream._tcp.local.",
        addresses=[socket.inet_aton("127.0.0.1")],
        port=9100,
        properties={"ty": "Thermal 76mm", "product": "(ESC/POS)"},
        server=f"printer-{uuid.uuid4().hex[:6]}.local.",
    )
    zc.register_service(info)
    yield name
    zc.unregister_service(info)
    zc.close()


def test_the_service_type_is_our_own_and_short_enough() -> None:
    label = SERVER_TYPE.removeprefix("_").split(".")[0]
    assert label == "bondfloor" and len(label) <= 15
    assert set(PRINTER_TYPES) == {"_pdl-datastream._tcp.local.", "_ipp._tcp.local."}


def test_a_running_server_advertises_site_version_and_api_path(tmp_path: Path) -> None:
    settings = site_settings(tmp_path, advertise=True)
    with TestClient(create_app(settings)):
        found = find_server(LOOPBACK, site=settings.site.code, timeout=10)
    assert found is not None
    assert found.properties["site"] == settings.site.code
    assert found.properties["version"] == __version__
    assert found.properties["api"] == "/api/v1"
    assert found.properties["scheme"] == "http"  # no certificate yet: plain on loopback
    assert found.url == f"http://127.0.0.1:{settings.server.port}"


def test_advertising_turned_off_announces_nothing(tmp_path: Path) -> None:
    settings = site_settings(tmp_path, advertise=False)
    with TestClient(create_app(settings)):
        found = find_server(LOOPBACK, site=settings.site.code, timeout=2)
    assert found is None


def test_both_records_carry_the_same_txt(tmp_path: Path) -> None:
    settings = site_settings(tmp_path, advertise=True)
    infos = service_infos(settings, "0.0.0.0", 8123)
    assert [i.type for i in infos] == [SERVER_TYPE, "_http._tcp.local."]
    assert all(i.port == 8123 and i.parsed_addresses() == LOOPBACK for i in infos)
    assert infos[0].properties == infos[1].properties


def test_discover_lists_servers_and_network_printers(
    tmp_path: Path, label_printer_advert: str
) -> None:
    settings = site_settings(tmp_path, advertise=True)
    with TestClient(create_app(settings)):
        out = subprocess.run(
            [str(BONDFLOOR), "discover", "--json", "--interface", "127.0.0.1", "--seconds", "3"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    found = json.loads(out)
    servers = [f for f in found if f["kind"] == "server"]
    printers = [f for f in found if f["kind"] == "printer"]
    assert any(s["properties"].get("site") == settings.site.code for s in servers)
    (printer,) = [p for p in printers if p["name"] == label_printer_advert]
    assert (printer["type"], printer["port"], printer["addresses"]) == (
        "_pdl-datastream._tcp",
        9100,
        ["127.0.0.1"],
    )


def test_mdns_in_the_demo_and_the_defaults_stays_on_loopback() -> None:
    demo = load_settings(Path(__file__).parents[2] / "config" / "demo.toml")
    assert demo.discovery.interfaces == LOOPBACK
    assert Settings().discovery.interfaces == LOOPBACK
