"""Plates and driver ID numbers: what is taken, and which rule a refusal names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.dock import identity
from server.errors import InvalidInput


def valid_id(first17: str = "44030519900307123") -> str:
    return first17 + identity.id_check_character(first17)


@pytest.mark.parametrize(
    ("plate", "normalised"),
    [
        ("粤B12345", "粤B12345"),
        ("粤 B·1234A", "粤B1234A"),
        ("粤BD12345", "粤BD12345"),  # new energy, small car
        ("沪A12345F", "沪A12345F"),  # new energy, large vehicle
        ("粤Z1234港", "粤Z1234港"),  # cross-border, with its HK plate
        ("京a-12345", "京A12345"),
    ],
)
def test_mainland_plates_are_taken_and_normalised(plate: str, normalised: str) -> None:
    assert identity.check_plate(plate) == normalised


@pytest.mark.parametrize(
    ("plate", "rule"),
    [
        ("B12345", "province"),
        ("港B12345", "province"),
        ("粤I12345", "office_letter"),
        ("粤B1234", "serial"),
        ("粤B12O45", "serial"),
        ("粤BX12345", "serial"),  # 8 characters but not D/F
        ("粤B123456", "serial"),
    ],
)
def test_a_bad_plate_names_the_rule_it_breaks(plate: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as err:
        identity.check_plate(plate)
    assert (err.value.code, err.value.details["rule"]) == ("PLATE_INVALID", rule)


def test_second_plates_hk_and_macau() -> None:
    assert identity.check_second_plate("AB 1234") == "AB1234"
    assert identity.check_second_plate("MA-12-34") == "MA1234"
    assert identity.check_second_plate("") == ""
    with pytest.raises(InvalidInput):
        identity.check_second_plate("粤B12345")


def test_the_check_character_of_a_known_id_number() -> None:
    # GB 11643's worked example: 11010519491231002 -> X
    assert identity.id_check_character("11010519491231002") == "X"
    assert identity.check_driver_id("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "rule"),
    [
        ("4403051990030712", "length"),
        ("44030519900307123A", "characters"),
        ("440305199013071230", "birth_date"),
        ("11010519491231002" + "1", "check_character"),
    ],
)
def test_a_bad_id_number_names_the_rule_it_breaks(number: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as err:
        identity.check_driver_id(number)
    assert (err.value.code, err.value.details["rule"]) == ("DRIVER_ID_INVALID", rule)


@given(
    st.from_regex(
        r"\A[1-6][0-9]{5}(19[5-9][0-9]|200[0-5])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}\Z"
    )
)
def test_every_wrong_check_character_is_refused(first17: str) -> None:
    right = identity.id_check_character(first17)
    assert identity.check_driver_id(first17 + right) == first17 + right
    for wrong in "0123456789X":
        if wrong != right:
            with pytest.raises(InvalidInput):
                identity.check_driver_id(first17 + wrong)
