"""What an input cell really holds, and which cell a field's name really points at.

Issue 17, "Nothing lost, nothing hangs": a cell showing a formula error
(``#DIV/0!``) or a formula never calculated must not be read as blank and
silently leave the totals; a defined name moved to another sheet, to another
field's cell or to several cells must not replace what the officer sees on the
form. Each test builds the damaged form as users damage it, reads the inbox
through the pipeline and asserts the problem record the officer is shown; the
inbox is left byte for byte as it was.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.inbox_forms import (
    LATE,
    NOW,
    ON_TIME,
    VILLAGE,
    convert_many,
    fill,
    filled,
    insert_rows,
    put,
    sample_period,
    sample_plan,
    snapshot,
    with_cell_xml,
    with_name,
)
from workbook_tools import problems
from workbook_tools.inbox.model import InboxResult, SubmissionStatus
from workbook_tools.pipeline import read_and_check
from workbook_tools.problems import Problem

MAIN = "Báo cáo"
#: tt_loa is typed in C17 (12 in VILLAGE); tt_mang_xa_hoi in C18 (4).
TT_LOA = "'Báo cáo'!$C$17"


def _read(tmp_path: Path, files: dict[str, bytes]) -> InboxResult:
    box = tmp_path / "inbox"
    for name, data in files.items():
        put(box, name, data, ON_TIME)
    before = snapshot(box)
    result = read_and_check(sample_plan(), sample_period(), box, tmp_path / "l.sqlite3", now=NOW)
    assert snapshot(box) == before
    return result


def _value_problem(code: str, file: str, cell: str, field: str, value: str) -> Problem:
    f = sample_plan().field(field)
    return problems.make(
        code, file=file, unit="T01", sheet=MAIN, cell=cell, field=field, value=value,
        where=f"Ô {cell} (trang '{MAIN}')", label=f.label,
    )


# --- 1. error values and formulas without a result --------------------------------------


@pytest.mark.parametrize(
    "error", ["#DIV/0!", "#REF!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!"]
)
def test_a_cell_showing_a_formula_error_is_an_error_on_that_cell(
    tmp_path: Path, error: str
) -> None:
    # As Excel saves a formula whose result is an error: t="e", the error as its value.
    data = with_cell_xml(
        filled("T01", VILLAGE), "C17", f'<c r="C17" s="14" t="e"><f>A1/0</f><v>{error}</v></c>'
    )
    result = _read(tmp_path, {"t.xlsx": data})
    (s,) = result.submissions
    assert s.status is SubmissionStatus.USED
    assert "tt_loa" not in s.values and "tt_loa" in s.unusable  # "Lỗi" in the report, not 0
    assert result.problems == [
        _value_problem("value.excel_error", "t.xlsx", "C17", "tt_loa", error)
    ]
    assert result.problems[0].message.startswith(
        f"Ô C17 (trang 'Báo cáo') – «{sample_plan().field('tt_loa').label}»: ô đang báo lỗi "
        f"công thức {error}."
    )


def test_an_error_typed_as_a_constant_and_an_error_in_a_text_cell_are_errors(
    tmp_path: Path,
) -> None:
    data = with_cell_xml(filled("T01", VILLAGE), "C17", '<c r="C17" s="14" t="e"><v>#N/A</v></c>')
    data = with_cell_xml(data, "C9", "<c t='e' r='C9'><f>VLOOKUP(1,A1:A2,2)</f><v>#N/A</v></c>")
    result = _read(tmp_path, {"t.xlsx": data})
    (s,) = result.submissions
    assert {"tt_loa", "nguoi_bao_cao"} <= s.unusable
    assert result.problems == [
        _value_problem("value.excel_error", "t.xlsx", "C9", "nguoi_bao_cao", "#N/A"),
        _value_problem("value.excel_error", "t.xlsx", "C17", "tt_loa", "#N/A"),
    ]


def test_a_formula_saved_without_its_result_is_an_error_not_a_blank(tmp_path: Path) -> None:
    # openpyxl (and other programs that do not calculate) save "=1/0" with no result.
    data = filled("T01", {**VILLAGE, "tt_loa": "=1/0", "ld_tong": "=SUM(C14:C15)"})
    result = _read(tmp_path, {"t.xlsx": data})
    (s,) = result.submissions
    assert {"tt_loa", "ld_tong"} <= s.unusable
    assert "tt_loa" not in s.values and "ld_tong" not in s.values
    assert [p for p in result.problems if p.code == "value.formula_uncalculated"] == [
        _value_problem("value.formula_uncalculated", "t.xlsx", "C17", "tt_loa", "=1/0"),
        _value_problem("value.formula_uncalculated", "t.xlsx", "C19", "ld_tong", "=SUM(C14:C15)"),
    ]


def test_a_formula_with_its_result_is_read_and_a_computed_blank_stays_blank(
    tmp_path: Path,
) -> None:
    data = with_cell_xml(
        filled("T01", VILLAGE), "C17", '<c r="C17" s="14"><f>6*2</f><v>12</v></c>'
    )
    # A formula whose result is the empty text (=IF(…;…;"")): blank, as the cell shows.
    data = with_cell_xml(data, "C35", '<c r="C35" t="str"><f>""</f><v></v></c>')
    result = _read(tmp_path, {"t.xlsx": data})
    (s,) = result.submissions
    assert s.values["tt_loa"] == 12 and "mh_ten" not in s.values
    assert result.problems == []


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "xls"])
def test_libreoffice_computes_the_error_and_its_file_gives_the_same_record(
    tmp_path: Path, fmt: str
) -> None:
    """A real spreadsheet program's file: LibreOffice calculates =1/0 and saves #DIV/0!."""
    values = {**VILLAGE, "tt_loa": "=1/0", "ld_tong": "=NA()"}
    source = put(tmp_path / "filled", "T01.xlsx", filled("T01", values), ON_TIME)
    box = tmp_path / "inbox"
    (converted,) = convert_many([([source], fmt, box)])
    assert [p.name for p in converted] == [f"T01.{fmt}"]
    before = snapshot(box)
    result = read_and_check(sample_plan(), sample_period(), box, tmp_path / "l.sqlite3", now=NOW)
    assert snapshot(box) == before
    (s,) = result.submissions
    assert {"tt_loa", "ld_tong"} <= s.unusable
    assert result.problems == [
        _value_problem("value.excel_error", f"T01.{fmt}", "C17", "tt_loa", "#DIV/0!"),
        _value_problem("value.excel_error", f"T01.{fmt}", "C19", "ld_tong", "#N/A"),
    ]


