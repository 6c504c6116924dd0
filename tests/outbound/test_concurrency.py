"""32 pickers hitting the same SKUs at once, over real parallel HTTP requests.

A real `bondfloor serve` runs on 127.0.0.1 (seeded with `bondfloor demo`, like the
end-to-end tests); 32 threads, each with its own user, session, handheld name and HTTP
connection, fire together behind a barrier. What they did is then read back from the
server's SQLite file: reservations never exceed stock, no pick is lost or made twice,
stock never goes negative and the balances always equal the sum of the movements.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.demo import ean13
from server.ledger.service import balances_from_movements, stored_balances
from tests.live_server import log_in, running_server
from tests.outbound.helpers import order_json

DEMO_PIN = "1234"
PICKERS = 32
SUPERVISORS = 8  # each on four devices: 32 supervisor sessions
CUSTOMER = "JPHOME"  # a demo cargo owner whose SKUs track neither lot nor expiry
OK_LEASE_REFUSALS = {"TASK_LEASED", "TASK_CLOSED"}


# -- handhelds: one user, session, device name and HTTP connection each --------------------


@dataclass
class Reply:
    """One answer as the test saw it."""

    who: str
    method: str
    path: str
    status: int
    code: str  # the error code, "" on success
    body: Any

    def clean(self) -> bool:
        """200, or a refusal with a stable error code: never a 500, never a bare 4xx."""
        return self.status == 200 or (400 <= self.status < 500 and bool(self.code))


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
        """A session of its own: by badge scan when the user has one (no slow PIN hash)."""
        answer = log_in(self.client, self.user, self.badge)
        assert answer.status_code in (200, 201), answer.text
        self.client.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    def _record(self, method: str, path: str, answer: httpx.Response) -> Reply:
        try:
            body = answer.json()
        except ValueError:
            body = answer.text
        code = ""
        if answer.status_code != 200:
            error = body.get("error") if isinstance(body, dict) else None
            code = str(error.get("code") or "") if isinstance(error, dict) else ""
        reply = Reply(self.user, method, path, answer.status_code, code, body)
        self.replies.append(reply)
        return reply

    def post(self, path: str, json: Any = None, *, key: str | None = None) -> Reply:
        headers = {"Idempotency-Key": key or f"{self.device}-{uuid.uuid4().hex}"}
        answer = self.client.post(path, json=json if json is not None else {}, headers=headers)
        return self._record("POST", path, answer)

    def get(self, path: str, **params: Any) -> Reply:
        return self._record("GET", path, self.client.get(path, params=params))

    def ok(self, reply: Reply) -> Any:
        assert reply.status == 200, f"{reply.method} {reply.path}: {reply.status} {reply.body}"
        return reply.body

    def close(self) -> None:
        self.client.close()


@dataclass
class Floor:
    base_url: str
    db_path: Path
    admin: Handheld
    sup: Handheld
    pickers: list[Handheld]
    supervisors: list[Handheld]
    log: Path

    def db(self) -> sqlite3.Connection:
        """A fresh read-only connection on the server's database (latest committed state)."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn

    def read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        conn = self.db()
        try:
            conn.execute("BEGIN")
            return fn(conn)
        finally:
            conn.close()

    def all_handhelds(self) -> list[Handheld]:
        return [self.admin, self.sup, *self.pickers, *self.supervisors]


