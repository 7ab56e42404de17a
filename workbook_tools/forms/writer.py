"""A :class:`~workbook_tools.forms.layout.FormLayout` → the bytes of an ``.xlsx`` file.

Every decision is in the layout; this module only speaks xlsxwriter. The
plan's and the officer's text is written with ``write_string`` and the
workbook is opened with every string conversion off, so a label starting with
``=`` or looking like a link or a number stays the text it is.
"""

from __future__ import annotations

from collections import defaultdict
from io import BytesIO
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from workbook_tools.forms import contract
from workbook_tools.forms.layout import FormLayout, InputCell, Style, Validation, ValidationKind
from workbook_tools.plan.model import Field, FieldType

# Decree 30/2020/NĐ-CP: administrative documents are set in Times New Roman.
# Scheme "none": a font tied to the theme's scheme is shown in the theme's font
# (Calibri) by Excel, whatever name it carries.
FONT: dict[str, Any] = {"font_name": "Times New Roman", "font_size": 12, "font_scheme": "none"}

WORKBOOK_OPTIONS: dict[str, Any] = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

_BORDER = {"border": 1, "border_color": "#7F7F7F"}
_TEXT_FORMATS: dict[Style, dict[str, Any]] = {
    Style.AGENCY: {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True},
    Style.NATION: {"bold": True, "align": "center", "valign": "vcenter"},
    Style.MOTTO: {"bold": True, "underline": True, "align": "center", "valign": "vcenter"},
    Style.TITLE: {
        "bold": True,
        "font_size": 14,
        "align": "center",
        "valign": "vcenter",
        "text_wrap": True,
    },
    Style.IDENTITY: {"bold": True, "valign": "vcenter", "text_wrap": True},
    Style.INSTRUCTIONS: {"italic": True, "valign": "top", "text_wrap": True},
    Style.HEADER: {
        "bold": True,
        "align": "center",
        "valign": "vcenter",
        "text_wrap": True,
        "bg_color": "#D9D9D9",
        **_BORDER,
    },
    Style.SECTION: {
        "bold": True,
        "valign": "vcenter",
        "text_wrap": True,
        "bg_color": "#EDEDED",
        **_BORDER,
    },
    Style.TASK_TEXT: {"valign": "top", "text_wrap": True, **_BORDER},
    Style.TASK_ROLE: {"bold": True, "valign": "top", "text_wrap": True, **_BORDER},
    Style.LABEL: {"valign": "top", "text_wrap": True, **_BORDER},
    Style.NOTE: {"italic": True, "font_size": 10, "valign": "top", "text_wrap": True, **_BORDER},
}
_NUMBER = {"align": "center", "valign": "top", **_BORDER}
_INPUT = {"locked": False, "bg_color": contract.INPUT_FILL, "valign": "top", **_BORDER}
_INPUT_FORMATS: dict[FieldType, dict[str, Any]] = {
    FieldType.INT: {**_INPUT, "num_format": "0", "align": "right"},
    FieldType.YESNO: {**_INPUT, "align": "center"},
    FieldType.STATUS: {**_INPUT, "align": "center"},
    FieldType.DATE: {**_INPUT, "num_format": "dd/mm/yyyy", "align": "center"},
    # Text cells are formatted as text so a phone number keeps its leading 0.
    FieldType.TEXT: {**_INPUT, "num_format": "@", "text_wrap": True},
    FieldType.MONEY: {**_INPUT, "num_format": '#,##0 "đ"', "align": "right"},
    FieldType.CHOICE: {**_INPUT, "align": "center"},
    # A decimal field's format depends on its places: see decimal_format.
    FieldType.DECIMAL: {**_INPUT, "num_format": "#,##0.00", "align": "right"},
}


def decimal_format(f: Field) -> str:
    """The number format of a decimal field's cells: its places, thousands grouped."""
    return "#,##0" + ("." + "0" * f.places if f.places else "")

PROTECTION: dict[str, bool] = {
    # Widening a column or a row to read a long answer is harmless; inserting or
    # deleting rows could lose a named input cell, so it stays off.
    "format_columns": True,
    "format_rows": True,
    "select_locked_cells": True,
    "select_unlocked_cells": True,
}

A4 = 9


