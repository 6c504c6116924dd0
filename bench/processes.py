"""Child processes of the benches: `bondfloor serve` (or `bondfloor station`) in its own
process group on a free loopback port, waiting for it to answer /health, stopping the
whole group (SIGTERM, then SIGKILL) and reading its log.

Benches import it as a sibling module (`from processes import Proc`), like asgi_servers.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def bondfloor_exe() -> str:
    exe = Path(sys.executable).parent / "bondfloor"
    if not exe.exists():
        sys.exit(f"{exe} not found: run from the project's venv (make bench)")
    return str(exe)


def start_in_group(
    cmd: list[str],
    log_path: Path,
    cwd: Path,
    env: dict[str, str] | None = None,
    *,
    append: bool = True,
) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own session, stdout and stderr into `log_path`: it and anything it
    starts (the ASGI server's workers) form one process group that stop_group ends."""
    with log_path.open("ab" if append else "wb") as log:
        return subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env, start_new_session=True
        )


def stop_group(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM to the process group started by start_in_group, SIGKILL after 10 s."""
    if proc is None:
        return
    pgid = proc.pid  # == its process group (start_new_session)
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            proc.wait(timeout=10)
    # A worker that outlived its parent is still in the group: end it too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def read_log(log_path: Path, tail: int = 0) -> str:
    """The log's text (its last `tail` characters if tail), "" if there is none."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return ""
    return text[-tail:] if tail else text


def health_ok(port: int, timeout: float = 2) -> bool:
    """One GET /health on a fresh connection: True on 200, False if refused or failed."""
    with contextlib.suppress(OSError, http.client.HTTPException):
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        try:
            conn.request("GET", "/health")
            return conn.getresponse().status == 200
        finally:
            conn.close()
    return False


def wait_for(check: Callable[[], Any], timeout: float, what: str, poll: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(poll)
    raise RuntimeError(f"{what}: not within {timeout:g} s")


@dataclass
class Proc:
    """A child in its own session: it and anything it starts form one process group."""

    name: str
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self, cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.proc = start_in_group(cmd, self.log_path, cwd, env)

    def start_server(self, cmd: list[str], cwd: Path, port: int, timeout: float) -> float:
        """Start `bondfloor serve` (cmd) and wait until it answers GET /health on `port`;
        returns the seconds from start to healthy."""
        t0 = time.perf_counter()
        self.start(cmd, cwd)
        while True:
            if not self.alive():
                raise RuntimeError(f"bondfloor serve exited early:\n{self.log(3000)}")
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"bondfloor serve not healthy:\n{self.log(3000)}")
            if health_ok(port):
                return time.perf_counter() - t0
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        stop_group(self.proc)

    def log(self, tail: int = 0) -> str:
        return read_log(self.log_path, tail)


class TimedClient:
    """One keep-alive HTTP connection to the server; each request answers its status,
    body and milliseconds. `login()` signs in a demo supervisor."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=120)
        self.token = ""

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes, float]:
        headers = {"Accept": "application/json, text/csv"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        t0 = time.perf_counter()
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        return resp.status, raw, (time.perf_counter() - t0) * 1000

    def login(self, user: str = "sup01", pin: str = "1234") -> None:
        status, raw, _ = self.request("POST", "/api/v1/auth/login", {"user_code": user, "pin": pin})
        if status != 201:
            sys.exit(f"login failed: {status} {raw[:200]!r}")
        self.token = json.loads(raw)["token"]


def seed_demo_site(workdir: Path, port: int, pythonpath: str | None = None) -> tuple[Path, Path]:
    """A config for `workdir/site.db` on `port`, and the demo warehouse seeded into it (by
    an older checkout's code when `pythonpath` names one)."""
    db_path = workdir / "site.db"
    config = workdir / "bondfloor.toml"
    config.write_text(f'[database]\npath = "{db_path}"\n[server]\nport = {port}\n')
    subprocess.run(
        [bondfloor_exe(), "--config", str(config), "demo"],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": pythonpath} if pythonpath else None,
    )
    return db_path, config


def serve_logged_in(
    name: str,
    folder: Path,
    config: Path,
    port: int,
    pythonpath: str | None,
    *,
    user: str = "sup01",
    timeout: float = 60,
) -> tuple[Proc, TimedClient]:
    """`bondfloor serve` with `config` in `folder` (`pythonpath` first on the path: an
    older checkout's server), once healthy a client logged in as `user`; exits with the
    log's tail when the server does."""
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else None
    proc = Proc(name, folder / "serve.log")
    proc.start([bondfloor_exe(), "--config", str(config), "serve"], folder, env)
    wait_for(lambda: health_ok(port) or not proc.alive(), timeout, f"{name} healthy")
    if not proc.alive():
        sys.exit(f"{name}: bondfloor serve exited\n{proc.log(3000)}")
    client = TimedClient(port)
    client.login(user)
    return proc, client


def metrics_text(port: int, timeout: float = 30) -> str:
    """The server's /metrics (Prometheus text), read from loopback."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", "/metrics")
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def loadavg() -> str:
    """The machine's 1, 5 and 15 minute load averages: it may be shared."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
