"""The OMS link's answers to supervisors: delivery status, a retry and a skip."""

from __future__ import annotations

from msgspec import Struct


class StoppedAt(Struct, kw_only=True):
    """The event the OMS refused, where delivery stopped."""

    seq: int
    error: str


class JournalEpoch(Struct, kw_only=True):
    """The epoch new events are keyed in (see server/db/journal_epoch.py)."""

    id: str
    after_seq: int
    reason: str
    started_at: str


class LastRestore(Struct, kw_only=True):
    at: str
    epoch: str
    after_seq: int


class SyncStatus(Struct, kw_only=True):
    """Delivery of the events journal to the OMS: backlog, lag, last error, a stop."""

    enabled: bool
    delivered_seq: int
    last_seq: int
    backlog: int
    lag_seconds: float
    attempts: int
    next_attempt_at: str
    last_error: str
    last_ok_at: str | None
    stopped: StoppedAt | None
    epoch: JournalEpoch | None
    last_restore: LastRestore | None


class Retrying(Struct, kw_only=True):
    retrying_seq: int


class Skipped(Struct, kw_only=True):
    skipped_seq: int
    reason: str
