"""Nothing the officer typed is lost, and what they give once is remembered (issue 18).

A report file changed since ``wbt merge`` wrote it (the officer typed the number
into the title block) is kept beside it, byte for byte, under a dated name, before
the next merge replaces it; the output names the copy. An unchanged report is
replaced silently; a file made by hand under the report's name is kept too. The
report's number, signing date, signer, body and receivers given once
(``--number``…) are written into the report and used by every later merge of the
period. The report is read back with openpyxl; the commands run through CliRunner
over a copy of the demo's working folder.
"""

from __future__ import annotations

import io
import json
import os
import re
from datetime import datetime
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from tests.demo_folders import demo_folder
from workbook_tools import demo
from workbook_tools.cli import cli
from workbook_tools.plan import load_sample_plan
from workbook_tools.report.write import RECORD_NAME

PERIOD = demo.load_scenario().period
WORKBOOK = f"BaoCao_TongHop_{PERIOD}.xlsx"
SUMMARY = f"tong_hop_{PERIOD}.json"
DOCUMENT = f"BaoCao_{PERIOD}.docx"
SHEET = "Tổng hợp"
#: The name of a kept copy: the report's, with the day and time it was last saved.
KEPT = re.compile(
    re.escape(f"BaoCao_TongHop_{PERIOD} (sửa ") + r"\d\d-\d\d-\d{4} \d\d-\d\d\)( \(\d+\))?\.xlsx"
)
EDITED_AT = datetime(2024, 6, 18, 9, 30)


def run(root: Path, *more: str) -> Result:
    return CliRunner().invoke(cli, ["merge", "--period", PERIOD, "--dir", str(root), *more])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's folder merged while one returned file was held back (in ``late/``)."""
    root = demo_folder(tmp_path_factory, "officer")
    late = sorted(p for p in (root / "inbox").iterdir() if p.is_file())[0]
    (root / "late").mkdir()
    late.rename(root / "late" / late.name)  # a rename keeps its bytes and its time
    result = run(root)
    assert result.exit_code == 0, result.output
    return root


def folder(root: Path) -> Path:
    return root / "outbox" / PERIOD


def add_late_file(root: Path) -> None:
    for path in (root / "late").iterdir():
        path.rename(root / "inbox" / path.name)


def received(root: Path) -> int:
    return int(json.loads((folder(root) / SUMMARY).read_bytes())["completeness"]["received"])


def summary_texts(data: bytes) -> list[str]:
    """Every text on the summary sheet, in reading order."""
    book = load_workbook(io.BytesIO(data))
    return [c.value for row in book[SHEET].iter_rows() for c in row if isinstance(c.value, str)]


def number_cell(data: bytes) -> str:
    return next(t for t in summary_texts(data) if t.startswith("Số:"))


def edit_number(path: Path, number: str) -> bytes:
    """The officer types the number into the title block in Excel and saves."""
    book = load_workbook(path)
    sheet = book[SHEET]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == "Số:        /BC-UBND")
    cell.value = f"Số: {number}"
    book.save(path)
    stamp = EDITED_AT.timestamp()
    os.utime(path, (stamp, stamp))
    return path.read_bytes()


def kept_copies(root: Path) -> list[Path]:
    return sorted(p for p in folder(root).iterdir() if KEPT.fullmatch(p.name))


def document_text(data: bytes) -> str:
    """The Word report's text (python-docx): its paragraphs and its tables' cells."""
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def edit_document_number(path: Path, number: str) -> bytes:
    """The officer types the number into the Word report's title block and saves."""
    document = docx.Document(str(path))
    paragraphs = [
        p for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs
    ]
    paragraph = next(p for p in paragraphs if p.text.strip().startswith("Số:"))
    paragraph.runs[0].text = f"Số: {number}"
    for run in paragraph.runs[1:]:
        run.text = ""
    document.save(str(path))
    stamp = EDITED_AT.timestamp()
    os.utime(path, (stamp, stamp))
    return path.read_bytes()


# --- 1. nothing the officer typed is lost --------------------------------------------------


