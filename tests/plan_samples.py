"""Plan workbooks for tests, built from the sample plan's readable source.

A broken plan is the sample's data with one thing changed, written by the
plan writer: the test shows exactly what is broken, and no binary fixture is
kept in the repository.
"""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from workbook_tools.plan.tables import tables_from_mapping
from workbook_tools.plan.writer import write_plan_file

PlanData = dict[str, list[dict[str, Any]]]

_SOURCE = resources.files("workbook_tools").joinpath("sample/kehoach_2024.toml")
_DATA: PlanData = tomllib.loads(_SOURCE.read_text(encoding="utf-8"))


def sample_data() -> PlanData:
    """A fresh copy of the sample plan's TOML data, to change freely."""
    return copy.deepcopy(_DATA)


def row(data: PlanData, sheet: str, code: str, key: str = "code") -> dict[str, Any]:
    """The row of ``sheet`` whose ``key`` column is ``code``."""
    for entry in data[sheet]:
        if entry.get(key) == code:
            return entry
    raise KeyError(code)


def write_workbook(data: PlanData, path: Path) -> Path:
    """Write ``data`` as a plan workbook at ``path``."""
    write_plan_file(tables_from_mapping(data, source=path.name), path)
    return path
