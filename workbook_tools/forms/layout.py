"""Where everything goes on a form: a pure function of the plan, the period and the entry.

:func:`layout_form` decides every row, cell, text, height and validation;
:mod:`workbook_tools.forms.writer` only turns the result into bytes. Keeping
the two apart lets tests check the layout without a workbook, and keeps the
writer free of decisions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from workbook_tools import __version__
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
    row_heights: dict[int, float]  # points; rows not listed keep the default
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

# Row heights are estimated from text length: about one character of 12 pt
# Times New Roman per unit of column width (less in bold, more in 10 pt). The
# estimate errs on the tall side: white space is better than clipped text.
LINE_HEIGHT = 16.0  # points, one line of 12 pt Times New Roman
ROW_PADDING = 4.0
MAX_ROW_HEIGHT = 409.0  # Excel's limit
TALL_TEXT_LINES = 4  # height of a free-text input, in lines
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
        self._lines: dict[tuple[str, int, int, float], int] = {}
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

        def fit(row: int, *cells: tuple[str, int, int, float]) -> None:
            """Make ``row`` tall enough for each (text, first col, last col, chars per unit)."""
            lines = max(self._line_count(t, c0, c1, k) for t, c0, c1, k in cells)
            if lines > 1:
                heights[row] = min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + ROW_PADDING)

        # --- title block: national heading, report name, the contract lines --
        name = entry.name.upper()
        text(0, NUMBER_COL, LABEL_COL, common["agency"], Style.AGENCY)
        text(0, INPUT_COL, LAST_COL, NATION, Style.NATION)
        text(1, NUMBER_COL, LABEL_COL, name, Style.AGENCY)
        text(1, INPUT_COL, LAST_COL, MOTTO, Style.MOTTO)
        fit(1, (name, NUMBER_COL, LABEL_COL, 0.8))
        text(2, NUMBER_COL, LAST_COL, common["title"], Style.TITLE)
        heights[2] = self._line_count(common["title"], NUMBER_COL, LAST_COL, 0.7) * 20.0 + 8
        unit = contract.unit_line(entry)
        text(3, NUMBER_COL, LABEL_COL, unit, Style.IDENTITY)
        text(3, INPUT_COL, LAST_COL, common["period"], Style.IDENTITY)
        fit(3, (unit, NUMBER_COL, LABEL_COL, 0.9), (common["period"], INPUT_COL, LAST_COL, 0.9))
        text(4, NUMBER_COL, LABEL_COL, common["plan"], Style.IDENTITY)
        text(4, INPUT_COL, LAST_COL, common["deadline"], Style.IDENTITY)
        fit(
            4,
            (common["plan"], NUMBER_COL, LABEL_COL, 0.9),
            (common["deadline"], INPUT_COL, LAST_COL, 0.9),
        )
        text(5, NUMBER_COL, LAST_COL, common["guide"], Style.INSTRUCTIONS)
        fit(5, (common["guide"], NUMBER_COL, LAST_COL, 1.0))
        header_row = 6
        for col, column in enumerate(COLUMNS):
            text(header_row, col, col, column.header, Style.HEADER)

        # --- the fields, grouped by the plan's sections; tasks with their text
        tasks = {t.code: t for t in plan.tasks_for(entry)}
        row = header_row + 1
        for heading, fields in self._sections(entry).items():
            text(row, NUMBER_COL, LAST_COL, heading, Style.SECTION)
            fit(row, (heading, NUMBER_COL, LAST_COL, 0.9))
            row += 1
            task = tasks.get(fields[0].task or "")
            if task is not None:
                role, role_note = _task_role(task, entry), _task_role_note(task, entry)
                text(row, NUMBER_COL, LABEL_COL, role, Style.TASK_ROLE)
                text(row, INPUT_COL, LAST_COL, role_note, Style.TASK_TEXT)
                fit(row, (role, NUMBER_COL, LABEL_COL, 0.9), (role_note, INPUT_COL, LAST_COL, 1.2))
                row += 1
                task_text = _task_text(plan, task)
                text(row, LABEL_COL, LAST_COL, task_text, Style.TASK_TEXT)
                fit(row, (task_text, LABEL_COL, LAST_COL, 1.2))
                row += 1
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
            lines = max(
                self._line_count(f.label, LABEL_COL, LABEL_COL, 1.0),
                self._line_count(note, NOTE_COL, NOTE_COL, 1.2),  # 10 pt
            )
            height = min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + ROW_PADDING) if lines > 1 else 0.0
            if tall:  # free text gets room for a few lines
                height = max(height, TALL_TEXT_LINES * LINE_HEIGHT)
            known = (note, _validation(f, self._year), height)
            self._fields[f] = known
        return known

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

    def _line_count(self, text: str, first_col: int, last_col: int, factor: float) -> int:
        key = (text, first_col, last_col, factor)
        count = self._lines.get(key)
        if count is None:
            count = _line_count(text, _width(first_col, last_col) * factor)
            self._lines[key] = count
        return count


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


def _width(first_col: int, last_col: int) -> float:
    return sum(c.width for c in COLUMNS[first_col : last_col + 1])


def _line_count(text: str, chars_per_line: float) -> int:
    """Lines ``text`` takes when wrapped in a cell ``chars_per_line`` characters wide."""
    per_line = max(1, int(chars_per_line))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))
