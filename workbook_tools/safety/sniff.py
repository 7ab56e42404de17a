"""Read a returned file's bytes and tell, by content and not by name, what it is.

A zip goes to the Office Open XML or OpenDocument checks, a compound file to
the Excel 97-2003 ones; anything else is refused, saying what it is (a web
page, a CSV, a PDF… saved as a workbook). A workbook under another format's
extension is passed with a warning.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from pathlib import Path
from typing import NoReturn

from workbook_tools.safety import ods, ole, ooxml, zipped
from workbook_tools.safety.findings import FileFormat, Findings, Limits, mb

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


def read_file(path: Path, limits: Limits, report: Findings) -> bytes:
    """The file's bytes (and its time, into ``report``); refused if it cannot be one.

    Only a regular file is opened (:func:`open_regular`): a pipe or a device
    named like a form would block the read, or never end it.
    """
    try:
        descriptor, status = open_regular(path)
    except NotRegularFile as err:
        if err.kind is _FOLDER:
            _refuse_folder(path, report)
        report.refuse("file.not_regular", kind=err.kind)
    except OSError as err:
        _refuse_unopened(path, err, report)
    try:
        size, report.modified = status.st_size, status.st_mtime
        if size > limits.max_file_bytes:
            report.refuse("file.too_large", size=mb(size), limit=mb(limits.max_file_bytes))
        # Ask for what stat() saw (and one byte more): not a 50 MB buffer each time.
        data = _read_up_to(descriptor, size + 1)
    except OSError as err:
        report.refuse("file.unreadable", reason=_os_reason(err))
    finally:
        os.close(descriptor)
    if not data:
        report.refuse("file.empty")
    if len(data) > limits.max_file_bytes:  # grew since stat()
        report.refuse("file.too_large", size=mb(len(data)), limit=mb(limits.max_file_bytes))
    return data


# --- opening only what is a file ---------------------------------------------------------

_FOLDER = "một thư mục"
#: Opened without waiting for a writer: a pipe put in place of the file between
#: stat() and open() cannot block (the descriptor's own fstat() then refuses it).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
_OPEN_FLAGS |= getattr(os, "O_NOCTTY", 0)


class NotRegularFile(OSError):
    """``path`` is no regular file: a folder, a pipe, a device, a socket…; ``kind`` says
    which, in Vietnamese ("một ống dẫn (FIFO)")."""

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        super().__init__(f"not a regular file ({kind}): {os.fspath(path)!r}")
        self.kind = kind


def open_regular(path: str | os.PathLike[str]) -> tuple[int, os.stat_result]:
    """A read-only descriptor of ``path`` and its status, if it is a regular file.

    Looked at before it is opened (a device is never opened), opened so that
    no pipe can make the open wait, and looked at again once open (it may
    have been swapped in between). Raises :class:`NotRegularFile`, or the
    :class:`OSError` of stat() or open(). The caller closes the descriptor.
    """
    _require_regular(path, os.stat(path))
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        status = os.fstat(descriptor)
        _require_regular(path, status)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor, status


def _require_regular(path: str | os.PathLike[str], status: os.stat_result) -> None:
    mode = status.st_mode
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        kind = _FOLDER
    elif stat.S_ISFIFO(mode):
        kind = "một ống dẫn (FIFO)"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "một thiết bị"
    elif stat.S_ISSOCK(mode):
        kind = "một cổng kết nối (socket)"
    else:
        kind = "một đối tượng đặc biệt của hệ thống"
    raise NotRegularFile(path, kind)


def _refuse_folder(path: Path, report: Findings) -> NoReturn:
    """A folder handed on as a file: the inbox's scan does so with a folder it could
    not open (the files in it are not read); say why."""
    try:
        with os.scandir(path):
            pass
    except OSError as err:
        if _too_long(path, err):
            report.refuse("file.path_too_long", length=len(os.fspath(path)))
        report.refuse("file.folder_unreadable", reason=_folder_reason(err))
    report.refuse("file.not_regular", kind=_FOLDER)


def _refuse_unopened(path: Path, err: OSError, report: Findings) -> NoReturn:
    """Why a file found in the folder could not be opened."""
    if _too_long(path, err):
        report.refuse("file.path_too_long", length=len(os.fspath(path)))
    if err.errno in (errno.ENOENT, errno.ELOOP) and os.path.islink(path):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        report.refuse("file.broken_link", target=target)
    report.refuse("file.unreadable", reason=_os_reason(err))


#: Windows without long paths enabled (MAX_PATH) says "not found" of a longer path.
_WINDOWS_MAX_PATH = 260


def _too_long(path: Path, err: OSError) -> bool:
    if err.errno == errno.ENAMETOOLONG:
        return True
    return (
        sys.platform == "win32"
        and isinstance(err, FileNotFoundError | NotADirectoryError)
        and len(os.fspath(path)) >= _WINDOWS_MAX_PATH
    )


def _folder_reason(err: OSError) -> str:
    if isinstance(err, PermissionError):
        return (
            "không có quyền mở thư mục này. Hãy cho phép đọc thư mục (Windows: nhấn chuột phải "
            "vào thư mục > Properties > Security), hoặc chép các tệp trong đó sang một thư mục "
            "khác trong inbox/"
        )
    if isinstance(err, FileNotFoundError):
        return "thư mục đã bị xóa hoặc đổi tên trong lúc đọc. Hãy chạy lại lệnh"
    return (
        f"lỗi khi mở thư mục ({err.strerror or err.__class__.__name__}). Hãy chép các tệp "
        "trong đó sang một thư mục khác trong inbox/"
    )


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


def inspect_bytes(data: bytes, limits: Limits, report: Findings) -> None:
    """Everything the file's bytes say, into ``report`` (:class:`Refused` once unusable)."""
    if data.startswith(_ZIP):
        _inspect_zip(data, limits, report)
    elif data.startswith(_OLE):
        ole.inspect_compound(data, limits, report)
    else:
        _refuse_other(data, report)
    if report.format is not None and report.suffix not in _EXTENSIONS[report.format]:
        report.add("file.wrong_extension", ext=report.ext, real=_FORMAT_NAMES[report.format])


def _inspect_zip(data: bytes, limits: Limits, report: Findings) -> None:
    by_name: dict[str, zipped.Member] = {}
    for member in zipped.members(data, limits, report):
        key = member.name.lower()
        if key in by_name:  # two readers could each take a different one
            report.refuse("file.corrupt", reason=f"có hai phần cùng tên {member.name}")
        by_name[key] = member
    inflater = zipped.Inflater(data, limits, report, keep_parts=True)
    if "mimetype" in by_name:
        ods.inspect_ods(by_name, inflater, limits, report)
    elif "[content_types].xml" in by_name:
        ooxml.inspect_ooxml(by_name, inflater, limits, report)
    else:
        report.refuse("file.not_workbook", kind="một tệp nén (.zip)")
    if inflater.kept:
        report.unpacked = zipped.stored_zip(inflater.kept)


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


def _refuse_other(data: bytes, report: Findings) -> NoReturn:
    for magic, kind in _BINARY_KINDS:
        if data.startswith(magic):
            report.refuse("file.not_workbook", kind=kind)
    text = _as_text(data[:8192])
    if text is None:
        kind = "một tệp không rõ loại (không phải chữ, không phải tệp Office)"
        report.refuse("file.not_workbook", kind=kind)
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
