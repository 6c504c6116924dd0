"""Fixtures of the outbound tests: a small site with a pack bench behind the in-process API."""

from __future__ import annotations

from typing import Any

import pytest

from server.config import Settings
from tests.conftest import Api
from tests.outbound.helpers import outbound_settings, seed_outbound


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return outbound_settings(tmp_path)


@pytest.fixture
def site(api: Api) -> Api:
    seed_outbound(api)
    return api
