"""Read a workbook: its cells, its defined names, its custom properties.

The reader under every step that reads a spreadsheet: the plan workbook
(:mod:`workbook_tools.plan.reader`) and the returned forms (:mod:`workbook_tools.inbox.workbook`
adds what identifies a form). It knows no plan and no form.

Cells come from python-calamine (fast; hidden and very hidden sheets too),
each sheet read at most once and only when asked for. calamine does not give
defined names, so they are read from the workbook's own structure: the
``<definedName>`` elements of ``xl/workbook.xml`` (xlsx, xlsm), the
``table:named-range`` elements of ``content.xml`` (ods), and the NAME records
of the workbook stream through xlrd (xls). Only workbook-level names are
kept: the forms name every input cell at workbook level (see
:mod:`workbook_tools.forms.contract`). Custom document properties, where the
forms repeat their metadata, come from ``docProps/custom.xml`` (xlsx, xlsm)
and ``meta.xml`` (ods), so a form is identified without reading its metadata
sheet.

python-calamine (0.9) reads a cell holding an error value (``#DIV/0!``) and
a formula saved without its result as an empty cell, and gives no access to
either. :meth:`Workbook.cell_error` looks again at one cell calamine read
as empty, in the sheet's own XML (.xlsx, .xlsm: ``t="e"``, or an ``<f>``
without a ``<v>``), for an .ods in ``content.xml`` (LibreOffice marks an
error ``calcext:value-type="error"``; walked only when it holds one), and for
an .xls through xlrd's cell types (a BIFF file always stores a formula's
result: only errors hide there). Only cells calamine read as empty are looked
for, and in an .xlsx only in a sheet that holds a formula or an error at all.

The file is never written: the reader works on bytes already read.
"""

from __future__ import annotations

import functools
import html
import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from xml.etree import ElementTree
from xml.parsers import expat

from python_calamine import CalamineWorkbook, SheetVisibleEnum

from workbook_tools.a1 import (
    column_index_from_string,
    coordinate_from_string,
    get_column_letter,
    parse_cell_ref,
)
from workbook_tools.safety.ooxml import may_hide_values

#: A part larger than this is not parsed for names (the safety step has already
#: refused zip bombs; this keeps a merely huge sheet from slowing the run).
MAX_NAMES_PART = 64 * 1024 * 1024
#: A form's document properties take a few kilobytes: a larger part is not
#: parsed (the metadata sheet says who sent the form instead).
MAX_PROPERTIES_PART = 256 * 1024

_XLSX_WORKBOOK = "xl/workbook.xml"
_XLSX_PROPERTIES = "docProps/custom.xml"
_XLSX_RELS = "xl/_rels/workbook.xml.rels"
_ODS_CONTENT = "content.xml"
_ODS_META = "meta.xml"
_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_CUSTOM_PROPERTY = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}property"
_ODF_USER_DEFINED = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}user-defined"
_ODF_META_NAME = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}name"
_SEP = " "  # expat's separator between namespace and local name


@dataclass(frozen=True, slots=True)
class Location:
    """One cell of a sheet: 0-based row and column, and its A1 name."""

    sheet: str
    row: int
    col: int

    @property
    def cell(self) -> str:
        return _a1(self.row, self.col)


@dataclass(frozen=True, slots=True)
class CellError:
    """What a cell calamine reads as empty really holds: an error, or a formula without result.

    ``text`` is the error as the spreadsheet shows it (``#DIV/0!``), ``""``
    for a formula saved without its result (by a program that does not
    calculate); ``formula`` the formula, without its ``=`` (``""`` when the
    file does not say it here: a shared formula).
    """

    text: str
    formula: str = ""

    @property
    def shown(self) -> str:
        """How the officer would recognise the cell: its error, else its formula."""
        return self.text or f"={self.formula or '…'}"


