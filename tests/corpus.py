"""A corpus of hostile and broken returned files, built from Python data.

:func:`build_corpus` writes one file per kind of trouble the inbox must survive
(empty, cut, a web page saved as .xls, zip bombs, XML entity attacks, a
password, macros, sheets claiming a million rows, legacy Vietnamese fonts…)
and returns them by name. Everything is made here, byte by byte where a
library would refuse to write something so wrong: a zip writer that lets a
header lie, a minimal compound-file (OLE2) writer, a minimal BIFF8 workbook.
No file takes more than a few milliseconds or a few MB to make.

Run ``python tests/corpus.py FOLDER`` to write the corpus for a look by hand.
"""

from __future__ import annotations

import datetime
import io
import struct
import sys
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

# --- what the corpus holds ---------------------------------------------------

#: Text typed in legacy fonts, as it reads once in a spreadsheet, and its Unicode.
TCVN3_TEXT = ("Th«n 5, x· TiÕn N«ng", "Thôn 5, xã Tiến Nông")
VNI_TEXT = ("Nguyeãn Vaên Bình", "Nguyễn Văn Bình")
NFD_TEXT = unicodedata.normalize("NFD", "Thôn Đồng Mỹ")

#: Values of the ordinary form every mutation starts from (cell -> value).
FORM_VALUES: dict[str, object] = {
    "A1": "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH PHÒNG, CHỐNG MẠI DÂM",
    "A3": "Người báo cáo",
    "B3": "Nguyễn Văn An",
    "A4": "Số buổi tuyên truyền",
    "B4": 5,
    "A5": "Số lượt người được tuyên truyền",
    "B5": 420,
    "A6": "Hoạt động tuyên truyền được duy trì thường xuyên",
    "B6": "Có",
}


@dataclass(frozen=True)
class Expected:
    """What inspecting a corpus file must say."""

    code: str | None  # the one problem code expected first (None: no problem at all)
    usable: bool  # whether the file may be read
    format: str | None = None  # FileFormat value when usable


#: Every corpus file, and what inspect() must make of it.
EXPECTED: dict[str, Expected] = {
    "form.xlsx": Expected(None, True, "xlsx"),
    "form.xls": Expected(None, True, "xls"),
    "form.ods": Expected(None, True, "ods"),
    "empty.xlsx": Expected("file.empty", False),
    "truncated.xlsx": Expected("file.truncated", False),
    "not_a_zip.xlsx": Expected("file.not_workbook", False),
    "corrupt_deflate.xlsx": Expected("file.corrupt", False),
    "bad_crc.xlsx": Expected("file.corrupt", False),
    "web_page.xls": Expected("file.html", False),
    "web_page.xlsx": Expected("file.html", False),
    "excel_web_archive.xls": Expected("file.html", False),
    "comma_separated.xlsx": Expected("file.csv", False),
    "tab_separated_unicode.xls": Expected("file.csv", False),
    "spreadsheet_2003.xls": Expected("file.xml2003", False),
    "spreadsheet_2003.xlsx": Expected("file.xml2003", False),
    "pdf_named.xlsx": Expected("file.not_workbook", False),
    "word_document.xlsx": Expected("file.not_workbook", False),
    "plain_archive.xlsx": Expected("file.not_workbook", False),
    "binary_workbook.xlsx": Expected("file.unsupported", False),
    "xls_renamed.xlsx": Expected("file.wrong_extension", True, "xls"),
    "xlsx_renamed.xls": Expected("file.wrong_extension", True, "xlsx"),
    "ods_renamed.xlsx": Expected("file.wrong_extension", True, "ods"),
    "zip_bomb.xlsx": Expected("file.zip_bomb", False),
    "zip_bomb_lying_header.xlsx": Expected("file.zip_bomb", False),
    "zip_bomb_lying_under_the_cap.xlsx": Expected("file.zip_bomb", False),
    "billion_laughs_sheet.xlsx": Expected("file.xml_entities", False),
    "billion_laughs_workbook.xlsx": Expected("file.xml_entities", False),
    "quadratic_blowup_shared_strings.xlsx": Expected("file.xml_entities", False),
    "external_entity_sheet.xlsx": Expected("file.xml_entities", False),
    "external_entity_content_types.xlsx": Expected("file.xml_entities", False),
    "entity_in_ods_content.ods": Expected("file.xml_entities", False),
    "encrypted.xlsx": Expected("file.encrypted", False),
    "encrypted.xls": Expected("file.encrypted", False),
    "encrypted.ods": Expected("file.encrypted", False),
    "macros.xlsm": Expected("file.macros", True, "xlsm"),
    "macros_renamed.xlsx": Expected("file.macros", True, "xlsm"),
    "macros.xls": Expected("file.macros", True, "xls"),
    "huge_dimension.xlsx": Expected("file.huge_dimension", True, "xlsx"),
    "cell_at_xfd1048576.xlsx": Expected("file.too_many_cells", False),
    "cell_at_xfd1048576_unreferenced.xlsx": Expected("file.too_many_cells", False),
    "cell_at_xfd1048576_quoted_slash.xlsx": Expected("file.too_many_cells", False),
    "cell_at_iv65536.xls": Expected("file.too_many_cells", False),
    "broken_directory.xls": Expected("file.corrupt", False),
    "repeated_rows.ods": Expected("file.too_many_cells", False),
    "repeated_rows_quoted.ods": Expected("file.too_many_cells", False),
    "repeated_spaces.ods": Expected("file.corrupt", False),
    "shared_strings_claim.xlsx": Expected("file.corrupt", False),
    "300_sheets.xlsx": Expected("file.too_many_sheets", False),
    "too_many_parts.xlsx": Expected("file.too_many_parts", False),
    "long_cell.xlsx": Expected("file.cell_too_long", True, "xlsx"),
    "tcvn3.xlsx": Expected(None, True, "xlsx"),
    "vni.xlsx": Expected(None, True, "xlsx"),
    "nfd.xlsx": Expected(None, True, "xlsx"),
}

