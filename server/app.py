"""The one composition root: every slice's routes, the error table, lifespan workers."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, Router
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from server import __version__
from server.alerts import routes as alert_routes
from server.alerts.service import check_alerts
from server.api_page import FloorSwaggerRenderPlugin
from server.app_shell import AppShell, long_lived_when_versioned, service_worker_route
from server.auth import routes as auth_routes
from server.auth.throttle import LoginGate
from server.backups import CHECK_SECONDS as BACKUP_CHECK_SECONDS
from server.backups import run_scheduled_backup
from server.billing import routes as billing_routes
from server.config import Secrets, Settings, load_settings
from server.counts import routes as count_routes
from server.counts.service import run_scheduled_counts
from server.db import Database
from server.discovery import Advertiser
from server.disk_full import storage_error_handlers
from server.dock import routes as dock_routes
from server.errors import DomainError
from server.handheld_files import HandheldFiles
from server.inbound import routes as inbound_routes
from server.labels import routes as label_routes
from server.ledger import routes as ledger_routes
from server.masterdata import routes as masterdata_routes
from server.moves import routes as move_routes
from server.observe import routes as observe_routes
from server.observe.metrics import FloorMetrics
from server.observe.requests import RequestObserver
from server.openapi_doc import FloorJsonRenderPlugin
from server.outbound import floor_routes as outbound_floor_routes
from server.outbound import routes as outbound_routes
from server.outbound.waves import run_automatic_waves
from server.printing import routes as printing_routes
from server.printing.dispatch import PrintDispatcher
from server.putaway import routes as putaway_routes
from server.reconcile import routes as reconcile_routes
from server.security_headers import add_security_headers
from server.stations import routes as station_routes
from server.status import routes as status_routes
from server.stock import routes as stock_routes
from server.sync import routes as sync_routes
from server.sync.outbox import Outbox
from server.sync.signature import oms_signature_middleware
from server.tls import routes as tls_routes
from server.trace import routes as trace_routes
from server.transfer import compression_config, not_modified_when_unchanged
from server.web import (
    PUBLIC,
    FloorRequest,
    allow,
    check_request,
    guard_request,
    handle_domain_error,
    handle_http_exception,
    handle_unexpected,
    not_found_as_error_shape,
    provide_actor,
    provide_db,
    provide_printing,
    provide_settings,
    streamline_litestar,
)
from server.workers import Worker, end_expired_sessions

log = logging.getLogger("bondfloor")

SLICES = [
    auth_routes,
    alert_routes,
    masterdata_routes,
    ledger_routes,
    stock_routes,
    inbound_routes,
    putaway_routes,
    move_routes,
    outbound_routes,
    outbound_floor_routes,
    printing_routes,
    label_routes,
    dock_routes,
    station_routes,
    sync_routes,
    reconcile_routes,
    trace_routes,
    status_routes,
    observe_routes,
    count_routes,
    billing_routes,
    tls_routes,
]


def handheld_web_dir() -> Path:
    """The handheld pages: beside the package in a checkout, inside it when installed."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "handheld_web", here / "handheld_web"):
        if (candidate / "index.html").is_file():
            return candidate
    raise FileNotFoundError("handheld_web/ not found beside or inside the server package")


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the application; settings default to $BONDFLOOR_CONFIG or the built-in defaults."""
    settings = settings or load_settings()
    streamline_litestar()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The site's settings as the app holds them: the same object in a server, and a
        # test that serves another site file from an app built once gives its own.
        settings: Settings = app.state.settings
        # Sync handlers run in the loop's default pool, which asyncio sizes by CPUs (6
        # threads on 2 cores): a handler waiting for its commit holds one, so no more than
        # 6 writes could ever share a commit however many handhelds were waiting.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(settings.server.handler_threads, thread_name_prefix="handler")
        )
        db = Database(
            settings.database.path,
            busy_timeout_ms=settings.database.busy_timeout_ms,
            wal_autocheckpoint=settings.database.wal_autocheckpoint_pages,
            group_commit_max=settings.database.group_commit_max,
            group_commit_wait_ms=settings.database.group_commit_wait_ms,
            bulk_chunk_ms=settings.database.bulk_chunk_ms,
        )
        applied = db.migrate()
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        workers = {
            "sessions": Worker(
                "sessions",
                lambda db: end_expired_sessions(db, settings.auth.session_idle_minutes),
                interval_seconds=300,
            )
        }
        if settings.outbound.auto_wave_minutes:
            workers["waves"] = Worker(
                "waves",
                lambda db: run_automatic_waves(db, settings),
                interval_seconds=settings.outbound.auto_wave_minutes * 60,
            )
        if settings.alerts.check_seconds:
            workers["alerts"] = Worker(
                "alerts",
                lambda db: check_alerts(db, settings),
                interval_seconds=settings.alerts.check_seconds,
                first_wait_seconds=settings.alerts.check_seconds,
            )
        if settings.counts.schedule_class_a_days:
            workers["counts"] = Worker(
                "counts", lambda db: run_scheduled_counts(db, settings), interval_seconds=3600
            )
        if settings.backup.enabled:
            workers["backup"] = Worker(
                "backup",
                lambda db: run_scheduled_backup(db, settings),
                interval_seconds=BACKUP_CHECK_SECONDS,
            )
        if settings.oms.enabled:
            delivery = Outbox(settings)
            workers["sync"] = Worker(
                "sync",
                delivery.drain,
                interval_seconds=settings.oms.poll_seconds,
                more_to_do=lambda outcome: outcome == "sent",
            )
        printing = PrintDispatcher(db, settings)
        app.state.db = db
        app.state.metrics.watch(db, settings)
        app.state.workers = workers
        app.state.printing = printing
        for worker in workers.values():
            worker.start(db)
        printing.start()
        advertiser = Advertiser(settings) if settings.discovery.advertise else None
        if advertiser is not None:
            await advertiser.start()
        # What import and start-up made lives as long as the server: out of the cycle
        # collector's sight, a full collection (which stops every thread) walks only what
        # requests and bulk work leave, not ~70,000 more objects (170 ms on a busy 2 cores).
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            if advertiser is not None:
                await advertiser.stop()
            printing.stop()
            for worker in workers.values():
                worker.stop()
            db.close()

    shell = AppShell(handheld_web_dir())
    static = create_static_files_router(
        path="/",
        directories=[handheld_web_dir()],
        html_mode=True,
        opt=allow(PUBLIC),
        name="handheld",
        file_system=HandheldFiles(),
        # Revalidate every time: after an upgrade a handheld must not mix old and new modules;
        # answer that revalidation with a 304 when the file has not changed. A URL carrying
        # the shell's version (the service worker's precache) is kept a year instead.
        cache_control=CacheControlHeader(no_cache=True),
        after_request=long_lived_when_versioned(shell, not_modified_when_unchanged),
    )
    app = Litestar(
        route_handlers=[
            *(h for s in SLICES for h in s.route_handlers),
            service_worker_route(shell),
            static,
        ],
        guards=[guard_request],
        before_request=check_request,
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "printing": Provide(provide_printing, sync_to_thread=False),
        },
        exception_handlers={
            DomainError: handle_domain_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
            **storage_error_handlers(),
        },
        lifespan=[lifespan],
        state=_initial_state(settings),
        request_class=FloorRequest,
        before_send=[add_security_headers],
        compression_config=compression_config(),
        middleware=[
            oms_signature_middleware(
                Secrets.from_env().oms_hmac_secret, settings.oms.max_clock_skew_seconds
            )
        ],
        request_max_body_size=settings.server.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="bondfloor",
            version=__version__,
            use_handler_docstrings=True,
            render_plugins=[FloorJsonRenderPlugin(), FloorSwaggerRenderPlugin()],
            openapi_router=Router(
                path="/schema",
                route_handlers=[],
                opt=allow(PUBLIC),
                include_in_schema=False,
                after_request=not_found_as_error_shape,
            ),
        ),
        debug=False,
        logging_config=None,  # the server's one format is set by `serve` (server/observe/logs.py)
    )
    # Outside routing, so unmatched paths are counted and logged too.
    app.asgi_handler = RequestObserver(
        app.asgi_handler, app.state.metrics, access=settings.logging.access_log
    )
    return app


def _initial_state(settings: Settings) -> State:
    return State(
        {
            "settings": settings,
            "started_at": time.monotonic(),
            "workers": {},
            "login_gate": LoginGate.for_settings(settings.auth),
            "metrics": FloorMetrics(),
        }
    )
