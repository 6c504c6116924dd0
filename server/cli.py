"""The `bondfloor` command: serve, init, demo, check-config, tls, backup, restore, service,
user, token, import, station (the station agent), discover and oms-sim (a simulated OMS)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sqlite3
import sys
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import msgspec

from server.chunked import run_chunked_command
from server.commands import Actor, run_command
from server.config import CONFIG_ENV, ConfigError, Settings, check_config_file, load_settings
from server.db import Database
from server.db.database import DatabaseBusy
from server.db.migrations import NewerDatabase
from server.discovery import LISTEN_ENV
from server.errors import DomainError
from server.observe.logs import configure_logging, logging_dictconfig


class Context:
    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path)
            except ConfigError as err:
                for line in err.errors:
                    click.echo(line, err=True)
                raise SystemExit(2) from err
        return self._settings

    def database(self) -> Database:
        try:
            db = Database(
                self.settings.database.path,
                busy_timeout_ms=self.settings.database.busy_timeout_ms,
                wal_autocheckpoint=self.settings.database.wal_autocheckpoint_pages,
                group_commit_max=self.settings.database.group_commit_max,
                group_commit_wait_ms=self.settings.database.group_commit_wait_ms,
                bulk_chunk_ms=self.settings.database.bulk_chunk_ms,
            )
        except DatabaseBusy as err:
            raise click.ClickException(str(err)) from err
        _migrate(db)
        return db


def _migrate(db: Database) -> list[str]:
    try:
        return db.migrate()
    except NewerDatabase as err:
        db.close()
        raise click.ClickException(str(err)) from err


pass_context = click.make_pass_decorator(Context)
CLI_ACTOR = Actor(
    kind="system", code=f"cli:{os.environ.get('USER', 'root')}", roles=frozenset({"admin"})
)


@click.group()
@click.option(
    "--config",
    "config_path",
    envvar=CONFIG_ENV,
    type=click.Path(dir_okay=False),
    help="Settings file (TOML); defaults to $BONDFLOOR_CONFIG, else built-in defaults.",
)
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """bondfloor — the floor server of a bonded warehouse."""
    ctx.obj = Context(config_path)


@main.command()
@click.option("--host", help="Listen address (default: server.host).")
@click.option("--port", type=int, help="Listen port (default: server.port).")
@click.option(
    "--asgi",
    type=click.Choice(["granian", "uvicorn"]),
    default="granian",
    show_default=True,
    help="ASGI server to run the app on.",
)
@pass_context
def serve(obj: Context, host: str | None, port: int | None, asgi: str) -> None:
    """Run the HTTP server (creates or migrates the database first)."""
    settings = obj.settings
    obj.database().close()
    host = host or settings.server.host
    port = port or settings.server.port
    if obj.config_path:
        os.environ[CONFIG_ENV] = str(Path(obj.config_path).resolve())
    os.environ[LISTEN_ENV] = f"{host}:{port}"  # what the server advertises by mDNS
    # Log lines, not echoes: with `[logging] format = "json"` every line is JSON.
    configure_logging(settings.logging)
    log = logging.getLogger("bondfloor")
    tls = _tls_files(settings, host, log)
    scheme = "https" if tls else "http"
    log.info("site %s serving on %s://%s:%d/", settings.site.code, scheme, _url_host(host), port)
    if tls and settings.tls.redirect_port:
        from server.app import handheld_web_dir
        from server.tls.plain_http import start_plain_http

        try:
            start_plain_http(settings, host, port, handheld_web_dir())
        except OSError as err:
            raise click.ClickException(
                f"cannot listen on plain http port {settings.tls.redirect_port}: {err}"
            ) from err
        log.info(
            "plain http on port %d redirects to https; handhelds install the site CA from "
            "http://%s:%d/ca.html",
            settings.tls.redirect_port,
            _url_host(host),
            settings.tls.redirect_port,
        )
    run_asgi(asgi, host, port, logging_dictconfig(settings.logging), tls)


WORKER_STOP_SECONDS = 30
"""How long a stopping worker may take to finish its requests before it is killed; the
systemd units allow a little more (TimeoutStopSec)."""


def _tls_files(settings: Settings, host: str, log: logging.Logger) -> tuple[str, str] | None:
    """The certificate and key to serve, after checking them; None for plain HTTP."""
    from server.tls.service import CertificateProblem, check_certificate, serves_https

    if not serves_https(settings, host):
        if settings.tls.enabled:
            log.info("no certificate yet (bondfloor tls init): plain http on loopback only")
        return None
    try:
        status = check_certificate(settings.tls)
    except CertificateProblem as err:
        raise click.ClickException(f"cannot serve HTTPS: {err}") from err
    log.info("certificate %s: %d days left", status.subject, status.days_left)
    return settings.tls.cert, settings.tls.key


def run_asgi(
    asgi: str,
    host: str,
    port: int,
    log_config: dict[str, Any] | None = None,
    tls: tuple[str, str] | None = None,
) -> None:
    """Serve the app; `log_config` (server/observe/logs.py) gives the server's lines and the
    app's one format; `tls` is the certificate and key to serve HTTPS with."""
    cert, key = tls or (None, None)
    if asgi == "uvicorn":
        import uvicorn

        uvicorn.run(
            "server.app:create_app",
            factory=True,
            host=host,
            port=port,
            log_level="warning",
            log_config=log_config,
            access_log=False,  # the app writes its own access log
            ssl_certfile=cert,
            ssl_keyfile=key,
        )
        return
    from granian.constants import Interfaces
    from granian.server import Server

    Server(
        "server.app:create_app",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=1,  # one process: the single SQLite writer lives in it
        log_access=False,  # the app writes its own access log, with route and user
        log_dictconfig=log_config,
        # A worker that dies (killed, out of memory) is started again at once: the floor
        # comes back in seconds instead of the whole server exiting. A worker that keeps
        # dying within seconds makes granian exit non-zero, and systemd restarts it.
        respawn_failed_workers=True,
        # SIGTERM: stop accepting, let in-flight requests finish and the lifespan close
        # the database, but never hang a shutdown for longer than this.
        workers_kill_timeout=WORKER_STOP_SECONDS,
        ssl_cert=Path(cert) if cert else None,
        ssl_key=Path(key) if key else None,
    ).serve()


