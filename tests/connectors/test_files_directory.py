"""directory/: Active Directory CSV (through the column map) and Graph JSON pages."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest

from connectors.files.directory import ad_synonyms

AD_EXPORT = (
    '"SamAccountName","UserPrincipalName","EmailAddress","mail","DisplayName","GivenName",'
    '"Surname","Department","Country","co","Office","Title","Manager","Enabled","whenCreated",'
    '"LastLogonDate","AccountExpirationDate"\r\n'
    '"asmith","asmith@corp.example","alice.smith@example.com","","Alice Smith","Alice","Smith",'
    '"Structures","GB","","London","Engineer","CN=Bob,OU=Staff","True","01/02/2020 09:00:00",'
    '"05/01/2026 08:10:00",""\r\n'
    '"bjones","bjones@corp.example","","b.jones@example.com","Bob Jones","Bob","Jones",'
    '"Civil","","Ireland","Dublin","Lead","","False","03/04/2021 10:00:00","",'
    '"31/12/2025 00:00:00"\r\n'
)


def test_active_directory_csv_with_default_map(landing_write, raw_load, raw_rows) -> None:
    landing_write("directory/ad-users-2026-01-15.csv", AD_EXPORT)
    result = raw_load("directory")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    alice, bob = raw_rows("directory_people")
    assert alice == {
        "snapshot_date": "2026-01-15",
        "directory_kind": "active_directory",
        "object_id": None,
        "sam_account": "asmith",
        "upn": "asmith@corp.example",
        "email": "alice.smith@example.com",
        "display_name": "Alice Smith",
        "given_name": "Alice",
        "surname": "Smith",
        "department": "Structures",
        "country": "GB",
        "office": "London",
        "title": "Engineer",
        "manager": "CN=Bob,OU=Staff",
        "enabled": "True",
        "created_at": "01/02/2020 09:00:00",
        "last_logon_at": "05/01/2026 08:10:00",
        "account_expires_at": None,
        "leave_at": None,
        "_source_file": "directory/ad-users-2026-01-15.csv",
        "_source_row": 1,
    }
    # EmailAddress empty -> mail; Country empty -> co
    assert (bob["email"], bob["country"], bob["enabled"]) == (
        "b.jones@example.com",
        "Ireland",
        "False",
    )
    assert (bob["account_expires_at"], bob["_source_row"]) == ("31/12/2025 00:00:00", 2)


def test_snapshot_date_column_wins_and_empty_falls_back(landing_write, raw_load, raw_rows) -> None:
    landing_write(
        "directory/export 2026-02-01.csv",
        "sAMAccountName;snapshot_date;c\nx;2026-01-31;FR\ny;;DE\n",
    )
    raw_load("directory")
    rows = raw_rows("directory_people")
    assert [(r["sam_account"], r["snapshot_date"], r["country"]) for r in rows] == [
        ("x", "2026-01-31", "FR"),
        ("y", "2026-02-01", "DE"),
    ]


def test_snapshot_date_from_modification_time(landing_write, raw_load, raw_rows) -> None:
    path = landing_write("directory/users.csv", "SamAccountName\nx\n")
    mtime = datetime(2026, 3, 9, 23, 30, tzinfo=UTC).timestamp()
    os.utime(path, (mtime, mtime))
    raw_load("directory")
    assert raw_rows("directory_people")[0]["snapshot_date"] == "2026-03-09"


def test_invalid_date_in_name_is_not_a_snapshot_date(landing_write, raw_load, raw_rows) -> None:
    path = landing_write("directory/users-2026-13-45.csv", "SamAccountName\nx\n")
    mtime = datetime(2026, 3, 9, 12, 0, tzinfo=UTC).timestamp()
    os.utime(path, (mtime, mtime))
    raw_load("directory")
    assert raw_rows("directory_people")[0]["snapshot_date"] == "2026-03-09"


def test_column_map_override(landing_write, raw_load, raw_rows) -> None:
    landing_write(
        "directory/hr-2026-01-01.csv",
        "Kennung,E-Mail,mail,Abteilung,Department\nk1,k1@example.de,old@example.de,Bau,ignored\n",
    )
    raw_load(
        "directory",
        ad_column_map={
            "Kennung": "sam_account",
            "E-Mail": "email",
            "Abteilung": "department",
            "Department": None,  # switch a default off
        },
    )
    [row] = raw_rows("directory_people")
    assert (row["sam_account"], row["email"], row["department"]) == ("k1", "k1@example.de", "Bau")


def test_column_map_override_takes_priority_over_default_for_the_same_column() -> None:
    assert ad_synonyms({"Courriel": "email"})["email"] == ["Courriel", "EmailAddress", "mail"]


def test_column_map_with_an_unknown_column_is_an_error(raw_load) -> None:
    with pytest.raises(ValueError, match=r"unknown column\(s\) e_mail; expected one of"):
        raw_load("directory", ad_column_map={"E-Mail": "e_mail"})


def test_csv_without_identity_column_quarantines_every_row(
    landing_write, raw_load, raw_rows
) -> None:
    landing_write("directory/a.csv", "DisplayName,Department\nAlice,Civil\n")
    result = raw_load("directory")
    assert (result.rows_loaded, result.rows_quarantined) == (0, 1)
    [q] = raw_rows("quarantine")
    assert (q["reason"], q["value"], q["record"], q["_source_row"]) == (
        "missing_required",
        "SamAccountName, UserPrincipalName, EmailAddress, mail",
        "Alice,Civil",
        1,
    )


GRAPH_PAGE = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
    "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=abc",
    "value": [
        {
            "id": "7f1c-11",
            "userPrincipalName": "asmith@corp.example",
            "mail": "alice.smith@example.com",
            "displayName": "Alice Smith",
            "givenName": "Alice",
            "surname": "Smith",
            "department": "Structures",
            "country": "United Kingdom",
            "officeLocation": "London",
            "jobTitle": "Engineer",
            "accountEnabled": True,
            "createdDateTime": "2020-02-01T09:00:00Z",
            "employeeLeaveDateTime": None,
            "onPremisesSamAccountName": "asmith",
            "signInActivity": {"lastSignInDateTime": "2026-01-14T07:59:00Z"},
        },
        "not a user",
        {
            "id": "7f1c-12",
            "userPrincipalName": "bjones@corp.example",
            "mail": None,
            "accountEnabled": False,
            "employeeLeaveDateTime": "2026-01-31T17:00:00Z",
            "manager": {"id": "7f1c-11", "userPrincipalName": "asmith@corp.example"},
        },
    ],
}


def test_graph_users_page(landing_write, raw_load, raw_rows) -> None:
    landing_write("directory/graph/users-2026-01-15-page1.json", json.dumps(GRAPH_PAGE))
    result = raw_load("directory")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    alice, bob = raw_rows("directory_people")
    assert alice == {
        "snapshot_date": "2026-01-15",
        "directory_kind": "graph",
        "object_id": "7f1c-11",
        "sam_account": "asmith",
        "upn": "asmith@corp.example",
        "email": "alice.smith@example.com",
        "display_name": "Alice Smith",
        "given_name": "Alice",
        "surname": "Smith",
        "department": "Structures",
        "country": "United Kingdom",
        "office": "London",
        "title": "Engineer",
        "manager": None,
        "enabled": "true",
        "created_at": "2020-02-01T09:00:00Z",
        "last_logon_at": "2026-01-14T07:59:00Z",
        "account_expires_at": None,
        "leave_at": None,
        "_source_file": "directory/graph/users-2026-01-15-page1.json",
        "_source_row": 1,
    }
    assert (bob["object_id"], bob["email"], bob["enabled"], bob["leave_at"], bob["manager"]) == (
        "7f1c-12",
        None,
        "false",
        "2026-01-31T17:00:00Z",
        "asmith@corp.example",
    )
    assert bob["_source_row"] == 3
    [q] = raw_rows("quarantine")
    assert (q["reason"], q["value"], q["_source_row"]) == ("bad_value", '"not a user"', 2)


def test_graph_bare_array_with_bom(landing_write, raw_load, raw_rows) -> None:
    landing_write(
        "directory/users-2026-01-15.json",
        "\ufeff" + json.dumps([{"id": "1", "userPrincipalName": "a@x"}]),
    )
    raw_load("directory")
    assert [(r["object_id"], r["upn"]) for r in raw_rows("directory_people")] == [("1", "a@x")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"value": [', "not a JSON file: "),
        ('{"users": []}', 'not a Microsoft Graph users page: no "value" array'),
    ],
)
def test_unusable_json_is_one_quarantine_row(
    landing_write, raw_load, raw_rows, content: str, message: str
) -> None:
    landing_write("directory/users.json", content)
    result = raw_load("directory")
    assert (result.files_loaded, result.rows_quarantined) == (1, 1)
    [q] = raw_rows("quarantine")
    assert (q["reason"], q["_source_row"], q["record"]) == ("bad_value", 0, None)
    assert q["value"].startswith(message)
