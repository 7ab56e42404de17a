"""The checks step: clean every value read from a returned form and check it against the plan.

The inbox step hands on submissions with their values as read
(:attr:`Submission.raw`); this step fills in the usable values, marks the
unusable ones and adds a problem record for everything found.
:func:`read_and_check` is the two steps together, as ``wbt status``,
``wbt check`` and ``wbt merge`` run them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from workbook_tools import problems
from workbook_tools.checks.validate import FormCheck, check_form
from workbook_tools.inbox.model import InboxResult, RawCell, SubmissionStatus
from workbook_tools.inbox.read import Progress, read_inbox
from workbook_tools.plan.model import Period, Plan, RosterEntry


def check_inbox(plan: Plan, result: InboxResult) -> InboxResult:
    """Clean and check the values of every submission that is used; return ``result``.

    A form already checked where it was read (:func:`prepare_check`, kept in
    ``result.prepared``) is not checked again.
    """
    period = plan.period(result.period)
    for submission in result.submissions:
        if submission.status is not SubmissionStatus.USED or submission.unit is None:
            continue
        checked = result.prepared.pop(submission.file, None)
        if not isinstance(checked, FormCheck | CheckFailed):
            entry = plan.entry(submission.unit)
            checked = prepare_check(plan, period, entry, submission.raw, submission.file)
        if isinstance(checked, CheckFailed):
            submission.status = SubmissionStatus.REJECTED
            result.problems.append(
                problems.make(
                    "inbox.unreadable",
                    file=submission.file,
                    unit=submission.unit,
                    reason=f"lỗi không lường trước khi kiểm tra số liệu ({checked.error})",
                )
            )
            continue
        submission.values = checked.values
        submission.unusable = checked.unusable
        result.problems.extend(checked.problems)
    return result


@dataclass(frozen=True, slots=True)
class CheckFailed:
    """A form whose check failed unexpectedly: the name of the error."""

    error: str


def prepare_check(
    plan: Plan, period: Period, entry: RosterEntry, raw: Mapping[str, RawCell], file: str
) -> FormCheck | CheckFailed:
    """:func:`check_form`, never raising: the inbox step runs it where each file is read."""
    try:
        return check_form(plan, period, entry, raw, file=file)
    except Exception as err:  # a value nobody foresaw must not stop the run
        return CheckFailed(type(err).__name__)


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
    :func:`~workbook_tools.inbox.read.read_inbox`); each form is checked by
    the process that read it.
    """
    result = read_inbox(
        plan,
        period_code,
        inbox_dir,
        ledger_path,
        now=now,
        progress=progress,
        workers=workers,
        prepare=prepare_check,
    )
    return check_inbox(plan, result)
