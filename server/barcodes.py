"""Reading what a scanner sent: AIM prefix, GS1 element strings, GTIN check digits.

GS1 parsing is done by `biip` so that every scan path (handheld, fixed scanner, import)
agrees on what a barcode means.
"""

from __future__ import annotations

import re

import biip
import msgspec
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin
from biip.sscc import Sscc

from server.error_codes import ERR

GS = "\x1d"
_AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
GTIN_LENGTHS = (8, 12, 13, 14)
MAX_COUNT = 10_000_000
_GS1_CONFIG = biip.ParseConfig(separator_chars=(GS,))
_GS1_SYMBOLOGIES = ("]C1", "]d2", "]Q3", "]e0")
_DIGITAL_LINK = re.compile(r"^https?://", re.IGNORECASE)
# A lot that holds AI 15 or 17 and a real YYMMDD date: the scanner sent no GS after it.
_SWALLOWED_DATE_AI = re.compile(r"1[57](\d{2})(0[1-9]|1[0-2])(0\d|[12]\d|3[01])")
LOT_MAY_HOLD_ANOTHER_AI = ERR.LOT_MAY_HOLD_ANOTHER_AI.code
# What a spreadsheet does to a barcode column it takes for numbers: 4.89E+12 (or 4,89E+12).
_SCIENTIFIC = re.compile(r"^[0-9]+([.,][0-9]+)?[eE][+-]?[0-9]+\Z")
# Several barcodes typed into one cell with the wrong separator.
_OTHER_SEPARATORS = re.compile(r"[;,，；]|[0-9]\s+[0-9]")


class Scan(msgspec.Struct, kw_only=True):
    """One decoded scan: the text as read plus what GS1 says it holds."""

    raw: str
    text: str
    symbology: str = ""
    gtin: str = ""
    sscc: str = ""
    lot: str = ""
    expiry: str = ""
    serial: str = ""
    count: int | None = None
    # Stable codes for a scan that was read but looks wrong (the handheld shows them).
    warnings: list[str] = msgspec.field(default_factory=list)


class BarcodeError(ValueError):
    """A scan or barcode that cannot be right; `reason` says why in one stable word."""

    def __init__(self, message: str, reason: str = "format") -> None:
        super().__init__(message)
        # check_digit | gs1_format | empty | format | scientific | separator | all_zeros
        self.reason = reason


def normalise(raw: str, gs_placeholder: str = "~") -> tuple[str, str]:
    """Split off an AIM symbology identifier and turn the GS placeholder into 0x1D."""
    text = raw.strip("\r\n\t ")
    symbology = ""
    if _AIM_PREFIX.match(text):
        symbology, text = text[:3], text[3:]
    if gs_placeholder:
        text = text.replace(gs_placeholder, GS)
    return symbology, text


def check_gtin(value: str) -> str:
    """Return the GTIN if its check digit is right, else raise BarcodeError."""
    try:
        return Gtin.parse(value).value
    except biip.ParseError as err:
        raise BarcodeError(
            str(err), "check_digit" if "check digit" in str(err) else "format"
        ) from err


def check_barcode(value: str) -> str:
    """Validate a barcode for master data: all-digit GTIN lengths must pass the check digit.

    A spreadsheet's damage is named: a barcode turned into a number, several barcodes in
    one entry, a row of zeros standing for "no barcode".
    """
    if _SCIENTIFIC.match(value):
        raise BarcodeError(
            "Excel turned the barcode into a number; format the column as Text and "
            "type the barcode again",
            "scientific",
        )
    if _OTHER_SEPARATORS.search(value):
        raise BarcodeError(
            "one barcode per entry: in a CSV cell, separate barcodes with | (not ; or , or spaces)",
            "separator",
        )
    if value and not value.strip("0"):
        raise BarcodeError(
            "a barcode of only zeros is a placeholder, not an item's code", "all_zeros"
        )
    if not value or len(value) > 48 or not value.isprintable():
        raise BarcodeError("a barcode is 1 to 48 printable characters")
    if not value.isascii():
        raise BarcodeError("a barcode is ASCII")
    if value.isdigit() and len(value) in GTIN_LENGTHS:
        check_gtin(value)
    return value


