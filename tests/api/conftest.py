"""Fixtures of the API tests that serve a copy of the handheld's files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from server import app as app_module
from server.app import create_app
from server.config import Settings


@pytest.fixture
def own_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of handheld_web/ that the app serves, for a test to change a file in."""
    pages = tmp_path / "handheld_web"
    shutil.copytree(app_module.handheld_web_dir(), pages)
    monkeypatch.setattr(app_module, "handheld_web_dir", lambda: pages)
    return pages


@pytest.fixture
def own_pages_client(own_pages: Path, settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings)) as client:
        yield client
