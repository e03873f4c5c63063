"""The whole daily job, materialised for real on a small generated organisation."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration import cli
from orchestration.resources import DBT_PROJECT_DIR
from orchestration.settings import Settings

AS_OF = "2026-10-31T18:00:00+00:00"


def _settings(tmp: Path, landing: Path) -> Settings:
    return Settings(
        timezone="Europe/London",
        landing_dir=landing,
        warehouse=tmp / "warehouse" / "flexlens.duckdb",
        exports_dir=tmp / "exports",
    )


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.resolve().iterdir())
        if p.is_file()
    }


@pytest.fixture(scope="module")
def pipeline_run(small_org: Path, tmp_path_factory: pytest.TempPathFactory):
    """One real run (module-scoped: a run costs ~15 s); returns settings and printed output."""
    tmp = tmp_path_factory.mktemp("run")
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(tmp / "dagster_home"))
    settings = _settings(tmp, small_org)
    out = io.StringIO()
    code = cli.run_pipeline(settings, as_of=AS_OF, out=out)
    yield settings, code, out.getvalue()
    mp.undo()


def _count(settings: Settings, sql: str) -> int:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def test_definitions_hold_every_stage() -> None:
    from orchestration.definitions import build_definitions

    defs = build_definitions(Settings())
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    for expected in (
        "raw/run_context",
        "raw/agent_sessions",
        "raw/directory_people",
        "marts/fct_sessions",
        "marts/dim_users",
        "marts/dim_products",
        "exports/latest",
    ):
        assert expected in keys
    assert defs.resolve_job_def("daily_pipeline") is not None
    schedule = defs.resolve_schedule_def("daily_pipeline_schedule")
    assert schedule.cron_schedule == "0 6 * * *"


def test_run_builds_marts_and_prints_a_summary(pipeline_run) -> None:
    settings, code, output = pipeline_run
    assert code == 0, output
    assert "people:" in output and "sessions:" in output and "quarantine:" in output
    assert "- dbt build" in output and "- export ..." in output and "- load usage/ ..." in output
    sessions = _count(settings, "select count(*) from marts.fct_sessions")
    assert sessions > 1000
    assert f"sessions:   {sessions:,} by" in output
    # nothing after the as-of counts, and open sessions are cut there
    assert (
        _count(settings, f"select count(*) from marts.fct_sessions where ended_at > '{AS_OF}'") == 0
    )
    # every raw agent row is a session, a quarantined row, or after the as-of
    raw = _count(settings, "select count(*) from raw.agent_sessions")
    quarantined = _count(
        settings, "select count(*) from intermediate.int_rows_quarantined where entity = 'sessions'"
    )
    after_as_of = _count(
        settings,
        "select count(*) from intermediate.int_sessions_resolved "
        "where reject_reason is null and is_after_as_of",
    )
    assert raw == sessions + quarantined + after_as_of


def test_run_exports_every_mart_with_a_manifest(pipeline_run) -> None:
    settings, code, _ = pipeline_run
    assert code == 0
    latest = settings.exports_dir / "latest"
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["as_of"] == AS_OF
    for mart in ("dim_users", "dim_products", "fct_sessions"):
        assert (latest / f"{mart}.parquet").exists() and (latest / f"{mart}.csv").exists()
        assert manifest["row_counts"][mart] == _count(
            settings, f"select count(*) from marts.{mart}"
        )


def test_quarantine_names_each_kind_of_bad_sample_row(pipeline_run, small_org: Path) -> None:
    settings, code, _ = pipeline_run
    assert code == 0
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    reasons = dict(
        con.execute(
            "select reason, count(*) from intermediate.int_rows_quarantined "
            "where source = 'usage' group by reason"
        ).fetchall()
    )
    con.close()
    for reason in (
        "unparseable_timestamp",
        "end_before_start",
        "unknown_product",
        "duplicate_row",
        "missing_required",
        "unparseable_line",
    ):
        assert reasons.get(reason, 0) >= 1, reasons


def test_rerunning_the_same_day_never_double_counts(pipeline_run) -> None:
    settings, code, _ = pipeline_run
    assert code == 0
    before = {
        table: _count(settings, f"select count(*) from {table}")
        for table in (
            "raw.agent_sessions",
            "raw.directory_people",
            "marts.fct_sessions",
            "marts.dim_users",
        )
    }
    out = io.StringIO()
    assert cli.run_pipeline(settings, as_of=AS_OF, out=out) == 0, out.getvalue()
    after = {table: _count(settings, f"select count(*) from {table}") for table in before}
    assert after == before


def test_missing_landing_folder_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    code = cli.main(
        [
            "run",
            "--landing",
            str(tmp_path / "nowhere"),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
            "--exports",
            str(tmp_path / "e"),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert (
        err == f"flexlens: error: landing folder not found: {tmp_path / 'nowhere'} "
        "(run `flexlens generate` or set --landing)"
    )


def test_naive_as_of_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "landing").mkdir()
    code = cli.main(["run", "--landing", str(tmp_path / "landing"), "--as-of", "2026-10-31T18:00"])
    assert code == 1
    assert "has no UTC offset" in capsys.readouterr().err


def test_unreadable_settings_are_a_one_line_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "s.toml").write_text("colour = 'red'\n")
    assert cli.main(["--settings", str(tmp_path / "s.toml"), "run"]) == 1
    assert "unknown setting 'colour'" in capsys.readouterr().err


def test_failed_blocking_check_stops_export_and_keeps_latest(
    pipeline_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, code, _ = pipeline_run
    assert code == 0
    latest = settings.exports_dir / "latest"
    before = _tree_digest(latest)
    target = latest.resolve()
    # a copy of the dbt project with one extra blocking test that fails
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "tests").mkdir(exist_ok=True)
    (project / "tests" / "assert_no_session_from_host_h0.sql").write_text(
        "-- a returned row is any session at all (a check made to fail)\n"
        "select session_id from {{ ref('fct_sessions') }}\n"
    )
    monkeypatch.setenv("FLEXLENS_DBT_PROJECT_DIR", str(project))
    out = io.StringIO()
    with pytest.raises(
        cli.CliError,
        match="blocking checks failed, nothing exported: .*assert_no_session_from_host_h0",
    ):
        cli.run_pipeline(settings, as_of=AS_OF, out=out)
    assert latest.resolve() == target
    assert _tree_digest(latest) == before
