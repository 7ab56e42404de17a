"""The consolidated report workbook, written with XlsxWriter into memory.

Sheets, each written by a function of its own: Tổng hợp (title block,
completeness, indicators, chart, signature), So sánh các kỳ (each indicator
against the previous period's report and the same period's of the year before,
with a chart), Theo thôn, Theo đơn vị, Tình hình nộp, Lỗi dữ liệu, Ý kiến.
They share the workbook's formats (:class:`Formats`, each made once) and a few
helpers: a cell written by the type of its value, header rows, titles, page setup.

Text typed by users (names, answers, file names, messages quoting values) is
written with ``write_string`` only, and the workbook is opened with every
string conversion off, so it can never become a formula or a link. The only
formulas are the totals this module builds from cell references; each carries
its computed value, so every reader shows numbers and the officer can audit them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import Any, NamedTuple

import pandas as pd
import xlsxwriter
from xlsxwriter.chart import Chart
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from workbook_tools import textfit
from workbook_tools.consolidation import (
    OUTCOME_LABELS,
    REPORTING_LABELS,
    TASK_ROLE_LABELS,
    Consolidation,
    IndicatorResult,
    Outcome,
    ReportingStatus,
    TaskRole,
    TaskStatus,
)
from workbook_tools.deadline import commune_deadline_text
from workbook_tools.inbox.arrival import NEEDS_CONFIRMATION, arrival_note, arrival_value
from workbook_tools.inbox.model import Submission, SubmissionStatus
from workbook_tools.plan.model import (
    COMMUNE_LEAD,
    COMPARATOR_SIGNS,
    NO,
    STATUS_VALUES,
    YES,
    Field,
    FieldType,
    Kind,
    RosterEntry,
    Settings,
    Task,
)
from workbook_tools.problems import SEVERITY_LABELS, Severity
from workbook_tools.report.entries import Entries, ResolvedEntries, resolve
from workbook_tools.report.locking import AFTER_LOCK_LABEL, lock_lines, review_text
from workbook_tools.report.summary import run_day
from workbook_tools.report.wording import (
    comparison_caveat,
    title_lines,
    upper_first,
    vietnamese_date_line,
)
from workbook_tools.values import SUMMED_TYPES

SUMMARY_SHEET = "Tổng hợp"
COMPARISON_SHEET = "So sánh các kỳ"
VILLAGES_SHEET = "Theo thôn"  # in a plan whose villages are thôn (see villages_sheet_name)
UNITS_SHEET = "Theo đơn vị"
SUBMISSIONS_SHEET = "Tình hình nộp"
PROBLEMS_SHEET = "Lỗi dữ liệu"
OPINIONS_SHEET = "Ý kiến"
SHEET_NAMES = (
    SUMMARY_SHEET,
    COMPARISON_SHEET,
    VILLAGES_SHEET,
    UNITS_SHEET,
    SUBMISSIONS_SHEET,
    PROBLEMS_SHEET,
    OPINIONS_SHEET,
)

INDICATOR_HEADERS = (
    "STT",
    "Mục kế hoạch",
    "Mã",
    "Chỉ tiêu",
    "Tử số",
    "Mẫu số",
    "Tỉ lệ đạt được",
    "Mức cần đạt",
    "Đánh giá",
    "Ghi chú",
)
ENTRY_HEADERS = ("STT", "Mã", "Tên", "Tình hình nộp")
SUBMISSION_HEADERS = (
    "STT",
    "Mã",
    "{who}",  # the roster's words: "Thôn / đơn vị", "Tổ dân phố / đơn vị"
    "Loại",
    "Tình trạng",
    "Tệp được dùng",
    "Nhận lần đầu",
    "Nhận tệp được dùng",
    "Tệp cũ hoặc trùng (không dùng)",
    "Số lỗi",
    "Số cảnh báo",
    "Nguồn thời điểm nhận",
    "Xem xét",  # the officer's review of the file used (wbt review)
)
#: The files table shares its columns with the roster table above it:
#: (header, first column, last column).
FILE_COLUMNS = (
    ("STT", 0, 0),
    ("Mã", 1, 1),
    ("Trạng thái", 2, 2),
    ("Kỳ", 3, 4),
    ("Tệp", 5, 5),
    ("Thời điểm nhận", 6, 6),
    ("Được thay bằng tệp", 7, 8),
)
PROBLEM_HEADERS = (
    "STT",
    "Mức độ",
    "Mã",
    "Tệp",
    "Trang tính",
    "Ô",
    "Trường",
    "Giá trị",
    "Nội dung",
    "Mã lỗi",
)
TOTAL_LABEL = "Tổng cộng"
ERROR_MARK = "Lỗi"  # shown where a value had an error; SUM ignores text
NOT_REPORTED = "Chưa báo cáo"

UNUSED_FILES_HEADING = "CÁC TỆP KHÁC TRONG HỘP THƯ (không được dùng)"
SUBMISSION_STATUS_LABELS = {
    SubmissionStatus.USED: "Được dùng",
    SubmissionStatus.SUPERSEDED: "Bị thay bằng tệp mới hơn",
    SubmissionStatus.DUPLICATE: "Trùng với tệp khác",
    SubmissionStatus.OTHER_PERIOD: "Thuộc kỳ báo cáo khác",
    SubmissionStatus.REJECTED: "Không dùng được",
    SubmissionStatus.AFTER_LOCK: AFTER_LOCK_LABEL,
}

_OPTIONS = {
    "in_memory": True,
    # User text must stay text: no formulas, links or numbers made from strings.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "remove_timezone": True,  # a clock-aware "now" must not stop the report
}
_DEFAULT_FONT = {"font_name": "Times New Roman", "font_size": 11}

_BORDER = {"border": 1, "border_color": "#808080"}
_STYLES: dict[str, dict[str, Any]] = {
    "cell": {**_BORDER, "valign": "top", "text_wrap": True},
    "center": {"align": "center"},
    "right": {"align": "right"},
    "header": {
        **_BORDER,
        "bold": True,
        "bg_color": "#DDEBF7",
        "align": "center",
        "valign": "vcenter",
        "text_wrap": True,
    },
    "code": {"italic": True, "font_size": 9, "font_color": "#595959"},
    "int": {"num_format": "#,##0"},
    "number": {"num_format": "#,##0.##"},
    "pct": {"num_format": "0.0%"},
    "date": {"num_format": "dd/mm/yyyy", "align": "center"},
    "datetime": {"num_format": "dd/mm/yyyy hh:mm", "align": "center"},
    "total": {"bold": True, "bg_color": "#F2F2F2", "top": 6},
    "group": {**_BORDER, "bold": True, "bg_color": "#EDEDED", "valign": "top", "text_wrap": True},
    "met": {"bold": True, "bg_color": "#C6EFCE", "font_color": "#006100", "align": "center"},
    "not_met": {"bold": True, "bg_color": "#FFC7CE", "font_color": "#9C0006", "align": "center"},
    "not_arisen": {"bold": True, "bg_color": "#D9D9D9", "font_color": "#404040", "align": "center"},
    "late": {"bg_color": "#FFEB9C", "font_color": "#9C5700", "align": "center"},
    "error": {"italic": True, "bg_color": "#FCE4D6", "font_color": "#C00000", "align": "center"},
    "absent": {"bg_color": "#F2F2F2"},
    "na": {"bg_color": "#D9D9D9"},
    "title": {"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"},
    # Decree 30: the motto, the place and date and the trích yếu at 13-14 pt.
    "subtitle": {
        "bold": True,
        "font_size": 13,
        "align": "center",
        "valign": "top",
        "text_wrap": True,
    },
    "cited": {
        "italic": True,
        "font_size": 13,
        "align": "center",
        "valign": "top",
        "text_wrap": True,
    },
    "motto": {"bold": True, "underline": True, "align": "center", "font_size": 13},
    "underline": {"underline": True},
    "heading": {"bold": True, "font_size": 12},
    "plain_center": {"align": "center", "font_size": 12},
    "bold_center": {"bold": True, "align": "center", "font_size": 12},
    "italic_center": {"italic": True, "align": "center", "font_size": 13},
    "note": {
        "italic": True,
        "font_size": 10,
        "font_color": "#404040",
        "text_wrap": True,
        "valign": "top",
    },
    "text": {"text_wrap": True, "valign": "top"},
    "bold": {"bold": True},
    "italic": {"italic": True},
}
_OUTCOME_STYLES = {
    Outcome.MET: "met",
    Outcome.NOT_MET: "not_met",
    Outcome.NO_DATA: "not_met",
    Outcome.NOT_ARISEN: "not_arisen",
    Outcome.NO_TARGET: "center",
    Outcome.NOT_EVALUABLE: "not_arisen",
}
_REPORTING_STYLES = {
    ReportingStatus.ON_TIME: "met",
    ReportingStatus.LATE: "late",
    ReportingStatus.MISSING: "not_met",
}
_TASK_STYLES = dict(zip(STATUS_VALUES, ("met", "late", "not_met"), strict=True))
#: Total column width (characters) that still reads well fitted to A4 landscape.
_PAGE_WIDTH = 240
_FONT_SIZE = 11  # the report's default font: Times New Roman 11
_DEFAULT_ROW_HEIGHT = 15.0  # a row xlsxwriter leaves at the default, in points
#: A4 landscape less the margins (page_setup), in points.
_LANDSCAPE_WIDTH = 841.89 - (0.6 + 0.4) * 72
_SUMMARY_ROOM = 595.28 - (0.6 + 0.6) * 72
_PAGE_SAFETY = 0.05  # of a page kept free for Excel's and LibreOffice's rounding
_WIDE_SCALE = 75  # percent: a sheet wider than a page prints across pages at this scale
_CHART_ROWS = 18  # rows under the chart's heading that the chart covers


# --- the workbook ---------------------------------------------------------------------


class _Rows:
    """A sheet's row heights as written (the default where none is), and the rows
    that keep with the ones below them on a printed page."""

    def __init__(self, ws: Worksheet) -> None:
        self._ws = ws
        self._heights: dict[int, float] = {}
        self.keep: dict[int, int] = {}

    def set(self, row: int, height: float) -> None:
        self._ws.set_row(row, height)
        self._heights[row] = height

    def height(self, row: int) -> float:
        return self._heights.get(row, _DEFAULT_ROW_HEIGHT)


def _fitted_scale(widths: Sequence[float], page_width: float) -> float:
    """The scale a sheet of columns ``widths`` prints at, fitted to ``page_width`` points."""
    # Excel's narrower character (textfit.column_points) gives the larger scale: the
    # fewer rows to a page, so a page break computed from it is never too late.
    total = sum(textfit.column_points(w, _FONT_SIZE) for w in widths)
    return min(1.0, page_width / total)


def _roster_header(settings: Settings) -> str:
    """A column of roster entries headed in the roster's words: "Thôn / đơn vị"."""
    return upper_first(settings.roster_words.replace(", ", " / "))


