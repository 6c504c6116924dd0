"""Location and carton labels as drawn: every size decodes (zxing-cpp) to the location
code or to the GS1 element string, FNC1 stands where the GS1 General Specifications put
it, and a label that cannot be drawn correctly is refused with a code."""

from __future__ import annotations

from typing import Any

import pytest
import zxingcpp
from biip import parse

from devices.facesheet import LabelError
from devices.small_labels import (
    FNC1,
    gs1_element_string,
    gs1_human_readable,
    render_carton_label,
    render_location_label,
)

SIZES = [(76, 130, 203), (50, 25, 203), (100, 150, 203), (60, 40, 300)]
CARTON = {
    "sscc": "069012340000000016",
    "gtin": "06901234567892",
    "count": "12",
    "lot": "L2027A",
    "expiry_yymmdd": "270531",
    "unit_label": "箱 CARTON",
    "plan_no": "ASN-1",
    "sku": "S1",
    "name": "Soap",
}


def read(image: Any) -> list[Any]:
    return list(zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain))


@pytest.mark.parametrize(("width", "height", "dpi"), SIZES)
def test_a_location_label_decodes_to_its_code_at_every_size(
    width: int, height: int, dpi: int
) -> None:
    image = render_location_label(
        {"code": "A-03-01-1", "zone": "A", "type": "storage"},
        width_mm=width,
        height_mm=height,
        dpi=dpi,
    )
    assert [(r.format.name, r.text) for r in read(image)] == [("Code128", "A-03-01-1")]


@pytest.mark.parametrize(("width", "height", "dpi"), SIZES[:1] + SIZES[2:])
def test_a_carton_label_decodes_to_its_element_strings_at_every_size(
    width: int, height: int, dpi: int
) -> None:
    image = render_carton_label(CARTON, width_mm=width, height_mm=height, dpi=dpi)
    elements: dict[str, str] = {}
    for result in read(image):
        assert result.symbology_identifier == "]C1"  # FNC1 first: a GS1-128
        message = parse(result.symbology_identifier + result.text).gs1_message
        assert message is not None
        elements |= {e.ai.ai: e.value for e in message.element_strings}
    assert elements == {
        "00": CARTON["sscc"],
        "02": CARTON["gtin"],
        "17": "270531",
        "37": "12",
        "10": "L2027A",
    }


def test_fnc1_ends_each_variable_length_element_but_the_last() -> None:
    elements = {"00": CARTON["sscc"], "10": "LOT1", "37": "12", "02": CARTON["gtin"]}
    assert gs1_element_string(elements) == (
        "00" + CARTON["sscc"] + "02" + CARTON["gtin"] + "3712" + FNC1 + "10LOT1"
    )
    assert gs1_human_readable(elements) == (
        f"(00){CARTON['sscc']}(02){CARTON['gtin']}(37)12(10)LOT1"
    )


@pytest.mark.parametrize(
    ("elements", "field"),
    [
        ({"00": "123"}, "00"),
        ({"00": CARTON["sscc"], "10": "批次"}, "10"),
        ({"00": CARTON["sscc"], "37": "12a"}, "37"),
        ({"00": CARTON["sscc"], "10": "L" * 21}, "10"),
    ],
)
def test_an_element_that_gs1_does_not_allow_is_refused(
    elements: dict[str, str], field: str
) -> None:
    with pytest.raises(LabelError) as err:
        gs1_element_string(elements)
    assert (err.value.code, err.value.field) == ("LABEL_FIELD_INVALID", field)


def test_a_label_too_narrow_for_its_barcode_is_refused() -> None:
    with pytest.raises(LabelError) as err:
        render_location_label({"code": "A-03-01-1-LONGER-CODE"}, width_mm=10, height_mm=20, dpi=203)
    assert err.value.code == "LABEL_SIZE_UNSUPPORTED"
