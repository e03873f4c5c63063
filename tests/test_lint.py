"""House style is enforced, not hoped for: sqlfluff on every dbt model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"


def test_dbt_models_pass_sqlfluff(tmp_path: Path) -> None:
    sqlfluff = Path(sys.executable).parent / "sqlfluff"
    env = {
        **os.environ,
        "FLEXLENS_WAREHOUSE": str(tmp_path / "lint.duckdb"),
        "DO_NOT_TRACK": "1",
        "DBT_TARGET_PATH": str(tmp_path / "target"),
    }
    result = subprocess.run(
        [str(sqlfluff), "lint", "models", "tests", "--disable-progress-bar", "--nocolor"],
        cwd=DBT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    violations = [line for line in result.stdout.splitlines() if line.startswith(("==", "L:"))]
    assert result.returncode == 0, "\n".join(violations[:60]) or result.stderr[-2000:]
