"""Benchmark of the whole daily pipeline on a generated organisation (`make bench`).

Generates N people (default 20,000: about 9-10 million sessions a year) as Parquet landing
files when missing, runs the daily job on a fresh warehouse, and prints wall time and peak memory
(the pipeline process plus its dbt subprocess) per stage, sessions per second, the slowest dbt
nodes, and writes the figures as JSON. Figures only: nothing here asserts a time.

dbt runs on a private copy of dbt_project/ (same files; its own target/ folder, so that other dbt
runs on the machine neither share nor overwrite it), parsed before the clock starts, as a
scheduled run finds it. `--duckdb-setting NAME=VALUE` and `--dbt-threads N` change the copy's
DuckDB profile only, to measure a setting without editing profiles.yml. `--repeat N` runs the
pipeline N times, each in a fresh process, and reports every run with the best and the median;
the machine's load average is recorded with each run (other work only ever slows a run down).

`--engine duckdb|postgres|spark` runs dbt on that engine (PostgreSQL: the server FLEXLENS_PG_*
names, else a throwaway local one; its memory is not counted, Spark's JVM is: it runs inside
dbt's process); `--engine all` runs the three in turn on the same data, each in a fresh process,
and prints them side by side (docs/engines.md has the figures).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from connectors.engines import ENGINES

REPO = Path(__file__).resolve().parents[1]
SLOWEST_DBT_NODES = 12


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


def dbt_project_copy(target: Path, settings: dict[str, Any], threads: int | None) -> Path:
    """dbt_project/ copied without target/ and logs/, with the DuckDB output's `settings` and
    `threads` changed as asked (profiles.yml itself is never edited)."""
    import yaml

    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        REPO / "dbt_project", target, ignore=shutil.ignore_patterns("target", "logs", "*.pyc")
    )
    if settings or threads:
        path = target / "profiles.yml"
        profile = yaml.safe_load(path.read_text(encoding="utf-8"))
        output = profile["flexlens"]["outputs"]["duckdb"]
        output.setdefault("settings", {}).update(settings)
        if threads:
            output["threads"] = threads
        path.write_text(yaml.safe_dump(profile, sort_keys=False, width=1000), encoding="utf-8")
    return target


def _setting(text: str) -> tuple[str, Any]:
    import yaml

    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), yaml.safe_load(value)


def slowest_dbt_nodes(run_results: Path, count: int = SLOWEST_DBT_NODES) -> list[dict[str, Any]]:
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    results.sort(key=lambda r: -r["execution_time"])
    return [
        {"node": r["unique_id"], "seconds": round(r["execution_time"], 1), "status": r["status"]}
        for r in results[:count]
    ]


def _load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def run_once(args: argparse.Namespace) -> dict[str, Any]:
    """One run of the daily job on a fresh warehouse, with its figures."""
    from connectors.sample import generate_organisation
    from orchestration.cli import CliError, _dagster_home, _prepare_environment, run_pipeline
    from orchestration.defs.transform.project import prepare_manifest
    from orchestration.progress import ProgressState, stage_label
    from orchestration.resources import dbt_target_path, export_dbt_environment
    from orchestration.settings import load_settings

    _prepare_environment()
    work = Path(args.dir).resolve()
    landing = work / f"landing_{args.people}p_{args.months}m_s{args.seed}"
    figures: dict[str, Any] = {"people": args.people, "months": args.months}
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
    overrides = dict(args.duckdb_setting or [])
    project = dbt_project_copy(work / "dbt_project", overrides, args.dbt_threads)
    os.environ["FLEXLENS_DBT_PROJECT_DIR"] = str(project)
    settings = load_settings().with_overrides(
        landing_dir=landing,
        warehouse=warehouse,
        exports_dir=work / "exports",
        timezone=sample.get("org_time_zone"),
        engine=args.engine,
    )
    figures["engine"] = settings.engine
    if settings.engine == "spark":
        os.environ.setdefault("FLEXLENS_SPARK_DIR", str(warehouse.parent / "spark"))
    os.environ["DAGSTER_HOME"] = str(_dagster_home(settings))
    export_dbt_environment(settings)
    prepare_manifest()  # a scheduled run finds the manifest parsed
    state = ProgressState()
    sampler = MemorySampler()
    load_before = _load_average()
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
        slowest_dbt_nodes=slowest_dbt_nodes(
            project / dbt_target_path(settings.engine) / "run_results.json"
        ),
        duckdb_settings=overrides,
        dbt_threads=args.dbt_threads,
        cpu_count=os.cpu_count(),
        load_average_before=load_before,
        load_average_after=_load_average(),
    )
    return figures


def print_run(figures: dict[str, Any]) -> None:
    print()
    print(f"{'stage':<52}{'seconds':>10}{'peak RSS MB':>14}")
    for row in figures["stages"]:
        print(f"{row['stage']:<52}{row['seconds']:>10}{row['peak_rss_mb']:>14}")
    print(f"{'whole run':<52}{figures['total_seconds']:>10}{figures['peak_rss_mb']:>14}")
    print(
        f"sessions: {figures['sessions']:,} ({figures['raw_rows']:,} raw rows); "
        f"{figures['sessions_per_second']:,} sessions/s; load average "
        f"{figures['load_average_before'][0]} before, {figures['load_average_after'][0]} after"
    )
    if figures["slowest_dbt_nodes"]:
        print("slowest dbt nodes (seconds):")
        for node in figures["slowest_dbt_nodes"]:
            print(f"  {node['seconds']:>7}  {node['node']}")


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Best and median of the whole run, its peak memory and each stage over several runs."""

    def best_median(values: list[float]) -> dict[str, float]:
        return {"best": min(values), "median": round(statistics.median(values), 1)}

    names = [row["stage"] for row in runs[0]["stages"]]
    by_stage = {
        name: {
            "seconds": best_median(
                [row["seconds"] for run in runs for row in run["stages"] if row["stage"] == name]
            ),
            "peak_rss_mb": best_median(
                [
                    row["peak_rss_mb"]
                    for run in runs
                    for row in run["stages"]
                    if row["stage"] == name
                ]
            ),
        }
        for name in names
    }
    return {
        "runs": len(runs),
        "total_seconds": best_median([run["total_seconds"] for run in runs]),
        "peak_rss_mb": best_median([run["peak_rss_mb"] for run in runs]),
        "stages": by_stage,
    }


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
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs, each in a fresh process (best and median)"
    )
    parser.add_argument(
        "--duckdb-setting",
        type=_setting,
        action="append",
        metavar="NAME=VALUE",
        help="a DuckDB setting for dbt's connection (in the copy's profile; repeatable)",
    )
    parser.add_argument("--dbt-threads", type=int, default=None, help="dbt threads (the copy's)")
    parser.add_argument(
        "--engine",
        choices=(*ENGINES, "all"),
        default=None,
        help="where dbt builds (default: the settings); `all`: each engine in turn on the same "
        "data, side by side (PostgreSQL: FLEXLENS_PG_* or a throwaway local server)",
    )
    args = parser.parse_args(argv)
    out = Path(args.json) if args.json else Path(args.dir).resolve() / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.engine == "all":
        return compare_engines(args, argv, out)
    if args.repeat <= 1:
        with postgres_server(args.engine):
            figures = run_once(args)
        print_run(figures)
        out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {out}")
        return int(figures["exit_code"])
    runs: list[dict[str, Any]] = []
    forwarded = [a for a in (argv if argv is not None else sys.argv[1:])]
    with tempfile.TemporaryDirectory() as scratch:
        for number in range(args.repeat):
            single = Path(scratch) / f"run{number}.json"
            command = [
                sys.executable,
                "-m",
                "benchmarks.bench_pipeline",
                *_without_repeat(forwarded),
            ]
            subprocess.run([*command, "--json", str(single)], check=False, cwd=REPO)
            if single.exists():
                runs.append(json.loads(single.read_text(encoding="utf-8")))
    if not runs:
        print("no run finished")
        return 1
    figures = {**summarise(runs), "all_runs": runs}
    print()
    print(f"{'stage':<52}{'best s':>9}{'median s':>10}{'best MB':>9}{'median MB':>11}")
    for name, row in figures["stages"].items():
        seconds, memory = row["seconds"], row["peak_rss_mb"]
        print(
            f"{name:<52}{seconds['best']:>9}{seconds['median']:>10}"
            f"{memory['best']:>9}{memory['median']:>11}"
        )
    total, peak = figures["total_seconds"], figures["peak_rss_mb"]
    print(
        f"{'whole run':<52}{total['best']:>9}{total['median']:>10}{peak['best']:>9}"
        f"{peak['median']:>11}"
    )
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"figures of {len(runs)} runs written to {out}")
    return 0 if all(run["exit_code"] == 0 for run in runs) else 1


