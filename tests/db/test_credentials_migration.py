"""0021_credentials: badges already stored, and badge codes already written to station
scans, their stored answers and the audit log, are hashed or masked."""

from __future__ import annotations

import hashlib
import sqlite3

import msgspec
import sqlite_utils

from server.db.migrations import apply_migrations, migrations

BADGE = "BF-BADGE-1006"


def test_the_credentials_migration_hashes_badges_and_masks_those_already_scanned() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    migrations.apply(sqlite_utils.Database(conn), stop_before="0021_credentials")
    at = "2026-01-01T08:00:00+00:00"
    conn.execute(
        "INSERT INTO users (code, name, roles, pin_hash, badge, created_at) "
        "VALUES ('sup01', 'S', 'supervisor', 'x', ?, ?)",
        (BADGE, at),
    )
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ('t', 1, ?, ?)",
        (at, at),
    )
    scan = {"id": 1, "code": BADGE, "action": "sign_in", "outcome": "ok"}
    conn.execute(
        "INSERT INTO station_scans (station, scan_key, code, scanned_at, received_at, action, "
        "outcome) VALUES ('pack-01', 'k1', ?, ?, ?, 'sign_in', 'ok'), "
        "('pack-01', 'k2', 'SF123', ?, ?, 'pack_scan', 'ok')",
        (BADGE, at, at, at, at),
    )
    conn.execute(
        "INSERT INTO commands (key, name, request_hash, result, actor, at) "
        "VALUES ('k1', 'station.scan', 'h', ?, 'station:pack-01', ?)",
        (msgspec.json.encode(scan).decode(), at),
    )
    conn.execute(
        "INSERT INTO audit (at, actor, action, target, outcome, details) VALUES "
        "(?, 'station:door-1', 'station.sign_in', 'station:door-1', 'refused', ?), "
        "(?, 'user:-', 'login', ?, 'denied', '{}')",
        (at, msgspec.json.encode({"scanned": BADGE, "key": "k3"}).decode(), at, "badge:1006"),
    )

    assert apply_migrations(conn)[0] == "0021_credentials"

    user = conn.execute("SELECT badge, badge_hash FROM users").fetchone()
    assert (user["badge"], user["badge_hash"]) == (None, hashlib.sha256(BADGE.encode()).hexdigest())
    session = conn.execute("SELECT public_id, last_used_at FROM sessions").fetchone()
    assert len(session["public_id"]) == 16 and session["last_used_at"] == at
    codes = [r[0] for r in conn.execute("SELECT code FROM station_scans ORDER BY id")]
    assert codes == ["****06", "SF123"]
    assert (
        msgspec.json.decode(conn.execute("SELECT result FROM commands").fetchone()[0])["code"]
        == "****06"
    )
    dump = "\n".join(conn.iterdump())
    assert BADGE not in dump
    targets = [r[0] for r in conn.execute("SELECT target FROM audit ORDER BY id")]
    assert targets == ["station:door-1", "badge:****06"]
    # The audit log is append-only again once the scrub is done.
    try:
        conn.execute("UPDATE audit SET target = 'x'")
    except sqlite3.IntegrityError as err:
        assert "append-only" in str(err)
    else:
        raise AssertionError("the audit log took an update")
