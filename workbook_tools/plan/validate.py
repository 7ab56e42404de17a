"""Row tables → :class:`Plan`, collecting every problem at once.

One validator for both sources (a plan workbook, the TOML sample). It never
stops at the first problem: each one found is a :class:`Problem` with its sheet
and cell, and all of them are raised together in one :class:`PlanError`, so the
officer fixes the whole workbook in one pass.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workbook_tools import expressions
from workbook_tools.errors import ExpressionError, PlanError
from workbook_tools.expressions import Context
from workbook_tools.plan.model import (
    ALL_FORMS,
    COMMUNE_FORMS,
    COMMUNE_LEAD,
    CONSTANT_TYPES,
    CONSTANTS,
    DEFAULT_CHANGE_FACTOR,
    DEFAULT_OUTLIER_K,
    DEFAULT_OUTLIER_MIN,
    DEFAULT_TIME_ZONE,
    DEFAULT_VILLAGE_LABEL,
    NO,
    TASK_RESULT_FIELD,
    TASK_ROLE_LABELS,
    TASK_STATUS_FIELD,
    YES,
    Comparator,
    Field,
    FieldType,
    Indicator,
    Kind,
    Period,
    Plan,
    RosterEntry,
    Rule,
    Settings,
    Severity,
    Task,
    TaskRole,
    email_addresses,
)
from workbook_tools.plan.relative import EXAMPLES as RELATIVE_EXAMPLES
from workbook_tools.plan.relative import RelativeTarget, looks_relative, parse_relative
from workbook_tools.plan.schema import (
    FIELDS_SHEET,
    INDICATORS_SHEET,
    PERIODS_SHEET,
    ROSTER_SHEET,
    RULES_SHEET,
    SETTINGS,
    SETTINGS_SHEET,
    TASKS_SHEET,
    Column,
    ColumnKind,
    Setting,
    Sheet,
)
from workbook_tools.plan.tables import Cell, CellValue, PlanTables, Row, Table, fold
from workbook_tools.problems import Problem, make
from workbook_tools.values import MAX_DECIMALS, NUMBER_TYPES

#: A units' deadline may fall this many days after its period ends (a report on
#: a whole year is often due early the next month); so may the commune's.
GRACE_DAYS = 60

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
# Field codes become Excel defined names and formula names: lower case ASCII,
# starting with a letter, and not shaped like a cell reference (ab12, r1c1).
_FIELD_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_CELL_LIKE = re.compile(r"^([a-z]{1,3}[0-9]+|r[0-9]*c?[0-9]*|c[0-9]*)$")
#: Longest defined name Excel takes: each input cell of a form is named by its field code.
MAX_FIELD_CODE = 255
#: Names Excel refuses as defined names whatever their case (its boolean values).
_EXCEL_RESERVED_NAMES = frozenset({"true", "false"})
_TASK_CODE = re.compile(r"^[a-z0-9]+$")
_SEPARATORS = re.compile(r"[,;\s]+")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_PERCENT = re.compile(r"^([0-9]+(?:[.,][0-9]+)?)\s*%$")
_DECIMAL = re.compile(r"^[0-9]+(?:[.,][0-9]+)?$")
# Excel's date serial numbers for 1954–2118: a date cell that lost its format.
_SERIAL_RANGE = (20000, 80000)
_EXCEL_EPOCH = date(1899, 12, 30)

_ALIASES: dict[str, dict[str, str]] = {
    # Accept what an officer would naturally type in place of the codes.
    "kind": {"thon": Kind.VILLAGE.value, "donvi": Kind.UNIT.value},
    "severity": {"loi": Severity.ERROR.value, "canhbao": Severity.WARNING.value},
    "comparator": {"≥": Comparator.AT_LEAST.value, "≤": Comparator.AT_MOST.value},
}


def _choice_key(text: str) -> str:
    """How a typed choice is matched: case, spaces and diacritics set aside."""
    return fold(text).replace(" ", "")


@functools.lru_cache(maxsize=64)  # a handful of columns, asked on every row of the roster
def _choice_keys(column: Column) -> dict[str, str]:
    """Each accepted spelling of ``column``'s choices (and aliases) → the choice."""
    keys = dict(_ALIASES.get(column.id, {}))
    keys.update({_choice_key(choice): choice for choice in column.choices})  # choices first
    return keys


_KIND_EXPECTED_EXTRA = {
    "field_code": "một mã chữ thường không dấu, bắt đầu bằng chữ cái, chỉ gồm chữ, số và "
    "dấu '_' (ví dụ so_buoi_hop), không giống địa chỉ ô như ab12",
    "task_code": "một mã chữ thường không dấu, chỉ gồm chữ và số (ví dụ 1a, 3kt)",
    "lead": f"mã một đơn vị trong trang Danh sách, hoặc {COMMUNE_LEAD} khi UBND xã chủ trì",
}

#: How the commune itself may be typed as a task's lead, folded (see _choice_key).
_COMMUNE_KEYS = frozenset({"ubndxa", "uybannhandanxa"})
#: The commune named in a cell of units (folded): "UBND xã", "Ủy ban nhân dân xã".
_COMMUNE_NAMED = re.compile(r"\bubnd ?xa\b|\buy ban nhan dan xa\b")

T = TypeVar("T")


class _Invalid:
    """A cell whose value was reported as invalid (unlike None: an empty cell)."""


_INVALID = _Invalid()

#: What the choices column of a ``choice`` field must hold.
_CHOICES_EXPECTED = (
    "ít nhất hai lựa chọn khác nhau, cách nhau bằng dấu chấm phẩy (ví dụ Tốt; Khá; Trung bình; "
    "Yếu), tổng cộng không quá 250 ký tự"
)
#: Excel keeps a dropdown's list in one formula of at most 255 characters.
_CHOICES_LIMIT = 250


def _fmt_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _suggestion(word: str, candidates: Iterable[str]) -> str:
    found = expressions.suggest(word, list(candidates))
    return "" if found is None else " " + expressions.SUGGESTION.format(name=found)


