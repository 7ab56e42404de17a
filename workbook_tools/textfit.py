"""How much room a text takes when a spreadsheet prints it: widths, wrapped lines, heights.

The forms and the report are set in Times New Roman; LibreOffice prints them with
Liberation Serif, its metric-compatible stand-in, so one table of advance widths
(:mod:`workbook_tools.font_widths`) serves both. A cell's text wraps at spaces
(a word longer than the line is broken), as Excel and LibreOffice wrap it, at
the column's width less the cell's inner margins; a row is as tall as its most
wrapped cell. Everything here errs a little on the tall side: white space is
better than a clipped line.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import cache, lru_cache

from workbook_tools import font_widths

_INDEX = {ch: i for i, ch in enumerate(font_widths.CHARS)}
_TABLES = {
    (False, False): font_widths.REGULAR,
    (True, False): font_widths.BOLD,
    (False, True): font_widths.ITALIC,
    (True, True): font_widths.BOLD_ITALIC,
}
_WIDEST = 2048  # an unknown character: counted a full em wide

#: Points of a cell's width lost to its inner margins (both sides) and the rounding
#: of a wrapped line's end.
CELL_PADDING = 6.0
#: Points added to a row's lines: the cell's top and bottom margins.
ROW_PADDING = 4.0
#: A wrapped line's height, in font sizes: Times New Roman's ascent and descent
#: (1.107 em) with Excel's rounding to pixels on top.
LINE_SPACING = 1.25
#: Excel's tallest row, in points.
MAX_ROW_HEIGHT = 409.0


def _units(ch: str, table: Sequence[int]) -> int:
    i = _INDEX.get(ch)
    if i is None:
        base = unicodedata.normalize("NFD", ch)[:1]
        i = _INDEX.get(base)
    return _WIDEST if i is None else table[i]


#: Each character's width by style, looked up once: a report measures ~100,000 cells.
_WIDTHS: dict[tuple[bool, bool], dict[str, int]] = {style: {} for style in _TABLES}
#: The widest character of each style: a text this many times shorter than its line
#: needs no measuring.
_WIDEST_OF = {style: max(max(table), _WIDEST) for style, table in _TABLES.items()}


def _width_units(text: str, style: tuple[bool, bool]) -> int:
    widths = _WIDTHS[style]
    total = 0
    for ch in text:
        w = widths.get(ch)
        if w is None:
            w = widths[ch] = _units(ch, _TABLES[style])
        total += w
    return total


@lru_cache(maxsize=65536)
def wrap(
    text: str, width: float, size: float, bold: bool = False, italic: bool = False
) -> tuple[str, ...]:
    """The lines ``text`` prints as in a cell ``width`` points wide (inner margins
    included), at ``size`` points: broken at spaces, a too long word broken where it
    reaches the edge, every newline kept.

    Each word is measured once and the line's width carried along (measuring the
    line again for every word made a long text's wrapping quadratic).
    """
    style = (bold, italic)
    room = max(width - CELL_PADDING, size) * font_widths.UNITS_PER_EM / size  # in font units
    space = _width_units(" ", style)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_width = "", 0
        for word in paragraph.split(" "):
            word_width = _width_units(word, style)
            candidate = line_width + space + word_width if line else word_width
            if candidate <= room:
                line = f"{line} {word}" if line else word
                line_width = candidate
                continue
            if line:
                lines.append(line)
            line, line_width = word, word_width
            while len(line) > 1 and line_width > room:
                cut, fitted = 1, _width_units(line[0], style)
                for ch in line[1:]:
                    w = _width_units(ch, style)
                    if fitted + w > room:
                        break
                    fitted += w
                    cut += 1
                lines.append(line[:cut])
                line = line[cut:]
                line_width = _width_units(line, style)
        lines.append(line)
    return tuple(lines)


def line_count(text: str, width: float, size: float, bold: bool = False, italic: bool = False
               ) -> int:  # fmt: skip
    """How many lines :func:`wrap` gives (a short text, without measuring it)."""
    room = max(width - CELL_PADDING, size) * font_widths.UNITS_PER_EM / size
    if "\n" not in text and len(text) * _WIDEST_OF[(bold, italic)] <= room:
        return 1
    return len(wrap(text, width, size, bold, italic))


def line_height(size: float) -> float:
    """Height in points of one wrapped line at ``size`` points."""
    return LINE_SPACING * size


def rows_height(lines: int, size: float) -> float:
    """A row's height in points for ``lines`` lines at ``size`` points, in whole pixels
    (0.75 pt) as a file stores it, Excel's limit at most."""
    height = math.ceil((lines * line_height(size) + ROW_PADDING) / 0.75 - 1e-9) * 0.75
    return min(MAX_ROW_HEIGHT, height)


@cache  # a report asks it of the same few widths tens of thousands of times
def column_points(width: float, default_size: float) -> float:
    """Printed width in points of a column ``width`` characters wide, as xlsxwriter's
    ``set_column`` takes it, in a workbook whose default font is Times New Roman at
    ``default_size``."""
    return stored_column_points(width + (0.71 if width >= 1 else 0), default_size)


def stored_column_points(stored: float, default_size: float) -> float:
    """Printed width in points of a column whose file says ``stored`` (xlsxwriter adds
    5 pixels of padding to the width given). A character is the default font's digit:
    half an em in LibreOffice, whole pixels in Excel; the narrower of the two is taken."""
    digit_px = math.floor(default_size * 96 / 72 / 2)
    return min(stored * default_size / 2, stored * digit_px * 0.75)


def page_starts(
    heights: Callable[[int], float],
    start: int,
    end: int,
    room: float,
    used: float = 0.0,
    repeated: float = 0.0,
    keep: Mapping[int, int] | None = None,
) -> tuple[int, ...]:
    """The rows that start a printed page, for manual page breaks: rows ``start`` up to
    ``end`` (excluded) filling pages ``room`` points tall, the first page already
    holding ``used`` points of rows, each page after it ``repeated`` points of
    repeated heading rows. A row of ``keep`` starts a page rather than print on
    another than the rows down to ``keep[row]`` (a heading and what follows it,
    a signature block), unless they could not fit on any page."""
    keep = keep or {}
    breaks: list[int] = []
    for row in range(start, end):
        needed = sum(heights(r) for r in range(row, keep.get(row, row) + 1))
        if used + needed > room and used > repeated and (row in keep or used + heights(row) > room):
            breaks.append(row)
            used = repeated
        used += heights(row)
    return tuple(breaks)
