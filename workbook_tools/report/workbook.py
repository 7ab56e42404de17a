"""The consolidated report workbook, written with XlsxWriter into memory.

Sheets: Tổng hợp (title block, completeness, indicators, chart, signature),
Theo thôn, Theo đơn vị, Tình hình nộp, Lỗi dữ liệu, Ý kiến.

Text typed by users (names, answers, file names, messages quoting values) is
written with ``write_string`` only, and the workbook is opened with every
string conversion off, so it can never become a formula or a link. The only
formulas are the totals this module builds from cell references; each carries
its computed value, so every reader shows numbers and the officer can audit them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import Any, NamedTuple

import pandas as pd
from xlsxwriter.utility import xl_rowcol_to_cell

from workbook_tools.collector import collection_paused
from workbook_tools.consolidation import (
    OUTCOME_LABELS,
    REPORTING_LABELS,
    TASK_ROLE_LABELS,
    Completeness,
    Consolidation,
    IndicatorResult,
    Outcome,
    ReportingStatus,
    TaskStatus,
)
from workbook_tools.inbox.model import Submission, SubmissionStatus
from workbook_tools.plan.model import (
    COMPARATOR_SIGNS,
    KIND_LABELS,
    NO,
    STATUS_VALUES,
    YES,
    Field,
    FieldType,
)
from workbook_tools.problems import SEVERITY_LABELS, Severity
from workbook_tools.report.package import SplitWorkbook

SUMMARY_SHEET = "Tổng hợp"
VILLAGES_SHEET = "Theo thôn"
UNITS_SHEET = "Theo đơn vị"
SUBMISSIONS_SHEET = "Tình hình nộp"
PROBLEMS_SHEET = "Lỗi dữ liệu"
OPINIONS_SHEET = "Ý kiến"
SHEET_NAMES = (
    SUMMARY_SHEET,
    VILLAGES_SHEET,
    UNITS_SHEET,
    SUBMISSIONS_SHEET,
    PROBLEMS_SHEET,
    OPINIONS_SHEET,
)
#: From this many roster entries the villages' table is written aside (see build_workbook):
#: below it, starting a process costs more than it saves.
SPLIT_MIN = 200

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
    "Thôn / đơn vị",
    "Loại",
    "Tình trạng",
    "Tệp được dùng",
    "Nhận lần đầu",
    "Nhận tệp được dùng",
    "Tệp cũ hoặc trùng (không dùng)",
    "Số lỗi",
    "Số cảnh báo",
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
    "subtitle": {"bold": True, "font_size": 12, "align": "center", "text_wrap": True},
    "heading": {"bold": True, "font_size": 12},
    "plain_center": {"align": "center", "font_size": 12},
    "bold_center": {"bold": True, "align": "center", "font_size": 12},
    "italic_center": {"italic": True, "align": "center", "font_size": 12},
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
}
_REPORTING_STYLES = {
    ReportingStatus.ON_TIME: "met",
    ReportingStatus.LATE: "late",
    ReportingStatus.MISSING: "not_met",
}
_TASK_STYLES = dict(zip(STATUS_VALUES, ("met", "late", "not_met"), strict=True))
#: Total column width (characters) that still reads well fitted to A4 landscape.
_PAGE_WIDTH = 240
_LINE_HEIGHT = 15.0  # points per wrapped line at 11 pt
_MAX_ROW_HEIGHT = 409.0  # Excel's limit


def build_workbook(
    consolidation: Consolidation,
    *,
    split: bool | None = None,
    indicators: Callable[[], Sequence[IndicatorResult]] | None = None,
) -> bytes:
    """The report workbook's bytes.

    With ``split`` (by default, from :data:`SPLIT_MIN` roster entries on) the
    villages' table, once complete, is written out by a second process while
    this one writes the other sheets and parts (:mod:`workbook_tools.report.package`);
    the bytes are the same. ``indicators``, if given, is called for the
    indicators once every table is written (``consolidation`` was made
    without them: see :func:`~workbook_tools.consolidation.with_indicators`);
    the bytes are the same as with them in ``consolidation``.
    """
    with workbook_built(consolidation, split=split, indicators=indicators) as data:
        return data


@contextlib.contextmanager
def workbook_built(
    consolidation: Consolidation,
    *,
    split: bool | None = None,
    indicators: Callable[[], Sequence[IndicatorResult]] | None = None,
) -> Iterator[bytes]:
    """:func:`build_workbook`'s bytes, given while the workbook written is still held.

    A process that ends once it has handed them on (merge's builder) need not
    first take apart, nor have the cycle collector go through, the hundred
    thousand objects of a large roster's workbook: it takes longer than
    handing the bytes on.
    """
    if split is None:
        split = len(consolidation.plan.roster) >= SPLIT_MIN
    buffer = io.BytesIO()
    # The cells are acyclic tuples held until the file is written: the cycle
    # collector, run again and again as they pile up, would find nothing.
    with collection_paused():
        # A fresh font dict each time: xlsxwriter adds to the one it is given,
        # which would make every report after the first differ from it.
        options = {**_OPTIONS, "default_format_properties": dict(_DEFAULT_FONT)}
        workbook = SplitWorkbook(buffer, options)
        try:
            _ReportWriter(workbook, consolidation, split=split, indicators=indicators).write()
        finally:
            workbook.close()
        # Still paused: the first object made once the collector is back makes it
        # go through all the cells, which are held until this ends.
        yield buffer.getvalue()


def vietnamese_date_line(place: str, day: date) -> str:
    """The place and date line, e.g. "Tiến Nông, ngày 05 tháng 6 năm 2024".

    Decree 30/2020/NĐ-CP: a zero before a day below 10 and before months 1 and 2.
    """
    dd = f"{day.day:02d}"
    mm = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {dd} tháng {mm} năm {day.year}"


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide."""
    chars = max(int(width * 1.1), 1)
    if len(text) <= chars and "\n" not in text:
        return 1  # most cells: asked for on every row of the long tables
    return sum(max(1, math.ceil(len(part) / chars)) for part in text.split("\n"))


def _height(texts: Sequence[tuple[str, float]], minimum: int = 1) -> float:
    lines = minimum
    for text, width in texts:
        if text:
            lines = max(lines, _lines(text, width))
    return min(_MAX_ROW_HEIGHT, lines * _LINE_HEIGHT + 3)


class _Typed(NamedTuple):
    """The formats a cell of some styles takes, by the type of the value written."""

    styles: tuple[str, ...]
    text: Any  # text, Có/Không and blank cells
    int: Any
    date: Any
    datetime: Any


class _EntryFormats(NamedTuple):
    """The formats of a roster entry's first cells: number, code, name, reporting status."""

    number: Any
    code: Any
    name: Any
    states: dict[ReportingStatus, Any]


class _ReportWriter:
    def __init__(
        self,
        workbook: Any,
        consolidation: Consolidation,
        *,
        split: bool,
        indicators: Callable[[], Sequence[IndicatorResult]] | None = None,
    ) -> None:
        self.wb = workbook
        self.c = consolidation
        self.split = split
        self.indicators = indicators
        self._formats: dict[tuple[tuple[str, Any], ...], Any] = {}
        self._by_styles: dict[tuple[str, ...], Any] = {}
        self._typed: dict[tuple[str, ...], _Typed] = {}

    # --- formats and typed writes -------------------------------------------------
    def fmt(self, *styles: str, **extra: Any) -> Any:
        if not extra:
            # Asked for once per cell: the same styles give the same format.
            found = self._by_styles.get(styles)
            if found is None:
                found = self._by_styles[styles] = self._format(styles, {})
            return found
        return self._format(styles, extra)

    def _format(self, styles: tuple[str, ...], extra: dict[str, Any]) -> Any:
        props: dict[str, Any] = {}
        for style in styles:
            props.update(_STYLES[style])
        props.update(extra)
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def typed(self, *styles: str) -> _Typed:
        """The formats of cells with ``styles``; the long tables look them up once."""
        found = self._typed.get(styles)
        if found is None:
            found = self._typed[styles] = _Typed(
                styles,
                self.fmt(*styles),
                self.fmt(*styles, "int"),
                self.fmt(*styles, "date"),
                self.fmt(*styles, "datetime"),
            )
        return found

    @staticmethod
    def text(ws: Any, row: int, col: int, value: str, fmt: Any = None) -> None:
        ws.write_string(row, col, value, fmt)

    def merged(self, ws: Any, row: int, first: int, last: int, value: str, fmt: Any) -> None:
        """A text across columns ``first``..``last``; merge_range itself writes no user text."""
        if last > first:
            ws.merge_range(row, first, row, last, "", fmt)
        ws.write_string(row, first, value, fmt)

    def value(self, ws: Any, row: int, col: int, value: object, *styles: str) -> None:
        """Write a cleaned value by its type: number, date or text, never a formula."""
        self.put(ws, row, col, value, self.typed(*styles))

    def put(self, ws: Any, row: int, col: int, value: object, typed: _Typed) -> None:
        """:meth:`value` with the formats looked up: the types of nearly every cell
        first, written as the general branches of :meth:`_put_other` would write them."""
        kind = type(value)
        if kind is str:
            ws.write_string(row, col, value, typed.text)
        elif kind is int:
            ws.write_number(row, col, value, typed.int)
        elif value is None:
            ws.write_blank(row, col, None, typed.text)
        elif kind is datetime:
            ws.write_datetime(row, col, value, typed.datetime)
        elif kind is date:
            ws.write_datetime(row, col, value, typed.date)
        else:
            self._put_other(ws, row, col, value, typed.styles)

    def _put_other(
        self, ws: Any, row: int, col: int, value: object, styles: tuple[str, ...]
    ) -> None:
        if not isinstance(value, str) and pd.isna(value):  # type: ignore[call-overload]
            ws.write_blank(row, col, None, self.fmt(*styles))
        elif isinstance(value, bool):
            ws.write_string(row, col, YES if value else NO, self.fmt(*styles))
        elif isinstance(value, datetime):
            ws.write_datetime(row, col, value, self.fmt(*styles, "datetime"))
        elif isinstance(value, date):
            ws.write_datetime(row, col, value, self.fmt(*styles, "date"))
        elif isinstance(value, Fraction):
            style = "int" if value.denominator == 1 else "number"
            ws.write_number(row, col, float(value), self.fmt(*styles, style))
        elif isinstance(value, int | float):
            ws.write_number(row, col, value, self.fmt(*styles, "int"))
        elif hasattr(value, "item"):  # a NumPy scalar from a DataFrame
            self.value(ws, row, col, value.item(), *styles)
        else:
            ws.write_string(row, col, str(value), self.fmt(*styles))

    def headers(self, ws: Any, row: int, headers: Sequence[str], first_col: int = 0) -> None:
        for i, header in enumerate(headers):
            ws.write_string(row, first_col + i, header, self.fmt("header"))

    def page_setup(
        self, ws: Any, repeat: tuple[int, int] | None, width: float = 0, fixed_cols: int = 0
    ) -> None:
        """A4 landscape. A sheet wider than a page at a readable size prints across
        pages, its first columns repeated; a narrower one is fitted to the page width."""
        ws.set_paper(9)  # A4
        ws.set_landscape()
        ws.set_margins(left=0.6, right=0.4, top=0.6, bottom=0.6)
        if width > _PAGE_WIDTH and fixed_cols:
            ws.set_print_scale(75)
            ws.repeat_columns(0, fixed_cols - 1)
        else:
            ws.fit_to_pages(1, 0)
        ws.set_footer("&CTrang &P/&N")
        if repeat is not None:
            ws.repeat_rows(*repeat)

    def sheet_title(self, ws: Any, last_col: int, title: str, note: str) -> None:
        """Title and note across columns 0..``last_col`` (the first printed page's width)."""
        self.merged(ws, 0, 0, max(last_col, 1), title, self.fmt("title"))
        ws.set_row(0, 24)
        self.merged(ws, 1, 0, max(last_col, 1), note, self.fmt("note"))
        ws.set_row(1, _height([(note, 100)]))

    # --- the workbook ---------------------------------------------------------------
    def write(self) -> None:
        settings = self.c.plan.settings
        self.wb.set_properties(
            {
                "title": f"{settings.report_title} – {self.c.period.name}",
                "subject": settings.plan_title,
                "author": f"UBND xã {settings.commune}",
                "company": f"UBND xã {settings.commune}",
                "created": self.c.generated_at,
            }
        )
        # The summary is the first sheet, written last: its indicators may still be
        # being computed while the tables are written (see build_workbook).
        summary = self.wb.add_worksheet(SUMMARY_SHEET)
        self.villages_sheet()
        if self.split:  # complete: its XML is written aside while the other sheets are
            self.wb.write_aside(self.wb.get_worksheet_by_name(VILLAGES_SHEET))
        self.units_sheet()
        self.submissions_sheet()
        self.problems_sheet()
        self.opinions_sheet()
        if self.indicators is not None:
            self.c = dataclasses.replace(self.c, indicators=tuple(self.indicators()))
        self.summary_sheet(summary)

    # --- Tổng hợp -------------------------------------------------------------------
    def summary_sheet(self, ws: Any) -> None:
        settings = self.c.plan.settings
        period = self.c.period
        widths = (5, 9, 8, 46, 10, 10, 11, 11, 15, 44)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        last = len(widths) - 1
        ws.hide_gridlines(2)

        # Title block (Decree 30/2020/NĐ-CP, appendix I): issuing body left, national
        # motto right, then place and date, the document's kind and its summary.
        left, right = (0, 3), (4, last)
        self.merged(ws, 0, *left, f"UBND XÃ {settings.commune.upper()}", self.fmt("bold_center"))
        self.merged(ws, 0, *right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", self.fmt("bold_center"))
        self.merged(ws, 1, *left, "Số:        /BC-UBND", self.fmt("plain_center"))
        self.merged(ws, 1, *right, "Độc lập - Tự do - Hạnh phúc", self.fmt("bold_center"))
        self.merged(
            ws,
            2,
            *right,
            vietnamese_date_line(settings.commune, self.c.generated_at.date()),
            self.fmt("italic_center"),
        )
        self.merged(ws, 4, 0, last, "BÁO CÁO", self.fmt("title"))
        self.merged(ws, 5, 0, last, settings.report_title, self.fmt("subtitle"))
        ws.set_row(5, _height([(settings.report_title, 120)]) + 2)
        period_line = (
            f"{period.name} (từ ngày {period.start:%d/%m/%Y} đến ngày {period.end:%d/%m/%Y})"
        )
        self.merged(ws, 6, 0, last, period_line, self.fmt("italic_center"))
        if settings.report_to:
            self.merged(ws, 7, 0, last, f"Kính gửi: {settings.report_to}", self.fmt("plain_center"))

        row = 9
        row = self.completeness_block(ws, row, last)
        row = self.indicator_block(ws, row + 1, last)
        self.signature_block(ws, row + 1, last)
        self.page_setup(ws, None)

    def completeness_block(self, ws: Any, row: int, last: int) -> int:
        done = self.c.completeness
        self.text(ws, row, 0, "I. TÌNH HÌNH NỘP BÁO CÁO", self.fmt("heading"))
        row += 1
        intro = (
            f"Hạn nộp báo cáo của các thôn, đơn vị: {done.deadline:%d/%m/%Y}. "
            f"Số liệu tổng hợp lúc {self.c.generated_at:%H:%M ngày %d/%m/%Y}, từ "
            f"{done.received}/{done.expected} báo cáo đã nhận."
        )
        self.merged(ws, row, 0, last, intro, self.fmt("text"))
        row += 1
        self.text(ws, row, 0, "STT", self.fmt("header"))
        self.merged(ws, row, 1, 3, "Đối tượng", self.fmt("header"))
        counts = ("Phải nộp", "Đã nộp", "Đúng hạn", "Muộn", "Chưa nộp", "Tỉ lệ đã nộp")
        self.headers(ws, row, counts, first_col=4)
        row += 1
        first = row
        kinds = done.by_kind()
        for i, k in enumerate(kinds, start=1):
            self.value(ws, row, 0, i, "cell", "center")
            self.merged(ws, row, 1, 3, KIND_LABELS[k.kind], self.fmt("cell"))
            for col, count in zip(
                range(4, 9), (k.expected, k.received, k.on_time, k.late, k.missing), strict=True
            ):
                self.value(ws, row, col, count, "cell", "center")
            self.received_ratio(ws, row, Fraction(k.received, k.expected or 1))
            row += 1
        # Totals as formulas over the rows above, each with its value.
        self.merged(ws, row, 0, 3, TOTAL_LABEL, self.fmt("cell", "total"))
        for col, count in zip(
            range(4, 9),
            (done.expected, done.received, done.on_time, len(done.late), len(done.missing)),
            strict=True,
        ):
            self.sum_formula(ws, row, col, first, row - 1, count, "cell", "total", "center")
        self.received_ratio(ws, row, Fraction(done.received, done.expected or 1), "total")
        row += 1
        for label, codes in (("Chưa nộp", done.missing), ("Nộp muộn", done.late)):
            if codes:
                names = ", ".join(f"{self.c.plan.entry(c).name} ({c})" for c in codes)
                line = f"{label} ({len(codes)}): {names}."
                self.merged(ws, row, 0, last, line, self.fmt("text"))
                ws.set_row(row, _height([(line, 160)]))
                row += 1
        return row

    def received_ratio(self, ws: Any, row: int, cached: Fraction, *styles: str) -> None:
        """Column J of the completeness table: received (F) over expected (E)."""
        num = xl_rowcol_to_cell(row, 5)
        den = xl_rowcol_to_cell(row, 4)
        ws.write_formula(
            row,
            9,
            f"=IF({den}=0,0,{num}/{den})",
            self.fmt("cell", "pct", "center", *styles),
            float(cached),
        )

    def sum_formula(
        self, ws: Any, row: int, col: int, first: int, last: int, cached: int, *styles: str
    ) -> None:
        """A SUM of the column above, written with its value so every reader shows it."""
        if last < first:
            ws.write_number(row, col, cached, self.fmt(*styles, "int"))
            return
        top = xl_rowcol_to_cell(first, col)
        bottom = xl_rowcol_to_cell(last, col)
        ws.write_formula(row, col, f"=SUM({top}:{bottom})", self.fmt(*styles, "int"), cached)

    def indicator_block(self, ws: Any, row: int, last: int) -> int:
        heading = "II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA KẾ HOẠCH"
        self.text(ws, row, 0, heading, self.fmt("heading"))
        row += 1
        explain = (
            "Tỉ lệ được so với mức cần đạt bằng giá trị chính xác, không theo số đã làm tròn. "
            "Thôn chưa báo cáo được tính là chưa đạt điều kiện; số liệu có lỗi không được tính. "
            'Mẫu số bằng 0 là "Không phát sinh".'
        )
        self.merged(ws, row, 0, last, explain, self.fmt("note"))
        ws.set_row(row, _height([(explain, 160)]))
        row += 1
        self.headers(ws, row, INDICATOR_HEADERS)
        ws.set_row(row, 32)
        header_row = row
        row += 1
        first = row
        for i, result in enumerate(self.c.indicators, start=1):
            ind = result.indicator
            self.value(ws, row, 0, i, "cell", "center")
            self.text(ws, row, 1, ind.section, self.fmt("cell", "center"))
            self.text(ws, row, 2, ind.code, self.fmt("cell", "center"))
            self.text(ws, row, 3, ind.text, self.fmt("cell"))
            self.value(ws, row, 4, result.numerator, "cell", "center")
            if ind.denominator is None:
                self.text(ws, row, 5, "—", self.fmt("cell", "center"))
            else:
                self.value(ws, row, 5, result.denominator, "cell", "center")
            if result.value is None:
                ws.write_blank(row, 6, None, self.fmt("cell", "center"))
            else:
                ws.write_number(row, 6, float(result.value), self.fmt("cell", "pct", "center"))
            if ind.target is None:
                ws.write_blank(row, 7, None, self.fmt("cell", "center"))
            else:
                sign = COMPARATOR_SIGNS[ind.comparator]
                ws.write_number(
                    row,
                    7,
                    float(ind.target),
                    self.fmt("cell", "center", num_format=f'"{sign} "0.0%'),
                )
            outcome = OUTCOME_LABELS[result.outcome]
            self.text(ws, row, 8, outcome, self.fmt("cell", _OUTCOME_STYLES[result.outcome]))
            self.text(ws, row, 9, result.note, self.fmt("cell"))
            ws.set_row(row, _height([(ind.text, 46), (result.note, 44), (outcome, 15)]))
            row += 1
        ws.repeat_rows(header_row, header_row)
        if not self.c.indicators:
            self.merged(ws, row, 0, last, "Kế hoạch chưa có chỉ tiêu nào.", self.fmt("note"))
            return row + 1
        row += 1
        chart = self.wb.add_chart({"type": "column"})
        font = {"name": "Times New Roman"}
        for col, name, colour in ((6, "Tỉ lệ đạt được", "#4472C4"), (7, "Mức cần đạt", "#A5A5A5")):
            chart.add_series(
                {
                    "name": name,
                    "categories": [SUMMARY_SHEET, first, 2, row - 2, 2],
                    "values": [SUMMARY_SHEET, first, col, row - 2, col],
                    "fill": {"color": colour},
                    "data_labels": {"value": True, "num_format": "0%", "font": font},
                }
            )
        chart.set_title(
            {"name": "Kết quả các chỉ tiêu so với mức cần đạt", "name_font": {**font, "size": 12}}
        )
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
        chart.set_size({"width": 960, "height": 340})
        self.text(ws, row, 0, "III. BIỂU ĐỒ", self.fmt("heading"))
        ws.insert_chart(row + 1, 1, chart, {"x_offset": 4, "y_offset": 4})
        return row + 19

    def signature_block(self, ws: Any, row: int, last: int) -> None:
        settings = self.c.plan.settings
        self.text(ws, row, 0, "Nơi nhận:", self.fmt("bold", "italic"))
        self.merged(ws, row, 6, last, "TM. ỦY BAN NHÂN DÂN", self.fmt("bold_center"))
        receivers = [f"- {settings.report_to};"] if settings.report_to else []
        receivers.append("- Lưu: VT, VHXH.")
        for i, line in enumerate(receivers, start=1):
            self.merged(ws, row + i, 0, 3, line, self.fmt("text"))
        self.merged(ws, row + 1, 6, last, settings.signer_title, self.fmt("bold_center"))
        self.merged(ws, row + 6, 6, last, settings.signer_name, self.fmt("bold_center"))

    # --- Theo thôn ------------------------------------------------------------------
    def villages_sheet(self) -> None:
        ws = self.wb.add_worksheet(VILLAGES_SHEET)
        c = self.c
        fields = [f for f in c.village_fields if f not in c.opinion_fields]
        status = {e.entry.code: e.status for e in c.completeness.entries}
        first_field = len(ENTRY_HEADERS)
        last = first_field + len(fields) - 1
        received = sum(1 for v in c.plan.villages if status[v.code] is not ReportingStatus.MISSING)
        widths = [5, 8, 20, 12, *(_field_width(f) for f in fields)]
        self.sheet_title(
            ws,
            _first_page_span(widths),
            f"SỐ LIỆU THEO THÔN – {c.period.name.upper()}",
            f'{received}/{len(c.plan.villages)} thôn đã nộp báo cáo. Ô "{ERROR_MARK}": giá trị '
            "có lỗi, không được tính (xem trang Lỗi dữ liệu). Dòng Tổng cộng: cộng các cột số; "
            "ở cột Có/Không là số thôn trả lời Có. Ý kiến của các thôn ở trang Ý kiến.",
        )
        header, codes_row = 3, 4
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        for col, label in enumerate(ENTRY_HEADERS):
            # Merged over the label and code rows; merge_range writes no text itself.
            ws.merge_range(header, col, codes_row, col, "", self.fmt("header"))
            ws.write_string(header, col, label, self.fmt("header"))
        for i, f in enumerate(fields):
            ws.write_string(header, first_field + i, f.label, self.fmt("header"))
            ws.write_string(codes_row, first_field + i, f.code, self.fmt("header", "code"))
        ws.set_row(header, _height([(f.label, _field_width(f)) for f in fields], minimum=2))
        row = codes_row + 1
        first = row
        # Whole columns, read once: a lookup per cell is slow over thousands of villages.
        position = {code: i for i, code in enumerate(c.villages.index)}
        columns = {f.code: c.villages[f.code].tolist() for f in fields}
        # Per column, what every cell of it needs, looked up once: a report holds
        # tens of thousands of these cells.
        cells = [
            (first_field + j, f.code, columns[f.code], self.typed(*_cell_styles(f)))
            for j, f in enumerate(fields)
        ]
        entry_cells = self.entry_formats()
        absent, error = self.fmt("cell", "absent"), self.fmt("cell", "error")
        write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
        put = self.put
        for i, entry in enumerate(c.plan.villages, start=1):
            state = status[entry.code]
            self.entry_row(ws, row, i, entry.code, entry.name, state, entry_cells)
            if state is ReportingStatus.MISSING:
                for col, *_ in cells:
                    write_blank(row, col, None, absent)
                row += 1
                continue
            errors = c.errors.get(entry.code)
            at = position[entry.code]
            for col, code, column, typed in cells:
                if errors and code in errors:
                    write_string(row, col, ERROR_MARK, error)
                    continue
                # The two types of nearly every cell written as put() would write them.
                value = column[at]
                kind = type(value)
                if kind is str:
                    write_string(row, col, value, typed.text)
                elif kind is int:
                    write_number(row, col, value, typed.int)
                else:
                    put(ws, row, col, value, typed)
            row += 1
        self.totals_row(ws, row, first, row - 1, fields, c.village_totals, first_field)
        ws.freeze_panes(codes_row + 1, 3)
        if fields:
            ws.autofilter(codes_row, 0, row - 1, last)
        self.page_setup(ws, (header, codes_row), width=sum(widths), fixed_cols=3)

    def entry_formats(self) -> _EntryFormats:
        center = self.typed("cell", "center")
        states = {state: self.fmt("cell", style) for state, style in _REPORTING_STYLES.items()}
        return _EntryFormats(center.int, center.text, self.fmt("cell"), states)

    @staticmethod
    def entry_row(
        ws: Any,
        row: int,
        number: int,
        code: str,
        name: str,
        status: ReportingStatus,
        formats: _EntryFormats,
    ) -> None:
        """Number, code, name and reporting status of a roster entry."""
        ws.write_number(row, 0, number, formats.number)
        ws.write_string(row, 1, code, formats.code)
        ws.write_string(row, 2, name, formats.name)
        ws.write_string(row, 3, REPORTING_LABELS[status], formats.states[status])

    def totals_row(
        self,
        ws: Any,
        row: int,
        first: int,
        last: int,
        fields: Sequence[Field],
        totals: dict[str, int],
        first_field: int,
    ) -> None:
        self.merged(ws, row, 0, first_field - 1, TOTAL_LABEL, self.fmt("cell", "total"))
        for j, f in enumerate(fields):
            col = first_field + j
            if f.type is FieldType.INT:
                self.sum_formula(ws, row, col, first, last, totals[f.code], "cell", "total")
            elif f.type is FieldType.YESNO and last >= first:
                rng = f"{xl_rowcol_to_cell(first, col)}:{xl_rowcol_to_cell(last, col)}"
                ws.write_formula(
                    row,
                    col,
                    f'=COUNTIF({rng},"{YES}")',
                    self.fmt("cell", "total", "int", "center"),
                    totals[f.code],
                )
            elif f.type is FieldType.YESNO:
                ws.write_number(row, col, 0, self.fmt("cell", "total", "int", "center"))
            else:
                ws.write_blank(row, col, None, self.fmt("cell", "total"))

    # --- Theo đơn vị ------------------------------------------------------------------
    def units_sheet(self) -> None:
        ws = self.wb.add_worksheet(UNITS_SHEET)
        c = self.c
        units = c.plan.units
        fields = [f for f in c.unit_fields if f not in c.opinion_fields]
        status = {e.entry.code: e.status for e in c.completeness.entries}
        holds = {u.code: {f.code for f in c.plan.fields_for(u)} for u in units}
        first_unit = 2
        total_col = first_unit + len(units)
        self.sheet_title(
            ws,
            total_col,
            f"SỐ LIỆU THEO ĐƠN VỊ – {c.period.name.upper()}",
            "Mỗi cột là một đơn vị. Ô xám: câu hỏi không có trên biểu mẫu của đơn vị. "
            f'Ô "{ERROR_MARK}": giá trị có lỗi, không được tính. Cột Tổng cộng: cộng các dòng '
            "số; ở dòng Có/Không là số đơn vị trả lời Có. Phần cuối: tình trạng và kết quả thực "
            "hiện từng nhiệm vụ của kế hoạch theo đơn vị chủ trì, phối hợp.",
        )
        ws.set_column(0, 0, 18)
        ws.set_column(1, 1, 44)
        ws.set_column(first_unit, total_col - 1, 16)
        ws.set_column(total_col, total_col, 11)
        header = 3
        self.text(ws, header, 0, "Mã trường", self.fmt("header"))
        self.text(ws, header, 1, "Nội dung", self.fmt("header"))
        for i, unit in enumerate(units):
            self.text(ws, header, first_unit + i, f"{unit.name} ({unit.code})", self.fmt("header"))
        self.text(ws, header, total_col, TOTAL_LABEL, self.fmt("header"))
        ws.set_row(header, _height([(f"{u.name} ({u.code})", 16) for u in units], minimum=2))
        row = header + 1
        self.text(ws, row, 0, "", self.fmt("cell"))
        self.text(ws, row, 1, "Tình hình nộp báo cáo", self.fmt("cell", "bold"))
        for i, unit in enumerate(units):
            state = status[unit.code]
            self.text(
                ws,
                row,
                first_unit + i,
                REPORTING_LABELS[state],
                self.fmt("cell", _REPORTING_STYLES[state]),
            )
        ws.write_blank(row, total_col, None, self.fmt("cell"))
        row += 1
        section = None
        for f in fields:
            if f.section != section:
                section = f.section
                self.merged(ws, row, 0, total_col, section, self.fmt("group"))
                row += 1
            self.text(ws, row, 0, f.code, self.fmt("cell", "code"))
            self.text(ws, row, 1, f.label, self.fmt("cell"))
            texts = []
            for i, unit in enumerate(units):
                col = first_unit + i
                if f.code not in holds[unit.code]:
                    ws.write_blank(row, col, None, self.fmt("cell", "na"))
                elif status[unit.code] is ReportingStatus.MISSING:
                    ws.write_blank(row, col, None, self.fmt("cell", "absent"))
                elif f.code in c.errors.get(unit.code, frozenset()):
                    self.text(ws, row, col, ERROR_MARK, self.fmt("cell", "error"))
                else:
                    value = c.units.at[unit.code, f.code]
                    self.value(ws, row, col, value, *_cell_styles(f))
                    if isinstance(value, str):
                        texts.append((value, 16.0))
            self.unit_total(ws, row, f, first_unit, total_col)
            ws.set_row(row, _height([(f.label, 44), *texts]))
            row += 1
        row = self.task_rows(ws, row + 1, units, first_unit, total_col)
        ws.freeze_panes(header + 1, 2)
        width = 18 + 44 + 16 * len(units) + 11
        self.page_setup(ws, (header, header), width=width, fixed_cols=2)

    def unit_total(self, ws: Any, row: int, f: Field, first: int, total_col: int) -> None:
        rng = f"{xl_rowcol_to_cell(row, first)}:{xl_rowcol_to_cell(row, total_col - 1)}"
        if f.type is FieldType.INT:
            ws.write_formula(
                row,
                total_col,
                f"=SUM({rng})",
                self.fmt("cell", "total", "int"),
                self.c.unit_totals[f.code],
            )
        elif f.type is FieldType.YESNO:
            ws.write_formula(
                row,
                total_col,
                f'=COUNTIF({rng},"{YES}")',
                self.fmt("cell", "total", "int", "center"),
                self.c.unit_totals[f.code],
            )
        else:
            ws.write_blank(row, total_col, None, self.fmt("cell", "total"))

    def task_rows(
        self, ws: Any, row: int, units: Sequence[Any], first_unit: int, total_col: int
    ) -> int:
        by_task: dict[str, dict[str, TaskStatus]] = {}
        for reported in self.c.tasks:
            by_task.setdefault(reported.task, {})[reported.unit] = reported
        if not self.c.plan.tasks:
            return row
        self.merged(ws, row, 0, total_col, "TÌNH TRẠNG THỰC HIỆN NHIỆM VỤ", self.fmt("group"))
        row += 1
        for task in self.c.plan.tasks:
            self.text(ws, row, 0, task.section, self.fmt("cell", "center"))
            self.text(ws, row, 1, task.title, self.fmt("cell"))
            for i, unit in enumerate(units):
                self.task_cell(
                    ws,
                    row,
                    first_unit + i,
                    by_task.get(task.code, {}).get(unit.code),
                    lambda s: s.status,
                )
            ws.write_blank(row, total_col, None, self.fmt("cell", "na"))
            ws.set_row(row, _height([(task.title, 44)], minimum=2))
            row += 1
        self.merged(
            ws, row, 0, total_col, "KẾT QUẢ THỰC HIỆN NHIỆM VỤ (đơn vị tự ghi)", self.fmt("group")
        )
        row += 1
        for task in self.c.plan.tasks:
            self.text(ws, row, 0, task.section, self.fmt("cell", "center"))
            self.text(ws, row, 1, task.title, self.fmt("cell"))
            texts = [(task.title, 44.0)]
            for i, unit in enumerate(units):
                status = by_task.get(task.code, {}).get(unit.code)
                self.task_cell(ws, row, first_unit + i, status, lambda s: s.result, plain=True)
                if status is not None and status.result:
                    texts.append((status.result, 16.0))
            ws.write_blank(row, total_col, None, self.fmt("cell", "na"))
            ws.set_row(row, _height(texts, minimum=2))
            row += 1
        return row

    def task_cell(
        self,
        ws: Any,
        row: int,
        col: int,
        status: TaskStatus | None,
        pick: Any,
        plain: bool = False,
    ) -> None:
        if status is None:
            ws.write_blank(row, col, None, self.fmt("cell", "na"))
            return
        role = TASK_ROLE_LABELS[status.role]
        if not status.reported:
            self.text(ws, row, col, f"{role}: {NOT_REPORTED.lower()}", self.fmt("cell", "absent"))
            return
        if status.error and pick(status) is None:
            self.text(ws, row, col, f"{role}: {ERROR_MARK.lower()}", self.fmt("cell", "error"))
            return
        shown: str | None = pick(status)
        if plain:
            self.text(ws, row, col, shown or "", self.fmt("cell"))
            return
        style = _TASK_STYLES.get(shown or "", "absent")
        self.text(ws, row, col, f"{role}: {shown or 'chưa ghi'}", self.fmt("cell", style))

    # --- Tình hình nộp ------------------------------------------------------------------
    def submissions_sheet(self) -> None:
        ws = self.wb.add_worksheet(SUBMISSIONS_SHEET)
        c = self.c
        done: Completeness = c.completeness
        widths = (5, 8, 24, 9, 11, 34, 16, 16, 34, 8, 10)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        last = len(widths) - 1
        self.sheet_title(
            ws,
            last,
            f"TÌNH HÌNH NỘP BÁO CÁO – {c.period.name.upper()}",
            f"Hạn nộp: {done.deadline:%d/%m/%Y}. Đúng hạn: lần nộp đầu tiên đến trước hoặc trong "
            f"ngày hạn. Phải nộp {done.expected}; đã nộp {done.received}; đúng hạn {done.on_time}; "
            f"muộn {len(done.late)}; chưa nộp {len(done.missing)}.",
        )
        header = 3
        self.headers(ws, header, SUBMISSION_HEADERS)
        ws.set_row(header, 32)
        row = self.roster_rows(ws, header + 1, done)
        ws.autofilter(header, 0, row - 1, last)
        ws.freeze_panes(header + 1, 3)

        # The files used are in the table above: below, only the others and why
        # (a roster of thousands would otherwise list every file twice).
        unused = [s for s in c.submissions if s.status is not SubmissionStatus.USED]
        row += 1
        self.text(ws, row, 0, UNUSED_FILES_HEADING, self.fmt("heading"))
        row += 1
        for header_text, first_col, last_col in FILE_COLUMNS:
            self.merged(ws, row, first_col, last_col, header_text, self.fmt("header"))
        row += 1
        if not unused:
            note = (
                "Mọi tệp trong hộp thư đều được dùng."
                if c.submissions
                else "Hộp thư chưa có tệp nào."
            )
            self.merged(ws, row, 0, last, note, self.fmt("note"))
        self.file_rows(ws, row, unused)
        self.page_setup(ws, (header, header))

    def roster_rows(self, ws: Any, row: int, done: Completeness) -> int:
        """One row per roster entry: its status, the file used, arrivals and problem counts."""
        # Formats and methods looked up once: the roster runs to thousands of rows.
        first = self.entry_formats()
        cell, center = self.typed("cell"), self.typed("cell", "center")
        write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
        put, set_row = self.put, ws.set_row
        for i, e in enumerate(done.entries, start=1):
            entry = e.entry
            write_number(row, 0, i, first.number)
            write_string(row, 1, entry.code, first.code)
            write_string(row, 2, entry.name, first.name)
            write_string(row, 3, KIND_LABELS[entry.kind], center.text)
            write_string(row, 4, REPORTING_LABELS[e.status], first.states[e.status])
            put(ws, row, 5, e.file, cell)
            put(ws, row, 6, e.first_arrival, cell)
            put(ws, row, 7, e.used_arrival, cell)
            superseded = "\n".join(e.superseded)
            if superseded:
                write_string(row, 8, superseded, cell.text)
            else:
                write_blank(row, 8, None, cell.text)
            if e.file:
                put(ws, row, 9, e.errors, center)
                put(ws, row, 10, e.warnings, center)
            else:
                write_blank(row, 9, None, center.text)
                write_blank(row, 10, None, center.text)
            set_row(row, _height([(e.file or "", 34), (superseded, 34), (entry.name, 24)]))
            row += 1
        return row

    def file_rows(self, ws: Any, row: int, files: Sequence[Submission]) -> None:
        """One row per file: its unit, status, period, arrival, replacement."""
        cell, center = self.typed("cell"), self.typed("cell", "center")
        write_string, write_number = ws.write_string, ws.write_number
        put, merged, set_row = self.put, self.merged, ws.set_row
        for i, s in enumerate(files, start=1):
            write_number(row, 0, i, center.int)
            put(ws, row, 1, s.unit, center)
            status_label = SUBMISSION_STATUS_LABELS.get(s.status, str(s.status))
            write_string(row, 2, status_label, cell.text)
            merged(ws, row, 3, 4, s.period or "", center.text)
            write_string(row, 5, s.file, cell.text)
            put(ws, row, 6, s.arrived, cell)
            merged(ws, row, 7, 8, s.superseded_by or "", cell.text)
            set_row(row, _height([(s.file, 34), (s.superseded_by or "", 50)]))
            row += 1

    # --- Lỗi dữ liệu --------------------------------------------------------------------
    def problems_sheet(self) -> None:
        ws = self.wb.add_worksheet(PROBLEMS_SHEET)
        problems = self.c.problems
        widths = (5, 10, 8, 28, 14, 8, 16, 16, 70, 18)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        last = len(widths) - 1
        errors = sum(1 for p in problems if p.severity is Severity.ERROR)
        self.sheet_title(
            ws,
            last,
            f"LỖI VÀ CẢNH BÁO TRONG BÁO CÁO ĐÃ NỘP – {self.c.period.name.upper()}",
            f"{errors} lỗi, {len(problems) - errors} cảnh báo hoặc ghi chú. Giá trị có lỗi không "
            "được tính vào số liệu tổng hợp; hãy đề nghị thôn, đơn vị sửa biểu mẫu và gửi lại.",
        )
        header = 3
        self.headers(ws, header, PROBLEM_HEADERS)
        row = header + 1
        if not problems:
            self.merged(ws, row, 0, last, "Không có lỗi nào.", self.fmt("note"))
        # Formats looked up once: a bad batch of forms makes thousands of rows.
        cell, number_format = self.typed("cell"), self.typed("cell", "center").int
        severities = {
            severity: self.fmt("cell", style)
            for severity, style in ((Severity.ERROR, "not_met"), (Severity.WARNING, "late"))
        }
        other_severity, code_format = self.fmt("cell", "center"), self.fmt("cell", "code")
        write_string, put = ws.write_string, self.put
        for i, p in enumerate(problems, start=1):
            severity = SEVERITY_LABELS.get(p.severity, str(p.severity))
            ws.write_number(row, 0, i, number_format)
            write_string(row, 1, severity, severities.get(p.severity, other_severity))
            for col, item in enumerate(
                (p.unit, p.file, p.sheet, p.cell, p.field, p.value), start=2
            ):
                put(ws, row, col, item, cell)
            write_string(row, 8, p.message, cell.text)
            write_string(row, 9, p.code, code_format)
            ws.set_row(row, _height([(p.message, 70), (p.file or "", 28), (p.value or "", 16)]))
            row += 1
        if problems:
            ws.autofilter(header, 0, row - 1, last)
        ws.freeze_panes(header + 1, 0)
        self.page_setup(ws, (header, header))

    # --- Ý kiến -------------------------------------------------------------------------
    def opinions_sheet(self) -> None:
        ws = self.wb.add_worksheet(OPINIONS_SHEET)
        c = self.c
        fields = c.opinion_fields
        last = 2 + len(fields)
        ws.set_column(0, 0, 5)
        ws.set_column(1, 1, 8)
        ws.set_column(2, 2, 24)
        ws.set_column(3, max(last, 3), 60)
        self.sheet_title(
            ws,
            last,
            f"Ý KIẾN CỦA CÁC THÔN, ĐƠN VỊ – {c.period.name.upper()}",
            "Nguyên văn nội dung các thôn, đơn vị ghi trên biểu mẫu.",
        )
        header = 3
        self.headers(ws, header, ("STT", "Mã", "Thôn / đơn vị", *(f.label for f in fields)))
        ws.set_row(header, 32)
        row = header + 1
        if not c.opinions:
            self.merged(ws, row, 0, last, "Không có ý kiến nào.", self.fmt("note"))
        # Formats looked up once: nearly every village may write an opinion.
        first, cell = self.entry_formats(), self.typed("cell")
        write_string, put = ws.write_string, self.put
        for i, opinion in enumerate(c.opinions, start=1):
            entry = c.plan.entry(opinion.unit)
            texts = dict(opinion.texts)
            ws.write_number(row, 0, i, first.number)
            write_string(row, 1, entry.code, first.code)
            write_string(row, 2, entry.name, first.name)
            for j, f in enumerate(fields):
                put(ws, row, 3 + j, texts.get(f.code), cell)
            ws.set_row(row, _height([(t, 60) for t in texts.values()]))
            row += 1
        ws.freeze_panes(header + 1, 3)
        self.page_setup(ws, (header, header))


def _first_page_span(widths: Sequence[float], page: float = 150) -> int:
    """The last column that still fits on the first printed page of a wide sheet."""
    total = 0.0
    for col, width in enumerate(widths):
        total += width
        if total > page:
            return max(col - 1, 0)
    return len(widths) - 1


def _field_width(f: Field) -> float:
    return {FieldType.INT: 12, FieldType.YESNO: 10, FieldType.STATUS: 14, FieldType.DATE: 12}.get(
        f.type, 24
    )


def _cell_styles(f: Field) -> tuple[str, ...]:
    if f.type in (FieldType.YESNO, FieldType.STATUS, FieldType.DATE, FieldType.INT):
        return ("cell", "center")
    return ("cell",)
