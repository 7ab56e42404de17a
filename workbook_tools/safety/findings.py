"""What the inspection finds out about a file, and the limits it holds the file to.

Shared by every step of :mod:`workbook_tools.safety`: the public
:class:`FileFormat`, :class:`Limits` and :class:`Inspection`, and the
:class:`Findings` each step adds its problems to (and :class:`Refused`, raised
once a reason to refuse the file is recorded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from workbook_tools import problems
from workbook_tools.problems import Problem
from workbook_tools.values import CELL_CHARS

MiB = 1 << 20

#: A part at most this large (inflated) counts as small: the memos keep its results.
SMALL_PART = 1 << 17


class FileFormat(StrEnum):
    """What a usable file really is, whatever its name says."""

    XLSX = "xlsx"
    XLSM = "xlsm"  # Office Open XML with macros: values are read, macros never run
    XLS = "xls"  # Excel 97-2003 (BIFF8 in a compound file)
    ODS = "ods"


@dataclass(frozen=True, slots=True)
class Limits:
    """How far a returned file may go before it is refused.

    A generated form is 10-30 KB on disk with a few sheets of a few hundred
    cells; these limits leave it a thousand times the room and still keep one
    file within a few hundred MB and a few seconds.
    """

    max_file_bytes: int = 50 * MiB  # on disk
    max_part_bytes: int = 32 * MiB  # one zip member, once inflated
    max_total_inflated: int = 128 * MiB  # all zip members together, once inflated
    max_parts: int = 1000  # zip members
    max_sheets: int = 50
    # Rows × columns between a sheet's first and last value: python-calamine
    # allocates 32 bytes per cell of that rectangle, then one object per cell.
    max_cells: int = 2_000_000
    max_shared_strings: int = 1_000_000  # python-calamine reserves 24 bytes per claimed string
    # XML elements (or BIFF records) looked at one by one, in a sheet written in
    # an unusual shape or in an .ods/.xls: about a second of work.
    max_elements: int = 1_000_000
    max_cell_chars: int = CELL_CHARS  # Excel's own limit for one cell


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Inspection:
    """What :func:`~workbook_tools.safety.inspect` found out about one file."""

    path: Path
    format: FileFormat | None  # None: the file must not be read (see problems)
    problems: tuple[Problem, ...] = ()  # errors (unusable) and warnings (macros, extension…)
    macro_enabled: bool = False
    sheets: tuple[str, ...] = ()  # sheet names in workbook order
    # Small XML parts, already inflated and checked, for reading metadata
    # without a second pass: [Content_Types].xml, xl/workbook.xml and its rels,
    # docProps/*.xml (OOXML); content.xml, meta.xml, META-INF/manifest.xml (ODS).
    # Also an OOXML sheet whose cells hold a formula or an error
    # (ooxml.may_hide_values): what python-calamine reads as empty is looked
    # at there; a sheet not kept holds neither.
    parts: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    legacy_fonts: tuple[str, ...] = ()  # TCVN3 (.VnTime…) and VNI fonts the styles use
    # The bytes that were checked, for a usable file: readers parse these, never the
    # file again, so a file replaced during the run cannot reach a reader unchecked.
    content: bytes = field(default=b"", repr=False)
    # The file's modification time (seconds since the epoch) as it was read; None
    # when it could not be had.
    modified: float | None = None
    # For a zip workbook (.xlsx, .xlsm, .ods) of at most zipped.UNPACKED_MAX bytes
    # inflated: its checked parts (every XML part, and an .ods's mimetype) in a
    # zip of their own, stored without compression. A reader opening it parses
    # the very bytes inflated and checked here, and does not inflate them again
    # (python-calamine inflates a form's parts slower than it reads them). b""
    # otherwise: read ``content``.
    unpacked: bytes = field(default=b"", repr=False)

    @property
    def usable(self) -> bool:
        return self.format is not None

    def part(self, name: str) -> bytes | None:
        """A kept part by name, whatever its case (as python-calamine looks parts up)."""
        wanted = name.lower()
        return next((data for key, data in self.parts.items() if key.lower() == wanted), None)


class Refused(Exception):
    """The file is unusable; the reason is already in the findings."""


class Findings:
    """Problems found in one file, and what is known of it so far."""

    def __init__(self, file: str, suffix: str) -> None:
        self.file = file
        self.suffix = suffix
        self.problems: list[Problem] = []
        self.format: FileFormat | None = None
        self.macro_enabled = False
        self.sheets: list[str] = []
        self.parts: dict[str, bytes] = {}
        self.fonts: set[str] = set()
        self.modified: float | None = None
        self.unpacked = b""

    @property
    def ext(self) -> str:
        return self.suffix or "(không có đuôi)"

    def add(self, code: str, **context: Any) -> None:
        self.problems.append(problems.make(code, file=self.file, **context))

    def refuse(self, code: str, **context: Any) -> NoReturn:
        self.add(code, **context)
        raise Refused


def mb(size: int) -> str:
    """A size in MB as Vietnamese write it: 31,0."""
    return f"{size / MiB:.1f}".replace(".", ",")


def count(number: int) -> str:
    """A count as Vietnamese write it: 2.000.000."""
    return f"{number:,}".replace(",", ".")
