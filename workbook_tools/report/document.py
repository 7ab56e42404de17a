"""The commune's report in Word (Decree 30/2020/NĐ-CP), from a consolidation and a template.

:func:`build_document` fills a .docx template (docxtpl: Jinja tags inside a
real Word document) with what :class:`~workbook_tools.consolidation.Consolidation`
holds and what the officer enters (:class:`ReportEntries`: number, date,
signer, receivers), and returns the .docx's bytes. It writes no file.

The template is the officer's own copy, which they may edit in Word, or the
built-in one (:func:`default_template`, built by
:mod:`workbook_tools.report.template_build`), used only when asked: a broken
template is a :class:`~workbook_tools.errors.TemplateError` naming the file and
the tag, never silently replaced.

Everything printed comes from the plan (commune, plan number and title, its
sections, tasks and indicators, signer) and the period's returns: another
plan's report has its own sections and names.

Tags a template may use (the officer reads the same in :data:`TEMPLATE_GUIDE`):

- texts: ``xa``, ``xa_in_hoa``, ``so_ky_hieu``, ``dia_danh_ngay``, ``trich_yeu``,
  ``ky``, ``ke_hoach``, ``mo_dau``, ``ngay_tong_hop``, ``so_muc_chi_tieu``,
  ``ket_thuc``, ``gui``, ``doi_tuong``, ``tham_quyen_ky``, ``chuc_vu``, ``nguoi_ky``;
- lists of sentences (one paragraph each, ``{%p for dong in … %}``):
  ``tinh_hinh``, ``uu_diem``, ``han_che``, ``nguyen_nhan``, ``nhiem_vu_ky_toi``,
  ``noi_nhan``, ``so_sanh`` (each indicator that moved since an earlier report);
- ``muc_ke_hoach``: the plan's sections, each with ``so``, ``ten``,
  ``nhiem_vu`` (each ``ten`` and ``bao_cao``, one sentence per unit),
  ``so_lieu`` and ``chi_tieu`` (sentences);
- ``chi_tieu``: the indicator table's rows (``stt``, ``ma``, ``ten``,
  ``ket_qua``, ``muc_can_dat``, ``danh_gia``, ``ghi_chu``), the JSON summary's
  indicators in its order;
- ``kho_khan``, ``de_xuat``: what the villages and units wrote, one item per
  village or unit (``ten``, ``noi_dung``);
- filters: ``so`` (1.250; 12,5) and ``ty_le`` (83,3%).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import docx
import pandas as pd
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2 import TemplateError as JinjaTemplateError

from workbook_tools.consolidation import (
    OUTCOME_LABELS,
    TASK_ROLE_LABELS,
    Consolidation,
    IndicatorResult,
    Outcome,
    TaskRole,
    TaskStatus,
)
from workbook_tools.errors import TemplateError
from workbook_tools.inbox.arrival import NEEDS_CONFIRMATION, SOURCE_LABELS, UNKNOWN_SENDER_WHY
from workbook_tools.inbox.ledger import OFFICER
from workbook_tools.numbers import number_text, percent_text
from workbook_tools.plan.model import (
    YES,
    Field,
    FieldType,
    Kind,
    Plan,
    RosterEntry,
    Task,
)
from workbook_tools.report.locking import document_sentence
from workbook_tools.report.wording import (
    NO_DATA_NOW,
    comparison_caveat,
    lower_first,
    period_phrase,
    plan_citation,
    summary_line,
    upper_first,
    vietnamese_date_line,
)
from workbook_tools.template_guide import OFFICER_TEMPLATE
from workbook_tools.template_guide import TEMPLATE_GUIDE as TEMPLATE_GUIDE  # re-exported
from workbook_tools.values import STATUS_VALUES, SUMMED_TYPES

DOCUMENT_NAME = "BaoCao_{period}.docx"
BUILTIN_TEMPLATE = OFFICER_TEMPLATE  # in workbook_tools/sample/: the same name

#: What an unnumbered report's number looks like: the office writes the number in.
DEFAULT_NUMBER = "      /BC-UBND"
DEFAULT_AUTHORITY = "TM. ỦY BAN NHÂN DÂN"
DONE = STATUS_VALUES[0]  # "Hoàn thành"
#: A fixed time for every part of the .docx zip: the same document, the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class ReportEntries:
    """What the officer enters for the Word report; None takes the plan's value.

    ``number`` is the report's "số/ký hiệu" ("12/BC-UBND"), blank to be filled
    by hand when None. ``signed_on`` is the date on the place and date line
    (None: the day of the consolidation). ``signer_title``, ``signer_name``,
    ``report_to`` and ``place`` default to the plan's settings (``place``: the
    commune). ``receivers`` are the "Nơi nhận" lines before the "Lưu:" line
    (None: the body the report goes to).
    """

    number: str | None = None
    signed_on: date | None = None
    signer_name: str | None = None
    signer_title: str | None = None
    authority: str = DEFAULT_AUTHORITY  # "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"…
    report_to: str | None = None
    receivers: tuple[str, ...] | None = None
    place: str | None = None


def default_template() -> bytes:
    """The built-in template's bytes (``workbook_tools/sample/mau_bao_cao.docx``)."""
    return resources.files("workbook_tools").joinpath("sample", BUILTIN_TEMPLATE).read_bytes()


