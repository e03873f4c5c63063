"""Benchmark of the whole daily pipeline on a generated organisation (`make bench`).

Generates N people (default 20,000: about 9-10 million sessions a year) as Parquet landing
files when missing, runs the daily job on a fresh warehouse, and prints wall time and peak memory
(the pipeline process plus its dbt subprocess) per stage, sessions per second, and writes the
figures as JSON. Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb


def _tree_rss_bytes(root_pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * page
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


@dataclass
class MemorySampler:
    """Samples the process tree's memory every `interval` seconds, per current stage."""

    interval: float = 0.25
    stage: str = "start"
    peaks: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            value = _tree_rss_bytes(os.getpid())
            self.peaks[self.stage] = max(self.peaks.get(self.stage, 0), value)
            time.sleep(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class StageTracker(io.StringIO):
    """Receives the pipeline's progress lines and tells the sampler which stage runs."""

    def __init__(self, sampler: MemorySampler, echo: bool) -> None:
        super().__init__()
        self.sampler = sampler
        self.echo = echo

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.startswith("  - ") and line.endswith(" ..."):
                self.sampler.stage = line[4:-4]
        if self.echo:
            sys.stdout.write(text)
        return super().write(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", default="2026-10-31", help="last day of generated data")
    parser.add_argument(
        "--dir", default="data/bench", help="work folder (landing, warehouse, exports)"
    )
    parser.add_argument(
        "--json", default=None, help="where to write the figures (default: <dir>/bench.json)"
    )
    parser.add_argument("--quiet", action="store_true", help="do not echo the pipeline's progress")
    args = parser.parse_args(argv)

    from connectors.sample import generate_organisation
    from orchestration.cli import CliError, _dagster_home, _prepare_environment, run_pipeline
    from orchestration.progress import ProgressState, stage_label
    from orchestration.settings import load_settings

    _prepare_environment()
    work = Path(args.dir).resolve()
    landing = work / f"landing_{args.people}p_{args.months}m_s{args.seed}"
    figures: dict[str, object] = {"people": args.people, "months": args.months}
    if not (landing / "_sample.json").exists():
        started = time.perf_counter()
        generate_organisation(
            landing,
            people=args.people,
            months=args.months,
            seed=args.seed,
            fmt="parquet",
            end=date.fromisoformat(args.end),
        )
        figures["generate_seconds"] = round(time.perf_counter() - started, 1)
    sample = json.loads((landing / "_sample.json").read_text())
    warehouse = work / "warehouse" / "bench.duckdb"
    if warehouse.parent.exists():
        shutil.rmtree(warehouse.parent)
    settings = load_settings().with_overrides(
        landing_dir=landing,
        warehouse=warehouse,
        exports_dir=work / "exports",
        timezone=sample.get("org_time_zone"),
    )
    os.environ["DAGSTER_HOME"] = str(_dagster_home(settings))
    state = ProgressState()
    sampler = MemorySampler()
    started = time.perf_counter()
    with sampler:
        try:
            code = run_pipeline(
                settings,
                as_of=sample["as_of"],
                out=StageTracker(sampler, not args.quiet),
                state=state,
            )
        except CliError as exc:  # still report the figures of the stages that ran
            print(f"run failed: {exc}")
            code = 1
    total = time.perf_counter() - started
    con = duckdb.connect(str(warehouse), read_only=True)
    sessions = con.execute("select count(*) from marts.fct_sessions").fetchall()[0][0]
    raw_rows = con.execute("select count(*) from raw.agent_sessions").fetchall()[0][0]
    con.close()
    stages = [
        {
            "stage": stage_label(step),
            "seconds": round(seconds, 1),
            "peak_rss_mb": round(sampler.peaks.get(stage_label(step), 0) / 2**20),
        }
        for step, seconds in state.durations.items()
    ]
    figures.update(
        exit_code=code,
        sessions=sessions,
        raw_rows=raw_rows,
        total_seconds=round(total, 1),
        sessions_per_second=round(sessions / total),
        peak_rss_mb=round(max(sampler.peaks.values(), default=0) / 2**20),
        stages=stages,
        cpu_count=os.cpu_count(),
    )
    print()
    print(f"{'stage':<52}{'seconds':>10}{'peak RSS MB':>14}")
    for row in stages:
        print(f"{row['stage']:<52}{row['seconds']:>10}{row['peak_rss_mb']:>14}")
    print(f"{'whole run':<52}{figures['total_seconds']:>10}{figures['peak_rss_mb']:>14}")
    print(
        f"sessions: {sessions:,} ({raw_rows:,} raw rows); "
        f"{figures['sessions_per_second']:,} sessions/s"
    )
    out = Path(args.json) if args.json else work / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {out}")
    return code


if __name__ == "__main__":
    sys.exit(main())
