"""The report workbook and the JSON summary, read back as a user and a program would.

The workbook is read with openpyxl (formulas, then cached values), python-calamine
(values only, like a non-Excel reader) and, where installed, LibreOffice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from tests.merge_data import (
    FORMULA_TEXT,
    LATE,
    NOW,
    ON_TIME,
    PERIOD,
    everyone,
    inbox,
    ratio_plan,
    ratio_submissions,
    submission,
    unit_values,
    value_error,
    village_values,
)
from workbook_tools.consolidation import Consolidation, consolidate
from workbook_tools.errors import OutputError
from workbook_tools.inbox.model import InboxResult, Submission, SubmissionStatus
from workbook_tools.plan import load_sample_plan
from workbook_tools.plan.model import Plan
from workbook_tools.report.summary import build_summary
from workbook_tools.report.workbook import (
    SHEET_NAMES,
    UNUSED_FILES_HEADING,
    build_workbook,
    vietnamese_date_line,
)
from workbook_tools.report.write import report_paths, write_report

VILLAGES = [f"T{i:02d}" for i in range(1, 13)]
GREEN, RED, GREY = "FFC6EFCE", "FFFFC7CE", "FFD9D9D9"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_sample_plan()


def scenario(plan: Plan) -> InboxResult:
    """T07 and DTN missing, T03 and CA late, T05's tt_hinh_thuc in error, CA just under 100 %."""
    ca = submission(
        plan,
        "CA",
        {**unit_values(plan, "CA"), "ca_tb_tiep_nhan": 2375, "ca_tb_xu_ly": 2374},
        arrived=LATE,
    )
    subs = everyone(
        plan,
        T07=None,
        DTN=None,
        T03=submission(plan, "T03", arrived=LATE),
        T05=submission(plan, "T05", unusable={"tt_hinh_thuc"}),
        CA=ca,
    )
    return inbox(subs, [value_error("T05", "tt_hinh_thuc", "=1+1")])


@pytest.fixture(scope="module")
def consolidation(plan: Plan) -> Consolidation:
    return consolidate(plan, PERIOD, scenario(plan), generated_at=NOW)