def _url_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host


@main.command()
@pass_context
def init(obj: Context) -> None:
    """Create the database (or apply pending migrations)."""
    db = Database(obj.settings.database.path)
    applied = _migrate(db)
    db.close()
    click.echo(
        f"database {obj.settings.database.path}: "
        + (f"applied {', '.join(applied)}" if applied else "up to date")
    )


@main.command()
@pass_context
def demo(obj: Context) -> None:
    """Seed the demo warehouse (safe to run again) and print the demo logins."""
    from server.demo import DEMO_PIN, DEMO_USERS, seed_demo

    db = obj.database()
    try:
        seed_demo(db, obj.settings, log=click.echo)
        token_path = _write_sim_token(db, obj.settings)
    finally:
        db.close()
    s = obj.settings.server
    click.echo(f"\n  Open http://{_url_host(s.host)}:{s.port}/ on a phone-sized browser.\n")
    click.echo(f"  The simulated OMS (bondfloor oms-sim) uses the token in {token_path}.")
    click.echo("  Demo logins (PIN " + DEMO_PIN + " for all; or scan the badge):")
    with_pin = set(obj.settings.auth.badge_pin_roles)
    for u in DEMO_USERS:
        needs = " + PIN" if u.role in with_pin else ""
        click.echo(f"    {u.code:<8} {u.role:<11} badge {u.badge}{needs}")
    click.echo("")


def _write_sim_token(db: Database, settings: Settings) -> Path:
    """The demo's simulated OMS gets a fresh OMS token, kept beside the database."""
    from server import system_writes

    key = f"cli:{uuid.uuid4()}"
    made = system_writes.issue_api_token(db, CLI_ACTOR, key, "oms-sim", "oms", replace=True)
    path = Path(settings.database.path).parent / "oms-sim.token"
    path.write_text(f"{made['token']}\n", encoding="utf-8")
    path.chmod(0o600)
    return path


