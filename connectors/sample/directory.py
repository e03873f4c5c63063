"""Active Directory snapshots of the sample (Get-ADUser | Export-Csv -NoTypeInformation style)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .clock import DAY, HOUR, MINUTE, format_ad_time, format_day, weekday
from .people import COUNTRIES, DEPARTMENTS, EMAIL_DOMAIN, OFFICES, Population
from .writers import write_csv

AD_HEADER: tuple[str, ...] = (
    "SamAccountName",
    "UserPrincipalName",
    "EmailAddress",
    "DisplayName",
    "GivenName",
    "Surname",
    "Department",
    "Country",
    "Office",
    "Title",
    "Manager",
    "Enabled",
    "whenCreated",
    "LastLogonDate",
    "AccountExpirationDate",
)
# Accounts that are not people: in every snapshot, never in Autodesk.
SERVICE_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("svc.plotter", "Plotter Service"),
    ("svc.backup", "Backup Service"),
)


def snapshot_days(month_firsts: list[int], end: int) -> list[int]:
    """Last day of every month before the last one, then the last day of data."""
    days = [first - 1 for first in month_firsts[1:]]
    return days + [end]


def _previous_workday(days: np.ndarray) -> np.ndarray:
    wd = weekday(days)
    return days - np.where(wd == 5, 1, np.where(wd == 6, 2, 0))


def _distinguished_names(pop: Population) -> list[str]:
    seen: dict[str, int] = {}
    for i in range(pop.n_staff):
        seen[pop.display[i]] = seen.get(pop.display[i], 0) + 1
    out = []
    for i in range(pop.n_staff):
        cn = pop.display[i] if seen[pop.display[i]] == 1 else f"{pop.display[i]} ({pop.sam[i]})"
        office = OFFICES[int(pop.office[i])][0]
        out.append(f"CN={cn},OU={office},OU=Staff,DC=acme,DC=example")
    return out


def write_snapshots(folder: Path, pop: Population, days: list[int], seed: int) -> list[Path]:
    """One CSV per snapshot day; the middle one semicolon-separated with a UTF-8 BOM."""
    staff = np.arange(pop.n_staff)
    dns = _distinguished_names(pop)
    created_day = pop.created_s // DAY
    created_text = format_ad_time(pop.created_s[staff])
    service_created = format_ad_time(
        np.array([(pop.window_start - 2000) * DAY + 10 * HOUR], dtype=np.int64)
    )[0]
    paths = []
    for k, snap in enumerate(days):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 4, k]))
        lag = rng.integers(0, 3, size=pop.n_staff)
        logon_time = rng.integers(int(7.5 * HOUR), int(9.5 * HOUR), size=pop.n_staff)
        logon_time += rng.integers(0, MINUTE, size=pop.n_staff)
        left = pop.leave_day[staff] <= snap
        last_day = np.where(left, pop.leave_day[staff] - 1, snap - lag)
        last_day = _previous_workday(last_day)
        logon = format_ad_time(last_day * DAY + logon_time)
        never = last_day < pop.start_day[staff]
        present = (created_day[staff] <= snap) & (pop.delete_day[staff] > snap)
        rows = []
        for i in np.flatnonzero(present).tolist():
            enabled = not (left[i] and pop.disabled_on_leave[i])
            expiry = ""
            if pop.expiry_known_from[i] <= snap:
                expiry = f"{format_day(np.array([pop.expiry_day[i]]))[0]} 00:00:00"
            manager = int(pop.manager[i])
            rows.append(
                (
                    pop.sam[i],
                    pop.email[i],
                    pop.email[i],
                    pop.display[i],
                    pop.given[i],
                    pop.surname[i],
                    DEPARTMENTS[int(pop.dept[i])],
                    COUNTRIES[int(pop.country[i])],
                    OFFICES[int(pop.office[i])][0],
                    pop.title[i],
                    dns[manager] if manager >= 0 else "",
                    "True" if enabled else "False",
                    str(created_text[i]),
                    "" if never[i] else str(logon[i]),
                    expiry,
                )
            )
        for sam, display in SERVICE_ACCOUNTS:
            rows.append(
                (
                    sam,
                    f"{sam}@{EMAIL_DOMAIN}",
                    "",
                    display,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "True",
                    str(service_created),
                    str(logon[0]) if len(logon) else "",
                    "",
                )
            )
        rows.sort(key=lambda r: r[0].lower())
        label = str(format_day(np.array([snap]))[0])
        path = folder / f"ad_users_{label}.csv"
        semicolon = k == len(days) // 2
        write_csv(
            path,
            AD_HEADER,
            rows,
            delimiter=";" if semicolon else ",",
            bom=semicolon,
            quote_all=True,
        )
        paths.append(path)
    return paths
