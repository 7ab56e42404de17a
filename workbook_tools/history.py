"""Earlier reports, as they were sent: the JSON summaries of earlier periods.

A period is read against two earlier reports: the plan's previous period (6T-2024
before CN-2024) and the same period of the year before (6T-2023 before 6T-2024).
Each is what the commune sent: the JSON summary ``wbt merge`` wrote into that
period's folder of ``outbox/`` (:data:`~workbook_tools.report.write.SUMMARY_NAME`),
not its returned files read again. The same period of the year before is found
in ``outbox/`` by its dates (a summary whose period starts and ends a year
earlier), or given by path (``wbt merge --compare-with``): last year's summary
file, or a folder holding it.

:func:`find_history` looks the files up and reads them; :func:`earlier_report`
turns one summary's data into an :class:`EarlierReport` (plain data; a summary
that is not one is said, never raised). Only a file the officer named with
--compare-with that is no summary of the same period a year earlier stops the run
(:class:`~workbook_tools.errors.WorkspaceError`): the report would not say what was
asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

from workbook_tools import problems
from workbook_tools.errors import WorkspaceError
from workbook_tools.plan.model import Period, Plan
from workbook_tools.problems import Problem
from workbook_tools.report.wording import period_phrase

#: The summary's file name in its period's folder (report/write.py writes it there).
SUMMARY_NAME = "tong_hop_{period}.json"
SUMMARY_PATTERN = SUMMARY_NAME.format(period="*")
#: The key of each reporting entry's number values in a summary (for the next period).
UNIT_VALUES_KEY = "unit_values"

#: What the report says where an earlier report is missing.
NO_PREVIOUS = "chưa có số liệu kỳ trước"
NO_LAST_YEAR = "chưa có số liệu cùng kỳ năm trước"


@dataclass(frozen=True, slots=True)
class Figures:
    """One indicator's figures in a report: as its JSON summary has them, exact."""

    period: str  # the report's period code
    numerator: Fraction | None
    denominator: Fraction | None
    value: Fraction | None  # the rate (None: a count, or nothing to divide)

    def figure(self, is_count: bool) -> Fraction | None:
        """What is compared: the count of an indicator with no denominator, else the rate."""
        return self.numerator if is_count else self.value


@dataclass(frozen=True, slots=True)
class EarlierReport:
    """An earlier period's report, from its JSON summary."""

    source: str  # the summary file, as the officer finds it
    period: str  # "6T-2024"
    period_name: str  # "Báo cáo 6 tháng đầu năm 2024"
    start: date | None
    end: date | None
    indicators: Mapping[str, Figures]  # indicator code -> its figures
    #: Roster code -> field code -> the number reported (None: left blank). Entries
    #: that did not report are absent; so is everything of a summary made before
    #: the summaries held them.
    values: Mapping[str, Mapping[str, Fraction | None]] = field(default_factory=dict)

    def covered_by(self, period: Period) -> bool:
        """Whether ``period`` covers this report's whole period (CN-2024 covers 6T-2024):
        a figure adding up over the year is then at least this report's."""
        if self.start is None or self.end is None:
            return False
        inside = period.start <= self.start and self.end <= period.end
        return inside and (self.start, self.end) != (period.start, period.end)


class Side(NamedTuple):
    """One earlier report a period is read against, or why there is none."""

    words: str  # what it is called: "kỳ trước", "cùng kỳ năm trước"
    report: EarlierReport | None
    #: Why it is missing, for the officer at the terminal and in the JSON summary:
    #: names the file that is missing or unreadable ("" when there is a report).
    note: str
    #: Why it is missing, in the report's own words (the Word report, an indicator's
    #: note): no file path, no code ("" when there is a report).
    reason: str
    previous: bool  # the previous period's report (else the same period's a year before)


