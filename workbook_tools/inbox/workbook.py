"""A returned form opened for reading: what a workbook holds (:mod:`workbook_tools.spreadsheet`)
and what says whose form it is: its metadata (document properties, metadata sheet) and
its title block.

Nothing here decides what a workbook is; :mod:`workbook_tools.inbox.identify`
does, from what this module reads.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from workbook_tools.forms import contract
from workbook_tools.spreadsheet import Workbook

#: How far down and across the title block is looked for on each sheet. The
#: forms put it in rows 4–5, columns A and C; a user who pasted the content
#: lower or inserted a few rows above it is still found.
TITLE_ROWS = 20
TITLE_COLS = 8
#: The title prefixes end in a colon within this many characters (spaces doubled by users).
_TITLE_COLON = 40


@dataclass(frozen=True, slots=True)
class TitleCell:
    """A title-block line found on a sheet, and where."""

    line: contract.TitleLine
    sheet: str
    row: int
    col: int


class FormWorkbook(Workbook):
    """A returned workbook opened for reading (:meth:`~Workbook.open`), with what
    identifies it as a form. Use as a context manager."""

    # --- what identification reads ----------------------------------------------
    def identity(self) -> contract.FormMetadata | None:
        """Whose form this says it is: its document properties, else its metadata sheet.

        None when neither names a unit or a plan. The properties spare reading
        the sheet; they hold no cell map (:meth:`metadata` has it).
        """
        meta = contract.parse_properties(self.properties) if self.properties else None
        if meta is None or not meta.identifies:
            meta = self.metadata()
        return meta if meta is not None and meta.identifies else None

    def metadata(self) -> contract.FormMetadata | None:
        """The form's metadata sheet, hidden or not; None when it is gone or is not ours."""
        sheet = self.find_sheet(contract.META_SHEET)
        if sheet is None:
            return None
        return contract.parse_metadata(self.rows(sheet))

    def title_block(self) -> dict[str, TitleCell]:
        """The title-block lines (by prefix), from the first visible sheet that has the unit line.

        The main sheet is looked at first, then the other visible sheets in
        order; on each, the first :data:`TITLE_ROWS` rows.
        """
        main = self.find_sheet(contract.MAIN_SHEET)
        order = self.visible_sheets()
        if main is not None and main in order:
            order.remove(main)
            order.insert(0, main)
        first: dict[str, TitleCell] = {}
        for sheet in order:
            found = _title_lines(sheet, self.rows(sheet))
            if contract.UNIT_PREFIX in found:
                return found
            for prefix, cell in found.items():
                first.setdefault(prefix, cell)
        return first


def open_workbook(data: bytes, fmt: str, parts: Mapping[str, bytes] | None = None) -> FormWorkbook:
    """Open a returned file already accepted by the safety step (:meth:`Workbook.open`)."""
    return FormWorkbook.open(data, fmt, parts)


def _title_lines(sheet: str, rows: Iterable[Sequence[object]]) -> dict[str, TitleCell]:
    found: dict[str, TitleCell] = {}
    for r, row in enumerate(rows):
        if r >= TITLE_ROWS or len(found) == len(contract.TITLE_PREFIXES):
            break
        for c, value in enumerate(row[:TITLE_COLS]):
            # Every title line has its colon early; most other texts are passed over cheaply.
            if not isinstance(value, str) or ":" not in value[:_TITLE_COLON]:
                continue
            line = _parse_title_line(value)
            if line is not None and line.prefix not in found:
                found[line.prefix] = TitleCell(line, sheet, r, c)
    return found


#: Every form of a period repeats its title lines: each text is split once.
_parse_title_line = functools.lru_cache(maxsize=4096)(contract.parse_title_line)