def villages_sheet_name(settings: Settings) -> str:
    """The villages' sheet, named with the roster's word: "Theo thôn", "Theo tổ dân phố"."""
    return f"Theo {settings.kind_word(Kind.VILLAGE)}"[:31]  # Excel's longest sheet name


def build_workbook(consolidation: Consolidation, entries: ResolvedEntries | None = None) -> bytes:
    """The report workbook's bytes; ``entries``: the officer's number, date, signer… (by
    default the plan's signer and a blank number, as :func:`~.entries.resolve` gives)."""
    buffer = io.BytesIO()
    # A fresh font dict each time: xlsxwriter adds to the one it is given,
    # which would make every report after the first differ from it.
    options = {**_OPTIONS, "default_format_properties": dict(_DEFAULT_FONT)}
    workbook = xlsxwriter.Workbook(buffer, options)
    try:
        c = consolidation
        settings = c.plan.settings
        workbook.set_properties(
            {
                "title": f"{settings.report_title} – {c.period.name}",
                "subject": settings.plan_title,
                "author": f"UBND xã {settings.commune}",
                "company": f"UBND xã {settings.commune}",
                "created": c.generated_at,
            }
        )
        formats = Formats(workbook)
        if entries is None:
            entries = resolve(Entries(), settings)
        summary_sheet(workbook, c, formats, entries)
        comparison_sheet(workbook, c, formats)
        villages_sheet(workbook, c, formats)
        units_sheet(workbook, c, formats)
        submissions_sheet(workbook, c, formats)
        problems_sheet(workbook, c, formats)
        opinions_sheet(workbook, c, formats)
    finally:
        workbook.close()
    return buffer.getvalue()


# --- formats ------------------------------------------------------------------------


#: How an amount of money shows: thousands grouped, then the đồng sign.
MONEY_FORMAT = '#,##0 "đ"'


class Typed(NamedTuple):
    """The formats a cell of some styles takes, by the type of the value written."""

    text: Format  # text, Có/Không and blank cells
    int: Format
    number: Format  # a fraction that is not whole
    date: Format
    datetime: Format


class Formats:
    """The workbook's formats, made once each from :data:`_STYLES` and named by styles.

    ``formats("cell", "center")`` merges the properties of those styles (later
    ones win); the same properties always give the same format object.
    """

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self._workbook = workbook
        self._by_properties: dict[tuple[tuple[str, Any], ...], Format] = {}
        self._by_styles: dict[tuple[str, ...], Format] = {}
        self._typed: dict[tuple[str, ...], Typed] = {}

    def __call__(self, *styles: str, **extra: Any) -> Format:
        if not extra:
            found = self._by_styles.get(styles)
            if found is None:
                found = self._by_styles[styles] = self._make(styles, {})
            return found
        return self._make(styles, extra)

    def _make(self, styles: tuple[str, ...], extra: dict[str, Any]) -> Format:
        properties: dict[str, Any] = {}
        for style in styles:
            properties.update(_STYLES[style])
        properties.update(extra)
        key = tuple(sorted(properties.items()))
        found = self._by_properties.get(key)
        if found is None:
            found = self._by_properties[key] = self._workbook.add_format(properties)
        return found

    def typed(self, *styles: str) -> Typed:
        """The formats of cells with ``styles``, by the type of their value."""
        found = self._typed.get(styles)
        if found is None:
            found = self._typed[styles] = Typed(
                self(*styles),
                self(*styles, "int"),
                self(*styles, "number"),
                self(*styles, "date"),
                self(*styles, "datetime"),
            )
        return found


# --- shared helpers ---------------------------------------------------------------


def write_value(ws: Worksheet, row: int, col: int, value: Any, typed: Typed) -> None:
    """Write a cleaned value by its type: number, date or text, never a formula.

    A missing value (None, NaN, pandas' NA) is a blank cell with the text's format.
    """
    kind = type(value)
    if kind is str:
        ws.write_string(row, col, value, typed.text)
    elif kind is int:
        ws.write_number(row, col, value, typed.int)
    elif kind is datetime:
        ws.write_datetime(row, col, value, typed.datetime)
    elif kind is date:
        ws.write_datetime(row, col, value, typed.date)
    elif value is None or (kind is not bool and pd.isna(value)):
        ws.write_blank(row, col, None, typed.text)
    elif isinstance(value, bool):
        ws.write_string(row, col, YES if value else NO, typed.text)
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value, typed.datetime)
    elif isinstance(value, date):
        ws.write_datetime(row, col, value, typed.date)
    elif isinstance(value, Fraction):
        whole = value.denominator == 1
        ws.write_number(row, col, float(value), typed.int if whole else typed.number)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, typed.int)
    elif hasattr(value, "item"):  # a NumPy scalar from a DataFrame
        write_value(ws, row, col, value.item(), typed)
    else:
        ws.write_string(row, col, str(value), typed.text)


def write_merged(
    ws: Worksheet, row: int, first: int, last: int, value: str, cell_format: Format
) -> None:
    """A text across columns ``first``..``last``; merge_range itself writes no user text."""
    if last > first:
        ws.merge_range(row, first, row, last, "", cell_format)
    ws.write_string(row, first, value, cell_format)


def write_headers(
    ws: Worksheet, row: int, headers: Sequence[str], formats: Formats, first_col: int = 0
) -> None:
    header = formats("header")
    for i, text in enumerate(headers):
        ws.write_string(row, first_col + i, text, header)


def set_widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)


