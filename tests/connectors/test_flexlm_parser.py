"""The FlexNet debug log parser (connectors.flexlm): every line shape, dates, sessions, rejects.

Each test feeds a hand-written log (as the server writes it) and checks the sessions, events and
rejected lines that come out, with their times and line numbers.
"""

from __future__ import annotations

from datetime import date

import pytest

from connectors.flexlm import (
    LogSession,
    file_name_date,
    looks_like_licence,
    parse_licence,
    parse_log,
    split_feature,
)

ACD = "87393ACD_2021_0F"


def _lines(text: str) -> list[str]:
    return text.strip("\n").split("\n")


def _brief(sessions: list[LogSession]) -> list[tuple]:
    return [
        (s.user, s.out_at, s.in_at, s.opened_by, s.closed_by, s.out_line, s.in_line)
        for s in sessions
    ]


START = (
    " 9:07:13 (lmgrd) FlexNet Licensing (v11.16.2.0 build 242433 x64_n6) started on "
    "LICSRV01 (IBM PC) (3/2/2026)"
)


def test_out_in_pairs_denied_unsupported_and_licence_counts() -> None:
    log = f"""
{START}
 9:07:14 (lmgrd) Started adskflex (internet tcp_port 2080 pid 4512)
 9:07:14 (adskflex) Server started on LICSRV01 for:\t{ACD}
 9:07:14 (adskflex) EXTERNAL FILTERS are OFF
 9:30:00 (adskflex) OUT: "{ACD}" jsmith@PC-042  
10:00:00 (adskflex) OUT: "{ACD}" bjones@PC-077  (2 licenses)
10:05:00 (adskflex) DENIED: "{ACD}" amoss@PC-010  (Licensed number of users already reached. (-4,342))
10:05:00 (adskflex) UNSUPPORTED: "64300ACD_F" amoss@PC-010  (License server system does not support this feature. (-18,327))
11:00:00 (adskflex) IN: "{ACD}" jsmith@PC-042  
12:00:00 (adskflex) IN: "{ACD}" bjones@PC-077  (INACTIVE)
"""  # noqa: E501, W291
    parsed = parse_log(_lines(log))
    assert parsed.server == "LICSRV01"
    assert parsed.rejects == []
    assert [(s.user, s.host, s.licenses, s.in_reason) for s in parsed.sessions] == [
        ("jsmith", "PC-042", 1, None),
        ("bjones", "PC-077", 2, "INACTIVE"),
    ]
    assert _brief(parsed.sessions) == [
        ("jsmith", "2026-03-02T09:30:00", "2026-03-02T11:00:00", "out", "in", 5, 9),
        ("bjones", "2026-03-02T10:00:00", "2026-03-02T12:00:00", "out", "in", 6, 10),
    ]
    assert [(e.event, e.line, e.at, e.feature, e.user, e.detail) for e in parsed.events] == [
        ("server_start", 1, "2026-03-02T09:07:13", None, None, START.split("(lmgrd) ")[1]),
        (
            "denied",
            7,
            "2026-03-02T10:05:00",
            ACD,
            "amoss",
            "Licensed number of users already reached. (-4,342)",
        ),
        (
            "unsupported",
            8,
            "2026-03-02T10:05:00",
            "64300ACD_F",
            "amoss",
            "License server system does not support this feature. (-18,327)",
        ),
    ]
    assert (parsed.first_at, parsed.last_at) == ("2026-03-02T09:07:13", "2026-03-02T12:00:00")


def test_timestamp_lines_and_the_midnight_roll_over_date_every_line() -> None:
    log = f"""
22:00:00 (lmgrd) TIMESTAMP 3/2/2026
23:30:00 (adskflex) OUT: "{ACD}" night@PC-1
 0:30:00 (adskflex) IN: "{ACD}" night@PC-1
 4:00:00 (lmgrd) TIMESTAMP 3/3/2026
23:50:00 (adskflex) OUT: "{ACD}" late@PC-2
 0:10:00 (adskflex) OUT: "{ACD}" later@PC-3
 8:00:00 (adskflex) IN: "{ACD}" late@PC-2
 8:00:00 (adskflex) IN: "{ACD}" later@PC-3
"""
    parsed = parse_log(_lines(log))
    assert _brief(parsed.sessions) == [
        ("night", "2026-03-02T23:30:00", "2026-03-03T00:30:00", "out", "in", 2, 3),
        ("late", "2026-03-03T23:50:00", "2026-03-04T08:00:00", "out", "in", 5, 7),
        ("later", "2026-03-04T00:10:00", "2026-03-04T08:00:00", "out", "in", 6, 8),
    ]


