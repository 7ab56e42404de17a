"""Look at a returned file before any spreadsheet reader touches it.

Returned forms come by email and Zalo from many people, in any state, and one
day one may be hostile. :func:`inspect` reads the file's bytes itself and
decides, by content and not by extension, what the file is and whether a reader
may open it: an empty or cut file, a web page or CSV saved as ``.xls``, a zip
bomb, an XML entity attack, a password, a sheet claiming a million rows… each
becomes a :class:`~workbook_tools.problems.Problem` naming the file and saying
what to do, and the run goes on with the other files.

What it guarantees for a file it passes (``Inspection.format`` not None):

- every zip member was inflated here, in chunks, and stopped once a cap was
  reached: the sizes and CRCs a reader will meet are the ones checked, whatever
  the headers claim (python-calamine, written in Rust, would inflate a bomb
  into memory and abort the whole process on a failed allocation). A small
  member whose compressed bytes are the very same as those of one inflated
  lately in this process (forms of one plan share their theme, styles…) is
  taken from a memo: the same bytes, checked the same way;
- no XML part holds a DOCTYPE or ENTITY declaration;
- no sheet makes python-calamine allocate more than ``Limits.max_cells`` cells
  (it allocates the rectangle between the first and last cell holding a value,
  not the ``<dimension>`` a sheet claims), and no shared-strings table claims a
  count that it would reserve up front;
- an .ods repeats no row, cell or space into more than the reader may hold;
- no more than ``Limits.max_sheets`` sheets.

The cell checks follow what python-calamine 0.9 was seen to allocate
(tests/test_safety.py keeps it aborting on a far cell as a witness). A cell
longer than Excel's 32,767 characters is reported, not cut: the reader is to
keep only its first ``Limits.max_cell_chars``.

For the reader: open a passed file by its content, not its name
(python-calamine's ``CalamineWorkbook.from_path`` picks the format from the
extension, so an ``.xls`` renamed ``.xlsx`` needs ``from_filelike``): the
checked parts, stored uncompressed (``Inspection.unpacked``), where there are
some, else the bytes that were checked (``Inspection.content``); and
catch pyo3's ``PanicException`` around it too: a panic inside python-calamine
is raised as that class, which derives from ``BaseException``, not ``Exception``.
"""

from __future__ import annotations

import functools
import html
import itertools
import operator
import os
import re
import stat
import struct
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, NoReturn, TypeVar, TypeVarTuple

from workbook_tools import problems
from workbook_tools.problems import Problem, Severity

MiB = 1 << 20


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
    max_cell_chars: int = 32_767  # Excel's own limit for one cell


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Inspection:
    """What :func:`inspect` found out about one file."""

    path: Path
    format: FileFormat | None  # None: the file must not be read (see problems)
    problems: tuple[Problem, ...] = ()  # errors (unusable) and warnings (macros, extension…)
    macro_enabled: bool = False
    sheets: tuple[str, ...] = ()  # sheet names in workbook order
    # Small XML parts, already inflated and checked, for reading metadata
    # without a second pass: [Content_Types].xml, xl/workbook.xml and its rels,
    # docProps/*.xml (OOXML); content.xml, meta.xml, META-INF/manifest.xml (ODS).
    parts: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    legacy_fonts: tuple[str, ...] = ()  # TCVN3 (.VnTime…) and VNI fonts the styles use
    # The bytes that were checked, for a usable file: readers parse these, never the
    # file again, so a file replaced during the run cannot reach a reader unchecked.
    content: bytes = field(default=b"", repr=False)
    # The file's modification time (seconds since the epoch) as it was read; None
    # when it could not be had.
    modified: float | None = None
    # For a zip workbook (.xlsx, .xlsm, .ods) of at most UNPACKED_MAX bytes
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


# --- files that are not returns at all ---------------------------------------

#: Names the operating system or a spreadsheet program leaves in a folder.
_NOISE = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini", "__macosx"})


def should_skip(path: Path) -> bool:
    """Whether ``path`` (a file or a folder) is to be passed over silently.

    Excel's owner files (``~$Thon 1.xlsx``), LibreOffice's lock files
    (``.~lock.Thon 1.xlsx#``), hidden files and folders (a leading dot, macOS
    ``._`` forks included) and Windows' ``Thumbs.db`` / ``desktop.ini``.
    """
    return should_skip_name(path.name)


def should_skip_name(name: str) -> bool:
    """:func:`should_skip` for a file or folder named ``name``."""
    return name.startswith((".", "~$")) or name.lower() in _NOISE


def is_reader_panic(err: BaseException) -> bool:
    """Whether ``err`` is a panic of a reader written in Rust (python-calamine).

    pyo3 raises a panic as ``pyo3_runtime.PanicException``, which derives from
    ``BaseException`` so that ``except Exception`` lets it through, and whose
    module cannot be imported: it is known by its name. Catch it beside
    ``Exception`` around a reader, and let every other ``BaseException``
    (``KeyboardInterrupt``, ``SystemExit``) go on.
    """
    kind = type(err)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


# --- the inspection ----------------------------------------------------------


class _Refused(Exception):
    """The file is unusable; the reason is already in the report."""


class _Report:
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
        raise _Refused


