"""Workstation-agent sessions of one month, generated vectorised from the population."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from . import catalogue as cat
from .clock import (
    DAY,
    HOUR,
    MINUTE,
    dst_change_days,
    is_ambiguous_local,
    local_to_utc,
    utc_to_local,
    weekday,
)
from .people import (
    COV_NONE,
    DUPLICATE,
    FLEX_HEAVY,
    FLEX_OCCASIONAL,
    NAMED_DAILY,
    SLOTS,
    WORKDAY_PERSONAS,
    Population,
)

METHOD_NONE, METHOD_FLEX, METHOD_NAMED = 0, 1, 2
STYLE_NAIVE, STYLE_LONDON, STYLE_CET = 0, 1, 2

# Deliberately bad usage rows (what the readers must quarantine)
BAD_KINDS: tuple[str, ...] = (
    "unparseable_timestamp",
    "end_before_start",
    "unknown_product",
    "duplicate_row",
    "empty_user",
)
BAD_TIMESTAMP, BAD_END_BEFORE_START, BAD_UNKNOWN_PRODUCT, BAD_DUPLICATE, BAD_EMPTY_USER = range(5)
GARBAGE_TIMESTAMPS: tuple[str, ...] = ("2026-13-45 25:61", "yesterday", "31/02/2026 08:00")
BAD_SHARE = 0.0004  # per kind: five kinds make about 0.2% of the rows


@dataclass
class Sessions:
    """Session rows, column-wise. ``kind`` is -1 for a good row, else the BAD_* code."""

    person: np.ndarray
    slot: np.ndarray
    host: np.ndarray
    name_id: np.ndarray  # index into catalogue.AGENT_NAMES
    has_key: np.ndarray
    start: np.ndarray  # UTC epoch seconds
    end: np.ndarray  # UTC epoch seconds (for a running session: when it will end)
    running: np.ndarray  # still running at as-of: ended_at is empty
    active: np.ndarray  # active seconds, -1 = unknown
    method: np.ndarray  # METHOD_*
    login: np.ndarray  # index into Population.logins, -1 = empty user
    style: np.ndarray  # STYLE_*: how the timestamps are written in text files
    sid: np.ndarray  # 36-byte session ids (bytes)
    kind: np.ndarray
    garbage: np.ndarray  # index into GARBAGE_TIMESTAMPS written as started_at, -1 = none

    def __len__(self) -> int:
        return len(self.start)

    def take(self, idx: np.ndarray) -> Sessions:
        return Sessions(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Sessions]) -> Sessions:
        return Sessions(
            **{
                f.name: np.concatenate([getattr(p, f.name) for p in parts])
                for f in fields(Sessions)
            }
        )


def session_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random UUID4 strings as 36-byte values."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2] = hexdigits[raw >> 4]
    nibbles[:, 1::2] = hexdigits[raw & 0x0F]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for a, b, c in ((0, 8, 0), (9, 13, 8), (14, 18, 12), (19, 23, 16), (24, 36, 20)):
        out[:, a:b] = nibbles[:, c : c + (b - a)]
    return out.view("S36").ravel()


def _working_day_factor(days: np.ndarray) -> np.ndarray:
    dt = days.astype("datetime64[D]")
    month = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (dt - dt.astype("datetime64[M]")).astype(np.int64) + 1
    christmas = ((month == 12) & (dom >= 24)) | ((month == 1) & (dom == 1))
    return np.where(weekday(days) >= 5, 0.03, 1.0) * np.where(christmas, 0.08, 1.0)


@dataclass
class _Raw:
    """Sessions before conversion: local wall-clock start/end or explicit UTC."""

    person: list[np.ndarray]
    slot: list[np.ndarray]
    host: list[np.ndarray]
    start: list[np.ndarray]
    end: list[np.ndarray]
    is_utc: list[np.ndarray]

    def add(
        self,
        person: np.ndarray,
        slot: np.ndarray,
        host: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        is_utc: bool = False,
    ) -> None:
        self.person.append(np.asarray(person, dtype=np.int64))
        self.slot.append(np.asarray(slot, dtype=np.int64))
        self.host.append(np.asarray(host, dtype=np.int64))
        self.start.append(np.asarray(start, dtype=np.int64))
        self.end.append(np.asarray(end, dtype=np.int64))
        self.is_utc.append(np.full(len(self.person[-1]), is_utc))


def generate_month(
    pop: Population,
    *,
    seed: int,
    month_index: int,
    first_day: int,
    last_day: int,
    as_of: int,
) -> Sessions:
    """Good sessions starting (local date) in [first_day, last_day], sorted by start.

    Deterministic in (population, seed, month_index).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2, month_index]))
    days = np.arange(first_day, last_day + 1, dtype=np.int64)
    n_days = len(days)
    factor = _working_day_factor(days)

    possible = (pop.p_use > 0) & (pop.use_from <= last_day) & (pop.use_to > first_day)
    people = np.flatnonzero(possible.any(axis=1))
    absent = rng.random((len(people), n_days)) < 0.07
    ud_person, ud_day, ud_slot = [], [], []
    for s in range(SLOTS):
        within = (pop.use_from[people, s, None] <= days) & (days < pop.use_to[people, s, None])
        prob = pop.p_use[people, s, None] * factor[None, :] * within * ~absent
        hit = rng.random((len(people), n_days)) < prob
        ii, dd = np.nonzero(hit)
        ud_person.append(people[ii])
        ud_day.append(days[dd])
        ud_slot.append(np.full(len(ii), s, dtype=np.int64))
    person = np.concatenate(ud_person)
    day = np.concatenate(ud_day)
    slot = np.concatenate(ud_slot)
    persona = pop.persona[person]
    shift = np.where(pop.cet[person], -HOUR, 0)  # CET people keep CET office hours
    on_second = rng.random(len(person)) < 0.12
    host = np.where(on_second, pop.second_host[person], pop.desktop[person])
    other_host = np.where(on_second, pop.desktop[person], pop.second_host[person])
    workday = (slot == 0) & np.isin(persona, WORKDAY_PERSONAS)
    raw = _Raw([], [], [], [], [], [])

    # --- working days: a morning and an afternoon block around lunch, each 1-3 sessions
    w = np.flatnonzero(workday)
    nw = len(w)
    base = day[w] * DAY + shift[w]
    t0 = np.clip(8 * HOUR + rng.normal(0.4 * HOUR, 0.5 * HOUR, nw), 6.5 * HOUR, 10.5 * HOUR)
    lunch = 12 * HOUR + rng.uniform(0, HOUR, nw)
    lunch_back = lunch + rng.uniform(25 * MINUTE, 70 * MINUTE, nw)
    t_end = np.clip(17.25 * HOUR + rng.normal(0, 0.6 * HOUR, nw), 15.5 * HOUR, 20 * HOUR)
    half = rng.choice(3, size=nw, p=(0.8, 0.1, 0.1))  # full day, morning only, afternoon only
    blocks = ((t0, lunch, half != 2), (lunch_back, t_end, half != 1))
    last_part = np.full(nw, -1, dtype=np.int64)  # position (in raw) of the day's last session
    first_part = np.full(nw, -1, dtype=np.int64)
    offset = 0
    for b_start, b_end, valid in blocks:
        # a block is one, two or three sessions (restarts), with short gaps or touching
        parts = rng.choice(3, size=nw, p=(0.15, 0.45, 0.40)) + 1
        length = b_end - b_start
        cut1 = np.floor(
            b_start
            + length * np.where(parts == 2, rng.uniform(0.3, 0.7, nw), rng.uniform(0.2, 0.4, nw))
        )
        cut2 = np.floor(b_start + length * rng.uniform(0.6, 0.8, nw))
        gaps = np.where(rng.random((2, nw)) < 0.12, 0.0, rng.uniform(MINUTE, 15 * MINUTE, (2, nw)))
        for part_start, part_end, part_valid in (
            (b_start, np.where(parts == 1, b_end, cut1), valid),
            (cut1 + gaps[0], np.where(parts == 2, b_end, cut2), valid & (parts >= 2)),
            (cut2 + gaps[1], b_end, valid & (parts == 3)),
        ):
            idx = np.flatnonzero(part_valid)
            raw.add(
                person[w[idx]],
                slot[w[idx]],
                host[w[idx]],
                base[idx] + part_start[idx].astype(np.int64),
                base[idx] + part_end[idx].astype(np.int64),
            )
            pos = np.full(nw, -1, dtype=np.int64)
            pos[idx] = offset + np.arange(len(idx))
            last_part = np.where(part_valid, pos, last_part)
            first_part = np.where((first_part < 0) & part_valid, pos, first_part)
            offset += len(idx)
    starts_so_far = np.concatenate(raw.start)
    ends_so_far = np.concatenate(raw.end)
    hosts_so_far = np.concatenate(raw.host)
    # left open overnight (16+ hours, a quarter of them more than 24 hours)
    overnight = (rng.random(nw) < 0.02) & (half != 1)
    long_dur = np.where(
        rng.random(nw) < 0.25,
        rng.uniform(24.5 * HOUR, 30 * HOUR, nw),
        rng.uniform(16 * HOUR, 22 * HOUR, nw),
    ).astype(np.int64)
    sel = last_part[overnight]
    ends_so_far[sel] = starts_so_far[sel] + long_dur[overnight]
    raw.start, raw.end = [starts_so_far], [ends_so_far]
    raw.person = [np.concatenate(raw.person)]
    raw.slot = [np.concatenate(raw.slot)]
    raw.host = [hosts_so_far]
    raw.is_utc = [np.concatenate(raw.is_utc)]
    # evening work across midnight
    evening = (rng.random(nw) < 0.012) & np.isin(persona[w], (FLEX_HEAVY, NAMED_DAILY, DUPLICATE))
    e_start = rng.uniform(20.5 * HOUR, 23 * HOUR, nw).astype(np.int64)
    e_dur = rng.uniform(1.5 * HOUR, 4 * HOUR, nw).astype(np.int64)
    raw.add(
        person[w][evening],
        slot[w][evening],
        host[w][evening],
        base[evening] + e_start[evening],
        base[evening] + e_start[evening] + e_dur[evening],
    )
    # the same product on two hosts at once
    twin = rng.random(nw) < 0.015
    t_idx = first_part[twin]
    t_start = starts_so_far[t_idx] + rng.uniform(5 * MINUTE, HOUR, len(t_idx)).astype(np.int64)
    t_end_ = np.maximum(
        t_start + 10 * MINUTE,
        ends_so_far[t_idx] + rng.uniform(-30 * MINUTE, 30 * MINUTE, len(t_idx)).astype(np.int64),
    )
    raw.add(person[w][twin], slot[w][twin], other_host[w][twin], t_start, t_end_)
    # a quick relaunch (< 5 minutes) in the lunch break
    quick = (rng.random(nw) < 0.03) & (half == 0)
    q_start = base + (lunch_back - rng.uniform(10 * MINUTE, 20 * MINUTE, nw)).astype(np.int64)
    q_dur = rng.integers(20, 280, nw)
    raw.add(
        person[w][quick],
        slot[w][quick],
        host[w][quick],
        q_start[quick],
        q_start[quick] + q_dur[quick],
    )

    # --- other products and occasional users: one session at a random time
    o = np.flatnonzero(~workday)
    no = len(o)
    o_start = (day[o] * DAY + shift[o] + rng.uniform(9 * HOUR, 16.5 * HOUR, no)).astype(np.int64)
    o_dur = np.clip(rng.lognormal(np.log(50 * MINUTE), 0.8, no), 6 * MINUTE, 4 * HOUR)
    q_share = np.where(persona[o] == FLEX_OCCASIONAL, 0.12, 0.04)
    o_dur = np.where(rng.random(no) < q_share, rng.uniform(20, 290, no), o_dur).astype(np.int64)
    raw.add(person[o], slot[o], host[o], o_start, o_start + o_dur)
    again = rng.random(no) < 0.35  # and sometimes once more later that day
    a_start = o_start + o_dur + rng.uniform(20 * MINUTE, 3 * HOUR, no).astype(np.int64)
    a_dur = np.clip(rng.lognormal(np.log(40 * MINUTE), 0.7, no), 6 * MINUTE, 3 * HOUR)
    raw.add(
        person[o][again],
        slot[o][again],
        host[o][again],
        a_start[again],
        a_start[again] + a_dur[again].astype(np.int64),
    )

    # --- a session left running over each clock change (Saturday night to Sunday morning)
    for change in dst_change_days(first_day, last_day):
        sat = change - 1
        cand = np.flatnonzero(
            np.isin(pop.persona, WORKDAY_PERSONAS)
            & (pop.p_use[:, 0] > 0)
            & (pop.use_from[:, 0] <= sat)
            & (pop.use_to[:, 0] > change)
        )
        if len(cand) == 0 or sat < first_day:
            continue
        k = min(len(cand), max(2, round(len(people) * 0.01)))
        who = np.sort(rng.choice(cand, size=k, replace=False))
        d_start = sat * DAY + rng.uniform(20 * HOUR, 23 * HOUR, k).astype(np.int64)
        d_end = change * DAY + rng.uniform(3 * HOUR, 11 * HOUR, k).astype(np.int64)
        raw.add(who, np.zeros(k, dtype=np.int64), pop.desktop[who], d_start, d_end)

    # --- a handful still running at as-of
    if last_day * DAY + 18 * HOUR == as_of:
        cand = np.flatnonzero(
            (pop.p_use[:, 0] > 0) & (pop.use_from[:, 0] <= last_day) & (pop.use_to[:, 0] > last_day)
        )
        k = min(len(cand), max(3, round(len(people) * 0.01)))
        if k:
            who = np.sort(rng.choice(cand, size=k, replace=False))
            r_start = as_of - rng.uniform(HOUR, 6 * HOUR, k).astype(np.int64)
            raw.add(
                who,
                np.zeros(k, dtype=np.int64),
                pop.desktop[who],
                r_start,
                as_of + rng.uniform(HOUR, 3 * HOUR, k).astype(np.int64),
                is_utc=True,
            )

    return _finish(pop, rng, raw, as_of)