def test_a_step_back_of_an_hour_is_a_clock_change_not_a_new_day() -> None:
    # 25 October 2026: the clocks go back from 02:00 to 01:00 (the log repeats the hour)
    log = f"""
 0:10:00 (lmgrd) TIMESTAMP 10/25/2026
 1:40:00 (adskflex) OUT: "{ACD}" a@PC-1
 1:05:00 (adskflex) IN: "{ACD}" a@PC-1
 1:50:00 (adskflex) OUT: "{ACD}" b@PC-2
 0:20:00 (adskflex) IN: "{ACD}" b@PC-2
"""
    parsed = parse_log(_lines(log))
    assert [(s.user, s.out_at, s.in_at) for s in parsed.sessions] == [
        ("a", "2026-10-25T01:40:00", "2026-10-25T01:05:00"),  # staging rejects end < start
        ("b", "2026-10-25T01:50:00", "2026-10-26T00:20:00"),  # back 90 minutes: next day
    ]


def test_lines_before_the_first_date_are_dated_backwards_from_it() -> None:
    # a rotated file: it starts mid-log, before midnight, without any date line
    log = f"""
22:15:00 (adskflex) OUT: "{ACD}" a@PC-1
23:59:59 (adskflex) OUT: "{ACD}" b@PC-2
 0:30:00 (adskflex) IN: "{ACD}" a@PC-1
 3:47:13 (lmgrd) TIMESTAMP 3/3/2026
 9:00:00 (adskflex) IN: "{ACD}" b@PC-2
"""
    parsed = parse_log(_lines(log))
    assert _brief(parsed.sessions) == [
        ("a", "2026-03-02T22:15:00", "2026-03-03T00:30:00", "out", "in", 1, 3),
        ("b", "2026-03-02T23:59:59", "2026-03-03T09:00:00", "out", "in", 2, 5),
    ]
    assert parsed.first_at == "2026-03-02T22:15:00"


def test_date_stamped_lines_carry_their_own_date_and_offset() -> None:
    log = f"""
2026-03-02T09:00:00+01:00 (adskflex) OUT: "{ACD}" a@PC-1
2026-03-02 17:00:00.123 (adskflex) IN: "{ACD}" a@PC-1
3/4/2026 8:15:00 (adskflex) OUT: "{ACD}" b@PC-2
 9:00:00 (adskflex) IN: "{ACD}" b@PC-2
"""
    parsed = parse_log(_lines(log))
    assert [(s.user, s.out_at, s.in_at) for s in parsed.sessions] == [
        ("a", "2026-03-02T09:00:00+01:00", "2026-03-02T17:00:00"),
        ("b", "2026-03-04T08:15:00", "2026-03-04T09:00:00"),
    ]


def test_slog_start_date_dates_the_log() -> None:
    log = f"""
 7:47:04 (lmgrd) (@lmgrd-SLOG@) Start-Date: Mon Oct 06 2014 07:47:04 Central Daylight Time
 8:00:00 (adskflex) OUT: "{ACD}" a@PC-1
 9:00:00 (adskflex) IN: "{ACD}" a@PC-1
"""
    parsed = parse_log(_lines(log))
    assert [(s.out_at, s.in_at) for s in parsed.sessions] == [
        ("2014-10-06T08:00:00", "2014-10-06T09:00:00")
    ]


