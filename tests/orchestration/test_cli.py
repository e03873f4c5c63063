"""The command line's failure messages."""

from __future__ import annotations

from pathlib import Path


def test_failed_dbt_tests_are_named_from_this_runs_results(tmp_path: Path, monkeypatch) -> None:
    import json
    import os
    import time

    from orchestration import cli

    target = tmp_path / "target"
    target.mkdir()
    results = target / "run_results.json"
    results.write_text(
        json.dumps(
            {
                "results": [
                    {"unique_id": "test.flexlens.assert_rows_accounted_for", "status": "fail"},
                    {"unique_id": "test.flexlens.unique_dim_users_user_key.abc", "status": "pass"},
                    {"unique_id": "model.flexlens.fct_sessions", "status": "error"},
                    {"unique_id": "test.flexlens.not_null_x.def", "status": "error"},
                ]
            }
        )
    )
    monkeypatch.setenv("FLEXLENS_DBT_PROJECT_DIR", str(tmp_path))
    started = time.time() - 5
    assert cli._failed_dbt_tests(since=started) == [
        "dbt test assert_rows_accounted_for",
        "dbt test not_null_x",
    ]
    # results older than the run (dbt did not run this time) name nothing
    os.utime(results, (started - 60, started - 60))
    assert cli._failed_dbt_tests(since=started) == []


def test_failed_dbt_tests_of_another_engine_are_read_from_its_target(
    tmp_path: Path, monkeypatch
) -> None:
    import json
    import time

    from orchestration import cli

    target = tmp_path / "target" / "postgres"
    target.mkdir(parents=True)
    (target / "run_results.json").write_text(
        json.dumps({"results": [{"unique_id": "test.flexlens.assert_x", "status": "fail"}]})
    )
    monkeypatch.setenv("FLEXLENS_DBT_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("FLEXLENS_DBT_TARGET", "postgres")
    assert cli._failed_dbt_tests(since=time.time() - 5) == ["dbt test assert_x"]
    monkeypatch.setenv("FLEXLENS_DBT_TARGET", "duckdb")
    assert cli._failed_dbt_tests(since=time.time() - 5) == []


def test_dev_hands_the_engine_and_settings_to_the_ui(tmp_path: Path, monkeypatch) -> None:
    import os
    import subprocess

    from orchestration import cli
    from orchestration.defs.transform import project

    settings_file = tmp_path / "org.toml"
    settings_file.write_text(f'warehouse = "{tmp_path / "w.duckdb"}"\n', encoding="utf-8")
    seen: dict[str, object] = {}

    def fake_call(command: list[str]) -> int:
        seen.update(
            command=command,
            engine=os.environ.get("FLEXLENS_ENGINE"),
            target=os.environ.get("FLEXLENS_DBT_TARGET"),
            settings=os.environ.get("FLEXLENS_SETTINGS"),
        )
        return 0

    monkeypatch.setattr(subprocess, "call", fake_call)
    monkeypatch.setattr(project, "prepare_manifest", lambda *a, **k: None)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    for name in ("FLEXLENS_ENGINE", "FLEXLENS_SETTINGS", "FLEXLENS_SPARK_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["--settings", str(settings_file), "dev", "--engine", "spark"]) == 0
    assert seen["engine"] == "spark"
    assert seen["target"] == "spark"
    assert seen["settings"] == str(settings_file)
    assert seen["command"][1:5] == ["-m", "dagster", "dev", "-m"]
