"""Master data imports in chunks: floor writes interleave with them, a replay resumes, a
chunk refused mid-way keeps the chunks before it and says how far the job got."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import pytest

from server.chunked import run_chunked_command
from server.commands import SYSTEM, Actor, CommandContext, run_command
from server.db import Database
from server.errors import DomainError
from server.masterdata import service
from server.masterdata.schemas import CustomerIn
from server.masterdata.service import IMPORT_BATCH_ROWS, ImportJob
from tests.conftest import Api, seed_basics

OMS = Actor(kind="oms", code="oms-token", roles=frozenset({"oms"}))


def location_file(count: int, *, zone: str = "B") -> bytes:
    rows = [f"B-{i:05d},{zone},storage,{i},C1" for i in range(count)]
    return "\n".join(["code,zone,type,pick_sequence,customer", *rows]).encode()


def parsed_locations(db: Database, body: bytes) -> service.ParsedImport:
    return db.read(
        lambda conn: service.parse_import("locations", body, "csv", service.customer_codes(conn))
    )


def add_customers(db: Database, *codes: str) -> None:
    for code in codes:
        run_command(
            db, SYSTEM, "customer.upsert", f"c-{code}", {"code": code},
            lambda conn, ctx, code=code: service.upsert_customer(
                conn, ctx, CustomerIn(code=code, name=code)
            ),
        )  # fmt: skip


class WaitsForAFloorWrite:
    """An import that, in its second chunk, waits (holding the writer) until a floor write
    has queued behind it: what the floor write does next shows whether chunks interleave."""

    def __init__(self, job: ImportJob, db: Database, bulk_running: threading.Event) -> None:
        self.job, self.db, self.bulk_running, self.chunks = job, db, bulk_running, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.job, name)

    def step(
        self, conn: sqlite3.Connection, ctx: CommandContext, state: dict[str, Any], deadline: float
    ) -> bool:
        self.chunks += 1
        if self.chunks == 2:
            self.bulk_running.set()
            for _ in range(1000):  # at most 10 s: the floor write is queued long before
                if self.db.waiting_writes:
                    break
                threading.Event().wait(0.01)
        return self.job.step(conn, ctx, state, deadline)


def test_a_floor_write_issued_while_a_chunked_import_runs_commits_before_the_import_ends(
    db: Database,
) -> None:
    add_customers(db, "C1")
    body = location_file(IMPORT_BATCH_ROWS * 6)
    bulk_running = threading.Event()
    job = WaitsForAFloorWrite(ImportJob(parsed_locations(db, body)), db, bulk_running)
    answers: list[Any] = []

    def bulk() -> None:
        answers.append(
            run_chunked_command(db, OMS, "import.locations", "imp-big", {"n": 1}, job, chunk_ms=0)
        )

    importer = threading.Thread(target=bulk)
    importer.start()
    assert bulk_running.wait(10)
    seen: list[Any] = []

    def floor_write(conn: sqlite3.Connection, ctx: CommandContext) -> None:
        # What the floor's transaction sees of the import: still a job, not yet a result.
        seen.append(
            conn.execute("SELECT chunks FROM command_jobs WHERE key = 'imp-big'").fetchone()
        )
        seen.append(conn.execute("SELECT 1 FROM commands WHERE key = 'imp-big'").fetchone())
        service.upsert_customer(conn, ctx, CustomerIn(code="FLOOR", name="floor"))

    run_command(db, SYSTEM, "customer.upsert", "floor-1", {"code": "FLOOR"}, floor_write)
    importer.join(30)
    job_row, result_row = seen
    assert result_row is None  # the floor write committed before the import's last chunk
    assert job_row is not None and job_row[0] >= 1
    assert answers[0].value["created"] == IMPORT_BATCH_ROWS * 6
    assert job.chunks == 6


class CutInChunk:
    def __init__(self, job: ImportJob, chunk: int) -> None:
        self.job, self.chunk = job, chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self.job, name)

    def step(
        self, conn: sqlite3.Connection, ctx: CommandContext, state: dict[str, Any], deadline: float
    ) -> bool:
        finished = self.job.step(conn, ctx, state, deadline)
        self.chunk -= 1
        if self.chunk == 0:
            raise RuntimeError("power cut")
        return bool(finished)


def test_an_import_replayed_after_a_crash_resumes_and_writes_no_chunk_twice(db: Database) -> None:
    add_customers(db, "C1")
    body = location_file(IMPORT_BATCH_ROWS * 4)
    parsed = parsed_locations(db, body)
    with pytest.raises(RuntimeError):
        run_chunked_command(
            db, OMS, "import.locations", "imp-1", {"body": "x"}, CutInChunk(ImportJob(parsed), 3),
            chunk_ms=0,
        )  # fmt: skip
    stored = db.read(lambda c: c.execute("SELECT COUNT(*) FROM locations").fetchone()[0])
    assert stored == IMPORT_BATCH_ROWS * 2
    answer = run_chunked_command(
        db, OMS, "import.locations", "imp-1", {"body": "x"}, ImportJob(parsed), chunk_ms=0
    )
    # Rows of the two committed chunks would read "unchanged" had they been written again.
    assert (answer.value["created"], answer.value["unchanged"]) == (IMPORT_BATCH_ROWS * 4, 0)
    replay = run_chunked_command(
        db, OMS, "import.locations", "imp-1", {"body": "x"}, ImportJob(parsed)
    )
    assert replay.replayed and replay.value == answer.value
    with pytest.raises(DomainError) as refused:
        run_chunked_command(db, OMS, "import.locations", "imp-1", {"body": "y"}, ImportJob(parsed))
    assert refused.value.code == "IDEMPOTENCY_KEY_REUSED"


def test_a_chunk_refused_mid_import_keeps_the_chunks_before_it_and_says_how_far(
    api: Api,
) -> None:
    seed_basics(api)  # A-1 is a storage location of zone A
    api.post(
        "/api/v1/ledger/movements",
        json={"kind": "receive", "reason": "opening_balance", "customer": "C1", "sku": "S1",
              "quantity": 3, "to_location": "A-1"},
    )  # fmt: skip
    rows = [f"B-{i:05d},B,storage,{i},C1" for i in range(IMPORT_BATCH_ROWS * 2)]
    rows.append("A-1,Z,storage,1,C1")  # moves a location that holds goods to another zone
    body = "\n".join(["code,zone,type,pick_sequence,customer", *rows]).encode()
    parsed = api.db.read(
        lambda conn: service.parse_import("locations", body, "csv", service.customer_codes(conn))
    )
    with pytest.raises(DomainError) as refused:
        run_chunked_command(
            api.db, OMS, "import.locations", "imp-2", {}, ImportJob(parsed), chunk_ms=0
        )
    assert refused.value.code == "LOCATION_NOT_EMPTY"
    done = IMPORT_BATCH_ROWS * 2
    assert refused.value.details["job"] == {"key": "imp-2", "done": done, "total": done + 1}
    kept = api.get("/api/v1/locations", params={"prefix": "B-", "limit": 1000}).json()
    assert len(kept) == done
    assert api.get("/api/v1/locations/A-1").json()["zone"] == "A"


def test_a_barcode_moved_between_skus_of_one_file_moves_across_chunks(api: Api) -> None:
    seed_basics(api)  # S1 of C1 has 6901234567892
    filler = [f"C1,F{i:04d},Filler {i}," for i in range(IMPORT_BATCH_ROWS + 10)]
    rows = ["C1,S21,Gel,6901234567892", *filler, "C1,S1,Soap,4710000000202"]
    body = "\n".join(["customer,code,name,barcodes", *rows]).encode()
    parsed = api.db.read(
        lambda conn: service.parse_import("skus", body, "csv", service.customer_codes(conn))
    )
    api.db.read(lambda conn: service.check_import_against_site(conn, parsed))
    answer = run_chunked_command(
        api.db, OMS, "import.skus", "imp-3", {}, ImportJob(parsed), chunk_ms=0
    )
    assert answer.value["rows"] == len(rows)
    assert api.get("/api/v1/skus/C1/S21").json()["barcodes"] == ["6901234567892"]
    assert api.get("/api/v1/skus/C1/S1").json()["barcodes"] == ["4710000000202"]


def test_threads_switch_faster_only_while_bulk_work_runs() -> None:
    import sys

    from server.chunked import BULK_SWITCH_INTERVAL_S, floor_first

    before = sys.getswitchinterval()
    with floor_first():
        with floor_first():  # two bulk jobs at once
            assert sys.getswitchinterval() == min(before, BULK_SWITCH_INTERVAL_S)
        assert sys.getswitchinterval() == min(before, BULK_SWITCH_INTERVAL_S)
    assert sys.getswitchinterval() == before