def test_a_log_without_any_date_uses_the_file_name_else_rejects_its_checkouts() -> None:
    log = f"""
 8:00:00 (adskflex) OUT: "{ACD}" a@PC-1
23:00:00 (adskflex) IN: "{ACD}" a@PC-1
 1:00:00 (adskflex) DENIED: "{ACD}" b@PC-2  (Licensed number of users already reached. (-4,342))
 2:00:00 (adskflex) EXTERNAL FILTERS are OFF
"""
    dated = parse_log(_lines(log), file_date=file_name_date("adskflex_2026-03-02.log"))
    assert [(s.out_at, s.in_at) for s in dated.sessions] == [
        ("2026-03-02T08:00:00", "2026-03-02T23:00:00")
    ]
    assert [(e.event, e.at) for e in dated.events] == [("denied", "2026-03-03T01:00:00")]

    undated = parse_log(_lines(log))
    assert undated.sessions == [] and undated.events == []
    assert [(r.line, r.reason) for r in undated.rejects] == [
        (1, "unparseable_timestamp"),
        (2, "unparseable_timestamp"),
        (3, "unparseable_timestamp"),
    ]
    assert undated.rejects[0].value.startswith("8:00:00: the log states no date")
    assert undated.rejects[0].record == ' 8:00:00 (adskflex) OUT: "87393ACD_2021_0F" a@PC-1'


def test_a_restart_closes_what_is_out_at_the_stop_line_and_the_end_of_log_closes_the_rest() -> None:
    log = f"""
{START}
 9:30:00 (adskflex) OUT: "{ACD}" a@PC-1
10:00:00 (adskflex) OUT: "{ACD}" b@PC-2
13:40:00 (lmgrd) SHUTDOWN request from admin at node LICSRV01
13:40:00 (adskflex) daemon shutdown requested - shutting down
13:40:00 (lmgrd) EXITING DUE TO SIGNAL 15
13:52:00 (lmgrd) FlexNet Licensing (v11.16.2.0 build 242433 x64_n6) started on LICSRV01 (IBM PC) (3/2/2026)
13:55:00 (adskflex) OUT: "{ACD}" a@PC-1
14:30:00 (adskflex) IN: "{ACD}" b@PC-2
15:00:00 (adskflex) OUT: "{ACD}" c@PC-3
17:00:00 (lmgrd) REStarted adskflex (pid 4242)
17:05:00 (adskflex) OUT: "{ACD}" d@PC-4
18:00:00 (adskflex) IN: "{ACD}" a@PC-1
"""  # noqa: E501
    parsed = parse_log(_lines(log))
    assert _brief(parsed.sessions) == [
        ("a", "2026-03-02T09:30:00", "2026-03-02T13:40:00", "out", "restart", 2, None),
        ("b", "2026-03-02T10:00:00", "2026-03-02T13:40:00", "out", "restart", 3, None),
        # an IN without OUT after a restart opens at that restart
        ("b", "2026-03-02T13:52:00", "2026-03-02T14:30:00", "restart", "in", None, 9),
        # the vendor daemon restarted without a stop line: closed at the restart
        ("a", "2026-03-02T13:55:00", "2026-03-02T17:00:00", "out", "restart", 8, None),
        ("c", "2026-03-02T15:00:00", "2026-03-02T17:00:00", "out", "restart", 10, None),
        ("a", "2026-03-02T17:00:00", "2026-03-02T18:00:00", "restart", "in", None, 13),
        ("d", "2026-03-02T17:05:00", "2026-03-02T18:00:00", "out", "end_of_log", 12, None),
    ]
    assert [(e.event, e.line) for e in parsed.events] == [
        ("server_start", 1),
        ("server_start", 7),
        ("server_start", 11),
    ]


def test_an_in_without_out_opens_at_the_start_of_the_log_and_out_in_pair_first_in_first_out() -> (
    None
):
    log = f"""
 8:00:00 (lmgrd) TIMESTAMP 3/2/2026
 8:10:00 (adskflex) IN: "{ACD}" early@PC-1
 9:00:00 (adskflex) OUT: "{ACD}" twice@PC-2
 9:10:00 (adskflex) OUT: "{ACD}" twice@PC-2
10:00:00 (adskflex) IN: "{ACD}" twice@PC-2
11:00:00 (adskflex) IN: "{ACD}" twice@PC-2
"""
    parsed = parse_log(_lines(log))
    assert _brief(parsed.sessions) == [
        ("early", "2026-03-02T08:00:00", "2026-03-02T08:10:00", "start_of_log", "in", None, 2),
        ("twice", "2026-03-02T09:00:00", "2026-03-02T10:00:00", "out", "in", 3, 5),
        ("twice", "2026-03-02T09:10:00", "2026-03-02T11:00:00", "out", "in", 4, 6),
    ]