#: Names the inbox passes over without a word.
SKIPPED = ("~$form.xlsx", ".~lock.form.xlsx#", ".hidden.xlsx", "Thumbs.db", "desktop.ini")


def build_corpus(folder: Path) -> dict[str, Path]:
    """Write every corpus file (and the skipped names) into ``folder``; name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}
    for name, make in _MAKERS.items():
        path = folder / name
        path.write_bytes(make())
        made[name] = path
    for name in SKIPPED:
        path = folder / name
        path.write_bytes(b"lock" if name.startswith((".~", "~$")) else b"\0" * 16)
        made[name] = path
    return made


# --- an ordinary workbook to start from --------------------------------------


def form_xlsx(
    values: Mapping[str, object] = FORM_VALUES, *, sheets: int = 1, font: str | None = None
) -> bytes:
    """A small ordinary workbook written by XlsxWriter, with a defined name per value."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    book.set_properties({"created": datetime.datetime(2024, 5, 2)})
    style = book.add_format({"font_name": font}) if font else None
    sheet = book.add_worksheet("Báo cáo")
    for cell, value in values.items():
        sheet.write(cell, value, style)
        if cell.startswith("B"):
            book.define_name(f"o_{cell}", f"='Báo cáo'!${cell[0]}${cell[1:]}")
    for number in range(2, sheets + 1):
        book.add_worksheet(f"Trang {number}").write("A1", number)
    book.close()
    return buffer.getvalue()


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(parts: Mapping[str, bytes]) -> bytes:
    """The parts as an ordinary deflated archive (``mimetype`` first and stored)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name, (2024, 5, 2, 8, 0, 0)), data, method)
    return buffer.getvalue()


def with_part(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    parts = parts_of(data)
    changed = change(parts[name])
    assert changed != parts[name], f"{name} unchanged"
    parts[name] = changed
    return rezip(parts)


SHEET = "xl/worksheets/sheet1.xml"


def _with_doctype(doctype: bytes) -> Callable[[bytes], bytes]:
    def insert(xml: bytes) -> bytes:
        end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
        return xml[:end] + b"\n" + doctype + xml[end:]

    return insert


BILLION_LAUGHS = b"""<!DOCTYPE worksheet [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"""
QUADRATIC_BLOWUP = b'<!DOCTYPE sst [<!ENTITY a "' + b"A" * 50_000 + b'">]>'
EXTERNAL_ENTITY = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _entity_use(entity: bytes) -> Callable[[bytes], bytes]:
    """Put ``&entity;`` in the first cell text, as an attack would."""

    def use(xml: bytes) -> bytes:
        return xml.replace(b"<t>", b"<t>&" + entity + b";", 1)

    return use


# --- a zip writer that lets a header lie -------------------------------------


@dataclass(frozen=True)
class RawMember:
    """A zip member written as given: its deflate stream, CRC and claimed size."""

    name: str
    packed: bytes  # the bytes stored (raw deflate for method 8)
    size: int  # the inflated size the headers claim
    crc: int
    method: int = 8


# signature, version, flags, method, time, date, CRC, packed size, size, name and extra lengths
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
# signature, versions (made by, needed), flags, method, time, date, CRC, packed size,
# size, name/extra/comment lengths, disk, attributes (internal, external), offset
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_DIRECTORY_END = struct.Struct("<4sHHHHIIH")  # signature, disks, entries, size, offset, comment


def raw_zip(members: list[RawMember]) -> bytes:
    out = bytearray()
    central = bytearray()
    for m in members:
        name, offset, packed = m.name.encode(), len(out), len(m.packed)
        head = (m.method, 0, 0x5821, m.crc, packed, m.size, len(name))
        out += _LOCAL.pack(b"PK\x03\x04", 20, 0, *head, 0) + name + m.packed
        central += _CENTRAL.pack(b"PK\x01\x02", 20, 20, 0, *head, 0, 0, 0, 0, 0, offset) + name
    count = len(members)
    return bytes(
        out
        + central
        + _DIRECTORY_END.pack(b"PK\x05\x06", 0, 0, count, count, len(central), len(out), 0)
    )


def deflated(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def members_of(data: bytes) -> list[RawMember]:
    parts = parts_of(data)
    return [RawMember(n, deflated(d), len(d), zlib.crc32(d)) for n, d in parts.items()]


def spaces_stream(megabytes: int) -> bytes:
    """A raw deflate stream of ``megabytes`` MiB of spaces, made in milliseconds.

    One MiB of spaces is compressed once and flushed to a byte boundary with
    no reference to what came before; the same block repeated is a valid
    stream, closed by an empty final block.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = packer.compress(b" " * (1 << 20)) + packer.flush(zlib.Z_FULL_FLUSH)
    return block * megabytes + b"\x03\x00"


def zip_bomb(claimed: int = 1100 << 20) -> bytes:
    """A form whose first sheet is 1.1 GB of spaces, 1.1 MB once compressed.

    ``claimed`` is the size its headers give (the truth by default).
    """
    bomb = spaces_stream(1100)
    # The CRC of 1.1 GB is not worth computing: the inspection never gets that far.
    return raw_zip(
        [
            RawMember(m.name, bomb, claimed, 0) if m.name == SHEET else m
            for m in members_of(form_xlsx())
        ]
    )


def corrupt_deflate() -> bytes:
    members = members_of(form_xlsx())
    broken = []
    for m in members:
        if m.name == SHEET:
            middle = len(m.packed) // 2
            packed = m.packed[:middle] + bytes(b ^ 0xFF for b in m.packed[middle : middle + 8])
            m = RawMember(m.name, packed + m.packed[middle + 8 :], m.size, m.crc)
        broken.append(m)
    return raw_zip(broken)


def bad_crc() -> bytes:
    members = members_of(form_xlsx())
    return raw_zip(
        [RawMember(m.name, m.packed, m.size, m.crc ^ 1) if m.name == SHEET else m for m in members]
    )


def too_many_parts() -> bytes:
    members = members_of(form_xlsx())
    empty = deflated(b"")
    extra = [RawMember(f"customXml/item{i}.xml", empty, 0, 0) for i in range(2_000)]
    return raw_zip(members + extra)


# --- OLE2 compound files, BIFF8 workbooks -------------------------------------

_SECTOR, _MINI, _CUTOFF = 512, 64, 4096
_FREE, _END, _FATSECT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _padded(data: bytes, size: int) -> bytes:
    return data + b"\0" * (-len(data) % size)


def cfb(streams: Mapping[str, bytes]) -> bytes:
    """A compound file (MS-CFB version 3) holding ``streams`` at its root.

    Streams under 4096 bytes go in the mini stream, as Office puts them.
    """
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    fat: list[int] = []
    body = bytearray()

    def put(data: bytes) -> int:
        first, count = len(fat), max(1, len(_padded(data, _SECTOR)) // _SECTOR)
        fat.extend(range(first + 1, first + count))
        fat.append(_END)
        body.extend(_padded(data, _SECTOR) or b"\0" * _SECTOR)
        return first

    starts: dict[str, int] = {}
    mini = bytearray()
    minifat: list[int] = []
    for name in names:
        data = streams[name]
        if len(data) < _CUTOFF:
            first, count = len(minifat), max(1, len(_padded(data, _MINI)) // _MINI)
            minifat.extend(range(first + 1, first + count))
            minifat.append(_END)
            mini.extend(_padded(data, _MINI) or b"\0" * _MINI)
            starts[name] = first
        else:
            starts[name] = put(data)
    root, root_size, minifat_start, minifat_sectors = _END, 0, _END, 0
    if mini:
        root, root_size = put(bytes(mini)), len(mini)
        table = struct.pack(f"<{len(minifat)}I", *minifat)
        table += b"\xff" * (-len(table) % _SECTOR)
        minifat_start, minifat_sectors = put(table), len(table) // _SECTOR
    entries = [_entry("Root Entry", 5, root, root_size, child=1 if names else _NONE)]
    for i, name in enumerate(names):  # siblings in order, each the right child of the last
        right = i + 2 if i + 1 < len(names) else _NONE
        entries.append(_entry(name, 2, starts[name], len(streams[name]), right=right))
    while len(entries) % 4:
        entries.append(_entry("", 0, 0, 0))
    directory = put(b"".join(entries))
    fat_sectors = 1
    while len(fat) + fat_sectors > fat_sectors * (_SECTOR // 4):
        fat_sectors += 1
    first_fat = len(fat)
    fat.extend([_FATSECT] * fat_sectors)
    fat.extend([_FREE] * (fat_sectors * _SECTOR // 4 - len(fat)))
    body += struct.pack(f"<{len(fat)}I", *fat)
    difat = list(range(first_fat, first_fat + fat_sectors)) + [_FREE] * (109 - fat_sectors)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH6x", 0x3E, 3, 0xFFFE, 9, 6)
        + struct.pack(
            "<9I", 0, fat_sectors, directory, 0, _CUTOFF, minifat_start, minifat_sectors, _END, 0
        )
        + struct.pack("<109I", *difat)
    )
    return header + bytes(body)


def _entry(
    name: str, kind: int, start: int, size: int, *, child: int = _NONE, right: int = _NONE
) -> bytes:
    raw = (name + "\0").encode("utf-16-le") if name else b""
    return (
        raw.ljust(64, b"\0")
        + struct.pack("<HBBIII", len(raw), kind, 1, _NONE, right, child)
        + b"\0" * 16
        + struct.pack("<IQQIQ", 0, 0, 0, start, size)
    )


def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))


def biff8(
    sheets: Mapping[str, Mapping[tuple[int, int], object]],
    *,
    password: bool = False,
    macros: bool = False,
) -> bytes:
    """A minimal Excel 97-2003 workbook: text in a shared-string table, numbers as NUMBER.

    ``sheets`` maps a sheet name to {(row, column) 0-based: value}.
    """
    strings: list[str] = []
    for cells in sheets.values():
        strings += [v for v in cells.values() if isinstance(v, str) and v not in strings]

    def text(value: str) -> bytes:  # uncompressed XLUnicodeString
        return struct.pack("<HB", len(value), 1) + value.encode("utf-16-le")

    sst = _record(
        0x00FC, struct.pack("<II", len(strings), len(strings)) + b"".join(text(s) for s in strings)
    )
    head = _bof(0x0005)
    if password:  # FILEPASS: RC4 encryption header (the values do not matter here)
        head += _record(0x002F, struct.pack("<HHH", 1, 1, 1) + b"\x11" * 48)
    head += _record(0x0042, struct.pack("<H", 1200))  # CODEPAGE: UTF-16

    def boundsheet(name: str, position: int) -> bytes:
        return _record(
            0x0085, struct.pack("<IBBBB", position, 0, 0, len(name), 1) + name.encode("utf-16-le")
        )

    position = len(head) + sum(len(boundsheet(n, 0)) for n in sheets) + len(sst) + 4
    listing, bodies = b"", b""
    for name, cells in sheets.items():
        body = _bof(0x0010)
        for (row, column), value in cells.items():
            if isinstance(value, str):
                body += _record(0x00FD, struct.pack("<HHHI", row, column, 0, strings.index(value)))
            else:
                number = float(value)  # type: ignore[arg-type]
                body += _record(0x0203, struct.pack("<HHHd", row, column, 0, number))
        body += _record(0x000A)
        listing += boundsheet(name, position)
        bodies += body
        position += len(body)
    stream = head + listing + sst + _record(0x000A) + bodies
    stream += b"\0" * max(0, _CUTOFF - len(stream))  # as Excel pads it: out of the mini stream
    streams = {"Workbook": stream}
    if macros:
        streams["_VBA_PROJECT_CUR"] = _VBA_PROJECT
    return cfb(streams)


def broken_directory() -> bytes:
    """An .xls whose directory puts its workbook stream in a mini stream that does not exist.

    python-calamine panics on it.
    """
    data = bytearray(biff8({"Báo cáo": FORM_CELLS}))
    (directory,) = struct.unpack_from("<I", data, 0x30)
    entry = (directory + 1) * _SECTOR + 128  # the entry after the root: "Workbook"
    assert data[entry : entry + 16].decode("utf-16-le") == "Workbook"
    struct.pack_into("<I", data, entry + 120, 300)
    return bytes(data)


def encrypted_ooxml() -> bytes:
    """A password-protected .xlsx as Office saves it: a compound file, not a zip."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b'<?xml version="1.0"?><encryption/>'
    package = struct.pack("<Q", 6_000) + bytes(range(256)) * 24
    return cfb({"EncryptionInfo": info, "EncryptedPackage": package})


FORM_CELLS: dict[tuple[int, int], object] = {
    (int(cell[1:]) - 1, ord(cell[0]) - 65): value for cell, value in FORM_VALUES.items()
}

# --- OpenDocument spreadsheets ------------------------------------------------

_ODS_MANIFEST = b"""<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" \
manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.3" \
manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def ods(rows: list[str], *, manifest: bytes = _ODS_MANIFEST, prolog: bytes = b"") -> bytes:
    """An OpenDocument spreadsheet of one sheet; ``rows`` are ready ``<table:table-row>`` XML."""
    content = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n' + prolog + b"<office:document-content"
        b' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        b' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        b' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        b'<office:body><office:spreadsheet><table:table table:name="B\xc3\xa1o c\xc3\xa1o">'
        + "".join(rows).encode()
        + b"</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    return rezip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "META-INF/manifest.xml": manifest,
            "content.xml": content,
        }
    )


def ods_cell(value: object) -> str:
    if isinstance(value, str):
        return (
            '<table:table-cell office:value-type="string">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="float" office:value="{value}">'
        f"<text:p>{value}</text:p></table:table-cell>"
    )


def ods_form() -> bytes:
    rows = []
    for number in range(1, 7):
        a, b = FORM_VALUES.get(f"A{number}"), FORM_VALUES.get(f"B{number}")
        cells = "".join(ods_cell(v) if v is not None else "<table:table-cell/>" for v in (a, b))
        rows.append(f"<table:table-row>{cells}</table:table-row>")
    return ods(rows)


# --- SpreadsheetML 2003, HTML, text -------------------------------------------

SPREADSHEET_2003 = """<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="Báo cáo"><Table>
  <Row><Cell><Data ss:Type="String">Người báo cáo</Data></Cell>
   <Cell><Data ss:Type="String">Nguyễn Văn An</Data></Cell></Row>
 </Table></Worksheet>
</Workbook>
""".encode()

WEB_PAGE = """<html xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:x="urn:schemas-microsoft-com:office:excel">
<head><meta http-equiv=Content-Type content="text/html; charset=utf-8"></head>
<body><table><tr><td>Người báo cáo</td><td>Nguyễn Văn An</td></tr></table></body></html>
""".encode()

WEB_TABLE = "\ufeff  <table border=1><tr><td>Số buổi</td><td>5</td></tr></table>".encode()

WEB_ARCHIVE = b"""MIME-Version: 1.0
X-Document-Type: Workbook
Content-Type: multipart/related; boundary="----=_NextPart_01D9"

------=_NextPart_01D9
Content-Location: file:///C:/form.htm
Content-Type: text/html; charset="utf-8"

<html><body><table><tr><td>5</td></tr></table></body></html>
"""

CSV = "Mục,Giá trị\r\nNgười báo cáo,Nguyễn Văn An\r\nSố buổi,5\r\n".encode()
TAB_SEPARATED = "Mục\tGiá trị\r\nNgười báo cáo\tNguyễn Văn An\r\nSố buổi\t5\r\n".encode("utf-16")


def word_document() -> bytes:
    return rezip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxml'
            b'formats.org/package/2006/content-types"><Override PartName="/word/document.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
            b'document.main+xml"/></Types>',
            "word/document.xml": b"<w:document/>",
        }
    )


