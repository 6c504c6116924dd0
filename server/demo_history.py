"""Last month on the demo floor, so that the month a supervisor can close bills like a real
one: the demo's stock arrives early last month and is put away, a few orders a week are
picked, packed and leave on a truck, value-added services are done and a location is
counted.

Every record goes through the services and the one write path, as the rest of the demo,
under the site clock moved back to the moment it happened (`clock.use(ManualClock(...))`):
the commands, the ledger, the journal and the audit carry last month's times, one second
apart. Keys are fixed per month: seeding twice in a month changes nothing the second time.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server import clock, system_writes
from server.billing import service as billing
from server.billing.schemas import ServiceRecord
from server.clock import ManualClock
from server.commands import SYSTEM, Actor, CommandContext, run_command
from server.config import Settings
from server.counts import service as counts
from server.counts.schemas import CountLineIn, CountStart
from server.db import Database
from server.dock import service as dock
from server.dock.identity import id_check_character
from server.dock.schemas import LoadingListIn
from server.outbound import orders, packing, picking
from server.outbound.schemas import (
    CustomsStatusIn,
    OrderIn,
    PackComplete,
    PackScan,
    PickConfirm,
    WaveIn,
)
from server.outbound.waves import build_wave
from server.outbound.weighing import expected_weight


def _user(code: str, role: str) -> Actor:
    return Actor(kind="user", code=code, roles=frozenset({role}), device="demo")


PICKER, PACKER, DOCK = _user("pick01", "picker"), _user("pack01", "packer"), _user("dock01", "dock")
COUNTER, SUPERVISOR = _user("count01", "counter"), _user("sup01", "supervisor")
OMS_ACTOR = Actor(kind="oms", code="oms", roles=frozenset({"oms"}))  # sends the orders

# Days of last month (day of month, hour) the floor worked for the demo's customers.
STOCK_ARRIVES = (3, 10)
SHIPPING_DAYS = ((8, 14), (15, 14), (22, 14))
ORDERS_PER_CUSTOMER_A_DAY = 2
# (day, customer, charge code, quantity, document, note)
SERVICES = (
    (10, "HKBEAUTY", "service.labelling", 120, "", "中文背标"),
    (17, "HKBEAUTY", "service.photo", 12, "", "新品拍照"),
    (12, "AUNUTRI", "service.kitting", 20, "", "礼盒组套"),
    (24, "AUNUTRI", "service.labelling", 60, "", "中文背标"),
    (18, "JPHOME", "service.photo", 8, "", "新品拍照"),
)
COUNT_DAY, COUNTED_LOCATION = (25, 16), "A-02-01-1"
TRUCK_PLATE, DRIVER_NAME, SEAL = "粤B66880", "黄师傅", "SEAL-DEMO"
DRIVER_ID = "44030519850612345" + id_check_character("44030519850612345")


@dataclass(frozen=True)
class LastMonth:
    """The calendar month before the site's today, and a clock standing in it."""

    today: date
    timezone: str

    @property
    def first(self) -> date:
        return (self.today.replace(day=1) - timedelta(days=1)).replace(day=1)

    @property
    def name(self) -> str:
        return f"{self.first:%Y-%m}"

    def day(self, day_of_month: int) -> date:
        return self.first.replace(day=day_of_month)

    @contextmanager
    def at(self, day_of_month: int, hour: int) -> Iterator[ManualClock]:
        """The site clock at that hour of that day of last month, site time, until the
        block ends (then the clock before it again)."""
        start = datetime.combine(self.day(day_of_month), time(hour), ZoneInfo(self.timezone))
        with clock.use(ManualClock(start=start)) as moved:
            assert isinstance(moved, ManualClock)
            yield moved


FIRST_STOCK_KEY = "demo:receive:HK0001"
"""The command that receives the demo's first stock line, on any demo's first seeding."""


def history_month_of(db: Database, timezone: str) -> str | None:
    """The month (YYYY-MM, site calendar) the demo's stock arrived in on this file's first
    seeding, or None on a fresh file. Seeding again in a later month must not write last
    month's floor into a month that has happened (it may be billed and closed): only the
    month of the file's first seeding holds the demo's history."""
    row = db.read(
        lambda conn: conn.execute(
            "SELECT at FROM commands WHERE key = ?", (FIRST_STOCK_KEY,)
        ).fetchone()
    )
    if row is None:
        return None
    return f"{datetime.fromisoformat(row[0]).astimezone(ZoneInfo(timezone)):%Y-%m}"


