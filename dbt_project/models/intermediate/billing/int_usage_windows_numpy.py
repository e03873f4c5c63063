"""Flex windows of every person and product, computed with numpy (the DuckDB engine).

One row per Flex 24-hour window or grace interval, exactly as its portable SQL twin
int_usage_windows_sql (int_usage_sessions_merged -> int_usage_intervals_merged ->
int_usage_intervals_chained -> int_usage_windows_sql) computes it; tests/
assert_usage_window_engines_agree.sql compares the two. Rules (flex-rules F2-F5a, F9):

1. Sessions of one person and product, on any host or version, that overlap or touch merge into
   usage intervals.
2. An interval starting outside an open window is a ``grace`` row (under ``grace_seconds``: no
   window) or a ``launch`` (a window of 24 hours from its start); an interval starting inside one
   continues it. Use still running at a window's end opens the next window then (renewal).
3. Each window gets the sessions that overlap it (a zero-second session at the end of its
   interval counts in the interval's last window), their distinct hosts, the open time (union of
   sessions) inside it, and the sessions' active seconds, spread evenly over each session.

Why numpy: measured on 10M sessions (2 cores), each DuckDB window-function pass costs 2-3.5 s and
the SQL chain is recursive; one DuckDB sort plus this code costs a few seconds in all (see
benchmarks/bench_windows.py). The chain is sequential within a person and product, so its loop
runs over the position within each partition, vectorised across partitions.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

WINDOW_SECONDS = 86400
GRACE, LAUNCH, CONTINUATION = 0, 1, 2
_SCALAR_TAIL_PARTITIONS = 8
_CHUNK_SESSIONS = 600_000  # sessions per chunk of partitions (measured: 10M in chunks of ~0.6M)
_NO_WINDOW = np.iinfo(np.int64).min // 4

Int64Array = npt.NDArray[np.int64]


def chain_intervals(
    starts: Int64Array,
    ends: Int64Array,
    partition_offsets: Int64Array,
    grace_seconds: int,
    window_seconds: int = WINDOW_SECONDS,
) -> tuple[npt.NDArray[np.int8], Int64Array]:
    """Role (GRACE/LAUNCH/CONTINUATION) and chain start of every usage interval.

    ``starts``/``ends`` are epoch seconds sorted by partition, then start (the intervals of one
    partition are disjoint and do not touch); ``partition_offsets`` holds the first row of each
    partition followed by the row count. A grace interval's chain start is its own start.
    """
    n = len(starts)
    role = np.empty(n, dtype=np.int8)
    chain_start = np.empty(n, dtype=np.int64)
    if n == 0:
        return role, chain_start
    lengths = np.diff(partition_offsets)
    order = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    first_rows = partition_offsets[:-1][order]
    window_end = np.full(len(order), _NO_WINDOW, dtype=np.int64)
    anchor = np.zeros(len(order), dtype=np.int64)
    # active[k] = partitions with more than k intervals (a prefix, as they are sorted longest first)
    active = np.searchsorted(-sorted_lengths, -np.arange(int(sorted_lengths[0])), side="left")

    position = 0
    for position in range(len(active)):
        m = int(active[position])
        if m <= _SCALAR_TAIL_PARTITIONS:
            break
        rows = first_rows[:m] + position
        s = starts[rows]
        e = ends[rows]
        w = window_end[:m]
        covered = s < w
        launch = ~covered & (e - s >= grace_seconds)
        live = covered | launch
        base = np.where(launch, s + window_seconds, w)
        renewals = np.maximum(0, -((base - e) // window_seconds))  # ceil((e - base) / window)
        window_end[:m] = np.where(live, base + renewals * window_seconds, w)
        a = np.where(launch, s, anchor[:m])
        anchor[:m] = a
        role[rows] = np.where(covered, CONTINUATION, np.where(launch, LAUNCH, GRACE))
        chain_start[rows] = np.where(live, a, s)
    else:
        return role, chain_start

    # the few longest partitions: finish them one at a time
    for p in range(int(active[position])):
        w = int(window_end[p])
        a = int(anchor[p])
        first = int(first_rows[p])
        for row in range(first + position, first + int(sorted_lengths[p])):
            s = int(starts[row])
            e = int(ends[row])
            if s < w:
                role[row] = CONTINUATION
            elif e - s >= grace_seconds:
                role[row] = LAUNCH
                a = s
                w = s + window_seconds
            else:
                role[row] = GRACE
                chain_start[row] = s
                continue
            if e > w:
                w += -((w - e) // window_seconds) * window_seconds
            chain_start[row] = a
    return role, chain_start


def _ceil_div(a: Int64Array, b: int) -> Int64Array:
    return -((-a) // b)


def _repeat_steps(counts: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Row numbers repeated counts[i] times, and the step 0..counts[i]-1 of each repeat."""
    rows = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    firsts = np.cumsum(counts) - counts
    return rows, np.arange(len(rows), dtype=np.int64) - firsts[rows]


