"""Plan workbook (.xlsx) → row tables, each value with its cell address.

Defensive like an XLSForm reader: sheet names and headers match whatever the
case, spacing or Unicode form, then without diacritics as a fallback; a typo
gets the nearest name as a suggestion; the header row may sit below a title
the officer added; long runs of empty rows end a sheet. Reading problems
(missing sheet, missing header) are collected, not raised: the validator adds
its own and reports them all together.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from python_calamine import CalamineError

from workbook_tools import safety
from workbook_tools.errors import PlanError
from workbook_tools.plan.schema import SHEETS, Column, Sheet
from workbook_tools.plan.tables import (
    Cell,
    CellValue,
    PlanTables,
    Row,
    Table,
    column_letter,
    fold,
    normalise,
    suggest_name,
)
from workbook_tools.problems import Severity, make
from workbook_tools.spreadsheet import Location, Workbook

#: Rows searched for the header row (an officer may add a title above it).
HEADER_SEARCH_ROWS = 10
#: This many empty rows in a row end a sheet (formatting can reach row 1 048 576).
EMPTY_RUN_LIMIT = 50


def _exact(text: str) -> str:
    """Matching key without dropping diacritics: 'Thôn' and 'Thon' stay different."""
    return " ".join(unicodedata.normalize("NFC", text).replace("\u00a0", " ").split()).casefold()


def _match(wanted: Sequence[str], present: Sequence[str]) -> str | None:
    """The name in ``present`` equal to one of ``wanted``, exactly, else without diacritics."""
    for key in (_exact, fold):
        keys = {key(w) for w in wanted}
        for name in present:
            if key(name) in keys:
                return name
    return None


def read_tables(path: Path) -> PlanTables:
    """Read every sheet of the plan workbook at ``path`` into row tables."""
    if not path.is_file():
        problem = make("plan.file_missing", file=path.name, path=str(path))
        raise PlanError(f"Không có tệp kế hoạch {path.name}.", [problem])
    # The plan is a file from someone's mailbox too: the same first look as a returned form.
    inspection = safety.inspect(path)
    refused = [p for p in inspection.problems if p.severity is Severity.ERROR]
    if inspection.format is None or refused:
        reason = "tệp bị hỏng, có mật khẩu, hoặc không phải bảng tính Excel"
        problem = make("plan.file_unreadable", file=path.name, path=str(path), reason=reason)
        raise PlanError(f"Không đọc được tệp kế hoạch {path.name}.", [problem])
    try:
        # The parts as checked, stored: read without inflating them a second time.
        readable = inspection.unpacked or inspection.content
        with Workbook.open(readable, str(inspection.format), inspection.parts) as workbook:
            return _read(workbook, source=path.name)
    except BaseException as err:
        if not isinstance(err, CalamineError | OSError | ValueError) and not (
            safety.is_reader_panic(err)
        ):
            raise
        problem = make("plan.file_unreadable", file=path.name, path=str(path), reason=str(err))
        raise PlanError(f"Không đọc được tệp kế hoạch {path.name}.", [problem]) from err


def _read(workbook: Workbook, source: str) -> PlanTables:
    result = PlanTables(source=source)
    names = list(workbook.sheet_names)
    unmatched = list(names)
    found: dict[str, str] = {}
    for sheet in SHEETS:
        name = _match((sheet.name, sheet.id), names)
        if name is not None:
            found[sheet.id] = name
            if name in unmatched:
                unmatched.remove(name)
    for sheet in SHEETS:
        name = found.get(sheet.id)
        if name is None:
            near = suggest_name(sheet.name, unmatched)
            suggestion = "" if near is None else f" Có phải trang '{near}' là trang này?"
            result.problems.append(
                make("plan.sheet_missing", file=source, sheet=sheet.name, suggestion=suggestion)
            )
            continue
        rows = workbook.rows(name)
        grid = [[normalise(v) for v in row] for row in rows]

        def formula(row: int, col: int, sheet_name: str = name) -> tuple[str, str] | None:
            found = workbook.cell_error(Location(sheet_name, row, col))
            return None if found is None else (found.formula, found.text)

        result.tables[sheet.id] = _table(sheet, name, grid, result, formula)
    return result


def _table(
    sheet: Sheet,
    name: str,
    grid: list[list[CellValue]],
    result: PlanTables,
    formula: Callable[[int, int], tuple[str, str] | None] | None = None,
) -> Table:
    """The rows of one plan sheet; ``grid`` holds values already :func:`normalise`-d.

    ``formula(row, col)`` (0-based) says what a cell read as empty holds: an Excel
    formula without its result, or with an error as result (kept in
    :attr:`Table.formulas`: the validator says so instead of calling it empty)."""
    header_index, columns = _header(sheet, grid)
    header_row = header_index + 1
    letters = {cid: column_letter(i) for cid, i in columns.items()}
    table = Table(sheet=sheet, name=name, letters=letters)
    headers = grid[header_index] if header_index < len(grid) else []
    _report_missing(sheet, name, columns, headers, header_row, result)
    empty_run = 0
    for index in range(header_index + 1, len(grid)):
        values = grid[index]
        number = index + 1
        cells: dict[str, Cell] = {}
        for cid, col in columns.items():
            value = values[col] if col < len(values) else None
            cells[cid] = Cell(value, f"{letters[cid]}{number}")  # normalised already
            held = formula(index, col) if formula is not None and value is None else None
            if held is not None:
                table.formulas[cells[cid].address] = held
        if all(c.value is None and c.address not in table.formulas for c in cells.values()):
            empty_run += 1
            if empty_run >= EMPTY_RUN_LIMIT:
                break
            continue
        empty_run = 0
        table.rows.append(Row(number=number, cells=cells))
    return table


def _header(sheet: Sheet, grid: Sequence[Sequence[object]]) -> tuple[int, dict[str, int]]:
    """The header row (0-based) and each recognised column's 0-based index."""
    best: tuple[int, dict[str, int]] = (0, {})
    for index, values in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns = _columns(sheet.columns, values)
        if len(columns) > len(best[1]):
            best = (index, columns)
    return best


