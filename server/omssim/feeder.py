"""The simulated OMS's day: what it sends the floor server, over HTTP with its OMS token.

One delivery plan still waiting for customs (released later in the day), a day's orders
across the site's customers and couriers, the customs replies for them (accepted, then
released; a few inspected first and released after; one returned), and a few
cancellations after release. Every message has a stable message id (the
`Idempotency-Key`), so a restarted simulator sends the same day again and the floor takes
each message once; every fifth message is sent twice on purpose, and the second answer
must equal the first.
"""

from __future__ import annotations

import http.client
import itertools
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import msgspec

from server.omssim.store import SimStore

log = logging.getLogger("bondfloor.oms-sim")
CHINA = timezone(timedelta(hours=8))
COURIERS = [("SF", "SF", "顺丰标快"), ("YTO", "YT", "圆通快递"), ("ZTO", "ZT", "中通快递")]
CITIES = [
    ("张三丰", "广东省", "深圳市", "南山区", "科技园南路18号软件大厦3楼"),
    ("李晓明", "浙江省", "杭州市", "西湖区", "文三路90号东部软件园5号楼"),
    ("王芳", "上海市", "上海市", "浦东新区", "张江高科碧波路690号2栋"),
    ("陈志强", "北京市", "北京市", "朝阳区", "望京街道阜通东大街6号院"),
]


@dataclass(frozen=True)
class Message:
    id: str
    path: str
    body: dict[str, Any]


class FloorClient:
    """Keep-alive HTTP to the floor server; a lost connection is opened again."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.token = token
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None, key: str = "") -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}", "X-Device": "oms-sim"}
        data = None
        if body is not None:
            data = msgspec.json.encode(body)
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=data, headers=headers)
                answer = self._conn.getresponse()
                raw = answer.read()
                return answer.status, msgspec.json.decode(raw) if raw else None
            except (OSError, http.client.HTTPException):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def stocked_skus(client: FloorClient) -> dict[str, list[str]]:
    """SKUs with stock per customer, from the floor's snapshot (all SKUs if it has none)."""
    status, snapshot = client.request("GET", "/api/v1/stock/snapshot")
    found: dict[str, set[str]] = {}
    if status == 200:
        for line in snapshot["lines"]:
            if line["quantity"] >= 4:
                found.setdefault(line["customer"], set()).add(line["sku"])
    if not found:
        status, customers = client.request("GET", "/api/v1/customers")
        for c in customers if status == 200 else []:
            _, skus = client.request("GET", f"/api/v1/skus?customer={c['code']}&limit=20")
            found[c["code"]] = {s["code"] for s in skus or []}
    return {c: sorted(s) for c, s in sorted(found.items()) if s}


def demo_day(day: date, skus: dict[str, list[str]], orders: int) -> Iterator[Message]:
    """The day's messages in the order the OMS sends them."""
    rng = random.Random(day.toordinal())
    stamp = f"{day:%Y%m%d}"
    start = datetime.combine(day, datetime.min.time(), CHINA)
    clock = (start + timedelta(seconds=n) for n in itertools.count(1))
    customers = list(skus)
    first = customers[0]
    plan = {
        "customer": first,
        "plan_no": f"ASN-SIM-{stamp}",
        "transport": {"type": "land", "truck_plate": "粤B56789", "driver": "周师傅"},
        "expected_arrival": day.isoformat(),
        "customs_released": False,
        "lines": [{"sku": sku, "expected_qty": 12} for sku in skus[first][:2]],
    }
    yield Message(f"sim-{stamp}-plan", "/api/v1/plans", plan)
    numbers = []
    cutoff = datetime.combine(day, datetime.min.time(), CHINA).replace(hour=22)
    for n in range(1, orders + 1):
        customer = customers[n % len(customers)]
        order_no = f"SIM{stamp}{n:04d}"
        numbers.append(order_no)
        lines = [
            {"sku": sku, "quantity": 1}
            for sku in rng.sample(skus[customer], k=min(len(skus[customer]), 1 + n % 2))
        ]
        waybill_no = f"{COURIERS[n % len(COURIERS)][1]}9{day:%y%m%d}{n:05d}"
        body = order_body(n, customer, order_no, waybill_no, lines, cutoff.isoformat(), rng)
        yield Message(f"sim-{stamp}-order-{n}", "/api/v1/orders", body)
        yield _customs(clock, stamp, order_no, 120, "accepted")
    for n, order_no in enumerate(numbers, start=1):
        if n % 8 == 3:
            yield _customs(clock, stamp, order_no, 500, "inspection")
        elif n % 13 == 6:
            yield _customs(clock, stamp, order_no, 100, "returned")
        else:
            yield _customs(clock, stamp, order_no, 800, "released")
    yield Message(f"sim-{stamp}-plan-released", "/api/v1/plans", {**plan, "customs_released": True})
    for n, order_no in enumerate(numbers, start=1):
        if n % 8 == 3:
            yield _customs(clock, stamp, order_no, 800, "released after inspection")
    for n, order_no in enumerate(numbers, start=1):
        if n % 10 == 7:
            yield Message(
                f"sim-{stamp}-cancel-{order_no}",
                "/api/v1/order-cancellations",
                {"order_no": order_no, "reason": "buyer cancelled (CEB623)"},
            )


