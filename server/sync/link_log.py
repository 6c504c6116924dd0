"""The OMS link's state in the log: once when it starts failing, once when it stops on a
refused event, once when it is back (Home Assistant's "logged once when lost and once when
back"). A retry that fails like the one before writes nothing: the backoff would otherwise
fill the journal with the same line every few seconds."""

from __future__ import annotations

import logging

log = logging.getLogger("bondfloor.sync")


class LinkStateLog:
    """Log the delivery's changes of state: ok → failing → stopped → ok."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self._log = logger
        self.state = "ok"
        self._failures = 0

    def delivered(self) -> None:
        if self.state != "ok":
            self._log.info(
                "OMS delivery recovered after %d failed attempt(s)",
                self._failures,
                extra={"sync_state": "ok", "failed_attempts": self._failures},
            )
        self.state, self._failures = "ok", 0

    def failed(self, status: int, detail: str) -> None:
        self._failures += 1
        if self.state != "failing":
            self._log.warning(
                "OMS delivery failing (%s): %s; retrying with backoff, logged again when it "
                "recovers or stops",
                status or "no answer",
                detail,
                extra={"sync_state": "failing", "oms_status": status},
            )
        self.state = "failing"

    def stopped(self, seq: int, status: int, detail: str) -> None:
        self._failures += 1
        if self.state != "stopped":
            self._log.error(
                "OMS delivery stopped: the OMS refused event %d (%s): %s; a supervisor "
                "retries or skips it on the sync page",
                seq,
                status,
                detail,
                extra={"sync_state": "stopped", "seq": seq, "oms_status": status},
            )
        self.state = "stopped"
