"""Files for BI tools: CSV safe for spreadsheets, BOM option, checksums, pseudonymised mode."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.defs.export.exports import write_export
from orchestration.defs.export.pseudonymise import (
    PII_KEY_ENV,
    PseudonymisationError,
    Pseudonymiser,
    is_pii_column,
    pseudonymiser_for,
)

AS_OF = "2026-10-31T18:00:00+00:00"
KEY = b"0123456789abcdef-test-key"

# (value in the mart, cell in the CSV)
INJECTIONS = [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("a=b", "a=b"),
    ("Zoë Ærø", "Zoë Ærø"),
    ("", ""),
]


def _injection_warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema marts")
    con.execute("create table marts.cells (n integer, label varchar, amount integer, seen_on date)")
    for n, (value, _) in enumerate(INJECTIONS):
        con.execute(
            "insert into marts.cells values (?, ?, ?, date '2026-10-31')", [n, value, -5 - n]
        )
    con.execute("insert into marts.cells values (99, null, null, null)")
    return con


def _csv_rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_cells_that_a_spreadsheet_would_evaluate_are_neutralised(tmp_path: Path) -> None:
    con = _injection_warehouse(tmp_path)
    result = write_export(con, tmp_path / "exports", run_id="abcdef12-run", as_of=AS_OF)
    rows = _csv_rows(result.latest / "cells.csv")
    by_n = {int(row["n"]): row for row in rows}
    for n, (_, cell) in enumerate(INJECTIONS):
        assert by_n[n]["label"] == cell
        # numbers stay numbers: a negative amount is not a formula
        assert by_n[n]["amount"] == str(-5 - n)
        assert by_n[n]["seen_on"] == "2026-10-31"
    assert by_n[99] == {"n": "99", "label": "", "amount": "", "seen_on": ""}
    raw = (result.latest / "cells.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    # no line of the file starts a cell with a formula character outside quotes
    for line in raw.decode("utf-8").split("\n"):
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@")), line
    # Parquet keeps the values exactly
    labels = pd.read_parquet(result.latest / "cells.parquet").set_index("n")["label"]
    assert [labels[n] for n in range(len(INJECTIONS))] == [value for value, _ in INJECTIONS]


def test_utf8_bom_for_excel_when_asked(tmp_path: Path) -> None:
    con = _injection_warehouse(tmp_path)
    result = write_export(
        con, tmp_path / "exports", run_id="abcdef12-run", as_of=AS_OF, csv_bom=True
    )
    raw = (result.latest / "cells.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfn,label,amount,seen_on\n")
    assert raw.count(b"\xef\xbb\xbf") == 1
    rows = _csv_rows(result.latest / "cells.csv", encoding="utf-8-sig")
    assert rows[7]["label"] == "Zoë Ærø"
    assert json.loads((result.latest / "manifest.json").read_text())["csv"] == {
        "utf8_bom": True,
        "formula_cells_neutralised": True,
    }
    assert not list(result.run_folder.glob("*.nobom"))


def test_manifest_checksums_match_the_files_and_carry_the_checks(tmp_path: Path) -> None:
    con = _injection_warehouse(tmp_path)
    con.execute("create table marts.other as select 1 as x")
    checks = [
        {"asset": "cells", "check": "keys", "checked_by": "gx", "blocking": True,
         "outcome": "passed", "failing_rows": None},
        {"asset": "cells", "check": "row_volume", "checked_by": "gx", "blocking": False,
         "outcome": "warned", "failing_rows": None},
    ]  # fmt: skip
    result = write_export(
        con, tmp_path / "exports", run_id="abcdef12-run", as_of=AS_OF, checks=checks
    )
    manifest = json.loads((result.latest / "manifest.json").read_text())
    files = sorted(p.name for p in result.latest.iterdir() if p.name != "manifest.json")
    assert (
        sorted(manifest["sha256"])
        == files
        == [
            "cells.csv",
            "cells.parquet",
            "other.csv",
            "other.parquet",
        ]
    )
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256((result.latest / name).read_bytes()).hexdigest() == digest
    assert manifest["checks"] == checks
    assert manifest["row_counts"] == {"cells": len(INJECTIONS) + 1, "other": 1}
    assert (manifest["pii_mode"], manifest["pii_key_id"]) == ("plain", None)


# --- pseudonymised mode -----------------------------------------------------------------


def _people_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("set TimeZone = 'UTC'")
    con.execute("create schema if not exists marts")
    con.execute(
        """
        create or replace table marts.dim_users as select * from (values
            ('m.moss@acme.example', 'm.moss@acme.example', 'mmoss', 'Maurice Moss', 'IT', 'active'),
            ('acme\\rtrenneman', null, 'rtrenneman', null, null, 'active'),
            ('9f2c1a77', null, null, null, 'Sales', 'left')
        ) t(user_key, email, sam_account, display_name, department, status)
        """
    )
    con.execute(
        """
        create or replace table marts.fct_sessions as select * from (values
            ('s1', 'm.moss@acme.example', 'acme\\mmoss', 'LON-WS-0001', 'Revit', 3600),
            ('s2', 'acme\\rtrenneman', 'acme\\rtrenneman', 'LON-WS-0002', 'AutoCAD', 60)
        ) t(session_id, user_key, login, host, product, duration_seconds)
        """
    )
    con.execute(
        """
        create or replace table marts.rpt_data_quality as select * from (values
            ('quarantine', 'usage', 'unparseable_line',
             '''s9,ACME\\mmoss,LON-WS-0001,Revit 2025'' at usage/s.csv row 7'),
            ('check', 'dim_users', 'keys', 'user_key: 2 rows (e.g. ''M.Moss@ACME.example'')')
        ) t(kind, source, reason_or_check, example)
        """
    )
    return con


PLAIN_VALUES = [
    "m.moss@acme.example",
    "M.Moss@ACME.example",
    "Maurice Moss",
    "mmoss",
    "rtrenneman",
    "acme\\mmoss",
]


def test_pseudonymised_exports_hold_no_plain_identity(tmp_path: Path) -> None:
    con = _people_warehouse(tmp_path / "w.duckdb")
    pseudonymiser = Pseudonymiser(KEY)
    result = write_export(
        con, tmp_path / "exports", run_id="abcdef12-run", as_of=AS_OF, pseudonymiser=pseudonymiser
    )
    for path in result.run_folder.iterdir():
        text = path.read_bytes()
        for value in PLAIN_VALUES:
            assert value.encode() not in text, (path.name, value)
    users = pd.read_parquet(result.latest / "dim_users.parquet")
    moss = pseudonymiser.pseudonym("m.moss@acme.example")
    assert moss is not None and moss.startswith("p_") and len(moss) == 22
    assert users["user_key"].tolist() == [
        moss,
        pseudonymiser.pseudonym("acme\\rtrenneman"),
        pseudonymiser.pseudonym("9f2c1a77"),
    ]
    # the e-mail and the key of one person get one pseudonym: joins keep working
    assert users["email"].tolist()[0] == moss
    assert users["display_name"].tolist()[0] == pseudonymiser.pseudonym("Maurice Moss")
    # what is not personal stays readable
    assert users["department"].fillna("-").tolist() == ["IT", "-", "Sales"]
    assert users["status"].tolist() == ["active", "active", "left"]
    sessions = pd.read_parquet(result.latest / "fct_sessions.parquet")
    assert set(sessions["user_key"]) <= set(users["user_key"])
    assert sessions["host"].tolist() == ["LON-WS-0001", "LON-WS-0002"]
    assert sessions["duration_seconds"].tolist() == [3600, 60]
    # logins and e-mails inside free text are replaced by the same pseudonyms
    examples = pd.read_parquet(result.latest / "rpt_data_quality.parquet")["example"].tolist()
    mmoss = pseudonymiser.pseudonym("acme\\mmoss")
    assert examples == [
        f"'s9,{mmoss},LON-WS-0001,Revit 2025' at usage/s.csv row 7",
        f"user_key: 2 rows (e.g. '{moss}')",
    ]
    csv_users = _csv_rows(result.latest / "dim_users.csv")
    assert [row["user_key"] for row in csv_users] == users["user_key"].tolist()
    manifest = json.loads((result.latest / "manifest.json").read_text())
    assert manifest["pii_mode"] == "pseudonymised"
    assert manifest["pii_key_id"] == pseudonymiser.key_id
    assert KEY.decode() not in json.dumps(manifest)


def test_pseudonyms_are_stable_across_runs_and_differ_with_another_key(tmp_path: Path) -> None:
    def export(run: str, key: bytes) -> list[str]:
        con = _people_warehouse(tmp_path / f"{run}.duckdb")
        result = write_export(
            con,
            tmp_path / "exports",
            run_id=f"{run}-run",
            as_of=AS_OF,
            pseudonymiser=Pseudonymiser(key),
        )
        con.close()
        return pd.read_parquet(result.run_folder / "dim_users.parquet")["user_key"].tolist()

    first = export("aaaaaaa1", KEY)
    second = export("aaaaaaa2", KEY)
    other = export("aaaaaaa3", b"another-key-of-enough-length")
    assert first == second
    assert set(first).isdisjoint(other)
    assert Pseudonymiser(KEY).key_id != Pseudonymiser(b"another-key-of-enough-length").key_id


def test_the_key_comes_from_the_environment_and_must_be_long_enough() -> None:
    assert pseudonymiser_for("plain", {PII_KEY_ENV: "whatever"}) is None
    with pytest.raises(PseudonymisationError, match=f"{PII_KEY_ENV} is not set"):
        pseudonymiser_for("pseudonymised", {})
    with pytest.raises(PseudonymisationError, match="too short: use at least 16 characters"):
        pseudonymiser_for("pseudonymised", {PII_KEY_ENV: "short-key"})
    made = pseudonymiser_for("pseudonymised", {PII_KEY_ENV: KEY.decode()})
    assert made is not None and made.pseudonym("A@B.example ") == made.pseudonym("a@b.example")
    assert KEY.decode() not in repr(made)
    assert made.pseudonym(None) is None


@pytest.mark.parametrize(
    ("column", "personal"),
    [
        ("user_key", True),
        ("from_user_key", True),
        ("email", True),
        ("manager_email", True),
        ("login", True),
        ("sam_account", True),
        ("display_name", True),
        ("hashed_autodesk_id", True),
        ("product", False),
        ("department", False),
        ("host", False),
        ("is_identity_resolved", False),
        ("last_login_at", False),
    ],
)
def test_personal_columns_are_found_by_name(column: str, personal: bool) -> None:
    assert is_pii_column(column) is personal


def test_csv_of_a_pseudonymised_export_is_neutralised_too(tmp_path: Path) -> None:
    con = _people_warehouse(tmp_path / "w.duckdb")
    con.execute("update marts.dim_users set department = '=cmd()' where department = 'IT'")
    result = write_export(
        con,
        tmp_path / "exports",
        run_id="abcdef12-run",
        as_of=AS_OF,
        pseudonymiser=Pseudonymiser(KEY),
    )
    rows = _csv_rows(result.latest / "dim_users.csv")
    assert rows[0]["department"] == "'=cmd()"