def binary_workbook() -> bytes:
    return rezip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxml'
            b'formats.org/package/2006/content-types"><Override PartName="/xl/workbook.bin" '
            b'ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>',
            "xl/workbook.bin": b"\x83\x01\x00",
        }
    )


def far_cell(*, referenced: bool = True, quoted_slash: bool = False) -> bytes:
    """The form with one more value at XFD1048576, the very last cell of a sheet."""
    if quoted_slash:  # a value quoting "/>": an empty cell to a reader that stops at ">"
        cell = b'<row r="1048576"><c r="XFD1048576" t="n" x="/>"><v>1</v></c></row>'
    elif referenced:
        cell = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    else:  # placed by its row and the 16383 empty cells before it
        cell = b'<row r="1048576">' + b"<c/>" * 16_383 + b"<c><v>1</v></c></row>"
    return with_part(
        form_xlsx(), SHEET, lambda xml: xml.replace(b"</sheetData>", cell + b"</sheetData>")
    )


#: A value at XFD1048576 written in every shape python-calamine accepts (each makes
#: it ask for 512 GiB): quotes, spacing, case, prefix, order, no reference at all.
FAR_CELL_SHAPES: dict[str, bytes] = {
    "single quotes": b"<c r='XFD1048576'><v>1</v></c>",
    "two spaces": b'<c  r="XFD1048576"><v>1</v></c>',
    "tab": b'<c\tr="XFD1048576"><v>1</v></c>',
    "new line": b'<c\nr="XFD1048576"><v>1</v></c>',
    "spaced equals": b'<c r = "XFD1048576"><v>1</v></c>',
    "lower case": b'<c r="xfd1048576"><v>1</v></c>',
    "reference second": b'<c t="n" r="XFD1048576"><v>1</v></c>',
    "prefixed": b'<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    b' r="XFD1048576"><x:v>1</x:v></x:c>',
    "after an empty cell": b'<c r="XFC1048576"/><c><v>1</v></c>',
    "inline string": b'<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
}