def _without_repeat(arguments: list[str], also: tuple[str, ...] = ()) -> list[str]:
    """The command line minus --repeat and --json (each run writes its own figures)."""
    dropped = ("--repeat", "--json", *also)
    kept: list[str] = []
    skip = False
    for argument in arguments:
        if skip:
            skip = False
            continue
        if argument in dropped:
            skip = True
            continue
        if argument.startswith(tuple(f"{name}=" for name in dropped)):
            continue
        kept.append(argument)
    return kept


@contextlib.contextmanager
def postgres_server(engine: str | None) -> Iterator[None]:
    """For the PostgreSQL engine without FLEXLENS_PG_HOST: a throwaway local server (the test
    suite's: Debian's binaries, a temporary cluster), stopped afterwards. Its memory is not in
    the figures (the server is not a child of this process)."""
    if engine != "postgres" or os.environ.get("FLEXLENS_PG_HOST"):
        yield
        return
    import psycopg

    from tests.export.pg_cluster import start_cluster

    cluster, reason = start_cluster()
    if cluster is None:
        raise SystemExit(f"no PostgreSQL server for the benchmark: {reason}")
    try:
        with psycopg.connect(cluster.dsn, autocommit=True) as pg:
            pg.execute("create database flexlens")
        os.environ.update(FLEXLENS_PG_HOST="127.0.0.1", FLEXLENS_PG_PORT=str(cluster.port))
        os.environ.update(FLEXLENS_PG_USER="postgres", FLEXLENS_PG_DATABASE="flexlens")
        yield
    finally:
        cluster.stop()


