"""A believable demo warehouse: 3 cargo owners, ~300 SKUs, ~400 locations, a user per role.

Every record goes through the same services and the one write path as real work, under
fixed idempotency keys, so running the demo twice changes nothing the second time.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from server import clock
from server.auth import service as auth
from server.billing import service as billing
from server.billing.demo_tariffs import demo_tariffs
from server.commands import SYSTEM, run_command
from server.config import ROLES, Settings, site_today
from server.db import Database
from server.demo_history import LastMonth, history_month_of, seed_last_month
from server.inbound import service as inbound
from server.inbound.schemas import LandTransport, PlanIn, PlanLineIn, SeaTransport
from server.ledger.schemas import MovementIn
from server.ledger.service import post_movement
from server.masterdata import service as masterdata
from server.masterdata.schemas import CustomerIn, LocationIn, SkuIn
from server.outbound import orders
from server.outbound.schemas import CustomsStatusIn, OrderIn, OrderLineIn, Party, Routing

DEMO_PIN = "1234"


@dataclass(frozen=True)
class DemoUser:
    code: str
    name: str
    role: str
    badge: str


# Demo badges are published here like the demo PIN, but they look like real ones: random,
# not numbered in a row (a real badge must not let one guess the next). A supervisor's or
# admin's badge logs in only with the PIN (auth.badge_pin_roles).
DEMO_USERS = [
    DemoUser("recv01", "王收货", "receiver", "BF-XAPH2-WZY45"),
    DemoUser("put01", "李上架", "putaway", "BF-B77S8-STZSY"),
    DemoUser("pick01", "张拣货", "picker", "BF-BHRFQ-DQ42D"),
    DemoUser("pack01", "陈打包", "packer", "BF-ARS9A-AYE54"),
    DemoUser("dock01", "刘装车", "dock", "BF-KBVJJ-33C2Y"),
    DemoUser("count01", "孙盘点", "counter", "BF-6MG1S-T0APZ"),
    DemoUser("sup01", "赵主管", "supervisor", "BF-H0NEK-FWW3E"),
    DemoUser("admin", "系统管理员", "admin", "BF-VSXJ0-DXGD2"),
]
assert {u.role for u in DEMO_USERS} == set(ROLES)

# (code, name, customs book, GS1 prefix, storage zone, product words)
CUSTOMERS = [
    (
        "HKBEAUTY",
        "香港美妆跨境有限公司",
        "T5165W000101",
        "489",
        "A",
        ["精华液", "面霜", "防晒乳", "洁面乳", "爽肤水", "眼霜", "面膜", "口红"],
    ),
    (
        "AUNUTRI",
        "澳洲营养品进出口公司",
        "T5165W000102",
        "930",
        "B",
        ["鱼油胶囊", "婴儿奶粉", "维生素C片", "蜂蜜", "羊奶粉", "钙片", "益生菌", "蛋白粉"],
    ),
    (
        "JPHOME",
        "日本家居用品贸易公司",
        "T5165W000103",
        "490",
        "C",
        ["保温杯", "收纳盒", "洗衣液", "厨房纸", "牙刷", "湿巾", "保鲜膜", "香皂"],
    ),
]
SKUS_PER_CUSTOMER = 100


def gtin_check_digit(payload: str) -> str:
    """GS1 mod-10 check digit: weights 3 and 1 from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return str((10 - total % 10) % 10)


def ean13(prefix: str, n: int) -> str:
    payload = f"{prefix}{n:09d}"[:12]
    return payload + gtin_check_digit(payload)


def demo_locations() -> list[LocationIn]:
    locs = [LocationIn(code=f"DOCK-{i:02d}", zone="DOCK", type="dock") for i in range(1, 5)]
    locs += [LocationIn(code=f"STG-{i:02d}", zone="STG", type="staging") for i in range(1, 7)]
    seq = 0
    for zone, customer in (("A", "HKBEAUTY"), ("B", "AUNUTRI"), ("C", "JPHOME")):
        for aisle in range(1, 5):
            for bay in range(1, 9):
                for level in range(1, 4):
                    seq += 1
                    locs.append(
                        LocationIn(
                            code=f"{zone}-{aisle:02d}-{bay:02d}-{level}",
                            zone=zone,
                            type="storage",
                            pick_sequence=seq,
                            capacity=2000,
                            customer=customer if aisle <= 2 else None,
                        )
                    )
        for bay in range(1, 13):
            seq += 1
            locs.append(
                LocationIn(
                    code=f"P{zone}-{bay:02d}",
                    zone=f"P{zone}",
                    type="pick_face",
                    pick_sequence=seq,
                    capacity=500,
                )
            )
    locs += [
        LocationIn(code=f"PACK-{i:02d}", zone="PACK", type="pack_station") for i in range(1, 7)
    ]
    locs += [LocationIn(code=f"QUAR-{i:02d}", zone="QUAR", type="quarantine") for i in range(1, 5)]
    locs += [LocationIn(code=f"INSP-{i:02d}", zone="INSP", type="inspection") for i in range(1, 3)]
    locs += [LocationIn(code=f"OUT-{i:02d}", zone="OUT", type="outbound_lane") for i in range(1, 9)]
    return locs