def inspect(path: Path, *, limits: Limits = DEFAULT_LIMITS, name: str | None = None) -> Inspection:
    """Say what ``path`` really is and whether a spreadsheet reader may open it.

    ``name`` is how records name the file (default: its file name). Never
    raises for anything in the file, and never writes to it.
    """
    report = _Report(name or path.name, path.suffix.lower())
    data = b""
    try:
        data = _read(path, limits, report)
        _inspect_bytes(data, limits, report)
    except _Refused:
        pass
    except Exception as err:  # a file nobody foresaw must not stop the run
        report.add("file.unexpected", reason=type(err).__name__)
    usable = not any(p.severity is Severity.ERROR for p in report.problems)
    return Inspection(
        path=path,
        format=report.format if usable else None,
        problems=tuple(report.problems),
        macro_enabled=report.macro_enabled,
        sheets=tuple(report.sheets),
        parts=MappingProxyType(report.parts),
        legacy_fonts=tuple(sorted(report.fonts)),
        content=data if usable else b"",
        modified=report.modified,
        unpacked=report.unpacked if usable else b"",
    )


def _read(path: Path, limits: Limits, report: _Report) -> bytes:
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):  # a folder, a pipe that would block a read…
            what = (
                "đây là một thư mục" if stat.S_ISDIR(status.st_mode) else "đây không phải một tệp"
            )
            report.refuse("file.unreadable", reason=what)
        size, report.modified = status.st_size, status.st_mtime
        if size > limits.max_file_bytes:
            report.refuse("file.too_large", size=_mb(size), limit=_mb(limits.max_file_bytes))
        # At the level of the operating system: a file object costs more than the read.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            # Ask for what stat() saw (and one byte more): not a 50 MB buffer each time.
            data = _read_up_to(descriptor, size + 1)
        finally:
            os.close(descriptor)
    except OSError as err:
        report.refuse("file.unreadable", reason=_os_reason(err))
    if not data:
        report.refuse("file.empty")
    if len(data) > limits.max_file_bytes:  # grew since stat()
        report.refuse("file.too_large", size=_mb(len(data)), limit=_mb(limits.max_file_bytes))
    return data


def _read_up_to(descriptor: int, wanted: int) -> bytes:
    """Up to ``wanted`` bytes, fewer only at the end of the file."""
    pieces = []
    while wanted > 0:
        piece = os.read(descriptor, wanted)
        if not piece:
            break
        pieces.append(piece)
        wanted -= len(piece)
    return b"".join(pieces)


def _os_reason(err: OSError) -> str:
    if isinstance(err, PermissionError):
        return "không có quyền đọc, hoặc tệp đang được mở trong chương trình khác"
    if isinstance(err, FileNotFoundError):
        return "tệp đã bị xóa hoặc đổi tên trong lúc đọc"
    return f"lỗi đọc tệp ({err.__class__.__name__})"


def _mb(size: int) -> str:
    return f"{size / MiB:.1f}".replace(".", ",")


_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a member first, or an empty archive
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

#: Extensions a spreadsheet of each format may carry without a warning.
_EXTENSIONS = {
    FileFormat.XLSX: {".xlsx", ".xlsm", ".xltx", ".xltm"},
    FileFormat.XLSM: {".xlsx", ".xlsm", ".xltx", ".xltm"},
    FileFormat.XLS: {".xls", ".xlt"},
    FileFormat.ODS: {".ods", ".ots"},
}
_FORMAT_NAMES = {
    FileFormat.XLSX: "Excel .xlsx",
    FileFormat.XLSM: "Excel có macro .xlsm",
    FileFormat.XLS: "Excel 97-2003 .xls",
    FileFormat.ODS: "LibreOffice .ods",
}


def _inspect_bytes(data: bytes, limits: Limits, report: _Report) -> None:
    if data.startswith(_ZIP):
        _inspect_zip(data, limits, report)
    elif data.startswith(_OLE):
        _inspect_ole(data, limits, report)
    else:
        _refuse_other(data, report)
    if report.format is not None and report.suffix not in _EXTENSIONS[report.format]:
        report.add("file.wrong_extension", ext=report.ext, real=_FORMAT_NAMES[report.format])


# --- not a spreadsheet container: say what it is -----------------------------

_BINARY_KINDS = (
    (b"%PDF", "một tệp PDF"),
    (b"\x89PNG", "một tệp ảnh"),
    (b"\xff\xd8\xff", "một tệp ảnh"),
    (b"GIF8", "một tệp ảnh"),
    (b"{\\rtf", "một văn bản RTF (Word)"),
    (b"Rar!", "một tệp nén RAR"),
    (b"7z\xbc\xaf\x27\x1c", "một tệp nén 7z"),
    (b"\x1f\x8b", "một tệp nén gzip"),
)
_HTML = re.compile(r"<(?:html|!doctype\s+html|head|body|table|meta|style|div)\b|^mime-version:")