class _Validator:
    def __init__(self, tables: PlanTables) -> None:
        self.tables = tables
        self.source = tables.source
        self.problems: list[Problem] = list(tables.problems)
        self.warnings: list[Problem] = []  # kept with the plan: they stop nothing
        # Codes of rows that have a problem of their own: a reference to them is
        # not reported again, so one mistake gives one message.
        self.broken_roster: set[str] = set()
        self.broken_fields: set[str] = set()
        # Case-folded codes by (roster, selectors): asked for once per row of
        # the tasks and fields sheets, over a roster of up to thousands.
        self._code_keys: dict[tuple[int, tuple[str, ...]], dict[str, str]] = {}
        self.village_label = DEFAULT_VILLAGE_LABEL  # the settings' village_label, once read
        self.year: int | None = None  # the settings' year, once read
        self.roster_kinds: dict[str, Kind] = {}  # roster code -> kind, once read
        self.field_choices: dict[str, tuple[str, ...]] = {}  # choice fields' values, once read

    # --- reporting ---------------------------------------------------------------
    def report(self, code: str, table: Table, cell: str, **context: Any) -> None:
        self.problems.append(make(code, file=self.source, sheet=table.name, cell=cell, **context))

    def invalid(self, table: Table, cell: Cell, column: Column, expected: str = "") -> None:
        self.report(
            "plan.value_invalid",
            table,
            cell.address,
            value=cell.value,
            header=column.header,
            expected=expected or column.expected(),
        )

    # --- reading one cell --------------------------------------------------------
    def cell(self, table: Table, row: Row, column: Column, expected: str = "") -> Cell | None:
        """The non-empty cell of ``column`` in ``row``; reports a required one left empty."""
        cell = row.cells.get(column.id)
        if cell is None:
            return None  # the column is missing: reported once as a header problem
        if cell.value is None and cell.address in table.formulas:
            self.excel_formula(table, cell, column, expected)
            return None
        if cell.value is None:
            if column.required:
                self.report(
                    "plan.value_missing",
                    table,
                    cell.address,
                    header=column.header,
                    expected=expected or column.expected(),
                )
            return None
        return cell

    def excel_formula(self, table: Table, cell: Cell, column: Column, expected: str) -> None:
        """A cell holding an Excel formula (read as empty: no result, or an error)."""
        formula, error = table.formulas[cell.address]
        shown = f"={formula}" if formula else "(công thức)"
        result = f" (Excel báo lỗi {error})" if error else " (chưa có kết quả)"
        if column.kind is ColumnKind.FORMULA:
            how = (
                "gõ lại công thức của kế hoạch không có dấu = ở đầu"
                + (f": {formula}" if formula else "")
                + " (xem trang Hướng dẫn)"
            )
        else:
            how = f"xóa công thức và gõ thẳng vào ô {expected or column.expected()}"
        self.report(
            "plan.cell_formula",
            table,
            cell.address,
            header=column.header,
            formula=shown,
            result=result,
            how=how,
        )

    def read(
        self,
        table: Table,
        row: Row,
        column_id: str,
        parse: Callable[[CellValue], T | None],
        expected: str = "",
        column: Column | None = None,
    ) -> T | None:
        column = column or table.sheet.column(column_id)
        cell = self.cell(table, row, column, expected)
        if cell is None:
            return None
        parsed = parse(cell.value)
        if parsed is None:
            self.invalid(table, cell, column, expected)
        return parsed

    def text(self, table: Table, row: Row, column_id: str, column: Column | None = None) -> str:
        return self.read(table, row, column_id, _parse_text, column=column) or ""

    def code(self, table: Table, row: Row, column_id: str = "code") -> str | None:
        expected = ""
        value = row.value(column_id)
        if value is not None and _parse_code(value) is None:
            ascii_code = _ascii_code(str(value), keep_case=True)
            if ascii_code and _CODE.match(ascii_code):
                expected = f"một mã không dấu, không khoảng trắng như '{ascii_code}'"
        return self.read(table, row, column_id, _parse_code, expected)

    def choice(self, table: Table, row: Row, column_id: str) -> str | None:
        column = table.sheet.column(column_id)
        keys = _choice_keys(column)

        def parse(value: CellValue) -> str | None:
            return keys.get(_choice_key(str(value)))

        return self.read(table, row, column_id, parse)

    def codes(self, table: Table, row: Row, column_id: str) -> tuple[Cell, list[str]] | None:
        column = table.sheet.column(column_id)
        cell = self.cell(table, row, column)
        if cell is None:
            return None
        return cell, [c for c in _SEPARATORS.split(str(cell.value)) if c]

    # --- the sheets --------------------------------------------------------------
    def table(self, sheet: Sheet) -> Table | None:
        return self.tables.tables.get(sheet.id)

    def rows(self, sheet: Sheet, what: str = "") -> tuple[Table | None, list[Row]]:
        table = self.table(sheet)
        if table is None:
            return None, []
        if what and not table.rows:
            self.problems.append(
                make("plan.sheet_empty", file=self.source, sheet=table.name, what=what)
            )
        return table, table.rows

    def unique(self, table: Table, row: Row, code: str, seen: dict[str, str]) -> bool:
        """Record ``code``; report it if an earlier row has it (case-insensitively)."""
        key = code.casefold()
        address = table.address(table.sheet.key, row.number)
        if key in seen:
            self.report("plan.duplicate_code", table, address, value=code, other=seen[key])
            return False
        seen[key] = address
        return True

    def settings(self) -> Settings | None:
        table = self.table(SETTINGS_SHEET)
        if table is None:
            return None
        by_key = {s.key: s for s in SETTINGS}
        values: dict[str, object] = {}
        seen: dict[str, str] = {}
        for row in table.rows:
            key = self.code(table, row, "key")
            if key is None or not self.unique(table, row, key, seen):
                continue
            setting = by_key.get(key) or by_key.get(key.casefold())
            if setting is None:
                self.report(
                    "plan.setting_unknown",
                    table,
                    table.address("key", row.number),
                    value=key,
                    suggestion=_suggestion(key, by_key),
                )
                continue
            values[setting.key] = self.setting_value(table, row, setting)
        missing = [s for s in SETTINGS if s.key not in values and s.required]
        for setting in missing:
            self.problems.append(
                make(
                    "plan.setting_missing",
                    file=self.source,
                    sheet=table.name,
                    key=setting.key,
                    label=setting.label,
                )
            )
        if missing or any(values.get(s.key) is _INVALID for s in SETTINGS):
            return None
        year = values.get("year")
        plan_date = values.get("plan_date")
        if isinstance(values.get("village_label"), str):
            self.village_label = _label_word(values["village_label"]) or DEFAULT_VILLAGE_LABEL
        if not isinstance(year, int):
            return None
        return Settings(
            plan_id=str(values["plan_id"]),
            version=str(values["version"]),
            year=year,
            commune=str(values["commune"]),
            district=str(values.get("district") or ""),
            province=str(values["province"]),
            report_to=str(values["report_to"]),
            plan_number=str(values.get("plan_number") or ""),
            plan_date=plan_date if isinstance(plan_date, date) else None,
            plan_title=str(values["plan_title"]),
            report_title=str(values["report_title"]),
            signer_title=str(values["signer_title"]),
            signer_name=str(values.get("signer_name") or ""),
            time_zone=str(values.get("time_zone") or DEFAULT_TIME_ZONE),
            village_label=_label_word(values.get("village_label")) or DEFAULT_VILLAGE_LABEL,
            archive=str(values.get("archive") or ""),
            outlier_k=_setting(values, "outlier_k", DEFAULT_OUTLIER_K),
            outlier_min=_setting(values, "outlier_min", DEFAULT_OUTLIER_MIN),
            change_factor=_setting(values, "change_factor", DEFAULT_CHANGE_FACTOR),
            sender_email=str(values.get("sender_email") or "").strip(),
        )

    def setting_value(self, table: Table, row: Row, setting: Setting) -> object:
        base = SETTINGS_SHEET.column("value")
        column = Column(base.id, base.header, setting.kind, setting.required)
        expected = f"{column.expected()} ({setting.label})"
        parsers: dict[ColumnKind, Callable[[CellValue], object | None]] = {
            ColumnKind.CODE: _parse_code,
            ColumnKind.INT: self._year if setting.key == "year" else _parse_int,
            ColumnKind.TEXT: _parse_time_zone if setting.key == "time_zone" else _parse_text,
            ColumnKind.DATE: _parse_date,
        }
        parse = parsers.get(setting.kind, _parse_text)
        if setting.key in _THRESHOLD_SETTINGS:
            parse, what = _THRESHOLD_SETTINGS[setting.key]
            expected = f"{what} ({setting.label})"
        cell = self.cell(table, row, column, expected)
        if cell is None:
            return _INVALID if setting.required else None
        parsed = parse(cell.value)
        if parsed is None:
            self.invalid(table, cell, column, expected)
            return _INVALID
        return parsed

    def _year(self, value: CellValue) -> int | None:
        year = _parse_year(value)
        if year is not None:
            self.year = year
        return year

    def periods(self) -> list[Period]:
        table, rows = self.rows(PERIODS_SHEET, "kỳ báo cáo")
        if table is None:
            return []
        out: list[Period] = []
        seen: dict[str, str] = {}
        spans: dict[tuple[date, date], tuple[str, str]] = {}  # dates -> (period, cell)
        for row in rows:
            code = self.code(table, row)
            if code is not None:
                self.unique(table, row, code, seen)
            name = self.text(table, row, "name")
            months = self.read(table, row, "months", _parse_months)
            dates = {
                cid: self.read(table, row, cid, _parse_date)
                for cid in ("start", "end", "unit_deadline", "commune_deadline")
            }
            if code is None or not name or months is None:
                continue
            start, end = dates["start"], dates["end"]
            unit, commune = dates["unit_deadline"], dates["commune_deadline"]
            if start is None or end is None or unit is None or commune is None:
                continue
            if not self.period_dates(table, row, code, months, start, end, unit, commune):
                continue
            if not self.period_in_year(table, row, code, start, end):
                continue
            address = table.address("code", row.number)
            if (start, end) in spans:
                other, other_cell = spans[(start, end)]
                self.report(
                    "plan.period_same_dates",
                    table,
                    address,
                    period=code,
                    other=other,
                    other_cell=other_cell,
                    start=_fmt_date(start),
                    end=_fmt_date(end),
                )
                continue
            spans[(start, end)] = (code, address)
            out.append(Period(code, name, months, start, end, unit, commune))
        return out

    def period_in_year(self, table: Table, row: Row, code: str, start: date, end: date) -> bool:
        """A period lies in the plan's year (one copied from last year's plan does not)."""
        if self.year is None or start.year == end.year == self.year:
            return True
        cid = "start" if start.year != self.year else "end"
        self.report(
            "plan.period_other_year",
            table,
            table.address(cid, row.number),
            period=code,
            start=_fmt_date(start),
            end=_fmt_date(end),
            year=self.year,
        )
        return False

    def period_dates(
        self,
        table: Table,
        row: Row,
        code: str,
        months: int,
        start: date,
        end: date,
        unit: date,
        commune: date,
    ) -> bool:
        def dates_problem(reason: str) -> None:
            self.problems.append(
                make(
                    "plan.period_dates",
                    file=self.source,
                    sheet=table.name,
                    cell=table.address("code", row.number),
                    period=code,
                    row=row.number,
                    reason=reason,
                )
            )

        if end < start:
            dates_problem(f"ngày kết thúc {_fmt_date(end)} ở trước ngày bắt đầu {_fmt_date(start)}")
            return False
        span = (end.year - start.year) * 12 + end.month - start.month + 1
        if span != months:
            dates_problem(
                f"từ {_fmt_date(start)} đến {_fmt_date(end)} là {span} tháng nhưng cột "
                f"'{PERIODS_SHEET.column('months').header}' ghi {months}"
            )
        ok = span == months
        last = end + timedelta(days=GRACE_DAYS)
        for cid, value in (("unit_deadline", unit), ("commune_deadline", commune)):
            if not start <= value <= last:
                ok = False
                self.report(
                    "plan.deadline_outside_period",
                    table,
                    table.address(cid, row.number),
                    value=_fmt_date(value),
                    header=PERIODS_SHEET.column(cid).header,
                    period=code,
                    start=_fmt_date(start),
                    end=_fmt_date(end),
                    grace=GRACE_DAYS,
                )
        if ok and commune < unit:
            dates_problem(
                f"hạn xã báo cáo {_fmt_date(commune)} sớm hơn hạn thôn, đơn vị nộp "
                f"{_fmt_date(unit)}"
            )
            ok = False
        return ok

    def roster(self) -> list[RosterEntry]:
        table, rows = self.rows(ROSTER_SHEET, "thôn hoặc đơn vị")
        if table is None:
            return []
        out: list[RosterEntry] = []
        seen: dict[str, str] = {}
        selectors = {ALL_FORMS, COMMUNE_FORMS, Kind.VILLAGE.value, Kind.UNIT.value}
        for row in rows:
            code = self.code(table, row)
            if code is not None and code.casefold() in selectors:
                # A roster code equal to a form selector would be ambiguous.
                self.invalid(
                    table,
                    row.cells["code"],
                    ROSTER_SHEET.column("code"),
                    f"một mã khác {', '.join(sorted(selectors))}",
                )
                code = None
            if code is not None and not self.unique(table, row, code, seen):
                code = None
            kind = self.choice(table, row, "kind")
            name = self.text(table, row, "name")
            if code is None or kind is None or not name:
                if code is not None:
                    self.broken_roster.add(code)
                continue
            entry = RosterEntry(
                code=code,
                kind=Kind(kind),
                name=name,
                contact=self.text(table, row, "contact"),
                email=self.text(table, row, "email"),
                phone=self.text(table, row, "phone"),
            )
            out.append(entry)
            self.check_email(table, row, entry)
        return out

    def check_email(self, table: Table, row: Row, entry: RosterEntry) -> None:
        """A warning for an entry with no mail address, or one that is not an address:
        ``wbt send`` and ``wbt remind`` cannot write to it (the plan is used all the same)."""
        cell = row.cells.get("email")
        if cell is None and "email" not in table.letters:
            return  # the column is missing: an older plan, reported as a header problem
        letter = table.letters.get("email", "")
        address = cell.address if cell is not None else f"{letter}{row.number}"
        good, bad = email_addresses(entry.email)
        found: list[tuple[str, str | None]] = [("plan.email_invalid", part) for part in bad]
        if not good and not bad:
            found.append(("plan.email_missing", None))
        for code, part in found:
            self.warnings.append(
                make(
                    code,
                    file=self.source,
                    sheet=table.name,
                    cell=address,
                    unit=entry.code,
                    value=part,
                    row=row.number,
                    name=entry.name,
                )
            )

    def roster_codes(
        self,
        table: Table,
        row: Row,
        column_id: str,
        roster: Mapping[str, RosterEntry],
        *,
        selectors: Collection[str] = (),
        units_only: bool = False,
    ) -> tuple[str, ...] | None:
        """Codes in a cell, each a roster code (canonical case) or one of ``selectors``."""
        found = self.codes(table, row, column_id)
        if found is None:
            return None
        cell, words = found
        column = table.sheet.column(column_id)
        kept = (id(roster), tuple(selectors))
        by_key = self._code_keys.get(kept)
        if by_key is None:
            by_key = self._code_keys[kept] = {c.casefold(): c for c in (*roster, *selectors)}
        out: list[str] = []
        ok = True
        for word in words:
            code = by_key.get(word.casefold())
            if code is None and word in self.broken_roster:
                ok = False
                continue
            if code is None:
                ok = False
                where = "trang Danh sách" + (f" (hoặc {', '.join(selectors)})" if selectors else "")
                self.report(
                    "plan.unknown_code",
                    table,
                    cell.address,
                    value=word,
                    header=column.header,
                    where=where,
                    suggestion=_suggestion(word, by_key.values()),
                )
                continue
            if units_only and code in roster and roster[code].kind is not Kind.UNIT:
                ok = False
                self.report(
                    "plan.task_not_unit",
                    table,
                    cell.address,
                    value=code,
                    header=column.header,
                    kind=Kind.UNIT.value,
                    village=self.village_label,
                )
                continue
            if code not in out:
                out.append(code)
        return tuple(out) if ok else None

    def tasks(self, roster: Mapping[str, RosterEntry]) -> list[Task]:
        table, rows = self.rows(TASKS_SHEET)
        if table is None:
            return []
        out: list[Task] = []
        seen: dict[str, str] = {}
        for row in rows:
            code = self.read(
                table, row, "code", _parse_task_code, _KIND_EXPECTED_EXTRA["task_code"]
            )
            if code is not None and not self.unique(table, row, code, seen):
                code = None
            section = self.text(table, row, "section")
            title = self.text(table, row, "title")
            roles = self.task_roles(table, row, roster)
            if code is None or not section or not title or roles is None:
                continue
            lead, advisors, support = roles
            out.append(
                Task(
                    code=code,
                    section=section,
                    title=title,
                    text=self.text(table, row, "text"),
                    lead=lead,
                    support=support,
                    timeframe=self.text(table, row, "timeframe"),
                    advisors=advisors,
                )
            )
        return out

    def task_lead(
        self, table: Table, row: Row, roster: Mapping[str, RosterEntry]
    ) -> tuple[str | None] | None:
        """The lead's roster code, or (None,) for the UBND xã; None if the cell is wrong."""
        cell = row.cells.get("lead")
        value = None if cell is None else cell.value
        if isinstance(value, str) and value not in roster and _choice_key(value) in _COMMUNE_KEYS:
            return (None,)
        lead = self.roster_codes(table, row, "lead", roster, units_only=True)
        if lead is not None and len(lead) != 1:
            self.invalid(
                table,
                row.cells["lead"],
                TASKS_SHEET.column("lead"),
                _KIND_EXPECTED_EXTRA["lead"] + " (chỉ một mã)",
            )
            return None
        return (lead[0],) if lead else None

    def task_roles(
        self, table: Table, row: Row, roster: Mapping[str, RosterEntry]
    ) -> tuple[str | None, tuple[str, ...], tuple[str, ...]] | None:
        """A task's lead (None: the UBND xã), advisors and supporters; None if a cell is
        wrong. A column the sheet lacks (Tham mưu, in plans written before it) is empty."""
        lead = self.task_lead(table, row, roster)
        found: dict[str, tuple[str, ...] | None] = {}
        ok = lead is not None
        for column_id in ("advise", "support"):
            value = row.value(column_id)
            if isinstance(value, str) and _COMMUNE_NAMED.search(fold(value)):
                # The UBND xã leads or is nothing: it never advises or supports.
                column = TASKS_SHEET.column(column_id)
                expected = f"{column.expected()}; {COMMUNE_LEAD} chỉ ghi ở cột Chủ trì"
                self.invalid(table, row.cells[column_id], column, expected)
                found[column_id], ok = None, False
                continue
            codes = self.roster_codes(table, row, column_id, roster, units_only=True)
            if codes is None and value is not None:
                ok = False  # reported
            found[column_id] = codes
        advisors, support = found["advise"], found["support"]
        # One role per unit: the first column that names it keeps it.
        held: dict[str, tuple[TaskRole, str]] = {}
        if lead is not None and lead[0] is not None:
            held[lead[0]] = (TaskRole.LEAD, table.address("lead", row.number))
        for column_id, role, codes in (
            ("advise", TaskRole.ADVISE, advisors),
            ("support", TaskRole.SUPPORT, support),
        ):
            for unit in codes or ():
                address = table.address(column_id, row.number)
                if unit in held:
                    ok = False
                    other_role, other = held[unit]
                    self.report(
                        "plan.task_role_twice",
                        table,
                        address,
                        value=unit,
                        header=TASKS_SHEET.column(column_id).header,
                        role=TASK_ROLE_LABELS[other_role].lower(),
                        other=other,
                    )
                else:
                    held[unit] = (role, address)
        if lead is None or not ok:
            return None
        if lead[0] is None and not advisors and not support:
            self.report(
                "plan.task_no_reporter",
                table,
                table.address("lead", row.number),
                value=COMMUNE_LEAD,
                advise=TASKS_SHEET.column("advise").header,
                support=TASKS_SHEET.column("support").header,
            )
            return None
        return lead[0], tuple(advisors or ()), tuple(support or ())

    @staticmethod
    def field_code_expected(row: Row) -> str:
        """What a field code cell must hold, said for the value typed there."""
        expected = _KIND_EXPECTED_EXTRA["field_code"]
        value = row.value("code")
        if value is None or _parse_field_code(value) is not None:
            return expected
        text = str(value)
        if len(text) > MAX_FIELD_CODE:
            return (
                f"một mã không quá {MAX_FIELD_CODE} ký tự (mã này có {len(text)} ký tự; Excel "
                "không nhận tên ô dài hơn): hãy rút gọn mã"
            )
        if text.casefold() in _EXCEL_RESERVED_NAMES:
            return f"{expected}, khác TRUE và FALSE (Excel không nhận hai tên này)"
        ascii_code = _ascii_code(text)
        if ascii_code and _parse_field_code(ascii_code) is not None:
            return f"một mã chữ thường, không dấu như '{ascii_code}'"
        return expected

    def fields(self, roster: Mapping[str, RosterEntry]) -> list[Field]:
        table, rows = self.rows(FIELDS_SHEET, "trường dữ liệu")
        if table is None:
            return []
        out: list[Field] = []
        seen: dict[str, str] = {}
        selectors = (ALL_FORMS, Kind.VILLAGE.value, Kind.UNIT.value)
        for row in rows:
            code = self.read(table, row, "code", _parse_field_code, self.field_code_expected(row))
            if code is not None and not self.unique(table, row, code, seen):
                code = None
            forms = self.roster_codes(table, row, "forms", roster, selectors=selectors)
            section = self.text(table, row, "section")
            label = self.text(table, row, "label")
            type_ = self.choice(table, row, "type")
            required = self.read(table, row, "required", _parse_yesno)
            minimum = self.read(table, row, "minimum", _parse_int)
            maximum = self.read(table, row, "maximum", _parse_int)
            max_length = self.read(table, row, "max_length", _parse_positive)
            decimals, choices = self.type_details(table, row, type_)
            cumulative = self.cumulative(table, row, type_)
            if minimum is not None and maximum is not None and maximum < minimum:
                self.invalid(
                    table,
                    row.cells["maximum"],
                    FIELDS_SHEET.column("maximum"),
                    f"một số nguyên không nhỏ hơn {minimum} (cột Nhỏ nhất)",
                )
            if (
                code is None
                or not forms
                or not section
                or not label
                or type_ is None
                or decimals is _INVALID
                or choices is _INVALID
                or cumulative is _INVALID
            ):
                if code is not None:
                    self.broken_fields.add(code)
                continue
            out.append(
                Field(
                    code=code,
                    forms=forms,
                    section=section,
                    label=label,
                    type=FieldType(type_),
                    required=bool(required),
                    minimum=minimum,
                    maximum=maximum,
                    max_length=max_length,
                    help=self.text(table, row, "help"),
                    decimals=decimals if isinstance(decimals, int) else None,
                    choices=choices if isinstance(choices, tuple) else (),
                    cumulative=cumulative is True,
                )
            )
        return out

    def cumulative(self, table: Table, row: Row, type_: str | None) -> bool | _Invalid:
        """Whether a field adds up over the year ("Cộng dồn", an optional column): Có only
        on a number field."""
        column = FIELDS_SHEET.column("cumulative")
        cell = row.cells.get("cumulative")
        if cell is None or cell.value is None:
            return False
        value = _parse_yesno(cell.value)
        if value is None:
            self.invalid(table, cell, column)
            return _INVALID
        if value and type_ is not None and FieldType(type_) not in NUMBER_TYPES:
            self.invalid(
                table,
                cell,
                column,
                "Không hoặc để trống: chỉ trường kiểu số (int, decimal, money) mới cộng dồn",
            )
            return _INVALID
        return value

    def type_details(
        self, table: Table, row: Row, type_: str | None
    ) -> tuple[int | _Invalid | None, tuple[str, ...] | _Invalid]:
        """A field's decimals (decimal fields) and choices (choice fields): optional columns."""
        decimals: int | _Invalid | None = None
        cell = row.cells.get("decimals")
        column = FIELDS_SHEET.column("decimals")
        if cell is not None and cell.value is not None:
            decimals = _parse_int(cell.value)
            if decimals is None or not 0 <= decimals <= MAX_DECIMALS:
                self.invalid(table, cell, column, f"một số nguyên từ 0 đến {MAX_DECIMALS}")
                decimals = _INVALID
            elif type_ != FieldType.DECIMAL.value:
                self.invalid(table, cell, column, "ô trống (cột này chỉ dùng cho kiểu decimal)")
                decimals = _INVALID
        choices: tuple[str, ...] | _Invalid = ()
        cell = row.cells.get("choices")
        column = FIELDS_SHEET.column("choices")
        text = None if cell is None or cell.value is None else str(cell.value)
        if type_ == FieldType.CHOICE.value and text is None:
            self.report(
                "plan.value_missing",
                table,
                cell.address if cell is not None else table.address("type", row.number),
                header=column.header,
                expected=_CHOICES_EXPECTED,
            )
            return decimals, _INVALID
        if cell is None or text is None:
            return decimals, choices
        if type_ != FieldType.CHOICE.value:
            self.invalid(table, cell, column, "ô trống (cột này chỉ dùng cho kiểu choice)")
            return decimals, _INVALID
        parsed = _parse_choices(text)
        if parsed is None:
            self.invalid(table, cell, column, _CHOICES_EXPECTED)
            return decimals, _INVALID
        return decimals, parsed

    def task_field_clashes(self) -> None:
        """A field of the sheet must not take a code the tasks generate."""
        table = self.table(FIELDS_SHEET)
        tasks_table = self.table(TASKS_SHEET)
        if table is None or tasks_table is None:
            return
        generated: dict[str, str] = {}
        for row in tasks_table.rows:
            task = _parse_task_code(row.value("code"))
            if task is not None:
                for template in (TASK_STATUS_FIELD, TASK_RESULT_FIELD):
                    generated[template.format(task=task)] = tasks_table.address("code", row.number)
        for row in table.rows:
            value = row.value("code")
            if isinstance(value, str) and value in generated:
                self.report(
                    "plan.duplicate_code",
                    table,
                    table.address("code", row.number),
                    value=value,
                    other=f"{generated[value]} (trang '{tasks_table.name}', trường tạo tự động)",
                )

    def formula(
        self,
        table: Table,
        row: Row,
        column_id: str,
        *,
        context: Context,
        field_types: Mapping[str, FieldType],
        scopes: Collection[str],
        divisor: bool = False,
    ) -> expressions.Expression | _Invalid | None:
        """The parsed formula; None if empty; ``_INVALID`` if it was reported.

        ``divisor``: the formula is an indicator's denominator (a literal 0 there
        divides by zero too)."""
        column = table.sheet.column(column_id)
        cell = self.cell(table, row, column)
        if cell is None:
            return _INVALID if column.required and column.id in row.cells else None
        text = str(cell.value)
        located = {"header": column.header, "value": text}
        try:
            expr = expressions.parse(text)
        except ExpressionError as err:
            accented = self.accented_name(text, field_types, scopes)
            if accented is not None:
                name, suggestion = accented
                self.report(
                    "plan.formula_accented_name",
                    table,
                    cell.address,
                    name=name,
                    suggestion=suggestion,
                    **located,
                )
            else:
                self.report("plan.formula_syntax", table, cell.address, reason=str(err), **located)
            return _INVALID
        if expr.fields & self.broken_fields or expr.scopes & self.broken_roster:
            return _INVALID  # the field or unit it names is reported already
        issues = expressions.check(
            expr,
            context=context,
            fields=field_types,
            constants=CONSTANT_TYPES,
            scopes=scopes,
            choices=self.field_choices,
        )
        for issue in issues:
            if issue.kind == "unknown_name" and issue.name is not None:
                what = {
                    "formula.unknown_constant": "hằng số",
                    "formula.unknown_scope": "phạm vi",
                }.get(issue.code, "trường")
                suggestion = f" {issue.suggestion}" if issue.suggestion else ""
                if issue.code == "formula.unknown_scope":
                    suggestion = self.scope_suggestion(issue.name, suggestion)
                self.report(
                    "plan.formula_unknown_name",
                    table,
                    cell.address,
                    name=issue.name,
                    what=what,
                    suggestion=suggestion,
                    **located,
                )
            else:
                self.report(
                    "plan.formula_invalid", table, cell.address, reason=issue.message, **located
                )
        if issues:
            return _INVALID
        zero = _division_by_zero(expr, divisor)
        if zero is not None:
            self.report("plan.formula_divide_by_zero", table, cell.address, part=zero, **located)
            return _INVALID
        return expr

    # --- what a misspelt name in a formula most likely meant ----------------------
    def scope_words(self) -> dict[str, str]:
        """Folded words an officer may type for a scope keyword → the keyword."""
        words = {
            Kind.VILLAGE.value: Kind.VILLAGE.value,
            "thon": Kind.VILLAGE.value,
            "don_vi": Kind.UNIT.value,
            "dv": Kind.UNIT.value,
            "tat_ca": ALL_FORMS,
        }
        group = _ascii_code(self.village_label)
        if group:
            words[group] = Kind.VILLAGE.value  # to_dan_pho
            words[group.replace("_", "")] = Kind.VILLAGE.value  # todanpho
            initials = "".join(part[0] for part in group.split("_") if part)
            if len(initials) > 1:
                words.setdefault(initials, Kind.VILLAGE.value)  # tdp
        return words

    def scope_help(self) -> str:
        """Which scopes a formula may name, said with the roster's own words and codes."""
        village = self.village_label
        examples = [
            next((c for c, k in self.roster_kinds.items() if k is kind), "")
            for kind in (Kind.VILLAGE, Kind.UNIT)
        ]
        shown = ", ".join(e for e in examples if e)
        return (
            f" Phạm vi dùng được: {Kind.VILLAGE} (mọi {village}), {Kind.UNIT} (mọi đơn vị), "
            f"{ALL_FORMS} (tất cả) hoặc mã một {village}, đơn vị trong trang Danh sách"
            + (f" (ví dụ {shown})" if shown else "")
            + "."
        )

    def scope_suggestion(self, name: str, fallback: str) -> str:
        """The suggestion for a scope no roster entry has: a kind keyword when the word
        names a kind (tdp, to_dan_pho, or the prefix of many codes), then the scopes."""
        key = _ascii_code(name)
        keyword = self.scope_words().get(key) or self.scope_words().get(key.replace("_", ""))
        if keyword is None:
            starting = {k for c, k in self.roster_kinds.items() if c.casefold().startswith(key)}
            many = sum(1 for c in self.roster_kinds if c.casefold().startswith(key)) > 1
            if key and many and len(starting) == 1:
                keyword = next(iter(starting)).value
        if keyword is not None:
            fallback = " " + expressions.SUGGESTION.format(name=keyword)
        return fallback + self.scope_help()

    def accented_name(
        self, text: str, field_types: Mapping[str, FieldType], scopes: Collection[str]
    ) -> tuple[str, str] | None:
        """The first word with diacritics outside quotes, and what it likely meant,
        if it is a name the formula may use (thôn → thon); None otherwise."""
        known = {name.casefold(): name for name in (*field_types, *CONSTANTS, *scopes)}
        for match in _UNQUOTED_WORD.finditer(text):
            word = match.group(1)
            if word is None or word.isascii():
                continue
            key = _ascii_code(word)
            in_scope = bool(_SCOPE_BEFORE.search(text, 0, match.start(1)))
            meant = known.get(key) or known.get(_ascii_code(word, keep_case=True).casefold())
            if in_scope:
                meant = meant if meant in scopes else self.scope_words().get(key)
                found = " " + expressions.SUGGESTION.format(name=meant) if meant else ""
                return word, found + self.scope_help()
            if meant is not None:
                return word, " " + expressions.SUGGESTION.format(name=meant)
            return None
        return None

    def rules(
        self,
        roster: Mapping[str, RosterEntry],
        field_types: Mapping[str, FieldType],
        plan_fields: list[Field],
        tasks: list[Task],
    ) -> list[Rule]:
        table, rows = self.rows(RULES_SHEET)
        if table is None:
            return []
        out: list[Rule] = []
        seen: dict[str, str] = {}
        selectors = (ALL_FORMS, Kind.VILLAGE.value, Kind.UNIT.value, COMMUNE_FORMS)
        scopes = (ALL_FORMS, Kind.VILLAGE.value, Kind.UNIT.value, *roster)
        for row in rows:
            code = self.code(table, row)
            if code is not None and not self.unique(table, row, code, seen):
                code = None
            forms = self.roster_codes(table, row, "forms", roster, selectors=selectors)
            commune = forms is not None and COMMUNE_FORMS in forms
            if commune and forms is not None and len(forms) > 1:
                # The commune as a whole is one rule's whole reach: no form beside it.
                self.invalid(
                    table,
                    row.cells["forms"],
                    table.sheet.column("forms"),
                    f"'{COMMUNE_FORMS}' một mình (quy tắc của cả xã, so sánh số liệu giữa các "
                    "biểu mẫu), hoặc các biểu mẫu mà không có "
                    f"'{COMMUNE_FORMS}'",
                )
                forms = None
            severity = self.choice(table, row, "severity")
            parsed = {
                cid: self.formula(
                    table,
                    row,
                    cid,
                    context=Context.COMMUNE if commune else Context.ROW,
                    field_types=field_types,
                    scopes=scopes if commune else (),
                )
                for cid in ("when", "check")
            }
            message = self.text(table, row, "message")
            when, check = parsed["when"], parsed["check"]
            if (
                code is None
                or not forms
                or severity is None
                or not message
                or not isinstance(check, expressions.Expression)
                or when is _INVALID
            ):
                continue
            names = set(check.fields)
            if isinstance(when, expressions.Expression):
                names |= when.fields
            rule = Rule(
                code=code,
                forms=forms,
                severity=Severity(severity),
                check=check.text,
                when=when.text if isinstance(when, expressions.Expression) else None,
                message=message,
                fields=tuple(sorted(names)),
            )
            if (
                roster
                and not rule.is_commune
                and not self.rule_reaches_a_form(rule, roster, plan_fields, tasks)
            ):
                self.report(
                    "plan.rule_no_form",
                    table,
                    table.address("forms", row.number),
                    value=code,
                    fields=", ".join(rule.fields),
                )
            out.append(rule)
        return out

    @staticmethod
    def rule_reaches_a_form(
        rule: Rule, roster: Mapping[str, RosterEntry], fields: list[Field], tasks: list[Task]
    ) -> bool:
        named = [roster[c] for c in rule.forms if c in roster]
        # A rule for named entries only (the police, one school) need not look
        # through a roster of thousands for them.
        entries = named if len(named) == len(rule.forms) else roster.values()
        for entry in entries:
            if not rule.applies_to(entry):
                continue
            own = {f.code for f in fields if f.applies_to(entry)}
            if entry.kind is Kind.UNIT:
                for task in tasks:
                    if task.involves(entry.code):
                        own |= {task.status_field, task.result_field}
            if set(rule.fields) <= own:
                return True
        return False

    def indicators(
        self, roster: Mapping[str, RosterEntry], field_types: Mapping[str, FieldType]
    ) -> list[Indicator]:
        table, rows = self.rows(INDICATORS_SHEET)
        if table is None:
            return []
        out: list[Indicator] = []
        seen: dict[str, str] = {}
        scopes = (ALL_FORMS, Kind.VILLAGE.value, Kind.UNIT.value, *roster)
        for row in rows:
            code = self.code(table, row)
            if code is not None and not self.unique(table, row, code, seen):
                code = None
            section = self.text(table, row, "section")
            text = self.text(table, row, "text")
            parsed = {
                cid: self.formula(
                    table,
                    row,
                    cid,
                    context=Context.AGGREGATE,
                    field_types=field_types,
                    scopes=scopes,
                    divisor=cid == "denominator",
                )
                for cid in ("numerator", "denominator")
            }
            target = self.target(table, row)
            comparator = self.choice(table, row, "comparator")
            numerator, denominator = parsed["numerator"], parsed["denominator"]
            relative = target if isinstance(target, RelativeTarget) else None
            if (
                isinstance(target, Fraction)
                and is_percent(row.value("target"))
                and denominator is None
                and "denominator" in row.cells
            ):
                self.report(
                    "plan.value_missing",
                    table,
                    table.address("denominator", row.number),
                    header=INDICATORS_SHEET.column("denominator").header,
                    expected="mẫu số của tỉ lệ, ví dụ COUNT(thon) (hoặc xóa mức cần đạt)",
                )
                continue
            if (
                code is None
                or not section
                or not text
                or not isinstance(numerator, expressions.Expression)
                or denominator is _INVALID
                or target is _INVALID
            ):
                continue
            out.append(
                Indicator(
                    code=code,
                    section=section,
                    text=text,
                    numerator=numerator.text,
                    denominator=(
                        denominator.text
                        if isinstance(denominator, expressions.Expression)
                        else None
                    ),
                    target=target if isinstance(target, Fraction) else None,
                    comparator=Comparator(comparator or Comparator.AT_LEAST.value),
                    unit_label=self.text(table, row, "unit_label"),
                    relative=relative,
                )
            )
        return out

    def target(self, table: Table, row: Row) -> Fraction | RelativeTarget | _Invalid | None:
        column = INDICATORS_SHEET.column("target")
        cell = self.cell(table, row, column)
        if cell is None:
            return None
        if looks_relative(cell.value):
            # "tăng ít nhất 10 % so với cùng kỳ": against an earlier report.
            relative = parse_relative(str(cell.value))
            if isinstance(relative, str):
                self.report(
                    "plan.target_relative_invalid",
                    table,
                    cell.address,
                    value=cell.value,
                    reason=relative,
                    examples=RELATIVE_EXAMPLES,
                )
                return _INVALID
            return relative
        denominator = row.cells.get("denominator")
        if (denominator is None or denominator.value is None) and not is_percent(cell.value):
            # No denominator: the numerator itself is judged, "≥ 12 (buổi)".
            count = parse_count(cell.value)
            if count is None:
                self.report("plan.target_count_invalid", table, cell.address, value=cell.value)
                return _INVALID
            return count
        value = parse_percent(cell.value)
        if value is None:
            self.report("plan.target_invalid", table, cell.address, value=cell.value)
            return _INVALID
        return value

    # --- the whole plan ----------------------------------------------------------
    def run(self) -> Plan:
        settings = self.settings()
        periods = self.periods()
        roster_list = self.roster()
        roster = {e.code: e for e in roster_list}
        self.roster_kinds = {e.code: e.kind for e in roster_list}
        tasks = self.tasks(roster)
        fields = self.fields(roster)
        self.field_choices = {f.code: f.choices for f in fields if f.type is FieldType.CHOICE}
        self.task_field_clashes()
        field_types = {f.code: f.type for f in fields}
        for task in tasks:
            field_types[task.status_field] = FieldType.STATUS
            field_types[task.result_field] = FieldType.TEXT
        rules = self.rules(roster, field_types, fields, tasks)
        indicators = self.indicators(roster, field_types)
        if self.problems or settings is None:
            count = len(self.problems)
            raise PlanError(
                f"Tệp kế hoạch {self.source} có {count} lỗi. Hãy sửa từng lỗi dưới đây rồi chạy "
                "lại 'wbt plan check'.",
                self.problems,
            )
        return Plan(
            settings=settings,
            periods=tuple(periods),
            roster=tuple(roster_list),
            tasks=tuple(tasks),
            fields=tuple(fields),
            rules=tuple(rules),
            indicators=tuple(indicators),
            source=self.source,
            warnings=tuple(self.warnings),
        )


