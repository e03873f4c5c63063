"""The organisation's settings: one TOML file, every key documented with its default.

Where the file is found: ``--settings FILE`` on the command line, else the ``FLEXLENS_SETTINGS``
environment variable, else ``flexlens.toml`` in the working directory, else the defaults below.
Relative paths in the file are relative to the file's folder. The landing, warehouse and exports
paths can also be set with ``FLEXLENS_LANDING``, ``FLEXLENS_WAREHOUSE`` and ``FLEXLENS_EXPORTS``
(the command line's ``--landing``/``--warehouse``/``--exports`` win over both), and the dbt
engine with ``FLEXLENS_ENGINE`` (``--engine`` wins).
An unknown key is an error, never ignored.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.engines import Engine

SETTINGS_ENV = "FLEXLENS_SETTINGS"
MAX_TOKEN_PACK_SIZE = 100_000
MAX_TOKEN_PACK_COMBINATIONS = 100_000
DEFAULT_SETTINGS_FILE = "flexlens.toml"
ENGINE_ENV = "FLEXLENS_ENGINE"
PATH_ENV = {
    "landing_dir": "FLEXLENS_LANDING",
    "warehouse": "FLEXLENS_WAREHOUSE",
    "exports_dir": "FLEXLENS_EXPORTS",
}


class SettingsError(Exception):
    """The settings cannot be used; the message says which key and why, in one line."""


class Settings(BaseModel):
    """Every setting of a flexlens installation, with its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = Field(
        "UTC",
        description="The organisation's IANA time zone (naive timestamps, local dates, schedule).",
    )
    currency: str = Field("USD", description="Currency of prices and costs.")
    token_price: float | None = Field(
        None,
        description="Price per Flex token for costs and break-even; unset = weighted price of the "
        "packs in force, else the 3 USD list price (flex-rules E5).",
    )
    analysis_window_days: int = Field(
        365, gt=0, description="Days of history the utilisation marts look at."
    )
    inactivity_days: int = Field(90, gt=0, description="A named seat unused this long is 'unused'.")
    new_starter_grace_days: int = Field(
        30, ge=0, description="Grace before a new seat counts as never used."
    )
    break_even_margin: float = Field(
        0.10,
        ge=0,
        lt=1,
        description="A move between Flex and named must save more than this share.",
    )
    # Flex tokens: forecast, top-up and warnings (docs/tokens.md)
    token_burn_window_days: int = Field(
        90,
        gt=0,
        le=3660,
        description="Trailing days whose token use makes the forecast's burn rate (per weekday).",
    )
    token_top_up_lead_days: int = Field(
        14,
        ge=0,
        le=365,
        description="Days from ordering tokens to being able to use them: a top-up must be "
        "ordered this long before the run-out date.",
    )
    token_horizon_days: int = Field(
        365,
        gt=0,
        le=1830,
        description="Days after the as-of date the tokens to buy must last (the forecast horizon).",
    )
    token_horizon_date: date | None = Field(
        None,
        description="A fixed forecast horizon (e.g. the end of the budget year); wins over "
        "token_horizon_days.",
    )
    token_pack_sizes: tuple[int, ...] = Field(
        (500, 1000, 5000),
        min_length=1,
        max_length=6,
        description="Token pack sizes the organisation buys: tokens to buy are rounded up to the "
        "smallest total a combination of them makes.",
    )
    token_run_out_warning_days: int = Field(
        30,
        ge=0,
        description="Warn when the forecast runs out of tokens within this many days of the as-of.",
    )
    landing_dir: Path = Field(Path("data/landing"), description="Folder the pipeline reads.")
    warehouse: Path = Field(
        Path("data/warehouse/flexlens.duckdb"), description="DuckDB warehouse file."
    )
    exports_dir: Path = Field(
        Path("data/exports"), description="Folder the exports are written to."
    )
    export_formats: tuple[Literal["parquet", "csv"], ...] = Field(
        ("parquet", "csv"), description="File formats written for every mart."
    )
    export_retention_runs: int = Field(
        7, ge=1, description="Run folders kept under the exports folder."
    )
    pii_mode: Literal["plain", "pseudonymised"] = Field(
        "plain", description="Whether exports carry e-mails, names and logins in plain text."
    )
    csv_bom: bool = Field(
        False, description="Start every exported CSV with a UTF-8 byte-order mark (for Excel)."
    )
    freshness_limit_hours: float = Field(
        72,
        gt=0,
        description="Warn when the newest session started longer than this before the as-of.",
    )
    volume_band: float = Field(
        0.5,
        gt=0,
        description="Warn when a mart's rows differ from the median of earlier runs by more than "
        "this share.",
    )
    volume_history_runs: int = Field(
        7, ge=1, description="Earlier runs whose row counts make the median of the volume check."
    )
    engine: Engine = Field(
        "duckdb",
        description="Where dbt builds the models: the embedded DuckDB warehouse, a PostgreSQL "
        "database or a local Spark session (docs/engines.md); or $FLEXLENS_ENGINE.",
    )
    postgres_schema: str = Field(
        "flexlens",
        pattern=r"^[a-z_][a-z0-9_]{0,47}$",
        description="PostgreSQL schema BI tools read (when FLEXLENS_POSTGRES_DSN is set).",
    )
    schedule_cron: str = Field("0 6 * * *", description="When the daily run starts, in `timezone`.")
    ad_column_map: dict[str, str] = Field(
        default_factory=dict,
        description="Active Directory CSV header -> flexlens field, merged over the defaults.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/London)"
            ) from exc
        return value

    @field_validator("token_pack_sizes")
    @classmethod
    def _usable_pack_sizes(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(size <= 0 or size > MAX_TOKEN_PACK_SIZE for size in value):
            raise ValueError(f"pack sizes must be whole tokens from 1 to {MAX_TOKEN_PACK_SIZE:,}")
        sizes = tuple(sorted(set(value)))
        # the forecast tries every count of each smaller pack below largest/gcd (more copies
        # could be swapped for larger packs): keep that search small
        largest = sizes[-1]
        combinations = math.prod(largest // math.gcd(size, largest) for size in sizes[:-1])
        if combinations > MAX_TOKEN_PACK_COMBINATIONS:
            raise ValueError(
                f"pack sizes {list(sizes)} make {combinations:,} combinations to try (at most "
                f"{MAX_TOKEN_PACK_COMBINATIONS:,}): use fewer sizes or sizes with common "
                "divisors (e.g. multiples of 100)"
            )
        return sizes

    def with_overrides(self, **overrides: object) -> Settings:
        """A copy with the given values replaced (None values are ignored)."""
        changes = {key: value for key, value in overrides.items() if value is not None}
        return self.model_copy(update=changes) if changes else self

    def resolved(self, base: Path) -> Settings:
        """A copy whose relative paths are made absolute against `base`."""
        changes: dict[str, Path] = {}
        for name in PATH_ENV:
            path = Path(getattr(self, name)).expanduser()
            changes[name] = path if path.is_absolute() else (base / path).resolve()
        return self.model_copy(update=changes)


def _describe(error: ValidationError, source: str) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "(file)"
    if first["type"] == "extra_forbidden":
        known = ", ".join(Settings.model_fields)
        return f"unknown setting {location!r} in {source} (known settings: {known})"
    return f"setting {location!r} in {source}: {first['msg']}"


def load_settings(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Read the settings file (see the module docstring for where it is looked for)."""
    env = os.environ if environ is None else environ
    base_dir = Path.cwd() if cwd is None else cwd
    chosen = path or env.get(SETTINGS_ENV)
    values: dict[str, object] = {}
    source = "the defaults"
    if chosen:
        file = Path(chosen).expanduser()
        if not file.is_absolute():
            file = base_dir / file
        if not file.is_file():
            raise SettingsError(f"settings file not found: {file}")
    else:
        file = base_dir / DEFAULT_SETTINGS_FILE
        if not file.is_file():
            file = None  # type: ignore[assignment]
    if file is not None:
        source = str(file)
        try:
            values = tomllib.loads(file.read_text(encoding="utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"unreadable settings file {file}: {exc}") from exc
        base_dir = file.parent
    for name, variable in PATH_ENV.items():
        if env.get(variable):
            values[name] = env[variable]
    if env.get(ENGINE_ENV):
        values["engine"] = env[ENGINE_ENV]
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        raise SettingsError(_describe(exc, source)) from None
    return settings.resolved(base_dir)