def _refuse_other(data: bytes, report: _Report) -> NoReturn:
    for magic, kind in _BINARY_KINDS:
        if data.startswith(magic):
            report.refuse("file.not_workbook", kind=kind)
    text = _as_text(data[:8192])
    if text is None:
        report.refuse("file.not_workbook", kind="một tệp không phải bảng tính")
    low = text.lstrip("\ufeff \t\r\n").lower()
    if low.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in low or 'progid="excel.sheet"' in low:
            report.refuse("file.xml2003", ext=report.ext)
        if _HTML.search(low[:4096]):
            report.refuse("file.html", ext=report.ext)
        report.refuse("file.not_workbook", kind="một tệp XML")
    if _HTML.search(low[:1024]):  # a web archive (.mht), or HTML after some text
        report.refuse("file.html", ext=report.ext)
    lines = [line for line in low.splitlines()[:20] if line.strip()]
    for mark, kind in (
        ("\t", "phân cách bằng dấu tab"),
        (";", "phân cách bằng dấu chấm phẩy"),
        (",", "CSV, phân cách bằng dấu phẩy"),
    ):
        if lines and sum(mark in line for line in lines) * 2 >= len(lines):
            report.refuse("file.csv", kind=kind, ext=report.ext)
    report.refuse("file.not_workbook", kind="một tệp văn bản")


def _as_text(head: bytes) -> str | None:
    """``head`` decoded if it is text (UTF-8, UTF-16 with a BOM, or Windows-1252)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="replace")
    else:
        if b"\0" in head:
            return None
        try:  # a multi-byte character may be cut at the end of the head
            text = head[:-4].decode("utf-8") if len(head) > 4 else head.decode("utf-8")
        except UnicodeDecodeError:
            text = head.decode("cp1252", errors="replace")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n\f")
    return text if controls * 100 <= len(text) else None


# --- Office Open XML and OpenDocument: zip archives --------------------------


def _inspect_zip(data: bytes, limits: Limits, report: _Report) -> None:
    by_name: dict[str, _Member] = {}
    for member in _members(data, limits, report):
        key = member.name.lower()
        if key in by_name:  # two readers could each take a different one
            report.refuse("file.corrupt", reason=f"có hai phần cùng tên {member.name}")
        by_name[key] = member
    inflater = _Inflater(data, limits, report, keep_parts=True)
    if "mimetype" in by_name:
        _inspect_ods(by_name, inflater, limits, report)
    elif "[content_types].xml" in by_name:
        _inspect_ooxml(by_name, inflater, limits, report)
    else:
        report.refuse("file.not_workbook", kind="một tệp nén (.zip)")
    if inflater.kept:
        report.unpacked = _stored_zip(inflater.kept)


class _Member(NamedTuple):
    """A zip member as the central directory lists it (sizes unverified)."""

    name: str
    offset: int  # of its local header
    packed: int  # compressed size
    size: int  # inflated size, as claimed
    crc: int
    method: int
    flags: int

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")


_STORED, _DEFLATED = 0, 8
_LOCAL_LENGTHS = struct.Struct("<HH")  # a local header's name and extra field lengths
_CENTRAL = struct.Struct("<4x4xHH4xIIIHHH8xI")  # one central directory header, 46 bytes


def _members(data: bytes, limits: Limits, report: _Report) -> list[_Member]:
    """The archive's central directory; a cut or overlong one is refused before it is read."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        report.refuse("file.truncated")
    count, directory_size, at = struct.unpack_from("<HII", data, end + 10)
    locator = end - 20
    if locator >= 0 and data.startswith(b"PK\x06\x07", locator):  # ZIP64
        (record,) = struct.unpack_from("<Q", data, locator + 8)
        if record + 56 > len(data) or not data.startswith(b"PK\x06\x06", record):
            report.refuse("file.corrupt", reason="mục lục của tệp nén bị hỏng")
        count, directory_size, at = struct.unpack_from("<QQQ", data, record + 32)
    if count > limits.max_parts:
        report.refuse("file.too_many_parts", count=count, limit=limits.max_parts)
    if at + directory_size > len(data):
        report.refuse("file.truncated")
    members = []
    for _ in range(count):
        if not data.startswith(b"PK\x01\x02", at) or at + 46 > len(data):
            report.refuse("file.corrupt", reason="mục lục của tệp nén bị hỏng")
        flags, method, crc, packed, size, name_length, extra_length, comment_length, offset = (
            _CENTRAL.unpack_from(data, at)
        )
        raw_name = data[at + 46 : at + 46 + name_length]
        # An ASCII name reads the same either way, and the UTF-8 decoder is the fast one.
        utf8 = flags & 0x800 or raw_name.isascii()
        name = raw_name.decode("utf-8" if utf8 else "cp437", errors="replace")
        if 0xFFFFFFFF in (packed, size, offset):
            extra = data[at + 46 + name_length : at + 46 + name_length + extra_length]
            size, packed, offset = _zip64_sizes(extra, size, packed, offset)
        members.append(_Member(name, offset, packed, size, crc, method, flags))
        at += 46 + name_length + extra_length + comment_length
    return members


def _zip64_sizes(extra: bytes, size: int, packed: int, offset: int) -> tuple[int, int, int]:
    """The true (size, packed, offset) of a ZIP64 member: the fields marked 0xFFFFFFFF."""
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, at)
        if tag == 0x0001:
            values = iter(struct.unpack_from(f"<{length // 8}Q", extra, at + 4))
            size = next(values, size) if size == 0xFFFFFFFF else size
            packed = next(values, packed) if packed == 0xFFFFFFFF else packed
            offset = next(values, offset) if offset == 0xFFFFFFFF else offset
            break
        at += 4 + length
    return size, packed, offset


