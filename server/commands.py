"""The one write path: every change is a command run in one write transaction.

`run_command` checks the caller's idempotency key, runs the command's rules, records
the result under the key and writes the audit line, all in one `BEGIN IMMEDIATE`
transaction. A replay with the same key returns the stored result and changes nothing;
the same key with a different request is refused. A refused command leaves nothing but
its audit line.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from server import clock
from server.db import Database
from server.db.journal_epoch import CURRENT_EPOCH_SQL
from server.error_codes import ERR
from server.errors import DomainError
from server.sync.contract import CONTRACT

MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class Actor:
    """Who is asking: a floor user, a station, the OMS, or the system itself."""

    kind: str  # user | station | oms | system
    code: str
    roles: frozenset[str]
    device: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.code}"


SYSTEM = Actor(kind="system", code="bondfloor", roles=frozenset({"admin"}))


@dataclass
class CommandContext:
    """What a command's rules may need besides the connection."""

    actor: Actor
    key: str
    at: str = field(default_factory=lambda: utc_now())
    """When the command runs, as stored: read once from the site's clock."""
    audit_target: str = ""


@dataclass(frozen=True)
class CommandResult:
    value: Any
    replayed: bool


def utc_now() -> str:
    """The site clock's now, as stored (server/clock.py)."""
    return clock.stamp()


def request_fingerprint(name: str, payload: Any) -> str:
    return hashlib.sha256(msgspec.json.encode([name, payload], order="sorted")).hexdigest()


def command_fingerprint(actor: Actor, name: str, payload: Any) -> str:
    """What a key's command is bound to. The caller is part of it: one device's key never
    returns another's result."""
    return request_fingerprint(name, [actor.label, payload])


def check_idempotency_key(key: str | None) -> str:
    if not key:
        raise ERR.IDEMPOTENCY_KEY_REQUIRED()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ERR.IDEMPOTENCY_KEY_INVALID(max_length=MAX_KEY_LENGTH)
    return key


def stored_result(
    conn: sqlite3.Connection, key: str, name: str, fingerprint: str
) -> CommandResult | None:
    """The result a finished command stored under `key` (a replay), or None when none has;
    the key under another command or request is refused."""
    row = conn.execute(
        "SELECT name, request_hash, result FROM commands WHERE key = ?", (key,)
    ).fetchone()
    if row is None:
        return None
    if row["name"] != name or row["request_hash"] != fingerprint:
        raise ERR.IDEMPOTENCY_KEY_REUSED({"key": key, "first_command": row["name"]})
    return CommandResult(msgspec.json.decode(row["result"]), replayed=True)


def finished_command(
    db: Database, actor: Actor, name: str, key: str | None, payload: Any
) -> CommandResult | None:
    """A replay's stored result read on a read-only connection, before a command's costly
    preparation (a close's statements, an import file parsed): None for a key no finished
    command holds, or one that is missing or malformed (the command itself says why)."""
    try:
        key = check_idempotency_key(key)
    except DomainError:
        return None
    fingerprint = command_fingerprint(actor, name, payload)
    return db.read(lambda conn: stored_result(conn, key, name, fingerprint))


def run_command(
    db: Database,
    actor: Actor,
    name: str,
    key: str | None,
    payload: Any,
    rules: Callable[[sqlite3.Connection, CommandContext], Any],
) -> CommandResult:
    """Run `rules(conn, ctx)` once for `key`; replays return the first result."""
    key = check_idempotency_key(key)
    fingerprint = command_fingerprint(actor, name, payload)
    tried: list[CommandContext] = []  # what a refused attempt was about, for its audit line

    def transaction(conn: sqlite3.Connection) -> CommandResult:
        done = stored_result(conn, key, name, fingerprint)
        if done is not None:
            return done
        ctx = CommandContext(actor=actor, key=key)
        tried.append(ctx)
        encoded = msgspec.json.encode(rules(conn, ctx))
        conn.execute(
            "INSERT INTO commands (key, name, request_hash, result, actor, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key, name, fingerprint, encoded.decode(), actor.label, ctx.at),
        )
        write_audit(conn, actor, name, target=ctx.audit_target, outcome="ok", details={"key": key})
        return CommandResult(msgspec.json.decode(encoded), replayed=False)

    try:
        return db._write(transaction)
    except DomainError as err:
        if err.code != ERR.IDEMPOTENCY_KEY_REUSED.code:
            target = tried[-1].audit_target if tried else ""
            record_refusal(db, actor, name, err, details={"key": key}, target=target)
        raise


def append_event(
    conn: sqlite3.Connection, ctx: CommandContext, type_: str, payload: msgspec.Struct
) -> int:
    """Append to the events journal (the OMS outbox) inside the command's transaction.

    The payload is its type's struct in the contract (server/sync/contract.py): a field
    misnamed or left out fails where the event is built, not at the OMS."""
    registered = CONTRACT.get(type_)
    expected = registered.payload if registered else msgspec.Struct
    if not isinstance(payload, expected) or (registered and type(payload) is not expected):
        raise TypeError(
            f"a {type_} event is built from {expected.__name__}, not {type(payload).__name__}"
        )
    # A type the contract lacks (the ledger's `stock.load`, which no flow posts) is written
    # at version 1; tests/sync/test_contract.py refuses such types in the floor's flows.
    version = registered.version if registered else 1
    cur = conn.execute(
        "INSERT INTO events (at, type, version, payload, command_key, epoch) "
        f"VALUES (?, ?, ?, ?, ?, {CURRENT_EPOCH_SQL})",
        (ctx.at, type_, version, msgspec.json.encode(payload).decode(), ctx.key),
    )
    return int(cur.lastrowid or 0)


def write_audit(
    conn: sqlite3.Connection,
    actor: Actor,
    action: str,
    *,
    target: str = "",
    outcome: str = "ok",
    code: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        "INSERT INTO audit (at, actor, roles, device, action, target, outcome, code, details) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            utc_now(),
            actor.label,
            ",".join(sorted(actor.roles)),
            actor.device,
            action,
            target,
            outcome,
            code,
            msgspec.json.encode(details or {}).decode(),
        ),
    )


def record_refusal(
    db: Database,
    actor: Actor,
    action: str,
    err: DomainError,
    *,
    details: dict[str, Any] | None = None,
    target: str = "",
) -> None:
    """Audit a refused or denied attempt in its own small transaction: what was refused,
    on what, and the refusal's details (which list, which ID ending, which rule)."""
    outcome = "denied" if err.status_code in (401, 403) else "refused"
    db._write(
        lambda conn: write_audit(
            conn,
            actor,
            action,
            target=target,
            outcome=outcome,
            code=err.code,
            details={**(details or {}), "refusal": err.details},
        )
    )
