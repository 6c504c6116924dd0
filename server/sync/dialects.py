"""How events reach one kind of OMS: the seam between the outbox and an OMS's dialect.

The outbox decides *which* events go next and what an answer means for the cursor; a
dialect decides *how* they are said: which HTTP calls carry a batch of journal rows, and
whether an answer is an acknowledgement. Adding an OMS means adding a dialect here, never
touching the slices that write the journal.

- `webhook` (the default): one JSON POST per batch, every event in it (docs/events.md).
- `qimen`: the Qimen-style WMS calls (entryorder.confirm, deliveryorder.confirm,
  inventory.report), one call per event that has a meaning there, `outBizCode` = the
  event's key; other events have no call and count as delivered.

Every event's key is `site:epoch:seq` (`event_key`): a restored database never repeats one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import msgspec

from server.config import Secrets, Settings


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (connection refused, reset, timed out)
    detail: str


@dataclass(frozen=True)
class Call:
    """One HTTP POST that carries some of a batch's events."""

    url: str
    body: bytes
    headers: dict[str, str]


class Dialect(Protocol):
    def calls(self, conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[Call]:
        """The calls that deliver these journal rows, in sequence order (may be none)."""
        ...

    def judge(self, answer: Answer) -> Answer:
        """The answer in HTTP terms: 2xx taken, 4xx refused, anything else passing trouble."""
        ...


def event_key(settings: Settings, seq: int, epoch: str) -> str:
    """The idempotency key of one event: `site:epoch:seq`, the same on every resend and
    never given to another event, even by a restored or copied database (see
    server/db/journal_epoch.py). Events from before epochs keep their `site:seq`."""
    site = settings.site.code
    return f"{site}:{epoch}:{seq}" if epoch else f"{site}:{seq}"


def row_key(settings: Settings, row: sqlite3.Row) -> str:
    return event_key(settings, row["seq"], row["epoch"])


def batch_idempotency_key(settings: Settings, rows: list[sqlite3.Row]) -> str:
    """`<first key>..<last key>`: the first and last keys name the batch's events, and no
    other batch, since no key is ever reused."""
    return f"{row_key(settings, rows[0])}..{row_key(settings, rows[-1])}"


def batch_body(settings: Settings, rows: list[sqlite3.Row]) -> bytes:
    return msgspec.json.encode(
        {
            "site": settings.site.code,
            "events": [
                {
                    "key": row_key(settings, r),
                    "epoch": r["epoch"],
                    "seq": r["seq"],
                    "type": r["type"],
                    "version": r["version"],
                    "at": r["at"],
                    "payload": msgspec.json.decode(r["payload"]),
                }
                for r in rows
            ],
        }
    )


class Webhook:
    """The default: the whole batch as JSON in one POST, acknowledged by any 2xx."""

    def __init__(self, settings: Settings, secrets: Secrets) -> None:
        self.settings = settings
        self.secrets = secrets

    def calls(self, conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[Call]:
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": batch_idempotency_key(self.settings, rows),
        }
        if self.secrets.oms_token:
            headers["Authorization"] = f"Bearer {self.secrets.oms_token}"
        return [Call(self.settings.oms.url, batch_body(self.settings, rows), headers)]

    def judge(self, answer: Answer) -> Answer:
        return answer


def _qimen(settings: Settings, secrets: Secrets) -> Dialect:
    from server.sync.qimen import Qimen  # only sites that speak it load it

    return Qimen(settings, secrets)


DIALECTS: dict[str, Callable[[Settings, Secrets], Dialect]] = {
    "webhook": Webhook,
    "qimen": _qimen,
}


def dialect_for(settings: Settings, secrets: Secrets) -> Dialect:
    return DIALECTS[settings.oms.dialect](settings, secrets)