def _in_parallel(fn: Callable[[int], Any], count: int = PICKERS) -> list[Any]:
    """Run fn(0) … fn(count-1) on `count` threads that start together."""
    barrier = threading.Barrier(count)

    def run(i: int) -> Any:
        barrier.wait(timeout=60)
        return fn(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Floor]:
    """A real server with the demo warehouse and 32 picker handhelds (a user each) and 32
    supervisor handhelds (eight supervisors on four devices each) logged in."""
    folder = tmp_path_factory.mktemp("concurrency")
    extra_config = "[outbound]\nauto_wave_minutes = 0\n"
    with running_server(folder, "concurrency", extra_config) as server:
        base_url = server.base_url
        handhelds: list[Handheld] = []
        try:
            admin = Handheld(base_url, "admin", "cc-admin")
            sup = Handheld(base_url, "sup01", "cc-sup01")
            admin.login()
            sup.login()
            handhelds += [admin, sup]
            users = [(f"ccpick{i:02d}", "picker") for i in range(PICKERS)]
            users += [(f"ccsup{i}", "supervisor") for i in range(SUPERVISORS)]
            for code, role in users:  # each costs a deliberately slow PIN hash on the server
                answer = admin.post(
                    "/api/v1/users",
                    {
                        "code": code,
                        "name": f"{code} 并发",
                        "roles": [role],
                        "pin": DEMO_PIN,
                        "badge": f"CC-BADGE-{code}",
                    },
                )
                assert answer.status in (200, 201), answer.body
            pickers = [
                Handheld(base_url, f"ccpick{i:02d}", f"hh-pick-{i:02d}", f"CC-BADGE-ccpick{i:02d}")
                for i in range(PICKERS)
            ]
            supervisors = [
                Handheld(
                    base_url,
                    f"ccsup{i % SUPERVISORS}",
                    f"hh-sup-{i:02d}",
                    f"CC-BADGE-ccsup{i % SUPERVISORS}",
                )
                for i in range(PICKERS)
            ]
            handhelds += pickers + supervisors
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda hh: hh.login(), pickers + supervisors))
            yield Floor(base_url, server.db_path, admin, sup, pickers, supervisors, server.log)
        finally:
            for hh in handhelds:
                hh.close()


# -- set-up through the API, as the supervisor ---------------------------------------------

_barcodes = iter(range(70_000, 80_000))


def add_sku(floor: Floor, code: str) -> str:
    barcode = ean13("490", next(_barcodes))
    floor.sup.ok(
        floor.sup.post(
            "/api/v1/skus",
            {"customer": CUSTOMER, "code": code, "name": f"并发 {code}", "barcodes": [barcode]},
        )
    )
    return barcode


def add_location(floor: Floor, code: str, type_: str, seq: int = 0) -> None:
    zone = code.split("-")[0]
    floor.sup.ok(
        floor.sup.post(
            "/api/v1/locations", {"code": code, "zone": zone, "type": type_, "pick_sequence": seq}
        )
    )


def receive(floor: Floor, location: str, sku: str, quantity: int) -> None:
    floor.sup.ok(
        floor.sup.post(
            "/api/v1/ledger/movements",
            {
                "kind": "receive",
                "reason": "opening_balance",
                "customer": CUSTOMER,
                "sku": sku,
                "quantity": quantity,
                "to_location": location,
            },
        )
    )


def released_order(
    floor: Floor, order_no: str, lines: list[dict[str, Any]], courier: str
) -> dict[str, Any]:
    body = order_json(lines, customer=CUSTOMER, order_no=order_no, courier=courier)
    order: dict[str, Any] = floor.sup.ok(floor.sup.post("/api/v1/orders", body))
    floor.sup.ok(
        floor.sup.post(
            "/api/v1/customs-statuses",
            {"order_no": order_no, "code": 800, "status_at": datetime.now(UTC).isoformat()},
        )
    )
    return order


# -- what is read back from the database ----------------------------------------------------


def sku_ids(conn: sqlite3.Connection, codes: list[str]) -> list[int]:
    marks = ",".join("?" * len(codes))
    rows = conn.execute(
        f"SELECT s.id FROM skus s JOIN customers c ON c.id = s.customer_id "
        f"WHERE c.code = ? AND s.code IN ({marks})",
        (CUSTOMER, *codes),
    ).fetchall()
    assert len(rows) == len(codes)
    return [r[0] for r in rows]


