"""Checking one returned form: types, required values, limits and the plan's rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from workbook_tools.checks.validate import EXPECTED, FormCheck, check_form
from workbook_tools.inbox.model import RawCell
from workbook_tools.plan import load_sample_plan
from workbook_tools.plan.model import (
    NO,
    YES,
    Field,
    FieldType,
    Kind,
    Period,
    Plan,
    RosterEntry,
    Rule,
    Settings,
    Task,
)
from workbook_tools.plan.model import Severity as RuleSeverity
from workbook_tools.problems import Problem, Severity, make

SHEET = "Báo cáo"
FILE = "6T-2024_T01_Thon-1.xlsx"

SETTINGS = Settings(
    plan_id="PCMD-TienNong-2024", version="1", year=2024, commune="Tiến Nông",
    district="Triệu Sơn", province="Thanh Hóa", report_to="UBND huyện Triệu Sơn",
    plan_number="…/KH-UBND", plan_date=None, plan_title="Kế hoạch phòng, chống mại dâm",
    report_title="Báo cáo kết quả", signer_title="CHỦ TỊCH", signer_name="",
)  # fmt: skip
H1 = Period("6T-2024", "Báo cáo 6 tháng đầu năm 2024", 6, date(2024, 1, 1), date(2024, 6, 30),
            date(2024, 6, 15), date(2024, 6, 20))
YEAR = Period("CN-2024", "Báo cáo năm 2024", 12, date(2024, 1, 1), date(2024, 12, 31),
              date(2024, 12, 15), date(2024, 12, 20))
T01 = RosterEntry("T01", Kind.VILLAGE, "Thôn 1")
VHXH = RosterEntry("VHXH", Kind.UNIT, "Bộ phận Văn hóa - Xã hội")


def fld(code: str, kind: FieldType, forms: str = "thon", **extra: Any) -> Field:
    return Field(code=code, forms=(forms,), section="", label=f"Nhãn {code}", type=kind, **extra)


FIELDS = (
    fld("nguoi_bao_cao", FieldType.TEXT, "tatca", required=True, max_length=20),
    fld("ngay_bao_cao", FieldType.DATE, "tatca", required=True),
    fld("tt_hinh_thuc", FieldType.INT),
    fld("tt_so_buoi", FieldType.INT, maximum=100),
    fld("tt_loa", FieldType.INT, minimum=2),
    fld("tt_thuong_xuyen", FieldType.YESNO),
    fld("ld_tong", FieldType.INT),
    fld("ld_duoc_tt", FieldType.INT),
    fld("kh_xay_dung", FieldType.YESNO),
    fld("kh_so_ngay", FieldType.TEXT),
    fld("vh_thang_co_tin", FieldType.INT, "VHXH"),
)
LABEL = {f.code: f.label for f in FIELDS}
# The plan's own rules (sample plan, sheet Quy tắc), fields listed as the plan step lists them.
RULES = (
    Rule("QT01", ("thon",), RuleSeverity.ERROR, "ld_duoc_tt <= ld_tong", None,
         "Số người lao động được tuyên truyền lớn hơn tổng số. Hãy kiểm tra lại hai số này.",
         ("ld_duoc_tt", "ld_tong")),
    Rule("QT06", ("VHXH",), RuleSeverity.ERROR, "vh_thang_co_tin <= SO_THANG", None,
         "Số tháng có thông tin lớn hơn số tháng của kỳ.", ("vh_thang_co_tin",)),
    Rule("QT07", ("thon",), RuleSeverity.ERROR,
         'NOT (tt_thuong_xuyen = "Có" AND tt_hinh_thuc = 0)', None,
         "Ghi duy trì thường xuyên nhưng số hình thức là 0.", ("tt_hinh_thuc", "tt_thuong_xuyen")),
    Rule("QT08", ("thon",), RuleSeverity.WARNING, "NOT EMPTY(kh_so_ngay)", 'kh_xay_dung = "Có"',
         "Chưa ghi số, ngày của kế hoạch.", ("kh_so_ngay", "kh_xay_dung")),
    Rule("QT11", ("tatca",), RuleSeverity.WARNING, "YEAR(ngay_bao_cao) = NAM", None,
         "Ngày báo cáo không thuộc năm của kế hoạch.", ("ngay_bao_cao",)),
)
TASK = Task("1a", "II.1.a", "Tuyên truyền", "…", "VHXH", (), "Thường xuyên trong năm")
PLAN = Plan(SETTINGS, (H1, YEAR), (T01, VHXH), (TASK,), FIELDS, RULES, ())
CELL = {code: f"C{10 + i}" for i, code in enumerate(
    [f.code for f in FIELDS] + ["nv_1a_tinh_trang", "nv_1a_ket_qua"])}

GOOD = {
    "nguoi_bao_cao": "Nguyễn Văn A",
    "ngay_bao_cao": date(2024, 6, 10),
    "tt_hinh_thuc": 3.0,
    "tt_so_buoi": 12.0,
    "tt_loa": 5.0,
    "tt_thuong_xuyen": YES,
    "ld_tong": 40.0,
    "ld_duoc_tt": 25.0,
    "kh_xay_dung": YES,
    "kh_so_ngay": "Số 01/KH-T1 ngày 10/01/2024",
}


def cells(values: dict[str, object]) -> dict[str, RawCell]:
    return {code: RawCell(code, value, SHEET, CELL[code]) for code, value in values.items()}


def run(changes: dict[str, object] | None = None, *, entry: RosterEntry = T01,
        period: Period = H1, base: dict[str, object] | None = None) -> FormCheck:
    values = dict(GOOD if base is None else base)
    for code, value in (changes or {}).items():
        if value is _ABSENT:
            values.pop(code, None)
        else:
            values[code] = value
    return check_form(PLAN, period, entry, cells(values), file=FILE)


_ABSENT = object()


def expected(code: str, field: str, value: str | None, *, cell: bool = True,
             unit: str = "T01", **context: Any) -> Problem:
    ref = CELL[field] if cell else None
    where = f"Ô {ref} (trang '{SHEET}')" if cell else "Trên biểu mẫu"
    f = PLAN.field(field)
    return make(code, file=FILE, unit=unit, sheet=SHEET if cell else None, cell=ref, field=field,
                value=value, where=where, label=f.label, expected=EXPECTED[f.type], **context)


# --- values ----------------------------------------------------------------------------


def test_a_good_form_gives_typed_values_and_no_problem() -> None:
    result = run()
    assert result.problems == []
    assert result.unusable == set()
    assert result.values == {
        "nguoi_bao_cao": "Nguyễn Văn A", "ngay_bao_cao": date(2024, 6, 10), "tt_hinh_thuc": 3,
        "tt_so_buoi": 12, "tt_loa": 5, "tt_thuong_xuyen": YES, "ld_tong": 40, "ld_duoc_tt": 25,
        "kh_xay_dung": YES, "kh_so_ngay": "Số 01/KH-T1 ngày 10/01/2024",
    }  # fmt: skip
    assert all(type(v) is int for k, v in result.values.items() if k.startswith(("tt_h", "ld")))


def test_a_value_not_of_its_type_is_an_error_and_unusable() -> None:
    result = run({"tt_so_buoi": "12 người"})
    assert result.problems == [
        expected("value.not_int", "tt_so_buoi", "12 người", hint=" Có phải ý bạn là 12?")
    ]
    assert result.problems[0].severity is Severity.ERROR
    assert result.problems[0].message == (
        f"Ô {CELL['tt_so_buoi']} (trang 'Báo cáo') – «Nhãn tt_so_buoi»: ghi '12 người', không "
        "phải một số nguyên. Có phải ý bạn là 12? Hãy chỉ nhập chữ số, không kèm chữ hay ký "
        "hiệu, ví dụ 12; nếu không có thì nhập 0."
    )
    assert result.unusable == {"tt_so_buoi"}
    assert "tt_so_buoi" not in result.values


def test_a_guess_is_a_warning_and_the_value_is_used() -> None:
    result = run({"ld_tong": "1.234", "tt_thuong_xuyen": "co"})
    assert result.problems == [
        expected("value.yesno_spelling", "tt_thuong_xuyen", "co", read_as=YES),
        expected("value.int_text", "ld_tong", "1.234", read_as="1234"),
    ]
    assert [p.severity for p in result.problems] == [Severity.WARNING] * 2
    assert (result.values["ld_tong"], result.values["tt_thuong_xuyen"]) == (1234, YES)
    assert result.unusable == set()


def test_a_required_value_missing_is_an_error() -> None:
    result = run({"nguoi_bao_cao": "  "})
    assert result.problems == [expected("value.required", "nguoi_bao_cao", None)]
    assert result.problems[0].message == (
        f"Ô {CELL['nguoi_bao_cao']} (trang 'Báo cáo') – «Nhãn nguoi_bao_cao»: chưa nhập. Đây là "
        "mục bắt buộc: hãy nhập nội dung."
    )
    assert "nguoi_bao_cao" not in result.values


def test_a_required_field_whose_cell_was_not_found_is_reported_without_a_cell() -> None:
    result = run({"ngay_bao_cao": _ABSENT})
    assert result.problems == [expected("value.required", "ngay_bao_cao", None, cell=False)]


def test_an_optional_value_missing_is_no_problem() -> None:
    result = run({"tt_loa": None, "kh_so_ngay": _ABSENT, "kh_xay_dung": NO})
    assert result.problems == []
    assert "tt_loa" not in result.values


@pytest.mark.parametrize(
    ("code", "value", "problem", "context"),
    [
        ("tt_so_buoi", 101, "value.above_maximum", {"limit": 100}),
        ("tt_loa", 1, "value.below_minimum", {"limit": 2}),
        ("nguoi_bao_cao", "Nguyễn Văn Anh Tuấn Hùng", "value.too_long",
         {"limit": 20, "length": 24}),
    ],
)
def test_limits(code: str, value: object, problem: str, context: dict[str, object]) -> None:
    result = run({code: value})
    assert result.problems == [expected(problem, code, str(value), **context)]
    assert result.unusable == {code}
    assert code not in result.values


def test_a_cell_for_a_field_not_on_this_form_is_ignored() -> None:
    result = run({"vh_thang_co_tin": "rác"})
    assert result.problems == []
    assert "vh_thang_co_tin" not in result.values


def test_task_fields_are_checked_on_the_units_that_have_them() -> None:
    base = {"nguoi_bao_cao": "Lê Thị B", "ngay_bao_cao": "15/06/2024", "vh_thang_co_tin": 6,
            "nv_1a_tinh_trang": "hoan thanh", "nv_1a_ket_qua": "=HYPERLINK(\"x\")"}
    result = run(entry=VHXH, base=base)
    assert result.problems == [
        expected("value.status_spelling", "nv_1a_tinh_trang", "hoan thanh", unit="VHXH",
                 read_as="Hoàn thành"),
    ]
    assert result.values["nv_1a_tinh_trang"] == "Hoàn thành"
    assert result.values["nv_1a_ket_qua"] == '=HYPERLINK("x")'  # kept as typed, as text


# --- rules ------------------------------------------------------------------------------


def rule_problem(rule: str, field: str, value: str | None, values: str, *,
                 severity: Severity = Severity.ERROR, unit: str = "T01") -> Problem:
    found = next(r for r in RULES if r.code == rule)
    return expected("rule.failed", field, value, unit=unit, severity=severity,
                    message=found.message, values=values, rule=rule)


def test_a_part_greater_than_its_whole_makes_both_unusable() -> None:
    result = run({"ld_duoc_tt": 50.0, "ld_tong": 40.0})
    listed = f"«{LABEL['ld_duoc_tt']}» = 50; «{LABEL['ld_tong']}» = 40"
    assert result.problems == [rule_problem("QT01", "ld_duoc_tt", "50", listed)]
    assert result.problems[0].message == (
        f"Ô {CELL['ld_duoc_tt']} (trang 'Báo cáo') – «Nhãn ld_duoc_tt»: Số người lao động được "
        "tuyên truyền lớn hơn tổng số. Hãy kiểm tra lại hai số này. Giá trị đã đọc: «Nhãn "
        "ld_duoc_tt» = 50; «Nhãn ld_tong» = 40. (Quy tắc QT01)"
    )
    assert result.unusable == {"ld_duoc_tt", "ld_tong"}
    assert "ld_duoc_tt" not in result.values and "ld_tong" not in result.values


def test_a_rule_on_a_missing_or_wrong_value_is_not_evaluated() -> None:
    assert run({"ld_tong": None, "ld_duoc_tt": 50.0}).problems == []
    result = run({"ld_tong": "bốn mươi", "ld_duoc_tt": 50.0})
    assert [p.code for p in result.problems] == ["value.not_int"]
    assert result.values["ld_duoc_tt"] == 50


def test_regular_awareness_without_any_form_is_an_error() -> None:
    result = run({"tt_hinh_thuc": 0.0, "tt_thuong_xuyen": "Có"})
    listed = f"«{LABEL['tt_thuong_xuyen']}» = Có; «{LABEL['tt_hinh_thuc']}» = 0"
    assert result.problems == [rule_problem("QT07", "tt_thuong_xuyen", "Có", listed)]
    assert result.unusable == {"tt_hinh_thuc", "tt_thuong_xuyen"}
    assert run({"tt_hinh_thuc": 0.0, "tt_thuong_xuyen": NO}).problems == []


def test_a_warning_rule_is_placed_on_the_value_to_fill_and_keeps_the_values() -> None:
    result = run({"kh_so_ngay": None})
    listed = f"«{LABEL['kh_so_ngay']}» = (trống); «{LABEL['kh_xay_dung']}» = Có"
    assert result.problems == [
        rule_problem("QT08", "kh_so_ngay", None, listed, severity=Severity.WARNING)
    ]
    assert result.values["kh_xay_dung"] == YES
    assert result.unusable == set()
    # the rule's "when" is false: nothing to say
    assert run({"kh_so_ngay": None, "kh_xay_dung": NO}).problems == []


@pytest.mark.parametrize(("period", "months", "fails"), [(H1, 7, True), (H1, 6, False),
                                                          (YEAR, 7, False), (YEAR, 13, True)])
def test_months_with_news_at_most_the_periods_months(period: Period, months: int,
                                                     fails: bool) -> None:
    base = {"nguoi_bao_cao": "Lê Thị B", "ngay_bao_cao": date(2024, 6, 15),
            "vh_thang_co_tin": months}
    result = run(entry=VHXH, period=period, base=base)
    if fails:
        assert result.problems == [
            rule_problem("QT06", "vh_thang_co_tin", str(months),
                         f"«{LABEL['vh_thang_co_tin']}» = {months}", unit="VHXH")
        ]
        assert result.unusable == {"vh_thang_co_tin"}
    else:
        assert result.problems == []
        assert result.values["vh_thang_co_tin"] == months


def test_a_report_date_outside_the_plan_year_is_a_warning() -> None:
    result = run({"ngay_bao_cao": "15/06/2023"})
    assert result.problems == [
        rule_problem("QT11", "ngay_bao_cao", "15/06/2023",
                     f"«{LABEL['ngay_bao_cao']}» = 15/06/2023", severity=Severity.WARNING)
    ]
    assert result.values["ngay_bao_cao"] == date(2023, 6, 15)


# --- the sample plan's rules (SPEC) -------------------------------------------------------


def test_every_rule_of_the_sample_plan_fires_on_a_form_that_breaks_it() -> None:
    plan = load_sample_plan()
    period = plan.period("6T-2024")
    forms: dict[str, dict[str, object]] = {
        "T01": {"ld_tong": 5, "ld_duoc_tt": 6, "tb_tiep_nhan": 1, "tb_chuyen_xu_ly": 2,
                "tt_hinh_thuc": 0, "tt_thuong_xuyen": "Có", "kh_xay_dung": "Có",
                "mh_trien_khai": "Có", "ngay_bao_cao": "15/06/2023", "nguoi_bao_cao": "A"},
        "CA": {"ca_cs_tong": 3, "ca_cs_kiem_tra": 4, "ca_cs_vi_pham": 5, "ca_tb_tiep_nhan": 1,
               "ca_tb_xu_ly": 2, "ngay_bao_cao": "15/06/2024", "nguoi_bao_cao": "B"},
        "VHXH": {"vh_thang_co_tin": 7, "vh_doan_lien_nganh": "Có",
                 "ngay_bao_cao": "15/06/2024", "nguoi_bao_cao": "C"},
    }
    fired: dict[str, Severity] = {}
    for unit, values in forms.items():
        raw = {code: RawCell(code, value, SHEET, f"C{i}")
               for i, (code, value) in enumerate(values.items(), start=10)}
        result = check_form(plan, period, plan.entry(unit), raw, file=f"{unit}.xlsx")
        for p in result.problems:
            assert p.code == "rule.failed", p
            fired[p.message.rsplit("(Quy tắc ", 1)[1].rstrip(")")] = p.severity
    error, warning = Severity.ERROR, Severity.WARNING
    assert fired == {
        "QT01": error, "QT02": error, "QT03": error, "QT04": error, "QT05": error, "QT06": error,
        "QT07": error, "QT08": warning, "QT09": warning, "QT10": warning, "QT11": warning,
    }  # fmt: skip


def test_a_text_longer_than_a_cell_holds_is_said_with_its_own_length() -> None:
    # kh_so_ngay has no length of its own in the plan: a spreadsheet cell's is the bound.
    result = run({"kh_so_ngay": "x" * 40_000})
    (problem,) = result.problems  # no rule reads it as blank ("chưa ghi số, ngày…")
    assert (problem.code, problem.field) == ("value.too_long", "kh_so_ngay")
    assert "dài 40000 ký tự, quá giới hạn 32767 ký tự" in problem.message
    assert "kh_so_ngay" in result.unusable and "kh_so_ngay" not in result.values
