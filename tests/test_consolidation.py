"""The consolidation of the 2024 sample plan, against indicators computed by hand.

Each scenario starts from the values in ``merge_data`` (every village and unit
reporting plain, known figures) and changes a few; the expected indicators are
worked out in the test from those figures, not with the library.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.merge_data import (
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
from workbook_tools.consolidation import (
    Consolidation,
    IndicatorResult,
    Outcome,
    ReportingStatus,
    TaskRole,
    consolidate,
    opinion_fields,
)
from workbook_tools.errors import UnknownPeriodError
from workbook_tools.inbox.model import Submission, SubmissionStatus
from workbook_tools.numbers import percent_text
from workbook_tools.plan import load_sample_plan
from workbook_tools.plan.model import Comparator, Plan
from workbook_tools.problems import Problem, Severity

VILLAGES = [f"T{i:02d}" for i in range(1, 13)]
UNITS = ["VHXH", "CA", "VP", "MTTQ", "HLHPN", "DTN", "CDX", "THCS", "TH", "MN"]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_sample_plan()


def run(
    plan: Plan, submissions: list[Submission], problems: tuple[Problem, ...] = ()
) -> Consolidation:
    return consolidate(plan, PERIOD, inbox(submissions, problems), generated_at=NOW)


def by_code(c: Consolidation) -> dict[str, IndicatorResult]:
    return {r.code: r for r in c.indicators}


def check(
    result: IndicatorResult,
    numerator: int,
    denominator: int | None,
    met: bool | None,
    outcome: Outcome,
) -> None:
    assert (result.numerator, result.denominator) == (numerator, denominator)
    expected_value = None if denominator in (None, 0) else Fraction(numerator, denominator)
    assert result.value == expected_value
    assert result.met is met
    assert result.outcome is outcome


def test_everyone_reports(plan: Plan) -> None:
    r = by_code(run(plan, everyone(plan)))
    values = [village_values(i) for i in range(1, 13)]
    # Every village: 2 forms of awareness-raising, kept up regularly.
    check(r["CT1.1"], 12, 12, True, Outcome.MET)
    # A count of every channel the plan names: the village radio 1 + 2 + … + 12 = 78,
    # one social-network post per village 12, the commune radio's 12 and its 4 web posts.
    check(r["CT1.2"], 78 + 12 + 12 + 4, None, None, Outcome.NO_TARGET)
    assert sum(v["tt_loa"] for v in values) == 78  # type: ignore[misc]
    # 3 of 10 workers reached in each village: 36 / 120, exactly the 30 % target.
    check(r["CT1.3"], 36, 120, True, Outcome.MET)
    check(r["CT1.4"], 6, 6, True, Outcome.MET)
    check(r["CT2.1"], 12, 12, True, Outcome.MET)
    # lg_kt_xh = Có in villages 1–10: 10/12 = 83.3 % ≥ 80 %.
    check(r["CT2.2"], 10, 12, True, Outcome.MET)
    check(r["CT3.1"], 4, 4, True, Outcome.MET)
    check(r["CT3.2"], 3, 10, True, Outcome.MET)
    # The team was set up on 15/03/2024, within Quarter I.
    check(r["CT3.3"], 1, 1, True, Outcome.MET)
    # One village of twelve has a pilot model: 8.3 % < 10 %.
    check(r["CT4.1"], 1, 12, False, Outcome.NOT_MET)
    check(r["CT5.1"], 10, 10, True, Outcome.MET)
    assert r["CT1.1"].note == "12/12 thôn đã báo cáo"
    assert r["CT1.2"].note == "12/12 thôn đã báo cáo; 1/1 đơn vị đã báo cáo"


def test_some_missing_late_and_an_error_value(plan: Plan) -> None:
    t05 = submission(plan, "T05", unusable={"tt_hinh_thuc"})
    subs = everyone(
        plan,
        T07=None,
        T09=None,
        DTN=None,
        T03=submission(plan, "T03", arrived=LATE),
        CA=submission(plan, "CA", arrived=LATE),
        T05=t05,
    )
    c = run(plan, subs, (value_error("T05", "tt_hinh_thuc", "hai"),))
    r = by_code(c)
    # T07 and T09 did not report and count as not meeting; T05's value is in error.
    check(r["CT1.1"], 9, 12, False, Outcome.NOT_MET)
    assert r["CT1.1"].reported == tuple(v for v in VILLAGES if v not in ("T07", "T09"))
    assert r["CT1.1"].excluded == ("T05",)
    assert r["CT1.1"].note == (
        "10/12 thôn đã báo cáo (chưa báo cáo: Thôn 7, Thôn 9); "
        "1 thôn có số liệu lỗi không được tính (Thôn 5); "
        "nơi chưa báo cáo, để trống hay có lỗi được tính là chưa đạt điều kiện"
    )
    # Ten villages' radio (78 - 7 - 9) and posts (10), the commune's 12 and 4.
    check(r["CT1.2"], 78 - 7 - 9 + 10 + 12 + 4, None, None, Outcome.NO_TARGET)
    # Ten villages × 3/10: still exactly 30 %.
    check(r["CT1.3"], 30, 100, True, Outcome.MET)
    check(r["CT2.1"], 10, 12, False, Outcome.NOT_MET)
    # lg_kt_xh = Có in villages 1–10 except the missing 7 and 9.
    check(r["CT2.2"], 8, 12, False, Outcome.NOT_MET)
    check(r["CT5.1"], 9, 10, False, Outcome.NOT_MET)
    assert "chưa báo cáo: Đoàn Thanh niên Cộng sản Hồ Chí Minh xã" in r["CT5.1"].note

    done = c.completeness
    assert (done.expected, done.received, done.on_time) == (22, 19, 17)
    assert done.missing == ("T07", "T09", "DTN")
    assert done.late == ("T03", "CA")
    t05_row = next(e for e in done.entries if e.entry.code == "T05")
    assert (t05_row.errors, t05_row.warnings) == (1, 0)
    kinds = {k.kind.value: k for k in done.by_kind()}
    assert (kinds["thon"].expected, kinds["thon"].received, kinds["thon"].late) == (12, 10, 1)
    assert (kinds["donvi"].expected, kinds["donvi"].missing) == (10, 1)

    # The tables: every roster entry is a row; nothing where nothing usable came.
    assert list(c.villages.index) == VILLAGES
    assert list(c.units.index) == UNITS
    assert c.villages["tt_hinh_thuc"].isna().tolist() == [
        v in ("T05", "T07", "T09") for v in VILLAGES
    ]
    assert c.villages.at["T08", "tt_loa"] == 8
    assert c.errors == {"T05": frozenset({"tt_hinh_thuc"})}
    assert c.village_totals["tt_loa"] == 78 - 7 - 9
    assert c.village_totals["kh_xay_dung"] == 10  # villages answering Có
    assert c.unit_totals["dv_tt_so_buoi"] == 2 * 9


def test_first_arrival_decides_timeliness(plan: Plan) -> None:
    """DHIS2's rule: a report that first came on time stays on time when corrected late."""
    first = submission(plan, "T01", arrived=ON_TIME, status=SubmissionStatus.SUPERSEDED)
    first.superseded_by = "T01_0617.xlsx"
    fixed = submission(plan, "T01", arrived=LATE.replace(day=17), file="T01_0617.xlsx")
    c = run(plan, [first, fixed, *everyone(plan, T01=None)])
    row = c.completeness.entries[0]
    assert row.status is ReportingStatus.ON_TIME
    assert (row.file, row.first_arrival, row.used_arrival) == (
        "T01_0617.xlsx",
        ON_TIME,
        fixed.arrived,
    )
    assert row.superseded == (first.file,)


