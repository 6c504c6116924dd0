-- table locations
CREATE TABLE "locations" (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    zone TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('dock', 'staging', 'storage', 'pick_face', 'pack_station', 'quarantine', 'inspection', 'outbound_lane', 'tote', 'parcel')),
    pick_sequence INTEGER NOT NULL DEFAULT 0,
    capacity INTEGER CHECK (capacity IS NULL OR capacity > 0),
    customer_id INTEGER REFERENCES customers(id),
    active INTEGER NOT NULL DEFAULT 1
    );