def sheet_title(
    ws: Worksheet, last_col: int, title: str, note: str, formats: Formats, width: float = 100
) -> None:
    """Title and note across columns 0..``last_col`` (the first printed page's width),
    ``width`` characters wide together: the note's row is as tall as its wrapped text."""
    write_merged(ws, 0, 0, max(last_col, 1), title, formats("title"))
    ws.set_row(0, 24)
    write_merged(ws, 1, 0, max(last_col, 1), note, formats("note"))
    ws.set_row(1, _height([(note, width)], size=10, italic=True))


def page_setup(
    ws: Worksheet, repeat: tuple[int, int] | None, width: float = 0, fixed_cols: int = 0
) -> None:
    """A4 landscape. A sheet wider than a page at a readable size prints across
    pages, its first columns repeated; a narrower one is fitted to the page width."""
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.set_margins(left=0.6, right=0.4, top=0.6, bottom=0.6)
    if width > _PAGE_WIDTH and fixed_cols:
        ws.set_print_scale(_WIDE_SCALE)
        ws.repeat_columns(0, fixed_cols - 1)
    else:
        ws.fit_to_pages(1, 0)
    ws.set_footer("&CTrang &P/&N")
    if repeat is not None:
        ws.repeat_rows(*repeat)


def write_sum(
    ws: Worksheet,
    row: int,
    col: int,
    first: int,
    last: int,
    cached: int | Fraction,
    cell_format: Format,
) -> None:
    """A SUM of the column above, written with its value so every reader shows it."""
    shown = cached if isinstance(cached, int) else float(cached)
    if last < first:
        ws.write_number(row, col, shown, cell_format)
        return
    top = xl_rowcol_to_cell(first, col)
    bottom = xl_rowcol_to_cell(last, col)
    ws.write_formula(row, col, f"=SUM({top}:{bottom})", cell_format, shown)


def write_entry(ws: Worksheet, row: int, number: int, entry: RosterEntry, formats: Formats) -> None:
    """Number, code and name of a roster entry (columns A-C)."""
    center = formats.typed("cell", "center")
    ws.write_number(row, 0, number, center.int)
    ws.write_string(row, 1, entry.code, center.text)
    ws.write_string(row, 2, entry.name, formats("cell"))


def write_status(
    ws: Worksheet, row: int, col: int, status: ReportingStatus, formats: Formats
) -> None:
    """A roster entry's reporting status: on time, late or missing, coloured."""
    ws.write_string(row, col, REPORTING_LABELS[status], formats("cell", _REPORTING_STYLES[status]))


def _height(
    texts: Sequence[tuple[str, float]],
    minimum: int = 1,
    size: float = _FONT_SIZE,
    bold: bool = False,
    italic: bool = False,
) -> float:
    """A row's height in points for each (text, width in characters) wrapped as printed
    (:mod:`workbook_tools.textfit`), at least ``minimum`` lines."""
    lines = minimum
    for text, width in texts:
        if text:
            points = textfit.column_points(width, _FONT_SIZE)
            lines = max(lines, textfit.line_count(text, points, size, bold, italic))
    return textfit.rows_height(lines, size)


def _first_page_span(widths: Sequence[float]) -> int:
    """The last column that still fits on the first printed page of a sheet printed
    across pages at :data:`_WIDE_SCALE` (the whole sheet when it is narrower)."""
    room = _LANDSCAPE_WIDTH / (_WIDE_SCALE / 100)
    total = 0.0
    for col, width in enumerate(widths):
        total += textfit.column_points(width, _FONT_SIZE)
        if total > room:
            return max(col - 1, 0)
    return len(widths) - 1


def _field_width(f: Field) -> float:
    return {
        FieldType.INT: 12,
        FieldType.YESNO: 10,
        FieldType.STATUS: 14,
        FieldType.DATE: 12,
        FieldType.DECIMAL: 12,
        FieldType.MONEY: 16,
        FieldType.CHOICE: 14,
    }.get(f.type, 24)


def _cell_styles(f: Field) -> tuple[str, ...]:
    if f.type in (
        FieldType.YESNO,
        FieldType.STATUS,
        FieldType.DATE,
        FieldType.INT,
        FieldType.CHOICE,
    ):
        return ("cell", "center")
    return ("cell",)


def _field_formats(formats: Formats, f: Field) -> Typed:
    """The formats of a field's cells: a decimal field shows its places, money its đồng."""
    typed = formats.typed(*_cell_styles(f))
    if f.type is FieldType.MONEY:
        money = formats(*_cell_styles(f), num_format=MONEY_FORMAT)
        return typed._replace(int=money, number=money)
    if f.type is FieldType.DECIMAL:
        number = formats(*_cell_styles(f), num_format=_places_format(f))
        return typed._replace(int=number, number=number)
    return typed


def _places_format(f: Field) -> str:
    """A decimal field's number format: its places after the comma."""
    return "#,##0" + ("." + "0" * f.places if f.places else "")


def _total_format(formats: Formats, f: Field) -> Format:
    """The total of a number field's column: a decimal with its places, money in đồng."""
    if f.type is FieldType.MONEY:
        return formats("cell", "total", num_format=MONEY_FORMAT)
    if f.type is FieldType.DECIMAL:
        return formats("cell", "total", num_format=_places_format(f))
    return formats("cell", "total", "int")


# --- Tổng hợp -----------------------------------------------------------------------


def summary_sheet(
    workbook: xlsxwriter.Workbook, c: Consolidation, formats: Formats, entries: ResolvedEntries
) -> None:
    """Title block, completeness, indicators with their chart, signature."""
    ws = workbook.add_worksheet(SUMMARY_SHEET)
    settings = c.plan.settings
    period = c.period
    widths = (5, 9, 8, 46, 10, 10, 11, 11, 15, 44)
    set_widths(ws, widths)
    last = len(widths) - 1
    ws.hide_gridlines(2)
    rows = _Rows(ws)

    # Title block (Decree 30/2020/NĐ-CP, appendix I): the issuing body in full,
    # underlined, left; the national name and motto (underlined) right; the number,
    # the place and date; "BÁO CÁO" and its trích yếu once; the plan it carries out.

    left, right = (0, 3), (4, last)
    bold_center = formats("bold_center")
    write_merged(ws, 0, *left, "ỦY BAN NHÂN DÂN", bold_center)
    write_merged(ws, 0, *right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold_center)
    body = f"XÃ {settings.commune.upper()}"
    write_merged(ws, 1, *left, body, formats("bold_center", "underline"))
    write_merged(ws, 1, *right, "Độc lập - Tự do - Hạnh phúc", formats("motto"))
    rows.set(1, 20)
    write_merged(ws, 2, *left, entries.number_line, formats("plain_center"))
    signed_on = entries.signed_on or c.generated_at.date()
    date_line = vietnamese_date_line(settings.commune, signed_on)
    write_merged(ws, 2, *right, date_line, formats("italic_center"))
    rows.set(2, 20)
    summary, cited = title_lines(c.plan, period.name)
    write_merged(ws, 4, 0, last, "BÁO CÁO", formats("title"))
    write_merged(ws, 5, 0, last, summary, formats("subtitle"))
    rows.set(5, _height([(summary, 120)], size=13))
    write_merged(ws, 6, 0, last, cited, formats("cited"))
    rows.set(6, _height([(cited, 150)], size=13))

    row = _completeness_block(ws, rows, 8, last, c, formats)
    heading = row + 1
    row = _indicator_block(workbook, ws, rows, heading, last, c, formats)
    signature = row + 1
    end = _signature_block(ws, signature, last, c, formats, entries)
    page_setup(ws, None)
    # Pages break before a heading that would end a page (with the table's heading
    # row and first indicator, or with the chart) and before a signature block that
    # would split; no row is repeated on each page, so none lands above the signature.
    room = _SUMMARY_ROOM / _fitted_scale(widths, _LANDSCAPE_WIDTH) * (1 - _PAGE_SAFETY)
    keep = {heading: heading + 3, signature: end}
    keep.update(rows.keep)
    breaks = textfit.page_starts(rows.height, 0, end + 1, room, keep=keep)
    if breaks:
        ws.set_h_pagebreaks(list(breaks))