class Workbook:
    """A workbook opened for reading (:meth:`open`). Use as a context manager.

    ``names`` maps each workbook-level defined name to the reference it holds,
    as written in the file (``'Báo cáo'!$C$14``, ``$'Báo cáo'.$C$14``, or
    ``#REF!`` for a cell that was deleted); ``properties`` maps each custom
    document property to its value as text.
    """

    def __init__(
        self,
        book: CalamineWorkbook,
        names: Mapping[str, str],
        fmt: str,
        properties: Mapping[str, str] | None = None,
        *,
        data: bytes = b"",
        parts: Mapping[str, bytes] | None = None,
    ) -> None:
        self._book = book
        self._data = data  # the workbook as opened: its sheets' XML, for cell_error
        self._parts = parts
        self.format = fmt
        self.names = dict(names)
        self.properties = dict(properties or {})
        self.sheet_names: list[str] = list(book.sheet_names)
        self._visible = {
            m.name: m.visible is SheetVisibleEnum.Visible for m in book.sheets_metadata
        }
        self._grids: dict[str, Sequence[Sequence[object]]] = {}
        self._hidden: dict[str, bytes] = {}  # sheet -> its XML, b"" when nothing hides there
        self._sheet_parts: dict[str, str] | None = None
        self._xls: dict[str, dict[tuple[int, int], CellError]] = {}  # errors by sheet
        self._ods: dict[tuple[str, int, int], CellError] | None = None  # errors, every sheet

    @classmethod
    def open(cls, data: bytes, fmt: str, parts: Mapping[str, bytes] | None = None) -> Self:
        """Open a workbook already accepted by the safety step.

        ``fmt`` is ``xlsx``, ``xlsm``, ``xls`` or ``ods``; ``parts``, the small
        parts the safety step has already inflated (:attr:`safety.Inspection.parts`:
        ``xl/workbook.xml``, ``docProps/custom.xml``, ``content.xml``…), so they
        are not inflated twice: a part it does not hold is taken as absent. Raises
        whatever the underlying readers raise for a file they cannot read: the
        caller turns it into a problem record.
        """
        names = read_defined_names(data, fmt, parts)
        properties = read_properties(data, fmt, parts)
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return cls(book, names, fmt, properties, data=data, parts=parts)

    # --- sheets and cells -----------------------------------------------------
    def find_sheet(self, name: str) -> str | None:
        """The workbook's own spelling of sheet ``name``, matched as Excel does (any case)."""
        if name in self._visible:
            return name
        key = _sheet_key(name)
        return next((s for s in self.sheet_names if _sheet_key(s) == key), None)

    def visible_sheets(self) -> list[str]:
        return [s for s in self.sheet_names if self._visible.get(s, True)]

    def rows(self, sheet: str) -> Sequence[Sequence[object]]:
        """Every row of ``sheet`` from A1, read once; an empty cell is ``""`` (calamine's way)."""
        grid = self._grids.get(sheet)
        if grid is None:
            grid = self._grids[sheet] = self._book.get_sheet_by_name(sheet).to_python(
                skip_empty_area=False
            )
        return grid

    def value(self, where: Location) -> object:
        """The value of one cell; None when it is empty."""
        rows = self.rows(where.sheet)
        if where.row >= len(rows) or where.col >= len(rows[where.row]):
            return None
        value = rows[where.row][where.col]
        return None if value == "" else value

    def cell_error(self, where: Location) -> CellError | None:
        """The error or the formula without result a cell read as empty holds; None if blank.

        For a cell :meth:`value` gave None: .xlsx and .xlsm (Excel's ``t="e"``
        cells, formulas saved without result), .ods (LibreOffice's error
        cells) and .xls (error cells, through xlrd). Each sheet's XML is taken
        once, and looked at only if it holds an error or a formula somewhere.
        """
        if self.format in ("xlsx", "xlsm"):
            xml = self._hidden.get(where.sheet)
            if xml is None:
                xml = self._hidden[where.sheet] = self._xlsx_sheet_xml(where.sheet)
            return _xlsx_cell_error(xml, where.cell) if xml else None
        if self.format == "ods":
            if self._ods is None:
                content = _part(self._data, _ODS_CONTENT, self._parts)
                marked = content is not None and _ODS_ERROR in content
                self._ods = _ods_errors(content) if content and marked else {}
            return self._ods.get((_sheet_key(where.sheet), where.row, where.col))
        if self.format == "xls" and self._data:
            errors = self._xls.get(where.sheet)
            if errors is None:
                errors = self._xls[where.sheet] = _xls_errors(self._data, where.sheet)
            return errors.get((where.row, where.col))
        return None

    def _xlsx_sheet_xml(self, sheet: str) -> bytes:
        """``sheet``'s part, if it holds an error or a formula at all; else b""."""
        if self._sheet_parts is None:
            self._sheet_parts = _xlsx_sheet_parts(
                _part(self._data, _XLSX_WORKBOOK, self._parts) or b"",
                _part(self._data, _XLSX_RELS, self._parts) or b"",
            )
        name = self._sheet_parts.get(sheet)
        if name is None or not self._data:
            return b""
        if self._parts is not None:  # the safety step kept the sheets where something hides
            return _part(self._data, name, self._parts) or b""
        xml = _part(self._data, name, None) or b""
        return xml if may_hide_values(xml) else b""

    def locate(self, ref: str) -> Location | None:
        """The cell a reference (defined name or metadata cell map) points to, if it exists."""
        parsed = _parse_ref(ref)
        if parsed is None:
            return None
        sheet, row, col = parsed
        if sheet in self._visible:  # spelt as the workbook spells it: the usual case
            return _location(sheet, row, col)
        found = self.find_sheet(sheet)
        if found is None:
            return None
        return _location(found, row, col)

    # --- context manager -------------------------------------------------------
    def close(self) -> None:
        self._grids.clear()
        self._book.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_defined_names(
    data: bytes, fmt: str, parts: Mapping[str, bytes] | None = None
) -> dict[str, str]:
    """Workbook-level defined names → the reference each holds, as written."""
    if fmt in ("xlsx", "xlsm"):
        xml = _part(data, _XLSX_WORKBOOK, parts)
        return dict(_xlsx_names(xml)) if xml else {}  # a copy: the parse is cached
    if fmt == "ods":
        return _ods_names(_part(data, _ODS_CONTENT, parts))
    if fmt == "xls":
        return _xls_names(data)
    return {}


