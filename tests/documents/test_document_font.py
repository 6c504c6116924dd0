"""A site whose configured label font is gone gets a registered refusal for its PDFs, in
words that say what to install, never a 500."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from server.config import DatabaseSettings, PrintingSettings, Settings
from tests.conftest import Api
from tests.documents.test_receipt_pdfs import closed_plan, site

__all__ = ["site"]  # the fixture, shared with the receipt PDF tests


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database=DatabaseSettings(path=str(tmp_path / "site.db")),
        printing=PrintingSettings(font=str(tmp_path / "gone.ttf")),
    )


def test_a_missing_font_refuses_the_pdf_with_its_own_code(site: Api) -> None:
    plan_id = closed_plan(site)
    for kind in ("receipt", "tally"):
        answer = site.get(f"/api/v1/plans/{plan_id}/{kind}.pdf", role="receiver")
        assert answer.status_code == 422, answer.text
        error = msgspec.json.decode(answer.content)["error"]
        assert error["code"] == "DOCUMENT_FONT_NOT_FOUND"
        assert "gone.ttf" in error["message"] and "fonts-noto-cjk" in error["message"]