def _finish(pop: Population, rng: np.random.Generator, raw: _Raw, as_of: int) -> Sessions:
    person = np.concatenate(raw.person)
    slot = np.concatenate(raw.slot)
    host = np.concatenate(raw.host)
    is_utc = np.concatenate(raw.is_utc)
    l_start = np.concatenate(raw.start)
    l_end = np.concatenate(raw.end)
    start = np.where(is_utc, l_start, local_to_utc(l_start))
    end = np.where(is_utc, l_end, local_to_utc(l_end))
    end = np.maximum(end, start + 30)
    keep = start < as_of - 5 * MINUTE  # nothing starts in the last minutes before as-of
    person, slot, host, start, end = person[keep], slot[keep], host[keep], start[keep], end[keep]
    order = np.argsort(start, kind="stable")
    person, slot, host, start, end = (
        person[order],
        slot[order],
        host[order],
        start[order],
        end[order],
    )
    n = len(start)

    product = pop.prod[person, slot]
    version = (rng.random(n) < pop.p2025[person]).astype(np.int64)
    name_id = cat.NAME_OFFSET[product] + np.minimum(version, cat.N_VERSIONS[product] - 1)
    has_key = (rng.random(n) < 0.3) & (np.array(cat.AGENT_KEYS)[name_id] != "")
    duration = end - start
    frac = np.where(duration < 5 * MINUTE, rng.uniform(0.3, 1.0, n), rng.uniform(0.35, 0.95, n))
    active = np.floor(duration * frac).astype(np.int64)
    long = duration > 12 * HOUR
    active[long] = np.minimum(duration[long], rng.uniform(1.5 * HOUR, 7 * HOUR, long.sum()))
    running = end > as_of
    active[running] = -1
    utc_day = start // DAY
    covered = (
        (pop.cov_kind[person, slot] != COV_NONE)
        & (pop.cov_from[person, slot] <= utc_day)
        & (utc_day < pop.cov_to[person, slot])
    )
    flex = (pop.flex_from[person] <= utc_day) & (utc_day < pop.flex_to[person])
    method = np.where(covered | ~flex, METHOD_NAMED, METHOD_FLEX)
    method[pop.host_blank_method[host]] = METHOD_NONE
    login = person * 3 + pop.host_login_style[host]
    style = pop.host_offset_style[host].astype(np.int64)
    ambiguous = is_ambiguous_local(utc_to_local(start)) | (
        is_ambiguous_local(utc_to_local(end)) & ~running
    )
    style[(style == STYLE_NAIVE) & ambiguous] = STYLE_LONDON
    return Sessions(
        person=person.astype(np.int32),
        slot=slot.astype(np.int8),
        host=host.astype(np.int32),
        name_id=name_id.astype(np.int16),
        has_key=has_key,
        start=start,
        end=end,
        running=running,
        active=active.astype(np.int32),
        method=method.astype(np.int8),
        login=login.astype(np.int32),
        style=style.astype(np.int8),
        sid=session_ids(rng, n),
        kind=np.full(n, -1, dtype=np.int8),
        garbage=np.full(n, -1, dtype=np.int8),
    )


