"""The token settings: defaults, validation messages, and their way into SQL through the run
context (the run_context asset writes them; stg_run__context types them)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.ingest.assets import AS_OF_TAG, run_context
from orchestration.resources import FlexlensSettings
from orchestration.settings import Settings, SettingsError, load_settings
from tests.tokens.sql_runner import CATALOG, CONTEXT_MODEL, CompiledModel


def test_token_settings_defaults() -> None:
    settings = Settings()
    assert settings.token_burn_window_days == 90
    assert settings.token_top_up_lead_days == 14
    assert settings.token_horizon_days == 365
    assert settings.token_horizon_date is None
    assert settings.token_pack_sizes == (500, 1000, 5000)
    assert settings.token_run_out_warning_days == 30


def test_token_settings_from_toml(tmp_path: Path) -> None:
    file = tmp_path / "flexlens.toml"
    file.write_text(
        "token_horizon_date = 2027-03-31\ntoken_pack_sizes = [1000, 500, 1000]\n"
        "token_top_up_lead_days = 0\n"
    )
    settings = load_settings(file, environ={})
    assert settings.token_horizon_date == date(2027, 3, 31)
    assert settings.token_pack_sizes == (500, 1000)  # sorted, repeats dropped
    assert settings.token_top_up_lead_days == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "token_pack_sizes = [0, 500]",
            "setting 'token_pack_sizes' in {file}: Value error, pack sizes must be whole tokens "
            "from 1 to 100,000",
        ),
        (
            "token_pack_sizes = [997, 1000, 1999]",
            "setting 'token_pack_sizes' in {file}: Value error, pack sizes [997, 1000, 1999] make "
            "3,996,001 combinations to try (at most 100,000): use fewer sizes or sizes with common "
            "divisors (e.g. multiples of 100)",
        ),
        (
            "token_burn_window_days = 0",
            "setting 'token_burn_window_days' in {file}: Input should be greater than 0",
        ),
    ],
)
def test_bad_token_settings_say_which_and_why(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "flexlens.toml"
    file.write_text(text + "\n")
    with pytest.raises(SettingsError) as error:
        load_settings(file, environ={})
    assert str(error.value) == message.format(file=file)


def test_token_settings_reach_sql_through_the_run_context(
    tmp_path: Path, compiled_token_models: dict[str, CompiledModel]
) -> None:
    """The run_context asset writes the settings by name; stg_run__context's SQL types them (the
    pack sizes arrive as DuckDB writes a list, and leave as a plain comma-separated list)."""
    settings = Settings(
        warehouse=tmp_path / f"{CATALOG}.duckdb",
        token_horizon_date=date(2027, 3, 31),
        token_pack_sizes=(5000, 500),
        token_burn_window_days=60,
    )
    result = dg.materialize(
        [run_context],
        resources={"flexlens": FlexlensSettings.of(settings)},
        tags={AS_OF_TAG: "2026-10-31T18:00:00+00:00"},
    )
    assert result.success
    with duckdb.connect(str(settings.warehouse)) as con:
        assert con.execute("select token_pack_sizes from raw.run_context").fetchone() == (
            "[500, 5000]",
        )
        row = con.execute(
            "select as_of_date, token_burn_window_days, token_top_up_lead_days, "
            "token_horizon_days, token_horizon_date, token_pack_sizes, token_run_out_warning_days "
            f"from ({compiled_token_models[CONTEXT_MODEL].sql}) as context"
        ).fetchone()
    assert row == (date(2026, 10, 31), 60, 14, 365, date(2027, 3, 31), "500,5000", 30)