def _completeness_block(
    ws: Worksheet, rows: _Rows, row: int, last: int, c: Consolidation, formats: Formats
) -> int:
    done = c.completeness
    ws.write_string(row, 0, "I. TÌNH HÌNH NỘP BÁO CÁO", formats("heading"))
    row += 1
    intro = (
        f"Hạn nộp báo cáo của các {c.plan.settings.roster_words}: {done.deadline:%d/%m/%Y}. "
        f"Số liệu tổng hợp lúc {c.generated_at:%H:%M ngày %d/%m/%Y}, từ "
        f"{done.received}/{done.expected} báo cáo đã nhận. "
        f"{commune_deadline_text(c.period, run_day(c))}."
    )
    write_merged(ws, row, 0, last, intro, formats("text"))
    rows.set(row, _height([(intro, 160)]))
    row += 1
    ws.write_string(row, 0, "STT", formats("header"))
    words = c.plan.settings.roster_words
    write_merged(ws, row, 1, 3, upper_first(words), formats("header"))
    counts = ("Phải nộp", "Đã nộp", "Đúng hạn", "Trễ hạn", "Chưa nộp", "Tỉ lệ đã nộp")
    write_headers(ws, row, counts, formats, first_col=4)
    row += 1
    first = row
    center = formats.typed("cell", "center")
    for i, k in enumerate(done.by_kind(), start=1):
        ws.write_number(row, 0, i, center.int)
        write_merged(ws, row, 1, 3, c.plan.settings.kind_label(k.kind), formats("cell"))
        for col, count in enumerate((k.expected, k.received, k.on_time, k.late, k.missing), 4):
            write_value(ws, row, col, count, center)
        _received_ratio(ws, row, Fraction(k.received, k.expected or 1), formats)
        row += 1
    # Totals as formulas over the rows above, each with its value.
    write_merged(ws, row, 0, 3, TOTAL_LABEL, formats("cell", "total"))
    totals = (done.expected, done.received, done.on_time, len(done.late), len(done.missing))
    total_format = formats("cell", "total", "center", "int")
    for col, count in enumerate(totals, 4):
        write_sum(ws, row, col, first, row - 1, count, total_format)
    _received_ratio(ws, row, Fraction(done.received, done.expected or 1), formats, "total")
    row += 1
    lines = [
        f"{label} ({len(codes)}): {', '.join(c.plan.entry(code).name for code in codes)}."
        for label, codes in (("Chưa nộp", done.missing), ("Trễ hạn", done.late))
        if codes
    ]
    # Chốt số liệu: its state, its history, the files after it.
    for line in [*lines, *lock_lines(c.plan, c.lock, c.after_lock)]:
        write_merged(ws, row, 0, last, line, formats("text"))
        rows.set(row, _height([(line, 160)]))
        row += 1
    return row


def _received_ratio(
    ws: Worksheet, row: int, cached: Fraction, formats: Formats, *styles: str
) -> None:
    """Column J of the completeness table: received (F) over expected (E)."""
    num = xl_rowcol_to_cell(row, 5)
    den = xl_rowcol_to_cell(row, 4)
    ratio_format = formats("cell", "pct", "center", *styles)
    ws.write_formula(row, 9, f"=IF({den}=0,0,{num}/{den})", ratio_format, float(cached))


def _indicator_block(
    workbook: xlsxwriter.Workbook,
    ws: Worksheet,
    rows: _Rows,
    row: int,
    last: int,
    c: Consolidation,
    formats: Formats,
) -> int:
    heading = "II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA KẾ HOẠCH"
    ws.write_string(row, 0, heading, formats("heading"))
    row += 1
    explain = (
        "Tỉ lệ được so với mức cần đạt bằng giá trị chính xác, không theo số đã làm tròn. "
        f"Số liệu thiếu không bao giờ làm chỉ tiêu đạt: {c.plan.settings.roster_words} chưa báo "
        "cáo, để trống "
        "hay có số liệu lỗi được tính về phía bất lợi cho chỉ tiêu. Ô để trống không phải số 0: "
        '"Không phát sinh" chỉ khi mẫu số bằng 0 do mọi nơi liên quan đều ghi số 0; còn thiếu '
        'số liệu là "chưa có số liệu" (không đạt).'
    )
    write_merged(ws, row, 0, last, explain, formats("note"))
    rows.set(row, _height([(explain, 160)]))
    row += 1
    write_headers(ws, row, INDICATOR_HEADERS, formats)
    rows.set(row, 32)
    row += 1
    first = row
    cell, center = formats("cell"), formats.typed("cell", "center")
    for i, result in enumerate(c.indicators, start=1):
        ind = result.indicator
        ws.write_number(row, 0, i, center.int)
        ws.write_string(row, 1, ind.section, center.text)
        ws.write_string(row, 2, ind.code, center.text)
        ws.write_string(row, 3, ind.text, cell)
        write_value(ws, row, 4, result.numerator, center)
        if ind.denominator is None:
            ws.write_string(row, 5, "—", center.text)
        else:
            write_value(ws, row, 5, result.denominator, center)
        # A count judged on itself ("≥ 12 buổi") shows numbers, a ratio percentages.
        shape = "#,##0.##" if ind.is_count else "0.0%"
        if result.value is None:
            ws.write_blank(row, 6, None, center.text)
        else:
            value_format = formats("cell", "center", num_format=shape)
            ws.write_number(row, 6, float(result.value), value_format)
        if ind.relative is not None:  # against an earlier report: said in words
            ws.write_string(row, 7, ind.target_shown, center.text)
        elif ind.target is None:
            ws.write_blank(row, 7, None, center.text)
        else:
            sign = COMPARATOR_SIGNS[ind.comparator]
            target_format = formats("cell", "center", num_format=f'"{sign} "{shape}')
            ws.write_number(row, 7, float(ind.target), target_format)
        outcome = OUTCOME_LABELS[result.outcome]
        ws.write_string(row, 8, outcome, formats("cell", _OUTCOME_STYLES[result.outcome]))
        ws.write_string(row, 9, result.note, cell)
        rows.set(row, _height([(ind.text, 46), (result.note, 44), (outcome, 15)]))
        row += 1
    if not c.indicators:
        write_merged(ws, row, 0, last, "Kế hoạch chưa có chỉ tiêu nào.", formats("note"))
        return row + 1
    row += 1
    # The chart plots percentages: the ratios only, never a count ("≥ 12 buổi" is no 1200 %).
    ratios = [r for r in c.indicators if not r.indicator.is_count]
    if not ratios:
        return row
    data = _chart_data(ws, first, last + 1, ratios, formats)
    _indicator_chart(workbook, ws, first, first + len(ratios) - 1, data, row + 1)
    ws.write_string(row, 0, "III. BIỂU ĐỒ CÁC CHỈ TIÊU TỈ LỆ", formats("heading"))
    rows.keep[row] = row + _CHART_ROWS  # the heading prints with its chart
    return row + _CHART_ROWS + 1


#: The heading of the hidden columns the chart reads (the ratio indicators only).
CHART_DATA_HEADERS = ("Mã chỉ tiêu (biểu đồ)", "Tỉ lệ đạt được", "Mức cần đạt")


def _chart_data(
    ws: Worksheet, first: int, col: int, ratios: Sequence[IndicatorResult], formats: Formats
) -> int:
    """The ratio indicators' code, rate and target in hidden columns from ``col``, rows
    from ``first`` (the heading above): the chart's data. Returns the first column."""
    rates = [(r.code, (r.value, r.indicator.target)) for r in ratios]
    return _hidden_rates(ws, first, col, CHART_DATA_HEADERS, rates, formats)


def _hidden_rates(
    ws: Worksheet,
    first: int,
    col: int,
    headers: Sequence[str],
    rates: Sequence[tuple[str, Sequence[Fraction | None]]],
    formats: Formats,
) -> int:
    """A chart's data in hidden columns from ``col``: under ``headers`` (row ``first`` - 1),
    each indicator's code and its rates (blank where None). Returns the first column."""
    write_headers(ws, first - 1, headers, formats, first_col=col)
    percent = formats("cell", num_format="0.0%")
    for row, (code, numbers) in enumerate(rates, start=first):
        ws.write_string(row, col, code, formats("cell"))
        for offset, number in enumerate(numbers, start=1):
            if number is None:
                ws.write_blank(row, col + offset, None, percent)
            else:
                ws.write_number(row, col + offset, float(number), percent)
    ws.set_column(col, col + len(headers) - 1, 14, None, {"hidden": True})
    return col


