"""`bondfloor oms-sim` as a real process on loopback, for the tests that need an OMS."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.live_server import BONDFLOOR, free_port


class SimProcess:
    """The simulator's process; start, kill and start again on the same store."""

    def __init__(self, folder: Path, config: Path, *args: str) -> None:
        self.folder = folder
        self.config = config
        self.args = args
        self.port = free_port()
        self.store = folder / "oms-sim.db"
        self.log = folder / "oms-sim.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [str(BONDFLOOR), "--config", str(self.config), "oms-sim"]
        command += ["--listen", f"127.0.0.1:{self.port}", "--store", str(self.store), *self.args]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command,
                cwd=self.folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"oms-sim exited early:\n{self.log.read_text()}")
            with contextlib.suppress(OSError):
                self.get("/health")
                return
            time.sleep(0.1)
        raise RuntimeError(f"oms-sim did not answer in 20 s:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no goodbye, as when the OMS's machine goes away."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=5) as answer:
            return json.loads(answer.read())

    def faults(self, **faults: Any) -> Any:
        request = urllib.request.Request(
            self.url + "/sim/faults",
            data=json.dumps(faults).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.get("/sim/stats")
        return result

    def taken(self, stream: str) -> list[dict[str, Any]]:
        """Every event the simulator took, in the order taken, read from its own file."""
        with contextlib.closing(sqlite3.connect(f"file:{self.store}?mode=ro", uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(
                "SELECT epoch, seq, key, type, version, payload FROM events WHERE stream = ? "
                "ORDER BY id",
                (stream,),
            ).fetchall()
        return [dict(r) for r in rows]

    def messages(self) -> list[dict[str, Any]]:
        """What its demo day sent the floor, with the floor's first answer."""
        with contextlib.closing(sqlite3.connect(f"file:{self.store}?mode=ro", uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM sent ORDER BY sent_at")]


@contextlib.contextmanager
def running_sim(folder: Path, config: Path, *args: str) -> Iterator[SimProcess]:
    sim = SimProcess(folder, config, *args)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()
