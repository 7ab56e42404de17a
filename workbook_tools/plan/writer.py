"""Row tables → a plan workbook an officer can edit.

Like an XLSForm: one sheet per part of the plan, bold wrapped headers with the
help as a note, column widths, a frozen header row and a filter, dropdowns
where a column has fixed values, targets shown as percentages, and a first
sheet "Hướng dẫn" explaining how to edit each sheet, with examples. The output
is reproducible: the same tables give the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from workbook_tools.plan.model import (
    COMMUNE_DEADLINE_CONSTANT,
    COMMUNE_FORMS,
    COMMUNE_LEAD,
    END_CONSTANT,
    MONTHS_CONSTANT,
    START_CONSTANT,
    UNIT_DEADLINE_CONSTANT,
    YEAR_CONSTANT,
    Kind,
)
from workbook_tools.plan.schema import (
    GUIDE_SHEET,
    ROSTER_SHEET,
    SETTINGS,
    SETTINGS_SHEET,
    SHEETS,
    Column,
    ColumnKind,
    Sheet,
)
from workbook_tools.plan.tables import CellValue, PlanTables, Table
from workbook_tools.plan.validate import is_percent, parse_percent
from workbook_tools.template_guide import GUIDE_INTRO, GUIDE_TITLE, TAG_GROUPS
from workbook_tools.workspace import write_atomic

FONT = "Times New Roman"
DATE_FORMAT = "dd/mm/yyyy"
PERCENT_FORMAT = "0%"
#: Dropdowns and formats reach this many rows below the data, for rows to come.
SPARE_ROWS = 200
#: Fixed document dates keep the bytes of a rebuilt workbook unchanged.
FIXED_CREATED = datetime(2024, 1, 1)
#: Points per line of 12 pt text, and characters per unit of column width
#: (Times New Roman is narrower than the width unit's reference font).
LINE_HEIGHT = 15.75
CHARS_PER_WIDTH = 1.15

Formats = dict[str, Any]  # xlsxwriter Format objects by role


def write_plan(tables: PlanTables) -> bytes:
    """The plan workbook for ``tables``, as bytes."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            # What the officer typed is data: "=…" is not a formula, "www…" not a link.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_format_properties": {"font_name": FONT, "font_size": 12},
        },
    )
    workbook.set_properties({"title": _title(tables), "created": FIXED_CREATED})
    formats = _formats(workbook)
    _guide(workbook, formats)
    for sheet in SHEETS:
        table = tables.tables.get(sheet.id)
        rows = table.rows if table is not None else []
        _data_sheet(workbook, formats, sheet, table, len(rows))
    workbook.close()
    return protect_underscores(buffer.getvalue())


# OOXML escapes a character as _xHHHH_. LibreOffice also decodes shorter forms
# such as the "_xa_" in "tt_mang_xa_hoi" (read as a line break), which XlsxWriter
# leaves alone. Escaping the underscore (_x005F_) keeps the text intact in
# Excel, LibreOffice, openpyxl and calamine alike.
_SHORT_ESCAPE = re.compile(rb"_x([0-9A-Fa-f]{1,3})_")
_TEXT_PARTS = re.compile(r"^xl/(sharedStrings|comments\d*)\.xml$")


