"""Every alert kind and every alert message code has its zh-CN and English text on the
handheld.

The supervisor's page names an alert by its kind (`alert.<KIND>`) and says what holds by
its message code with parameters (`alert.msg.<CODE>`); a kind or code without a text would
show the server's English on a Chinese page. Kinds and codes are read from the server's
registry (server/alerts/schemas.py), which the alert service cannot step outside: a
finding with a code not in it is refused. The texts are read from i18n.js and from the
per-page string files, wherever the supervisor's strings live.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.alerts.schemas import ALERT_KINDS, ALERT_MESSAGES
from server.alerts.service import Finding

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "handheld_web" / "js"
ENTRY = re.compile(
    r'"(alert\.(?:msg\.)?[A-Z][A-Z0-9_]+)": \{\s*zh: "([^"]*)",\s*en: "([^"]*)",?\s*\}', re.S
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def handheld_alert_texts() -> dict[str, tuple[str, str]]:
    sources = [JS / "i18n.js", *sorted((JS / "strings").glob("*.js"))]
    texts: dict[str, tuple[str, str]] = {}
    for source in sources:
        if source.exists():
            for key, zh, en in ENTRY.findall(source.read_text(encoding="utf-8")):
                texts[key] = (zh, en)
    return texts


def test_the_reader_finds_kinds_codes_and_texts() -> None:
    # Guards the regular expression: if it found nothing, the checks below would pass.
    texts = handheld_alert_texts()
    assert "LOT_EXPIRING" in ALERT_KINDS and "ORDER_NOT_PACKED_PAST_CUTOFF" in ALERT_MESSAGES
    assert texts["alert.STOCK_BELOW_SAFETY"][0] == "库存低于安全库存"
    assert texts["alert.msg.STATION_AGENT_NEVER_SEEN"] == ("从未联系过", "Never heard from")


def test_every_alert_kind_has_both_texts_on_the_handheld() -> None:
    texts = handheld_alert_texts()
    missing = sorted(k for k in ALERT_KINDS if not all(texts.get(f"alert.{k}", ("", ""))))
    assert missing == []


def test_every_alert_message_code_has_both_texts_with_the_same_parameters() -> None:
    texts = handheld_alert_texts()
    missing = sorted(c for c in ALERT_MESSAGES if not all(texts.get(f"alert.msg.{c}", ("", ""))))
    assert missing == []
    mismatched = sorted(
        c
        for c in ALERT_MESSAGES
        if set(PLACEHOLDER.findall(texts[f"alert.msg.{c}"][0]))
        != set(PLACEHOLDER.findall(texts[f"alert.msg.{c}"][1]))
    )
    assert mismatched == []


def test_a_finding_with_an_unregistered_message_code_is_refused() -> None:
    with pytest.raises(ValueError, match="NOT_A_CODE"):
        Finding("LOT_EXPIRING", "C1/S1/L1/2027-01-01", "NOT_A_CODE", {})
