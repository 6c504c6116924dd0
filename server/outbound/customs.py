"""Customs list reply codes (CEB622 returnStatus) and what the floor does with each.

Precedence, so that replies arriving late, out of order or twice still end right:
1. the reply with the later customs time (returnTime) wins;
2. at the same time, the graver one wins: hold > released > accepted > waiting;
3. a reply equal to the one in force changes nothing.
The winner is the maximum of `precedence()` over every reply received, so the order's
status does not depend on the order of arrival. A cancellation (CEB623) is separate and
final: no status brings a cancelled order back.
"""

from __future__ import annotations

from enum import IntEnum

WAITING_CODES = frozenset({1, 2, 3, 4, 300, 399})
ACCEPTED_CODES = frozenset({120})
RELEASED_CODES = frozenset({800, 899})  # 899 closed: only ever after release
HOLD_CODES = frozenset({100, 500, 501, 502, 503, 509, 599, 700})
INSPECTION_CODE = 500


class Gate(IntEnum):
    """What a status lets the floor do; the value is its rank at equal customs time."""

    WAITING = 0
    ACCEPTED = 1
    RELEASED = 2
    HOLD = 3


def gate(code: int | None) -> Gate:
    """The floor's reading of a returnStatus; None (no reply yet) waits."""
    if code is None or code in WAITING_CODES:
        return Gate.WAITING
    if code in ACCEPTED_CODES:
        return Gate.ACCEPTED
    if code in RELEASED_CODES:
        return Gate.RELEASED
    if code in HOLD_CODES or code < 0:  # negative: processing error, a supervisor looks
        return Gate.HOLD
    raise ValueError(f"unknown customs status {code}")


def is_known(code: int) -> bool:
    try:
        gate(code)
    except ValueError:
        return False
    return True


def precedence(code: int, status_at: str) -> tuple[str, int, int]:
    """Sort key of a reply: later customs time, then graver gate, then the code itself."""
    return (status_at, int(gate(code)), code)


def may_pick(code: int | None, *, bonded: bool, pick_before_release: bool) -> bool:
    if not bonded:
        return True
    g = gate(code)
    return g == Gate.RELEASED or (g == Gate.ACCEPTED and pick_before_release)


def may_ship(code: int | None, *, bonded: bool) -> bool:
    """Packing completion and loading: released (800) only."""
    return not bonded or gate(code) == Gate.RELEASED


def is_hold(code: int | None) -> bool:
    return code is not None and gate(code) == Gate.HOLD
