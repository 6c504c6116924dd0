"""A wave built in chunks: one key for the whole job, a replay after a crash resumes, and
the OMS hears of each order once."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec
import pytest

from server.chunked import run_chunked_command
from server.commands import Actor, CommandContext
from server.config import site_today
from server.outbound.schemas import WaveIn
from server.outbound.waves import WaveRelease
from tests.conftest import Api
from tests.outbound.helpers import put_stock, released_order

SUPERVISOR = Actor(kind="user", code="supervisor01", roles=frozenset({"supervisor"}))


class PowerCut(Exception):
    """The process dies in the middle of a chunk: its transaction never commits."""


class CutAfter:
    """A job that dies inside its `chunks`-th chunk, after that chunk's work was done."""

    def __init__(self, job: Any, chunks: int) -> None:
        self.job, self.left = job, chunks

    def __getattr__(self, name: str) -> Any:
        return getattr(self.job, name)

    def step(
        self, conn: sqlite3.Connection, ctx: CommandContext, state: dict[str, Any], deadline: float
    ) -> bool:
        finished = self.job.step(conn, ctx, state, deadline)
        self.left -= 1
        if self.left == 0:
            raise PowerCut
        return bool(finished)


def events(api: Api, type_: str) -> list[Any]:
    return api.db.read(
        lambda conn: [
            msgspec.json.decode(r[0])
            for r in conn.execute(
                "SELECT payload FROM events WHERE type = ? ORDER BY seq", (type_,)
            )
        ]
    )


def test_a_wave_replayed_after_a_crash_mid_way_resumes_and_sends_each_event_once(
    site: Api,
) -> None:
    put_stock(site, "A-1", "S1", 100)
    order_nos = [released_order(site, [{"sku": "S1", "quantity": 1}])["order_no"] for _ in range(9)]
    site.token("supervisor")  # the supervisor the replay comes from
    request = WaveIn(order_nos=order_nos)
    job = WaveRelease(site.settings, request, today=site_today(site.settings))
    with pytest.raises(PowerCut):
        # chunk_ms=0: one order per chunk; the third chunk dies before its commit
        run_chunked_command(
            site.db,
            SUPERVISOR,
            "wave.build",
            "wave-key-1",
            msgspec.to_builtins(request),
            CutAfter(job, 3),
            chunk_ms=0,
        )
    waved = [e for e in events(site, "order.state_changed") if e["to"] == "waved"]
    assert [e["order_no"] for e in waved] == order_nos[:2]  # two chunks committed
    assert events(site, "wave.built") == []

    answer = site.post("/api/v1/waves", key="wave-key-1", json={"order_nos": order_nos})
    assert answer.status_code == 200, answer.text
    wave = answer.json()
    assert (wave["orders"], wave["backordered"], wave["skipped"]) == (9, [], [])
    waved = [e for e in events(site, "order.state_changed") if e["to"] == "waved"]
    assert sorted(e["order_no"] for e in waved) == sorted(order_nos)  # each once
    assert [e["orders"] for e in events(site, "wave.built")] == [order_nos]
    tasks = site.db.read(
        lambda conn: conn.execute(
            "SELECT COUNT(*), SUM(quantity) FROM allocations WHERE wave_id = ?", (wave["id"],)
        ).fetchone()
    )
    assert tuple(tasks) == (9, 9)  # no order reserved twice
    again = site.post("/api/v1/waves", key="wave-key-1", json={"order_nos": order_nos})
    assert again.json() == wave
    assert site.db.read(lambda c: c.execute("SELECT COUNT(*) FROM command_jobs").fetchone()[0]) == 0


def test_an_order_taken_by_another_wave_between_chunks_is_skipped_with_its_reason(
    site: Api,
) -> None:
    put_stock(site, "A-1", "S1", 100)
    order_nos = [released_order(site, [{"sku": "S1", "quantity": 1}])["order_no"] for _ in range(4)]
    request = WaveIn(order_nos=order_nos)
    job = WaveRelease(site.settings, request, today=site_today(site.settings))
    with pytest.raises(PowerCut):
        run_chunked_command(
            site.db, SUPERVISOR, "wave.build", "wave-key-2", msgspec.to_builtins(request),
            CutAfter(job, 2), chunk_ms=0,
        )  # fmt: skip
    other = site.post("/api/v1/waves", json={"order_nos": order_nos[2:3]}).json()
    assert other["orders"] == 1
    site.token("supervisor")
    wave = site.post("/api/v1/waves", key="wave-key-2", json={"order_nos": order_nos}).json()
    assert wave["orders"] == 3
    assert wave["skipped"] == [{"order_no": order_nos[2], "code": "ORDER_ALREADY_WAVED"}]


def test_the_wave_worker_finishes_a_wave_it_left_unfinished_before_building_new_ones(
    site: Api,
) -> None:
    from server.commands import SYSTEM
    from server.outbound.waves import run_automatic_waves

    put_stock(site, "A-1", "S1", 100)
    order_nos = [released_order(site, [{"sku": "S1", "quantity": 1}])["order_no"] for _ in range(3)]
    job = WaveRelease(
        site.settings, WaveIn(courier="SF"), today=site_today(site.settings), automatic=True
    )
    with pytest.raises(PowerCut):
        run_chunked_command(
            site.db, SYSTEM, "wave.auto", "auto-wave:cut:SF", {"courier": "SF"},
            CutAfter(job, 2), chunk_ms=0,
        )  # fmt: skip
    assert run_automatic_waves(site.db, site.settings) == [
        site.get("/api/v1/waves").json()[0]["wave_no"]
    ]
    waves = site.get("/api/v1/waves").json()
    assert [(w["orders"], w["automatic"]) for w in waves] == [(3, True)]
    assert [e["orders"] for e in events(site, "wave.built")] == [order_nos]