def demo_skus() -> list[SkuIn]:
    rng = random.Random(1210)
    skus = []
    for code, _, _, prefix, _, words in CUSTOMERS:
        tracked = code in ("HKBEAUTY", "AUNUTRI")
        for i in range(1, SKUS_PER_CUSTOMER + 1):
            word = words[i % len(words)]
            size = rng.choice(["50ml", "100ml", "200g", "400g", "60粒", "120粒", "1L", "3件装"])
            barcodes = [ean13(prefix, 10_000 + i)]
            if i % 10 == 0:  # a carton or case barcode beside the unit EAN
                barcodes.append(ean13(prefix, 50_000 + i))
            skus.append(
                SkuIn(
                    customer=code,
                    code=f"{code[:2]}{i:04d}",
                    name=f"{word} {size}",
                    barcodes=barcodes,
                    weight_g=rng.randint(80, 1800),
                    customs_record_no=f"GJ{prefix}{i:06d}",
                    hs_code=rng.choice(["3304990099", "2106909090", "3924100000", "1901101000"]),
                    lot_tracked=tracked,
                    expiry_tracked=tracked,
                    shelf_life_days=1095 if tracked else None,
                    # Not from rng: the demo's other values stay what they were.
                    length_mm=60 + i % 5 * 20,
                    width_mm=40 + i % 4 * 15,
                    height_mm=30 + i % 3 * 40,
                    units_per_pallet=48 * (1 + i % 3),
                )
            )
    return skus


def seed_demo(db: Database, settings: Settings, log: Callable[[str], None] = print) -> None:
    """Seed (or re-seed, changing nothing) the demo warehouse."""

    def run(name: str, key: str, payload: object, rules: Callable[..., object]) -> None:
        run_command(db, SYSTEM, name, f"demo:{key}", payload, rules)

    for code, name, book, *_ in CUSTOMERS:
        c = CustomerIn(code=code, name=name, customs_book_no=book, min_shelf_life_days=90)
        run(
            "customer.upsert",
            f"customer:{code}",
            code,
            lambda conn, ctx, c=c: masterdata.upsert_customer(conn, ctx, c),
        )
    skus = demo_skus()
    locations = demo_locations()
    customers = {c[0] for c in CUSTOMERS}
    for kind, rows in (("skus", skus), ("locations", locations)):
        parsed = masterdata.ParsedImport(kind, rows, list(range(1, len(rows) + 1)))
        for row in rows:  # the same checks an import file gets
            assert not masterdata._reference_problems(kind, 0, row, customers)
        run(
            f"import.{kind}",
            f"import:{kind}",
            len(rows),
            lambda conn, ctx, p=parsed: masterdata.write_import(conn, ctx, p),
        )
    for u in DEMO_USERS:
        run(
            "user.add",
            f"user:{u.code}",
            u.code,
            lambda conn, ctx, u=u: auth.add_user(
                conn,
                ctx,
                settings.auth,
                code=u.code,
                name=u.name,
                roles=[u.role],
                pin=DEMO_PIN,
                badge=u.badge,
            ),
        )
    for tariff in demo_tariffs():
        run(
            "billing.set_tariff",
            f"tariff:{tariff.customer or 'default'}",
            tariff.customer,
            lambda conn, ctx, t=tariff: billing.set_tariff(conn, ctx, settings.site.timezone, t),
        )
    totes = demo_totes()
    run(
        "import.locations",
        "import:totes",
        len(totes),
        lambda conn, ctx: masterdata.write_import(
            conn, ctx, masterdata.ParsedImport("locations", totes, list(range(1, len(totes) + 1)))
        ),
    )
    # Last month first (the demo's stock arrives then), so the ledger's rowids follow time.
    today = site_today(settings)
    lot_day = clock.now().date()  # the lots and expiries are named from the seeding day
    month = LastMonth(today, settings.site.timezone)
    seeded_for = history_month_of(db, settings.site.timezone)
    if seeded_for in (None, month.name):
        history = seed_last_month(
            db,
            settings,
            month,
            lambda run_then: _seed_stock(db, run_then, lot_day),
            lambda customer, day, n: demo_order(settings, customer, day, n, random.Random(n)),
            [c[0] for c in CUSTOMERS],
        )
        past = (
            f"last month ({month.name}): the stock received, "
            f"{history['orders_shipped']} orders shipped, {history['services']} services, "
            f"{history['counts']} cycle count"
        )
    else:
        past = f"its stock and history arrived in {seeded_for}, when this file was first seeded"
    _seed_plans(run, settings)
    placed = _seed_orders(run, settings)
    log(
        f"demo warehouse ready: {len(CUSTOMERS)} customers, {len(skus)} SKUs, "
        f"{len(locations) + len(totes)} locations, 2 delivery plans arriving today, "
        f"{placed} orders to ship today; {past}"
    )


