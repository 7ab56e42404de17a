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
            merged_first = merged_ranges_first(data, cells)
            if merged_first is not None:
                inflater.hand_over(info.name, merged_first)
        elif key == "xl/sharedstrings.xml":
            check_shared_strings(data, limits, report)
        elif key == "xl/styles.xml":
            report.fonts.update(style_fonts(data))


_LT = ord("<")


#: What Excel (and the forms' writer) puts between a protected sheet's cells and its
#: merged ranges, and the ranges themselves: whole elements, quoted, nothing nested.
_PROTECTION_AND_MERGED = re.compile(
    rb'(?:<sheetProtection(?: [A-Za-z]+="[^"<>]*")*/>)?<mergeCells(?: count="[0-9]+")?>'
    rb'(?:<mergeCell ref="[A-Z]{1,3}[0-9]{1,7}:[A-Z]{1,3}[0-9]{1,7}"/>)*</mergeCells>'
)
_CELLS_END = b"</sheetData>"


def merged_ranges_first(sheet: bytes, cells: int) -> bytes | None:
    """A sheet's XML for python-calamine with its merged ranges moved before its cells, or
    None to hand it on as it is. ``cells`` is where "sheetData" first appears.

    python-calamine 0.9's ``get_sheet_by_name`` reads a sheet twice: its cells,
    then again from the start to the end of the first ``<mergeCells>``, for
    merged ranges the inbox never asks for, so through every cell a second
    time: an eighth of all the work of reading a form of the 2,000-entry bench
    (callgrind). With the sheet's protection and merged ranges, which follow
    the cells, moved before them, the second reading ends before the cells
    and the first passes over them as it passes over the sheet's other
    elements. Both readings meet the very same elements as before, and so
    the same values and the same faults: the move is made only for elements
    of the shape Excel writes (:data:`_PROTECTION_AND_MERGED`) right after
    the cells, when "sheetData" is written only in the cells' two tags and
    "mergeCells" nowhere before them, and no comment, CDATA or processing
    instruction there could hide a tag.
    """
    start = cells - 1
    close = sheet.rfind(_CELLS_END)  # the last end, found from the sheet's end
    if start < 0 or sheet[start] != _LT or close < cells:
        return None
    after = close + len(_CELLS_END)
    moved = _PROTECTION_AND_MERGED.match(sheet, after)
    if (
        moved is None
        or sheet.find(b"sheetData", cells + 9) != close + 2  # one start, one end, nothing between
        or sheet.find(b"mergeCells", 0, after) >= 0  # the first merged ranges are these
        or _may_hide_tags(sheet, after)
    ):
        return None
    end = moved.end()
    return b"".join((sheet[:start], sheet[after:end], sheet[start:after], sheet[end:]))


def _may_hide_tags(sheet: bytes, end: int) -> bool:
    """Whether ``sheet[:end]`` holds a comment, a CDATA section or a processing instruction
    (the XML declaration aside), where a tag could be written as text. "!" and "?" are
    looked for first, at memory speed: they are rare in a sheet."""
    if sheet.find(b"!", 0, end) >= 0 and sheet.find(b"<!", 0, end) >= 0:
        return True
    declared = sheet.find(b"?>", 0, 64) + 2 if sheet.startswith(b"<?xml") else 0
    return sheet.find(b"?", declared, end) >= 0 and sheet.find(b"<?", declared, end) >= 0


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
