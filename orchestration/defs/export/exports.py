"""Writing the marts for BI tools: a folder per run, then an atomic swap of `latest`.

``<exports>/<run id>/`` receives one Parquet (and CSV) file per mart and ``manifest.json``;
``<exports>/latest`` is then switched to it with one rename of a symbolic link, so a reader sees
either the previous complete export or the new one, never a mix. A run that fails before the
export leaves ``latest`` as it was.

CSV files are safe to open in a spreadsheet: a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading apostrophe (``'``), so it is shown as text and
never evaluated as a formula (OWASP "CSV injection"). Numbers, dates and times are written as
they are. With ``csv_bom`` the files start with a UTF-8 byte-order mark (Excel then reads them
as UTF-8). In PII mode ``pseudonymised`` every file (and PostgreSQL) gets pseudonyms instead of
e-mails, names and logins (pseudonymise.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from connectors.engines import MARTS_SCHEMA, duckdb_columns, duckdb_tables, sql_path
from connectors.engines import quote as quote_identifier
from orchestration.defs.export.pseudonymise import Pseudonymiser, pseudonymised_expression

log = logging.getLogger(__name__)

LATEST = "latest"
_RUN_FOLDER = re.compile(r"^\d{8}T\d{6}Z_[0-9a-f]{8}$")
UTF8_BOM = b"\xef\xbb\xbf"
# a text cell starting with one of these is a formula to a spreadsheet (OWASP CSV injection)
FORMULA_TRIGGER = r"^[=+\-@\t\r]"
FORMULA_FIRST_CHARACTERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportResult:
    run_folder: Path
    latest: Path
    row_counts: dict[str, int]


def list_marts(con: duckdb.DuckDBPyConnection) -> list[str]:
    return duckdb_tables(con, MARTS_SCHEMA)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_folder_name(run_id: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}_{run_id.replace('-', '')[:8]}"


def mart_columns(con: duckdb.DuckDBPyConnection, mart: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a mart's columns, in order."""
    return duckdb_columns(con, MARTS_SCHEMA, mart)


def neutralised_expression(column_sql: str) -> str:
    """SQL for a text cell a spreadsheet would evaluate (its first character is one of
    FORMULA_FIRST_CHARACTERS, i.e. it matches FORMULA_TRIGGER): prefixed with an apostrophe.
    Comparing the first character costs a fraction of a regular expression (measured)."""
    firsts = ", ".join(f"chr({ord(c)})" for c in FORMULA_FIRST_CHARACTERS)
    return (
        f"case when left({column_sql}, 1) in ({firsts}) "
        f"then chr(39) || {column_sql} else {column_sql} end"
    )


def export_select(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    *,
    pseudonymiser: Pseudonymiser | None = None,
    csv: bool = False,
) -> str:
    """The SELECT that produces a mart as delivered (pseudonymised; neutralised for CSV)."""
    expressions = []
    for name, data_type in mart_columns(con, mart):
        column = quote_identifier(name)
        expression = column
        if pseudonymiser is not None:
            expression = pseudonymised_expression(column, name, data_type)
        is_text = data_type.upper() == "VARCHAR" or expression != column
        if csv and is_text:
            expression = neutralised_expression(expression)
        expressions.append(column if expression == column else f"{expression} as {column}")
    return f"select {', '.join(expressions)} from {MARTS_SCHEMA}.{quote_identifier(mart)}"


def _write_csv(con: duckdb.DuckDBPyConnection, select: str, target: Path, *, bom: bool) -> None:
    if not bom:
        con.execute(f"copy ({select}) to {sql_path(target)} (format csv, header true)")
        return
    plain = target.with_name(target.name + ".nobom")
    con.execute(f"copy ({select}) to {sql_path(plain)} (format csv, header true)")
    with target.open("wb") as out, plain.open("rb") as source:
        out.write(UTF8_BOM)
        shutil.copyfileobj(source, out, 1 << 20)
    plain.unlink()


def write_export(
    con: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    *,
    run_id: str,
    as_of: str,
    formats: tuple[str, ...] = ("parquet", "csv"),
    retention_runs: int = 7,
    csv_bom: bool = False,
    pseudonymiser: Pseudonymiser | None = None,
    checks: Sequence[Mapping[str, Any]] = (),
) -> ExportResult:
    """Write every mart to a new run folder, then point `latest` at it atomically.

    `checks` (the run's check outcomes) go into manifest.json as they are.
    """
    exports_dir.mkdir(parents=True, exist_ok=True)
    folder = exports_dir / run_folder_name(run_id)
    staging = exports_dir / f".{folder.name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    if pseudonymiser is not None:
        pseudonymiser.register(con)
    row_counts: dict[str, int] = {}
    hashes: dict[str, Future[str]] = {}
    # each file is hashed in the background while DuckDB writes the next one
    with ThreadPoolExecutor(max_workers=1) as hasher:
        for mart in list_marts(con):
            relation = f"{MARTS_SCHEMA}.{quote_identifier(mart)}"
            row_counts[mart] = int(con.execute(f"select count(*) from {relation}").fetchone()[0])
            if "parquet" in formats:
                select = export_select(con, mart, pseudonymiser=pseudonymiser)
                target = staging / f"{mart}.parquet"
                con.execute(
                    f"copy ({select}) to {sql_path(target)} (format parquet, compression zstd)"
                )
                hashes[target.name] = hasher.submit(_sha256, target)
            if "csv" in formats:
                select = export_select(con, mart, pseudonymiser=pseudonymiser, csv=True)
                target = staging / f"{mart}.csv"
                _write_csv(con, select, target, bom=csv_bom)
                hashes[target.name] = hasher.submit(_sha256, target)
    files = {name: hashes[name].result() for name in sorted(hashes)}
    manifest = {
        "run_id": run_id,
        "as_of": as_of,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "row_counts": row_counts,
        "sha256": files,
        "pii_mode": "plain" if pseudonymiser is None else "pseudonymised",
        "pii_key_id": None if pseudonymiser is None else pseudonymiser.key_id,
        "csv": {"utf8_bom": csv_bom, "formula_cells_neutralised": True},
        "checks": [dict(check) for check in checks],
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
