"""The HID (keyboard-wedge) decoder on evdev event sequences: shift, Enter, Ctrl+] and
Alt+029 for the GS1 separator."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from devices.hid_keys import (
    EV_KEY,
    GS,
    KEY_ENTER,
    KEY_LEFTCTRL,
    KEY_LEFTSHIFT,
    KEY_RIGHTBRACE,
    US_KEYS,
    HidDecoder,
)

EV_SYN, EV_MSC, MSC_SCAN = 0, 4, 4


def events_for(text: str) -> list[tuple[int, int, int]]:
    """The key events a US-layout scanner sends to type `text` and Enter (GS as Ctrl+])."""
    reverse = {}
    for code, (plain, shifted) in US_KEYS.items():
        reverse.setdefault(shifted, (code, True))
        reverse[plain] = (code, False)
    out: list[tuple[int, int, int]] = []
    for char in text:
        if char == GS:
            out += [(EV_KEY, KEY_LEFTCTRL, 1), (EV_KEY, KEY_RIGHTBRACE, 1)]
            out += [(EV_KEY, KEY_RIGHTBRACE, 0), (EV_KEY, KEY_LEFTCTRL, 0)]
            continue
        code, shifted = reverse[char]
        if shifted:
            out.append((EV_KEY, KEY_LEFTSHIFT, 1))
        out += [(EV_KEY, code, 1), (0, 0, 0), (EV_KEY, code, 0), (0, 0, 0)]
        if shifted:
            out.append((EV_KEY, KEY_LEFTSHIFT, 0))
    return [*out, (EV_KEY, KEY_ENTER, 1), (EV_KEY, KEY_ENTER, 0), (0, 0, 0)]


def decode(events: list[tuple[int, int, int]]) -> list[str]:
    decoder = HidDecoder()
    return [text for e in events if (text := decoder.feed(*e)) is not None]


# What a USB scanner typed for "Ab1" then Enter, as `evtest` shows it: each key comes with
# an EV_MSC scan code and an EV_SYN report.
CAPTURED_AB1 = [
    (EV_MSC, MSC_SCAN, 0x700E1), (EV_KEY, KEY_LEFTSHIFT, 1), (EV_SYN, 0, 0),
    (EV_MSC, MSC_SCAN, 0x70004), (EV_KEY, 30, 1), (EV_SYN, 0, 0),
    (EV_MSC, MSC_SCAN, 0x70004), (EV_KEY, 30, 0), (EV_SYN, 0, 0),
    (EV_MSC, MSC_SCAN, 0x700E1), (EV_KEY, KEY_LEFTSHIFT, 0), (EV_SYN, 0, 0),
    (EV_MSC, MSC_SCAN, 0x70005), (EV_KEY, 48, 1), (EV_SYN, 0, 0),
    (EV_MSC, MSC_SCAN, 0x70005), (EV_KEY, 48, 0), (EV_SYN, 0, 0),
    (EV_MSC, MSC_SCAN, 0x7001E), (EV_KEY, 2, 1), (EV_SYN, 0, 0),
    (EV_MSC, MSC_SCAN, 0x7001E), (EV_KEY, 2, 0), (EV_SYN, 0, 0),
    (EV_MSC, MSC_SCAN, 0x70028), (EV_KEY, KEY_ENTER, 1), (EV_SYN, 0, 0),
    (EV_MSC, MSC_SCAN, 0x70028), (EV_KEY, KEY_ENTER, 0), (EV_SYN, 0, 0),
]  # fmt: skip


def test_shift_and_enter_from_a_captured_sequence() -> None:
    assert decode(CAPTURED_AB1) == ["Ab1"]


def test_gs_typed_as_ctrl_right_bracket() -> None:
    ctrl_bracket = [
        (EV_KEY, KEY_LEFTCTRL, 1), (EV_KEY, KEY_RIGHTBRACE, 1),
        (EV_KEY, KEY_RIGHTBRACE, 0), (EV_KEY, KEY_LEFTCTRL, 0),
    ]  # fmt: skip
    without_enter = events_for("0106901234567892")[:-3]
    events = [*without_enter, *ctrl_bracket, *events_for("10LOT7")]
    assert decode(events) == ["0106901234567892" + GS + "10LOT7"]


def test_gs_typed_as_alt_029_on_the_keypad() -> None:
    alt_029 = [
        (EV_KEY, 56, 1),
        (EV_KEY, 82, 1), (EV_KEY, 82, 0), (EV_KEY, 82, 1), (EV_KEY, 82, 0),
        (EV_KEY, 80, 1), (EV_KEY, 80, 0), (EV_KEY, 73, 1), (EV_KEY, 73, 0),
        (EV_KEY, 56, 0),
    ]  # fmt: skip
    events = [*events_for("01")[:-3], *alt_029, *events_for("17270531")]
    assert decode(events) == ["01" + GS + "17270531"]


def test_auto_repeat_and_unknown_keys_type_nothing() -> None:
    events = [(EV_KEY, 30, 1), (EV_KEY, 30, 2), (EV_KEY, 30, 0), (EV_KEY, 59, 1), (EV_KEY, 59, 0)]
    assert decode([*events, (EV_KEY, KEY_ENTER, 1)]) == ["a"]


TYPABLE = sorted({c for pair in US_KEYS.values() for c in pair} | {GS})


@given(st.lists(st.text(alphabet=TYPABLE, min_size=1, max_size=40), min_size=1, max_size=5))
def test_what_a_scanner_types_decodes_back(scans: list[str]) -> None:
    events = [e for text in scans for e in events_for(text)]
    assert decode(events) == scans
