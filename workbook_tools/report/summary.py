"""The machine-readable summary (SPEC, "Machine-readable summary"): a JSON dict.

The keys SPEC names are a contract; the others are extra, for people and
programs that want more. Extra keys of issue 20: ``lock`` (chốt số liệu: ``locked``,
``at``, ``reason``, ``who``, ``report_sha256``, ``files`` locked, ``history`` of every
lock and unlock, ``after_lock``: the files that came after it, not used; enough to put a
lock back into a ledger that lost it) and, per entry of
``completeness.entries``, ``review`` ("accepted", "returned", "pending") with its
``review_label``, ``review_reason``, ``review_at``.

``value`` is the exact fraction as a float, never rounded; the exact fraction is also
given as text ("11/12").
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from workbook_tools.consolidation import (
    OUTCOME_LABELS,
    REPORTING_LABELS,
    TASK_ROLE_LABELS,
    Consolidation,
    IndicatorResult,
)
from workbook_tools.deadline import days_left
from workbook_tools.history import UNIT_VALUES_KEY, Side
from workbook_tools.inbox.arrival import arrival_note
from workbook_tools.inbox.ledger import Correction, Review
from workbook_tools.inbox.lock import REVIEW_LABELS, lock_record, review_state
from workbook_tools.inbox.read import plan_date, plan_zone
from workbook_tools.plan.model import COMMUNE_LEAD
from workbook_tools.report.wording import comparison_caveat
from workbook_tools.values import NUMBER_TYPES

#: Version of the summary's layout; bump when a key changes meaning.
SCHEMA_VERSION = 1


def number(value: int | Fraction | None) -> int | float | None:
    """A JSON number: an int when whole, else the float nearest the exact fraction."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    return value


