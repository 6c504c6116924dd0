"""Two handhelds check out one truck at the same door at the same time, over real HTTP.

A real `bondfloor serve` runs on 127.0.0.1 (seeded with `bondfloor demo`, like
tests/outbound/test_concurrency.py), its parcels made through the API: ordered, released,
waved, picked and packed. Two dock workers (two users, two sessions, two handheld names,
an HTTP connection each) scan the same loading list at once, each every parcel of it in
its own order, plus parcels of another truck's list, a parcel on no list, an unknown
waybill, a parcel of the list that customs put on hold, and repeated scans. A supervisor
on a third handheld tries to depart the whole time, and takes the held parcel off the list
once both handhelds were refused it. All three start together behind a barrier.

Then, from the answers and the server's SQLite file: every parcel of the list was loaded
exactly once (one `loaded` answer, one `order.loaded` event), nothing else was loaded, no
answer was a 500 or an uncoded 4xx, the truck departed exactly once, only when everything
was loaded, with exactly the list's released parcels, and their stock left the ledger.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.demo import ean13
from server.dock.identity import id_check_character
from server.ledger.service import balances_from_movements, stored_balances
from tests.live_server import DEMO_BADGES, log_in, running_server
from tests.outbound.helpers import order_json

DEMO_PIN = "1234"
CUSTOMER = "JPHOME"  # a demo cargo owner whose SKUs track neither lot nor expiry
SKU, EAN = "DK2-SOAP", ean13("490", 81_210)
STORAGE = "DK2-01"
DOOR = "door-1"  # a dock_door station with a printer: departure queues the driver's slip
PLATE, OTHER_PLATE = "粤B23456", "粤BD54321"
DRIVER_NAME, SEAL = "王师傅", "SEAL-DK2-0001"
DRIVER_ID = "44030519900307123" + id_check_character("44030519900307123")
ON_LIST, OTHER_LIST, LOOSE = 40, 4, 2  # released parcels on the truck's list, etc.
REPEATS = 6  # parcels each handheld scans a second time
UNKNOWN = "SF0000000000"
STORM_SECONDS = 45  # the scans, all of them, must be over by then


# -- handhelds: one user, session, device name and HTTP connection each --------------------


@dataclass
class Reply:
    who: str
    path: str
    sent: str  # the scanned code or the action
    status: int
    code: str  # the error code, "" on success
    body: Any

    def clean(self) -> bool:
        """200, or a refusal with a stable error code: never a 500, never a bare 4xx."""
        return self.status == 200 or (400 <= self.status < 500 and bool(self.code))

    @property
    def outcome(self) -> str:
        return str(self.body.get("outcome", "")) if self.status == 200 else self.code


class Handheld:
    def __init__(self, base_url: str, user: str, device: str, badge: str | None = None) -> None:
        self.user = user
        self.device = device
        self.badge = badge
        self.client = httpx.Client(
            base_url=base_url, timeout=30, headers={"X-Device": device}, trust_env=False
        )
        self.replies: list[Reply] = []

    def login(self) -> None:
        """A session of its own: by badge when the user has one (no slow PIN hash)."""
        answer = log_in(self.client, self.user, self.badge)
        assert answer.status_code in (200, 201), answer.text
        self.client.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    def post(self, path: str, json: Any = None, *, sent: str = "") -> Reply:
        headers = {"Idempotency-Key": f"{self.device}-{uuid.uuid4().hex}"}
        answer = self.client.post(path, json=json if json is not None else {}, headers=headers)
        try:
            body = answer.json()
        except ValueError:
            body = answer.text
        code = ""
        if answer.status_code != 200:
            error = body.get("error") if isinstance(body, dict) else None
            code = str(error.get("code") or "") if isinstance(error, dict) else ""
        reply = Reply(self.user, path, sent or path, answer.status_code, code, body)
        self.replies.append(reply)
        return reply

    def ok(self, path: str, json: Any = None) -> Any:
        reply = self.post(path, json)
        assert reply.status == 200, f"{self.user} POST {path}: {reply.status} {reply.body}"
        return reply.body

    def close(self) -> None:
        self.client.close()


@dataclass
class Door:
    base_url: str
    db_path: Path
    log: Path
    sup: Handheld
    picker: Handheld
    packer: Handheld
    dock: list[Handheld]  # dock01 and dock02, each on its own handheld
    gate: Handheld  # sup01 again, on a third handheld: departs and pulls off

    def read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """One read-only snapshot of the server's database."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("BEGIN")
            return fn(conn)
        finally:
            conn.close()

    def server_errors(self) -> str:
        text = self.log.read_text(errors="replace")
        return text[-3000:] if "Traceback" in text else ""


