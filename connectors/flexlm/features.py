"""Autodesk FlexNet feature codes: ``87393ACD_2021_0F`` = prefix 87393, product ACD, version 2021.

Autodesk writes three kinds of feature code (Autodesk "Feature codes" support page):

* version-specific: ``87393ACD_2021_0F`` (AutoCAD 2021), ``879373DSMAX_2025_0F`` (3ds Max 2025),
  ``87804AMECH_PP_2024_0F`` (AutoCAD Mechanical 2024);
* multi-user subscription packages: ``64300ACD_T_F`` (any of the supported AutoCAD versions);
* perpetual licences on a maintenance plan: ``64300ACD_F``.

The five digits are an identifier; the letters after them up to the first underscore are the
product suffix that the product catalogue maps (``feature_suffix``: ACD = AutoCAD, RVT = Revit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FEATURE_RE = re.compile(r"^(?P<prefix>[0-9]{5})(?P<suffix>[A-Za-z0-9]+)(?:_(?P<rest>.*))?$")
_VERSION_RE = re.compile(r"(?:^|_)((?:19|20)[0-9]{2})(?:_|$)")


@dataclass(frozen=True)
class FeatureCode:
    """The parts of an Autodesk feature code; ``suffix`` is None when it has no 5-digit prefix."""

    code: str
    prefix: str | None
    suffix: str | None  # upper case: ACD, RVT, 3DSMAX, ...
    version: str | None  # 2021, ...; None for packages and maintenance codes
    kind: str  # version | package | maintenance | other


def split_feature(code: str) -> FeatureCode:
    """Split a feature code into prefix, product suffix, version and kind.

    >>> f = split_feature("87393ACD_2021_0F")
    >>> (f.prefix, f.suffix, f.version, f.kind)
    ('87393', 'ACD', '2021', 'version')
    >>> split_feature("64300ACD_T_F").kind
    'package'
    """
    match = _FEATURE_RE.match(code)
    if match is None:
        return FeatureCode(code, None, None, None, "other")
    rest = (match.group("rest") or "").upper()
    version_match = _VERSION_RE.search(rest)
    if version_match is not None:
        kind, version = "version", version_match.group(1)
    elif rest == "T_F":
        kind, version = "package", None
    elif rest == "F":
        kind, version = "maintenance", None
    else:
        kind, version = "other", None
    return FeatureCode(code, match.group("prefix"), match.group("suffix").upper(), version, kind)
