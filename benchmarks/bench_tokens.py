"""Benchmark of the token drawing (flex-rules T2-T4): portable SQL against what numpy would cost.

Why it exists: drawing tokens from packs is sequential (each charge takes from the pack with the
earliest expiry that still holds tokens), the kind of computation where the billing engine chose
a DuckDB-only Python model. The token models instead draw in SQL: a recursive step per pack over
whole days (macro token_allocate), then the day's windows take the day's draws by running sums.
This script measures that SQL on DuckDB against a numpy implementation of the same rules, on
synthetic organisations from one year to ten, so the choice rests on numbers.

- ``sql``: the compiled dbt models (int_token_packs_deduplicated, int_token_draws_daily,
  int_token_window_draws, fct_token_draws, fct_token_window_costs, fct_token_ledger,
  rpt_token_balance_daily), each `create table ... as` in DuckDB; seconds per model.
- ``numpy``: the same draws per day and per window: a Python loop over days x usable packs (the
  sequential part), then numpy running sums to split the windows; read from and written back to
  DuckDB, like a dbt Python model would.

Usage (the token models are compiled once with dbt, ~20 s):

    .venv/bin/python -m benchmarks.bench_tokens [--sizes 100000 1000000 10000000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from tests.tokens.sql_runner import CATALOG, HISTORY_MODELS, TokenWarehouse, compile_token_models

START = date(2017, 1, 1)


def _synthetic(windows: int, seed: int = 5) -> tuple[pa.Table, pa.Table, date]:
    """`windows` charged windows over a span that grows with them (1 year per 100k, up to 10),
    packs bought every 6 weeks (12-month expiry), sized to the burn (~95% used, some overdraft)."""
    rng = np.random.default_rng(seed)
    years = min(10, max(1, windows // 100_000))
    days = 365 * years
    day = np.sort(rng.integers(0, days, size=windows))
    second = rng.integers(0, 86400, size=windows)
    tokens = rng.choice(np.array([3, 6, 7, 9, 10], dtype=np.int32), size=windows)
    start = np.datetime64(START) + day.astype("timedelta64[D]") + second.astype("timedelta64[s]")
    window_table = pa.table(
        {
            "window_id": pa.array([f"w{i}" for i in range(windows)]),
            "user_key": pa.array([f"u{i % 5000}" for i in range(windows)]),
            "product": pa.array(["AutoCAD"] * windows),
            "window_start_at": pa.array(start.astype("datetime64[us]"), pa.timestamp("us", "UTC")),
            "usage_date": pa.array(np.datetime64(START) + day.astype("timedelta64[D]")),
            "charge_status": pa.array(["charged"] * windows),
            "tokens_charged": pa.array(tokens),
        }
    )
    per_pack = int(tokens.sum() / (days / 42) * 0.95)
    bought = list(range(0, days, 42))
    pack_table = pa.table(
        {
            "order_id": [f"ORD-{i:05d}" for i in range(len(bought))],
            "purchased_on": [START + timedelta(days=d) for d in bought],
            "tokens": [per_pack] * len(bought),
            "price_per_token": [2.85] * len(bought),
            "currency": ["USD"] * len(bought),
            "expires_on": [START + timedelta(days=d + 365) for d in bought],
            "is_expiry_defaulted": [True] * len(bought),
            "source_file": ["tokens/packs.csv"] * len(bought),
            "source_row": list(range(1, len(bought) + 1)),
            "reject_reason": pa.array([None] * len(bought), pa.string()),
            "reject_value": pa.array([None] * len(bought), pa.string()),
        }
    )
    return window_table, pack_table, START + timedelta(days=days - 1)


def _prepare(con: duckdb.DuckDBPyConnection, windows: pa.Table, packs: pa.Table, as_of: date):
    for schema in ("staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    con.register("windows_in", windows)
    con.register("packs_in", packs)
    con.execute("create or replace table marts.fct_usage_windows as select * from windows_in")
    con.execute("create or replace table staging.stg_tokens__packs as select * from packs_in")
    con.execute(
        "create or replace table staging.stg_run__context as select 'bench' as run_id, "
        f"timestamptz '{as_of} 18:00:00+00' as as_of, date '{as_of}' as as_of_date, "
        "'USD' as currency, 90 as token_burn_window_days, 14 as token_top_up_lead_days, "
        "365 as token_horizon_days, cast(null as date) as token_horizon_date, "
        "'500,1000,5000' as token_pack_sizes, 30 as token_run_out_warning_days"
    )
    con.execute(
        "create or replace table intermediate.int_token_price_effective as "
        "select cast(2.85 as decimal(18, 6)) as token_price, 'setting' as token_price_source"
    )


def run_sql(work: Path, compiled, windows: pa.Table, packs: pa.Table, as_of: date) -> dict:
    path = work / f"{CATALOG}.duckdb"
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("set TimeZone = 'UTC'")
        _prepare(con, windows, packs, as_of)
        warehouse = TokenWarehouse(con, compiled)
        seconds: dict[str, float] = {}
        for model in HISTORY_MODELS:
            began = time.perf_counter()
            warehouse.run([model])
            seconds[model] = round(time.perf_counter() - began, 3)
        drawn = con.execute("select sum(tokens_drawn) from intermediate.int_token_window_draws")
        total = int(drawn.fetchone()[0] or 0)
    return {"seconds": seconds, "total_seconds": round(sum(seconds.values()), 3), "drawn": total}


def run_numpy(work: Path, windows: pa.Table, packs: pa.Table, as_of: date) -> dict:
    path = work / "numpy.duckdb"
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        _prepare(con, windows, packs, as_of)
        began = time.perf_counter()
        w = con.sql(
            "select window_id, usage_date, tokens_charged from marts.fct_usage_windows "
            "where charge_status = 'charged' order by usage_date, window_start_at, window_id"
        ).to_arrow_table()
        p = con.sql(
            "select order_id, purchased_on, expires_on, tokens from staging.stg_tokens__packs "
            "order by expires_on, tokens, order_id"
        ).to_arrow_table()
        day = w.column("usage_date").to_numpy().astype("datetime64[D]").astype(np.int64)
        tok = w.column("tokens_charged").to_numpy().astype(np.int64)
        days, first = np.unique(day, return_index=True)
        demand = np.add.reduceat(tok, first)
        p_from = p.column("purchased_on").to_numpy().astype("datetime64[D]").astype(np.int64)
        p_until = p.column("expires_on").to_numpy().astype("datetime64[D]").astype(np.int64)
        left = p.column("tokens").to_numpy().astype(np.int64).copy()
        draw_day, draw_pack, draw_tokens = [], [], []
        for d, need in zip(days.tolist(), demand.tolist(), strict=True):
            for k in np.flatnonzero((p_from <= d) & (d < p_until) & (left > 0)).tolist():
                take = min(need, int(left[k]))
                left[k] -= take
                need -= take
                draw_day.append(d)
                draw_pack.append(k)
                draw_tokens.append(take)
                if need == 0:
                    break
            if need:
                draw_day.append(d)
                draw_pack.append(len(left))
                draw_tokens.append(need)
        # windows x draws: both as ranges of the day's demand, matched by running sums
        w_end = np.cumsum(tok)
        d_end = np.cumsum(np.array(draw_tokens, dtype=np.int64))
        cuts = np.unique(np.concatenate([w_end, d_end]))
        pieces = np.diff(np.concatenate([[0], cuts]))
        window_of = np.searchsorted(w_end, cuts, side="left")
        draw_of = np.searchsorted(d_end, cuts, side="left")
        result = pa.table(
            {
                "window_id": w.column("window_id").take(pa.array(window_of)),
                "pack": pa.array(np.array(draw_pack)[draw_of]),
                "tokens_drawn": pa.array(pieces),
            }
        )
        con.register("result_in", result)
        con.execute("create table intermediate.numpy_window_draws as select * from result_in")
        seconds = time.perf_counter() - began
        total = int(result.column("tokens_drawn").to_numpy().sum())
    return {"total_seconds": round(seconds, 3), "drawn": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-tokens-") as tmp:
        work = Path(tmp)
        compiled = compile_token_models(work / "compiled")
        for size in args.sizes:
            windows, packs, as_of = _synthetic(size)
            sql = run_sql(work, compiled, windows, packs, as_of)
            numpy_result = run_numpy(work, windows, packs, as_of)
            row = {
                "windows": size,
                "packs": packs.num_rows,
                "days": (as_of - START).days + 1,
                "sql": sql,
                "numpy": numpy_result,
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