def ticking(db: Database, moved: ManualClock, prefix: str) -> Callable[..., Any]:
    """Run commands one second apart on the moved clock, under `demo:<prefix>:<key>`."""

    def run(actor: Actor, name: str, key: str, payload: object, rules: Callable[..., Any]) -> Any:
        value = run_command(db, actor, name, f"demo:{prefix}:{key}", payload, rules).value
        moved.advance(seconds=1)
        return value

    return run


def seed_last_month(
    db: Database,
    settings: Settings,
    month: LastMonth,
    receive_stock: Callable[[Callable[..., None]], None],
    order_for: Callable[[str, date, int], OrderIn],
    customers: list[str],
) -> dict[str, int]:
    """Seed last month's floor; `receive_stock(run)` posts the demo's stock with the given
    runner (demo.py's), `order_for(customer, day, n)` makes a customer's order. Returns
    what was done, for the demo's summary."""
    with month.at(*STOCK_ARRIVES) as moved:

        def stock_run(name: str, key: str, payload: object, rules: Callable[..., Any]) -> None:
            run_command(db, SYSTEM, name, f"demo:{key}", payload, rules)  # keys of old demos
            moved.advance(seconds=1)

        receive_stock(stock_run)
    shipped = 0
    outbound = _outbound_stations(settings)
    if outbound is not None:
        for day, hour in SHIPPING_DAYS:
            with month.at(day, hour) as moved:
                run = ticking(db, moved, month.name)
                orders_of_day = [
                    order_for(customer, month.day(day), 900 + n)
                    for n, customer in enumerate(
                        (c for c in customers for _ in range(ORDERS_PER_CUSTOMER_A_DAY)), 1
                    )
                ]
                shipped += _ship_a_day(run, settings, outbound, month.day(day), orders_of_day)
                _printed_that_day(db)
    for day, customer, code, qty, document, note in SERVICES:
        with month.at(day, 11) as moved:
            record = ServiceRecord(
                customer=customer, charge_code=code, quantity=qty, document=document, note=note
            )
            ticking(db, moved, month.name)(
                SUPERVISOR,
                "billing.record_service",
                f"service:{day}:{customer}:{code}",
                code,
                lambda conn, ctx, r=record: billing.record_service(conn, ctx, r),
            )
    with month.at(*COUNT_DAY) as moved:
        _count(db, ticking(db, moved, month.name), settings)
    return {"orders_shipped": shipped, "services": len(SERVICES), "counts": 1}


def _printed_that_day(db: Database) -> None:
    """The day's face sheets and handover slips came out of their printers that day, as
    the dispatcher records it: a server started on the demo prints none of last month's
    labels again. Only jobs made up to the moved clock's now: on a second seeding (all
    replays) the queue holds only today's jobs, which are left for the printers."""
    now = clock.stamp()

    def head_of(printer: str) -> Any:
        return db.read(
            lambda c: c.execute(
                "SELECT created_at FROM print_jobs WHERE printer = ? "
                "AND status IN ('queued', 'sending') ORDER BY id LIMIT 1",
                (printer,),
            ).fetchone()
        )

    printers = db.read(
        lambda c: [r[0] for r in c.execute("SELECT DISTINCT printer FROM print_jobs")]
    )
    for printer in printers:
        while (head := head_of(printer)) is not None and head[0] <= now:
            job = system_writes.claim_print_job(db, printer, now)
            if job is None:
                break
            system_writes.mark_print_job_done(db, job["id"], now)


def _outbound_stations(settings: Settings) -> tuple[str, str] | None:
    """The first pack bench with a printer and the first dock door: a site without them
    packs and ships nothing (its parcels would wait on the lanes of today's dock)."""
    bench = next((s for s in settings.stations if s.kind == "pack_bench" and s.printers), None)
    door = next((s for s in settings.stations if s.kind == "dock_door"), None)
    printers = {p.name for p in settings.printers}
    if bench is None or door is None or bench.printers[0] not in printers:
        return None
    return bench.name, door.name