def test_other_daemons_are_ignored_and_forked_vendor_daemons_count() -> None:
    log = f"""
 8:00:00 (lmgrd) TIMESTAMP 3/2/2026
 8:05:00 (MLM) OUT: "MATLAB" a@PC-1
 8:06:00 (adskflex_1) OUT: "{ACD}" a@PC-1
 8:07:00 (MLM) IN: "MATLAB" a@PC-1
 8:08:00 (lmgrd) Started MLM (internet tcp_port 2081 pid 77)
 9:00:00 (adskflex_1) IN: "{ACD}" a@PC-1
"""
    parsed = parse_log(_lines(log))
    assert _brief(parsed.sessions) == [
        ("a", "2026-03-02T08:06:00", "2026-03-02T09:00:00", "out", "in", 3, 6)
    ]
    assert parsed.events == []


def test_verbose_lines_old_shapes_and_unquoted_features() -> None:
    log = f"""
 8:00:00 (lmgrd) TIMESTAMP 3/2/2026
 8:41:54 (adskflex) OUT: "{ACD}" ADas@BLR-LT-104276 ^^^ 1.0 ADas 127.0.0.1 29865 0x12CE 3 10 ^^^
 8:42:00 (adskflex) OUT: "{ACD}" @BLR-LT-1 (3 licenses) ^^^ 1.0 RKhan 10.0.0.2 29866 0x12CF ^^^
 8:50:00 (adskflex) IN: {ACD} ADas@BLR-LT-104276 [cd-string] (1 license)
 9:00:00 (adskflex) DENIED: 2 {ACD} to jdoe
 9:30:00 (adskflex) IN: "{ACD}" rkhan@BLR-LT-1  (3 licenses)
"""
    parsed = parse_log(_lines(log))
    # the user of a verbose line without one before the @ is the verbose block's; user and
    # host match case-insensitively
    assert [(s.user, s.host, s.licenses, s.closed_by) for s in parsed.sessions] == [
        ("ADas", "BLR-LT-104276", 1, "in"),
        ("RKhan", "BLR-LT-1", 3, "in"),
    ]
    assert [(e.event, e.user, e.host, e.licenses) for e in parsed.events] == [
        ("denied", "jdoe", None, 2)
    ]


def test_unreadable_lines_are_rejected_with_their_line_numbers() -> None:
    log = f"""
 8:00:00 (lmgrd) TIMESTAMP 3/2/2026
this is not a log line
 8:05:00 (adskflex) OUT: "{ACD}
25:61:00 (adskflex) OUT: "{ACD}" a@PC-1

 9:00:00 (adskflex) OUT: "{ACD}" b@PC-2
2026-02-30T09:00:00 (adskflex) IN: "{ACD}" b@PC-2
"""
    parsed = parse_log(_lines(log))
    assert [(r.line, r.reason, r.value) for r in parsed.rejects] == [
        (2, "unparseable_line", "this is not a log line"),
        (3, "unparseable_line", 'OUT: "87393ACD_2021_0F'),
        (4, "unparseable_timestamp", "25:61:00"),
        (7, "unparseable_timestamp", "2026-02-30 09:00:00"),
    ]
    assert parsed.rejects[1].record == ' 8:05:00 (adskflex) OUT: "87393ACD_2021_0F'
    assert _brief(parsed.sessions) == [
        ("b", "2026-03-02T09:00:00", "2026-03-02T09:00:00", "out", "end_of_log", 6, None)
    ]
    assert parsed.lines == 7


