"""``wbt init`` and ``wbt plan check``: a good plan, and every class of broken plan.

Each broken plan is the sample with one thing changed; the test asserts exit
code 1 and the located Vietnamese message, formatted from the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from tests import corpus
from tests.plan_samples import PlanData, row, sample_data, write_workbook
from workbook_tools.cli import cli
from workbook_tools.plan.validate import GRACE_DAYS
from workbook_tools.problems import make

PLAN = "kehoach_2024.xlsx"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def message(code: str, **context: Any) -> str:
    return make(code, **context).message


def check_broken(tmp_path: Path, change: Callable[[PlanData], None]) -> Result:
    data = sample_data()
    change(data)
    path = write_workbook(data, tmp_path / PLAN)
    result = run("plan", "check", str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


# --- wbt init / wbt plan check on a good plan ----------------------------------------


def test_init_makes_a_working_folder(tmp_path: Path) -> None:
    root = tmp_path / "xa"
    result = run("init", str(root))
    assert result.exit_code == 0, result.output
    assert (root / "templates" / PLAN).is_file()
    assert (root / "inbox").is_dir() and not any((root / "inbox").iterdir())
    assert (root / "outbox").is_dir() and not any((root / "outbox").iterdir())
    assert "wbt plan check" in result.output
    assert "wbt generate --period 6T-2024" in result.output
    wb = openpyxl.load_workbook(root / "templates" / PLAN, read_only=True)
    assert "Hướng dẫn" in wb.sheetnames
    wb.close()


def test_init_refuses_to_overwrite_a_plan(tmp_path: Path) -> None:
    root = tmp_path / "xa"
    assert run("init", str(root)).exit_code == 0
    plan = root / "templates" / PLAN
    plan.write_bytes(b"the officer's own plan")
    result = run("init", str(root))
    assert result.exit_code == 1
    assert "không ghi đè" in result.output
    assert plan.read_bytes() == b"the officer's own plan"


def test_check_works_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("init", str(tmp_path / "xa")).exit_code == 0
    monkeypatch.chdir(tmp_path / "xa")
    result = run("plan", "check")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "PCMD-TienNong-2024" in out
    assert "Danh sách: 12 thôn, 10 đơn vị" in out
    assert "6T-2024" in out and "15/06/2024" in out and "20/06/2024" in out
    assert "CN-2024" in out and "15/12/2024" in out and "20/12/2024" in out
    assert "Thôn (12 thôn): 25 trường" in out
    assert "CA      Công an xã: 23 trường (4 nhiệm vụ)" in out
    assert "CT1.1   ≥ 95%" in out
    assert "CT1.2   (không có mức)" in out
    assert "CT4.1   ≥ 10%" in out
    assert f"Kế hoạch {PLAN} hợp lệ." in out


def test_check_with_dir_option(tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "xa")).exit_code == 0
    result = run("plan", "check", "--dir", str(tmp_path / "xa"))
    assert result.exit_code == 0, result.output


def test_check_without_a_working_folder(tmp_path: Path) -> None:
    result = run("plan", "check", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "wbt init" in result.output and "Traceback" not in result.output


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "init" in result.output and "plan" in result.output
    assert run("plan", "check", "--help").exit_code == 0


# --- files that are not a plan ---------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "khong_co.xlsx"
    result = run("plan", "check", str(path))
    assert result.exit_code == 1
    assert message("plan.file_missing", path=str(path)) in result.output


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / PLAN
    path.write_bytes(b"not a workbook")
    result = run("plan", "check", str(path))
    assert result.exit_code == 1
    assert "Không mở được tệp kế hoạch" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("zip bomb", lambda: corpus.zip_bomb()),
        ("encrypted", lambda: corpus.encrypted_ooxml()),
        ("far cell", lambda: corpus.far_cell()),
        (
            "entity attack",
            lambda: corpus.with_part(
                corpus.form_xlsx(), "xl/workbook.xml", corpus._with_doctype(corpus.BILLION_LAUGHS)
            ),
        ),
    ],
)
def test_hostile_plan_file_is_refused_cleanly(
    tmp_path: Path, kind: str, content: Callable[[], bytes]
) -> None:
    # A plan workbook comes from someone's mailbox too: the same first look as a form.
    path = tmp_path / PLAN
    path.write_bytes(content())
    result = run("plan", "check", str(path))
    assert result.exit_code == 1, kind
    assert "Không mở được tệp kế hoạch" in result.output
    assert "Traceback" not in result.output


# --- one test per class of broken plan -----------------------------------------------


def test_missing_sheet_suggests_the_nearest(tmp_path: Path) -> None:
    path = write_workbook(sample_data(), tmp_path / PLAN)
    wb = openpyxl.load_workbook(path)
    wb["Quy tắc"].title = "Quy tăc cũ"
    del wb["Chỉ tiêu"]
    wb.save(path)
    result = run("plan", "check", str(path))
    assert result.exit_code == 1
    assert (
        message(
            "plan.sheet_missing",
            sheet="Quy tắc",
            suggestion=" Có phải trang 'Quy tăc cũ' là trang này?",
        )
        in result.output
    )
    assert message("plan.sheet_missing", sheet="Chỉ tiêu", suggestion="") in result.output


def test_misspelt_header_suggests_the_nearest(tmp_path: Path) -> None:
    path = write_workbook(sample_data(), tmp_path / PLAN)
    wb = openpyxl.load_workbook(path)
    wb["Chỉ tiêu"]["D1"] = "Tửsố"  # Tử số
    wb["Chỉ tiêu"]["F1"] = "Mức cần đạtt"  # optional column, but clearly meant
    wb.save(path)
    result = run("plan", "check", str(path))
    assert result.exit_code == 1
    assert (
        message(
            "plan.header_missing",
            sheet="Chỉ tiêu",
            header="Tử số",
            suggestion=" Có phải cột 'Tửsố' (ô D1) là cột này?",
        )
        in result.output
    )
    assert "thiếu cột 'Mức cần đạt'" in result.output


def test_duplicate_code_names_both_cells(tmp_path: Path) -> None:
    result = check_broken(tmp_path, lambda d: row(d, "roster", "T02").update(code="T01"))
    assert (
        message("plan.duplicate_code", sheet="Danh sách", cell="A3", value="T01", other="A2")
        in result.output
    )


def test_formula_naming_an_unknown_field(tmp_path: Path) -> None:
    def change(data: PlanData) -> None:
        row(data, "indicators", "CT1.3")["denominator"] = "SUM(ld_tongg)"

    result = check_broken(tmp_path, change)
    assert (
        message(
            "plan.formula_unknown_name",
            sheet="Chỉ tiêu",
            cell="E4",
            header="Mẫu số",
            name="ld_tongg",
            what="trường",
            suggestion=" Có phải ý bạn là 'ld_tong'?",
        )
        in result.output
    )


def test_formula_naming_an_unknown_unit(tmp_path: Path) -> None:
    def change(data: PlanData) -> None:
        row(data, "indicators", "CT3.3")["denominator"] = "COUNT(VHX)"

    result = check_broken(tmp_path, change)
    assert "Công thức ở ô E10 (trang 'Chỉ tiêu', cột 'Mẫu số') dùng 'VHX'" in result.output
    assert "Có phải ý bạn là 'VHXH'?" in result.output


def test_formula_that_does_not_parse(tmp_path: Path) -> None:
    def change(data: PlanData) -> None:
        row(data, "rules", "QT01")["check"] = "ld_duoc_tt <= (ld_tong"

    result = check_broken(tmp_path, change)
    assert "Công thức ở ô E2 (trang 'Quy tắc', cột 'Điều kiện') không đọc được." in result.output
    assert "Công thức: ld_duoc_tt <= (ld_tong." in result.output


def test_formula_of_the_wrong_kind(tmp_path: Path) -> None:
    def change(data: PlanData) -> None:
        row(data, "rules", "QT01")["check"] = "SUM(ld_tong) > 0"

    result = check_broken(tmp_path, change)
    assert "Công thức ở ô E2 (trang 'Quy tắc', cột 'Điều kiện') chưa đúng." in result.output
    assert "SUM chỉ dùng trong chỉ tiêu" in result.output


@pytest.mark.parametrize("target", [95, "chín lăm", "1200%"])
def test_target_not_a_percentage(tmp_path: Path, target: object) -> None:
    result = check_broken(tmp_path, lambda d: row(d, "indicators", "CT1.1").update(target=target))
    assert (
        message("plan.target_invalid", sheet="Chỉ tiêu", cell="F2", value=target) in result.output
    )


def test_task_led_by_a_unit_not_on_the_roster(tmp_path: Path) -> None:
    result = check_broken(tmp_path, lambda d: row(d, "tasks", "3a").update(lead="CAX"))
    assert (
        message(
            "plan.unknown_code",
            sheet="Nhiệm vụ",
            cell="E8",
            header="Chủ trì",
            value="CAX",
            where="trang Danh sách",
            suggestion=" Có phải ý bạn là 'CA'?",
        )
        in result.output
    )


def test_task_led_by_a_village(tmp_path: Path) -> None:
    result = check_broken(tmp_path, lambda d: row(d, "tasks", "4").update(support=["VHXH", "T03"]))
    assert (
        message(
            "plan.task_not_unit",
            sheet="Nhiệm vụ",
            cell="F10",
            header="Phối hợp",
            value="T03",
            kind="donvi",
            village="thôn",
        )
        in result.output
    )


def test_field_for_an_unknown_form(tmp_path: Path) -> None:
    result = check_broken(
        tmp_path, lambda d: row(d, "fields", "th_hoc_sinh_tt").update(forms=["THCS", "TT"])
    )
    assert "ghi 'TT' nhưng mã này không có trong trang Danh sách (hoặc tatca, thon, donvi)" in (
        result.output
    )


def test_deadline_outside_its_period(tmp_path: Path) -> None:
    from datetime import date

    result = check_broken(
        tmp_path, lambda d: row(d, "periods", "6T-2024").update(unit_deadline=date(2023, 12, 15))
    )
    assert (
        message(
            "plan.deadline_outside_period",
            sheet="Kỳ báo cáo",
            cell="F2",
            header="Hạn thôn, đơn vị nộp",
            value="15/12/2023",
            period="6T-2024",
            start="01/01/2024",
            end="30/06/2024",
            grace=GRACE_DAYS,
        )
        in result.output
    )


def test_commune_deadline_before_units_deadline(tmp_path: Path) -> None:
    from datetime import date

    result = check_broken(
        tmp_path,
        lambda d: row(d, "periods", "CN-2024").update(commune_deadline=date(2024, 12, 10)),
    )
    assert (
        message(
            "plan.period_dates",
            sheet="Kỳ báo cáo",
            period="CN-2024",
            row=3,
            reason="hạn xã báo cáo 10/12/2024 sớm hơn hạn thôn, đơn vị nộp 15/12/2024",
        )
        in result.output
    )


@pytest.mark.parametrize(
    ("sheet", "code", "column", "value", "cell", "header"),
    [
        ("roster", "T01", "kind", "xom", "B2", "Loại"),
        ("fields", "tt_loa", "type", "number", "E9", "Kiểu"),
        ("rules", "QT08", "severity", "nguy hiểm", "C9", "Mức độ"),
        ("fields", "tt_loa", "code", "ab12", "A9", "Mã trường"),
    ],
)
def test_bad_value_in_a_fixed_column(
    tmp_path: Path, sheet: str, code: str, column: str, value: str, cell: str, header: str
) -> None:
    result = check_broken(tmp_path, lambda d: row(d, sheet, code).update({column: value}))
    assert f"Ô {cell} (trang '" in result.output
    assert f"cột '{header}') có giá trị '{value}' không hợp lệ." in result.output


def test_empty_required_cell(tmp_path: Path) -> None:
    result = check_broken(tmp_path, lambda d: row(d, "roster", "CA").pop("name"))
    assert f"Tệp kế hoạch {PLAN} có 1 lỗi." in result.output  # nothing else cascades
    assert (
        message(
            "plan.value_missing",
            sheet="Danh sách",
            cell="C15",
            header="Tên thôn, đơn vị",
            expected="nội dung chữ",
        )
        in result.output
    )


def test_broken_field_is_reported_once(tmp_path: Path) -> None:
    result = check_broken(tmp_path, lambda d: row(d, "fields", "ld_tong").update(type="so"))
    assert f"Tệp kế hoạch {PLAN} có 1 lỗi." in result.output


def test_setting_missing_and_unknown(tmp_path: Path) -> None:
    def change(data: PlanData) -> None:
        data["settings"] = [s for s in data["settings"] if s["key"] != "commune"]
        row(data, "settings", "province", key="key")["key"] = "provinse"

    result = check_broken(tmp_path, change)
    assert (
        message("plan.setting_missing", sheet="Cài đặt", key="commune", label="Tên xã")
        in result.output
    )
    assert "ghi mục 'provinse'" in result.output
    assert "Có phải ý bạn là 'province'?" in result.output


def test_rule_that_reaches_no_form(tmp_path: Path) -> None:
    result = check_broken(tmp_path, lambda d: row(d, "rules", "QT01").update(forms=["CA"]))
    assert (
        message(
            "plan.rule_no_form",
            sheet="Quy tắc",
            cell="B2",
            value="QT01",
            fields="ld_duoc_tt, ld_tong",
        )
        in result.output
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    def change(data: PlanData) -> None:
        row(data, "roster", "T02")["code"] = "T01"
        row(data, "tasks", "3a")["lead"] = "CAX"
        row(data, "indicators", "CT1.1")["target"] = "abc"
        row(data, "rules", "QT02")["check"] = "tb_chuyen <= tb_tiep_nhan"

    result = check_broken(tmp_path, change)
    assert f"Tệp kế hoạch {PLAN} có 4 lỗi." in result.output
    for where in ("ở ô A3 ", "Ô E8 ", "ở ô F2 ", "ở ô E3 "):
        assert where in result.output


def test_field_taking_a_task_fields_code(tmp_path: Path) -> None:
    result = check_broken(
        tmp_path, lambda d: row(d, "fields", "dien_thoai").update(code="nv_1b_ket_qua")
    )
    assert (
        message(
            "plan.duplicate_code",
            sheet="Trường dữ liệu",
            cell="A3",
            value="nv_1b_ket_qua",
            other="A3 (trang 'Nhiệm vụ', trường tạo tự động)",
        )
        in result.output
    )


def test_target_without_denominator(tmp_path: Path) -> None:
    result = check_broken(tmp_path, lambda d: row(d, "indicators", "CT1.3").pop("denominator"))
    assert "Ô E4 (trang 'Chỉ tiêu', cột 'Mẫu số') đang trống." in result.output


# --- issue 16: what plan check missed, and suggestions that pointed the wrong way -----


def test_period_copied_from_last_year(tmp_path: Path) -> None:
    from datetime import date

    def change(data: PlanData) -> None:
        row(data, "periods", "CN-2024").update(
            start=date(2023, 1, 1),
            end=date(2023, 12, 31),
            unit_deadline=date(2023, 12, 15),
            commune_deadline=date(2023, 12, 20),
        )

    result = check_broken(tmp_path, change)
    assert (
        message(
            "plan.period_other_year",
            sheet="Kỳ báo cáo",
            cell="D3",
            period="CN-2024",
            start="01/01/2023",
            end="31/12/2023",
            year=2024,
        )
        in result.output
    )


def test_two_periods_with_the_same_dates(tmp_path: Path) -> None:
    def change(data: PlanData) -> None:
        data["periods"].append({**row(data, "periods", "6T-2024"), "code": "6T-B"})

    result = check_broken(tmp_path, change)
    assert (
        message(
            "plan.period_same_dates",
            sheet="Kỳ báo cáo",
            cell="A4",
            period="6T-B",
            other="6T-2024",
            other_cell="A2",
            start="01/01/2024",
            end="30/06/2024",
        )
        in result.output
    )


@pytest.mark.parametrize(
    ("column", "formula", "cell", "header", "part"),
    [
        ("numerator", "SUM(ld_duoc_tt) / 0", "D4", "Tử số", "SUM(ld_duoc_tt) / 0"),
        ("denominator", "0", "E4", "Mẫu số", "mẫu số 0"),
    ],
)
def test_division_by_a_literal_zero(
    tmp_path: Path, column: str, formula: str, cell: str, header: str, part: str
) -> None:
    result = check_broken(
        tmp_path, lambda d: row(d, "indicators", "CT1.3").update({column: formula})
    )
    assert (
        message(
            "plan.formula_divide_by_zero",
            sheet="Chỉ tiêu",
            cell=cell,
            header=header,
            part=part,
            value=formula,
        )
        in result.output
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("m" * 256, "một mã không quá 255 ký tự (mã này có 256 ký tự"),
        ("true", "khác TRUE và FALSE"),
        ("mô_hình", "một mã chữ thường, không dấu như 'mo_hinh'"),
        ("Số buổi họp", "một mã chữ thường, không dấu như 'so_buoi_hop'"),
    ],
)
def test_field_code_excel_cannot_name(tmp_path: Path, code: str, expected: str) -> None:
    def change(data: PlanData) -> None:
        row(data, "fields", "mh_ten")["code"] = code
        data["rules"] = [r for r in data["rules"] if r["code"] != "QT09"]

    result = check_broken(tmp_path, change)
    assert f"Ô A24 (trang 'Trường dữ liệu', cột 'Mã trường') có giá trị '{code}'" in (
        result.output
    )
    assert expected in result.output


def test_accented_scope_suggests_the_keyword(tmp_path: Path) -> None:
    result = check_broken(
        tmp_path, lambda d: row(d, "indicators", "CT1.1").update(denominator="COUNT(thôn)")
    )
    out = result.output
    assert "Công thức ở ô E2 (trang 'Chỉ tiêu', cột 'Mẫu số') có 'thôn'" in out
    assert "Có phải ý bạn là 'thon'?" in out
    assert "dấu nháy kép" not in out


def _ward(data: PlanData) -> None:
    """The sample's villages as a ward's residential groups: TDP1 … TDP12."""
    data["settings"] = [s for s in data["settings"] if s["key"] != "village_label"]
    data["settings"].append({"key": "village_label", "value": "tổ dân phố"})
    for i in range(1, 13):
        entry = row(data, "roster", f"T{i:02d}")
        entry.update(code=f"TDP{i}", name=f"Tổ dân phố {i}")


def test_scope_that_is_no_roster_kind_lists_the_scopes(tmp_path: Path) -> None:
    def change(data: PlanData) -> None:
        _ward(data)
        row(data, "indicators", "CT1.1")["denominator"] = "COUNT(tdp)"

    out = check_broken(tmp_path, change).output
    assert "dùng 'tdp' nhưng không có phạm vi nào tên như vậy" in out
    assert "Có phải ý bạn là 'thon'?" in out
    assert "'TDP" not in out
    assert "Phạm vi dùng được: thon (mọi tổ dân phố), donvi (mọi đơn vị), tatca" in out


def test_bad_period_code_gets_period_examples(tmp_path: Path) -> None:
    out = check_broken(
        tmp_path, lambda d: row(d, "periods", "6T-2024").update(code="6T 2024")
    ).output
    assert "có giá trị '6T 2024' không hợp lệ" in out
    assert "như '6T-2024'" in out
    assert "CT1.1" not in out and "T01" not in out


def test_excel_formula_in_a_plan_cell(tmp_path: Path) -> None:
    path = write_workbook(sample_data(), tmp_path / PLAN)
    wb = openpyxl.load_workbook(path)
    wb["Danh sách"]["C15"] = '=A15&" xã"'  # openpyxl saves a formula without its result
    wb["Quy tắc"]["E2"] = "=ld_duoc_tt<=ld_tong"
    wb.save(path)
    result = run("plan", "check", str(path))
    assert result.exit_code == 1
    out = result.output
    assert "đang trống" not in out
    assert (
        "Ô C15 (trang 'Danh sách', cột 'Tên thôn, đơn vị') chứa công thức Excel "
        '=A15&" xã" (chưa có kết quả)' in out
    )
    assert "xóa công thức và gõ thẳng vào ô nội dung chữ" in out
    assert "không có dấu = ở đầu: ld_duoc_tt<=ld_tong" in out


def test_a_wards_roster_is_counted_in_its_own_words(tmp_path: Path) -> None:
    data = sample_data()
    _ward(data)
    path = write_workbook(data, tmp_path / PLAN)
    result = run("plan", "check", str(path))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Danh sách: 12 tổ dân phố, 10 đơn vị" in out
    assert "Tổ dân phố (12 tổ dân phố):" in out
    assert "hạn tổ dân phố, đơn vị nộp 15/06/2024" in out
