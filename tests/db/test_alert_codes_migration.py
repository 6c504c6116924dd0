"""0023_alert_message_codes: an alert stored before alerts had message codes is listed
with code '' and its English message, which the supervisor's page shows as it is."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from server.alerts.service import list_alerts
from server.db.migrations import apply_migrations, migrations


def test_an_alert_stored_before_the_upgrade_keeps_its_message_and_has_no_code() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    migrations.apply(sqlite_utils.Database(conn), stop_before="0023_alert_message_codes")
    at = "2026-11-23T09:30:00.000+00:00"
    conn.execute(
        "INSERT INTO alerts (kind, subject, severity, message, details, first_seen_at, "
        "last_seen_at) VALUES ('PRINTER_UNAVAILABLE', 'label-1', 'warning', ?, ?, ?, ?)",
        ("paper_out since 2026-11-23T09:29:00+00:00: paper end", '{"state": "paper_out"}', at, at),
    )
    assert "0023_alert_message_codes" in apply_migrations(conn)
    [alert] = list_alerts(conn)
    assert alert["code"] == "" and alert["params"] == {}
    assert alert["message"] == "paper_out since 2026-11-23T09:29:00+00:00: paper end"
    assert alert["details"] == {"state": "paper_out"}