def far_cell_shaped(shape: bytes) -> bytes:
    row = b'<row r="1048576">' + shape + b"</row>"
    return with_part(
        form_xlsx(), SHEET, lambda xml: xml.replace(b"</sheetData>", row + b"</sheetData>")
    )


def huge_dimension() -> bytes:
    return with_part(
        form_xlsx(),
        SHEET,
        lambda xml: xml.replace(b'<dimension ref="A1:B6"/>', b'<dimension ref="A1:XFD1048576"/>'),
    )


#: A shared-strings table claiming four billion strings, in the shapes python-calamine
#: reads (each makes it reserve 96 GB up front).
SHARED_STRINGS_CLAIMS: dict[str, bytes] = {
    "plain": b'<sst uniqueCount="4000000000" ',
    "single quotes": b"<sst uniqueCount='4000000000' ",
    "spaced equals": b'<sst uniqueCount = "4000000000" ',
    "after a quoted >": b'<sst a=">" uniqueCount="4000000000" ',
}


def shared_strings_claim(start: bytes = SHARED_STRINGS_CLAIMS["plain"]) -> bytes:
    def claim(xml: bytes) -> bytes:
        return xml.replace(b'uniqueCount="', b'was="', 1).replace(b"<sst ", start, 1)

    return with_part(form_xlsx(), "xl/sharedStrings.xml", claim)