def test_an_edited_report_is_kept_byte_for_byte_and_named(root: Path) -> None:
    report = folder(root) / WORKBOOK
    before = received(root)
    edited = edit_number(report, "45/BC-UBND")
    add_late_file(root)
    result = run(root)
    assert result.exit_code == 0, result.output
    copies = kept_copies(root)
    assert [p.name for p in copies] == [f"BaoCao_TongHop_{PERIOD} (sửa 18-06-2024 09-30).xlsx"]
    assert copies[0].read_bytes() == edited
    assert copies[0].stat().st_mtime == EDITED_AT.timestamp()  # dated as the officer saved it
    output = " ".join(result.output.split())
    assert f"outbox/{PERIOD}/{copies[0].name}" in output and "giữ lại" in output
    # The new report is in place, with the late file.
    assert received(root) == before + 1
    assert report.read_bytes() != edited
    assert number_cell(report.read_bytes()) == "Số:        /BC-UBND"
    # The name is one Windows accepts.
    assert not set(copies[0].name) & set('<>:"/\\|?*')
    # The next merge replaces the new report silently: it is as the tool wrote it.
    again = run(root)
    assert again.exit_code == 0, again.output
    assert kept_copies(root) == copies and "giữ lại" not in again.output


def test_an_unchanged_report_is_replaced_silently(root: Path) -> None:
    old = (folder(root) / WORKBOOK).read_bytes()
    add_late_file(root)
    result = run(root)
    assert result.exit_code == 0, result.output
    assert (folder(root) / WORKBOOK).read_bytes() != old
    assert kept_copies(root) == [] and "giữ lại" not in result.output


def test_a_report_made_by_hand_is_kept(root: Path) -> None:
    """No record of it (made by hand, or the record lost): kept, as changed."""
    (folder(root) / RECORD_NAME).unlink()
    by_hand = b"PK\x03\x04 the officer's own workbook"
    (folder(root) / WORKBOOK).write_bytes(by_hand)
    result = run(root)
    assert result.exit_code == 0, result.output
    copies = kept_copies(root)
    assert len(copies) == 1 and copies[0].read_bytes() == by_hand
    assert copies[0].name in " ".join(result.output.split())


def test_two_edits_saved_in_the_same_minute_are_both_kept(root: Path) -> None:
    report = folder(root) / WORKBOOK
    first = edit_number(report, "45/BC-UBND")
    assert run(root).exit_code == 0
    second = edit_number(report, "46/BC-UBND")
    result = run(root)
    assert result.exit_code == 0, result.output
    copies = kept_copies(root)
    stem = f"BaoCao_TongHop_{PERIOD} (sửa 18-06-2024 09-30)"
    by_name = {p.name: p.read_bytes() for p in copies}
    assert by_name == {f"{stem}.xlsx": first, f"{stem} (2).xlsx": second}
    # Merging again makes no third copy of either.
    assert run(root).exit_code == 0 and kept_copies(root) == copies


def test_a_failed_write_keeps_the_edited_report_and_makes_no_copy(root: Path) -> None:
    """The copy is made with the new report, all or none: the write fails, nothing moves."""
    report = folder(root) / WORKBOOK
    edited = edit_number(report, "45/BC-UBND")
    (folder(root) / SUMMARY).unlink()
    (folder(root) / SUMMARY).mkdir()  # cannot be replaced by a file
    record = (folder(root) / RECORD_NAME).read_bytes()
    result = run(root, "--number", "47/BC-UBND")
    assert result.exit_code == 1, result.output
    assert report.read_bytes() == edited
    assert kept_copies(root) == []
    assert (folder(root) / RECORD_NAME).read_bytes() == record  # 47 not remembered
    assert RECORD_NAME not in result.output  # the hidden record is no officer's business


def test_an_edited_word_report_is_kept_byte_for_byte_and_named(root: Path) -> None:
    report = folder(root) / DOCUMENT
    edited = edit_document_number(report, "45/BC-UBND")
    assert "Số: 45/BC-UBND" in document_text(edited)
    workbook = edit_number(folder(root) / WORKBOOK, "45/BC-UBND")
    add_late_file(root)
    result = run(root)
    assert result.exit_code == 0, result.output
    kept = folder(root) / f"BaoCao_{PERIOD} (sửa 18-06-2024 09-30).docx"
    assert kept.read_bytes() == edited
    assert kept_copies(root)[0].read_bytes() == workbook
    output = " ".join(result.output.split())
    assert f"outbox/{PERIOD}/{kept.name}" in output
    assert f"outbox/{PERIOD}/{kept_copies(root)[0].name}" in output
    assert "Số: 45/BC-UBND" not in document_text(report.read_bytes())  # the new one, blank
    # Unchanged since: replaced silently.
    again = run(root)
    assert again.exit_code == 0 and "giữ lại" not in again.output