# --- 2. names followed wherever they point ---------------------------------------------


def _moved(file: str, field: str, cell: str, shown: str, other: str, other_shown: str) -> Problem:
    return problems.make(
        "inbox.name_moved", file=file, unit="T01", sheet=MAIN, cell=cell, field=field,
        value=shown or None, label=sample_plan().field(field).label, other=other,
        shown=f"ghi '{shown}'" if shown else "để trống", other_shown=other_shown,
    )


def test_a_name_moved_to_another_sheet_warns_and_the_form_cell_counts(tmp_path: Path) -> None:
    # 5000 typed on a sheet of the user's own, the name pointed at it; the form shows 12.
    data = with_name(filled("T01", VILLAGE), "tt_loa", "'Nháp'!$A$1", scratch={"A1": 5000})
    result = _read(tmp_path, {"t.xlsx": data})
    (s,) = result.submissions
    assert s.values["tt_loa"] == 12 and s.cells["tt_loa"] == "Báo cáo!C17"
    assert result.problems == [
        _moved("t.xlsx", "tt_loa", "C17", "12", "A1 (trang 'Nháp')", "ghi '5000'")
    ]
    assert "Số liệu được lấy theo ô C17" in result.problems[0].message


def test_a_name_moved_to_another_fields_cell_warns_and_each_field_keeps_its_own(
    tmp_path: Path,
) -> None:
    data = with_name(filled("T01", VILLAGE), "tt_loa", "'Báo cáo'!$C$18")
    result = _read(tmp_path, {"t.xlsx": data})
    (s,) = result.submissions
    assert (s.values["tt_loa"], s.values["tt_mang_xa_hoi"]) == (12, 4)
    assert result.problems == [
        _moved("t.xlsx", "tt_loa", "C17", "12", "C18 (trang 'Báo cáo')", "ghi '4'")
    ]


def test_a_name_moved_away_from_a_blank_form_cell_says_it_is_blank(tmp_path: Path) -> None:
    data = fill(filled("T01", VILLAGE), {"tt_loa": None})
    data = with_name(data, "tt_loa", "'Nháp'!$B$2", scratch={"B2": 7})
    result = _read(tmp_path, {"t.xlsx": data})
    (s,) = result.submissions
    assert "tt_loa" not in s.values
    assert result.problems == [
        _moved("t.xlsx", "tt_loa", "C17", "", "B2 (trang 'Nháp')", "ghi '7'")
    ]