#: The most a zip workbook's parts may inflate to for :attr:`Inspection.unpacked`
#: to be made (a form's take about 50 KB).
UNPACKED_MAX = 8 * MiB


class _Inflater:
    """Inflates zip members from the raw bytes, trusting no size in any header.

    With ``keep_parts``, the members inflated with ``keep`` are also kept, in
    ``kept`` as (name, bytes, CRC), until they pass :data:`UNPACKED_MAX`
    together (``kept`` is then None).
    """

    def __init__(
        self, data: bytes, limits: Limits, report: _Report, *, keep_parts: bool = False
    ) -> None:
        self.data = data
        self.limits = limits
        self.report = report
        self.budget = limits.max_total_inflated
        self.done: set[str] = set()
        self.kept: list[tuple[str, bytes, int]] | None = [] if keep_parts else None
        self.kept_size = 0

    def inflate(self, member: _Member, *, keep: bool) -> bytes:
        """The member's bytes (``b""`` unless ``keep``), refused beyond the limits."""
        report, data = self.report, self.data
        name, at, packed, claimed, claimed_crc, method, flags = member
        self.done.add(name.lower())
        if flags & 0x1:
            report.refuse("file.encrypted")
        if claimed > self.limits.max_part_bytes:  # it says so itself
            self._bomb(name, f"khi giải nén vượt quá {_mb(self.limits.max_part_bytes)} MB")
        if claimed > self.budget:
            total = _mb(self.limits.max_total_inflated)
            self._bomb(name, f"khi giải nén làm tổng dung lượng vượt quá {total} MB")
        if at < 0 or at + 30 > len(data):
            report.refuse("file.truncated")
        if not data.startswith(b"PK\x03\x04", at):
            report.refuse("file.corrupt", reason=f"không tìm thấy phần {name}")
        name_length, extra_length = _LOCAL_LENGTHS.unpack_from(data, at + 26)
        start = at + 30 + name_length + extra_length
        end = start + packed
        if end > len(data):
            report.refuse("file.truncated")
        if method == _STORED:
            content = data[start:end]
            size, crc, fault = len(content), zlib.crc32(content), ""
            if size > claimed:
                fault = "outgrown"
        elif method == _DEFLATED:
            if packed <= _MEMO_PACKED and claimed <= _MEMO_SIZE:
                inflated = _inflate_small(data, start, end, claimed, claimed_crc)
            else:
                inflated = _inflate(data, start, end, claimed, keep)
            content, size, crc, fault = inflated
        else:
            report.refuse("file.corrupt", reason=f"phần {name} được nén theo cách không hỗ trợ")
        if fault:
            self._refuse_stream(name, claimed, fault)
        self.budget -= size
        if size != claimed or crc != claimed_crc:
            report.refuse("file.corrupt", reason=f"phần {name} bị hỏng (sai mã kiểm tra)")
        if not keep:
            return b""
        if self.kept is not None:
            self.kept_size += size
            if self.kept_size <= UNPACKED_MAX:
                self.kept.append((name, content, crc))
            else:
                self.kept = None
        return content

    def _refuse_stream(self, name: str, claimed: int, fault: str) -> NoReturn:
        if fault == "outgrown":
            self._bomb(name, f"khi giải nén ra nhiều hơn {_count(claimed)} byte như tệp tự ghi")
        how = "bị cắt cụt" if fault == "cut" else "bị hỏng"
        self.report.refuse("file.corrupt", reason=f"dữ liệu nén của phần {name} {how}")

    def _bomb(self, name: str, how: str) -> NoReturn:
        self.report.refuse("file.zip_bomb", part=name, how=how)


_IN = 1 << 16  # compressed bytes fed at a time
_OUT = 1 << 20  # inflated bytes taken at a time


def _inflate(
    data: bytes, start: int, end: int, claimed: int, keep: bool
) -> tuple[bytes, int, int, str]:
    """``data[start:end]`` inflated a megabyte at a time: (the bytes if ``keep``, size, CRC, fault).

    Inflation stops one byte past the size the header claims (already
    within the caps): a header that lies is caught as soon as it lies. The
    fault is "" when the stream is whole, else "outgrown", "broken" or "cut",
    and the bytes then b"".
    """
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pieces: list[bytes] = []
    size = crc = 0
    fed = start
    try:
        while not inflater.eof:
            if inflater.unconsumed_tail:
                chunk = inflater.unconsumed_tail
            elif fed < end:
                chunk = data[fed : min(end, fed + _IN)]
                fed += len(chunk)
            else:
                break  # the stream ends before its end mark
            piece = inflater.decompress(chunk, min(_OUT, claimed + 1 - size))
            size += len(piece)
            if size > claimed:
                return b"", size, crc, "outgrown"
            crc = zlib.crc32(piece, crc)
            if keep:
                pieces.append(piece)
    except zlib.error:
        return b"", size, crc, "broken"
    if not inflater.eof:
        return b"", size, crc, "cut"
    content = pieces[0] if len(pieces) == 1 else b"".join(pieces)
    return content, size, crc, ""


