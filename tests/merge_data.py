"""Submissions for the consolidation and report tests, built from Python data.

Every village and unit of the 2024 sample plan gets plain, known values
(``village_values``, ``unit_values``); a scenario changes a few of them. The
tests compute what the indicators must be from these values by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from fractions import Fraction

from workbook_tools.inbox.model import (
    IdentifiedBy,
    InboxResult,
    Submission,
    SubmissionStatus,
    Value,
)
from workbook_tools.plan.model import (
    Comparator,
    Field,
    FieldType,
    Indicator,
    Kind,
    Period,
    Plan,
    RosterEntry,
    Settings,
)
from workbook_tools.problems import Problem, Severity

PERIOD = "6T-2024"
ON_TIME = datetime(2024, 6, 10, 8, 30)
LATE = datetime(2024, 6, 16, 14, 0)  # the units' deadline is 15/06/2024
NOW = datetime(2024, 6, 18, 9, 0)
FORMULA_TEXT = '=HYPERLINK("http://x","y")'


def village_values(i: int) -> dict[str, Value]:
    """Village ``i`` (1–12): every village meets CT1.1, CT2.1; 3 of 10 workers reached;
    the businesses and tip-offs add up to CA's (the rules on the commune hold)."""
    return {
        "nguoi_bao_cao": f"Trưởng thôn {i}",
        "dien_thoai": "0912345678",
        "ngay_bao_cao": date(2024, 6, 10),
        "tt_hinh_thuc": 2,
        "tt_so_buoi": 3,
        "tt_luot_nguoi": 100 + i,
        "tt_thuong_xuyen": "Có",
        "tt_loa": i,
        "tt_mang_xa_hoi": 1,
        "ld_tong": 10,
        "ld_duoc_tt": 3,
        "kh_xay_dung": "Có",
        "kh_so_ngay": f"0{i}/KH-T",
        "lg_kt_xh": "Có" if i <= 10 else "Không",
        "lg_an_sinh": "Không",
        "lg_ma_tuy": "Không",
        "lg_hiv": "Không",
        "lg_mua_ban_nguoi": "Không",
        "cs_tong": 1 if i <= 10 else 0,  # 10 in all, as CA's ca_cs_tong
        "tb_tiep_nhan": 0,
        "tb_chuyen_xu_ly": 0,
        "mh_trien_khai": "Có" if i == 1 else "Không",
        "mh_ten": "Mô hình thôn an toàn" if i == 1 else "",
        "kho_khan": FORMULA_TEXT if i == 1 else ("Thiếu kinh phí tuyên truyền" if i == 2 else ""),
        "de_xuat": "Đề nghị hỗ trợ loa truyền thanh" if i == 2 else "",
    }


UNIT_SPECIFIC: dict[str, dict[str, Value]] = {
    "VHXH": {
        "vh_thang_co_tin": 6,
        "vh_tin_bai_ttdt": 4,
        "vh_phat_thanh_xa": 12,
        "vh_doan_lien_nganh": "Có",
        "vh_qd_so": "15/QĐ-UBND",
        "vh_qd_ngay": date(2024, 3, 15),
    },
    "CA": {
        "ca_cs_tong": 10,
        "ca_cs_kiem_tra": 3,
        "ca_cs_vi_pham": 0,
        "ca_tb_tiep_nhan": 4,
        "ca_tb_xu_ly": 4,
        "ca_vu_an": 0,
        "ca_xu_phat_hc": 0,
    },
    "HLHPN": {"pn_ho_tro_viec_lam": 5, "pn_hoa_nhap": 0},
    "THCS": {"th_hoc_sinh_tt": 300},
    "TH": {"th_hoc_sinh_tt": 250},
    "MN": {"th_hoc_sinh_tt": 80},
}


def unit_values(plan: Plan, code: str) -> dict[str, Value]:
    """Unit ``code``: built its plan; leads its tasks to completion, supports the others."""
    values: dict[str, Value] = {
        "nguoi_bao_cao": f"Cán bộ {code}",
        "ngay_bao_cao": date(2024, 6, 11),
        "dv_ke_hoach": "Có",
        "dv_tt_so_buoi": 2,
        "dv_tt_luot_nguoi": 50,
        **UNIT_SPECIFIC.get(code, {}),
    }
    for task in plan.tasks_for(plan.entry(code)):
        lead = task.lead == code
        values[task.status_field] = "Hoàn thành" if lead else "Đang thực hiện"
        values[task.result_field] = f"{code} đã thực hiện nhiệm vụ {task.code}"
    return values


