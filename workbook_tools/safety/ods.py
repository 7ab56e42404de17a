"""OpenDocument spreadsheets (.ods): the mimetype, the manifest, and what content.xml repeats.

An .ods is a zip (read under the caps of :mod:`~workbook_tools.safety.zipped`)
whose ``mimetype`` says what it is. python-calamine writes out every row, cell
and space a sheet repeats: ``<table:table-row table:number-rows-repeated=…>``
and ``<text:s text:c=…/>`` are counted here, so that no .ods repeats them into
more than the reader may hold.
"""

from __future__ import annotations

import html
import re
from typing import NoReturn

from workbook_tools.safety.findings import FileFormat, Findings, Limits, count
from workbook_tools.safety.guards import (
    ATTRIBUTES,
    area,
    cell_name,
    check_long_text,
    check_xml,
    legacy_fonts,
)
from workbook_tools.safety.zipped import Inflater, Member, take

_ODS_TYPES = (
    b"application/vnd.oasis.opendocument.spreadsheet",
    b"application/vnd.oasis.opendocument.spreadsheet-template",
)
_ODF_KINDS = {
    b"application/vnd.oasis.opendocument.text": "một văn bản LibreOffice Writer (.odt)",
    b"application/vnd.oasis.opendocument.presentation": "một bài trình chiếu (.odp)",
}
_ODS_KEPT = frozenset({"content.xml", "meta.xml", "meta-inf/manifest.xml"})
_ODS_TAG = re.compile(
    rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])" + ATTRIBUTES
)


def _ods_attribute(name: bytes, value: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"(?:^|[\s\"'])" + name + rb"""\s*=\s*["']\s*(""" + value + rb")\s*[\"']")


_ODS_NAME = _ods_attribute(rb"table:name", rb"[^\"']*")
_ODS_ROWS = _ods_attribute(rb"table:number-rows-repeated", rb"[0-9]{1,12}")
_ODS_COLUMNS = _ods_attribute(rb"table:number-columns-repeated", rb"[0-9]{1,12}")
_ODS_SPACES = re.compile(rb"<text:s" + ATTRIBUTES)
_ODS_SPACE_COUNT = _ods_attribute(rb"text:c", rb"[0-9]{1,12}")
_ODS_FONT = re.compile(rb"<style:font-face\s[^>]*?style:name\s*=\s*\"([^\"]*)\"")


def inspect_ods(
    by_name: dict[str, Member], inflater: Inflater, limits: Limits, report: Findings
) -> None:
    mimetype = inflater.inflate(by_name["mimetype"], keep=True).strip()
    if mimetype not in _ODS_TYPES:
        report.refuse(
            "file.not_workbook", kind=_ODF_KINDS.get(mimetype, "một tài liệu OpenDocument")
        )
    report.format = FileFormat.ODS
    if "meta-inf/manifest.xml" in by_name:
        # Encrypted members are stored as noise: look at the manifest first.
        manifest = take(by_name, "meta-inf/manifest.xml", inflater, report)
        if b"encryption-data" in manifest:
            report.refuse("file.encrypted")
    if "content.xml" not in by_name:
        report.refuse("file.corrupt", reason="thiếu phần content.xml")
    if any(key.startswith(("basic/", "scripts/")) for key in by_name):
        report.macro_enabled = True
        report.add("file.macros")
    for key, info in by_name.items():
        if key in inflater.done or info.is_dir:
            continue
        is_xml = key.endswith((".xml", ".rdf"))
        data = inflater.inflate(info, keep=is_xml)
        if not is_xml:
            continue
        check_xml(info.name, data, report)
        if key in _ODS_KEPT:
            report.parts[info.name] = data
        if key in ("content.xml", "styles.xml"):
            report.fonts.update(legacy_fonts(_ODS_FONT.findall(data)))
        if key == "content.xml":
            _scan_ods(data, limits, report)
            check_long_text(data, None, limits, report)


def _scan_ods(content: bytes, limits: Limits, report: Findings) -> None:
    """Sheets, and the cells python-calamine would make of repeated rows, cells and spaces."""
    if content.count(b"<") > limits.max_elements:
        report.refuse("file.sheet_too_large", where="content.xml", limit=count(limits.max_elements))
    # <text:s text:c="N"/> is N spaces, which python-calamine writes out in full.
    spaces = 0
    for attributes, _ in _ODS_SPACES.findall(content):
        given = _ODS_SPACE_COUNT.search(attributes)
        spaces += int(given.group(1)) if given else 1
    if spaces > limits.max_part_bytes:
        report.refuse("file.corrupt", reason=f"nội dung khai báo {count(spaces)} dấu cách lặp lại")
    sheet = ""
    row = column = row_repeat = made = 0
    box: list[int] | None = None

    def refuse_cells() -> NoReturn:
        last = (box[2], box[3]) if box else (row + 1, column + 1)
        report.refuse(
            "file.too_many_cells",
            sheet=sheet,
            cell=cell_name(*last),
            first=cell_name(box[0], box[1]) if box else "A1",
            last=cell_name(*last),
            limit=count(limits.max_cells),
        )

    for match in _ODS_TAG.finditer(content):
        closing, tag, attributes, empty = match.groups()
        if tag == b"table":
            if not closing:
                named = _ODS_NAME.search(attributes)
                sheet = html.unescape(named.group(1).decode("utf-8", "replace")) if named else ""
                report.sheets.append(sheet)
                if len(report.sheets) > limits.max_sheets:
                    report.refuse(
                        "file.too_many_sheets",
                        count=_count_ods_tables(content),
                        limit=limits.max_sheets,
                    )
                row = column = made = 0
                box = None
        elif tag == b"table-row":
            if closing:
                row += row_repeat
            else:
                repeated = _ODS_ROWS.search(attributes)
                row_repeat = int(repeated.group(1)) if repeated else 1
                column = 0
                if empty:
                    row += row_repeat
        elif not closing:
            repeated = _ODS_COLUMNS.search(attributes)
            span = int(repeated.group(1)) if repeated else 1
            if not empty or b"office:value-type" in attributes:
                # A value repeated is a value in every cell it covers.
                made += span * max(row_repeat, 1)
                cells = [row + 1, column + 1, row + max(row_repeat, 1), column + span]
                if box is not None:
                    cells[0], cells[1] = min(box[0], cells[0]), min(box[1], cells[1])
                    cells[2], cells[3] = max(box[2], cells[2]), max(box[3], cells[3])
                box = cells
                if (
                    made > limits.max_cells
                    or area((box[0], box[1], box[2], box[3])) > limits.max_cells
                ):
                    refuse_cells()
            column += span


def _count_ods_tables(content: bytes) -> int:
    return len(re.findall(rb"<table:table[\s>]", content))
