"""The words a Decree 30 report is made of, shared by the report workbook and the Word
report: the place and date line, the trích yếu, the plan cited."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from workbook_tools.numbers import upper_first as upper_first  # the report's words use it
from workbook_tools.plan.model import Plan

if TYPE_CHECKING:
    from workbook_tools.consolidation import IndicatorResult

#: What a comparison says of an indicator this period has no figure for.
NO_DATA_NOW = "chưa có số liệu kỳ này"


def vietnamese_date(day: date) -> str:
    """A date as a Decree 30 document writes it: "ngày 05 tháng 6 năm 2024".

    Decree 30/2020/NĐ-CP: a zero before a day below 10 and before months 1 and 2.
    """
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def vietnamese_date_line(place: str, day: date) -> str:
    """The place and date line, e.g. "Tiến Nông, ngày 05 tháng 6 năm 2024"."""
    return f"{place}, {vietnamese_date(day)}"


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def without_prefix(text: str, prefix: str) -> str:
    """``text`` without a leading ``prefix`` ("Báo cáo "), in any case."""
    text = text.strip()
    return text[len(prefix) :].strip() if text.casefold().startswith(prefix.casefold()) else text


def title_lines(plan: Plan, period_name: str) -> tuple[str, str]:
    """The trích yếu and the plan it carries out, as the report workbook prints them
    under "BÁO CÁO": ("Kết quả thực hiện … 6 tháng đầu năm 2024", "Thực hiện Kế hoạch
    số … ngày … của Ủy ban nhân dân xã … về …")."""
    settings = plan.settings
    summary = summary_line(settings.report_title, settings.plan_title, period_phrase(period_name))
    cited = plan_citation(plan, f"Ủy ban nhân dân xã {settings.commune}")
    return summary, f"Thực hiện {cited}"


def period_phrase(period_name: str) -> str:
    """ "Báo cáo 6 tháng đầu năm 2024" -> "6 tháng đầu năm 2024"."""
    return without_prefix(period_name, "Báo cáo ")


def summary_line(report_title: str, plan_title: str, period: str) -> str:
    """The trích yếu: "Kết quả thực hiện công tác … 6 tháng đầu năm 2024"."""
    if report_title.strip():
        subject = without_prefix(report_title, "Báo cáo ")
    else:
        subject = "kết quả thực hiện " + lower_first(plan_title.strip())
    return f"{upper_first(subject)} {period}".strip()


def plan_citation(plan: Plan, commune_body: str) -> str:
    """ "Kế hoạch số …/KH-UBND ngày … của Ủy ban nhân dân xã … về …"."""
    settings = plan.settings
    parts = ["Kế hoạch"]
    if settings.plan_number.strip():
        parts.append(f"số {settings.plan_number.strip()}")
    if settings.plan_date is not None:
        parts.append(vietnamese_date(settings.plan_date))
    parts.append(f"của {commune_body}")
    title = settings.plan_title.strip()
    if title.casefold().startswith("kế hoạch "):
        parts.append(f"về {title[len('kế hoạch ') :].strip()}")
    elif title:
        parts.append(f"“{title}”")
    return " ".join(parts)


def comparison_caveat(result: IndicatorResult, plan: Plan) -> str:
    """What qualifies the change of an indicator since an earlier report ('' if nothing):
    no figure this period (the change is not given); or a figure from part of those it
    reads, "số liệu chưa đủ: 5/12 thôn, đơn vị đã nộp" (a sum over the year with the
    others still to come is not a fall)."""
    if not result.has_data:
        return NO_DATA_NOW
    if result.concerned and len(result.reported) < len(result.concerned):
        return (
            f"số liệu chưa đủ: {len(result.reported)}/{len(result.concerned)} "
            f"{plan.settings.roster_words} đã nộp"
        )
    return ""