# Forms made from one plan share most parts byte for byte (theme, styles,
# relationships…), and the same compressed bytes always inflate to the same
# bytes: a small member whose compressed bytes and claimed size were met lately
# in this process is not inflated again. The memo is looked up by (compressed
# length, claimed size, claimed CRC), which costs nothing to hash, and used only
# when the compressed bytes are the very same; each file still has its sizes,
# CRCs and caps checked against what its own bytes inflate to. At most
# _MEMO_ENTRIES × (64 KB + 128 KB) are kept.
_MEMO_PACKED = _IN  # fed in one go
_MEMO_SIZE = 1 << 17
_MEMO_ENTRIES = 64
_inflated: OrderedDict[tuple[int, int, int], tuple[bytes, tuple[bytes, int, int, str]]] = (
    OrderedDict()
)


def _inflate_small(
    data: bytes, start: int, end: int, claimed: int, crc: int
) -> tuple[bytes, int, int, str]:
    """``_inflate`` of a small member, from the memo when its compressed bytes were seen."""
    key = (end - start, claimed, crc)
    # Taken out and put back last, so that the least recently used go first; each
    # step is one operation on the memo, which threads sharing it cannot break.
    known = _inflated.pop(key, None)
    if known is None or not data.startswith(known[0], start):
        packed = data[start:end]
        known = (packed, _inflate(packed, 0, len(packed), claimed, keep=True))
    _inflated[key] = known
    if len(_inflated) > _MEMO_ENTRIES:
        _inflated.popitem(last=False)
    return known[1]


# The headers of a zip archive whose members are stored (APPNOTE 4.3.7, 4.3.12,
# 4.3.16): every name in UTF-8 (flag 0x800), dated 1980-01-01.
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # 30 bytes
_CENTRAL_HEADER = struct.Struct("<4s6H3I5H2I")  # 46 bytes
_END_RECORD = struct.Struct("<4s4H2IH")  # 22 bytes


def _stored_zip(parts: Iterable[tuple[str, bytes, int]]) -> bytes:
    """A zip archive of ``parts`` (name, bytes, CRC-32 of the bytes), stored uncompressed.

    Written here rather than with :mod:`zipfile`, which takes longer to write
    a form's dozen parts (computing each CRC again) than python-calamine saves
    by reading them uncompressed. The parts are few and small (at most
    :data:`UNPACKED_MAX` bytes, :attr:`Limits.max_parts` members): no ZIP64.
    """
    pieces: list[bytes] = []
    directory: list[bytes] = []
    at = count = 0
    for name, content, crc in parts:
        raw = name.encode("utf-8")
        size = len(content)
        # version needed, flags, method (stored), time, date, CRC, sizes, name length
        common = (20, 0x800, _STORED, 0, 0x21, crc, size, size, len(raw))
        pieces += (_LOCAL_HEADER.pack(b"PK\x03\x04", *common, 0), raw, content)
        directory += (_CENTRAL_HEADER.pack(b"PK\x01\x02", 20, *common, 0, 0, 0, 0, 0, at), raw)
        at += _LOCAL_HEADER.size + len(raw) + size
        count += 1
    listing = b"".join(directory)
    end = _END_RECORD.pack(b"PK\x05\x06", 0, 0, count, count, len(listing), at, 0)
    return b"".join((*pieces, listing, end))


_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")


def _memo(function: Callable[[bytes, *_Ts], _T]) -> Callable[[bytes, *_Ts], _T]:
    """``function`` of a part's bytes, its results kept per process for small parts.

    Forms made from one plan share most parts byte for byte; a large part (a
    hostile one, say) is never kept.
    """
    cached = functools.lru_cache(maxsize=16)(function)

    @functools.wraps(function)
    def call(data: bytes, *args: *_Ts) -> _T:
        if len(data) > _MEMO_SIZE:
            return function(data, *args)
        return cached(data, *args)

    return call


_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)


def _check_xml(name: str, data: bytes, report: _Report) -> None:
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


# --- Office Open XML (.xlsx, .xlsm) ------------------------------------------

# A start tag's attributes, each value quoted (a value may hold ">" or "/"), then
# "/" for an empty element: as an XML reader sees the tag end, not at the first ">".
_ATTRIBUTES = rb"""((?:\s*[^\s=<>/"']+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>"""


class _Element:
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
_FONT_NAME = _Element(b"name", rb"\s+val\s*=\s*\"([^\"]*)\"")
_SST_START = _Element(b"sst", rb"(?=[\s/>])" + _ATTRIBUTES)
_SST_COUNT = re.compile(rb"(?:^|[\s\"'])(?:[\w.-]+:)?uniqueCount\s*=\s*[\"']\s*([0-9]+)")


def _inspect_ooxml(
    by_name: dict[str, _Member], inflater: _Inflater, limits: Limits, report: _Report
) -> None:
    types = _take(by_name, "[content_types].xml", inflater, report)
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
        report.refuse("file.not_workbook", kind="một tệp nén (.zip) không phải bảng tính")
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
        _check_xml(info.name, data, report)
        if key in _OOXML_KEPT:
            report.parts[info.name] = data
        cells = data.find(b"sheetData")
        if cells >= 0:
            sheet = sheet_parts.get(key, info.name)
            _scan_sheet(data, cells, sheet, limits, report)
            _check_long_text(data, sheet, limits, report)
        elif key == "xl/sharedstrings.xml":
            _check_shared_strings(data, limits, report)
        elif key == "xl/styles.xml":
            report.fonts.update(_style_fonts(data))


