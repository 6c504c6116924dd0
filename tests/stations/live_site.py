"""A real server and a real station agent, as separate processes on loopback.

The server is `bondfloor serve` with the demo warehouse, advertising itself by mDNS on
127.0.0.1 only, with a pack bench whose scanner is a pseudo-terminal and whose label
printer is a test ESC/POS printer on a loopback port, driven by the bench's agent. The
agent is `bondfloor station` with the bench's token and a spool file of its own.
"""

from __future__ import annotations

import json
import os
import sqlite3
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.devices.pty_port import Pty, wait_for
from tests.live_server import DEMO_BADGES, free_port, stop_server, wait_for_health
from tests.printing.fake_printer import FakePrinter

BONDFLOOR = Path(sys.executable).parent / "bondfloor"
DEMO_PIN = "1234"
BENCH = "pack-01"
PRINTER = "bench-label"
PACKER_BADGE = DEMO_BADGES["pack01"]  # pack01 in the demo


class Refused(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


@dataclass
class LiveSite:
    folder: Path
    printer: FakePrinter
    scanner: Pty
    scale: Pty | None = None  # a continuous scale at the bench, when given
    site: str = field(default_factory=lambda: f"T{uuid.uuid4().hex[:6].upper()}")
    port: int = field(default_factory=free_port)
    advertise: bool = True
    https: bool = False  # serve HTTPS with a site CA from `tls init`, as a site does
    server: subprocess.Popen[bytes] | None = None
    agent: subprocess.Popen[bytes] | None = None
    token: str = ""
    _sessions: dict[str, str] = field(default_factory=dict)
    _opened: int = 0

    @property
    def config(self) -> Path:
        return self.folder / "bondfloor.toml"

    @property
    def db_path(self) -> Path:
        return self.folder / "site.db"

    @property
    def spool_path(self) -> Path:
        return self.folder / "station-spool.db"

    @property
    def base_url(self) -> str:
        # The certificate from `tls init` names 127.0.0.1, the address mDNS gives the agent.
        return f"{'https' if self.https else 'http'}://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.folder / "var" / "tls" / "ca.crt"

    def tls_context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=self.ca_file) if self.https else None

    def write_config(self) -> None:
        self.config.write_text(
            f'[site]\ncode = "{self.site}"\nname = "live station test"\n'
            f'[database]\npath = "{self.db_path}"\n'
            f'[server]\nhost = "127.0.0.1"\nport = {self.port}\n'
            f"[discovery]\nadvertise = {'true' if self.advertise else 'false'}\n"
            'interfaces = ["127.0.0.1"]\n'
            "[printing]\nretry_min_seconds = 0.2\nretry_max_seconds = 1.0\n"
            f'[[printers]]\nname = "{PRINTER}"\nkind = "network"\n'
            f'host = "127.0.0.1"\nport = {self.printer.port}\nvia_station = "{BENCH}"\n'
            f'[[scanners]]\nname = "bench-scanner"\nkind = "serial"\n'
            f'device = "{self.scanner.link}"\nbaud = 9600\nsuffix = "CR"\n'
            + (
                f'[[scales]]\nname = "bench-scale"\nkind = "continuous"\n'
                f'device = "{self.scale.link}"\n'
                if self.scale
                else ""
            )
            + f'[[stations]]\nname = "{BENCH}"\nkind = "pack_bench"\n'
            f'printers = ["{PRINTER}"]\nscanners = ["bench-scanner"]\n'
            + ('scales = ["bench-scale"]\n' if self.scale else "")
            + (
                '[tls]\nnames = ["localhost"]\naddresses = ["127.0.0.1"]\nredirect_port = 0\n'
                if self.https
                else ""
            ),
            encoding="utf-8",
        )

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [str(BONDFLOOR), "--config", str(self.config), *args],
            cwd=self.folder,
            check=True,
            capture_output=True,
            timeout=120,
        )
        return done.stdout.decode()

    def prepare(self) -> None:
        """Config, the demo warehouse and the bench's token."""
        self.write_config()
        self.cli("demo")
        if self.https:
            self.cli("tls", "init")
        self.token = self.cli("token", "add", BENCH, "--kind", "station").strip().splitlines()[-1]

    # -- the two processes -------------------------------------------------------------

    def start_server(self) -> None:
        log = self.folder / "serve.log"
        with log.open("ab") as out:
            self.server = subprocess.Popen(
                [str(BONDFLOOR), "--config", str(self.config), "serve"],
                cwd=self.folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_health(f"{self.base_url}/health", self.server, log, self.tls_context())
        self._sessions.clear()

    def stop_server(self) -> None:
        if self.server is not None:
            stop_server(self.server)
            self.server = None

    def start_agent(self, *, by_mdns: bool = True) -> None:
        args = ["--interface", "127.0.0.1", "--site", self.site] if by_mdns else []
        if not by_mdns:
            args = ["--server", self.base_url]
        if self.https:
            args += ["--ca-file", str(self.ca_file)]
        log = self.folder / "agent.log"
        with log.open("ab") as out:
            self.agent = subprocess.Popen(
                [
                    str(BONDFLOOR),
                    "--config",
                    str(self.config),
                    "station",
                    "--spool",
                    str(self.spool_path),
                    "--heartbeat",
                    "1",
                    *args,
                ],
                cwd=self.folder,
                env={**os.environ, "BONDFLOOR_STATION_TOKEN": self.token},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_for_scanner(self) -> None:
        """The agent has opened the bench's scanner (what is read before is not kept)."""
        wait_for(lambda: self.log("agent").count("bench-scanner on") > self._opened, timeout=20)
        self._opened = self.log("agent").count("bench-scanner on")

    def stop_agent(self) -> None:
        if self.agent is not None:
            stop_server(self.agent)
            self.agent = None

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        self.stop_agent()
        self.stop_server()

    # -- talking to the server ---------------------------------------------------------

    def call(self, user: str, method: str, path: str, body: Any = None) -> Any:
        if user not in self._sessions:
            self._sessions[user] = self._request(
                "POST", "/api/v1/auth/login", {"user_code": user, "pin": DEMO_PIN}, {}
            )["token"]
        headers = {"Authorization": f"Bearer {self._sessions[user]}"}
        if method == "POST":
            headers["Idempotency-Key"] = f"live-{uuid.uuid4().hex}"
        return self._request(method, path, body, headers)

    def _request(self, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            data=data,
            headers={**headers, "Content-Type": "application/json", "X-Device": "live-test"},
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=15, context=self.tls_context()) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as err:
            raise Refused(err.code, json.load(err)) from err

    def read(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=5)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def spool(self, sql: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(f"file:{self.spool_path}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    # -- getting an order to the bench -------------------------------------------------

    def picked_order(self, min_units: int = 1) -> tuple[sqlite3.Row, str, list[str]]:
        """A released demo order of one SKU with at least `min_units`, waved alone and
        picked through the API into a free tote: (order, tote, one scan per unit)."""
        taken = {r[0] for r in self.read("SELECT order_id FROM allocations")}
        candidates = self.read(
            "SELECT o.* FROM orders o WHERE o.state = 'new' AND o.customs_status = 800 "
            "AND (SELECT COUNT(DISTINCT sku_id) FROM order_lines WHERE order_id = o.id) = 1 "
            # A bare EAN at the bench: a lot-tracked SKU would need its lot label as well.
            "AND NOT EXISTS (SELECT 1 FROM order_lines l JOIN skus s ON s.id = l.sku_id "
            "WHERE l.order_id = o.id AND s.lot_tracked = 1) "
            "AND (SELECT SUM(quantity) FROM order_lines WHERE order_id = o.id) >= ? "
            "ORDER BY o.id",
            min_units,
        )
        order = next(o for o in candidates if o["id"] not in taken)
        tote = next(
            r[0]
            for r in self.read(
                "SELECT code FROM locations WHERE type = 'tote' AND id NOT IN "
                "(SELECT tote_location_id FROM orders WHERE tote_location_id IS NOT NULL) "
                "ORDER BY code"
            )
        )
        wave = self.call("sup01", "POST", "/api/v1/waves", {"order_nos": [order["order_no"]]})
        assert wave["orders"] == 1, wave
        while (
            task := self.call("pick01", "POST", f"/api/v1/waves/{wave['id']}/next-task", {})["task"]
        ) is not None:
            self.call(
                "pick01",
                "POST",
                f"/api/v1/pick-tasks/{task['id']}/confirm",
                {
                    "location": task["location"],
                    "item": task["barcodes"][0],
                    "quantity": task["remaining"],
                    "tote": tote,
                },
            )
        (line,) = self.read(
            "SELECT (SELECT barcode FROM sku_barcodes b WHERE b.sku_id = l.sku_id LIMIT 1), "
            "SUM(l.quantity) FROM order_lines l WHERE l.order_id = ? GROUP BY l.sku_id",
            order["id"],
        )
        return order, tote, [line[0]] * line[1]

    def scan(self, *codes: str) -> None:
        """The bench's scanner reads codes: CR after each, as configured."""
        for code in codes:
            self.scanner.send(code.encode() + b"\r")
            time.sleep(0.02)

    def station_scans(self) -> list[sqlite3.Row]:
        return self.read("SELECT * FROM station_scans WHERE station = ? ORDER BY id", BENCH)

    def wait_for_scans(self, count: int, timeout: float = 15.0) -> list[sqlite3.Row]:
        wait_for(lambda: len(self.station_scans()) >= count, timeout)
        return self.station_scans()
