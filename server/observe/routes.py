"""`/health/live`, `/health/ready` and Prometheus `/metrics`.

/metrics is read from the addresses in `[monitoring] metrics_allow_from` (loopback by
default: a Prometheus on the server itself), or from anywhere with the bearer token in
$BONDFLOOR_METRICS_TOKEN (Prometheus `authorization.credentials_file`). It names printers,
routes and alert kinds, not people, but it is still no business of the floor's Wi-Fi.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from server.config import Secrets, Settings
from server.db import Database
from server.error_codes import ERR
from server.observe.readiness import readiness_problems
from server.web import PUBLIC, allow


@get("/health/live", opt=allow(PUBLIC), sync_to_thread=False, tags=["status"])
def live() -> dict[str, str]:
    """The process answers (restart it when this fails)."""
    return {"status": "live"}


@get("/health/ready", opt=allow(PUBLIC), sync_to_thread=True, tags=["status"])
def ready(
    db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Response[dict[str, Any]]:
    """Ready for the floor: the database writes, sync is not stopped, the OMS is reachable
    and the disk is not nearly full; otherwise 503 with each problem."""
    problems = readiness_problems(db, settings, probe_write=True)
    if problems:
        return Response({"status": "not_ready", "problems": problems}, status_code=503)
    return Response({"status": "ready", "problems": []}, status_code=200)


@get("/metrics", opt=allow(PUBLIC), sync_to_thread=True, tags=["status"], include_in_schema=False)
def metrics(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings], state: State
) -> Response[bytes]:
    """Prometheus text exposition of this server's metrics."""
    if not _may_read_metrics(request, settings):
        raise ERR.UNAUTHENTICATED()
    return Response(
        generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST, status_code=200
    )


def _may_read_metrics(request: Request[Any, Any, Any], settings: Settings) -> bool:
    token = Secrets.from_env().metrics_token
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
        return True
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # the in-process test client has no address
    return any(
        address in ipaddress.ip_network(allowed, strict=False)
        for allowed in settings.monitoring.metrics_allow_from
    )


route_handlers = [live, ready, metrics]
