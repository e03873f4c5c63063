"""flexlm/ landing files through the loader: raw rows, server names, lineage, quarantine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from connectors.files.flexlm import TABLES, read_file, server_hint
from connectors.load import SOURCE_TABLES, load_source

ACD = "87545ACD_2022_0F"
LOG = f"""\
 9:07:13 (lmgrd) FlexNet Licensing (v11.16.2.0 build 242433 x64_n6) started on LICSRV01 (IBM PC) (3/2/2026)
 9:30:00 (adskflex) OUT: "{ACD}" jsmith@PC-042  
10:05:00 (adskflex) DENIED: "{ACD}" amoss@PC-010  (Licensed number of users already reached. (-4,342))
11:00:00 (adskflex) IN: "{ACD}" jsmith@PC-042  
12:00:00 (adskflex) OUT: "64300ACD_T_F" bjones@PC-077  (2 licenses)
garbage
"""  # noqa: E501, W291
LICENCE = f"""\
SERVER LICSRV01 0050569A1B2C 27000
VENDOR adskflex port=2080
INCREMENT {ACD} adskflex 1.000 permanent 4 VENDOR_STRING=commercial:permanent \\
\tSUPERSEDE DUP_GROUP=UH SIGN="1F2E"
INCREMENT 64300ACD_T_F adskflex 1.000 31-dec-2026 3 SIGN="00"
"""


def test_flexlm_is_a_source_with_three_tables() -> None:
    assert (
        SOURCE_TABLES["flexlm"] == TABLES == ("flexlm_sessions", "flexlm_events", "flexlm_licences")
    )


def test_a_log_in_a_server_folder_loads_sessions_events_and_quarantine(
    raw_load, landing_write, raw_rows: Callable[..., list[dict[str, Any]]], raw_quarantine
) -> None:
    landing_write("flexlm/srv-a/debug.log", LOG)
    result = raw_load("flexlm")
    assert (result.files_loaded, result.rows_loaded, result.rows_quarantined) == (1, 4, 1)
    sessions = raw_rows("flexlm_sessions")
    assert [
        (
            r["server"],
            r["feature"],
            r["feature_suffix"],
            r["feature_version"],
            r["user_name"],
            r["licenses"],
            r["out_at"],
            r["in_at"],
            r["opened_by"],
            r["closed_by"],
            r["out_row"],
            r["in_row"],
            r["_source_file"],
            r["_source_row"],
        )
        for r in sessions
    ] == [
        # the sub-folder names the server, not the start line
        ("srv-a", ACD, "ACD", "2022", "jsmith", "1", "2026-03-02T09:30:00",
         "2026-03-02T11:00:00", "out", "in", "2", "4", "flexlm/srv-a/debug.log", 2),
        ("srv-a", "64300ACD_T_F", "ACD", None, "bjones", "2", "2026-03-02T12:00:00",
         "2026-03-02T12:00:00", "out", "end_of_log", "5", None, "flexlm/srv-a/debug.log", 5),
    ]  # fmt: skip
    events = raw_rows("flexlm_events")
    assert [(r["event"], r["event_at"], r["user_name"], r["_source_row"]) for r in events] == [
        ("server_start", "2026-03-02T09:07:13", None, 1),
        ("denied", "2026-03-02T10:05:00", "amoss", 3),
    ]
    assert events[1]["detail"] == "Licensed number of users already reached. (-4,342)"
    assert raw_quarantine() == [("unparseable_line", "garbage", "garbage", 6)]
    # loading again changes nothing
    assert raw_load("flexlm").files_unchanged == 1
    assert len(raw_rows("flexlm_sessions")) == 2


def test_a_licence_file_loads_its_counted_features(raw_load, landing_write, raw_rows) -> None:
    landing_write("flexlm/license.lic", LICENCE)
    landing_write("flexlm/old_license.txt", LICENCE.replace(" 4 ", " 1 "))
    result = raw_load("flexlm")
    assert (result.files_loaded, result.rows_loaded, result.rows_quarantined) == (2, 4, 0)
    rows = raw_rows("flexlm_licences")
    assert [
        (r["_source_file"], r["server"], r["feature"], r["feature_suffix"], r["licenses"])
        for r in rows
    ] == [
        ("flexlm/license.lic", "LICSRV01", ACD, "ACD", "4"),
        ("flexlm/license.lic", "LICSRV01", "64300ACD_T_F", "ACD", "3"),
        ("flexlm/old_license.txt", "LICSRV01", ACD, "ACD", "1"),
        ("flexlm/old_license.txt", "LICSRV01", "64300ACD_T_F", "ACD", "3"),
    ]
    assert [r["_source_row"] for r in rows] == [3, 5, 3, 5]


def test_server_names_from_start_line_else_file_name(tmp_path: Path) -> None:
    root = tmp_path / "flexlm"
    root.mkdir()
    named = root / "LICSRV09.log"
    named.write_text(LOG, encoding="utf-8")
    anonymous = root / "srv7_2026-03-02.log"
    anonymous.write_text(f' 9:30:00 (adskflex) OUT: "{ACD}" a@PC-1\n', encoding="utf-8")
    assert server_hint(named) is None and server_hint(root / "x" / "a.log") == "x"
    chunks = {c.table: c.data.to_pylist() for c in read_file(named) if c.data is not None}
    assert {r["server"] for r in chunks["flexlm_sessions"]} == {"LICSRV01"}
    chunks = {c.table: c.data.to_pylist() for c in read_file(anonymous) if c.data is not None}
    # no start line: the server is the file name up to "_"; the date comes from the file name
    assert [(r["server"], r["out_at"]) for r in chunks["flexlm_sessions"]] == [
        ("srv7", "2026-03-02T09:30:00")
    ]


def test_other_suffixes_are_not_read(raw_con, landing_dir: Path, landing_write) -> None:
    landing_write("flexlm/srv/debug.log.1", LOG)
    landing_write("flexlm/srv/notes.csv", "a,b\n")
    result = load_source(raw_con, landing_dir, "flexlm")
    assert (result.files_seen, result.rows_loaded) == (0, 0)
