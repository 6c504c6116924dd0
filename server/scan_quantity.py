"""The most units one scan may carry without the person confirming it.

A quantity field that swallowed a barcode (12 typed, then a scan: 124890) must not become
stock: above `[scan] max_quantity_per_scan` the handheld asks first, and every route that
takes a typed quantity refuses it unless the request says it was confirmed.
"""

from __future__ import annotations

from server.error_codes import ERR


def check_quantity_per_scan(quantity: int | None, maximum: int | None, *, confirmed: bool) -> None:
    """Refuse `quantity` above `maximum` unless confirmed; None (no quantity or no limit) passes."""
    if quantity is None or maximum is None or confirmed or quantity <= maximum:
        return
    raise ERR.QUANTITY_ABOVE_SCAN_MAX({"quantity": quantity, "maximum": maximum})