def test_zero_denominators_are_not_arisen(plan: Plan) -> None:
    villages = {
        f"T{i:02d}": submission(
            plan, f"T{i:02d}", {**village_values(i), "ld_tong": 0, "ld_duoc_tt": 0}
        )
        for i in range(1, 13)
    }
    ca = submission(plan, "CA", {**unit_values(plan, "CA"), "ca_tb_tiep_nhan": 0, "ca_tb_xu_ly": 0})
    r = by_code(run(plan, everyone(plan, CA=ca, **villages)))
    check(r["CT1.3"], 0, 0, None, Outcome.NOT_ARISEN)
    check(r["CT3.1"], 0, 0, None, Outcome.NOT_ARISEN)
    assert r["CT3.1"].note == (
        "12/12 thôn đã báo cáo; 1/1 đơn vị đã báo cáo; mẫu số bằng 0: không phát sinh"
    )


def test_a_unit_that_did_not_report_is_no_data_not_nothing_arose(plan: Plan) -> None:
    r = by_code(run(plan, everyone(plan, CA=None, VHXH=None)))
    # SUM over nobody is 0/0, but nobody said nothing arose: not met, for lack of data.
    for code in ("CT3.1", "CT3.2"):
        assert (r[code].numerator, r[code].denominator) == (0, 0)
        assert (r[code].outcome, r[code].met, r[code].value) == (Outcome.NO_DATA, False, None)
    assert r["CT3.1"].note == (
        "12/12 thôn đã báo cáo; 0/1 đơn vị đã báo cáo (chưa báo cáo: Công an xã); "
        "chưa có số liệu để tính"
    )
    # Against a fixed denominator (the period's 6 months, the roster) the missing unit
    # simply does not meet the target.
    check(r["CT1.4"], 0, 6, False, Outcome.NOT_MET)
    check(r["CT3.3"], 0, 1, False, Outcome.NOT_MET)
    assert r["CT3.3"].note == (
        "0/1 đơn vị đã báo cáo (chưa báo cáo: Bộ phận Văn hóa - Xã hội); "
        "nơi chưa báo cáo, để trống hay có lỗi được tính là chưa đạt điều kiện"
    )


