"""Feedback copies, read back as the unit would see them (openpyxl, python-calamine, raw XML)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.workbook import Workbook
from python_calamine import CalamineWorkbook

from workbook_tools.checks.validate import check_form
from workbook_tools.forms import build_forms, contract
from workbook_tools.inbox.model import InboxResult, RawCell, Submission, SubmissionStatus
from workbook_tools.plan import load_sample_plan
from workbook_tools.plan.model import Plan
from workbook_tools.problems import Problem, Severity, make
from workbook_tools.report import feedback as report_feedback
from workbook_tools.report.feedback import (
    AUTHOR,
    ERROR_FILL,
    FEEDBACK_FOLDER,
    SUMMARY_SHEET,
    WARNING_FILL,
    build_feedback,
    feedback_folder,
    feedback_name,
    needs_feedback,
    write_feedback,
    write_feedback_copies,
)

HYPERLINK = '=HYPERLINK("http://example.invalid/x","Bấm vào đây")'
INPUT = contract.INPUT_FILL.lstrip("#").upper()
FORM_NOTE = "Ghi chú của biểu mẫu"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_sample_plan()


def input_cells(wb: Workbook) -> dict[str, tuple[str, str]]:
    """Field code -> (sheet, cell), from the form's defined names."""
    found = {}
    for name, defined in wb.defined_names.items():
        sheet, cell = contract.parse_cell_ref(defined.attr_text)
        found[name] = (sheet, cell)
    return found


TYPED = {
    "nguoi_bao_cao": HYPERLINK,  # formula-like text typed (as text) by the unit
    "ngay_bao_cao": "15/06/2024",
    "tt_so_buoi": "12 người",  # error
    "ld_tong": "1.234",  # warning
    "ld_duoc_tt": 20,
    "tt_hinh_thuc": 2,
}


@pytest.fixture()
def returned(tmp_path: Path, plan: Plan) -> tuple[Path, list[Problem]]:
    """A T01 form as a village returns it, and the problems the checks found in it."""
    form = build_forms(plan, "6T-2024", ["T01"])[0]
    wb = load_workbook(io.BytesIO(form.content))
    where = input_cells(wb)
    for code, value in TYPED.items():
        sheet, ref = where[code]
        cell = wb[sheet][ref]
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # as typed into a text-formatted cell: never a formula
    sheet, ref = where["tt_so_buoi"]
    wb[sheet][ref].comment = Comment(FORM_NOTE, "Mẫu")
    path = tmp_path / "inbox" / form.filename
    path.parent.mkdir()
    wb.save(path)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    raw = {code: RawCell(code, TYPED.get(code), s, c) for code, (s, c) in where.items()}
    result = check_form(plan, plan.period("6T-2024"), plan.entry("T01"), raw, file=path.name)
    return path, result.problems


def cell_of(path: Path, code: str) -> str:
    return input_cells(load_workbook(path))[code][1]


def test_problem_cells_are_marked_with_a_fill_and_a_comment(
    returned: tuple[Path, list[Problem]], plan: Plan
) -> None:
    path, problems = returned
    codes = {p.field: p.code for p in problems}
    assert codes == {"tt_so_buoi": "value.not_int", "ld_tong": "value.int_text"}
    wb = load_workbook(io.BytesIO(build_feedback(path, problems)))
    where = input_cells(wb)

    error = wb[where["tt_so_buoi"][0]][where["tt_so_buoi"][1]]
    assert error.fill.fgColor.rgb[-6:] == ERROR_FILL
    assert error.comment is not None and error.comment.author == AUTHOR
    message = next(p.message for p in problems if p.field == "tt_so_buoi")
    assert error.comment.text.startswith(f"Lỗi: {message}")
    # the form's own note is kept below
    assert error.comment.text.endswith(f"\n\n—— Ghi chú trước đó (Mẫu):\n{FORM_NOTE}")
    assert error.value == "12 người"

    warning = wb[where["ld_tong"][0]][where["ld_tong"][1]]
    assert warning.fill.fgColor.rgb[-6:] == WARNING_FILL
    assert warning.comment is not None and warning.comment.text.startswith("Cảnh báo: ")

    untouched = wb[where["ld_duoc_tt"][0]][where["ld_duoc_tt"][1]]
    assert untouched.fill.fgColor.rgb[-6:] == INPUT
    assert untouched.comment is None