def _ship_a_day(
    run: Callable[..., Any],
    settings: Settings,
    stations: tuple[str, str],
    day: date,
    made: list[OrderIn],
) -> int:
    """The day's orders: released by customs, waved, picked into totes, packed at the
    bench, loaded on one truck that departs (which ships their stock)."""
    bench, door = stations
    ids: dict[str, int] = {}
    for order in made:
        ids[order.order_no] = run(
            OMS_ACTOR,
            "order.upsert",
            f"order:{order.order_no}",
            order.order_no,
            lambda conn, ctx, o=order: orders.upsert_order(conn, ctx, o).id,
        )
        reply = CustomsStatusIn(order_no=order.order_no, code=800, status_at=clock.now())
        run(
            OMS_ACTOR,
            "order.customs_status",
            f"customs:{order.order_no}",
            order.order_no,
            lambda conn, ctx, r=reply: orders.apply_customs_status(
                conn,
                ctx,
                r,
                inspection_lane=settings.outbound.inspection_lane,
                max_ahead_seconds=settings.outbound.customs_time_ahead_seconds,
            ),
        )
    nos = [o.order_no for o in made]
    wave = run(
        SUPERVISOR,
        "wave.build",
        f"wave:{day:%Y%m%d}",
        nos,
        lambda conn, ctx: _wave(conn, ctx, settings, nos, day),
    )
    totes = {no: f"TOTE-{n:03d}" for n, no in enumerate(nos, 1)}
    for n in range(1, wave["tasks"] + 1):
        run(
            PICKER,
            "pick.confirm",
            f"pick:{day:%Y%m%d}:{n}",
            n,
            lambda conn, ctx: _pick_next(conn, ctx, settings, wave["id"], totes),
        )
    rng = random.Random(day.toordinal())
    for order in made:
        order_id = ids[order.order_no]
        run(
            PACKER,
            "pack.scan",
            f"pack-scan:{order.order_no}",
            order.order_no,
            lambda conn, ctx, i=order_id: _scan_all(conn, ctx, settings, i, bench),
        )
        run(
            PACKER,
            "pack.complete",
            f"pack:{order.order_no}",
            order.order_no,
            lambda conn, ctx, i=order_id, g=rng.randint(-20, 20): _complete(
                conn, ctx, settings, i, bench, day, g
            ),
        )
    _depart(run, settings, door, day, [o.waybill_no for o in made])
    return len(made)


def _wave(
    conn: Any, ctx: CommandContext, settings: Settings, nos: list[str], day: date
) -> dict[str, Any]:
    built = build_wave(conn, ctx, settings, WaveIn(order_nos=nos, max_orders=len(nos)), today=day)
    if built["orders"] != len(nos):
        raise RuntimeError(f"the demo's wave of {day} took {built['orders']} of {len(nos)}")
    tasks = conn.execute(
        "SELECT COUNT(*) FROM allocations WHERE wave_id = ?", (built["id"],)
    ).fetchone()[0]
    return {"id": built["id"], "orders": built["orders"], "tasks": tasks}


def _pick_next(
    conn: Any, ctx: CommandContext, settings: Settings, wave_id: int, totes: dict[str, str]
) -> str:
    task = picking.lease_next_task(conn, ctx, settings, wave_id).task
    if task is None:
        raise RuntimeError("the demo's wave ran out of pick tasks")
    confirm = PickConfirm(
        location=task.location,
        item=task.barcodes[0],
        quantity=task.remaining,
        tote=totes[task.order_no],
        lot=task.lot or None,
    )
    return picking.confirm_pick(conn, ctx, settings, task.id, confirm).order_no


def _scan_all(conn: Any, ctx: CommandContext, settings: Settings, order_id: int, bench: str) -> int:
    """Every unit of the order scanned into the parcel, each with its lot."""
    units = conn.execute(
        "SELECT b.sku_id, b.lot, b.quantity, (SELECT MIN(bc.barcode) FROM sku_barcodes bc "
        "WHERE bc.sku_id = b.sku_id) AS barcode FROM balances b "
        "JOIN orders o ON o.tote_location_id = b.location_id WHERE o.id = ? AND b.quantity > 0",
        (order_id,),
    ).fetchall()
    scanned = 0
    for _sku, lot, quantity, barcode in units:
        for _ in range(quantity):
            scan = PackScan(scan=barcode, station=bench, lot=lot or None)
            packing.pack_scan(conn, ctx, settings, order_id, scan)
            scanned += 1
    return scanned