def build_document(
    consolidation: Consolidation,
    entries: ReportEntries,
    template: Path | None,
    *,
    use_builtin: bool = False,
) -> bytes:
    """The report's .docx bytes, from ``template`` (the built-in one if None or ``use_builtin``).

    A template that is not a .docx, cannot be read, or has a wrong tag raises
    :class:`TemplateError` naming the file; the built-in template is then used
    only if the caller asks again with ``use_builtin``.
    """
    builtin = use_builtin or template is None
    name = f"có sẵn {BUILTIN_TEMPLATE}" if builtin else str(template)
    data = default_template() if builtin or template is None else _read_template(template)
    source = io.BytesIO(data)
    context = build_context(consolidation, entries)
    try:
        document = DocxTemplate(source)
        document.render(context, _environment(), autoescape=True)
        out = io.BytesIO()
        document.save(out)
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as err:
        raise TemplateError(
            f"Mẫu báo cáo {name} không phải tệp Word (.docx) hoặc đã hỏng ({err}). Hãy mở "
            'tệp bằng Word và lưu lại dạng "Word Document (*.docx)", hoặc dùng mẫu có sẵn.',
            name,
        ) from err
    except JinjaTemplateError as err:
        raise TemplateError(_tag_message(name, err, data), name) from err
    return stable_zip(out.getvalue())


