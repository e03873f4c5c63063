"""Property test of the numpy engine's functions against the plain model of the rules, without
dbt (fast, many examples): merge, chain, renewals, grace, window statistics, chunked threads."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.billing.engine_module import engine
from tests.billing.rules_model import Session, usage_windows
from tests.billing.strategies import ANCHORS, HORIZON, person_sessions

Rows = dict[tuple[object, ...], tuple[object, ...]]


def engine_rows(sessions: list[Session], chunk_sessions: int) -> Rows:
    keys = sorted({(s.user_key, s.product) for s in sessions})
    partition_of = {key: i for i, key in enumerate(keys)}
    ordered = sorted(sessions, key=lambda s: (partition_of[(s.user_key, s.product)], s.started_at))

    def array(values: list[int]) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    out = engine().compute_windows_parallel(
        array([partition_of[(s.user_key, s.product)] for s in ordered]),
        array([int(s.started_at.timestamp()) for s in ordered]),
        array([int(s.ended_at.timestamp()) for s in ordered]),
        array([-1 if s.active_seconds is None else s.active_seconds for s in ordered]),
        array([sum(map(ord, s.host)) for s in ordered]),
        np.array([s.is_open_at_as_of for s in ordered], dtype=np.bool_),
        300,
        threads=2,
        chunk_sessions=chunk_sessions,
    )
    active = [None if np.isnan(a) else float(a) for a in out["active_seconds"]]
    return {
        (*keys[int(out["partition"][i])], int(out["window_start_epoch"][i])): (
            int(out["window_end_epoch"][i]),
            "renewal" if out["window_index"][i] > 0 else "launch",
            bool(out["is_grace"][i]),
            int(out["sessions"][i]),
            int(out["hosts"][i]),
            int(out["open_seconds"][i]),
            active[i],
        )
        for i in range(len(out["partition"]))
    }


def model_rows(sessions: list[Session]) -> Rows:
    return {
        (w.user_key, w.product, int(w.window_start_at.timestamp())): (
            int(w.window_end_at.timestamp()),
            w.opened_by,
            w.is_grace,
            len(w.sessions),
            w.hosts,
            w.open_seconds,
            w.active_seconds,
        )
        for w in usage_windows(sessions, [], [])
    }


def assert_same_windows(got: Rows, expected: Rows) -> None:
    """Equal keys and values; active seconds (a float sum, last value) equal within 1e-6 s."""
    assert got.keys() == expected.keys()
    for key, row in got.items():
        assert row[:-1] == expected[key][:-1], key
        assert (row[-1] is None) == (expected[key][-1] is None), key
        if row[-1] is not None:
            assert abs(row[-1] - expected[key][-1]) < 1e-6, key


@st.composite
def many_people(draw: st.DrawFn) -> list[Session]:
    anchor = draw(st.sampled_from(ANCHORS))
    sessions: list[Session] = []
    for i in range(draw(st.integers(1, 24))):
        sessions += draw(person_sessions(f"p{i}", anchor, anchor + HORIZON))
    return sessions


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions=many_people(), chunk_sessions=st.sampled_from([1, 7, 600_000]))
def test_numpy_engine_matches_the_rules(sessions: list[Session], chunk_sessions: int) -> None:
    assert_same_windows(engine_rows(sessions, chunk_sessions), model_rows(sessions))


def test_chain_handles_partitions_of_very_different_lengths() -> None:
    """The vectorised loop hands the longest partitions to a scalar loop: both paths agree."""
    rng = np.random.default_rng(3)
    sessions = []
    for p in range(40):
        t = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) + p * 7
        for n in range(1 + (p * p) % 60):
            t += int(rng.choice([60, 3600, 50_000, 86_400, 90_000]))
            d = int(rng.choice([0, 120, 299, 300, 7200, 86_400, 100_000]))
            sessions.append(
                Session(
                    f"{p}-{n}",
                    f"p{p}",
                    "AutoCAD",
                    "H1",
                    datetime.fromtimestamp(t, UTC),
                    datetime.fromtimestamp(t + d, UTC),
                    active_seconds=d // 2,
                )
            )
            t += d
    assert_same_windows(engine_rows(sessions, 600_000), model_rows(sessions))
