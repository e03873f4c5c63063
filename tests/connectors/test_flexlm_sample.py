"""The sample organisation's FlexNet logs hold the awkward cases, and parse to what was written."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from connectors.flexlm import parse_licence, parse_log


def test_sample_logs_parse_to_what_the_generator_wrote(small_org: Path) -> None:
    truth = json.loads((small_org / "_sample.json").read_text())["summary"]["network"]
    logs = sorted((small_org / "flexlm").rglob("*.log"))
    assert [p.relative_to(small_org).as_posix() for p in logs] == [
        "flexlm/LICSRV01/adskflex.log",
        "flexlm/LICSRV02/adskflex-2026-10-01.log",
        "flexlm/LICSRV02/adskflex.log",
    ]
    parsed = {p.relative_to(small_org / "flexlm").as_posix(): parse_log(p.open("rb")) for p in logs}
    flags = {
        name: Counter((s.opened_by, s.closed_by) for s in log.sessions)
        for name, log in parsed.items()
    }
    # the restart leaves checkouts without IN; the rotation splits one checkout in two
    assert flags["LICSRV01/adskflex.log"][("out", "restart")] == truth["open_at_restart"] > 0
    assert flags["LICSRV02/adskflex-2026-10-01.log"][("out", "end_of_log")] == 1
    assert flags["LICSRV02/adskflex.log"][("start_of_log", "in")] == 1
    outs = sum(1 for log in parsed.values() for s in log.sessions if s.opened_by == "out")
    assert outs == truth["checkouts"]
    denials = [e for log in parsed.values() for e in log.events if e.event == "denied"]
    assert len(denials) == truth["denials"] > 0
    assert {e.detail for e in denials} == {"Licensed number of users already reached. (-4,342)"}
    # the only unreadable line is the one truncated when the server went down
    rejects = [(n, r.reason, r.value) for n, log in parsed.items() for r in log.rejects]
    assert rejects == [("LICSRV01/adskflex.log", "unparseable_line", "13:40:0")]
    # the servers are named by their start lines; the rotated file has none
    assert [log.server for log in parsed.values()] == ["LICSRV01", "LICSRV02", None]
    # checkouts across midnight, dated by the roll-over before the next TIMESTAMP line
    overnight = [
        s for log in parsed.values() for s in log.sessions if s.out_at[:10] != s.in_at[:10]
    ]
    assert overnight and all(s.in_at[11:13] < "04" for s in overnight)
    features = Counter(s.feature for log in parsed.values() for s in log.sessions)
    assert set(features) == {
        "87545ACD_2022_0F",
        "64300ACD_T_F",
        "87589NAVMAN_2022_0F",
        "87560RVT_2022_0F",
    }


def test_sample_licence_files_give_the_pools(small_org: Path) -> None:
    counts = {}
    for path in sorted((small_org / "flexlm").rglob("license.lic")):
        licence = parse_licence(path.open("rb"))
        counts[licence.server] = [(f.feature, f.licenses) for f in licence.features]
        assert licence.rejects == []
    assert counts == {
        "LICSRV01": [
            ("87545ACD_2022_0F", "4"),
            ("64300ACD_T_F", "3"),
            ("87589NAVMAN_2022_0F", "2"),
        ],
        "LICSRV02": [("87560RVT_2022_0F", "4")],
    }
