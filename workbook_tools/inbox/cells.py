"""Find each field's cell in a returned form, and read what it holds.

By defined name first: every input cell of a form is named after its field,
and spreadsheet programs move the name with the cell when rows are inserted.
When the names are gone, by position: the metadata sheet's cell map (read
only then, when the form was identified by its document properties), or, for
a form identified by its title block (copied into a new workbook), the
position the field has on a freshly laid-out form, shifted by where the title
block now is. Reading by position is said in one warning, as rows inserted
since would shift the values.

A name is followed only while it points at its own field's cell: the input
cell beside the field's label, as the officer sees the form (rows inserted
move the label, the cell and the name together; the metadata sheet's cell map
does not move, so it is the fallback only). A name moved to another sheet, to
another field's cell, or to a range or several areas gives a warning naming
both cells, and the value used, for the totals too, is the one in the cell the
form shows beside the label: what the officer checks against the paper. A
name to a deleted cell (``#REF!``) loses the field, as before.

A cell read as empty is looked at again for an error value or a formula saved
without its result (:meth:`FormWorkbook.cell_error`): the checks step makes
either an error on that cell, never a blank.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from workbook_tools import problems
from workbook_tools.forms import contract
from workbook_tools.forms.layout import INPUT_COL, LABEL_COL, FormLayout, FormPlanner, layout_form
from workbook_tools.inbox.identify import Identification
from workbook_tools.inbox.model import IdentifiedBy, RawCell
from workbook_tools.inbox.workbook import FormWorkbook
from workbook_tools.plan.model import Field, Kind, Plan, RosterEntry
from workbook_tools.problems import Problem
from workbook_tools.spreadsheet import CellError, Location

#: Any fixed time: only the positions of a layout are used here.
_LAYOUT_TIME = datetime(2000, 1, 1)


@dataclass(slots=True)
class FoundCells:
    """The cells found for one form, and the problems finding them raised."""

    raw: dict[str, RawCell] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class LayoutCache:
    """Fresh layouts by roster code, made once per run when a title-identified form needs one."""

    def __init__(self, plan: Plan, period_code: str) -> None:
        self._plan = plan
        self._period = period_code
        self._layouts: dict[str, FormLayout] = {}
        self._labels: dict[tuple[Kind, str], dict[str, _Label]] = {}
        self._forms: FormPlanner | None = None

    def labels(self, entry: RosterEntry) -> dict[str, _Label]:
        """Each field of ``entry``'s form: its label, and which of the same labels it is.

        Made once per kind of form (:meth:`Plan.form_key`): the entries of a
        large roster share a handful.
        """
        key = self._plan.form_key(entry)
        known = self._labels.get(key)
        if known is None:
            fields = self._plan.fields_for(entry)
            keys = [_key(f.label) for f in fields]
            if len(set(keys)) == len(keys):  # the usual case: no layout needed
                known = {f.code: _Label(k, 0, 1) for f, k in zip(fields, keys, strict=True)}
            else:  # a unit's tasks repeat their labels: counted in form order
                seen: dict[str, list[str]] = {}
                for f in self._planner().fields_in_order(entry):
                    seen.setdefault(_key(f.label), []).append(f.code)
                known = {
                    code: _Label(k, n, len(codes))
                    for k, codes in seen.items()
                    for n, code in enumerate(codes)
                }
            self._labels[key] = known
        return known

    def _planner(self) -> FormPlanner:
        if self._forms is None:
            self._forms = FormPlanner(self._plan, self._period)
        return self._forms

    def get(self, entry: RosterEntry) -> FormLayout:
        layout = self._layouts.get(entry.code)
        if layout is None:
            layout = layout_form(self._plan, self._period, entry, _LAYOUT_TIME)
            self._layouts[entry.code] = layout
        return layout


def find_cells(
    plan: Plan,
    entry: RosterEntry,
    workbook: FormWorkbook,
    ident: Identification,
    layouts: LayoutCache,
    *,
    file: str,
) -> FoundCells:
    """The raw cell of every field on ``entry``'s form that can be found in ``workbook``."""
    found = FoundCells()
    folded: dict[str, str] | None = None  # the names whatever their case, if one is missing
    cell_map: dict[str, str] | None = None
    by_position = False
    layout_cells: dict[str, Location] | None = None
    homes: _Homes | None = None
    for f in plan.fields_for(entry):
        ref = workbook.names.get(f.code)
        if ref is None:
            if folded is None:
                folded = {name.casefold(): to for name, to in workbook.names.items()}
            ref = folded.get(f.code.casefold())
        where: Location | None = None
        if ref is not None:
            if homes is None:
                homes = _Homes(workbook, ident, layouts.labels(entry))
            where = workbook.locate(ref)
            if where is None:
                # A name to a deleted cell (#REF!) loses the field: the map's
                # position would be another row's value now. A name to a
                # range or several areas: the field's cell on the form.
                home = None if "#REF!" in ref.upper() else homes.cell_of(f, None)
                if home is not None:
                    found.problems.append(_not_one_cell(workbook, f, entry, ref, home, file))
                    where = home
            else:
                home = homes.moved(f, where)
                if home is not None:
                    found.problems.append(_moved(workbook, f, entry, where, home, file))
                    where = home
        else:
            if cell_map is None:  # looked for only when a name is missing
                cell_map = _cell_map(workbook, ident)
            if f.code in cell_map:
                where = workbook.locate(cell_map[f.code])
            elif ident.by is IdentifiedBy.TITLE:
                if layout_cells is None:
                    layout_cells = _shifted_layout(layouts.get(entry), ident)
                where = layout_cells.get(f.code)
            by_position = by_position or where is not None
        if where is None:
            found.problems.append(
                problems.make(
                    "inbox.field_not_found", file=file, unit=entry.code, field=f.code,
                    label=f.label,
                )
            )
            continue
        found.raw[f.code] = RawCell(f.code, _value(workbook, where), where.sheet, where.cell)
    if by_position:
        found.problems.insert(
            0, problems.make("inbox.cells_by_position", file=file, unit=entry.code)
        )
    return found


