"""Scales on serial ports (pyserial): the three protocols a pack bench meets, and the
thread that reads one.

- `toledo8217`: request-response, Mettler Toledo 8217 and the many scales that imitate it
  (PS60, Brecknell EH-SCP, …). The host sends `W`; the scale answers `STX weight CR`
  (digits with their decimal point, an `N` after them when the weight is net, some
  imitations add the unit) or, when it has no weight to give, `STX ? status CR`. The
  status byte: bit 0 in motion, bit 1 over capacity, bit 2 under zero, bit 3 outside the
  zero capture range, bit 4 centre of zero, bits 5 and 6 always 1, bit 7 parity. `T` tares
  and `Z` zeroes; both answer with the status. Often 9600 baud, 7 data bits, even parity.
- `continuous`: the line most bench scales and indicators sold in China send by themselves,
  several times a second: `ST,GS,+  1.234kg` CR LF. ST / US: stable or not (OL: overload);
  GS / NT: gross or net; the sign (`+`, `-` or a space), the weight with its decimal point,
  the unit (kg, g, lb; any case).
- `xk3190`: the Yaohua XK3190 indicators' continuous "format 1": `=` then the displayed
  weight's 7 characters lowest digit first (decimal point included), then the sign, `0`
  or `-`: 3.000 comes as `=000.3000`, -1.00 as `=00.1000-`. The frame says neither the
  unit (the scale's `unit` setting) nor whether the weight is still: a weight counts as
  stable once it has not changed for `settle_seconds`.

None of the three sends the tare's value: a net weight says a tare is in (`net`), and
`tare_g` stays 0 ("not told"), never a guess.

Weights become integer grams: kg × 1000, lb × 453.59237 (the international pound), g as
is, computed in decimal and rounded half away from zero (1.2345 kg is 1235 g, a
pound is 454 g). A frame that cannot be read is skipped and counted (`garbled`), with a log
line for the first one and every hundredth, never an exception.

`ScaleReader` owns the port on its own thread, like a serial scanner: a scale that is
unplugged is `unplugged` until its device node is back, then opened again; one that sends
nothing (or is not answering `W`) is `no_answer`.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from devices import clock

log = logging.getLogger("bondfloor.devices.scales")

Unit = Literal["kg", "g", "lb"]
GRAMS_PER_UNIT: dict[str, Decimal] = {
    "kg": Decimal(1000),
    "g": Decimal(1),
    "lb": Decimal("453.59237"),
}
STX, CR, LF, ETX = 0x02, 0x0D, 0x0A, 0x03
MAX_FRAME_BYTES = 64
"""Longer than any frame of these protocols: what grows past it is noise."""


class Garbled(ValueError):
    """A frame that is not a reading of this protocol."""


@dataclass(frozen=True)
class ScaleReading:
    """One reading as the scale gave it, in grams.

    `grams` is None when the scale gave no weight: a toledo8217 in motion or out of range
    answers its status only.
    """

    grams: int | None
    stable: bool
    net: bool = False
    tare_g: int = 0
    unit: Unit = "kg"
    raw: str = ""
    over_capacity: bool = False
    under_zero: bool = False
    centre_of_zero: bool = False


def to_grams(value: Decimal, unit: str) -> int:
    """A weight in `unit` as whole grams, rounded half away from zero."""
    try:
        factor = GRAMS_PER_UNIT[unit]
    except KeyError:
        raise Garbled(f"unit {unit!r} is not kg, g or lb") from None
    return int((value * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _number(text: str) -> Decimal:
    if not re.fullmatch(r"\d+(\.\d*)?|\.\d+", text):
        raise Garbled(f"not a weight: {text!r}")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise Garbled(f"not a weight: {text!r}") from None


def _printable(frame: bytes) -> str:
    return frame.decode("ascii", "backslashreplace")[:64]


# -- toledo8217 ----------------------------------------------------------------------------

_TOLEDO_WEIGHT = re.compile(
    r"^\s*(?P<sign>-)?\s*(?P<num>[0-9.]+)\s*(?P<unit>kg|lb|g)?\s*(?P<net>N)?\s*$", re.IGNORECASE
)
MOTION, OVER_CAPACITY, UNDER_ZERO, CENTRE_OF_ZERO = 0x01, 0x02, 0x04, 0x10


def parse_toledo(frame: bytes, unit: Unit = "kg") -> ScaleReading:
    """The answer to `W`, between STX and CR: a weight, or `?` and the status byte."""
    raw = _printable(frame)
    if frame.startswith(b"?"):
        if len(frame) != 2:
            raise Garbled(f"a status answer is ? and one byte: {raw!r}")
        status = frame[1] & 0x7F  # bit 7 is parity when the port reads 8 bits
        if status & 0x60 != 0x60:
            raise Garbled(f"not a status byte (bits 5 and 6 are always set): {raw!r}")
        return ScaleReading(
            grams=None,
            stable=not status & MOTION,
            unit=unit,
            raw=raw,
            over_capacity=bool(status & OVER_CAPACITY),
            under_zero=bool(status & UNDER_ZERO),
            centre_of_zero=bool(status & CENTRE_OF_ZERO),
        )
    try:
        text = frame.decode("ascii")
    except UnicodeDecodeError:
        raise Garbled(f"not text: {raw!r}") from None
    match = _TOLEDO_WEIGHT.match(text)
    if match is None:
        raise Garbled(f"not a weight: {raw!r}")
    said_unit = (match["unit"] or unit).lower()
    grams = to_grams(_number(match["num"]), said_unit)
    # The scale answers a weight only when it is still: in motion it answers its status.
    return ScaleReading(
        grams=-grams if match["sign"] else grams,
        stable=True,
        net=bool(match["net"]),
        unit=said_unit,  # type: ignore[arg-type]
        raw=raw,
        centre_of_zero=grams == 0,
    )


@dataclass
class ToledoFramer:
    """Answers out of the byte stream: from STX to CR; stray LF/ETX between them ignored."""

    unit: Unit = "kg"
    garbled: int = 0
    _buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[ScaleReading]:
        self._buffer.extend(data)
        out: list[ScaleReading] = []
        while True:
            start = self._buffer.find(bytes([STX]))
            if start == -1:
                if self._buffer.strip(b"\r\n\x03 "):
                    self._skip(bytes(self._buffer), "bytes outside a frame")
                self._buffer.clear()
                break
            if self._buffer[:start].strip(b"\r\n\x03 "):
                self._skip(bytes(self._buffer[:start]), "bytes outside a frame")
            del self._buffer[:start]
            end = self._buffer.find(bytes([CR]))
            if end == -1:
                if len(self._buffer) > MAX_FRAME_BYTES:
                    self._skip(bytes(self._buffer), "a frame with no end")
                    self._buffer.clear()
                break
            frame = bytes(self._buffer[1:end])
            del self._buffer[: end + 1]
            try:
                out.append(parse_toledo(frame, self.unit))
            except Garbled as err:
                self._skip(frame, str(err))
        return out

    def _skip(self, frame: bytes, why: str) -> None:
        self.garbled = _count_garbled(self.garbled, frame, why)


def _count_garbled(count: int, frame: bytes, why: str) -> int:
    count += 1
    if count == 1 or count % 100 == 0:
        log.warning("scale: skipped a garbled frame (%d so far): %s: %r", count, why, frame[:40])
    return count


# -- continuous lines -------------------------------------------------------------------

_LINE = re.compile(
    r"^(?P<state>ST|US)\s*,\s*(?P<mode>GS|NT)\s*,?\s*(?P<sign>[+-])?\s*(?P<num>[0-9.]+)"
    r"\s*(?P<unit>kg|lb|g)$",
    re.IGNORECASE,
)
_OVERLOAD = re.compile(r"^OL\s*,", re.IGNORECASE)


def parse_line(line: bytes) -> ScaleReading:
    """One `ST,GS,+  1.234kg` line, its CR LF removed."""
    raw = _printable(line)
    try:
        text = line.decode("ascii").strip()
    except UnicodeDecodeError:
        raise Garbled(f"not text: {raw!r}") from None
    if _OVERLOAD.match(text):
        net = ",NT" in text.upper()
        return ScaleReading(grams=None, stable=False, net=net, raw=raw, over_capacity=True)
    match = _LINE.match(text)
    if match is None:
        raise Garbled(f"not a ST/US,GS/NT line: {raw!r}")
    unit = match["unit"].lower()
    grams = to_grams(_number(match["num"]), unit)
    return ScaleReading(
        grams=-grams if match["sign"] == "-" else grams,
        stable=match["state"].upper() == "ST",
        net=match["mode"].upper() == "NT",
        unit=unit,  # type: ignore[arg-type]
        raw=raw,
        centre_of_zero=grams == 0,
    )


@dataclass
class LineFramer:
    """Lines out of the byte stream: each ends at CR, LF or both."""

    garbled: int = 0
    _buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes, now: float = 0.0) -> list[ScaleReading]:
        self._buffer.extend(data)
        out: list[ScaleReading] = []
        while True:
            ends = [at for at in (self._buffer.find(b"\r"), self._buffer.find(b"\n")) if at != -1]
            if not ends:
                if len(self._buffer) > MAX_FRAME_BYTES:
                    self.garbled = _count_garbled(
                        self.garbled, bytes(self._buffer), "a line with no end"
                    )
                    self._buffer.clear()
                break
            at = min(ends)
            line = bytes(self._buffer[:at])
            del self._buffer[: at + 1]
            if not line.strip():
                continue
            try:
                out.append(parse_line(line))
            except Garbled as err:
                self.garbled = _count_garbled(self.garbled, line, str(err))
        return out


# -- xk3190 "=" frames ---------------------------------------------------------------------

XK_FRAME_BYTES = 8
"""After the `=`: 7 characters of the weight, lowest first, and the sign."""


def parse_xk3190(frame: bytes, unit: Unit = "kg") -> Decimal:
    """The weight of one frame (the bytes after `=`), in the scale's unit."""
    raw = _printable(frame)
    if len(frame) != XK_FRAME_BYTES:
        raise Garbled(f"an XK3190 frame is 8 characters after '=': {raw!r}")
    try:
        text = frame.decode("ascii")
    except UnicodeDecodeError:
        raise Garbled(f"not text: {raw!r}") from None
    digits, sign = text[:7][::-1], text[7]
    if sign not in "0-":
        raise Garbled(f"the sign is 0 or -: {raw!r}")
    value = _number(digits)
    return -value if sign == "-" else value