def _indicator_chart(
    workbook: xlsxwriter.Workbook, ws: Worksheet, first: int, last: int, data: int, at: int
) -> None:
    """Rate achieved and target of the ratio indicators in rows ``first``..``last`` of the
    chart's hidden columns from ``data``, at row ``at``."""
    chart = workbook.add_chart({"type": "column"})
    assert chart is not None  # a known chart type
    chart.show_hidden_data()  # its data is in hidden columns
    font = {"name": "Times New Roman"}
    # Only the rate achieved is labelled, above its column: two labels side by side
    # ran into each other ("100%100%"); the target reads off the axis and the table.
    series = (
        (data + 1, "Tỉ lệ đạt được", "#4472C4", True),
        (data + 2, "Mức cần đạt", "#A5A5A5", False),
    )
    for col, name, colour, labelled in series:
        options: dict[str, Any] = {
            "name": name,
            "categories": [SUMMARY_SHEET, first, data, last, data],
            "values": [SUMMARY_SHEET, first, col, last, col],
            "fill": {"color": colour},
        }
        if labelled:
            options["data_labels"] = {
                "value": True,
                "num_format": "0%",
                "position": "outside_end",
                "font": {**font, "size": 9},
            }
        chart.add_series(options)
    _rate_chart_layout(chart, "Kết quả các chỉ tiêu tỉ lệ so với mức cần đạt", 960)
    ws.insert_chart(at, 1, chart, {"x_offset": 4, "y_offset": 4})


def _rate_chart_layout(chart: Chart, title: str, width: int) -> None:
    """A chart of rates: its title, a percentage axis from 0, the legend below."""
    font = {"name": "Times New Roman"}
    chart.set_title({"name": title, "name_font": {**font, "size": 12}})
    chart.set_y_axis(
        {
            "min": 0,
            "num_format": "0%",
            "num_font": font,
            "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
        }
    )
    chart.set_x_axis({"num_font": font})
    chart.set_legend({"position": "bottom", "font": font})
    chart.set_size({"width": width, "height": 340})


# --- So sánh các kỳ --------------------------------------------------------------------

COMPARISON_HEADERS = (
    "STT",
    "Mã",
    "Chỉ tiêu",
    "Kỳ này",
    "Kỳ trước",
    "Thay đổi so với kỳ trước",
    "Cùng kỳ năm trước",
    "Thay đổi so với cùng kỳ",
)
#: The hidden columns the comparison chart reads (the ratio indicators only).
COMPARISON_CHART_HEADERS = ("Mã chỉ tiêu (biểu đồ)", "Kỳ này", "Kỳ trước", "Cùng kỳ năm trước")
#: A change of a rate is in percentage points, of a count in things.
_POINTS_FORMAT = '+0.0" điểm %";-0.0" điểm %";"không đổi"'
_COUNT_CHANGE_FORMAT = '+#,##0.##;-#,##0.##;"không đổi"'
#: What the comparison sheet shows where an earlier report has no such indicator.
_NOT_IN_EARLIER = ("Kỳ trước không có chỉ tiêu này", "Năm trước không có chỉ tiêu này")


def comparison_sheet(workbook: xlsxwriter.Workbook, c: Consolidation, formats: Formats) -> None:
    """Each indicator this period, in the previous period's report and in the same
    period's of the year before (as sent), the change since each; a chart of the rates."""
    ws = workbook.add_worksheet(COMPARISON_SHEET)
    widths = (5, 8, 52, 13, 13, 15, 13, 15)
    set_widths(ws, widths)
    last = len(widths) - 1
    history = c.history
    said = []
    for side in history.sides():
        words, report = upper_first(side.words), side.report
        if report is None:
            said.append(f"{words}: {side.note}.")
        else:
            shown = f"{report.period_name} ({report.period}), theo tệp {report.source}"
            said.append(f"{words}: {shown}.")
    note = (
        " ".join(said)
        + " Số liệu kỳ trước là số đã gửi (tệp tổng hợp của kỳ đó). Thay đổi của tỉ lệ tính bằng "
        "điểm phần trăm, của số đếm tính bằng số."
    )
    sheet_title(
        ws,
        last,
        f"SO SÁNH CÁC CHỈ TIÊU VỚI KỲ TRƯỚC VÀ CÙNG KỲ NĂM TRƯỚC – {c.period.name.upper()}",
        note,
        formats,
        sum(widths),
    )
    header = 3
    headers = list(COMPARISON_HEADERS)
    if history.previous is not None:
        headers[4] = f"Kỳ trước ({history.previous.period})"
    if history.last_year is not None:
        headers[6] = f"Cùng kỳ năm trước ({history.last_year.period})"
    write_headers(ws, header, headers, formats)
    ws.set_row(header, 32)
    row = header + 1
    cell, center = formats("cell"), formats.typed("cell", "center")
    first = row
    caveats: list[str] = []  # the changes given on part of the entries, said below the table
    for number, result in enumerate(c.indicators, start=1):
        ind = result.indicator
        shape = "#,##0.##" if ind.is_count else "0.0%"
        figure_format = formats("cell", "center", num_format=shape)
        change_format = formats(
            "cell", "center", num_format=_COUNT_CHANGE_FORMAT if ind.is_count else _POINTS_FORMAT
        )
        ws.write_number(row, 0, number, center.int)
        ws.write_string(row, 1, ind.code, center.text)
        ws.write_string(row, 2, ind.text, cell)
        written = [(ind.text, widths[2])]  # the texts wrapped in the row, at their widths
        caveat = comparison_caveat(result, c.plan)
        now = result.current  # nobody's figure yet: no change
        _write_figure(ws, row, 3, now, figure_format, "Chưa có số liệu", center.text)
        if now is None:
            written.append(("Chưa có số liệu", widths[3]))
        compared = False
        for col, side, absent in zip((4, 6), history.sides(), _NOT_IN_EARLIER, strict=True):
            then, _, change = result.against(result.earlier(side))
            missing = upper_first(side.note or absent)
            _write_figure(ws, row, col, then, figure_format, missing, center.text)
            if then is None:
                written.append((missing, widths[col]))
            if then is not None and now is None:
                ws.write_string(row, col + 1, upper_first(caveat), center.text)
                written.append((upper_first(caveat), widths[col + 1]))
            elif change is None:
                ws.write_blank(row, col + 1, None, center.text)
            else:
                points = float(change) * (1 if ind.is_count else 100)
                ws.write_number(row, col + 1, points, change_format)
                compared = True
        if compared and caveat:
            caveats.append(f"{ind.code}: {caveat}")
        ws.set_row(row, _height(written))
        row += 1
    if not c.indicators:
        write_merged(ws, row, 0, last, "Kế hoạch chưa có chỉ tiêu nào.", formats("note"))
        row += 1
    if caveats:
        partial = (
            "Thay đổi tính trên số liệu chưa đủ của kỳ này (các nơi chưa nộp chưa được tính): "
            + "; ".join(caveats)
            + "."
        )
        write_merged(ws, row, 0, last, partial, formats("note"))
        ws.set_row(row, _height([(partial, sum(widths))]))
        row += 1
    ws.freeze_panes(header + 1, 0)
    page_setup(ws, (header, header))
    ratios = [r for r in c.indicators if not r.indicator.is_count]
    if ratios:
        data = _comparison_chart_data(ws, first, last + 1, ratios, formats)
        _comparison_chart(workbook, ws, c, first, first + len(ratios) - 1, data, row + 1)


def _write_figure(
    ws: Worksheet,
    row: int,
    col: int,
    figure: Fraction | None,
    figure_format: Format,
    missing: str,
    text_format: Format,
) -> None:
    if figure is None:
        ws.write_string(row, col, missing, text_format)
    else:
        ws.write_number(row, col, float(figure), figure_format)


