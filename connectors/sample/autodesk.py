"""Autodesk Account exports of the sample: Token Usage, Users (seat assignments), Subscriptions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import catalogue as cat
from .billing import GRACE
from .clock import DAY, format_day, weekday
from .people import (
    COV_NAMED,
    COV_NONE,
    COV_TRIAL,
    FLEX_HEAVY,
    FLEX_OCCASIONAL,
    FLEX_REGULAR,
    OPEN,
    SLOTS,
    TEAM,
    Population,
)
from .writers import write_csv

TOKEN_USAGE_HEADERS: tuple[tuple[str, ...], ...] = (
    (
        "Day used",
        "Email",
        "First name",
        "Last name",
        "Product",
        "Feature",
        "Team",
        "Tokens used",
        "hashed_autodesk_id",
    ),
    (
        "Usage date",
        "User email",
        "First Name",
        "Last Name",
        "Product name",
        "Feature",
        "Team name",
        "Tokens consumed",
        "Hashed Autodesk ID",
    ),
)
USERS_HEADER: tuple[str, ...] = (
    "Email",
    "First name",
    "Last name",
    "Product",
    "Access option",
    "Assigned date",
    "Unassigned date",
    "Team",
    "Last accessed",
    "hashed_autodesk_id",
)
SUBSCRIPTIONS_HEADER: tuple[str, ...] = (
    "subscription_id",
    "offering_name",
    "seat_quantity",
    "start_date",
    "end_date",
    "term",
    "contract_number",
)
PII_HIDDEN = "*****"


@dataclass
class TokenUsage:
    """Token Usage rows (one per UTC day x person x product), column-wise."""

    day: np.ndarray
    person: np.ndarray
    product: np.ndarray
    tokens: np.ndarray

    def __len__(self) -> int:
        return len(self.day)


def bill_windows(
    pop: Population, keys: np.ndarray, starts: np.ndarray, kinds: np.ndarray
) -> TokenUsage:
    """What Autodesk reports for the windows (key = person * SLOTS + slot)."""
    person, slot = keys // SLOTS, keys % SLOTS
    product = pop.prod[person, slot]
    day = starts // DAY  # F8: the UTC date of the window's start
    covered = (
        (pop.cov_kind[person, slot] != COV_NONE)
        & (pop.cov_from[person, slot] <= day)
        & (day < pop.cov_to[person, slot])
    )
    flex = (pop.flex_from[person] <= day) & (day < pop.flex_to[person])
    rate = cat.token_rates_by_day(product, day)
    keep = ~covered & flex & (rate >= 0)
    tokens = np.where(kinds == GRACE, 0, rate)[keep]
    day, person, product = day[keep], person[keep], product[keep]
    combined = (day * pop.n + person) * len(cat.PRODUCTS) + product
    uniq, inverse = np.unique(combined, return_inverse=True)
    summed = np.bincount(inverse, weights=tokens, minlength=len(uniq)).astype(np.int64)
    product_u = uniq % len(cat.PRODUCTS)
    rest = uniq // len(cat.PRODUCTS)
    return TokenUsage(day=rest // pop.n, person=rest % pop.n, product=product_u, tokens=summed)


def add_differences(
    pop: Population, usage: TokenUsage, seed: int
) -> tuple[TokenUsage, list[dict[str, object]]]:
    """Deliberate differences between the agent's view and Autodesk's export.

    * ``autodesk_only``: usage on a machine without the agent (rows only Autodesk has);
    * ``agent_only``: days the agent saw that Autodesk did not report (rows dropped);
    * ``token_mismatch``: rows where Autodesk's token figure differs.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    diffs: list[dict[str, object]] = []
    charged = np.flatnonzero(usage.tokens > 0)
    n_drop = min(len(charged) // 2, 3 + len(charged) // 5000)
    picked = rng.choice(charged, size=min(len(charged), n_drop + 2), replace=False)
    drop, mismatch = np.sort(picked[:n_drop]), np.sort(picked[n_drop:])
    tokens = usage.tokens.copy()
    for j, i in enumerate(mismatch):
        before = int(tokens[i])
        tokens[i] = before * 2 if j == 0 else max(1, before - 1) if before > 1 else before + 1
        diffs.append(_diff(pop, usage, i, "token_mismatch", before, int(tokens[i])))
    for i in drop:
        diffs.append(_diff(pop, usage, i, "agent_only", int(tokens[i]), None))
    keep = np.ones(len(usage), dtype=bool)
    keep[drop] = False

    # usage on a machine without the agent: a few working days of one or two Flex users
    existing = set(
        zip(usage.day.tolist(), usage.person.tolist(), usage.product.tolist(), strict=True)
    )
    candidates = np.flatnonzero(
        np.isin(pop.persona, (FLEX_HEAVY, FLEX_REGULAR, FLEX_OCCASIONAL))
        & ~pop.contractor
        & (pop.prod[:, 0] >= 0)
        & (pop.leave_day >= OPEN)
        & (pop.flex_from < pop.window_start)
    )
    extra_day, extra_person, extra_product, extra_tokens = [], [], [], []
    days = np.arange(pop.window_start, pop.end + 1)
    workdays = days[weekday(days) < 5]
    for person in rng.choice(candidates, size=min(2, len(candidates)), replace=False):
        product = int(pop.prod[person, 0])
        added = 0
        for d in rng.permutation(workdays).tolist():
            rate = int(cat.token_rates_by_day(np.array([product]), np.array([d]))[0])
            covered = pop.cov_kind[person, 0] != COV_NONE and (
                pop.cov_from[person, 0] <= d < pop.cov_to[person, 0]
            )
            if rate < 0 or covered or (d, int(person), product) in existing:
                continue
            extra_day.append(d)
            extra_person.append(int(person))
            extra_product.append(product)
            extra_tokens.append(rate)
            added += 1
            if added == 3:
                break
    extra = TokenUsage(
        day=np.array(extra_day, dtype=np.int64),
        person=np.array(extra_person, dtype=np.int64),
        product=np.array(extra_product, dtype=np.int64),
        tokens=np.array(extra_tokens, dtype=np.int64),
    )
    for i in range(len(extra)):
        diffs.append(_diff(pop, extra, i, "autodesk_only", None, int(extra.tokens[i])))
    result = TokenUsage(
        day=np.concatenate([usage.day[keep], extra.day]),
        person=np.concatenate([usage.person[keep], extra.person]),
        product=np.concatenate([usage.product[keep], extra.product]),
        tokens=np.concatenate([tokens[keep], extra.tokens]),
    )
    diffs.sort(key=lambda d: (str(d["usage_date"]), str(d["email"]), str(d["product"])))
    return result, diffs


def _diff(
    pop: Population,
    usage: TokenUsage,
    i: int,
    kind: str,
    agent_tokens: int | None,
    autodesk_tokens: int | None,
) -> dict[str, object]:
    person = int(usage.person[i])
    return {
        "kind": kind,
        "usage_date": str(format_day(np.array([usage.day[i]]))[0]),
        "email": pop.autodesk_email[person],
        "hashed_autodesk_id": pop.hashed_id[person],
        "product": cat.PRODUCTS[int(usage.product[i])].name,
        "agent_tokens": agent_tokens,
        "autodesk_tokens": autodesk_tokens,
    }


def write_token_usage(
    folder: Path,
    pop: Population,
    usage: TokenUsage,
    month_firsts: list[int],
    pii_off_month: int,
) -> list[Path]:
    """One Token Usage export per month (by UTC usage date), alternating header spellings."""
    order = np.lexsort((usage.product, usage.person, usage.day))
    day, person = usage.day[order], usage.person[order]
    product, tokens = usage.product[order], usage.tokens[order]
    day_text = format_day(day)
    bounds = month_firsts[1:] + [OPEN]
    paths = []
    for m, first in enumerate(month_firsts):
        sel = np.flatnonzero((day >= first) & (day < bounds[m]))
        pii_off = m == pii_off_month
        rows = []
        for i in sel.tolist():
            p = int(person[i])
            prod = cat.PRODUCTS[int(product[i])]
            rows.append(
                (
                    str(day_text[i]),
                    PII_HIDDEN if pii_off else pop.autodesk_email[p],
                    PII_HIDDEN if pii_off else pop.given[p],
                    PII_HIDDEN if pii_off else pop.surname[p],
                    prod.autodesk_name,
                    prod.feature,
                    TEAM,
                    int(tokens[i]),
                    pop.hashed_id[p],
                )
            )
        label = str(format_day(np.array([first]))[0])[:7]
        path = folder / f"token_usage_{label}.csv"
        write_csv(path, TOKEN_USAGE_HEADERS[m % 2], rows)
        paths.append(path)
    return paths


def _day_text(day: int) -> str:
    return "" if day >= OPEN or day < 0 else str(format_day(np.array([day]))[0])


def write_users_export(path: Path, pop: Population, last_use: np.ndarray) -> int:
    """Users export as of the last day: every assignment, past (unassigned) and current."""
    rows = []
    for i in range(pop.n):
        email, first, last = pop.autodesk_email[i], pop.given[i], pop.surname[i]
        used = np.maximum(last_use[i], pop.pre_last_use[i])
        base = (email, first, last)
        if pop.flex_from[i] < OPEN:
            flex_slots = [s for s in range(SLOTS) if pop.cov_kind[i, s] == COV_NONE] or [
                s for s in range(SLOTS) if pop.cov_kind[i, s] != COV_TRIAL
            ]
            rows.append(
                (
                    *base,
                    "Flex",
                    "Flex",
                    _day_text(int(pop.flex_from[i])),
                    _day_text(int(pop.flex_to[i])),
                    TEAM,
                    _day_text(int(used[flex_slots].max())),
                    pop.hashed_id[i],
                )
            )
        if pop.collection[i] >= 0:
            coll = cat.COLLECTIONS[int(pop.collection[i])]
            rows.append(
                (
                    *base,
                    coll.autodesk_name,
                    "Named user",
                    _day_text(int(pop.cov_from[i, 0])),
                    _day_text(int(pop.cov_to[i, 0])),
                    TEAM,
                    _day_text(int(used.max())),
                    pop.hashed_id[i],
                )
            )
        for s in range(SLOTS):
            kind = int(pop.cov_kind[i, s])
            if kind not in (COV_NAMED, COV_TRIAL):
                continue
            option = (
                "Trial"
                if kind == COV_TRIAL
                else ("Single user" if pop.single_user_spelling[i] else "Named user")
            )
            rows.append(
                (
                    *base,
                    cat.PRODUCTS[int(pop.prod[i, s])].autodesk_name,
                    option,
                    _day_text(int(pop.cov_from[i, s])),
                    _day_text(int(pop.cov_to[i, s])),
                    TEAM,
                    _day_text(int(used[s])),
                    pop.hashed_id[i],
                )
            )
    rows.sort(key=lambda r: (r[0].lower(), r[3], r[5]))
    write_csv(path, USERS_HEADER, rows)
    return len(rows)


def write_subscriptions(path: Path, pop: Population, seed: int) -> int:
    """Subscriptions export: seats per offering (assigned seats plus a few spare), two contracts."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 6]))
    end = pop.end
    seats: dict[str, int] = {}
    for i in range(pop.n):
        if pop.collection[i] >= 0 and pop.cov_to[i, 0] > end:
            name = cat.COLLECTIONS[int(pop.collection[i])].autodesk_name
            seats[name] = seats.get(name, 0) + 1
        for s in range(SLOTS):
            if pop.cov_kind[i, s] == COV_NAMED and pop.cov_to[i, s] > end:
                name = cat.PRODUCTS[int(pop.prod[i, s])].autodesk_name
                seats[name] = seats.get(name, 0) + 1
    contracts = [f"110{int(x):09d}" for x in rng.integers(0, 10**9, size=2)]
    rows = []
    for j, name in enumerate(sorted(seats)):
        contract = contracts[j % 2]
        term_years = 3 if j % 2 == 0 else 1
        start = end - int(rng.integers(60, 330)) - (365 if term_years == 3 else 0)
        stop = start + 365 * term_years - 1
        spare = int(rng.integers(0, max(2, seats[name] // 8)))
        sub_id = f"{int(rng.integers(10**11, 10**12))}"
        if j == 0:  # the previous term of the first offering, already ended
            rows.append(
                (
                    f"{int(rng.integers(10**11, 10**12))}",
                    name,
                    max(1, seats[name] - 2),
                    _day_text(start - 365 * term_years),
                    _day_text(start - 1),
                    "3-Year" if term_years == 3 else "Annual",
                    contract,
                )
            )
        rows.append(
            (
                sub_id,
                name,
                seats[name] + spare,
                _day_text(start),
                _day_text(stop),
                "3-Year" if term_years == 3 else "Annual",
                contract,
            )
        )
    write_csv(path, SUBSCRIPTIONS_HEADER, rows)
    return len(rows)