@dataclass
class XkFramer:
    """Frames out of the stream (each starts at `=`); stable once unchanged long enough."""

    unit: Unit = "kg"
    settle_seconds: float = 0.5
    garbled: int = 0
    _buffer: bytearray = field(default_factory=bytearray)
    _value: Decimal | None = None
    _since: float = 0.0

    def feed(self, data: bytes, now: float) -> list[ScaleReading]:
        self._buffer.extend(data)
        out: list[ScaleReading] = []
        while True:
            start = self._buffer.find(b"=")
            if start == -1:
                if len(self._buffer) > MAX_FRAME_BYTES:
                    self._skip(bytes(self._buffer), "no '=' in the stream")
                    self._buffer.clear()
                break
            if self._buffer[:start].strip(b"\r\n "):
                self._skip(bytes(self._buffer[:start]), "bytes outside a frame")
            del self._buffer[:start]
            if len(self._buffer) < 1 + XK_FRAME_BYTES:
                break
            frame = bytes(self._buffer[1 : 1 + XK_FRAME_BYTES])
            following = self._buffer.find(b"=", 1)
            if following != -1 and following < 1 + XK_FRAME_BYTES:
                # A frame cut short (a byte lost): the next one starts inside it.
                self._skip(bytes(self._buffer[:following]), "a frame cut short")
                del self._buffer[:following]
                continue
            del self._buffer[: 1 + XK_FRAME_BYTES]
            try:
                value = parse_xk3190(frame, self.unit)
            except Garbled as err:
                self._skip(frame, str(err))
                continue
            out.append(self._reading(value, frame, now))
        return out

    def _reading(self, value: Decimal, frame: bytes, now: float) -> ScaleReading:
        if value != self._value:
            self._value, self._since = value, now
        grams = to_grams(value, self.unit)
        return ScaleReading(
            grams=grams,
            stable=now - self._since >= self.settle_seconds,
            unit=self.unit,
            raw="=" + _printable(frame),
            centre_of_zero=grams == 0,
        )

    def _skip(self, frame: bytes, why: str) -> None:
        self.garbled = _count_garbled(self.garbled, frame, why)


