"""The simulated OMS takes each event once by key, checks order within an epoch, notes a
restore of the floor as a rewind, and refuses (never drops) a key that comes back with
another payload."""

from __future__ import annotations

import http.client
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from server.omssim.receiver import Receiver, parse_key
from server.omssim.store import Incoming, SimStore
from server.sync.contract import CONTRACT, example_batch


def event(seq: int, epoch: str = "aaaaaaaaaaaa", payload: str = "{}") -> Incoming:
    key = f"S1:{epoch}:{seq}" if epoch else f"S1:{seq}"
    return Incoming("S1", seq, key, "t", 1, "", payload, epoch)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SimStore]:
    sim = SimStore(tmp_path / "sim.db")
    yield sim
    sim.close()


def test_a_new_epoch_below_the_last_seq_is_a_rewind_not_a_breach(store: SimStore) -> None:
    store.take([event(1), event(2), event(3)])
    store.take([event(2)])  # a real repeat: same key, same payload
    assert store.take([event(2, "bbbbbbbbbbbb"), event(3, "bbbbbbbbbbbb")])["new"] == 2
    stats = store.stats()
    assert stats["breaches"] == [] and stats["repeats"] == 1
    assert [(r["seq"], r["from_epoch"], r["last_seq"]) for r in stats["rewinds"]] == [
        (2, "aaaaaaaaaaaa", 3)
    ]
    assert stats["streams"]["S1"]["events"] == 5 and stats["streams"]["S1"]["epochs"] == 2


def test_order_is_still_checked_within_an_epoch(store: SimStore) -> None:
    store.take([event(1), event(3)])
    store.take([event(2)])
    assert [b["kind"] for b in store.stats()["breaches"]] == ["gap", "out_of_order"]


def test_a_changed_repeat_is_refused_by_the_receiver(store: SimStore) -> None:
    receiver = Receiver(store, "127.0.0.1", 0)
    receiver.start()
    try:

        def post(payload: dict[str, int]) -> int:
            body = {
                "site": "S1",
                "events": [
                    {
                        "key": "S1:7",
                        "seq": 7,
                        "type": "t",
                        "version": 1,
                        "at": "",
                        "payload": payload,
                    }
                ],
            }
            conn = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=5)
            conn.request("POST", "/events", body=msgspec.json.encode(body))
            status = conn.getresponse().status
            conn.close()
            return status

        assert post({"n": 1}) == 200
        assert post({"n": 1}) == 200  # a repeat
        assert post({"n": 2}) == 409  # another event under a held key: never dropped quietly
    finally:
        receiver.stop()
    assert [b["kind"] for b in store.stats()["breaches"]] == ["changed_repeat"]


def test_keys_parse_with_and_without_an_epoch() -> None:
    assert parse_key("S1:5f0c3a9b2e71:43") == ("S1", "5f0c3a9b2e71", 43)
    assert parse_key("S1:43") == ("S1", "", 43)
    with pytest.raises(ValueError):
        parse_key("S1:5f0c3a9b2e71:43:1")


def test_a_store_from_before_epochs_keeps_what_it_took(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE events (stream TEXT NOT NULL, seq INTEGER NOT NULL,
            key TEXT NOT NULL UNIQUE, type TEXT NOT NULL, version INTEGER NOT NULL,
            at TEXT NOT NULL, payload TEXT NOT NULL, received_at TEXT NOT NULL,
            PRIMARY KEY (stream, seq));
        INSERT INTO events VALUES ('S1', 1, 'S1:1', 't', 1, '', '{}', '');
        INSERT INTO events VALUES ('S1', 2, 'S1:2', 't', 1, '', '{}', '');
        """
    )
    conn.close()
    store = SimStore(path)
    try:
        assert store.take([event(2, epoch="")])["repeat"] == 1
        assert store.take([event(3)])["new"] == 1  # the first of an epoch, after them
        assert [e["key"] for e in store.events("S1")] == ["S1:1", "S1:2", "S1:aaaaaaaaaaaa:3"]
        assert store.stats()["breaches"] == []
    finally:
        store.close()


def test_the_simulator_takes_every_event_type_of_the_contract(store: SimStore) -> None:
    receiver = Receiver(store, "127.0.0.1", 0)
    receiver.start()
    try:
        batch = msgspec.json.encode(example_batch("S1"))
        conn = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=5)
        conn.request("POST", "/events", body=batch)
        status = conn.getresponse().status
        conn.close()
    finally:
        receiver.stop()
    assert status == 200
    stats = store.stats()
    assert stats["breaches"] == []
    assert [e["type"] for e in store.events("S1")] == list(CONTRACT)
    assert "billing.period_reopened" in CONTRACT
