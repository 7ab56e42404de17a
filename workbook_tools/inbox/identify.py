"""Whose form is this, for which period, of which plan?

First from the metadata the forms step writes (unit code, period, plan id),
as custom document properties and on a hidden sheet: the properties when the
file still has them (no sheet to read), else the sheet. When both are gone
(the content was copied into a new workbook), from the title block:
``Đơn vị báo cáo: Thôn 3 (T03)``, ``Kỳ báo cáo: … (6T-2024)``, ``Kế hoạch: …
(PCMD-TienNong-2024)``, matching the unit's name against the roster whatever
the case, spacing, Unicode form or diacritics, and saying so in a warning.
The file name is never used: files are renamed freely on the way (mail
clients, Zalo, "Copy of …"), and a wrong guess would put one village's
figures under another.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from workbook_tools import problems
from workbook_tools.forms import contract
from workbook_tools.inbox.model import IdentifiedBy, SubmissionStatus
from workbook_tools.inbox.workbook import FormWorkbook, TitleCell
from workbook_tools.plan.model import Period, Plan, RosterEntry
from workbook_tools.problems import Problem
from workbook_tools.spreadsheet import Location


@dataclass(slots=True)
class Identification:
    """What a returned workbook was found to be.

    ``status`` is None for a form of the plan and period being read (to be
    checked and, if the newest, used); otherwise OTHER_PERIOD or REJECTED, with
    the reason in ``problems``.
    """

    entry: RosterEntry | None = None
    period: Period | None = None
    by: IdentifiedBy = IdentifiedBy.NONE
    status: SubmissionStatus | None = None
    problems: list[Problem] = field(default_factory=list)
    metadata: contract.FormMetadata | None = None
    title: dict[str, TitleCell] = field(default_factory=dict)


def name_key(text: str) -> str:
    """A name with case, spacing, punctuation, Unicode form and diacritics set aside.

    ``"THÔN  01"``, ``"thon 1"`` and an NFD ``"Thôn 1"`` give the same key;
    ``đ`` counts as ``d``. Leading zeros of numbers are dropped (Thôn 01 is Thôn 1).
    """
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = bare.replace("đ", "d").replace("Đ", "D")
    return _loose(bare)


def strict_key(text: str) -> str:
    """Like :func:`name_key` but keeping diacritics: tells Thôn Đông from Thôn Đồng."""
    return _loose(unicodedata.normalize("NFC", text))


def _loose(text: str) -> str:
    words = re.sub(r"[\W_]+", " ", text.casefold()).split()
    return " ".join(re.sub(r"^0+(?=\d)", "", w) for w in words)


def match_entry(
    plan: Plan, name: str, code: str | None = None
) -> tuple[RosterEntry | None, list[RosterEntry]]:
    """The roster entry a title names: (entry, []) or (None, the entries it could be).

    The name decides; the code in parentheses is used when the name matches
    nothing (a village renamed in the plan after the forms went out).
    """
    for candidate in _name_candidates(name, code):
        found = _by_name(plan.roster, candidate)
        if len(found) == 1:
            return found[0], []
        if found:
            return None, found
    if code:
        by_code = _by_code(plan, code)
        if by_code is not None:
            return by_code, []
    return None, []


def _name_candidates(name: str, code: str | None) -> list[str]:
    # A unit whose own name ends in parentheses ("Trường THCS (điểm 2)") was
    # split by the title parser; its whole text is tried too.
    out = [name]
    if code:
        out.append(f"{name} ({code})")
    return [c for c in out if c.strip()]


def _by_name(roster: Iterable[RosterEntry], name: str) -> list[RosterEntry]:
    key = name_key(name)
    found = [e for e in roster if name_key(e.name) == key]
    if len(found) > 1:
        strict = strict_key(name)
        exact = [e for e in found if strict_key(e.name) == strict]
        if exact:
            return exact
    return found


def _by_code(plan: Plan, code: str) -> RosterEntry | None:
    return _code_index(plan).get(code.strip().casefold())


#: The roster by case-folded code, for the plan being read (one plan a run).
_code_indexes: dict[int, tuple[Plan, dict[str, RosterEntry]]] = {}


def _code_index(plan: Plan) -> dict[str, RosterEntry]:
    """Case-folded code → the first roster entry with it; built once per plan, not per file."""
    kept = _code_indexes.get(id(plan))
    if kept is None or kept[0] is not plan:
        index: dict[str, RosterEntry] = {}
        for e in plan.roster:
            index.setdefault(e.code.casefold(), e)
        _code_indexes.clear()  # keep only the plan in use
        kept = _code_indexes[id(plan)] = (plan, index)
    return kept[1]


def _period_by(plan: Plan, code: str | None, name: str | None) -> Period | None:
    if code:
        key = code.strip().casefold()
        for p in plan.periods:
            if p.code.casefold() == key:
                return p
    if name:
        key = name_key(name)
        for p in plan.periods:
            if name_key(p.name) == key:
                return p
    return None


def identify(plan: Plan, period_code: str, workbook: FormWorkbook, *, file: str) -> Identification:
    """Identify a returned workbook for the period ``period_code`` of ``plan``."""
    result = Identification(title=workbook.title_block())
    meta = workbook.identity()
    if meta is not None:
        result.metadata = meta
        _by_metadata(plan, period_code, meta, result, file)
    elif contract.UNIT_PREFIX in result.title:
        _by_title(plan, period_code, result, file)
    else:
        result.status = SubmissionStatus.REJECTED
        result.problems.append(
            problems.make(
                "inbox.unidentified",
                file=file,
                who=plan.settings.roster_words,
                meta_sheet=contract.META_SHEET,
                prefix=contract.UNIT_PREFIX.strip(),
                period=period_code,
            )
        )
    return result


def _by_metadata(
    plan: Plan, period_code: str, meta: contract.FormMetadata, result: Identification, file: str
) -> None:
    result.by = IdentifiedBy.METADATA
    settings = plan.settings
    code, name = meta.get("unit_code"), meta.get("unit_name")
    entry = _by_code(plan, code) if code else None
    if entry is None and name:
        entry, _ = match_entry(plan, name)
    result.entry = entry
    if _other_plan(plan, period_code, meta.get("plan_id"), result, file):
        return
    if entry is None:
        _unknown_unit(plan, name or code, code, result, file)
        return
    if not _period(plan, period_code, meta.get("period"), meta.get("period_name"), result, file):
        return
    version = meta.get("plan_version")
    if version and version != settings.version:
        result.problems.append(
            problems.make(
                "inbox.form_version",
                file=file,
                unit=entry.code,
                found=version,
                version=settings.version,
            )
        )
    unit_title = result.title.get(contract.UNIT_PREFIX)
    if unit_title is not None and not _same_unit(unit_title.line, code, name):
        line = unit_title.line
        shown = f"{line.name} ({line.code})" if line.code else line.name
        # A copied form with another unit's title: counting it for either unit could
        # silently replace that unit's real report, so it is not used at all.
        result.status = SubmissionStatus.REJECTED
        result.problems.append(
            problems.make(
                "inbox.unit_mismatch",
                file=file,
                unit=entry.code,
                sheet=unit_title.sheet,
                cell=Location(unit_title.sheet, unit_title.row, unit_title.col).cell,
                value=shown,
                name=entry.name,
            )
        )


def _same_unit(line: contract.TitleLine, code: str, name: str) -> bool:
    if line.code and code and line.code.strip().casefold() == code.casefold():
        return True
    return bool(name) and any(name_key(c) == name_key(name) for c in _name_candidates(
        line.name, line.code
    ))


def _by_title(plan: Plan, period_code: str, result: Identification, file: str) -> None:
    result.by = IdentifiedBy.TITLE
    unit_line = result.title[contract.UNIT_PREFIX].line
    entry, candidates = match_entry(plan, unit_line.name, unit_line.code)
    result.entry = entry
    plan_line = result.title.get(contract.PLAN_PREFIX)
    if plan_line is not None and _other_plan(plan, period_code, plan_line.line.code, result, file):
        return
    if entry is None:
        shown = unit_line.name if not unit_line.code else f"{unit_line.name} ({unit_line.code})"
        if candidates:
            result.status = SubmissionStatus.REJECTED
            result.problems.append(
                problems.make(
                    "inbox.ambiguous_unit",
                    file=file,
                    who=plan.settings.roster_words,
                    value=shown,
                    candidates=", ".join(f"{e.name} ({e.code})" for e in candidates),
                )
            )
        else:
            _unknown_unit(plan, shown, None, result, file)
        return
    period_title = result.title.get(contract.PERIOD_PREFIX)
    if period_title is not None:
        line = period_title.line
        if not _period(plan, period_code, line.code, line.name, result, file):
            return
    else:
        # No period line (cut when pasting): nothing says it is another period.
        result.period = plan.period(period_code)
    result.problems.append(
        problems.make("inbox.identified_by_title", file=file, unit=entry.code, name=entry.name)
    )


def _other_plan(
    plan: Plan, period_code: str, plan_id: str | None, result: Identification, file: str
) -> bool:
    """Reject a form of another plan (last year's); True if it was."""
    if not plan_id or plan_id.strip().casefold() == plan.settings.plan_id.casefold():
        return False
    entry = result.entry
    hint = f" (tệp {contract.form_filename(period_code, entry)})" if entry is not None else ""
    result.status = SubmissionStatus.REJECTED
    result.problems.append(
        problems.make(
            "inbox.other_plan",
            file=file,
            unit=entry.code if entry is not None else None,
            found=plan_id.strip(),
            plan=plan.settings.plan_id,
            period=period_code,
            form_hint=hint,
        )
    )
    return True


def _period(
    plan: Plan,
    period_code: str,
    code: str | None,
    name: str | None,
    result: Identification,
    file: str,
) -> bool:
    """Set the form's period; True when it is the one being read."""
    entry = result.entry
    assert entry is not None
    found = _period_by(plan, code, name)
    result.period = found
    if found is None:
        result.status = SubmissionStatus.REJECTED
        result.problems.append(
            problems.make(
                "inbox.unknown_period",
                file=file,
                unit=entry.code,
                value=code or name or "",
                period=period_code,
            )
        )
        return False
    if found.code != period_code:
        result.status = SubmissionStatus.OTHER_PERIOD
        result.problems.append(
            problems.make(
                "inbox.other_period",
                file=file,
                unit=entry.code,
                found=found.code,
                found_name=found.name,
                name=entry.name,
                period=period_code,
            )
        )
        return False
    return True


def _unknown_unit(
    plan: Plan, shown: str, code: str | None, result: Identification, file: str
) -> None:
    result.status = SubmissionStatus.REJECTED
    names = {name_key(e.name): e.name for e in plan.roster}
    close = difflib.get_close_matches(name_key(shown), list(names), n=1, cutoff=0.75)
    suggestion = f" Có phải là '{names[close[0]]}'?" if close else ""
    result.problems.append(
        problems.make(
            "inbox.unknown_unit",
            file=file,
            who=plan.settings.roster_words,
            value=shown or code or "",
            suggestion=suggestion,
        )
    )