def protect_underscores(xlsx: bytes) -> bytes:
    """``xlsx`` with every "_x…_" look-alike in its text escaped, the zip otherwise unchanged."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if _TEXT_PARTS.match(info.filename):
                data = _SHORT_ESCAPE.sub(rb"_x005F_x\1_", data)
            target.writestr(info, data)
    return out.getvalue()


def write_plan_file(tables: PlanTables, path: Path) -> None:
    """Write the plan workbook to ``path`` whole or not at all."""
    write_atomic(path, write_plan(tables))


def _title(tables: PlanTables) -> str:
    settings = tables.tables.get(SETTINGS_SHEET.id)
    if settings is not None:
        for row in settings.rows:
            if row.value("key") == "plan_title":
                return str(row.value("value") or "")
    return ""


def _formats(workbook: Any) -> Formats:
    base = {"font_name": FONT, "font_size": 12, "valign": "top"}
    return {
        "header": workbook.add_format(
            {**base, "bold": True, "text_wrap": True, "bg_color": "#DDEBF7", "border": 1}
        ),
        "text": workbook.add_format({**base, "text_wrap": True}),
        "code": workbook.add_format({**base, "num_format": "@"}),
        "int": workbook.add_format({**base, "num_format": "0"}),
        "date": workbook.add_format({**base, "num_format": DATE_FORMAT, "align": "left"}),
        "percent": workbook.add_format({**base, "num_format": PERCENT_FORMAT}),
        "formula": workbook.add_format({**base, "text_wrap": True, "font_name": FONT}),
        "title": workbook.add_format({**base, "bold": True, "font_size": 14}),
        "heading": workbook.add_format({**base, "bold": True, "font_color": "#1F4E79"}),
        "link": workbook.add_format(
            {**base, "bold": True, "font_color": "#1F4E79", "underline": 1}
        ),
        "bold": workbook.add_format({**base, "bold": True, "text_wrap": True}),
    }


def _fit_row(ws: Any, row: int, cells: list[tuple[str, float]]) -> None:
    """Set a row tall enough for its wrapped text.

    Excel grows such rows on its own; LibreOffice and WPS keep the default
    height and hide the text, so the height is written out.
    """
    lines = 1
    for text, width in cells:
        per_line = max(int(width * CHARS_PER_WIDTH), 1)
        count = sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))
        lines = max(lines, count)
    if lines > 1:
        ws.set_row(row, LINE_HEIGHT * lines)


def _print_setup(ws: Any) -> None:
    """Printed on A4 landscape, one page wide: officers print the plan to review it."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _cell_format(column: Column) -> str:
    return {
        ColumnKind.INT: "int",
        ColumnKind.DATE: "date",
        ColumnKind.PERCENT: "percent",
        ColumnKind.CODE: "code",
        ColumnKind.FORMULA: "formula",
    }.get(column.kind, "text")


def _data_sheet(
    workbook: Any, formats: Formats, sheet: Sheet, table: Table | None, count: int
) -> None:
    ws = workbook.add_worksheet(sheet.name)
    last_row = count + SPARE_ROWS
    for col, column in enumerate(sheet.columns):
        ws.set_column(col, col, column.width, formats[_cell_format(column)])
        ws.write_string(0, col, column.header, formats["header"])
        note = column.help or column.expected()
        if column.required:
            note = f"Bắt buộc. {note}"
        ws.write_comment(0, col, note, {"x_scale": 2, "y_scale": 1.5, "font_name": FONT})
        _validation(ws, sheet, column, col, last_row)
    ws.set_row(0, 36)
    _print_setup(ws)
    ws.repeat_rows(0)
    ws.freeze_panes(1, 1 if sheet is not SETTINGS_SHEET else 0)
    ws.autofilter(0, 0, max(count, 1), len(sheet.columns) - 1)
    if table is None:
        return
    labels = {s.key: s.label for s in SETTINGS}
    kinds = {s.key: s.kind for s in SETTINGS}
    for index, row in enumerate(table.rows, start=1):
        for col, column in enumerate(sheet.columns):
            value = row.value(column.id)
            kind = column.kind
            if sheet is SETTINGS_SHEET:
                key = str(row.value("key") or "")
                if column.id == "label" and value is None:
                    value = labels.get(key)
                if column.id == "value":
                    kind = kinds.get(key, ColumnKind.TEXT)
            _write(ws, formats, index, col, value, kind)
        _fit_row(
            ws,
            index,
            [
                (str(row.value(c.id) or ""), c.width)
                for c in sheet.columns
                if c.kind in (ColumnKind.TEXT, ColumnKind.FORMULA)
            ],
        )


