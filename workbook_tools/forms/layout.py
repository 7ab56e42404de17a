"""Where everything goes on a form: a pure function of the plan, the period and the entry.

:func:`layout_form` decides every row, cell, text, height and validation;
:mod:`workbook_tools.forms.writer` only turns the result into bytes. Keeping
the two apart lets tests check the layout without a workbook, and keeps the
writer free of decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from workbook_tools import __version__, textfit
from workbook_tools.forms import contract
from workbook_tools.plan.model import (
    ALL_FORMS,
    COMMUNE_LEAD,
    FIELD_TYPE_LABELS,
    STATUS_VALUES,
    TASK_ROLE_LABELS,
    Field,
    FieldType,
    Plan,
    RosterEntry,
    Task,
    TaskRole,
)
from workbook_tools.values import CELL_CHARS


class Style(StrEnum):
    """How a text cell looks; the writer maps each to one format."""

    AGENCY = "agency"  # top left: the commune and the reporting unit
    NATION = "nation"  # top right: the national name
    MOTTO = "motto"  # under it: "Độc lập - Tự do - Hạnh phúc"
    TITLE = "title"  # the report's name
    IDENTITY = "identity"  # the contract lines: unit, period, plan, deadline
    INSTRUCTIONS = "instructions"
    HEADER = "header"  # the table's column headings
    SECTION = "section"  # a heading of the plan's sections
    TASK_TEXT = "task_text"  # the plan's words of a task; who leads, advises, supports, when
    TASK_ROLE = "task_role"  # "Vai trò: Tham mưu": the role the form's unit holds in a task
    LABEL = "label"
    NOTE = "note"  # how to fill the input


class ValidationKind(StrEnum):
    WHOLE = "whole"
    DECIMAL = "decimal"
    LIST = "list"
    DATE = "date"
    LENGTH = "length"


@dataclass(frozen=True, slots=True)
class Validation:
    """A data validation, in spreadsheet terms. Hashable: equal ones share one rule."""

    kind: ValidationKind
    criteria: str  # "between" or ">="
    minimum: int | date | None
    maximum: int | date | None
    choices: tuple[str, ...]
    input_title: str  # ≤ 32 characters (Excel's limit)
    input_message: str  # ≤ 255 characters
    error_title: str
    error_message: str


@dataclass(frozen=True, slots=True)
class Column:
    width: float  # in Excel's character units
    header: str


@dataclass(frozen=True, slots=True)
class TextCell:
    """A text on the main sheet; merged across columns when ``last_col > col``."""

    row: int  # 0-based
    col: int
    last_col: int
    text: str
    style: Style


@dataclass(frozen=True, slots=True)
class NumberCell:
    """The running number of an input row (column "STT")."""

    row: int
    col: int
    value: int


@dataclass(frozen=True, slots=True)
class InputCell:
    """One input: an unlocked cell named after its field."""

    row: int
    col: int
    field: Field
    ref: str  # "'Báo cáo'!$C$14"
    validation: Validation


@dataclass(frozen=True, slots=True)
class FormLayout:
    main_sheet: str
    meta_sheet: str
    columns: tuple[Column, ...]
    header_row: int  # the table's heading row: repeated on every printed page
    freeze_row: int  # first row that scrolls
    texts: tuple[TextCell, ...]
    numbers: tuple[NumberCell, ...]
    inputs: tuple[InputCell, ...]
    row_heights: dict[int, float]  # points, every row of the sheet's text
    page_breaks: tuple[int, ...]  # rows that start a printed page (after the first)
    metadata: contract.FormMetadata
    title: str  # document properties
    subject: str
    author: str
    generated_at: datetime


# Columns: number, label, input, how to fill it. Widths keep the table inside
# an A4 page at about 90 % when printed fit-to-width.
COLUMNS = (
    Column(5, "STT"),
    Column(50, "Nội dung"),
    Column(28, "Số liệu, kết quả"),
    Column(30, "Hướng dẫn nhập"),
)
NUMBER_COL, LABEL_COL, INPUT_COL, NOTE_COL = range(4)
LAST_COL = len(COLUMNS) - 1

# Row heights follow the text as printed: each cell's text wrapped at its columns'
# width in its own font (workbook_tools.textfit), the tallest cell setting the row.
FONT_SIZE = 12  # the form's default font: Times New Roman 12 (forms.writer.FONT)
TALL_TEXT_LINES = 4  # height of a free-text input, in lines
#: Each style's font: (size, bold, italic), as forms.writer formats it.
STYLE_FONTS: dict[Style, tuple[float, bool, bool]] = {
    Style.AGENCY: (12, True, False),
    Style.NATION: (12, True, False),
    Style.MOTTO: (12, True, False),
    Style.TITLE: (14, True, False),
    Style.IDENTITY: (12, True, False),
    Style.INSTRUCTIONS: (12, False, True),
    Style.HEADER: (12, True, False),
    Style.SECTION: (12, True, False),
    Style.TASK_TEXT: (12, False, False),
    Style.TASK_ROLE: (12, True, False),
    Style.LABEL: (12, False, False),
    Style.NOTE: (10, False, True),
}
#: The printed page: A4 portrait less the margins (forms.writer), in points.
PAGE_WIDTH = 595.28 - (0.6 + 0.4) * 72
PAGE_HEIGHT = 841.89 - (0.6 + 0.6) * 72
#: Part of a page kept free of rows, for the difference between Excel's and
#: LibreOffice's rounding of the scale and the heights.
PAGE_SAFETY = 0.05
#: Free text longer than this gets a tall, wrapped input cell.
SHORT_TEXT = 255
#: Excel's limit on a cell's text: the length rule of a text without its own limit.

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
INSTRUCTIONS = (
    "Hướng dẫn: chỉ nhập vào các ô màu vàng ở cột “{input}” (các ô khác đã khóa); "
    "cách nhập từng ô ghi ở cột “{note}”. Số liệu là số nguyên, nhập 0 nếu không có. "
    "Không đổi tên trang tính, không xóa dòng; lưu tệp dạng .xlsx và gửi lại đúng tệp này."
)


class FormPlanner:
    """Lays out the forms of one plan and period.

    What every form shares (title lines, each field's note and validation,
    the order of sections) is worked out once, so a roster of thousands
    stays fast.
    """

    def __init__(self, plan: Plan, period_code: str) -> None:
        self.plan = plan
        self.period = plan.period(period_code)
        settings = plan.settings
        self._closing = _closing_sections(plan)
        self._year = settings.year
        self._fields: dict[Field, tuple[str, Validation, float]] = {}
        self._lines: dict[tuple[str, int, int, float, bool, bool], float] = {}
        self._common = {
            "agency": f"UBND XÃ {settings.commune.upper()}",
            "title": settings.report_title.upper(),
            "period": contract.period_line(self.period),
            "plan": contract.plan_line(settings),
            "deadline": contract.deadline_line(self.period, settings),
            "guide": INSTRUCTIONS.format(
                input=COLUMNS[INPUT_COL].header, note=COLUMNS[NOTE_COL].header
            ),
        }
        self._meta = {
            "plan_id": settings.plan_id,
            "plan_version": settings.version,
            "form_version": contract.form_version(settings),
            "period": self.period.code,
            "period_name": self.period.name,
            "tool_version": __version__,
        }

    def layout(self, entry: RosterEntry, generated_at: datetime) -> FormLayout:
        """Lay out ``entry``'s form."""
        plan, common = self.plan, self._common
        texts: list[TextCell] = []
        numbers: list[NumberCell] = []
        inputs: list[InputCell] = []
        heights: dict[int, float] = {}

        def text(row: int, col: int, last_col: int, value: str, style: Style) -> None:
            texts.append(TextCell(row, col, last_col, value, style))

        # --- title block: national heading, report name, the contract lines --
        name = entry.name.upper()
        text(0, NUMBER_COL, LABEL_COL, common["agency"], Style.AGENCY)
        text(0, INPUT_COL, LAST_COL, NATION, Style.NATION)
        text(1, NUMBER_COL, LABEL_COL, name, Style.AGENCY)
        text(1, INPUT_COL, LAST_COL, MOTTO, Style.MOTTO)
        text(2, NUMBER_COL, LAST_COL, common["title"], Style.TITLE)
        unit = contract.unit_line(entry)
        text(3, NUMBER_COL, LABEL_COL, unit, Style.IDENTITY)
        text(3, INPUT_COL, LAST_COL, common["period"], Style.IDENTITY)
        text(4, NUMBER_COL, LABEL_COL, common["plan"], Style.IDENTITY)
        text(4, INPUT_COL, LAST_COL, common["deadline"], Style.IDENTITY)
        text(5, NUMBER_COL, LAST_COL, common["guide"], Style.INSTRUCTIONS)
        header_row = 6
        for col, column in enumerate(COLUMNS):
            text(header_row, col, col, column.header, Style.HEADER)

        # --- the fields, grouped by the plan's sections; tasks with their text
        tasks = {t.code: t for t in plan.tasks_for(entry)}
        row = header_row + 1
        #: A section heading's row → the last row printed on its page with it.
        keep: dict[int, int] = {}
        for heading, fields in self._sections(entry).items():
            heading_row = row
            text(row, NUMBER_COL, LAST_COL, heading, Style.SECTION)
            row += 1
            task = tasks.get(fields[0].task or "")
            if task is not None:
                role, role_note = _task_role(task, entry), _task_role_note(task, entry)
                text(row, NUMBER_COL, LABEL_COL, role, Style.TASK_ROLE)
                text(row, INPUT_COL, LAST_COL, role_note, Style.TASK_TEXT)
                row += 1
                task_text = _task_text(plan, task)
                text(row, LABEL_COL, LAST_COL, task_text, Style.TASK_TEXT)
                row += 1
            keep[heading_row] = row  # the heading keeps with its first field
            for f in fields:
                note, validation, height = self._field(f)
                numbers.append(NumberCell(row, NUMBER_COL, len(inputs) + 1))
                text(row, LABEL_COL, LABEL_COL, f.label, Style.LABEL)
                text(row, NOTE_COL, NOTE_COL, note, Style.NOTE)
                ref = contract.cell_ref(contract.MAIN_SHEET, row, INPUT_COL)
                inputs.append(InputCell(row, INPUT_COL, f, ref, validation))
                if height:
                    heights[row] = height
                row += 1

        for cell in texts:
            size, bold, italic = STYLE_FONTS[cell.style]
            needed = self._height(cell.text, cell.col, cell.last_col, size, bold, italic)
            heights[cell.row] = max(heights.get(cell.row, 0.0), needed)
        breaks = page_breaks(heights, header_row, row, keep)

        metadata = contract.FormMetadata(
            values={
                **self._meta,
                "unit_code": entry.code,
                "unit_name": entry.name,
                "unit_kind": str(entry.kind),
                "generated_at": generated_at.isoformat(timespec="seconds"),
            },
            fields=tuple(
                contract.FieldCell(i.field.code, i.ref, str(i.field.type)) for i in inputs
            ),
        )
        return FormLayout(
            main_sheet=contract.MAIN_SHEET,
            meta_sheet=contract.META_SHEET,
            columns=COLUMNS,
            header_row=header_row,
            freeze_row=header_row + 1,
            texts=tuple(texts),
            numbers=tuple(numbers),
            inputs=tuple(inputs),
            row_heights=heights,
            page_breaks=breaks,
            metadata=metadata,
            title=f"{plan.settings.report_title} - {entry.name} - {self.period.name}",
            subject=plan.settings.plan_title,
            author=f"UBND xã {plan.settings.commune}",
            generated_at=generated_at,
        )

    def _field(self, f: Field) -> tuple[str, Validation, float]:
        """A field's note, validation and row height (0: the default height)."""
        known = self._fields.get(f)
        if known is None:
            note = _note(f)
            tall = f.type is FieldType.TEXT and (f.max_length or CELL_CHARS) > SHORT_TEXT
            height = 0.0
            if tall:  # free text gets room for a few lines
                height = textfit.rows_height(TALL_TEXT_LINES, FONT_SIZE)
            known = (note, _validation(f, self._year), height)
            self._fields[f] = known
        return known

    def fields_in_order(self, entry: RosterEntry) -> tuple[Field, ...]:
        """The fields of ``entry``'s form in the order of its input cells, without
        laying the form out (the inbox needs only the order of repeated labels)."""
        return tuple(f for fields in self._sections(entry).values() for f in fields)

    def _sections(self, entry: RosterEntry) -> dict[str, list[Field]]:
        """The entry's fields by section heading, in form order.

        The plan's sections come in the order of the fields sheet and the task
        sections after them, except that the sections closing the fields sheet
        for every form (difficulties, proposals) stay at the end of the form.
        """
        all_fields = self.plan.fields_for(entry)
        own = [f for f in all_fields if f.task is None]
        ordered = (
            [f for f in own if f.section not in self._closing]
            + [f for f in all_fields if f.task is not None]
            + [f for f in own if f.section in self._closing]
        )
        sections: dict[str, list[Field]] = {}
        for f in ordered:
            sections.setdefault(f.section, []).append(f)
        return sections

    def _height(
        self, text: str, first_col: int, last_col: int, size: float, bold: bool, italic: bool
    ) -> float:
        """The height in points of a row holding ``text`` across the columns given."""
        key = (text, first_col, last_col, size, bold, italic)
        height = self._lines.get(key)
        if height is None:
            width = column_points(first_col, last_col)
            lines = textfit.line_count(text, width, size, bold, italic)
            height = self._lines[key] = textfit.rows_height(lines, size)
        return height