@dataclass(frozen=True, slots=True)
class History:
    """The earlier reports a period is read against, and why one is missing."""

    previous: EarlierReport | None = None
    last_year: EarlierReport | None = None
    #: Vietnamese: why there is no previous report / none of last year ("" when there
    #: is), for the officer: the file looked for is named.
    previous_note: str = NO_PREVIOUS
    last_year_note: str = NO_LAST_YEAR
    problems: tuple[Problem, ...] = ()  # an earlier summary that could not be read
    #: The same, in a report's words (no file path): what the Word report prints.
    previous_reason: str = NO_PREVIOUS
    last_year_reason: str = NO_LAST_YEAR

    def sides(self) -> tuple[Side, Side]:
        """The previous period's report, then the same period's of the year before."""
        return (
            Side("kỳ trước", self.previous, self.previous_note, self.previous_reason, True),
            Side(
                "cùng kỳ năm trước",
                self.last_year,
                self.last_year_note,
                self.last_year_reason,
                False,
            ),
        )


def previous_period(plan: Plan, period: Period) -> Period | None:
    """The plan's period before ``period`` (in the plan's order); None for the first."""
    codes = [p.code for p in plan.periods]
    at = codes.index(period.code)
    return plan.periods[at - 1] if at > 0 else None


def year_before(day: date) -> date:
    """The same day a year earlier (29/02 → 28/02)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def find_history(
    plan: Plan, period: Period, outbox: Path, compare_with: Path | None = None
) -> History:
    """The earlier reports of ``period``: the previous period's summary in ``outbox``, and
    the same period of the year before (``compare_with``: its summary, or a folder to
    look in; else ``outbox``). A summary that cannot be read is a warning, and missing."""
    found: list[Problem] = []
    previous, previous_note, previous_reason = None, NO_PREVIOUS, NO_PREVIOUS
    before = previous_period(plan, period)
    if before is None:
        previous_note = f"{NO_PREVIOUS} ({period.code} là kỳ đầu tiên của kế hoạch)"
        previous_reason = (
            f"{NO_PREVIOUS} ({period_phrase(period.name)} là kỳ đầu tiên của kế hoạch)"
        )
    else:
        previous_reason = f"{NO_PREVIOUS} ({period_phrase(before.name)})"
        path = outbox / before.code / SUMMARY_NAME.format(period=before.code)
        if path.is_file():
            previous = _read(path, outbox.parent, found)
            if previous is None:
                previous_note = f"{NO_PREVIOUS} (không đọc được {_shown(path, outbox.parent)})"
        else:
            previous_note = (
                f"{NO_PREVIOUS} (chưa tổng hợp kỳ {before.code}: không có "
                f"{_shown(path, outbox.parent)})"
            )
    if previous is not None:
        previous_note = previous_reason = ""
    own = {p.code for p in plan.periods}  # this plan's year: never a year earlier
    last_year, last_year_note = _last_year(period, outbox, compare_with, found, own)
    return History(
        previous,
        last_year,
        previous_note,
        last_year_note,
        tuple(found),
        previous_reason,
        "" if last_year is not None else NO_LAST_YEAR,
    )


def _last_year(
    period: Period,
    outbox: Path,
    compare_with: Path | None,
    found: list[Problem],
    own: set[str],
) -> tuple[EarlierReport | None, str]:
    """The same period's report a year earlier, or why there is none (for the officer)."""
    dates = (year_before(period.start), year_before(period.end))
    if compare_with is not None and compare_with.is_file():
        given = _load(compare_with, str(compare_with))
        if not isinstance(given, EarlierReport):
            raise WorkspaceError(_not_a_summary(compare_with, given))
        if (given.start, given.end) != dates:
            raise WorkspaceError(_not_last_year(period, given, compare_with, dates))
        return given, ""
    folder = compare_with if compare_with is not None else outbox
    for path in _summaries(folder):
        if compare_with is None and path.parent.name in own:
            continue  # a period of this plan's own year
        report = _read(path, outbox.parent, found, quiet=True)
        if report is not None and (report.start, report.end) == dates:
            return report, ""
    if compare_with is None:
        return None, NO_LAST_YEAR
    return None, (
        f"{NO_LAST_YEAR} (thư mục {compare_with} (--compare-with) không có tệp tổng hợp "
        f"tong_hop_….json nào của kỳ từ {dates[0]:%d/%m/%Y} đến {dates[1]:%d/%m/%Y})"
    )


def _not_a_summary(path: Path, reason: str) -> str:
    """Why a file given by --compare-with cannot be compared with."""
    return (
        f"Tệp {path} (--compare-with) không phải tệp tổng hợp tong_hop_….json của wbt "
        f"({reason}). "
        "Hãy chỉ đến tệp tổng hợp mà 'wbt merge' đã ghi vào outbox/ cho cùng kỳ năm trước, "
        "hoặc thư mục chứa nó, hoặc bỏ --compare-with. Chưa ghi báo cáo."
    )


