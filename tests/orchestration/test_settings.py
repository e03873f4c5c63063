from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.settings import Settings, SettingsError, load_settings


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path)
    assert settings.timezone == "UTC"
    assert settings.inactivity_days == 90
    assert settings.break_even_margin == pytest.approx(0.10)
    assert settings.landing_dir == tmp_path / "data" / "landing"
    assert settings.warehouse == tmp_path / "data" / "warehouse" / "flexlens.duckdb"


def test_file_values_and_paths_relative_to_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "org.toml").write_text(
        'timezone = "Europe/London"\ntoken_price = 2.75\nlanding_dir = "../in"\n'
        '[ad_column_map]\nmailAddress = "email"\n',
        encoding="utf-8",
    )
    settings = load_settings("conf/org.toml", environ={}, cwd=tmp_path)
    assert settings.timezone == "Europe/London"
    assert settings.token_price == pytest.approx(2.75)
    assert settings.landing_dir == tmp_path / "in"
    assert settings.ad_column_map == {"mailAddress": "email"}


def test_environment_names_the_file_and_overrides_paths(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text('timezone = "Europe/Berlin"\n', encoding="utf-8")
    env = {"FLEXLENS_SETTINGS": str(tmp_path / "s.toml"), "FLEXLENS_WAREHOUSE": "/srv/w.duckdb"}
    settings = load_settings(environ=env, cwd=Path("/"))
    assert settings.timezone == "Europe/Berlin"
    assert settings.warehouse == Path("/srv/w.duckdb")


def test_flexlens_toml_in_the_working_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / "flexlens.toml").write_text("inactivity_days = 60\n", encoding="utf-8")
    assert load_settings(environ={}, cwd=tmp_path).inactivity_days == 60


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("colour = 1\n", "unknown setting 'colour'"),
        ('timezone = "Mars/Olympus"\n', "unknown time zone 'Mars/Olympus'"),
        ("break_even_margin = 2\n", "setting 'break_even_margin'"),
        ('pii_mode = "hidden"\n', "setting 'pii_mode'"),
        ("timezone = \n", "unreadable settings file"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(tmp_path / "bad.toml", environ={}, cwd=tmp_path)


def test_missing_settings_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="settings file not found"):
        load_settings(tmp_path / "nope.toml", environ={}, cwd=tmp_path)


def test_overrides_ignore_none() -> None:
    settings = Settings().with_overrides(warehouse=None, timezone="Europe/Paris")
    assert settings.timezone == "Europe/Paris"
    assert settings.warehouse == Path("data/warehouse/flexlens.duckdb")


def test_engine_from_file_environment_and_command_line(tmp_path: Path) -> None:
    (tmp_path / "flexlens.toml").write_text('engine = "postgres"\n', encoding="utf-8")
    assert load_settings(environ={}, cwd=tmp_path).engine == "postgres"
    from_env = load_settings(environ={"FLEXLENS_ENGINE": "spark"}, cwd=tmp_path)
    assert from_env.engine == "spark"
    assert from_env.with_overrides(engine="duckdb").engine == "duckdb"
    assert load_settings(environ={}, cwd=tmp_path / "elsewhere").engine == "duckdb"


def test_unknown_engine_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="setting 'engine'.*'duckdb', 'postgres' or 'spark'"):
        load_settings(environ={"FLEXLENS_ENGINE": "oracle"}, cwd=tmp_path)