def column_points(first_col: int, last_col: int) -> float:
    """The printed width in points of the form's columns ``first_col``..``last_col``."""
    return sum(textfit.column_points(c.width, FONT_SIZE) for c in COLUMNS[first_col : last_col + 1])


def print_scale() -> float:
    """The scale a form prints at: its columns fitted to the page's width."""
    return min(1.0, PAGE_WIDTH / column_points(0, LAST_COL))


def page_breaks(
    heights: dict[int, float], header_row: int, end: int, keep: dict[int, int]
) -> tuple[int, ...]:
    """The rows that start a printed page: where the rows up to ``end`` (excluded) fill
    a page, the heading row ``header_row`` repeated on each, and before a row of
    ``keep`` (a section heading) that would not print on the same page as the rows
    down to ``keep[row]`` (its first field)."""
    def height(row: int) -> float:
        return heights.get(row, textfit.rows_height(1, FONT_SIZE))

    room = PAGE_HEIGHT / print_scale() * (1 - PAGE_SAFETY)
    above = sum(height(r) for r in range(header_row + 1))
    return textfit.page_starts(height, header_row + 1, end, room, above, height(header_row), keep)


def layout_form(
    plan: Plan, period_code: str, entry: RosterEntry, generated_at: datetime
) -> FormLayout:
    """Lay out ``entry``'s form for the period ``period_code`` (which must be in the plan)."""
    return FormPlanner(plan, period_code).layout(entry, generated_at)


