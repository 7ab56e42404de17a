"""Zip workbooks (.xlsx, .xlsm, .ods) read under caps, trusting no size a header gives.

Every member is inflated here, in chunks, and stopped once a cap is reached:
the sizes and CRCs a reader will meet are the ones checked, whatever the
headers claim (python-calamine, written in Rust, would inflate a bomb into
memory and abort the whole process on a failed allocation). A small member
whose compressed bytes are the very same as those of one inflated lately in
this process (forms of one plan share their theme, styles…) is taken from a
memo: the same bytes, checked the same way.

Hand-written rather than :mod:`zipfile`, each part for a reason measured
(Python 3.11, a generated form of 12-15 KB and 12 members, best of 5 × 2,000
runs on a shared 2-core machine; ``inspect()`` of such a form takes
0.13-0.17 ms in all):

- :func:`members`: ``zipfile.ZipFile(BytesIO(data)).infolist()`` takes
  23.5 µs per form where this takes 10 µs (+10 % of the whole inspection of a
  form); and zipfile reads the central directory to its claimed size before
  any count can be checked (65,535 empty members, a 5.4 MB file: 187 ms and
  37 MB more resident memory, where this refuses from the end record at once).
- :class:`Inflater`: ``ZipFile.open(info).read()`` cuts what a member inflates
  to at the size its header claims, silently, and says "Bad CRC-32" when that
  size is overrun: a bomb whose header lies cannot be told from a damaged
  part through its public interface; and opening and reading a form's 12
  members takes 247 µs, where this takes 23 µs (146 µs without the memo).
- :func:`stored_zip`: writing the checked parts with ``zipfile.ZipFile(…, "w")``
  takes 97-100 µs per form where this takes 10 µs; python-calamine saves
  74-115 µs reading them stored, so zipfile would spend all the gain.

What zipfile would otherwise have brought is done here too: ZIP64 end records
and extra fields are read; a data descriptor (flag 0x8) is passed over, as
zipfile passes it over, the central directory's sizes and CRC being the ones
checked. Entries that overlap (several pointing at one stream, to multiply
it) are not refused by Python 3.11.7's zipfile either (3.11.8 and 3.12.2
refuse them on open); here each entry is inflated and counted against
``Limits.max_total_inflated``, so that they end as a zip bomb.
"""

from __future__ import annotations

import struct
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from typing import NamedTuple, NoReturn

from workbook_tools.safety.findings import SMALL_PART, Findings, Limits, MiB, count, mb
from workbook_tools.safety.guards import check_xml


class Member(NamedTuple):
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


def members(data: bytes, limits: Limits, report: Findings) -> list[Member]:
    """The archive's central directory; a cut or overlong one is refused before it is read."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        report.refuse("file.truncated")
    entries, directory_size, at = struct.unpack_from("<HII", data, end + 10)
    locator = end - 20
    if locator >= 0 and data.startswith(b"PK\x06\x07", locator):  # ZIP64
        (record,) = struct.unpack_from("<Q", data, locator + 8)
        if record + 56 > len(data) or not data.startswith(b"PK\x06\x06", record):
            report.refuse("file.corrupt", reason="mục lục của tệp nén bị hỏng")
        entries, directory_size, at = struct.unpack_from("<QQQ", data, record + 32)
    if entries > limits.max_parts:
        report.refuse("file.too_many_parts", count=entries, limit=limits.max_parts)
    if at + directory_size > len(data):
        report.refuse("file.truncated")
    found = []
    for _ in range(entries):
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
        found.append(Member(name, offset, packed, size, crc, method, flags))
        at += 46 + name_length + extra_length + comment_length
    return found


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


#: The most a zip workbook's parts may inflate to for ``Inspection.unpacked``
#: to be made (a form's take about 50 KB).
UNPACKED_MAX = 8 * MiB


class Inflater:
    """Inflates zip members from the raw bytes, trusting no size in any header.

    With ``keep_parts``, the members inflated with ``keep`` are also kept, in
    ``kept`` as (name, bytes, CRC), until they pass :data:`UNPACKED_MAX`
    together (``kept`` is then None).
    """

    def __init__(
        self, data: bytes, limits: Limits, report: Findings, *, keep_parts: bool = False
    ) -> None:
        self.data = data
        self.limits = limits
        self.report = report
        self.budget = limits.max_total_inflated
        self.done: set[str] = set()
        self.kept: list[tuple[str, bytes, int]] | None = [] if keep_parts else None
        self.kept_size = 0

    def inflate(self, member: Member, *, keep: bool) -> bytes:
        """The member's bytes (``b""`` unless ``keep``), refused beyond the limits."""
        report, data = self.report, self.data
        name, at, packed, claimed, claimed_crc, method, flags = member
        self.done.add(name.lower())
        if flags & 0x1:
            report.refuse("file.encrypted")
        if claimed > self.limits.max_part_bytes:  # it says so itself
            self._bomb(name, f"khi giải nén vượt quá {mb(self.limits.max_part_bytes)} MB")
        if claimed > self.budget:
            total = mb(self.limits.max_total_inflated)
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
            if packed <= _MEMO_PACKED and claimed <= SMALL_PART:
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
            self._bomb(name, f"khi giải nén ra nhiều hơn {count(claimed)} byte như tệp tự ghi")
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


def take(by_name: dict[str, Member], key: str, inflater: Inflater, report: Findings) -> bytes:
    """A structural part, inflated, checked as XML and kept in ``report.parts``."""
    info = by_name[key]
    data = inflater.inflate(info, keep=True)
    check_xml(info.name, data, report)
    report.parts[info.name] = data
    return data


# The headers of a zip archive whose members are stored (APPNOTE 4.3.7, 4.3.12,
# 4.3.16): every name in UTF-8 (flag 0x800), dated 1980-01-01.
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # 30 bytes
_CENTRAL_HEADER = struct.Struct("<4s6H3I5H2I")  # 46 bytes
_END_RECORD = struct.Struct("<4s4H2IH")  # 22 bytes


def stored_zip(parts: Iterable[tuple[str, bytes, int]]) -> bytes:
    """A zip archive of ``parts`` (name, bytes, CRC-32 of the bytes), stored uncompressed.

    Written here rather than with :mod:`zipfile`, which takes 97-100 µs to
    write a form's dozen parts (computing each CRC again) where this takes
    10 µs, while python-calamine saves 74-115 µs by reading them stored. The
    parts are few and small (at most :data:`UNPACKED_MAX` bytes,
    :attr:`Limits.max_parts` members): no ZIP64.
    """
    pieces: list[bytes] = []
    directory: list[bytes] = []
    at = entries = 0
    for name, content, crc in parts:
        raw = name.encode("utf-8")
        size = len(content)
        # version needed, flags, method (stored), time, date, CRC, sizes, name length
        common = (20, 0x800, _STORED, 0, 0x21, crc, size, size, len(raw))
        pieces += (_LOCAL_HEADER.pack(b"PK\x03\x04", *common, 0), raw, content)
        directory += (_CENTRAL_HEADER.pack(b"PK\x01\x02", 20, *common, 0, 0, 0, 0, 0, at), raw)
        at += _LOCAL_HEADER.size + len(raw) + size
        entries += 1
    listing = b"".join(directory)
    end = _END_RECORD.pack(b"PK\x05\x06", 0, 0, entries, entries, len(listing), at, 0)
    return b"".join((*pieces, listing, end))
