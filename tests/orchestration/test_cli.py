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
