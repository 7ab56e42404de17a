"""Issue 16, item 4: rules on the commune as a whole, across forms (Biểu mẫu "xa").

The sample plan declares two (QT12, QT13): the villages' tip-offs passed on to the
police are no more than the police received, and the villages' businesses add up
to the police's count. Each is checked once, at the merge, over the whole roster;
a failed one is a problem record in the report's "Lỗi dữ liệu" sheet and the JSON,
naming the figures compared, with no file or cell. The figures are worked out by
hand from ``tests.merge_data``: every village has cs_tong 1 (T01–T10) or 0 (T11,
T12), so 10 in all, and tb_chuyen_xu_ly 0; CA has ca_cs_tong 10, ca_tb_tiep_nhan 4.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from tests.merge_data import NOW, PERIOD, everyone, inbox, submission, village_values
from tests.plan_samples import PlanData, sample_data
from workbook_tools.consolidation import consolidate
from workbook_tools.errors import PlanError
from workbook_tools.plan import load_sample_plan
from workbook_tools.plan.model import Plan
from workbook_tools.plan.tables import tables_from_mapping
from workbook_tools.plan.validate import validate
from workbook_tools.problems import Problem
from workbook_tools.report.workbook import PROBLEMS_SHEET
from workbook_tools.report.write import write_report


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_sample_plan()


def commune_problems(plan: Plan, **changes: object) -> list[Problem]:
    c = consolidate(plan, PERIOD, inbox(everyone(plan, **changes)), generated_at=NOW)  # type: ignore[arg-type]
    return [p for p in c.problems if p.code.startswith("rule.commune")]


def village(plan: Plan, i: int, **values: object) -> object:
    return submission(plan, f"T{i:02d}", {**village_values(i), **values})  # type: ignore[dict-item]


# --- the plan ----------------------------------------------------------------------------


def test_the_sample_declares_them_on_the_commune(plan: Plan) -> None:
    assert [r.code for r in plan.commune_rules] == ["QT12", "QT13"]
    # No form checks them: they are not on any village's or unit's own list.
    assert not {r.code for e in plan.roster for r in plan.rules_for(e)} & {"QT12", "QT13"}


def with_rule(**rule: object) -> PlanData:
    data = sample_data()
    data["rules"].append(
        {"code": "QT99", "forms": ["xa"], "severity": "warning",
         "message": "Không khớp. Hãy đối chiếu.", **rule}
    )  # fmt: skip
    return data


def plan_problems(data: PlanData) -> list[str]:
    with pytest.raises(PlanError) as caught:
        validate(tables_from_mapping(data, source="test.toml"))
    return [p.message for p in caught.value.problems]


def test_a_commune_rule_may_use_count_and_sum_and_reaches_no_form() -> None:
    data = with_rule(
        when="COUNT(thon: cs_tong > 0) >= 1",
        check="SUM(thon: cs_tong) <= SUM(CA: ca_cs_tong) + COUNT(donvi)",
    )
    plan = validate(tables_from_mapping(data, source="test.toml"))
    assert plan.commune_rules[-1].code == "QT99"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # A field outside COUNT/SUM: which form's value would it be?
        ({"check": "cs_tong <= SUM(CA: ca_cs_tong)"}, "đứng ngoài COUNT/SUM"),
        # A number, not a condition.
        ({"check": "SUM(thon: cs_tong)"}, "quy tắc của cả xã"),
        # The commune with a form beside it.
        ({"forms": ["xa", "thon"], "check": "SUM(thon: cs_tong) >= 0"}, "'xa' một mình"),
        ({"check": "SUM(xom: cs_tong) >= 0"}, "phạm vi nào tên như vậy"),
    ],
)
def test_a_commune_rule_is_checked_like_a_formula(rule: dict, expected: str) -> None:  # type: ignore[type-arg]
    assert any(expected in m for m in plan_problems(with_rule(**rule)))


def test_a_form_rule_still_refuses_sum() -> None:
    data = with_rule(forms=["thon"], check="SUM(thon: cs_tong) >= 0")
    assert any("chỉ dùng trong chỉ tiêu" in m for m in plan_problems(data))


# --- the merge ---------------------------------------------------------------------------


def test_figures_that_add_up_raise_nothing(plan: Plan) -> None:
    # Σ tb_chuyen_xu_ly = 0 ≤ 4; Σ cs_tong = 10 = 10.
    assert commune_problems(plan) == []
    # T01 passes on 4 tip-offs (of 4 received): 4 ≤ 4 still holds.
    assert commune_problems(plan, T01=village(plan, 1, tb_tiep_nhan=4, tb_chuyen_xu_ly=4)) == []


def test_more_tip_offs_passed_on_than_the_police_received(plan: Plan) -> None:
    # T01 passes on 3, T02 passes on 2: 5 > CA's 4.
    found = commune_problems(
        plan,
        T01=village(plan, 1, tb_tiep_nhan=3, tb_chuyen_xu_ly=3),
        T02=village(plan, 2, tb_tiep_nhan=2, tb_chuyen_xu_ly=2),
    )
    assert [(p.code, p.severity, p.file, p.cell, p.unit) for p in found] == [
        ("rule.commune_failed", "warning", None, None, None)
    ]
    message = found[0].message
    assert "SUM(thon: tb_chuyen_xu_ly) = 5; SUM(CA: ca_tb_tiep_nhan) = 4" in message
    assert "(Quy tắc QT12)" in message and "Hãy đối chiếu" in message


def test_businesses_that_do_not_add_up(plan: Plan) -> None:
    # T11 counts 3 businesses: 13 in the villages, 10 for CA.
    found = commune_problems(plan, T11=village(plan, 11, cs_tong=3))
    assert [p.code for p in found] == ["rule.commune_failed"]
    assert "SUM(thon: cs_tong) = 13; SUM(CA: ca_cs_tong) = 10" in found[0].message
    assert "(Quy tắc QT13)" in found[0].message


def test_a_silent_or_blank_entry_leaves_the_rules_unjudged(plan: Plan) -> None:
    # T05 silent: the villages' sums are not whole; CA's cs count left blank.
    ca = submission(plan, "CA")
    blank = submission(plan, "CA", {k: v for k, v in ca.values.items() if k != "ca_cs_tong"})
    found = commune_problems(plan, T05=None, CA=blank)
    assert [(p.code, p.severity) for p in found] == [("rule.commune_unchecked", "info")] * 2
    qt12, qt13 = found
    assert "QT12" in qt12.message and qt12.message.count("T05") == 1
    assert "QT13" in qt13.message and "T05, CA" in qt13.message


def test_the_report_and_the_summary_carry_it(plan: Plan, tmp_path: Path) -> None:
    subs = everyone(plan, T11=village(plan, 11, cs_tong=3))
    c = consolidate(plan, PERIOD, inbox(subs), generated_at=NOW)
    paths = write_report(c, tmp_path / PERIOD)
    data = json.loads(paths.summary.read_text(encoding="utf-8"))
    (record,) = [p for p in data["problems"] if p["code"] == "rule.commune_failed"]
    assert record["severity"] == "warning"
    assert record["file"] is None and record["cell"] is None and record["unit"] is None
    assert "= 13; SUM(CA: ca_cs_tong) = 10" in record["message"]
    ws = openpyxl.load_workbook(paths.workbook)[PROBLEMS_SHEET]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    (shown,) = [r for r in rows if "rule.commune_failed" in r]
    assert "Cảnh báo" in shown and record["message"] in shown