def _comparison_chart_data(
    ws: Worksheet, first: int, col: int, ratios: Sequence[IndicatorResult], formats: Formats
) -> int:
    """The ratio indicators' code and rates (this period, previous, a year before) in hidden
    columns from ``col``, rows from ``first``: the chart's data. Returns the first column."""
    rates = [
        (
            r.code,
            (
                r.value if r.has_data else None,  # nobody's figure yet: no bar at 0 %
                None if r.previous is None else r.previous.value,
                None if r.last_year is None else r.last_year.value,
            ),
        )
        for r in ratios
    ]
    return _hidden_rates(ws, first, col, COMPARISON_CHART_HEADERS, rates, formats)


def _comparison_chart(
    workbook: xlsxwriter.Workbook,
    ws: Worksheet,
    c: Consolidation,
    first: int,
    last: int,
    data: int,
    at: int,
) -> None:
    """The rates of this period, the previous period and the same period a year before,
    side by side per indicator (rows ``first``..``last`` of the hidden columns)."""
    chart = workbook.add_chart({"type": "column"})
    assert chart is not None  # a known chart type
    chart.show_hidden_data()
    history = c.history
    series = [(data + 1, f"Kỳ này ({c.period.code})", "#4472C4")]
    if history.previous is not None:
        series.append((data + 2, f"Kỳ trước ({history.previous.period})", "#A5A5A5"))
    if history.last_year is not None:
        series.append((data + 3, f"Cùng kỳ năm trước ({history.last_year.period})", "#ED7D31"))
    for col, name, colour in series:
        chart.add_series(
            {
                "name": name,
                "categories": [COMPARISON_SHEET, first, data, last, data],
                "values": [COMPARISON_SHEET, first, col, last, col],
                "fill": {"color": colour},
            }
        )
    _rate_chart_layout(chart, "Các chỉ tiêu tỉ lệ qua các kỳ báo cáo", 900)
    ws.insert_chart(at, 1, chart, {"x_offset": 4, "y_offset": 4})


def _signature_block(
    ws: Worksheet,
    row: int,
    last: int,
    c: Consolidation,
    formats: Formats,
    entries: ResolvedEntries,
) -> int:
    """Nơi nhận left, the signer right, from ``row``; the block's last row."""
    bold_center = formats("bold_center")
    ws.write_string(row, 0, "Nơi nhận:", formats("bold", "italic"))
    write_merged(ws, row, 6, last, "TM. ỦY BAN NHÂN DÂN", bold_center)
    receivers = [f"- {receiver};" for receiver in entries.recipients]
    receivers.append(f"- {c.plan.settings.archive_line}")
    for i, line in enumerate(receivers, start=1):
        write_merged(ws, row + i, 0, 3, line, formats("text"))
    write_merged(ws, row + 1, 6, last, entries.signer_title, bold_center)
    write_merged(ws, row + 6, 6, last, entries.signer_name, bold_center)
    return row + max(6, len(receivers))


# --- Theo thôn ----------------------------------------------------------------------


def villages_sheet(workbook: xlsxwriter.Workbook, c: Consolidation, formats: Formats) -> None:
    """One row per village: its reporting status and every value it gave, then totals."""
    village = c.plan.settings.kind_word(Kind.VILLAGE)
    ws = workbook.add_worksheet(villages_sheet_name(c.plan.settings))
    fields = [f for f in c.village_fields if f not in c.opinion_fields]
    status = {e.entry.code: e.status for e in c.completeness.entries}
    first_field = len(ENTRY_HEADERS)
    last = first_field + len(fields) - 1
    received = sum(1 for v in c.plan.villages if status[v.code] is not ReportingStatus.MISSING)
    widths = [5, 8, 20, 12, *(_field_width(f) for f in fields)]
    span = _first_page_span(widths)
    sheet_title(
        ws,
        span,
        f"SỐ LIỆU THEO {village.upper()} – {c.period.name.upper()}",
        f'{received}/{len(c.plan.villages)} {village} đã nộp báo cáo. Ô "{ERROR_MARK}": giá trị '
        "có lỗi, không được tính (xem trang Lỗi dữ liệu). Dòng Tổng cộng: cộng các cột số; "
        f"ở cột Có/Không là số {village} trả lời Có. Ý kiến của các {village} ở trang Ý kiến.",
        formats,
        sum(widths[: span + 1]),
    )
    header, codes_row = 3, 4
    set_widths(ws, widths)
    header_format = formats("header")
    for col, label in enumerate(ENTRY_HEADERS):
        # Merged over the label and code rows; merge_range writes no text itself.
        ws.merge_range(header, col, codes_row, col, "", header_format)
        ws.write_string(header, col, label, header_format)
    for col, f in enumerate(fields, first_field):
        ws.write_string(header, col, f.label, header_format)
        ws.write_string(codes_row, col, f.code, formats("header", "code"))
    labels = [(f.label, _field_width(f)) for f in fields]
    ws.set_row(header, _height(labels, minimum=2, bold=True))
    codes = [(f.code, _field_width(f)) for f in fields]
    ws.set_row(codes_row, _height(codes, size=9, bold=True, italic=True))
    row = first = codes_row + 1
    # Each column read whole once, with its cells' formats: a large roster's
    # table holds tens of thousands of cells.
    position = {code: i for i, code in enumerate(c.villages.index)}
    columns = [
        (col, f.code, c.villages[f.code].tolist(), _field_formats(formats, f))
        for col, f in enumerate(fields, first_field)
    ]
    absent, error = formats("cell", "absent"), formats("cell", "error")
    for number, entry in enumerate(c.plan.villages, start=1):
        state = status[entry.code]
        write_entry(ws, row, number, entry, formats)
        write_status(ws, row, 3, state, formats)
        if state is ReportingStatus.MISSING:
            for col, *_ in columns:
                ws.write_blank(row, col, None, absent)
        else:
            errors = c.errors.get(entry.code, frozenset())
            at = position[entry.code]
            texts = [(entry.name, 20.0)]
            for col, code, values, typed in columns:
                if code in errors:
                    ws.write_string(row, col, ERROR_MARK, error)
                else:
                    value = values[at]
                    write_value(ws, row, col, value, typed)
                    if isinstance(value, str):
                        texts.append((value, widths[col]))
            if len(texts) > 1 or len(entry.name) > 20:
                ws.set_row(row, _height(texts))
        row += 1
    _village_totals(ws, row, first, row - 1, fields, c.village_totals, formats)
    ws.freeze_panes(codes_row + 1, 3)
    if fields:
        ws.autofilter(codes_row, 0, row - 1, last)
    # A sheet wider than a page prints its columns in groups, a page each, at a
    # readable scale, the village's number, code and name repeated on each.
    page_setup(ws, (header, codes_row), width=sum(widths), fixed_cols=3)


def _village_totals(
    ws: Worksheet,
    row: int,
    first: int,
    last: int,
    fields: Sequence[Field],
    totals: dict[str, int | Fraction],
    formats: Formats,
) -> None:
    first_field = len(ENTRY_HEADERS)
    write_merged(ws, row, 0, first_field - 1, TOTAL_LABEL, formats("cell", "total"))
    count_format = formats("cell", "total", "int", "center")
    for col, f in enumerate(fields, first_field):
        if f.type in SUMMED_TYPES:
            write_sum(ws, row, col, first, last, totals[f.code], _total_format(formats, f))
        elif f.type is FieldType.YESNO and last >= first:
            rng = f"{xl_rowcol_to_cell(first, col)}:{xl_rowcol_to_cell(last, col)}"
            ws.write_formula(row, col, f'=COUNTIF({rng},"{YES}")', count_format, totals[f.code])
        elif f.type is FieldType.YESNO:
            ws.write_number(row, col, 0, count_format)
        else:
            ws.write_blank(row, col, None, formats("cell", "total"))


# --- Theo đơn vị --------------------------------------------------------------------


