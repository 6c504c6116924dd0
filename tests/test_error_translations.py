"""Every error code the server can answer has its zh-CN and English text on the handheld.

The handheld shows a refusal by its code (handheld_web/js/error-texts.js `ERRORS`, which
i18n.js loads as a page starts; the few a page needs before any answer are in i18n.js); a code
without a text would show the server's English message on a Chinese page. The codes are
read from the server's source: each `code="..."` given to an error, the default code of
each error class, and the codes of plain HTTP refusals.
"""

from __future__ import annotations

import re
from pathlib import Path

from server import errors
from server.web import HTTP_CODES

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "handheld_web" / "js" / "i18n.js"
ERROR_TEXTS = ROOT / "handheld_web" / "js" / "error-texts.js"
RAISED_CODE = re.compile(r'\bcode="([A-Z][A-Z0-9_]+)"')
ENTRY = re.compile(r"^  ([A-Z][A-Z0-9_]+): \{(.*?)(?=^  [A-Z][A-Z0-9_]+: \{|^\};)", re.M | re.S)
TEXT = r'\b{lang}: "[^"]+"'


def server_error_codes() -> set[str]:
    found = set(HTTP_CODES.values())
    for source in (ROOT / "server").rglob("*.py"):
        found |= set(RAISED_CODE.findall(source.read_text(encoding="utf-8")))
    for value in vars(errors).values():
        if isinstance(value, type) and issubclass(value, errors.DomainError):
            found.add(value.code)
    return found


def handheld_error_texts() -> dict[str, str]:
    found = {}
    for path in (I18N, ERROR_TEXTS):
        source = path.read_text(encoding="utf-8")
        start = source.index("const ERRORS = {")
        block = source[start : source.index("\n};", start) + 3]
        found |= {code: body for code, body in ENTRY.findall(block)}
    return found


def test_the_reader_finds_codes_and_texts() -> None:
    # Guards the regular expressions: if they found nothing, the check below would pass.
    assert {"LOCATION_OTHER_CUSTOMER", "IDEMPOTENCY_KEY_REQUIRED", "FORBIDDEN"} <= (
        server_error_codes()
    )
    texts = handheld_error_texts()
    assert len(texts) > 150
    assert re.search(TEXT.format(lang="en"), texts["LOGIN_FAILED"])


def test_every_server_error_code_has_both_texts_on_the_handheld() -> None:
    texts = handheld_error_texts()
    missing = sorted(code for code in server_error_codes() if code not in texts)
    half = sorted(
        code
        for code, body in texts.items()
        if not (re.search(TEXT.format(lang="zh"), body) and re.search(TEXT.format(lang="en"), body))
    )
    assert missing == []
    assert half == []