def read_properties(
    data: bytes, fmt: str, parts: Mapping[str, bytes] | None = None
) -> dict[str, str]:
    """Custom document properties → their values as text (none for ``.xls``).

    A damaged properties part gives none: the metadata sheet is read instead.
    """
    if fmt in ("xlsx", "xlsm"):
        return _properties(_part(data, _XLSX_PROPERTIES, parts), _CUSTOM_PROPERTY, "name")
    if fmt == "ods":
        return _properties(_part(data, _ODS_META, parts), _ODF_USER_DEFINED, _ODF_META_NAME)
    return {}


def _part(data: bytes, name: str, parts: Mapping[str, bytes] | None) -> bytes | None:
    if parts is not None:
        # Part names are looked up whatever their case, as spreadsheet programs do.
        # The safety step keeps every such part the file has, and refuses a file
        # with two names differing only in case: a name spelt as asked is the one.
        exact = parts.get(name)
        if exact is not None:
            return exact
        wanted = name.lower()
        return next((data for key, data in parts.items() if key.lower() == wanted), None)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            info = archive.getinfo(name)
        except KeyError:
            return None
        if info.file_size > MAX_NAMES_PART:
            return None
        with archive.open(info) as stream:
            return stream.read(MAX_NAMES_PART + 1)[:MAX_NAMES_PART]


def _parser() -> expat.XMLParserType:
    """A namespace-aware expat parser that refuses entity and DTD tricks."""
    parser = expat.ParserCreate(namespace_separator=_SEP)

    def refuse(*_: object) -> None:
        raise ValueError("XML có khai báo thực thể (entity), không đọc")

    parser.EntityDeclHandler = refuse
    parser.StartDoctypeDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    return parser


@dataclass(slots=True)
class _OpenName:
    name: str
    local: bool
    text: list[str]


