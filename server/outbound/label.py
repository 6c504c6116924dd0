"""What a face sheet (电子面单) carries, with the recipient masked as privacy rules ask:
name 张*三, phone 138****5678, the middle of the address hidden."""

from __future__ import annotations

from typing import Any

import msgspec

from server.outbound.schemas import OrderLabel


def mask_name(name: str) -> str:
    """张三丰 -> 张*丰, 张三 -> 张*, Li Lei -> L****i."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; shorter numbers keep only their ends."""
    digits = phone.replace(" ", "").replace("-", "")
    if len(digits) >= 11:
        return digits[:-8] + "****" + digits[-4:]
    if len(digits) > 4:
        return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]
    return "*" * len(digits)


def mask_address(address: str) -> str:
    """Keep the first and last quarter, hide the middle."""
    address = address.strip()
    if len(address) <= 4:
        return address[:1] + "*" * (len(address) - 1)
    keep = max(1, len(address) // 4)
    return address[:keep] + "*" * (len(address) - 2 * keep) + address[-keep:]


def masked_party(party: dict[str, Any]) -> dict[str, Any]:
    """A recipient as the face sheet shows it: name, phone and street address masked, the
    region (province, city, district) kept for sorting."""
    return {
        **party,
        "name": mask_name(party["name"]),
        "phone": mask_phone(party["phone"]),
        "address": mask_address(party["address"]),
    }


def masked_label(label: OrderLabel) -> OrderLabel:
    """An order's label data with its recipient masked (the sender is the merchant)."""
    recipient = label.recipient
    return msgspec.structs.replace(
        label,
        recipient=msgspec.structs.replace(
            recipient,
            name=mask_name(recipient.name),
            phone=mask_phone(recipient.phone),
            address=mask_address(recipient.address),
        ),
    )


def face_sheet(
    order: dict[str, Any], *, weight_g: int, parcel_count: int, day: str
) -> dict[str, Any]:
    """Everything the label printer needs, in print order (see domain.md, face sheet)."""
    label = order["label"]
    recipient, sender = masked_party(label["recipient"]), label["sender"]
    return {
        "courier": order["courier"],
        "product_type": label["routing"].get("product_type", ""),
        "date": day,
        "waybill_no": order["waybill_no"],
        "sort_code": label["routing"]["sort_code"],
        "consolidation_point": label["routing"].get("consolidation_point", ""),
        "qr": f"{order['courier']}|{order['waybill_no']}|{order['order_no']}",
        "recipient": {
            "name": recipient["name"],
            "phone": recipient["phone"],
            "region": " ".join(
                p for p in (recipient["province"], recipient["city"], recipient["district"]) if p
            ),
            "address": recipient["address"],
        },
        "sender": {
            "name": sender["name"],
            "phone": sender["phone"],
            "region": " ".join(
                p for p in (sender["province"], sender["city"], sender["district"]) if p
            ),
            "address": sender["address"],
        },
        "order_no": order["order_no"],
        "weight_g": weight_g,
        "parcel_count": parcel_count,
        "remarks": label.get("remarks", ""),
        "checked_mark": "已验视",
    }
