"""0024_user_admin: users stored before keep their badge (listed as set, its mask unknown),
take their last login from their sessions, and have no language of their own."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from server.auth.service import hash_badge, list_api_tokens, list_users
from server.db.migrations import apply_migrations, migrations


def test_users_and_tokens_stored_before_the_upgrade() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    migrations.apply(sqlite_utils.Database(conn), stop_before="0024_user_admin")
    at = "2026-11-23T09:30:00.000+00:00"
    conn.execute(
        "INSERT INTO users (code, name, roles, pin_hash, badge_hash, created_at) "
        "VALUES ('pk1', 'P', 'picker', 'x', ?, ?), ('pk2', 'Q', 'packer', 'x', NULL, ?)",
        (hash_badge("BADGE-OLD-0001"), at, at),
    )
    conn.execute(
        "INSERT INTO sessions (token_hash, public_id, user_id, created_at, expires_at) "
        "VALUES ('h1', 'p1', 1, '2026-11-20T08:00:00+00:00', ?), "
        "('h2', 'p2', 1, '2026-11-22T08:00:00+00:00', ?)",
        (at, at),
    )
    conn.execute(
        "INSERT INTO api_tokens (name, kind, token_hash, created_at) VALUES ('s1', 'station', 'h', ?)",
        (at,),
    )
    assert "0024_user_admin" in apply_migrations(conn)
    first, second = list_users(conn)
    assert (first["badge"], first["language"]) == ("****", "")
    assert first["last_login_at"] == "2026-11-22T08:00:00+00:00"
    assert (second["badge"], second["last_login_at"]) == (None, None)
    assert list_api_tokens(conn) == [
        {"name": "s1", "kind": "station", "created_at": at, "last_used_at": None}
    ]
