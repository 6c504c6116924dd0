"""A small ESC/POS network printer on loopback for tests: it records every job's bytes,
answers DLE EOT status queries (or, silent, never does), and can be switched off, stall,
drop connections, run low on paper or out of it."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

QUERY = b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"  # what devices.printers asks
ONLINE = {1: 0x12, 2: 0x12, 4: 0x12}
PAPER_OUT = {1: 0x12, 2: 0x32, 4: 0x72}
NEAR_END = {1: 0x12, 2: 0x12, 4: 0x1E}


class FakePrinter:
    """`jobs` holds the bytes of each connection that carried more than status queries."""

    def __init__(self, port: int = 0) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.jobs: list[bytes] = []
        self.mode = "ok"  # ok | stall | drop | paper_out | near_end | silent (never answers)
        self.queries = 0  # status queries it was sent, answered or not
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._open = 0  # connections accepted and not yet recorded
        self._quiet = threading.Condition(self._lock)

    # -- switching it on and off -------------------------------------------------------

    def start(self) -> FakePrinter:
        self._stop.clear()
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, self.port))
        server.listen(16)
        server.settimeout(0.1)
        self.port = server.getsockname()[1]
        self._server = server
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Power off: the port refuses connections until `start()`."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._server is not None:
            self._server.close()
            self._server = None

    def received(self) -> list[bytes]:
        with self._lock:
            return list(self.jobs)

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = self.received()
            if len(jobs) >= count:
                return jobs
            time.sleep(0.02)
        return self.received()

    def wait_until_quiet(self, timeout: float = 10.0) -> bool:
        """Every connection accepted so far has ended and its job is in `jobs`. The
        dispatcher asks for the printer's status after a job's bytes, so a job it has sent
        was accepted here before its send returned."""
        with self._quiet:
            return self._quiet.wait_for(lambda: self._open == 0, timeout)

    # -- the wire ----------------------------------------------------------------------

    def _serve(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._open += 1
            threading.Thread(target=self._recorded_session, args=(conn,), daemon=True).start()

    def _recorded_session(self, conn: socket.socket) -> None:
        try:
            self._session(conn)
        finally:
            with self._quiet:
                self._open -= 1
                self._quiet.notify_all()

    def _session(self, conn: socket.socket) -> None:
        data = b""
        answered: set[int] = set()  # where in `data` a status query was answered
        conn.settimeout(0.1)
        with contextlib.closing(conn):
            while not self._stop.is_set():
                if self.mode == "stall":
                    time.sleep(0.05)  # accepts, never reads, never answers
                    continue
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                if self.mode == "drop" and len(data) + len(chunk) > 1000:
                    return  # the cable is pulled mid-job: nothing of it is printed
                data += chunk
                # A status query is one before the job or one after it, never one that
                # happens to sit inside the image's bytes.
                for at in (0, len(data) - len(QUERY)):
                    if at >= 0 and at not in answered and data[at : at + len(QUERY)] == QUERY:
                        answered.add(at)
                        with self._lock:
                            self.queries += 1
                        if self.mode != "silent":
                            self._answer_status(conn)
            job = data
            if job.startswith(QUERY):
                job = job[len(QUERY) :]
            if job.endswith(QUERY):
                job = job[: -len(QUERY)]
            if job and self.mode not in ("paper_out", "drop"):
                with self._lock:
                    self.jobs.append(job)

    def _answer_status(self, conn: socket.socket) -> None:
        table = {"paper_out": PAPER_OUT, "near_end": NEAR_END}.get(self.mode, ONLINE)
        with contextlib.suppress(OSError):
            conn.sendall(bytes([table[1], table[2], table[4]]))
