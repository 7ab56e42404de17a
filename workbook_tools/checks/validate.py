"""Check one returned form: every value cleaned, typed, within limits, and the plan's rules kept.

:func:`check_form` is a pure function of the plan, the period, the roster
entry and the cells the inbox reader found; it returns the usable values and
a problem record for everything wrong. Decisions:

- A field of the entry's form that the reader did not find counts as empty
  (the reader reports the lost cell itself). A cell the reader found for a
  field that is not on this entry's form is ignored.
- A required field left empty is an error but, holding nothing, is not listed
  as unusable; ``unusable`` lists the fields whose value was there and wrong.
- Rules are evaluated on the values after cleaning, all against the same
  values, so their order does not matter. A rule's ``when`` must be true and
  its ``check`` false for a problem: a rule naming an empty or unusable value
  is not evaluated (Kleene logic gives None), so one wrong value is reported
  once. An error rule makes every field it names unusable: which of
  ``ld_duoc_tt <= ld_tong`` is wrong is not known, and neither may be counted
  (SPEC: an error makes the value unusable).
- The rule's problem is placed on the first field its ``check`` names that has
  a cell (the part of ``part <= whole``, the value ``NOT EMPTY(…)`` wants).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from workbook_tools import expressions
from workbook_tools.checks.normalize import Cleaned, clean, format_value
from workbook_tools.inbox.model import RawCell
from workbook_tools.plan.model import (
    STATUS_VALUES,
    Field,
    FieldType,
    Period,
    Plan,
    RosterEntry,
    Rule,
)
from workbook_tools.plan.model import constants as formula_constants
from workbook_tools.problems import Problem, Severity, make
from workbook_tools.values import CELL_CHARS, Value

#: What to enter, by field type, as the messages say it ("hãy nhập …").
EXPECTED = {
    FieldType.INT: "một số nguyên từ 0 trở lên (không có thì nhập 0)",
    FieldType.YESNO: "Có hoặc Không",
    FieldType.STATUS: ", ".join(STATUS_VALUES),
    FieldType.TEXT: "nội dung",
    FieldType.DATE: "ngày theo dạng dd/mm/yyyy, ví dụ 15/06/2024",
    FieldType.DECIMAL: "một số từ 0 trở lên, phần thập phân sau dấu phẩy, ví dụ 12,5 (không có "
    "thì nhập 0)",
    FieldType.MONEY: "số tiền bằng đồng, ví dụ 1.500.000 (không có thì nhập 0)",
    FieldType.CHOICE: "một lựa chọn trong danh sách của ô",
}


def expected(f: Field) -> str:
    """What to enter in ``f``'s cell, as the messages say it; a choice field lists its choices."""
    if f.type is FieldType.CHOICE and f.choices:
        return ", ".join(f.choices)
    return EXPECTED[f.type]

#: Where a field the reader found no cell for is said to be.
NO_CELL = "Trên biểu mẫu"

#: How an empty value is listed among a rule's values.
EMPTY = "(trống)"


@dataclass(slots=True)
class FormCheck:
    """What checking one form found."""

    values: dict[str, Value] = field(default_factory=dict)  # usable values only
    unusable: set[str] = field(default_factory=set)  # fields whose value was wrong
    problems: list[Problem] = field(default_factory=list)


def where(cell: RawCell | None) -> str:
    """``Ô C12 (trang 'Báo cáo')``: where a value is, as messages say it."""
    if cell is None:
        return NO_CELL
    return f"Ô {cell.cell} (trang '{cell.sheet}')"


