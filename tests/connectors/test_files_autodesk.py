"""autodesk/: the export kind from the header, CSV and XLSX, header spellings, PII off."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from connectors.files.autodesk import recognise

TOKEN_USAGE_HEADERS = [
    ("Day used", "Email", "Product", "Feature", "Team", "Tokens used", "hashed_autodesk_id"),
    ("Usage date", "User email", "Product name", "Feature", "Team name", "Tokens consumed",
     "Hashed Autodesk ID"),
    ("usageDate", "Email address", "productName", "feature", "team_name", "Token amount",
     "HASHED-AUTODESK-ID"),
]  # fmt: skip

ASSIGNMENT_HEADERS = [
    ("Email", "First name", "Last name", "Product", "Access option", "Assigned date", "Team"),
    ("User email", "First_Name", "last name", "Product name", "Access type", "Assigned on",
     "Team name"),
    ("Email address", "first-name", "LAST NAME", "product_name", "Assignment type",
     "assigned_date", "team_alias"),
]  # fmt: skip


@pytest.mark.parametrize("header", TOKEN_USAGE_HEADERS)
def test_token_usage_csv_in_each_spelling(landing_write, raw_load, raw_rows, header) -> None:
    landing_write(
        "autodesk/export.csv",
        ",".join(header) + "\n"
        "2026-01-05,alice@example.com,Revit,RVT,Structures,10,h1\n"
        "2026-01-06,bob@example.com,AutoCAD,ACD,,7,h2\n",
    )
    result = raw_load("autodesk")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    rows = raw_rows("autodesk_token_usage")
    assert [
        (r["day_used"], r["email"], r["product"], r["feature"], r["team"], r["tokens_used"],
         r["hashed_autodesk_id"], r["_source_row"])
        for r in rows
    ] == [
        ("2026-01-05", "alice@example.com", "Revit", "RVT", "Structures", "10", "h1", 1),
        ("2026-01-06", "bob@example.com", "AutoCAD", "ACD", None, "7", "h2", 2),
    ]  # fmt: skip
    assert raw_rows("autodesk_assignments") == [] and raw_rows("autodesk_subscriptions") == []


@pytest.mark.parametrize("header", ASSIGNMENT_HEADERS)
def test_assignments_csv_in_each_spelling(landing_write, raw_load, raw_rows, header) -> None:
    landing_write(
        "autodesk/users.csv",
        ";".join(header) + "\n"
        "alice@example.com;Alice;Smith;Revit;Single user;2025-06-01;Structures\n",
    )
    raw_load("autodesk")
    [row] = raw_rows("autodesk_assignments")
    assert (
        row["email"], row["first_name"], row["last_name"], row["product"], row["access_option"],
        row["assigned_on"], row["team"], row["unassigned_on"], row["_source_file"],
    ) == (
        "alice@example.com", "Alice", "Smith", "Revit", "Single user", "2025-06-01",
        "Structures", None, "autodesk/users.csv",
    )  # fmt: skip
    assert raw_rows("autodesk_token_usage") == []


def test_subscriptions_csv(landing_write, raw_load, raw_rows) -> None:
    landing_write(
        "autodesk/subs.csv",
        "team_alias,subscription_id,offering_name,seat_quantity,start_date,end_date,term,"
        "contract_number,subscription_status\n"
        "ACME,5500012,AEC Collection,25,2025-04-01,2026-03-31,Annual,110001,Active\n",
    )
    raw_load("autodesk")
    [row] = raw_rows("autodesk_subscriptions")
    assert row == {
        "subscription_id": "5500012",
        "offering_name": "AEC Collection",
        "seat_quantity": "25",
        "start_date": "2025-04-01",
        "end_date": "2026-03-31",
        "term": "Annual",
        "contract_number": "110001",
        "_source_file": "autodesk/subs.csv",
        "_source_row": 1,
    }


def test_pii_off_rows_load_as_they_are(landing_write, raw_load, raw_rows) -> None:
    landing_write(
        "autodesk/users-pii-off.csv",
        "Email,First name,Last name,Product,Access option,hashed_autodesk_id\n"
        "*****,*****,*****,Revit,Named user,ff75a4999120ea60d710fa9dbd221b352707a753\n"
        "*****,*****,*****,AutoCAD,Flex,0a1b2c\n",
    )
    result = raw_load("autodesk")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    assert [
        (r["email"], r["first_name"], r["last_name"], r["product"], r["hashed_autodesk_id"])
        for r in raw_rows("autodesk_assignments")
    ] == [
        ("*****", "*****", "*****", "Revit", "ff75a4999120ea60d710fa9dbd221b352707a753"),
        ("*****", "*****", "*****", "AutoCAD", "0a1b2c"),
    ]


def test_unrecognised_header_quarantines_every_row(
    raw_quarantine, landing_write, raw_load, raw_rows
) -> None:
    landing_write("autodesk/report.csv", "Name;Value\nfoo;1\nbar;2;3\n")
    result = raw_load("autodesk")
    assert (result.rows_loaded, result.rows_quarantined) == (0, 2)
    assert raw_quarantine() == [
        ("bad_value", "Name;Value", "foo;1", 1),
        ("unparseable_line", "bar;2;3", "bar;2;3", 2),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        (["Day used", "Email", "Product", "Tokens used"], "autodesk_token_usage"),
        (["subscription_id", "offering_name", "seat_quantity"], "autodesk_subscriptions"),
        (["hashed_autodesk_id", "Product"], "autodesk_assignments"),
        (["email", "product_name", "offering_name", "role", "team_alias"], "autodesk_assignments"),
        # a seat usage export (days used, no tokens) is none of the three kinds
        (["day_used", "email", "product_name", "access_option", "version"], None),
        (["Email", "First name"], None),
    ],
)
def test_recognise(header: list[str], kind: str | None) -> None:
    found = recognise(header)
    assert (found[0].table if found else None) == kind


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def test_xlsx_sheets_of_each_kind(landing_dir: Path, raw_load, raw_rows) -> None:
    _workbook(
        landing_dir / "autodesk" / "export.xlsx",
        {
            "Token usage": [
                ["Token usage report"],  # a title row above the header
                [],
                ["Day used", "Email", "Product", "Tokens used", "Team"],
                [datetime(2026, 1, 5), "alice@example.com", "Revit", 10, "Structures"],
                [datetime(2026, 1, 6), "bob@example.com", "AutoCAD", 7.5, None],
                [None, None, None, None, None],
                [datetime(2026, 1, 7), "carol@example.com", "Civil 3D", 12, None, "surplus"],
            ],
            "Users": [
                ["Email", "Product", "Access option", "Assigned date", "Last accessed"],
                ["alice@example.com", "Revit", "Flex", datetime(2025, 6, 1),
                 datetime(2026, 1, 5, 8, 30)],
            ],
            "Subscriptions": [
                ["Subscription ID", "Offering name", "Seat quantity", "Term"],
                [5500012, "AEC Collection", 25, "Annual"],
            ],
            "Summary": [["Total tokens", 17]],
        },
    )  # fmt: skip
    result = raw_load("autodesk")
    assert (result.rows_loaded, result.rows_quarantined) == (4, 1)
    usage = raw_rows("autodesk_token_usage")
    got = [
        (r["day_used"], r["email"], r["tokens_used"], r["team"], r["_source_row"]) for r in usage
    ]
    assert got == [
        ("2026-01-05", "alice@example.com", "10", "Structures", 1),
        ("2026-01-06", "bob@example.com", "7.5", None, 2),
    ]
    [seat] = raw_rows("autodesk_assignments")
    assert (seat["access_option"], seat["assigned_on"], seat["last_accessed"]) == (
        "Flex",
        "2025-06-01",
        "2026-01-05T08:30:00",
    )
    [sub] = raw_rows("autodesk_subscriptions")
    assert (sub["subscription_id"], sub["seat_quantity"], sub["term"]) == (
        "5500012",
        "25",
        "Annual",
    )
    # the surplus cell is a broken row; the one-row "Summary" sheet has no data rows
    [q] = raw_rows("quarantine")
    assert (q["reason"], q["value"], q["_source_row"]) == (
        "unparseable_line",
        "2026-01-07,carol@example.com,Civil 3D,12,,surplus",
        4,
    )


def test_xlsx_unrecognised_sheet_quarantines_every_row(
    raw_quarantine, landing_dir: Path, raw_load, raw_rows
) -> None:
    _workbook(
        landing_dir / "autodesk" / "other.xlsx",
        {"Sheet1": [["Name", "Value"], ["a", 1], [None, None], ["b", "x,y"]]},
    )
    result = raw_load("autodesk")
    assert (result.rows_loaded, result.rows_quarantined) == (0, 2)
    assert raw_quarantine() == [
        ("bad_value", "Name,Value", "a,1", 1),
        ("bad_value", "Name,Value", 'b,"x,y"', 3),
    ]  # fmt: skip


def test_corrupt_xlsx_is_one_quarantine_row(landing_write, raw_load, raw_rows) -> None:
    landing_write("autodesk/broken.xlsx", b"PK\x03\x04 not really a zip")
    result = raw_load("autodesk")
    assert (result.files_loaded, result.rows_loaded, result.rows_quarantined) == (1, 0, 1)
    [q] = raw_rows("quarantine")
    assert (q["source"], q["reason"], q["_source_row"]) == ("autodesk", "bad_value", 0)
    assert q["value"].startswith("not a readable .xlsx workbook: BadZipFile")


def test_excel_lock_files_and_hidden_files_are_ignored(landing_write, raw_load) -> None:
    landing_write("autodesk/~$export.xlsx", b"lock")
    landing_write("autodesk/.partial.csv", "Day used,Tokens used\n")
    landing_write("autodesk/notes.txt", "hello")
    assert raw_load("autodesk").files_seen == 0
