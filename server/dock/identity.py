"""Checks of what identifies a truck and its driver, each failure saying which rule failed.

- Mainland plates: a province abbreviation, a letter of the issuing office (not I or O),
  then five characters (7 in all), or six for new-energy plates (8 in all: D/F then five,
  or five digits then D/F); a few special plates end in 挂 学 警 港 澳 instead.
- HK / Macau plates (the second plate of a cross-border truck): letters and digits, up to
  8, as painted ("AB 1234", "MA-12-34" are taken as AB1234, MA1234).
- The 18-character resident ID number (GB 11643): 17 digits, a valid birth date at 7–14,
  and a check character: the sum of the digits weighted 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
  mod 11, gives 1 0 X 9 8 7 6 5 4 3 2.
"""

from __future__ import annotations

import re
from datetime import date

from server import clock
from server.error_codes import ERR, ErrorCode
from server.errors import DomainError

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_OFFICE = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O
_SERIAL = "[A-HJ-NP-Z0-9]"
_ORDINARY = re.compile(rf"^{_SERIAL}{{5}}$")
_NEW_ENERGY = re.compile(rf"^([DF]{_SERIAL}[0-9]{{4}}|[0-9]{{5}}[DF])$")
_SPECIAL = re.compile(rf"^{_SERIAL}{{4}}[挂学警港澳]$")
_SECOND_PLATE = re.compile(r"^[A-Z0-9]{1,8}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}$")


def _refuse(refusal: ErrorCode, field: str, value: str, rule: str, problem: str) -> DomainError:
    return refusal({"field": field, "value": value, "rule": rule}, problem=problem)


def masked_tail(text: str) -> str:
    """What a refusal and the audit log may show of an ID or phone number: its last 4
    characters (at most half of a short entry), as the mismatch refusal names the ID ending."""
    text = text.strip()
    keep = min(4, len(text) // 2)
    return "*" * (len(text) - keep) + (text[-keep:] if keep else "")


def normalise_plate(plate: str) -> str:
    return re.sub(r"[\s·•\-]", "", plate).upper()


def check_plate(plate: str, field: str = "plate") -> str:
    """A mainland plate, normalised (spaces, dots and hyphens removed, upper case)."""
    text = normalise_plate(plate)
    if not text or text[0] not in PROVINCES:
        raise _refuse(
            ERR.PLATE_INVALID,
            field,
            plate,
            "province",
            f"{plate!r}: a mainland plate starts with a province abbreviation (粤, 沪, 京 …)",
        )
    if len(text) < 2 or text[1] not in _OFFICE:
        raise _refuse(
            ERR.PLATE_INVALID,
            field,
            plate,
            "office_letter",
            f"{plate!r}: the second character is the office letter, A–Z without I and O",
        )
    rest = text[2:]
    if len(rest) == 5 and (_ORDINARY.match(rest) or _SPECIAL.match(rest)):
        return text
    if len(rest) == 6 and _NEW_ENERGY.match(rest):
        return text
    raise _refuse(
        ERR.PLATE_INVALID,
        field,
        plate,
        "serial",
        f"{plate!r}: after the office letter come 5 letters or digits (no I, O), or 6 on a "
        "new-energy plate (D/F and 5, or 5 digits and D/F)",
    )


def check_second_plate(plate: str) -> str:
    """An HK or Macau plate, normalised; empty when the truck has none."""
    text = normalise_plate(plate)
    if text and not _SECOND_PLATE.match(text):
        raise _refuse(
            ERR.PLATE_INVALID,
            "second_plate",
            plate,
            "hk_macau",
            f"{plate!r}: an HK or Macau plate is 1 to 8 letters and digits",
        )
    return text


def id_check_character(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def check_driver_id(number: str, field: str = "driver_id") -> str:
    """An 18-character resident ID number, normalised (upper-case X)."""
    text = number.strip().upper()
    if len(text) != 18:
        raise _refuse(
            ERR.DRIVER_ID_INVALID,
            field,
            masked_tail(number),
            "length",
            f"an ID number has 18 characters, this has {len(text)}",
        )
    if not text.isascii() or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise _refuse(
            ERR.DRIVER_ID_INVALID,
            field,
            masked_tail(number),
            "characters",
            "an ID number is 17 digits and a last digit or X",
        )
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        born = None
    if born is None or born > clock.now().date() or born.year < 1900:
        raise _refuse(
            ERR.DRIVER_ID_INVALID,
            field,
            masked_tail(number),
            "birth_date",
            "characters 7 to 14 are no birth date",
        )
    expected = id_check_character(text[:17])
    if text[17] != expected:
        raise _refuse(
            ERR.DRIVER_ID_INVALID,
            field,
            masked_tail(number),
            "check_character",
            f"the check character is wrong: the last character should be {expected}",
        )
    return text


def check_phone(phone: str) -> str:
    text = re.sub(r"[\s]", "", phone)
    if not (_MOBILE.match(text) or _LANDLINE.match(text)):
        raise _refuse(
            ERR.DRIVER_PHONE_INVALID,
            "driver_phone",
            masked_tail(phone),
            "format",
            "a mobile number is 11 digits starting 13–19, a landline 0xx-xxxxxxxx",
        )
    return text
