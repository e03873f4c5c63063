"""The seat-reassignment pairing is optimal: a pure-Python twin of rpt_seat_reassignments' method
checked against every possible matching.

A pair's saving is the recipient's annual cost now minus the donor's annual cost after giving the
seat up: it separates into a recipient part and a donor part. For such savings, pairing the k-th
most valuable recipient with the k-th cheapest donor for as long as the pair saves something is an
optimal assignment (exchange argument: swapping partners never changes a separable total, and the
k-th pair's saving only falls with k). rpt_seat_reassignments does exactly this with row_number();
its dbt unit test proves the SQL on a hand-built case, this test proves the method.
"""

from __future__ import annotations

from itertools import permutations

from hypothesis import given, settings
from hypothesis import strategies as st

Donor = tuple[str, int]  # (user_key, annual cost after giving the seat up)
Recipient = tuple[str, int]  # (user_key, annual cost of the use now)


def ranked_pairs(donors: list[Donor], recipients: list[Recipient]) -> list[tuple[str, str, int]]:
    """The SQL's method: rank both sides, pair rank k with rank k while the saving is > 0."""
    by_cost = sorted(donors, key=lambda d: (d[1], d[0]))
    by_value = sorted(recipients, key=lambda r: (-r[1], r[0]))
    pairs = []
    for (donor, cost_after), (recipient, cost_now) in zip(by_cost, by_value, strict=False):
        if cost_now - cost_after > 0 and donor != recipient:
            pairs.append((donor, recipient, cost_now - cost_after))
    return pairs


def best_total(donors: list[Donor], recipients: list[Recipient]) -> int:
    """The optimum by brute force: every injective matching, keeping only saving pairs."""
    best = 0
    n = min(len(donors), len(recipients))
    if n == 0:
        return 0
    for chosen in permutations(recipients, len(donors)) if len(donors) <= len(recipients) else []:
        total = sum(max(0, r[1] - d[1]) for d, r in zip(donors, chosen, strict=True))
        best = max(best, total)
    for chosen in permutations(donors, len(recipients)) if len(donors) > len(recipients) else []:
        total = sum(max(0, r[1] - d[1]) for d, r in zip(chosen, recipients, strict=True))
        best = max(best, total)
    return best


costs = st.integers(min_value=0, max_value=6000)


@settings(max_examples=300, deadline=None)
@given(
    donor_costs=st.lists(costs, max_size=5),
    recipient_values=st.lists(costs, max_size=5),
)
def test_ranked_pairing_reaches_the_brute_force_optimum(
    donor_costs: list[int], recipient_values: list[int]
) -> None:
    donors = [(f"d{i}", c) for i, c in enumerate(donor_costs)]
    recipients = [(f"r{i}", v) for i, v in enumerate(recipient_values)]
    pairs = ranked_pairs(donors, recipients)
    assert sum(saving for _, _, saving in pairs) == best_total(donors, recipients)
    assert len({d for d, _, _ in pairs}) == len(pairs)
    assert len({r for _, r, _ in pairs}) == len(pairs)
    assert all(saving > 0 for _, _, saving in pairs)


def test_the_unit_test_case_by_hand() -> None:
    """rec_reassignments_maximise_the_saving_and_skip_leavers: 7,300, not 7,200."""
    donors = [("a", 0), ("c", 0), ("b", 500)]
    recipients = [("x", 4000), ("y", 3300), ("z", 400)]
    assert ranked_pairs(donors, recipients) == [("a", "x", 4000), ("c", "y", 3300)]
    assert best_total(donors, recipients) == 7300
