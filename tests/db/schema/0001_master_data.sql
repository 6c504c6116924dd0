-- index locations_zone
CREATE INDEX locations_zone ON locations (zone, pick_sequence);

-- index sku_barcodes_barcode
CREATE INDEX sku_barcodes_barcode ON sku_barcodes (barcode);

-- table customers
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    customs_book_no TEXT NOT NULL DEFAULT '',
    min_shelf_life_days INTEGER NOT NULL DEFAULT 0 CHECK (min_shelf_life_days >= 0),
    active INTEGER NOT NULL DEFAULT 1
    );

-- table locations
CREATE TABLE locations (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    zone TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('dock', 'staging', 'storage', 'pick_face', 'pack_station', 'quarantine', 'inspection', 'outbound_lane')),
    pick_sequence INTEGER NOT NULL DEFAULT 0,
    capacity INTEGER CHECK (capacity IS NULL OR capacity > 0),
    customer_id INTEGER REFERENCES customers(id),
    active INTEGER NOT NULL DEFAULT 1
    );

-- table sku_barcodes
CREATE TABLE sku_barcodes (
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    barcode TEXT NOT NULL,
    sku_id INTEGER NOT NULL REFERENCES skus(id),
    PRIMARY KEY (customer_id, barcode)
    );

-- table skus
CREATE TABLE skus (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT 'EA',
    weight_g INTEGER CHECK (weight_g IS NULL OR weight_g >= 0),
    customs_record_no TEXT NOT NULL DEFAULT '',
    hs_code TEXT NOT NULL DEFAULT '',
    lot_tracked INTEGER NOT NULL DEFAULT 0,
    expiry_tracked INTEGER NOT NULL DEFAULT 0,
    shelf_life_days INTEGER CHECK (shelf_life_days IS NULL OR shelf_life_days > 0),
    active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (customer_id, code)
    );

