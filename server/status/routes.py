"""`/health` for monitoring, and the public client settings the handheld reads first."""

from __future__ import annotations

import time
from typing import Any

from litestar import get
from litestar.datastructures import State
from litestar.di import NamedDependency

from server import __version__
from server.config import Settings
from server.db import Database
from server.observe.readiness import readiness_problems
from server.stations.agent_link import agents_health
from server.sync.outbox import sync_status
from server.tls.service import tls_health
from server.web import PUBLIC, allow


@get("/health", opt=allow(PUBLIC), sync_to_thread=True, tags=["status"])
def health(
    db: NamedDependency[Database], settings: NamedDependency[Settings], state: State
) -> dict[str, Any]:
    """Is the server up and its database readable; where the events journal stands. Always
    200 while it answers: `status` is `degraded` with `problems` when /health/ready fails."""
    last_seq = db.read(
        lambda conn: conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
    )
    problems = readiness_problems(db, settings, probe_write=False)
    return {
        "status": "degraded" if problems else "ok",
        "problems": problems,
        "site": settings.site.code,
        "version": __version__,
        "uptime_seconds": round(time.monotonic() - state.started_at, 1),
        "events": {"last_seq": last_seq},
        "workers": {name: worker.status() for name, worker in state.workers.items()},
        "printing": {
            **(state.printing.status() if "printing" in state else {}),
            **db.read(_print_queue),
        },
        "stations": db.read(lambda conn: agents_health(conn, settings)),
        "sync": db.read(lambda conn: sync_status(conn, settings)),
        "tls": tls_health(settings),
    }


def _print_queue(conn: Any) -> dict[str, int]:
    rows = conn.execute(
        "SELECT status, COUNT(*) FROM print_jobs WHERE status IN ('queued', 'sending', 'failed') "
        "GROUP BY status"
    ).fetchall()
    counts = dict(rows)
    return {
        "queued": counts.get("queued", 0) + counts.get("sending", 0),
        "failed": counts.get("failed", 0),
    }


@get("/api/v1/client-config", opt=allow(PUBLIC), sync_to_thread=False, tags=["status"])
def client_config(settings: NamedDependency[Settings]) -> dict[str, Any]:
    """What the handheld needs before login: site, scan settings, role labels, stations."""
    return {
        # Pages show server times (UTC) on the site's clock, wherever the device is set.
        "site": {
            "code": settings.site.code,
            "name": settings.site.name,
            "timezone": settings.site.timezone,
        },
        "scan": {
            "gs_placeholder": settings.scan.gs_placeholder,
            "max_interkey_ms": settings.scan.max_interkey_ms,
            "suffixes": settings.scan.suffixes,
            "max_quantity_per_scan": settings.scan.max_quantity_per_scan,
        },
        "roles": {
            role: {"zh": labels.label_zh, "en": labels.label_en}
            for role, labels in settings.roles.items()
        },
        "stations": [
            {"name": st.name, "kind": st.kind, "printers": st.printers} for st in settings.stations
        ],
        # A bench with a scale: take the stable weight by tap, or pack by itself once stable.
        "packing": {"scale_take": settings.outbound.scale_take},
        "version": __version__,
    }


route_handlers = [health, client_config]