def _write(
    ws: Any, formats: Formats, row: int, col: int, value: CellValue, kind: ColumnKind
) -> None:
    if value is None:
        return
    if kind is ColumnKind.DATE and isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), formats["date"])
    elif kind is ColumnKind.PERCENT:
        # A count's target (12, "12,5": no %) stays as typed; a percentage shows as one.
        fraction = parse_percent(value) if is_percent(value) else None
        if isinstance(value, int) and fraction is None:
            ws.write_number(row, col, value, formats["int"])
        elif fraction is None:
            ws.write_string(row, col, str(value), formats["text"])
        else:
            ws.write_number(row, col, float(fraction), formats["percent"])
    elif isinstance(value, int | float) and kind in (ColumnKind.INT, ColumnKind.TEXT):
        ws.write_number(row, col, value, formats["int"])
    else:
        ws.write_string(row, col, str(value), formats["text"])


def _validation(ws: Any, sheet: Sheet, column: Column, col: int, last_row: int) -> None:
    """A dropdown where the column has fixed values; the lead picks from the roster."""
    options: dict[str, Any]
    message = ""
    if column.choices:
        options = {"validate": "list", "source": list(column.choices)}
    elif sheet.id == "tasks" and column.id == "lead":
        letter = "A"  # the roster's code column (schema order)
        source = f"='{ROSTER_SHEET.name}'!${letter}$2:${letter}${last_row + 1}"
        options = {"validate": "list", "source": source}
        # Not in the list, and allowed: the UBND xã itself (a warning, not a stop).
        message = (
            f"Hãy chọn mã một đơn vị trong trang Danh sách, hoặc ghi {COMMUNE_LEAD} nếu "
            f"{COMMUNE_LEAD} chủ trì nhiệm vụ."
        )
    elif column.kind is ColumnKind.INT:
        options = {"validate": "integer", "criteria": ">=", "value": 0}
    elif column.kind is ColumnKind.DATE:
        options = {
            "validate": "date",
            "criteria": "between",
            "minimum": datetime(2000, 1, 1),
            "maximum": datetime(2100, 12, 31),
        }
    else:
        return
    options.update(
        {
            "error_title": column.header,
            "error_message": message or f"Hãy nhập {column.expected()}.",
            "error_type": "stop" if column.choices else "warning",
        }
    )
    ws.data_validation(1, col, last_row, col, options)


# --- Hướng dẫn ---------------------------------------------------------------------

_INTRO = (
    "Tệp này là kế hoạch ở dạng bảng tính: ai báo cáo, báo cáo kỳ nào, biểu mẫu hỏi gì và "
    "các chỉ tiêu cần đạt. Mỗi trang dưới đây là một phần của kế hoạch. Chỉ sửa nội dung "
    "từ dòng 2 trở xuống; không đổi tên trang và tên cột ở dòng tiêu đề. Di chuột vào tên "
    "cột để xem cách nhập. Sửa xong, lưu tệp dạng .xlsx rồi chạy lệnh: wbt plan check — "
    "lệnh này báo mọi chỗ sai, kèm ô và cách sửa."
)