def _fraction_text(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"


def _when(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _correction(correction: Correction | None) -> dict[str, Any] | None:
    """The officer's correction of a unit's arrival: when, why, and when it was made."""
    if correction is None:
        return None
    return {
        "arrived": _when(correction.arrived),
        "reason": correction.reason,
        "recorded": _when(correction.recorded),
    }


def commune_days_left(c: Consolidation) -> int:
    """Days from the run's day (in the plan's time zone) to the commune's deadline."""
    return days_left(c.period.commune_deadline, run_day(c))


def run_day(c: Consolidation) -> date:
    """The day the run was made, where the plan is."""
    return plan_date(c.generated_at, plan_zone(c.plan))


def _side_key(side: Side) -> str:
    """The summary's key of an earlier report."""
    return "previous" if side.previous else "same_period_last_year"


def _earlier(result: IndicatorResult, side: Side, caveat: str) -> dict[str, Any] | None:
    """An indicator's figures in an earlier report, and the change since: this figure less
    that one (a rate's in points of a fraction, 0.15 for 15 points; a count's in things);
    none when this period has no figure yet. ``caveat``: what qualifies the change
    (:func:`~workbook_tools.report.wording.comparison_caveat`)."""
    figures = result.earlier(side)
    if figures is None:
        return None
    change = result.against(figures)[2]
    return {
        "period": figures.period,
        "period_name": "" if side.report is None else side.report.period_name,
        "numerator": number(figures.numerator),
        "denominator": number(figures.denominator),
        "value": None if figures.value is None else float(figures.value),
        # --- extra ---
        "change": None if change is None else number(change),
        "change_note": caveat or None,
    }


def _indicator(result: IndicatorResult, c: Consolidation) -> dict[str, Any]:
    ind = result.indicator
    caveat = comparison_caveat(result, c.plan)
    return {
        "code": ind.code,
        "numerator": number(result.numerator),
        "denominator": number(result.denominator),
        "value": None if result.value is None else float(result.value),
        "target": None if ind.target is None else float(ind.target),
        "met": result.met,
        # --- extra ---
        "section": ind.section,
        "text": ind.text,
        "comparator": str(ind.comparator),
        "value_exact": _fraction_text(result.value),
        "target_exact": _fraction_text(ind.target),
        # A count's target is a number of things ("≥ 12 buổi"), not a share: target 12.0.
        "target_is_count": ind.target is not None and ind.is_count,
        "target_shown": ind.target_shown,
        "outcome": str(result.outcome),
        "outcome_label": OUTCOME_LABELS[result.outcome],
        "expected": len(result.concerned),
        "reported": len(result.reported),
        "missing_units": list(result.missing),
        "excluded_units": list(result.excluded),
        "note": result.note,
        "blank_units": {
            code: list(fields)
            for code, fields in result.gaps.items()
            if code not in result.excluded
        },
        # The same indicator in earlier reports, as sent (null: no such report, said in
        # "comparison"); a target against one of them: "relative_target".
        **{_side_key(side): _earlier(result, side, caveat) for side in c.history.sides()},
        "relative_target": None if ind.relative is None else ind.relative.shown,
    }


def build_summary(consolidation: Consolidation) -> dict[str, Any]:
    """The summary as a dict, ready for :func:`json.dumps`."""
    c = consolidation
    settings = c.plan.settings
    done = c.completeness
    return {
        "plan": settings.plan_id,
        "period": c.period.code,
        "indicators": [_indicator(r, c) for r in c.indicators],
        "completeness": {
            "expected": done.expected,
            "received": done.received,
            "on_time": done.on_time,
            "missing": list(done.missing),
            "late": list(done.late),
            # --- extra ---
            "deadline": _when(done.deadline),
            "by_kind": [
                {
                    "kind": str(k.kind),
                    "label": c.plan.settings.kind_label(k.kind),
                    "expected": k.expected,
                    "received": k.received,
                    "on_time": k.on_time,
                    "late": k.late,
                    "missing": k.missing,
                }
                for k in done.by_kind()
            ],
            "entries": [
                {
                    "unit": e.entry.code,
                    "name": e.entry.name,
                    "kind": str(e.entry.kind),
                    "status": str(e.status),
                    "status_label": REPORTING_LABELS[e.status],
                    "file": e.file,
                    "first_arrival": _when(e.first_arrival),
                    # "mail", "file", "officer" (None: nothing arrived), and in words
                    "arrival_source": e.arrival_source,
                    "arrival_source_label": arrival_note(e.arrival_source) or None,
                    "needs_confirmation": e.needs_confirmation,
                    # its arrival only from a mail of an address not on the roster
                    "unknown_sender": e.unknown_sender,
                    "correction": _correction(e.correction),
                    "superseded": list(e.superseded),
                    "errors": e.errors,
                    "warnings": e.warnings,
                    **_review(e.review, reported=e.file is not None),
                }
                for e in done.entries
            ],
        },
        "submissions": [
            {
                "unit": s.unit,
                "file": s.file,
                "status": str(s.status),
                # --- extra ---
                "period": s.period,
                "arrived": _when(s.arrived),
                "on_time": s.on_time,
                "identified_by": str(s.identified_by),
                "superseded_by": s.superseded_by,
                "sha256": s.sha256,
                "unusable_fields": sorted(s.unusable),
            }
            for s in c.submissions
        ],
        "problems": [p.to_dict() for p in c.problems],
        # --- extra ---
        "schema_version": SCHEMA_VERSION,
        "plan_title": settings.plan_title,
        "commune": settings.commune,
        "year": settings.year,
        "period_name": c.period.name,
        "period_start": _when(c.period.start),
        "period_end": _when(c.period.end),
        "generated_at": _when(c.generated_at),
        # The commune's own deadline (plan IV.1) and the days left to it from the run's
        # day in the plan's time zone: negative once it has passed.
        "commune_deadline": _when(c.period.commune_deadline),
        "commune_deadline_days_left": commune_days_left(c),
        "village_totals": {code: number(total) for code, total in c.village_totals.items()},
        "unit_totals": {code: number(total) for code, total in c.unit_totals.items()},
        "tasks": _tasks(c),
        "lock": _lock(c),
        "comparison": _comparison(c),
        # Each reporting entry's number values (null: left blank), for the checks of
        # the next period against this one (history.py reads them back).
        UNIT_VALUES_KEY: _unit_values(c),
    }


def _review(review: Review | None, *, reported: bool) -> dict[str, Any]:
    """A unit's review by the officer: "accepted", "returned" or "pending" (its file used
    never reviewed), with the label the report shows; all None for a unit with no file."""
    if not reported:
        return dict.fromkeys(("review", "review_label", "review_reason", "review_at"))
    state = review_state(review)
    return {
        "review": str(state),
        "review_label": REVIEW_LABELS[state],
        "review_reason": review.reason if review is not None else None,
        "review_at": _when(review.at) if review is not None else None,
    }


def _lock(c: Consolidation) -> dict[str, Any]:
    """Chốt số liệu: whether the period is locked, since when and why, its history (every
    lock and unlock), the files locked, and those that came after ("after_lock"), not used."""
    return {
        **lock_record(c.lock),
        "after_lock": [
            {"unit": s.unit, "file": s.file, "arrived": _when(s.arrived), "sha256": s.sha256}
            for s in c.after_lock
        ],
    }


#: What the locked figures are: each indicator's numbers, the totals, who reported.
#: A later merge of a locked period must give them again, byte for byte.
FIGURE_KEYS = ("code", "numerator", "denominator", "value", "target", "met", "outcome")
COMPLETENESS_KEYS = ("expected", "received", "on_time", "missing", "late")


def figures(summary: dict[str, Any]) -> dict[str, Any]:
    """The figures of a summary (as :func:`build_summary` makes it, or read from its file)."""
    done = summary.get("completeness") or {}
    return {
        "indicators": [
            {k: ind.get(k) for k in FIGURE_KEYS} for ind in summary.get("indicators") or []
        ],
        "completeness": {k: done.get(k) for k in COMPLETENESS_KEYS},
        "village_totals": summary.get("village_totals"),
        "unit_totals": summary.get("unit_totals"),
    }


def figures_digest(summary: dict[str, Any]) -> str:
    """SHA-256 of :func:`figures`, its JSON with sorted keys: the same figures, the same
    digest, whatever else the summary says (when it was made, the lock's lines…)."""
    text = json.dumps(figures(summary), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _comparison(c: Consolidation) -> dict[str, Any]:
    """Which earlier reports the indicators were compared with; why one is missing."""

    def said(side: Side) -> dict[str, Any]:
        report = side.report
        if report is None:
            return {"period": None, "file": None, "note": side.note}
        return {
            "period": report.period,
            "period_name": report.period_name,
            "file": report.source,
            "note": "",
        }

    return {_side_key(side): said(side) for side in c.history.sides()}


def _unit_values(c: Consolidation) -> list[dict[str, Any]]:
    """One record per entry that reported: its number fields' values, blank as null."""
    reported = {e.entry.code for e in c.completeness.entries if e.file is not None}
    out: list[dict[str, Any]] = []
    for frame, fields in ((c.villages, c.village_fields), (c.units, c.unit_fields)):
        codes = [f.code for f in fields if f.type in NUMBER_TYPES]
        if not codes or frame.empty:
            continue
        columns = [[_plain(v) for v in frame[code].tolist()] for code in codes]
        for at, unit in enumerate(frame.index.tolist()):
            if unit in reported:
                values = {code: column[at] for code, column in zip(codes, columns, strict=True)}
                out.append({"unit": unit, "values": values})
    return out


def _plain(value: object) -> int | float | None:
    """A table's number as JSON holds it; null for a blank (pandas' NA)."""
    if isinstance(value, Fraction):
        return number(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None if value != value else value  # NaN
    return None


def _tasks(c: Consolidation) -> list[dict[str, Any]]:
    """Each unit's report on each plan task, with the role it holds ("tham_muu"…).

    ``lead`` is the lead's roster code, or "UBND xã" when the commune itself
    leads (it has no form: its advising and supporting units report).
    """
    leads = {t.code: t.lead or COMMUNE_LEAD for t in c.plan.tasks}
    return [
        {
            "task": t.task,
            "section": t.section,
            "title": t.title,
            "lead": leads.get(t.task),
            "unit": t.unit,
            "role": str(t.role),
            "role_label": TASK_ROLE_LABELS[t.role],
            "reported": t.reported,
            "status": t.status,
            "result": t.result,
            "error": t.error,
        }
        for t in c.tasks
    ]


def summary_bytes(consolidation: Consolidation) -> bytes:
    """The summary file's content: UTF-8 JSON, Vietnamese kept readable.

    One key per line, and in each list (indicators, submissions, problems…)
    one record per line: it reads and compares line by line, and each line
    is made by json's own encoder (with ``indent`` json encodes in Python,
    several times slower on the thousands of records of a large roster).
    """
    encode = json.JSONEncoder(ensure_ascii=False).encode
    lines = []
    for key, value in build_summary(consolidation).items():
        if isinstance(value, list) and value:
            records = ",\n    ".join(map(encode, value))
            lines.append(f"  {encode(key)}: [\n    {records}\n  ]")
        else:
            lines.append(f"  {encode(key)}: {encode(value)}")
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode("utf-8")
