"""Tests of the sample organisation generator (connectors.sample).

The files are read back the way a reader of the landing folder would (csv, json, pyarrow), so the
tests check what is written, not what the generator meant to write.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.sample import (
    MANIFEST,
    SampleSummary,
    daily_token_usage,
    flex_windows,
    generate_organisation,
    token_rate,
)
from connectors.sample.billing import KIND_NAMES, WindowTracker
from connectors.sample.clock import is_ambiguous_local, local_to_utc, london_offset

LONDON = ZoneInfo("Europe/London")
USAGE_HEADER = [
    "session_id",
    "user",
    "host",
    "product",
    "product_key",
    "started_at",
    "ended_at",
    "active_seconds",
    "licence_method",
]
# agent product names of the brief -> canonical product
AGENT_PRODUCTS = {
    "AutoCAD 2024": "AutoCAD",
    "AutoCAD 2025": "AutoCAD",
    "Revit 2024": "Revit",
    "Revit 2025": "Revit",
    "Civil 3D 2025": "Civil 3D",
    "Navisworks Manage 2025": "Navisworks Manage",
    "3ds Max 2025": "3ds Max",
    "Maya 2025": "Maya",
    "Inventor Professional 2025": "Inventor Professional",
    "Fusion": "Fusion",
    "InfraWorks 2025": "InfraWorks",
}
AUTODESK_PRODUCTS = {
    "AutoCAD - including specialized toolsets": "AutoCAD",
    "Revit": "Revit",
    "Civil 3D": "Civil 3D",
    "Navisworks Manage": "Navisworks Manage",
    "3ds Max": "3ds Max",
    "Maya": "Maya",
    "Inventor Professional": "Inventor Professional",
    "Fusion": "Fusion",
    "InfraWorks": "InfraWorks",
}
COLLECTIONS = {
    "Architecture Engineering & Construction Collection": {
        "AutoCAD",
        "Revit",
        "Civil 3D",
        "Navisworks Manage",
        "3ds Max",
        "InfraWorks",
    },
    "Product Design & Manufacturing Collection": {
        "AutoCAD",
        "Inventor Professional",
        "Navisworks Manage",
        "Fusion",
    },
    "Media & Entertainment Collection": {"3ds Max", "Maya"},
}
BAD_KINDS = {
    "unparseable_timestamp",
    "end_before_start",
    "unknown_product",
    "duplicate_row",
    "empty_user",
    "wrong_field_count",
}


# ---------------------------------------------------------------- reading helpers


def _read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    delimiter = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    return list(csv.DictReader(text.splitlines(), delimiter=delimiter))


def _parse_ts(text: str | None) -> datetime | None:
    """Landing-contract timestamps: ISO 8601 with an offset, or naive = Europe/London."""
    if text in (None, ""):
        return None
    ts = datetime.fromisoformat(text)
    return ts.replace(tzinfo=LONDON) if ts.tzinfo is None else ts


def _usage_rows(folder: Path) -> tuple[list[list[str | None]], int]:
    """All usage rows as lists of 9 values (JSONL rows get session_id None) + broken lines."""
    rows: list[list[str | None]] = []
    broken = 0
    for path in sorted((folder / "usage").iterdir()):
        if path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.reader(fh)
                assert next(reader) == USAGE_HEADER
                for row in reader:
                    if len(row) != len(USAGE_HEADER):
                        broken += 1
                    else:
                        rows.append(row)
        elif path.suffix == ".parquet":
            table = pq.read_table(path)
            assert table.column_names == USAGE_HEADER
            for rec in table.to_pylist():
                values = [rec[c] for c in USAGE_HEADER]
                for i in (5, 6):
                    if values[i] is not None:
                        values[i] = values[i].isoformat()
                rows.append(
                    [None if v is None else str(v) if not isinstance(v, str) else v for v in values]
                )
        elif path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                rec = json.loads(line)
                assert "session_id" not in rec
                values = [rec.get(c) for c in USAGE_HEADER]
                rows.append([None if v is None else str(v) for v in values])
    return rows, broken


def _classify(row: list[str | None]) -> str | None:
    """The quarantine reason of a usage row, None when it is usable."""
    _, user, _, product, _, started, ended, _, _ = row
    try:
        start, end = _parse_ts(started), _parse_ts(ended)
    except ValueError:
        return "unparseable_timestamp"
    if not user:
        return "empty_user"
    if product not in AGENT_PRODUCTS:
        return "unknown_product"
    if start is None:
        return "missing_required"
    if end is not None and end < start:
        return "end_before_start"
    return None


def _count_bad(rows: list[list[str | None]], broken: int) -> dict[str, int]:
    counts = Counter(_classify(r) for r in rows)
    with_id = Counter(tuple(r) for r in rows if r[0])
    counts["duplicate_row"] = sum(c - 1 for c in with_id.values())
    counts["wrong_field_count"] = broken
    return {k: counts.get(k, 0) for k in BAD_KINDS}


def _manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


# ---------------------------------------------------------------- fixtures

CSV_END = date(2026, 4, 15)  # months Jan..Apr 2026: the clocks go forward on 29 March
PARQUET_END = date(2026, 11, 3)  # months Oct..Nov 2026: the clocks go back on 25 October


@pytest.fixture(scope="module")
def csv_org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary]:
    out = tmp_path_factory.mktemp("csv_org")
    return out, generate_organisation(out, people=150, months=4, seed=11, end=CSV_END)


@pytest.fixture(scope="module")
def parquet_org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary]:
    out = tmp_path_factory.mktemp("parquet_org")
    summary = generate_organisation(
        out, people=80, months=2, seed=5, fmt="parquet", end=PARQUET_END
    )
    return out, summary


# ---------------------------------------------------------------- determinism and layout


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_arguments_give_byte_identical_files(tmp_path: Path, fmt: str) -> None:
    args = {"people": 40, "months": 2, "seed": 3, "fmt": fmt, "end": date(2026, 2, 10)}
    generate_organisation(tmp_path / "a", **args)
    generate_organisation(tmp_path / "b", **args)
    first, second = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    generate_organisation(tmp_path / "c", **{**args, "seed": 4})
    other = _tree(tmp_path / "c")
    assert other["usage/" + ("sessions_2026-01." + fmt)] != first["usage/sessions_2026-01." + fmt]


def test_every_subfolder_is_written_and_listed(csv_org: tuple[Path, SampleSummary]) -> None:
    out, summary = csv_org
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk == set(summary.files) | {MANIFEST}
    folders = Counter(name.split("/")[0] for name in summary.files)
    assert folders["usage"] == 4 + 1  # one CSV per month + the second agent's JSONL
    assert folders["directory"] == 4  # end of Jan, Feb, Mar + the last day
    assert folders["autodesk"] == 4 + 2  # token usage per month, users export, subscriptions
    assert folders["tokens"] == 1 and folders["reference"] == 1
    assert "usage/sessions_2026-03.csv" in summary.files
    assert "directory/ad_users_2026-04-15.csv" in summary.files
    assert "autodesk/users_export_2026-04-15.csv" in summary.files
    manifest = _manifest(out)
    assert manifest["arguments"] == {
        "people": 150,
        "months": 4,
        "seed": 11,
        "fmt": "csv",
        "end": "2026-04-15",
    }
    assert manifest["as_of"] == "2026-04-15T18:00:00+00:00" == summary.as_of
    assert manifest["summary"]["sessions"] == summary.sessions > 10_000


def test_rerun_into_same_folder_removes_stale_files(tmp_path: Path) -> None:
    generate_organisation(tmp_path, people=20, months=3, end=date(2026, 3, 5))
    assert (tmp_path / "usage" / "sessions_2026-01.csv").exists()
    summary = generate_organisation(tmp_path, people=20, months=1, end=date(2026, 3, 5))
    assert not (tmp_path / "usage" / "sessions_2026-01.csv").exists()
    on_disk = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert on_disk == set(summary.files) | {MANIFEST}


def test_invalid_arguments_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="people"):
        generate_organisation(tmp_path, people=0)
    with pytest.raises(ValueError, match="months"):
        generate_organisation(tmp_path, months=0)
    with pytest.raises(ValueError, match="fmt"):
        generate_organisation(tmp_path, fmt="xlsx")  # type: ignore[arg-type]


# ---------------------------------------------------------------- usage files


def test_bad_row_counts_equal_the_files_csv(csv_org: tuple[Path, SampleSummary]) -> None:
    out, summary = csv_org
    rows, broken = _usage_rows(out)
    counted = _count_bad(rows, broken)
    assert counted == summary.bad_rows
    assert counted["wrong_field_count"] == 1
    assert all(counted[k] >= 2 for k in BAD_KINDS - {"wrong_field_count"})
    assert summary.usage_rows == len(rows) + broken
    share = sum(counted.values()) / len(rows)
    assert 0.001 < share < 0.004  # about 0.2 %
    good = {tuple(r) for r in rows if _classify(r) is None}
    assert len(good) == summary.sessions


def test_bad_row_counts_equal_the_files_parquet(parquet_org: tuple[Path, SampleSummary]) -> None:
    out, summary = parquet_org
    rows, broken = _usage_rows(out)
    counted = _count_bad(rows, broken)
    assert counted == summary.bad_rows
    assert counted["wrong_field_count"] == 0  # Parquet has no lines to break
    assert all(counted[k] >= 2 for k in BAD_KINDS - {"wrong_field_count"})


def test_parquet_timestamps_are_tz_aware_utc(parquet_org: tuple[Path, SampleSummary]) -> None:
    out, summary = parquet_org
    files = sorted((out / "usage").glob("*.parquet"))
    assert [f.name for f in files] == ["sessions_2026-10.parquet", "sessions_2026-11.parquet"]
    for path in files:
        schema = pq.read_schema(path)
        assert schema.field("started_at").type == pa.timestamp("us", tz="UTC")
        assert schema.field("ended_at").type == pa.timestamp("us", tz="UTC")
        assert schema.field("active_seconds").type == pa.int64()
    last = pq.read_table(files[-1])
    running = last.filter(last["ended_at"].is_null())
    assert running.num_rows == summary.still_running >= 3
    as_of = datetime(2026, 11, 3, 18, tzinfo=UTC)
    assert all(ts < as_of for ts in running["started_at"].to_pylist())


def test_sessions_show_the_awkward_cases(csv_org: tuple[Path, SampleSummary]) -> None:
    out, _ = csv_org
    rows, _ = _usage_rows(out)
    good = [r for r in rows if _classify(r) is None and r[0]]
    users = Counter(
        "domain" if r[1].startswith("ACME\\") else "upn" if "@" in r[1] else "bare" for r in good
    )
    assert users["domain"] > 0.6 * len(good)
    assert users["bare"] > 0 and users["upn"] > 0
    assert any(r[1].startswith("ACME\\ext.") for r in good)  # contractors
    keyed = sum(1 for r in good if r[4]) / len(good)
    assert 0.2 < keyed < 0.35
    assert {r[4] for r in good if r[4]} <= {
        "001Q1", "001P1", "829Q1", "829P1", "237Q1", "507Q1", "128Q1", "657Q1", "797Q1", "927Q1"
    }  # fmt: skip
    assert {r[8] for r in good} == {"flex", "named", ""}
    assert any(re.search(r"[+-]\d\d:\d\d$", r[5]) for r in good)  # explicit offsets
    durations, actives = [], []
    hosts_open: dict[tuple[str, str, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    for r in good:
        start, end = _parse_ts(r[5]), _parse_ts(r[6])
        if end is None:
            continue
        durations.append((end - start).total_seconds())
        actives.append(int(r[7]))
        hosts_open[(r[1], r[3], r[2])].append((start, end))
    durations_a = np.array(durations)
    assert (np.array(actives) <= durations_a).all()
    assert (durations_a < 300).sum() > 0  # under five minutes
    assert (durations_a >= 16 * 3600).sum() > 0  # left open overnight
    assert (durations_a > 24 * 3600).sum() > 0  # over 24 hours
    starts = [_parse_ts(r[5]) for r in good if r[6]]
    ends = {_parse_ts(r[6]) for r in good if r[6]}
    assert any(s in ends for s in starts)  # touching sessions exist
    # the clocks went forward on 29 March 2026 at 01:00 UTC: sessions run across it
    change = datetime(2026, 3, 29, 1, tzinfo=UTC)
    crossing = [r for r in good if r[6] and _parse_ts(r[5]) < change < _parse_ts(r[6])]
    assert len(crossing) >= 2


def test_same_product_on_two_hosts_at_once(csv_org: tuple[Path, SampleSummary]) -> None:
    out, _ = csv_org
    rows, _ = _usage_rows(out)
    directory = _login_to_email(out)
    by_person: dict[tuple[str, str], list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for r in rows:
        if _classify(r) is None and r[6]:
            email = _email_of(r[1], directory)
            by_person[(email, AGENT_PRODUCTS[r[3]])].append(
                (_parse_ts(r[5]), _parse_ts(r[6]), r[2])
            )
    overlaps = 0
    for sessions in by_person.values():
        sessions.sort()
        for (_, e1, h1), (s2, _, h2) in zip(sessions, sessions[1:], strict=False):
            overlaps += h1 != h2 and s2 < e1
    assert overlaps > 0


# ---------------------------------------------------------------- directory


def _snapshots(out: Path) -> list[tuple[date, list[dict[str, str]]]]:
    snaps = []
    for path in sorted((out / "directory").glob("ad_users_*.csv")):
        day = date.fromisoformat(path.stem.removeprefix("ad_users_"))
        snaps.append((day, _read_csv(path)))
    return snaps


def test_directory_snapshots_headcount_starters_leavers(
    csv_org: tuple[Path, SampleSummary],
) -> None:
    out, summary = csv_org
    raw = {p.name: p.read_bytes() for p in (out / "directory").glob("*.csv")}
    bom = [name for name, data in raw.items() if data.startswith(b"\xef\xbb\xbf")]
    assert len(bom) == 1 and raw[bom[0]].split(b"\n", 1)[0].count(b";") == 14
    snaps = _snapshots(out)
    assert [d for d, _ in snaps] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 15),
    ]
    for _, rows in snaps:
        assert set(rows[0]) >= {"SamAccountName", "UserPrincipalName", "Enabled", "Manager"}
        assert {r["Enabled"] for r in rows} <= {"True", "False"}
        for r in rows:
            if r["EmailAddress"]:
                assert re.fullmatch(r"[a-z]+\.[a-z]+\d*@acme\.example", r["EmailAddress"])

    def left(row: dict[str, str], day: date) -> bool:
        expiry = row["AccountExpirationDate"]
        return row["Enabled"] == "False" or bool(expiry and date.fromisoformat(expiry[:10]) <= day)

    first_day, first = snaps[0]
    last_day, last = snaps[-1]
    ever = {r["SamAccountName"]: r for _, rows in snaps for r in rows}
    last_by_sam = {r["SamAccountName"]: r for r in last}
    leavers = {sam for sam in ever if sam not in last_by_sam or left(last_by_sam[sam], last_day)}
    assert len(leavers) == summary.leavers >= 2
    # a leaver is disabled, expired or gone in a later snapshot than one where it was active
    for sam in leavers:
        states = [
            (sam in {r["SamAccountName"] for r in rows})
            and not left(next(r for r in rows if r["SamAccountName"] == sam), d)
            for d, rows in snaps
        ]
        assert states[-1] is False
    # starters: accounts created inside the window, most of them after the first snapshot
    starters = {
        r["SamAccountName"]
        for r in last
        if r["EmailAddress"] and datetime.fromisoformat(r["whenCreated"]) >= datetime(2026, 1, 1)
    }
    assert len(starters) == summary.starters >= 2
    assert starters - {r["SamAccountName"] for r in first}
    active_first = sum(1 for r in first if not left(r, first_day) and r["EmailAddress"])
    assert 0.85 * summary.people < active_first <= summary.people
    # some leavers still hold Autodesk access (no unassigned date) in the Users export
    emails = {ever[s]["EmailAddress"] for s in leavers}
    users = _read_csv(out / "autodesk" / "users_export_2026-04-15.csv")
    assert any(u["Email"].lower() in emails and not u["Unassigned date"] for u in users)


# ---------------------------------------------------------------- Autodesk exports


def _login_to_email(out: Path) -> dict[str, str]:
    mapping = {}
    for _, rows in _snapshots(out):
        for r in rows:
            if r["EmailAddress"]:
                mapping[r["SamAccountName"].lower()] = r["EmailAddress"].lower()
                mapping[r["UserPrincipalName"].lower()] = r["EmailAddress"].lower()
    return mapping


def _email_of(login: str, directory: dict[str, str]) -> str | None:
    name = login.split("\\")[-1].lower()
    return directory.get(name)


def _token_usage(out: Path, id_to_email: dict[str, str]) -> dict[tuple[date, str, str], int]:
    spellings = {
        "day": ("Day used", "Usage date"),
        "email": ("Email", "User email"),
        "product": ("Product", "Product name"),
        "tokens": ("Tokens used", "Tokens consumed"),
        "hashed": ("hashed_autodesk_id", "Hashed Autodesk ID"),
    }
    usage: dict[tuple[date, str, str], int] = {}
    headers = set()
    pii_off = 0
    for path in sorted((out / "autodesk").glob("token_usage_*.csv")):
        rows = _read_csv(path)
        for r in rows:
            headers.add(tuple(r))
            v = {k: next(r[s] for s in names if s in r) for k, names in spellings.items()}
            assert re.fullmatch(r"[0-9a-f]{32}", v["hashed"])
            if v["email"] == "*****":
                pii_off += 1
                email = id_to_email[v["hashed"]]
            else:
                email = v["email"].lower()
                assert id_to_email[v["hashed"]] == email
            key = (date.fromisoformat(v["day"]), email, AUTODESK_PRODUCTS[v["product"]])
            assert key not in usage
            usage[key] = int(v["tokens"])
    assert len(headers) == 2 and pii_off > 0
    return usage


def _expected_usage(out: Path) -> dict[tuple[date, str, str], int]:
    """Autodesk's bill recomputed from the landing files with the window helper."""
    manifest = _manifest(out)
    as_of = datetime.fromisoformat(manifest["as_of"])
    directory = _login_to_email(out)
    users = _read_csv(next((out / "autodesk").glob("users_export_*.csv")))
    flex: dict[str, list[tuple[date, date]]] = defaultdict(list)
    cover: dict[tuple[str, str], list[tuple[date, date]]] = defaultdict(list)
    for u in users:
        span = (
            date.fromisoformat(u["Assigned date"]),
            date.fromisoformat(u["Unassigned date"]) if u["Unassigned date"] else date.max,
        )
        email = u["Email"].lower()
        if u["Access option"] == "Flex":
            flex[email].append(span)
        elif u["Product"] in COLLECTIONS:
            for product in COLLECTIONS[u["Product"]]:
                cover[(email, product)].append(span)
        else:
            assert u["Access option"] in ("Named user", "Single user", "Trial")
            cover[(email, AUTODESK_PRODUCTS[u["Product"]])].append(span)

    rows, _ = _usage_rows(out)
    sessions: dict[tuple[str, str], set[tuple[datetime, datetime | None]]] = defaultdict(set)
    for r in rows:
        if _classify(r) is not None:
            continue
        email = _email_of(r[1], directory)
        if email is None:  # a contractor: not in the directory
            assert r[1].split("\\")[-1].startswith("ext.")
            continue
        sessions[(email, AGENT_PRODUCTS[r[3]])].add((_parse_ts(r[5]), _parse_ts(r[6])))

    def active(spans: list[tuple[date, date]], day: date) -> bool:
        return any(a <= day < b for a, b in spans)

    expected = {}
    for (email, product), items in sessions.items():
        if email not in flex:
            continue
        spans = cover.get((email, product), [])
        for day, tokens in daily_token_usage(
            sorted(items, key=lambda x: x[0]),
            product=product,
            covered=lambda d, spans=spans: active(spans, d),
            as_of=as_of,
        ):
            if active(flex[email], day):
                expected[(day, email, product)] = tokens
    return expected


