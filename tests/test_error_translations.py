"""The handheld's error texts are keyed by the error registry (server/error_codes.py).

The handheld shows a refusal by its code (handheld_web/js/error-texts.js `ERRORS`, which
i18n.js loads as a page starts; the few a page needs before any answer are in i18n.js); a code
without a text would show the server's English message on a Chinese page. Every registered
code a handheld user can meet (an answer or a reason named in one) has both texts, and
error-texts.js holds no code the registry lacks, so a renamed or removed code cannot leave a
stale text behind. A key `CODE:reason` is the text of one reason of a registered code.
"""

from __future__ import annotations

import re
from pathlib import Path

from server.error_codes import every_code

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "handheld_web" / "js" / "i18n.js"
ERROR_TEXTS = ROOT / "handheld_web" / "js" / "error-texts.js"
ENTRY = re.compile(
    r'^  "?([A-Z][A-Z0-9_]+(?::[a-z0-9_]+)?)"?: \{(.*?)(?=^  "?[A-Z][A-Z0-9_]+(?::[a-z0-9_]+)?"?: \{|^\};)',
    re.M | re.S,
)
TEXT = r'\b{lang}: (?:"[^"]+"|\{{)'
# i18n.js keys `<page>.<part>.CODE`: the words of a reason code on the page that shows it.
REASON_TEXT = re.compile(r'^  "[a-z_]+(?:\.[a-z_]+)*\.([A-Z][A-Z0-9_]+)": \{(.*)$', re.M)
# Codes the handheld itself makes up (no server answers them): i18n.js only.
HANDHELD_ONLY = {"NETWORK_ERROR"}


def server_error_codes() -> set[str]:
    """Every registered code a handheld user can meet."""
    return {e.code for e in every_code() if e.handheld and not e.command_line}


def handheld_error_texts(*paths: Path) -> dict[str, str]:
    found = {}
    for path in paths or (I18N, ERROR_TEXTS):
        source = path.read_text(encoding="utf-8")
        start = source.index("const ERRORS = {")
        block = source[start : source.index("\n};", start) + 3]
        found |= {code: body for code, body in ENTRY.findall(block)}
    return found


def test_the_reader_finds_codes_and_texts() -> None:
    # Guards the regular expression: if it found nothing, the checks below would pass.
    assert {"LOCATION_OTHER_CUSTOMER", "IDEMPOTENCY_KEY_REQUIRED", "FORBIDDEN"} <= (
        server_error_codes()
    )
    texts = handheld_error_texts()
    assert len(texts) > 150
    assert re.search(TEXT.format(lang="en"), texts["LOGIN_FAILED"])
    assert "BARCODE_INVALID:check_digit" in texts
    assert "PARCELS_MISSING" in reason_texts()


def reason_texts() -> dict[str, str]:
    return dict(REASON_TEXT.findall(I18N.read_text(encoding="utf-8")))


def test_every_server_error_code_has_both_texts_on_the_handheld() -> None:
    texts = reason_texts() | handheld_error_texts()
    missing = sorted(code for code in server_error_codes() if code not in texts)
    half = sorted(
        code
        for code, body in texts.items()
        if not (re.search(TEXT.format(lang="zh"), body) and re.search(TEXT.format(lang="en"), body))
    )
    assert missing == []
    assert half == []


def test_the_handheld_has_no_text_for_a_code_the_registry_lacks() -> None:
    registered = {e.code for e in every_code()}
    stale = sorted(
        key
        for key in handheld_error_texts()
        if key.split(":")[0] not in registered and key not in HANDHELD_ONLY
    )
    assert stale == []
    assert set(handheld_error_texts(I18N)) <= HANDHELD_ONLY | registered