def validate(tables: PlanTables) -> Plan:
    """Turn row tables into a :class:`Plan`; raise :class:`PlanError` listing every problem."""
    return _Validator(tables).run()


# --- cell parsers: a value, or None when the value does not fit ---------------------


def _parse_text(value: CellValue) -> str | None:
    if isinstance(value, date):
        return _fmt_date(value)
    return None if value is None else str(value)


_UNQUOTED_WORD = re.compile(r'["“”„][^"“”]*["“”]?|(\w+)')
_SCOPE_BEFORE = re.compile(r"\b(?:COUNT|SUM)\s*\(\s*$", re.IGNORECASE)


def _division_by_zero(expr: expressions.Expression, divisor: bool) -> str | None:
    """The part of ``expr`` that divides by a literal 0 (``x / 0``), or None.

    ``divisor``: ``expr`` is itself a denominator, so a bare 0 divides by zero."""

    def is_zero(node: object) -> bool:
        if isinstance(node, expressions.Negate):
            return is_zero(node.operand)
        return isinstance(node, expressions.Number) and node.value == 0

    if divisor and is_zero(expr.root):
        return f"mẫu số {expr.text}"
    for node in expressions.walk(expr.root):
        if isinstance(node, expressions.Arithmetic) and node.op == "/" and is_zero(node.right):
            start, end = node.span
            return expr.text[start:end] or expr.text
    return None


