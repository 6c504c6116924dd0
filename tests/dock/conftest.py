"""The dock tests use the outbound tests' small site: parcels come from its pack bench."""

from __future__ import annotations

from typing import Any

import pytest

from server.config import Settings, StationSettings
from tests.outbound.helpers import outbound_settings


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    base = outbound_settings(tmp_path)
    base.stations.append(StationSettings(name="D1", kind="dock_door"))
    return base
