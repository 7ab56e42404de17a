"""Row tables: what the reader hands the validator, whatever the source.

A plan is read from a workbook or from the readable TOML source; both become
the same :class:`PlanTables` (each value with the cell it sits in), and one
validator turns that into a :class:`~workbook_tools.plan.model.Plan`. A TOML
row gets the address the writer gives it in the workbook (header in row 1,
data from row 2), so messages point at the same cells either way.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from workbook_tools.a1 import get_column_letter
from workbook_tools.errors import PlanError
from workbook_tools.plan.model import NO, YES
from workbook_tools.plan.schema import SHEETS, Sheet
from workbook_tools.problems import Problem

#: A cell's value after :func:`normalise`.
CellValue = str | int | float | date | None

HEADER_ROW = 1  # the writer's header row; data starts on the next row


def _collapsed(text: str) -> str:
    """NFC text, every run of white space (no-break spaces too) one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def normalise(value: object) -> CellValue:
    """One normaliser for every cell: NFC text, collapsed spaces, 3.0 → 3, '' → None."""
    if type(value) is str:  # nearly every cell: first
        return _collapsed(value) or None
    if value is None:
        return None
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, list | tuple):
        return normalise(", ".join(str(normalise(v)) for v in value))
    return _collapsed(str(value)) or None


@functools.lru_cache(maxsize=8192)  # a roster of thousands repeats its kinds and names
def fold(text: str) -> str:
    """A matching key: lower case, one space, no diacritics (đ → d)."""
    decomposed = unicodedata.normalize("NFD", _collapsed(text).casefold().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def suggest_name(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest ``word`` (difflib), for a misspelt sheet or header."""
    by_key = {fold(c): c for c in candidates}
    close = difflib.get_close_matches(fold(word), list(by_key), n=1, cutoff=0.6)
    return by_key[close[0]] if close else None


class Cell(NamedTuple):
    """One cell of a plan sheet (a named tuple: a roster of thousands makes many)."""

    value: CellValue
    address: str  # "C7"


@dataclass(slots=True)
class Row:
    number: int  # the workbook row, 1-based
    cells: dict[str, Cell]  # column id -> cell, for the columns the sheet has

    def value(self, column_id: str) -> CellValue:
        cell = self.cells.get(column_id)
        return None if cell is None else cell.value


@dataclass(slots=True)
class Table:
    """One sheet's rows. ``letters`` maps each column id found to its column letter."""

    sheet: Sheet
    name: str  # the sheet name as found in the workbook
    letters: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    #: Cells read as empty that hold an Excel formula (without its result, or with an
    #: error as result): address → (the formula without its "=", the error shown or "").
    formulas: dict[str, tuple[str, str]] = field(default_factory=dict)

    def address(self, column_id: str, row: int) -> str:
        return f"{self.letters.get(column_id, '?')}{row}"


@dataclass(slots=True)
class PlanTables:
    """Every sheet found, and the problems of reading (missing sheets and headers)."""

    source: str
    tables: dict[str, Table] = field(default_factory=dict)  # sheet id -> table
    problems: list[Problem] = field(default_factory=list)


def column_letter(index: int) -> str:
    """The letter of a 0-based column index: 0 → "A", 27 → "AB"."""
    return get_column_letter(index + 1)


def schema_letters(sheet: Sheet) -> dict[str, str]:
    """Column letters as the writer lays the sheet out: schema order from column A."""
    return {column.id: column_letter(i) for i, column in enumerate(sheet.columns)}


def tables_from_mapping(data: Mapping[str, object], source: str) -> PlanTables:
    """Row tables from parsed TOML: one array of tables per sheet, keyed by column ids.

    A part that is not an array of tables, or a key no column has (a typo must not
    silently drop a value), raises :class:`PlanError` saying where and what to write.
    """
    result = PlanTables(source=source)
    for sheet in SHEETS:
        raw_rows = data.get(sheet.id, [])
        if not isinstance(raw_rows, list):
            raise PlanError(
                f"Tệp {source}: phần '{sheet.id}' (trang '{sheet.name}') phải là các dòng "
                f"[[{sheet.id}]], mỗi dòng một bảng."
            )
        letters = schema_letters(sheet)
        table = Table(sheet=sheet, name=sheet.name, letters=letters)
        known = set(letters)
        for i, raw in enumerate(raw_rows):
            if not isinstance(raw, dict):
                raise PlanError(
                    f"Tệp {source}: dòng {i + 1} của phần '{sheet.id}' (trang "
                    f"'{sheet.name}') không phải một bảng [[{sheet.id}]]."
                )
            unknown = sorted(set(raw) - known)
            if unknown:
                raise PlanError(
                    f"Tệp {source}: dòng {i + 1} của phần '{sheet.id}' (trang "
                    f"'{sheet.name}') có khóa không biết: {', '.join(unknown)}. Các khóa "
                    f"dùng được: {', '.join(letters)}."
                )
            number = HEADER_ROW + 1 + i
            table.rows.append(
                Row(
                    number=number,
                    cells={
                        cid: Cell(normalise(raw.get(cid)), f"{letters[cid]}{number}")
                        for cid in letters
                    },
                )
            )
        result.tables[sheet.id] = table
    return result


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def tables_from_toml(path: Path) -> PlanTables:
    """Row tables from a readable TOML plan source (``wbt plan build``).

    A file that cannot be read, is not TOML (the message gives the line and column), or
    has a part that is no sheet raises :class:`PlanError`, in Vietnamese.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise PlanError(f"Không có tệp {path}. Hãy kiểm tra lại tên và thư mục.") from None
    except UnicodeDecodeError:
        raise PlanError(
            f"Tệp {path} không phải chữ UTF-8. Hãy lưu lại tệp với bảng mã UTF-8."
        ) from None
    except OSError as err:
        raise PlanError(f"Không đọc được tệp {path}: {err.strerror or err}.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        reason = str(err)
        where = _TOML_WHERE.search(reason)
        place = f" ở dòng {where[1]}, cột {where[2]}" if where else ""
        reason = _TOML_WHERE.sub("", reason)
        raise PlanError(
            f"Tệp {path.name} viết sai cú pháp TOML{place} ({reason}). Hãy sửa dòng đó: "
            'mỗi giá trị viết dạng khóa = giá trị, chữ đặt trong dấu nháy kép ("…"), mỗi dòng '
            "của một trang bắt đầu bằng [[tên_trang]]."
        ) from None
    unknown = sorted(set(data) - {sheet.id for sheet in SHEETS})
    if unknown:
        names = ", ".join(f"{sheet.id} ({sheet.name})" for sheet in SHEETS)
        raise PlanError(
            f"Tệp {path.name} có phần không biết: {', '.join(unknown)}. Các phần dùng được: "
            f"{names}."
        )
    return tables_from_mapping(data, source=path.name)
