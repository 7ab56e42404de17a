"""Issue 16: the plan language carries other plans.

A plan written from scratch needs the period's own dates in its rules,
decimal, money and choice fields, and targets that are counts or above 100 %.
Built here from the sample's readable source with changes, written as a plan
workbook, read back, and run generate → fill → merge; the indicators checked
against figures worked out by hand.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import docx
import pytest
from openpyxl import load_workbook

from tests.inbox_forms import put
from tests.plan_samples import PlanData, row, sample_data, write_workbook
from workbook_tools.consolidation import Outcome, consolidate
from workbook_tools.errors import PlanError
from workbook_tools.forms import build_forms
from workbook_tools.forms.fill import fill_form
from workbook_tools.pipeline import read_and_check
from workbook_tools.plan import load_plan
from workbook_tools.plan.model import FieldType, Plan
from workbook_tools.plan.tables import tables_from_mapping
from workbook_tools.plan.validate import validate
from workbook_tools.report.write import write_report

QUARTER = "Q2-2024"
GENERATED = datetime(2024, 6, 1, 8, 0)
ARRIVED = datetime(2024, 7, 1, 9, 0)
NOW = datetime(2024, 7, 8, 9, 0)
CHOICES = ("Tốt", "Khá", "Trung bình", "Yếu")


def other_plan_data() -> PlanData:
    """The sample with a quarter, three fields of the new types, a rule on the period's
    dates and indicators whose targets are a count, a share and more than 100 %."""
    data = sample_data()
    data["periods"].append(
        {"code": QUARTER, "name": "Báo cáo quý II năm 2024", "months": 3,
         "start": date(2024, 4, 1), "end": date(2024, 6, 30),
         "unit_deadline": date(2024, 7, 5), "commune_deadline": date(2024, 7, 10)}
    )
    section = row(data, "fields", "tt_so_buoi")["section"]
    data["fields"] += [
        {"code": "dien_tich", "forms": ["thon"], "section": section, "type": "decimal",
         "label": "Diện tích trồng cây thay thế (ha)", "decimals": 1},
        {"code": "kinh_phi", "forms": ["thon"], "section": section, "type": "money",
         "label": "Kinh phí tuyên truyền (đồng)"},
        {"code": "xep_loai", "forms": ["thon"], "section": section, "type": "choice",
         "label": "Tự xếp loại phong trào", "choices": "; ".join(CHOICES)},
    ]
    data["rules"].append(
        {"code": "QT90", "forms": ["tatca"], "severity": "warning",
         "check": "ngay_bao_cao >= KY_BAT_DAU AND DAYS(HAN_NOP, ngay_bao_cao) >= 0",
         "message": "Ngày báo cáo nằm ngoài kỳ hoặc sau hạn nộp. Hãy kiểm tra lại ngày."}
    )
    data["rules"].append(
        {"code": "QT91", "forms": ["thon"], "severity": "error",
         "when": "NOT EMPTY(kinh_phi)", "check": "NOT EMPTY(tt_so_buoi)",
         "message": "Đã ghi kinh phí thì phải ghi số buổi tuyên truyền."}
    )
    data["indicators"] += [
        {"code": "CT9.1", "section": "Q", "text": "Ít nhất 12 buổi tuyên truyền trong quý",
         "numerator": "SUM(thon: tt_so_buoi)", "target": "12", "comparator": ">=",
         "unit_label": "buổi"},
        {"code": "CT9.2", "section": "Q", "text": "Ít nhất 50% thôn xếp loại Tốt hoặc Khá",
         "numerator": 'COUNT(thon: xep_loai IN ("Tốt", "Khá"))', "denominator": "COUNT(thon)",
         "target": "50%", "comparator": ">="},
        {"code": "CT9.3", "section": "Q", "text": "Ít nhất 20 ha cây thay thế",
         "numerator": "SUM(thon: dien_tich)", "target": "20", "comparator": ">=",
         "unit_label": "ha"},
        {"code": "CT9.4", "section": "Q", "text": "Số buổi tăng 10% so với 10 buổi của kỳ trước",
         "numerator": "SUM(thon: tt_so_buoi)", "denominator": "10", "target": "110%",
         "comparator": ">="},
    ]
    return data


def plan_of(data: PlanData) -> Plan:
    return validate(tables_from_mapping(data, source="test.toml"))


def problems_of(data: PlanData) -> list[tuple[str, str | None]]:
    with pytest.raises(PlanError) as caught:
        plan_of(data)
    return [(p.code, p.cell) for p in caught.value.problems]


# --- the plan ------------------------------------------------------------------------


def test_the_other_plan_reads_back_from_its_workbook(tmp_path: Path) -> None:
    plan = load_plan(write_workbook(other_plan_data(), tmp_path / "kehoach.xlsx"))
    assert plan.field("dien_tich").type is FieldType.DECIMAL
    assert plan.field("dien_tich").places == 1
    assert plan.field("kinh_phi").type is FieldType.MONEY
    assert plan.field("xep_loai").choices == CHOICES
    by_code = {i.code: i for i in plan.indicators}
    assert by_code["CT9.1"].target == 12 and by_code["CT9.1"].is_count
    assert by_code["CT9.1"].target_shown == "≥ 12 buổi"
    assert by_code["CT9.4"].target == Fraction(11, 10)
    assert by_code["CT9.4"].target_shown == "≥ 110%"
    assert by_code["CT9.2"].target_shown == "≥ 50%"


def test_old_plans_load_as_before() -> None:
    plan = plan_of(sample_data())  # no decimals or choices column at all
    assert all(not f.choices and f.decimals is None for f in plan.fields)
    assert {i.code: i.target for i in plan.indicators}["CT1.1"] == Fraction(95, 100)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"type": "choice"}, "plan.value_missing"),  # a choice field without its choices
        ({"type": "choice", "choices": "Tốt"}, "plan.value_invalid"),  # one is no choice
        ({"type": "choice", "choices": "Tốt; tot"}, "plan.value_invalid"),  # the same twice
        ({"type": "choice", "choices": "; ".join(["x" * 60] * 2 + ["y" * 60] * 3)},
         "plan.value_invalid"),
        ({"type": "int", "choices": "Tốt; Khá"}, "plan.value_invalid"),
        ({"type": "decimal", "decimals": 7}, "plan.value_invalid"),
        ({"type": "int", "decimals": 1}, "plan.value_invalid"),
    ],
)
def test_the_new_columns_are_checked(change: dict[str, Any], expected: str) -> None:
    data = sample_data()
    data["fields"].append({"code": "moi", "forms": ["thon"], "section": "x", "label": "Mới",
                           **change})
    assert expected in [code for code, _ in problems_of(data)]


@pytest.mark.parametrize(
    ("denominator", "target", "expected"),
    [
        (None, "12", None),
        (None, "1.500", None),
        (None, "12,5", None),
        (None, 12, None),
        ("COUNT(thon)", "110%", None),
        ("COUNT(thon)", "1000%", None),
        ("COUNT(thon)", "1001%", "plan.target_invalid"),
        ("COUNT(thon)", "abc", "plan.target_invalid"),
        (None, "12 buổi", "plan.target_count_invalid"),
        (None, "-1", "plan.target_count_invalid"),
        (None, "95%", "plan.value_missing"),  # a percentage needs its denominator
    ],
)
def test_targets(denominator: str | None, target: object, expected: str | None) -> None:
    data = sample_data()
    data["indicators"].append({"code": "CT9.9", "section": "Q", "text": "x",
                               "numerator": "SUM(thon: tt_so_buoi)", "target": target,
                               **({"denominator": denominator} if denominator else {})})
    if expected is None:
        plan_of(data)
    else:
        assert expected in [code for code, _ in problems_of(data)]


def test_a_rule_comparing_a_date_field_with_a_number_is_refused() -> None:
    data = sample_data()
    data["rules"].append({"code": "QT99", "forms": ["thon"], "severity": "error",
                          "check": "ngay_bao_cao <= 5", "message": "x"})
    assert ("plan.formula_invalid") in [code for code, _ in problems_of(data)]
    data = sample_data()
    data["rules"].append({"code": "QT99", "forms": ["thon"], "severity": "error",
                          "check": "HAN_NOP > 5", "message": "x"})
    assert ("plan.formula_invalid") in [code for code, _ in problems_of(data)]


# --- the forms -----------------------------------------------------------------------


def test_forms_validate_and_format_the_new_types() -> None:
    plan = plan_of(other_plan_data())
    (form,) = build_forms(plan, QUARTER, ["T01"], now=GENERATED)
    wb = load_workbook(io.BytesIO(form.content))
    try:
        cells = {}
        for code in ("dien_tich", "kinh_phi", "xep_loai"):
            ((sheet, ref),) = wb.defined_names[code].destinations
            cells[code] = (wb[sheet], ref.replace("$", ""))
        rules = {}
        for code, (ws, ref) in cells.items():
            (rule,) = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
            rules[code] = rule
        assert rules["dien_tich"].type == "decimal"
        assert rules["kinh_phi"].type == "whole"
        assert rules["xep_loai"].type == "list"
        assert rules["xep_loai"].formula1 == '"' + ",".join(CHOICES) + '"'
        ws, ref = cells["dien_tich"]
        assert ws[ref].number_format == "#,##0.0"
        ws, ref = cells["kinh_phi"]
        assert ws[ref].number_format == '#,##0 "đ"'
    finally:
        wb.close()


# --- generate → fill → merge -----------------------------------------------------------

FILLED: dict[str, dict[str, object]] = {
    # 5 sessions; 12,5 ha typed the Vietnamese way; money with its đ; a choice as listed.
    "T01": {"nguoi_bao_cao": "Nguyễn Văn A", "ngay_bao_cao": date(2024, 6, 20),
            "tt_so_buoi": 5, "dien_tich": "12,5", "kinh_phi": "1.500.000 đ",
            "xep_loai": "Tốt"},
    # 3,25 ha in a field of one decimal: 3,3 with a warning; "kha" read as Khá; the report
    # dated before the quarter: rule QT90's warning.
    "T02": {"nguoi_bao_cao": "Trần Thị B", "ngay_bao_cao": date(2024, 3, 15),
            "tt_so_buoi": 4, "dien_tich": 3.25, "kinh_phi": 2000000, "xep_loai": "kha"},
    # "1,234" ha: a thousand and some, or one and a bit? An error: not summed.
    "T03": {"nguoi_bao_cao": "Lê Văn C", "ngay_bao_cao": date(2024, 6, 1),
            "tt_so_buoi": 4, "dien_tich": "1,234", "xep_loai": "Yếu"},
    # Money without the sessions: rule QT91 (a value required when another is filled).
    "T04": {"nguoi_bao_cao": "Phạm D", "ngay_bao_cao": date(2024, 6, 2),
            "kinh_phi": "500 nghìn đồng", "xep_loai": "Trung bình"},
}


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("other_plan")
    plan = load_plan(write_workbook(other_plan_data(), folder / "kehoach.xlsx"))
    forms = build_forms(plan, QUARTER, list(FILLED), now=GENERATED)
    for form in forms:
        put(folder / "inbox", form.filename, fill_form(form.content, FILLED[form.entry.code]),
            ARRIVED)
    period = plan.period(QUARTER)
    result = read_and_check(plan, period, folder / "inbox", folder / "ledger.sqlite3",
                            now=NOW, workers=1)
    return plan, result, consolidate(plan, QUARTER, result, generated_at=NOW)


def test_the_values_are_cleaned_by_their_types(merged: Any) -> None:
    _, result, c = merged
    values = {s.unit: s.values for s in result.submissions if s.unit}
    assert values["T01"]["dien_tich"] == Fraction(25, 2)
    assert values["T01"]["kinh_phi"] == 1_500_000
    assert values["T02"]["dien_tich"] == Fraction(33, 10)
    assert values["T02"]["xep_loai"] == "Khá"
    # T04's "500 nghìn đồng" was read as 500.000 (a warning), then rule QT91's error on
    # the form made the values it names unusable.
    assert "kinh_phi" not in values["T04"]
    assert "dien_tich" not in values["T03"]
    codes = {(p.unit, p.field, p.code) for p in c.problems}
    assert ("T02", "dien_tich", "value.decimal_rounded") in codes
    assert ("T02", "xep_loai", "value.choice_spelling") in codes
    assert ("T03", "dien_tich", "value.number_ambiguous") in codes
    assert ("T04", "kinh_phi", "value.money_text") in codes


def test_the_rules_on_the_periods_dates_and_on_a_filled_field(merged: Any) -> None:
    _, _, c = merged
    failed = {(p.unit, p.field, p.severity.value) for p in c.problems if p.code == "rule.failed"}
    # T02's report is dated before KY_BAT_DAU (01/04/2024); the others are within the quarter
    # and before HAN_NOP (05/07/2024).
    assert ("T02", "ngay_bao_cao", "warning") in failed
    assert not {u for u, f, _ in failed if f == "ngay_bao_cao"} - {"T02"}
    # T04 wrote the money and left the sessions blank: the required field is named.
    assert ("T04", "tt_so_buoi", "error") in failed


def test_the_indicators_by_hand(merged: Any) -> None:
    _, _, c = merged
    by_code = {r.code: r for r in c.indicators}
    # CT9.1: 5 + 4 + 4 sessions (T04 left it blank) = 13 ≥ 12: met, judged on the count.
    ct91 = by_code["CT9.1"]
    assert (ct91.numerator, ct91.denominator, ct91.value) == (13, None, Fraction(13))
    assert (ct91.met, ct91.outcome) == (True, Outcome.MET)
    # CT9.2: T01 Tốt, T02 Khá (read from "kha") of the 12 villages: 1/6 < 50%.
    ct92 = by_code["CT9.2"]
    assert (ct92.numerator, ct92.denominator, ct92.value) == (2, 12, Fraction(1, 6))
    assert ct92.met is False
    # CT9.3: 12,5 + 3,3 ha (T03's "1,234" is an error, not summed) = 15,8 < 20: not met.
    ct93 = by_code["CT9.3"]
    assert ct93.numerator == Fraction(79, 5)
    assert ct93.met is False and ct93.outcome is Outcome.NOT_MET
    # CT9.4: 13 sessions over last period's 10: 130% ≥ 110%, a target above 100%.
    ct94 = by_code["CT9.4"]
    assert (ct94.value, ct94.met) == (Fraction(13, 10), True)


def test_the_guide_sheet_says_the_new_language(tmp_path: Path) -> None:
    wb = load_workbook(write_workbook(sample_data(), tmp_path / "kehoach.xlsx"))
    try:
        text = "\n".join(str(c.value) for r in wb["Hướng dẫn"].iter_rows() for c in r
                         if c.value is not None)
    finally:
        wb.close()
    for said in ("KY_BAT_DAU", "KY_KET_THUC", "HAN_NOP", "HAN_XA", "MONTH(ngày)",
                 "QUARTER(ngày)", "DAYS(ngày sau, ngày trước)", "IF(điều kiện, a, b)",
                 "MIN(a, b, …)", "x IN (a, b, …)", "110%",
                 "Khi = NOT EMPTY(so_da_kiem_tra), Điều kiện = NOT EMPTY(so_co_so)",
                 "decimal", "money", "choice", "Các lựa chọn", "Số chữ số thập phân",
                 "Quy tắc của cả xã (Biểu mẫu xa)", "'xa' (một mình)"):
        assert said in text, said


# --- what the officer reads: counts as counts, decimal and money totals ------------------


@pytest.fixture(scope="module")
def written(merged: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    _, _, c = merged
    return write_report(c, tmp_path_factory.mktemp("other_report") / QUARTER)


def test_a_count_target_reads_as_a_count_in_the_summary(written: Any) -> None:
    data = json.loads(written.summary.read_text(encoding="utf-8"))
    got = {i["code"]: (i["target"], i["target_is_count"], i["target_shown"])
           for i in data["indicators"]}
    assert got["CT9.1"] == (12, True, "≥ 12 buổi")
    assert got["CT9.3"] == (20, True, "≥ 20 ha")
    assert got["CT9.2"] == (0.5, False, "≥ 50%")
    assert got["CT9.4"] == (1.1, False, "≥ 110%")
    assert got["CT1.2"] == (None, False, "")  # a count with no target: no target at all


def test_a_count_target_reads_as_a_count_in_the_word_report(written: Any) -> None:
    doc = docx.Document(str(written.document))
    rows = {r.cells[1].text.split(":")[0]: [c.text for c in r.cells] for r in doc.tables[1].rows}
    # 13 sessions against ≥ 12 buổi; 15,8 ha against ≥ 20 ha: never "1200%".
    assert rows["CT9.1"][2:] == ["13 buổi", "≥ 12 buổi", "Đạt"]
    assert rows["CT9.3"][2:] == ["15,8 ha", "≥ 20 ha", "Không đạt"]
    assert rows["CT9.4"][2:] == ["130,0% (13/10)", "≥ 110%", "Đạt"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "13 buổi, mức cần đạt ≥ 12 buổi" in text
    assert "15,8 ha, mức cần đạt ≥ 20 ha" in text
    assert "1200%" not in text and "2000%" not in text and "1.200%" not in text


def test_the_chart_plots_the_ratios_only(merged: Any, written: Any) -> None:
    plan, _, _ = merged
    wb = load_workbook(written.workbook)
    try:
        ws = wb["Tổng hợp"]
        (chart,) = ws._charts  # type: ignore[attr-defined]
        refs = [s.cat.strRef.f if s.cat.strRef else s.cat.numRef.f for s in chart.series]
        (categories,) = set(refs)
        first, last = categories.rsplit("!", 1)[1].replace("$", "").split(":")
        plotted = [c.value for (c,) in ws[first:last]]
        # The chart's own data: hidden columns beside the indicator table.
        assert ws.column_dimensions[first.rstrip("0123456789")].hidden
        ratios = [i.code for i in plan.indicators if not i.is_count]
        assert plotted == ratios
        assert not {"CT9.1", "CT9.3", "CT1.2"} & set(plotted)
        # The targets plotted are the ratios' own: 110 % for CT9.4, never 12 or 20.
        (values,) = {s.val.numRef.f for s in chart.series[1:]}
        first, last = values.rsplit("!", 1)[1].replace("$", "").split(":")
        assert [c.value for (c,) in ws[first:last]][-1] == pytest.approx(1.1)
    finally:
        wb.close()


def test_decimal_and_money_columns_have_their_totals(written: Any) -> None:
    data = json.loads(written.summary.read_text(encoding="utf-8"))
    # 12,5 + 3,3 ha (T03's is an error); 1.500.000 + 2.000.000 đ (T04's unusable).
    assert data["village_totals"]["dien_tich"] == pytest.approx(15.8)
    assert data["village_totals"]["kinh_phi"] == 3_500_000
    wb = load_workbook(written.workbook)
    try:
        ws = wb["Theo thôn"]
        codes = [c.value for c in ws[5]]
        total = next(r for r in ws.iter_rows() if r[0].value == "Tổng cộng")
        area = total[codes.index("dien_tich")]
        money = total[codes.index("kinh_phi")]
        assert str(area.value).startswith("=SUM(") and area.number_format == "#,##0.0"
        assert str(money.value).startswith("=SUM(") and "đ" in money.number_format
    finally:
        wb.close()
    cached = load_workbook(written.workbook, data_only=True)
    try:
        ws = cached["Theo thôn"]
        codes = [c.value for c in ws[5]]
        total = next(r for r in ws.iter_rows() if r[0].value == "Tổng cộng")
        assert total[codes.index("dien_tich")].value == pytest.approx(15.8)
        assert total[codes.index("kinh_phi")].value == 3_500_000
    finally:
        cached.close()