# A compound file holding a VBA project stream: enough to make a workbook
# macro-enabled (nothing in it would run anywhere).
_VBA_PROJECT = cfb({"_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00", "dir": b"\x01" * 64})
LONG_TEXT = "Khó khăn." * 4_445  # 40,005 characters: more than Excel's 32,767


def long_cell() -> bytes:
    # XlsxWriter keeps to Excel's limit; the long text is put in afterwards.
    data = form_xlsx({**FORM_VALUES, "B7": "LONG"})
    return with_part(
        data,
        "xl/sharedStrings.xml",
        lambda xml: xml.replace(b"<t>LONG</t>", f"<t>{LONG_TEXT}</t>".encode()),
    )


def macro_enabled(data: bytes) -> bytes:
    """``data`` (an .xlsx) turned into a macro-enabled workbook with a VBA project."""
    parts = parts_of(data)
    parts["xl/vbaProject.bin"] = _VBA_PROJECT
    parts["[Content_Types].xml"] = (
        parts["[Content_Types].xml"]
        .replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )
        .replace(
            b"</Types>",
            b'<Default Extension="bin" '
            b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
        )
    )
    return rezip(parts)


def _xlsm() -> bytes:
    return macro_enabled(form_xlsx())


_MAKERS: dict[str, Callable[[], bytes]] = {
    "form.xlsx": form_xlsx,
    "form.xls": lambda: biff8({"Báo cáo": FORM_CELLS}),
    "form.ods": ods_form,
    "empty.xlsx": lambda: b"",
    "truncated.xlsx": lambda: form_xlsx()[: len(form_xlsx()) // 2],
    "not_a_zip.xlsx": lambda: bytes((i * 7919) % 251 for i in range(5_000)),
    "corrupt_deflate.xlsx": corrupt_deflate,
    "bad_crc.xlsx": bad_crc,
    "web_page.xls": lambda: WEB_PAGE,
    "web_page.xlsx": lambda: WEB_TABLE,
    "excel_web_archive.xls": lambda: WEB_ARCHIVE,
    "comma_separated.xlsx": lambda: CSV,
    "tab_separated_unicode.xls": lambda: TAB_SEPARATED,
    "spreadsheet_2003.xls": lambda: SPREADSHEET_2003,
    "spreadsheet_2003.xlsx": lambda: SPREADSHEET_2003,
    "pdf_named.xlsx": lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
    "word_document.xlsx": word_document,
    "plain_archive.xlsx": lambda: rezip({"bao cao.txt": b"Thon 8", "anh.jpg": b"\xff\xd8\xff"}),
    "binary_workbook.xlsx": binary_workbook,
    "xls_renamed.xlsx": lambda: biff8({"Báo cáo": FORM_CELLS}),
    "xlsx_renamed.xls": form_xlsx,
    "ods_renamed.xlsx": ods_form,
    "zip_bomb.xlsx": zip_bomb,
    "zip_bomb_lying_header.xlsx": lambda: zip_bomb(claimed=4_321),
    "zip_bomb_lying_under_the_cap.xlsx": lambda: zip_bomb(claimed=31 << 20),
    "billion_laughs_sheet.xlsx": lambda: with_part(
        with_part(form_xlsx(), SHEET, _with_doctype(BILLION_LAUGHS)),
        "xl/sharedStrings.xml",
        _entity_use(b"lol9"),
    ),
    "billion_laughs_workbook.xlsx": lambda: with_part(
        form_xlsx(),
        "xl/workbook.xml",
        _with_doctype(BILLION_LAUGHS.replace(b"worksheet", b"workbook")),
    ),
    "quadratic_blowup_shared_strings.xlsx": lambda: with_part(
        form_xlsx(),
        "xl/sharedStrings.xml",
        lambda xml: _entity_use(b"a" + b";&a" * 1000)(_with_doctype(QUADRATIC_BLOWUP)(xml)),
    ),
    "external_entity_sheet.xlsx": lambda: with_part(
        form_xlsx(), SHEET, _with_doctype(EXTERNAL_ENTITY)
    ),
    "external_entity_content_types.xlsx": lambda: with_part(
        form_xlsx(),
        "[Content_Types].xml",
        _with_doctype(EXTERNAL_ENTITY.replace(b"worksheet", b"Types")),
    ),
    "entity_in_ods_content.ods": lambda: ods(
        [], prolog=EXTERNAL_ENTITY.replace(b"worksheet", b"office:document-content")
    ),
    "encrypted.xlsx": encrypted_ooxml,
    "encrypted.xls": lambda: biff8({"Báo cáo": FORM_CELLS}, password=True),
    "encrypted.ods": lambda: ods(
        [],
        manifest=_ODS_MANIFEST.replace(
            b'media-type="text/xml"/>',
            b'media-type="text/xml"><manifest:encryption-data manifest:checksum="x"/>'
            b"</manifest:file-entry>",
        ),
    ),
    "macros.xlsm": _xlsm,
    "macros_renamed.xlsx": _xlsm,
    "macros.xls": lambda: biff8({"Báo cáo": FORM_CELLS}, macros=True),
    "huge_dimension.xlsx": huge_dimension,
    "cell_at_xfd1048576.xlsx": lambda: far_cell(referenced=True),
    "cell_at_xfd1048576_unreferenced.xlsx": lambda: far_cell(referenced=False),
    "cell_at_xfd1048576_quoted_slash.xlsx": lambda: far_cell(quoted_slash=True),
    "cell_at_iv65536.xls": lambda: biff8({"Báo cáo": {**FORM_CELLS, (65_535, 255): 1}}),
    "broken_directory.xls": broken_directory,
    "repeated_rows.ods": lambda: ods(
        [
            '<table:table-row table:number-rows-repeated="3000">'
            '<table:table-cell table:number-columns-repeated="16384" office:value-type="string">'
            "<text:p>x</text:p></table:table-cell></table:table-row>"
        ]
    ),
    "repeated_rows_quoted.ods": lambda: ods(
        [
            "<table:table-row table:number-rows-repeated='3000'><table:table-cell x='/>'"
            " office:value-type='string' table:number-columns-repeated='16384'>"
            "<text:p>x</text:p></table:table-cell></table:table-row>"
        ]
    ),
    "repeated_spaces.ods": lambda: ods(
        [
            '<table:table-row><table:table-cell office:value-type="string">'
            '<text:p>Thôn<text:s text:c="2000000000"/>1</text:p>'
            "</table:table-cell></table:table-row>"
        ]
    ),
    "shared_strings_claim.xlsx": shared_strings_claim,
    "300_sheets.xlsx": lambda: form_xlsx(sheets=300),
    "too_many_parts.xlsx": too_many_parts,
    "long_cell.xlsx": long_cell,
    "tcvn3.xlsx": lambda: form_xlsx({**FORM_VALUES, "B3": TCVN3_TEXT[0]}, font=".VnTime"),
    "vni.xlsx": lambda: form_xlsx({**FORM_VALUES, "B3": VNI_TEXT[0]}, font="VNI-Times"),
    "nfd.xlsx": lambda: form_xlsx({**FORM_VALUES, "B3": NFD_TEXT}),
}

assert set(_MAKERS) == set(EXPECTED), set(_MAKERS) ^ set(EXPECTED)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    for name, path in build_corpus(target).items():
        print(f"{path.stat().st_size:>12,}  {name}")