def compute_windows(
    partition: Int64Array,
    starts: Int64Array,
    ends: Int64Array,
    active_seconds: Int64Array,
    host: Int64Array,
    is_open: npt.NDArray[np.bool_],
    grace_seconds: int,
    window_seconds: int = WINDOW_SECONDS,
) -> dict[str, npt.NDArray[Any]]:
    """Windows with their statistics, from sessions sorted by (partition, start).

    ``active_seconds`` < 0 means not reported. Returns equal-length arrays, one per output column
    (``partition`` instead of the names; ``active_seconds`` is NaN where no session reported it).
    Written to allocate little: one piece per session and interval is the rule, and only the few
    that span several windows are expanded.
    """
    day = window_seconds
    n = len(starts)
    if n == 0:
        return {
            name: np.zeros(0, dtype=np.bool_ if name.startswith(("is_", "has_")) else np.int64)
            for name in _OUTPUT_COLUMNS
        }

    # 1. merge: a session opens an interval when it starts after every earlier end of its partition
    starts_interval = np.empty(n, dtype=np.bool_)
    starts_interval[0] = True
    np.not_equal(partition[1:], partition[:-1], out=starts_interval[1:])
    lift = partition * (int(ends.max()) - int(starts.min()) + 1)  # restarts the running max
    running_end = ends + lift
    np.maximum.accumulate(running_end, out=running_end)
    running_end -= lift
    del lift
    starts_interval[1:] |= starts[1:] > running_end[:-1]
    del running_end
    interval_first = np.flatnonzero(starts_interval)
    session_interval = np.cumsum(starts_interval, dtype=np.int64)
    session_interval -= 1
    del starts_interval
    i_start = starts[interval_first]
    i_end = np.maximum.reduceat(ends, interval_first)
    i_partition = partition[interval_first]
    del interval_first
    partition_change = np.flatnonzero(i_partition[1:] != i_partition[:-1]) + 1
    offsets = np.concatenate(([0], partition_change, [len(i_start)])).astype(np.int64)

    # 2. chain; window k of an interval's chain starts at chain + k days. A grace interval is its
    #    own chain of one window (k = 0), which the same arithmetic gives as it is under a day.
    role, chain = chain_intervals(i_start, i_end, offsets, grace_seconds, day)
    first_index = (i_start - chain) // day
    last_index = np.maximum(first_index, _ceil_div(i_end - chain, day) - 1)
    opened_from = np.where(role == CONTINUATION, first_index + 1, 0)
    opened = last_index - opened_from + 1
    row_offset = np.cumsum(opened) - opened - opened_from  # row of window k = row_offset + k

    # 3. windows, sorted by partition and start
    w_interval, step = _repeat_steps(opened)
    w_index = opened_from[w_interval] + step
    del step
    w_chain = chain[w_interval]
    w_start = w_chain + w_index * day
    w_end = w_start + day
    grace_rows = row_offset[role == GRACE]
    w_end[grace_rows] = i_end[role == GRACE]
    w_grace = np.zeros(len(w_start), dtype=np.bool_)
    w_grace[grace_rows] = True
    windows = len(w_start)

    # 4. sessions into windows: a session inside one window (the rule) overlaps it by its whole
    #    duration; a zero-second session at its interval's end counts in the interval's last window
    a = chain[session_interval]
    last = last_index[session_interval]
    k_first = np.minimum((starts - a) // day, last)
    k_last = np.minimum(np.maximum(k_first, _ceil_div(ends - a, day) - 1), last)
    del a, last
    row = row_offset[session_interval] + k_first
    known = active_seconds >= 0
    share = np.where(known, active_seconds, 0).astype(np.float64)
    spanning = np.flatnonzero(k_last > k_first)
    extra_rows = np.zeros(0, dtype=np.int64)
    extra_share = np.zeros(0, dtype=np.float64)
    extra_session = np.zeros(0, dtype=np.int64)
    if len(spanning):
        counts = k_last[spanning] - k_first[spanning] + 1
        piece, piece_step = _repeat_steps(counts)
        piece_session = spanning[piece]
        piece_row = row[piece_session] + piece_step
        overlap = np.minimum(ends[piece_session], w_end[piece_row]) - np.maximum(
            starts[piece_session], w_start[piece_row]
        )
        duration = ends[piece_session] - starts[piece_session]
        piece_share = share[piece_session] * overlap / duration
        share[spanning] = piece_share[piece_step == 0]
        later = piece_step > 0
        extra_rows = piece_row[later]
        extra_share = piece_share[later]
        extra_session = piece_session[later]
    del k_first, k_last

    def per_window(
        rows: Int64Array, weights: npt.NDArray[Any] | None, extra: npt.NDArray[Any] | None
    ) -> npt.NDArray[Any]:
        total = np.bincount(rows, weights=weights, minlength=windows)
        if len(extra_rows):
            total = total + np.bincount(extra_rows, weights=extra, minlength=windows)
        return total

    sessions = per_window(row, None, None)
    reported = per_window(row, known, known[extra_session])
    active = per_window(row, share, extra_share)
    open_rows = np.concatenate((row[is_open], extra_rows[is_open[extra_session]]))
    open_at_as_of = np.zeros(windows, dtype=np.bool_)
    open_at_as_of[open_rows] = True

    # distinct hosts: only windows with several sessions need de-duplication (pieces come almost
    # in window order, so a stable sort of (window, host) keys is cheap)
    hosts = np.ones(windows, dtype=np.int64)
    shared = np.flatnonzero(sessions[row] > 1)
    if len(shared) or len(extra_rows):
        pairs = np.sort(
            np.concatenate(
                (
                    (row[shared] << 32) | host[shared],
                    (extra_rows << 32) | host[extra_session],
                )
            ),
            kind="stable",
        )
        distinct = np.ones(len(pairs), dtype=np.bool_)
        np.not_equal(pairs[1:], pairs[:-1], out=distinct[1:])
        counted = np.bincount(pairs[distinct] >> 32, minlength=windows)
        hosts = np.where(sessions > 1, counted, hosts)
    del row, share, shared

    # 5. open time: the disjoint intervals cut by the windows they span (mostly one)
    i_row = row_offset + first_index
    open_seconds = np.bincount(i_row, weights=i_end - i_start, minlength=windows)
    spanning = np.flatnonzero(last_index > first_index)
    if len(spanning):
        span, span_step = _repeat_steps(last_index[spanning] - first_index[spanning] + 1)
        span_interval = spanning[span]
        span_row = i_row[span_interval] + span_step
        overlap = np.minimum(i_end[span_interval], w_end[span_row]) - np.maximum(
            i_start[span_interval], w_start[span_row]
        )
        whole = i_end[span_interval] - i_start[span_interval]
        first_piece = span_step == 0
        open_seconds += np.bincount(
            span_row, weights=np.where(first_piece, overlap - whole, overlap), minlength=windows
        )

    return {
        "partition": i_partition[w_interval],
        "window_start_epoch": w_start,
        "window_end_epoch": w_end,
        "window_index": w_index,
        "is_grace": w_grace,
        "sessions": sessions.astype(np.int64),
        "hosts": hosts,
        "open_seconds": np.rint(open_seconds).astype(np.int64),
        "active_seconds": np.where(reported > 0, active, np.nan).astype(np.float64),
        "sessions_without_active_seconds": (sessions - np.rint(reported)).astype(np.int64),
        "has_session_open_at_as_of": open_at_as_of,
    }


def compute_windows_parallel(
    partition: Int64Array,
    starts: Int64Array,
    ends: Int64Array,
    active_seconds: Int64Array,
    host: Int64Array,
    is_open: npt.NDArray[np.bool_],
    grace_seconds: int,
    threads: int | None = None,
    chunk_sessions: int = _CHUNK_SESSIONS,
) -> dict[str, npt.NDArray[Any]]:
    """compute_windows() on slices of about ``chunk_sessions`` sessions cut at partition
    boundaries, in threads (numpy releases the GIL; small slices also allocate far less: measured
    5.6 s -> 1.0 s on 10M sessions and 2 cores). Same input order and output as compute_windows().
    """
    n = len(starts)
    arrays = (partition, starts, ends, active_seconds, host, is_open)
    if n == 0:
        return compute_windows(*arrays, grace_seconds)
    cuts = np.unique(
        np.searchsorted(partition, partition[np.arange(0, n, max(chunk_sessions, 1))], "left")
    )
    bounds = np.append(cuts, n)

    def work(chunk: int) -> dict[str, npt.NDArray[Any]]:
        part = slice(int(bounds[chunk]), int(bounds[chunk + 1]))
        return compute_windows(
            partition[part],
            starts[part],
            ends[part],
            active_seconds[part],
            host[part],
            is_open[part],
            grace_seconds,
        )

    with ThreadPoolExecutor(max_workers=threads or os.cpu_count() or 1) as pool:
        results = list(pool.map(work, range(len(bounds) - 1)))
    return {name: np.concatenate([r[name] for r in results]) for name in _OUTPUT_COLUMNS}


_OUTPUT_COLUMNS = (
    "partition",
    "window_start_epoch",
    "window_end_epoch",
    "window_index",
    "is_grace",
    "sessions",
    "hosts",
    "open_seconds",
    "active_seconds",
    "sessions_without_active_seconds",
    "has_session_open_at_as_of",
)

SESSIONS_SQL = """
with partitions as (
    select
        user_key,
        product,
        cast(row_number() over (order by user_key, product) - 1 as integer) as partition_id
    from (select distinct user_key, product from sessions) as keys
)
select
    partitions.partition_id,
    cast(floor(epoch(sessions.started_at)) as bigint) as started_epoch,
    cast(floor(epoch(sessions.ended_at)) as bigint) as ended_epoch,
    cast(coalesce(sessions.active_seconds, -1) as integer) as active_seconds,
    cast(hash(sessions.host) & 4294967295 as uinteger) as host_code,
    coalesce(sessions.is_open_at_as_of, false) as is_open_at_as_of
from sessions
inner join partitions
    on sessions.user_key = partitions.user_key
    and sessions.product = partitions.product
order by partitions.partition_id, started_epoch
"""

# is_identity_resolved belongs to the person (user_key): fct_sessions gives all of a person's
# sessions the same value, so it is read once per person and product
PARTITIONS_SQL = """
select user_key, product, bool_and(coalesce(is_identity_resolved, false)) as is_identity_resolved
from sessions
group by user_key, product
order by user_key, product
"""


def model(dbt: Any, session: Any) -> Any:
    import pyarrow as pa

    dbt.config(materialized="table")
    grace_seconds = int(dbt.config.get("grace_seconds"))
    sessions = dbt.ref("fct_sessions")
    columns = sessions.query("sessions", SESSIONS_SQL).to_arrow_table()
    names = sessions.query("sessions", PARTITIONS_SQL).to_arrow_table()

    arrays = {
        name: np.asarray(columns.column(name).to_numpy(), dtype=dtype)
        for name, dtype in (
            ("partition_id", np.int64),
            ("started_epoch", np.int64),
            ("ended_epoch", np.int64),
            ("active_seconds", np.int64),
            ("host_code", np.int64),
            ("is_open_at_as_of", np.bool_),
        )
    }
    del columns
    windows = compute_windows_parallel(*arrays.values(), grace_seconds)
    del arrays
    # names as dictionary arrays over the (small) list of people and products: no copies
    partition = pa.array(windows.pop("partition").astype(np.int32))
    active = windows.pop("active_seconds")
    renewal = windows["window_index"] > 0
    opened_by = pa.DictionaryArray.from_arrays(
        pa.array(renewal.astype(np.int8)), pa.array(["launch", "renewal"])
    ).cast(pa.string())
    return pa.table(
        {
            "user_key": pa.DictionaryArray.from_arrays(
                partition, names.column("user_key").combine_chunks()
            ),
            "product": pa.DictionaryArray.from_arrays(
                partition, names.column("product").combine_chunks()
            ),
            "window_start_epoch": windows["window_start_epoch"],
            "window_end_epoch": windows["window_end_epoch"],
            "window_index": windows["window_index"],
            "opened_by": opened_by,
            "is_grace": windows["is_grace"],
            "sessions": windows["sessions"],
            "hosts": windows["hosts"],
            "open_seconds": windows["open_seconds"],
            "active_seconds": pa.array(active, mask=np.isnan(active)),
            "sessions_without_active_seconds": windows["sessions_without_active_seconds"],
            "is_identity_resolved": names.column("is_identity_resolved").take(partition),
            "has_session_open_at_as_of": windows["has_session_open_at_as_of"],
        }
    )