def bad_rows(seed: int, month_index: int, good: Sessions, eligible: np.ndarray) -> Sessions:
    """The month's deliberately bad rows, each a damaged copy of an eligible good row.

    At least two of each kind (when the month has any eligible row), about 0.04% of the good
    rows per kind otherwise.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 5, month_index]))
    pool = np.flatnonzero(eligible)
    if len(pool) == 0:
        return good.take(np.arange(0))
    per_kind = max(2, round(len(good) * BAD_SHARE))
    parts = []
    for kind in range(len(BAD_KINDS)):
        src = np.sort(rng.choice(pool, size=per_kind, replace=len(pool) < per_kind))
        rows = good.take(src)
        rows.kind[:] = kind
        if kind != BAD_DUPLICATE:
            rows.sid = session_ids(rng, per_kind)
        if kind == BAD_TIMESTAMP:
            rows.garbage = (np.arange(per_kind) % len(GARBAGE_TIMESTAMPS)).astype(np.int8)
        elif kind == BAD_END_BEFORE_START:
            rows.running[:] = False
            rows.end = rows.start - rng.integers(10 * MINUTE, 3 * HOUR, per_kind)
            rows.active[:] = -1
        elif kind == BAD_UNKNOWN_PRODUCT:
            rows.name_id = np.array(cat.UNKNOWN_NAME_IDS, dtype=np.int16)[np.arange(per_kind) % 2]
            rows.has_key[:] = False
            rows.method[:] = METHOD_NONE
        elif kind == BAD_EMPTY_USER:
            rows.login[:] = -1
        parts.append(rows)
    return Sessions.concat(parts)
