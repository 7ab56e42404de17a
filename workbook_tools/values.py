"""The types of the values a form holds: below the plan, the inbox and the expressions.

The plan declares each field's :class:`FieldType`; the checks step turns what
a returned form holds into a :data:`Value`; the plan's formulas compute over
both. This module imports nothing of the project, so each of those may
import it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class FieldType(StrEnum):
    INT = "int"  # whole number >= 0
    YESNO = "yesno"  # Có / Không
    STATUS = "status"  # Hoàn thành / Đang thực hiện / Chưa thực hiện
    TEXT = "text"
    DATE = "date"  # dd/mm/yyyy


#: A cleaned value: int for ``int``, "Có"/"Không" for ``yesno``, one of the
#: status strings for ``status``, str for ``text``, date for ``date``.
Value = int | str | date

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