def stock_problems(conn: sqlite3.Connection) -> list[str]:
    """Everything that must hold in every committed state of the database."""
    problems = []
    negative = conn.execute("SELECT * FROM balances WHERE quantity < 0").fetchall()
    if negative:
        problems.append(f"negative balances: {[dict(r) for r in negative]}")
    over = conn.execute(
        "SELECT r.*, COALESCE(b.quantity, 0) AS on_hand FROM reservations r "
        "LEFT JOIN balances b ON b.location_id = r.location_id AND b.customer_id = r.customer_id "
        "AND b.sku_id = r.sku_id AND b.lot = r.lot AND b.expiry = r.expiry "
        "WHERE r.quantity > COALESCE(b.quantity, 0) OR r.quantity < 0"
    ).fetchall()
    if over:
        problems.append(f"reservations beyond stock: {[dict(r) for r in over]}")
    reserved = dict(
        (tuple(r)[:5], r[5])
        for r in conn.execute(
            "SELECT location_id, customer_id, sku_id, lot, expiry, quantity FROM reservations "
            "WHERE quantity != 0"
        )
    )
    open_allocations = dict(
        (tuple(r)[:5], r[5])
        for r in conn.execute(
            "SELECT location_id, customer_id, sku_id, lot, expiry, SUM(quantity - picked_qty) "
            "FROM allocations WHERE status = 'open' GROUP BY 1, 2, 3, 4, 5 "
            "HAVING SUM(quantity - picked_qty) != 0"
        )
    )
    if reserved != open_allocations:
        problems.append(f"reservations {reserved} != open allocations {open_allocations}")
    return problems


def ledger_problems(conn: sqlite3.Connection) -> list[str]:
    recomputed, stored = balances_from_movements(conn), stored_balances(conn)
    if recomputed == stored:
        return []
    keys = {k for k in recomputed.keys() | stored.keys() if recomputed.get(k) != stored.get(k)}
    return [f"balance {k}: stored {stored.get(k)} != movements {recomputed.get(k)}" for k in keys]


class Monitor:
    """Reads the database over and over while the pickers work: 'never' means in every
    committed state seen, not only at the end."""

    def __init__(self, floor: Floor) -> None:
        self.floor = floor
        self.problems: list[str] = []
        self.snapshots = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="stock-monitor", daemon=True)

    def __enter__(self) -> Monitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        conn = self.floor.db()
        try:
            while not self._stop.is_set():
                conn.execute("BEGIN")
                try:
                    found = stock_problems(conn) + ledger_problems(conn)
                finally:
                    conn.execute("COMMIT")
                self.snapshots += 1
                if found and len(self.problems) < 20:
                    self.problems += found
                self._stop.wait(0.02)
        finally:
            conn.close()


def unclean(replies: list[Reply]) -> list[str]:
    return [f"{r.who} {r.method} {r.path} -> {r.status} {r.body}" for r in replies if not r.clean()]


def replies_of(handhelds: list[Handheld]) -> list[Reply]:
    return [r for hh in handhelds for r in hh.replies]


def reset_replies(floor: Floor) -> None:
    for hh in floor.all_handhelds():
        hh.replies.clear()


def server_errors(floor: Floor) -> str:
    text = floor.log.read_text(errors="replace")
    return text[-3000:] if "Traceback" in text else ""


# -- a) scarce stock: 32 wave builds and allocations at once ------------------------------


