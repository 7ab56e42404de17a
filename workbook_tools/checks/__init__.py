"""The checks step: clean every value read from a returned form and check it against the plan.

The inbox step hands on each file's values as read (:attr:`FileRead.raw`);
:func:`check_read` fills in the usable values, marks the unusable ones and
adds a problem record for everything found. It runs where the file was read
(:func:`workbook_tools.pipeline.read_and_check`), so the worker processes
share it.
"""

from __future__ import annotations

from workbook_tools import problems
from workbook_tools.checks.validate import FormCheck, check_form
from workbook_tools.inbox.model import FileRead, SubmissionStatus
from workbook_tools.plan.model import Period, Plan

__all__ = ["FormCheck", "check_form", "check_read"]


def check_read(plan: Plan, period: Period, read: FileRead) -> FileRead:
    """Clean and check the values of one identified form of ``period``; return ``read``.

    The values as read are not handed on (:attr:`FileRead.raw` is emptied):
    from here on only the usable values count. Never raises: a value nobody
    foresaw makes the file unusable, with a problem record saying so.
    """
    submission = read.submission
    if submission.status is not SubmissionStatus.USED or submission.unit is None:
        return read
    try:
        checked = check_form(
            plan, period, plan.entry(submission.unit), read.raw, file=submission.file
        )
    except Exception as err:  # a value nobody foresaw must not stop the run
        submission.status = SubmissionStatus.REJECTED
        read.problems.append(
            problems.make(
                "inbox.unreadable",
                file=submission.file,
                unit=submission.unit,
                reason=f"lỗi không lường trước khi kiểm tra số liệu ({type(err).__name__})",
            )
        )
    else:
        submission.values = checked.values
        submission.unusable = checked.unusable
        read.cell_problems.extend(checked.problems)
    read.raw = {}
    return read
