-- index loading_list_parcels_one_list
CREATE UNIQUE INDEX loading_list_parcels_one_list
    ON loading_list_parcels (parcel_id) WHERE removed_at IS NULL;

-- index loading_lists_plate
CREATE INDEX loading_lists_plate ON loading_lists (plate) WHERE state != 'departed';

-- table loading_list_parcels
CREATE TABLE loading_list_parcels (
    list_id INTEGER NOT NULL REFERENCES loading_lists (id),
    parcel_id INTEGER NOT NULL REFERENCES parcels (id),
    position INTEGER NOT NULL,
    loaded_at TEXT,
    loaded_by TEXT,
    loaded_device TEXT,
    removed_at TEXT,
    removed_by TEXT,
    removed_reason TEXT,
    PRIMARY KEY (list_id, parcel_id)
    );

-- table loading_lists
CREATE TABLE loading_lists (
    id INTEGER PRIMARY KEY,
    list_no TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'open'
    CHECK (state IN ('open', 'loading', 'departed')),
    door TEXT,
    plate TEXT NOT NULL,
    second_plate TEXT NOT NULL DEFAULT '',
    driver_name TEXT NOT NULL,
    driver_id TEXT NOT NULL,
    driver_phone TEXT NOT NULL,
    seal_no TEXT NOT NULL,
    carrier TEXT NOT NULL DEFAULT '',
    expected_weight_g INTEGER NOT NULL CHECK (expected_weight_g >= 0),
    plate_confirmed_at TEXT,
    driver_id_verified_at TEXT,
    driver_name_confirmed_at TEXT,
    driver_verified_by TEXT,
    seal_confirmed_at TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    departed_at TEXT,
    departed_by TEXT,
    handover_no TEXT UNIQUE
    );

-- trigger loading_list_parcels_frozen_delete
CREATE TRIGGER loading_list_parcels_frozen_delete BEFORE DELETE ON loading_list_parcels
    WHEN (SELECT state FROM loading_lists WHERE id = OLD.list_id) = 'departed'
    BEGIN SELECT RAISE(ABORT, 'LIST_DEPARTED: a departed list cannot change'); END;

-- trigger loading_list_parcels_frozen_insert
CREATE TRIGGER loading_list_parcels_frozen_insert BEFORE INSERT ON loading_list_parcels
    WHEN (SELECT state FROM loading_lists WHERE id = NEW.list_id) = 'departed'
    BEGIN SELECT RAISE(ABORT, 'LIST_DEPARTED: a departed list cannot change'); END;

-- trigger loading_list_parcels_frozen_update
CREATE TRIGGER loading_list_parcels_frozen_update BEFORE UPDATE ON loading_list_parcels
    WHEN (SELECT state FROM loading_lists WHERE id = OLD.list_id) = 'departed'
    BEGIN SELECT RAISE(ABORT, 'LIST_DEPARTED: a departed list cannot change'); END;

-- trigger loading_lists_depart_complete
CREATE TRIGGER loading_lists_depart_complete BEFORE UPDATE OF state ON loading_lists
    WHEN NEW.state = 'departed' AND (
    NEW.plate_confirmed_at IS NULL OR NEW.driver_id_verified_at IS NULL
    OR NEW.driver_name_confirmed_at IS NULL OR NEW.seal_confirmed_at IS NULL
    OR EXISTS (SELECT 1 FROM loading_list_parcels WHERE list_id = NEW.id
    AND removed_at IS NULL AND loaded_at IS NULL))
    BEGIN SELECT RAISE(ABORT, 'DEPARTURE_BLOCKED: the list is not complete'); END;

-- trigger loading_lists_frozen
CREATE TRIGGER loading_lists_frozen BEFORE UPDATE ON loading_lists
    WHEN OLD.state = 'departed'
    BEGIN SELECT RAISE(ABORT, 'LIST_DEPARTED: a departed list cannot change'); END;