def _take(by_name: dict[str, _Member], key: str, inflater: _Inflater, report: _Report) -> bytes:
    """A structural part, inflated, checked and kept."""
    info = by_name[key]
    data = inflater.inflate(info, keep=True)
    _check_xml(info.name, data, report)
    report.parts[info.name] = data
    return data


_SHEET_ELEMENT = _Element(b"sheet", rb"\s([^>]*)>")
_RELATIONSHIP = _Element(b"Relationship", rb"\s([^>]*)>")
_ATTRIBUTE = re.compile(rb"([\w.:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def _attributes(text: bytes) -> dict[str, str]:
    """An element's attributes (prefix kept), entities resolved."""
    return {
        key.decode("utf-8", "replace"): html.unescape((double or single).decode("utf-8", "replace"))
        for key, double, single in _ATTRIBUTE.findall(text)
    }


def _ooxml_sheets(
    by_name: dict[str, _Member], inflater: _Inflater, limits: Limits, report: _Report
) -> dict[str, str]:
    """Sheet names in order (into the report), and sheet part (lower case) -> name.

    The two parts are already free of DTDs; their few elements are taken with
    patterns rather than a whole parse, which would cost more than the rest
    of the inspection.
    """
    workbook = _take(by_name, "xl/workbook.xml", inflater, report)
    count, sheets = _workbook_sheets(workbook, limits.max_sheets)
    if count > limits.max_sheets:
        report.refuse("file.too_many_sheets", count=count, limit=limits.max_sheets)
    targets: Mapping[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in by_name:
        rels = _take(by_name, "xl/_rels/workbook.xml.rels", inflater, report)
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


@_memo
def _workbook_sheets(workbook: bytes, most: int) -> tuple[int, tuple[tuple[str, str], ...]]:
    """How many sheets ``workbook`` lists, and each one's (name, relationship id).

    The sheets are left out when there are more than ``most``.
    """
    found = _SHEET_ELEMENT.pattern(workbook).findall(workbook)
    if len(found) > most:
        return len(found), ()
    sheets = []
    for sheet in map(_attributes, found):
        rel_id = next((v for k, v in sheet.items() if k.endswith(":id")), "")
        sheets.append((sheet.get("name", ""), rel_id))
    return len(found), tuple(sheets)


@_memo
def _relationship_targets(rels: bytes, most: int) -> Mapping[str, str] | None:
    """Relationship id -> target; None when there are more than ``most``."""
    found = _RELATIONSHIP.pattern(rels).findall(rels)
    if len(found) > most:
        return None
    targets: dict[str, str] = {}
    for relationship in map(_attributes, found):
        targets[relationship.get("Id", "")] = relationship.get("Target", "")
    return MappingProxyType(targets)


def _check_shared_strings(data: bytes, limits: Limits, report: _Report) -> None:
    start = _SST_START.pattern(data).search(data)
    claimed = _SST_COUNT.search(start.group(1)) if start else None
    if claimed is not None and int(claimed.group(1)) > limits.max_shared_strings:
        count = _count(int(claimed.group(1)))
        report.refuse("file.corrupt", reason=f"danh sách chữ dùng chung khai báo {count} mục")
    _check_long_text(data, None, limits, report)


@_memo
def _style_fonts(styles: bytes) -> frozenset[str]:
    """The legacy fonts a style sheet names."""
    return frozenset(_legacy_fonts(_FONT_NAME.pattern(styles).findall(styles)))


def _legacy_fonts(names: Iterable[bytes]) -> set[str]:
    found = set()
    for raw in itertools.islice(set(names), 1000):  # a style sheet has a few dozen
        name = html.unescape(raw.decode("utf-8", errors="replace")).strip()
        if name.lower().startswith((".vn", "vni")):
            found.add(name)
    return found


# --- the cells of a worksheet ------------------------------------------------

_DIMENSION = _Element(b"dimension", rb"\s+ref\s*=\s*[\"']([^\"']*)[\"']")
# Every cell start, with its reference when written as every known writer does
# (first, upper case); empty groups for any other shape.
_CELL_START = re.compile(rb'<c(?: r="([A-Z]{1,3})([0-9]{1,7})")?[\s/>]')
_VALUE_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"' + _ATTRIBUTES)
_ROW_OR_CELL = re.compile(rb"<(/?)(?:[\w.-]+:)?(row|c)(?=[\s/>])" + _ATTRIBUTES)
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


def _cell_name(row: int, column: int) -> str:
    return f"{_column_letters(column)}{row}"


def _area(box: _Box) -> int:
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


def _scan_sheet(data: bytes, cells: int, sheet: str, limits: Limits, report: _Report) -> None:
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
        if box is not None and _area(box) > limits.max_cells:
            box, _ = _refs_box(data, _VALUE_CELL_REF)
    elif data.count(b"<") > limits.max_elements:
        report.refuse(
            "file.sheet_too_large", where=f"trang '{sheet}'", limit=_count(limits.max_elements)
        )
    else:
        box = _walk_cells(data)
    if box is not None and _area(box) > limits.max_cells:
        report.refuse(
            "file.too_many_cells",
            sheet=sheet,
            cell=_cell_name(box[2], box[3]),
            first=_cell_name(box[0], box[1]),
            last=_cell_name(box[2], box[3]),
            limit=_count(limits.max_cells),
        )


@_memo
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


def _count(number: int) -> str:
    """A count as Vietnamese write it: 2.000.000."""
    return f"{number:,}".replace(",", ".")


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


def _check_long_text(data: bytes, sheet: str | None, limits: Limits, report: _Report) -> None:
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


# --- OpenDocument spreadsheets (.ods) ----------------------------------------

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
    rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])" + _ATTRIBUTES
)


