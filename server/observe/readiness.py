"""Is this site ready to take the floor's work? Each problem named, for /health/ready and
the `status` of /health."""

from __future__ import annotations

import shutil
import socket
import sqlite3
from typing import Any
from urllib.parse import urlsplit

from server import system_writes
from server.config import Settings
from server.db import Database
from server.sync.outbox import sync_status

MB = 1024 * 1024


def readiness_problems(
    db: Database, settings: Settings, *, probe_write: bool
) -> list[dict[str, str]]:
    """What keeps the site from working normally; empty when ready. `probe_write` takes the
    one writer for an empty transaction (readiness); /health only reads."""
    problems: list[dict[str, str]] = []
    if probe_write:
        try:
            system_writes.probe_writer(db)
        except sqlite3.Error as err:
            problems.append({"check": "database", "detail": f"cannot write: {err}"})
    try:
        sync: dict[str, Any] = db.read(lambda conn: sync_status(conn, settings))
    except sqlite3.Error as err:
        problems.append({"check": "database", "detail": f"cannot read: {err}"})
        sync = {}
    if sync.get("stopped"):
        stopped = sync["stopped"]
        problems.append(
            {
                "check": "sync_stopped",
                "detail": f"OMS delivery stopped at event {stopped['seq']}: {stopped['error']}",
            }
        )
    if settings.oms.enabled:
        problems += _oms_link_problems(settings, sync)
    problems += _disk_problems(db, settings)
    return problems


def _oms_link_problems(settings: Settings, sync: dict[str, Any]) -> list[dict[str, str]]:
    host = urlsplit(settings.oms.url).hostname or ""
    try:
        socket.getaddrinfo(host, None)
    except (OSError, UnicodeError) as err:
        return [{"check": "oms_dns", "detail": f"the OMS host {host!r} does not resolve: {err}"}]
    failing = bool(sync.get("last_error")) and sync.get("attempts", 0) > 0
    if failing and sync.get("lag_seconds", 0) > settings.monitoring.oms_down_seconds:
        return [
            {
                "check": "oms_link",
                "detail": f"the OMS link has failed for over "
                f"{settings.monitoring.oms_down_seconds:.0f} s: {sync['last_error']}",
            }
        ]
    return []


def _disk_problems(db: Database, settings: Settings) -> list[dict[str, str]]:
    free = shutil.disk_usage(db.path.parent).free
    if free < settings.monitoring.disk_min_free_mb * MB:
        return [
            {
                "check": "disk",
                "detail": f"{free // MB} MB free beside the database, under "
                f"{settings.monitoring.disk_min_free_mb} MB",
            }
        ]
    return []