def _closing_sections(plan: Plan) -> set[str]:
    """The trailing sections of the fields sheet whose every field is on every form."""
    for_all = {f.section for f in plan.fields} - {
        f.section for f in plan.fields if ALL_FORMS not in f.forms
    }
    closing: set[str] = set()
    first = plan.fields[0].section if plan.fields else None
    for f in reversed(plan.fields):
        if f.section not in for_all or f.section == first:
            break
        closing.add(f.section)
    return closing


def _task_role(task: Task, entry: RosterEntry) -> str:
    """The role ``entry`` holds in ``task``, as its form shows it: "Vai trò: Tham mưu"."""
    role = task.role_of(entry.code)
    return f"Vai trò: {TASK_ROLE_LABELS[role]}" if role is not None else ""


def _task_role_note(task: Task, entry: RosterEntry) -> str:
    """What the unit in its role reports on the task (beside its role on the form)."""
    role = task.role_of(entry.code)
    if role is TaskRole.LEAD:
        return "Đơn vị chủ trì nhiệm vụ: báo cáo kết quả chung của nhiệm vụ."
    if role is TaskRole.ADVISE and task.lead is None:
        return (
            f"Tham mưu cho {COMMUNE_LEAD} (cơ quan chủ trì, không lập biểu mẫu): báo cáo "
            "kết quả chung của nhiệm vụ."
        )
    if role is TaskRole.ADVISE:
        return "Tham mưu cho đơn vị chủ trì: báo cáo phần việc đơn vị đã thực hiện."
    if role is TaskRole.SUPPORT:
        return "Phối hợp thực hiện: báo cáo phần việc đơn vị đã thực hiện."
    return ""


