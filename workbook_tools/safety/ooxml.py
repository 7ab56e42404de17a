"""Office Open XML workbooks (.xlsx, .xlsm): what the parts say, each part checked.

The content types tell the format (a macro-enabled workbook is passed with a
warning, an .xlsb, a Word or PowerPoint file refused); the workbook part and
its relationships give the sheets, in order, and the part each is in. Every
member is then inflated under the caps (:mod:`~workbook_tools.safety.zipped`)
and every XML part checked (:mod:`~workbook_tools.safety.guards`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from workbook_tools.safety.findings import FileFormat, Findings, Limits
from workbook_tools.safety.guards import (
    Element,
    check_long_text,
    check_shared_strings,
    check_xml,
    memo_small,
    scan_sheet,
    style_fonts,
    tag_attributes,
)
from workbook_tools.safety.zipped import Inflater, Member, take

#: Parts kept in ``Inspection.parts`` (lower case).
_OOXML_KEPT = frozenset(
    {
        "[content_types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "docprops/core.xml",
        "docprops/app.xml",
        "docprops/custom.xml",
    }
)
_MACRO_TYPES = re.compile(rb"ms-excel\.(?:sheet|template|addin)\.macroEnabled\.main")
_SHEET_TYPES = re.compile(rb"spreadsheetml\.(?:sheet|template)\.main")


def inspect_ooxml(
    by_name: dict[str, Member], inflater: Inflater, limits: Limits, report: Findings
) -> None:
    types = take(by_name, "[content_types].xml", inflater, report)
    if b"ms-excel.sheet.binary.macroEnabled.main" in types:
        report.refuse("file.unsupported", kind="sổ làm việc nhị phân Excel (.xlsb)")
    if _MACRO_TYPES.search(types):
        report.format = FileFormat.XLSM
    elif _SHEET_TYPES.search(types):
        report.format = FileFormat.XLSX
    elif b"wordprocessingml.document" in types:
        report.refuse("file.not_workbook", kind="một văn bản Word (.docx)")
    elif b"presentationml.presentation" in types:
        report.refuse("file.not_workbook", kind="một bài trình chiếu PowerPoint (.pptx)")
    else:
        report.refuse("file.not_workbook", kind="một tệp nén (.zip) chứa các tệp khác")
    if "xl/workbook.xml" not in by_name:  # python-calamine looks for this name only
        report.refuse("file.corrupt", reason="thiếu phần xl/workbook.xml")
    if report.format is FileFormat.XLSM or "xl/vbaproject.bin" in by_name:
        report.format = FileFormat.XLSM
        report.macro_enabled = True
        report.add("file.macros")

    sheet_parts = _ooxml_sheets(by_name, inflater, limits, report)
    for key, info in by_name.items():
        if key in inflater.done or info.is_dir:
            continue
        is_xml = key.endswith((".xml", ".rels", ".vml"))
        data = inflater.inflate(info, keep=is_xml)
        if not is_xml:
            continue  # inflated to check its size and CRC, never parsed
        check_xml(info.name, data, report)
        if key in _OOXML_KEPT:
            report.parts[info.name] = data
        cells = data.find(b"sheetData")
        if cells >= 0:
            sheet = sheet_parts.get(key, info.name)
            scan_sheet(data, cells, sheet, limits, report)
            check_long_text(data, sheet, limits, report)
            if may_hide_values(data, cells):
                report.parts[info.name] = data
        elif key == "xl/sharedstrings.xml":
            check_shared_strings(data, limits, report)
        elif key == "xl/styles.xml":
            report.fonts.update(style_fonts(data))


_SHEET_ELEMENT = Element(b"sheet", rb"\s([^>]*)>")
_RELATIONSHIP = Element(b"Relationship", rb"\s([^>]*)>")


def _ooxml_sheets(
    by_name: dict[str, Member], inflater: Inflater, limits: Limits, report: Findings
) -> dict[str, str]:
    """Sheet names in order (into the report), and sheet part (lower case) -> name.

    The two parts are already free of DTDs; their few elements are taken with
    patterns rather than a whole parse, which would cost more than the rest
    of the inspection.
    """
    workbook = take(by_name, "xl/workbook.xml", inflater, report)
    count, sheets = _workbook_sheets(workbook, limits.max_sheets)
    if count > limits.max_sheets:
        report.refuse("file.too_many_sheets", count=count, limit=limits.max_sheets)
    targets: Mapping[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in by_name:
        rels = take(by_name, "xl/_rels/workbook.xml.rels", inflater, report)
        found = _relationship_targets(rels, limits.max_parts)
        if found is None:  # more relationships than there can be parts to point at
            report.refuse("file.corrupt", reason="danh sách liên kết của sổ làm việc bất thường")
        targets = found
    parts: dict[str, str] = {}
    for name, rel_id in sheets:
        report.sheets.append(name)
        target = targets.get(rel_id, "")
        # The same resolution python-calamine makes of a sheet's target.
        if target.startswith("/"):
            target = target[1:]
        elif not target.startswith("xl/"):
            target = "xl/" + target
        parts[target.lower()] = name
    return parts


@memo_small
def _workbook_sheets(workbook: bytes, most: int) -> tuple[int, tuple[tuple[str, str], ...]]:
    """How many sheets ``workbook`` lists, and each one's (name, relationship id).

    The sheets are left out when there are more than ``most``.
    """
    found = _SHEET_ELEMENT.pattern(workbook).findall(workbook)
    if len(found) > most:
        return len(found), ()
    sheets = []
    for sheet in map(tag_attributes, found):
        rel_id = next((v for k, v in sheet.items() if k.endswith(":id")), "")
        sheets.append((sheet.get("name", ""), rel_id))
    return len(found), tuple(sheets)


@memo_small
def _relationship_targets(rels: bytes, most: int) -> Mapping[str, str] | None:
    """Relationship id -> target; None when there are more than ``most``."""
    found = _RELATIONSHIP.pattern(rels).findall(rels)
    if len(found) > most:
        return None
    targets: dict[str, str] = {}
    for relationship in map(tag_attributes, found):
        targets[relationship.get("Id", "")] = relationship.get("Target", "")
    return MappingProxyType(targets)


def may_hide_values(xml: bytes, start: int = 0) -> bool:
    """Whether a sheet's cells (from ``start``, where ``sheetData`` begins) hold a
    formula or an error cell: python-calamine reads both as empty when no value
    is stored, and the inbox then looks at the cell itself. Byte searches over
    the cells alone (a form's data validations, after them, hold
    ``<formula1>``); a rare false alarm costs only that look.

    A formula is ``<f`` or ``:f`` (with a prefix): each letter f, rare in a
    sheet's cells and found at memory speed, has the byte before it looked
    at, rather than every byte searched for each pair. An error's ``="e"``
    is searched from the end, which skips further in a sheet's cells.
    """
    end = xml.rfind(b"sheetData>", start)  # the cells' end: searched from the sheet's end
    end = len(xml) if end <= start else end
    at = xml.find(b"f", start + 1, end)
    while at >= 0:
        if xml[at - 1] in b"<:":
            return True
        at = xml.find(b"f", at + 1, end)
    return xml.rfind(b'="e"', start, end) >= 0 or xml.rfind(b"='e'", start, end) >= 0
