"""A real `bondfloor serve` process on loopback, for the tests that need one (e2e pages,
parallel handhelds): a free port, waiting for /health, stopping its process group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from server.demo import DEMO_PIN, DEMO_USERS

BONDFLOOR = Path(sys.executable).parent / "bondfloor"


DEMO_BADGES = {u.code: u.badge for u in DEMO_USERS}


def log_in(client: httpx.Client, user: str, badge: str | None = None) -> httpx.Response:
    """Log in as the handheld page does: by badge when there is one (with the PIN when the
    badge asks for it), else user code + PIN; waiting out a LOGIN_THROTTLED answer."""
    body: dict[str, str] = {"badge": badge} if badge else {"user_code": user, "pin": DEMO_PIN}
    deadline = time.monotonic() + 60
    while True:
        answer = client.post("/api/v1/auth/login", json=body)
        code = answer.json().get("error", {}).get("code") if answer.status_code >= 400 else ""
        if code == "BADGE_NEEDS_PIN":
            body = {**body, "pin": DEMO_PIN}
        elif code == "LOGIN_THROTTLED" and time.monotonic() < deadline:
            time.sleep(float(answer.headers.get("retry-after", "1")))
        else:
            return answer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_health(
    url: str, proc: subprocess.Popen[bytes], log: Path, context: ssl.SSLContext | None = None
) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bondfloor serve exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1, context=context) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"bondfloor serve did not answer {url} in 20 s:\n{log.read_text()}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and its ASGI worker: they share the process group we started."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # The worker may outlive its parent by a moment; make sure the group is gone.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def start_serve(folder: Path, config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`bondfloor serve` in its own process group (stop it with `stop_server`); the log is
    appended to, so a restarted server keeps the story in one file."""
    serve = [str(BONDFLOOR), "--config", str(config), "serve", "--host", "127.0.0.1"]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*serve, "--port", str(port)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    db_path: Path
    config: Path
    log: Path
    proc: subprocess.Popen[bytes]
    verify: ssl.SSLContext | bool = True
    """What an HTTP client verifies the server with: a context trusting the site CA over
    HTTPS."""


@contextlib.contextmanager
def running_server(
    folder: Path,
    site_name: str,
    extra_config: str = "",
    *,
    demo: bool = True,
    https: bool = False,
) -> Iterator[LiveServer]:
    """`bondfloor serve` on a free 127.0.0.1 port with its own config and `site.db` in
    `folder` (seeded with `bondfloor demo` unless demo=False), healthy when this yields,
    its process group stopped on exit. `extra_config` is TOML appended after [server].
    With `https`, `bondfloor tls init` first makes the site CA and a certificate for
    localhost, and the server answers https://localhost:PORT only."""
    port = free_port()
    db_path = folder / "site.db"
    config = folder / "bondfloor.toml"
    tls = '\n[tls]\nnames = ["localhost"]\naddresses = ["127.0.0.1"]\nredirect_port = 0\n'
    config.write_text(
        f'[site]\nname = "{site_name}"\n'
        f'[database]\npath = "{db_path}"\n'
        f'[server]\nhost = "127.0.0.1"\nport = {port}\n' + extra_config + (tls if https else ""),
        encoding="utf-8",
    )
    context: ssl.SSLContext | None = None
    base_url = f"http://127.0.0.1:{port}"
    if https:
        subprocess.run(
            [str(BONDFLOOR), "--config", str(config), "tls", "init"],
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=60,
        )
        context = ssl.create_default_context(cafile=folder / "var" / "tls" / "ca.crt")
        base_url = f"https://localhost:{port}"
    if demo:
        subprocess.run(
            [str(BONDFLOOR), "--config", str(config), "demo"],
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=120,
        )
    log = folder / "serve.log"
    proc = start_serve(folder, config, port, log)
    try:
        wait_for_health(f"{base_url}/health", proc, log, context)
        yield LiveServer(base_url, db_path, config, log, proc, context or True)
    finally:
        stop_server(proc)