# -- the reader thread -----------------------------------------------------------------

ScaleState = Literal["starting", "reading", "unplugged", "no_answer"]
NO_ANSWER_SECONDS = 1.5
"""A scale that gave no reading for this long is `no_answer` (a continuous scale sends
several a second; a toledo8217 is asked every `poll_seconds`)."""


class ScaleReader:
    """One scale on its own thread: the latest reading, and whether the scale is there.

    `on_change` is called (on the reader's thread) whenever the reading or the state
    changes: a new weight, stable or not, net or not, unplugged, no answer, back.
    """

    def __init__(
        self,
        name: str,
        device: str,
        *,
        kind: str = "continuous",
        baud: int = 9600,
        parity: str = "N",
        bytesize: int = 8,
        unit: Unit = "kg",
        poll_seconds: float = 0.2,
        no_answer_seconds: float = NO_ANSWER_SECONDS,
        retry_seconds: float = 0.5,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        if kind not in ("toledo8217", "continuous", "xk3190"):
            raise ValueError(f"unknown scale kind {kind!r}")
        self.name, self.device, self.kind = name, device, kind
        self.baud, self.parity, self.bytesize, self.unit = baud, parity, bytesize, unit
        self.poll_seconds = poll_seconds
        self.no_answer_seconds = no_answer_seconds
        self.retry_seconds = retry_seconds
        self.on_change = on_change or (lambda: None)
        self.state: ScaleState = "starting"
        self.detail = ""
        self.reading: ScaleReading | None = None
        self.read_at = ""  # when the last reading came (ISO 8601, devices/clock.py)
        self.opened = 0
        """Times the port was opened: a test waits for a reopen instead of sleeping."""
        self._framer: Any = self._new_framer()
        self._garbled_before = 0
        self._commands: list[bytes] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def garbled(self) -> int:
        """Frames skipped since the reader started (every port opened)."""
        return self._garbled_before + int(self._framer.garbled)

    def _new_framer(self) -> Any:
        if self.kind == "toledo8217":
            return ToledoFramer(unit=self.unit)
        if self.kind == "xk3190":
            return XkFramer(unit=self.unit)
        return LineFramer()

    # -- life -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"scale-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def tare(self) -> None:
        """Ask a toledo8217 to tare (`T`); the others take no commands."""
        self._command(b"T")

    def zero(self) -> None:
        """Ask a toledo8217 to zero (`Z`)."""
        self._command(b"Z")

    def _command(self, command: bytes) -> None:
        if self.kind != "toledo8217":
            raise ValueError(f"a {self.kind} scale takes no commands")
        with self._lock:
            self._commands.append(command)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self._read_until_lost()
            except Exception as err:  # a surprise from the port: retried, never a crash
                self._set_state("unplugged", f"{type(err).__name__}: {err}")
            self._stop.wait(self.retry_seconds)

    def _read_until_lost(self) -> None:
        """The one place that touches the port; OS errors become the unplugged state."""
        import serial  # pyserial

        if not os.path.exists(self.device):
            self._set_state("unplugged", f"{self.device} is not there")
            return
        try:
            port = serial.Serial(
                self.device,
                self.baud,
                parity=self.parity,
                bytesize=self.bytesize,
                timeout=0.05,
            )
        except (OSError, serial.SerialException) as err:
            self._set_state("unplugged", str(err))
            return
        self.opened += 1
        self._garbled_before += int(self._framer.garbled)
        self._framer = self._new_framer()
        heard = time.monotonic()
        self._set_state("no_answer" if self.state == "no_answer" else "starting", "port open")
        with port:
            asked = 0.0
            while not self._stop.is_set():
                if not os.path.exists(self.device):
                    self._set_state("unplugged", f"{self.device} went away")
                    return
                now = time.monotonic()
                try:
                    if self.kind == "toledo8217" and now - asked >= self.poll_seconds:
                        port.write(self._next_command())
                        asked = now
                    data = port.read(1)
                    if data and port.in_waiting:
                        data += port.read(port.in_waiting)
                except (OSError, serial.SerialException) as err:
                    self._set_state("unplugged", str(err))
                    return
                now = time.monotonic()
                readings = self._feed(data, now)
                for reading in readings:
                    self._keep(reading, now)
                if readings:
                    heard = now
                elif now - heard >= self.no_answer_seconds:
                    self._set_state("no_answer", f"no reading for {self.no_answer_seconds:g} s")

    def _next_command(self) -> bytes:
        with self._lock:
            return self._commands.pop(0) if self._commands else b"W"

    def _feed(self, data: bytes, now: float) -> list[ScaleReading]:
        if not data:
            return []
        if self.kind == "toledo8217":
            return list(self._framer.feed(data))
        return list(self._framer.feed(data, now))

    def _keep(self, reading: ScaleReading, now: float) -> None:
        before = self.reading
        if reading.grams is None:
            # In motion or out of range a toledo8217 says no weight: keep showing the last
            # one (as not stable), or nothing over/under capacity.
            out_of_range = reading.over_capacity or reading.under_zero
            last = None if before is None or out_of_range else before.grams
            reading = replace(
                reading, grams=last, stable=False, net=before.net if before else False
            )
        self.reading, self.read_at = reading, clock.stamp()
        changed = before is None or _shown(before) != _shown(reading)
        state_changed = self.state != "reading"
        self._set_state("reading", "", notify=False)
        if changed or state_changed:
            self.on_change()

    def _set_state(self, state: ScaleState, detail: str, notify: bool = True) -> None:
        if state == self.state:
            return
        self.state, self.detail = state, detail
        if state == "reading":
            log.info("scale %s on %s is reading", self.name, self.device)
        elif state in ("unplugged", "no_answer"):
            log.warning("scale %s on %s: %s, retrying: %s", self.name, self.device, state, detail)
        if notify:
            self.on_change()

    def report(self) -> dict[str, Any]:
        """What the agent posts: the reading (grams, stable, net, …), or the state."""
        if self.state in ("unplugged", "no_answer"):
            return {"state": self.state, "scale": self.name}
        reading = self.reading
        if reading is None or self.state != "reading":
            return {}
        return {
            "grams": reading.grams if reading.grams is not None else 0,
            "stable": reading.stable and reading.grams is not None,
            "net": reading.net,
            "tare_g": reading.tare_g,
            "unit": reading.unit,
            "raw": reading.raw[:64],
            "scale": self.name,
            "read_at": self.read_at,
        }


def _shown(reading: ScaleReading) -> tuple[Any, ...]:
    """What the pack page shows of a reading: a change here is worth sending at once."""
    return (reading.grams, reading.stable, reading.net, reading.tare_g, reading.unit)