def submission(
    plan: Plan,
    code: str,
    values: Mapping[str, Value] | None = None,
    *,
    arrived: datetime = ON_TIME,
    status: SubmissionStatus = SubmissionStatus.USED,
    unusable: Iterable[str] = (),
    file: str | None = None,
) -> Submission:
    """A submission of ``code``; values not on its form are dropped, unusable ones removed."""
    entry = plan.entry(code)
    if values is None:
        values = (
            village_values(int(code[1:])) if entry.kind is Kind.VILLAGE else unit_values(plan, code)
        )
    own = {f.code for f in plan.fields_for(entry)}
    bad = set(unusable)
    kept = {k: v for k, v in values.items() if k in own and k not in bad and v != ""}
    return Submission(
        file=file or f"{code}_{arrived:%m%d}.xlsx",
        sha256=f"{code}-{arrived:%m%d%H%M}",
        arrived=arrived,
        status=status,
        unit=code,
        period=PERIOD,
        identified_by=IdentifiedBy.METADATA,
        on_time=arrived.date() <= date(2024, 6, 15),
        values=kept,
        unusable=bad,
        cells={k: f"Biểu mẫu!C{10 + i}" for i, k in enumerate(sorted(own))},
    )


def everyone(plan: Plan, **changes: Submission | None) -> list[Submission]:
    """A submission from every roster entry; ``changes`` replaces (or, with None, drops) some."""
    out = []
    for entry in plan.roster:
        if entry.code in changes:
            replaced = changes[entry.code]
            if replaced is not None:
                out.append(replaced)
            continue
        out.append(submission(plan, entry.code))
    return out


def value_error(code: str, field: str, value: str, cell: str = "C12") -> Problem:
    """A problem record as the checks step hands it on: a value that is not a number."""
    return Problem(
        code="form.value_type",
        severity=Severity.ERROR,
        message=f"Ô {cell}: '{value}' không phải là số nguyên. Hãy nhập một số nguyên ≥ 0.",
        file=f"{code}_0610.xlsx",
        unit=code,
        sheet="Biểu mẫu",
        cell=cell,
        field=field,
        value=value,
    )


def inbox(submissions: list[Submission], problems: Iterable[Problem] = ()) -> InboxResult:
    return InboxResult(period=PERIOD, submissions=submissions, problems=list(problems))


# --- a small plan for the ratio edge cases ------------------------------------------


def ratio_plan(target: Fraction, comparator: Comparator = Comparator.AT_LEAST) -> Plan:
    """Two villages and one unit; one indicator SUM(a) / SUM(b) against ``target``."""
    settings = Settings(
        plan_id="TEST-2024",
        version="1",
        year=2024,
        commune="Thử",
        district="",
        province="Thanh Hóa",
        report_to="UBND tỉnh",
        plan_number="1/KH-UBND",
        plan_date=None,
        plan_title="Kế hoạch thử",
        report_title="Báo cáo thử",
        signer_title="CHỦ TỊCH",
        signer_name="Người Ký",
    )
    period = Period(
        code=PERIOD,
        name="Báo cáo 6 tháng đầu năm 2024",
        months=6,
        start=date(2024, 1, 1),
        end=date(2024, 6, 30),
        unit_deadline=date(2024, 6, 15),
        commune_deadline=date(2024, 6, 20),
    )
    roster = (
        RosterEntry("A1", Kind.VILLAGE, "Thôn A1"),
        RosterEntry("A2", Kind.VILLAGE, "Thôn A2"),
        RosterEntry("DV", Kind.UNIT, "Đơn vị DV"),
    )
    fields = (
        Field("a", ("thon",), "1. Số liệu", "Phần", FieldType.INT),
        Field("b", ("thon",), "1. Số liệu", "Tổng", FieldType.INT),
        Field("gop_y", ("tatca",), "9. Góp ý của thôn, đơn vị", "Góp ý", FieldType.TEXT),
    )
    indicator = Indicator(
        code="X1",
        section="II.1",
        text="Tỉ lệ phần trên tổng",
        numerator="SUM(thon: a)",
        denominator="SUM(thon: b)",
        target=target,
        comparator=comparator,
        unit_label="người",
    )
    return Plan(
        settings=settings,
        periods=(period,),
        roster=roster,
        tasks=(),
        fields=fields,
        rules=(),
        indicators=(indicator,),
    )


def ratio_submissions(plan: Plan, parts: Mapping[str, tuple[int, int]]) -> list[Submission]:
    """Village ``code`` reports ``a, b = parts[code]``."""
    return [
        submission(plan, code, {"a": a, "b": b}, file=f"{code}.xlsx")
        for code, (a, b) in parts.items()
    ]
