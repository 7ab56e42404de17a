"""Find each field's cell in a returned form, and read what it holds.

By defined name first: every input cell of a form is named after its field,
and spreadsheet programs move the name with the cell when rows are inserted.
When the names are gone, by position: the metadata sheet's cell map (read
only then, when the form was identified by its document properties), or, for
a form identified by its title block (copied into a new workbook), the
position the field has on a freshly laid-out form, shifted by where the title
block now is. Reading by position is said in one warning, as rows inserted
since would shift the values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workbook_tools import problems, safety
from workbook_tools.forms import contract
from workbook_tools.forms.layout import FormLayout, layout_form
from workbook_tools.inbox.identify import Identification
from workbook_tools.inbox.model import IdentifiedBy, RawCell
from workbook_tools.inbox.workbook import FormWorkbook, Location
from workbook_tools.plan.model import Plan, RosterEntry
from workbook_tools.problems import Problem

#: Any fixed time: only the positions of a layout are used here.
_LAYOUT_TIME = datetime(2000, 1, 1)
_MAX_CHARS = safety.DEFAULT_LIMITS.max_cell_chars


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
    for f in plan.fields_for(entry):
        ref = workbook.names.get(f.code)
        if ref is None:
            if folded is None:
                folded = {name.casefold(): to for name, to in workbook.names.items()}
            ref = folded.get(f.code.casefold())
        where: Location | None = None
        if ref is not None:
            # A name that no longer points at one cell means the cell was
            # deleted: the map's position would be another row's value now.
            where = workbook.locate(ref)
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
        value = workbook.value(where)
        if isinstance(value, str) and len(value) > _MAX_CHARS:
            # More than Excel keeps in a cell: the safety step has warned that
            # only the first characters are used (file.cell_too_long).
            value = value[:_MAX_CHARS]
        found.raw[f.code] = RawCell(f.code, value, where.sheet, where.cell)
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
