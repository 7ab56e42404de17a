"""Limits on what a reader would allocate or expand: XML declarations, cells, text, fonts.

Each check looks at a part's bytes with patterns, never a whole XML parse
(which would cost more than the rest of the inspection), and follows what
python-calamine 0.9 was seen to allocate (tests/test_safety.py keeps it
aborting on a far cell as a witness):

- no XML part holds a DOCTYPE or ENTITY declaration (:func:`check_xml`);
- no sheet makes python-calamine allocate more than ``Limits.max_cells``
  cells: it allocates the rectangle between the first and last cell holding
  a value, not the ``<dimension>`` a sheet claims (:func:`scan_sheet`);
- no shared-strings table claims a count that it would reserve up front
  (:func:`check_shared_strings`);
- a cell longer than Excel's 32,767 characters is reported, not cut: the
  reader is to keep only its first ``Limits.max_cell_chars``
  (:func:`check_long_text`);
- the legacy Vietnamese fonts (TCVN3, VNI) a style sheet names are noted
  (:func:`style_fonts`).
"""

from __future__ import annotations

import functools
import html
import itertools
import operator
import re
from collections.abc import Callable, Iterable
from typing import TypeVar, TypeVarTuple

from workbook_tools.safety.findings import SMALL_PART, Findings, Limits, count

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")


def memo_small(function: Callable[[bytes, *_Ts], _T]) -> Callable[[bytes, *_Ts], _T]:
    """``function`` of a part's bytes, its results kept per process for small parts.

    Forms made from one plan share most parts byte for byte; a large part (a
    hostile one, say) is never kept.
    """
    cached = functools.lru_cache(maxsize=16)(function)

    @functools.wraps(function)
    def call(data: bytes, *args: *_Ts) -> _T:
        if len(data) > SMALL_PART:
            return function(data, *args)
        return cached(data, *args)

    return call


_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)