def _task_text(plan: Plan, task: Task) -> str:
    """The plan's text of a task, then who leads, advises and supports it, and when."""
    lead = COMMUNE_LEAD if task.lead is None else _entry_name(plan, task.lead)
    roles = [f"Chủ trì: {lead}."]
    if task.advisors:
        roles.append(f"Tham mưu: {', '.join(_entry_name(plan, c) for c in task.advisors)}.")
    support = ", ".join(_entry_name(plan, code) for code in task.support) or "không có"
    roles.append(f"Phối hợp: {support}.")
    return (
        f"Nội dung kế hoạch (mục {task.section}): {task.text}\n"
        f"{' '.join(roles)} Thời gian: {task.timeframe}."
    )


def _entry_name(plan: Plan, code: str) -> str:
    try:
        return plan.entry(code).name
    except KeyError:
        return code


def _note(f: Field) -> str:
    """The "how to fill it" column: type and limits, whether required, the plan's help."""
    hint = _type_hint(f)
    # The plan's help may already say it ("Chọn Hoàn thành, …"): do not say it twice.
    parts = [] if hint.casefold() in f.help.casefold() else [hint]
    if f.required:
        parts.append("Bắt buộc nhập.")
    if f.help:
        parts.append(f.help)
    return " ".join(parts)