@pytest.mark.parametrize("org", ["csv_org", "parquet_org"])
def test_token_usage_export_is_the_rules_applied_to_the_sessions(
    org: str, request: pytest.FixtureRequest
) -> None:
    out, summary = request.getfixturevalue(org)
    users = _read_csv(next((out / "autodesk").glob("users_export_*.csv")))
    id_to_email = {u["hashed_autodesk_id"]: u["Email"].lower() for u in users}
    actual = _token_usage(out, id_to_email)
    assert sum(actual.values()) == summary.tokens_billed
    assert len(actual) == summary.token_usage_rows
    expected = _expected_usage(out)
    staff = {k: v for k, v in actual.items() if k[1].endswith("@acme.example")}
    found = []
    for key in sorted(set(staff) | set(expected)):
        got, want = staff.get(key), expected.get(key)
        if got == want:
            continue
        kind = (
            "autodesk_only" if want is None else "agent_only" if got is None else "token_mismatch"
        )
        found.append((kind, key[0].isoformat(), key[1], key[2], want, got))
    documented = [
        (d["kind"], d["usage_date"], d["email"].lower(), d["product"], d["agent_tokens"],
         d["autodesk_tokens"])
        for d in _manifest(out)["autodesk_differences"]
        if d["email"].lower().endswith("@acme.example")
    ]  # fmt: skip
    assert sorted(found) == sorted(documented)
    assert {k for k, *_ in found} == {"autodesk_only", "agent_only", "token_mismatch"}
    assert summary.autodesk_differences["token_mismatch"] == 2
    # the export has grace rows (0 tokens) and charged rows at the known rates only
    assert 0 in actual.values()
    assert {p for _, _, p in actual} <= {
        "AutoCAD", "Revit", "Civil 3D", "Navisworks Manage", "3ds Max", "Maya", "Fusion"
    }  # fmt: skip