def check_form(
    plan: Plan,
    period: Period,
    entry: RosterEntry,
    raw: Mapping[str, RawCell],
    *,
    file: str,
) -> FormCheck:
    """Clean and check the values of ``entry``'s form for ``period``, read from ``file``."""
    result = FormCheck()
    fields = plan.fields_for(entry)
    shown: dict[str, str] = {}

    def report(code: str, f: Field, cell: RawCell | None, value: str,
               severity: Severity | None = None, **context: object) -> None:
        result.problems.append(
            make(
                code,
                severity=severity,
                file=file,
                unit=entry.code,
                sheet=cell.sheet if cell else None,
                cell=cell.cell if cell else None,
                field=f.code,
                value=value or None,
                where=where(cell),
                label=f.label,
                expected=expected(f),
                **context,
            )
        )

    for f in fields:
        cell = raw.get(f.code)
        cleaned = clean(f, None if cell is None else cell.value)
        shown[f.code] = cleaned.shown
        if cleaned.code is not None:
            report(cleaned.code, f, cell, cleaned.shown, read_as=cleaned.read_as,
                   hint=cleaned.hint, encoding=cleaned.encoding)
        if cleaned.value is None:
            if cleaned.failed:
                result.unusable.add(f.code)
            elif f.required:
                report("value.required", f, cell, "")
            continue
        limit = _limit_problem(f, cleaned)
        if limit is not None:
            code, bound = limit
            report(code, f, cell, cleaned.shown or format_value(cleaned.value), limit=bound,
                   length=len(cleaned.value) if isinstance(cleaned.value, str) else None)
            result.unusable.add(f.code)
            continue
        result.values[f.code] = cleaned.value

    by_code = {f.code: f for f in fields}
    constants = formula_constants(plan, period)
    broken: set[str] = set()
    for rule in plan.rules_for(entry):
        if result.unusable and result.unusable.intersection(_named_fields(rule)):
            continue  # a value it reads is already an error: nothing more is learnt
        if not _fails(rule, result.values, constants):
            continue
        named = [c for c in _named_fields(rule) if c in by_code]
        if not named:  # pragma: no cover - rules_for() only gives rules on this form
            continue
        anchor = by_code[next((c for c in named if c in raw), named[0])]
        listed = "; ".join(f"«{by_code[c].label}» = {_listed(c, result.values, shown)}"
                           for c in named)
        severity = Severity(rule.severity.value)
        report("rule.failed", anchor, raw.get(anchor.code), shown.get(anchor.code, ""),
               severity=severity, message=rule.message, values=listed, rule=rule.code)
        if severity is Severity.ERROR:
            broken.update(c for c in named if c in result.values)
    for code in broken:
        del result.values[code]
    result.unusable |= broken
    return result


def _limit_problem(f: Field, cleaned: Cleaned) -> tuple[str, int] | None:
    """The limit ``cleaned`` breaks: its catalogue code and the limit."""
    value = cleaned.value
    if isinstance(value, str):  # asked first: a text is no number (Fraction's check is slow)
        # No text longer than a spreadsheet cell holds, whatever the plan allows.
        longest = min(f.max_length or CELL_CHARS, CELL_CHARS)
        return ("value.too_long", longest) if len(value) > longest else None
    if isinstance(value, int | Fraction):
        if f.minimum is not None and value < f.minimum:
            return "value.below_minimum", f.minimum
        if f.maximum is not None and value > f.maximum:
            return "value.above_maximum", f.maximum
    return None


def _fails(rule: Rule, values: Mapping[str, Value], constants: Mapping[str, Value]) -> bool:
    """True only when ``when`` is known true and ``check`` known false."""
    # A rule reads only the values it names: forms giving the same ones (most
    # yes/no answers and small counts) are judged once a run.
    names = _names_read(rule.check, rule.when)
    return _fails_on(
        rule.check,
        rule.when,
        tuple((name, values.get(name)) for name in names),
        tuple(constants.items()),
    )


@functools.lru_cache(maxsize=512)
def _names_read(check: str, when: str | None) -> tuple[str, ...]:
    return tuple(
        sorted(
            {
                node.name
                for text in (check, when)
                if text
                for node in expressions.walk(expressions.parse(text).root)
                if isinstance(node, expressions.Name) and not node.is_constant
            }
        )
    )


@functools.lru_cache(maxsize=16384)
def _fails_on(
    check: str,
    when: str | None,
    named: tuple[tuple[str, Value | None], ...],
    constants: tuple[tuple[str, Value], ...],
) -> bool:
    # Each field's values are of one type (int, "Có"/"Không", date…), so equal
    # keys are equal values: the same verdict.
    values = {name: value for name, value in named if value is not None}
    known = dict(constants)
    if when and expressions.evaluate_row(expressions.parse(when), values, known) is not True:
        return False
    return expressions.evaluate_row(expressions.parse(check), values, known) is False


def _named_fields(rule: Rule) -> tuple[str, ...]:
    """The fields a rule names, in the order its formulas name them: ``check`` first.

    So ``ld_duoc_tt <= ld_tong`` is placed on the part, and ``NOT EMPTY(kh_so_ngay)``
    on the value to fill in.
    """
    found: list[str] = []
    for text in (rule.check, rule.when):
        if text:
            names = [n for n in expressions.walk(expressions.parse(text).root)
                     if isinstance(n, expressions.Name) and not n.is_constant]
            found.extend(n.name for n in sorted(names, key=lambda n: n.offset))
    found.extend(rule.fields)
    return tuple(dict.fromkeys(found))


def _listed(code: str, values: Mapping[str, Value], shown: Mapping[str, str]) -> str:
    if code in values:
        return format_value(values[code])
    return shown.get(code) or EMPTY


__all__ = ["EXPECTED", "FormCheck", "check_form", "where"]
