"""Consolidation: the plan's indicators and tables, from the submissions of one period.

A pure step: :func:`consolidate` takes the plan and what the inbox step found
and returns a :class:`Consolidation`; it opens no file. The report writers
(:mod:`workbook_tools.report`) turn it into the workbook and the JSON summary.

Nothing about a particular year's plan is written here: the indicators are the
plan's formulas (:mod:`workbook_tools.expressions`), evaluated over the roster;
the tables follow the plan's fields.

Semantics (SPEC, "Indicators"):

- ``COUNT(thon: …)`` counts over every village on the roster. Missing data never
  helps the commune: a village that did not report, or whose condition is
  unknown (a blank, a value in error), is put on the side that does not help
  the target: as not meeting the condition of a "≥" target, as meeting that of
  a "≤" one. The evaluator does it (``unknown_meets``); :func:`_indicator`
  only says which side, once for every indicator. The note names them.
- A sum is over the usable values; the note names the entries that left a
  value it reads blank or in error.
- A target is met on the exact fraction, never on a rounded display.
- A denominator of 0 is "không phát sinh" (neither met nor failed) only when
  every entry it reads typed its figures: a blank is not a zero. A denominator
  of 0 with an entry concerned silent, blank or in error is "chưa có số liệu":
  not met, and a warning names the entries and cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction

import pandas as pd

from workbook_tools import expressions, problems
from workbook_tools.comparison import past_and_peer_problems
from workbook_tools.history import Figures, History, Side
from workbook_tools.inbox.ledger import Correction, LockEvent, Review
from workbook_tools.inbox.lock import LockState
from workbook_tools.inbox.model import (
    InboxResult,
    Submission,
    SubmissionStatus,
    used_submissions,
)
from workbook_tools.inbox.read import ARRIVALS, roster_status
from workbook_tools.numbers import number_text, percent_text, upper_first
from workbook_tools.plan.model import (
    ALL_FORMS,
    YES,
    Comparator,
    Field,
    FieldType,
    Indicator,
    Kind,
    Period,
    Plan,
    RosterEntry,
)

# The roles a unit holds in a task are the plan's words: re-exported for the report.
from workbook_tools.plan.model import TASK_ROLE_LABELS as TASK_ROLE_LABELS
from workbook_tools.plan.model import TaskRole as TaskRole
from workbook_tools.plan.model import constants as formula_constants
from workbook_tools.plan.relative import BASE_WORDS, Base, Direction
from workbook_tools.problems import Problem, Severity
from workbook_tools.values import Value

#: Names of the constants every indicator formula may use.
MONTHS_CONSTANT = "SO_THANG"
YEAR_CONSTANT = "NAM"


class Outcome(StrEnum):
    MET = "dat"
    NOT_MET = "khong_dat"
    NOT_ARISEN = "khong_phat_sinh"  # denominator 0
    NO_TARGET = "khong_co_chi_tieu"
    NO_DATA = "chua_co_so_lieu"  # nobody concerned gave a usable value: not met
    #: A target against an earlier report with no such report (or no figure in it).
    NOT_EVALUABLE = "chua_danh_gia"


OUTCOME_LABELS = {
    Outcome.MET: "Đạt",
    Outcome.NOT_MET: "Không đạt",
    Outcome.NOT_ARISEN: "Không phát sinh",
    Outcome.NO_TARGET: "Không có chỉ tiêu",
    Outcome.NO_DATA: "Không đạt (chưa có số liệu)",
    Outcome.NOT_EVALUABLE: "Chưa đánh giá được",
}


class ReportingStatus(StrEnum):
    ON_TIME = "dung_han"
    LATE = "muon"
    MISSING = "chua_nop"


REPORTING_LABELS = {
    ReportingStatus.ON_TIME: "Đúng hạn",
    ReportingStatus.LATE: "Trễ hạn",
    ReportingStatus.MISSING: "Chưa nộp",
}


# --- result ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryCompleteness:
    """How one roster entry reported in the period."""

    entry: RosterEntry
    status: ReportingStatus
    file: str | None  # the file whose values are used
    first_arrival: datetime | None  # earliest arrival of any of its files for the period
    used_arrival: datetime | None
    superseded: tuple[str, ...]  # older or duplicate files for the same period
    errors: int  # of the used file; with none used, of the files that were not usable
    warnings: int
    #: Where ``first_arrival`` comes from: "mail", "file", "officer" (inbox.arrival).
    arrival_source: str | None = None
    needs_confirmation: bool = False  # late by its time, before the deadline by its form or mail
    unknown_sender: bool = False  # its first file came in a mail from a sender not on the roster
    correction: Correction | None = None  # the officer's correction applied, with its reason
    review: Review | None = None  # the officer's review of the file used (None: not yet)


@dataclass(frozen=True, slots=True)
class KindCompleteness:
    kind: Kind
    expected: int
    received: int
    on_time: int
    late: int
    missing: int


@dataclass(frozen=True, slots=True)
class Completeness:
    """Reporting completeness and timeliness, as DHIS2 reports it."""

    deadline: date
    entries: tuple[EntryCompleteness, ...]  # roster order

    def _codes(self, *statuses: ReportingStatus) -> tuple[str, ...]:
        return tuple(e.entry.code for e in self.entries if e.status in statuses)

    @property
    def expected(self) -> int:
        return len(self.entries)

    @property
    def received(self) -> int:
        return len(self._codes(ReportingStatus.ON_TIME, ReportingStatus.LATE))

    @property
    def on_time(self) -> int:
        return len(self._codes(ReportingStatus.ON_TIME))

    @property
    def late(self) -> tuple[str, ...]:
        return self._codes(ReportingStatus.LATE)

    @property
    def missing(self) -> tuple[str, ...]:
        return self._codes(ReportingStatus.MISSING)

    def by_kind(self) -> tuple[KindCompleteness, ...]:
        out = []
        for kind in Kind:
            rows = [e for e in self.entries if e.entry.kind is kind]
            if not rows:
                continue
            statuses = [e.status for e in rows]
            out.append(
                KindCompleteness(
                    kind=kind,
                    expected=len(rows),
                    received=sum(s is not ReportingStatus.MISSING for s in statuses),
                    on_time=statuses.count(ReportingStatus.ON_TIME),
                    late=statuses.count(ReportingStatus.LATE),
                    missing=statuses.count(ReportingStatus.MISSING),
                )
            )
        return tuple(out)


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """One indicator computed from its formulas."""

    indicator: Indicator
    numerator: int | Fraction | None
    denominator: int | Fraction | None  # None: a count with no ratio
    value: Fraction | None  # numerator / denominator, exact
    met: bool | None  # None: no target, or nothing arose
    outcome: Outcome
    concerned: tuple[str, ...]  # roster codes the formulas read
    reported: tuple[str, ...]  # of those, the ones that reported
    excluded: tuple[str, ...]  # of those, the ones with an error in a value it reads
    note: str  # Vietnamese, shown next to the indicator
    # Of those that reported, the ones a COUNT or SUM could not read (a value it
    # needs blank or in error): roster code -> the fields, in form order.
    gaps: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The same indicator in the previous period's report and in the same period's of
    #: the year before, as sent (None: no such report, or it had no such indicator).
    previous: Figures | None = None
    last_year: Figures | None = None

    @property
    def figure(self) -> Fraction | None:
        """What is compared with earlier reports: the count of an indicator with no
        denominator, else the rate."""
        if self.indicator.is_count:
            return None if self.numerator is None else Fraction(self.numerator)
        return self.value

    @property
    def current(self) -> Fraction | None:
        """This period's figure to compare: none while nobody it reads has reported
        (:attr:`has_data`)."""
        return self.figure if self.has_data else None

    def earlier(self, side: Side) -> Figures | None:
        """The indicator's figures in the earlier report ``side`` is."""
        return self.previous if side.previous else self.last_year

    def against(
        self, figures: Figures | None
    ) -> tuple[Fraction | None, Fraction | None, Fraction | None]:
        """This period's figure against an earlier report's ``figures``: (then, now, now
        less then). The change of a rate is a fraction (15 points: 3/20), of a count a
        number of things; None when either figure is missing."""
        then = None if figures is None else figures.figure(self.indicator.is_count)
        now = self.current
        return then, now, None if then is None or now is None else now - then

    @property
    def has_data(self) -> bool:
        """Whether this period gives the indicator a figure to compare with earlier reports:
        a figure, not "chưa có số liệu", and someone it reads has reported (with nobody's
        file in yet, a rate over the roster is 0 %: no figure to say it fell to)."""
        if self.figure is None or self.outcome is Outcome.NO_DATA:
            return False
        return bool(self.reported) or not self.concerned

    @property
    def blank(self) -> tuple[str, ...]:
        """Reporting entries that left a value the indicator needs blank (not in error)."""
        excluded = set(self.excluded)
        return tuple(c for c in self.gaps if c not in excluded)

    @property
    def code(self) -> str:
        return self.indicator.code

    @property
    def target(self) -> Fraction | None:
        return self.indicator.target

    @property
    def missing(self) -> tuple[str, ...]:
        reported = set(self.reported)
        return tuple(c for c in self.concerned if c not in reported)


