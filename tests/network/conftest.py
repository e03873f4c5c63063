"""Fixtures of the network mart tests: a warehouse built for real from a landing folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.network.builder import Query, build_network_warehouse


@pytest.fixture
def network_build(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Query]:
    """``network_build(landing, as_of=..., timezone=..., token_price=...)`` -> a query function."""

    def build(landing: Path, **options: Any) -> Query:
        work = tmp_path_factory.mktemp("network_build")
        return build_network_warehouse(work, landing, **options)

    return build