def stable_zip(data: bytes) -> bytes:
    """``data``, a zip, written again with fixed timestamps: the same parts, the same bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            part = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            part.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(part, source.read(info))
    return out.getvalue()


def _read_template(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise TemplateError(
            f"Không tìm thấy mẫu báo cáo {path}. Hãy kiểm tra tên tệp, hoặc dùng mẫu có sẵn.",
            str(path),
        ) from err
    except OSError as err:
        raise TemplateError(
            f"Không đọc được mẫu báo cáo {path} ({err.strerror or err}). Hãy đóng tệp nếu đang "
            "mở trong Word rồi chạy lại lệnh.",
            str(path),
        ) from err
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TemplateError(
            f"Mẫu báo cáo {path} không phải tệp Word (.docx). Hãy mở tệp bằng Word và lưu lại "
            'dạng "Word Document (*.docx)" (không phải .doc, .pdf hay .xlsx).',
            str(path),
        )
    return data


def _environment() -> Environment:
    # A tag the context lacks is an error, never an empty text in the report.
    env = Environment(undefined=StrictUndefined, autoescape=True)
    env.filters["so"] = _number_filter
    env.filters["ty_le"] = _percent_filter
    return env


def _number_filter(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | Fraction | float):
        return str(value)
    return number_text(Fraction(value))


def _percent_filter(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | Fraction | float):
        return str(value)
    return percent_text(Fraction(value))


def _tag_message(name: str, err: JinjaTemplateError, template: bytes) -> str:
    """Where a tag is wrong: the paragraph (docxtpl puts each on its own line) and its text.

    Jinja locates a syntax error; an unknown name is looked for in the template's text.
    """
    where = ""
    lineno = getattr(err, "lineno", None)
    context = [line.strip() for line in getattr(err, "docx_context", None) or ()]
    if lineno and lineno > 1:
        # docxtpl keeps the paragraphs from 3 before the one in error to 3 after it.
        at = min(3, lineno - 1)
        text = context[at] if 0 <= at < len(context) else ""
        where = f", đoạn văn thứ {lineno - 1}" + (f" («{_shorten(text)}»)" if text else "")
    if isinstance(err, UndefinedError):
        tag = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", str(err))
        named = next((g for g in tag.groups() if g), "") if tag else ""
        found = _paragraph_naming(template, named) if named else None
        if found is not None:
            where = f", đoạn văn thứ {found[0]} («{_shorten(found[1])}»)"
        what = f"thẻ không có: {named}" if named else f"thẻ không có ({err})"
        return (
            f"Mẫu báo cáo {name}{where}: {what}. Hãy sửa tên thẻ theo danh sách thẻ trong "
            "trang Hướng dẫn của tệp kế hoạch (phần MẪU BÁO CÁO WORD), hoặc xóa thẻ đó."
        )
    what = "thẻ viết sai" if isinstance(err, TemplateSyntaxError) else "thẻ không dùng được"
    return (
        f"Mẫu báo cáo {name}{where}: {what} ({err.message or err}). Hãy kiểm tra dấu {{{{ }}}}, "
        "{% %} và các cặp for/endfor, if/endif."
    )


def _paragraph_naming(template: bytes, name: str) -> tuple[int, str] | None:
    """The first paragraph whose tags name ``name``: its number (as docxtpl counts) and text."""
    word = re.compile(r"(?<![\w.])" + re.escape(name) + r"(?!\w)|\." + re.escape(name) + r"(?!\w)")
    body = docx.Document(io.BytesIO(template)).element.body
    for number, paragraph in enumerate(body.iter(qn("w:p")), start=1):
        text = "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
        tags = " ".join(re.findall(r"\{[{%].*?[}%]\}", text))
        if word.search(tags):
            return number, text
    return None


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the context ---------------------------------------------------------------------


def build_context(c: Consolidation, entries: ReportEntries) -> dict[str, Any]:
    """Every tag of :data:`TEMPLATE_GUIDE` and its value for ``c`` and ``entries``."""
    settings = c.plan.settings
    place = entries.place or settings.commune
    signed_on = entries.signed_on or c.generated_at.date()
    report_to = settings.report_to if entries.report_to is None else entries.report_to
    period = period_phrase(c.period.name)
    summary = summary_line(settings.report_title, settings.plan_title, period)
    commune_body = f"Ủy ban nhân dân xã {settings.commune}"
    plan_cited = plan_citation(c.plan, commune_body)
    indicators = [_indicator_row(i, r) for i, r in enumerate(c.indicators, start=1)]
    sections = _sections(c)
    opinions = _opinions(c)
    return {
        "xa": settings.commune,
        "xa_in_hoa": f"XÃ {settings.commune}".upper(),
        "doi_tuong": _kinds_word(c, c.plan.roster),
        "so_ky_hieu": (entries.number if entries.number is not None else DEFAULT_NUMBER),
        "dia_danh_ngay": vietnamese_date_line(place, signed_on),
        "trich_yeu": summary,
        "ky": period,
        "ke_hoach": plan_cited,
        "mo_dau": f"Thực hiện {plan_cited}, {commune_body} báo cáo kết quả thực hiện {period}"
        " như sau:",
        "ngay_tong_hop": f"{c.generated_at:%H:%M} ngày {c.generated_at:%d/%m/%Y}",
        "tinh_hinh": _situation(c, period),
        "muc_ke_hoach": sections,
        "so_muc_chi_tieu": len(sections) + 1,
        "chi_tieu": indicators,
        "so_sanh": _comparison_sentences(c),
        "uu_diem": _strengths(c) or ["Chưa có chỉ tiêu nào đạt mức cần đạt trong kỳ."],
        "han_che": _weaknesses(c) or ["Không có."],
        "kho_khan": opinions.difficulties,
        "nguyen_nhan": _causes(c, opinions)
        or [f"Các {_kinds_word(c, c.plan.roster)} không nêu khó khăn, vướng mắc."],
        "nhiem_vu_ky_toi": _next_tasks(c)
        or ["Tiếp tục duy trì các hoạt động đã triển khai theo Kế hoạch."],
        "de_xuat": opinions.proposals,
        "ket_thuc": f"Trên đây là báo cáo {lower_first(summary)} của {commune_body}./.",
        "gui": report_to,
        "noi_nhan": _receivers(entries, report_to, settings.archive_line),
        "tham_quyen_ky": entries.authority,
        "chuc_vu": entries.signer_title or settings.signer_title,
        "nguoi_ky": entries.signer_name or settings.signer_name,
    }


def _receivers(entries: ReportEntries, report_to: str, archive_line: str) -> list[str]:
    given = entries.receivers if entries.receivers is not None else (report_to,)
    lines = [line.strip().rstrip(";.").strip() for line in given]
    return [f"{line};" for line in lines if line] + [archive_line]


def _names(c: Consolidation, codes: Iterable[str]) -> str:
    return ", ".join(c.plan.entry(code).name for code in codes)


def _kinds_word(c: Consolidation, entries: Sequence[RosterEntry]) -> str:
    """ "thôn", "đơn vị" or "thôn, đơn vị": what the entries are called together."""
    kinds = [k for k in Kind if any(e.kind is k for e in entries)]
    return ", ".join(c.plan.settings.kind_word(k) for k in kinds) or "thôn, đơn vị"


#: The control characters (Unicode category Cc: C0, DEL and C1), each to a space.
_CONTROLS = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)], " ")


def _clean(text: str) -> str:
    """A unit's text on one line: line breaks and control characters become spaces."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_CONTROLS).split())


