"""The site's clock: the one place the server reads the time of day.

Whatever needs "now" asks this module (`now()`, `stamp()`, `today(timezone)`), which asks
the site's one `Clock`: the `SystemClock` unless another was put in with `use(...)`. A test
puts in a `ManualClock` and moves it (a session running out, a backoff ending, a backup a
second later) instead of sleeping; commands (`CommandContext.at`), workers, services and
the guard all read the same clock, in every thread. tests/test_one_clock.py forbids reading
the time anywhere else in server/. Durations and deadlines (timeouts, waits for a socket)
use `time.monotonic`, which no clock replaces: they measure real waiting.

One clock per process, not per app: a site runs one app, and the clock must reach code
that is handed only a connection (a query's "open sessions", the site's today in a route)
without every signature carrying it.
"""

from __future__ import annotations

import threading
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta


class Clock:
    """Tells the time; `now` is the one method a clock must have."""

    def now(self) -> datetime:
        """The current moment, aware, in UTC."""
        raise NotImplementedError


class SystemClock(Clock):
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock(Clock):
    """A clock a test moves. Given `start`, it stands still there until advanced; without,
    it follows the machine's clock plus whatever it was advanced by (so code that expects
    time to pass between two calls still sees it pass)."""

    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("a clock's start needs a time zone")
        self._start = start
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            base = self._start if self._start is not None else datetime.now(UTC)
            return (base + self._offset).astimezone(UTC)

    def advance(self, delta: timedelta | None = None, /, **parts: float) -> datetime:
        """Move forward by `delta` or by `timedelta(**parts)` (seconds=, minutes=, days=...);
        returns the new now."""
        step = delta if delta is not None else timedelta(**parts)
        if step < timedelta():
            raise ValueError("a clock does not go back; make a new one")
        with self._lock:
            self._offset += step
        return self.now()


_site_clock: Clock = SystemClock()


def now() -> datetime:
    """The current moment, aware, in UTC."""
    return _site_clock.now()


def stamp(moment: datetime | None = None) -> str:
    """`moment` (default now) as times are stored: ISO 8601, UTC, milliseconds."""
    return (moment or now()).astimezone(UTC).isoformat(timespec="milliseconds")


def today(timezone: str) -> date:
    """Today's date where the site is (its day starts at its own midnight)."""
    return now().astimezone(zoneinfo.ZoneInfo(timezone)).date()


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Read the time from `clock` until the block ends (tests; a replay tool)."""
    global _site_clock
    before, _site_clock = _site_clock, clock
    try:
        yield clock
    finally:
        _site_clock = before