def write_form(layout: FormLayout) -> bytes:
    """The ``.xlsx`` bytes of one form."""
    buffer = BytesIO()
    # xlsxwriter adds keys to the default format's dict: give it its own copy.
    options = {**WORKBOOK_OPTIONS, "default_format_properties": dict(FONT)}
    workbook = xlsxwriter.Workbook(buffer, options)
    workbook.set_properties(
        {
            "title": layout.title,
            "subject": layout.subject,
            "author": layout.author,
            "company": layout.author,
            "created": layout.generated_at,
            "comments": f"{contract.META_MARKER} {layout.metadata.get('form_version')}",
        }
    )
    for name, value in contract.metadata_properties(layout.metadata):
        _check(workbook.set_custom_property(name, value, "text"), f"property {name}")
    sheet = workbook.add_worksheet(layout.main_sheet)
    meta = workbook.add_worksheet(layout.meta_sheet)
    _write_main(workbook, sheet, layout)
    _write_meta(meta, layout)
    for cell in layout.inputs:
        _check(workbook.define_name(cell.field.code, "=" + cell.ref), f"name {cell.field.code}")
    sheet.activate()
    workbook.close()
    return buffer.getvalue()


def _write_main(workbook: Any, sheet: Any, layout: FormLayout) -> None:
    formats = {style: workbook.add_format(props) for style, props in _TEXT_FORMATS.items()}
    input_formats: dict[object, Any] = {
        key: workbook.add_format(props) for key, props in _INPUT_FORMATS.items()
    }

    def input_format(f: Field) -> Any:
        if f.type is not FieldType.DECIMAL:
            return input_formats[f.type]
        key = (f.type, f.places)
        if key not in input_formats:
            props = {**_INPUT_FORMATS[f.type], "num_format": decimal_format(f)}
            input_formats[key] = workbook.add_format(props)
        return input_formats[key]

    for col, column in enumerate(layout.columns):
        sheet.set_column(col, col, column.width)
    for row, height in layout.row_heights.items():
        sheet.set_row(row, height)
    for text in layout.texts:
        fmt = formats[text.style]
        if text.last_col > text.col:
            # merge_range writes through the generic write(); write the text
            # itself with write_string so it can never become a formula.
            sheet.merge_range(text.row, text.col, text.row, text.last_col, "", fmt)
        sheet.write_string(text.row, text.col, text.text, fmt)
    number_format = workbook.add_format(_NUMBER)
    for number in layout.numbers:
        sheet.write_number(number.row, number.col, number.value, number_format)

    # Equal validations share one rule over several cells: fewer rules, same effect.
    groups: dict[Validation, list[InputCell]] = defaultdict(list)
    for cell in layout.inputs:
        sheet.write_blank(cell.row, cell.col, None, input_format(cell.field))
        groups[cell.validation].append(cell)
    for validation, cells in groups.items():
        first = cells[0]
        options = _validation_options(validation)
        options["multi_range"] = " ".join(xl_rowcol_to_cell(c.row, c.col) for c in cells)
        _check(
            sheet.data_validation(first.row, first.col, first.row, first.col, options),
            f"validation {first.field.code}",
        )

    sheet.freeze_panes(layout.freeze_row, 0)
    sheet.repeat_rows(layout.header_row)
    sheet.set_paper(A4)
    sheet.set_portrait()
    sheet.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    if layout.page_breaks:  # a heading starts a page rather than end one
        sheet.set_h_pagebreaks(list(layout.page_breaks))
    sheet.set_margins(left=0.6, right=0.4, top=0.6, bottom=0.6)
    sheet.center_horizontally()
    sheet.set_footer('&C&"Times New Roman"&10Trang &P/&N')
    sheet.protect(contract.SHEET_PASSWORD, PROTECTION)


def _validation_options(validation: Validation) -> dict[str, Any]:
    options: dict[str, Any] = {
        "input_title": validation.input_title,
        "input_message": validation.input_message,
        "error_title": validation.error_title,
        "error_message": validation.error_message,
        "error_type": "stop",
    }
    if validation.kind is ValidationKind.LIST:
        options.update(validate="list", source=list(validation.choices))
        return options
    kind = {
        ValidationKind.WHOLE: "integer",
        ValidationKind.DECIMAL: "decimal",
        ValidationKind.DATE: "date",
        ValidationKind.LENGTH: "length",
    }[validation.kind]
    options.update(validate=kind, criteria=validation.criteria, minimum=validation.minimum)
    if validation.criteria == "between":
        options["maximum"] = validation.maximum
    return options


def _write_meta(sheet: Any, layout: FormLayout) -> None:
    # Cells are locked by default; the sheet's protection makes that count.
    for row, values in enumerate(contract.metadata_rows(layout.metadata)):
        for col, value in enumerate(values):
            sheet.write_string(row, col, value)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 40)
    sheet.set_column(2, 2, 10)
    # veryHidden in Excel; LibreOffice keeps it only as hidden, so it is
    # protected as well and the reader finds it by name, not by state.
    sheet.very_hidden()
    sheet.protect(contract.SHEET_PASSWORD)


def _check(result: int, what: str) -> None:
    # xlsxwriter warns and carries on when it rejects an input; a form missing
    # a name or a validation must not be sent out, so stop here instead.
    if result != 0:
        raise ValueError(f"xlsxwriter rejected the {what} (code {result})")