@main.command("check-config")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@pass_context
def check_config(obj: Context, path: str | None) -> None:
    """Check a settings file; print every error with file, key path and reason."""
    path = path or obj.config_path
    if path is None:
        click.echo(
            "no settings file given (--config or $BONDFLOOR_CONFIG); built-in defaults are used"
        )
        return
    errors = check_config_file(path)
    if not errors:
        errors = _certificate_errors(path)
    for line in errors:
        click.echo(line, err=True)
    if errors:
        raise SystemExit(1)
    click.echo(f"{path}: ok")
    _say_certificate(path)


def _certificate_errors(path: str) -> list[str]:
    """A site with HTTPS on needs a certificate and key that match and have not expired
    (a loopback server without any yet serves plain HTTP, which is not an error)."""
    from server.tls.service import CertificateProblem, check_certificate, serves_https

    settings = load_settings(path)
    if not serves_https(settings, settings.server.host):
        return []
    try:
        check_certificate(settings.tls)
    except CertificateProblem as err:
        return [f"{path}: tls: {err}"]
    return []


def _say_certificate(path: str) -> None:
    from server.tls.service import served_certificate_status

    status = served_certificate_status(load_settings(path))
    if status is not None:
        click.echo(
            f"tls: {status.subject}, valid until {status.not_after:%Y-%m-%d} "
            f"({status.days_left} days), for {', '.join(status.names)}"
        )


class _BackupGroup(click.Group):
    """`bondfloor backup FILE` stays what it was (one copy to FILE): a first argument that
    names no subcommand is the target of `backup to`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["to", *args]
        return super().parse_args(ctx, args)


@main.group(cls=_BackupGroup)
def backup() -> None:
    """Backups: `backup FILE` (one copy), `backup now` (into backup.folder, with
    retention), `backup litestream-config` (continuous replication)."""


@backup.command("to", hidden=True)
@click.argument("target", type=click.Path(dir_okay=False))
@pass_context
def backup_to(obj: Context, target: str) -> None:
    """Write a consistent copy of the live database to TARGET (safe while serving)."""
    if Path(target).exists():
        raise click.ClickException(f"{target} exists; choose a new file")
    db = obj.database()
    try:
        db.backup(target)
    finally:
        db.close()
    click.echo(f"backup written to {target}")


@backup.command("now")
@pass_context
def backup_now(obj: Context) -> None:
    """Make a backup into backup.folder now (named by site and time) and prune beyond
    backup.keep / backup.keep_days, as the server's scheduled backup does."""
    from server import clock
    from server.backups import list_backups, make_backup, prune

    settings = obj.settings
    folder = Path(settings.backup.folder)
    now = clock.now()
    db = obj.database()
    try:
        made = make_backup(db, settings.site.code, folder, now)
    finally:
        db.close()
    removed = prune(list_backups(folder, settings.site.code), settings.backup, now)
    click.echo(f"backup written to {made}")
    for path in removed:
        click.echo(f"  removed {path} (beyond retention)")


