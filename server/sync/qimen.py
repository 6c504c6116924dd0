"""The Qimen-style WMS dialect: a closed receipt, a shipped parcel and a stock correction
told as the calls many Chinese OMS/ERP systems take from a warehouse.

| event            | call                    | what it says                                  |
|------------------|-------------------------|-----------------------------------------------|
| receipt.closed   | `entryorder.confirm`    | actual quantities per SKU and lot (ZP / CC)    |
| order.shipped    | `deliveryorder.confirm` | the parcel: courier, waybill, weight, lots     |
| stock.adjust     | `inventory.report`      | the signed quantity per SKU and lot, reason    |
| stock.count      | `inventory.report`      | (as above, from a count)                       |

Every other event has no call here and counts as delivered. Each call's `outBizCode` is
the event's key (`site:epoch:seq`), the OMS's way of taking a repeat once; an entry
order's lines add `:line`. Calls are XML with
the usual query parameters and an MD5 signature (`sign_method=md5`: upper-case hex of
MD5(secret + sorted name+value pairs + body + secret)). The answer is an XML
`<response><flag>success|failure</flag>...`: a failure is a refusal (like a 4xx).
"""

from __future__ import annotations

import hashlib
import sqlite3
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import msgspec

from server import clock
from server.config import Secrets, Settings
from server.sync.dialects import Answer, Call, row_key

CHINA = timezone(timedelta(hours=8))  # Qimen timestamps are Beijing time
GOOD, DAMAGED = "ZP", "CC"  # 正品 / 残次: the inventory types of the calls


def sign(secret: str, params: dict[str, str], body: bytes) -> str:
    pairs = "".join(f"{k}{params[k]}" for k in sorted(params))
    return (
        hashlib.md5(secret.encode() + pairs.encode() + body + secret.encode()).hexdigest().upper()
    )


def _xml(tag: str, fields: dict[str, Any]) -> ET.Element:
    """An element from a dict: lists become repeated children named after the singular."""
    node = ET.Element(tag)
    for name, value in fields.items():
        if isinstance(value, list):
            group = ET.SubElement(node, name)
            for item in value:
                group.append(_xml(name.removesuffix("s"), item))
        elif isinstance(value, dict):
            node.append(_xml(name, value))
        elif value is not None:
            ET.SubElement(node, name).text = str(value)
    return node


def _china_time(at: str) -> str:
    return datetime.fromisoformat(at).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


