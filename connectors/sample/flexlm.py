"""The sample organisation's FlexNet licence servers: ``adskflex`` debug logs and licence files.

Two servers write their logs in the organisation's wall clock (Europe/London), as lmgrd does:

* ``LICSRV01`` serves AutoCAD (the 2022 version code and, once those are out, the multi-user
  package ``64300ACD_T_F``) and Navisworks Manage. Its log starts with the lmgrd start block,
  has ``TIMESTAMP`` lines every six hours (so lines just after midnight are dated by the
  roll-over), one restart in the middle of the window (the daemon stopped with licences out:
  their IN lines never come; the clients check out again after the restart), a truncated line
  written as the server went down, UNSUPPORTED probes and a few lines of another vendor daemon.
* ``LICSRV02`` serves Revit. Its log was rotated once around midday: the current file starts
  without any date line and its checkouts from before the rotation are checked in there.

A request beyond the pool is DENIED and usually retried a little later; a few people work late
into the night. The log ends at the run's as-of time, with whatever is still out left open.
Licence files (``license.lic``) give the pool sizes. Everything is a function of the seed.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .clock import DAY, HOUR, MINUTE, day_to_date, utc_to_local, weekday
from .people import OPEN, Population

DENIED_REASON = "Licensed number of users already reached. (-4,342)"
UNSUPPORTED_REASON = "License server system does not support this feature. (-18,327)"
VERSION_LINE = "FlexNet Licensing (v11.16.2.0 build 242433 x64_n6)"


@dataclass(frozen=True)
class NetworkPool:
    """Network licences of one product on one server: (feature code, licences) in the file."""

    server: str
    product: str
    features: tuple[tuple[str, int], ...]
    users: int  # people who use it over the network

    @property
    def size(self) -> int:
        return sum(count for _, count in self.features)


POOLS: tuple[NetworkPool, ...] = (
    NetworkPool("LICSRV01", "AutoCAD", (("87545ACD_2022_0F", 4), ("64300ACD_T_F", 3)), 14),
    NetworkPool("LICSRV01", "Navisworks Manage", (("87589NAVMAN_2022_0F", 2),), 4),
    NetworkPool("LICSRV02", "Revit", (("87560RVT_2022_0F", 4),), 9),
)
SERVERS: tuple[str, ...] = ("LICSRV01", "LICSRV02")
HOST_IDS = {"LICSRV01": "0050569A1B2C", "LICSRV02": "0050569A7F31"}
_USE_P = np.array([0.85, 0.6, 0.35, 0.15, 0.05])
_USE_P_WEIGHTS = np.array([0.15, 0.25, 0.25, 0.2, 0.15])


@dataclass
class NetworkSummary:
    """What the sample's FlexNet logs hold (the truth the pipeline should find)."""

    checkouts: int = 0  # OUT lines of the vendor daemon
    denials: int = 0
    restarts: int = 0  # restarts with licences out
    open_at_restart: int = 0  # checkouts whose IN never came because of the restart
    open_at_end: int = 0  # checkouts still out when the log ends
    users: dict[str, int] = field(default_factory=dict)  # product -> people using it


@dataclass(order=True)
class _Attempt:
    at: int
    seq: int
    end: int = field(compare=False)
    user: int = field(compare=False)
    tries: int = field(compare=False, default=0)


@dataclass
class _Out:
    user: int
    feature: str
    start: int
    end: int