# --- I. the situation ----------------------------------------------------------------


def _situation(c: Consolidation, period: str) -> list[str]:
    done = c.completeness
    settings = c.plan.settings
    kinds = done.by_kind()
    parts = " và ".join(f"{k.expected} {settings.kind_word(k.kind)}" for k in kinds)
    everyone = _kinds_word(c, [e.entry for e in done.entries])
    lines = [
        f"Theo Kế hoạch, {done.expected} {everyone} ({parts}) báo cáo kết quả thực hiện {period}"
        f" về Ủy ban nhân dân xã, hạn nộp ngày {done.deadline:%d/%m/%Y}."
        if len(kinds) > 1
        else f"Theo Kế hoạch, {done.expected} {everyone} báo cáo kết quả thực hiện {period} về "
        f"Ủy ban nhân dân xã, hạn nộp ngày {done.deadline:%d/%m/%Y}.",
    ]
    share = percent_text(Fraction(done.received, done.expected)) if done.expected else "—"
    lines.append(
        f"Đến {c.generated_at:%H:%M} ngày {c.generated_at:%d/%m/%Y}, đã nhận {done.received}/"
        f"{done.expected} báo cáo ({share}), trong đó {done.on_time} báo cáo đúng hạn, "
        f"{len(done.late)} báo cáo trễ hạn, {len(done.missing)} chưa nộp."
    )
    if len(kinds) > 1:
        lines.append(
            "; ".join(
                f"{settings.kind_label(k.kind)}: {k.received}/{k.expected} đã nộp, "
                f"{k.on_time} đúng hạn"
                for k in kinds
            )
            + "."
        )
    if done.missing:
        lines.append(f"Chưa nộp báo cáo ({len(done.missing)}): {_names(c, done.missing)}.")
    if done.late:
        lines.append(f"Nộp báo cáo trễ hạn ({len(done.late)}): {_names(c, done.late)}.")
    sources = [e.arrival_source for e in done.entries if e.arrival_source is not None]
    if sources:
        counted = [
            f"{sources.count(code)} {label}"
            for code, label in SOURCE_LABELS.items()
            if code in sources
        ]
        lines.append(f"Thời điểm nhận báo cáo: {', '.join(counted)}.")
    doubtful = [e.entry.code for e in done.entries if e.needs_confirmation]
    if doubtful:
        lines.append(
            f"Nhận sau hạn nhưng biểu mẫu hoặc thư ghi trước hạn, {NEEDS_CONFIRMATION} "
            f"({len(doubtful)}): {_names(c, doubtful)}."
        )
    strangers = [e.entry.code for e in done.entries if e.unknown_sender]
    if strangers:
        lines.append(
            f"{upper_first(UNKNOWN_SENDER_WHY)} ({len(strangers)}): "
            f"{_names(c, strangers)}."
        )
    corrected = [e for e in done.entries if e.correction is not None]
    if corrected:
        lines.append(
            f"Thời điểm nhận do {SOURCE_LABELS[OFFICER]} ({len(corrected)}): "
            + "; ".join(
                f"{e.entry.name} (nhận ngày {e.correction.arrived:%d/%m/%Y}, "
                f"{_clean(e.correction.reason)})"
                for e in corrected
                if e.correction is not None
            )
            + "."
        )
    # Chốt số liệu: since when, and who came after.
    locked = document_sentence(c.plan, c.lock, c.after_lock)
    if locked:
        lines.append(locked)
    return lines