def test_scarce_stock_is_never_over_reserved(floor: Floor) -> None:
    reset_replies(floor)
    sku = "CCA-SCARCE"
    add_sku(floor, sku)
    stock = {"CCA-01": 4, "CCA-02": 3, "CCA-03": 3}
    for seq, (code, quantity) in enumerate(stock.items(), start=1):
        add_location(floor, code, "storage", seq)
        receive(floor, code, sku, quantity)
    on_hand = sum(stock.values())
    rng = random.Random(32)
    wanted = {f"CCA{i:04d}": rng.choice((1, 2)) for i in range(PICKERS)}
    orders = {
        no: released_order(floor, no, [{"sku": sku, "quantity": q}], courier="CCA")
        for no, q in wanted.items()
    }
    assert sum(wanted.values()) > on_hand  # scarce: not every order can be covered
    numbers = list(wanted)

    def attempts(i: int) -> None:
        """Each supervisor device builds a wave or re-allocates: its own order, then its
        neighbours' (which other devices are working on at the same moment)."""
        hh = floor.supervisors[i]
        mine, next_, after = (numbers[(i + k) % PICKERS] for k in range(3))
        wave = lambda no: hh.post("/api/v1/waves", {"order_nos": [no]})  # noqa: E731
        allocate = lambda no: hh.post(f"/api/v1/orders/{orders[no]['id']}/allocate")  # noqa: E731
        first, second = (wave, allocate) if i % 2 == 0 else (allocate, wave)
        first(mine)
        second(next_)
        first(after)
        if i % 8 == 0:  # a sweep over every waiting order of the courier
            hh.post("/api/v1/waves", {"courier": "CCA"})

    with Monitor(floor) as monitor:
        _in_parallel(attempts)
    replies = replies_of(floor.supervisors)
    assert len(replies) == 3 * PICKERS + PICKERS // 8
    assert unclean(replies) == [], server_errors(floor)
    assert monitor.problems == []
    assert monitor.snapshots > 0

    def facts(conn: sqlite3.Connection) -> dict[str, Any]:
        (sku_id,) = sku_ids(conn, [sku])
        return {
            "balances": {
                r[0]: r[1]
                for r in conn.execute(
                    "SELECT l.code, b.quantity FROM balances b "
                    "JOIN locations l ON l.id = b.location_id WHERE b.sku_id = ?",
                    (sku_id,),
                )
            },
            "reserved": {
                r[0]: r[1]
                for r in conn.execute(
                    "SELECT l.code, r.quantity FROM reservations r "
                    "JOIN locations l ON l.id = r.location_id WHERE r.sku_id = ?",
                    (sku_id,),
                )
            },
            "orders": {
                r["order_no"]: dict(r)
                for r in conn.execute(
                    "SELECT o.order_no, o.state, o.wave_id, "
                    "(SELECT COALESCE(SUM(a.quantity), 0) FROM allocations a "
                    " WHERE a.order_id = o.id AND a.status = 'open') AS reserved, "
                    "(SELECT COUNT(*) FROM allocations a WHERE a.order_id = o.id "
                    " AND a.status = 'open' AND a.wave_id IS NOT o.wave_id) AS stray "
                    "FROM orders o WHERE o.order_no LIKE 'CCA%'"
                )
            },
            "problems": stock_problems(conn) + ledger_problems(conn),
        }

    seen = floor.read(facts)
    assert seen["problems"] == []
    assert seen["balances"] == stock  # reserving moves nothing
    for code, quantity in seen["reserved"].items():
        assert quantity <= stock[code], (code, quantity)
    # Demand is far above stock: every unit ends up reserved, and not one more.
    assert sum(seen["reserved"].values()) == on_hand
    assert set(seen["orders"]) == set(wanted)
    covered = []
    for no, order in seen["orders"].items():
        assert order["reserved"] <= wanted[no], order
        assert order["stray"] == 0, order  # a wave's order has its reservations in that wave
        if order["reserved"] == wanted[no]:
            covered.append(no)
            assert order["state"] in ("allocated", "waved"), order
            assert (order["wave_id"] is not None) == (order["state"] == "waved"), order
        else:
            assert (order["state"], order["wave_id"]) == ("backorder", None), order
    assert sum(wanted[no] for no in covered) <= on_hand
    assert sum(o["reserved"] for o in seen["orders"].values()) == on_hand
    # Every wave answer names only orders the database put in that wave.
    for reply in replies:
        if reply.path == "/api/v1/waves" and reply.status == 200 and reply.body["id"]:
            in_wave = [n for n, o in seen["orders"].items() if o["wave_id"] == reply.body["id"]]
            assert reply.body["orders"] == len(in_wave), reply.body


# -- b) 32 pickers on one wave of many tasks over the same SKUs ----------------------------


