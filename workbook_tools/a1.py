"""A1 cell references: column letters, cell coordinates, sheet-qualified ranges, and
one cell as a defined name refers to it (:func:`parse_cell_ref`, the OpenDocument form too).

The same functions as ``openpyxl.utils.cell`` (openpyxl 3.1, MIT licence),
with the same results and the same errors, so that reading returned forms,
which needs only these, does not import all of openpyxl (a fifth of a
second at every start of ``wbt``).
"""

from __future__ import annotations

import functools
import re
from string import ascii_uppercase


class CellCoordinatesException(Exception):  # openpyxl's name: messages show it
    """A cell coordinate that names no cell ("A0", "1A")."""


_COORDINATE = re.compile(r"^[$]?([A-Za-z]{1,3})[$]?(\d+)$")
_RANGE = r"""
[$]?(?P<min_col>[A-Za-z]{1,3})?
[$]?(?P<min_row>\d+)?
(:[$]?(?P<max_col>[A-Za-z]{1,3})?
[$]?(?P<max_row>\d+)?)?
"""
_ABSOLUTE = re.compile("^" + _RANGE + "$", re.VERBOSE)
_SHEET_TITLE = r"""
(('(?P<quoted>([^']|'')*)')|(?P<notquoted>[^'^ ^!]*))!"""
_SHEET_RANGE = re.compile(f"{_SHEET_TITLE}(?P<cells>{_RANGE})(?=,?)", re.VERBOSE)

_LETTERS: list[str] = ["", *ascii_uppercase]
_POSITIONS = {letter: pos for pos, letter in enumerate(ascii_uppercase, 1)}
_POWERS = (1, 26, 676)


@functools.cache
def get_column_letter(col_idx: int) -> str:
    """1 → "A", 27 → "AA"; ValueError outside 1–18278."""
    if not 1 <= col_idx <= 18278:
        raise ValueError(f"Invalid column index {col_idx}")
    if col_idx < 26:
        return _LETTERS[col_idx]
    result: list[str] = []
    while col_idx:
        col_idx, remainder = divmod(col_idx, 26)
        result.insert(0, _LETTERS[remainder])
        if not remainder:
            col_idx -= 1
            result.insert(0, "Z")
    return "".join(result)


@functools.cache
def column_index_from_string(col: str) -> int:
    """The 1-based index of a column: "A" → 1, "aa" → 27; ValueError beyond "ZZZ"."""
    error = f"'{col}' is not a valid column name. Column names are from A to ZZZ"
    if len(col) > 3:
        raise ValueError(error)
    index = 0
    for letter, power in zip(reversed(col.upper()), _POWERS, strict=False):
        try:
            position = _POSITIONS[letter]
        except KeyError:
            raise ValueError(error) from None
        index += position * power
    if not 0 < index < 18279:
        raise ValueError(error)
    return index


def coordinate_from_string(coord_string: str) -> tuple[str, int]:
    """A cell's column and row: "B12" or "$B$12" → ("B", 12)."""
    match = _COORDINATE.match(coord_string)
    if not match:
        raise CellCoordinatesException(f"Invalid cell coordinates ({coord_string})")
    column, digits = match.groups()
    row = int(digits)
    if not row:
        raise CellCoordinatesException(f"There is no row 0 ({coord_string})")
    return column, row


def range_boundaries(range_string: str) -> tuple[int | None, int | None, int | None, int | None]:
    """A range's first and last column and row: "A1:C4" → (1, 1, 3, 4), "B2" → (2, 2, 2, 2)."""
    message = f"{range_string} is not a valid coordinate or range"
    match = _ABSOLUTE.match(range_string)
    if not match:
        raise ValueError(message)
    min_col, min_row, sep, max_col, max_row = match.groups()
    if sep:
        cols = min_col, max_col
        rows = min_row, max_row
        if not (all(cols + rows) or (all(cols) and not any(rows)) or (all(rows) and not any(cols))):
            raise ValueError(message)
    first_col = column_index_from_string(min_col) if min_col is not None else None
    first_row = int(min_row) if min_row is not None else None
    last_col = column_index_from_string(max_col) if max_col is not None else first_col
    last_row = int(max_row) if max_row is not None else first_row
    return first_col, first_row, last_col, last_row


def range_to_tuple(
    range_string: str,
) -> tuple[str, tuple[int | None, int | None, int | None, int | None]]:
    """A sheet-qualified range: "'Báo cáo'!$C$14" → ("Báo cáo", (3, 14, 3, 14)).

    Quotes inside the sheet name are left doubled, as openpyxl leaves them.
    """
    match = _SHEET_RANGE.match(range_string)
    if match is None:
        raise ValueError("Value must be of the form sheetname!A1:E4")
    sheet = match.group("quoted") or match.group("notquoted")
    return sheet, range_boundaries(match.group("cells"))


_ODF_REF = re.compile(r"^\$?(?P<sheet>'(?:[^']|'')*'|[^.']+)\.\$?(?P<col>[A-Z]+)\$?(?P<row>\d+)$")


def parse_cell_ref(ref: str) -> tuple[str, str]:
    """``"'Báo cáo'!$C$12"`` → ``("Báo cáo", "C12")``.

    Also reads the OpenDocument form LibreOffice writes in ``.ods`` files
    (``$'Báo cáo'.$C$12``). Raises :class:`ValueError` for anything that is not
    one cell on a named sheet.
    """
    text = ref.strip().lstrip("=")
    odf = _ODF_REF.match(text)
    if odf is not None:
        sheet = odf["sheet"]
        if sheet.startswith("'"):
            sheet = sheet[1:-1].replace("''", "'")
        return sheet, f"{odf['col']}{odf['row']}"
    sheet, (min_col, min_row, max_col, max_row) = range_to_tuple(text)
    if (min_col, min_row) != (max_col, max_row) or min_col is None or min_row is None:
        raise ValueError(f"{ref!r} is a range, not one cell")
    return sheet.replace("''", "'"), f"{get_column_letter(min_col)}{min_row}"