@functools.lru_cache(maxsize=64)
def _xlsx_names(xml: bytes) -> dict[str, str]:
    """``<definedName name="…" [localSheetId="…"]>ref</definedName>`` of ``xl/workbook.xml``.

    Cached: the forms of one layout share their workbook part byte for byte (the
    caller hands out a copy)."""
    names: dict[str, str] = {}
    local: dict[str, str] = {}
    inside: list[_OpenName] = []
    parser = _parser()

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag.rpartition(_SEP)[2] == "definedName":
            inside.append(_OpenName(attrs.get("name", ""), "localSheetId" in attrs, []))

    def text(data: str) -> None:
        if inside:
            inside[-1].text.append(data)

    def end(tag: str) -> None:
        if inside and tag.rpartition(_SEP)[2] == "definedName":
            done = inside.pop()
            target = local if done.local else names
            target.setdefault(done.name, "".join(done.text).strip())

    parser.StartElementHandler = start
    parser.CharacterDataHandler = text
    parser.EndElementHandler = end
    parser.Parse(xml, True)
    return _with_sheet_names(names, local)


def _with_sheet_names(names: dict[str, str], local: Mapping[str, str]) -> dict[str, str]:
    """``names`` (the workbook's) with each name only a sheet knows (``local``) added: a
    sheet copied into this workbook with Move or Copy brings its names as the sheet's,
    the best there is for that field."""
    for name, ref in local.items():
        names.setdefault(name, ref)
    return names


def _properties(xml: bytes | None, tag: str, attribute: str) -> dict[str, str]:
    """The text of each ``tag`` element by its ``attribute``; the first of a name counts.

    ``<property name="wbt_unit_code"><vt:lpwstr>T01</vt:lpwstr></property>``
    (docProps/custom.xml) or ``<meta:user-defined meta:name="…">T01</…>``
    (meta.xml). Built by ElementTree's C parser (twice as fast as expat with
    Python handlers, on a part read for every file): a part holding ``<!``
    (a declaration, a comment) is not parsed at all, so nothing is expanded,
    nor one larger than :data:`MAX_PROPERTIES_PART`.
    """
    if not xml or len(xml) > MAX_PROPERTIES_PART or b"<!" in xml:
        return {}
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return {}
    found: dict[str, str] = {}
    for element in root.iter(tag):
        found.setdefault(element.get(attribute, ""), "".join(element.itertext()).strip())
    return found


def _ods_names(xml: bytes | None) -> dict[str, str]:
    """``table:named-range`` elements of ``content.xml``: document-level first, then sheet-level."""
    if not xml:
        return {}
    names: dict[str, str] = {}
    local: dict[str, str] = {}
    depth = [0]  # how many table:table elements enclose the parser
    table, named = f"{_ODF_TABLE}{_SEP}table", f"{_ODF_TABLE}{_SEP}named-range"
    name_attr, ref_attr = f"{_ODF_TABLE}{_SEP}name", f"{_ODF_TABLE}{_SEP}cell-range-address"
    parser = _parser()

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == table:
            depth[0] += 1
        elif tag == named:
            target = local if depth[0] else names
            target.setdefault(attrs.get(name_attr, ""), attrs.get(ref_attr, ""))

    def end(tag: str) -> None:
        if tag == table:
            depth[0] -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(xml, True)
    return _with_sheet_names(names, local)


def _xls_names(data: bytes) -> dict[str, str]:
    """The NAME records of an ``.xls`` workbook, read with xlrd (loaded only for ``.xls``)."""
    import xlrd

    book = xlrd.open_workbook(
        file_contents=data, on_demand=True, logfile=io.StringIO(), verbosity=0
    )
    try:
        names: dict[str, str] = {}
        local: dict[str, str] = {}
        for name in book.name_obj_list:
            if name.builtin or name.macro:
                continue
            result = name.result
            ref = getattr(result, "text", None) if result is not None else None
            target = names if name.scope == -1 else local
            target.setdefault(name.name, ref if isinstance(ref, str) else "#REF!")
        return _with_sheet_names(names, local)
    finally:
        book.release_resources()