@dataclass
class Pickings:
    """What the pickers were told, shared between the picker threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    totes: list[str] = field(default_factory=list)
    held: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    confirmed: list[tuple[str, int, int, str, str]] = field(default_factory=list)
    steals: list[Reply] = field(default_factory=list)
    replays: int = 0
    problems: list[str] = field(default_factory=list)

    def take_tote(self) -> str:
        with self.lock:
            return self.totes.pop()

    def hold(self, who: str, task: dict[str, Any]) -> None:
        with self.lock:
            self.held[task["id"]] = (who, task)

    def drop(self, task_id: int) -> None:
        with self.lock:
            self.held.pop(task_id, None)

    def someone_elses(self, who: str, rng: random.Random) -> dict[str, Any] | None:
        with self.lock:
            theirs = [task for holder, task in self.held.values() if holder != who]
        return rng.choice(theirs) if theirs else None


def _pick_wave(floor: Floor, wave_id: int, shared: Pickings, i: int) -> None:
    """One picker: next task, confirm it (sometimes in two scans), now and then re-send a
    confirm (a handheld retrying after a lost answer) or try to take another picker's task."""
    hh = floor.pickers[i]
    rng = random.Random(i)
    spare: str | None = None  # an empty tote in the picker's hand
    idle_since: float | None = None
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        answer = hh.ok(hh.post(f"/api/v1/waves/{wave_id}/next-task"))
        task = answer["task"]
        if task is None:
            if answer["open_tasks"] == 0:
                return
            # The rest is leased to other pickers; a picker that failed would hold it.
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 20:
                shared.problems.append(f"{hh.user}: open tasks never became free: {answer}")
                return
            time.sleep(0.05)
            continue
        idle_since = None
        shared.hold(hh.user, task)
        if rng.random() < 0.5 and (theirs := shared.someone_elses(hh.user, rng)) is not None:
            spare = spare or shared.take_tote()
            if rng.random() < 0.5:
                steal = hh.post(f"/api/v1/pick-tasks/{theirs['id']}/lease")
            else:
                steal = hh.post(
                    f"/api/v1/pick-tasks/{theirs['id']}/confirm",
                    {
                        "location": theirs["location"],
                        "item": theirs["barcodes"][0],
                        "quantity": theirs["remaining"],
                        "tote": spare,
                    },
                )
            with shared.lock:
                shared.steals.append(steal)
        remaining = task["remaining"]
        scans = [1, remaining - 1] if remaining > 1 and rng.random() < 0.4 else [remaining]
        tote = task["tote"]
        for quantity in scans:
            for _ in range(5):
                if tote is None:
                    spare = spare or shared.take_tote()
                use = tote or spare
                body = {
                    "location": task["location"],
                    "item": task["barcodes"][0],
                    "quantity": quantity,
                    "tote": use,
                }
                key = f"{hh.device}-{uuid.uuid4().hex}"
                reply = hh.post(f"/api/v1/pick-tasks/{task['id']}/confirm", body, key=key)
                if reply.status == 200:
                    with shared.lock:
                        shared.confirmed.append((hh.user, task["id"], quantity, use, key))
                    if use == spare:
                        spare = None
                    tote = use
                    if rng.random() < 0.25:  # the answer was lost: the handheld sends again
                        again = hh.post(f"/api/v1/pick-tasks/{task['id']}/confirm", body, key=key)
                        if (again.status, again.body) != (200, reply.body):
                            shared.problems.append(f"replay differs: {reply.body} / {again.body}")
                        with shared.lock:
                            shared.replays += 1
                    break
                if reply.code == "ORDER_IN_OTHER_TOTE":
                    # Another picker has just started this order in a tote: follow it there.
                    tote = reply.body["error"]["details"]["tote"]
                    continue
                shared.problems.append(f"{hh.user} confirm {body}: {reply.status} {reply.body}")
                return
            else:
                shared.problems.append(f"{hh.user}: task {task['id']} never found its tote")
                return
        shared.drop(task["id"])
    shared.problems.append(f"{hh.user}: still picking after 45 s")


