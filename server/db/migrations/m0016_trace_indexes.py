"""As shipped, frozen: never edit it. A change is a new migration (see __init__.py)."""

from __future__ import annotations

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """The trace reads newest first by id per SKU, lot, document and user, and finds an
    order's or a parcel's events by the number in their payload (see server/trace/)."""
    db.executescript(
        """
        CREATE INDEX movements_sku_id ON movements (sku_id, id);
        CREATE INDEX movements_lot_id ON movements (lot, id) WHERE lot != '';
        CREATE INDEX movements_document_id ON movements (document, id) WHERE document != '';
        CREATE INDEX movements_user_id ON movements (user_code, id);
        CREATE INDEX audit_actor_id ON audit (actor, id);
        CREATE INDEX events_order_no ON events (json_extract(payload, '$.order_no'), seq)
            WHERE json_extract(payload, '$.order_no') IS NOT NULL;
        CREATE INDEX events_waybill_no ON events (json_extract(payload, '$.waybill_no'), seq)
            WHERE json_extract(payload, '$.waybill_no') IS NOT NULL;
        """
    )