# --- 2. the officer's entries, remembered for the period -----------------------------------


def test_entries_given_once_are_written_and_remembered(root: Path) -> None:
    report = folder(root) / WORKBOOK
    result = run(
        root,
        "--number",
        "45/BC-UBND",
        "--date",
        "18/06/2024",
        "--signer",
        "Nguyễn Văn A",
        "--title",
        "PHÓ CHỦ TỊCH",
        "--to",
        "UBND huyện Tam Nông",
        "--recipient",
        "- UBND huyện Tam Nông;",
        "--recipient",
        "Công an huyện",
    )
    assert result.exit_code == 0, result.output
    assert "Số: 45/BC-UBND, ngày ký 18/06/2024" in result.output

    def check(data: bytes) -> None:
        texts = summary_texts(data)
        assert "Số: 45/BC-UBND" in texts
        assert "Tiến Nông, ngày 18 tháng 6 năm 2024" in texts
        assert not any("Kính gửi" in t for t in texts)  # a báo cáo: the body is in Nơi nhận
        assert {"PHÓ CHỦ TỊCH", "Nguyễn Văn A"} <= set(texts)
        receivers = texts.index("Nơi nhận:")
        lines = [t for t in texts[receivers:] if t.startswith("- ")]
        assert lines[:2] == ["- UBND huyện Tam Nông;", "- Công an huyện;"]
        assert lines[2].startswith("- Lưu:")

    def check_document(data: bytes) -> None:
        text = document_text(data)
        assert "Số: 45/BC-UBND" in text
        assert "Tiến Nông, ngày 18 tháng 6 năm 2024" in text
        assert "PHÓ CHỦ TỊCH" in text and "Nguyễn Văn A" in text
        assert "- UBND huyện Tam Nông;\n- Công an huyện;\n- Lưu:" in text

    document = folder(root) / DOCUMENT
    check(report.read_bytes())
    check_document(document.read_bytes())
    # The next merge of the period, without the options (and with a late file): the same.
    add_late_file(root)
    again = run(root)
    assert again.exit_code == 0, again.output
    check(report.read_bytes())
    check_document(document.read_bytes())
    assert kept_copies(root) == []
    # One changed, the others kept; then the number given empty is forgotten.
    third = run(root, "--number", "46")
    assert third.exit_code == 0, third.output
    assert number_cell(report.read_bytes()) == "Số: 46/BC-UBND"
    assert "Nguyễn Văn A" in summary_texts(report.read_bytes())
    fourth = run(root, "--number", "")
    assert fourth.exit_code == 0, fourth.output
    assert number_cell(report.read_bytes()) == "Số:        /BC-UBND"
    assert "Nguyễn Văn A" in summary_texts(report.read_bytes())


def test_without_entries_the_plan_s_signer_and_a_blank_number(root: Path) -> None:
    settings = load_sample_plan().settings
    texts = summary_texts((folder(root) / WORKBOOK).read_bytes())
    assert "Số:        /BC-UBND" in texts
    assert {settings.signer_title, settings.signer_name, f"- {settings.report_to};"} <= set(texts)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("31/02/2024", "không có ngày 31 tháng 2 năm 2024"),
        ("18/6", "không phải là một ngày"),
        ("hôm nay", "không phải là một ngày"),
    ],
)
def test_a_bad_date_is_a_vietnamese_message_naming_the_option(
    root: Path, typed: str, said: str
) -> None:
    before = (folder(root) / WORKBOOK).read_bytes()
    result = run(root, "--date", typed)
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "--date" in output and said in output and "18/06/2024" in output
    assert "Traceback" not in output
    assert (folder(root) / WORKBOOK).read_bytes() == before


@pytest.mark.parametrize("typed", ["18/06/2024", "18-6-2024", "18.06.2024", "2024-06-18"])
def test_a_date_is_read_in_the_ways_officers_type_it(root: Path, typed: str) -> None:
    result = run(root, "--date", typed)
    assert result.exit_code == 0, result.output
    texts = summary_texts((folder(root) / WORKBOOK).read_bytes())
    assert "Tiến Nông, ngày 18 tháng 6 năm 2024" in texts