_FORMULA_LINES = (
    ("So sánh", "=  <>  <  <=  >  >=   (ví dụ: so_da_kiem_tra <= so_co_so)"),
    ("Nối điều kiện", "AND, OR, NOT và dấu ngoặc ( )"),
    ("Phép tính", "+  -  *  /"),
    ("Chữ", 'đặt trong dấu nháy kép, có dấu: "Có", "Không", "Hoàn thành"'),
    ("Số thập phân", "dùng dấu chấm: 0.5"),
    ("COUNT(phạm vi)", "đếm mọi thôn, đơn vị trong phạm vi, dù đã nộp hay chưa: COUNT(thon)"),
    (
        "COUNT(phạm vi: điều kiện)",
        'đếm những nơi đã nộp và thỏa điều kiện: COUNT(thon: co_ke_hoach = "Có")',
    ),
    ("SUM(mã trường)", "cộng giá trị đã nộp của mọi nơi có trường đó: SUM(so_co_so)"),
    ("SUM(phạm vi: biểu thức)", "cộng trong một phạm vi: SUM(thon: so_buoi)"),
    ("EMPTY(mã trường)", "đúng khi ô để trống: NOT EMPTY(so_ke_hoach)"),
    ("YEAR(ngày)", f"năm của một ngày: YEAR(ngay_lap) = {YEAR_CONSTANT}"),
    ("DATE(năm, tháng, ngày)", f"một ngày: ngay_quyet_dinh <= DATE({YEAR_CONSTANT}, 3, 31)"),
    ("MONTH(ngày), QUARTER(ngày)", "tháng (1–12), quý (1–4) của một ngày: "
     f"QUARTER(ngay_quyet_dinh) = QUARTER({START_CONSTANT})"),
    ("DAYS(ngày sau, ngày trước)", "số ngày từ ngày trước đến ngày sau, như hàm DAYS của Excel: "
     f"DAYS({UNIT_DEADLINE_CONSTANT}, ngay_lap) >= 0 (nộp không muộn hơn hạn)"),
    ("IF(điều kiện, a, b)", "a khi điều kiện đúng, b khi sai; a và b cùng loại: "
     "SUM(thon: IF(so_buoi > 10, 1, 0))"),
    ("MIN(a, b, …), MAX(a, b, …)", "số (hoặc ngày) nhỏ nhất, lớn nhất: "
     "so_da_kiem_tra <= MIN(so_co_so, 100)"),
    ("x IN (a, b, …)", 'x bằng một trong các giá trị: xep_loai IN ("Tốt", "Khá"); '
     'x NOT IN (…) là ngược lại'),
    (
        "Ô để trống",
        "So sánh với ô để trống không đúng cũng không sai, nên quy tắc không báo lỗi: "
        "so_da_kiem_tra <= so_co_so bỏ qua biểu mẫu để trống một trong hai ô; một phép tính, MIN, "
        "MAX, DAYS, MONTH có ô trống cũng không có kết quả. Muốn bắt buộc nhập thì dùng EMPTY: "
        "bắt buộc ghi ô này khi ô kia đã điền là Khi = NOT EMPTY(so_da_kiem_tra), Điều kiện = "
        "NOT EMPTY(so_co_so).",
    ),
    (
        "Phạm vi",
        f"{Kind.VILLAGE} (mọi thôn), {Kind.UNIT} (mọi đơn vị), tatca (tất cả) hoặc mã một "
        "thôn, đơn vị trong trang Danh sách",
    ),
    (
        "Hằng số",
        f"{MONTHS_CONSTANT}: số tháng của kỳ báo cáo; {YEAR_CONSTANT}: năm của kế hoạch; "
        f"{START_CONSTANT}, {END_CONSTANT}: ngày đầu, ngày cuối của kỳ; "
        f"{UNIT_DEADLINE_CONSTANT}: hạn thôn, đơn vị nộp; {COMMUNE_DEADLINE_CONSTANT}: hạn xã "
        "báo cáo (trang Kỳ báo cáo). Một quy tắc dùng cho mọi kỳ, ví dụ "
        f"ngay_lap >= {START_CONSTANT}",
    ),
    (
        "Mức cần đạt",
        "Tỉ lệ (có mẫu số): 95%, có thể trên 100% (tăng 10% là 110%). Số đếm (để trống mẫu "
        "số): ghi số, không có %, ví dụ 12 cho 'ít nhất 12 buổi'.",
    ),
    (
        "Số thập phân, tiền, lựa chọn",
        "Trường kiểu decimal và money là số (12.5 trong công thức là 12,5); kiểu choice so "
        'sánh với chữ của lựa chọn: xep_loai = "Tốt".',
    ),
    (
        "Quy tắc và chỉ tiêu",
        "Quy tắc (trang Quy tắc) xét từng biểu mẫu, không dùng COUNT/SUM. Chỉ tiêu (trang Chỉ "
        "tiêu) tính trên nhiều thôn, đơn vị nên mã trường phải nằm trong COUNT hoặc SUM. "
        "Không gõ dấu = ở đầu công thức.",
    ),
    (
        f"Quy tắc của cả xã (Biểu mẫu {COMMUNE_FORMS})",
        f"Ghi '{COMMUNE_FORMS}' (một mình) ở cột Biểu mẫu của trang Quy tắc để so sánh số liệu "
        "giữa các biểu mẫu: như chỉ tiêu, mã trường nằm trong COUNT hoặc SUM, và kết quả là "
        "một điều kiện: SUM(thon: so_tin_chuyen) <= SUM(CA: so_tin_nhan) (các thôn không "
        "chuyển quá số tin báo Công an xã đã nhận). Quy tắc được kiểm tra một lần khi tổng hợp; "
        "quy tắc sai (cảnh báo hay lỗi theo cột Mức độ) ghi vào trang Lỗi dữ liệu của báo cáo, "
        "kèm các số đã so sánh; còn nơi chưa nộp hay để trống ô cần cho quy tắc thì chưa kiểm "
        "tra, có ghi chú.",
    ),
)