def test_just_below_a_target_is_not_met_though_it_displays_as_the_target(plan: Plan) -> None:
    ca = submission(
        plan, "CA", {**unit_values(plan, "CA"), "ca_tb_tiep_nhan": 2375, "ca_tb_xu_ly": 2374}
    )
    r = by_code(run(plan, everyone(plan, CA=ca)))["CT3.1"]
    check(r, 2374, 2375, False, Outcome.NOT_MET)
    assert percent_text(Fraction(2374, 2375)) == "100,0%"  # what a reader sees
    assert r.note == (
        "12/12 thôn đã báo cáo; 1/1 đơn vị đã báo cáo; "
        "tỉ lệ chính xác 99,96%, chưa đạt mức 100,00%"
    )


@pytest.mark.parametrize(
    ("a", "b", "met"),
    [
        ((4748, 4748), (5000, 5000), False),  # 9496/10000 = 94.96 %, shown 95,0 %
        ((4748, 4752), (5000, 5000), True),  # exactly 95 %
        ((1, 0), (1, 0), True),  # 100 % (a village with b = 0 adds nothing)
    ],
)
def test_target_compared_on_the_exact_fraction(
    a: tuple[int, int], b: tuple[int, int], met: bool
) -> None:
    small = ratio_plan(Fraction(95, 100))
    subs = ratio_submissions(small, {"A1": (a[0], b[0]), "A2": (a[1], b[1])})
    r = by_code(run(small, subs))["X1"]
    assert r.value == Fraction(sum(a), sum(b))
    assert r.met is met
    assert r.outcome is (Outcome.MET if met else Outcome.NOT_MET)


