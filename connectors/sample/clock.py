"""Time helpers for the sample: Europe/London wall clock <-> UTC, vectorised with numpy.

Times are int64 epoch seconds; days are int epoch days (1970-01-01 = 0). Since 1996 the UK
(and the EU) switch to summer time on the last Sunday of March at 01:00 UTC and back on the last
Sunday of October at 01:00 UTC; Central European Time is always one hour ahead of London.
Implementing the rule here keeps the generator fast and independent of the tz database (the tests
check it against ``zoneinfo``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

ORG_TIME_ZONE = "Europe/London"
DAY = 86_400
HOUR = 3_600
MINUTE = 60
_EPOCH = date(1970, 1, 1)


def epoch_day(d: date) -> int:
    """Epoch day number of a date."""
    return (d - _EPOCH).days


def day_to_date(day: int) -> date:
    """Date of an epoch day number."""
    return _EPOCH + timedelta(days=int(day))


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 for epoch days (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def _last_sunday(year: int, month: int) -> int:
    last = epoch_day(date(year, month, 31))  # March and October both have 31 days
    return last - int((weekday(np.int64(last)) + 1) % 7)


def summer_time_bounds(year: int) -> tuple[int, int]:
    """UTC epoch seconds when British Summer Time starts and ends in a year."""
    return _last_sunday(year, 3) * DAY + HOUR, _last_sunday(year, 10) * DAY + HOUR


def dst_change_days(first_day: int, last_day: int) -> list[int]:
    """Epoch days of the clock changes (both directions) within [first_day, last_day]."""
    y0, y1 = day_to_date(first_day).year, day_to_date(last_day).year
    out = []
    for year in range(y0, y1 + 1):
        for bound in summer_time_bounds(year):
            if first_day <= bound // DAY <= last_day:
                out.append(bound // DAY)
    return out


def _years(seconds: np.ndarray) -> np.ndarray:
    return seconds.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970


def london_offset(utc: np.ndarray) -> np.ndarray:
    """UTC offset in seconds of Europe/London at UTC instants (0 or 3600)."""
    utc = np.asarray(utc, dtype=np.int64)
    if utc.size == 0:
        return np.zeros(utc.shape, dtype=np.int64)
    years = _years(utc)
    y0, y1 = int(years.min()), int(years.max())
    bounds = np.array([summer_time_bounds(y) for y in range(y0, y1 + 1)], dtype=np.int64)
    start, stop = bounds[years - y0, 0], bounds[years - y0, 1]
    return np.where((utc >= start) & (utc < stop), HOUR, 0).astype(np.int64)


def utc_to_local(utc: np.ndarray) -> np.ndarray:
    """Europe/London wall clock (as epoch seconds of a naive time) of UTC instants."""
    utc = np.asarray(utc, dtype=np.int64)
    return utc + london_offset(utc)


def local_to_utc(local: np.ndarray) -> np.ndarray:
    """UTC instants of Europe/London wall-clock times.

    An ambiguous time (the repeated hour in October) resolves to its first, summer-time
    occurrence; a time in the skipped hour in March resolves one hour later on the wall clock.
    """
    local = np.asarray(local, dtype=np.int64)
    guess = local - HOUR
    return np.where(london_offset(guess) == HOUR, guess, local)


def is_ambiguous_local(local: np.ndarray) -> np.ndarray:
    """True for wall-clock times that occur twice (the hour repeated when summer time ends)."""
    local = np.asarray(local, dtype=np.int64)
    return (london_offset(local - HOUR) == HOUR) & (london_offset(local) == 0)


def format_naive(seconds: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DDTHH:MM:SS' strings of epoch seconds (no offset)."""
    return np.datetime_as_string(np.asarray(seconds, dtype=np.int64).astype("datetime64[s]"))


def format_with_offset(utc: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """ISO 8601 strings of UTC instants shown in the given offsets (seconds, whole hours >= 0)."""
    utc = np.asarray(utc, dtype=np.int64)
    offset = np.asarray(offset, dtype=np.int64)
    suffix = np.array(["+00:00", "+01:00", "+02:00", "+03:00"])[offset // HOUR]
    return np.strings.add(format_naive(utc + offset), suffix)


def format_utc_z(utc: np.ndarray) -> np.ndarray:
    """ISO 8601 UTC strings with a 'Z' suffix."""
    return np.strings.add(format_naive(utc), "Z")


def format_day(days: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD' strings of epoch days."""
    return np.datetime_as_string(np.asarray(days, dtype=np.int64).astype("datetime64[D]"))


def format_ad_time(seconds: np.ndarray) -> np.ndarray:
    """Active Directory export style 'YYYY-MM-DD HH:MM:SS'."""
    return np.strings.replace(format_naive(seconds), "T", " ")


def month_starts(end: date, months: int) -> list[date]:
    """First days of the `months` calendar months ending with the month of `end`."""
    out = []
    y, m = end.year, end.month
    for _ in range(months):
        out.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def next_month(d: date) -> date:
    """First day of the month after `d`."""
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def as_of_text(end: date) -> str:
    """The run's as-of instant for a sample ending on `end`: 18:00 UTC that day."""
    return datetime(end.year, end.month, end.day, 18, 0).isoformat() + "+00:00"
