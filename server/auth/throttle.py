"""What keeps a login flood from guessing PINs, locking out people or starving the floor.

Two things live in the server process (they are about this moment, not about the site's
records, so they are not in the database):

- `AddressThrottle`: failed logins per client address, with growing delays. An address
  that keeps failing waits longer and longer before it may try again; its attempts in
  the meantime are answered 429 at once, without a PIN check or a write.
- `PinCheckPool`: the slow scrypt PIN checks run a few at a time, with a short queue;
  an attempt beyond it is answered 429 at once, so logins never take the threads that
  serve scans.

Per-user delays and the lock are kept on the user's row (they must survive a restart
and be lifted by an unlock): see `server.auth.service.login`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from server.config import AuthSettings
from server.error_codes import ERR
from server.errors import TooManyRequests

Clock = Callable[[], float]
FORGET_AFTER_SECONDS = 24 * 3600
"""An address without a failed login for this long starts afresh."""
MAX_ADDRESSES = 10_000
"""Addresses remembered at most (the oldest are forgotten first)."""


def delay_after(failures: int, settings: AuthSettings) -> float:
    """Seconds to wait after `failures` failed logins in a row: none for the first few,
    then the first delay, doubling with each further failure, up to the longest delay."""
    over = failures - settings.login_free_failures
    if over < 0:
        return 0.0
    first = settings.login_delay_seconds
    return min(first * 2 ** min(over, 64), settings.login_max_delay_seconds)


def login_throttled(retry_after: float, why: str) -> TooManyRequests:
    seconds = max(1, math.ceil(retry_after))
    details = {"retry_after": seconds, "why": why}
    return TooManyRequests(
        ERR.LOGIN_THROTTLED.message(details),
        code=ERR.LOGIN_THROTTLED.code,
        details=details,
        retry_after=seconds,
    )


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    refused: int = 0  # attempts answered 429 since the last audit line about this address
    in_flight: int = 0  # attempts admitted and not yet decided


class AddressThrottle:
    """Failed logins per client address, forgotten after a long quiet or a success."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, _Failures] = {}

    def retry_after(self, address: str, settings: AuthSettings) -> float:
        """Seconds until `address` may try again (0: now); a refused try is counted.

        Attempts still being decided count as failures: a burst of concurrent logins
        from one address gets no more free tries than the same attempts one by one."""
        with self._lock:
            entry = self._seen.get(address)
            if entry is None:
                return 0.0
            pending = entry.count + entry.in_flight
            wait = entry.last + delay_after(entry.count, settings) - self._clock()
            if pending >= settings.login_free_failures and (entry.in_flight or wait > 0):
                entry.refused += 1
                return max(wait, 1.0)
            return 0.0

    @contextmanager
    def admit(self, address: str, settings: AuthSettings) -> Iterator[None]:
        """One attempt from `address`, or LOGIN_THROTTLED when it must wait."""
        wait = self.retry_after(address, settings)
        if wait > 0:
            raise login_throttled(wait, "address")
        with self._lock:
            self._seen.setdefault(address, _Failures()).in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                entry = self._seen.get(address)
                if entry is not None:
                    entry.in_flight = max(0, entry.in_flight - 1)
                    if not (entry.count or entry.refused or entry.in_flight):
                        del self._seen[address]  # nothing to remember of it

    def failed(self, address: str, settings: AuthSettings) -> tuple[int, int]:
        """Count a failure; returns (failures in a row, attempts refused since last told)."""
        with self._lock:
            now = self._clock()
            self._forget_quiet(now, settings)
            entry = self._seen.setdefault(address, _Failures())
            entry.count += 1
            entry.last = now
            refused, entry.refused = entry.refused, 0
            return entry.count, refused

    def succeeded(self, address: str) -> int:
        """A good login from `address` clears its failures; returns the refused count."""
        with self._lock:
            entry = self._seen.get(address)
            if entry is None:
                return 0
            refused = entry.refused
            entry.count = entry.refused = 0
            return refused

    def _forget_quiet(self, now: float, settings: AuthSettings) -> None:
        # Only a long quiet gives an address its free failures back: were it soon, one
        # address could lock a user again and again in bursts. The table stays bounded
        # even when an attacker makes up addresses.
        for address in [
            a
            for a, e in self._seen.items()
            if now - e.last > FORGET_AFTER_SECONDS and not e.in_flight
        ]:
            del self._seen[address]
        if len(self._seen) >= MAX_ADDRESSES:
            oldest = sorted(self._seen, key=lambda a: self._seen[a].last)
            for address in oldest[: len(oldest) - MAX_ADDRESSES + 1]:
                del self._seen[address]


@dataclass
class PinCheckPool:
    """At most `workers` PIN checks at once and `queue` more waiting; the rest get 429."""

    workers: int
    queue: int
    running: int = 0
    most_running: int = 0  # the highest `running` seen: tests check the bound holds
    _admitted: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _slots: threading.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self._slots = threading.Semaphore(self.workers)

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            if self._admitted >= self.workers + self.queue:
                raise login_throttled(1, "busy")
            self._admitted += 1
        try:
            with self._slots:
                with self._lock:
                    self.running += 1
                    self.most_running = max(self.most_running, self.running)
                try:
                    yield
                finally:
                    with self._lock:
                        self.running -= 1
        finally:
            with self._lock:
                self._admitted -= 1


@dataclass
class LoginGate:
    """Everything a login passes through in this server process."""

    addresses: AddressThrottle
    pin_checks: PinCheckPool

    @classmethod
    def for_settings(cls, settings: AuthSettings, clock: Clock = time.monotonic) -> LoginGate:
        return cls(
            addresses=AddressThrottle(clock),
            pin_checks=PinCheckPool(workers=settings.pin_hash_workers, queue=settings.login_queue),
        )
