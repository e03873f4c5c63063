"""The quality gate in a real run of the daily job: warnings exported, blocking failures not."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import psycopg
import pytest

from orchestration import cli
from orchestration.defs.quality import history, rules
from orchestration.settings import Settings
from tests.export.pg_cluster import start_cluster

AS_OF = "2026-10-31T18:00:00+00:00"
SEEDED_SESSIONS = 1_000_000


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.resolve().iterdir())
        if p.is_file()
    }


def _query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def gate_run(small_org: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """One real run with a PostgreSQL target and a volume history that makes fct_sessions look
    a thousand times too small (a warning)."""
    tmp = tmp_path_factory.mktemp("gate")
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(tmp / "dagster_home"))
    cluster, reason = start_cluster()
    if cluster is not None:
        mp.setenv("FLEXLENS_POSTGRES_DSN", cluster.dsn)
    settings = Settings(
        timezone="Europe/London",
        landing_dir=small_org,
        warehouse=tmp / "warehouse" / "flexlens.duckdb",
        exports_dir=tmp / "exports",
    )
    settings.warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(settings.warehouse))
    as_of = datetime.fromisoformat(AS_OF)
    for days in (1, 2, 3):
        history.record_counts(
            con,
            as_of=as_of - timedelta(days=days),
            run_id=f"earlier-{days}",
            counts={"fct_sessions": SEEDED_SESSIONS},
        )
    con.close()
    out = io.StringIO()
    code = cli.run_pipeline(settings, as_of=AS_OF, out=out)
    try:
        yield {
            "settings": settings,
            "code": code,
            "output": out.getvalue(),
            "dsn": cluster.dsn if cluster else None,
            "no_postgres": reason,
            "tmp": tmp,
        }
    finally:
        mp.undo()
        if cluster is not None:
            cluster.stop()


def _report(run: dict) -> pd.DataFrame:
    latest = run["settings"].exports_dir / "latest"
    return pd.read_parquet(latest / "rpt_data_quality.parquet")


def test_a_warning_is_reported_and_does_not_block(gate_run: dict) -> None:
    assert gate_run["code"] == 0, gate_run["output"]
    output = gate_run["output"]
    assert "- quality checks ..." in output and "- export ..." in output
    assert "warnings:   marts/fct_sessions:row_volume" in output
    report = _report(gate_run)
    volume = report[
        (report["source"] == "fct_sessions") & (report["reason_or_check"] == "row_volume")
    ]
    sessions = _query(gate_run["settings"], "select count(*) from marts.fct_sessions")[0][0]
    assert volume[["kind", "outcome", "blocking", "checked_by"]].values.tolist() == [
        ["check", "warned", False, "gx"]
    ]
    low, high = SEEDED_SESSIONS // 2, SEEDED_SESSIONS * 3 // 2
    assert volume["example"].tolist() == [
        f"{sessions:,} rows, outside {low:,}..{high:,} (median 1,000,000 of 3 earlier runs)"
    ]


def test_rpt_data_quality_counts_the_quarantine_and_every_check(gate_run: dict) -> None:
    settings = gate_run["settings"]
    report = _report(gate_run)
    run_id = json.loads((settings.exports_dir / "latest" / "manifest.json").read_text())["run_id"]
    assert set(report["run_id"]) == {run_id}
    quarantine = report[report["kind"] == "quarantine"]
    expected = _query(
        settings,
        "select source, reason, count(*) from intermediate.int_rows_quarantined "
        "group by source, reason order by source, reason",
    )
    assert quarantine[["source", "reason_or_check", "rows"]].values.tolist() == [
        list(row) for row in expected
    ]
    assert set(quarantine["outcome"]) == {"quarantined"}
    unknown = quarantine[quarantine["reason_or_check"] == "unknown_product"]["example"].iloc[0]
    assert " at usage/" in unknown and " row " in unknown
    checks = report[report["kind"] == "check"].set_index(["source", "reason_or_check"])
    # dbt tests, blocking (severity error), and the Great Expectations checks of every mart
    dbt_key = checks.loc[("dim_users", "unique_dim_users_user_key")]
    assert (dbt_key["checked_by"], dbt_key["outcome"], dbt_key["blocking"]) == (
        "dbt",
        "passed",
        True,
    )
    manifest = rules.load_manifest(_manifest_path())
    # every dbt test of the project has its outcome, singular tests on several models included
    dbt_tests = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    reported = set(report[report["checked_by"] == "dbt"]["reason_or_check"])
    assert reported == dbt_tests
    singular = checks.xs("assert_every_agent_row_is_accounted_for", level="reason_or_check")
    assert singular[["checked_by", "outcome"]].values.tolist() == [["dbt", "passed"]]
    marts = rules.mart_nodes(manifest)
    for mart in marts:
        assert checks.loc[(mart, "row_volume"), "checked_by"] == "gx"
    assert checks.loc[("dim_users", "keys"), "outcome"] == "passed"
    assert checks.loc[("dim_users", "accepted_values"), "blocking"]
    fresh = checks.loc[("fct_sessions", "sessions_fresh")]
    newest = _query(settings, "select max(started_at) from marts.fct_sessions")[0][0]
    hours = (datetime.fromisoformat(AS_OF) - newest).total_seconds() / 3600
    assert fresh["outcome"] == ("passed" if hours <= 72 else "warned")
    assert fresh["example"].startswith(f"newest started_at is {hours:.1f} h before the as-of")
    assert not (checks["outcome"] == "failed").any()


def _manifest_path() -> Path:
    from orchestration.defs.transform.project import dbt_project

    return Path(dbt_project().manifest_path)


def test_manifest_carries_check_outcomes_and_true_checksums(gate_run: dict) -> None:
    latest = gate_run["settings"].exports_dir / "latest"
    manifest = json.loads((latest / "manifest.json").read_text())
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256((latest / name).read_bytes()).hexdigest() == digest
    assert "rpt_data_quality.csv" in manifest["sha256"]
    report = _report(gate_run)
    checks = report[report["kind"] == "check"]
    from_report = sorted(
        (row.source, row.reason_or_check, row.outcome, bool(row.blocking), row.checked_by)
        for row in checks.itertuples()
    )
    from_manifest = sorted(
        (c["asset"], c["check"], c["outcome"], c["blocking"], c["checked_by"])
        for c in manifest["checks"]
    )
    assert from_manifest == from_report
    assert manifest["pii_mode"] == "plain"


def test_postgres_serves_the_same_run(gate_run: dict) -> None:
    if gate_run["dsn"] is None:
        pytest.skip(f"no PostgreSQL server: {gate_run['no_postgres']}")
    manifest = json.loads(
        (gate_run["settings"].exports_dir / "latest" / "manifest.json").read_text()
    )
    with psycopg.connect(gate_run["dsn"]) as pg:
        served = dict(pg.execute("select mart, row_count from flexlens.export_manifest").fetchall())
        run_ids = pg.execute("select distinct run_id from flexlens.export_manifest").fetchall()
        for mart, count in manifest["row_counts"].items():
            table_rows = pg.execute(f'select count(*) from flexlens."{mart}"').fetchone()[0]
            assert table_rows == count, mart
        started = pg.execute(
            "select data_type from information_schema.columns where table_schema = 'flexlens' "
            "and table_name = 'fct_sessions' and column_name = 'started_at'"
        ).fetchone()
    assert served == manifest["row_counts"]
    assert run_ids == [(manifest["run_id"],)]
    assert started == ("timestamp with time zone",)


def test_a_blocking_check_failure_stops_the_export(
    gate_run: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gate_run["code"] == 0
    settings: Settings = gate_run["settings"]
    latest = settings.exports_dir / "latest"
    before, target = _tree_digest(latest), latest.resolve()
    # the contract now says a person can only be active: the sample has leavers
    monkeypatch.setitem(rules.CONTRACT_ACCEPTED_VALUES, "dim_users", {"status": ("active",)})
    monkeypatch.setenv("DAGSTER_HOME", str(gate_run["tmp"] / "dagster_home"))
    settings_file = gate_run["tmp"] / "flexlens.toml"
    settings_file.write_text(
        f'timezone = "Europe/London"\nlanding_dir = "{settings.landing_dir}"\n'
        f'warehouse = "{settings.warehouse}"\nexports_dir = "{settings.exports_dir}"\n',
        encoding="utf-8",
    )
    code = cli.main(["--settings", str(settings_file), "run", "--as-of", AS_OF])
    captured = capsys.readouterr()
    assert code == 1, captured.out
    assert captured.err.strip() == (
        "flexlens: error: blocking checks failed, nothing exported: marts/dim_users:accepted_values"
    )
    assert latest.resolve() == target
    assert _tree_digest(latest) == before
    if gate_run["dsn"]:
        with psycopg.connect(gate_run["dsn"]) as pg:
            served = pg.execute("select distinct run_id from flexlens.export_manifest").fetchall()
        run_id = json.loads((latest / "manifest.json").read_text())["run_id"]
        assert served == [(run_id,)]


def test_pseudonymised_export_of_the_real_marts_hides_every_identity(
    gate_run: dict, tmp_path: Path
) -> None:
    from orchestration.defs.export.exports import write_export
    from orchestration.defs.export.pseudonymise import Pseudonymiser

    settings: Settings = gate_run["settings"]
    identities = _query(
        settings,
        "select email from marts.dim_users where email is not null "
        "union select display_name from marts.dim_users where display_name is not null "
        "union select login from marts.fct_sessions where login like '%\\%' "
        "union select user_key from marts.dim_users where user_key like '%@%'",
    )
    plain = {value for (value,) in identities}
    assert len(plain) > 40 and any("\\" in value for value in plain)
    pseudonymiser = Pseudonymiser(b"pipeline-test-key-0123456789")
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        result = write_export(
            con,
            tmp_path / "exports",
            run_id="0a1b2c3d-pseudonymised",
            as_of=AS_OF,
            pseudonymiser=pseudonymiser,
        )
    finally:
        con.close()
    for csv_file in sorted(result.run_folder.glob("*.csv")):
        text = csv_file.read_text(encoding="utf-8").lower()
        leaked = sorted(value for value in plain if value.lower() in text)
        assert leaked == [], csv_file.name
    users = pd.read_parquet(result.run_folder / "dim_users.parquet")
    sessions = pd.read_parquet(result.run_folder / "fct_sessions.parquet")
    assert users["user_key"].str.fullmatch(r"p_[0-9a-f]{20}").all()
    assert set(sessions["user_key"]) <= set(users["user_key"])
    assert users["department"].notna().any()
    assert not users["department"].dropna().str.startswith("p_").any()
