"""Writing the marts for BI tools: a folder per run, then an atomic swap of `latest`.

``<exports>/<run id>/`` receives one Parquet (and CSV) file per mart and ``manifest.json``;
``<exports>/latest`` is then switched to it with one rename of a symbolic link, so a reader sees
either the previous complete export or the new one, never a mix. A run that fails before the
export leaves ``latest`` as it was.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

MARTS_SCHEMA = "marts"
LATEST = "latest"
_RUN_FOLDER = re.compile(r"^\d{8}T\d{6}Z_[0-9a-f]{8}$")


@dataclass(frozen=True)
class ExportResult:
    run_folder: Path
    latest: Path
    row_counts: dict[str, int]


def list_marts(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
        [MARTS_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_folder_name(run_id: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}_{run_id.replace('-', '')[:8]}"


def write_export(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    *,
    run_id: str,
    as_of: str,
    formats: tuple[str, ...] = ("parquet", "csv"),
    retention_runs: int = 7,
) -> ExportResult:
    """Write every mart to a new run folder, then point `latest` at it atomically."""
    exports_dir.mkdir(parents=True, exist_ok=True)
    folder = exports_dir / run_folder_name(run_id)
    staging = exports_dir / f".{folder.name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    row_counts: dict[str, int] = {}
    files: dict[str, str] = {}
    for mart in list_marts(con):
        relation = f'{MARTS_SCHEMA}."{mart}"'
        row_counts[mart] = int(con.execute(f"select count(*) from {relation}").fetchone()[0])
        if "parquet" in formats:
            target = staging / f"{mart}.parquet"
            con.execute(f"copy {relation} to '{target}' (format parquet, compression zstd)")
        if "csv" in formats:
            target = staging / f"{mart}.csv"
            con.execute(f"copy {relation} to '{target}' (format csv, header true)")
    for path in sorted(staging.iterdir()):
        files[path.name] = _sha256(path)
    manifest = {
        "run_id": run_id,
        "as_of": as_of,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "row_counts": row_counts,
        "sha256": files,
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    staging.rename(folder)
    latest = exports_dir / LATEST
    swap = exports_dir / f".{LATEST}.{folder.name}"
    if swap.is_symlink() or swap.exists():
        swap.unlink()
    os.symlink(folder.name, swap, target_is_directory=True)
    if latest.exists() and not latest.is_symlink():
        # a real folder from elsewhere: keep it aside rather than destroy it
        latest.rename(exports_dir / f"{LATEST}.before-{folder.name}")
    os.replace(swap, latest)
    _prune(exports_dir, keep=retention_runs, current=folder.name)
    log.info("exported %d marts to %s", len(row_counts), folder)
    return ExportResult(run_folder=folder, latest=latest, row_counts=row_counts)


def _prune(exports_dir: Path, *, keep: int, current: str) -> None:
    runs = sorted(p for p in exports_dir.iterdir() if p.is_dir() and _RUN_FOLDER.match(p.name))
    for old in runs[:-keep]:
        if old.name != current:
            shutil.rmtree(old)