class Qimen:
    def __init__(self, settings: Settings, secrets: Secrets) -> None:
        self.settings = settings
        self.secret = secrets.oms_app_secret
        self.warehouse = settings.oms.warehouse_code or settings.site.code

    def calls(self, conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[Call]:
        calls = []
        for row in rows:
            request = self.request_for(conn, row)
            if request is not None:
                calls.append(self._call(*request))
        return calls

    def request_for(self, conn: sqlite3.Connection, row: sqlite3.Row) -> tuple[str, bytes] | None:
        """(method, XML body) for one journal row, or None when the dialect has no call."""
        payload = msgspec.json.decode(row["payload"])
        key = row_key(self.settings, row)
        kind = row["type"]
        if kind == "receipt.closed":
            return "entryorder.confirm", self._entry_order(payload, key, row["at"])
        if kind == "order.shipped":
            return "deliveryorder.confirm", self._delivery_order(conn, payload, key, row["at"])
        if kind in ("stock.adjust", "stock.count"):
            return "inventory.report", self._inventory_report(conn, payload, key, row["at"])
        return None

    def _entry_order(self, p: dict[str, Any], key: str, at: str) -> bytes:
        lines = [
            {
                "outBizCode": f"{key}:{n}",
                "orderLineNo": n,
                "ownerCode": p["customer"],
                "itemCode": lot["sku"],
                "inventoryType": DAMAGED if lot["condition"] != "good" else GOOD,
                "actualQty": lot["quantity"],
                "batchCode": lot["lot"] or None,
                "expireDate": lot["expiry"] or None,
            }
            for n, lot in enumerate(p["received_lots"], start=1)
        ]
        request = {
            "entryOrder": {
                "entryOrderCode": p["plan_no"],
                "ownerCode": p["customer"],
                "warehouseCode": self.warehouse,
                "entryOrderType": "BZRK",  # bonded inbound
                "outBizCode": key,
                "confirmType": 0,  # final confirmation
                "status": "FULFILLED",
                "operateTime": _china_time(p.get("closed_at") or at),
                "totalOrderLines": len(lines),
            },
            "orderLines": lines,
        }
        return ET.tostring(_xml("request", request), encoding="utf-8")

    def _delivery_order(
        self, conn: sqlite3.Connection, p: dict[str, Any], key: str, at: str
    ) -> bytes:
        order = conn.execute(
            "SELECT o.id, o.courier, c.code AS customer, pa.weight_g FROM orders o "
            "JOIN customers c ON c.id = o.customer_id LEFT JOIN parcels pa ON pa.order_id = o.id "
            "WHERE o.order_no = ?",
            (p["order_no"],),
        ).fetchone()
        shipped = conn.execute(
            "SELECT s.code AS sku, m.lot, m.expiry, SUM(m.quantity) AS quantity FROM movements m "
            "JOIN parcels pa ON pa.location_id = m.from_location_id JOIN skus s ON s.id = m.sku_id "
            "WHERE pa.order_id = ? AND m.kind = 'ship' GROUP BY s.code, m.lot, m.expiry "
            "ORDER BY s.code, m.lot",
            (order["id"],),
        ).fetchall()
        request = {
            "deliveryOrder": {
                "deliveryOrderCode": p["order_no"],
                "ownerCode": order["customer"],
                "warehouseCode": self.warehouse,
                "orderType": "BZCK",  # bonded outbound
                "outBizCode": key,
                "confirmType": 0,
                "status": "DELIVERED",
                "logisticsCode": order["courier"],
                "expressCode": p["waybill_no"],
                "orderConfirmTime": _china_time(at),
            },
            "packages": [
                {
                    "logisticsCode": order["courier"],
                    "expressCode": p["waybill_no"],
                    "weight": f"{(order['weight_g'] or 0) / 1000:.3f}",  # kg
                    "items": [{"itemCode": r["sku"], "quantity": r["quantity"]} for r in shipped],
                }
            ],
            "orderLines": [
                {
                    "ownerCode": order["customer"],
                    "itemCode": r["sku"],
                    "inventoryType": GOOD,
                    "actualQty": r["quantity"],
                    "batchCode": r["lot"] or None,
                    "expireDate": r["expiry"] or None,
                }
                for r in shipped
            ],
        }
        return ET.tostring(_xml("request", request), encoding="utf-8")

    def _inventory_report(
        self, conn: sqlite3.Connection, p: dict[str, Any], key: str, at: str
    ) -> bytes:
        gained = p.get("to_location") is not None
        where = p["to_location"] if gained else p["from_location"]
        kind = conn.execute("SELECT type FROM locations WHERE code = ?", (where,)).fetchone()
        request = {
            "warehouseCode": self.warehouse,
            "ownerCode": p["customer"],
            "checkOrderCode": p.get("document") or key,
            "checkTime": _china_time(at),
            "outBizCode": key,
            "remark": p.get("reason") or None,
            "items": [
                {
                    "itemCode": p["sku"],
                    "inventoryType": DAMAGED if kind and kind["type"] == "quarantine" else GOOD,
                    "quantity": p["quantity"] if gained else -p["quantity"],
                    "batchCode": p.get("lot") or None,
                    "expireDate": p.get("expiry") or None,
                }
            ],
        }
        return ET.tostring(_xml("request", request), encoding="utf-8")

    def _call(self, method: str, body: bytes) -> Call:
        params = {
            "method": method,
            "timestamp": clock.now().astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
            "format": "xml",
            "app_key": self.settings.oms.qimen_app_key,
            "v": "2.0",
            "sign_method": "md5",
            "customerId": self.settings.oms.qimen_customer_id,
        }
        params["sign"] = sign(self.secret, params, body)
        separator = "&" if "?" in self.settings.oms.url else "?"
        return Call(
            f"{self.settings.oms.url}{separator}{urlencode(params)}",
            body,
            {"Content-Type": "text/xml; charset=utf-8"},
        )

    def judge(self, answer: Answer) -> Answer:
        """A 2xx with `<flag>failure</flag>` is a refusal; an unreadable 2xx is tried again."""
        if not 200 <= answer.status < 300:
            return answer
        try:
            root = ET.fromstring(answer.detail)
        except ET.ParseError:
            return Answer(0, f"unreadable answer: {answer.detail[:200]}")
        flag = (root.findtext("flag") or "").strip().lower()
        if flag == "success":
            return answer
        if flag == "failure":
            code = root.findtext("code") or ""
            return Answer(400, f"{code}: {root.findtext('message') or ''}".strip(": "))
        return Answer(0, f"answer without a flag: {answer.detail[:200]}")