# --- II. results, by section of the plan ---------------------------------------------

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9}
_SECTION_NAMED = re.compile(r"\(\s*mục\s+([IVX]+(?:\.\d+)?)[^)]*\)", re.IGNORECASE)


def _section_key(section: str) -> str:
    """The plan section a task or an indicator belongs to: "II.1.a", "II.1.2.b(2)" -> "II.1"."""
    return ".".join(section.strip().split(".")[:2])


def _section_order(key: str) -> tuple[int, int, str]:
    roman, _, number = key.partition(".")
    if roman.upper() not in _ROMAN:
        return (99, 0, "")
    return (_ROMAN[roman.upper()], int(number) if number.isdigit() else 0, key)


def _field_section(f: Field) -> str:
    """The plan section a field's heading names ("1. Truyền thông (mục II.1)" -> "II.1")."""
    found = _SECTION_NAMED.search(f.section)
    return _section_key(found.group(1)) if found else ""


def _sections(c: Consolidation) -> list[dict[str, Any]]:
    """One item per section of the plan that has a task, an indicator or a figure."""
    plan = c.plan
    opinion_codes = {f.code for f in c.opinion_fields}
    fields = [f for f in plan.fields if f.code not in opinion_codes and _field_section(f)]
    keys: list[str] = []
    for key in (
        *(_section_key(t.section) for t in plan.tasks),
        *(_section_key(r.indicator.section) for r in c.indicators),
        *(_field_section(f) for f in fields),
    ):
        if key and key not in keys:
            keys.append(key)
    keys.sort(key=_section_order)
    by_kind = {kind: [e for e in plan.roster if e.kind is kind] for kind in Kind}
    out: list[dict[str, Any]] = []
    for key in keys:
        tasks = [t for t in plan.tasks if _section_key(t.section) == key]
        figures = [
            line for f in fields if _field_section(f) == key for line in _figure(c, f, by_kind)
        ]
        results = [r for r in c.indicators if _section_key(r.indicator.section) == key]
        out.append(
            {
                "so": len(out) + 1,
                "ten": _section_title(plan, key, tasks, fields),
                "nhiem_vu": [_task_item(c, t) for t in tasks],
                "so_lieu": figures,
                "chi_tieu": [_indicator_sentence(r) for r in results],
            }
        )
    return out


def _section_title(plan: Plan, key: str, tasks: Sequence[Task], fields: Sequence[Field]) -> str:
    """The heading the plan's fields give the section, else its first task's title."""
    for f in fields:
        if _field_section(f) == key:
            return re.sub(r"^\s*\d+\s*[.)]\s*", "", f.section).strip()
    if tasks:
        return f"{tasks[0].title} (mục {key})"
    return f"Mục {key} của Kế hoạch"


def _task_item(c: Consolidation, task: Task) -> dict[str, Any]:
    """A task's heading and one sentence per unit that reports it."""
    marker = task.section.strip().split(".")[2:]
    heading = f"{marker[0]}) {task.title}" if marker else task.title
    heading += (
        f" (mục {task.section}; thời gian: {task.timeframe})"
        if task.timeframe
        else (f" (mục {task.section})")
    )
    lines = [_task_sentence(c, s) for s in c.tasks if s.task == task.code]
    if not lines:
        lines = ["Không có đơn vị nào được giao báo cáo nhiệm vụ này."]
    return {"ten": heading, "bao_cao": lines}


def _task_sentence(c: Consolidation, s: TaskStatus) -> str:
    """ "Công an xã (chủ trì): Hoàn thành — <kết quả>"."""
    who = f"{c.plan.entry(s.unit).name} ({TASK_ROLE_LABELS[s.role].lower()})"
    if not s.reported:
        return f"{who}: chưa gửi báo cáo."
    if s.status is None:
        status = "tình trạng ghi sai, chưa được tính" if s.error else "chưa ghi tình trạng"
    else:
        status = s.status
    result = _clean(s.result or "")
    return f"{who}: {status} — {result}" if result else f"{who}: {status}."