def _type_hint(f: Field) -> str:
    if f.type is FieldType.INT:
        low = 0 if f.minimum is None else f.minimum
        if f.maximum is None:
            return f"Số nguyên từ {low} trở lên."
        return f"Số nguyên từ {low} đến {f.maximum}."
    if f.type is FieldType.YESNO:
        return "Chọn Có hoặc Không."
    if f.type is FieldType.STATUS:
        return "Chọn " + ", ".join(STATUS_VALUES[:-1]) + f" hoặc {STATUS_VALUES[-1]}."
    if f.type is FieldType.DATE:
        return "Ngày, dạng ngày/tháng/năm (dd/mm/yyyy)."
    if f.type is FieldType.DECIMAL:
        return f"Số từ 0 trở lên, tối đa {f.places} chữ số sau dấu phẩy (ví dụ 12,5)."
    if f.type is FieldType.MONEY:
        return "Số tiền bằng đồng, chỉ gõ chữ số (ví dụ 1500000, hiện là 1.500.000 đ)."
    if f.type is FieldType.CHOICE:
        return "Chọn " + ", ".join(f.choices[:-1]) + f" hoặc {f.choices[-1]}."
    if f.max_length is not None:
        return f"Chữ, tối đa {f.max_length} ký tự."
    return f"{FIELD_TYPE_LABELS[f.type].capitalize()}."