def compare_engines(args: argparse.Namespace, argv: list[str] | None, out: Path) -> int:
    """Each engine in a fresh process on the same generated data; a side-by-side table."""
    forwarded = _without_repeat(
        list(argv if argv is not None else sys.argv[1:]), also=("--engine",)
    )
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for engine in ENGINES:
            single = Path(scratch) / f"{engine}.json"
            command = [sys.executable, "-m", "benchmarks.bench_pipeline", *forwarded]
            command += ["--engine", engine, "--json", str(single)]
            subprocess.run(command, check=False, cwd=REPO)
            if single.exists():
                runs[engine] = json.loads(single.read_text(encoding="utf-8"))
    if not runs:
        print("no run finished")
        return 1
    engines = list(runs)
    names: list[str] = []
    for run in runs.values():
        names += [row["stage"] for row in run["stages"] if row["stage"] not in names]
    print()
    print(f"{'stage (seconds / peak RSS MB)':<44}" + "".join(f"{e:>18}" for e in engines))

    def cell(run: dict[str, Any], name: str) -> str:
        row = next((r for r in run["stages"] if r["stage"] == name), None)
        return f"{row['seconds']:>9} / {row['peak_rss_mb']:>5}" if row else f"{'-':>17}"

    for name in names:
        print(f"{name:<44}" + "".join(f"{cell(runs[e], name):>18}" for e in engines))
    print(
        f"{'whole run':<44}"
        + "".join(
            f"{runs[e]['total_seconds']:>9} / {runs[e]['peak_rss_mb']:>5}".rjust(18)
            for e in engines
        )
    )
    print(
        f"{'sessions; exit code':<44}"
        + "".join(f"{runs[e]['sessions']:,}; {runs[e]['exit_code']}".rjust(18) for e in engines)
    )
    out.write_text(json.dumps({"engines": runs}, indent=2) + "\n", encoding="utf-8")
    print(f"figures of {len(runs)} engines written to {out}")
    return 0 if all(run["exit_code"] == 0 for run in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
