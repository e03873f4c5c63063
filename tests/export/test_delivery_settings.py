"""The delivery and quality settings: defaults, and bad values named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.settings import SettingsError, load_settings


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path)
    assert settings.csv_bom is False
    assert settings.pii_mode == "plain"
    assert settings.freshness_limit_hours == 72
    assert settings.volume_band == pytest.approx(0.5)
    assert settings.volume_history_runs == 7
    assert settings.postgres_schema == "flexlens"


def test_values_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(
        'csv_bom = true\npii_mode = "pseudonymised"\nfreshness_limit_hours = 12.5\n'
        'volume_band = 0.2\nvolume_history_runs = 30\npostgres_schema = "licences"\n',
        encoding="utf-8",
    )
    settings = load_settings(tmp_path / "s.toml", environ={}, cwd=tmp_path)
    assert (settings.csv_bom, settings.pii_mode) == (True, "pseudonymised")
    assert (settings.freshness_limit_hours, settings.volume_band) == (12.5, 0.2)
    assert (settings.volume_history_runs, settings.postgres_schema) == (30, "licences")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('postgres_schema = "BI-Data"\n', "setting 'postgres_schema'"),
        ("freshness_limit_hours = 0\n", "setting 'freshness_limit_hours'"),
        ("volume_band = -1\n", "setting 'volume_band'"),
        ("volume_history_runs = 0\n", "setting 'volume_history_runs'"),
        ('csv_bom = "maybe"\n', "setting 'csv_bom'"),
        ('postgres_dsn = "postgresql://x"\n', "unknown setting 'postgres_dsn'"),
    ],
)
def test_bad_values_name_the_setting(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(tmp_path / "bad.toml", environ={}, cwd=tmp_path)
