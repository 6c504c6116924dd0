"""Settings: every one documented, every error reported with file, key path and reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from server.config import (
    ConfigError,
    Secrets,
    Settings,
    check_config_file,
    load_settings,
    setting_help,
)

ROOT = Path(__file__).resolve().parent.parent
BONDFLOOR = str(Path(sys.executable).parent / "bondfloor")


def test_every_setting_has_help_text() -> None:
    helps = setting_help(Settings)
    assert len(helps) > 40
    undocumented = [key for key, text in helps.items() if not text]
    assert undocumented == []


def test_help_walk_finds_nested_settings() -> None:
    helps = setting_help(Settings)
    assert "server.port" in helps
    assert "printers.host" in helps
    assert "roles.label_zh" in helps


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "config").glob("*.toml")))
def test_shipped_config_files_are_valid(name: str) -> None:
    assert check_config_file(ROOT / "config" / name) == []


def test_check_reports_every_error_with_file_and_key_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[site]\ncode = "x"\ntimezone = "Mars/Base"\ncolour = "red"\n'
        "[server]\nport = 70000\n"
        '[[printers]]\nname = "p1"\nkind = "laser"\n'
    )
    errors = check_config_file(bad)
    assert all(line.startswith(f"{bad}: ") for line in errors)
    keys = [line.split(": ")[1] for line in errors]
    assert keys == ["site.colour", "site.code", "site.timezone", "server.port", "printers[0].kind"]
    assert "unknown time zone" in errors[2]


def test_check_reports_cross_references(tmp_path: Path) -> None:
    bad = tmp_path / "refs.toml"
    bad.write_text(
        '[[printers]]\nname = "p1"\nkind = "network"\n'
        '[[stations]]\nname = "pack-1"\nkind = "pack_bench"\nprinters = ["nope"]\n'
        "[oms]\nenabled = true\n"
        '[roles.cook]\nlabel_en = "Cook"\n'
    )
    errors = "\n".join(check_config_file(bad))
    assert "printers[0].host: a network printer needs a host" in errors
    assert "stations[0].printers: no printer named 'nope'" in errors
    assert "oms.url" in errors
    assert "roles.cook: unknown role" in errors


def test_unreadable_toml_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[site\ncode=")
    [error] = check_config_file(bad)
    assert "not valid TOML" in error


def test_defaults_apply_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BONDFLOOR_CONFIG", raising=False)
    settings = load_settings()
    assert settings.server.port == 8080
    assert settings.site.bonded is True


def test_load_raises_with_all_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[server]\nport = 0\nhost = 5\n")
    with pytest.raises(ConfigError) as err:
        load_settings(bad)
    assert len(err.value.errors) == 2


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BONDFLOOR_OMS_TOKEN", "s3cret")
    assert Secrets.from_env().oms_token == "s3cret"
    assert "token" not in " ".join(setting_help(Settings)).lower()


def test_check_config_command_exits_non_zero_on_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[server]\nport = -1\n")
    done = subprocess.run([BONDFLOOR, "check-config", str(bad)], capture_output=True, text=True)
    assert done.returncode == 1
    assert f"{bad}: server.port:" in done.stderr
    good = subprocess.run(
        [BONDFLOOR, "check-config", str(ROOT / "config" / "demo.toml")],
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0, good.stderr


def test_today_is_the_sites_day() -> None:
    from datetime import UTC, datetime, timedelta

    from server.config import SiteSettings, site_today

    east = Settings(site=SiteSettings(timezone="Pacific/Kiritimati"))  # UTC+14
    west = Settings(site=SiteSettings(timezone="Pacific/Pago_Pago"))  # UTC-11
    assert timedelta(days=1) <= site_today(east) - site_today(west) <= timedelta(days=2)
    assert abs(site_today(east) - datetime.now(UTC).date()) <= timedelta(days=1)


def test_mdns_interfaces_must_be_ipv4_addresses(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[discovery]\ninterfaces = ["eth0"]\n', encoding="utf-8")
    (problem,) = check_config_file(path)
    assert "discovery.interfaces" in problem and "'eth0'" in problem


def test_an_agent_printer_names_a_configured_station(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[printers]]\nname = "p1"\nvia_station = "bench-9"\n', encoding="utf-8")
    (problem,) = check_config_file(path)
    assert "printers[0].via_station" in problem and "bench-9" in problem