@pytest.fixture
def door(tmp_path: Path) -> Iterator[Door]:
    """A real server with the demo warehouse, a pack bench and a dock door sharing a file
    printer, and the handhelds logged in: sup01, pick01, pack01, dock01, dock02 (added by
    the admin) and sup01 again on the gate's handheld."""
    extra_config = (
        "[outbound]\nauto_wave_minutes = 0\n"
        f'[[printers]]\nname = "label-1"\nkind = "file"\nfolder = "{tmp_path / "printouts"}"\n'
        '[[stations]]\nname = "pack-01"\nkind = "pack_bench"\nprinters = ["label-1"]\n'
        f'[[stations]]\nname = "{DOOR}"\nkind = "dock_door"\nprinters = ["label-1"]\n'
    )
    with running_server(tmp_path, "two handhelds", extra_config) as server:
        base_url = server.base_url
        handhelds: list[Handheld] = []
        try:
            admin = Handheld(base_url, "admin", "dk2-admin")
            handhelds.append(admin)
            admin.login()
            added = admin.post(
                "/api/v1/users",
                {
                    "code": "dock02",
                    "name": "周装车",
                    "roles": ["dock"],
                    "pin": DEMO_PIN,
                    "badge": "DK2-BADGE-dock02",
                },
            )
            assert added.status in (200, 201), added.body
            sup = Handheld(base_url, "sup01", "dk2-sup", DEMO_BADGES["sup01"])
            picker = Handheld(base_url, "pick01", "dk2-pick", DEMO_BADGES["pick01"])
            packer = Handheld(base_url, "pack01", "dk2-pack", DEMO_BADGES["pack01"])
            dock = [
                Handheld(base_url, "dock01", "HH-DOCK-A", DEMO_BADGES["dock01"]),
                Handheld(base_url, "dock02", "HH-DOCK-B", "DK2-BADGE-dock02"),
            ]
            gate = Handheld(base_url, "sup01", "HH-GATE", DEMO_BADGES["sup01"])
            handhelds += [sup, picker, packer, *dock, gate]
            for hh in (sup, picker, packer, *dock, gate):
                hh.login()
            yield Door(base_url, server.db_path, server.log, sup, picker, packer, dock, gate)
        finally:
            for hh in handhelds:
                hh.close()


# -- the parcels, made through the API ----------------------------------------------------


@dataclass
class Parcel:
    order_no: str
    waybill_no: str
    order_id: int


def packed_parcels(door: Door, count: int) -> list[Parcel]:
    """`count` released orders of one unit, waved, picked into demo totes and packed."""
    sup = door.sup
    sup.ok(
        "/api/v1/skus",
        {"customer": CUSTOMER, "code": SKU, "name": "香皂 DK2", "barcodes": [EAN]},
    )
    sup.ok(
        "/api/v1/locations", {"code": STORAGE, "zone": "DK2", "type": "storage", "pick_sequence": 1}
    )
    sup.ok(
        "/api/v1/ledger/movements",
        {
            "kind": "receive",
            "reason": "opening_balance",
            "customer": CUSTOMER,
            "sku": SKU,
            "quantity": count,
            "to_location": STORAGE,
        },
    )
    made: dict[str, Parcel] = {}
    for n in range(count):
        order_no = f"DK2{n:04d}"
        body = order_json(
            [{"sku": SKU, "quantity": 1}], customer=CUSTOMER, order_no=order_no, courier="DK2"
        )
        order = sup.ok("/api/v1/orders", body)
        sup.ok(
            "/api/v1/customs-statuses",
            {"order_no": order_no, "code": 800, "status_at": datetime.now(UTC).isoformat()},
        )
        made[order_no] = Parcel(order_no, order["waybill_no"], order["id"])
    wave = sup.ok("/api/v1/waves", {"order_nos": list(made)})
    assert wave["orders"] == count, wave
    totes = iter(f"TOTE-{i:03d}" for i in range(1, 61))  # the demo's totes, all empty
    tote_of: dict[str, str] = {}
    while (task := door.picker.ok(f"/api/v1/waves/{wave['id']}/next-task")["task"]) is not None:
        tote = tote_of.setdefault(task["order_no"], next(totes))
        door.picker.ok(
            f"/api/v1/pick-tasks/{task['id']}/confirm",
            {
                "location": task["location"],
                "item": task["barcodes"][0],
                "quantity": task["remaining"],
                "tote": tote,
            },
        )
    for parcel in made.values():
        door.packer.ok(
            f"/api/v1/orders/{parcel.order_id}/pack-scans", {"scan": EAN, "station": "pack-01"}
        )
        door.packer.ok(
            f"/api/v1/orders/{parcel.order_id}/pack", {"weight_g": 900, "station": "pack-01"}
        )
    # Let the file printer draw the face sheets first: the scans should not share the CPU.
    deadline = time.monotonic() + 60
    while door.read(
        lambda c: c.execute(
            "SELECT COUNT(*) FROM print_jobs WHERE status IN ('queued', 'sending')"
        ).fetchone()[0]
    ):
        assert time.monotonic() < deadline, "face sheets still queued after 60 s"
        time.sleep(0.1)
    return list(made.values())


