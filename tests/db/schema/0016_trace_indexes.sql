-- index audit_actor_id
CREATE INDEX audit_actor_id ON audit (actor, id);

-- index events_order_no
CREATE INDEX events_order_no ON events (json_extract(payload, '$.order_no'), seq)
    WHERE json_extract(payload, '$.order_no') IS NOT NULL;

-- index events_waybill_no
CREATE INDEX events_waybill_no ON events (json_extract(payload, '$.waybill_no'), seq)
    WHERE json_extract(payload, '$.waybill_no') IS NOT NULL;

-- index movements_document_id
CREATE INDEX movements_document_id ON movements (document, id) WHERE document != '';

-- index movements_lot_id
CREATE INDEX movements_lot_id ON movements (lot, id) WHERE lot != '';

-- index movements_sku_id
CREATE INDEX movements_sku_id ON movements (sku_id, id);

-- index movements_user_id
CREATE INDEX movements_user_id ON movements (user_code, id);