@dataclass(frozen=True, slots=True)
class TaskStatus:
    """What one unit reported on one plan task it leads, advises or supports.

    A task the UBND xã leads (``Task.lead`` None) has no lead's row: its
    advising and supporting units report it.
    """

    task: str  # task code
    section: str
    title: str
    unit: str
    role: TaskRole
    reported: bool  # the unit's report is in
    status: str | None  # one of STATUS_VALUES, None when not given (or in error)
    result: str | None
    error: bool  # the status or result value had an error


@dataclass(frozen=True, slots=True)
class Opinion:
    """The difficulties and proposals one roster entry wrote."""

    unit: str
    texts: tuple[tuple[str, str], ...]  # (field code, text), non-empty only


@dataclass(frozen=True, eq=False)  # DataFrames do not compare with ==
class Consolidation:
    """Everything the report shows, for one plan and period."""

    plan: Plan
    period: Period
    generated_at: datetime
    village_fields: tuple[Field, ...]
    unit_fields: tuple[Field, ...]  # without the task fields (see ``tasks``)
    villages: pd.DataFrame  # index: roster code; one column per village field; NA if none
    units: pd.DataFrame  # index: roster code; one column per unit field; NA if none
    # A number field (int, decimal, money): its sum, exact; a yes/no field: the number of "Có".
    village_totals: dict[str, int | Fraction]
    unit_totals: dict[str, int | Fraction]
    errors: dict[str, frozenset[str]]  # roster code -> fields whose value had an error
    tasks: tuple[TaskStatus, ...]
    completeness: Completeness
    indicators: tuple[IndicatorResult, ...]
    opinion_fields: tuple[Field, ...]
    opinions: tuple[Opinion, ...]
    submissions: tuple[Submission, ...]
    problems: tuple[Problem, ...]
    #: Every lock (chốt số liệu) and unlock of the period, oldest first (inbox.lock).
    lock_history: tuple[LockEvent, ...] = ()
    #: The earlier reports the period was read against (none by default).
    history: History = field(default_factory=History)

    @property
    def lock(self) -> LockState:
        """The period's lock: in force or not, with its history."""
        return LockState(self.period.code, self.lock_history)

    @property
    def after_lock(self) -> tuple[Submission, ...]:
        """The files that came after the lock ("nộp sau khi chốt số liệu"): not used."""
        return tuple(s for s in self.submissions if s.status is SubmissionStatus.AFTER_LOCK)