def _figure(c: Consolidation, f: Field, by_kind: Mapping[Kind, Sequence[RosterEntry]]) -> list[str]:
    """A field's figure as a sentence: a total over those who gave it, or one entry's value.

    ``by_kind``: the roster's entries of each kind. The totals are the consolidation's
    (an entry whose form has no such field has a blank there); the figure of a field of
    2,000 entries went through the roster one cell at a time (0.1 s of the report).
    """
    entries = [e for of_kind in by_kind.values() for e in of_kind if f.applies_to(e)]
    if not entries:
        return []
    tables = [
        (frame[f.code], totals.get(f.code))
        for frame, totals in ((c.villages, c.village_totals), (c.units, c.unit_totals))
        if f.code in frame.columns
    ]
    if len(entries) == 1:
        value = next((_plain(t[entries[0].code]) for t, _ in tables if entries[0].code in t), None)
        shown = "chưa có số liệu" if value is None else _shown(value)
        return [f"{f.label} ({entries[0].name}): {shown}."]
    if f.type not in SUMMED_TYPES and f.type is not FieldType.YESNO:
        return []  # texts, dates and choices of many entries are in the workbook
    given = sum(int(column.notna().sum()) for column, _ in tables)
    total = sum((t for _, t in tables if t is not None), Fraction(0))
    word = _kinds_word(c, entries)
    if f.type is FieldType.YESNO:
        return [f"{f.label}: {int(total)}/{len(entries)} {word} trả lời “{YES}”."]
    if not given:
        return [f"{f.label}: chưa có số liệu."]
    return [f"{f.label}: {number_text(total)} (tổng số liệu của {given}/{len(entries)} {word})."]


def _plain(value: Any) -> Any:
    """A table's cell as a plain value: None for a blank, int or Fraction for a number."""
    if not isinstance(value, str | date) and pd.isna(value):
        return None
    if hasattr(value, "item"):  # a NumPy scalar from an Int64 column
        value = value.item()
    if isinstance(value, float):
        value = Fraction(value).limit_denominator(10**6)
    return value


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Fraction):
        return number_text(value)
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return _clean(str(value))


# --- indicators ----------------------------------------------------------------------


def _result_text(r: IndicatorResult) -> str:
    unit = r.indicator.unit_label.strip()
    if r.outcome is Outcome.NOT_ARISEN:
        return "Không phát sinh"
    if r.outcome is Outcome.NO_DATA or r.numerator is None:
        return "Chưa có số liệu"
    if r.value is None or r.denominator is None:
        return f"{number_text(r.numerator)} {unit}".strip()
    ratio = f"{number_text(r.numerator)}/{number_text(r.denominator)} {unit}".strip()
    return f"{percent_text(r.value)} ({ratio})"


def _target_text(r: IndicatorResult) -> str:
    """The target as the plan has it: "≥ 95%" for a ratio, "≥ 12 buổi" for a count."""
    return r.indicator.target_shown or "—"


def _indicator_row(number: int, r: IndicatorResult) -> dict[str, Any]:
    """A row of the indicator table; the JSON summary's indicator, in words."""
    return {
        "stt": number,
        "ma": r.code,
        "ten": r.indicator.text,
        "ket_qua": _result_text(r),
        "muc_can_dat": _target_text(r),
        "danh_gia": OUTCOME_LABELS[r.outcome],
        "ghi_chu": r.note,
    }


def _comparison_sentences(c: Consolidation) -> list[str]:
    """One sentence per indicator that moved since the previous period's report, and since
    the same period's of the year before: "Chỉ tiêu CT1.1 (…): tỷ lệ tăng từ 45,0% (6 tháng
    đầu năm 2024) lên 60,0%." Without either report, the sentence says so."""
    out: list[str] = []
    for side in c.history.sides():
        report = side.report
        if report is None:
            out.append(f"{upper_first(side.reason)} để so sánh.")
            continue
        phrase = period_phrase(report.period_name)
        moved = []
        no_data = []
        for r in c.indicators:
            then, now, change = r.against(r.earlier(side))
            if then is not None and now is None:
                no_data.append(r)  # no figure this period: nothing moved, nothing said
                continue
            if then is None or now is None or not change:
                continue
            moved.append(_moved_sentence(r, then, now, phrase, comparison_caveat(r, c.plan)))
        if no_data:
            out.append(_no_data_sentence(no_data, phrase))
        if moved or not no_data:
            out.extend(moved or [f"Các chỉ tiêu không thay đổi so với {phrase}."])
    return out