def test_32_pickers_on_one_wave_never_lose_or_double_a_pick(floor: Floor) -> None:
    reset_replies(floor)
    skus = ["CCB-1", "CCB-2", "CCB-3"]
    for sku in skus:
        add_sku(floor, sku)
    stock: dict[tuple[str, str], int] = {}
    seq = 100
    for s, sku in enumerate(skus):
        for n in range(1, 5):
            # Small lots per location, so one order line often needs two locations.
            code = f"CCB-{s}{n}"
            seq += 1
            add_location(floor, code, "storage", seq)
            receive(floor, code, sku, 25)
            stock[(code, sku)] = 25
    rng = random.Random(1210)
    orders: dict[str, dict[str, Any]] = {}
    for n in range(48):
        lines = [
            {"sku": sku, "quantity": rng.randint(1, 4)}
            for sku in rng.sample(skus, k=rng.randint(1, 3))
        ]
        orders[f"CCB{n:04d}"] = released_order(floor, f"CCB{n:04d}", lines, courier="CCB")
    totes = [f"CCT-B{n:03d}" for n in range(len(orders) + PICKERS + 8)]
    for tote in totes:
        add_location(floor, tote, "tote")
    built = floor.sup.ok(floor.sup.post("/api/v1/waves", {"order_nos": list(orders)}))
    assert (built["orders"], built["backordered"]) == (len(orders), [])
    wave_id = built["id"]
    tasks_before = floor.read(
        lambda c: {
            r["id"]: dict(r)
            for r in c.execute("SELECT * FROM allocations WHERE wave_id = ?", (wave_id,))
        }
    )
    assert len(tasks_before) > len(orders)  # many tasks, over three SKUs
    shared = Pickings(totes=totes[::-1])

    with Monitor(floor) as monitor:
        started = time.monotonic()
        _in_parallel(lambda i: _pick_wave(floor, wave_id, shared, i))
        took = time.monotonic() - started
    replies = replies_of(floor.pickers)
    assert shared.problems == [], server_errors(floor)
    assert unclean(replies) == [], server_errors(floor)
    assert monitor.problems == []
    # Nobody took a task another handheld held.
    assert [(s.status, s.code) for s in shared.steals if s.code not in OK_LEASE_REFUSALS] == []
    assert Counter(s.code for s in shared.steals)["TASK_LEASED"] > 0, "no race was exercised"
    # Every picker worked: the wave was really picked in parallel.
    workers = {who for who, *_ in shared.confirmed}
    assert len(workers) >= PICKERS // 2, (workers, took)

    def facts(conn: sqlite3.Connection) -> dict[str, Any]:
        nos = list(orders)
        marks = ",".join("?" * len(nos))
        return {
            "tasks": {
                r["id"]: dict(r)
                for r in conn.execute("SELECT * FROM allocations WHERE wave_id = ?", (wave_id,))
            },
            "picks": [
                dict(r)
                for r in conn.execute(
                    "SELECT m.document, m.quantity, m.sku_id, m.lot, m.expiry, m.user_code, "
                    "m.from_location_id, m.to_location_id, t.code AS tote, t.type AS tote_type "
                    f"FROM movements m JOIN locations t ON t.id = m.to_location_id "
                    f"WHERE m.kind = 'pick' AND m.document IN ({marks})",
                    nos,
                )
            ],
            "orders": {
                r["order_no"]: dict(r)
                for r in conn.execute(
                    "SELECT o.order_no, o.state, t.code AS tote FROM orders o "
                    f"LEFT JOIN locations t ON t.id = o.tote_location_id WHERE o.order_no IN ({marks})",
                    nos,
                )
            },
            "storage": {
                (r[0], r[1]): r[2]
                for r in conn.execute(
                    "SELECT l.code, s.code, b.quantity FROM balances b "
                    "JOIN locations l ON l.id = b.location_id JOIN skus s ON s.id = b.sku_id "
                    "WHERE l.code LIKE 'CCB-%'"
                )
            },
            "in_totes": {
                (r[0], r[1]): r[2]
                for r in conn.execute(
                    "SELECT l.code, s.code, b.quantity FROM balances b "
                    "JOIN locations l ON l.id = b.location_id JOIN skus s ON s.id = b.sku_id "
                    "WHERE l.code LIKE 'CCT-B%'"
                )
            },
            "wave": conn.execute("SELECT status FROM waves WHERE id = ?", (wave_id,)).fetchone()[0],
            "problems": stock_problems(conn) + ledger_problems(conn),
        }

    seen = floor.read(facts)
    assert seen["problems"] == []
    # Every task picked exactly once, in full: what the pickers were told is what happened.
    told: Counter[int] = Counter()
    for _, task_id, quantity, _, _ in shared.confirmed:
        told[task_id] += quantity
    assert len({key for *_, key in shared.confirmed}) == len(shared.confirmed)
    assert set(seen["tasks"]) == set(tasks_before)
    for task_id, task in seen["tasks"].items():
        assert (task["status"], task["picked_qty"]) == ("picked", task["quantity"]), task
        assert told[task_id] == task["quantity"], (task, told[task_id])
    assert seen["wave"] == "done"
    # The ledger: one pick movement per confirmed scan (replays moved nothing), each from the
    # task's location, and per order, location and SKU exactly what its tasks picked.
    assert len(seen["picks"]) == len(shared.confirmed)
    moved: Counter[tuple[str, int, int]] = Counter()
    for m in seen["picks"]:
        moved[(m["document"], m["from_location_id"], m["sku_id"])] += m["quantity"]
    reserved: Counter[tuple[str, int, int]] = Counter()
    order_nos = {o["id"]: no for no, o in orders.items()}
    for task in seen["tasks"].values():
        reserved[(order_nos[task["order_id"]], task["location_id"], task["sku_id"])] += task[
            "quantity"
        ]
    assert moved == reserved
    picked_total = sum(t["quantity"] for t in seen["tasks"].values())
    assert sum(m["quantity"] for m in seen["picks"]) == picked_total
    assert sum(seen["in_totes"].values()) == picked_total
    # One order, one tote; one tote, one order.
    tote_of: dict[str, set[str]] = defaultdict(set)
    order_of: dict[str, set[str]] = defaultdict(set)
    for m in seen["picks"]:
        assert m["tote_type"] == "tote", m
        tote_of[m["document"]].add(m["tote"])
        order_of[m["tote"]].add(m["document"])
    assert {no: len(t) for no, t in tote_of.items() if len(t) != 1} == {}
    assert {t: len(o) for t, o in order_of.items() if len(o) != 1} == {}
    for no, order in seen["orders"].items():
        assert order["state"] == "picked", order
        assert {order["tote"]} == tote_of[no], order
    # Storage lost exactly what was picked from it; each tote holds exactly what went in.
    location_codes = floor.read(
        lambda c: {r[0]: r[1] for r in c.execute("SELECT id, code FROM locations")}
    )
    sku_codes = floor.read(lambda c: {r[0]: r[1] for r in c.execute("SELECT id, code FROM skus")})
    picked_from: Counter[tuple[str, str]] = Counter()
    put_into: Counter[tuple[str, str]] = Counter()
    for m in seen["picks"]:
        sku = sku_codes[m["sku_id"]]
        picked_from[(location_codes[m["from_location_id"]], sku)] += m["quantity"]
        put_into[(m["tote"], sku)] += m["quantity"]
    expected = {k: q - picked_from[k] for k, q in stock.items() if q - picked_from[k] != 0}
    assert seen["storage"] == expected
    assert seen["in_totes"] == dict(put_into)
    assert shared.replays > 0


