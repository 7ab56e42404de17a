"""Hostile and broken returned files: each gets its record, none hurts the run.

The corpus (tests/corpus.py) holds one file per kind of trouble; it is built
and inspected once. Each kind is asserted the way the officer sees it: the
record's code, severity and message naming the file. Files that pass are then
read by python-calamine in a separate, memory-limited process, which must not
crash.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import struct
import subprocess
import sys
import time
import tracemalloc
import unicodedata
import zipfile
import zlib
from pathlib import Path

import pytest
import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.corpus import (
    EXPECTED,
    FAR_CELL_SHAPES,
    LONG_TEXT,
    NFD_TEXT,
    SHARED_STRINGS_CLAIMS,
    SHEET,
    SKIPPED,
    TCVN3_TEXT,
    VNI_TEXT,
    RawMember,
    build_corpus,
    far_cell_shaped,
    form_xlsx,
    members_of,
    parts_of,
    raw_zip,
    rezip,
    shared_strings_claim,
    spaces_stream,
)
from tests.inbox_forms import convert_many
from tests.platforms import posix_only
from workbook_tools.checks import legacy_text
from workbook_tools.problems import MESSAGES, Severity
from workbook_tools.safety import (
    FileFormat,
    Inspection,
    Limits,
    inspect,
    read_part,
    should_skip,
    zipped,
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def _fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def inspected(corpus: dict[str, Path]) -> dict[str, Inspection]:
    return {name: inspect(corpus[name]) for name in EXPECTED}


def test_inspecting_changes_no_file(tmp_path_factory: pytest.TempPathFactory) -> None:
    corpus = build_corpus(tmp_path_factory.mktemp("untouched"))
    before = {name: _fingerprint(path) for name, path in corpus.items()}
    time.sleep(0.01)  # a write now would show in the modification times
    for path in corpus.values():
        inspect(path)
        read_part(path, SHEET)
    assert {name: _fingerprint(path) for name, path in corpus.items()} == before


def test_the_inspection_keeps_the_time_of_the_bytes_it_read(corpus: dict[str, Path]) -> None:
    path = corpus["form.xlsx"]
    seen = inspect(path)
    assert seen.usable
    assert seen.modified == os.stat(path).st_mtime
    assert seen.content == path.read_bytes()


# --- every kind of trouble gets its record ------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_kind_of_file_gets_its_record(name: str, inspected: dict[str, Inspection]) -> None:
    expected, found = EXPECTED[name], inspected[name]
    assert found.usable is expected.usable
    assert found.format == (FileFormat(expected.format) if expected.format else None)
    if expected.code is None:
        assert found.problems == ()
        return
    first = found.problems[0]
    assert first.code == expected.code
    assert first.severity is MESSAGES[expected.code][0]
    assert first.severity is (Severity.WARNING if expected.usable else Severity.ERROR)
    for problem in found.problems:
        assert problem.file == name
        assert name in problem.message
        assert "{" not in problem.message  # every placeholder was filled
    if not expected.usable:  # inspection stops at the first reason a file is unusable
        assert [p.severity for p in found.problems].count(Severity.ERROR) == 1


def test_nothing_in_the_corpus_surprised_the_inspection(inspected: dict[str, Inspection]) -> None:
    assert not [
        n for n, i in inspected.items() if any(p.code == "file.unexpected" for p in i.problems)
    ]


def test_a_renamed_file_is_read_as_what_it_really_is(inspected: dict[str, Inspection]) -> None:
    (problem,) = inspected["xls_renamed.xlsx"].problems
    assert "có đuôi .xlsx nhưng thực chất là bảng tính Excel 97-2003 .xls" in problem.message
    (problem,) = inspected["xlsx_renamed.xls"].problems
    assert "có đuôi .xls nhưng thực chất là bảng tính Excel .xlsx" in problem.message


def test_text_saved_as_a_workbook_says_what_it_is(inspected: dict[str, Inspection]) -> None:
    def message(name: str) -> str:
        return inspected[name].problems[0].message

    assert "là một trang web (HTML) được lưu với đuôi .xls" in message("web_page.xls")
    assert "(phân cách bằng dấu tab) được lưu với đuôi .xls" in message("tab_separated_unicode.xls")
    assert "(CSV, phân cách bằng dấu phẩy)" in message("comma_separated.xlsx")
    assert "XML kiểu Excel 2003" in message("spreadsheet_2003.xlsx")
    assert "là một tệp PDF" in message("pdf_named.xlsx")
    assert "là một văn bản Word (.docx)" in message("word_document.xlsx")


@pytest.mark.parametrize(
    ("name", "part"),
    [
        ("billion_laughs_sheet.xlsx", SHEET),
        ("billion_laughs_workbook.xlsx", "xl/workbook.xml"),
        ("quadratic_blowup_shared_strings.xlsx", "xl/sharedStrings.xml"),
        ("external_entity_sheet.xlsx", SHEET),
        ("external_entity_content_types.xlsx", "[Content_Types].xml"),
        ("entity_in_ods_content.ods", "content.xml"),
        ("zip_bomb.xlsx", SHEET),
        ("zip_bomb_lying_header.xlsx", SHEET),
    ],
)
def test_an_attack_names_the_part_it_hides_in(
    name: str, part: str, inspected: dict[str, Inspection]
) -> None:
    (problem,) = inspected[name].problems
    assert f"phần {part} " in problem.message
    assert "Đừng mở tệp này" in problem.message


def test_a_password_asks_for_the_file_without_one(inspected: dict[str, Inspection]) -> None:
    for name in ("encrypted.xlsx", "encrypted.xls", "encrypted.ods"):
        (problem,) = inspected[name].problems
        assert "có mật khẩu" in problem.message and "gỡ mật khẩu" in problem.message


def test_macros_are_flagged_and_the_values_still_read(inspected: dict[str, Inspection]) -> None:
    for name, fmt in (
        ("macros.xlsm", FileFormat.XLSM),
        ("macros_renamed.xlsx", FileFormat.XLSM),
        ("macros.xls", FileFormat.XLS),
    ):
        found = inspected[name]
        assert (found.format, found.macro_enabled) == (fmt, True)
        assert [p.code for p in found.problems] == ["file.macros"]
    assert not inspected["form.xlsx"].macro_enabled


@pytest.mark.parametrize(
    ("name", "last"),
    [
        ("cell_at_xfd1048576.xlsx", "XFD1048576"),
        ("cell_at_xfd1048576_unreferenced.xlsx", "XFD1048576"),
        ("cell_at_xfd1048576_quoted_slash.xlsx", "XFD1048576"),
        ("repeated_rows_quoted.ods", "XFD3000"),
        ("cell_at_iv65536.xls", "IV65536"),
        ("repeated_rows.ods", "XFD3000"),
    ],
)
def test_a_far_cell_is_named_with_its_sheet(
    name: str, last: str, inspected: dict[str, Inspection]
) -> None:
    (problem,) = inspected[name].problems
    assert (problem.sheet, problem.cell) == ("Báo cáo", last)
    assert f"đến ô {last}" in problem.message and "Hãy xóa các ô có dữ liệu ở xa" in problem.message


@pytest.mark.parametrize("shape", sorted(FAR_CELL_SHAPES))
def test_a_far_cell_is_found_whatever_its_shape(shape: str, tmp_path: Path) -> None:
    path = tmp_path / "far.xlsx"
    path.write_bytes(far_cell_shaped(FAR_CELL_SHAPES[shape]))
    (problem,) = inspect(path).problems
    assert (problem.code, problem.cell) == ("file.too_many_cells", "XFD1048576")


@pytest.mark.parametrize("shape", sorted(SHARED_STRINGS_CLAIMS))
def test_a_shared_strings_claim_is_found_whatever_its_shape(shape: str, tmp_path: Path) -> None:
    path = tmp_path / "claim.xlsx"
    path.write_bytes(shared_strings_claim(SHARED_STRINGS_CLAIMS[shape]))
    (problem,) = inspect(path).problems
    assert problem.code == "file.corrupt"
    assert "danh sách chữ dùng chung khai báo 4.000.000.000 mục" in problem.message


def test_a_claimed_dimension_alone_is_only_a_warning(inspected: dict[str, Inspection]) -> None:
    (problem,) = inspected["huge_dimension.xlsx"].problems
    assert (problem.sheet, problem.value) == ("Báo cáo", "A1:XFD1048576")


def test_counts_are_shown_to_the_officer(inspected: dict[str, Inspection]) -> None:
    assert "có 300 trang tính (giới hạn 50)" in inspected["300_sheets.xlsx"].problems[0].message
    parts = len(parts_of(form_xlsx())) + 2_000
    assert f"chứa {parts} phần bên trong" in inspected["too_many_parts.xlsx"].problems[0].message
    (problem,) = inspected["long_cell.xlsx"].problems
    assert f"một ô có {len(LONG_TEXT)} ký tự, quá giới hạn 32767" in problem.message


def test_what_the_reader_needs_is_handed_on(inspected: dict[str, Inspection]) -> None:
    form = inspected["form.xlsx"]
    assert form.sheets == ("Báo cáo",)
    workbook = form.part("XL/WORKBOOK.XML")
    assert workbook is not None and b'<definedName name="o_B3">' in workbook
    assert set(form.parts) >= {
        "[Content_Types].xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
    }
    assert inspected["form.ods"].part("content.xml") is not None
    assert inspected["form.xls"].sheets == ("Báo cáo",)
    assert inspected["tcvn3.xlsx"].legacy_fonts == (".VnTime",)
    assert inspected["vni.xlsx"].legacy_fonts == ("VNI-Times",)


def _read_all(data: bytes) -> dict[str, list[list[object]]]:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_a_zip_workbook_is_handed_on_with_its_checked_parts_stored(
    corpus: dict[str, Path], inspected: dict[str, Inspection]
) -> None:
    zipped = {
        name: found
        for name, found in inspected.items()
        if found.usable and found.format is not FileFormat.XLS
    }
    assert {"form.xlsx", "form.ods", "macros.xlsm", "xlsx_renamed.xls"} <= set(zipped)
    for name, found in zipped.items():
        with zipfile.ZipFile(io.BytesIO(found.unpacked)) as stored:
            assert stored.testzip() is None, name  # every CRC is right
            assert {i.compress_type for i in stored.infolist()} == {zipfile.ZIP_STORED}, name
            with zipfile.ZipFile(corpus[name]) as original:
                # Each part as it inflates from the returned file, byte for byte.
                assert all(
                    stored.read(i.filename) == original.read(i.filename) for i in stored.infolist()
                ), name
                xml = {
                    i.filename
                    for i in original.infolist()
                    if i.filename.lower().endswith((".xml", ".rels", ".vml"))
                }
                assert xml <= set(stored.namelist()), name
        # A reader sees the same workbook either way.
        assert _read_all(found.unpacked) == _read_all(corpus[name].read_bytes()), name
    assert "mimetype" in zipfile.ZipFile(io.BytesIO(zipped["form.ods"].unpacked)).namelist()
    # Not made for an .xls, nor for a file that may not be read.
    assert inspected["form.xls"].unpacked == b""
    assert all(found.unpacked == b"" for found in inspected.values() if not found.usable)


def test_stored_parts_keep_names_in_any_script(tmp_path: Path) -> None:
    path = tmp_path / "tên.xlsx"
    path.write_bytes(rezip({**parts_of(form_xlsx()), "xl/media/ảnh chụp.xml": b"<a/>"}))
    found = inspect(path)
    with zipfile.ZipFile(io.BytesIO(found.unpacked)) as stored:
        assert stored.read("xl/media/ảnh chụp.xml") == b"<a/>"
        assert all(i.flag_bits & 0x800 for i in stored.infolist())  # names in UTF-8


def test_a_large_workbook_is_read_as_it_came(
    corpus: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    size = sum(i.file_size for i in zipfile.ZipFile(corpus["form.xlsx"]).infolist())
    monkeypatch.setattr(zipped, "UNPACKED_MAX", size - 1)
    found = inspect(corpus["form.xlsx"])
    assert found.usable and found.unpacked == b""
    assert found.content == corpus["form.xlsx"].read_bytes()
    monkeypatch.setattr(zipped, "UNPACKED_MAX", size)
    assert inspect(corpus["form.xlsx"]).unpacked != b""


def test_a_part_can_be_fetched_later_within_the_limits(corpus: dict[str, Path]) -> None:
    sheet = read_part(corpus["form.xlsx"], SHEET)
    assert sheet is not None and b"<sheetData>" in sheet
    assert read_part(corpus["form.xlsx"], "xl/missing.xml") is None
    assert read_part(corpus["zip_bomb_lying_header.xlsx"], SHEET) is None
    assert read_part(corpus["billion_laughs_sheet.xlsx"], SHEET) is None


def test_lock_hidden_and_system_files_are_skipped(corpus: dict[str, Path]) -> None:
    assert all(should_skip(corpus[name]) for name in SKIPPED)
    assert all(should_skip(Path(folder)) for folder in (".git", "__MACOSX", "._form.xlsx"))
    assert not any(should_skip(corpus[name]) for name in EXPECTED)


def test_a_file_that_cannot_be_opened_gets_a_record(tmp_path: Path) -> None:
    found = inspect(tmp_path / "gone.xlsx")
    assert [p.code for p in found.problems] == ["file.unreadable"]
    assert "gone.xlsx" in found.problems[0].message
    named = inspect(tmp_path, name="Thon 1/bao cao.xlsx")  # a folder
    assert named.problems[0].file == "Thon 1/bao cao.xlsx"


# --- python-calamine on what inspect() passed ---------------------------------

_READ_ALL = """
import json, resource, sys
import python_calamine
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
found = {}
for path in sys.argv[2:]:
    try:
        with open(path, "rb") as stream:
            book = python_calamine.CalamineWorkbook.from_filelike(stream)
            found[path] = {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}
    except Exception as err:
        found[path] = type(err).__name__