def test_the_form_stays_a_form_the_reader_can_read_back(
    returned: tuple[Path, list[Problem]],
) -> None:
    path, problems = returned
    original = load_workbook(path)
    wb = load_workbook(io.BytesIO(build_feedback(path, problems)))
    assert wb.sheetnames == [SUMMARY_SHEET, contract.MAIN_SHEET, contract.META_SHEET]
    assert wb.active is not None and wb.active.title == SUMMARY_SHEET
    assert [ws.sheet_view.tabSelected for ws in wb.worksheets] == [True, False, False]
    assert wb[contract.META_SHEET].sheet_state == "veryHidden"
    assert wb[contract.MAIN_SHEET].protection.sheet
    assert input_cells(wb) == input_cells(original)
    main, before = wb[contract.MAIN_SHEET], original[contract.MAIN_SHEET]
    assert len(main.data_validations.dataValidation) == len(before.data_validations.dataValidation)
    meta = list(wb[contract.META_SHEET].iter_rows(values_only=True))
    assert contract.parse_metadata(meta) == contract.parse_metadata(
        original[contract.META_SHEET].iter_rows(values_only=True)
    )


def test_the_list_sheet_names_every_problem_errors_first(
    returned: tuple[Path, list[Problem]],
) -> None:
    path, problems = returned
    labels = {"tt_so_buoi": "Số buổi, cuộc tuyên truyền"}
    data = build_feedback(path, problems, labels=labels, title="Thôn 1")
    ws = load_workbook(io.BytesIO(data))[SUMMARY_SHEET]
    assert ws["A1"].value == f"Những chỗ cần sửa trong tệp {path.name} (Thôn 1)"
    assert str(ws["A2"].value).startswith("Có 1 lỗi (ô tô đỏ")
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert rows[0] == ("STT", "Mức độ", "Trang", "Ô", "Mục", "Giá trị đã đọc", "Cần sửa")
    error = next(p for p in problems if p.severity is Severity.ERROR)
    warning = next(p for p in problems if p.severity is Severity.WARNING)
    assert rows[1:] == [
        (1, "Lỗi", error.sheet, error.cell, labels["tt_so_buoi"], "12 người", error.message),
        (2, "Cảnh báo", warning.sheet, warning.cell, "ld_tong", "1.234", warning.message),
    ]
    link = ws["D5"].hyperlink
    assert link is not None and link.location == f"'{error.sheet}'!{error.cell}"
    assert not link.target  # a jump inside the workbook, not a web link


