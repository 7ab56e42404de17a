"""The types of the values a form holds: below the plan, the inbox and the expressions.

The plan declares each field's :class:`FieldType`; the checks step turns what
a returned form holds into a :data:`Value`; the plan's formulas compute over
both. This module imports nothing of the project, so each of those may
import it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from fractions import Fraction


class FieldType(StrEnum):
    INT = "int"  # whole number >= 0
    YESNO = "yesno"  # Có / Không
    STATUS = "status"  # Hoàn thành / Đang thực hiện / Chưa thực hiện
    TEXT = "text"
    DATE = "date"  # dd/mm/yyyy
    DECIMAL = "decimal"  # number >= 0 with at most the field's ``decimals`` digits after the comma
    MONEY = "money"  # whole đồng >= 0 (VND has no smaller coin in use)
    CHOICE = "choice"  # one of the field's own ``choices`` (a list in the fields sheet)


#: A cleaned value: int for ``int`` and ``money``, int or Fraction (exact) for
#: ``decimal``, "Có"/"Không" for ``yesno``, one of the status strings for
#: ``status``, one of the field's choices for ``choice``, str for ``text``,
#: date for ``date``.
Value = int | Fraction | str | date

#: The field types whose values are numbers (summed, compared, computed on).
NUMBER_TYPES = frozenset({FieldType.INT, FieldType.DECIMAL, FieldType.MONEY})

#: Digits after the decimal comma of a ``decimal`` field that does not say;
#: and the most a plan may ask for.
DEFAULT_DECIMALS = 2
MAX_DECIMALS = 6

#: The most characters a spreadsheet cell holds (Excel's limit): no text value is longer.
CELL_CHARS = 32_767

YES = "Có"
NO = "Không"
YESNO_VALUES = (YES, NO)
STATUS_VALUES = ("Hoàn thành", "Đang thực hiện", "Chưa thực hiện")

#: The only values a yes/no or status field takes.
ALLOWED_VALUES: dict[FieldType, tuple[str, ...]] = {
    FieldType.YESNO: YESNO_VALUES,
    FieldType.STATUS: STATUS_VALUES,
}


#: The field types whose column (or row) has a sum for its total.
SUMMED_TYPES = frozenset({FieldType.INT, FieldType.DECIMAL, FieldType.MONEY})
