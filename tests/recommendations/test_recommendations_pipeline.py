"""The recommendations on a real run of the whole daily job, and the same organisation again with
a stricter margin and a shorter inactivity threshold: the settings travel from the settings
object through raw.run_context to the marts, and change the advice.

Two full runs (module-scoped, a few minutes in all): the sample organisation of tests/conftest.py
(40 people, 3 months ending 2026-10-31, seed 11).
"""

from __future__ import annotations

import io
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration import cli
from orchestration.settings import Settings

AS_OF = "2026-10-31T18:00:00+00:00"
MOVES = ("move_to_flex", "move_to_named", "move_to_collection")
KINDS = (
    "reclaim_leaver",
    "remove_duplicate",
    "remove_unused",
    "move_to_flex",
    "move_to_named",
    "move_to_collection",
    "watch_trend",
)


def _run(small_org: Path, tmp: Path, **overrides: object) -> tuple[Settings, str]:
    settings = Settings(
        timezone="Europe/London",
        landing_dir=small_org,
        warehouse=tmp / "warehouse" / "flexlens.duckdb",
        exports_dir=tmp / "exports",
        **overrides,
    )
    out = io.StringIO()
    code = cli.run_pipeline(settings, as_of=AS_OF, out=out)
    assert code == 0, out.getvalue()
    return settings, out.getvalue()


@pytest.fixture(scope="module")
def runs(small_org: Path, tmp_path_factory: pytest.TempPathFactory):
    """The default run and a strict run (margin 50%, inactivity 30 days), each in its own folder."""
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("dagster_home")
    mp.setenv("DAGSTER_HOME", str(home))
    default = _run(small_org, tmp_path_factory.mktemp("default"))
    strict = _run(
        small_org,
        tmp_path_factory.mktemp("strict"),
        break_even_margin=0.5,
        inactivity_days=30,
    )
    yield default, strict
    mp.undo()