@backup.command("litestream-config")
@click.option(
    "--to",
    "replica",
    required=True,
    help="Replica: an absolute folder (a NAS mount) or s3://BUCKET/PATH; the site code is "
    "added below it.",
)
@click.option("--endpoint", default="", help="S3-compatible store's URL (MinIO, a NAS).")
@click.option("--region", default="", help="S3 region.")
@click.option(
    "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout."
)
@pass_context
def backup_litestream_config(
    obj: Context, replica: str, endpoint: str, region: str, output: str | None
) -> None:
    """Print the litestream.yml that replicates this site's database continuously."""
    from server.litestream_config import litestream_yaml

    settings = obj.settings
    try:
        text = litestream_yaml(
            Path(settings.database.path).resolve(),
            replica,
            settings.site.code,
            endpoint=endpoint,
            region=region,
        )
    except ValueError as err:
        raise click.ClickException(str(err)) from err
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"litestream config written to {output}")
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("backup_path", metavar="BACKUP", type=click.Path(dir_okay=False))
@pass_context
def restore(obj: Context, backup_path: str) -> None:
    """Put BACKUP in place of the site database (the server must be stopped).

    Checks the backup, keeps the replaced file beside it, and begins a new journal epoch:
    events written from now on never reuse a key the OMS has already seen. Moves the SSCC
    counter past what the time since the backup could have used (docs/backups.md)."""
    from server.db.restore import RestoreRefused, restore_database

    settings = obj.settings
    target = Path(settings.database.path)
    try:
        done = restore_database(
            Path(backup_path),
            target,
            CLI_ACTOR.code,
            sscc_prefixes=(settings.site.gs1_company_prefix,),
            sscc_gap=settings.labels.sscc_restore_gap,
        )
    except RestoreRefused as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"restored {backup_path} to {done.target}")
    if done.replaced is not None:
        click.echo(f"  the replaced database is kept as {done.replaced}")
    if done.applied:
        click.echo(f"  applied {', '.join(done.applied)}")
    click.echo(
        f"  journal: last event {done.last_seq}, {done.undelivered} not yet delivered; "
        f"new events in epoch {done.epoch}"
    )
    click.echo(
        "  events the OMS took after this backup stay there (their keys are never reused); "
        "reconcile what they changed"
    )
    for jump in done.sscc_jumps:
        click.echo(
            f"  SSCC serials under {jump.prefix}: the counter moved from {jump.before} to "
            f"{jump.after} (the time since the backup could have used {jump.needed}), so "
            f"labels printed after the backup are never given again; {jump.left} left"
        )


@main.command("check-ledger")
@pass_context
def check_ledger(obj: Context) -> None:
    """Check that every stock balance equals the sum of its ledger movements (after a
    restore, say); exit 1 and list the differences when not."""
    from server.ledger.service import balances_from_movements, stored_balances

    db = obj.database()
    try:
        computed, stored = db.read(balances_from_movements), db.read(stored_balances)
    finally:
        db.close()
    differ = sorted(k for k in computed.keys() | stored.keys() if computed.get(k) != stored.get(k))
    for key in differ[:20]:
        click.echo(
            f"(location, customer, sku, lot, expiry) {key}: balance {stored.get(key, 0)}, "
            f"movements {computed.get(key, 0)}",
            err=True,
        )
    if differ:
        raise click.ClickException(f"{len(differ)} balance(s) differ from the ledger")
    click.echo(f"ledger ok: {len(stored)} balances equal the sum of their movements")


@main.group()
def service() -> None:
    """systemd units for this machine (docs/service.md)."""


@service.command("unit")
@click.argument("kind", type=click.Choice(["server", "station", "agent", "litestream"]))
@click.option("--user", "unit_user", default="bondfloor", show_default=True)
@click.option(
    "--bin-dir",
    default=lambda: str(Path(sys.executable).parent),
    show_default="this installation's bin folder",
    help="Folder holding bondfloor (and litestream).",
)
@click.option("--data-dir", default="/var/lib/bondfloor", show_default=True)
@click.option("--config-file", default="/etc/bondfloor/bondfloor.toml", show_default=True)
def service_unit(kind: str, unit_user: str, bin_dir: str, data_dir: str, config_file: str) -> None:
    """Print the systemd unit for KIND (server, station agent (`station` or `agent`), or
    Litestream beside the server); deploy/ holds them with the documented default paths."""
    from server.service_units import UnitPaths, render_unit

    paths = UnitPaths(bin_dir=bin_dir, user=unit_user, data_dir=data_dir, config=config_file)
    click.echo(render_unit("station" if kind == "agent" else kind, paths), nl=False)


@main.group()
def tls() -> None:
    """HTTPS: the site CA and the server certificate."""