def _validation(f: Field, year: int) -> Validation:
    """The data validation of a field, by type, with Vietnamese messages."""
    if f.type is FieldType.INT:
        low = 0 if f.minimum is None else f.minimum
        if f.maximum is None:
            span, criteria = f"từ {low} trở lên", ">="
        else:
            span, criteria = f"từ {low} đến {f.maximum}", "between"
        return _make(
            ValidationKind.WHOLE,
            criteria,
            low,
            f.maximum,
            (),
            "Nhập số nguyên",
            f"Nhập một số nguyên {span} (nhập 0 nếu không có). Không nhập chữ, dấu chấm, "
            "dấu phẩy hay khoảng trắng.",
            "Số không hợp lệ",
            f"Ô này chỉ nhận số nguyên {span}. Hãy nhập lại, ví dụ 12.",
        )
    if f.type in (FieldType.DECIMAL, FieldType.MONEY):
        return _number_validation(f)
    if f.type in (FieldType.YESNO, FieldType.STATUS, FieldType.CHOICE):
        choices = f.allowed or ()
        listed = ", ".join(choices[:-1]) + f" hoặc {choices[-1]}"
        return _make(
            ValidationKind.LIST,
            "between",
            None,
            None,
            choices,
            "Chọn trong danh sách",
            f"Bấm mũi tên bên phải ô để chọn {listed}.",
            "Giá trị không hợp lệ",
            f"Ô này chỉ nhận {listed}. Hãy chọn trong danh sách (mũi tên bên phải ô).",
        )
    if f.type is FieldType.DATE:
        first, last = date(year - 1, 1, 1), date(year + 1, 12, 31)
        span = f"từ {contract.format_date(first)} đến {contract.format_date(last)}"
        return _make(
            ValidationKind.DATE,
            "between",
            first,
            last,
            (),
            "Nhập ngày",
            f"Nhập ngày dạng ngày/tháng/năm, ví dụ 15/06/{year}, {span}.",
            "Ngày không hợp lệ",
            f"Ô này chỉ nhận một ngày {span}, dạng ngày/tháng/năm (dd/mm/yyyy). Hãy nhập lại.",
        )
    limit = f.max_length or CELL_CHARS
    return _make(
        ValidationKind.LENGTH,
        "between",
        0,
        limit,
        (),
        "Nhập nội dung",
        f"Ghi ngắn gọn, tối đa {limit} ký tự.",
        "Nội dung quá dài",
        f"Nội dung dài quá {limit} ký tự. Hãy viết ngắn lại.",
    )


def _number_validation(f: Field) -> Validation:
    """A decimal or money field: a number from its minimum (0 unless it says) up."""
    low = 0 if f.minimum is None else f.minimum
    if f.maximum is None:
        span, criteria = f"từ {low} trở lên", ">="
    else:
        span, criteria = f"từ {low} đến {f.maximum}", "between"
    if f.type is FieldType.MONEY:
        return _make(
            ValidationKind.WHOLE,
            criteria,
            low,
            f.maximum,
            (),
            "Nhập số tiền (đồng)",
            f"Nhập số tiền bằng đồng {span}, chỉ gõ chữ số, ví dụ 1500000 (nhập 0 nếu không có).",
            "Số tiền không hợp lệ",
            f"Ô này chỉ nhận số tiền bằng đồng {span}, không có phần lẻ. Hãy nhập lại.",
        )
    return _make(
        ValidationKind.DECIMAL,
        criteria,
        low,
        f.maximum,
        (),
        "Nhập số",
        f"Nhập một số {span}, tối đa {f.places} chữ số sau dấu phẩy, ví dụ 12,5 (nhập 0 nếu "
        "không có).",
        "Số không hợp lệ",
        f"Ô này chỉ nhận số {span}. Hãy nhập lại, ví dụ 12,5.",
    )


def _make(
    kind: ValidationKind,
    criteria: str,
    minimum: int | date | None,
    maximum: int | date | None,
    choices: tuple[str, ...],
    input_title: str,
    input_message: str,
    error_title: str,
    error_message: str,
) -> Validation:
    # Excel drops a validation whose title or message is over its limits.
    return Validation(
        kind,
        criteria,
        minimum,
        maximum,
        choices,
        _clip(input_title, 32),
        _clip(input_message, 255),
        _clip(error_title, 32),
        _clip(error_message, 255),
    )


def _clip(text: str, limit: int) -> str:
    # Excel counts UTF-16 units; Vietnamese letters are one unit each.
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    return text[: limit - 1] + "…"