def units_sheet(workbook: xlsxwriter.Workbook, c: Consolidation, formats: Formats) -> None:
    """One column per unit: its values field by field, then the plan's tasks."""
    ws = workbook.add_worksheet(UNITS_SHEET)
    units = c.plan.units
    fields = [f for f in c.unit_fields if f not in c.opinion_fields]
    # Each section once, where it first comes: its fields together under one heading.
    order = {section: i for i, section in reversed(list(enumerate(f.section for f in fields)))}
    fields.sort(key=lambda f: order[f.section])
    status = {e.entry.code: e.status for e in c.completeness.entries}
    holds = {u.code: {f.code for f in c.plan.fields_for(u)} for u in units}
    first_unit = 2
    total_col = first_unit + len(units)
    sheet_title(
        ws,
        total_col,
        f"SỐ LIỆU THEO ĐƠN VỊ – {c.period.name.upper()}",
        "Mỗi cột là một đơn vị. Ô xám: câu hỏi không có trên biểu mẫu của đơn vị. "
        f'Ô "{ERROR_MARK}": giá trị có lỗi, không được tính. Cột Tổng cộng: cộng các dòng '
        "số; ở dòng Có/Không là số đơn vị trả lời Có. Phần cuối: tình trạng và kết quả thực "
        "hiện từng nhiệm vụ của kế hoạch theo đơn vị chủ trì, phối hợp.",
        formats,
        18 + 44 + 16 * len(units) + 11,
    )
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 44)
    ws.set_column(first_unit, total_col - 1, 16)
    ws.set_column(total_col, total_col, 11)
    header = 3
    names = [f"{unit.name} ({unit.code})" for unit in units]
    write_headers(ws, header, ("Mã trường", "Nội dung", *names, TOTAL_LABEL), formats)
    ws.set_row(header, _height([(name, 16) for name in names], minimum=2, bold=True))
    row = header + 1
    cell = formats("cell")
    ws.write_string(row, 0, "", cell)
    ws.write_string(row, 1, "Tình hình nộp báo cáo", formats("cell", "bold"))
    for col, unit in enumerate(units, first_unit):
        write_status(ws, row, col, status[unit.code], formats)
    ws.write_blank(row, total_col, None, cell)
    row += 1
    section = None
    headings = numbered_headings([f.section for f in fields])
    for f in fields:
        if f.section != section:
            section = f.section
            write_merged(ws, row, 0, total_col, headings[section], formats("group"))
            row += 1
        ws.write_string(row, 0, f.code, formats("cell", "code"))
        ws.write_string(row, 1, f.label, cell)
        typed = _field_formats(formats, f)
        texts = []
        for col, unit in enumerate(units, first_unit):
            if f.code not in holds[unit.code]:
                ws.write_blank(row, col, None, formats("cell", "na"))
            elif status[unit.code] is ReportingStatus.MISSING:
                ws.write_blank(row, col, None, formats("cell", "absent"))
            elif f.code in c.errors.get(unit.code, frozenset()):
                ws.write_string(row, col, ERROR_MARK, formats("cell", "error"))
            else:
                value = c.units.at[unit.code, f.code]
                write_value(ws, row, col, value, typed)
                if isinstance(value, str):
                    texts.append((value, 16.0))
        _unit_total(ws, row, f, first_unit, total_col, c, formats)
        ws.set_row(row, _height([(f.label, 44), *texts]))
        row += 1
    _task_rows(ws, row + 1, c, first_unit, total_col, formats)
    ws.freeze_panes(header + 1, 2)
    width = 18 + 44 + 16 * len(units) + 11
    page_setup(ws, (header, header), width=width, fixed_cols=2)


_NUMBERED = re.compile(r"(\d+)\.\s+")


def numbered_headings(sections: Sequence[str]) -> dict[str, str]:
    """Each section heading as a sheet lists them: the plan numbers its sections by its
    own order ("3. Thanh tra, kiểm tra"); a sheet listing some of them in another
    order numbers those it shows 1, 2, 3… in the order they appear."""
    out: dict[str, str] = {}
    number = 0
    for section in sections:
        if section in out:
            continue
        found = _NUMBERED.match(section)
        if found is None:
            out[section] = section
        else:
            number += 1
            out[section] = f"{number}. {section[found.end() :]}"
    return out


def _unit_total(
    ws: Worksheet, row: int, f: Field, first: int, total_col: int, c: Consolidation,
    formats: Formats,
) -> None:  # fmt: skip
    rng = f"{xl_rowcol_to_cell(row, first)}:{xl_rowcol_to_cell(row, total_col - 1)}"
    if f.type in SUMMED_TYPES:
        total = c.unit_totals[f.code]
        shown = total if isinstance(total, int) else float(total)
        ws.write_formula(row, total_col, f"=SUM({rng})", _total_format(formats, f), shown)
    elif f.type is FieldType.YESNO:
        count_format = formats("cell", "total", "int", "center")
        formula = f'=COUNTIF({rng},"{YES}")'
        ws.write_formula(row, total_col, formula, count_format, c.unit_totals[f.code])
    else:
        ws.write_blank(row, total_col, None, formats("cell", "total"))


def _task_rows(
    ws: Worksheet, row: int, c: Consolidation, first_unit: int, total_col: int, formats: Formats
) -> None:
    """Two blocks of one row per plan task: each unit's status of it, then its result."""
    if not c.plan.tasks:
        return
    units = c.plan.units
    by_task: dict[str, dict[str, TaskStatus]] = {}
    for reported in c.tasks:
        by_task.setdefault(reported.task, {})[reported.unit] = reported
    cell, center, na = formats("cell"), formats("cell", "center"), formats("cell", "na")
    write_merged(ws, row, 0, total_col, "TÌNH TRẠNG THỰC HIỆN NHIỆM VỤ", formats("group"))
    row += 1
    for task in c.plan.tasks:
        title = _task_title(task)
        ws.write_string(row, 0, task.section, center)
        ws.write_string(row, 1, title, cell)
        for col, unit in enumerate(units, first_unit):
            _task_cell(ws, row, col, by_task.get(task.code, {}).get(unit.code), False, formats)
        ws.write_blank(row, total_col, None, na)
        ws.set_row(row, _height([(title, 44)], minimum=2))
        row += 1
    heading = "KẾT QUẢ THỰC HIỆN NHIỆM VỤ (đơn vị tự ghi)"
    write_merged(ws, row, 0, total_col, heading, formats("group"))
    row += 1
    for task in c.plan.tasks:
        ws.write_string(row, 0, task.section, center)
        ws.write_string(row, 1, task.title, cell)
        texts = [(task.title, 44.0)]
        for col, unit in enumerate(units, first_unit):
            status = by_task.get(task.code, {}).get(unit.code)
            _task_cell(ws, row, col, status, True, formats)
            if status is not None and status.result:
                texts.append((status.result, 16.0))
        ws.write_blank(row, total_col, None, na)
        ws.set_row(row, _height(texts, minimum=2))
        row += 1


def _task_title(task: Task) -> str:
    """A task's title; one the UBND xã leads says so (no unit's column is its lead)."""
    if task.lead is None:
        return f"{task.title} ({TASK_ROLE_LABELS[TaskRole.LEAD]}: {COMMUNE_LEAD})"
    return task.title


def _task_cell(
    ws: Worksheet, row: int, col: int, status: TaskStatus | None, result: bool, formats: Formats
) -> None:
    """A unit's status of a task, or (``result``) the result it wrote."""
    if status is None:
        ws.write_blank(row, col, None, formats("cell", "na"))
        return
    role = TASK_ROLE_LABELS[status.role]
    shown = status.result if result else status.status
    if not status.reported:
        ws.write_string(row, col, f"{role}: {NOT_REPORTED.lower()}", formats("cell", "absent"))
    elif status.error and shown is None:
        ws.write_string(row, col, f"{role}: {ERROR_MARK.lower()}", formats("cell", "error"))
    elif result:
        ws.write_string(row, col, shown or "", formats("cell"))
    else:
        style = _TASK_STYLES.get(shown or "", "absent")
        ws.write_string(row, col, f"{role}: {shown or 'chưa ghi'}", formats("cell", style))


# --- Tình hình nộp ------------------------------------------------------------------


