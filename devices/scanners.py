"""Fixed barcode scanners on serial or USB-CDC ports (pyserial).

`ScanFramer` turns the byte stream into scans: a frame ends at the configured suffix (CR,
LF or CRLF), or after a quiet gap when a scanner sends no suffix; an optional prefix is
removed; an AIM symbology identifier (`]C1`, `]d2`, `]Q3` …) is kept as metadata; the GS1
separator (0x1D) is kept. Frames split across reads are put back together. Line noise
(other control bytes, bytes that are not text, frames too long to be a barcode) is
dropped with a log line.

`SerialScanner` owns the port: a scanner that is unplugged is "unavailable, retrying",
logged once when lost and once when back, never a crash.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("bondfloor.devices.scanners")

GS = 0x1D
SUFFIXES = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n"}
_AIM = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
MAX_SCAN_BYTES = 512


@dataclass(frozen=True)
class ScannedCode:
    """One scan as the scanner sent it, framing removed."""

    text: str  # without prefix, AIM identifier and suffix; GS kept as "\x1d"
    symbology: str = ""  # the AIM identifier, e.g. "]C1" (GS1-128), "" if none was sent
    raw: bytes = b""


@dataclass
class ScanFramer:
    suffix: str = "CR"
    prefix: bytes = b""
    gap_seconds: float = 0.5  # no suffix came: a quiet gap this long ends the scan anyway
    max_bytes: int = MAX_SCAN_BYTES
    _buffer: bytearray = field(default_factory=bytearray)
    _last_byte_at: float = 0.0

    def feed(self, data: bytes, now: float) -> list[ScannedCode]:
        """Bytes as read; returns the scans they complete."""
        out = self.flush_if_quiet(now) if data else []
        if data:
            self._buffer.extend(data)
            self._last_byte_at = now
        end = SUFFIXES[self.suffix]
        while True:
            at = self._buffer.find(end)
            if at == -1:
                break
            frame = bytes(self._buffer[:at])
            del self._buffer[: at + len(end)]
            out += self._frame(frame)
        if len(self._buffer) > self.max_bytes:
            log.warning("scanner: dropped %d bytes with no end (noise?)", len(self._buffer))
            self._buffer.clear()
        return out

    def flush_if_quiet(self, now: float) -> list[ScannedCode]:
        """The inter-byte timeout: what waited longer than the gap is a whole scan."""
        if self._buffer and now - self._last_byte_at >= self.gap_seconds:
            frame = bytes(self._buffer)
            self._buffer.clear()
            return self._frame(frame)
        return []

    def _frame(self, frame: bytes) -> list[ScannedCode]:
        raw = frame
        # CR and LF around a frame are separators (a CRLF scanner set to CR, say).
        frame = frame.strip(b"\r\n")
        if self.prefix and frame.startswith(self.prefix):
            frame = frame[len(self.prefix) :]
        if not frame:
            return []
        if any((b < 0x20 and b != GS) or b == 0x7F for b in frame):
            log.warning("scanner: dropped a frame with control bytes (noise): %r", raw[:40])
            return []
        try:
            text = frame.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("scanner: dropped a frame that is not text (noise): %r", raw[:40])
            return []
        symbology = ""
        if _AIM.match(text):
            symbology, text = text[:3], text[3:]
        if not text:
            return []
        return [ScannedCode(text=text, symbology=symbology, raw=raw)]


class _ScannerThread:
    """What every fixed scanner shares: its own thread, retrying while the device is away,
    and a state logged once when lost and once when back."""

    def __init__(
        self, name: str, device: str, on_scan: Callable[[ScannedCode], None], retry_seconds: float
    ) -> None:
        self.name = name
        self.device = device
        self.on_scan = on_scan
        self.retry_seconds = retry_seconds
        self.state = "starting"  # available | unavailable
        self.detail = ""
        self.tries = 0
        """Times the device was opened or tried so far: a test waits for retries to happen
        instead of sleeping for them."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"scanner-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self._read_until_lost()
            except Exception as err:
                self._set_state("unavailable", f"{type(err).__name__}: {err}")
            self.tries += 1
            self._stop.wait(self.retry_seconds)

    def _read_until_lost(self) -> None:
        raise NotImplementedError

    def _set_state(self, state: str, detail: str) -> None:
        if state == self.state:
            return
        self.state, self.detail = state, detail
        if state == "available":
            log.info("scanner %s on %s is available", self.name, self.device)
        else:
            log.warning(
                "scanner %s on %s is unavailable, retrying: %s", self.name, self.device, detail
            )


class SerialScanner(_ScannerThread):
    """A serial or USB-CDC scanner: reads, frames and hands each scan to `on_scan`."""

    def __init__(
        self,
        name: str,
        device: str,
        on_scan: Callable[[ScannedCode], None],
        *,
        baud: int = 9600,
        parity: str = "N",
        suffix: str = "CR",
        prefix: str = "",
        retry_seconds: float = 1.0,
    ) -> None:
        super().__init__(name, device, on_scan, retry_seconds)
        self.baud = baud
        self.parity = parity
        self.framer = ScanFramer(suffix=suffix, prefix=prefix.encode())

    def _read_until_lost(self) -> None:
        """The one place that touches the port; OS errors become the unavailable state."""
        import serial  # pyserial

        try:
            port = serial.Serial(self.device, self.baud, parity=self.parity, timeout=0.05)
        except (OSError, serial.SerialException) as err:
            self._set_state("unavailable", str(err))
            return
        self._set_state("available", "")
        with port:
            while not self._stop.is_set():
                try:
                    # A byte as soon as it comes (or nothing after the timeout), then the rest
                    # that is waiting: a scan is framed when its suffix arrives, not later.
                    data = port.read(1)
                    if data and port.in_waiting:
                        data += port.read(port.in_waiting)
                except (OSError, serial.SerialException) as err:
                    self._set_state("unavailable", str(err))
                    return
                for scan in self.framer.feed(data, time.monotonic()):
                    self.on_scan(scan)
                if not data:
                    for scan in self.framer.flush_if_quiet(time.monotonic()):
                        self.on_scan(scan)


class HidScanner(_ScannerThread):
    """A keyboard-wedge scanner read from its Linux input device (python-evdev), grabbed so
    its keys do not leak to the console. Needs the optional `evdev` package."""

    def __init__(
        self,
        name: str,
        device: str,
        on_scan: Callable[[ScannedCode], None],
        *,
        layout: str = "us",
        retry_seconds: float = 1.0,
    ) -> None:
        from devices.hid_keys import HidDecoder

        super().__init__(name, device, on_scan, retry_seconds)
        self.decoder = HidDecoder(layout=layout)

    def _read_until_lost(self) -> None:
        """The one place that touches the input device."""
        try:
            import evdev
        except ImportError:
            self._set_state("unavailable", "python-evdev is not installed (pip install evdev)")
            return
        try:
            device = evdev.InputDevice(self.device)
            device.grab()
        except OSError as err:
            self._set_state("unavailable", str(err))
            return
        self._set_state("available", "")
        try:
            while not self._stop.is_set():
                event = device.read_one()
                if event is None:
                    time.sleep(0.01)
                    continue
                text = self.decoder.feed(event.type, event.code, event.value)
                if text:
                    symbology = text[:3] if _AIM.match(text) else ""
                    self.on_scan(ScannedCode(text=text[len(symbology) :], symbology=symbology))
        except OSError as err:
            self._set_state("unavailable", str(err))
        finally:
            with contextlib.suppress(OSError):
                device.ungrab()
                device.close()
