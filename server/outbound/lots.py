"""Confirming the lot of a lot-tracked SKU at the pick and at the pack.

A plain EAN (or SKU code) says which SKU is in hand, not which lot, and lots are what
customs books, recalls and expiry are kept by. So a lot-tracked SKU scanned without its
lot needs the lot confirmed, one of three ways:

1. the item scan itself carries it: a GS1 element string with AI 10;
2. a second scan of the lot label: the label printed on the carton or the lot sticker,
   a barcode holding either the lot text itself (e.g. `L2611006`) or a GS1 string with
   AI 10 (e.g. `]C110L2611006`);
3. a choice on the handheld among the lots that may be there, only where the site's
   `outbound.lot_confirmation` is `choose` (sites whose goods carry no lot label).

A lot that is not one of the lots expected there is LOT_MISMATCH; no lot at all is
LOT_CONFIRMATION_REQUIRED, with the policy and the expected lots so the handheld can ask.
"""

from __future__ import annotations

from server.barcodes import read_scan
from server.error_codes import ERR


def lot_from_label(raw: str, gs_placeholder: str) -> str:
    """The lot a lot-label scan holds: its AI 10, else the scanned text itself."""
    scan = read_scan(raw, gs_placeholder)
    return scan.lot or scan.text.strip()


def confirm_lot(
    *,
    sku: str,
    item_lot: str,
    lot_scan: str | None,
    lot_choice: str | None,
    expected: list[str],
    policy: str,
    gs_placeholder: str,
) -> str:
    """The lot the worker confirmed for a lot-tracked SKU, one of `expected`: the lot the
    item scan carried (`item_lot`), a lot label scan, or a choice the policy allows."""
    lots = sorted({lot for lot in expected if lot})
    label = lot_from_label(lot_scan, gs_placeholder) if lot_scan else ""
    if item_lot and label and item_lot != label:
        raise ERR.LOT_MISMATCH(
            {
                "sku": sku,
                "lot": label,
                "expected": item_lot,
                "scanned": label,
                "lots": lots,
            }
        )
    confirmed = item_lot or label
    if not confirmed and lot_choice and policy == "choose":
        confirmed = lot_choice
    if not confirmed:
        raise ERR.LOT_CONFIRMATION_REQUIRED(
            {
                "sku": sku,
                "policy": policy,
                "lots": lots,
                "chosen_refused": bool(lot_choice),
            }
        )
    if confirmed not in lots:
        raise ERR.LOT_MISMATCH(
            {
                "sku": sku,
                "lot": confirmed,
                "expected": " / ".join(lots),
                "scanned": confirmed,
                "lots": lots,
            }
        )
    return confirmed