# -- c) 32 pickers racing for the same task -------------------------------------------------


@pytest.mark.parametrize("lease_first", [True, False], ids=["lease-then-confirm", "confirm"])
def test_32_pickers_racing_for_one_task_move_stock_once(floor: Floor, lease_first: bool) -> None:
    reset_replies(floor)
    tag = "L" if lease_first else "C"
    sku = f"CCC-{tag}"
    barcode = add_sku(floor, sku)
    location = f"CCC-{tag}1"
    add_location(floor, location, "storage", 500)
    receive(floor, location, sku, 10)
    totes = [f"CCT-{tag}{i:02d}" for i in range(PICKERS)]
    for tote in totes:
        add_location(floor, tote, "tote")
    order_no = f"CCC{tag}0001"
    released_order(floor, order_no, [{"sku": sku, "quantity": 3}], courier="CCC")
    built = floor.sup.ok(floor.sup.post("/api/v1/waves", {"order_nos": [order_no]}))
    tasks = floor.sup.ok(floor.sup.get(f"/api/v1/waves/{built['id']}/tasks"))
    assert [(t["location"], t["quantity"]) for t in tasks] == [(location, 3)]
    task_id = tasks[0]["id"]
    body = {"location": location, "item": barcode, "quantity": 3}

    def race(i: int) -> tuple[Reply | None, Reply]:
        hh = floor.pickers[i]
        lease = hh.post(f"/api/v1/pick-tasks/{task_id}/lease") if lease_first else None
        return lease, hh.post(f"/api/v1/pick-tasks/{task_id}/confirm", {**body, "tote": totes[i]})

    with Monitor(floor) as monitor:
        results = _in_parallel(race)
    assert unclean(replies_of(floor.pickers)) == [], server_errors(floor)
    assert monitor.problems == []
    confirms = [confirm for _, confirm in results]
    winners = [i for i, c in enumerate(confirms) if c.status == 200]
    assert len(winners) == 1, [(c.status, c.code) for c in confirms]
    assert {(c.status, c.code) for c in confirms if c.status != 200} <= {
        (409, code) for code in OK_LEASE_REFUSALS
    }
    if lease_first:
        leases = [lease for lease, _ in results]
        assert all(lease is not None for lease in leases)
        granted = [i for i, lease in enumerate(leases) if lease and lease.status == 200]
        assert granted == winners  # only the handheld holding the lease may pick
        assert {(r.status, r.code) for r in leases if r and r.status != 200} <= {
            (409, code) for code in OK_LEASE_REFUSALS
        }
    winner_tote = totes[winners[0]]

    def facts(conn: sqlite3.Connection) -> dict[str, Any]:
        return {
            "task": dict(
                conn.execute("SELECT * FROM allocations WHERE id = ?", (task_id,)).fetchone()
            ),
            "picks": [
                tuple(r)
                for r in conn.execute(
                    "SELECT m.quantity, f.code, t.code FROM movements m "
                    "JOIN locations f ON f.id = m.from_location_id "
                    "JOIN locations t ON t.id = m.to_location_id "
                    "WHERE m.kind = 'pick' AND m.document = ?",
                    (order_no,),
                )
            ],
            "stock": {
                r[0]: r[1]
                for r in conn.execute(
                    "SELECT l.code, b.quantity FROM balances b JOIN locations l "
                    "ON l.id = b.location_id JOIN skus s ON s.id = b.sku_id WHERE s.code = ?",
                    (sku,),
                )
            },
            "order": conn.execute(
                "SELECT o.state, t.code FROM orders o LEFT JOIN locations t "
                "ON t.id = o.tote_location_id WHERE o.order_no = ?",
                (order_no,),
            ).fetchone(),
            "problems": stock_problems(conn) + ledger_problems(conn),
        }

    seen = floor.read(facts)
    assert seen["problems"] == []
    assert (seen["task"]["status"], seen["task"]["picked_qty"]) == ("picked", 3)
    assert seen["picks"] == [(3, location, winner_tote)]  # stock moved exactly once
    assert seen["stock"] == {location: 7, winner_tote: 3}
    assert tuple(seen["order"]) == ("picked", winner_tote)


