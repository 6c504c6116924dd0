-- index allocations_lease
CREATE INDEX allocations_lease ON allocations (lease_holder, wave_id)
    WHERE status = 'open';

-- index sku_barcodes_sku
CREATE INDEX sku_barcodes_sku ON sku_barcodes (sku_id);