@pytest.mark.parametrize(
    "ref",
    ["'Báo cáo'!$C$17,'Báo cáo'!$C$18", "'Báo cáo'!$C$17:$C$18", "'Báo cáo'!$A$1:$D$40"],
    ids=["two areas", "a range", "a large range"],
)
def test_a_name_to_several_cells_warns_and_the_form_cell_counts(tmp_path: Path, ref: str) -> None:
    data = with_name(filled("T01", VILLAGE), "tt_loa", ref)
    result = _read(tmp_path, {"t.xlsx": data})
    (s,) = result.submissions
    assert s.values["tt_loa"] == 12 and s.cells["tt_loa"] == "Báo cáo!C17"
    assert result.problems == [
        problems.make(
            "inbox.name_not_one_cell", file="t.xlsx", unit="T01", sheet=MAIN, cell="C17",
            field="tt_loa", value="12", label=sample_plan().field("tt_loa").label, ref=ref,
            shown="ghi '12'",
        )
    ]


def test_names_moved_with_inserted_rows_are_still_silent(tmp_path: Path) -> None:
    result = _read(tmp_path, {"t.xlsx": insert_rows(filled("T01", VILLAGE), 15, 2)})
    (s,) = result.submissions
    assert s.values["tt_loa"] == 12 and s.cells["tt_loa"] == "Báo cáo!C19"
    assert result.problems == []


def test_libreoffice_keeps_the_moved_name_and_gives_the_same_record(tmp_path: Path) -> None:
    source = put(
        tmp_path / "filled", "T01.xlsx",
        with_name(filled("T01", VILLAGE), "tt_loa", "'Nháp'!$A$1", scratch={"A1": 5000}),
        LATE,
    )
    boxes = {fmt: tmp_path / fmt / "inbox" for fmt in ("ods", "xls")}
    convert_many([([source], fmt, box) for fmt, box in boxes.items()])
    for fmt, box in boxes.items():
        before = snapshot(box)
        ledger = box.parent / "l.sqlite3"
        result = read_and_check(sample_plan(), sample_period(), box, ledger, now=NOW)
        assert snapshot(box) == before
        (s,) = result.submissions
        assert s.file == f"T01.{fmt}"
        assert s.values["tt_loa"] == 12 and s.cells["tt_loa"] == "Báo cáo!C17"
        assert result.problems == [
            _moved(s.file, "tt_loa", "C17", "12", "A1 (trang 'Nháp')", "ghi '5000'")
        ]


def test_a_date_typed_as_a_number_in_a_plain_cell_is_read_with_a_warning(tmp_path: Path) -> None:
    """The number 45000 in a cell without a date format (pasted as values, say): read
    as 15/03/2023, and the officer told so. In the form's own date cell the file
    holds the same number with a date format, which every program shows as that
    date: nothing tells them apart there."""
    data = filled("T01", {**VILLAGE, "ngay_bao_cao": 45000})
    book = load_workbook(io.BytesIO(data))
    sheet, ref = next(iter(book.defined_names["ngay_bao_cao"].destinations))
    book[sheet][ref.replace("$", "")].number_format = "General"
    out = io.BytesIO()
    book.save(out)
    put(tmp_path / "inbox", "T01.xlsx", out.getvalue(), ON_TIME)
    before = snapshot(tmp_path / "inbox")
    result = read_and_check(
        sample_plan(), sample_period(), tmp_path / "inbox", tmp_path / "l.sqlite3", now=NOW
    )
    (warning,) = [p for p in result.problems if p.code == "value.date_serial"]
    assert "ghi số 45000, đã đọc là ngày 15/03/2023" in warning.message
    assert result.used()["T01"].values["ngay_bao_cao"] == date(2023, 3, 15)
    assert snapshot(tmp_path / "inbox") == before


def test_a_phone_number_typed_as_a_number_is_said_to_have_lost_its_zero(tmp_path: Path) -> None:
    form = filled("T01", {**VILLAGE, "dien_thoai": 912345678})
    put(tmp_path / "inbox", "T01.xlsx", form, ON_TIME)
    before = snapshot(tmp_path / "inbox")
    result = read_and_check(
        sample_plan(), sample_period(), tmp_path / "inbox", tmp_path / "l.sqlite3", now=NOW
    )
    (warning,) = [p for p in result.problems if p.code == "value.number_in_text"]
    assert warning.field == "dien_thoai" and warning.cell is not None
    assert "số 0 đầu đã bị mất" in warning.message and "912345678" in warning.message
    assert result.used()["T01"].values["dien_thoai"] == "912345678"  # used as it was typed
    assert snapshot(tmp_path / "inbox") == before
