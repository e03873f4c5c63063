"""FlexNet licence files (``license.lic``): how many network licences each feature has.

Only what the pool size needs is read::

    SERVER LICSRV01 0050569A1B2C 27000
    VENDOR adskflex port=2080
    INCREMENT 87545ACD_2022_0F adskflex 1.000 permanent 10 VENDOR_STRING=... \\
        SUPERSEDE DUP_GROUP=UH ISSUED=01-Jan-2022 SN=123-45678901 SIGN="..."
    INCREMENT 64300ACD_T_F adskflex 1.000 31-dec-2026 5 ...

``INCREMENT`` and ``FEATURE`` lines give ``feature vendor version expiry count``; a line ending in
a backslash continues on the next one; ``#`` starts a comment. The first ``SERVER`` line names the
server (the first of a redundant triad). Other keywords (``PACKAGE``, ``USE_SERVER``, ...) are
skipped. An ``INCREMENT`` line with fewer than five fields is rejected as ``unparseable_line``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.flexlm.logs import UNPARSEABLE_LINE, LogReject, decode_line

LICENCE_KEYWORDS = ("SERVER", "VENDOR", "DAEMON", "USE_SERVER", "INCREMENT", "FEATURE", "PACKAGE")
_KEYWORD_RE = re.compile(r"^\s*(?:" + "|".join(LICENCE_KEYWORDS) + r")\b")


@dataclass(frozen=True, slots=True)
class LicenceLine:
    """One INCREMENT or FEATURE line: ``licenses`` as written (a number, or ``uncounted``)."""

    line: int  # first physical line of the (possibly continued) line
    keyword: str  # INCREMENT | FEATURE
    feature: str
    vendor: str
    version: str
    expires: str  # permanent or dd-mmm-yyyy, as written
    licenses: str


@dataclass
class ParsedLicence:
    server: str | None
    features: list[LicenceLine] = field(default_factory=list)
    rejects: list[LogReject] = field(default_factory=list)


def looks_like_licence(first_lines: Iterable[bytes | str]) -> bool:
    """Whether a file is a licence file: its first meaningful line is a licence keyword."""
    for raw in first_lines:
        text = decode_line(raw).lstrip("\ufeff").strip()
        if not text or text.startswith("#"):
            continue
        return _KEYWORD_RE.match(text) is not None
    return False


def _logical_lines(lines: Iterable[bytes | str]) -> Iterable[tuple[int, str]]:
    """(first line number, text) of each line with its backslash continuations joined."""
    parts: list[str] = []
    first = 0
    for number, raw in enumerate(lines, start=1):
        text = decode_line(raw)
        if number == 1:
            text = text.lstrip("\ufeff")
        if not parts:
            first = number
        stripped = text.rstrip()
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(text)
        yield first, " ".join(p.strip() for p in parts)
        parts = []
    if parts:
        yield first, " ".join(p.strip() for p in parts)


def parse_licence(lines: Iterable[bytes | str], *, server: str | None = None) -> ParsedLicence:
    """The counted features of one licence file; ``server`` overrides its SERVER line."""
    result = ParsedLicence(server=server)
    for number, text in _logical_lines(lines):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = stripped.split()
        keyword = fields[0].upper()
        if keyword == "SERVER" and len(fields) >= 2 and result.server is None:
            result.server = fields[1]
        elif keyword in ("INCREMENT", "FEATURE"):
            if len(fields) < 6:
                result.rejects.append(LogReject(number, UNPARSEABLE_LINE, stripped, stripped))
                continue
            result.features.append(
                LicenceLine(number, keyword, fields[1], fields[2], fields[3], fields[4], fields[5])
            )
    return result
