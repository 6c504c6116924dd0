"""The names of the charges, their categories and units are kept once, beside the charge
types (server/billing/charges.py), in Chinese and English: the statement PDF prints them and
the pages take them from GET /api/v1/billing/charge-codes, so a name cannot say one thing
on the page and another on paper."""

from __future__ import annotations

from server.billing.charges import (
    CATEGORIES,
    CATEGORY_NAMES,
    CHARGE_TYPES,
    CREDIT_CODE,
    MINIMUM_CODE,
    NO_RATE_CODES,
    UNIT_NAMES,
)
from tests.conftest import Api

EVERY_CODE = {**CHARGE_TYPES, **NO_RATE_CODES}


def test_every_charge_type_has_a_name_in_both_languages() -> None:
    assert {MINIMUM_CODE, CREDIT_CODE} <= set(EVERY_CODE)
    for code, kind in EVERY_CODE.items():
        assert kind.name_zh.strip() and kind.name_en.strip(), code
        assert kind.name_zh != kind.name_en, code  # both languages, not one copied
    assert len({k.name_zh for k in EVERY_CODE.values()}) == len(EVERY_CODE)
    assert len({k.name_en for k in EVERY_CODE.values()}) == len(EVERY_CODE)


def test_every_category_and_unit_of_a_charge_has_a_name_in_both_languages() -> None:
    assert set(CATEGORY_NAMES) == set(CATEGORIES)
    assert {k.category for k in EVERY_CODE.values()} == set(CATEGORIES)
    assert {k.unit for k in EVERY_CODE.values()} == set(UNIT_NAMES)
    for names in (*CATEGORY_NAMES.values(), *UNIT_NAMES.values()):
        assert names.zh.strip() and names.en.strip(), names


def test_the_charge_codes_answer_every_charges_names_in_both_languages(api: Api) -> None:
    answer = api.get("/api/v1/billing/charge-codes")
    assert answer.status_code == 200, answer.text
    codes = {c["code"]: c for c in answer.json()}
    assert set(codes) == set(EVERY_CODE)
    for code, kind in EVERY_CODE.items():
        given = codes[code]
        assert given["name"] == {"zh": kind.name_zh, "en": kind.name_en}, code
        assert given["category_name"] == CATEGORY_NAMES[kind.category]._asdict(), code
        assert given["unit_name"] == UNIT_NAMES[kind.unit]._asdict(), code
        assert given["priced"] is (code in CHARGE_TYPES), code
    assert codes[MINIMUM_CODE]["name"]["en"] == "Top-up to the monthly minimum"
    assert codes["storage.location_day.pick_face"]["name"]["zh"] == "库位日（拣货位）"
