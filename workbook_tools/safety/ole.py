"""Compound files (OLE2): Excel 97-2003 workbooks (.xls), and what else Office keeps so.

The compound file is opened with xlrd's reader (:class:`xlrd.compdoc.CompDoc`,
which follows every sector chain with a check against loops and sectors used
twice); its directory tells a workbook from a password-protected .xlsx, a
Word or PowerPoint 97-2003 file. The workbook stream's BIFF records are then
walked here: a password (FILEPASS), the sheets (BOUNDSHEET), and the rectangle
of each sheet's values, which python-calamine would allocate whole.

xlrd's reader takes 14-18 µs to find the corpus' .xls workbook streams, where
the hand-written one it replaces took 11-12 µs (an .xls is inspected in about
0.21 ms either way, mostly walking its records); and it is stricter: a stream
that shares a sector with another is refused.
"""

from __future__ import annotations

import struct

from workbook_tools.safety.findings import FileFormat, Findings, Limits, count
from workbook_tools.safety.guards import cell_name

_BROKEN = "cấu trúc tệp Excel 97-2003 bị hỏng"


class _Discard:
    """Where xlrd's warnings go: none of them is wanted (a broken file is refused here)."""

    def write(self, text: str) -> int:
        return len(text)


def inspect_compound(data: bytes, limits: Limits, report: Findings) -> None:
    """What a compound file holds; a workbook's stream scanned."""
    # Imported with the first compound file, not with the package: xlrd takes 14 ms to
    # import, and most runs meet no .xls at all.
    from xlrd.compdoc import CompDoc

    try:
        compound = CompDoc(data, logfile=_Discard())
    except Exception:  # CompDocError, or a struct, index or recursion error on a broken file
        report.refuse("file.corrupt", reason=_BROKEN)
    names = {entry.name for entry in compound.dirlist}
    if "EncryptedPackage" in names or "EncryptionInfo" in names:
        report.refuse("file.encrypted")  # a password-protected .xlsx is a compound file
    stream = "Workbook" if "Workbook" in names else "Book" if "Book" in names else None
    if stream is None:
        if "WordDocument" in names:
            report.refuse("file.not_workbook", kind="một văn bản Word 97-2003 (.doc)")
        if "PowerPoint Document" in names:
            report.refuse("file.not_workbook", kind="một bài trình chiếu PowerPoint 97-2003 (.ppt)")
        report.refuse("file.not_workbook", kind="một tài liệu Office khác (không phải Excel)")
    report.format = FileFormat.XLS
    if "_VBA_PROJECT_CUR" in names:
        report.macro_enabled = True
        report.add("file.macros")
    try:
        memory, start, size = compound.locate_named_stream(stream)
    except Exception:  # its chain leaves the file, loops, or shares a sector
        report.refuse("file.corrupt", reason=_BROKEN)
    if memory is None:
        report.refuse("file.corrupt", reason=_BROKEN)
    scan_biff(bytes(memory[start : start + size]), limits, report)


# BIFF record types
_BOF, _EOF, _FILEPASS, _BOUNDSHEET, _MULRK = 0x0809, 0x000A, 0x002F, 0x0085, 0x00BD
#: Records holding one value at (row, column): NUMBER, RK, LABELSST, LABEL,
#: RSTRING, BOOLERR, FORMULA. BLANK and MULBLANK hold none.
_VALUE_RECORDS = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x00D6, 0x0205, 0x0006})


def scan_biff(stream: bytes, limits: Limits, report: Findings) -> None:
    """Password, sheets, and the rectangle of values of each sheet of a BIFF stream.

    Substreams nest (a chart inside a sheet): only a top-level BOF starts a new
    sheet, so nothing inside a sheet can reset its rectangle.
    """
    at, depth, substream, records = 0, 0, -1, 0  # substream 0 is the workbook globals
    box: list[int] | None = None
    unpack = struct.unpack_from
    while at + 4 <= len(stream):
        records += 1
        if records > limits.max_elements:
            report.refuse(
                "file.sheet_too_large", where="sổ làm việc", limit=count(limits.max_elements)
            )
        kind, length = unpack("<HH", stream, at)
        body, at = at + 4, at + 4 + length
        if at > len(stream):
            break
        in_globals = substream == 0 and depth == 1
        if kind in _VALUE_RECORDS and length >= 4:
            row, column = unpack("<HH", stream, body)
            last = column
        elif kind == _MULRK and length >= 6:
            row, column = unpack("<HH", stream, body)
            (last,) = unpack("<H", stream, at - 2)
        elif kind == _BOF:
            if depth == 0:
                substream += 1
                box = None
            depth += 1
            continue
        elif kind == _EOF:
            depth = max(0, depth - 1)
            continue
        elif kind == _FILEPASS and in_globals:
            report.refuse("file.encrypted")
        elif kind == _BOUNDSHEET and in_globals:
            report.sheets.append(_biff_sheet_name(stream[body:at]))
            if len(report.sheets) > limits.max_sheets:
                report.refuse(
                    "file.too_many_sheets",
                    count=_count_biff_sheets(stream),
                    limit=limits.max_sheets,
                )
            continue
        else:
            continue
        if box is None:
            box = [row, column, row, last]
        else:
            box = [min(box[0], row), min(box[1], column), max(box[2], row), max(box[3], last)]
        if (box[2] - box[0] + 1) * (box[3] - box[1] + 1) > limits.max_cells:
            sheets = report.sheets
            name = sheets[substream - 1] if 0 < substream <= len(sheets) else ""
            report.refuse(
                "file.too_many_cells",
                sheet=name,
                cell=cell_name(box[2] + 1, box[3] + 1),
                first=cell_name(box[0] + 1, box[1] + 1),
                last=cell_name(box[2] + 1, box[3] + 1),
                limit=count(limits.max_cells),
            )


def _biff_sheet_name(body: bytes) -> str:
    """The name in a BOUNDSHEET record (BIFF8 Unicode, or BIFF5 8-bit)."""
    if len(body) < 8:
        return ""
    length, flags = body[6], body[7]
    if flags in (0, 1) and len(body) >= 8 + length * (1 + flags):
        raw = body[8 : 8 + length * (1 + flags)]
        return raw.decode("utf-16-le" if flags else "latin-1", errors="replace")
    return body[7 : 7 + length].decode("latin-1", errors="replace")


def _count_biff_sheets(stream: bytes) -> int:
    sheets, at = 0, 0
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        if kind == _EOF:
            break
        sheets += kind == _BOUNDSHEET
        at += 4 + length
    return sheets