def _label_word(value: object) -> str:
    """A group name as it sits inside a sentence: "Tổ dân phố" → "tổ dân phố"."""
    text = str(value or "").strip()
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text


def _parse_positive_number(value: CellValue) -> Fraction | None:
    """A number above 0, a decimal comma allowed: "3,5", 3.5, 5."""
    if isinstance(value, bool):
        return None
    text = str(value).strip().replace(",", ".") if isinstance(value, str) else repr(value)
    try:
        number = Fraction(Decimal(text))
    except (InvalidOperation, ValueError):
        return None
    return number if number > 0 else None


def _parse_factor(value: CellValue) -> Fraction | None:
    number = _parse_positive_number(value)
    return number if number is not None and number > 1 else None


def _parse_count(value: CellValue) -> int | None:
    number = _parse_int(value)
    return number if number is not None and number >= 0 else None


#: The thresholds of the checks against the peers and the past: their parser and what to type.
_THRESHOLD_SETTINGS: dict[str, tuple[Callable[[CellValue], object | None], str]] = {
    "outlier_k": (_parse_positive_number, "một số lớn hơn 0, ví dụ 3,5"),
    "outlier_min": (_parse_count, "một số nguyên ≥ 0, ví dụ 10"),
    "change_factor": (_parse_factor, "một số lớn hơn 1, ví dụ 5"),
}