@tls.command("init")
@click.option(
    "--days", type=int, help="Days the server certificate is valid (default: tls.cert_days)."
)
@pass_context
def tls_init(obj: Context, days: int | None) -> None:
    """Make the site CA (kept if it exists) and a server certificate for tls.names and
    tls.addresses; run it again after changing them, or to renew."""
    from server.tls.service import CertificateProblem, make_site_certificates

    settings = obj.settings
    try:
        made = make_site_certificates(settings.tls, settings.site.code, cert_days=days)
    except CertificateProblem as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"site CA {made.ca_cert} ({'new' if made.ca_made else 'kept'})")
    names = [*settings.tls.names, *settings.tls.addresses]
    click.echo(f"server certificate {made.cert}, key {made.key}, for {', '.join(names)}")
    if made.ca_made:
        click.echo(
            "handhelds install the new CA from http://<server>:"
            f"{settings.tls.redirect_port}/ca.html"
        )


@main.group()
def user() -> None:
    """List, add, disable, enable, unlock users, reset PINs."""


def _echo_table(headers: list[str], rows: list[list[str]]) -> None:
    """Columns padded by their width on a terminal (a Chinese character takes two)."""

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    widths = [max(width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        cells = [cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)]
        click.echo("  ".join(cells).rstrip())


def _listed(
    obj: Context, read: Callable[[sqlite3.Connection], list[dict[str, object]]], as_json: bool
) -> list[dict[str, object]] | None:
    """What `read` lists; printed as one JSON array (and None returned) with --json."""
    db = obj.database()
    try:
        rows = db.read(read)
    finally:
        db.close()
    if as_json:
        click.echo(msgspec.json.encode(rows).decode())
        return None
    return rows


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@pass_context
def user_list(obj: Context, as_json: bool) -> None:
    """Every user: roles, enabled, locked, language, last login, badge (masked)."""
    from server.auth import service

    users = _listed(obj, service.list_users, as_json)
    if users is None:
        return
    _echo_table(
        ["CODE", "NAME", "ROLES", "ENABLED", "LOCKED", "LANGUAGE", "LAST LOGIN", "BADGE"],
        [
            [
                str(u["code"]),
                str(u["name"]),
                ",".join(u["roles"]),  # type: ignore[arg-type]
                "yes" if u["enabled"] else "no",
                "yes" if u["locked"] else "no",
                str(u["language"] or "-"),
                str(u["last_login_at"] or "never")[:19],
                str(u["badge"] or "-"),
            ]
            for u in users
        ],
    )


def _run(obj: Context, name: str, payload: Any, rules: Any) -> Any:
    db = obj.database()
    try:
        return run_command(db, CLI_ACTOR, name, f"cli:{uuid.uuid4()}", payload, rules).value
    except DomainError as err:
        raise click.ClickException(f"{err.code}: {err.message}") from err
    finally:
        db.close()


@user.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", "roles", multiple=True, required=True, help="A role (repeat for several).")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="PIN (digits).")
@click.option("--badge", help="Badge barcode for scan login.")
@pass_context
def user_add(
    obj: Context, code: str, name: str, roles: tuple[str, ...], pin: str, badge: str | None
) -> None:
    """Add a floor user."""
    from server.auth import service

    result = _run(
        obj,
        "user.add",
        {"code": code, "roles": list(roles)},
        lambda conn, ctx: service.add_user(
            conn,
            ctx,
            obj.settings.auth,
            code=code,
            name=name,
            roles=list(roles),
            pin=pin,
            badge=badge,
        ),
    )
    click.echo(f"user {result['code']} added with roles {', '.join(result['roles'])}")


@user.command("disable")
@click.argument("code")
@pass_context
def user_disable(obj: Context, code: str) -> None:
    """Disable a user and end their sessions."""
    from server.auth import service

    _run(
        obj,
        "user.disable",
        {"code": code},
        lambda conn, ctx: service.set_user_active(conn, ctx, code, False),
    )
    click.echo(f"user {code} disabled")


@user.command("enable")
@click.argument("code")
@pass_context
def user_enable(obj: Context, code: str) -> None:
    """Enable a disabled user: they can log in again."""
    from server.auth import service

    _run(
        obj,
        "user.enable",
        {"code": code},
        lambda conn, ctx: service.set_user_active(conn, ctx, code, True),
    )
    click.echo(f"user {code} enabled")


@user.command("reset-pin")
@click.argument("code")
@click.option(
    "--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="New PIN (digits)."
)
@pass_context
def user_reset_pin(obj: Context, code: str, pin: str) -> None:
    """Set a new PIN (also unlocks a locked user and ends their sessions)."""
    from server.auth import service

    _run(
        obj,
        "user.reset_pin",
        {"code": code},
        lambda conn, ctx: service.reset_pin(conn, ctx, obj.settings.auth, code, pin),
    )
    click.echo(f"PIN of {code} reset")


@user.command("unlock")
@click.argument("code")
@pass_context
def user_unlock(obj: Context, code: str) -> None:
    """Lift a user's lock after failed logins (any user, managers included)."""
    from server.auth import service

    _run(
        obj,
        "user.unlock",
        {"code": code},
        lambda conn, ctx: service.unlock_user(conn, ctx, code),
    )
    click.echo(f"user {code} unlocked")


@main.group()
def token() -> None:
    """API tokens for stations and the OMS."""


@token.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(["station", "oms"]), required=True)
@pass_context
def token_add(obj: Context, name: str, kind: str) -> None:
    """Create a token; it is printed once and only its hash is kept."""
    from server import system_writes

    db = obj.database()
    try:
        created = system_writes.issue_api_token(db, CLI_ACTOR, f"cli:{uuid.uuid4()}", name, kind)
    except DomainError as err:
        raise click.ClickException(f"{err.code}: {err.message}") from err
    finally:
        db.close()
    click.echo(created["token"])


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@pass_context
def token_list(obj: Context, as_json: bool) -> None:
    """Every station and OMS token: kind, made, last used (never the token)."""
    from server.auth import service

    tokens = _listed(obj, service.list_api_tokens, as_json)
    if tokens is None:
        return
    _echo_table(
        ["NAME", "KIND", "CREATED", "LAST USED"],
        [
            [
                str(t["name"]),
                str(t["kind"]),
                str(t["created_at"])[:19],
                str(t["last_used_at"] or "never")[:19],
            ]
            for t in tokens
        ],
    )


