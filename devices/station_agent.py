"""The station agent (`bondfloor station`): runs on the PC the station's scanners and
printers hang on, and links them to the server.

- It finds the server by mDNS (or is given its URL) and authenticates with the station's
  token; the server tells it which scanners and printers it has (config/ on the server is
  the one configuration of the site). The last configuration is kept in the spool, so the
  agent starts its scanners even while the server is away.
- Each scan is written to the local spool first, then forwarded in order with an
  idempotency key; while the server cannot be reached scans wait on disk and go, in order,
  when it is back. A scan answered for is never sent again; one whose answer was lost is
  sent again and the server applies it once.
- Each of its printers asks the server for its next job (long poll), prints it and says
  how it went: printed, unavailable (the server retries with backoff) or failed.
- Each of its scales is read on its own thread; the weight goes to the server on every
  change (at most `WEIGHT_POSTS_PER_SECOND`), and about once a second while it holds still
  so the pack page knows it is live; a scale unplugged or silent is said so.
- A heartbeat tells the server the agent is alive and how its devices are.

Every link or device that goes away is logged once when lost and once when back.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devices.printers import Printer, PrinterError, PrinterUnavailable, open_configured
from devices.scales import ScaleReader
from devices.scanners import HidScanner, ScannedCode, SerialScanner
from devices.server_link import Answer, LinkDown, ServerLink
from devices.spool import Spool

log = logging.getLogger("bondfloor.station")

JOB_WAIT_SECONDS = 2.0
"""A printer asks for its next job this long at a time: a job queued meanwhile comes at once,
and a server stopping waits no longer than this for the question to end."""
WEIGHT_POSTS_PER_SECOND = 5
"""A scale's weight goes to the server on each change, but no more often than this."""
WEIGHT_KEEPALIVE_SECONDS = 1.0
"""An unchanged weight is sent again this often: the server shows a silent one as stale."""
REJECTED = (400, 409, 413, 422)
"""Answers that say the scan itself cannot be taken: kept in the spool as rejected."""


def _is_scan_answer(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and isinstance(body.get("outcome"), str)
        and (isinstance(body.get("error_code"), str))
    )


