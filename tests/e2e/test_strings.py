"""The handheld's words: counted texts take the right plural form, and a missing string
is said on the console (where the page tests look) instead of passing unseen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

SAY = """async ([key, params, lang]) => {
  const i18n = await import('/js/i18n.js');
  i18n.setLanguage(lang);
  return i18n.t(key, params);
}"""


def test_english_counts_take_their_plural_form_and_chinese_has_one(page: Page) -> None:
    page.goto("/index.html")
    said = [
        page.evaluate(SAY, ["dock.blocker.PARCELS_MISSING", {"count": n}, lang])
        for lang, n in [("en", 1), ("en", 2), ("en", "1,234"), ("zh", 1), ("zh", 2)]
    ]
    assert said == [
        "1 parcel not loaded",
        "2 parcels not loaded",
        "1,234 parcels not loaded",
        "还有 1 个包裹未装",
        "还有 2 个包裹未装",
    ]


def test_a_page_strings_file_adds_its_words_and_a_missing_key_is_reported(page: Page) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/index.html")
    # The dock's strings are not the login page's: loading the file adds them.
    planned = ["dock.waiting.item", {"planned": 1, "driver": "王"}, "en"]
    assert page.evaluate(SAY, planned) == "dock.waiting.item"
    page.evaluate("() => import('/js/strings/dock.js')")
    assert page.evaluate(SAY, planned) == "1 parcel · driver 王"
    assert page.evaluate(SAY, ["no.such.key", {}, "en"]) == "no.such.key"
    assert 'bondfloor: no text for "no.such.key"' in errors