@token.command("revoke")
@click.argument("name")
@pass_context
def token_revoke(obj: Context, name: str) -> None:
    """Revoke a token: it stops working at once."""
    from server.auth import service

    _run(
        obj,
        "token.revoke",
        {"name": name},
        lambda conn, ctx: service.revoke_api_token(conn, ctx, name),
    )
    click.echo(f"token {name} revoked")


class _ImportCommand(click.Command):
    """`bondfloor import --help` ends with the columns of each kind, read from the code."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from server.import_reference import KINDS, brief

        with formatter.section("Columns (* required; KIND --columns for types and values)"):
            formatter.write_dl([(k.name, brief(k)) for k in KINDS])
        formatter.write_paragraph()
        formatter.write_text("The reference with an example of each kind: docs/imports.md")


@main.command("import", cls=_ImportCommand)
@click.argument("kind", type=click.Choice(["customers", "skus", "locations", "plans", "orders"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), help="Default: from the file name."
)
@click.option("--columns", is_flag=True, help="Print the columns of KIND and stop.")
@pass_context
def import_file(obj: Context, kind: str, file: str | None, fmt: str | None, columns: bool) -> None:
    """Import master data, delivery plans or orders from CSV or JSON: every row or none."""
    from server.imports import ImportRejected, body_digest, count_rows
    from server.inbound import plan_import
    from server.masterdata import service
    from server.outbound import order_import

    if columns:
        from server.import_reference import BY_NAME, columns_text

        click.echo(columns_text(BY_NAME[kind]))
        return
    if file is None:
        raise click.UsageError("give the FILE to import (or --columns to list its columns)")
    fmt = fmt or ("json" if file.lower().endswith(".json") else "csv")
    body = Path(file).read_bytes()
    total = count_rows(body, fmt)  # rows, not lines: a quoted cell may hold a line break
    db = obj.database()
    try:
        if kind == "plans":
            parsed: Any = plan_import.parse_plan_import(body, fmt)
            write: Any = plan_import.write_plan_import
        elif kind == "orders":
            parsed = order_import.parse_order_import(body, fmt)
            write = order_import.write_order_import
        else:
            customers = db.read(service.customer_codes)
            with _progress(total, f"checking {kind}") as step:
                parsed = service.parse_import(kind, body, fmt, customers, progress=step)
            db.read(lambda conn: service.check_import_against_site(conn, parsed))
        click.echo(f"checked {total} rows of {file}; writing {kind}...", err=True)
        request = {"kind": kind, "format": fmt, "body": body_digest(body)}
        key = f"cli:{uuid.uuid4()}"
        if kind in ("plans", "orders"):
            summary = run_command(
                db,
                CLI_ACTOR,
                f"import.{kind}",
                key,
                request,
                lambda conn, ctx: write(conn, ctx, parsed),
            ).value
        else:  # in chunks: a server on the same file goes on serving the floor meanwhile
            job = service.ImportJob(parsed)
            summary = run_chunked_command(db, CLI_ACTOR, f"import.{kind}", key, request, job).value
    except ImportRejected as err:
        for p in err.details["problems"]:
            click.echo(f"{file}:{p['line']}: {p['field']}: {p['message']}", err=True)
        raise click.ClickException(err.message) from err
    except DomainError as err:
        raise click.ClickException(f"{err.code}: {err.message}") from err
    finally:
        db.close()
    if kind in ("plans", "orders"):
        click.echo(f"imported {summary[kind]} {kind} with {summary['lines']} lines")
    else:
        summary = msgspec.to_builtins(summary)
        click.echo(
            f"imported {summary['rows']} {kind}: {summary['created']} new, "
            f"{summary['updated']} updated, {summary['unchanged']} unchanged"
        )


@contextlib.contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A bar on a terminal; elsewhere (a log, a pipe) the caller's one-line summary says it."""
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