def test_users_export_and_subscriptions(csv_org: tuple[Path, SampleSummary]) -> None:
    out, _ = csv_org
    users = _read_csv(out / "autodesk" / "users_export_2026-04-15.csv")
    assert list(users[0]) == [
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
    ]
    options = Counter(u["Access option"] for u in users)
    assert set(options) == {"Named user", "Single user", "Flex", "Trial"}
    assert all(u["Product"] == "Flex" for u in users if u["Access option"] == "Flex")
    products = {u["Product"] for u in users}
    assert "Architecture Engineering & Construction Collection" in products
    # the same person with Flex and a named seat (duplicates), and named seats never used
    by_email: dict[str, set[str]] = defaultdict(set)
    for u in users:
        by_email[u["Email"]].add(u["Access option"])
    assert any(
        {"Flex", "Named user"} <= s or {"Flex", "Single user"} <= s for s in by_email.values()
    )
    assert any(u["Access option"] != "Flex" and not u["Last accessed"] for u in users)
    ids = {}
    for u in users:
        assert ids.setdefault(u["Email"], u["hashed_autodesk_id"]) == u["hashed_autodesk_id"]
    assert len(set(ids.values())) == len(ids)
    subs = _read_csv(out / "autodesk" / "subscriptions.csv")
    assert list(subs[0]) == [
        "subscription_id",
        "offering_name",
        "seat_quantity",
        "start_date",
        "end_date",
        "term",
        "contract_number",
    ]
    assert all(int(s["seat_quantity"]) > 0 for s in subs)


