"""The print dispatcher: one thread per enabled printer sends its queue in order, and
another checks the printer's status, so a label never waits for a status answer.

A printer that goes away is a state ("unavailable, retrying"), logged once per change;
its jobs stay queued and go out with backoff. The status thread checks a printer in a
fault on its own short timer and, once it is back, sends its jobs at once instead of at
the end of their backoff. A printer configured not to answer status (DLE EOT) is never
asked: only whether it takes a connection, and only while it is in a fault. Packing,
reprints and test prints `notify()` the dispatcher so a label leaves at once instead of
at the next poll.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import msgspec

from devices import facesheet, handover_slip, print_head, small_labels
from devices.printers import (
    Printer,
    PrinterError,
    PrinterStatus,
    PrinterUnavailable,
    open_configured,
)
from server import system_writes
from server.commands import utc_now
from server.config import PrinterSettings, Settings
from server.db import Database
from server.disk_full import log_background_failure
from server.printing.layouts import face_sheet_layout

log = logging.getLogger("bondfloor.printing")

STATUS_CHECK_SECONDS = 10.0
"""How often a healthy printer that answers status is asked (paper near its end, ...)."""
READY = ("online", "unknown")


def render_job(job: dict[str, Any], printer: PrinterSettings, settings: Settings) -> Any:
    """The raster the printer gets for a job, of any kind: the label drawn, then laid on
    the head (centred or at its left edge, moved by the printer's offset; refused with
    LABEL_WIDER_THAN_HEAD / LABEL_OFF_HEAD rather than cut)."""
    return print_head.place_on_head(
        draw_job(job, printer, settings),
        head_width_dots=printer.head_width_dots,
        dpi=printer.dpi,
        align=printer.align,
        offset_mm=printer.offset_mm,
    )


def draw_job(job: dict[str, Any], printer: PrinterSettings, settings: Settings) -> Any:
    """The image of a job, at the printer's width and resolution: a handover slip as long
    as it needs, anything else a face sheet at the printer's label size, in the layout of
    the label's courier."""
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
        layout=face_sheet_layout(settings, printer, _courier(payload)),
    )


def _courier(payload: Any) -> Any:
    return payload.get("courier") if isinstance(payload, dict) else None


def connect(printer: PrinterSettings) -> Printer:
    return open_configured(msgspec.to_builtins(printer))


def answers_status(printer: PrinterSettings) -> bool:
    """Whether asking this printer how it is can tell more than that it is reachable."""
    return not (printer.kind == "network" and not printer.answers_status)


class PrintDispatcher:
    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings
        self._stop = threading.Event()
        self._wake: dict[str, threading.Event] = {}
        self._threads: list[threading.Thread] = []
        self._faulted: dict[str, bool] = {}  # its last recorded state is not a ready one
        self._fault_began: dict[str, threading.Event] = {}  # restarts the status timer
        self.sent = 0
        self.last_error = ""
        self.passes: dict[str, int] = {}
        """Passes of each printer's loop so far (each takes one job at most), and of its
        status checks under "NAME/status": a test waits for the next ones instead of
        sleeping and hoping they came."""
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
            self._fault_began[printer.name] = threading.Event()
            for target, name in ((self._run, "printer"), (self._watch, "printer-status")):
                thread = threading.Thread(
                    target=target, args=(printer,), name=f"{name}-{printer.name}", daemon=True
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
        for event in self._fault_began.values():
            event.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def wait_for_passes(self, printer: str, more: int, timeout: float) -> bool:
        """Block until `printer`'s loop made `more` passes from now; False on timeout."""
        with self._passed:
            target = self.passes.get(printer, 0) + more
            return self._passed.wait_for(lambda: self.passes.get(printer, 0) >= target, timeout)

    def status(self) -> dict[str, Any]:
        jobs = [t for t in self._threads if not t.name.startswith("printer-status-")]
        alive = sum(t.is_alive() for t in jobs)
        return {
            "printers": len(jobs),
            "running": alive,
            "sent": self.sent,
            "last_error": self.last_error,
        }

    # -- one printer ---------------------------------------------------------------------

    def _run(self, settings: PrinterSettings) -> None:
        """Send the queue; never ask for status here (the status thread does)."""
        printer = connect(settings)
        wake = self._wake[settings.name]
        while not self._stop.is_set():
            try:
                sent = self._send_next(printer, settings)
            except Exception as err:  # the printer's thread must outlive any one failure
                self.last_error = f"{type(err).__name__}: {err}"
                log_background_failure(log, f"printer {settings.name}: unexpected failure", err)
                sent = False
            self._passed_once(settings.name)
            if sent:
                continue
            wake.wait(self._settings.printing.poll_seconds)
            wake.clear()

    def _watch(self, settings: PrinterSettings) -> None:
        """Check the printer's status off the job path: a healthy printer that answers
        status every STATUS_CHECK_SECONDS, a printer in a fault every fault_check_seconds
        (one that does not answer status: only whether it takes a connection again)."""
        printer = connect(settings)
        asks = answers_status(settings)
        fault_began = self._fault_began[settings.name]
        first = asks  # a printer that answers is asked at once, so its state is known
        while not self._stop.is_set():
            faulted = self._faulted.get(settings.name, False)
            if not first:
                wait = (
                    self._settings.printing.fault_check_seconds if faulted else STATUS_CHECK_SECONDS
                )
                if fault_began.wait(wait):  # a fault began: wait the short timer from now
                    fault_began.clear()
                    continue
            first = False
            if not (asks or faulted):
                continue
            try:
                now = printer.status()
                if asks:
                    self._record(settings.name, now.state, now.detail)
                # Taking a connection does not prove a printer that never answers status
                # will print: its job, sent now, says whether it is back (no flapping
                # "online" between failed tries).
                if faulted and now.state in READY:
                    system_writes.release_print_retries(self._db, settings.name)
                    self.notify(settings.name)
            except Exception as err:  # the status thread must outlive any one failure
                log_background_failure(log, f"printer {settings.name}: status check failed", err)
            self._passed_once(f"{settings.name}/status")

    def _passed_once(self, loop: str) -> None:
        with self._passed:
            self.passes[loop] = self.passes.get(loop, 0) + 1
            self._passed.notify_all()

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
            self._record(settings.name, err.state, reason)
            return False
        except PrinterError as err:
            failure = f"{err.code}: {err}"
            system_writes.mark_print_job_failed(self._db, job["id"], failure, utc_now())
            return True
        system_writes.mark_print_job_done(self._db, job["id"], utc_now())
        # What it answered after the job, e.g. "paper near its end", stays shown.
        after = getattr(printer, "last_answer", None) or PrinterStatus("online")
        self._record(settings.name, "online", after.detail)
        self.sent += 1
        return True

    def _record(self, printer: str, state: str, detail: str) -> None:
        faulted = state not in READY
        began = faulted and not self._faulted.get(printer, False)
        self._faulted[printer] = faulted
        if began and printer in self._fault_began:
            self._fault_began[printer].set()
        changed = system_writes.record_printer_state(self._db, printer, state, detail, utc_now())
        if changed:  # once per change of state: the job and status threads say the same
            if state in ("online", "unknown"):
                log.info("printer %s is %s", printer, state)
            else:
                log.warning("printer %s is %s, retrying: %s", printer, state, detail)
