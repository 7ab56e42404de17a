"""The plan step: a plan workbook (or the packaged sample) → a checked :class:`Plan`.

Two sources, one path: the reader (``.xlsx``) and the readable TOML source both
produce the same row tables, and one validator turns them into a plan,
reporting every problem at once in a :class:`~workbook_tools.errors.PlanError`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from workbook_tools.plan.model import Plan
from workbook_tools.plan.tables import PlanTables, tables_from_mapping
from workbook_tools.plan.validate import validate

#: The sample plan's readable source, shipped inside the package.
SAMPLE_NAME = "kehoach_2024"


def load_plan(path: Path) -> Plan:
    """Read and check a plan workbook; raise :class:`PlanError` with every problem."""
    from workbook_tools.plan.reader import read_tables

    return validate(read_tables(path))


def sample_tables() -> PlanTables:
    """The row tables of the packaged sample plan (the TOML source)."""
    import tomllib

    source = resources.files("workbook_tools").joinpath(f"sample/{SAMPLE_NAME}.toml")
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    return tables_from_mapping(data, source=f"{SAMPLE_NAME}.toml")


def blank_tables() -> PlanTables:
    """The row tables of a blank plan (``wbt init --blank``): every setting's row with no
    value, every other sheet empty; the writer gives each its headers and the guide."""
    from workbook_tools.plan.schema import SETTINGS

    return tables_from_mapping(
        {"settings": [{"key": setting.key} for setting in SETTINGS]}, source="kehoach.xlsx"
    )


def tables_from_source(path: Path) -> PlanTables:
    """The row tables of a plan's text source (TOML); :class:`PlanError` if it is broken."""
    from workbook_tools.plan.tables import tables_from_toml

    return tables_from_toml(path)


def load_sample_plan() -> Plan:
    """The packaged 2024 sample plan, checked by the same validator as a workbook."""
    return validate(sample_tables())


__all__ = [
    "Plan",
    "blank_tables",
    "load_plan",
    "load_sample_plan",
    "sample_tables",
    "tables_from_source",
]