def _seed_stock(db: Database, run: Callable[..., None], today: date) -> None:
    """Receive about half the SKUs at the dock and put them away in their owner's zone
    (lots and expiries named from `today`)."""
    rng = random.Random(800)
    ids = db.read(
        lambda conn: {
            "sku": {
                (r[0], r[1]): (r[2], r[3])
                for r in conn.execute(
                    "SELECT c.code, s.code, s.id, s.customer_id FROM skus s JOIN customers c ON c.id = s.customer_id"
                )
            },
            "loc": {r[0]: r[1] for r in conn.execute("SELECT code, id FROM locations")},
        }
    )
    for code, _, _, _, zone, _ in CUSTOMERS:
        for i in range(1, SKUS_PER_CUSTOMER + 1, 2):
            sku_code = f"{code[:2]}{i:04d}"
            sku_id, customer_id = ids["sku"][(code, sku_code)]
            tracked = code != "JPHOME"
            lot = f"L{today:%y%m}{i:03d}" if tracked else ""
            expiry = (today + timedelta(days=rng.randint(200, 900))).isoformat() if tracked else ""
            qty = rng.randint(2, 40) * 6
            storage = f"{zone}-{(i % 2) + 1:02d}-{(i // 2) % 8 + 1:02d}-{(i // 16) % 3 + 1}"
            base = dict(
                customer_id=customer_id,
                sku_id=sku_id,
                quantity=qty,
                lot=lot,
                expiry=expiry,
                document=f"DEMO-ASN-{code}",
            )
            receive = MovementIn(kind="receive", to_location_id=ids["loc"]["DOCK-01"], **base)
            putaway = MovementIn(
                kind="putaway",
                from_location_id=ids["loc"]["DOCK-01"],
                to_location_id=ids["loc"][storage],
                **base,
            )
            for key, m in ((f"receive:{sku_code}", receive), (f"putaway:{sku_code}", putaway)):
                run(
                    f"ledger.{m.kind}",
                    key,
                    sku_code,
                    lambda conn, ctx, m=m: post_movement(conn, ctx, m),
                )


def _seed_plans(run: Callable[..., None], settings: Settings) -> None:
    """Two of today's arrivals: a released sea container and a truck still waiting for customs."""
    today = site_today(settings).isoformat()  # the site's day: the receiving page lists it
    sea = PlanIn(
        customer="HKBEAUTY",
        plan_no=f"ASN-{today.replace('-', '')}-01",
        transport=SeaTransport(
            container_no="MSKU1234565",
            vessel="EVER ACE",
            voyage="0123E",
            bill_of_lading="EGLV123456789",
            carrier="Evergreen",
        ),
        expected_arrival=today,
        customs_released=True,
        lines=[
            PlanLineIn(sku="HK0002", expected_qty=24),
            PlanLineIn(sku="HK0004", expected_qty=12),
            PlanLineIn(
                sku="HK0006",
                expected_qty=36,
                lot="L2611006",
                expiry="2028-06-30",
                sscc="006901234567890008",
            ),
        ],
    )
    land = PlanIn(
        customer="JPHOME",
        plan_no=f"ASN-{today.replace('-', '')}-02",
        transport=LandTransport(truck_plate="粤B12345", second_plate="HK AB1234", driver="陈师傅"),
        expected_arrival=today,
        lines=[
            PlanLineIn(sku="JP0002", expected_qty=48),
            PlanLineIn(sku="JP0003", expected_qty=20),
        ],
    )
    for plan in (sea, land):
        run(
            "plan.upsert",
            f"plan:{plan.plan_no}",
            plan.plan_no,
            lambda conn, ctx, p=plan: inbound.upsert_plan(conn, ctx, p),
        )