class StationAgent:
    def __init__(
        self,
        *,
        token: str,
        spool_path: str | Path,
        server_url: str = "",
        find_server: Callable[[], str | None] | None = None,
        heartbeat_seconds: float = 10.0,
        version: str = "",
        ca_file: str | None = None,
    ) -> None:
        if not server_url and find_server is None:
            raise ValueError("give the server's URL or a way to find it")
        self.token = token
        self.spool = Spool(spool_path)
        self.server_url = server_url
        self._find_server = find_server
        self.heartbeat_seconds = heartbeat_seconds
        self.ca_file = ca_file
        self.version = version
        self.config: dict[str, Any] | None = None
        self.link: ServerLink | None = None
        self.scanners: list[SerialScanner | HidScanner] = []
        self.scales: list[ScaleReader] = []
        self.weights_sent = 0
        """Weights the server has taken: a test waits on it instead of sleeping."""
        self.printer_states: dict[str, tuple[str, str]] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._link_state = ""

    # -- life --------------------------------------------------------------------------

    def start(self) -> None:
        """Start in the background: find the server, open the devices, forward and print."""
        self._spawn(self._run, "agent")

    def run_forever(self) -> None:
        self.start()
        try:
            while not self._stop.wait(1.0):
                pass
        finally:
            self.stop()

    def request_stop(self) -> None:
        """Ask `run_forever` to stop (from a signal handler)."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for scanner in self.scanners:
            scanner.stop()
        for scale in self.scales:
            scale.stop()
        for thread in self._threads:
            thread.join(timeout=JOB_WAIT_SECONDS + 2)
        self.spool.close()

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        def guarded() -> None:
            # A thread of the agent outlives any one surprise: log it and carry on.
            while not self._stop.is_set():
                try:
                    target(*args)
                    return
                except Exception:
                    log.exception("station agent: %s failed, starting it again", name)
                    self._stop.wait(1.0)

        thread = threading.Thread(target=guarded, name=f"station-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _run(self) -> None:
        self.config = self._configuration()
        if self.config is None:
            return  # stopped before the server or a kept configuration was found
        station = self.config["station"]
        log.info(
            "station %s (%s): %d scanner(s), %d printer(s), %d scale(s)",
            station,
            self.config["kind"],
            len(self.config["scanners"]),
            len(self.config["printers"]),
            len(self.config.get("scales", [])),
        )
        for scanner in self.config["scanners"]:
            self._open_scanner(scanner)
        for scale in self.config.get(
            "scales", []
        ):  # a configuration kept by an older agent has none
            self._open_scale(scale)
        self._spawn(self._forward_scans, "forwarder")
        self._spawn(self._beat, "heartbeat")
        for printer in self.config["printers"]:
            if printer.get("enabled", True):
                self._spawn(self._print_jobs, f"printer-{printer['name']}", printer)

    def _configuration(self) -> dict[str, Any] | None:
        """The station's devices from the server, or the last ones kept while it is away."""
        kept = self.spool.recall("config")
        delay = 0.2
        while not self._stop.is_set():
            link = self._connect()
            if link is not None:
                try:
                    answer = link.request("GET", "/api/v1/station/config")
                except LinkDown as err:
                    self._link("down", str(err))
                else:
                    if answer.status == 200:
                        self._link("up", link.base_url)
                        self.spool.remember("config", answer.body)
                        return dict(answer.body)
                    self._link("refused", f"{answer.status} {answer.error_code}")
            if kept is not None:
                log.warning("starting with the station's last configuration; the server is away")
                return dict(kept)
            self._stop.wait(delay)
            delay = min(delay * 2, 5.0)
        return None

    def _connect(self) -> ServerLink | None:
        if self.link is None:
            url = self.server_url or (self._find_server() if self._find_server else None)
            if not url:
                self._link("down", "no server found by mDNS")
                return None
            self.link = ServerLink(
                url, self.token, device=f"agent@{Path.cwd().name}", ca_file=self.ca_file
            )
        return self.link

    def _link(self, state: str, detail: str) -> None:
        if state != self._link_state:
            self._link_state = state
            if state == "up":
                log.info("server %s reached", detail)
            else:
                log.warning("server link %s, retrying: %s", state, detail)
            if state == "down" and not self.server_url:
                self.link = None  # found by mDNS: look again, it may have moved

    # -- scans -------------------------------------------------------------------------

    def _open_scanner(self, config: dict[str, Any]) -> None:
        name = config["name"]

        def on_scan(scan: ScannedCode) -> None:
            seq = self.spool.add(name, scan.text, scan.symbology)
            log.debug("scan %d from %s kept", seq, name)
            self._wake.set()

        scanner: SerialScanner | HidScanner
        if config["kind"] == "hid":
            scanner = HidScanner(name, config["device"], on_scan, layout=config.get("layout", "us"))
        else:
            scanner = SerialScanner(
                name,
                config["device"],
                on_scan,
                baud=config.get("baud", 9600),
                parity=config.get("parity", "N"),
                suffix=config.get("suffix", "CR"),
                prefix=config.get("prefix", ""),
            )
        scanner.start()
        self.scanners.append(scanner)

    def _forward_scans(self) -> None:
        """Send the spool in order; a scan leaves the line only once the server answered."""
        assert self.config is not None
        path = f"/api/v1/stations/{self.config['station']}/scans"
        delay = 0.1
        while not self._stop.is_set():
            scan = self.spool.next_unsent()
            if scan is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            link = self._connect()
            answer: Answer | None = None
            if link is not None:
                body = {
                    "code": scan.code,
                    "scanner": scan.scanner,
                    "symbology": scan.symbology,
                    "scanned_at": scan.scanned_at,
                }
                try:
                    answer = link.request("POST", path, body, headers={"Idempotency-Key": scan.key})
                except LinkDown as err:
                    self._link("down", f"{err} ({self.spool.unsent_count()} scan(s) kept)")
            if answer is not None and answer.status == 200 and _is_scan_answer(answer.body):
                self._link("up", link.base_url if link else "")
                self.spool.mark_sent(scan.seq, answer.body["outcome"], answer.body["error_code"])
                delay = 0.1
                continue
            if answer is not None and answer.status in REJECTED:
                log.warning("scan %s rejected by the server: %s", scan.key, answer.error_code)
                self.spool.mark_sent(scan.seq, "rejected", answer.error_code)
                continue
            if answer is not None:
                self._link("refused", f"{answer.status} {answer.error_code}")
            self._stop.wait(delay)
            delay = min(delay * 2, 5.0)

    # -- scales ------------------------------------------------------------------------

    def _open_scale(self, config: dict[str, Any]) -> None:
        changed = threading.Event()
        scale = ScaleReader(
            config["name"],
            config["device"],
            kind=config.get("kind", "continuous"),
            baud=config.get("baud", 9600),
            parity=config.get("parity", "N"),
            bytesize=config.get("bytesize", 8),
            unit=config.get("unit", "kg"),
            poll_seconds=config.get("poll_seconds", 0.2),
            on_change=changed.set,
        )
        scale.start()
        self.scales.append(scale)
        self._spawn(self._post_weights, f"scale-{scale.name}", scale, changed)

    def _post_weights(self, scale: ScaleReader, changed: threading.Event) -> None:
        """The scale's weight to the server: each change (changes closer together than
        1/WEIGHT_POSTS_PER_SECOND go as one, the last), and a keep-alive while it is still."""
        assert self.config is not None
        path = f"/api/v1/stations/{self.config['station']}/agent/weight"
        least_gap = 1.0 / WEIGHT_POSTS_PER_SECOND
        sent_at = -least_gap
        refused = ""
        while not self._stop.is_set():
            changed.wait(WEIGHT_KEEPALIVE_SECONDS)
            wait = least_gap - (time.monotonic() - sent_at)
            if wait > 0 and self._stop.wait(wait):
                return
            changed.clear()
            body = scale.report()
            link = self._connect()
            if not body or link is None:
                continue
            sent_at = time.monotonic()
            try:
                answer = link.request("POST", path, body, timeout=5.0)
            except LinkDown as err:
                self._link("down", str(err))
                continue
            if answer.status == 200:
                self.weights_sent += 1
                refused = ""
            elif answer.error_code != refused:
                refused = answer.error_code
                log.warning("scale %s: the server refused its weight: %s", scale.name, refused)

    # -- printers ----------------------------------------------------------------------

    def _print_jobs(self, config: dict[str, Any]) -> None:
        name = config["name"]
        printer = open_configured(config)
        path = f"/api/v1/station/printers/{name}/next-job?wait={JOB_WAIT_SECONDS:g}"
        delay = 0.2
        while not self._stop.is_set():
            link = self._connect()
            try:
                if link is None:
                    raise LinkDown("no server")
                answer = link.request("POST", path, {}, timeout=JOB_WAIT_SECONDS + 10)
                if answer.status == 200:
                    self._print_one(link, printer, name, answer.body)
                    delay = 0.2
                    continue
                if answer.status == 204:
                    continue
                self._link("refused", f"{answer.status} {answer.error_code}")
            except LinkDown as err:
                self._link("down", str(err))
            self._stop.wait(delay)
            delay = min(delay * 2, 5.0)

    def _print_one(
        self, link: ServerLink, printer: Printer, name: str, job: dict[str, Any]
    ) -> None:
        data = base64.b64decode(job["escpos"])
        preview = base64.b64decode(job["preview_png"]) if job.get("preview_png") else None
        try:
            printer.print_job(data, job_id=job["id"], preview_png=preview)
        except PrinterUnavailable as err:
            result = {"outcome": "unavailable", "state": err.state, "detail": str(err)}
        except PrinterError as err:
            result = {"outcome": "failed", "detail": f"{err.code}: {err}"}
        else:
            result = {"outcome": "printed", "state": "online"}
        self._printer_state(name, result.get("state", "online"), result.get("detail", ""))
        # Said until the server has it: a job left `sending` would be printed again.
        while not self._stop.is_set():
            try:
                said = link.request(
                    "POST", f"/api/v1/station/print-jobs/{job['id']}/result", result
                )
            except LinkDown as err:
                self._link("down", str(err))
            else:
                if 200 <= said.status < 300:
                    return
                if 400 <= said.status < 500 and said.status not in (401, 403, 408, 429):
                    log.error(
                        "job %s: the server refused its result: %s", job["id"], said.error_code
                    )
                    return
                self._link("refused", f"{said.status} {said.error_code}")
            self._stop.wait(1.0)

    def _printer_state(self, name: str, state: str, detail: str) -> None:
        if self.printer_states.get(name, ("", ""))[0] != state:
            if state == "online":
                log.info("printer %s is online", name)
            else:
                log.warning("printer %s is %s, retrying: %s", name, state, detail)
        self.printer_states[name] = (state, detail)

    # -- heartbeat ---------------------------------------------------------------------

    def _beat(self) -> None:
        while not self._stop.is_set():
            link = self._connect()
            beat = {
                "version": self.version,
                "scanners": {s.name: {"state": s.state, "detail": s.detail} for s in self.scanners},
                "scales": {s.name: {"state": s.state, "detail": s.detail} for s in self.scales},
                "printers": {
                    n: {"state": state, "detail": detail}
                    for n, (state, detail) in dict(self.printer_states).items()
                },
                "buffered_scans": self.spool.unsent_count(),
            }
            if link is not None:
                try:
                    link.request("POST", "/api/v1/station/heartbeat", beat)
                except LinkDown as err:
                    self._link("down", str(err))
            self._stop.wait(self.heartbeat_seconds)

    def wait_until_sent(self, timeout: float) -> bool:
        """For tests and a clean stop: True once every kept scan has been answered for."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.spool.unsent_count() == 0:
                return True
            time.sleep(0.05)
        return False
