"""A seeded, deterministic generator of a sample organisation's landing folder.

``generate_organisation(out)`` writes what a real organisation would drop into the landing
folder (agent sessions, Active Directory snapshots, Autodesk Account exports, token packs and a
reference rate file), including the awkward cases the pipeline must handle, plus
``_sample.json`` describing what it wrote. ``flex_windows`` / ``daily_token_usage`` are the small
Flex billing model it uses to play Autodesk.
"""

from __future__ import annotations

from .billing import FlexWindow, daily_token_usage, flex_windows
from .catalogue import token_rate
from .clock import ORG_TIME_ZONE
from .generator import MANIFEST, SampleSummary, generate_organisation

__all__ = [
    "MANIFEST",
    "ORG_TIME_ZONE",
    "FlexWindow",
    "SampleSummary",
    "daily_token_usage",
    "flex_windows",
    "generate_organisation",
    "token_rate",
]