def parse_scan(raw: str, gs_placeholder: str = "~", *, bare_sscc: bool = False) -> Scan:
    """Decode one scan. Plain codes (locations, SKU codes) come back with only `text` set.

    `bare_sscc`: the site's cartons carry their 18-digit SSCC without the AI 00, so an
    18-digit scan with a right check digit is that SSCC.
    """
    symbology, text = normalise(raw, gs_placeholder)
    if not text or (not text.isprintable() and GS not in text):
        raise BarcodeError("the scan is empty or holds control characters", "empty")
    scan = Scan(raw=raw, text=text, symbology=symbology)
    if _DIGITAL_LINK.match(text):
        try:
            link = GS1DigitalLinkURI.parse(text, config=_GS1_CONFIG)
        except biip.ParseError as err:
            if symbology in _GS1_SYMBOLOGIES:
                raise BarcodeError(f"not a valid GS1 Digital Link: {err}", "gs1_format") from err
            return scan  # some other web address: a plain code
        # A URI path has no separators to miss, so its lot is never warned about.
        return _fill(scan, link.element_strings, separators=False)
    is_gs1 = symbology in _GS1_SYMBOLOGIES or GS in text or _looks_like_gs1(text)
    if text.isascii() and text.isdigit() and len(text) in GTIN_LENGTHS and not is_gs1:
        scan.gtin = check_gtin(text)
        return scan
    if bare_sscc and not is_gs1 and text.isascii() and text.isdigit() and len(text) == 18:
        try:
            scan.sscc = Sscc.parse(text).value
        except biip.ParseError as err:
            raise BarcodeError(str(err), "check_digit") from err
        return scan
    if not is_gs1:
        return scan
    try:
        message = GS1Message.parse(text.lstrip(GS), config=_GS1_CONFIG)
    except biip.ParseError as err:
        raise BarcodeError(f"not a valid GS1 barcode: {err}", "gs1_format") from err
    return _fill(scan, message.element_strings)


def _fill(scan: Scan, elements: list[GS1ElementString], *, separators: bool = True) -> Scan:
    """Copy the AIs a warehouse uses into the scan; a best-before date (AI 15) is the
    expiry only when there is no use-by date (AI 17)."""
    best_before = ""
    for element in elements:
        ai = element.ai.ai
        if element.gtin_error or element.sscc_error:
            raise BarcodeError(
                element.gtin_error or element.sscc_error or "bad check digit", "check_digit"
            )
        if ai in ("01", "02"):
            scan.gtin = element.value
        elif ai == "00":
            scan.sscc = element.value
        elif ai == "10":
            scan.lot = element.value
        elif ai == "17" and element.date is not None:
            scan.expiry = element.date.isoformat()
        elif ai == "15" and element.date is not None:
            best_before = element.date.isoformat()
        elif ai == "21":
            scan.serial = element.value
        elif ai in ("30", "37"):
            if not element.value.isdigit() or not 0 < int(element.value) <= MAX_COUNT:
                raise BarcodeError(
                    f"count {element.value!r} must be 1 to {MAX_COUNT}", "gs1_format"
                )
            scan.count = int(element.value)
    scan.expiry = scan.expiry or best_before
    if separators and _lot_may_hold_another_ai(scan.lot):
        scan.warnings.append(LOT_MAY_HOLD_ANOTHER_AI)
    return scan


def _lot_may_hold_another_ai(lot: str) -> bool:
    # Lots are free text, so this only warns: "A1B2" + "17" + "261231" read as one lot.
    # Search from the second character: a lot may itself begin with digits like these.
    return _SWALLOWED_DATE_AI.search(lot, 1) is not None


def read_scan(raw: str, gs_placeholder: str = "~", *, bare_sscc: bool = False) -> Scan:
    """`parse_scan` for a scan a person sent: one that cannot be read is bad input."""
    try:
        return parse_scan(raw, gs_placeholder, bare_sscc=bare_sscc)
    except BarcodeError as err:
        raise ERR.BARCODE_INVALID({"scanned": raw, "reason": err.reason}, problem=str(err)) from err


def _looks_like_gs1(text: str) -> bool:
    # An un-prefixed GS1-128 read: AI 01/02 + 14 digits, or AI 00 + 18 digits.
    return bool(re.match(r"^(0[12]\d{14}|00\d{18})", text)) and len(text) > 14


def gtin_candidates(gtin: str) -> list[str]:
    """The forms a GTIN may be stored in master data (GTIN-14 from GS1, EAN-13, UPC-A)."""
    stripped = gtin.lstrip("0")
    forms = {gtin}
    for length in GTIN_LENGTHS:
        if len(stripped) <= length:
            forms.add(stripped.zfill(length))
    return sorted(forms)
