"""A parcel's status as it goes on: the outbound slice owns `parcels`; the dock's loading
and departure commands move a parcel on through this, inside their own transaction."""

from __future__ import annotations

import sqlite3
from typing import Literal

ParcelStatus = Literal["packed", "loaded", "shipped", "returned"]


def set_parcel_status(
    conn: sqlite3.Connection,
    parcel_id: int,
    status: ParcelStatus,
    *,
    only_from: ParcelStatus | None = None,
) -> None:
    """Set the parcel's status; with `only_from`, only a parcel in that status changes."""
    conn.execute(
        "UPDATE parcels SET status = ? WHERE id = ?"
        + (" AND status = ?" if only_from is not None else ""),
        (status, parcel_id, only_from) if only_from is not None else (status, parcel_id),
    )