def _guide(workbook: Any, formats: Formats) -> None:
    ws = workbook.add_worksheet(GUIDE_SHEET)
    widths = (30, 11, 95)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width, formats["text"] if col == 2 else None)
    ws.hide_gridlines(2)
    _print_setup(ws)
    row = 0

    def line(first: str, second: str, third: str, first_format: str = "bold") -> None:
        nonlocal row
        ws.write_string(row, 0, first, formats[first_format])
        ws.write_string(row, 1, second, formats["text"])
        ws.write_string(row, 2, third, formats["text"])
        _fit_row(ws, row, [(first, widths[0]), (third, widths[2])])
        row += 1

    ws.write_string(row, 0, "HƯỚNG DẪN SỬA TỆP KẾ HOẠCH", formats["title"])
    row += 2
    ws.merge_range(row, 0, row, 2, _INTRO, formats["text"])
    _fit_row(ws, row, [(_INTRO, sum(widths))])
    row += 2
    for sheet in SHEETS:
        ws.write_url(row, 0, f"internal:'{sheet.name}'!A1", formats["link"], f"Trang {sheet.name}")
        ws.write_string(row, 2, sheet.help, formats["text"])
        _fit_row(ws, row, [(sheet.help, widths[2])])
        row += 1
        for col, header in enumerate(("Cột", "Bắt buộc", "Cách nhập")):
            ws.write_string(row, col, header, formats["header"])
        row += 1
        for column in sheet.columns:
            expected = column.expected()
            how = expected[0].upper() + expected[1:] + "."
            if column.help:
                how = column.help if column.kind is ColumnKind.TEXT else f"{column.help} {how}"
            line(column.header, "Có" if column.required else "", how)
        if sheet is SETTINGS_SHEET:
            for setting in SETTINGS:
                line(setting.key, "Có" if setting.required else "", setting.label, "code")
        if sheet.example:
            line("Ví dụ", "", sheet.example)
        row += 1
    ws.write_string(row, 0, "CÁCH VIẾT CÔNG THỨC", formats["heading"])
    row += 1
    line(
        "Dùng ở đâu",
        "",
        "Trang Quy tắc (cột Khi, Điều kiện) và trang Chỉ tiêu (cột Tử số, Mẫu số). Công thức "
        "viết bằng mã trường (trang Trường dữ liệu), không phải công thức Excel.",
    )
    for name, text in _FORMULA_LINES:
        line(name, "", text)
    row += 1
    # The Word report's template (templates/mau_bao_cao.docx): every tag it may use.
    ws.write_string(row, 0, GUIDE_TITLE.upper(), formats["heading"])
    row += 1
    for paragraph in GUIDE_INTRO:
        ws.merge_range(row, 0, row, 2, paragraph, formats["text"])
        _fit_row(ws, row, [(paragraph, sum(widths))])
        row += 1
    for group in TAG_GROUPS:
        ws.merge_range(row, 0, row, 2, group.heading, formats["bold"])
        _fit_row(ws, row, [(group.heading, sum(widths))])
        row += 1
        for tag, what in group.tags:
            line(tag, "", what, "code")
    ws.activate()
