"""GS1 reading in parse_scan: best-before, serials, Digital Link, a missing separator and
bare SSCCs."""

from __future__ import annotations

import pytest

from server.barcodes import LOT_MAY_HOLD_ANOTHER_AI, BarcodeError, parse_scan

GTIN14 = "09506000134352"
SSCC = "006901234567890008"


def test_best_before_is_the_expiry_when_there_is_no_use_by_date() -> None:
    scan = parse_scan("]C101" + GTIN14 + "15261231" + "10LOT1")
    assert (scan.gtin, scan.lot, scan.expiry) == (GTIN14, "LOT1", "2026-12-31")


def test_use_by_date_wins_over_best_before_in_either_order() -> None:
    assert parse_scan("]C101" + GTIN14 + "15261231" + "17260630").expiry == "2026-06-30"
    assert parse_scan("]C101" + GTIN14 + "17260630" + "15261231").expiry == "2026-06-30"


def test_serial_is_read() -> None:
    scan = parse_scan("]C101" + GTIN14 + "21SN-0042~10LOT1")
    assert (scan.serial, scan.lot) == ("SN-0042", "LOT1")


@pytest.mark.parametrize("prefix", ["]Q3", ""])
def test_digital_link_gives_the_same_fields_as_an_element_string(prefix: str) -> None:
    scan = parse_scan(prefix + "https://example.com/01/" + GTIN14 + "/10/ABC123/21/S9?15=261231")
    assert (scan.gtin, scan.lot, scan.serial, scan.expiry) == (
        GTIN14,
        "ABC123",
        "S9",
        "2026-12-31",
    )


def test_a_digital_link_with_a_bad_check_digit_is_refused() -> None:
    with pytest.raises(BarcodeError) as err:
        parse_scan("]Q3https://example.com/01/09506000134353/10/ABC123")
    assert err.value.reason in ("check_digit", "gs1_format")


def test_a_web_address_that_is_no_digital_link_stays_a_plain_code() -> None:
    scan = parse_scan("https://example.com/about")
    assert (scan.gtin, scan.text) == ("", "https://example.com/about")


def test_a_lot_that_swallowed_an_expiry_is_warned_about() -> None:
    # The scanner sent no GS after the lot: 10 + "A1" + 17 + 261231 reads as one lot.
    scan = parse_scan("]C101" + GTIN14 + "10A117261231")
    assert scan.lot == "A117261231"
    assert scan.warnings == [LOT_MAY_HOLD_ANOTHER_AI]
    assert parse_scan("]C101" + GTIN14 + "10B215270101").warnings == [LOT_MAY_HOLD_ANOTHER_AI]


def test_a_digital_link_lot_is_never_warned_about() -> None:
    # A URI path has no separators to miss: its lot is exactly what it says.
    scan = parse_scan("https://example.com/01/" + GTIN14 + "/10/A117261231")
    assert (scan.lot, scan.warnings) == ("A117261231", [])


def test_an_ordinary_lot_has_no_warning() -> None:
    assert parse_scan("]C101" + GTIN14 + "17261231" + "10LOT-2026").warnings == []
    assert parse_scan("]C101" + GTIN14 + "1017261231").warnings == []  # digits from the start


def test_a_bare_sscc_is_a_carton_only_when_the_site_allows_it() -> None:
    assert parse_scan(SSCC).sscc == ""
    assert parse_scan(SSCC, bare_sscc=True).sscc == SSCC
    with pytest.raises(BarcodeError) as err:
        parse_scan("006901234567890009", bare_sscc=True)
    assert err.value.reason == "check_digit"


def test_a_gtin_is_still_a_gtin_when_bare_ssccs_are_allowed() -> None:
    assert parse_scan("6901234567892", bare_sscc=True).gtin == "6901234567892"
