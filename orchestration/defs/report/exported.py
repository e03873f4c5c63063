"""One exported run as the report reads it: manifest.json and the marts' Parquet files.

The report reads only what the export wrote (``<exports>/<run folder>/<mart>.parquet``), so the
page and the BI tools reading the same files never disagree. A mart that is not in the run
folder, or lacks a column the report needs, is recorded in ``ExportedRun.missing`` with the
reason; the page then says what it cannot show instead of failing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from orchestration.defs.export.exports import LATEST

MANIFEST = "manifest.json"
REPORT_FILE = "report.html"


class ExportNotFound(Exception):
    """No exported run where one was expected; the message says where and what to do."""


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def resolve_run_folder(exports_dir: Path, run_id: str | None = None) -> Path:
    """The run folder ``<exports>/latest`` points at or, given a run id, the one that run wrote.

    With a run id, ``latest`` is tried first and then every folder named after the run; the
    folder whose manifest.json carries that run id wins (another run may have moved ``latest``).
    """
    exports_dir = Path(exports_dir)
    latest = exports_dir / LATEST
    if run_id is None:
        if not latest.exists():
            raise ExportNotFound(
                f"no export in {exports_dir} ({LATEST}/ is missing): run `flexlens run` first"
            )
        return latest.resolve()
    short = run_id.replace("-", "")[:8]
    candidates = [latest.resolve()] if latest.exists() else []
    if exports_dir.is_dir():
        candidates += sorted(
            path for path in exports_dir.iterdir() if path.is_dir() and path.name.endswith(short)
        )
    for folder in candidates:
        if _read_manifest(folder).get("run_id") == run_id:
            return folder
    raise ExportNotFound(f"no export of run {run_id} in {exports_dir}")


def _is_decimal_column(series: pd.Series) -> bool:
    if series.dtype != object:
        return False
    values = series.dropna()
    return not values.empty and isinstance(values.iloc[0], Decimal)


def _plain_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet decimals (pandas objects) as floats; every other column as read."""
    for name in frame.columns:
        if _is_decimal_column(frame[name]):
            frame[name] = (
                frame[name]
                .map(lambda value: math.nan if value is None else float(value))
                .astype("float64")
            )
    return frame


@dataclass
class ExportedRun:
    """A run folder: its manifest, and the marts read from it (see ``frame``)."""

    folder: Path
    manifest: dict[str, Any]
    missing: dict[str, str] = field(default_factory=dict)
    rows_read: dict[str, int] = field(default_factory=dict)

    @classmethod
    def open(cls, folder: Path) -> ExportedRun:
        folder = Path(folder)
        if not folder.is_dir():
            raise ExportNotFound(f"export folder not found: {folder}")
        return cls(folder=folder.resolve(), manifest=_read_manifest(folder))

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id") or "")

    @property
    def as_of(self) -> str:
        return str(self.manifest.get("as_of") or "")

    @property
    def written_at(self) -> str:
        return str(self.manifest.get("written_at") or "")

    @property
    def pii_mode(self) -> str:
        return str(self.manifest.get("pii_mode") or "plain")

    def exported_marts(self) -> list[str]:
        """Every mart with a Parquet file in the folder."""
        return sorted(path.stem for path in self.folder.glob("*.parquet"))

    def has(self, mart: str) -> bool:
        return (self.folder / f"{mart}.parquet").exists()

    def frame(
        self, mart: str, columns: Sequence[str], optional: Sequence[str] = ()
    ) -> pd.DataFrame | None:
        """The mart's ``columns`` (and those of ``optional`` it has), or None when it cannot be
        read: not exported, exported only as CSV, or lacking a needed column (the reason goes
        into ``missing``)."""
        path = self.folder / f"{mart}.parquet"
        if not path.exists():
            if (self.folder / f"{mart}.csv").exists():
                why = "exported only as CSV (the report reads Parquet: add it to export_formats)"
            else:
                why = "not in this export (the mart was not built)"
            self.missing[mart] = why
            return None
        names = set(pq.read_schema(path).names)
        lacking = [name for name in columns if name not in names]
        if lacking:
            earlier = self.missing.get(mart, "")
            listed = sorted(set(lacking) | set(_columns_in(earlier)))
            self.missing[mart] = (
                "lacks column" + ("s " if len(listed) > 1 else " ") + ", ".join(listed)
            )
            return None
        wanted = list(dict.fromkeys([*columns, *(name for name in optional if name in names)]))
        frame = _plain_numbers(pd.read_parquet(path, columns=wanted))
        self.rows_read[mart] = len(frame)
        return frame


def _columns_in(reason: str) -> list[str]:
    for prefix in ("lacks columns ", "lacks column "):
        if reason.startswith(prefix):
            return reason.removeprefix(prefix).split(", ")
    return []