print(json.dumps(found, default=str))
"""
_MEMORY = 1 << 30  # a reader may use 1 GiB at most


def _calamine(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _READ_ALL, str(_MEMORY), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@posix_only  # the reader is held to 1 GiB by resource.setrlimit
def test_python_calamine_reads_every_file_inspect_passed(
    corpus: dict[str, Path], inspected: dict[str, Inspection]
) -> None:
    passed = [corpus[name] for name, found in inspected.items() if found.usable]
    run = _calamine(passed)
    assert run.returncode == 0, run.stderr[-2000:]
    books = {Path(p).name: book for p, book in json.loads(run.stdout).items()}
    assert set(books) == {p.name for p in passed}
    for name, book in books.items():
        assert isinstance(book, dict), f"{name}: {book}"
        (rows,) = book.values()
        assert rows[2][:2] == ["Người báo cáo", _expected_reporter(name)], name
        assert rows[3][1] in (5, 5.0)
    assert books["long_cell.xlsx"]["Báo cáo"][6][1] == LONG_TEXT  # the reader must cut it


def _expected_reporter(name: str) -> str:
    return {"tcvn3.xlsx": TCVN3_TEXT[0], "vni.xlsx": VNI_TEXT[0], "nfd.xlsx": NFD_TEXT}.get(
        name, "Nguyễn Văn An"
    )


@posix_only  # an abort is seen as the return code -SIGABRT
def test_without_the_inspection_python_calamine_would_abort(corpus: dict[str, Path]) -> None:
    # Witness of why far cells are refused: the reader asks for 512 GiB and the
    # process dies (Rust aborts on a failed allocation; no exception to catch).
    run = _calamine([corpus["cell_at_xfd1048576.xlsx"]])
    assert run.returncode == -signal.SIGABRT
    assert "memory allocation of" in run.stderr


def test_without_the_inspection_python_calamine_would_panic(corpus: dict[str, Path]) -> None:
    # A panic in the reader surfaces as pyo3's PanicException, which is not an
    # Exception: an "except Exception" around the reader would not catch it.
    with pytest.raises(BaseException) as raised:
        python_calamine.CalamineWorkbook.from_filelike(
            io.BytesIO(corpus["broken_directory.xls"].read_bytes())
        )
    assert type(raised.value).__name__ == "PanicException"
    assert not isinstance(raised.value, Exception)


def test_libreoffice_files_pass_as_they_are(tmp_path: Path, corpus: dict[str, Path]) -> None:
    source = corpus["form.xlsx"]
    (xls,), (ods) = convert_many(
        [([source], "xls", tmp_path / "xls"), ([source], "ods", tmp_path / "ods")]
    )
    for path, fmt in ((xls, FileFormat.XLS), (ods[0], FileFormat.ODS)):
        found = inspect(path)
        assert (found.format, found.problems) == (fmt, ()), path.name
        assert found.sheets == ("Báo cáo",)


# --- bounded time and memory ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "most"),
    [
        ("zip_bomb.xlsx", 4),  # refused on its header: nothing inflated
        ("zip_bomb_lying_header.xlsx", 4),  # stopped as soon as it outgrew its header
        ("zip_bomb_lying_under_the_cap.xlsx", 40),  # 31 MiB kept to be read, then stopped
    ],
)
def test_a_zip_bomb_stops_early_in_time_and_memory(
    name: str, most: int, corpus: dict[str, Path]
) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    found = inspect(corpus[name])
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert found.problems[0].code == "file.zip_bomb"
    assert elapsed < 3.0, f"{name}: {elapsed:.2f} s"
    # 1.1 GB inside; besides the 1.1 MB file, at most what the header claims is held.
    assert peak < most * 2**20, f"{name}: peak {peak / 2**20:.0f} MiB"


@posix_only  # resource (the process's peak resident memory) is POSIX's
def test_zip_bombs_never_bring_the_process_near_their_size(corpus: dict[str, Path]) -> None:
    import resource

    for name in (
        "zip_bomb.xlsx",
        "zip_bomb_lying_header.xlsx",
        "zip_bomb_lying_under_the_cap.xlsx",
    ):
        assert inspect(corpus[name]).problems[0].code == "file.zip_bomb"
    # 1.1 GB inside each: the whole process never came near that.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1_000_000  # KiB


def test_many_parts_together_count_against_one_budget(tmp_path: Path) -> None:
    chunk = spaces_stream(6)  # 6 MiB each, under the part cap, 24 MiB together
    crc = zlib.crc32(b" " * (6 << 20))
    extra = [RawMember(f"customXml/item{i}.xml", chunk, 6 << 20, crc) for i in range(4)]
    path = tmp_path / "four_parts.xlsx"
    path.write_bytes(raw_zip(members_of(form_xlsx()) + extra))
    found = inspect(path, limits=Limits(max_part_bytes=8 << 20, max_total_inflated=16 << 20))
    (problem,) = found.problems
    assert problem.code == "file.zip_bomb" and "customXml/item2.xml" in problem.message


def test_entries_sharing_one_stream_count_against_the_budget_each(tmp_path: Path) -> None:
    # An overlapping-entries bomb: many directory entries point at one local member,
    # so that each reads the same 6 MiB stream. Python 3.11.7's zipfile lets them
    # overlap (3.11.8 and 3.12.2 refuse it); here each is inflated and counted.
    crc = zlib.crc32(b" " * (6 << 20))
    data = raw_zip(
        [*members_of(form_xlsx()), RawMember("customXml/item0.xml", spaces_stream(6), 6 << 20, crc)]
    )
    end = data.rfind(b"PK\x05\x06")
    at = data.rfind(b"PK\x01\x02", 0, end)  # the last entry: the 6 MiB member
    entry = data[at:end]
    copies = [entry.replace(b"item0", f"itm{i:02d}".encode()) for i in range(1, 40)]
    count, _, offset = struct.unpack_from("<HII", data, end + 10)
    directory = data[offset:end] + b"".join(copies)
    tail = struct.pack(
        "<4s4H2IH", b"PK\x05\x06", 0, 0, count + 39, count + 39, len(directory), offset, 0
    )
    path = tmp_path / "overlapping.xlsx"
    path.write_bytes(data[:offset] + directory + tail)
    (problem,) = inspect(path).problems
    assert problem.code == "file.zip_bomb" and "tổng dung lượng" in problem.message


def test_an_ordinary_form_is_inspected_in_a_few_milliseconds(corpus: dict[str, Path]) -> None:
    path = corpus["form.xlsx"]
    inspect(path)
    runs = 200
    started = time.perf_counter()
    for _ in range(runs):
        inspect(path)
    each = (time.perf_counter() - started) / runs
    # About 1 ms on a slow shared machine (python-calamine takes as long to read
    # it); the bound leaves room for a busy one.
    assert each < 0.010, f"{each * 1000:.2f} ms per file"


# --- mutations of a valid workbook ----------------------------------------------

_BASE = form_xlsx()
_XML_PARTS = sorted(n for n in parts_of(_BASE) if n.endswith((".xml", ".rels")))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    how = draw(st.sampled_from(["flip", "cut", "splice", "mangle_xml", "drop_part"]))
    data = bytearray(_BASE)
    if how == "flip":
        for _ in range(draw(st.integers(1, 16))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if how == "cut":
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    if how == "splice":
        at = draw(st.integers(0, len(data)))
        return bytes(
            data[:at] + draw(st.binary(max_size=64)) + data[at + draw(st.integers(0, 64)) :]
        )
    parts = parts_of(_BASE)
    name = draw(st.sampled_from(_XML_PARTS))
    if how == "drop_part":
        del parts[name]
        return rezip(parts)
    xml = parts[name]
    at = draw(st.integers(0, len(xml)))
    noise = draw(
        st.sampled_from([b"<", b">", b"&", b'"', b"<!DOCTYPE x>", b"<c>", b"\xff\xfe", b"\0"])
    )
    end = at + draw(st.integers(0, 16))
    parts[name] = xml[:at] + noise * draw(st.integers(1, 4)) + xml[end:]
    return rezip(parts)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=mutated())
def test_a_damaged_workbook_always_ends_in_an_inspection(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(data)
    found = inspect(path)
    assert isinstance(found, Inspection)
    assert not [p for p in found.problems if p.code == "file.unexpected"], found.problems
    assert found.usable == (found.format is not None)
    if found.usable:  # what passed is read, or refused with an error: never a crash
        try:
            book = _open(path)
            for name in book.sheet_names:
                book.get_sheet_by_name(name).to_python()
        except Exception:
            pass
        except BaseException as err:  # pyo3's PanicException: a reader bug, still caught
            if isinstance(err, KeyboardInterrupt | SystemExit):
                raise


def _open(path: Path) -> python_calamine.CalamineWorkbook:
    return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))


# --- legacy Vietnamese fonts ------------------------------------------------------

# Sắc, huyền, hỏi, ngã, nặng, as combining marks.
TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")


def _toned(vowel: str) -> list[str]:
    return [unicodedata.normalize("NFC", vowel + tone) for tone in TONES]


# VNI Windows as its keyboard tables list it: each vowel plain, then with
# sắc, huyền, hỏi, ngã, nặng (written out here, independently of the module).
VNI_ROWS = {
    "a": "a aù aø aû aõ aï",
    "ă": "aê aé aè aú aü aë",
    "â": "aâ aá aà aå aã aä",
    "e": "e eù eø eû eõ eï",
    "ê": "eâ eá eà eå eã eä",
    "i": "i í ì æ ó ò",
    "o": "o où oø oû oõ oï",
    "ô": "oâ oá oà oå oã oä",
    "ơ": "ô ôù ôø ôû ôõ ôï",
    "u": "u uù uø uû uõ uï",
    "ư": "ö öù öø öû öõ öï",
    "y": "y yù yø yû yõ î",
}


@pytest.mark.parametrize("vowel", sorted(VNI_ROWS))
def test_every_vni_letter_converts(vowel: str) -> None:
    for typed, letter in zip(VNI_ROWS[vowel].split(), _toned(vowel), strict=True):
        assert legacy_text.to_unicode(typed, "vni") == letter
        assert legacy_text.to_unicode(typed.upper(), "vni") == letter.upper()
    assert legacy_text.to_unicode("ñ Ñ", "vni") == "đ Đ"


def test_the_tcvn3_table_is_the_standards_and_covers_the_alphabet() -> None:
    # glibc's TCVN5712-1 is an independent witness for every byte the table holds.
    codes = bytes(ord(c) for c in legacy_text.TCVN3)
    try:
        decoded = subprocess.run(
            ["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"],
            input=codes,
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (FileNotFoundError, subprocess.CalledProcessError):
        pytest.skip("iconv with TCVN5712-1 is not available")
    assert decoded == "".join(legacy_text.TCVN3.values())
    lower = {c for v in "aăâeêioôơuưy" for c in _toned(v) if not c.isascii()} | {"đ"}
    assert set(legacy_text.TCVN3.values()) == lower | set("ĂÂÊÔƠƯĐ")


def test_tcvn3_round_trips_for_every_letter_in_words() -> None:
    to_tcvn3 = {letter: code for code, letter in legacy_text.TCVN3.items()}
    for letter in to_tcvn3:
        if letter.islower():
            word = "th" + letter + "n"
            typed = word.translate(str.maketrans(to_tcvn3))
            assert legacy_text.to_unicode(typed, "tcvn3") == word


@pytest.mark.parametrize(
    ("typed", "text", "encoding"),
    [
        (TCVN3_TEXT[0], TCVN3_TEXT[1], "tcvn3"),
        ("Th«n", "Thôn", "tcvn3"),
        ("§iÖn tho¹i", "Điện thoại", "tcvn3"),
        ("Tr\xadêng THCS", "Trường THCS", "tcvn3"),
        ("Kh«ng cã khã kh¨n g×", "Không có khó khăn gì", "tcvn3"),
        ("TH«NG B¸O", "THÔNG BÁO", "tcvn3"),  # capitals typed with .VnTimeH
        (VNI_TEXT[0], VNI_TEXT[1], "vni"),
        ("Thoân", "Thôn", "vni"),
        ("Coâng an xaõ", "Công an xã", "vni"),
        ("Ñaõ thöïc hieän", "Đã thực hiện", "vni"),
        ("ÑAÛNG UÛY", "ĐẢNG ỦY", "vni"),
    ],
)
def test_legacy_text_is_found_and_converted(typed: str, text: str, encoding: str) -> None:
    assert legacy_text.detect(typed) == encoding
    assert legacy_text.repair(typed) == (text, encoding)
    assert not legacy_text.is_legacy(text)


# Real Vietnamese as the forms and their officers write it, and other text a
# cell may hold: none of it may be taken for a legacy font.
ORDINARY = [
    "Kế hoạch phòng, chống mại dâm năm 2024",
    "Số hình thức tuyên truyền đã tổ chức (hội nghị, loa, tờ rơi, áp phích, mạng xã hội, hội thi…)",
    "Số lượt người được tuyên truyền",
    "Hoạt động tuyên truyền được duy trì thường xuyên",
    "Thôn đã xây dựng và tổ chức thực hiện kế hoạch PCMD năm 2024",
    "Lồng ghép PCMD với chương trình phát triển KT-XH",
    "Số tin báo, tố giác, phản ánh về mại dâm thôn tiếp nhận",
    "Bộ phận Văn hóa - Xã hội",
    "Công an xã",
    "Ủy ban Mặt trận Tổ quốc xã",
    "Đoàn Thanh niên Cộng sản Hồ Chí Minh xã",
    "Hội Liên hiệp Phụ nữ xã",
    "Hoàn thành",
    "Đang thực hiện",
    "Chưa thực hiện",
    "Có",
    "Không",
    "Thôn 1",
    "Thôn 12",
    "Nguyễn Văn An",
    "Lê Thị Hoà",
    "Trần Quốc Tuấn",
    "Phạm Thị Ngọc Ánh",
    "Hoàng Văn Thụ",
    "Tiến Nông, Triệu Sơn, Thanh Hóa",
    "Báo cáo 6 tháng đầu năm 2024",
    "BÁO CÁO NĂM 2024",
    "Khó khăn: thiếu kinh phí; đề xuất: hỗ trợ loa truyền thanh",
    "Hòa",
    "Hoà",
    "Thuỷ",
    "Thủy",
    "01/KH-UBND ngày 15/01/2024",
    "0912 345 678",
    "thon1@gmail.com",
    "https://tiennong.gov.vn",
    "The village held 5 sessions.",
    "Report for Q1/2024 — done",
    "café",
    "São Tomé",
    "5%",
    "12,5",
    "«Thôn 1»",
    "«Có»",
    "© 2024",
    "25 °C",
    "",
    " ",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_left_alone(text: str) -> None:
    for form in (text, unicodedata.normalize("NFD", text)):
        assert legacy_text.detect(form) is None
        assert not legacy_text.is_legacy(form)
        assert legacy_text.repair(form) == (unicodedata.normalize("NFC", text), None)


def test_nfd_text_comes_back_nfc() -> None:
    assert legacy_text.repair(NFD_TEXT) == ("Thôn Đồng Mỹ", None)


def test_the_files_font_settles_a_word_both_encodings_read() -> None:
    # VNI "Löu" is "Lưu"; read as TCVN3 it is "Lửu", just as Vietnamese-looking.
    assert legacy_text.detect("Löu") is None
    assert legacy_text.is_legacy("Löu")  # without the font: to be retyped
    font = legacy_text.encoding_of_font("VNI-Times")
    assert legacy_text.repair("Löu", prefer=font) == ("Lưu", "vni")
    assert legacy_text.encoding_of_font(".VnTimeH") == "tcvn3"
    assert legacy_text.encoding_of_font("Times New Roman") is None


def test_legacy_text_that_cannot_be_converted_is_to_be_retyped() -> None:
    garbled = "Th«n ®Üa ¸¸¸ x§y"
    assert legacy_text.detect(garbled) is None
    converted, encoding = legacy_text.repair(garbled)
    assert (converted, encoding) == (garbled, "tcvn3")
    assert legacy_text.is_legacy(converted)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FFF), max_size=60))
def test_any_text_repairs_to_nfc_without_error(text: str) -> None:
    converted, encoding = legacy_text.repair(text)
    assert unicodedata.is_normalized("NFC", converted)
    assert encoding in (None, "tcvn3", "vni")
    if encoding is None:
        assert converted == unicodedata.normalize("NFC", text)


def test_legacy_cells_read_from_a_workbook_convert(corpus: dict[str, Path]) -> None:
    for name, (typed, text) in (("tcvn3.xlsx", TCVN3_TEXT), ("vni.xlsx", VNI_TEXT)):
        with zipfile.ZipFile(corpus[name]) as archive:
            assert typed.encode() in archive.read("xl/sharedStrings.xml")
        assert legacy_text.repair(typed)[0] == text


def test_the_benchmark_runs(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_safety.py"
    run = subprocess.run(
        [sys.executable, str(script), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(script.parent.parent)},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "per file" in run.stdout and "Zip bomb" in run.stdout


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,  # binary of no known kind
        b"PK",  # a zip of other files, made below
    ],
)
def test_a_file_that_is_not_a_workbook_says_what_it_is_once(tmp_path: Path, data: bytes) -> None:
    if data.startswith(b"PK"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("anh/so_lieu.txt", "12")
        data = buffer.getvalue()
    path = tmp_path / "bao cao.xlsx"
    path.write_bytes(data)
    (problem,) = [p for p in inspect(path).problems if p.code == "file.not_workbook"]
    assert problem.message.count("không phải bảng tính") == 1, problem.message
