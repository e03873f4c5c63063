"""tokens/: Flex token pack purchases (``*.csv``) -> ``token_packs``.

Columns: ``order_id``, ``purchased_on``, ``tokens``, ``price_per_token``, ``currency``,
``expires_on`` (optional; dbt defaults it to purchased_on + 12 months). A file without
``purchased_on`` or ``tokens`` has every data row quarantined as ``missing_required``; a pack
without a price takes the default token price from the settings, in dbt.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from connectors.files.common import (
    MISSING_REQUIRED,
    Chunk,
    match_columns,
    missing_columns,
    quarantine_csv,
    read_csv_table,
    sniff_csv,
)

logger = logging.getLogger(__name__)

TABLE = "token_packs"
SUFFIXES: tuple[str, ...] = (".csv",)

# raw column -> header spellings, best first
TOKEN_PACK_COLUMNS: dict[str, tuple[str, ...]] = {
    "order_id": ("order_id", "Order number", "Order"),
    "purchased_on": ("purchased_on", "Purchase date", "Purchased"),
    "tokens": ("tokens", "Token quantity", "Tokens purchased"),
    "price_per_token": ("price_per_token", "Token price", "Unit price"),
    "currency": ("currency",),
    "expires_on": ("expires_on", "Expiry date", "Expiration date", "Expires"),
}

REQUIRED: dict[str, str] = {"purchased_on": "purchased_on", "tokens": "tokens"}


def read_file(path: Path, *, fast: bool = True) -> Iterator[Chunk]:
    """Chunks for ``token_packs`` (and ``quarantine``) from one purchases file."""
    layout = sniff_csv(path)
    matches = match_columns(layout.header, TOKEN_PACK_COLUMNS)
    missing = missing_columns(matches, REQUIRED)
    if missing:
        logger.warning("%s: no column %s; every row quarantined", path, ", ".join(missing))
        yield from quarantine_csv(path, layout, MISSING_REQUIRED, ", ".join(missing))
        return
    yield from read_csv_table(path, layout, TABLE, matches, fast=fast)