def _xls_errors(data: bytes, sheet: str) -> dict[tuple[int, int], CellError]:
    """(row, column) -> the error of every error cell of one sheet of an ``.xls``, by xlrd.

    A BIFF file always stores a formula's result: only errors hide there.
    """
    import xlrd

    book = xlrd.open_workbook(
        file_contents=data, on_demand=True, logfile=io.StringIO(), verbosity=0
    )
    try:
        found: dict[tuple[int, int], CellError] = {}
        if sheet not in book.sheet_names():
            return found
        grid = book.sheet_by_name(sheet)
        for r in range(grid.nrows):
            for c, kind in enumerate(grid.row_types(r)):
                if kind == xlrd.XL_CELL_ERROR:
                    code = int(grid.cell_value(r, c))
                    found[(r, c)] = CellError(xlrd.error_text_from_code.get(code, "#VALUE!"))
        return found
    finally:
        book.release_resources()


#: Every form of a period has its inputs in the same cells: each place is made once.
_location = functools.lru_cache(maxsize=4096)(Location)


@functools.lru_cache(maxsize=4096)
def _a1(row: int, col: int) -> str:
    """``C14`` for 0-based (13, 2); named once per place."""
    return f"{get_column_letter(col + 1)}{row + 1}"


_QUOTED = re.compile(r"'(?:[^']|'')*'")
_AREA_SEPARATORS = re.compile(r"[,;~\s()]")


@functools.lru_cache(maxsize=4096)
def _parse_ref(ref: str) -> tuple[str, int, int] | None:
    """``'Báo cáo'!$C$14`` → (sheet, 0-based row, 0-based column); None if not one cell.

    Cached: every form of a period holds the same references. Several areas
    (``'Báo cáo'!$C$17,'Báo cáo'!$C$18``, or space-separated in an .ods) are
    not one cell, though their first is.
    """
    if _AREA_SEPARATORS.search(_QUOTED.sub("", ref.strip())):
        return None
    try:
        sheet, cell = parse_cell_ref(ref)
        column, row = coordinate_from_string(cell)
        return sheet, row - 1, column_index_from_string(column) - 1
    except (ValueError, TypeError):
        return None  # "#REF!", a range, a formula: not one cell


def _sheet_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


# --- what calamine reads as empty ------------------------------------------------

_ODS_ERROR = b'value-type="error"'
#: Any namespace prefix: ``<c``, ``<x:c``.
_CELL_TAG = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?c)[\s/>]")
_ERROR_TYPE = re.compile(rb"\st\s*=\s*[\"']e[\"']")
_STR_TYPE = re.compile(rb"\st\s*=\s*[\"']str[\"']")
_VALUE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?v(?:\s[^>]*)?(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?v>)", re.S
)
_FORMULA = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?f(?:\s[^>]*)?(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?f>)", re.S
)


def _xlsx_cell_error(xml: bytes, cell: str) -> CellError | None:
    """Cell ``C17`` of a sheet's XML, if it holds an error or a formula without result.

    The element is found by its reference (a few byte searches), never by
    parsing the sheet. A cell written without ``r`` (allowed, rare) is not found.
    """
    ref = cell.encode("ascii")
    for quote in (b'"', b"'"):
        needle = b"r=" + quote + ref + quote
        at = xml.find(needle)
        while at >= 0:
            start = xml.rfind(b"<", 0, at)
            tag = _CELL_TAG.match(xml, start) if start >= 0 else None
            if tag is not None and xml[at - 1 : at].isspace() and b">" not in xml[start:at]:
                return _cell_element_error(xml, start, tag.group(1))
            at = xml.find(needle, at + 1)
    return None


def _cell_element_error(xml: bytes, start: int, tag: bytes) -> CellError | None:
    end = xml.find(b">", start)
    if end < 0 or xml[end - 1 : end] == b"/":
        return None  # <c r="C17" s="3"/>: empty
    close = xml.find(b"</" + tag + b">", end)
    if close < 0:
        return None
    attributes, body = xml[start:end], xml[end + 1 : close]
    value = _VALUE.search(body)
    shown = _text(value.group(1)) if value is not None and value.group(1) else ""
    formula = _FORMULA.search(body)
    written = _text(formula.group(1)) if formula is not None and formula.group(1) else ""
    if _ERROR_TYPE.search(attributes) and shown:
        return CellError(shown, written)
    if formula is None:
        return None
    if value is None or (not shown and not _STR_TYPE.search(attributes)):
        return CellError("", written)  # saved by a program that does not calculate
    return None  # a formula with its result (the empty text, for t="str")


