"""Exceptions: only for what stops a run.

Problems found in returned workbooks are :class:`workbook_tools.problems.Problem`
records, never exceptions. These classes are for the few things that make a
command unable to do its job at all: a broken plan workbook, an output that
cannot be written, a working folder that is not one.
"""

from __future__ import annotations

import difflib
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


class LockError(WorkbookToolsError):
    """A lock (chốt số liệu), unlock or review that cannot be done, or a merge of a locked
    period that would not give the locked figures: the message says why and what to do."""


class UnknownPeriodError(WorkbookToolsError):
    """A period code that is not in the plan: the one message every command gives."""

    def __init__(self, given: str, valid: Sequence[str]) -> None:
        folded = {v.casefold(): v for v in valid}
        close = difflib.get_close_matches(given.strip().casefold(), list(folded), n=1, cutoff=0.75)
        guess = f" Có phải ý bạn là '{folded[close[0]]}'?" if close else ""
        listed = ", ".join(valid) if valid else "(chưa có kỳ nào: hãy điền trang các kỳ báo cáo)"
        super().__init__(
            f"Kỳ báo cáo '{given.strip()}' không có trong kế hoạch.{guess} "
            f"Các kỳ có trong kế hoạch: {listed}."
        )
        self.given = given


class TemplateError(WorkbookToolsError):
    """The Word report's template cannot be used: not a .docx, or a tag that is wrong.

    The message names the file and, where the template language says, the tag
    and the paragraph it is in.
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path
