"""reference/: the organisation's own reference data (``*.csv``), overriding the shipped seeds.

The file name stem says which table (folded like a header: ``token_rates.csv`` =
``Token Rates.csv``): ``prices``, ``token_rates``, ``products``, ``collections``. A CSV with any
other name gives one ``bad_value`` quarantine row (row 0); a file without a required column has
every data row quarantined as ``missing_required``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from connectors.files.common import (
    BAD_VALUE,
    MISSING_REQUIRED,
    Chunk,
    fold,
    match_columns,
    missing_columns,
    quarantine_chunk,
    quarantine_csv,
    read_csv_table,
    sniff_csv,
)

logger = logging.getLogger(__name__)

SUFFIXES: tuple[str, ...] = (".csv",)


@dataclass(frozen=True)
class ReferenceFile:
    table: str
    columns: dict[str, tuple[str, ...]]  # raw column -> header spellings
    required: tuple[str, ...]


# file name stem -> what it holds
REFERENCE_FILES: dict[str, ReferenceFile] = {
    "prices": ReferenceFile(
        "reference_prices",
        {
            "product_or_collection": ("product_or_collection", "product", "collection"),
            "annual_price": ("annual_price", "price"),
            "currency": ("currency",),
            "effective_from": ("effective_from",),
        },
        required=("product_or_collection", "annual_price"),
    ),
    "token_rates": ReferenceFile(
        "reference_token_rates",
        {
            "product": ("product",),
            "tokens_per_day": ("tokens_per_day", "tokens"),
            "effective_from": ("effective_from",),
            "effective_to": ("effective_to",),
        },
        required=("product", "tokens_per_day"),
    ),
    "products": ReferenceFile(
        "reference_products",
        {"alias": ("alias",), "product": ("product",)},
        required=("alias", "product"),
    ),
    "collections": ReferenceFile(
        "reference_collections",
        {"collection": ("collection",), "product": ("product",)},
        required=("collection", "product"),
    ),
}

TABLES: tuple[str, ...] = tuple(ref.table for ref in REFERENCE_FILES.values())
_BY_STEM = {fold(stem): ref for stem, ref in REFERENCE_FILES.items()}


def read_file(path: Path, *, fast: bool = True) -> Iterator[Chunk]:
    """Chunks for the reference table named by the file (and ``quarantine``)."""
    ref = _BY_STEM.get(fold(path.stem))
    if ref is None:
        expected = ", ".join(f"{stem}.csv" for stem in REFERENCE_FILES)
        logger.warning("%s: not a reference file name (expected %s)", path, expected)
        yield quarantine_chunk(
            0, BAD_VALUE, f"unknown reference file {path.name!r}; expected one of {expected}", None
        )
        return
    layout = sniff_csv(path)
    matches = match_columns(layout.header, ref.columns)
    missing = missing_columns(matches, {c: c for c in ref.required})
    if missing:
        logger.warning("%s: no column %s; every row quarantined", path, ", ".join(missing))
        yield from quarantine_csv(path, layout, MISSING_REQUIRED, ", ".join(missing))
        return
    yield from read_csv_table(path, layout, ref.table, matches, fast=fast)
