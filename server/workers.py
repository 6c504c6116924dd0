"""Background workers run by the app's lifespan: each a loop on its own thread.

A worker's step is a plain function over the database; errors are logged and counted,
never allowed to stop the server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from server import clock, system_writes
from server.db import Database
from server.disk_full import log_background_failure

log = logging.getLogger("bondfloor.workers")


class Worker:
    def __init__(
        self,
        name: str,
        step: Callable[[Database], Any],
        interval_seconds: float,
        *,
        more_to_do: Callable[[Any], bool] = lambda _: False,
        first_wait_seconds: float = 0,
    ) -> None:
        """`more_to_do(result)`: the step stopped with work left, so run it again at once
        instead of waiting out the interval (a backlog is drained, not trickled).
        `first_wait_seconds`: wait this long before the first step."""
        self.name = name
        self._step = step
        self._interval = interval_seconds
        self._more_to_do = more_to_do
        self._first_wait = first_wait_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0
        self.last_error = ""

    def start(self, db: Database) -> None:
        self._thread = threading.Thread(
            target=self._loop, args=(db,), name=f"worker-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def status(self) -> dict[str, Any]:
        alive = self._thread is not None and self._thread.is_alive()
        return {"running": alive, "runs": self.runs, "last_error": self.last_error}

    def _loop(self, db: Database) -> None:
        if self._first_wait:
            self._stop.wait(self._first_wait)
        while not self._stop.is_set():
            again = False
            try:
                again = self._more_to_do(self._step(db))
                self.last_error = ""
            except Exception as err:  # a worker must outlive any one failure
                self.last_error = f"{type(err).__name__}: {err}"
                log_background_failure(log, f"worker {self.name} failed", err)
            self.runs += 1
            if not again:
                self._stop.wait(self._interval)


def end_expired_sessions(db: Database, idle_minutes: float | None = None) -> int:
    """Close sessions past their expiry, or idle longer than `idle_minutes`, so the session
    list shows who is really on shift."""
    now = clock.now()
    idle_since = (now - timedelta(minutes=idle_minutes)).isoformat() if idle_minutes else ""
    return system_writes.end_expired_sessions(db, now.isoformat(), idle_since)
