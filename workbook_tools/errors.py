"""Exceptions: only for what stops a run.

Problems found in returned workbooks are :class:`workbook_tools.problems.Problem`
records, never exceptions. These classes are for the few things that make a
command unable to do its job at all: a broken plan workbook, an output that
cannot be written, a working folder that is not one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbook_tools.problems import Problem


class WorkbookToolsError(Exception):
    """Base of every error that stops a command. ``str()`` is Vietnamese for the officer."""


class PlanError(WorkbookToolsError):
    """The plan workbook is missing or broken; ``problems`` says every place at once."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = tuple(problems)


class ExpressionError(WorkbookToolsError):
    """A formula of the plan workbook does not parse or names something unknown."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class OutputError(WorkbookToolsError):
    """An output file cannot be written (open in Excel, no permission, disk full)."""


class WorkspaceError(WorkbookToolsError):
    """The working folder is not usable (no plan, no inbox, locked by another run)."""
