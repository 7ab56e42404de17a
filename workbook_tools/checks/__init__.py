"""The checks step: clean every value read from a returned form and check it against the plan.

The inbox step hands on submissions with their values as read
(:attr:`Submission.raw`); this step fills in the usable values, marks the
unusable ones and adds a problem record for everything found.
:func:`read_and_check` is the two steps together, as ``wbt status``,
``wbt check`` and ``wbt merge`` run them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from workbook_tools import problems
from workbook_tools.checks.validate import check_form
from workbook_tools.inbox.model import InboxResult, SubmissionStatus
from workbook_tools.inbox.read import Progress, read_inbox
from workbook_tools.plan.model import Plan


def check_inbox(plan: Plan, result: InboxResult) -> InboxResult:
    """Clean and check the values of every submission that is used; return ``result``."""
    period = plan.period(result.period)
    for submission in result.submissions:
        if submission.status is not SubmissionStatus.USED or submission.unit is None:
            continue
        try:
            checked = check_form(
                plan, period, plan.entry(submission.unit), submission.raw, file=submission.file
            )
        except Exception as err:  # a value nobody foresaw must not stop the run
            submission.status = SubmissionStatus.REJECTED
            result.problems.append(
                problems.make(
                    "inbox.unreadable",
                    file=submission.file,
                    unit=submission.unit,
                    reason=f"lỗi không lường trước khi kiểm tra số liệu ({type(err).__name__})",
                )
            )
            continue
        submission.values = checked.values
        submission.unusable = checked.unusable
        submission.cells = dict(checked.cells)
        result.problems.extend(checked.problems)
    return result


def read_and_check(
    plan: Plan,
    period_code: str,
    inbox_dir: Path,
    ledger_path: Path,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> InboxResult:
    """Read, identify, clean and check every returned file of the period: the shared step.

    ``workers`` is the number of processes reading the files (see
    :func:`~workbook_tools.inbox.read.read_inbox`); checking is quick and done here.
    """
    result = read_inbox(
        plan, period_code, inbox_dir, ledger_path, now=now, progress=progress, workers=workers
    )
    return check_inbox(plan, result)
