"""Problem records and their one catalogue of Vietnamese messages.

A problem is something found in a plan workbook or a returned form. It is a
record collected into the report, never an exception. Every message comes from
:data:`MESSAGES`, keyed by a stable code; each says where, what is wrong and
how to fix it. Tests format the template instead of pasting strings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"  # the value (or file) is unusable
    WARNING = "warning"  # shown, the value is used
    INFO = "info"  # for the record (a superseded file, a skipped period)


SEVERITY_LABELS = {
    Severity.ERROR: "Lỗi",
    Severity.WARNING: "Cảnh báo",
    Severity.INFO: "Ghi chú",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem, located as precisely as it can be."""

    code: str
    severity: Severity
    message: str
    file: str | None = None
    unit: str | None = None
    sheet: str | None = None
    cell: str | None = None
    field: str | None = None
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        return data


# code -> (severity, template). Templates are str.format templates; the keyword
# arguments are named in each. Codes are stable: other programs read them from
# the JSON summary. Keep each group together; add new codes to their group.
MESSAGES: dict[str, tuple[Severity, str]] = {
    # --- plan workbook (wbt plan check) --------------------------------------
    "plan.file_missing": (
        Severity.ERROR,
        "Không tìm thấy tệp kế hoạch {path}. Hãy kiểm tra đường dẫn, hoặc chạy "
        "'wbt init' để tạo thư mục làm việc có sẵn kế hoạch mẫu.",
    ),
    "plan.file_unreadable": (
        Severity.ERROR,
        "Không mở được tệp kế hoạch {path}: {reason}. Hãy mở tệp bằng Excel và lưu lại "
        "dạng .xlsx.",
    ),
    "plan.sheet_missing": (
        Severity.ERROR,
        "Thiếu trang tính '{sheet}'.{suggestion} Hãy thêm hoặc đổi tên trang tính cho đúng.",
    ),
    "plan.header_missing": (
        Severity.ERROR,
        "Trang '{sheet}' thiếu cột '{header}' ở dòng tiêu đề.{suggestion} Hãy sửa tên cột "
        "cho đúng như trang Hướng dẫn.",
    ),
    "plan.value_missing": (
        Severity.ERROR,
        "Ô {cell} (trang '{sheet}', cột '{header}') đang trống. Hãy nhập {expected}.",
    ),
    "plan.value_invalid": (
        Severity.ERROR,
        "Ô {cell} (trang '{sheet}', cột '{header}') có giá trị '{value}' không hợp lệ. "
        "Hãy nhập {expected}.",
    ),
    "plan.duplicate_code": (
        Severity.ERROR,
        "Mã '{value}' ở ô {cell} (trang '{sheet}') bị trùng với ô {other}. Mỗi mã chỉ "
        "được dùng một lần: hãy đổi một trong hai mã.",
    ),
    "plan.unknown_code": (
        Severity.ERROR,
        "Ô {cell} (trang '{sheet}', cột '{header}') ghi '{value}' nhưng mã này không có "
        "trong {where}.{suggestion} Hãy sửa lại cho đúng mã.",
    ),
    "plan.formula_syntax": (
        Severity.ERROR,
        "Công thức ở ô {cell} (trang '{sheet}') không đọc được: {reason}. Công thức: "
        "{value}. Xem cách viết công thức ở trang Hướng dẫn.",
    ),
    "plan.formula_unknown_name": (
        Severity.ERROR,
        "Công thức ở ô {cell} (trang '{sheet}') dùng '{name}' nhưng không có trường, đơn vị "
        "hay hằng số nào tên như vậy.{suggestion} Hãy sửa lại công thức.",
    ),
    "plan.target_invalid": (
        Severity.ERROR,
        "Chỉ tiêu ở ô {cell} (trang '{sheet}') là '{value}', không phải một tỉ lệ phần "
        "trăm. Hãy nhập dạng 95% (hoặc 0,95), trong khoảng 0% đến 100%.",
    ),
    "plan.deadline_outside_period": (
        Severity.ERROR,
        "Hạn ở ô {cell} (trang '{sheet}') là {value}, nằm ngoài kỳ {period} ({start} – "
        "{end}) và không sau ngày kết thúc kỳ một cách hợp lý. Hãy kiểm tra lại ngày.",
    ),
    "plan.period_dates": (
        Severity.ERROR,
        "Kỳ {period} (trang '{sheet}', dòng {row}): {reason}. Hãy sửa lại các ngày của kỳ.",
    ),
}


def make(
    code: str,
    *,
    file: str | None = None,
    unit: str | None = None,
    sheet: str | None = None,
    cell: str | None = None,
    field: str | None = None,
    value: object = None,
    severity: Severity | None = None,
    **context: object,
) -> Problem:
    """Build a :class:`Problem` from the catalogue.

    The location arguments also fill the template, so a template may name
    ``{file}``, ``{cell}``, ``{value}``… as well as its own ``context`` keys.
    """
    default_severity, template = MESSAGES[code]
    shown = "" if value is None else str(value)
    fill: dict[str, object] = {
        "file": file or "",
        "unit": unit or "",
        "sheet": sheet or "",
        "cell": cell or "",
        "field": field or "",
        "value": shown,
        **context,
    }
    return Problem(
        code=code,
        severity=severity or default_severity,
        message=template.format(**fill),
        file=file,
        unit=unit,
        sheet=sheet,
        cell=cell,
        field=field,
        value=None if value is None else shown,
    )
