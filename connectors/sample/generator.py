"""Generate a sample organisation's landing folder (see ``landing-contract.md``).

Everything is a pure function of the arguments: the same arguments give byte-identical files.
Sessions are generated, written and billed month by month, so memory stays bounded by one month
of sessions plus the compact list of Flex windows.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from . import catalogue as cat
from .autodesk import (
    add_differences,
    bill_windows,
    write_subscriptions,
    write_token_usage,
    write_users_export,
)
from .billing import WindowTracker
from .clock import (
    DAY,
    HOUR,
    ORG_TIME_ZONE,
    as_of_text,
    day_to_date,
    epoch_day,
    format_day,
    month_starts,
    next_month,
)
from .directory import snapshot_days, write_snapshots
from .flexlm import write_network_logs
from .people import SLOTS, WORKDAY_PERSONAS, Population, build_population
from .sessions import BAD_KINDS, BAD_TIMESTAMP, Sessions, bad_rows, generate_month
from .writers import (
    usage_jsonl,
    usage_table,
    write_csv,
    write_usage_csv,
    write_usage_parquet,
)

logger = logging.getLogger(__name__)

MANIFEST = "_sample.json"
SUBFOLDERS: tuple[str, ...] = ("usage", "directory", "autodesk", "tokens", "reference", "flexlm")
WRONG_FIELD_COUNT = "wrong_field_count"
_JSONL_TARGET_SESSIONS = 300


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`generate_organisation` wrote."""

    people: int  # staff in the directory (ever, within the window)
    contractors: int  # logins that are not in the directory
    starters: int
    leavers: int
    sessions: int  # good agent sessions written (CSV/Parquet and JSONL)
    usage_rows: int  # every row written to usage/, bad rows included
    still_running: int  # sessions with an empty ended_at (running at as-of)
    files: tuple[str, ...]  # paths relative to the output folder, sorted
    as_of: str  # ISO 8601 with offset
    bad_rows: dict[str, int] = field(default_factory=dict)  # kind -> rows (usage/)
    token_usage_rows: int = 0
    tokens_billed: int = 0
    autodesk_differences: dict[str, int] = field(default_factory=dict)
    network: dict[str, object] = field(default_factory=dict)  # FlexNet logs (sample/flexlm.py)