def _not_last_year(
    period: Period, report: EarlierReport, path: Path, dates: tuple[date, date]
) -> str:
    """Why a summary given by --compare-with is not the same period a year earlier."""
    if report.start is not None and report.end is not None:
        span = f"từ {report.start:%d/%m/%Y} đến {report.end:%d/%m/%Y}"
    else:
        span = "không ghi ngày bắt đầu, kết thúc"
    return (
        f"Tệp {path} (--compare-with) là báo cáo {report.period_name} ({report.period}, {span}), "
        f"không phải cùng kỳ năm trước của {period.name} ({period.code}): cần báo cáo từ "
        f"{dates[0]:%d/%m/%Y} đến {dates[1]:%d/%m/%Y}. Hãy chỉ đến tệp tổng hợp "
        "(tong_hop_….json) của kỳ đó năm trước, hoặc bỏ --compare-with. Chưa ghi báo cáo."
    )


def _summaries(folder: Path) -> Iterable[Path]:
    """The summaries in ``folder``: its own, its periods' folders', an outbox's in it."""
    if not folder.is_dir():
        return []
    patterns = (SUMMARY_PATTERN, f"*/{SUMMARY_PATTERN}", f"outbox/*/{SUMMARY_PATTERN}")
    return sorted({p for pattern in patterns for p in folder.glob(pattern) if p.is_file()})


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def _read(
    path: Path, root: Path | None, found: list[Problem], *, quiet: bool = False
) -> EarlierReport | None:
    """The summary at ``path``; None (and a warning, unless ``quiet``) if it is none."""
    shown = _shown(path, root)
    report = _load(path, shown)
    if isinstance(report, EarlierReport):
        return report
    if not quiet:
        found.append(problems.make("compare.summary_unreadable", file=shown, reason=report))
    return None


def _load(path: Path, shown: str) -> EarlierReport | str:
    """The summary at ``path``, or why it is none (Vietnamese)."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as err:
        return err.strerror or str(err)
    except (ValueError, RecursionError):  # RecursionError: nested too deep to be one
        return "tệp không phải JSON hoặc đã hỏng"
    report = earlier_report(data, shown)
    return report if report is not None else "tệp không phải tệp tổng hợp của wbt"


def earlier_report(data: Any, source: str) -> EarlierReport | None:
    """An earlier report from a summary's data; None if the data is no summary."""
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        return None
    period = data.get("period")
    if not isinstance(period, str):
        return None
    indicators: dict[str, Figures] = {}
    for item in data["indicators"]:
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            continue
        value = _exact(item.get("value_exact")) or _number(item.get("value"))
        indicators[item["code"]] = Figures(
            period, _number(item.get("numerator")), _number(item.get("denominator")), value
        )
    values: dict[str, dict[str, Fraction | None]] = {}
    records = data.get(UNIT_VALUES_KEY)
    for record in records if isinstance(records, list) else ():
        if not isinstance(record, dict) or not isinstance(record.get("unit"), str):
            continue
        given = record.get("values")
        if isinstance(given, dict):
            values[record["unit"]] = {str(k): _number(v) for k, v in given.items()}
    return EarlierReport(
        source=source,
        period=period,
        period_name=str(data.get("period_name") or period),
        start=_date(data.get("period_start")),
        end=_date(data.get("period_end")),
        indicators=indicators,
        values=values,
    )


def _number(value: object) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    except (ValueError, OverflowError):  # NaN, infinity
        return None


#: How the summary writes an exact value: "11/12" (a whole number also read: "3").
_EXACT = re.compile(r"-?[0-9]+(?:/[0-9]+)?")


def _exact(value: object) -> Fraction | None:
    """A fraction written "11/12" (the summary's ``value_exact``); None for anything else
    (not "1e999999999", whose value would take hours to work out)."""
    if not isinstance(value, str) or not _EXACT.fullmatch(value):
        return None
    try:
        return Fraction(value)
    except (ValueError, ZeroDivisionError):  # ValueError: more digits than Python reads
        return None


def _date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