def test_at_most_comparator() -> None:
    small = ratio_plan(Fraction(5, 100), Comparator.AT_MOST)
    low = by_code(run(small, ratio_submissions(small, {"A1": (5, 100)})))["X1"]
    high = by_code(run(small, ratio_submissions(small, {"A1": (6, 100)})))["X1"]
    assert (low.met, high.met) == (True, False)
    # A2 did not report; for a SUM that is a missing part, said in the note.
    assert low.note == "1/2 thôn đã báo cáo (chưa báo cáo: Thôn A2)"


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=2, max_size=2),
    percent=st.integers(1, 100),
)
def test_met_matches_the_fraction(parts: list[tuple[int, int]], percent: int) -> None:
    small = ratio_plan(Fraction(percent, 100))
    subs = ratio_submissions(small, {"A1": parts[0], "A2": parts[1]})
    r = by_code(run(small, subs))["X1"]
    numerator = parts[0][0] + parts[1][0]
    denominator = parts[0][1] + parts[1][1]
    if denominator == 0:
        assert (r.outcome, r.met, r.value) == (Outcome.NOT_ARISEN, None, None)
    else:
        assert r.met is (numerator * 100 >= percent * denominator)


def test_inspection_team_after_quarter_one_is_not_met(plan: Plan) -> None:
    vhxh = submission(plan, "VHXH", {**unit_values(plan, "VHXH"), "vh_qd_ngay": date(2024, 4, 2)})
    check(by_code(run(plan, everyone(plan, VHXH=vhxh)))["CT3.3"], 0, 1, False, Outcome.NOT_MET)


def test_task_status_by_unit(plan: Plan) -> None:
    c = run(plan, everyone(plan, DTN=None))
    rows = {(t.task, t.unit): t for t in c.tasks}
    # Every lead and supporting unit of every task has a row.
    assert len(rows) == sum(1 + len(t.support) for t in plan.tasks)
    lead = rows[("1a", "VHXH")]
    assert (lead.role, lead.status, lead.result) == (
        TaskRole.LEAD,
        "Hoàn thành",
        "VHXH đã thực hiện nhiệm vụ 1a",
    )
    assert rows[("1a", "CA")].status == "Đang thực hiện"
    assert rows[("1a", "DTN")].reported is False
    assert rows[("1a", "DTN")].status is None


def test_opinions_are_found_from_the_plan_not_by_name(plan: Plan) -> None:
    assert [f.code for f in opinion_fields(plan)] == ["kho_khan", "de_xuat"]
    small = ratio_plan(Fraction(1, 2))
    assert [f.code for f in opinion_fields(small)] == ["gop_y"]
    c = run(plan, everyone(plan))
    assert [(o.unit, o.texts) for o in c.opinions] == [
        ("T01", (("kho_khan", '=HYPERLINK("http://x","y")'),)),
        (
            "T02",
            (
                ("kho_khan", "Thiếu kinh phí tuyên truyền"),
                ("de_xuat", "Đề nghị hỗ trợ loa truyền thanh"),
            ),
        ),
    ]


def test_problems_errors_first_in_roster_order(plan: Plan) -> None:
    warning = Problem("form.warning", Severity.WARNING, "Cảnh báo", unit="T01")
    errors = (value_error("T09", "ld_tong", "x"), value_error("T02", "ld_tong", "y"))
    c = run(plan, everyone(plan), (warning, *errors))
    assert [(p.unit, p.severity) for p in c.problems] == [
        ("T02", Severity.ERROR),
        ("T09", Severity.ERROR),
        ("T01", Severity.WARNING),
    ]


def test_unknown_period_says_which_exist(plan: Plan) -> None:
    with pytest.raises(UnknownPeriodError, match="Các kỳ có trong kế hoạch: 6T-2024, CN-2024"):
        consolidate(plan, "Q3-2024", inbox([]), generated_at=NOW)


def test_empty_inbox(plan: Plan) -> None:
    c = run(plan, [])
    r = by_code(c)
    assert c.completeness.received == 0
    # Villages that did not report do not meet a village condition.
    check(r["CT1.1"], 0, 12, False, Outcome.NOT_MET)
    assert r["CT1.3"].outcome is Outcome.NO_DATA
    assert r["CT1.2"].outcome is Outcome.NO_TARGET
    assert bool(pd.isna(c.villages).all().all())