def sheet_xml(data: bytes, title: str) -> str:
    """The XML of the worksheet called ``title``."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        book = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet [^>]*name="{re.escape(title)}"[^>]*r:id="([^"]+)"', book)
        assert rid is not None
        targets = {r.get("Id"): r.get("Target", "") for r in ElementTree.fromstring(rels)}
        target = targets[rid[1]].lstrip("/")
        return z.read(target if target.startswith("xl/") else f"xl/{target}").decode()


def test_formula_like_text_stays_plain_text(returned: tuple[Path, list[Problem]]) -> None:
    path, _ = returned
    problem = make("value.too_long", file=path.name, unit="T01", sheet=contract.MAIN_SHEET,
                   cell=cell_of(path, "nguoi_bao_cao"),
                   field="nguoi_bao_cao", value=HYPERLINK, where="Ô", label="Họ và tên",
                   limit=10, length=len(HYPERLINK))
    data = build_feedback(path, [problem], labels={"nguoi_bao_cao": "@SUM(A1)"})
    summary = sheet_xml(data, SUMMARY_SHEET)
    main = sheet_xml(data, contract.MAIN_SHEET)
    assert "<f>" not in summary and "<f " not in summary
    assert "HYPERLINK" not in re.sub(r"<(?:is|v)>.*?</(?:is|v)>", "", summary, flags=re.S)
    assert "<f>" not in main
    wb = load_workbook(io.BytesIO(data))
    ws = wb[SUMMARY_SHEET]
    value_cell, label_cell = ws["F5"], ws["E5"]
    assert (value_cell.value, value_cell.data_type) == (HYPERLINK, "s")
    assert (label_cell.value, label_cell.data_type) == ("@SUM(A1)", "s")
    assert value_cell.quotePrefix and label_cell.quotePrefix  # stays text when edited in Excel
    assert value_cell.hyperlink is None
    # an independent reader sees the text, not a computed value
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.get_sheet_by_name(SUMMARY_SHEET).to_python()[4][5] == HYPERLINK


def test_comments_are_stored_the_way_excel_shows_them(
    returned: tuple[Path, list[Problem]],
) -> None:
    path, problems = returned
    data = build_feedback(path, problems)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        comments = [n for n in names if re.fullmatch(r"xl/comments/?comment\d+\.xml", n)]
        assert comments and any(n.endswith(".vml") for n in names)
        text = "".join(z.read(n).decode() for n in comments)
    assert "<author>UBND xã</author>" in text
    assert "<legacyDrawing" in sheet_xml(data, contract.MAIN_SHEET)


def test_the_returned_file_is_never_touched(
    returned: tuple[Path, list[Problem]], tmp_path: Path
) -> None:
    path, problems = returned
    before, stat = path.read_bytes(), path.stat()
    assert needs_feedback(problems)
    out = write_feedback(path, problems, feedback_folder(tmp_path / "outbox" / "6T-2024"))
    assert out == tmp_path / "outbox" / "6T-2024" / "phan_hoi" / f"{path.stem}_phan_hoi.xlsx"
    assert out.read_bytes()[:2] == b"PK"
    assert path.read_bytes() == before
    assert path.stat().st_mtime == stat.st_mtime == 1_700_000_000
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_a_second_round_replaces_the_marks_of_the_first(
    returned: tuple[Path, list[Problem]], tmp_path: Path
) -> None:
    path, problems = returned
    first = tmp_path / feedback_name(path)
    first.write_bytes(build_feedback(path, problems))
    # the unit fixed the error and sent the feedback copy back; only the warning is left
    warning = [p for p in problems if p.severity is Severity.WARNING]
    wb = load_workbook(io.BytesIO(build_feedback(first, warning)))
    assert wb.sheetnames.count(SUMMARY_SHEET) == 1
    where = input_cells(wb)
    fixed = wb[where["tt_so_buoi"][0]][where["tt_so_buoi"][1]]
    assert fixed.fill.fgColor.rgb[-6:] == INPUT
    # ours gone, the form's own note back as it was
    assert fixed.comment is not None
    assert (fixed.comment.text, fixed.comment.author) == (FORM_NOTE, "Mẫu")
    still = wb[where["ld_tong"][0]][where["ld_tong"][1]]
    assert still.fill.fgColor.rgb[-6:] == WARNING_FILL
    assert len(list(wb[SUMMARY_SHEET].iter_rows(min_row=5))) == 1


@pytest.mark.parametrize("name", ["6T-2024_T01.xls", "6T-2024_T01.ods", "broken.xlsx"])
def test_a_workbook_openpyxl_cannot_open_gets_the_list_alone(tmp_path: Path, name: str) -> None:
    original = tmp_path / name
    original.write_bytes(b"not a workbook at all")
    problem = make("value.negative", file=name, unit="T01", sheet="Báo cáo", cell="C14",
                   field="tt_loa", value="-3", where="Ô C14 (trang 'Báo cáo')", label="Số lần")
    data = build_feedback(original, [problem])
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == [SUMMARY_SHEET]
    ws = wb[SUMMARY_SHEET]
    assert "không đánh dấu trực tiếp được" in str(ws["A2"].value)
    assert [c.value for c in ws[5]] == [1, "Lỗi", "Báo cáo", "C14", "tt_loa", "-3", problem.message]
    assert ws["D5"].hyperlink is None  # no cell to jump to
    assert feedback_name(original) == f"{original.stem}_phan_hoi.xlsx"
    assert original.read_bytes() == b"not a workbook at all"


def test_control_characters_and_unknown_places_do_not_break_the_copy(
    returned: tuple[Path, list[Problem]],
) -> None:
    path, _ = returned
    odd = [
        make("value.not_int", file=path.name, sheet="Không có", cell="C1", field="x",
             value="a\x00b\x07c", where="Ô", label="L", hint=""),
        make("value.not_int", file=path.name, sheet=contract.MAIN_SHEET, cell="not a cell",
             field="y", value="1", where="Ô", label="L", hint=""),
        Problem("inbox.form_version", Severity.INFO, "Ghi chú\x01 về tệp", file=path.name),
    ]
    wb = load_workbook(io.BytesIO(build_feedback(path, odd)))
    values = [row[5] for row in wb[SUMMARY_SHEET].iter_rows(min_row=5, values_only=True)]
    assert values == ["abc", "1", None]
    assert wb[SUMMARY_SHEET]["G7"].value == "Ghi chú về tệp"
    assert not needs_feedback(odd[2:])  # a note alone calls for no copy


# --- the copies of a period's returned files ------------------------------------------

ARRIVED = datetime(2024, 6, 10, 8, 30)


def _record(file: str, status: SubmissionStatus, unit: str | None = None) -> Submission:
    return Submission(file, f"sha-{file}", ARRIVED, status, unit=unit, period="6T-2024")


def _negative(file: str, unit: str = "T02") -> Problem:
    where = "Ô C14 (trang 'Báo cáo')"
    return make("value.negative", file=file, unit=unit, sheet="Báo cáo", cell="C14",
                field="tt_loa", value="-3", where=where, label="Số lần")


@pytest.fixture()
def period_inbox(
    returned: tuple[Path, list[Problem]],
) -> tuple[InboxResult, Path]:
    """An inbox of every kind of file, and what the inbox and checks steps recorded of it.

    T01's form with an error and a warning; T02's answers twice, as .xls and as
    .xlsx, in a subfolder, each with an error; T03's form, superseded (a note
    only); a "form" the safety step refused; a workbook no one can be told the
    sender of; a file with a problem and no record, not a workbook.
    """
    path, problems = returned
    inbox = path.parent
    (inbox / "thon 2").mkdir()
    for name in ("thon 2/T02.xls", "thon 2/T02.xlsx", "T03 cu.xlsx", "bom.xlsx", "ghi chu.xlsx"):
        (inbox / name).write_bytes(b"not a workbook at all")
    shutil.copyfile(path, inbox / "lac.xlsx")
    result = InboxResult(
        period="6T-2024",
        submissions=[
            _record(path.name, SubmissionStatus.USED, "T01"),
            _record("thon 2/T02.xls", SubmissionStatus.SUPERSEDED, "T02"),
            _record("thon 2/T02.xlsx", SubmissionStatus.USED, "T02"),
            _record("T03 cu.xlsx", SubmissionStatus.SUPERSEDED, "T03"),
            _record("bom.xlsx", SubmissionStatus.REJECTED),
            _record("lac.xlsx", SubmissionStatus.REJECTED),
        ],
        problems=[
            *problems,
            _negative("thon 2/T02.xls"),
            _negative("thon 2/T02.xlsx"),
            make("inbox.superseded", file="T03 cu.xlsx", name="Thôn 3", newer="T03.xlsx"),
            make("file.not_workbook", file="bom.xlsx", kind="một tệp nén (.zip)"),
            make("inbox.unidentified", file="lac.xlsx", meta_sheet="_meta", prefix="Thôn",
                 period="6T-2024", who="thôn, đơn vị"),
            _negative("ghi chu.xlsx"),
        ],
    )
    return result, inbox


def test_each_file_to_correct_gets_a_copy_and_a_refused_one_is_not_opened(
    plan: Plan,
    period_inbox: tuple[InboxResult, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result, inbox = period_inbox
    looked_at: list[str] = []
    inspect = report_feedback.safety.inspect

    def noted(path: Path, **options: object) -> object:
        looked_at.append(path.name)
        return inspect(path, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(report_feedback.safety, "inspect", noted)
    outbox = tmp_path / "outbox" / "6T-2024"
    copies = write_feedback_copies(plan, result, inbox, outbox)

    folder = outbox / FEEDBACK_FOLDER
    t01_file = next(s.file for s in result.submissions if s.unit == "T01")
    t01 = feedback_name(t01_file)
    assert copies.failed == []
    assert [p.relative_to(folder).as_posix() for p in copies.written] == [
        t01,
        "thon 2/T02_xls_phan_hoi.xlsx",  # two files that differ only by their extension
        "thon 2/T02_xlsx_phan_hoi.xlsx",
        "lac_phan_hoi.xlsx",  # not identified, still told what is wrong
    ]
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.xlsx")) == sorted(
        p.relative_to(folder).as_posix() for p in copies.written
    )
    assert "bom.xlsx" not in looked_at  # refused when read: never opened again
    assert not (folder / "bom_phan_hoi.xlsx").exists()
    assert "ghi chu.xlsx" in looked_at  # no record: looked at, not a workbook, no copy
    assert not (folder / "T03 cu_phan_hoi.xlsx").exists()  # a note alone

    marked = load_workbook(folder / t01)
    assert marked.sheetnames[0] == SUMMARY_SHEET
    heading = str(marked[SUMMARY_SHEET]["A1"].value)
    assert heading.endswith("(Thôn 1 - Báo cáo 6 tháng đầu năm 2024)")
    listed_t01 = [p for p in result.problems if p.file == t01_file]
    assert marked[SUMMARY_SHEET].max_row == 4 + len(listed_t01)  # every problem listed
    listed = load_workbook(folder / "thon 2" / "T02_xlsx_phan_hoi.xlsx")[SUMMARY_SHEET]
    label = next(f.label for f in plan.all_fields if f.code == "tt_loa")  # the plan's own
    assert [c.value for c in listed[5]][:6] == [1, "Lỗi", "Báo cáo", "C14", label, "-3"]


def test_a_copy_that_cannot_be_written_is_said_and_the_others_are_written(
    plan: Plan, period_inbox: tuple[InboxResult, Path], tmp_path: Path
) -> None:
    result, inbox = period_inbox
    outbox = tmp_path / "outbox" / "6T-2024"
    folder = outbox / FEEDBACK_FOLDER
    (folder / "thon 2").mkdir(parents=True)
    open_copy = folder / "thon 2" / "T02_xls_phan_hoi.xlsx"
    open_copy.write_bytes(b"the copy the unit has open")
    (folder / "thon 2" / f"~${open_copy.name}").write_bytes(b"")  # Excel's lock file
    (folder / "lac_phan_hoi.xlsx").mkdir()  # something in the way that is not a file

    copies = write_feedback_copies(plan, result, inbox, outbox)

    assert len(copies.failed) == 2
    assert str(open_copy) in copies.failed[0] and "đang được mở" in copies.failed[0]
    assert "lac_phan_hoi.xlsx" in copies.failed[1]
    assert open_copy.read_bytes() == b"the copy the unit has open"
    assert [p.name for p in copies.written] == [
        feedback_name(next(s.file for s in result.submissions if s.unit == "T01")),
        "T02_xlsx_phan_hoi.xlsx",
    ]
    for path in copies.written:
        assert load_workbook(path).sheetnames[0] == SUMMARY_SHEET


def test_a_sheet_too_sparse_to_mark_gets_the_list_alone(
    returned: tuple[Path, list[Problem]], tmp_path: Path
) -> None:
    path, problems = returned
    wb = load_workbook(path)
    wb[contract.MAIN_SHEET]["XFD1048576"] = "xa"
    far = tmp_path / "far.xlsx"
    wb.save(far)
    copy = load_workbook(io.BytesIO(build_feedback(far, problems)))
    assert copy.sheetnames == [SUMMARY_SHEET]
    assert "không đánh dấu trực tiếp được" in str(copy[SUMMARY_SHEET]["A2"].value)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_copy_with_text_as_text_and_the_comments(
    returned: tuple[Path, list[Problem]], tmp_path: Path
) -> None:
    path, problems = returned
    problems = [*problems, make("value.too_long", file=path.name, sheet=contract.MAIN_SHEET,
                                cell="A1", field="z", value=HYPERLINK, where="Ô", label="L",
                                limit=1, length=2)]
    feedback = tmp_path / "lo" / feedback_name(path)
    feedback.parent.mkdir()
    feedback.write_bytes(build_feedback(path, problems))
    out = tmp_path / "lo" / "out"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(feedback)],
        check=True, capture_output=True, timeout=120,
    )
    wb = load_workbook(out / feedback.name)
    ws = wb[SUMMARY_SHEET]
    texts = [c.value for row in ws.iter_rows(min_row=5) for c in row]
    assert HYPERLINK in texts
    assert all(not (isinstance(v, str) and v.startswith("=") and v != HYPERLINK) for v in texts)
    assert "<f>" not in sheet_xml((out / feedback.name).read_bytes(), SUMMARY_SHEET)
    main = wb[contract.MAIN_SHEET]
    noted = [c for row in main.iter_rows() for c in row if c.comment is not None]
    assert len(noted) >= 2
    assert any("Lỗi:" in (c.comment.text if c.comment else "") for c in noted)
