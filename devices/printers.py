"""Label printers: ESC/POS bytes to a network (TCP 9100), serial, USB or file printer.

Each printer has one private method that touches the wire (`_write`) and turns OS errors
into `PrinterUnavailable`, so the print queue can keep the job and retry later. A printer
that answers ESC/POS real-time status (DLE EOT) is asked before a job (paper out, cover
open are "unavailable") and after it: the answer arriving after the last byte proves the
printer took every byte, which is when a job counts as printed.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

# DLE EOT n: printer (1), offline cause (2) and roll paper sensor (4) status.
STATUS_QUERY = b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"


class PrinterError(Exception):
    """A job this printer cannot print; `code` is stable."""

    code = "PRINTER_ERROR"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class PrinterUnavailable(PrinterError):
    """Off, unplugged, out of paper, cover open: keep the job and try again later."""

    code = "PRINTER_UNAVAILABLE"

    def __init__(self, message: str, state: str = "unavailable") -> None:
        super().__init__(message)
        self.state = state  # unavailable | offline | paper_out | cover_open


@dataclass(frozen=True)
class PrinterStatus:
    state: str  # online | offline | paper_out | cover_open | unknown
    detail: str = ""

    @property
    def ready(self) -> bool:
        return self.state in ("online", "unknown")


def parse_status(answer: bytes) -> PrinterStatus:
    """Read the three DLE EOT answers (printer, offline cause, paper sensor)."""
    if len(answer) < 3:
        return PrinterStatus("unknown", "the printer does not answer status queries")
    printer, offline, paper = answer[0], answer[1], answer[2]
    if paper & 0x60 or offline & 0x20:
        return PrinterStatus("paper_out", "paper end")
    if offline & 0x04:
        return PrinterStatus("cover_open", "cover open")
    if printer & 0x08:
        return PrinterStatus("offline", "the printer is offline")
    if paper & 0x0C:
        return PrinterStatus("online", "paper near its end")
    return PrinterStatus("online")


class Printer(Protocol):
    name: str

    def print_job(self, data: bytes, *, job_id: int, preview_png: bytes | None = None) -> None:
        """Write the whole job or raise PrinterError / PrinterUnavailable."""

    def status(self) -> PrinterStatus: ...


class NetworkPrinter:
    """A raw TCP (port 9100) ESC/POS printer."""

    def __init__(
        self,
        name: str,
        host: str,
        port: int = 9100,
        *,
        timeout: float = 5.0,
        answers_status: bool = True,
    ) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.timeout = timeout
        self.answers_status = answers_status
        self.last_answer: PrinterStatus | None = None
        """What the printer answered after the last job (e.g. paper near its end)."""

    def status(self) -> PrinterStatus:
        """Asked with DLE EOT if the printer answers it; else only whether it takes a
        connection, which never waits for an answer that will not come. A printer that
        cannot be reached, or that should answer and does not, is "unavailable": the
        state a job sent to it would meet, so one outage is one state."""
        try:
            with self._connect() as sock:
                if not self.answers_status:
                    return PrinterStatus("online")
                now = self._query(sock)
        except OSError as err:
            return PrinterStatus("unavailable", f"{self.host}:{self.port}: {err}")
        if now.state == "unknown":
            return PrinterStatus("unavailable", "no answer to the status query")
        return now

    def print_job(self, data: bytes, *, job_id: int, preview_png: bytes | None = None) -> None:
        self._write(data)

    def _write(self, data: bytes) -> None:
        try:
            sock = self._connect()
        except OSError as err:
            raise PrinterUnavailable(f"{self.name} ({self.host}:{self.port}): {err}") from err
        try:
            if self.answers_status:
                before = self._query(sock)
                if before.state != "online":
                    # Silent or not ready: send nothing, so a late wake-up cannot print a
                    # label that is also sent again.
                    raise PrinterUnavailable(
                        f"{self.name}: {before.detail or before.state}",
                        "unavailable" if before.state == "unknown" else before.state,
                    )
            sock.sendall(data)
            if self.answers_status:
                after = self._query(sock)
                if after.state == "unknown":
                    raise PrinterUnavailable(
                        f"{self.name}: no answer after the job; it may not have printed"
                    )
                self.last_answer = after
            else:
                sock.shutdown(socket.SHUT_WR)
        except (PrinterUnavailable, OSError) as err:
            # Reset, not close: a stalled printer drops the bytes it has not read yet
            # instead of printing them after we gave up and queued the job again.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            if isinstance(err, PrinterUnavailable):
                raise
            raise PrinterUnavailable(f"{self.name} ({self.host}:{self.port}): {err}") from err
        finally:
            sock.close()

    def _connect(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=self.timeout)

    def _query(self, sock: socket.socket) -> PrinterStatus:
        sock.sendall(STATUS_QUERY)
        answer = b""
        deadline = time.monotonic() + self.timeout
        while len(answer) < 3 and time.monotonic() < deadline:
            try:
                chunk = sock.recv(3 - len(answer))
            except TimeoutError:
                break
            if not chunk:
                break
            answer += chunk
        return parse_status(answer)


class SerialPrinter:
    """A serial (or USB-CDC) ESC/POS printer."""

    def __init__(self, name: str, device: str, baud: int = 9600, *, timeout: float = 5.0) -> None:
        self.name = name
        self.device = device
        self.baud = baud
        self.timeout = timeout

    def status(self) -> PrinterStatus:
        return (
            PrinterStatus("online")
            if Path(self.device).exists()
            else PrinterStatus("unavailable", f"{self.device} is not there")  # as a job finds it
        )

    def print_job(self, data: bytes, *, job_id: int, preview_png: bytes | None = None) -> None:
        self._write(data)

    def _write(self, data: bytes) -> None:
        import serial  # pyserial

        try:
            with serial.Serial(
                self.device, self.baud, timeout=self.timeout, write_timeout=self.timeout
            ) as port:
                port.write(data)
                port.flush()  # returns once the bytes left the output buffer
        except (OSError, serial.SerialException) as err:
            raise PrinterUnavailable(f"{self.name} ({self.device}): {err}") from err


class UsbPrinter:
    """A USB ESC/POS printer, through python-escpos (needs pyusb and the device node)."""

    def __init__(self, name: str, vendor_id: int, product_id: int) -> None:
        self.name = name
        self.vendor_id = vendor_id
        self.product_id = product_id

    def status(self) -> PrinterStatus:
        return PrinterStatus("unknown", "USB printers are checked when a job is sent")

    def print_job(self, data: bytes, *, job_id: int, preview_png: bytes | None = None) -> None:
        self._write(data)

    def _write(self, data: bytes) -> None:
        from escpos.printer import Usb

        where = f"{self.name} (USB {self.vendor_id:04x}:{self.product_id:04x})"
        if not Usb.is_usable():
            raise PrinterUnavailable(f"{where}: pyusb is not installed on this machine")
        try:
            printer: Any = Usb(self.vendor_id, self.product_id)
            printer._raw(data)
            printer.close()
        except Exception as err:  # pyusb raises its own errors, not OSError
            raise PrinterUnavailable(f"{where}: {err}") from err


class FilePrinter:
    """Writes each job's bytes (and its PNG preview) to a folder: the demo's printer."""

    def __init__(self, name: str, folder: str | Path) -> None:
        self.name = name
        self.folder = Path(folder)

    def status(self) -> PrinterStatus:
        return PrinterStatus("online", str(self.folder))

    def print_job(self, data: bytes, *, job_id: int, preview_png: bytes | None = None) -> None:
        self._write(f"job-{job_id:06d}", data, preview_png)

    def _write(self, stem: str, data: bytes, preview_png: bytes | None) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = self.folder / f"{stem}.bin.part"
            partial.write_bytes(data)
            partial.replace(self.folder / f"{stem}.bin")  # whole or not at all
            if preview_png is not None:
                (self.folder / f"{stem}.png").write_bytes(preview_png)
        except OSError as err:
            raise PrinterUnavailable(f"{self.name} ({self.folder}): {err}") from err


def open_printer(kind: str, name: str, **settings: Any) -> Printer:
    """A printer from its configured kind and settings."""
    if kind == "network":
        return NetworkPrinter(
            name,
            settings["host"],
            settings.get("port", 9100),
            timeout=settings.get("timeout", 5.0),
            answers_status=settings.get("answers_status", True),
        )
    if kind == "serial":
        return SerialPrinter(name, settings["device"], settings.get("baud", 9600))
    if kind == "usb":
        return UsbPrinter(name, settings["vendor_id"], settings["product_id"])
    if kind == "file":
        return FilePrinter(name, settings["folder"])
    raise PrinterError(f"unknown printer kind {kind!r}", code="PRINTER_KIND_UNKNOWN")


def open_configured(config: Mapping[str, Any]) -> Printer:
    """A printer from its entry in the site configuration (as the server and agents get it)."""
    return open_printer(
        config["kind"],
        config["name"],
        host=config.get("host", ""),
        port=config.get("port", 9100),
        timeout=config.get("timeout_seconds", 5.0),
        answers_status=config.get("answers_status", True),
        device=config.get("device", ""),
        baud=config.get("baud", 9600),
        vendor_id=config.get("vendor_id", 0),
        product_id=config.get("product_id", 0),
        folder=config.get("folder", "var/printouts"),
    )