def _cell_map(workbook: FormWorkbook, ident: Identification) -> dict[str, str]:
    """Field code → cell reference, from the metadata sheet of a form identified by metadata."""
    meta = ident.metadata
    if meta is None:
        return {}
    if not meta.fields:  # identified by its document properties: the map is on the sheet
        meta = workbook.metadata()
    return meta.cells if meta is not None else {}


def _shifted_layout(layout: FormLayout, ident: Identification) -> dict[str, Location]:
    """Each field's cell on a fresh form, moved as the title block moved (pasted elsewhere)."""
    unit_title = ident.title.get(contract.UNIT_PREFIX)
    if unit_title is None:
        return {}
    home = next(
        (t for t in layout.texts if t.text.startswith(contract.UNIT_PREFIX)), None
    )
    d_row = unit_title.row - (home.row if home is not None else unit_title.row)
    d_col = unit_title.col - (home.col if home is not None else unit_title.col)
    return {
        i.field.code: Location(unit_title.sheet, i.row + d_row, i.col + d_col)
        for i in layout.inputs
        if i.row + d_row >= 0 and i.col + d_col >= 0
    }


# --- names that no longer point at their field's cell --------------------------------


@dataclass(frozen=True, slots=True)
class _Label:
    key: str  # the label as compared
    nth: int  # which of the form's inputs with this label the field is (0-based)
    count: int  # how many inputs of the form have it


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


class _Homes:
    """Where each field's cell is on the form as the officer sees it: beside its label."""

    def __init__(
        self, workbook: FormWorkbook, ident: Identification, labels: dict[str, _Label]
    ) -> None:
        self._workbook = workbook
        self._ident = ident
        self._labels = labels
        self._rows: dict[tuple[str, int], dict[str, list[int]]] = {}  # label rows by column
        self._map: dict[str, str] | None = None

    def moved(self, f: Field, where: Location) -> Location | None:
        """``f``'s cell on the form, when its name points elsewhere; None when it is at home."""
        label = self._labels.get(f.code)
        if label is None:
            return None
        if where.col > 0:
            rows = self._workbook.rows(where.sheet)
            row = rows[where.row] if where.row < len(rows) else ()
            beside = row[where.col - 1] if where.col - 1 < len(row) else None
            if beside == f.label or (isinstance(beside, str) and _key(beside) == label.key):
                if label.count == 1:
                    return None  # the usual case: one look beside the cell
                same = self._label_rows(where.sheet, where.col - 1).get(label.key, [])
                if len(same) == label.count and same[label.nth] == where.row:
                    return None
        home = self.cell_of(f, where)
        return None if home is None or home == where else home

    def cell_of(self, f: Field, where: Location | None) -> Location | None:
        """The input cell beside ``f``'s label on the main sheet; else the metadata's cell map.

        The map is not moved by inserted rows: it is trusted over a name
        only for a name to another sheet, or to no single cell (``where`` None).
        """
        label = self._labels.get(f.code)
        sheet = self._workbook.find_sheet(contract.MAIN_SHEET)
        if label is not None and sheet is not None:
            same = self._label_rows(sheet, LABEL_COL).get(label.key, [])
            if len(same) == label.count:
                return Location(sheet, same[label.nth], INPUT_COL)
        if self._map is None:
            self._map = _cell_map(self._workbook, self._ident)
        ref = self._map.get(f.code)
        home = self._workbook.locate(ref) if ref is not None else None
        if home is None or (where is not None and where.sheet == home.sheet):
            return None
        return home

    def _label_rows(self, sheet: str, col: int) -> dict[str, list[int]]:
        rows = self._rows.get((sheet, col))
        if rows is None:
            rows = {}
            for r, row in enumerate(self._workbook.rows(sheet)):
                text = row[col] if col < len(row) else None
                if isinstance(text, str) and text:
                    rows.setdefault(_key(text), []).append(r)
            self._rows[(sheet, col)] = rows
        return rows


def _moved(
    workbook: FormWorkbook, f: Field, entry: RosterEntry, name: Location, home: Location, file: str
) -> Problem:
    value = _value(workbook, home)
    return problems.make(
        "inbox.name_moved", file=file, unit=entry.code, sheet=home.sheet, cell=home.cell,
        field=f.code, value=_text(value), label=f.label, shown=_shown(value),
        other=f"{name.cell} (trang '{name.sheet}')", other_shown=_shown(_value(workbook, name)),
    )


def _not_one_cell(
    workbook: FormWorkbook, f: Field, entry: RosterEntry, ref: str, home: Location, file: str
) -> Problem:
    value = _value(workbook, home)
    return problems.make(
        "inbox.name_not_one_cell", file=file, unit=entry.code, sheet=home.sheet,
        cell=home.cell, field=f.code, value=_text(value), label=f.label, ref=ref,
        shown=_shown(value),
    )


def _value(workbook: FormWorkbook, where: Location) -> object:
    """What a cell holds: its value, an error or a formula without result, or None."""
    value = workbook.value(where)
    return workbook.cell_error(where) if value is None else value


def _text(value: object) -> str | None:
    """A cell's value as the spreadsheet shows it, for a message; None when empty."""
    if value is None:
        return None
    if isinstance(value, CellError):
        return value.shown
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, date):
        text = f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
        return text
    text = str(value)
    return text if len(text) <= 120 else text[:119] + "…"


def _shown(value: object) -> str:
    text = _text(value)
    return "để trống" if text is None else f"ghi '{text}'"