if __name__ == "__main__":
    main()


def _interfaces(obj: Context, given: tuple[str, ...]) -> list[str]:
    return list(given) or obj.settings.discovery.interfaces


@main.command()
@click.option(
    "--token",
    envvar="BONDFLOOR_STATION_TOKEN",
    required=True,
    help="The station's token (bondfloor token add NAME --kind station); "
    "or $BONDFLOOR_STATION_TOKEN.",
)
@click.option("--server", "server_url", help="Server URL; without it the server is found by mDNS.")
@click.option("--site", default="", help="With mDNS: only a server of this site code.")
@click.option(
    "--interface",
    "interfaces",
    multiple=True,
    help="Address mDNS looks on (repeat; default: discovery.interfaces).",
)
@click.option(
    "--spool",
    default="var/station-spool.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Local file that keeps scans until the server has them.",
)
@click.option("--heartbeat", default=10.0, show_default=True, help="Seconds between heartbeats.")
@click.option(
    "--ca-file",
    envvar="BONDFLOOR_CA_FILE",
    type=click.Path(dir_okay=False, exists=True),
    help="The site CA (the server's var/tls/ca.crt) an HTTPS server is checked against; "
    "or $BONDFLOOR_CA_FILE. Default: this machine's trusted certificates.",
)
@pass_context
def station(
    obj: Context,
    token: str,
    server_url: str | None,
    site: str,
    interfaces: tuple[str, ...],
    spool: str,
    heartbeat: float,
    ca_file: str | None,
) -> None:
    """Run the station agent: forward this PC's scanners and print on its printers."""
    from devices.discovery import find_server
    from devices.station_agent import StationAgent
    from server import __version__

    configure_logging(obj.settings.logging)
    where = [] if server_url else _interfaces(obj, interfaces)

    def found_by_mdns() -> str | None:
        found = find_server(where, site=site, timeout=5.0)
        if found is not None:
            click.echo(f"found {found.name} at {found.url} (site {found.properties.get('site')})")
        return found.url if found else None

    agent = StationAgent(
        token=token,
        spool_path=spool,
        server_url=server_url or "",
        find_server=None if server_url else found_by_mdns,
        heartbeat_seconds=heartbeat,
        version=__version__,
        ca_file=ca_file,
    )
    signal.signal(signal.SIGTERM, lambda *_: agent.request_stop())
    with contextlib.suppress(KeyboardInterrupt):
        agent.run_forever()