# --- population -------------------------------------------------------------------


def scope_entries(plan: Plan, scope: str) -> tuple[RosterEntry, ...]:
    """The roster entries a formula scope names: ``thon``, ``donvi``, ``tatca`` or a code."""
    key = scope.strip().casefold()
    if key == ALL_FORMS:
        return plan.roster
    for kind in Kind:
        if key == kind.value:
            return tuple(e for e in plan.roster if e.kind is kind)
    return tuple(e for e in plan.roster if e.code.casefold() == key)


class RosterPopulation:
    """The roster as the formula language sees it: each entry's usable values."""

    def __init__(self, plan: Plan, used: Mapping[str, Submission]) -> None:
        self._plan = plan
        self._values = {code: s.values for code, s in used.items()}
        self._members: dict[str, list[Mapping[str, Value] | None]] = {}

    def members(self, scope: str) -> Sequence[Mapping[str, Value] | None]:
        # The plan's formulas name a few scopes ("thon", "donvi") again and again.
        found = self._members.get(scope)
        if found is None:
            found = [self._values.get(e.code) for e in scope_entries(self._plan, scope)]
            self._members[scope] = found
        return found

    def reporters(self) -> Sequence[Mapping[str, Value]]:
        return [self._values[e.code] for e in self._plan.roster if e.code in self._values]


# --- consolidate ------------------------------------------------------------------