@pytest.fixture(scope="module")
def written(consolidation: Consolidation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("outbox") / PERIOD
    return write_report(consolidation, folder).workbook


@pytest.fixture(scope="module")
def formulas(written: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(written)


@pytest.fixture(scope="module")
def cached(written: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(written, data_only=True)


def find_row(ws: Worksheet, column: int, value: object) -> int:
    for row in range(1, ws.max_row + 1):
        if ws.cell(row, column).value == value:
            return row
    raise AssertionError(f"{value!r} not in column {column} of {ws.title}")


# --- JSON ---------------------------------------------------------------------------


def test_summary_follows_the_contract(consolidation: Consolidation, plan: Plan) -> None:
    data = build_summary(consolidation)
    assert data["plan"] == "PCMD-TienNong-2024"
    assert data["period"] == PERIOD
    indicators = {i["code"]: i for i in data["indicators"]}
    assert list(indicators) == [i.code for i in plan.indicators]
    # 11 villages reported; T07 missing, T05 in error: 10/12 = 0.8333… < 0.95.
    assert {
        k: indicators["CT1.1"][k] for k in ("numerator", "denominator", "value", "target", "met")
    } == {"numerator": 10, "denominator": 12, "value": 10 / 12, "target": 0.95, "met": False}
    assert indicators["CT1.1"]["excluded_units"] == ["T05"]
    assert indicators["CT1.1"]["note"] == (
        "11/12 thôn đã báo cáo (chưa báo cáo: Thôn 7); "
        "1 thôn có số liệu lỗi không được tính (Thôn 5); "
        "nơi chưa báo cáo, để trống hay có lỗi được tính là chưa đạt điều kiện"
    )
    # CT1.2 is a count: numerator only, no target.
    assert {
        k: indicators["CT1.2"][k] for k in ("numerator", "denominator", "value", "target", "met")
    } == {
        # village radio (78 - 7) and posts (11), the commune's radio 12 and web posts 4
        "numerator": 78 - 7 + 11 + 12 + 4,
        "denominator": None,
        "value": None,
        "target": None,
        "met": None,
    }
    # 2374/2375 is 0.99957…, not rounded, and not met.
    ct31 = indicators["CT3.1"]
    assert (ct31["value"], ct31["value_exact"], ct31["met"]) == (2374 / 2375, "2374/2375", False)
    # Exactly 30 %: 33 of 110 workers.
    assert (indicators["CT1.3"]["value"], indicators["CT1.3"]["met"]) == (0.3, True)
    done = data["completeness"]
    assert [done[k] for k in ("expected", "received", "on_time", "missing", "late")] == [
        22,
        20,
        18,
        ["T07", "DTN"],
        ["T03", "CA"],
    ]
    assert done["deadline"] == "2024-06-15"
    assert {s["unit"]: s["status"] for s in data["submissions"]} == {
        e.code: "used" for e in plan.roster if e.code not in ("T07", "DTN")
    }
    # T07 did not report: the rules on the commune (QT12, QT13) are not judged, and say so.
    unchecked = [p for p in data["problems"] if p["code"] == "rule.commune_unchecked"]
    assert [(p["severity"], p["file"], p["cell"]) for p in unchecked] == [("info", None, None)] * 2
    assert all(": T07." in p["message"] for p in unchecked)
    assert [p for p in data["problems"] if p not in unchecked] == [
        {
            "code": "form.value_type",
            "severity": "error",
            "message": "Ô C12: '=1+1' không phải là số nguyên. Hãy nhập một số nguyên ≥ 0.",
            "file": "T05_0610.xlsx",
            "unit": "T05",
            "sheet": "Biểu mẫu",
            "cell": "C12",
            "field": "tt_hinh_thuc",
            "value": "=1+1",
        }
    ]
    assert data["generated_at"] == "2024-06-18T09:00:00"


def test_summary_file_is_utf8_json(written: Path, consolidation: Consolidation) -> None:
    path = report_paths(written.parent, PERIOD).summary
    text = path.read_text(encoding="utf-8")
    assert "Không đạt" in text  # Vietnamese kept as it is, not \u escapes
    data = build_summary(consolidation)
    assert json.loads(text) == json.loads(json.dumps(data))
    # One key per line, one record of each list per line.
    lines = text.splitlines()
    assert (lines[0], lines[-1], text[-1]) == ("{", "}", "\n")
    records = [json.loads(line.strip().rstrip(",")) for line in lines if line.startswith("    ")]
    assert records == [r for value in data.values() if isinstance(value, list) for r in value]
    keys = [line.split('": ', 1)[0] + '"' for line in lines if line.startswith('  "')]
    assert [json.loads(k) for k in keys] == list(data)


# --- workbook -----------------------------------------------------------------------


def test_sheets_and_title_block(formulas: openpyxl.Workbook) -> None:
    assert (
        formulas.sheetnames
        == list(SHEET_NAMES)
        == [
            "Tổng hợp",
            "So sánh các kỳ",
            "Theo thôn",
            "Theo đơn vị",
            "Tình hình nộp",
            "Lỗi dữ liệu",
            "Ý kiến",
        ]
    )
    ws = formulas["Tổng hợp"]
    # Decree 30: the issuing body in full, underlined under its name, as the motto is.
    assert (ws["A1"].value, ws["A2"].value) == ("ỦY BAN NHÂN DÂN", "XÃ TIẾN NÔNG")
    assert ws["A2"].font.u == "single" and ws["E2"].font.u == "single"
    assert ws["E1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert ws["E2"].value == "Độc lập - Tự do - Hạnh phúc"
    assert ws["E3"].value == "Tiến Nông, ngày 18 tháng 6 năm 2024"
    for cell in ("E2", "E3", "A6"):  # motto, place and date, trích yếu: 13-14 pt
        assert 13 <= ws[cell].font.sz <= 14, cell
    assert ws["A5"].value == "BÁO CÁO"
    # One title: the trích yếu says the period as the plan names it, no false end date.
    assert ws["A6"].value == (
        "Kết quả thực hiện công tác phòng, chống mại dâm 6 tháng đầu năm 2024"
    )
    assert ws["A7"].value.startswith("Thực hiện Kế hoạch số ")
    assert "của Ủy ban nhân dân xã Tiến Nông" in ws["A7"].value
    texts = [str(c.value) for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
    assert sum(t.casefold().startswith("báo cáo") for t in texts) == 1
    assert not any("Kính gửi" in t or "đến ngày" in t or "Muộn" in t for t in texts)
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9  # A4
    assert ws["A1"].font.name == "Times New Roman"


def test_decree_30_date_line() -> None:
    assert vietnamese_date_line("Tiến Nông", datetime(2024, 2, 5)) == (
        "Tiến Nông, ngày 05 tháng 02 năm 2024"
    )
    assert vietnamese_date_line("Tiến Nông", datetime(2024, 12, 20)) == (
        "Tiến Nông, ngày 20 tháng 12 năm 2024"
    )


def test_indicator_table(formulas: openpyxl.Workbook, plan: Plan) -> None:
    ws = formulas["Tổng hợp"]
    header = find_row(ws, 3, "Mã")
    assert [c.value for c in ws[header]][:10] == [
        "STT",
        "Mục kế hoạch",
        "Mã",
        "Chỉ tiêu",
        "Tử số",
        "Mẫu số",
        "Tỉ lệ đạt được",
        "Mức cần đạt",
        "Đánh giá",
        "Ghi chú",
    ]
    rows = {ws.cell(r, 3).value: r for r in range(header + 1, header + 1 + len(plan.indicators))}
    assert list(rows) == [i.code for i in plan.indicators]

    def cells(code: str) -> list[Any]:
        return [ws.cell(rows[code], c).value for c in range(5, 10)]

    assert cells("CT1.1") == [10, 12, pytest.approx(10 / 12), 0.95, "Không đạt"]
    assert cells("CT1.2") == [78 - 7 + 11 + 12 + 4, "—", None, None, "Không có chỉ tiêu"]
    assert cells("CT1.3") == [33, 110, pytest.approx(0.3), 0.3, "Đạt"]
    # Shown as 100,0 % but not met: the exact fraction decides.
    assert cells("CT3.1") == [2374, 2375, pytest.approx(2374 / 2375), 1, "Không đạt"]
    assert "99,96%" in str(ws.cell(rows["CT3.1"], 10).value)
    assert ws.cell(rows["CT1.1"], 7).number_format == "0.0%"
    assert ws.cell(rows["CT1.1"], 8).number_format == '"≥ "0.0%'
    assert ws.cell(rows["CT1.3"], 9).fill.fgColor.rgb == GREEN
    assert ws.cell(rows["CT1.1"], 9).fill.fgColor.rgb == RED
    assert "1 thôn có số liệu lỗi không được tính (Thôn 5)" in str(ws.cell(rows["CT1.1"], 10).value)
    assert len(ws._charts) == 1  # type: ignore[attr-defined]


def test_not_arisen_is_grey(plan: Plan, tmp_path: Path) -> None:
    ca = submission(plan, "CA", {**unit_values(plan, "CA"), "ca_tb_tiep_nhan": 0, "ca_tb_xu_ly": 0})
    c = consolidate(plan, PERIOD, inbox(everyone(plan, CA=ca)), generated_at=NOW)
    path = tmp_path / "r.xlsx"
    path.write_bytes(build_workbook(c))
    ws = openpyxl.load_workbook(path)["Tổng hợp"]
    row = find_row(ws, 3, "CT3.1")
    assert [ws.cell(row, c).value for c in (5, 6, 7, 9)] == [0, 0, None, "Không phát sinh"]
    assert ws.cell(row, 9).fill.fgColor.rgb == GREY
    ct31 = next(i for i in build_summary(c)["indicators"] if i["code"] == "CT3.1")
    assert [ct31[k] for k in ("numerator", "denominator", "value", "met", "outcome")] == [
        0,
        0,
        None,
        None,
        "khong_phat_sinh",
    ]


def test_completeness_totals_are_formulas_with_values(
    formulas: openpyxl.Workbook, cached: openpyxl.Workbook
) -> None:
    ws, values = formulas["Tổng hợp"], cached["Tổng hợp"]
    total = find_row(ws, 1, "Tổng cộng")
    assert [ws.cell(total, c).value for c in range(5, 10)] == [
        f"=SUM({col}{total - 2}:{col}{total - 1})" for col in "EFGHI"
    ]
    assert [values.cell(total, c).value for c in range(5, 11)] == [
        22,
        20,
        18,
        2,
        2,
        pytest.approx(20 / 22),
    ]
    assert ws.cell(total, 10).value == f"=IF(E{total}=0,0,F{total}/E{total})"


def test_villages_sheet(formulas: openpyxl.Workbook, cached: openpyxl.Workbook, plan: Plan) -> None:
    ws, values = formulas["Theo thôn"], cached["Theo thôn"]
    assert [c.value for c in ws[4]][:4] == ["STT", "Mã", "Tên", "Tình hình nộp"]
    codes = {ws.cell(5, c).value: c for c in range(5, ws.max_column + 1)}
    labels = {ws.cell(4, c).value for c in range(5, ws.max_column + 1)}
    assert plan.field("tt_loa").label in labels
    assert "kho_khan" not in codes  # on the Ý kiến sheet
    assert [ws.cell(r, 2).value for r in range(6, 18)] == VILLAGES
    assert ws.freeze_panes == "D6"
    total = 18
    assert ws.cell(total, 1).value == "Tổng cộng"
    loa = codes["tt_loa"]
    letter = get_column_letter(loa)
    # The sum is a formula the officer can audit, and every reader sees its value.
    assert ws.cell(total, loa).value == f"=SUM({letter}6:{letter}17)"
    assert values.cell(total, loa).value == 78 - 7
    kh = codes["kh_xay_dung"]
    kh_letter = get_column_letter(kh)
    assert ws.cell(total, kh).value == f'=COUNTIF({kh_letter}6:{kh_letter}17,"Có")'
    assert values.cell(total, kh).value == 11
    # T05's erroneous value is marked, not counted; T07's row is empty.
    t05, t07 = 6 + 4, 6 + 6
    assert ws.cell(t05, codes["tt_hinh_thuc"]).value == "Lỗi"
    assert values.cell(total, codes["tt_hinh_thuc"]).value == 2 * 10
    assert ws.cell(t07, 4).value == "Chưa nộp"
    assert ws.cell(t07, loa).value is None
    assert ws.cell(t05 - 2, 4).value == "Trễ hạn"  # T03
    assert ws.cell(6, codes["ngay_bao_cao"]).value == datetime(2024, 6, 10)


def test_a_second_reader_sees_the_totals(written: Path) -> None:
    """python-calamine reads cached values only, like a viewer that computes nothing."""
    book = CalamineWorkbook.from_path(str(written))
    rows = book.get_sheet_by_name("Theo thôn").to_python()
    codes = rows[4]
    total = next(r for r in rows if r and r[0] == "Tổng cộng")
    assert total[codes.index("tt_loa")] == 71
    assert total[codes.index("ld_tong")] == 110
    summary = book.get_sheet_by_name("Tổng hợp").to_python()
    assert any(r[2] == "CT1.1" and r[8] == "Không đạt" for r in summary if len(r) > 8)


def test_units_sheet(formulas: openpyxl.Workbook, cached: openpyxl.Workbook, plan: Plan) -> None:
    ws, values = formulas["Theo đơn vị"], cached["Theo đơn vị"]
    header = [c.value for c in ws[4]]
    assert header[:2] == ["Mã trường", "Nội dung"]
    assert header[2:13] == [f"{u.name} ({u.code})" for u in plan.units] + ["Tổng cộng"]
    dtn = 2 + [u.code for u in plan.units].index("DTN") + 1
    assert ws.cell(5, dtn).value == "Chưa nộp"
    row = find_row(ws, 1, "dv_tt_so_buoi")
    assert ws.cell(row, 13).value == f"=SUM(C{row}:L{row})"
    assert values.cell(row, 13).value == 2 * 9
    ca_col = 2 + [u.code for u in plan.units].index("CA") + 1
    assert ws.cell(find_row(ws, 1, "ca_tb_xu_ly"), ca_col).value == 2374
    # Task status by unit: lead and support, as each unit reported.
    task = find_row(ws, 2, plan.tasks[0].title)
    assert ws.cell(task, 3).value == "Chủ trì: Hoàn thành"  # VHXH leads 1a
    assert ws.cell(task, ca_col).value == "Phối hợp: Đang thực hiện"
    assert ws.cell(task, dtn).value == "Phối hợp: chưa báo cáo"


def test_submissions_and_problems_sheets(formulas: openpyxl.Workbook) -> None:
    ws = formulas["Tình hình nộp"]
    assert [c.value for c in ws[4]] == [
        "STT",
        "Mã",
        "Thôn / đơn vị",
        "Loại",
        "Tình trạng",
        "Tệp được dùng",
        "Nhận lần đầu",
        "Nhận tệp được dùng",
        "Tệp cũ hoặc trùng (không dùng)",
        "Số lỗi",
        "Số cảnh báo",
        "Nguồn thời điểm nhận",
        "Xem xét",
    ]
    rows = {ws.cell(r, 2).value: r for r in range(5, 27)}
    # Late by its file's time, but its form says it was made before the deadline.
    assert ws.cell(rows["T03"], 5).value == "Trễ hạn, cần xác nhận"
    assert ws.cell(rows["T03"], 12).value == "theo ngày của tệp, cần xác nhận"
    assert ws.cell(rows["T01"], 12).value == "theo ngày của tệp"
    assert ws.cell(rows["T07"], 12).value is None
    assert ws.cell(rows["T07"], 5).value == "Chưa nộp"
    assert ws.cell(rows["T01"], 5).value == "Đúng hạn"
    assert ws.cell(rows["T01"], 6).value == "T01_0610.xlsx"
    assert ws.cell(rows["CA"], 7).value == LATE
    assert ws.cell(rows["T05"], 10).value == 1

    problems = formulas["Lỗi dữ liệu"]
    assert [c.value for c in problems[4]] == [
        "STT",
        "Mức độ",
        "Mã",
        "Tệp",
        "Trang tính",
        "Ô",
        "Trường",
        "Giá trị",
        "Nội dung",
        "Mã lỗi",
    ]
    assert [c.value for c in problems[5]] == [
        1,
        "Lỗi",
        "T05",
        "T05_0610.xlsx",
        "Biểu mẫu",
        "C12",
        "tt_hinh_thuc",
        "=1+1",
        "Ô C12: '=1+1' không phải là số nguyên. Hãy nhập một số nguyên ≥ 0.",
        "form.value_type",
    ]


def test_user_text_never_becomes_a_formula_or_link(
    written: Path, formulas: openpyxl.Workbook
) -> None:
    ws = formulas["Ý kiến"]
    assert [c.value for c in ws[4]] == [
        "STT",
        "Mã",
        "Thôn / đơn vị",
        "Khó khăn, vướng mắc",
        "Đề xuất, kiến nghị",
    ]
    cell = ws.cell(5, 4)
    assert (ws.cell(5, 2).value, cell.value) == ("T01", FORMULA_TEXT)
    assert cell.data_type == "s"
    assert cell.hyperlink is None
    assert [c.value for c in ws[6]][1:] == [
        "T02",
        "Thôn 2",
        "Thiếu kinh phí tuyên truyền",
        "Đề nghị hỗ trợ loa truyền thanh",
    ]
    # Every formula in the workbook is one the report built: a SUM, COUNTIF or ratio.
    built = re.compile(
        r'^=(SUM\([A-Z]+\d+:[A-Z]+\d+\)|COUNTIF\([A-Z]+\d+:[A-Z]+\d+,"Có"\)'
        r"|IF\([A-Z]+\d+=0,0,[A-Z]+\d+/[A-Z]+\d+\))$"
    )
    found = 0
    for sheet in formulas.worksheets:
        assert not sheet._hyperlinks  # type: ignore[attr-defined]
        for row in sheet.iter_rows():
            for c in row:
                if c.data_type == "f":
                    found += 1
                    assert built.match(str(c.value)), (sheet.title, c.coordinate, c.value)
    assert found > 40
    with zipfile.ZipFile(written) as archive:
        names = archive.namelist()
        assert not [n for n in names if "externalLink" in n]
        assert not any(n.endswith(".rels") and b"hyperlink" in archive.read(n) for n in names)


# --- writing ------------------------------------------------------------------------


def test_the_report_goes_into_the_period_folder(plan: Plan, tmp_path: Path) -> None:
    folder = tmp_path / "outbox" / PERIOD
    paths = write_report(consolidate(plan, PERIOD, scenario(plan), generated_at=NOW), folder)
    assert paths.workbook == folder / "BaoCao_TongHop_6T-2024.xlsx"
    assert paths.summary == folder / "tong_hop_6T-2024.json"
    assert sorted(p.name for p in folder.iterdir()) == [
        ".wbt-report.json",
        "BaoCao_6T-2024.docx",
        "BaoCao_TongHop_6T-2024.xlsx",
        "tong_hop_6T-2024.json",
    ]
    assert json.loads(paths.summary.read_text("utf-8"))["completeness"]["received"] == 20


@pytest.mark.parametrize(
    "lock", ["~$BaoCao_TongHop_6T-2024.xlsx", ".~lock.BaoCao_TongHop_6T-2024.xlsx#"]
)
def test_report_open_in_a_spreadsheet_keeps_the_old_one(
    consolidation: Consolidation, tmp_path: Path, lock: str
) -> None:
    paths = report_paths(tmp_path, PERIOD)
    paths.workbook.write_bytes(b"old report")
    (tmp_path / lock).write_bytes(b"")
    with pytest.raises(OutputError, match=r"đang được mở .* Hãy đóng tệp"):
        write_report(consolidation, tmp_path)
    assert paths.workbook.read_bytes() == b"old report"
    assert not paths.summary.exists()


def test_a_failed_summary_puts_the_old_workbook_back(
    consolidation: Consolidation, tmp_path: Path
) -> None:
    paths = report_paths(tmp_path, PERIOD)
    paths.workbook.write_bytes(b"old report")
    paths.summary.mkdir()  # cannot be replaced by a file
    with pytest.raises(OutputError, match="Tệp cũ vẫn được giữ nguyên"):
        write_report(consolidation, tmp_path)
    assert paths.workbook.read_bytes() == b"old report"
    # No temporary file left behind either.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [paths.summary.name, paths.workbook.name]
    )


def test_a_plan_without_tasks_or_answers(tmp_path: Path) -> None:
    """A small plan: no tasks, one village silent, nothing to say; every sheet still reads."""
    small = ratio_plan(Fraction(1, 2))
    c = consolidate(
        small, PERIOD, inbox(ratio_submissions(small, {"A1": (1, 2)})), generated_at=NOW
    )
    path = tmp_path / "r.xlsx"
    path.write_bytes(build_workbook(c))
    book = openpyxl.load_workbook(path, data_only=True)
    assert book.sheetnames == list(SHEET_NAMES)
    summary = book["Tổng hợp"]
    row = find_row(summary, 3, "X1")
    assert [summary.cell(row, c).value for c in (5, 6, 7, 8, 9)] == [1, 2, 0.5, 0.5, "Đạt"]
    assert summary.cell(row, 10).value == "1/2 thôn đã báo cáo (chưa báo cáo: Thôn A2)"
    assert book["Ý kiến"]["A5"].value == "Không có ý kiến nào."
    assert book["Lỗi dữ liệu"]["A5"].value == "Không có lỗi nào."
    villages = book["Theo thôn"]
    assert [villages.cell(8, c).value for c in (1, 5, 6)] == ["Tổng cộng", 1, 2]


def test_the_files_not_used_are_listed_below_the_roster(plan: Plan, tmp_path: Path) -> None:
    old = submission(plan, "T01", status=SubmissionStatus.SUPERSEDED, file="T01 cu.xlsx")
    old.superseded_by = "T01_0610.xlsx"
    stray = Submission(
        "ghi chu.xlsx", "x", ON_TIME, SubmissionStatus.REJECTED, period=None, unit=None
    )
    result = scenario(plan)
    result.submissions.extend([old, stray])
    path = tmp_path / "report.xlsx"
    path.write_bytes(build_workbook(consolidate(plan, PERIOD, result, generated_at=NOW)))
    ws = openpyxl.load_workbook(path)["Tình hình nộp"]
    heading = next(
        r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == UNUSED_FILES_HEADING
    )
    assert [ws.cell(heading + 1, c).value for c in (1, 2, 3, 4, 6, 7, 8)] == [
        "STT", "Mã", "Trạng thái", "Kỳ", "Tệp", "Thời điểm nhận", "Được thay bằng tệp"
    ]  # fmt: skip
    listed = [
        [ws.cell(r, c).value for c in (1, 2, 3, 6, 8)] for r in range(heading + 2, ws.max_row + 1)
    ]
    assert listed == [
        [1, "T01", "Bị thay bằng tệp mới hơn", "T01 cu.xlsx", "T01_0610.xlsx"],
        [2, None, "Không dùng được", "ghi chu.xlsx", ""],
    ]  # the files used are only in the roster table above


def test_same_input_same_bytes(consolidation: Consolidation) -> None:
    assert build_workbook(consolidation) == build_workbook(consolidation)


# --- LibreOffice --------------------------------------------------------------------


def test_libreoffice_converts_the_report_to_pdf(written: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is required in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = (tmp_path / "lo-profile").as_uri()
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(written),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    pdf = tmp_path / f"{written.stem}.pdf"
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert pdf.read_bytes().startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run(
            [pdftotext, "-layout", str(pdf), "-"], capture_output=True, timeout=60, check=True
        ).stdout.decode()
        for seen in (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "CT3.1",
            "Không đạt",
            "Tổng cộng",
            FORMULA_TEXT,
        ):
            assert seen in text


def test_village_values_are_the_ones_in_the_sheet(cached: openpyxl.Workbook) -> None:
    """Every village's tt_loa in the sheet is what it reported (the DataFrame round trip)."""
    ws = cached["Theo thôn"]
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(5, c).value == "tt_loa")
    shown = {ws.cell(r, 2).value: ws.cell(r, col).value for r in range(6, 18)}
    expected: dict[str, object] = {v: village_values(int(v[1:]))["tt_loa"] for v in VILLAGES}
    expected["T07"] = None
    assert shown == expected