class _Log:
    """Lines of one server's log: (local epoch seconds, order, daemon, message)."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, int, str, str]] = []
        self._seq = 0

    def add(self, at: int, daemon: str, message: str) -> None:
        self._seq += 1
        self.lines.append((at, self._seq, daemon, message))

    def render(self, lines: list[tuple[int, int, str, str]]) -> str:
        out = []
        for at, _, daemon, message in lines:
            secs = at % DAY
            clock = f"{secs // HOUR:2d}:{secs % HOUR // MINUTE:02d}:{secs % MINUTE:02d}"
            out.append(f"{clock} ({daemon}) {message}" if daemon else message)
        return "\n".join(out) + "\n"


def _us_date(day: int) -> str:
    d = day_to_date(day)
    return f"{d.month}/{d.day}/{d.year}"


def _start_block(log: _Log, at: int, server: str, features: list[str]) -> None:
    log.add(at, "lmgrd", "-----------------------------------------------")
    log.add(at, "lmgrd", "  Please Note:")
    log.add(at, "lmgrd", "  This log is intended for debug purposes only.")
    log.add(at, "lmgrd", "-----------------------------------------------")
    log.add(at, "lmgrd", f"{VERSION_LINE} started on {server} (IBM PC) ({_us_date(at // DAY)})")
    log.add(at, "lmgrd", "Copyright (c) 1988-2019 Flexera. All Rights Reserved.")
    log.add(at, "lmgrd", "License file(s): C:\\Autodesk\\Network License Manager\\license.lic")
    log.add(at, "lmgrd", "lmgrd tcp-port 27000")
    log.add(at, "lmgrd", "Starting vendor daemons ...")
    log.add(at + 1, "lmgrd", "Started adskflex (internet tcp_port 2080 pid 4512)")
    log.add(at + 1, "adskflex", "FlexNet Licensing version v11.16.2.0 build 242433 x64_n6")
    log.add(at + 1, "adskflex", f"Server started on {server} for:\t{features[0]}")
    for feature in features[1:]:
        log.add(at + 1, "adskflex", f"{feature}\t")
    log.add(at + 1, "adskflex", "EXTERNAL FILTERS are OFF")
    log.add(at + 2, "lmgrd", "adskflex using TCP-port 2080")


def _eligible_people(pop: Population) -> np.ndarray:
    """Staff employed over the whole window (network users are long-standing staff)."""
    staff = np.arange(pop.n) < pop.n_staff
    return np.flatnonzero(
        staff & (pop.start_day < pop.window_start) & (pop.leave_day >= OPEN) & ~pop.contractor
    )


def _attempts(
    rng: np.random.Generator, n_users: int, first_at: int, last_day: int, cut: int
) -> list[_Attempt]:
    """Wanted checkouts (local wall clock) of each user, in time order."""
    p_use = rng.choice(_USE_P, size=n_users, p=_USE_P_WEIGHTS)
    out: list[_Attempt] = []
    seq = 0
    for day in range(first_at // DAY, last_day + 1):
        workday = int(weekday(np.int64(day))) < 5
        base = day * DAY
        draws = rng.random((n_users, 6))
        for u in range(n_users):
            d = draws[u]
            if d[0] >= (p_use[u] if workday else p_use[u] * 0.03):
                continue
            spans: list[tuple[int, int]] = []
            if d[1] < 0.3:  # morning and afternoon
                start = base + int(7.5 * HOUR + d[2] * 3 * HOUR)
                spans.append((start, start + int(HOUR + d[3] * 1.5 * HOUR)))
                start = base + int(13.25 * HOUR + d[4] * 1.5 * HOUR)
                spans.append((start, start + int(HOUR + d[5] * 3 * HOUR)))
            else:
                start = base + int(7.5 * HOUR + d[2] * 3 * HOUR)
                spans.append((start, start + int(2 * HOUR + d[3] * 7 * HOUR)))
            if d[4] > 0.985:  # a late night, into the next day
                start = base + int(20 * HOUR + d[5] * HOUR)
                spans.append((start, start + int(3 * HOUR + d[2] * 3 * HOUR)))
            for start, end in spans:
                if first_at < start <= cut:
                    seq += 1
                    out.append(_Attempt(start, seq, end, u))
    return out


def _simulate(
    rng: np.random.Generator,
    log: _Log,
    pool: NetworkPool,
    users: list[str],
    hosts: list[str],
    attempts: list[_Attempt],
    restart: tuple[int, int] | None,
    cut: int,
    summary: NetworkSummary,
) -> list[tuple[int, int]]:
    """Grant, deny and check in the attempts of one pool, writing the vendor daemon's lines.

    Returns the (OUT, IN) times of the checkouts whose IN line was written.
    """
    heap = list(attempts)
    heapq.heapify(heap)
    seq = len(attempts)
    out: list[_Out] = []
    reconnect = restart[1] + 3 * MINUTE if restart else None
    pending_restart = restart
    closed: list[tuple[int, int]] = []

    def release(until: int) -> None:
        nonlocal out
        keep = []
        for o in out:
            if o.end <= until:
                text = f'IN: "{o.feature}" {users[o.user]}@{hosts[o.user]}  '
                log.add(o.end, "adskflex", text)
                closed.append((o.start, o.end))
            else:
                keep.append(o)
        out = keep

    while heap:
        attempt = heapq.heappop(heap)
        if pending_restart is not None and attempt.at >= pending_restart[0]:
            stop, _ = pending_restart
            pending_restart = None
            release(stop)
            survivors = []
            for o in out:  # their IN lines are lost with the daemon
                summary.open_at_restart += 1
                assert reconnect is not None
                if o.end > reconnect and reconnect <= cut:
                    text = f'OUT: "{o.feature}" {users[o.user]}@{hosts[o.user]}  '
                    log.add(reconnect, "adskflex", text)
                    summary.checkouts += 1
                    survivors.append(_Out(o.user, o.feature, reconnect, o.end))
            out = survivors
            if restart is not None and restart[0] <= attempt.at < restart[1] + 6 * MINUTE:
                seq += 1
                later = _Attempt(restart[1] + 6 * MINUTE, seq, attempt.end, attempt.user)
                heapq.heappush(heap, later)
                continue
        if attempt.at > cut:
            continue
        release(attempt.at)
        user, host = users[attempt.user], hosts[attempt.user]
        if any(o.user == attempt.user for o in out):
            continue  # already has one: the product shares it
        if len(out) >= pool.size:
            text = f'DENIED: "{pool.features[0][0]}" {user}@{host}  ({DENIED_REASON})'
            log.add(attempt.at, "adskflex", text)
            summary.denials += 1
            if attempt.tries < 2 and rng.random() < 0.7:
                seq += 1
                retry_at = attempt.at + int(10 * MINUTE + rng.random() * 30 * MINUTE)
                if retry_at < attempt.end:
                    heapq.heappush(
                        heap, _Attempt(retry_at, seq, attempt.end, attempt.user, attempt.tries + 1)
                    )
            continue
        feature = pool.features[0][0]
        if sum(o.feature == feature for o in out) >= pool.features[0][1]:
            feature = pool.features[1][0]
        elif len(pool.features) > 1 and rng.random() < 0.03:
            text = f'UNSUPPORTED: "64300ACD_F" {user}@{host}  ({UNSUPPORTED_REASON})'
            log.add(attempt.at, "adskflex", text)
        log.add(attempt.at, "adskflex", f'OUT: "{feature}" {user}@{host}  ')
        summary.checkouts += 1
        out.append(_Out(attempt.user, feature, attempt.at, attempt.end))
    release(cut)
    summary.open_at_end += len(out)
    return closed


def _licence_file(path: Path, server: str, pools: list[NetworkPool], end_day: int) -> None:
    expiry = day_to_date(end_day + 365).strftime("%d-%b-%Y").lower()
    lines = [
        f"SERVER {server} {HOST_IDS[server]} 27000",
        "USE_SERVER",
        "VENDOR adskflex port=2080",
    ]
    for pool in pools:
        for feature, count in pool.features:
            if feature.endswith("_T_F"):
                lines.append(
                    f'PACKAGE {feature} adskflex 1.000 COMPONENTS="{pool.features[0][0]}" \\'
                )
                lines.append('\tOPTIONS=SUITE_RESERVED SIGN="0A1B 2C3D"')
                lines.append(
                    f"INCREMENT {feature} adskflex 1.000 {expiry} {count} "
                    "VENDOR_STRING=commercial:extendable \\"
                )
            else:
                lines.append(
                    f"INCREMENT {feature} adskflex 1.000 permanent {count} "
                    "VENDOR_STRING=commercial:permanent \\"
                )
            lines.append(
                '\tSUPERSEDE DUP_GROUP=UH ISSUED=07-Feb-2022 SN=399-12345678 SIGN="1F2E 3D4C"'
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def write_network_logs(
    folder: Path, pop: Population, window_start: int, end_day: int, as_of_utc: int, seed: int
) -> tuple[list[Path], NetworkSummary]:
    """Write ``flexlm/<server>/`` logs and licence files; return the files and what they hold."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 20]))
    summary = NetworkSummary()
    cut = int(utc_to_local(np.array([as_of_utc]))[0])
    eligible = _eligible_people(pop)
    span = end_day - window_start + 1
    restart_day = window_start + span // 2
    while int(weekday(np.int64(restart_day))) >= 5 and restart_day > window_start:
        restart_day -= 1
    restart = (
        restart_day * DAY + 13 * HOUR + 40 * MINUTE,
        restart_day * DAY + 13 * HOUR + 52 * MINUTE,
    )
    rotate_from = (window_start + (2 * span) // 3) * DAY
    written: list[Path] = []
    for server in SERVERS:
        pools = [p for p in POOLS if p.server == server]
        log = _Log()
        start_at = window_start * DAY + 9 * HOUR + 47 * MINUTE + 13
        features = [f for p in pools for f, _ in p.features]
        _start_block(log, start_at, server, features)
        for at in range(start_at + 6 * HOUR, cut + 1, 6 * HOUR):
            log.add(at, "lmgrd", f"TIMESTAMP {_us_date(at // DAY)}")
        server_restart = restart if server == "LICSRV01" else None
        if server_restart is not None:
            stop, again = server_restart
            log.add(stop, "lmgrd", f"SHUTDOWN request from admin at node {server}")
            log.add(stop, "adskflex", "daemon shutdown requested - shutting down")
            log.add(stop, "lmgrd", "EXITING DUE TO SIGNAL 15")
            truncated = (stop + 1) % DAY
            log.add(stop + 1, "", f"{truncated // HOUR:2d}:{truncated % HOUR // MINUTE:02d}:0")
            _start_block(log, again, server, features)
            summary.restarts += 1
        if server == "LICSRV01":  # another vendor's daemon served by the same lmgrd
            for week_day in range(window_start, end_day + 1, 7):
                at = week_day * DAY + 11 * HOUR + 5 * MINUTE
                log.add(at, "SW_D", 'OUT: "solidworks" cadadmin@CAD-WS01  ')
                log.add(at + 20 * MINUTE, "SW_D", 'IN: "solidworks" cadadmin@CAD-WS01  ')
        closed: list[tuple[int, int]] = []
        for pool in pools:
            chosen = rng.permutation(eligible)[: pool.users] if len(eligible) else eligible
            users = [pop.sam[int(i)] for i in chosen]
            hosts = [pop.host_names[int(pop.desktop[int(i)])] for i in chosen]
            summary.users[pool.product] = len(users)
            attempts = _attempts(rng, len(users), start_at + MINUTE, end_day, cut) if users else []
            closed += _simulate(
                rng, log, pool, users, hosts, attempts, server_restart, cut, summary
            )
        lines = sorted(line for line in log.lines if line[0] <= cut)
        server_folder = folder / server
        server_folder.mkdir(parents=True, exist_ok=True)
        if server == "LICSRV02":
            # rotated while a checkout was out: its IN line is in the newer file
            spanning = sorted(c for c in closed if c[0] >= rotate_from and c[1] - c[0] > HOUR)
            rotate_at = spanning[0][0] + 30 * MINUTE if spanning else rotate_from + 12 * HOUR
            rotate_day = rotate_at // DAY
            old = [line for line in lines if line[0] < rotate_at]
            new = [line for line in lines if line[0] >= rotate_at]
            old_path = server_folder / f"adskflex-{day_to_date(rotate_day).isoformat()}.log"
            old_path.write_text(log.render(old), encoding="utf-8", newline="\n")
            written.append(old_path)
            lines = new
        path = server_folder / "adskflex.log"
        path.write_text(log.render(lines), encoding="utf-8", newline="\n")
        licence = server_folder / "license.lic"
        _licence_file(licence, server, pools, end_day)
        written += [path, licence]
    return written, summary
