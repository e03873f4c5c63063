"""FlexNet network licences: the ``adskflex``/lmgrd debug log parser and the licence file reader.

No Dagster or dbt here: :func:`parse_log` turns the lines of one debug log into licence sessions
(OUT/IN pairs, with restarts and the end of the log closing what is left open), events (DENIED,
UNSUPPORTED, server starts) and rejected lines with their line numbers; :func:`parse_licence`
reads the counted features of a licence file. ``connectors/files/flexlm.py`` loads both.
"""

from __future__ import annotations

from connectors.flexlm.features import FeatureCode, split_feature
from connectors.flexlm.licence import LicenceLine, ParsedLicence, looks_like_licence, parse_licence
from connectors.flexlm.logs import (
    UNPARSEABLE_LINE,
    UNPARSEABLE_TIMESTAMP,
    VENDOR,
    LogEvent,
    LogReject,
    LogSession,
    ParsedLog,
    file_name_date,
    parse_log,
)

__all__ = [
    "UNPARSEABLE_LINE",
    "UNPARSEABLE_TIMESTAMP",
    "VENDOR",
    "FeatureCode",
    "LicenceLine",
    "LogEvent",
    "LogReject",
    "LogSession",
    "ParsedLicence",
    "ParsedLog",
    "file_name_date",
    "looks_like_licence",
    "parse_licence",
    "parse_log",
    "split_feature",
]