def test_bytes_in_utf8_windows_1252_with_bom_and_crlf() -> None:
    lines = [
        b"\xef\xbb\xbf 8:00:00 (lmgrd) TIMESTAMP 3/2/2026\r\n",
        ' 8:05:00 (adskflex) OUT: "87393ACD_2021_0F" rené@PC-1\r\n'.encode(),
        b' 9:05:00 (adskflex) IN: "87393ACD_2021_0F" ren\xe9@PC-1\r\n',  # Windows-1252 e-acute
    ]
    parsed = parse_log(lines)
    assert parsed.rejects == []
    assert _brief(parsed.sessions) == [
        ("rené", "2026-03-02T08:05:00", "2026-03-02T09:05:00", "out", "in", 2, 3)
    ]


@pytest.mark.parametrize(
    ("code", "prefix", "suffix", "version", "kind"),
    [
        ("87393ACD_2021_0F", "87393", "ACD", "2021", "version"),
        ("879373DSMAX_2025_0F", "87937", "3DSMAX", "2025", "version"),
        ("87804AMECH_PP_2024_0F", "87804", "AMECH", "2024", "version"),
        ("64300ACD_T_F", "64300", "ACD", None, "package"),
        ("64300ACD_F", "64300", "ACD", None, "maintenance"),
        ("87539aeccol_2021_0f", "87539", "AECCOL", "2021", "version"),
        ("MATLAB", None, None, None, "other"),
    ],
)
def test_feature_codes_split_into_prefix_product_suffix_and_version(
    code: str, prefix: str | None, suffix: str | None, version: str | None, kind: str
) -> None:
    feature = split_feature(code)
    assert (feature.prefix, feature.suffix, feature.version, feature.kind) == (
        prefix,
        suffix,
        version,
        kind,
    )


def test_file_name_dates() -> None:
    assert file_name_date("adskflex_2026-03-02.log") == date(2026, 3, 2)
    assert file_name_date("debug20260302.log") == date(2026, 3, 2)
    assert file_name_date("debug-2026-13-45.log") is None
    assert file_name_date("debug.log") is None


LICENCE = """\
# Autodesk network licence file
SERVER LICSRV01 0050569A1B2C 27000
USE_SERVER
VENDOR adskflex port=2080
PACKAGE 64300ACD_T_F adskflex 1.000 COMPONENTS="87545ACD_2022_0F" \\
\tOPTIONS=SUITE_RESERVED SIGN="0A1B"
INCREMENT 87545ACD_2022_0F adskflex 1.000 permanent 4 VENDOR_STRING=commercial:permanent \\
\tSUPERSEDE DUP_GROUP=UH ISSUED=07-Feb-2022 SN=399-12345678 SIGN="1F2E 3D4C"
INCREMENT 64300ACD_T_F adskflex 1.000 31-dec-2026 3 SIGN="00"
FEATURE 87560RVT_2022_0F adskflex 1.000 permanent uncounted HOSTID=ANY
INCREMENT broken adskflex
"""


def test_licence_files_give_counted_features_and_their_server() -> None:
    parsed = parse_licence(LICENCE.splitlines(keepends=True))
    assert parsed.server == "LICSRV01"
    assert [(f.line, f.keyword, f.feature, f.expires, f.licenses) for f in parsed.features] == [
        (7, "INCREMENT", "87545ACD_2022_0F", "permanent", "4"),
        (9, "INCREMENT", "64300ACD_T_F", "31-dec-2026", "3"),
        (10, "FEATURE", "87560RVT_2022_0F", "permanent", "uncounted"),
    ]
    assert [(r.line, r.reason, r.value) for r in parsed.rejects] == [
        (11, "unparseable_line", "INCREMENT broken adskflex")
    ]
    assert parse_licence(LICENCE.splitlines(), server="srv-folder").server == "srv-folder"


def test_licence_files_are_told_apart_from_logs() -> None:
    assert looks_like_licence(LICENCE.splitlines())
    assert looks_like_licence([b"\xef\xbb\xbf\n", b"SERVER this_host ANY\n"])
    assert not looks_like_licence([" 8:00:00 (lmgrd) TIMESTAMP 3/2/2026"])
    assert not looks_like_licence([])
