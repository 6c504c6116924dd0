"""The device library's clock: the one place devices/ reads the time of day.

devices/ never imports server/, so it keeps its own small clock, the same shape as
server/clock.py: `now()` and `stamp()` read the clock put in with `use(...)` (a test's
fixed clock) or the machine's. Durations (read timeouts, retry waits) use
`time.monotonic` and are not the clock's business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Anything that tells the current moment, aware, in UTC."""


def system_now() -> datetime:
    return datetime.now(UTC)


_clock: Clock = system_now


def now() -> datetime:
    return _clock()


def stamp() -> str:
    """Now as the spool stores it: ISO 8601, UTC, milliseconds."""
    return now().astimezone(UTC).isoformat(timespec="milliseconds")


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Read the time from `clock` until the block ends."""
    global _clock
    before, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = before