def test_token_packs_and_reference_rates(csv_org: tuple[Path, SampleSummary]) -> None:
    out, summary = csv_org
    packs = _read_csv(out / "tokens" / "token_packs.csv")
    assert 3 <= len(packs) <= 5
    assert all(2.70 <= float(p["price_per_token"]) <= 3.00 for p in packs)
    assert {p["currency"] for p in packs} == {"USD"}
    expiries = [p["expires_on"] for p in packs]
    assert expiries.count("") == 1
    assert any(e and date.fromisoformat(e) < CSV_END for e in expiries)  # one already expired
    shared = [e for e, n in Counter(expiries).items() if e and n == 2]
    assert len(shared) == 1
    same = [int(p["tokens"]) for p in packs if p["expires_on"] == shared[0]]
    assert same[0] != same[1]
    total = sum(int(p["tokens"]) for p in packs)
    assert summary.tokens_billed < total < 1.6 * summary.tokens_billed
    rates = _read_csv(out / "reference" / "token_rates.csv")
    assert rates == [
        {
            "product": "Civil 3D",
            "tokens_per_day": "10",
            "effective_from": "2021-09-07",
            "effective_to": "",
        }
    ]


# ---------------------------------------------------------------- billing helper (F1-F8)


def _london(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


def test_autodesk_worked_example_two_charges() -> None:
    # AutoCAD open Mon 08:00-17:00 and Tue 07:00-17:00: charged Mon 08:00 and again Tue 08:00
    sessions = [
        (_london(2026, 2, 2, 8), _london(2026, 2, 2, 17)),
        (_london(2026, 2, 3, 7), _london(2026, 2, 3, 17)),
    ]
    windows = flex_windows(sessions)
    assert [(w.start, w.kind) for w in windows] == [
        (_london(2026, 2, 2, 8), "launch"),
        (_london(2026, 2, 3, 8), "renewal"),
    ]
    assert daily_token_usage(sessions, product="AutoCAD") == [
        (date(2026, 2, 2), 7),
        (date(2026, 2, 3), 7),
    ]


def test_five_minute_grace_opens_no_window() -> None:
    sessions = [
        (_london(2026, 2, 2, 9), _london(2026, 2, 2, 9, 4)),  # 4 minutes: grace
        (_london(2026, 2, 2, 9, 30), _london(2026, 2, 2, 10)),  # judged afresh: a launch
        (_london(2026, 2, 4, 11), _london(2026, 2, 4, 11, 3)),  # a day with only a grace row
        (_london(2026, 2, 5, 9), _london(2026, 2, 5, 9, 5)),  # exactly 5 minutes is charged
    ]
    windows = flex_windows(sessions)
    assert [(w.start, w.kind) for w in windows] == [
        (_london(2026, 2, 2, 9), "grace"),
        (_london(2026, 2, 2, 9, 30), "launch"),
        (_london(2026, 2, 4, 11), "grace"),
        (_london(2026, 2, 5, 9), "launch"),
    ]
    assert daily_token_usage(sessions, product="Revit") == [
        (date(2026, 2, 2), 10),
        (date(2026, 2, 4), 0),
        (date(2026, 2, 5), 10),
    ]
    # a short session inside an open window costs nothing, a running one is never grace
    inside = [(_london(2026, 2, 2, 8), _london(2026, 2, 2, 9)), (_london(2026, 2, 2, 20), None)]
    as_of = _london(2026, 2, 2, 20, 2)
    assert [w.kind for w in flex_windows(inside, as_of=as_of)] == ["launch"]
    assert [w.kind for w in flex_windows([inside[1]], as_of=as_of)] == ["launch"]


def test_session_over_24_hours_is_charged_twice() -> None:
    start = _london(2026, 6, 1, 9)
    sessions = [(start, start + timedelta(hours=26))]
    windows = flex_windows(sessions)
    assert [(w.start, w.kind) for w in windows] == [
        (start, "launch"),
        (start + timedelta(hours=24), "renewal"),
    ]
    assert [w.usage_date for w in windows] == [date(2026, 6, 1), date(2026, 6, 2)]
    # overlapping and touching sessions on other hosts are one interval: still two charges
    more = [
        *sessions,
        (start + timedelta(hours=2), start + timedelta(hours=3)),
        (start + timedelta(hours=26), start + timedelta(hours=26, minutes=2)),
    ]
    assert len(flex_windows(more)) == 2
    # ending exactly when the window ends is not "still in use"
    assert len(flex_windows([(start, start + timedelta(hours=24))])) == 1
    # covered days (named seat on the window's start date) are not Flex usage
    assert daily_token_usage(
        sessions, product="Navisworks Manage", covered=lambda d: d == date(2026, 6, 1)
    ) == [(date(2026, 6, 2), 9)]


def test_usage_date_and_rate_follow_the_utc_start() -> None:
    # 00:30 on 1 June in London is 23:30 UTC on 31 May: the window is reported on 31 May
    sessions = [(_london(2026, 6, 1, 0, 30), _london(2026, 6, 1, 2))]
    assert daily_token_usage(sessions, product="Maya") == [(date(2026, 5, 31), 6)]
    assert token_rate("AutoCAD", date(2022, 12, 31)) == 6
    assert token_rate("AutoCAD", date(2023, 1, 1)) == 7
    assert token_rate("Civil 3D", date(2026, 1, 1)) == 10
    assert token_rate("InfraWorks", date(2026, 1, 1)) is None
    assert daily_token_usage(sessions, product="InfraWorks") == []
    with pytest.raises(ValueError, match="aware"):
        flex_windows([(datetime(2026, 1, 1, 8), datetime(2026, 1, 1, 9))])


def test_london_offset_matches_zoneinfo() -> None:
    start = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    instants = np.arange(start, start + 3 * 366 * 86400, 1800, dtype=np.int64)
    ours = london_offset(instants)
    theirs = np.array(
        [datetime.fromtimestamp(int(t), LONDON).utcoffset().total_seconds() for t in instants]
    )
    assert (ours == theirs).all()


def test_clock_changes_are_resolved_like_zoneinfo() -> None:
    def local(text: str) -> np.ndarray:
        return np.array([int(datetime.fromisoformat(text + "+00:00").timestamp())])

    # 01:30 on 25 October 2026 happens twice in London; 00:30 and 02:00 once
    assert is_ambiguous_local(local("2026-10-25T01:30:00"))[0]
    assert not is_ambiguous_local(local("2026-10-25T00:30:00"))[0]
    assert not is_ambiguous_local(local("2026-10-25T02:00:00"))[0]
    for text in ("2026-03-28T23:00:00", "2026-03-29T03:00:00", "2026-07-01T12:00:00"):
        expected = datetime.fromisoformat(text).replace(tzinfo=LONDON).timestamp()
        assert local_to_utc(local(text))[0] == expected


def _minute_model(sessions: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """F2-F5a stepped minute by minute: an independent model of the window rules."""
    if not sessions:
        return []
    horizon = max(e for _, e in sessions) + 2
    in_use = np.zeros(horizon + 1, dtype=bool)
    for s, e in sessions:
        in_use[s:e] = True
    out: list[tuple[int, str]] = []
    window_end = -1
    t = 0
    while t < horizon:
        # a renewal needs use running across the window's end (F4); use that merely starts at
        # that instant is a fresh launch (windows are half-open: [start, start + 24 h))
        if t == window_end and in_use[t] and in_use[t - 1]:
            out.append((t, "renewal"))
            window_end = t + 1440
        elif t >= window_end and in_use[t] and (t == 0 or not in_use[t - 1]):
            run = t
            while in_use[run]:
                run += 1
            if run - t < 5:
                out.append((t, "grace"))
                t = run
                continue
            out.append((t, "launch"))
            window_end = t + 1440
        t += 1
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6 * 1440),
            st.one_of(st.integers(1, 8), st.integers(1, 600), st.integers(600, 3000)),
        ),
        max_size=12,
    ),
    st.integers(1, 3),
)
def test_window_tracker_matches_a_minute_model(raw: list[tuple[int, int]], batches: int) -> None:
    sessions = [(s, s + length) for s, length in raw]
    base = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp())
    tracker = WindowTracker()
    # stream in time-ordered batches, the way the generator feeds months; key 1 is a copy
    ordered = sorted(sessions)
    cuts = np.array_split(np.arange(len(ordered)), batches)
    for part in cuts:
        chunk = [ordered[i] for i in part]
        for key in (0, 1):
            tracker.add(
                np.full(len(chunk), key),
                np.array([base + 60 * s for s, _ in chunk], dtype=np.int64),
                np.array([base + 60 * e for _, e in chunk], dtype=np.int64),
                np.zeros(len(chunk), dtype=bool),
            )
    keys, starts, kinds = tracker.finish()
    windows = zip(keys.tolist(), starts.tolist(), kinds.tolist(), strict=True)
    got: dict[int, list[tuple[int, str]]] = {0: [], 1: []}
    for key, start, kind in windows:
        got[key].append(((start - base) // 60, KIND_NAMES[kind]))
    expected = _minute_model(sessions)
    assert got[0] == expected
    assert got[1] == expected


def test_command_line_writes_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from connectors.sample.__main__ import main

    assert main([str(tmp_path), "--people", "15", "--months", "1", "--end", "2026-02-10"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["people"] == 15
    assert report["as_of"] == "2026-02-10T18:00:00+00:00"
    assert report["files"] == len(_manifest(tmp_path)["summary"]["files"])
    assert (tmp_path / "usage" / "sessions_2026-02.csv").is_file()
