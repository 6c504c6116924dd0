"""End-to-end fixtures: a real bondfloor server on loopback and a real headless Chromium.

The server is the installed `bondfloor` command, seeded with the demo warehouse in a
temporary folder; tests read that same SQLite file to know what stock to expect. Its
label printer is a test ESC/POS printer on a loopback TCP port, started before the
server: every face sheet packed in any test goes over a real socket to it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.live_server import free_port, stop_server, wait_for_health
from tests.printing.fake_printer import FakePrinter

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 640}
DEMO_PIN = "1234"
SITE_NAME = "前海保税一号仓"
BONDFLOOR = Path(sys.executable).parent / "bondfloor"
LABEL_PRINTER = "label-1"
PACK_BENCHES = ("pack-01", "pack-02")
PRINT_DESK = "print-desk"  # the printer station: a parcel scanned there shows its labels
DOCK_DOOR = "door-1"  # a dock door: trucks are checked out there (tests/e2e/test_dock.py)


@dataclass(frozen=True)
class Server:
    base_url: str
    db_path: Path
    site_name: str
    config_path: Path


@pytest.fixture(scope="session")
def label_printer() -> Iterator[FakePrinter]:
    """The pack benches' label printer: a network ESC/POS printer on loopback that keeps
    the bytes of every job. A test that switches it off switches it on again."""
    printer = FakePrinter().start()
    yield printer
    printer.stop()


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory, label_printer: FakePrinter
) -> Iterator[Server]:
    """A real `bondfloor serve` on 127.0.0.1 with the demo warehouse in a temp database."""
    with running_server(tmp_path_factory.mktemp("bondfloor"), label_printer) as started:
        yield started


@contextmanager
def running_server(
    folder: Path,
    label_printer: FakePrinter,
    *,
    extra_config: str = "",
    bench_config: dict[str, str] | None = None,
) -> Iterator[Server]:
    """`bondfloor serve` with the demo warehouse in `folder`; `extra_config` is TOML added
    at the end, `bench_config` lines added to a pack bench's own table (a module whose
    pages need other settings starts its own with these)."""
    benches = bench_config or {}
    port = free_port()
    db_path = folder / "demo.db"
    config = folder / "bondfloor.toml"
    config.write_text(
        f'[site]\nname = "{SITE_NAME}"\n'
        'gs1_company_prefix = "6901234"\n'  # carton labels get SSCCs
        f'[database]\npath = "{db_path}"\n'
        f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
        # The page suite logs the same demo users in again and again from one address, and
        # keeps their API sessions for the whole run: no cap, no throttle at this scale.
        "[auth]\nmax_sessions_per_user = 1000\nlogin_free_failures = 50\n"
        # A scanner is keys closer than 90 ms on average (a site's default is 35). The tests'
        # "scanner" types 5 ms apart, but each key is a round trip from this process to
        # Chromium, which two test workers on two cores stretch past 35 ms; their "person"
        # types 120 ms apart, which load only makes slower.
        "[scan]\nmax_interkey_ms = 90\n"
        # Quick retries: a test printer switched off and on prints its queue within a second.
        "[printing]\npoll_seconds = 0.2\nretry_min_seconds = 0.2\nretry_max_seconds = 1.0\n"
        # The pack benches of config/demo.toml: packing queues face sheets for their printer.
        f'[[printers]]\nname = "{LABEL_PRINTER}"\nkind = "network"\n'
        f'host = "{label_printer.host}"\nport = {label_printer.port}\n'
        + "".join(
            f'[[stations]]\nname = "{name}"\nkind = "pack_bench"\nprinters = ["{LABEL_PRINTER}"]\n'
            + benches.get(name, "")
            for name in PACK_BENCHES
        )
        + f'[[stations]]\nname = "{PRINT_DESK}"\nkind = "printer_station"\n'
        f'printers = ["{LABEL_PRINTER}"]\n'
        f'[[stations]]\nname = "{DOCK_DOOR}"\nkind = "dock_door"\n' + extra_config,
        encoding="utf-8",
    )
    subprocess.run(
        [str(BONDFLOOR), "--config", str(config), "demo"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=120,
    )
    log = folder / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(BONDFLOOR),
                "--config",
                str(config),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{base_url}/health", proc, log)
        yield Server(base_url=base_url, db_path=db_path, site_name=SITE_NAME, config_path=config)
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def site_name(server: Server) -> str:
    """The site name the server was configured with (shown on the login page)."""
    return server.site_name


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    chromium = playwright_session.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh phone-sized page (own storage: no language or session carried over). Its
    service worker is blocked unless the test is marked `service_worker`: precaching the
    whole shell in every fresh context costs each test time, and the worker has tests of
    its own (test_offline_app.py)."""
    expect.set_options(timeout=5_000)
    worker = "allow" if request.node.get_closest_marker("service_worker") else "block"
    context = browser.new_context(
        base_url=server.base_url,
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
        locale="zh-CN",
        service_workers=worker,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def forget_saved_languages_on(server: Server) -> None:
    conn = sqlite3.connect(server.db_path, timeout=10)
    try:
        with conn:
            conn.execute("UPDATE users SET language = '' WHERE language != ''")
    finally:
        conn.close()


@pytest.fixture(autouse=True)
def forget_saved_languages(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts and ends with no user's language saved: a language switched while
    logged in is kept as that user's and taken at their next login, which would carry one
    test's choice into another's login on the shared server."""
    if "server" not in request.fixturenames:
        yield
        return
    server: Server = request.getfixturevalue("server")
    forget_saved_languages_on(server)
    yield
    forget_saved_languages_on(server)


@pytest.fixture
def demo_db(server: Server) -> Iterator[sqlite3.Connection]:
    """Read-only view of the server's database, to know what the pages should show."""
    conn = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


@pytest.fixture
def log_in(page: Page) -> Callable[[str], None]:
    """Log in through the login page with user code and the demo PIN; lands on the menu."""

    def log_in(user_code: str) -> None:
        page.goto("/")
        page.locator("#user-code").fill(user_code)
        page.locator("#pin").fill(DEMO_PIN)
        page.locator("#login-submit").click()
        page.wait_for_url(re.compile(r"/home\.html$"))
        expect(page.locator("#menu .tile").first).to_be_visible()

    return log_in


def session_tokens(server: Server) -> Callable[[str], str]:
    """Session tokens of demo users on `server`, logged in through the API (cached per
    user)."""
    tokens: dict[str, str] = {}

    def session_token(user_code: str) -> str:
        if user_code not in tokens:
            request = urllib.request.Request(
                f"{server.base_url}/api/v1/auth/login",
                data=json.dumps({"user_code": user_code, "pin": DEMO_PIN}).encode(),
                headers={"Content-Type": "application/json", "X-Device": "e2e-tests"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                tokens[user_code] = str(json.load(answer)["token"])
        return tokens[user_code]

    return session_token


@pytest.fixture(scope="session")
def session_token(server: Server) -> Callable[[str], str]:
    """A session token of a demo user, logged in through the API (cached per user)."""
    return session_tokens(server)


def station_tokens(server: Server) -> Callable[[str], str]:
    """Station agents' tokens on `server`, made as an installer makes them: `bondfloor
    token add NAME --kind station` against its configuration (cached per station)."""
    tokens: dict[str, str] = {}

    def station_token(station: str) -> str:
        if station not in tokens:
            made = subprocess.run(
                [
                    str(BONDFLOOR),
                    "--config",
                    str(server.config_path),
                    "token",
                    "add",
                    station,
                    "--kind",
                    "station",
                ],
                cwd=server.config_path.parent,
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
            )
            tokens[station] = made.stdout.strip().splitlines()[-1]
        return tokens[station]

    return station_token


@pytest.fixture(scope="session")
def station_token(server: Server) -> Callable[[str], str]:
    """A station agent's token, made as an installer makes it (cached per station)."""
    return station_tokens(server)


@pytest.fixture
def logged_in_as(page: Page, session_token: Callable[[str], str]) -> Callable[[str], None]:
    """Give the page a session of `user_code` without the login page, for tests about
    what comes after logging in (the login page has tests of its own)."""

    def logged_in_as(user_code: str) -> None:
        token = session_token(user_code)
        page.add_init_script(f"sessionStorage.setItem('bondfloor.token', {token!r})")

    return logged_in_as