def _columns(columns: Sequence[Column], values: Sequence[object]) -> dict[str, int]:
    """Each column of ``columns`` found among the header texts ``values``: the first
    header equal to its name or id, exactly, else without diacritics (as :func:`_match`).

    Each header's two keys are made once for the row, not once per column sought.
    """
    keys: tuple[Callable[[str], str], ...] = (_exact, fold)
    keyed: list[dict[str, int]] = [{} for _ in keys]
    for index, value in enumerate(values):
        text = str(value) if value is not None else ""
        if text:
            for first, key in zip(keyed, keys, strict=True):
                first.setdefault(key(text), index)
    out: dict[str, int] = {}
    for column in columns:
        for first, key in zip(keyed, keys, strict=True):
            found = [first[k] for k in {key(column.header), key(column.id)} if k in first]
            if found:
                out[column.id] = min(found)
                break
    return out


def _report_missing(
    sheet: Sheet,
    name: str,
    columns: dict[str, int],
    headers: Sequence[object],
    header_row: int,
    result: PlanTables,
) -> None:
    """A missing required column is a problem; so is an optional one that looks misspelt."""
    used = set(columns.values())
    spare = {str(v): i for i, v in enumerate(headers) if v is not None and i not in used}
    for column in sheet.columns:
        if column.id in columns:
            continue
        near = suggest_name(column.header, spare)
        if not column.required and near is None:
            continue  # an optional column left out on purpose
        suggestion = ""
        cell = None
        if near is not None:
            cell = f"{column_letter(spare[near])}{header_row}"
            suggestion = f" Có phải cột '{near}' (ô {cell}) là cột này?"
        result.problems.append(
            make(
                "plan.header_missing",
                file=result.source,
                sheet=name,
                cell=cell,
                header=column.header,
                suggestion=suggestion,
            )
        )
