"""Benchmark of the Flex window engine on synthetic sessions (20,000 people x one year).

Methods, each run in its own process (so peak RSS is its own):

- ``numpy_reference``: the yardstick: sessions read from DuckDB, merged, chained and expanded into
  windows in numpy, windows written back to DuckDB (no statistics, rates or coverage).
- ``dbt_numpy``: the real dbt models on DuckDB: int_usage_windows_numpy (merge, chain, windows
  and their statistics in numpy) -> int_usage_windows -> fct_usage_windows (rates, coverage,
  flags); fct_daily_usage is reported apart. The SQL twin's models are views here (not run).
- ``dbt_sql_twin``: the portable SQL engine as tables (var billing_engine=sql):
  int_usage_sessions_merged -> int_usage_intervals_merged -> int_usage_intervals_chained
  (recursive CTE) -> int_usage_windows_sql -> fct_usage_windows.

For the dbt methods "seconds" is the sum of the execution times dbt reports for the window models
(fct_usage_windows and what it needs, from fct_sessions); dbt's own start-up and parse are in
"wall_seconds". Usage:

    .venv/bin/python benchmarks/bench_windows.py [--sizes 1000000 10000000] [--methods ...]
        [--json benchmarks/results/bench_windows.json] [--timeout 900] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_project"
ENGINE_MODEL = DBT_PROJECT / "models" / "intermediate" / "billing" / "int_usage_windows_numpy.py"
PEOPLE = 20_000
YEAR_START = 1_767_225_600  # 2026-01-01T00:00:00Z
AS_OF = YEAR_START + 365 * 86400 - 6 * 3600  # 2026-12-31T18:00:00Z
PRODUCTS = (
    "AutoCAD",
    "Revit",
    "Civil 3D",
    "Navisworks Manage",
    "3ds Max",
    "Maya",
    "Inventor Professional",
    "Fusion",
)
PRODUCT_WEIGHTS = (0.35, 0.25, 0.1, 0.08, 0.07, 0.06, 0.05, 0.04)
WINDOW_MODELS = (
    "int_usage_sessions_merged",
    "int_usage_intervals_merged",
    "int_usage_intervals_chained",
    "int_usage_windows_sql",
    "int_usage_windows_numpy",
    "int_usage_windows",
    "fct_usage_windows",
)
DAILY_MODELS = ("fct_daily_usage",)


def synthetic_sessions(n_sessions: int, seed: int = 7) -> pa.Table:
    """fct_sessions-shaped rows: each person uses 1-3 products on random days of 2026."""
    rng = np.random.default_rng(seed)
    person = rng.integers(0, PEOPLE, n_sessions)
    products_per_person = rng.choice([1, 2, 3], PEOPLE, p=[0.5, 0.35, 0.15])
    person_products = rng.choice(len(PRODUCTS), (PEOPLE, 3), p=PRODUCT_WEIGHTS)
    slot = rng.integers(0, 3, n_sessions) % products_per_person[person]
    product = person_products[person, slot]
    day = rng.integers(0, 365, n_sessions)
    start = YEAR_START + day * 86400 + rng.integers(6 * 3600, 19 * 3600, n_sessions)
    kind = rng.random(n_sessions)
    duration = np.where(
        kind < 0.08,
        rng.integers(0, 300, n_sessions),
        np.where(
            kind < 0.68,
            rng.integers(300, 3 * 3600, n_sessions),
            np.where(
                kind < 0.98,
                rng.integers(3 * 3600, 10 * 3600, n_sessions),
                rng.integers(10 * 3600, 60 * 3600, n_sessions),
            ),
        ),
    )
    end = np.minimum(start + duration, AS_OF)
    keep = start < AS_OF
    host = np.where(rng.random(n_sessions) < 0.2, person * 2 + 1, person * 2)
    active = (duration * rng.uniform(0.1, 1.0, n_sessions)).astype(np.int64)
    active = np.minimum(active, end - start)
    idx = np.flatnonzero(keep)
    users = np.char.add("user", person[idx].astype(str))
    return pa.table(
        {
            "session_id": pa.array(np.char.add("s", idx.astype(str))),
            "user_key": pa.array(np.char.add(users, "@example.com")),
            "product": pa.array(np.array(PRODUCTS)[product[idx]]),
            "host": pa.array(np.char.add("WS", host[idx].astype(str))),
            "started_epoch": pa.array(start[idx]),
            "ended_epoch": pa.array(end[idx]),
            "active_seconds": pa.array(active[idx]),
            "is_open_at_as_of": pa.array(end[idx] == AS_OF),
        }
    )


def prepare_warehouse(path: Path, n_sessions: int) -> int:
    """A DuckDB file holding the relations the billing models read, with synthetic sessions."""
    import duckdb

    table = synthetic_sessions(n_sessions)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("set TimeZone = 'UTC'")
        for schema in ("marts", "intermediate", "staging"):
            con.execute(f"create schema if not exists {schema}")
        con.register("synthetic", table)
        con.execute(
            """
            create table marts.fct_sessions as
            select
                session_id, user_key, product, host,
                to_timestamp(started_epoch) as started_at,
                to_timestamp(ended_epoch) as ended_at,
                ended_epoch - started_epoch as duration_seconds,
                active_seconds, is_open_at_as_of,
                true as is_identity_resolved,
                user_key as login
            from synthetic
            order by started_epoch
            """
        )
        rates = DBT_PROJECT / "seeds" / "token_rates.csv"
        con.execute(
            f"""
            create table intermediate.int_token_rates_effective as
            select product, cast(tokens_per_day as integer) as tokens_per_day,
                cast(effective_from as date) as effective_from,
                cast(effective_to as date) as effective_to,
                source as rate_source, confidence
            from read_csv('{rates}', header = true, all_varchar = true)
            """
        )
        con.execute(
            """
            create table intermediate.int_subscription_coverage as
            select distinct user_key, product, 'named' as covered_by,
                cast(null as varchar) as via_collection,
                date '2026-04-01' as covered_from, date '2026-09-01' as covered_until
            from synthetic where hash(user_key) % 10 = 0
            """
        )
        con.execute(
            f"""
            create table staging.stg_run__context as
            select 'bench' as run_id, to_timestamp({AS_OF}) as as_of,
                cast(to_timestamp({AS_OF}) as date) as as_of_date,
                'Europe/London' as org_timezone
            """
        )
        return int(con.execute("select count(*) from marts.fct_sessions").fetchone()[0])


def _load_engine_module() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("int_usage_windows_numpy", ENGINE_MODEL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def numpy_reference(warehouse: Path) -> dict[str, Any]:
    """The yardstick: read sessions from DuckDB, merge, chain and expand windows in numpy, write
    the windows (person, product, start, end, opened_by, grace) back to DuckDB. No statistics,
    rates or coverage."""
    import duckdb
    import pyarrow as pa

    engine = _load_engine_module()
    day = engine.WINDOW_SECONDS
    t0 = time.perf_counter()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("set enable_progress_bar = false")
        names = con.sql(
            "select distinct user_key, product from marts.fct_sessions order by user_key, product"
        ).to_arrow_table()
        columns = con.sql(
            """
            with partitions as (
                select user_key, product, row_number() over (order by user_key, product) - 1 as p
                from (select distinct user_key, product from marts.fct_sessions)
            )
            select p, floor(epoch(started_at))::bigint as s, floor(epoch(ended_at))::bigint as e
            from marts.fct_sessions join partitions using (user_key, product)
            order by p, s
            """
        ).fetchnumpy()
        part = np.asarray(columns["p"], dtype=np.int64)
        s = np.asarray(columns["s"], dtype=np.int64)
        e = np.asarray(columns["e"], dtype=np.int64)
        new = np.r_[True, part[1:] != part[:-1]]
        lift = part * (int(e.max()) - int(s.min()) + 1)
        running = np.maximum.accumulate(e + lift) - lift
        first = np.flatnonzero(new | np.r_[True, s[1:] > running[:-1]])
        i_start, i_end, i_part = s[first], np.maximum.reduceat(e, first), part[first]
        offsets = np.r_[np.flatnonzero(np.r_[True, i_part[1:] != i_part[:-1]]), len(first)]
        role, chain = engine.chain_intervals(i_start, i_end, offsets.astype(np.int64), 300)
        k_first = (i_start - chain) // day
        k_last = np.maximum(k_first, -((chain - i_end) // day) - 1)
        opened_from = np.where(role == engine.CONTINUATION, k_first + 1, 0)
        rows, step = engine._repeat_steps(k_last - opened_from + 1)
        k = opened_from[rows] + step
        w_start = chain[rows] + k * day
        w_end = np.where(role[rows] == engine.GRACE, i_end[rows], w_start + day)
        partition = pa.array(i_part[rows])
        windows = pa.table(
            {
                "user_key": names.column("user_key").take(partition),
                "product": names.column("product").take(partition),
                "window_start_epoch": w_start,
                "window_end_epoch": w_end,
                "is_renewal": k > 0,
                "is_grace": role[rows] == engine.GRACE,
            }
        )
        con.register("reference_windows", windows)
        con.execute("create or replace table main.reference_windows as from reference_windows")
    seconds = time.perf_counter() - t0
    return {"rows": int(len(s)), "windows": int(len(w_start)), "seconds": seconds}


def dbt_models(warehouse: Path, engine: str) -> dict[str, Any]:
    from dbt.cli.main import dbtRunner

    # a real DuckDB build also creates the SQL twin's views; the SQL engine has no numpy model
    selected = [m for m in (*WINDOW_MODELS, *DAILY_MODELS) if engine == "numpy" or "numpy" not in m]
    os.environ["FLEXLENS_WAREHOUSE"] = str(warehouse)
    os.environ["DO_NOT_TRACK"] = "1"
    with tempfile.TemporaryDirectory() as target:
        args = [
            "run",
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            target,
            "--log-path",
            target,
            "--quiet",
            "--vars",
            json.dumps({"billing_engine": engine}),
            "--select",
            *selected,
        ]
        t0 = time.perf_counter()
        result = dbtRunner().invoke(args)
        wall = time.perf_counter() - t0
        if not result.success:
            raise RuntimeError(f"dbt run failed: {result.exception}")
        timings = {r.node.name: r.execution_time for r in result.result.results}
    return {
        "seconds": sum(timings.get(m, 0.0) for m in WINDOW_MODELS),
        "daily_seconds": sum(timings.get(m, 0.0) for m in DAILY_MODELS),
        "wall_seconds": wall,
        "model_seconds": timings,
    }


def worker(method: str, warehouse: Path) -> dict[str, Any]:
    if method == "numpy_reference":
        out = numpy_reference(warehouse)
    elif method == "dbt_numpy":
        out = dbt_models(warehouse, "numpy")
    elif method == "dbt_sql_twin":
        out = dbt_models(warehouse, "sql")
    else:
        raise ValueError(method)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run(
    sizes: list[int], methods: list[str], json_path: Path, timeout: int, repeat: int = 1
) -> list[dict[str, Any]]:
    """Each method `repeat` times per size, each run in a fresh process, the methods interleaved
    (A B C A B C ...) so that they share the machine's conditions; the fastest run of each is
    kept (other work on a shared machine only ever slows a run down), every time recorded."""
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in sizes:
            warehouse = Path(scratch) / f"bench_{size}.duckdb"
            sessions = prepare_warehouse(warehouse, size)
            runs: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
            errors: dict[str, str] = {}
            for _ in range(repeat):
                for method in methods:
                    if method in errors:
                        continue
                    try:
                        command = [sys.executable, __file__, "--worker", method]
                        proc = subprocess.run(
                            [*command, "--warehouse", str(warehouse)],
                            capture_output=True,
                            text=True,
                            timeout=timeout,
                            check=True,
                        )
                        runs[method].append(json.loads(proc.stdout.strip().splitlines()[-1]))
                    except subprocess.TimeoutExpired:
                        errors[method] = f"timeout after {timeout} s"
                    except subprocess.CalledProcessError as err:
                        errors[method] = err.stderr[-2000:]
            for method in methods:
                row: dict[str, Any] = {"method": method, "sessions": sessions, "rows": sessions}
                if runs[method]:
                    row.update(min(runs[method], key=lambda r: r["seconds"]))
                    row["all_seconds"] = [r["seconds"] for r in runs[method]]
                    row["rows_per_second"] = row["rows"] / row["seconds"]
                    if "windows" not in row:
                        row["windows"] = _count_windows(warehouse)
                else:
                    row["seconds"] = None
                if method in errors:
                    row["error"] = errors[method]
                results.append(row)
                _print_row(row)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2))
    return results


def _count_windows(warehouse: Path) -> int:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return int(con.execute("select count(*) from marts.fct_usage_windows").fetchone()[0])


def _print_row(row: dict[str, Any]) -> None:
    def fmt(value: Any, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    if not getattr(_print_row, "header", False):
        print(
            f"{'method':<16} {'sessions':>10} {'windows':>10} {'seconds':>8} {'rows/s':>11}"
            f" {'peak MB':>8} {'daily s':>8} {'wall s':>7}"
        )
        _print_row.header = True  # type: ignore[attr-defined]
    print(
        f"{row['method']:<16} {row['sessions']:>10,} {fmt(row.get('windows'), '>10,')}"
        f" {fmt(row.get('seconds'), '>8.2f')} {fmt(row.get('rows_per_second'), '>11,.0f')}"
        f" {fmt(row.get('peak_rss_mb'), '>8.0f')} {fmt(row.get('daily_seconds'), '>8.2f')}"
        f" {fmt(row.get('wall_seconds'), '>7.1f')}"
        + (f"  {row['error'].splitlines()[-1]}" if row.get("error") else ""),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--methods", nargs="+", default=["numpy_reference", "dbt_numpy", "dbt_sql_twin"]
    )
    parser.add_argument(
        "--json", type=Path, default=REPO / "benchmarks" / "results" / "bench_windows.json"
    )
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--repeat", type=int, default=1, help="runs per method; the fastest counts")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.warehouse)))
        return
    run(args.sizes, args.methods, args.json, args.timeout, args.repeat)


if __name__ == "__main__":
    main()
