"""The print dispatcher: one thread per enabled printer sends its queue in order.

A printer that goes away is a state ("unavailable, retrying"), logged once when lost and
once when back; its jobs stay queued and go out with backoff. Packing, reprints and test
prints `notify()` the dispatcher so a label leaves at once instead of at the next poll.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import msgspec

from devices import facesheet, handover_slip, small_labels
from devices.printers import Printer, PrinterError, PrinterUnavailable, open_configured
from server import system_writes
from server.commands import utc_now
from server.config import PrinterSettings, Settings
from server.db import Database
from server.disk_full import log_background_failure

log = logging.getLogger("bondfloor.printing")

STATUS_CHECK_SECONDS = 10.0


def render_job(job: dict[str, Any], printer: PrinterSettings, settings: Settings) -> Any:
    """The image of a job, at the printer's width and resolution: a handover slip as long
    as it needs, anything else a face sheet at the printer's label size."""
    payload = job["payload"]
    small = {
        "location_label": small_labels.render_location_label,
        "carton_label": small_labels.render_carton_label,
    }.get(job["kind"])
    if small is not None:
        # A location label goes on the printer's small stock when it has one declared.
        width_mm, height_mm = (
            printer.small_label_mm
            if job["kind"] == "location_label" and printer.small_label_mm
            else (printer.label_width_mm, printer.label_height_mm)
        )
        return small(
            payload,
            width_mm=width_mm,
            height_mm=height_mm,
            dpi=printer.dpi,
            font=settings.printing.font,
        )
    if job["kind"] == "handover":
        return handover_slip.render_handover_slip(
            payload, width_mm=printer.label_width_mm, dpi=printer.dpi, font=settings.printing.font
        )
    return facesheet.render_face_sheet(
        payload,
        width_mm=printer.label_width_mm,
        height_mm=printer.label_height_mm,
        dpi=printer.dpi,
        font=settings.printing.font,
    )


def connect(printer: PrinterSettings) -> Printer:
    return open_configured(msgspec.to_builtins(printer))


class PrintDispatcher:
    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings
        self._stop = threading.Event()
        self._wake: dict[str, threading.Event] = {}
        self._threads: list[threading.Thread] = []
        self._failing: dict[str, bool] = {}  # a job is being retried: its error is the state
        self.sent = 0
        self.last_error = ""
        self.passes: dict[str, int] = {}
        """Passes of each printer's loop so far (each takes one job at most): a test waits
        for the next ones instead of sleeping and hoping they came."""
        self._passed = threading.Condition()

    def start(self) -> None:
        at = utc_now()
        again = system_writes.requeue_interrupted_print_jobs(self._db)
        failed = system_writes.fail_unprintable_print_jobs(self._db, self._settings, at)
        if again or failed:
            log.warning("print queue at start: %d job(s) sent again, %d failed", again, failed)
        for printer in self._settings.printers:
            if not printer.enabled:
                continue
            self._wake[printer.name] = threading.Event()
            if printer.via_station:
                continue  # its station's agent sends it, asking with `wait_for_job`
            thread = threading.Thread(
                target=self._run, args=(printer,), name=f"printer-{printer.name}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def notify(self, printer: str | None = None) -> None:
        """A job was queued: wake its printer (or all of them)."""
        for name, event in self._wake.items():
            if printer is None or name == printer:
                event.set()

    def wait_for_job(self, printer: str, seconds: float) -> bool:
        """For an agent's printer: block until a job may have been queued (or the time is up)."""
        wake = self._wake.get(printer)
        if wake is None or self._stop.is_set():
            return False
        woken = wake.wait(seconds)
        wake.clear()
        return woken and not self._stop.is_set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        self.notify()
        for thread in self._threads:
            thread.join(timeout=10)

    def wait_for_passes(self, printer: str, more: int, timeout: float) -> bool:
        """Block until `printer`'s loop made `more` passes from now; False on timeout."""
        with self._passed:
            target = self.passes.get(printer, 0) + more
            return self._passed.wait_for(lambda: self.passes.get(printer, 0) >= target, timeout)

    def status(self) -> dict[str, Any]:
        alive = sum(t.is_alive() for t in self._threads)
        return {
            "printers": len(self._threads),
            "running": alive,
            "sent": self.sent,
            "last_error": self.last_error,
        }

    # -- one printer ---------------------------------------------------------------------

    def _run(self, settings: PrinterSettings) -> None:
        printer = connect(settings)
        wake = self._wake[settings.name]
        last_check = 0.0
        while not self._stop.is_set():
            try:
                sent = self._send_next(printer, settings)
                last_check = time.monotonic() if self._failing.get(settings.name) else last_check
            except Exception as err:  # the printer's thread must outlive any one failure
                self.last_error = f"{type(err).__name__}: {err}"
                log_background_failure(log, f"printer {settings.name}: unexpected failure", err)
                sent = False
            with self._passed:
                self.passes[settings.name] = self.passes.get(settings.name, 0) + 1
                self._passed.notify_all()
            if sent:
                continue
            if time.monotonic() - last_check > STATUS_CHECK_SECONDS:
                last_check = time.monotonic()
                now = printer.status()
                self._record(settings.name, now.state, now.detail)
            wake.wait(self._settings.printing.poll_seconds)
            wake.clear()

    def _send_next(self, printer: Printer, settings: PrinterSettings) -> bool:
        """Send the head of this printer's queue; True when a job was settled."""
        job = system_writes.claim_print_job(self._db, settings.name, utc_now())
        if job is None:
            return False
        try:
            image = render_job(job, settings, self._settings)
            data = facesheet.to_escpos(image)
            preview = facesheet.to_png(image) if settings.kind == "file" else None
        except facesheet.LabelError as err:
            error = f"{err.code}: {err.message}"
            system_writes.mark_print_job_failed(self._db, job["id"], error, utc_now())
            log.error("printer %s: job %d cannot be drawn: %s", settings.name, job["id"], error)
            return True
        try:
            printer.print_job(data, job_id=job["id"], preview_png=preview)
        except PrinterUnavailable as err:
            reason = str(err)
            system_writes.retry_print_job_later(
                self._db, job["id"], reason, job["attempts"], self._settings
            )
            self._failing[settings.name] = True
            self._record(settings.name, err.state, reason)
            return False
        except PrinterError as err:
            failure = f"{err.code}: {err}"
            system_writes.mark_print_job_failed(self._db, job["id"], failure, utc_now())
            return True
        system_writes.mark_print_job_done(self._db, job["id"], utc_now())
        self._failing[settings.name] = False
        self._record(settings.name, "online", "")
        self.sent += 1
        return True

    def _record(self, printer: str, state: str, detail: str) -> None:
        changed = system_writes.record_printer_state(self._db, printer, state, detail, utc_now())
        if changed:  # once when lost, once when back
            if state in ("online", "unknown"):
                log.info("printer %s is %s", printer, state)
            else:
                log.warning("printer %s is %s, retrying: %s", printer, state, detail)