def _setting(values: Mapping[str, object], key: str, default: T) -> T:
    """A setting's value read, or ``default`` when left out or empty."""
    value = values.get(key)
    return default if value is None else value  # type: ignore[return-value]


def _parse_time_zone(value: CellValue) -> str | None:
    """A time zone the computer knows by its IANA name (``Asia/Ho_Chi_Minh``)."""
    text = _parse_text(value)
    if text is None:
        return None
    try:
        ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return text.strip()


def _parse_code(value: CellValue) -> str | None:
    text = _parse_text(value)
    return text if text is not None and _CODE.match(text) else None


def _parse_field_code(value: CellValue) -> str | None:
    text = _parse_text(value)
    if text is None or not _FIELD_CODE.match(text) or _CELL_LIKE.match(text):
        return None
    if len(text) > MAX_FIELD_CODE or text in _EXCEL_RESERVED_NAMES:
        return None  # not a defined name Excel takes (forms/contract.py names each input)
    return text


def _ascii_code(text: str, *, keep_case: bool = False) -> str:
    """``text`` as a code could spell it: no diacritics, spaces as '_' (or dropped)."""
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    if keep_case:
        return re.sub(r"[^A-Za-z0-9_.\-]", "", re.sub(r"\s+", "-", plain.strip()))
    plain = re.sub(r"[\s\-]+", "_", plain.strip().casefold())
    return re.sub(r"[^a-z0-9_]", "", plain)