def order_body(
    n: int,
    customer: str,
    order_no: str,
    waybill_no: str,
    lines: list[dict[str, Any]],
    cutoff_at: str,
    rng: random.Random,
) -> dict[str, Any]:
    """One order (one parcel) as the OMS sends it: courier, label routing and parties
    vary with `n`."""
    courier, _, product = COURIERS[n % len(COURIERS)]
    name, province, city, district, address = CITIES[n % len(CITIES)]
    return {
        "customer": customer,
        "order_no": order_no,
        "courier": courier,
        "waybill_no": waybill_no,
        "routing": {
            "sort_code": f"{400 + n % 90}-{n % 100:03d}-00 {n % 1000:03d}",
            "consolidation_point": f"{city}集包中心",
            "product_type": product,
        },
        "recipient": {
            "name": name,
            "phone": f"13{rng.randint(100000000, 999999999)}",
            "province": province,
            "city": city,
            "district": district,
            "address": address,
        },
        "sender": {
            "name": customer,
            "phone": "0755-86001210",
            "province": "广东省",
            "city": "深圳市",
            "district": "前海",
            "address": "前海保税港区一号仓",
        },
        "lines": lines,
        "cutoff_at": cutoff_at,
        "priority": 1 if n % 10 == 0 else 0,
    }


def _customs(clock: Iterator[datetime], stamp: str, order_no: str, code: int, why: str) -> Message:
    # The reply's time comes from the day's script, not the wall clock: the same message id
    # always carries the same body, and later replies carry later customs times.
    return Message(
        f"sim-{stamp}-customs-{order_no}-{code}",
        "/api/v1/customs-statuses",
        {"order_no": order_no, "code": code, "status_at": next(clock).isoformat(), "note": why},
    )


def feed_day(
    client: FloorClient,
    store: SimStore,
    day: date,
    orders: int,
    pace_seconds: float,
    stopping: Callable[[], bool] = lambda: False,
) -> dict[str, int]:
    """Send the day; each message until the floor answers (server away: wait and retry).
    Returns counts of taken, refused and repeated-answer mismatches."""
    counts = {"taken": 0, "refused": 0, "mismatched": 0, "already": 0}
    chosen = store.recall(f"skus:{day}")
    if chosen is None:
        found = _wait(lambda: stocked_skus(client), stopping)
        chosen = store.note(f"skus:{day}", msgspec.json.encode(found).decode())
    skus: dict[str, list[str]] = msgspec.json.decode(chosen)
    if not skus:
        log.warning("the floor has no SKUs to order; nothing to send")
        return counts
    for n, message in enumerate(demo_day(day, skus, orders), start=1):
        if stopping():
            break
        if store.was_sent(message.id):
            counts["already"] += 1
            continue
        sends = 2 if n % 5 == 0 else 1

        def send(m: Message = message) -> tuple[int, Any]:
            return client.request("POST", m.path, m.body, key=m.id)

        for _ in range(sends):
            status, answer = _wait(send, stopping)
            text = msgspec.json.encode(answer).decode()
            earlier = store.record_sent(message.id, message.path, status, text)
            if earlier is not None and earlier != text:
                counts["mismatched"] += 1
                log.warning("message %s answered differently the second time", message.id)
        if 200 <= status < 300:
            counts["taken"] += 1
            log.info("sent %s: taken", message.id)
        else:
            counts["refused"] += 1
            log.warning("the floor refused %s: %s", message.id, text[:300])
        if pace_seconds:
            time.sleep(pace_seconds)
    log.info("demo day sent: %s", counts)
    return counts


def _wait(call: Callable[[], Any], stopping: Callable[[], bool]) -> Any:
    delay = 0.2
    while True:
        try:
            return call()
        except (OSError, http.client.HTTPException) as err:
            if stopping():
                raise
            log.info("floor server not answering (%s); trying again", err)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