def test_32_pickers_asking_for_work_at_once_never_share_a_task(floor: Floor) -> None:
    """Fewer tasks than pickers: each task is leased to exactly one handheld."""
    reset_replies(floor)
    sku = "CCD-1"
    add_sku(floor, sku)
    for n in range(1, 4):
        add_location(floor, f"CCD-{n}", "storage", 600 + n)
        receive(floor, f"CCD-{n}", sku, 4)
    nos = [f"CCD{n:04d}" for n in range(12)]
    for no in nos:
        released_order(floor, no, [{"sku": sku, "quantity": 1}], courier="CCD")
    built = floor.sup.ok(floor.sup.post("/api/v1/waves", {"order_nos": nos}))
    assert built["orders"] == len(nos)

    def ask(i: int) -> Any:
        hh = floor.pickers[i]
        return hh.ok(hh.post(f"/api/v1/waves/{built['id']}/next-task"))["task"]

    got = _in_parallel(ask)
    assert unclean(replies_of(floor.pickers)) == [], server_errors(floor)
    given = [task["id"] for task in got if task is not None]
    assert len(given) == len(nos)
    assert len(set(given)) == len(given), Counter(given).most_common(3)
    holders = floor.read(
        lambda c: {
            r[0]: r[1]
            for r in c.execute(
                "SELECT id, lease_holder FROM allocations WHERE wave_id = ?", (built["id"],)
            )
        }
    )
    for i, task in enumerate(got):
        if task is not None:
            assert holders[task["id"]] == f"{floor.pickers[i].user}@{floor.pickers[i].device}"
    # Each picker is held to its own task: asking again gives the same one back.
    again = _in_parallel(ask)
    assert [t and t["id"] for t in again] == [t and t["id"] for t in got]