def _parse_task_code(value: CellValue) -> str | None:
    text = _parse_text(value)
    return text if text is not None and _TASK_CODE.match(text) else None


def _parse_int(value: CellValue) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    return None


def _parse_positive(value: CellValue) -> int | None:
    number = _parse_int(value)
    return number if number is not None and number > 0 else None


def _parse_months(value: CellValue) -> int | None:
    number = _parse_int(value)
    return number if number is not None and 1 <= number <= 12 else None


def _parse_year(value: CellValue) -> int | None:
    number = _parse_int(value)
    return number if number is not None and 2000 <= number <= 2100 else None


def _parse_yesno(value: CellValue) -> bool | None:
    key = fold(str(value)).replace(" ", "")
    if key in (fold(YES), "x", "1", "true"):
        return True
    if key in (fold(NO), "0", "false"):
        return False
    return None


def _parse_date(value: CellValue) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, int) and _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
        return _EXCEL_EPOCH + timedelta(days=value)
    if not isinstance(value, str):
        return None
    dmy = _DMY.match(value)
    iso = _ISO.match(value)
    try:
        if dmy:
            return date(int(dmy[3]), int(dmy[2]), int(dmy[1]))
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
    except ValueError:
        return None
    return None


def _parse_choices(text: str) -> tuple[str, ...] | None:
    """A choice field's values: separated by ';' (or ','), each once, at least two."""
    parts = [" ".join(p.split()) for p in re.split(r"[;,]", text)]
    choices = tuple(p for p in parts if p)
    keys = {fold(c) for c in choices}
    if len(choices) < 2 or len(keys) != len(choices) or len(",".join(choices)) > _CHOICES_LIMIT:
        return None
    if any('"' in c for c in choices):
        return None  # a formula could not name it
    return choices