def _choose_second_agent(pop: Population, month_days: int, seed: int) -> np.ndarray:
    """People whose sessions of one month come from the second agent (a few hundred sessions)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    expected = pop.p_use.sum(axis=1) * month_days * 5 / 7 * 2.2
    eligible = np.flatnonzero(
        np.isin(pop.persona, WORKDAY_PERSONAS)
        & (pop.leave_day >= pop.end)
        & ~pop.contractor
        & (pop.start_day < pop.window_start)
    )
    chosen = np.zeros(pop.n, dtype=bool)
    total = 0.0
    cap = max(1, len(eligible) // 10)
    for i in rng.permutation(eligible)[:cap].tolist():
        chosen[i] = True
        total += expected[i]
        if total >= _JSONL_TARGET_SESSIONS:
            break
    return chosen


def _years_before(day: int, years: int = 1) -> int:
    """The same calendar date `years` earlier (negative: later); 29 February becomes the 28th."""
    d = day_to_date(day)
    target_year = d.year - years
    try:
        return epoch_day(d.replace(year=target_year))
    except ValueError:
        return epoch_day(d.replace(year=target_year, day=28))


def _nice(tokens: float) -> int:
    step = 1000 if tokens > 10_000 else 500
    return int(max(step, step * round(tokens / step)))


def _token_packs(
    path: Path, daily: np.ndarray, window_start: int, end: int, seed: int
) -> list[tuple[str, str, int, str, str, str]]:
    """3-5 packs: one expired before the end, two with the same expiry, one without expires_on."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 8]))
    span = end - window_start + 1
    a_expires = window_start + max(1, round(0.2 * span))
    used_a = float(daily[: a_expires - window_start].sum())
    size_a = _nice(1.1 * used_a)
    rest = float(daily.sum()) - min(used_a, size_a)
    burn = float(daily[-30:].mean()) if len(daily) else 0.0
    need = max(rest + 25 * burn, 1500.0)
    size_b = _nice(0.55 * need)
    size_c = _nice(0.2 * need)
    if size_c == size_b:
        size_c = max(500, size_b // 2)
    size_d = _nice(max(need - size_b - size_c, 500))
    bc_purchased = min(end, window_start + round(0.15 * span))
    d_purchased = min(end, window_start + round(0.6 * span))
    packs = [
        (_years_before(a_expires), size_a, a_expires),
        (bc_purchased, size_b, _years_before(bc_purchased, -1)),
        (bc_purchased, size_c, _years_before(bc_purchased, -1)),
        (d_purchased, size_d, None),
    ]
    ranked = sorted({size for _, size, _ in packs}, reverse=True)
    prices = np.linspace(2.70, 3.00, num=max(2, len(ranked)))
    ids = rng.integers(10**7, 10**8, size=len(packs))
    rows = []
    for (purchased, size, expires), oid in zip(packs, ids, strict=True):
        price = prices[ranked.index(size)]
        rows.append(
            (
                f"ORD-{int(oid)}",
                str(format_day(np.array([purchased]))[0]),
                size,
                f"{price:.2f}",
                "USD",
                "" if expires is None else str(format_day(np.array([expires]))[0]),
            )
        )
    write_csv(
        path,
        ("order_id", "purchased_on", "tokens", "price_per_token", "currency", "expires_on"),
        rows,
    )
    return rows


def _remove_previous(out: Path) -> None:
    manifest = out / MANIFEST
    if not manifest.is_file():
        return
    try:
        previous = json.loads(manifest.read_text(encoding="utf-8"))
        files = previous["summary"]["files"]
    except (ValueError, KeyError, TypeError):
        return
    root = out.resolve()
    for rel in files:
        path = (out / rel).resolve()
        if root in path.parents and path.is_file():
            path.unlink()


def generate_organisation(
    out: Path,
    *,
    people: int = 250,
    months: int = 12,
    seed: int = 7,
    fmt: Literal["csv", "parquet"] = "csv",
    end: date | None = None,
) -> SampleSummary:
    """Write a sample organisation's landing folder into `out` and return what was written.

    `end` is the last day of data (default: today, UTC); the run's as-of is 18:00 UTC that day.
    The files written by an earlier run into `out` (listed in its ``_sample.json``) are removed
    first, so a smaller re-run leaves no stale month behind.
    """
    if people < 1:
        raise ValueError(f"people must be >= 1, got {people}")
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    if end is None:
        end = datetime.now(UTC).date()
    t_begin = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _remove_previous(out)
    folders = {name: out / name for name in SUBFOLDERS}
    for folder in folders.values():
        folder.mkdir(exist_ok=True)

    firsts = month_starts(end, months)
    month_firsts = [epoch_day(d) for d in firsts]
    window_start, end_day = month_firsts[0], epoch_day(end)
    as_of = end_day * DAY + 18 * HOUR
    pop = build_population(people, window_start, end_day, seed)
    logger.info(
        "sample: %d people (+%d contractors), %s .. %s, %s",
        pop.n_staff,
        pop.n - pop.n_staff,
        firsts[0],
        end,
        fmt,
    )

    jsonl_month = max(0, months - 2)
    second_agent = _choose_second_agent(pop, 30, seed)
    tracker = WindowTracker()
    last_use = np.full((pop.n, SLOTS), -1, dtype=np.int64)
    written: list[Path] = []
    bad_counts = dict.fromkeys((*BAD_KINDS, WRONG_FIELD_COUNT), 0)
    n_sessions = n_rows = n_running = 0
    jsonl_parts: list[Sessions] = []
    has_flex = pop.has_flex
    for mi, first_date in enumerate(firsts):
        first = month_firsts[mi]
        last = min(epoch_day(next_month(first_date)) - 1, end_day)
        good = generate_month(
            pop, seed=seed, month_index=mi, first_day=first, last_day=last, as_of=as_of
        )
        # Autodesk's view: Flex windows of everyone who has Flex access
        flex = has_flex[good.person]
        tracker.add(
            good.person[flex] * SLOTS + good.slot[flex],
            good.start[flex],
            np.minimum(good.end[flex], as_of),
            good.running[flex],
        )
        np.maximum.at(last_use, (good.person, good.slot), good.start // DAY)

        to_jsonl = second_agent[good.person] if mi == jsonl_month else np.zeros(len(good), bool)
        bad = bad_rows(seed, mi, good, ~to_jsonl)
        if fmt == "parquet":  # a typed timestamp column cannot hold unparseable text
            textual = bad.kind == BAD_TIMESTAMP
            jsonl_parts.append(bad.take(np.flatnonzero(textual)))
            bad = bad.take(np.flatnonzero(~textual))
        main = good
        if to_jsonl.any():
            main = good.take(np.flatnonzero(~to_jsonl))
            jsonl_parts.insert(0, good.take(np.flatnonzero(to_jsonl)))
        rows = _interleave(main, bad, seed, mi)
        label = first_date.strftime("%Y-%m")
        if fmt == "csv":
            path = folders["usage"] / f"sessions_{label}.csv"
            broken_at = len(rows) // 2 if mi == 0 and len(rows) else None
            write_usage_csv(
                path,
                usage_table(rows, pop.logins, pop.host_names, text=True),
                broken_line_at=broken_at,
            )
            if broken_at is not None:
                bad_counts[WRONG_FIELD_COUNT] += 1
        else:
            path = folders["usage"] / f"sessions_{label}.parquet"
            write_usage_parquet(path, usage_table(rows, pop.logins, pop.host_names, text=False))
        written.append(path)
        for k, name in enumerate(BAD_KINDS):
            bad_counts[name] += int((rows.kind == k).sum())
        n_sessions += len(good)
        n_rows += len(rows)
        n_running += int(good.running.sum())
        logger.info(
            "usage %s: %d sessions, %d bad rows (%.1fs)",
            label,
            len(good),
            len(bad),
            time.perf_counter() - t_begin,
        )
        del good, main, rows, bad
        pa.default_memory_pool().release_unused()
    if jsonl_parts:
        extra = Sessions.concat(jsonl_parts)
        if len(extra):
            label = firsts[jsonl_month].strftime("%Y-%m")
            path = folders["usage"] / f"agent2_sessions_{label}.jsonl"
            path.write_bytes(usage_jsonl(extra, pop.logins, pop.host_names).encode("utf-8"))
            written.append(path)
            n_rows += len(extra)
            bad_counts[BAD_KINDS[BAD_TIMESTAMP]] += int((extra.kind == BAD_TIMESTAMP).sum())

    # --- Autodesk's exports
    keys, starts, kinds = tracker.finish()
    usage = bill_windows(pop, keys, starts, kinds)
    usage, differences = add_differences(pop, usage, seed)
    written += write_token_usage(
        folders["autodesk"], pop, usage, month_firsts, pii_off_month=months // 2
    )
    users_path = folders["autodesk"] / f"users_export_{end.isoformat()}.csv"
    write_users_export(users_path, pop, last_use)
    subs_path = folders["autodesk"] / "subscriptions.csv"
    write_subscriptions(subs_path, pop, seed)
    written += [users_path, subs_path]
    logger.info(
        "autodesk exports: %d token usage rows (%.1fs)", len(usage), time.perf_counter() - t_begin
    )

    # --- directory, token packs, reference
    written += write_snapshots(
        folders["directory"], pop, snapshot_days(month_firsts, end_day), seed
    )
    in_window = (usage.day >= window_start) & (usage.day <= end_day)
    daily = np.bincount(
        usage.day[in_window] - window_start,
        weights=usage.tokens[in_window],
        minlength=end_day - window_start + 1,
    )
    packs_path = folders["tokens"] / "token_packs.csv"
    _token_packs(packs_path, daily, window_start, end_day, seed)
    rates_path = folders["reference"] / "token_rates.csv"
    write_csv(
        rates_path,
        ("product", "tokens_per_day", "effective_from", "effective_to"),
        cat.REFERENCE_TOKEN_RATES,
    )
    written += [packs_path, rates_path]

    # --- FlexNet licence servers (network licences)
    network_files, network = write_network_logs(
        folders["flexlm"], pop, window_start, end_day, as_of, seed
    )
    written += network_files

    diff_counts = {k: 0 for k in ("autodesk_only", "agent_only", "token_mismatch")}
    for d in differences:
        diff_counts[str(d["kind"])] += 1
    summary = SampleSummary(
        people=pop.n_staff,
        contractors=pop.n - pop.n_staff,
        starters=int(pop.is_starter.sum()),
        leavers=int(pop.is_leaver.sum()),
        sessions=n_sessions,
        usage_rows=n_rows + bad_counts[WRONG_FIELD_COUNT],
        still_running=n_running,
        files=tuple(sorted(p.relative_to(out).as_posix() for p in written)),
        as_of=as_of_text(end),
        bad_rows=bad_counts,
        token_usage_rows=len(usage),
        tokens_billed=int(usage.tokens.sum()),
        autodesk_differences=diff_counts,
        network=asdict(network),
    )
    manifest = {
        "arguments": {
            "people": people,
            "months": months,
            "seed": seed,
            "fmt": fmt,
            "end": end.isoformat(),
        },
        "as_of": summary.as_of,
        "org_time_zone": ORG_TIME_ZONE,
        "window_start": str(format_day(np.array([window_start]))[0]),
        "summary": asdict(summary),
        "autodesk_differences": differences,
    }
    (out / MANIFEST).write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    logger.info(
        "sample written to %s: %d files, %d sessions (%.1fs)",
        out,
        len(summary.files),
        n_sessions,
        time.perf_counter() - t_begin,
    )
    return summary


def _interleave(good: Sessions, bad: Sessions, seed: int, month_index: int) -> Sessions:
    """Good rows in order, bad rows at random places among them."""
    if len(bad) == 0:
        return good
    rng = np.random.default_rng(np.random.SeedSequence([seed, 9, month_index]))
    sort_key = np.concatenate(
        [np.arange(len(good)) * 2, rng.integers(0, len(good) + 1, size=len(bad)) * 2 - 1]
    )
    order = np.argsort(sort_key, kind="stable")
    return Sessions.concat([good, bad]).take(order)
