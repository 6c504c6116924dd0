"""Keyboard-wedge (HID) scanners: Linux input key events back into the scanned text.

A HID scanner types its barcode as key presses. The decoder follows Shift, Ctrl and Alt
(US layout), ends a scan at Enter, and turns the two ways scanners type the GS1
separator into 0x1D: Ctrl+] and Alt held while 0 2 9 is typed on the keypad.
Codes are the kernel's (linux/input-event-codes.h); events are (type, code, value) as
evdev reads them, value 1 = press, 0 = release, 2 = auto-repeat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EV_KEY = 1
GS = "\x1d"

KEY_ENTER, KEY_KPENTER = 28, 96
KEY_LEFTSHIFT, KEY_RIGHTSHIFT = 42, 54
KEY_LEFTCTRL, KEY_RIGHTCTRL = 29, 97
KEY_LEFTALT, KEY_RIGHTALT = 56, 100
KEY_RIGHTBRACE = 27

# code: (plain, shifted), US layout
US_KEYS: dict[int, tuple[str, str]] = {
    2: ("1", "!"), 3: ("2", "@"), 4: ("3", "#"), 5: ("4", "$"), 6: ("5", "%"),
    7: ("6", "^"), 8: ("7", "&"), 9: ("8", "*"), 10: ("9", "("), 11: ("0", ")"),
    12: ("-", "_"), 13: ("=", "+"),
    16: ("q", "Q"), 17: ("w", "W"), 18: ("e", "E"), 19: ("r", "R"), 20: ("t", "T"),
    21: ("y", "Y"), 22: ("u", "U"), 23: ("i", "I"), 24: ("o", "O"), 25: ("p", "P"),
    26: ("[", "{"), 27: ("]", "}"),
    30: ("a", "A"), 31: ("s", "S"), 32: ("d", "D"), 33: ("f", "F"), 34: ("g", "G"),
    35: ("h", "H"), 36: ("j", "J"), 37: ("k", "K"), 38: ("l", "L"),
    39: (";", ":"), 40: ("'", '"'), 41: ("`", "~"), 43: ("\\", "|"),
    44: ("z", "Z"), 45: ("x", "X"), 46: ("c", "C"), 47: ("v", "V"), 48: ("b", "B"),
    49: ("n", "N"), 50: ("m", "M"), 51: (",", "<"), 52: (".", ">"), 53: ("/", "?"),
    57: (" ", " "),
    55: ("*", "*"), 74: ("-", "-"), 78: ("+", "+"), 83: (".", "."), 98: ("/", "/"),
}  # fmt: skip
KEYPAD_DIGITS = {82: "0", 79: "1", 80: "2", 81: "3", 75: "4", 76: "5", 77: "6", 71: "7", 72: "8", 73: "9"}  # fmt: skip
LAYOUTS = {"us": US_KEYS}


@dataclass
class HidDecoder:
    layout: str = "us"
    _text: list[str] = field(default_factory=list)
    _shift: set[int] = field(default_factory=set)
    _ctrl: set[int] = field(default_factory=set)
    _alt: set[int] = field(default_factory=set)
    _alt_digits: str = ""

    def feed(self, type_: int, code: int, value: int) -> str | None:
        """One input event; returns the scan's text when Enter ends it."""
        if type_ != EV_KEY or value == 2:
            return None  # sync and scan-code events; scanners do not auto-repeat
        if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
            self._hold(self._shift, code, value)
        elif code in (KEY_LEFTCTRL, KEY_RIGHTCTRL):
            self._hold(self._ctrl, code, value)
        elif code in (KEY_LEFTALT, KEY_RIGHTALT):
            self._hold(self._alt, code, value)
            if value == 0 and not self._alt and self._alt_digits:
                self._text.append(chr(int(self._alt_digits) % 256))  # Alt+029 -> GS
                self._alt_digits = ""
        elif value == 1:
            return self._press(code)
        return None

    def _press(self, code: int) -> str | None:
        if code in (KEY_ENTER, KEY_KPENTER):
            text, self._text = "".join(self._text), []
            return text
        if self._alt and code in KEYPAD_DIGITS:
            self._alt_digits += KEYPAD_DIGITS[code]
            return None
        if self._ctrl:
            if code == KEY_RIGHTBRACE:  # Ctrl+] is the control character GS
                self._text.append(GS)
            return None
        if code in KEYPAD_DIGITS:
            self._text.append(KEYPAD_DIGITS[code])
            return None
        keys = LAYOUTS[self.layout]
        if code in keys:
            self._text.append(keys[code][1 if self._shift else 0])
        return None

    @staticmethod
    def _hold(held: set[int], code: int, value: int) -> None:
        if value == 1:
            held.add(code)
        else:
            held.discard(code)
