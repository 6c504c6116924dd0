"""The weight a parcel should have, and the check at packing: the order's units times each
SKU's weight plus the packaging allowance, ± the site's tolerance. A weight outside the
range is refused once (WEIGHT_OUTSIDE_EXPECTED, with the range); the packer weighs again or
confirms, and the confirmation goes with the parcel's event. A confirmed parcel also gets
its own audit line, saying whether the packer had been warned first: a client that sends
the confirmation on the first try skips the warning, and the supervisor's alerts say so.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import datetime, timedelta

from server import clock
from server.commands import CommandContext, write_audit
from server.config import OutboundSettings
from server.error_codes import ERR
from server.outbound.schemas import ExpectedWeight


def expected_weight(
    conn: sqlite3.Connection, outbound: OutboundSettings, order_id: int
) -> ExpectedWeight:
    """The order's expected parcel weight and its range; unknown, never guessed as 0, while
    a SKU on the order has no weight in the master data."""
    rows = conn.execute(
        "SELECT s.code, s.weight_g, SUM(l.quantity) AS units FROM order_lines l "
        "JOIN skus s ON s.id = l.sku_id WHERE l.order_id = ? GROUP BY s.id ORDER BY s.code",
        (order_id,),
    ).fetchall()
    unknown = [r["code"] for r in rows if r["weight_g"] is None]
    if unknown or not rows:
        return ExpectedWeight(
            expected_weight_g=None,
            min_g=None,
            max_g=None,
            unknown_skus=unknown,
            checked=outbound.weight_check,
        )
    expected = sum(r["weight_g"] * r["units"] for r in rows) + outbound.packaging_allowance_g
    low, high = weight_range(
        expected, outbound.weight_tolerance_percent, outbound.weight_tolerance_min_g
    )
    return ExpectedWeight(
        expected_weight_g=expected,
        min_g=low,
        max_g=high,
        unknown_skus=[],
        checked=outbound.weight_check,
    )


def weight_range(expected_g: int, percent: float, least_g: int) -> tuple[int, int]:
    """Expected ± the larger of percent and the least tolerance, in whole grams, both ends
    allowed. The tolerance rounds up: a range is never narrower than the site asked for."""
    tolerance = max(math.ceil(expected_g * percent / 100), least_g)
    return max(expected_g - tolerance, 0), expected_g + tolerance


def check_parcel_weight(expected: ExpectedWeight, weight_g: int, *, confirmed: bool) -> bool:
    """Refuse a weight outside the expected range unless the packer confirmed it. True when
    the parcel goes out confirmed outside its range (recorded with its event)."""
    if not expected.checked or expected.min_g is None or expected.max_g is None:
        return False
    if expected.min_g <= weight_g <= expected.max_g:
        return False
    if confirmed:
        return True
    raise ERR.WEIGHT_OUTSIDE_EXPECTED(
        {
            "weight_g": weight_g,
            "expected_g": expected.expected_weight_g,
            "min_g": expected.min_g,
            "max_g": expected.max_g,
        }
    )


#: How far back a refusal counts as the warning before a confirmed pack.
WARNING_LOOKBACK = timedelta(days=1)


def record_confirmed_weight(
    conn: sqlite3.Connection,
    ctx: CommandContext,
    *,
    order_no: str,
    station: str,
    weight_g: int,
    expected: ExpectedWeight,
) -> None:
    """Audit a parcel packed outside its range: with `warned` false when no refusal with
    the range came before it (the client confirmed without showing the warning)."""
    target = f"order:{order_no}"
    since = clock.stamp(datetime.fromisoformat(ctx.at) - WARNING_LOOKBACK)
    warned = (
        conn.execute(
            "SELECT 1 FROM audit WHERE at >= ? AND target = ? AND outcome = 'refused' "
            "AND code = ? LIMIT 1",
            (since, target, ERR.WEIGHT_OUTSIDE_EXPECTED.code),
        ).fetchone()
        is not None
    )
    write_audit(
        conn,
        ctx.actor,
        "pack.weight_confirmed",
        target=target,
        code=ERR.WEIGHT_OUTSIDE_EXPECTED.code,
        details={
            "key": ctx.key,
            "station": station,
            "weight_g": weight_g,
            "expected_g": expected.expected_weight_g,
            "min_g": expected.min_g,
            "max_g": expected.max_g,
            "warned": warned,
        },
    )