def consolidate(
    plan: Plan,
    period_code: str,
    inbox: InboxResult,
    *,
    generated_at: datetime,
    history: History | None = None,
) -> Consolidation:
    """Merge the usable values of ``inbox`` and compute every indicator of ``plan``.

    ``history``: the earlier reports (their summaries, :mod:`~workbook_tools.history`)
    each indicator is compared with, targets relative to them judged by, and the
    figures checked against (:mod:`~workbook_tools.comparison`).

    A ``period_code`` the plan does not have raises :class:`UnknownPeriodError`.
    """
    period = plan.period(period_code)
    if inbox.period != period.code:
        raise ValueError(f"inbox result is for {inbox.period}, not {period.code}")

    used = _used(plan, inbox.submissions)
    errors = {code: frozenset(s.unusable) for code, s in used.items() if s.unusable}

    opinions = opinion_fields(plan)
    village_fields = _fields_of(plan, plan.villages)
    unit_fields = tuple(f for f in _fields_of(plan, plan.units) if f.task is None)
    villages = _frame(plan.villages, village_fields, used)
    units = _frame(plan.units, unit_fields, used)
    history = history or History()
    indicators = tuple(_compared(r, history) for r in _indicators(plan, period, used))

    return Consolidation(
        plan=plan,
        period=period,
        generated_at=generated_at,
        village_fields=village_fields,
        unit_fields=unit_fields,
        villages=villages,
        units=units,
        village_totals=_totals(villages, village_fields),
        unit_totals=_totals(units, unit_fields),
        errors=errors,
        tasks=_task_statuses(plan, used),
        completeness=_completeness(plan, period, inbox),
        indicators=indicators,
        opinion_fields=opinions,
        opinions=_opinions(plan, used, opinions),
        submissions=tuple(inbox.submissions),
        problems=_sorted_problems(
            plan,
            [
                *inbox.problems,
                *_indicator_problems(plan, indicators, used),
                *_commune_rule_problems(plan, period, used),
                *history.problems,
                *past_and_peer_problems(
                    plan,
                    period,
                    (villages, village_fields),
                    (units, unit_fields),
                    used,
                    history,
                ),
            ],
        ),
        lock_history=inbox.lock_history,
        history=history,
    )


def _used(plan: Plan, submissions: Iterable[Submission]) -> dict[str, Submission]:
    """The submission used for each roster code (a code no longer on the roster left out)."""
    known = {e.code for e in plan.roster}
    return {code: s for code, s in used_submissions(submissions).items() if code in known}


def constants(plan: Plan, period: Period) -> dict[str, Value]:
    """The constants an indicator formula may use (``plan.model.CONSTANTS``)."""
    return formula_constants(plan, period)


def _fields_of(plan: Plan, entries: Iterable[RosterEntry]) -> tuple[Field, ...]:
    """The fields any of ``entries`` has on its form, in form order."""
    forms = {plan.form_key(e): e for e in entries}  # one entry of each kind of form
    seen: dict[str, Field] = {}
    for entry in forms.values():
        for f in plan.fields_for(entry):
            seen.setdefault(f.code, f)
    order = {f.code: i for i, f in enumerate(plan.all_fields)}
    return tuple(sorted(seen.values(), key=lambda f: order.get(f.code, len(order))))


def _frame(
    entries: Sequence[RosterEntry], fields: Sequence[Field], used: Mapping[str, Submission]
) -> pd.DataFrame:
    """One row per entry (reported or not), one column per field; NA where no usable value."""
    codes = [e.code for e in entries]
    index = pd.Index(codes, name="ma")
    nothing: Mapping[str, Value] = {}
    rows = [used[code].values if code in used else nothing for code in codes]
    columns: dict[str, pd.Series] = {}
    for f in fields:
        raw = [row.get(f.code) for row in rows]
        if f.type is FieldType.INT:
            numbers = [v if isinstance(v, int) and not isinstance(v, bool) else None for v in raw]
            columns[f.code] = pd.Series(numbers, index=index, dtype="Int64")
        else:
            columns[f.code] = pd.Series(raw, index=index, dtype=object)
    return pd.DataFrame(columns, index=index)


def _totals(frame: pd.DataFrame, fields: Sequence[Field]) -> dict[str, int | Fraction]:
    """Column totals: the sum of a number field (int, decimal, money; a decimal's exact,
    a whole one an int), the number of "Có" of a yes/no field."""
    totals: dict[str, int | Fraction] = {}
    for f in fields:
        column = frame[f.code]
        if f.type is FieldType.INT:
            totals[f.code] = int(column.sum(skipna=True))
        elif f.type in (FieldType.DECIMAL, FieldType.MONEY):
            total = sum(
                (
                    Fraction(v)
                    for v in column.tolist()
                    if isinstance(v, int | Fraction) and not isinstance(v, bool)
                ),
                Fraction(0),
            )
            totals[f.code] = total.numerator if total.denominator == 1 else total
        elif f.type is FieldType.YESNO:
            totals[f.code] = int((column == YES).sum())
    return totals


def _task_statuses(plan: Plan, used: Mapping[str, Submission]) -> tuple[TaskStatus, ...]:
    out = []
    for task in plan.tasks:
        for unit_code in task.units:
            submission = used.get(unit_code)
            values = submission.values if submission else {}
            unusable = submission.unusable if submission else set()
            status = values.get(task.status_field)
            result = values.get(task.result_field)
            out.append(
                TaskStatus(
                    task=task.code,
                    section=task.section,
                    title=task.title,
                    unit=unit_code,
                    role=task.role_of(unit_code) or TaskRole.SUPPORT,
                    reported=submission is not None,
                    status=status if isinstance(status, str) and status else None,
                    result=result if isinstance(result, str) and result.strip() else None,
                    error=bool({task.status_field, task.result_field} & unusable),
                )
            )
    return tuple(out)


