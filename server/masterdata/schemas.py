"""Master data structs: customers (cargo owners), SKUs with barcodes, locations."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct, field

from server.fields import Code, Name, text

LOCATION_TYPES = (
    "dock",
    "staging",
    "storage",
    "pick_face",
    "pack_station",
    "quarantine",
    "inspection",
    "outbound_lane",
)
OUTBOUND_LOCATION_TYPES = ("tote", "parcel")
"""Picked stock sits in a tote, packed stock on its parcel, until it ships.

The locations table's CHECK holds both lists (migrations 0001 and 0006 keep their own
copies); a test keeps them equal."""

LocationType = Literal[
    "dock",
    "staging",
    "storage",
    "pick_face",
    "pack_station",
    "quarantine",
    "inspection",
    "outbound_lane",
    "tote",
]
"""The types master data may write. A parcel is a location too, but only packing makes one."""
StoredLocationType = LocationType | Literal["parcel"]
"""Every type a location read back may have."""
assert set(LocationType.__args__) | {"parcel"} == set(  # type: ignore[attr-defined]
    LOCATION_TYPES + OUTBOUND_LOCATION_TYPES
)


MAX_SIDE_MM = 10_000
MAX_UNITS_PER_PALLET = 100_000
SideMm = Annotated[
    int,
    Meta(
        ge=1,
        le=MAX_SIDE_MM,
        description="Millimetres; empty or absent: not known (no m³ storage billed)",
    ),
]
"""A SKU's side as billing prices volume by it: a 0, a negative or a 100 m side is a typo
that would bill a customer for a warehouse of air, so it is refused where it comes in."""
UnitsPerPallet = Annotated[
    int,
    Meta(
        ge=1,
        le=MAX_UNITS_PER_PALLET,
        description="Units on one pallet; empty or absent: not known (no pallet storage billed)",
    ),
]
StoredCount = Annotated[int, Meta(ge=1)] | None
"""A dimension read back: written before the sane range was enforced it may lie outside
it, and reading a SKU must never fail on that."""


# gc=False: an import holds a million of these; untracked by the cycle collector, they
# do not make its full collections (which stop every thread) longer. They hold only text,
# numbers and lists of text, so they can never be part of a reference cycle.
class CustomerIn(Struct, forbid_unknown_fields=True, kw_only=True, gc=False):
    code: Code
    name: Name
    customs_book_no: Annotated[str, text(32, "Customs book (账册) number of this cargo owner")] = ""
    min_shelf_life_days: Annotated[
        int, Meta(ge=0, le=3650, description="Refuse lots with less remaining shelf life")
    ] = 0
    active: bool = True


class SkuIn(Struct, forbid_unknown_fields=True, kw_only=True, gc=False):
    customer: Code
    code: Code
    name: Name
    barcodes: list[Annotated[str, Meta(min_length=1, max_length=48)]] = field(default_factory=list)
    unit: Annotated[str, Meta(min_length=1, max_length=8, pattern=r"^[^\x00-\x1f\x7f]+\Z")] = "EA"
    weight_g: Annotated[int, Meta(ge=0, le=1_000_000)] | None = None
    # Dimensions (mm) and units a pallet: storage billed by volume or by pallet uses them.
    length_mm: SideMm | None = None
    width_mm: SideMm | None = None
    height_mm: SideMm | None = None
    units_per_pallet: UnitsPerPallet | None = None
    customs_record_no: Annotated[str, text(40, "Customs record (备案) no")] = ""
    hs_code: Annotated[
        str, Meta(pattern=r"^([0-9]{6,10})?\Z", description="HS code, 6-10 digits")
    ] = ""
    lot_tracked: bool = False
    expiry_tracked: bool = False
    shelf_life_days: Annotated[int, Meta(gt=0, le=36500)] | None = None
    active: bool = True


class LocationIn(Struct, forbid_unknown_fields=True, kw_only=True, gc=False):
    code: Code
    zone: Annotated[
        str,
        Meta(
            pattern=r"^[A-Za-z0-9_.\-]{1,20}\Z", description="Letters, digits, _ . - (at most 20)"
        ),
    ]
    type: LocationType
    pick_sequence: Annotated[int, Meta(ge=0, le=1_000_000_000)] = 0
    capacity: (
        Annotated[int, Meta(gt=0, le=1_000_000_000, description="Units the location holds")] | None
    ) = None
    customer: Code | None = None
    active: bool = True


class Customer(CustomerIn, kw_only=True):
    id: int


class Sku(SkuIn, kw_only=True):
    id: int
    # read back without the input range: a SKU stored before it must still read
    length_mm: StoredCount = None
    width_mm: StoredCount = None
    height_mm: StoredCount = None
    units_per_pallet: StoredCount = None


class Location(LocationIn, kw_only=True):
    id: int
    type: StoredLocationType  # type: ignore[assignment]  # read back: parcels included


class ImportSummary(Struct):
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int  # rows that read back exactly as they were stored before