def truck(plate: str, waybills: list[str]) -> dict[str, Any]:
    return {
        "plate": plate,
        "driver_name": DRIVER_NAME,
        "driver_id": DRIVER_ID,
        "driver_phone": "13800138000",
        "seal_no": SEAL,
        "carrier": "DK2",
        "waybills": waybills,
    }


def scan_plan(
    rng: random.Random, on_list: list[str], held: str, others: list[str], swap: bool
) -> list[str]:
    """Every parcel of the list in this handheld's order, the held parcel early and again
    at the end, the other codes anywhere, and some parcels scanned a second time later.
    With `swap` the neighbours trade places (b a d c ...): a different order, yet the two
    handhelds reach each parcel at about the same moment."""
    mine = list(on_list)
    if swap:
        for i in range(0, len(mine) - 1, 2):
            mine[i], mine[i + 1] = mine[i + 1], mine[i]
    plan = [mine[0], held, *mine[1:]]
    for code in others:
        plan.insert(rng.randrange(2, len(plan) + 1), code)
    for waybill in rng.sample(on_list, REPEATS):
        first = plan.index(waybill)
        again = waybill if rng.random() < 0.5 else f"PCL-{waybill}"  # the parcel's location
        plan.insert(rng.randrange(first + 1, len(plan) + 1), again)
    return [*plan, held]


# -- the test -----------------------------------------------------------------------------


