"""Fixtures of the report tests: hand-made marts exported for real, and a headless Chromium."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.defs.export.exports import write_export
from tests.report.browser import LAUNCH_ARGS, find_chromium

AS_OF = "2026-10-31T18:00:00+00:00"
RUN_ID = "5eed1234-0000-4000-8000-000000000001"

ExportMarts = Callable[..., Path]


def export_marts_to(
    exports: Path,
    marts: dict[str, str],
    *,
    formats: tuple[str, ...] = ("parquet",),
    run_id: str = RUN_ID,
) -> Path:
    """Marts given as SQL selects, written through the real export; returns the run folder."""
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema marts")
        for name, select in marts.items():
            con.execute(f"create table marts.{name} as {select}")
        result = write_export(con, exports, run_id=run_id, as_of=AS_OF, formats=formats)
    finally:
        con.close()
    return result.run_folder


@pytest.fixture
def export_marts(tmp_path: Path) -> ExportMarts:
    """export_marts_to, into this test's own exports folder unless told another."""

    def _export(marts: dict[str, str], *, exports: Path | None = None, **options: Any) -> Path:
        return export_marts_to(exports or tmp_path / "exports", marts, **options)

    return _export


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright (installed with apt-get when missing)."""
    executable, reason = find_chromium()
    if executable is None:
        pytest.skip(f"no Chromium for the browser test: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(executable), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