def _completeness(plan: Plan, period: Period, inbox: InboxResult) -> Completeness:
    """The roster's reporting status, as ``wbt status`` shows it, with the report's outcome."""
    rows = []
    for row in roster_status(plan, period, inbox):
        submission = row.used
        if submission is None:
            status = ReportingStatus.MISSING
        else:
            status = ReportingStatus.ON_TIME if row.on_time else ReportingStatus.LATE
        rows.append(
            EntryCompleteness(
                entry=row.entry,
                status=status,
                file=submission.file if submission else None,
                first_arrival=row.first_arrival if submission else None,
                used_arrival=submission.arrived if submission else None,
                superseded=tuple(s.file for s in row.others if s.status in ARRIVALS),
                errors=row.errors,  # with no file used: the errors that left it unused
                warnings=row.warnings,
                arrival_source=row.arrival_source if submission else None,
                needs_confirmation=row.needs_confirmation if submission else False,
                unknown_sender=row.unknown_sender if submission else False,
                correction=row.correction if submission else None,
                review=row.review,
            )
        )
    return Completeness(deadline=period.unit_deadline, entries=tuple(rows))


# --- indicators -------------------------------------------------------------------


def _indicators(
    plan: Plan, period: Period, used: Mapping[str, Submission]
) -> tuple[IndicatorResult, ...]:
    population = RosterPopulation(plan, used)
    known = constants(plan, period)
    holders = _holders(plan)
    return tuple(_indicator(plan, ind, used, population, known, holders) for ind in plan.indicators)


def _holders(plan: Plan) -> dict[str, set[str]]:
    """Field code -> the roster codes whose form has it."""
    # Entries whose forms have the same fields (every village, most often) are taken together.
    alike: dict[tuple[Kind, str], tuple[RosterEntry, list[str]]] = {}
    for entry in plan.roster:
        alike.setdefault(plan.form_key(entry), (entry, []))[1].append(entry.code)
    holders: dict[str, set[str]] = {}
    for first, codes in alike.values():
        for f in plan.fields_for(first):
            holders.setdefault(f.code, set()).update(codes)
    return holders


# --- rules on the commune as a whole ----------------------------------------------


def _commune_rule_problems(
    plan: Plan, period: Period, used: Mapping[str, Submission]
) -> list[Problem]:
    """The rules on the commune as a whole (form selector ``xa``), checked once over the roster.

    A rule that fails is a problem of the rule's severity naming the figures it
    compared. A rule reading an entry that did not report, or left a value it
    reads blank or in error, is not judged (the figures are not whole): a note
    names those entries.
    """
    rules = plan.commune_rules
    if not rules:
        return []
    population = RosterPopulation(plan, used)
    known = constants(plan, period)
    holders = _holders(plan)
    out: list[Problem] = []
    for rule in rules:
        check = expressions.parse(rule.check)
        parsed = [check]
        when = None
        if rule.when is not None:
            when = expressions.parse(rule.when)
            parsed.append(when)
        concerned = _concerned(plan, parsed, holders)
        gaps = _gaps(plan, parsed, used, known, holders)
        incomplete = [c for c in concerned if c not in used or c in gaps]
        if incomplete:
            out.append(
                problems.make(
                    "rule.commune_unchecked",
                    rule=rule.code,
                    check=rule.check,
                    entries=", ".join(incomplete),
                )
            )
            continue
        if when is not None and expressions.evaluate_commune(when, population, known) is not True:
            continue
        if expressions.evaluate_commune(check, population, known) is not False:
            continue  # holds, or neither true nor false
        figures = "; ".join(
            f"{text} = {'(không tính được)' if value is None else number_text(value)}"
            for text, value in expressions.aggregate_values(check, population, known)
        )
        out.append(
            problems.make(
                "rule.commune_failed",
                severity=Severity(rule.severity.value),
                rule=rule.code,
                message=rule.message,
                figures=figures,
            )
        )
    return out