def _ods_attribute(name: bytes, value: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"(?:^|[\s\"'])" + name + rb"""\s*=\s*["']\s*(""" + value + rb")\s*[\"']")


_ODS_NAME = _ods_attribute(rb"table:name", rb"[^\"']*")
_ODS_ROWS = _ods_attribute(rb"table:number-rows-repeated", rb"[0-9]{1,12}")
_ODS_COLUMNS = _ods_attribute(rb"table:number-columns-repeated", rb"[0-9]{1,12}")
_ODS_SPACES = re.compile(rb"<text:s" + _ATTRIBUTES)
_ODS_SPACE_COUNT = _ods_attribute(rb"text:c", rb"[0-9]{1,12}")
_ODS_FONT = re.compile(rb"<style:font-face\s[^>]*?style:name\s*=\s*\"([^\"]*)\"")


def _inspect_ods(
    by_name: dict[str, _Member], inflater: _Inflater, limits: Limits, report: _Report
) -> None:
    mimetype = inflater.inflate(by_name["mimetype"], keep=True).strip()
    if mimetype not in _ODS_TYPES:
        report.refuse(
            "file.not_workbook", kind=_ODF_KINDS.get(mimetype, "một tài liệu OpenDocument")
        )
    report.format = FileFormat.ODS
    if "meta-inf/manifest.xml" in by_name:
        # Encrypted members are stored as noise: look at the manifest first.
        manifest = _take(by_name, "meta-inf/manifest.xml", inflater, report)
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
        _check_xml(info.name, data, report)
        if key in _ODS_KEPT:
            report.parts[info.name] = data
        if key in ("content.xml", "styles.xml"):
            report.fonts.update(_legacy_fonts(_ODS_FONT.findall(data)))
        if key == "content.xml":
            _scan_ods(data, limits, report)
            _check_long_text(data, None, limits, report)


def _scan_ods(content: bytes, limits: Limits, report: _Report) -> None:
    """Sheets, and the cells python-calamine would make of repeated rows, cells and spaces."""
    if content.count(b"<") > limits.max_elements:
        report.refuse(
            "file.sheet_too_large", where="content.xml", limit=_count(limits.max_elements)
        )
    # <text:s text:c="N"/> is N spaces, which python-calamine writes out in full.
    spaces = 0
    for attributes, _ in _ODS_SPACES.findall(content):
        count = _ODS_SPACE_COUNT.search(attributes)
        spaces += int(count.group(1)) if count else 1
    if spaces > limits.max_part_bytes:
        report.refuse("file.corrupt", reason=f"nội dung khai báo {_count(spaces)} dấu cách lặp lại")
    sheet = ""
    row = column = row_repeat = made = 0
    box: list[int] | None = None

    def refuse_cells() -> NoReturn:
        last = (box[2], box[3]) if box else (row + 1, column + 1)
        report.refuse(
            "file.too_many_cells",
            sheet=sheet,
            cell=_cell_name(*last),
            first=_cell_name(box[0], box[1]) if box else "A1",
            last=_cell_name(*last),
            limit=_count(limits.max_cells),
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
                    or _area((box[0], box[1], box[2], box[3])) > limits.max_cells
                ):
                    refuse_cells()
            column += span


def _count_ods_tables(content: bytes) -> int:
    return len(re.findall(rb"<table:table[\s>]", content))


# --- Excel 97-2003 (.xls) and other compound files ---------------------------


class _BadCompound(Exception):
    """The compound file's own structure is broken."""


