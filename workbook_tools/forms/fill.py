"""Fill a generated form by field code, as another program (or a test) would.

Values go into the cells the form's defined names point at, so this works on
any form that keeps the contract, whatever its layout. Text is always stored
as text: a value such as ``"=1+1"`` stays what the user typed.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date

from openpyxl import load_workbook


def fill_form(content: bytes, values: Mapping[str, object]) -> bytes:
    """Return ``content`` (an .xlsx form) with ``values`` typed into its inputs.

    ``values`` maps field codes to what a user would type: numbers, dates,
    "Có"/"Không", text, or numbers as text ("1.250"). ``None`` leaves a cell
    empty. A code the form has no name for raises ``KeyError``.
    """
    workbook = load_workbook(io.BytesIO(content))
    try:
        for code, value in values.items():
            if code not in workbook.defined_names:
                raise KeyError(code)
            for sheet, ref in workbook.defined_names[code].destinations:
                cell = workbook[sheet][ref.replace("$", "")]
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula
                elif isinstance(value, date):
                    cell.number_format = "dd/mm/yyyy"
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    finally:
        workbook.close()