def _complete(
    conn: Any,
    ctx: CommandContext,
    settings: Settings,
    order_id: int,
    bench: str,
    day: date,
    grams_off: int,
) -> str:
    expected = expected_weight(conn, settings.outbound, order_id).expected_weight_g or 500
    done = PackComplete(weight_g=max(1, expected + grams_off), station=bench)
    return packing.complete_pack(
        conn, ctx, settings, order_id, done, day=day.isoformat()
    ).waybill_no


def _depart(
    run: Callable[..., Any], settings: Settings, door: str, day: date, waybills: list[str]
) -> None:
    """One truck for the day's parcels: its list, checked out at the door, departed."""
    list_no = f"LL-DEMO-{day:%Y%m%d}"
    truck = LoadingListIn(
        list_no=list_no,
        plate=TRUCK_PLATE,
        driver_name=DRIVER_NAME,
        driver_id=DRIVER_ID,
        driver_phone="13800138000",
        seal_no=f"{SEAL}-{day:%m%d}",
        carrier="顺丰",
        waybills=waybills,
    )
    list_id = run(
        SUPERVISOR,
        "loading_list.create",
        f"list:{list_no}",
        list_no,
        lambda conn, ctx: dock.create_list(conn, ctx, settings, truck).id,
    )
    steps: list[tuple[str, str, Callable[..., Any]]] = [
        (
            "loading_list.open",
            "open",
            lambda c, x: dock.open_at_door(c, x, settings, TRUCK_PLATE, door, list_no=list_no),
        ),
        (
            "loading_list.driver_id",
            "driver-id",
            lambda c, x: dock.verify_driver_id(c, x, settings, list_id, DRIVER_ID),
        ),
        (
            "loading_list.driver_name",
            "driver-name",
            lambda c, x: dock.confirm_driver_name(c, x, settings, list_id, DRIVER_NAME),
        ),
        (
            "loading_list.seal",
            "seal",
            lambda c, x: dock.confirm_seal(c, x, settings, list_id, truck.seal_no),
        ),
    ]
    steps += [
        (
            "loading_list.load",
            f"load:{w}",
            lambda c, x, w=w: dock.load_scan(c, x, settings, list_id, w),
        )
        for w in waybills
    ]
    steps.append(
        ("loading_list.depart", "depart", lambda c, x: dock.depart(c, x, settings, list_id))
    )
    for name, step, rules in steps:
        run(DOCK, name, f"{list_no}:{step}", list_no, lambda c, x, r=rules: _done(r(c, x)))


def _done(_answer: object) -> bool:
    """A step's answer is not kept: the list's state is in its own tables."""
    return True


def _count(db: Database, run: Callable[..., Any], settings: Settings) -> None:
    """A cycle count of one of HKBEAUTY's locations that finds what the ledger says."""
    task_id = run(
        COUNTER,
        "count.start",
        f"count:{COUNTED_LOCATION}",
        COUNTED_LOCATION,
        lambda c, x: counts.start_count(c, x, CountStart(location=COUNTED_LOCATION)).id,
    )
    # What the counter finds on the shelf: just what the ledger expects there.
    expected = db.read(
        lambda c: c.execute(
            "SELECT s.code, l.lot, l.expiry, l.expected, cu.code FROM count_lines l "
            "JOIN skus s ON s.id = l.sku_id JOIN customers cu ON cu.id = l.customer_id "
            "WHERE l.task_id = ? ORDER BY s.code, l.lot",
            (task_id,),
        ).fetchall()
    )
    for sku, lot, expiry, quantity, customer in expected:
        line = CountLineIn(item=sku, quantity=quantity, lot=lot, expiry=expiry, customer=customer)
        run(
            COUNTER,
            "count.line",
            f"count:{COUNTED_LOCATION}:{sku}:{lot}",
            sku,
            lambda c, x, line=line: (
                counts.record_line(c, x, settings.scan.gs_placeholder, task_id, line).id
            ),
        )
    run(
        COUNTER,
        "count.submit",
        f"count:{COUNTED_LOCATION}:submit",
        task_id,
        lambda c, x: counts.submit_count(c, x, settings.counts, task_id).outcome,
    )