@main.command()
@click.option("--seconds", default=3.0, show_default=True, help="How long to listen.")
@click.option(
    "--interface",
    "interfaces",
    multiple=True,
    help="Address to look on (repeat; default: discovery.interfaces).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_context
def discover(obj: Context, seconds: float, interfaces: tuple[str, ...], as_json: bool) -> None:
    """List bondfloor servers and network label printers that advertise by mDNS."""
    import json

    from devices.discovery import browse, describe

    found = browse(_interfaces(obj, interfaces), seconds)
    if as_json:
        click.echo(json.dumps([describe(f) for f in found], ensure_ascii=False))
        return
    if not found:
        click.echo("nothing found")
    for f in found:
        where = ", ".join(f"{a}:{f.port}" for a in f.addresses)
        extra = " ".join(f"{k}={v}" for k, v in sorted(f.properties.items()))
        click.echo(f"{f.kind:8} {f.type:22} {f.name:30} {where:22} {extra}")


@main.command("oms-sim")
@click.option("--listen", default="127.0.0.1:8090", show_default=True, help="HOST:PORT for events.")
@click.option(
    "--store",
    "store_path",
    help="The simulator's own SQLite file (default: oms-sim.db beside the site database).",
)
@click.option("--server", "server_url", help="Floor server to feed (default: server.host/port).")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    help="File holding the OMS token for the floor (default: oms-sim.token beside the site "
    "database, written by `bondfloor demo`); or $BONDFLOOR_SIM_OMS_TOKEN.",
)
@click.option("--feed/--no-feed", default=True, show_default=True, help="Send a demo day.")
@click.option("--orders", default=24, show_default=True, help="Orders in the demo day.")
@click.option("--pace", default=2.0, show_default=True, help="Seconds between messages.")
@click.option(
    "--fault",
    type=click.Choice(["ok", "fail", "stall", "drop", "refuse"]),
    default="ok",
    show_default=True,
    help="Misbehave from the start (change it later with POST /sim/faults).",
)
@click.option("--fault-seconds", default=5.0, show_default=True, help="How long a stall lasts.")
@pass_context
def oms_sim(
    obj: Context,
    listen: str,
    store_path: str | None,
    server_url: str | None,
    token_file: str | None,
    feed: bool,
    orders: int,
    pace: float,
    fault: str,
    fault_seconds: float,
) -> None:
    """Run a simulated OMS: take the events journal, send the floor a demo day, and fail
    on demand (POST /sim/faults)."""
    from server.omssim.receiver import FaultsIn
    from server.omssim.run import SimOptions, Simulator

    configure_logging(obj.settings.logging)
    settings = obj.settings
    host, _, port = listen.rpartition(":")
    beside = Path(settings.database.path).parent
    token = os.environ.get("BONDFLOOR_SIM_OMS_TOKEN", "")
    token_path = Path(token_file) if token_file else beside / "oms-sim.token"
    if not token and feed and token_path.is_file():
        token = token_path.read_text(encoding="utf-8").strip()
    if feed and not token:
        click.echo(
            f"no OMS token ({token_path} or $BONDFLOOR_SIM_OMS_TOKEN): not feeding", err=True
        )
    s = settings.server
    sim = Simulator(
        SimOptions(
            host=host.strip("[]") or "127.0.0.1",
            port=int(port),
            store_path=store_path or str(beside / "oms-sim.db"),
            events_token=os.environ.get("BONDFLOOR_OMS_TOKEN", ""),
            server_url=(server_url or f"http://{_url_host(s.host)}:{s.port}") if feed else "",
            oms_token=token,
            orders=orders,
            pace_seconds=pace,
        )
    )
    sim.receiver.faults.change(FaultsIn(mode=fault, seconds=fault_seconds))
    signal.signal(signal.SIGTERM, lambda *_: sim.stop())
    sim.start()
    click.echo(f"oms-sim taking events on http://{listen}/events")
    with contextlib.suppress(KeyboardInterrupt):
        sim.wait()
    sim.stop()