def _rows(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _recommendations(settings: Settings) -> list[tuple]:
    return _rows(
        settings,
        "select user_key, product, recommendation, annual_saving, seat_price, annual_cost_now, "
        "annual_cost_after, related, reason from marts.rpt_licence_recommendations",
    )


def test_summary_prints_the_saving_by_kind(runs) -> None:
    (settings, output), _ = runs
    total, count = _rows(
        settings,
        "select sum(annual_saving), count(*) from marts.rpt_licence_recommendations",
    )[0]
    assert count > 0
    assert f"savings:    {float(total):,.0f} a year from {count:,} recommendations" in output
    assert "by kind (USD a year, recommendations):" in output
    by_kind = _rows(
        settings,
        "select recommendation, sum(annual_saving), count(*) "
        "from marts.rpt_licence_recommendations group by recommendation",
    )
    flat = " ".join(output.split())  # the by-kind line wraps at 100 columns
    for kind, saving, n in by_kind:
        assert f"{kind} {float(saving):,.0f} ({n:,})" in flat
    # in the contract's order
    block = flat[flat.index("by kind (") :]
    present = {kind for kind, *_ in by_kind}
    positions = [block.index(f"{kind} ") for kind in KINDS if kind in present]
    assert positions == sorted(positions)
    transfers = _rows(settings, "select count(*) from marts.rpt_seat_reassignments")[0][0]
    assert f"seats:      {transfers:,} freed seats to hand on (rpt_seat_reassignments)" in output


def test_default_run_reads_like_a_licence_managers_list(runs) -> None:
    (settings, _), _ = runs
    rows = _recommendations(settings)
    kinds = {row[2] for row in rows}
    # the sample organisation has leavers holding licences, Flex + named duplicates, seats
    # cheaper on Flex, heavy Flex users and people paying more than a collection
    assert {"reclaim_leaver", "remove_duplicate", "move_to_flex", "move_to_named"} <= kinds
    reclaim = re.compile(
        r"^Left on \d{4}-\d{2}-\d{2} \([a-z ]+\); .+ assigned since \d{4}-\d{2}-\d{2}"
        r"(, last used \d{4}-\d{2}-\d{2}( \(after leaving\))?)?: "
        r"(reclaim it, saving [\d,]+ USD a year\.|remove it so nobody spends tokens .+\.)$"
    )
    for _user, _product, kind, saving, *_rest, reason in rows:
        assert reason and reason.endswith("."), reason
        if kind == "reclaim_leaver":
            assert reclaim.match(reason), reason
        if kind not in ("watch_trend", "reclaim_leaver"):
            whole = Decimal(saving).quantize(Decimal(1), ROUND_HALF_UP)
            assert saving > 0 and f"saving {whole:,} USD a year" in reason, reason
    # the exports carry the four marts
    latest = settings.exports_dir / "latest"
    for mart in (
        "rpt_user_product_utilisation",
        "rpt_licence_recommendations",
        "rpt_seat_reassignments",
        "rpt_department_costs",
    ):
        assert (latest / f"{mart}.parquet").exists(), mart


def test_a_leaver_is_never_a_recipient_nor_advised_anything_but_reclaim(runs) -> None:
    for settings, _ in runs:
        assert not _rows(
            settings,
            "select r.user_key from marts.rpt_licence_recommendations r "
            "join marts.dim_users u using (user_key) "
            "where u.status = 'left' and r.recommendation <> 'reclaim_leaver'",
        )
        assert not _rows(
            settings,
            "select t.to_user_key from marts.rpt_seat_reassignments t "
            "join marts.dim_users u on t.to_user_key = u.user_key "
            "where u.status <> 'active' or t.to_user_key = t.from_user_key",
        )
    (settings, _), _ = runs
    assert (
        _rows(
            settings,
            "select count(*) from marts.rpt_licence_recommendations r "
            "join marts.dim_users u using (user_key) where u.status = 'left'",
        )[0][0]
        > 0
    ), "the sample organisation has a leaver holding a licence"


def test_a_stricter_margin_and_shorter_inactivity_change_the_advice(runs) -> None:
    (default, _), (strict, _) = runs
    before = _recommendations(default)
    after = _recommendations(strict)

    def moves(rows: list[tuple]) -> set[tuple[str, str]]:
        return {(r[0], r[1]) for r in rows if r[2] in MOVES}

    # margin 10% -> 50%: fewer moves, and each one left clears the wider margin
    assert len(moves(after)) < len(moves(before))
    for _user, _product, kind, _saving, price, cost_now, cost_after, related, _ in after:
        if kind == "move_to_named":
            assert cost_now > price * Decimal("1.5")
        if kind == "move_to_flex" or (kind == "remove_duplicate" and related == "Flex"):
            assert cost_after < price * Decimal("0.5")
    dropped = [
        r
        for r in before
        if r[2] == "move_to_named" and r[5] <= r[4] * Decimal("1.5")  # inside the new margin
    ]
    assert dropped, "the default run has a move_to_named inside a 50% margin"
    strict_keys = {(r[0], r[1], r[2]) for r in after}
    for user, product, kind, *_ in dropped:
        assert (user, product, kind) not in strict_keys

    # inactivity 90 -> 30 days: a seat last used 30-89 days ago becomes unused
    idle_between = _rows(
        default,
        "select user_key, product from intermediate.int_seats_judged "
        "where unused_basis = 'idle' and idle_days between 30 and 89 and not is_unused "
        "and product_kind <> 'flex_access'",
    )
    assert idle_between, "the sample organisation has a seat idle for 30-89 days"
    unused_now = {
        (u, p)
        for u, p in _rows(
            strict, "select user_key, product from intermediate.int_seats_judged where is_unused"
        )
    }
    assert set(idle_between) <= unused_now
    # the settings reached the models as data
    assert _rows(
        strict, "select inactivity_days, break_even_margin from staging.stg_run__context"
    ) == [(30, Decimal("0.5"))]