#: The highest target a ratio may have: "tăng 10 %" is 110 %; ten times is far enough.
MAX_RATIO = 10


def is_percent(value: CellValue) -> bool:
    """A percentage: "95%", or a number with a fraction (a cell formatted as %, 0.95).

    A whole number (12) or text without % ("12", "12,5") is a count's target.
    """
    if isinstance(value, float):
        return not value.is_integer()
    return isinstance(value, str) and value.strip().endswith("%")


def parse_count(value: CellValue) -> Fraction | None:
    """A count's target: a number ≥ 0 written the Vietnamese way ("12", "1.500", "12,5")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        fraction = Fraction(Decimal(repr(value)))
        return fraction if fraction >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.replace(" ", "")
    if not re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?|[0-9]+(?:,[0-9]+)?", text):
        return None
    return Fraction(Decimal(text.replace(".", "").replace(",", ".")))


def parse_percent(value: CellValue) -> Fraction | None:
    """A ratio's target: a number (a cell formatted as %), or text '95%', '95 %', '0,95'.

    From 0 % to 1000 %: "tăng 10 %" is 110 %.
    """
    fraction: Fraction | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        # repr() is the shortest decimal that reads back as the same float: 0.95 → 19/20.
        fraction = Fraction(Decimal(repr(value)))
    elif isinstance(value, str):
        text = value.replace(" ", "")
        try:
            if match := _PERCENT.match(text):
                fraction = Fraction(Decimal(match[1].replace(",", "."))) / 100
            elif _DECIMAL.match(text):
                fraction = Fraction(Decimal(text.replace(",", ".")))
        except InvalidOperation:
            return None
    if fraction is None or not 0 <= fraction <= MAX_RATIO:
        return None
    return fraction