def check_xml(name: str, data: bytes, report: Findings) -> None:
    """Refuse a part that is not UTF-8 XML or that declares a DTD or entities.

    Comments and CDATA are the only "<!" a spreadsheet part holds; a
    declaration is refused wherever it is, even inside a comment.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:2].count(0):
        report.refuse("file.corrupt", reason=f"phần {name} không được mã hóa UTF-8")
    # "!" is rare in a spreadsheet part, and a search for one byte runs at memory
    # speed: the search for "<!", which looks at every "<", only where there is one.
    at = data.find(b"<!") if b"!" in data else -1
    if at >= 0 and _DECLARATION.search(data, at):
        report.refuse("file.xml_entities", part=name)


# A start tag's attributes, each value quoted (a value may hold ">" or "/"), then
# "/" for an empty element: as an XML reader sees the tag end, not at the first ">".
ATTRIBUTES = rb"""((?:\s*[^\s=<>/"']+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>"""


class Element:
    """A pattern for an element whatever its namespace prefix (python-calamine ignores them).

    Without ":name" anywhere in a part no match can have a prefix, and the
    pattern without one finds the same matches several times faster: it
    starts with a literal, where the other tries a prefix at every "<".
    """

    def __init__(self, name: bytes, rest: bytes) -> None:
        self.mark = b":" + name
        self.plain = re.compile(b"<" + name + rest)
        self.any_prefix = re.compile(rb"<(?:[\w.-]+:)?" + name + rest)

    def pattern(self, data: bytes) -> re.Pattern[bytes]:
        return self.any_prefix if self.mark in data else self.plain


_ATTRIBUTE = re.compile(rb"([\w.:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def tag_attributes(text: bytes) -> dict[str, str]:
    """An element's attributes (prefix kept), entities resolved."""
    return {
        key.decode("utf-8", "replace"): html.unescape((double or single).decode("utf-8", "replace"))
        for key, double, single in _ATTRIBUTE.findall(text)
    }


_FONT_NAME = Element(b"name", rb"\s+val\s*=\s*\"([^\"]*)\"")
_SST_START = Element(b"sst", rb"(?=[\s/>])" + ATTRIBUTES)
_SST_COUNT = re.compile(rb"(?:^|[\s\"'])(?:[\w.-]+:)?uniqueCount\s*=\s*[\"']\s*([0-9]+)")


def check_shared_strings(data: bytes, limits: Limits, report: Findings) -> None:
    start = _SST_START.pattern(data).search(data)
    claimed = _SST_COUNT.search(start.group(1)) if start else None
    if claimed is not None and int(claimed.group(1)) > limits.max_shared_strings:
        claims = count(int(claimed.group(1)))
        report.refuse("file.corrupt", reason=f"danh sách chữ dùng chung khai báo {claims} mục")
    check_long_text(data, None, limits, report)


@memo_small
def style_fonts(styles: bytes) -> frozenset[str]:
    """The legacy fonts a style sheet names."""
    return frozenset(legacy_fonts(_FONT_NAME.pattern(styles).findall(styles)))


def legacy_fonts(names: Iterable[bytes]) -> set[str]:
    found = set()
    for raw in itertools.islice(set(names), 1000):  # a style sheet has a few dozen
        name = html.unescape(raw.decode("utf-8", errors="replace")).strip()
        if name.lower().startswith((".vn", "vni")):
            found.add(name)
    return found


# --- the cells of a worksheet ------------------------------------------------

_DIMENSION = Element(b"dimension", rb"\s+ref\s*=\s*[\"']([^\"']*)[\"']")
# Every cell start, with its reference when written as every known writer does
# (first, upper case); empty groups for any other shape.
_CELL_START = re.compile(rb'<c(?: r="([A-Z]{1,3})([0-9]{1,7})")?[\s/>]')
_VALUE_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"' + ATTRIBUTES)
_ROW_OR_CELL = re.compile(rb"<(/?)(?:[\w.-]+:)?(row|c)(?=[\s/>])" + ATTRIBUTES)
# A cell start that is not in the usual shape (reference first, upper case) or lies
# beyond ZZ999: none in a sheet means its cells all fit in 702 columns × 1,000 rows
# (row 0 counted, as the rectangle below would count it). The repeats are
# possessive: what follows each never matches what it repeats.
_BEYOND_SMALL = re.compile(rb'<c(?! r="[A-Z]{1,2}+[0-9]{1,3}+"[\s/>])[\s/>]')
_SMALL_AREA = 702 * 1000
_R_ATTRIBUTE = re.compile(rb"(?:^|[\s\"'])r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REFERENCE = re.compile(rb"([A-Za-z]{0,8})([0-9]{1,10})")

# (first row, first column, last row, last column), 1-based
_Box = tuple[int, int, int, int]


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def cell_name(row: int, column: int) -> str:
    return f"{_column_letters(column)}{row}"


def area(box: _Box) -> int:
    return (box[2] - box[0] + 1) * (box[3] - box[1] + 1)


_FIRST, _SECOND = operator.itemgetter(0), operator.itemgetter(1)


def _refs_box(data: bytes, pattern: re.Pattern[bytes]) -> tuple[_Box | None, bool]:
    """The rectangle of the references ``pattern`` captures, and whether every match had one.

    The part is read a megabyte at a time (cut just before a cell) so that a
    large sheet never holds more than a megabyte's worth of matches at once.
    """
    top = left = 1 << 62
    bottom = right = 0
    regular = True
    start = 0
    while start < len(data):
        end = data.find(b"<c", start + (1 << 20))
        end = len(data) if end < 0 else end
        found = pattern.findall(data, start, end)
        if found and len(found[0]) > 2:  # (column, row, attributes, "/"): non-empty cells only
            found = [cell for cell in found if not cell[3]]
        # Columns and rows apart, each a set of bytes: a million cells take a
        # fraction of a second, where a set of (column, row) pairs took seconds.
        letters = set(map(_FIRST, found))
        if b"" in letters:  # a cell of another shape: its column and row are both empty
            regular = False
            letters.discard(b"")
        if letters:
            numbers = set(map(_SECOND, found))
            numbers.discard(b"")
            rows = list(map(int, numbers))
            columns = list(map(_column_number, letters))
            top, bottom = min(top, min(rows)), max(bottom, max(rows))
            left, right = min(left, min(columns)), max(right, max(columns))
        start = end
    return (None if bottom == 0 else (top, left, bottom, right)), regular


def scan_sheet(data: bytes, cells: int, sheet: str, limits: Limits, report: Findings) -> None:
    """Refuse a sheet whose values span more cells than a reader may allocate.

    ``cells`` is where "sheetData" first appears in ``data``.
    """
    head = data[:cells]
    claimed = _DIMENSION.pattern(head).search(head)
    if claimed is not None and _claimed_cells(claimed.group(1)) > limits.max_cells:
        shown = claimed.group(1).decode("ascii", errors="replace")
        report.add("file.huge_dimension", sheet=sheet, value=shown)
    # Every known writer puts each cell's reference first: then the rectangle
    # of all cells bounds the rectangle of values, and only when it is too
    # large are the empty cells (<c …/>) left out. A cell of another shape, or
    # a namespace prefix (python-calamine ignores prefixes), means a walk.
    if _has_prefixed_cell(data):
        box, regular = None, False
    elif limits.max_cells >= _SMALL_AREA and _BEYOND_SMALL.search(data) is None:
        return  # a form: every cell is in the usual shape, within A1:ZZ999
    else:
        box, regular = _refs_box(data, _CELL_START)
    if regular:
        if box is not None and area(box) > limits.max_cells:
            box, _ = _refs_box(data, _VALUE_CELL_REF)
    elif data.count(b"<") > limits.max_elements:
        report.refuse(
            "file.sheet_too_large", where=f"trang '{sheet}'", limit=count(limits.max_elements)
        )
    else:
        box = _walk_cells(data)
    if box is not None and area(box) > limits.max_cells:
        report.refuse(
            "file.too_many_cells",
            sheet=sheet,
            cell=cell_name(box[2], box[3]),
            first=cell_name(box[0], box[1]),
            last=cell_name(box[2], box[3]),
            limit=count(limits.max_cells),
        )


@memo_small
def _claimed_cells(ref: bytes) -> int:
    """How many cells a ``<dimension ref>`` such as ``A1:D51`` claims (0 if not a range)."""
    corners = [_reference_place(corner) for corner in ref.split(b":")]
    if len(corners) != 2 or corners[0] is None or corners[1] is None:
        return 0
    (r1, c1), (r2, c2) = corners[0], corners[1]
    return (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1)


def _has_prefixed_cell(data: bytes) -> bool:
    """Whether ":c" is in ``data``, as in a cell written with a namespace prefix (<x:c …>).

    ``b":c" in data`` looks at every byte; a search for ":" alone runs at
    memory speed, and a sheet holds few (in text, merged ranges): each is
    looked at in turn while they stay rarer than one in 128 bytes.
    """
    at, seen = data.find(b":"), -8
    while at >= 0:
        if data.startswith(b"c", at + 1):
            return True
        if at < seen * 128:  # not rare here: one search for the pair from here on
            return data.find(b":c", at + 1) >= 0
        at, seen = data.find(b":", at + 1), seen + 1
    return False


def _walk_cells(data: bytes) -> _Box | None:
    """The rectangle of a sheet's values, placing each cell as python-calamine does.

    A cell without a reference follows the one before it in its row; a row
    without one follows the row before it. A cell written ``<c …/>`` holds no
    value and takes no room.
    """
    row = column = 0  # 0-based, as the reader counts
    top = left = 1 << 62
    bottom = right = -1
    for match in _ROW_OR_CELL.finditer(data):
        closing, tag, attributes, empty = match.groups()
        if tag == b"row":
            if not closing and (place := _place(attributes)) is not None:
                row = place[0]
            if closing or empty:
                row, column = row + 1, 0
            continue
        if closing:
            continue
        place = _place(attributes)
        if place is not None and place[1] >= 0:
            at_row, column = place
        else:
            at_row = row
        if not empty:
            top, bottom = min(top, at_row), max(bottom, at_row)
            left, right = min(left, column), max(right, column)
        column += 1
    return None if bottom < 0 else (top + 1, left + 1, bottom + 1, right + 1)


def _place(attributes: bytes) -> tuple[int, int] | None:
    """(row, column) of an ``r`` attribute, 0-based; column -1 when it names only a row."""
    found = _R_ATTRIBUTE.search(attributes)
    if found is None:
        return None
    return _reference_place(found.group(1) or found.group(2) or b"")


def _reference_place(reference: bytes) -> tuple[int, int] | None:
    """(row, column) of a reference such as ``B12``, 0-based; column -1 when it names only a row."""
    found = _REFERENCE.fullmatch(reference.strip())
    if found is None or int(found.group(2)) == 0:
        return None
    return int(found.group(2)) - 1, _column_number(found.group(1)) - 1


def check_long_text(data: bytes, sheet: str | None, limits: Limits, report: Findings) -> None:
    """Warn of a cell longer than Excel allows (the reader keeps the first ``max_cell_chars``)."""
    limit = limits.max_cell_chars
    # A run of more than `limit` bytes without "<" fills a whole block of this
    # size: look only where a block holds no "<" at all.
    block = max(1, (limit + 1) // 2)
    at = 0
    while at + block <= len(data):
        if data.find(b"<", at, at + block) >= 0:
            at += block
            continue
        start = data.rfind(b"<", 0, at) + 1
        end = data.find(b"<", at)
        end = len(data) if end < 0 else end
        run = data[start:end]
        text = run.split(b">", 1)[-1]  # the tag's own end, when the run starts in one
        chars = len(html.unescape(text.decode("utf-8", errors="replace")))
        if chars > limit:
            where = f"trang '{sheet}'" if sheet else "danh sách chữ dùng chung"
            report.add("file.cell_too_long", sheet=sheet, where=where, length=chars, limit=limit)
            return
        at = end
