"""The forms step: one workbook per village and unit, for one period.

:func:`select_forms` says which forms and their file names; :func:`build_forms`
is pure (plan in, file names and bytes out); :func:`write_forms` puts them on
disk; :func:`generate_forms` does both a form at a time, in several processes
for a large roster. What a form promises its reader is in
:mod:`workbook_tools.forms.contract`; where things go on it, in
:mod:`workbook_tools.forms.layout`; the bytes, in :mod:`workbook_tools.forms.writer`.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from workbook_tools.errors import PlanError, WorkbookToolsError
from workbook_tools.forms import contract
from workbook_tools.forms.layout import FormPlanner
from workbook_tools.plan.model import Kind, Period, Plan, RosterEntry
from workbook_tools.workers import ordered_map
from workbook_tools.workspace import write_atomic

#: Folder of the forms inside the period's outbox.
FORMS_FOLDER = "bieu_mau"


@dataclass(frozen=True, slots=True)
class FormSpec:
    """One form to build: who it is for, and the file name it gets."""

    period: Period
    entry: RosterEntry
    filename: str


@dataclass(frozen=True, slots=True)
class GeneratedForm:
    entry: RosterEntry
    filename: str
    content: bytes


def select_forms(
    plan: Plan, period_code: str, unit_codes: Sequence[str] | None = None
) -> list[FormSpec]:
    """The forms to build, in roster order, each with a clash-free ASCII file name.

    ``unit_codes`` (case-insensitive) limits them to some roster entries.
    An unknown period or code stops the run with a message listing the valid ones.
    """
    period = plan.period(period_code)
    entries = list(plan.roster) if not unit_codes else _entries(plan, unit_codes)
    _check_names(plan)
    # File names are made unique over the whole roster, so a form keeps its
    # name whether it is generated alone (--unit) or with all the others.
    names = dict(
        zip(
            (e.code for e in plan.roster),
            contract.unique_filenames(contract.form_filename(period.code, e) for e in plan.roster),
            strict=True,
        )
    )
    return [FormSpec(period, e, names[e.code]) for e in entries]


def build_form(planner: FormPlanner, spec: FormSpec, generated_at: datetime) -> GeneratedForm:
    """Lay out and write one form (``planner`` is for the plan and ``spec.period``)."""
    # xlsxwriter is loaded by the commands that write forms, not by every
    # command that reads them (the inbox step uses the layouts of this package).
    from workbook_tools.forms.writer import write_form

    layout = planner.layout(spec.entry, generated_at)
    return GeneratedForm(spec.entry, spec.filename, write_form(layout))


def build_forms(
    plan: Plan,
    period_code: str,
    unit_codes: Sequence[str] | None = None,
    now: datetime | None = None,
) -> list[GeneratedForm]:
    """Every form of the period (or of ``unit_codes`` only), in memory."""
    specs = select_forms(plan, period_code, unit_codes)
    return list(iter_forms(plan, specs, now_for_forms(now)))


def iter_forms(
    plan: Plan, specs: Sequence[FormSpec], generated_at: datetime
) -> Iterator[GeneratedForm]:
    """Build the forms of ``specs``, in order, one at a time as they are ready."""
    if not specs:
        return
    planner = FormPlanner(plan, specs[0].period.code)
    for spec in specs:
        yield build_form(planner, spec, generated_at)


@contextlib.contextmanager
def generate_forms(
    plan: Plan,
    specs: Sequence[FormSpec],
    folder: Path,
    generated_at: datetime,
    workers: int = 1,
) -> Iterator[Iterator[Path]]:
    """Build and write the forms of ``specs`` into ``folder``; each path as it is written.

    With ``workers`` > 1 each form is built and written in one of that many
    processes (:func:`~workbook_tools.workers.ordered_map`): a form takes
    milliseconds of pure computing, so a roster of thousands is done about
    ``workers`` times faster on as many cores.
    """
    if not specs:
        yield iter(())
        return
    planner = FormPlanner(plan, specs[0].period.code)
    with ordered_map(
        _generate,
        planner,
        specs,
        [folder] * len(specs),
        [generated_at] * len(specs),
        workers=workers,
    ) as paths:
        yield paths


def _generate(planner: FormPlanner, spec: FormSpec, folder: Path, generated_at: datetime) -> Path:
    return write_generated(build_form(planner, spec, generated_at), folder)


def write_forms(forms: Iterable[GeneratedForm], folder: Path) -> list[Path]:
    """Write the forms into ``folder``, each whole or not at all; the paths written."""
    return [write_generated(form, folder) for form in forms]


def write_generated(form: GeneratedForm, folder: Path) -> Path:
    """Write one form into ``folder`` (whole or not at all); its path."""
    path = folder / form.filename
    write_atomic(path, form.content)
    return path


def forms_folder(outbox_period: Path) -> Path:
    """``outbox/<period>/bieu_mau``."""
    return outbox_period / FORMS_FOLDER


def now_for_forms(now: datetime | None = None) -> datetime:
    """The generation time written into forms: local time, to the second."""
    return (now or datetime.now()).replace(microsecond=0)


def select_entries(plan: Plan, unit_codes: Sequence[str]) -> list[RosterEntry]:
    """The roster's entries of ``unit_codes`` (any case), in roster order; every entry when
    none is given. An unknown code raises :class:`WorkbookToolsError` naming it and the
    nearest code."""
    return _entries(plan, unit_codes) if unit_codes else list(plan.roster)


def _entries(plan: Plan, unit_codes: Sequence[str]) -> list[RosterEntry]:
    by_code = {e.code.casefold(): e for e in plan.roster}
    wanted: set[str] = set()
    unknown: list[str] = []
    for code in unit_codes:
        key = code.strip().casefold()
        if key not in by_code:
            unknown.append(code)
        wanted.add(key)
    if unknown:
        valid = [e.code for e in plan.roster]
        shown = ", ".join(f"'{c}'" for c in unknown)
        raise WorkbookToolsError(
            f"Không có {plan.settings.kind_word(Kind.VILLAGE)} hay đơn vị nào mã {shown} trong "
            "danh sách của kế hoạch."
            f"{_suggest(unknown[0], valid)} Các mã có trong danh sách: {', '.join(valid)}."
        )
    return [e for e in plan.roster if e.code.casefold() in wanted]


def _suggest(value: str, valid: Sequence[str]) -> str:
    folded = {v.casefold(): v for v in valid}
    close = difflib.get_close_matches(value.strip().casefold(), list(folded), n=1)
    return f" Có phải ý bạn là '{folded[close[0]]}'?" if close else ""


# A defined name: a letter or underscore first, then letters, digits, _ or .;
# not something Excel reads as a cell (A1, XFD1048576) or R1C1 reference.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_CELL_LIKE = re.compile(r"^[A-Za-z]{1,3}\d+$|^[RrCc]$|^[RrCc]\d+[RrCc]\d+$")


def _check_names(plan: Plan) -> None:
    """Every field code must be usable as an Excel name, or a form cannot carry it."""
    codes = [f.code for f in plan.all_fields]
    bad = sorted({c for c in codes if not _NAME.match(c) or _CELL_LIKE.match(c) or len(c) > 255})
    if bad:
        raise PlanError(
            "Mã trường không dùng được làm tên ô trong Excel: "
            + ", ".join(bad)
            + ". Mã trường phải bắt đầu bằng chữ cái, chỉ gồm chữ không dấu, số và dấu _, "
            "và không trùng dạng địa chỉ ô (như AB12). Hãy sửa mã trong trang trường "
            "của tệp kế hoạch."
        )
    # Excel does not tell "ABC" from "abc": two such names break the workbook.
    seen: dict[str, str] = {}
    for code in codes:
        other = seen.setdefault(code.casefold(), code)
        if other != code:
            raise PlanError(
                f"Hai mã trường '{other}' và '{code}' chỉ khác nhau chữ hoa, chữ thường; "
                "Excel coi là một tên. Hãy đổi một trong hai mã trong trang trường của "
                "tệp kế hoạch."
            )


__all__ = [
    "FORMS_FOLDER",
    "FormPlanner",
    "FormSpec",
    "GeneratedForm",
    "build_form",
    "build_forms",
    "default_workers",
    "forms_folder",
    "generate_forms",
    "iter_forms",
    "now_for_forms",
    "select_forms",
    "write_forms",
    "write_generated",
]
