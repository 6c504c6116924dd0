"""The `[logging]` and `[monitoring]` settings: checked values, named problems."""

from __future__ import annotations

from pathlib import Path

from server.config import check_config_file


def test_metrics_allow_from_takes_addresses_and_networks_only(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        '[monitoring]\nmetrics_allow_from = ["127.0.0.1", "::1", "192.0.2.0/24"]\n'
        '[logging]\nformat = "json"\nlevel = "warning"\n',
        encoding="utf-8",
    )
    assert check_config_file(good) == []
    bad = tmp_path / "bad.toml"
    bad.write_text('[monitoring]\nmetrics_allow_from = ["prometheus.lan"]\n', encoding="utf-8")
    (problem,) = check_config_file(bad)
    assert "monitoring.metrics_allow_from" in problem and "'prometheus.lan'" in problem


def test_log_format_is_text_or_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[logging]\nformat = "logfmt"\n', encoding="utf-8")
    (problem,) = check_config_file(path)
    assert "logging.format" in problem
