"""What the sample organisation knows about Autodesk products: names, keys, rates, collections.

The generator plays Autodesk as well as the workstation agent: the token rates here are the ones
Autodesk bills with (``flex-rules.md`` section 3, plus Civil 3D from the organisation's reference
file). Products without a rate (InfraWorks, Inventor Professional) are never in the Token Usage
export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np


@dataclass(frozen=True)
class Product:
    """One Autodesk product as the agent, Autodesk Account and the billing engine name it."""

    name: str  # canonical name (flex-rules.md section 3)
    agent_names: tuple[str, ...]  # as the agent reports it, one per version (oldest first)
    keys: tuple[str, ...]  # product key per version ("" = the agent never reads one)
    autodesk_name: str  # Product column of the Autodesk exports
    feature: str  # Feature column of the Token Usage export


PRODUCTS: tuple[Product, ...] = (
    Product(
        "AutoCAD",
        ("AutoCAD 2024", "AutoCAD 2025"),
        ("001P1", "001Q1"),
        "AutoCAD - including specialized toolsets",
        "ACD",
    ),
    Product("Revit", ("Revit 2024", "Revit 2025"), ("829P1", "829Q1"), "Revit", "RVT"),
    Product("Civil 3D", ("Civil 3D 2025",), ("237Q1",), "Civil 3D", "CIV3D"),
    Product(
        "Navisworks Manage",
        ("Navisworks Manage 2025",),
        ("507Q1",),
        "Navisworks Manage",
        "NAVMAN",
    ),
    Product("3ds Max", ("3ds Max 2025",), ("128Q1",), "3ds Max", "3DSMAX"),
    Product("Maya", ("Maya 2025",), ("657Q1",), "Maya", "MAYA"),
    Product(
        "Inventor Professional",
        ("Inventor Professional 2025",),
        ("797Q1",),
        "Inventor Professional",
        "INVPROSA",
    ),
    Product("Fusion", ("Fusion",), ("",), "Fusion", "F360"),
    Product("InfraWorks", ("InfraWorks 2025",), ("927Q1",), "InfraWorks", "IW"),
)

AUTOCAD, REVIT, CIVIL3D, NAVISWORKS, MAX3DS, MAYA, INVENTOR, FUSION, INFRAWORKS = range(9)

# Programs the agent reports that are not Autodesk products at all (quarantined as unknown_product).
UNKNOWN_PRODUCTS: tuple[str, ...] = ("SketchUp 2024", "Notepad++")

# Agent product-name table: every (product, version) name, then the unknown programs.
AGENT_NAMES: tuple[str, ...] = tuple(n for p in PRODUCTS for n in p.agent_names) + UNKNOWN_PRODUCTS
AGENT_KEYS: tuple[str, ...] = tuple(k for p in PRODUCTS for k in p.keys) + ("",) * len(
    UNKNOWN_PRODUCTS
)
NAME_OFFSET: np.ndarray = np.cumsum([0] + [len(p.agent_names) for p in PRODUCTS[:-1]])
N_VERSIONS: np.ndarray = np.array([len(p.agent_names) for p in PRODUCTS])
UNKNOWN_NAME_IDS: tuple[int, ...] = tuple(
    range(len(AGENT_NAMES) - len(UNKNOWN_PRODUCTS), len(AGENT_NAMES))
)

# Token rates Autodesk bills with: product -> (effective_from, effective_to inclusive | None, rate)
TOKEN_RATES: dict[str, tuple[tuple[date, date | None, int], ...]] = {
    "AutoCAD": ((date(2021, 9, 7), date(2022, 12, 31), 6), (date(2023, 1, 1), None, 7)),
    "Revit": ((date(2021, 9, 7), None, 10),),
    "Maya": ((date(2021, 9, 7), None, 6),),
    "3ds Max": ((date(2021, 9, 7), None, 6),),
    "Navisworks Manage": ((date(2021, 9, 7), None, 9),),
    "Navisworks Simulate": ((date(2021, 9, 7), None, 4),),
    "Fusion": ((date(2021, 9, 7), None, 3),),
    "Civil 3D": ((date(2021, 9, 7), None, 10),),
}

# reference/token_rates.csv: the organisation's own rows (Civil 3D is not in the shipped table).
REFERENCE_TOKEN_RATES: tuple[tuple[str, int, str, str], ...] = (("Civil 3D", 10, "2021-09-07", ""),)


@dataclass(frozen=True)
class Collection:
    """An Autodesk industry collection and the products it covers (F6a)."""

    autodesk_name: str
    products: tuple[int, ...]


AEC, PDM, MNE = range(3)
COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        "Architecture Engineering & Construction Collection",
        (AUTOCAD, REVIT, CIVIL3D, NAVISWORKS, MAX3DS, INFRAWORKS),
    ),
    Collection(
        "Product Design & Manufacturing Collection", (AUTOCAD, INVENTOR, NAVISWORKS, FUSION)
    ),
    Collection("Media & Entertainment Collection", (MAX3DS, MAYA)),
)


def _epoch_day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def token_rate(product: str, day: date) -> int | None:
    """Tokens per 24-hour window for a canonical product on a (UTC) date; None = no known rate."""
    for start, stop, rate in TOKEN_RATES.get(product, ()):
        if start <= day and (stop is None or day <= stop):
            return rate
    return None


def token_rates_by_day(products: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Vectorised :func:`token_rate`: product indices and epoch days -> rate (-1 = no rate)."""
    out = np.full(products.shape, -1, dtype=np.int64)
    for idx, product in enumerate(PRODUCTS):
        for start, stop, rate in TOKEN_RATES.get(product.name, ()):
            hi = _epoch_day(stop) if stop is not None else np.iinfo(np.int64).max
            mask = (products == idx) & (days >= _epoch_day(start)) & (days <= hi)
            out[mask] = rate
    return out