def _no_data_sentence(results: Sequence[IndicatorResult], phrase: str) -> str:
    """The indicators with no figure this period, each with its name: "Chỉ tiêu CT1.1
    (…): chưa có số liệu kỳ này nên chưa so sánh với 6 tháng đầu năm 2024."."""
    said = f"{NO_DATA_NOW} nên chưa so sánh với {phrase}"
    if len(results) == 1:
        (r,) = results
        return f"Chỉ tiêu {r.code} ({r.indicator.text}): {said}."
    codes = ", ".join(r.code for r in results)
    names = "; ".join(f"{r.code}: {r.indicator.text}" for r in results)
    return f"Các chỉ tiêu {codes}: {said} ({names})."


def _moved_sentence(
    r: IndicatorResult, then: Fraction, now: Fraction, phrase: str, caveat: str = ""
) -> str:
    ind = r.indicator
    up = now > then
    if ind.is_count:
        unit = f" {ind.unit_label.strip()}" if ind.unit_label.strip() else ""
        what, old, new = "", number_text(then), f"{number_text(now)}{unit}"
    else:
        what, old, new = "tỷ lệ ", percent_text(then), percent_text(now)
    verb, to = ("tăng", "lên") if up else ("giảm", "xuống")
    said = f" ({caveat})" if caveat else ""
    return f"Chỉ tiêu {ind.code} ({ind.text}): {what}{verb} từ {old} ({phrase}) {to} {new}{said}."


def _indicator_sentence(r: IndicatorResult) -> str:
    target = "" if not r.indicator.target_shown else f", mức cần đạt {_target_text(r)}"
    return (
        f"Chỉ tiêu {r.code} ({r.indicator.text}): {_result_text(r)}{target} — "
        f"{OUTCOME_LABELS[r.outcome]}."
    )


# --- III. assessment -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Opinions:
    difficulties: list[dict[str, str]]
    proposals: list[dict[str, str]]


def _is_proposal(f: Field) -> bool:
    """A proposals field ("de_xuat", "Đề xuất, kiến nghị"); the others are difficulties."""
    label = f.label.casefold()
    return f.code == "de_xuat" or "đề xuất" in label or "kiến nghị" in label


def _opinions(c: Consolidation) -> _Opinions:
    """What each village and unit wrote, grouped by village or unit, in roster order."""
    proposal_codes = {f.code for f in c.opinion_fields if _is_proposal(f)}
    difficulties: list[dict[str, str]] = []
    proposals: list[dict[str, str]] = []
    for opinion in c.opinions:
        name = c.plan.entry(opinion.unit).name
        cleaned = [(code in proposal_codes, _clean(text)) for code, text in opinion.texts]
        for target, wanted in ((difficulties, False), (proposals, True)):
            texts = [t.rstrip(" .;") for proposal, t in cleaned if proposal is wanted and t]
            if texts:
                target.append({"ten": name, "noi_dung": "; ".join(texts) + "."})
    return _Opinions(difficulties, proposals)


def _task_states(c: Consolidation) -> Mapping[str, list[TaskStatus]]:
    out: dict[str, list[TaskStatus]] = {t.code: [] for t in c.plan.tasks}
    for s in c.tasks:
        out.setdefault(s.task, []).append(s)
    return out


def _strengths(c: Consolidation) -> list[str]:
    lines = [
        f"Đạt chỉ tiêu {r.code} ({r.indicator.text}): {_result_text(r)}, mức cần đạt "
        f"{_target_text(r)}."
        for r in c.indicators
        if r.met is True
    ]
    states = _task_states(c)
    finished = [
        t for t in c.plan.tasks if states[t.code] and all(s.status == DONE for s in states[t.code])
    ]
    if finished:
        lines.append(
            "Các đơn vị báo cáo đã hoàn thành nhiệm vụ: "
            + "; ".join(f"{t.section} {t.title}" for t in finished)
            + "."
        )
    done = c.completeness
    if done.expected and done.on_time == done.expected:
        lines.append(
            f"Tất cả {done.expected} {_kinds_word(c, c.plan.roster)} gửi báo cáo đúng hạn."
        )
    return lines


