"""Requests and answers of location and carton labels."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from server.fields import Expiry, Lot, Quantity, check_expiry

PrinterName = Annotated[str, Meta(min_length=1, max_length=64, description="A configured printer")]
LocationCode = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-/]+\Z")]


class LocationLabelsIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """Which locations get a label: a whole zone, a range of codes, or a list of codes
    (exactly one of the three)."""

    printer: PrinterName
    zone: Annotated[str, Meta(max_length=40, pattern=r"^[^\x00-\x1f\x7f]*\Z")] = ""
    first: LocationCode | None = None
    last: LocationCode | None = None
    codes: Annotated[list[LocationCode], Meta(max_length=5000)] = []


class LocationLabelsQueued(Struct, kw_only=True):
    printer: str
    count: int
    codes: list[str]
    print_job_ids: list[int]


class CartonLabelsIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """N labels for one line of an open plan; each gets its own SSCC. The lot and expiry
    default to the plan line's; `count` (AI 37) is the units in each carton or pallet."""

    printer: PrinterName
    line_no: Annotated[int, Meta(ge=1, le=1_000_000)]
    labels: Annotated[int, Meta(ge=1, le=100_000, description="How many labels (SSCCs)")]
    unit: Literal["carton", "pallet"] = "carton"
    count: Quantity | None = None
    lot: Lot = ""
    expiry: Expiry = ""
    with_gtin: bool = True

    def __post_init__(self) -> None:
        check_expiry(self.expiry)


class CartonLabel(Struct, kw_only=True):
    sscc: str
    print_job_id: int


class CartonLabelsQueued(Struct, kw_only=True):
    printer: str
    plan_no: str
    line_no: int
    sku: str
    unit: str
    count: int | None
    gtin: str
    lot: str
    expiry: str
    labels: list[CartonLabel]


class CartonLabelReprintIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """A carton or pallet label printed here, again with its own SSCC (torn, wet, lost),
    with a reason; on its first printer unless another is named."""

    sscc: Annotated[str, Meta(pattern=r"^[0-9]{18}\Z")]
    reason: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+\Z")]
    printer: PrinterName | None = None


class CartonLabelReprinted(Struct, kw_only=True):
    sscc: str
    printer: str
    print_job_id: int
    copy_of: int
    copy: int


class LabelLine(Struct, kw_only=True):
    """A plan line as the carton label form offers it."""

    line_no: int
    sku: str
    sku_name: str
    expected_qty: int
    lot: str
    expiry: str
    gtin: str
    labelled: int  # carton or pallet labels printed for it so far


class LabelPrinter(Struct, kw_only=True):
    """A printer labels may go to, with its label size and state."""

    name: str
    via_station: str
    label_mm: list[int]
    location_label_mm: list[int]  # its small stock, where location labels go; else label_mm
    state: str


class PrintedCarton(Struct, kw_only=True):
    """What a carton label we printed stands for, found by its SSCC."""

    sscc: str
    plan_id: int
    line_id: int
    sku_id: int
    count: int
    lot: str
    expiry: str


__all__ = [
    "CartonLabel",
    "CartonLabelsIn",
    "CartonLabelsQueued",
    "LabelLine",
    "LabelPrinter",
    "LocationLabelsIn",
    "LocationLabelsQueued",
    "PrintedCarton",
]
