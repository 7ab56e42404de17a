"""Issue 16: the indicators mean what the plan means.

Each test builds the returned forms (in memory with ``merge_data``, or real
forms with ``inbox_forms`` run through ``wbt``), works out by hand in its
comments what the plan's indicator must be, and reads what the officer sees:
the JSON summary, the report workbook, the terminal.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from click.testing import CliRunner

from tests.inbox_forms import filled, form_name, put
from tests.merge_data import (
    NOW,
    PERIOD,
    everyone,
    inbox,
    ratio_plan,
    submission,
    unit_values,
    village_values,
)
from workbook_tools.cli import cli
from workbook_tools.consolidation import Consolidation, consolidate
from workbook_tools.plan import load_sample_plan
from workbook_tools.plan.model import Comparator, Indicator, Kind, Plan, RosterEntry
from workbook_tools.report.summary import build_summary

VILLAGES = [f"T{i:02d}" for i in range(1, 13)]
CA_FIGURES = ("ca_cs_tong", "ca_cs_kiem_tra", "ca_cs_vi_pham", "ca_tb_tiep_nhan", "ca_tb_xu_ly")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_sample_plan()


def summary_of(plan: Plan, subs: list, now: datetime = NOW) -> dict:  # type: ignore[type-arg]
    c: Consolidation = consolidate(plan, PERIOD, inbox(subs), generated_at=now)
    return build_summary(c)


def indicators(data: dict) -> dict:  # type: ignore[type-arg]
    return {i["code"]: i for i in data["indicators"]}


def shown(row: dict) -> tuple:  # type: ignore[type-arg]
    return (row["numerator"], row["denominator"], row["outcome_label"], row["met"])


# --- 1. a blank is not a zero -----------------------------------------------------------


def test_blank_figures_are_no_data_not_nothing_arose(plan: Plan) -> None:
    # CA sends its form with its five figures blank; every village leaves ld_tong and
    # ld_duoc_tt blank. Villages typed tb_tiep_nhan = tb_chuyen_xu_ly = 0.
    ca = {k: v for k, v in unit_values(plan, "CA").items() if k not in CA_FIGURES}
    villages = {
        code: submission(
            plan,
            code,
            {k: v for k, v in village_values(i).items() if k not in ("ld_tong", "ld_duoc_tt")},
        )
        for i, code in enumerate(VILLAGES, start=1)
    }
    data = summary_of(plan, everyone(plan, CA=submission(plan, "CA", ca), **villages))
    got = indicators(data)
    # CT3.2 = ca_cs_kiem_tra / ca_cs_tong = blank / blank: 0/0 with nobody typing a zero.
    # CT3.1 = ca_tb_xu_ly / (ca_tb_tiep_nhan + 0 - 0): 0/0 again, CA's two cells blank.
    # CT1.3 = Σ ld_duoc_tt / Σ ld_tong: 0/0, twelve villages blank.
    for code in ("CT3.1", "CT3.2", "CT1.3"):
        assert shown(got[code]) == (0, 0, "Không đạt (chưa có số liệu)", False), code
        assert got[code]["outcome"] == "chua_co_so_lieu"
    assert got["CT3.2"]["blank_units"] == {"CA": ["ca_cs_tong", "ca_cs_kiem_tra"]}
    assert (
        '1 đơn vị để trống ô cần cho chỉ tiêu (Công an xã: "Số tin báo, tố giác, phản ánh'
        ' vi phạm pháp luật về phòng, chống mại dâm đã tiếp nhận", "Số tin báo đã được xác'
        ' minh, phân loại, xử lý kịp thời")'
        in (got["CT3.1"]["note"])
    )
    # One warning per unit and indicator, naming the cells.
    warned = [
        p for p in data["problems"] if p["code"] == "indicator.no_data_blank" and p["unit"] == "CA"
    ]
    assert len(warned) == 2 and {p["severity"] for p in warned} == {"warning"}
    ct32 = next(p for p in warned if "CT3.2" in p["message"])
    assert ct32["field"] == "ca_cs_tong"
    assert "Biểu mẫu!C" in ct32["message"] and "(ca_cs_kiem_tra)" in ct32["message"]
    blank_villages = {
        p["unit"] for p in data["problems"] if p["code"] == "indicator.no_data_blank"
    } - {"CA"}
    assert blank_villages == set(VILLAGES)


def test_real_zeros_typed_by_everyone_are_nothing_arose(plan: Plan) -> None:
    # The same, every figure typed as 0: 0/0 is "Không phát sinh", met null, no warning.
    ca = {**unit_values(plan, "CA"), **dict.fromkeys(CA_FIGURES, 0)}
    data = summary_of(plan, everyone(plan, CA=submission(plan, "CA", ca)))
    got = indicators(data)
    for code in ("CT3.1", "CT3.2"):
        assert shown(got[code]) == (0, 0, "Không phát sinh", None), code
    assert not [p for p in data["problems"] if p["code"].startswith("indicator.")]


def test_a_blank_yes_no_in_a_condition_is_named_not_counted_as_no(plan: Plan) -> None:
    # T03 did 2 forms of awareness-raising but left "kept up regularly" blank: the
    # condition tt_hinh_thuc >= 1 AND tt_thuong_xuyen = "Có" is unknown for T03.
    # CT1.1 = 11/12 = 91.7 % < 95 %: not met, and the note names the blank.
    t03 = {k: v for k, v in village_values(3).items() if k != "tt_thuong_xuyen"}
    got = indicators(summary_of(plan, everyone(plan, T03=submission(plan, "T03", t03))))
    assert shown(got["CT1.1"]) == (11, 12, "Không đạt", False)
    # The note names the village and the cell as the officer knows them, not their codes.
    assert "1 thôn để trống ô cần cho chỉ tiêu (Thôn 3: " in got["CT1.1"]["note"]
    assert "tt_thuong_xuyen" not in got["CT1.1"]["note"]
    assert "được tính là chưa đạt điều kiện" in got["CT1.1"]["note"]
    # T01 with no form of awareness-raising (0) and the same blank: decided (0 >= 1 is
    # false whatever the blank holds): no blank to name.
    t01 = {**village_values(1), "tt_hinh_thuc": 0}
    del t01["tt_thuong_xuyen"]
    got = indicators(summary_of(plan, everyone(plan, T01=submission(plan, "T01", t01))))
    assert shown(got["CT1.1"]) == (11, 12, "Không đạt", False)
    assert "để trống" not in got["CT1.1"]["note"]


# --- 2. missing data never helps the commune -------------------------------------------


def hot_spot_plan(comparator: Comparator, target: Fraction) -> Plan:
    """Eight villages; the share of villages with a hot spot (a >= 1) against ``target``."""
    small = ratio_plan(target, comparator)
    roster = tuple(RosterEntry(f"A{i}", Kind.VILLAGE, f"Thôn A{i}") for i in range(1, 9))
    indicator = Indicator(
        code="X2",
        section="II.9",
        text="Không quá 5% số thôn có điểm nóng",
        numerator="COUNT(thon: a >= 1)",
        denominator="COUNT(thon)",
        target=target,
        comparator=comparator,
        unit_label="thôn",
    )
    return dataclasses.replace(small, roster=roster, indicators=(indicator,))


def test_silent_villages_count_against_an_at_most_target() -> None:
    small = hot_spot_plan(Comparator.AT_MOST, Fraction(5, 100))
    # One village of eight reports, no hot spot. Before: 0/8 → Đạt. Now the seven
    # silent villages count as having one: 7/8 = 87.5 % > 5 % → Không đạt.
    one = [submission(small, "A1", {"a": 0, "b": 1})]
    assert shown(indicators(summary_of(small, one))["X2"]) == (7, 8, "Không đạt", False)
    # All eight report 0: 0/8 = 0 % ≤ 5 % → Đạt.
    all_zero = [submission(small, f"A{i}", {"a": 0, "b": 1}) for i in range(1, 9)]
    assert shown(indicators(summary_of(small, all_zero))["X2"]) == (0, 8, "Đạt", True)
    # Seven report 0, A8 reports with a blank: 1/8 = 12.5 % > 5 % → Không đạt, A8 named.
    blank = [*all_zero[:7], submission(small, "A8", {"b": 1})]
    row = indicators(summary_of(small, blank))["X2"]
    assert shown(row) == (1, 8, "Không đạt", False)
    assert "Thôn A8: \"Phần\"" in row["note"] and "được tính là có điều kiện" in row["note"]


def test_silent_villages_count_against_an_at_least_target() -> None:
    small = hot_spot_plan(Comparator.AT_LEAST, Fraction(50, 100))
    # The same count against "at least 50 %": silent and blank villages do not meet it.
    # A1..A3 report a = 1, A4 blank, the others silent: 3/8 = 37.5 % < 50 %.
    subs = [submission(small, f"A{i}", {"a": 1, "b": 1}) for i in range(1, 4)]
    subs.append(submission(small, "A4", {"b": 1}))
    row = indicators(summary_of(small, subs))["X2"]
    assert shown(row) == (3, 8, "Không đạt", False)
    assert "được tính là chưa đạt điều kiện" in row["note"]


# --- 4. CT3.1 counts every tip-off -------------------------------------------------------


def test_tip_offs_a_village_did_not_pass_on_were_not_handled(plan: Plan) -> None:
    # T01 took 10 tip-offs and passed none on; T02 took 4 and left "passed on" blank
    # (not shown passed on: all 4 unhandled). CA received 3 and handled 3.
    # CT3.1 = 3 / (3 + (10 + 4) − 0) = 3/17 = 17.6 % < 100 %: not met (was 3/3 Đạt).
    t01 = {**village_values(1), "tb_tiep_nhan": 10, "tb_chuyen_xu_ly": 0}
    t02 = {k: v for k, v in village_values(2).items() if k != "tb_chuyen_xu_ly"}
    t02["tb_tiep_nhan"] = 4
    ca = {**unit_values(plan, "CA"), "ca_tb_tiep_nhan": 3, "ca_tb_xu_ly": 3}
    subs = everyone(
        plan,
        T01=submission(plan, "T01", t01),
        T02=submission(plan, "T02", t02),
        CA=submission(plan, "CA", ca),
    )
    row = indicators(summary_of(plan, subs))["CT3.1"]
    assert shown(row) == (3, 17, "Không đạt", False)
    assert row["value_exact"] == "3/17"
    assert "Thôn 2: \"Số tin báo đó đã chuyển Công an xã xử lý\"" in row["note"]
    # Every tip-off a village took passed on to CA, who handled all: 5/(5 + 2 − 2) = 100 %.
    t01 = {**village_values(1), "tb_tiep_nhan": 2, "tb_chuyen_xu_ly": 2}
    ca = {**unit_values(plan, "CA"), "ca_tb_tiep_nhan": 5, "ca_tb_xu_ly": 5}
    subs = everyone(plan, T01=submission(plan, "T01", t01), CA=submission(plan, "CA", ca))
    assert shown(indicators(summary_of(plan, subs))["CT3.1"]) == (5, 5, "Đạt", True)


# --- 5. CT3.3 within its quarter ------------------------------------------------------------


@pytest.mark.parametrize(
    ("decided", "met"),
    [
        (date(2023, 5, 15), False),  # the year before: was Đạt
        (date(2023, 12, 31), False),
        (date(2024, 1, 1), True),
        (date(2024, 3, 31), True),
        (date(2024, 4, 1), False),
    ],
)
def test_inspection_team_set_up_within_quarter_one(plan: Plan, decided: date, met: bool) -> None:
    # CT3.3: 01/01/2024 ≤ vh_qd_ngay ≤ 31/03/2024, one VHXH: 1/1 or 0/1.
    vhxh = {**unit_values(plan, "VHXH"), "vh_qd_ngay": decided}
    row = indicators(summary_of(plan, everyone(plan, VHXH=submission(plan, "VHXH", vhxh))))
    assert shown(row["CT3.3"]) == (int(met), 1, "Đạt" if met else "Không đạt", met)


def test_inspection_team_without_a_date_is_named(plan: Plan) -> None:
    # "Có" with the decision's date blank: unknown, not met, and named.
    vhxh = {k: v for k, v in unit_values(plan, "VHXH").items() if k != "vh_qd_ngay"}
    row = indicators(summary_of(plan, everyone(plan, VHXH=submission(plan, "VHXH", vhxh))))
    assert shown(row["CT3.3"]) == (0, 1, "Không đạt", False)
    assert "Bộ phận Văn hóa - Xã hội: \"Ngày quyết định kiện toàn\"" in row["CT3.3"]["note"]


# --- 6. CT1.2 counts every channel the plan names ---------------------------------------


def test_every_channel_is_counted(plan: Plan) -> None:
    fields = {f.code for f in plan.all_fields}
    assert {"tt_loa", "tt_mang_xa_hoi", "vh_phat_thanh_xa", "vh_tin_bai_ttdt"} <= fields
    # Villages i = 1..12: tt_loa = i (78), tt_mang_xa_hoi = 1 (12); T12 silent (−12, −1).
    # VHXH: radio 12, web 4. CT1.2 = 66 + 11 + 12 + 4 = 93, a count with no target.
    row = indicators(summary_of(plan, everyone(plan, T12=None)))["CT1.2"]
    assert shown(row) == (93, None, "Không có chỉ tiêu", None)
    assert row["value"] is None and row["target"] is None


# --- 7. the commune's own deadline -----------------------------------------------------------


def test_commune_deadline_in_the_summary(plan: Plan) -> None:
    # Run at 18/06/2024 (Việt Nam time): 20/06/2024 − 18/06/2024 = 2 days left.
    today = NOW.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    data = summary_of(plan, everyone(plan))
    assert data["commune_deadline"] == "2024-06-20"
    assert data["commune_deadline_days_left"] == (date(2024, 6, 20) - today).days
    late = summary_of(plan, everyone(plan), now=datetime(2024, 7, 1, 12, 0))
    assert late["commune_deadline_days_left"] < 0  # 11 days overdue, in Việt Nam's day
    # The contract's keys are all still there.
    assert {"plan", "period", "indicators", "completeness", "submissions", "problems"} <= set(data)


def test_commune_deadline_and_blanks_through_wbt(tmp_path: Path) -> None:
    # Real forms: CA returns its form with the five figures blank, T01 returns a full form.
    root = tmp_path / "xa"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    box = root / "inbox"
    plan = load_sample_plan()
    ca = {k: v for k, v in unit_values(plan, "CA").items() if k not in CA_FIGURES}
    ca["ngay_bao_cao"] = "11/06/2024"
    put(box, form_name("CA"), filled("CA", ca), datetime(2024, 6, 11, 9, 0))
    t01 = {**village_values(1), "ngay_bao_cao": "10/06/2024"}
    put(box, form_name("T01"), filled("T01", t01), datetime(2024, 6, 10, 9, 0))

    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    left = (date(2024, 6, 20) - today).days
    words = f"còn {left} ngày" if left > 0 else f"đã quá hạn {-left} ngày"
    line = f"Hạn xã gửi báo cáo tổng hợp: 20/06/2024 ({words})"

    status = runner.invoke(cli, ["status", "--period", PERIOD, "--dir", str(root)])
    assert status.exit_code == 0, status.output
    assert line in status.output.splitlines()[0]

    merged = runner.invoke(cli, ["merge", "--period", PERIOD, "--dir", str(root)])
    assert merged.exit_code == 0, merged.output
    assert line + "." in merged.output
    # CT3.2: CA's figures blank: 0/0, not "Không phát sinh".
    assert "CT3.2   0 / chỉ tiêu ≥ 30%: Không đạt (chưa có số liệu)" in merged.output

    data = json.loads((root / f"outbox/{PERIOD}/tong_hop_{PERIOD}.json").read_text("utf-8"))
    assert data["commune_deadline_days_left"] == left
    got = indicators(data)
    assert (got["CT3.2"]["outcome"], got["CT3.2"]["met"]) == ("chua_co_so_lieu", False)
    warned = [p for p in data["problems"] if p["code"] == "indicator.no_data_blank"]
    assert {(p["unit"], p["field"]) for p in warned if "CT3.2" in p["message"]} == {
        ("CA", "ca_cs_tong")
    }

    book = openpyxl.load_workbook(root / f"outbox/{PERIOD}/BaoCao_TongHop_{PERIOD}.xlsx")
    texts = [str(c.value) for row in book.worksheets[0].iter_rows() for c in row if c.value]
    assert any(line in t for t in texts)
    problems = [str(c.value) for row in book["Lỗi dữ liệu"].iter_rows() for c in row if c.value]
    assert any("Chỉ tiêu CT3.2 chưa có số liệu" in t for t in problems)
