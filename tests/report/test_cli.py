"""`flexlens report [--open] [--exports DIR]` on hand-made exports."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from orchestration import cli
from tests.report.conftest import ExportMarts
from tests.report.test_page import DIM_USERS, RECOMMENDATIONS


def test_report_writes_the_latest_export_and_names_what_is_missing(
    export_marts: ExportMarts, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = export_marts({"rpt_licence_recommendations": RECOMMENDATIONS, "dim_users": DIM_USERS})
    exports = tmp_path / "exports"
    assert cli.main(["report", "--exports", str(exports)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"report: {exports.resolve() / 'latest' / 'report.html'}"
    assert printed[1].startswith("  not shown (missing marts): fct_token_ledger, ")
    assert (folder / "report.html").is_file()


def test_report_open_hands_the_file_to_the_browser(
    export_marts: ExportMarts, tmp_path: Path
) -> None:
    folder = export_marts({"rpt_licence_recommendations": RECOMMENDATIONS})
    opened: list[str] = []

    def opener(url: str) -> bool:
        opened.append(url)
        return False  # as on a machine without a browser

    args = argparse.Namespace(settings=None, exports=str(tmp_path / "exports"), open=True)
    out = io.StringIO()
    assert cli.cmd_report(args, out=out, opener=opener) == 0
    assert opened == [(folder.resolve() / "report.html").as_uri()]
    assert "no browser could be opened here: open the file above yourself" in out.getvalue()


def test_report_without_an_export_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", "--exports", str(tmp_path / "none")]) == 1
    assert capsys.readouterr().err == (
        f"flexlens: error: no export in {tmp_path / 'none'} (latest/ is missing): "
        "run `flexlens run` first\n"
    )


def test_the_asset_alone_reports_on_the_latest_export(
    export_marts: ExportMarts, tmp_path: Path
) -> None:
    import dagster as dg

    from orchestration.defs.report.assets import REPORT_HTML_KEY, exports_report
    from orchestration.resources import FlexlensSettings
    from orchestration.settings import Settings

    folder = export_marts({"rpt_licence_recommendations": RECOMMENDATIONS})
    settings = Settings(
        landing_dir=tmp_path, warehouse=tmp_path / "w.duckdb", exports_dir=tmp_path / "exports"
    )
    # materialised on its own (as from the UI): this run exported nothing, so `latest` it is
    result = dg.materialize([exports_report], resources={"flexlens": FlexlensSettings.of(settings)})
    assert result.success
    metadata = result.asset_materializations_for_node("exports__report")[0].metadata
    assert metadata["path"].value == str(folder.resolve() / "report.html")
    assert metadata["charts"].value == 0
    assert "rpt_token_forecast" in metadata["missing_marts"].value
    assert (folder / "report.html").is_file()
    assert REPORT_HTML_KEY.to_user_string() == "exports/report"