def _indicator(
    plan: Plan,
    indicator: Indicator,
    used: Mapping[str, Submission],
    population: RosterPopulation,
    known: Mapping[str, Value],
    holders: Mapping[str, set[str]],
) -> IndicatorResult:
    target = indicator.target
    relative = indicator.relative
    # A target against an earlier report is judged later (_compared); which way helps
    # it decides the side missing data is put on, as a fixed target's comparator does.
    judged = target is not None or relative is not None
    if relative is not None:
        at_most = relative.direction is Direction.DOWN
    else:
        at_most = indicator.comparator is Comparator.AT_MOST
    # Missing data never helps the commune: a COUNT puts an entry that did not
    # report, or whose condition is unknown, on the side that does not help the
    # target. Above the fraction bar that is "meets" for a "≤" target; below it,
    # where a larger count lowers the fraction, "meets" for a "≥" target.
    parsed = [expressions.parse(indicator.numerator)]
    numerator = expressions.evaluate_aggregate(
        parsed[0], population, known, unknown_meets=judged and at_most
    )
    denominator: int | Fraction | None = None
    if indicator.denominator is not None:
        parsed.append(expressions.parse(indicator.denominator))
        denominator = expressions.evaluate_aggregate(
            parsed[1], population, known, unknown_meets=judged and not at_most
        )

    concerned = _concerned(plan, parsed, holders)
    fields_read = frozenset().union(*(e.fields for e in parsed))
    reported = tuple(c for c in concerned if c in used)
    excluded = tuple(c for c in reported if used[c].unusable & fields_read)
    gaps = _gaps(plan, parsed, used, known, holders)
    if indicator.denominator is not None:
        # The denominator's own entries: silent, or reporting with a gap in it.
        below = _concerned(plan, parsed[1:], holders)
        below_gaps = _gaps(plan, parsed[1:], used, known, holders)
        incomplete = tuple(c for c in below if c not in used or c in below_gaps)
    else:
        incomplete = ()

    value: Fraction | None = None
    met: bool | None = None
    if numerator is None:
        outcome = Outcome.NO_DATA
    elif indicator.denominator is None:
        # A count: judged on itself only when the plan gives it a target.
        value = Fraction(numerator) if target is not None else None
        outcome = Outcome.NO_TARGET
    elif denominator is None:
        outcome = Outcome.NO_DATA
    elif denominator == 0:
        # Nothing arose only if every entry concerned typed its zeros: a blank is not a zero.
        outcome = Outcome.NO_DATA if incomplete else Outcome.NOT_ARISEN
    else:
        value = Fraction(numerator) / Fraction(denominator)
        outcome = Outcome.NO_TARGET
    if not judged:
        outcome = Outcome.NO_TARGET
    elif outcome is Outcome.NO_DATA:
        met = False  # like a village that did not report: not shown to be met
    elif value is not None and target is not None:
        met = reaches(value, target, indicator.comparator)
        outcome = Outcome.MET if met else Outcome.NOT_MET

    counted = _counted_side(parsed, judged and at_most)
    return IndicatorResult(
        indicator=indicator,
        numerator=numerator,
        denominator=denominator,
        value=value,
        met=met,
        outcome=outcome,
        concerned=concerned,
        reported=reported,
        excluded=excluded,
        note=_note(plan, indicator, concerned, reported, excluded, gaps, counted, value, outcome),
        gaps=gaps,
    )


def _compared(result: IndicatorResult, history: History) -> IndicatorResult:
    """``result`` with its figures of the earlier reports, its target relative to one of
    them judged (:mod:`~workbook_tools.plan.relative`): "chưa đánh giá được" without it."""
    code = result.code
    previous = history.previous.indicators.get(code) if history.previous else None
    last_year = history.last_year.indicators.get(code) if history.last_year else None
    result = replace(result, previous=previous, last_year=last_year)
    relative = result.indicator.relative
    if relative is None or result.outcome is not Outcome.NO_TARGET:
        return result  # no such target; or no data (not met), or nothing arose
    is_count = result.indicator.is_count
    if relative.base is Base.PREVIOUS:
        report, base, missing = history.previous, previous, history.previous_reason
    else:
        report, base, missing = history.last_year, last_year, history.last_year_reason
    earlier = base.figure(is_count) if base is not None else None
    figure = result.figure
    if report is not None and earlier is None:
        missing = f"{report.period_name} ({report.period}) không có số liệu của chỉ tiêu này"
    if earlier is None or figure is None:
        note = _joined(result.note, f"chưa đánh giá được: {missing}")
        return replace(result, met=None, outcome=Outcome.NOT_EVALUABLE, note=note)
    met = relative.reached(figure, earlier)
    shown = number_text(earlier) if is_count else percent_text(earlier)
    words = BASE_WORDS[relative.base]
    assert report is not None
    note = _joined(result.note, f"{words} ({report.period}): {shown}")
    return replace(result, met=met, outcome=Outcome.MET if met else Outcome.NOT_MET, note=note)


