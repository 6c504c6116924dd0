"""A bench scale read by a real station agent process, its weight served by a real server
process: a pseudo-terminal speaks the continuous protocol, the test reads
`GET /stations/{name}/weight` as the pack page does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.devices.pty_port import Pty, wait_for
from tests.printing.fake_printer import FakePrinter
from tests.stations.live_site import BENCH, LiveSite


class ContinuousScale:
    """The scale's side of the pty: sends its current line ten times a second, as such
    scales do, until unplugged."""

    def __init__(self, port: Pty) -> None:
        self.port = port
        self.line = b"ST,GS,+  0.000kg\r\n"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._send, daemon=True)
        self._thread.start()

    def _send(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self.port.send(self.line)
            except OSError:
                return  # unplugged

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSite]:
    printer = FakePrinter().start()
    site = LiveSite(
        folder=tmp_path,
        printer=printer,
        scanner=Pty(tmp_path / "ttyBenchScanner"),
        scale=Pty(tmp_path / "ttyBenchScale"),
        advertise=False,
    )
    site.prepare()
    try:
        yield site
    finally:
        site.close()
        printer.stop()
        print("--- serve.log ---\n" + site.log("serve")[-3000:])
        print("--- agent.log ---\n" + site.log("agent")[-3000:])


def weight(live: LiveSite) -> Any:
    return live.call("pack01", "GET", f"/api/v1/stations/{BENCH}/weight")


def test_a_pty_scale_read_by_the_agent_reaches_the_weight_the_pack_page_reads(
    live: LiveSite,
) -> None:
    assert live.scale is not None
    live.start_server()
    assert weight(live)["state"] == "stale"  # configured, nothing heard yet
    scale = ContinuousScale(live.scale)
    try:
        live.start_agent(by_mdns=False)
        wait_for(lambda: weight(live)["state"] == "reading", timeout=30)

        scale.line = b"US,GS,+  1.198kg\r\n"
        wait_for(lambda: weight(live)["grams"] == 1198, timeout=10)
        assert weight(live)["stable"] is False
        put_down = time.monotonic()
        scale.line = b"ST,GS,+  1.234kg\r\n"
        seen = wait_for(lambda: (w := weight(live))["stable"] and w, timeout=10)
        print(f"scale to GET: {1000 * (time.monotonic() - put_down):.0f} ms")
        assert (seen["state"], seen["grams"], seen["net"], seen["unit"]) == (
            "reading",
            1234,
            False,
            "kg",
        )
        # Still for longer than stale_seconds (3 s): the keep-alive keeps it fresh.
        still_until = time.monotonic() + 3.5
        while time.monotonic() < still_until:
            seen = weight(live)
            assert (seen["state"], seen["grams"]) == ("reading", 1234)
            assert seen["age_ms"] < 2500
            time.sleep(0.1)  # the page's poll, not a wait for something to happen

        scale.stop()
        live.scale.unplug()
        wait_for(lambda: weight(live)["state"] == "unplugged", timeout=10)
        assert weight(live)["grams"] is None

        live.scale = Pty(live.scale.link)
        scale = ContinuousScale(live.scale)
        scale.line = b"ST,NT,+  0.800kg\r\n"
        wait_for(lambda: weight(live)["grams"] == 800, timeout=15)
        assert weight(live)["net"] is True
    finally:
        scale.stop()
        live.stop_agent()
        if live.scale is not None and live.scale.link.exists():
            live.scale.unplug()
    assert live.log("agent").count("bench-scale") >= 2  # unplugged, and reading again