def submissions_sheet(workbook: xlsxwriter.Workbook, c: Consolidation, formats: Formats) -> None:
    """One row per roster entry (status, file used, arrivals, problem counts), then
    the inbox's other files and why they were not used."""
    ws = workbook.add_worksheet(SUBMISSIONS_SHEET)
    done = c.completeness
    widths = (5, 8, 24, 9, 11, 34, 16, 16, 34, 8, 10, 30, 16)
    set_widths(ws, widths)
    last = len(widths) - 1
    sheet_title(
        ws,
        last,
        f"TÌNH HÌNH NỘP BÁO CÁO – {c.period.name.upper()}",
        f"Hạn nộp: {done.deadline:%d/%m/%Y}. Đúng hạn: lần nộp đầu tiên đến trước hoặc trong "
        f"ngày hạn. Phải nộp {done.expected}; đã nộp {done.received}; đúng hạn {done.on_time}; "
        f"trễ hạn {len(done.late)}; chưa nộp {len(done.missing)}.",
        formats,
        sum(widths),
    )
    header = 3
    who = _roster_header(c.plan.settings)
    write_headers(ws, header, [h.format(who=who) for h in SUBMISSION_HEADERS], formats)
    ws.set_row(header, 32)
    row = header + 1
    cell, center = formats.typed("cell"), formats.typed("cell", "center")
    for number, e in enumerate(done.entries, start=1):
        write_entry(ws, row, number, e.entry, formats)
        ws.write_string(row, 3, c.plan.settings.kind_label(e.entry.kind), center.text)
        write_status(ws, row, 4, e.status, formats)
        status_text = ""
        if e.needs_confirmation:  # the officer is to confirm it
            style = _REPORTING_STYLES[e.status]
            status_text = f"Trễ hạn, {NEEDS_CONFIRMATION}"
            ws.write_string(row, 4, status_text, formats("cell", style))
        write_value(ws, row, 5, e.file, cell)
        write_value(ws, row, 6, arrival_value(e.first_arrival, e.correction), cell)
        write_value(ws, row, 7, e.used_arrival, cell)
        superseded = "\n".join(e.superseded)
        write_value(ws, row, 8, superseded or None, cell)
        review = review_text(e.review, reported=e.file is not None)
        if e.file:
            write_value(ws, row, 9, e.errors, center)
            write_value(ws, row, 10, e.warnings, center)
        else:
            ws.write_blank(row, 9, None, center.text)
            ws.write_blank(row, 10, None, center.text)
        source = arrival_note(
            e.arrival_source, e.needs_confirmation, e.correction
        )
        write_value(ws, row, 11, source or None, cell)
        write_value(ws, row, 12, review, cell)
        ws.set_row(
            row,
            _height(
                [
                    (e.file or "", 34),
                    (superseded, 34),
                    (e.entry.name, 24),
                    (source, 30),
                    (status_text, 11),
                    (review or "", 16),
                ]
            ),
        )
        row += 1
    ws.autofilter(header, 0, row - 1, last)
    ws.freeze_panes(header + 1, 3)

    # The files used are in the table above: below, only the others and why
    # (a roster of thousands would otherwise list every file twice).
    unused = [s for s in c.submissions if s.status is not SubmissionStatus.USED]
    row += 1
    ws.write_string(row, 0, UNUSED_FILES_HEADING, formats("heading"))
    row += 1
    for header_text, first_col, last_col in FILE_COLUMNS:
        write_merged(ws, row, first_col, last_col, header_text, formats("header"))
    row += 1
    if not unused:
        note = (
            "Mọi tệp trong hộp thư đều được dùng." if c.submissions else "Hộp thư chưa có tệp nào."
        )
        write_merged(ws, row, 0, last, note, formats("note"))
    _file_rows(ws, row, unused, formats)
    page_setup(ws, (header, header))


def _file_rows(ws: Worksheet, row: int, files: Sequence[Submission], formats: Formats) -> None:
    """One row per file: its unit, status, period, arrival, replacement."""
    cell, center = formats.typed("cell"), formats.typed("cell", "center")
    for number, s in enumerate(files, start=1):
        ws.write_number(row, 0, number, center.int)
        write_value(ws, row, 1, s.unit, center)
        status_label = SUBMISSION_STATUS_LABELS.get(s.status, str(s.status))
        ws.write_string(row, 2, status_label, cell.text)
        write_merged(ws, row, 3, 4, s.period or "", center.text)
        ws.write_string(row, 5, s.file, cell.text)
        write_value(ws, row, 6, s.arrived, cell)
        write_merged(ws, row, 7, 8, s.superseded_by or "", cell.text)
        ws.set_row(row, _height([(s.file, 34), (s.superseded_by or "", 50)]))
        row += 1


# --- Lỗi dữ liệu --------------------------------------------------------------------


def problems_sheet(workbook: xlsxwriter.Workbook, c: Consolidation, formats: Formats) -> None:
    """One row per problem found in the files used, errors first."""
    ws = workbook.add_worksheet(PROBLEMS_SHEET)
    problems = c.problems
    widths = (5, 10, 8, 28, 14, 8, 16, 16, 70, 18)
    set_widths(ws, widths)
    last = len(widths) - 1
    errors = sum(1 for p in problems if p.severity is Severity.ERROR)
    sheet_title(
        ws,
        last,
        f"LỖI VÀ CẢNH BÁO TRONG BÁO CÁO ĐÃ NỘP – {c.period.name.upper()}",
        f"{errors} lỗi, {len(problems) - errors} cảnh báo hoặc ghi chú. Giá trị có lỗi không "
        f"được tính vào số liệu tổng hợp; hãy đề nghị {c.plan.settings.roster_words} sửa biểu "
        "mẫu và gửi lại.",
        formats,
        sum(widths),
    )
    header = 3
    write_headers(ws, header, PROBLEM_HEADERS, formats)
    row = header + 1
    if not problems:
        write_merged(ws, row, 0, last, "Không có lỗi nào.", formats("note"))
    cell, center = formats.typed("cell"), formats.typed("cell", "center")
    severities = {
        Severity.ERROR: formats("cell", "not_met"),
        Severity.WARNING: formats("cell", "late"),
    }
    for number, p in enumerate(problems, start=1):
        severity = SEVERITY_LABELS.get(p.severity, str(p.severity))
        ws.write_number(row, 0, number, center.int)
        ws.write_string(row, 1, severity, severities.get(p.severity, center.text))
        for col, item in enumerate((p.unit, p.file, p.sheet, p.cell, p.field, p.value), 2):
            write_value(ws, row, col, item, cell)
        ws.write_string(row, 8, p.message, cell.text)
        ws.write_string(row, 9, p.code, formats("cell", "code"))
        ws.set_row(row, _height([(p.message, 70), (p.file or "", 28), (p.value or "", 16)]))
        row += 1
    if problems:
        ws.autofilter(header, 0, row - 1, last)
    ws.freeze_panes(header + 1, 0)
    page_setup(ws, (header, header))


# --- Ý kiến -------------------------------------------------------------------------


def opinions_sheet(workbook: xlsxwriter.Workbook, c: Consolidation, formats: Formats) -> None:
    """The opinions each village and unit wrote, word for word."""
    ws = workbook.add_worksheet(OPINIONS_SHEET)
    fields = c.opinion_fields
    last = 2 + len(fields)
    ws.set_column(0, 0, 5)
    ws.set_column(1, 1, 8)
    ws.set_column(2, 2, 24)
    ws.set_column(3, max(last, 3), 60)
    sheet_title(
        ws,
        last,
        f"Ý KIẾN CỦA CÁC {c.plan.settings.roster_words.upper()} – {c.period.name.upper()}",
        f"Nguyên văn nội dung các {c.plan.settings.roster_words} ghi trên biểu mẫu.",
        formats,
        37 + 60 * len(fields),
    )
    header = 3
    who = _roster_header(c.plan.settings)
    write_headers(ws, header, ("STT", "Mã", who, *(f.label for f in fields)), formats)
    ws.set_row(header, 32)
    row = header + 1
    if not c.opinions:
        write_merged(ws, row, 0, last, "Không có ý kiến nào.", formats("note"))
    center, cell = formats.typed("cell", "center"), formats.typed("cell")
    for number, opinion in enumerate(c.opinions, start=1):
        entry = c.plan.entry(opinion.unit)
        texts = dict(opinion.texts)
        ws.write_number(row, 0, number, center.int)
        ws.write_string(row, 1, entry.code, center.text)
        ws.write_string(row, 2, entry.name, cell.text)
        for col, f in enumerate(fields, 3):
            write_value(ws, row, col, texts.get(f.code), cell)
        ws.set_row(row, _height([(entry.name, 24), *((t, 60) for t in texts.values())]))
        row += 1
    ws.freeze_panes(header + 1, 3)
    page_setup(ws, (header, header))
