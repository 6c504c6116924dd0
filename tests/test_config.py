"""Settings: every one documented, every error reported with file, key path and reason."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import msgspec
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


def test_check_reports_type_errors_and_cross_references_in_one_pass(tmp_path: Path) -> None:
    bad = tmp_path / "both.toml"
    bad.write_text(
        "[server]\nport = 70000\n"
        '[[stations]]\nname = "pack-1"\nkind = "pack_bench"\nprinters = ["nope"]\n'
        '[oms]\nenabled = true\nretry_min_seconds = "soon"\n'
    )
    keys = [line.split(": ")[1] for line in check_config_file(bad)]
    assert keys == ["server.port", "oms.retry_min_seconds", "stations[0].printers", "oms.url"]


def test_a_broken_list_entry_does_not_hide_the_other_problems(tmp_path: Path) -> None:
    bad = tmp_path / "entry.toml"
    bad.write_text('[[printers]]\nname = "p1"\nkind = "laser"\n[oms]\nenabled = true\n')
    keys = [line.split(": ")[1] for line in check_config_file(bad)]
    assert keys == ["printers[0].kind", "oms.url"]


def test_a_choice_lists_its_allowed_values(tmp_path: Path) -> None:
    bad = tmp_path / "choice.toml"
    bad.write_text(
        '[inbound]\nexpired_lot_policy = "keep"\n[scan]\nsuffixes = ["Enter", "Space"]\n'
    )
    errors = {line.split(": ")[1]: line for line in check_config_file(bad)}
    assert errors["inbound.expired_lot_policy"].endswith("; allowed: refuse, quarantine")
    assert errors["scan.suffixes"].endswith("; allowed: Enter, Tab")


@pytest.mark.parametrize(
    "url", ["oms.example.com/events", "ftp://oms.example.com/events", "https://", "http:/x"]
)
def test_the_oms_url_needs_a_scheme_and_a_host(tmp_path: Path, url: str) -> None:
    bad = tmp_path / "url.toml"
    bad.write_text(f'[oms]\nurl = "{url}"\n')
    [error] = check_config_file(bad)
    assert f"oms.url: {url!r} is not an http:// or https:// URL" in error


def test_a_good_oms_url_passes(tmp_path: Path) -> None:
    good = tmp_path / "url.toml"
    good.write_text('[oms]\nenabled = true\nurl = "https://oms.example.com:8443/bondfloor"\n')
    assert check_config_file(good) == []


def example_values(example: dict[str, Any], defaults: dict[str, Any], path: str = "") -> Any:
    """(key path, example value, default) of every setting the example file gives a value,
    but the example entries of lists of tables (printers, scanners, stations)."""
    for key, value in example.items():
        key_path = f"{path}.{key}" if path else key
        default = defaults.get(key, "<not a setting>")
        if isinstance(value, dict) and isinstance(default, dict) and value and default:
            yield from example_values(value, default, key_path)
        elif not (isinstance(value, list) and value and isinstance(value[0], dict)):
            yield key_path, value, default


def test_the_example_config_shows_the_defaults() -> None:
    with (ROOT / "config" / "bondfloor.example.toml").open("rb") as f:
        example = tomllib.load(f)
    values = list(example_values(example, msgspec.to_builtins(Settings())))
    assert len(values) > 60  # the walk reached the settings
    assert [(key, value, default) for key, value, default in values if value != default] == []
