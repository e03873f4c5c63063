"""A small pure-Python model of the token drawing rules, written window by window as Autodesk
states them (flex-rules T1-T4), to check the SQL (day-level recursion per pack) against.

Each charged window, in the order windows start, draws its tokens at its start (its UTC usage
date) from the packs usable that day (purchased_on <= day < expires_on) that still hold tokens:
the earliest expiry first, among equal expiries the smallest pack, then the order id; it spills
to the next pack when one runs dry; what no pack can serve is overdrawn (kept, never clipped).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

OVERDRAFT = "(overdrawn)"


@dataclass(frozen=True)
class Pack:
    order_id: str
    purchased_on: date
    expires_on: date
    tokens: int


@dataclass(frozen=True)
class Window:
    window_id: str
    start_at: datetime  # UTC
    tokens: int

    @property
    def usage_date(self) -> date:
        return self.start_at.date()


def draw(packs: Iterable[Pack], windows: Iterable[Window]) -> dict[str, dict[str, int]]:
    """window_id -> {order_id or OVERDRAFT: tokens drawn} for every window with tokens."""
    pack_list = sorted(packs, key=lambda p: (p.expires_on, p.tokens, p.order_id))
    left = {p.order_id: p.tokens for p in pack_list}
    drawn: dict[str, dict[str, int]] = {}
    for window in sorted(windows, key=lambda w: (w.start_at, w.window_id)):
        if window.tokens <= 0:
            continue
        need = window.tokens
        parts: dict[str, int] = {}
        for pack in pack_list:
            if need == 0:
                break
            usable = pack.purchased_on <= window.usage_date < pack.expires_on
            if not usable or left[pack.order_id] == 0:
                continue
            take = min(need, left[pack.order_id])
            left[pack.order_id] -= take
            parts[pack.order_id] = take
            need -= take
        if need:
            parts[OVERDRAFT] = need
        drawn[window.window_id] = parts
    return drawn