def _text(raw: bytes) -> str:
    return html.unescape(raw.decode("utf-8", "replace")).strip()


@functools.lru_cache(maxsize=64)
def _xlsx_sheet_parts(workbook: bytes, rels: bytes) -> dict[str, str]:
    """Sheet name -> the name of its part, from ``xl/workbook.xml`` and its relationships."""
    sheets: list[tuple[str, str]] = []
    targets: dict[str, str] = {}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = tag.rpartition(_SEP)[2]
        if local == "sheet":
            rel_id = next((v for k, v in attrs.items() if k.rpartition(_SEP)[2] == "id"), "")
            sheets.append((attrs.get("name", ""), rel_id))
        elif local == "Relationship":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    for xml in (workbook, rels):
        if xml:
            parser = _parser()
            parser.StartElementHandler = start
            parser.Parse(xml, True)
    parts: dict[str, str] = {}
    for name, rel_id in sheets:
        target = targets.get(rel_id, "")
        if not target:
            continue
        # As python-calamine resolves a sheet's target.
        target = target[1:] if target.startswith("/") else (
            target if target.startswith("xl/") else "xl/" + target
        )
        parts[name] = target
    return parts


@dataclass(slots=True)
class _OdsPlace:
    sheet: str = ""
    row: int = -1
    repeat: int = 1  # how many rows the current row stands for
    col: int = 0
    depth: int = 0  # table:table elements open
    error: tuple[int, str] | None = None  # (column, formula) of the error cell being read


def _ods_errors(content: bytes) -> dict[tuple[str, int, int], CellError]:
    """(sheet key, row, column) -> the error of every error cell of an .ods's ``content.xml``.

    Walked only for a part that marks an error somewhere (LibreOffice's
    ``calcext:value-type="error"``), counting repeated rows and cells.
    """
    found: dict[tuple[str, int, int], CellError] = {}
    table, row_tag = f"{_ODF_TABLE}{_SEP}table", f"{_ODF_TABLE}{_SEP}table-row"
    cells = (f"{_ODF_TABLE}{_SEP}table-cell", f"{_ODF_TABLE}{_SEP}covered-table-cell")
    name_attr = f"{_ODF_TABLE}{_SEP}name"
    rows_attr = f"{_ODF_TABLE}{_SEP}number-rows-repeated"
    cols_attr = f"{_ODF_TABLE}{_SEP}number-columns-repeated"
    formula_attr = f"{_ODF_TABLE}{_SEP}formula"
    at = _OdsPlace()
    texts: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == table:
            at.depth += 1
            if at.depth == 1:
                at.sheet, at.row, at.repeat = _sheet_key(attrs.get(name_attr, "")), -1, 1
        elif at.depth != 1:
            return
        elif tag == row_tag:
            at.row, at.col, at.repeat = at.row + at.repeat, 0, _count(attrs.get(rows_attr))
        elif tag in cells:
            col, at.col = at.col, at.col + _count(attrs.get(cols_attr))
            if any(v == "error" and k.endswith(f"{_SEP}value-type") for k, v in attrs.items()):
                formula = attrs.get(formula_attr, "").split(":", 1)[-1].lstrip("=")
                at.error = (col, formula)
                texts.clear()

    def text(data: str) -> None:
        if at.error is not None:
            texts.append(data)

    def end(tag: str) -> None:
        if tag == table:
            at.depth -= 1
        elif tag in cells and at.error is not None and at.depth == 1:
            (col, formula), at.error = at.error, None
            found[(at.sheet, at.row, col)] = CellError("".join(texts).strip() or "#VALUE!", formula)

    parser = _parser()
    parser.StartElementHandler = start
    parser.CharacterDataHandler = text
    parser.EndElementHandler = end
    parser.Parse(content, True)
    return found


def _count(raw: str | None) -> int:
    try:
        return max(1, int(raw)) if raw else 1
    except ValueError:
        return 1
