"""The driver's handover slip: its Code128 reads back as the handover number, and a long
list points to the A4 record instead of printing a metre of waybills."""

from __future__ import annotations

from typing import Any

import zxingcpp

from devices.handover_slip import MAX_LISTED_WAYBILLS, render_handover_slip, slip_lines


def record(parcels: int) -> dict[str, Any]:
    return {
        "handover_no": "HO20261123-0001",
        "list_no": "LL20261123-0001",
        "plate": "粤B12345",
        "second_plate": "AB1234",
        "driver_name": "李师傅",
        "driver_id": "440305199003071234",
        "driver_phone": "13800138000",
        "seal_no": "SEAL-0001",
        "carrier": "顺丰",
        "door": "door-1",
        "departed_at": "2026-11-23T10:00:00.000+00:00",
        "loaded_weight_g": 1500 * parcels,
        "parcels": [{"waybill_no": f"SF{7000000000 + n}"} for n in range(parcels)],
    }


def test_the_slip_carries_the_handover_number_as_code128_and_masks_the_driver() -> None:
    image = render_handover_slip(record(3), width_mm=76, dpi=203)
    assert image.mode == "1" and image.width == 608
    codes = {r.format.name: r.text for r in zxingcpp.read_barcodes(image.convert("L"))}
    assert codes == {"Code128": "HO20261123-0001"}
    text = [line for line, _ in slip_lines(record(3))]
    assert "身份证 440305********1234" in text and "司机 李师傅  138****8000" in text
    assert "3. SF7000000002" in text


def test_a_long_list_points_to_the_a4_record() -> None:
    short = slip_lines(record(MAX_LISTED_WAYBILLS))
    long = slip_lines(record(MAX_LISTED_WAYBILLS + 1))
    assert len(short) > len(long)
    assert any("A4" in line for line, _ in long)
    tall = render_handover_slip(record(MAX_LISTED_WAYBILLS), width_mm=76, dpi=203)
    assert tall.height > render_handover_slip(record(2), width_mm=76, dpi=203).height