def _joined(note: str, more: str) -> str:
    return upper_first(f"{note}; {more}" if note else more)


def _bodies(
    parsed: Sequence[expressions.Expression],
) -> Iterable[tuple[expressions.Aggregate, expressions.Expression]]:
    """Each COUNT/SUM of the formulas with its body as a formula of its own."""
    for expr in parsed:
        for node in expressions.walk(expr.root):
            if isinstance(node, expressions.Aggregate) and node.body is not None:
                start, end = node.body.span
                yield node, expressions.parse(expr.text[start:end])


def _gaps(
    plan: Plan,
    parsed: Sequence[expressions.Expression],
    used: Mapping[str, Submission],
    known: Mapping[str, Value],
    holders: Mapping[str, set[str]],
) -> dict[str, tuple[str, ...]]:
    """Reporting entries a COUNT or SUM could not read: its body is unknown on their values.

    A condition that is decided whatever the blank holds (``0 >= 1 AND blank``)
    is no gap. Roster code -> the fields the body reads that are blank or in
    error, in roster order.
    """
    order = {f.code: i for i, f in enumerate(plan.all_fields)}
    found: dict[str, set[str]] = {}
    for node, body in _bodies(parsed):
        for code in _aggregate_entries(plan, node, body, holders):
            submission = used.get(code)
            if submission is None:
                continue  # did not report: in ``missing``
            values = submission.values
            if expressions.evaluate_row(body, values, known) is not None:
                continue
            absent = {name for name in body.fields if name not in values}
            if absent:
                found.setdefault(code, set()).update(absent)
    return {
        e.code: tuple(sorted(found[e.code], key=lambda n: order.get(n, len(order))))
        for e in plan.roster
        if e.code in found
    }


def _aggregate_entries(
    plan: Plan,
    node: expressions.Aggregate,
    body: expressions.Expression,
    holders: Mapping[str, set[str]],
) -> Iterable[str]:
    """The roster codes one COUNT/SUM reads: its scope, narrowed to the forms having its fields."""
    having = set().union(*(holders.get(name, set()) for name in body.fields))
    if node.scope is None:
        return having
    scoped = {e.code for e in scope_entries(plan, node.scope)}
    return (scoped & having) or scoped


def _counted_side(parsed: Sequence[expressions.Expression], numerator_meets: bool) -> bool | None:
    """How the numerator's COUNT conditions took a silent or unknown entry (None: no such COUNT)."""
    for _node, _body in _bodies(parsed[:1]):
        if _node.function == "COUNT":
            return numerator_meets
    return None


def reaches(value: Fraction, target: Fraction, comparator: Comparator) -> bool:
    """Whether the exact ``value`` meets ``target`` (94.96 % does not reach 95 %)."""
    if comparator is Comparator.AT_MOST:
        return value <= target
    return value >= target


def _concerned(
    plan: Plan, parsed: Sequence[expressions.Expression], holders: Mapping[str, set[str]]
) -> tuple[str, ...]:
    """The roster entries whose values the formulas read, in roster order.

    Each COUNT/SUM reads its scope (narrowed to the entries whose form has the
    fields it reads, when some have); a SUM without a scope reads every entry
    whose form has its fields.
    """
    codes: set[str] = set()
    for expr in parsed:
        for node in expressions.walk(expr.root):
            if not isinstance(node, expressions.Aggregate):
                continue
            names = {
                n.name
                for n in (expressions.walk(node.body) if node.body is not None else ())
                if isinstance(n, expressions.Name) and not n.is_constant
            }
            having = set().union(*(holders.get(name, set()) for name in names))
            if node.scope is None:
                codes |= having
                continue
            scoped = {e.code for e in scope_entries(plan, node.scope)}
            codes |= (scoped & having) or scoped
    return tuple(e.code for e in plan.roster if e.code in codes)


def _names(plan: Plan, codes: Sequence[str]) -> str:
    """Roster entries as a note names them for the officer: "Thôn 7, Công an xã"."""
    return ", ".join(plan.entry(code).name for code in codes)


def _label(plan: Plan, code: str) -> str:
    """A field as a note names it: its label, the code only for a field the plan lacks."""
    try:
        return f'"{plan.field(code).label}"'
    except KeyError:
        return code