def test_two_handhelds_load_one_truck_at_once_and_it_leaves_once(door: Door) -> None:
    parcels = packed_parcels(door, ON_LIST + 1 + OTHER_LIST + LOOSE)
    on_list, held = parcels[:ON_LIST], parcels[ON_LIST]
    other_list = parcels[ON_LIST + 1 : ON_LIST + 1 + OTHER_LIST]
    loose = parcels[ON_LIST + 1 + OTHER_LIST :]
    dock_a, dock_b = door.dock
    listed = dock_a.ok(
        "/api/v1/loading-lists", truck(PLATE, [p.waybill_no for p in [*on_list, held]])
    )
    other = dock_a.ok(
        "/api/v1/loading-lists", truck(OTHER_PLATE, [p.waybill_no for p in other_list])
    )
    assert listed["planned"] == ON_LIST + 1 and other["planned"] == OTHER_LIST
    list_id, list_no = listed["id"], listed["list_no"]
    base = f"/api/v1/loading-lists/{list_id}"
    # Customs selects the held parcel for inspection after it was listed.
    door.sup.ok(
        "/api/v1/customs-statuses",
        {"order_no": held.order_no, "code": 500, "status_at": datetime.now(UTC).isoformat()},
    )
    dock_a.ok("/api/v1/dock/open", {"scan": PLATE, "door": DOOR})
    dock_b.ok("/api/v1/dock/open", {"scan": PLATE, "door": DOOR})  # the same list, same door
    dock_a.ok(f"{base}/driver-id", {"driver_id": DRIVER_ID})
    dock_b.ok(f"{base}/driver-name", {"driver_name": DRIVER_NAME})
    dock_a.ok(f"{base}/seal", {"seal_no": SEAL})
    for hh in (dock_a, dock_b, door.gate):
        hh.replies.clear()

    rng = random.Random(1210)
    waybills = [p.waybill_no for p in on_list]
    rng.shuffle(waybills)
    extra = [p.waybill_no for p in other_list + loose] + [UNKNOWN]
    plans = [
        scan_plan(rng, waybills, held.waybill_no, extra, swap=False),
        scan_plan(rng, waybills, held.waybill_no, extra, swap=True),
    ]
    refused_held = [threading.Event(), threading.Event()]
    scanning = threading.Event()
    scanning.set()
    barrier = threading.Barrier(3)

    def scanner(i: int) -> None:
        hh = door.dock[i]
        barrier.wait(timeout=30)
        for code in plans[i]:
            hh.post(f"{base}/scans", {"scan": code}, sent=code)
            if code == held.waybill_no:
                refused_held[i].set()

    def gate() -> None:
        """Depart, over and over; pull the held parcel off once both were refused it."""
        hh = door.gate
        barrier.wait(timeout=30)
        removed = False
        while True:
            last_round = not scanning.is_set()
            if not removed and all(e.is_set() for e in refused_held):
                hh.ok(
                    f"{base}/remove-parcel",
                    {"waybill_no": held.waybill_no, "reason": "customs inspection (500)"},
                )
                removed = True
            hh.post(f"{base}/depart", sent="depart")
            if last_round:
                return
            time.sleep(0.003)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=3) as pool:
        gate_done = pool.submit(gate)
        scans = [pool.submit(scanner, i) for i in range(2)]
        try:
            for done in scans:
                done.result(timeout=STORM_SECONDS)
        finally:
            scanning.clear()  # the gate's last attempt, then it stops
        gate_done.result(timeout=STORM_SECONDS)
    took = time.monotonic() - started

    # -- the answers ----------------------------------------------------------------------
    scan_replies = [r for hh in door.dock for r in hh.replies]
    gate_replies = door.gate.replies
    unclean = [
        f"{r.who} {r.sent} -> {r.status} {r.body}"
        for r in scan_replies + gate_replies
        if not r.clean()
    ]
    assert unclean == [], door.server_errors()
    assert door.server_errors() == ""
    assert len(scan_replies) == sum(len(p) for p in plans)
    departures = [r for r in gate_replies if r.sent == "depart"]
    won = [r for r in departures if r.status == 200]
    assert len(won) == 1, [(r.status, r.code) for r in departures]
    # Before the departure every attempt was blocked, after it the list was closed.
    outcomes = [r.outcome for r in departures]
    first = outcomes.index("")
    assert set(outcomes[:first]) <= {"DEPARTURE_BLOCKED"}, outcomes
    assert set(outcomes[first + 1 :]) <= {"LIST_DEPARTED"}, outcomes
    assert len(departures) > 1, "the gate never tried while the handhelds scanned"
    for r in departures[:first]:
        codes = {reason["code"] for reason in r.body["error"]["details"]["reasons"]}
        assert codes == {"PARCELS_MISSING"}, r.body  # plate, driver, seal were all done

    by_code: dict[str, Counter[str]] = {}
    for r in scan_replies:
        waybill = r.sent.removeprefix("PCL-")
        by_code.setdefault(waybill, Counter())[r.outcome] += 1
    loaded = Counter(r.sent.removeprefix("PCL-") for r in scan_replies if r.outcome == "loaded")
    assert loaded == Counter({w: 1 for w in waybills}), loaded  # each exactly once, by one
    assert sum(loaded.values()) == ON_LIST
    counts = [r.body["summary"]["loaded"] for r in scan_replies if r.status == 200]
    assert max(counts) == ON_LIST
    for waybill in waybills:
        assert set(by_code[waybill]) <= {"loaded", "duplicate", "LIST_DEPARTED"}, by_code[waybill]
    assert set(by_code[held.waybill_no]) <= {"PARCEL_ON_HOLD", "PARCEL_REMOVED", "LIST_DEPARTED"}
    assert by_code[held.waybill_no]["PARCEL_ON_HOLD"] >= 2  # each handheld, before the pull-off
    for p in other_list:
        assert set(by_code[p.waybill_no]) <= {"PARCEL_OTHER_LIST", "LIST_DEPARTED"}
    for p in loose:
        assert set(by_code[p.waybill_no]) <= {"PARCEL_NOT_ON_LIST", "LIST_DEPARTED"}
    assert set(by_code[UNKNOWN]) <= {"WAYBILL_UNKNOWN", "LIST_DEPARTED"}
    # The handhelds raced for the same parcels: the second scan of one is a notice.
    assert sum(c["duplicate"] for c in by_code.values()) > 0, "no parcel was raced for"
    record = won[0].body
    assert sorted(p["waybill_no"] for p in record["parcels"]) == sorted(waybills)
    assert record["print_job"]["printer"] == "label-1"  # the driver's slip, queued once

    # -- the server's file ---------------------------------------------------------------
    def facts(conn: sqlite3.Connection) -> dict[str, Any]:
        def rows(sql: str, *params: Any) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in conn.execute(sql, params)]

        return {
            "list": dict(
                conn.execute("SELECT * FROM loading_lists WHERE id = ?", (list_id,)).fetchone()
            ),
            "other_state": conn.execute(
                "SELECT state FROM loading_lists WHERE id = ?", (other["id"],)
            ).fetchone()[0],
            "entries": {
                r[0]: r[1:]
                for r in rows(
                    "SELECT p.waybill_no, lp.loaded_at, lp.loaded_by, lp.removed_at "
                    "FROM loading_list_parcels lp JOIN parcels p ON p.id = lp.parcel_id "
                    "WHERE lp.list_id = ?",
                    list_id,
                )
            },
            "loaded_events": Counter(
                r[0]
                for r in rows(
                    "SELECT json_extract(payload, '$.waybill_no') AS w FROM events "
                    "WHERE type = 'order.loaded' AND w IN (SELECT waybill_no FROM orders "
                    "WHERE courier = 'DK2')"  # the demo's own trucks left last month
                )
            ),
            "shipped_events": Counter(
                r[0]
                for r in rows(
                    "SELECT json_extract(payload, '$.waybill_no') AS w FROM events "
                    "WHERE type = 'order.shipped' AND w IN (SELECT waybill_no FROM orders "
                    "WHERE courier = 'DK2')"  # the demo's own trucks left last month
                )
            ),
            "departed_events": rows(
                "SELECT json_extract(payload, '$.list_no') AS l FROM events "
                "WHERE type = 'loading_list.departed' AND l NOT LIKE 'LL-DEMO-%'"
            ),
            "states": dict(
                rows(
                    "SELECT p.waybill_no, o.state || '/' || p.status FROM parcels p "
                    "JOIN orders o ON o.id = p.order_id WHERE o.courier = 'DK2'"
                )
            ),
            "on_parcels": dict(
                rows(
                    "SELECT p.waybill_no, COALESCE(SUM(b.quantity), 0) FROM parcels p "
                    "LEFT JOIN balances b ON b.location_id = p.location_id "
                    "JOIN orders o ON o.id = p.order_id WHERE o.courier = 'DK2' "
                    "GROUP BY p.waybill_no"
                )
            ),
            "ships": Counter(
                r[0]
                for r in rows(
                    "SELECT l.code FROM movements m JOIN locations l "
                    "ON l.id = m.from_location_id WHERE m.kind = 'ship' AND m.document = ?",
                    list_no,
                )
            ),
            "load_commands": conn.execute(
                "SELECT COUNT(*) FROM commands WHERE name = 'loading_list.load' "
                "AND key NOT LIKE 'demo:%'"
            ).fetchone()[0],
            "slips": rows(
                "SELECT json_extract(payload, '$.list_no') AS l FROM print_jobs "
                "WHERE kind = 'handover' AND l NOT LIKE 'LL-DEMO-%'"
            ),
            "ledger": balances_from_movements(conn) == stored_balances(conn),
        }

    seen = door.read(facts)
    assert seen["list"]["state"] == "departed" and seen["other_state"] == "open"
    assert seen["list"]["departed_by"] == "sup01"
    on = {w: e for w, e in seen["entries"].items() if w != held.waybill_no}
    assert sorted(on) == sorted(waybills)
    assert all(loaded_at and not removed for loaded_at, _, removed in on.values())
    # The truck left after the last parcel was loaded (command times, in commit order).
    assert seen["list"]["departed_at"] >= max(loaded_at for loaded_at, _, _ in on.values())
    held_entry = seen["entries"][held.waybill_no]
    assert held_entry[0] is None and held_entry[2] is not None  # never loaded, pulled off
    # Who loaded each parcel is who was told `loaded`.
    told = {r.sent.removeprefix("PCL-"): r.who for r in scan_replies if r.outcome == "loaded"}
    assert {w: e[1] for w, e in on.items()} == told
    assert seen["loaded_events"] == Counter({w: 1 for w in waybills})
    assert seen["shipped_events"] == Counter({w: 1 for w in waybills})
    assert seen["departed_events"] == [(list_no,)]
    assert seen["slips"] == [(list_no,)]
    expected_states = {w: "shipped/shipped" for w in waybills}
    expected_states |= {p.waybill_no: "packed/packed" for p in [held, *other_list, *loose]}
    assert seen["states"] == expected_states
    # The truck's parcels left the ledger; everything else is still on its parcel.
    assert seen["on_parcels"] == {w: 0 for w in waybills} | {
        p.waybill_no: 1 for p in [held, *other_list, *loose]
    }
    assert seen["ships"] == Counter({f"PCL-{w}": 1 for w in waybills})
    accepted = sum(1 for r in scan_replies if r.status == 200)
    assert seen["load_commands"] == accepted  # refusals leave no command, only an audit line
    assert seen["ledger"]
    assert took < STORM_SECONDS
