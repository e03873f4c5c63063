"""Import the numpy engine (a dbt Python model file, not a package module) for direct tests."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

ENGINE_FILE = (
    Path(__file__).resolve().parents[2]
    / "dbt_project"
    / "models"
    / "intermediate"
    / "billing"
    / "int_usage_windows_numpy.py"
)


@cache
def engine() -> ModuleType:
    spec = importlib.util.spec_from_file_location("int_usage_windows_numpy", ENGINE_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