def _weaknesses(c: Consolidation) -> list[str]:
    lines = []
    for r in c.indicators:
        if r.met is not False:
            continue
        target = "" if r.indicator.target is None else f", mức cần đạt {_target_text(r)}"
        missing = f"; chưa có số liệu của: {_names(c, r.missing)}" if r.missing else ""
        lines.append(
            f"Chưa đạt chỉ tiêu {r.code} ({r.indicator.text}): {_result_text(r)}{target}{missing}."
        )
    done = c.completeness
    if done.missing:
        lines.append(f"Chưa gửi báo cáo ({len(done.missing)}): {_names(c, done.missing)}.")
    if done.late:
        lines.append(f"Gửi báo cáo trễ hạn ({len(done.late)}): {_names(c, done.late)}.")
    not_started = STATUS_VALUES[2]  # "Chưa thực hiện"
    for task in c.plan.tasks:
        idle = [s.unit for s in _task_states(c)[task.code] if s.status == not_started]
        if idle:
            lines.append(
                f"Nhiệm vụ {task.section} ({task.title}) chưa được thực hiện: {_names(c, idle)}."
            )
    return lines


def _causes(c: Consolidation, opinions: _Opinions) -> list[str]:
    lines = []
    done = c.completeness
    who = _kinds_word(c, c.plan.roster)
    if done.missing or done.late:
        lines.append(
            f"Một số {who} chưa gửi báo cáo hoặc gửi trễ hạn, nên số liệu tổng hợp chưa đầy "
            f"đủ; {who} chưa báo cáo được tính là chưa đạt các chỉ tiêu."
        )
    with_errors = [e.entry.code for e in done.entries if e.errors and e.file]
    if with_errors:
        lines.append(
            f"Một số số liệu ghi sai, không được tính vào tổng hợp: {_names(c, with_errors)}."
        )
    if opinions.difficulties:
        lines.append(f"Những khó khăn, vướng mắc các {who} nêu tại mục 2.")
    return lines


# --- IV. tasks for the next period ---------------------------------------------------

_QUARTER = re.compile(r"quý\s*(iv|i{1,3}|[1-4])(?:\s*(?:/|năm)\s*(\d{4}))?")
_MONTH = re.compile(r"tháng\s*(\d{1,2})(?:\s*(?:/|năm)\s*(\d{4}))?")
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_YEAR = re.compile(r"năm\s*(\d{4})")
_ALL_YEAR = ("thường xuyên", "trong năm", "cả năm", "hằng năm", "hàng năm", "hàng tháng")
_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def timeframe_end(timeframe: str, year: int) -> date | None:
    """The last day a task's timeframe runs to ("Quý I/2024" -> 31/03/2024); None if unknown.

    "Thường xuyên trong năm" runs to the plan year's end; of several dates the
    latest counts ("Quý I - Quý II/2024" -> 30/06/2024).
    """
    text = unicodedata.normalize("NFC", timeframe).casefold()
    ends: list[date] = []
    for match in _QUARTER.finditer(text):
        quarter = _QUARTERS[match.group(1)]
        ends.append(_month_end(int(match.group(2) or year), quarter * 3))
    for match in _MONTH.finditer(text):
        month = int(match.group(1))
        if 1 <= month <= 12:
            ends.append(_month_end(int(match.group(2) or year), month))
    for match in _DATE.finditer(text):
        try:
            ends.append(date(int(match.group(3)), int(match.group(2)), int(match.group(1))))
        except ValueError:
            continue
    if not ends:
        if any(word in text for word in _ALL_YEAR):
            ends.append(date(year, 12, 31))
        ends.extend(date(int(m.group(1)), 12, 31) for m in _YEAR.finditer(text))
    return max(ends) if ends else None


def _next_tasks(c: Consolidation) -> list[str]:
    """The plan's tasks still running: not done by every unit, or planned beyond the period."""
    lines = []
    states = _task_states(c)
    for task in c.plan.tasks:
        rows = states[task.code]
        unfinished = [s for s in rows if s.status != DONE]
        end = timeframe_end(task.timeframe, c.plan.settings.year)
        if not unfinished and not (end is not None and end > c.period.end):
            continue
        leads = [c.plan.entry(s.unit).name for s in rows if s.role is TaskRole.LEAD]
        lead = f"chủ trì: {', '.join(leads)}" if leads else "chủ trì: Ủy ban nhân dân xã"
        when = f"thời gian: {task.timeframe}; " if task.timeframe else ""
        line = f"Tiếp tục thực hiện nhiệm vụ {task.section} {task.title} ({when}{lead})"
        if unfinished:
            line += "; chưa hoàn thành: " + ", ".join(
                f"{c.plan.entry(s.unit).name} ({_state_word(s)})" for s in unfinished
            )
        lines.append(line + ".")
    return lines


def _state_word(s: TaskStatus) -> str:
    if not s.reported:
        return "chưa báo cáo"
    return (s.status or "chưa ghi tình trạng").lower()