class _Compound:
    """The minimum of a Compound File Binary (MS-CFB) to list and read streams."""

    _FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE

    def __init__(self, data: bytes) -> None:
        if len(data) < 512:
            raise _BadCompound
        self.data = data
        major, shift, mini_shift = struct.unpack_from("<H2xHH", data, 0x1A)
        if shift not in (9, 12) or mini_shift != 6:
            raise _BadCompound
        self.major = major
        self.size = 1 << shift
        self.count = max(0, (len(data) - self.size) // self.size)  # whole sectors after the header
        # FAT and DIFAT sector counts are not trusted: the chains themselves are followed.
        (_, self.dir_start, _, self.cutoff, self.minifat_start, _, difat_start, _) = (
            struct.unpack_from("<8I", data, 0x2C)
        )
        difat = list(struct.unpack_from("<109I", data, 0x4C))
        sector, seen = difat_start, 0
        while sector not in (self._FREE, self._END):
            seen += 1
            if seen > self.count:
                raise _BadCompound
            entries = struct.unpack_from(f"<{self.size // 4}I", self._sector(sector))
            difat.extend(entries[:-1])
            sector = entries[-1]
        fat: list[int] = []
        for sector in difat:
            if sector != self._FREE:
                fat.extend(struct.unpack_from(f"<{self.size // 4}I", self._sector(sector)))
        self.fat = fat
        self.entries: dict[str, tuple[int, int]] = {}  # stream or storage name -> (start, size)
        self.root = (self._END, 0)  # the mini stream's place (entry 0, the root)
        directory = self._chain(self.dir_start, self.fat, self.size, self._sector)
        for at in range(0, len(directory) - 127, 128):
            length, kind = struct.unpack_from("<HB", directory, at + 64)
            start, size = struct.unpack_from("<IQ", directory, at + 116)
            if self.major == 3:
                size &= 0xFFFFFFFF  # version 3 leaves the high half undefined
            if at == 0:
                self.root = (start, size)
            elif kind in (1, 2) and 2 <= length <= 64:
                name = directory[at : at + length - 2].decode("utf-16-le", errors="replace")
                self.entries.setdefault(name, (start, size))
        self._mini: bytes | None = None
        self._minifat: list[int] = []

    def _sector(self, number: int) -> bytes:
        if number >= self.count:
            raise _BadCompound
        at = (number + 1) * self.size
        return self.data[at : at + self.size]

    def _chain(
        self, start: int, table: list[int], size: int, read: Callable[[int], bytes]
    ) -> bytes:
        pieces: list[bytes] = []
        sector, limit = start, len(self.data) // size + 1
        while sector != self._END:
            if sector >= len(table) or len(pieces) > limit:  # off the table, or a loop
                raise _BadCompound
            pieces.append(read(sector))
            sector = table[sector]
        return b"".join(pieces)

    def stream(self, name: str) -> bytes:
        start, size = self.entries[name]
        if size > len(self.data):
            raise _BadCompound
        if size >= self.cutoff:
            return self._chain(start, self.fat, self.size, self._sector)[:size]
        if self._mini is None:
            root_start, root_size = self.root
            self._mini = self._chain(root_start, self.fat, self.size, self._sector)[:root_size]
            table = self._chain(self.minifat_start, self.fat, self.size, self._sector)
            self._minifat = list(struct.unpack_from(f"<{len(table) // 4}I", table))
        mini = self._mini

        def mini_sector(number: int) -> bytes:
            if (number + 1) * 64 > len(mini):
                raise _BadCompound
            return mini[number * 64 : number * 64 + 64]

        return self._chain(start, self._minifat, 64, mini_sector)[:size]


def _inspect_ole(data: bytes, limits: Limits, report: _Report) -> None:
    try:
        compound = _Compound(data)
    except (_BadCompound, struct.error):
        report.refuse("file.corrupt", reason="cấu trúc tệp Excel 97-2003 bị hỏng")
    names = compound.entries
    if "EncryptedPackage" in names or "EncryptionInfo" in names:
        report.refuse("file.encrypted")  # a password-protected .xlsx is a compound file
    stream = "Workbook" if "Workbook" in names else "Book" if "Book" in names else None
    if stream is None:
        if "WordDocument" in names:
            report.refuse("file.not_workbook", kind="một văn bản Word 97-2003 (.doc)")
        if "PowerPoint Document" in names:
            report.refuse("file.not_workbook", kind="một bài trình chiếu PowerPoint 97-2003 (.ppt)")
        report.refuse("file.not_workbook", kind="một tệp Office không phải bảng tính")
    report.format = FileFormat.XLS
    if "_VBA_PROJECT_CUR" in names:
        report.macro_enabled = True
        report.add("file.macros")
    try:
        workbook = compound.stream(stream)
    except (_BadCompound, struct.error):
        report.refuse("file.corrupt", reason="cấu trúc tệp Excel 97-2003 bị hỏng")
    _scan_biff(workbook, limits, report)


# BIFF record types
_BOF, _EOF, _FILEPASS, _BOUNDSHEET, _MULRK = 0x0809, 0x000A, 0x002F, 0x0085, 0x00BD
#: Records holding one value at (row, column): NUMBER, RK, LABELSST, LABEL,
#: RSTRING, BOOLERR, FORMULA. BLANK and MULBLANK hold none.
_VALUE_RECORDS = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x00D6, 0x0205, 0x0006})


def _scan_biff(stream: bytes, limits: Limits, report: _Report) -> None:
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
                "file.sheet_too_large", where="sổ làm việc", limit=_count(limits.max_elements)
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
                cell=_cell_name(box[2] + 1, box[3] + 1),
                first=_cell_name(box[0] + 1, box[1] + 1),
                last=_cell_name(box[2] + 1, box[3] + 1),
                limit=_count(limits.max_cells),
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
    count, at = 0, 0
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        if kind == _EOF:
            break
        count += kind == _BOUNDSHEET
        at += 4 + length
    return count


# --- a part, later -----------------------------------------------------------


def read_part(path: Path, name: str, *, limits: Limits = DEFAULT_LIMITS) -> bytes | None:
    """One XML member of a zip workbook, inflated within the limits and checked.

    For a file :func:`inspect` passed; None when the part is absent or fails
    a check (inspect would have said why).
    """
    report = _Report(path.name, path.suffix.lower())
    try:
        data = _read(path, limits, report)
        wanted = name.lower()
        member = next((m for m in _members(data, limits, report) if m.name.lower() == wanted), None)
        if member is None:
            return None
        part = _Inflater(data, limits, report).inflate(member, keep=True)
        _check_xml(member.name, part, report)
    except (_Refused, struct.error):
        return None
    return part