def demo_totes() -> list[LocationIn]:
    return [LocationIn(code=f"TOTE-{i:03d}", zone="TOTE", type="tote") for i in range(1, 61)]


DEMO_ORDERS = 36
COURIERS = [("SF", "SF", "顺丰标快"), ("YTO", "YT", "圆通快递"), ("ZTO", "ZT", "中通快递")]
# Orders that show what customs does to the floor (by number): accepted only, inspection,
# returned, no reply yet. The rest are released (800).
DEMO_CUSTOMS = {5: 120, 6: 500, 7: 100, 8: None}
RECIPIENTS = [
    ("张三丰", "广东省", "深圳市", "南山区", "科技园南路18号软件大厦3楼"),
    ("李晓明", "浙江省", "杭州市", "西湖区", "文三路90号东部软件园5号楼"),
    ("王芳", "上海市", "上海市", "浦东新区", "张江高科碧波路690号2栋"),
    ("陈志强", "北京市", "北京市", "朝阳区", "望京街道阜通东大街6号院"),
    ("刘诗雨", "四川省", "成都市", "高新区", "天府大道北段1700号环球中心"),
]


def demo_order_no(day: date, n: int) -> str:
    return f"SO{day:%Y%m%d}{n:04d}"


def demo_order(settings: Settings, code: str, day: date, n: int, rng: random.Random) -> OrderIn:
    """The demo's order `n` of `day` for customer `code` (its SKUs and phone from `rng`)."""
    tz = ZoneInfo(settings.site.timezone)
    customer_name = next(c[1] for c in CUSTOMERS if c[0] == code)
    courier, prefix, product = COURIERS[(n // 3) % 3]
    name, province, city, district, address = RECIPIENTS[n % len(RECIPIENTS)]
    skus = rng.sample(range(1, SKUS_PER_CUSTOMER + 1, 2), k=1 + n % 2)  # odd SKUs have stock
    cutoff_hour = 18 if courier != "ZTO" else 20
    return OrderIn(
        customer=code,
        order_no=demo_order_no(day, n),
        courier=courier,
        waybill_no=f"{prefix}{day:%y%m%d}{n:06d}",
        routing=Routing(
            sort_code=f"{300 + n % 90}-{n % 100:03d}-00 {n:03d}",
            consolidation_point=f"{city}集包中心",
            product_type=product,
        ),
        recipient=Party(
            name=name,
            phone=f"13{rng.randint(100000000, 999999999)}",
            province=province,
            city=city,
            district=district,
            address=address,
        ),
        sender=Party(
            name=customer_name,
            phone="0755-86001210",
            province="广东省",
            city="深圳市",
            district="前海",
            address="前海保税港区一号仓",
        ),
        lines=[OrderLineIn(sku=f"{code[:2]}{i:04d}", quantity=1 + (n + i) % 2) for i in skus],
        cutoff_at=datetime.combine(day, datetime.min.time(), tz).replace(hour=cutoff_hour),
        priority=1 if n % 10 == 0 else 0,
    )


def _seed_orders(run: Callable[..., None], settings: Settings) -> int:
    """Today's parcels: most released by customs, a few accepted only, held or inspected."""
    day = clock.today(settings.site.timezone)
    rng = random.Random(day.toordinal())
    for n in range(1, DEMO_ORDERS + 1):
        order = demo_order(settings, CUSTOMERS[n % 3][0], day, n, rng)
        run(
            "order.upsert",
            f"order:{order.order_no}",
            order.order_no,
            lambda conn, ctx, o=order: orders.upsert_order(conn, ctx, o),
        )
        status = DEMO_CUSTOMS.get(n, 800)
        if status is not None:
            reply = CustomsStatusIn(order_no=order.order_no, code=status, status_at=clock.now())
            run(
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
    return DEMO_ORDERS