def _note(
    plan: Plan,
    indicator: Indicator,
    concerned: Sequence[str],
    reported: Sequence[str],
    excluded: Sequence[str],
    gaps: Mapping[str, Sequence[str]],
    counted: bool | None,
    value: Fraction | None,
    outcome: Outcome,
) -> str:
    parts: list[str] = []
    reported_set, excluded_set = set(reported), set(excluded)
    for kind in Kind:
        mine = [c for c in concerned if plan.entry(c).kind is kind]
        if not mine:
            continue
        label = plan.settings.kind_word(kind)
        done = [c for c in mine if c in reported_set]
        part = f"{len(done)}/{len(mine)} {label} đã báo cáo"
        absent = [c for c in mine if c not in reported_set]
        if absent:
            part += f" (chưa báo cáo: {_names(plan, absent)})"
        parts.append(part)
        wrong = [c for c in mine if c in excluded_set]
        if wrong:
            parts.append(
                f"{len(wrong)} {label} có số liệu lỗi không được tính ({_names(plan, wrong)})"
            )
        blank = [c for c in mine if c in gaps and c not in excluded_set]
        if blank:
            listed = "; ".join(
                f"{plan.entry(c).name}: {', '.join(_label(plan, f) for f in gaps[c])}"
                for c in blank
            )
            parts.append(f"{len(blank)} {label} để trống ô cần cho chỉ tiêu ({listed})")
    silent = len(concerned) > len(reported) or bool(gaps)
    if counted is not None and silent:
        side = "có điều kiện" if counted else "chưa đạt điều kiện"
        parts.append(f"nơi chưa báo cáo, để trống hay có lỗi được tính là {side}")
    if outcome is Outcome.NOT_ARISEN:
        parts.append("mẫu số bằng 0: không phát sinh")
    elif outcome is Outcome.NO_DATA:
        parts.append("chưa có số liệu để tính")
    target = indicator.target
    if value is not None and target is not None and outcome is Outcome.NOT_MET:
        shown = percent_text(value)
        if shown == percent_text(target):
            # The rounded display equals the target; say why it is still not met.
            parts.append(
                f"tỉ lệ chính xác {percent_text(value, 2)}, chưa đạt mức {percent_text(target, 2)}"
            )
    return upper_first("; ".join(parts))


def _indicator_problems(
    plan: Plan, results: Sequence[IndicatorResult], used: Mapping[str, Submission]
) -> list[Problem]:
    """A warning per entry that left an indicator without data ("chưa có số liệu")."""
    out: list[Problem] = []
    for result in results:
        if result.outcome is not Outcome.NO_DATA:
            continue
        for code in result.concerned:
            entry = plan.entry(code)
            submission = used.get(code)
            if submission is None:
                out.append(
                    problems.make(
                        "indicator.no_data_missing",
                        unit=code,
                        indicator=result.code,
                        name=entry.name,
                    )
                )
                continue
            fields = result.gaps.get(code)
            if not fields:
                continue
            cells = ", ".join(
                f"{submission.cells[f]} ({f})" if f in submission.cells else f for f in fields
            )
            first = fields[0]
            cell = submission.cells.get(first)
            out.append(
                problems.make(
                    "indicator.no_data_blank",
                    file=submission.file,
                    unit=code,
                    sheet=cell.split("!")[0] if cell and "!" in cell else None,
                    cell=cell.split("!")[-1] if cell else None,
                    field=first,
                    indicator=result.code,
                    name=entry.name,
                    cells=cells,
                )
            )
    return out


# --- opinions and problems --------------------------------------------------------


def opinion_fields(plan: Plan) -> tuple[Field, ...]:
    """The difficulties and proposals fields: the text fields of the fields sheet's last group.

    A report ends with its difficulties and proposals; so does a form. The rule
    is the plan's own order: the last group ("Nhóm") of the fields sheet, and of
    it, the text fields that every village and unit is asked.
    """
    if not plan.fields:
        return ()
    last = plan.fields[-1].section
    return tuple(
        f
        for f in plan.fields
        if f.section == last
        and f.type is FieldType.TEXT
        and all(f.applies_to(e) for e in plan.roster)
    )


def _opinions(
    plan: Plan, used: Mapping[str, Submission], fields: Sequence[Field]
) -> tuple[Opinion, ...]:
    out = []
    for entry in plan.roster:
        submission = used.get(entry.code)
        if submission is None:
            continue
        texts = []
        for f in fields:
            text = submission.values.get(f.code)
            if isinstance(text, str) and text.strip():
                texts.append((f.code, text))
        if texts:
            out.append(Opinion(unit=entry.code, texts=tuple(texts)))
    return tuple(out)


def _sorted_problems(plan: Plan, problems: Sequence[Problem]) -> tuple[Problem, ...]:
    """Errors first, then warnings and notes; each in roster order, then by file."""
    position = {e.code: i for i, e in enumerate(plan.roster)}
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return tuple(
        sorted(
            problems,
            key=lambda p: (
                rank.get(p.severity, 3),
                position.get(p.unit or "", len(position)),
                p.file or "",
            ),
        )
    )
