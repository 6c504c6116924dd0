"""`bondfloor oms-sim`: the simulated OMS as one process — its event door on one port,
and (optionally) a thread that sends the floor server a demo day."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date

from server import clock
from server.omssim.feeder import FloorClient, feed_day
from server.omssim.receiver import Receiver
from server.omssim.store import SimStore

log = logging.getLogger("bondfloor.oms-sim")


@dataclass(frozen=True)
class SimOptions:
    host: str
    port: int
    store_path: str
    events_token: str = ""  # the token the floor must show when it sends events
    server_url: str = ""  # the floor server to feed; empty: receive only
    oms_token: str = ""  # this OMS's token on the floor server
    orders: int = 24
    pace_seconds: float = 2.0
    day: date | None = None


class Simulator:
    def __init__(self, options: SimOptions) -> None:
        self.options = options
        self.store = SimStore(options.store_path)
        self.receiver = Receiver(self.store, options.host, options.port, options.events_token)
        self._stop = threading.Event()
        self._feeder: threading.Thread | None = None

    def start(self) -> None:
        self.receiver.start()
        log.info(
            "oms-sim taking events on http://%s:%s/events", self.options.host, self.receiver.port
        )
        if self.options.server_url and self.options.oms_token:
            self._feeder = threading.Thread(target=self._feed, name="oms-sim-feeder", daemon=True)
            self._feeder.start()

    def _feed(self) -> None:
        client = FloorClient(self.options.server_url, self.options.oms_token)
        try:
            feed_day(
                client,
                self.store,
                self.options.day or clock.now().date(),
                self.options.orders,
                self.options.pace_seconds,
                stopping=self._stop.is_set,
            )
        except Exception:  # the simulator keeps taking events even if its day fails
            log.exception("the demo day stopped")
        finally:
            client.close()

    def wait(self) -> None:
        self._stop.wait()

    def stop(self) -> None:
        self._stop.set()
        self.receiver.stop()
        if self._feeder is not None:
            self._feeder.join(timeout=5)
        self.store.close()
