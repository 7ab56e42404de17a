"""The shipped 2024 plan, the plan workbook as the officer sees it, and reading it back."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import unicodedata
from datetime import date
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.worksheet.worksheet import Worksheet

from tests.plan_samples import row, sample_data, write_workbook
from workbook_tools.errors import PlanError
from workbook_tools.plan import load_plan, load_sample_plan
from workbook_tools.plan.model import (
    Comparator,
    FieldType,
    Kind,
    Plan,
    Severity,
)
from workbook_tools.plan.schema import GUIDE_SHEET, SETTINGS, SHEETS
from workbook_tools.plan.tables import normalise, tables_from_mapping
from workbook_tools.plan.validate import validate

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "templates" / "kehoach_2024.xlsx"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_sample_plan()


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plan written by the writer, as ``wbt init`` does."""
    return write_workbook(sample_data(), tmp_path_factory.mktemp("plan") / "kehoach_2024.xlsx")


# --- the shipped plan holds SPEC.md and the plan text ----------------------------------


def test_settings(plan: Plan) -> None:
    s = plan.settings
    assert (s.plan_id, s.version, s.year) == ("PCMD-TienNong-2024", "1", 2024)
    assert (s.commune, s.district, s.province) == ("Tiến Nông", "Triệu Sơn", "Thanh Hóa")
    assert s.report_to == "UBND huyện Triệu Sơn"
    assert (s.plan_number, s.plan_date) == ("…/KH-UBND", None)
    assert s.plan_title == "Kế hoạch phòng, chống mại dâm trên địa bàn xã Tiến Nông năm 2024"
    assert s.report_title == "Báo cáo kết quả thực hiện công tác phòng, chống mại dâm"
    assert (s.signer_title, s.signer_name) == ("CHỦ TỊCH", "Nguyễn Đình Toàn")


def test_periods_and_deadlines(plan: Plan) -> None:
    got = [
        (p.code, p.name, p.months, p.start, p.end, p.unit_deadline, p.commune_deadline)
        for p in plan.periods
    ]
    assert got == [
        (
            "6T-2024",
            "Báo cáo 6 tháng đầu năm 2024",
            6,
            date(2024, 1, 1),
            date(2024, 6, 30),
            date(2024, 6, 15),
            date(2024, 6, 20),
        ),
        (
            "CN-2024",
            "Báo cáo năm 2024",
            12,
            date(2024, 1, 1),
            date(2024, 12, 31),
            date(2024, 12, 15),
            date(2024, 12, 20),
        ),
    ]


UNITS = [
    ("VHXH", "Bộ phận Văn hóa - Xã hội"),
    ("CA", "Công an xã"),
    ("VP", "Văn phòng UBND xã"),
    ("MTTQ", "Ủy ban Mặt trận Tổ quốc xã"),
    ("HLHPN", "Hội Liên hiệp Phụ nữ xã"),
    ("DTN", "Đoàn Thanh niên Cộng sản Hồ Chí Minh xã"),
    ("CDX", "Công đoàn xã"),
    ("THCS", "Trường THCS Tiến Nông"),
    ("TH", "Trường Tiểu học Tiến Nông"),
    ("MN", "Trường Mầm non Tiến Nông"),
]


def test_roster(plan: Plan) -> None:
    assert [(e.code, e.name) for e in plan.villages] == [
        (f"T{i:02d}", f"Thôn {i}") for i in range(1, 13)
    ]
    assert [(e.code, e.name) for e in plan.units] == UNITS
    assert all(e.kind is Kind.VILLAGE for e in plan.villages)
    assert all((e.contact, e.phone) == ("", "") for e in plan.roster)
    # Every entry has its address (in example.org: no mail reaches anyone).
    assert all(e.email == f"{e.code.lower()}.tiennong@example.org" for e in plan.roster)


TASKS = {
    # code: (section, lead, advisors, support, timeframe) — plan II, roles as the plan
    # writes them; None: "Cơ quan chủ trì: UBND xã", the commune, which has no form
    "1a": ("II.1.a", "VHXH", "", "CA VP MTTQ HLHPN DTN CDX THCS TH MN", "Thường xuyên trong năm"),
    "1b": ("II.1.b", "VHXH", "", "CA VP MTTQ HLHPN DTN CDX", "Thường xuyên trong năm"),
    "1c": ("II.1.c", "VHXH", "", "THCS TH MN CDX DTN HLHPN MTTQ", "Thường xuyên trong năm"),
    "2a": ("II.2.a", None, "VHXH HLHPN", "", "Thường xuyên trong năm"),
    "2b": ("II.2.b", None, "VHXH", "", "Thường xuyên trong năm"),
    "3kt": ("II.3", None, "VHXH", "", "Quý I/2024"),
    "3a": ("II.3.a", "CA", "", "VHXH VP", "Thường xuyên trong năm"),
    "3b": ("II.3.b", "CA", "", "VHXH VP MTTQ HLHPN DTN CDX", "Thường xuyên trong năm"),
    "4": ("II.4", None, "", "VHXH HLHPN DTN MTTQ", "Thường xuyên trong năm"),
}


def test_tasks(plan: Plan) -> None:
    got = {
        t.code: (t.section, t.lead, " ".join(t.advisors), " ".join(t.support), t.timeframe)
        for t in plan.tasks
    }
    assert got == TASKS
    assert [t.code for t in plan.tasks] == list(TASKS)
    texts = {t.code: t.text for t in plan.tasks}
    assert texts["3kt"].startswith("Kiện toàn Đoàn kiểm tra liên ngành")
    assert "Nghị định số 178/2004/NĐ-CP" in texts["3kt"]
    assert texts["1b"].endswith("ít nhất một tháng một lần.")
    assert all("\n" not in t.text and "  " not in t.text for t in plan.tasks)


INDICATORS = [
    # code, section, numerator, denominator, target — plan section I–IV, SPEC.md table
    (
        "CT1.1",
        "II.1.1",
        'COUNT(thon: tt_hinh_thuc >= 1 AND tt_thuong_xuyen = "Có")',
        "COUNT(thon)",
        Fraction(95, 100),
    ),
    (
        "CT1.2",
        "II.1.1",
        "SUM(tt_loa) + SUM(tt_mang_xa_hoi) + SUM(vh_phat_thanh_xa) + SUM(vh_tin_bai_ttdt)",
        None,
        None,
    ),
    ("CT1.3", "II.1.1", "SUM(ld_duoc_tt)", "SUM(ld_tong)", Fraction(30, 100)),
    ("CT1.4", "II.1.2.b(2)", "SUM(vh_thang_co_tin)", "SO_THANG", Fraction(1)),
    ("CT2.1", "II.2.1", 'COUNT(thon: kh_xay_dung = "Có")', "COUNT(thon)", Fraction(1)),
    (
        "CT2.2",
        "II.2.1",
        'COUNT(thon: lg_kt_xh = "Có" OR lg_an_sinh = "Có" OR lg_ma_tuy = "Có" '
        'OR lg_hiv = "Có" OR lg_mua_ban_nguoi = "Có")',
        "COUNT(thon)",
        Fraction(80, 100),
    ),
    (
        "CT3.1",
        "II.3.1",
        "SUM(ca_tb_xu_ly)",
        "SUM(ca_tb_tiep_nhan) + SUM(thon: tb_tiep_nhan) - SUM(thon: tb_chuyen_xu_ly)",
        Fraction(1),
    ),
    ("CT3.2", "II.3.1", "SUM(ca_cs_kiem_tra)", "SUM(ca_cs_tong)", Fraction(30, 100)),
    (
        "CT3.3",
        "II.3.2",
        'COUNT(VHXH: vh_doan_lien_nganh = "Có" AND vh_qd_ngay >= DATE(NAM, 1, 1) '
        'AND vh_qd_ngay <= DATE(NAM, 3, 31))',
        "COUNT(VHXH)",
        Fraction(1),
    ),
    ("CT4.1", "II.4.1", 'COUNT(thon: mh_trien_khai = "Có")', "COUNT(thon)", Fraction(10, 100)),
    ("CT5.1", "IV.1", 'COUNT(donvi: dv_ke_hoach = "Có")', "COUNT(donvi)", Fraction(1)),
]


def test_indicators(plan: Plan) -> None:
    got = [(i.code, i.section, i.numerator, i.denominator, i.target) for i in plan.indicators]
    assert got == INDICATORS
    assert all(i.comparator is Comparator.AT_LEAST for i in plan.indicators)
    assert all(i.text and i.unit_label for i in plan.indicators)


EVERY_FORM = ["nguoi_bao_cao", "dien_thoai", "ngay_bao_cao"]
EVERY_FORM_LAST = ["kho_khan", "de_xuat"]
VILLAGE_FIELDS = {
    "tt_hinh_thuc": FieldType.INT,
    "tt_so_buoi": FieldType.INT,
    "tt_luot_nguoi": FieldType.INT,
    "tt_thuong_xuyen": FieldType.YESNO,
    "tt_loa": FieldType.INT,
    "tt_mang_xa_hoi": FieldType.INT,
    "ld_tong": FieldType.INT,
    "ld_duoc_tt": FieldType.INT,
    "kh_xay_dung": FieldType.YESNO,
    "kh_so_ngay": FieldType.TEXT,
    "lg_kt_xh": FieldType.YESNO,
    "lg_an_sinh": FieldType.YESNO,
    "lg_ma_tuy": FieldType.YESNO,
    "lg_hiv": FieldType.YESNO,
    "lg_mua_ban_nguoi": FieldType.YESNO,
    "cs_tong": FieldType.INT,
    "tb_tiep_nhan": FieldType.INT,
    "tb_chuyen_xu_ly": FieldType.INT,
    "mh_trien_khai": FieldType.YESNO,
    "mh_ten": FieldType.TEXT,
}
UNIT_FIELDS = ["dv_ke_hoach", "dv_tt_so_buoi", "dv_tt_luot_nguoi"]
UNIT_OWN_FIELDS = {
    "VHXH": [
        "vh_thang_co_tin",
        "vh_tin_bai_ttdt",
        "vh_phat_thanh_xa",
        "vh_doan_lien_nganh",
        "vh_qd_so",
        "vh_qd_ngay",
    ],
    "CA": [
        "ca_cs_tong",
        "ca_cs_kiem_tra",
        "ca_cs_vi_pham",
        "ca_tb_tiep_nhan",
        "ca_tb_xu_ly",
        "ca_vu_an",
        "ca_xu_phat_hc",
    ],
    "VP": [],
    "MTTQ": [],
    "HLHPN": ["pn_ho_tro_viec_lam", "pn_hoa_nhap"],
    "DTN": [],
    "CDX": [],
    "THCS": ["th_hoc_sinh_tt"],
    "TH": ["th_hoc_sinh_tt"],
    "MN": ["th_hoc_sinh_tt"],
}


def test_village_form(plan: Plan) -> None:
    for village in plan.villages:
        fields = plan.fields_for(village)
        assert [f.code for f in fields] == [*EVERY_FORM, *VILLAGE_FIELDS, *EVERY_FORM_LAST]
        types = {f.code: f.type for f in fields}
        assert {c: types[c] for c in VILLAGE_FIELDS} == VILLAGE_FIELDS


def test_unit_forms(plan: Plan) -> None:
    for code, own in UNIT_OWN_FIELDS.items():
        unit = plan.entry(code)
        tasks = [
            t
            for t, (_, lead, advise, support, _) in TASKS.items()
            if code in (lead, *advise.split(), *support.split())
        ]
        task_fields = [f"nv_{t}_{part}" for t in tasks for part in ("tinh_trang", "ket_qua")]
        expected = [*EVERY_FORM, *UNIT_FIELDS, *own, *EVERY_FORM_LAST, *task_fields]
        assert sorted(f.code for f in plan.fields_for(unit)) == sorted(expected), code
        assert [f.code for f in plan.fields_for(unit)][-len(task_fields) :] == task_fields


def test_field_details(plan: Plan) -> None:
    fields = {f.code: f for f in plan.fields}
    assert [c for c, f in fields.items() if f.required] == ["nguoi_bao_cao", "ngay_bao_cao"]
    assert fields["ngay_bao_cao"].type is FieldType.DATE
    assert fields["vh_qd_ngay"].type is FieldType.DATE
    assert fields["vh_doan_lien_nganh"].type is FieldType.YESNO
    assert fields["vh_thang_co_tin"].maximum == 12
    assert fields["th_hoc_sinh_tt"].forms == ("THCS", "TH", "MN")
    for f in fields.values():
        if f.type is FieldType.INT:
            assert f.minimum == 0 and f.maximum is not None, f.code
        if f.type is FieldType.TEXT:
            assert f.max_length in (255, 2000), f.code
        # Labels spell out the plan's abbreviations for the officer.
        assert not {"PCMD", "TNMD", "KD"} & set(f.label.replace(",", " ").split()), f.code
    sections = list(dict.fromkeys(f.section for f in plan.fields))
    assert sections[0] == "Thông tin người báo cáo"
    assert sections[-1] == "Khó khăn, vướng mắc và đề xuất"
    assert "3. Thanh tra, kiểm tra (mục II.3)" in sections


def test_task_fields_are_generated(plan: Plan) -> None:
    assert not any(f.code.startswith("nv_") for f in plan.fields)
    status, result = plan.task_fields(plan.tasks[0])
    assert (status.code, status.type, status.forms[0]) == (
        "nv_1a_tinh_trang",
        FieldType.STATUS,
        "VHXH",
    )
    assert (result.code, result.type) == ("nv_1a_ket_qua", FieldType.TEXT)


RULES = [
    # code, forms, severity, when, check, fields
    ("QT01", ("thon",), Severity.ERROR, None, "ld_duoc_tt <= ld_tong", ("ld_duoc_tt", "ld_tong")),
    ("QT02", ("thon",), Severity.ERROR, None, "tb_chuyen_xu_ly <= tb_tiep_nhan",
     ("tb_chuyen_xu_ly", "tb_tiep_nhan")),
    ("QT03", ("CA",), Severity.ERROR, None, "ca_cs_kiem_tra <= ca_cs_tong",
     ("ca_cs_kiem_tra", "ca_cs_tong")),
    ("QT04", ("CA",), Severity.ERROR, None, "ca_cs_vi_pham <= ca_cs_kiem_tra",
     ("ca_cs_kiem_tra", "ca_cs_vi_pham")),
    ("QT05", ("CA",), Severity.ERROR, None, "ca_tb_xu_ly <= ca_tb_tiep_nhan",
     ("ca_tb_tiep_nhan", "ca_tb_xu_ly")),
    ("QT06", ("VHXH",), Severity.ERROR, None, "vh_thang_co_tin <= SO_THANG",
     ("vh_thang_co_tin",)),
    ("QT07", ("thon",), Severity.ERROR, None, 'NOT (tt_thuong_xuyen = "Có" AND tt_hinh_thuc = 0)',
     ("tt_hinh_thuc", "tt_thuong_xuyen")),
    ("QT08", ("thon",), Severity.WARNING, 'kh_xay_dung = "Có"', "NOT EMPTY(kh_so_ngay)",
     ("kh_so_ngay", "kh_xay_dung")),
    ("QT09", ("thon",), Severity.WARNING, 'mh_trien_khai = "Có"', "NOT EMPTY(mh_ten)",
     ("mh_ten", "mh_trien_khai")),
    ("QT10", ("VHXH",), Severity.WARNING, 'vh_doan_lien_nganh = "Có"', "NOT EMPTY(vh_qd_ngay)",
     ("vh_doan_lien_nganh", "vh_qd_ngay")),
    ("QT11", ("tatca",), Severity.WARNING, None, "YEAR(ngay_bao_cao) = NAM", ("ngay_bao_cao",)),
    # On the commune as a whole, across forms: checked once at the merge.
    ("QT12", ("xa",), Severity.WARNING, None,
     "SUM(thon: tb_chuyen_xu_ly) <= SUM(CA: ca_tb_tiep_nhan)",
     ("ca_tb_tiep_nhan", "tb_chuyen_xu_ly")),
    ("QT13", ("xa",), Severity.WARNING, None, "SUM(thon: cs_tong) = SUM(CA: ca_cs_tong)",
     ("ca_cs_tong", "cs_tong")),
]  # fmt: skip


def test_rules(plan: Plan) -> None:
    got = [(r.code, r.forms, r.severity, r.when, r.check, r.fields) for r in plan.rules]
    assert got == RULES
    assert all(r.message.endswith(".") and "Hãy" in r.message for r in plan.rules)
    # Every rule reaches the forms it is meant for.
    assert {r.code for e in plan.villages for r in plan.rules_for(e)} == {
        "QT01", "QT02", "QT07", "QT08", "QT09", "QT11"
    }  # fmt: skip
    assert [r.code for r in plan.rules_for(plan.entry("CA"))] == ["QT03", "QT04", "QT05", "QT11"]
    assert [r.code for r in plan.rules_for(plan.entry("VHXH"))] == ["QT06", "QT10", "QT11"]


# --- the workbook -----------------------------------------------------------------------


def _plain(plan: Plan) -> Plan:
    return dataclasses.replace(plan, source="")


def test_shipped_workbook_holds_exactly_the_source(plan: Plan) -> None:
    """templates/kehoach_2024.xlsx is rebuilt from the TOML; a stale one fails here."""
    assert _plain(load_plan(SHIPPED)) == _plain(plan), (
        "templates/kehoach_2024.xlsx is out of date: run python -m workbook_tools.plan.build"
    )


def test_written_workbook_reads_back_as_the_source(written: Path, plan: Plan) -> None:
    assert _plain(load_plan(written)) == _plain(plan)


def test_writer_is_reproducible(tmp_path: Path, written: Path) -> None:
    again = write_workbook(sample_data(), tmp_path / "again.xlsx")
    assert again.read_bytes() == written.read_bytes()


def test_what_the_officer_sees(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    assert wb.sheetnames == [GUIDE_SHEET, *(s.name for s in SHEETS)]
    assert wb.active is not None and wb.active.title == GUIDE_SHEET
    for sheet in SHEETS:
        ws = wb[sheet.name]
        headers = [c.value for c in ws[1]]
        assert headers == [c.header for c in sheet.columns], sheet.name
        assert all(c.font.b and c.alignment.wrap_text for c in ws[1]), sheet.name
        assert ws.freeze_panes in ("A2", "B2"), sheet.name
        assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")
        assert ws["A1"].comment is not None, sheet.name  # how to fill the column
        assert ws.column_dimensions["A"].width > 5
    roster = wb["Danh sách"]
    assert [roster.cell(r, 1).value for r in range(2, 5)] == ["T01", "T02", "T03"]
    assert roster["B2"].font.name == "Times New Roman"
    periods = wb["Kỳ báo cáo"]
    assert periods["F2"].value.date() == date(2024, 6, 15)
    assert periods["F2"].number_format == "dd/mm/yyyy"
    indicators = wb["Chỉ tiêu"]
    assert (indicators["A2"].value, indicators["F2"].value) == ("CT1.1", 0.95)
    assert indicators["F2"].number_format == "0%"
    assert indicators["F3"].value is None  # CT1.2: a count, no target
    settings = wb["Cài đặt"]
    rows = {r[0].value: (r[1].value, r[2].value) for r in settings.iter_rows(min_row=2)}
    assert rows["year"] == (next(s.label for s in SETTINGS if s.key == "year"), 2024)
    assert rows["report_to"][1] == "UBND huyện Triệu Sơn"
    tasks = wb["Nhiệm vụ"]
    assert tasks["F2"].value == "CA, VP, MTTQ, HLHPN, DTN, CDX, THCS, TH, MN"
    fields = wb["Trường dữ liệu"]
    assert fields["F2"].value == "Có"  # Bắt buộc: nguoi_bao_cao
    wb.close()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_keeps_the_plan(tmp_path: Path, written: Path, plan: Plan) -> None:
    """Opened and saved again by LibreOffice, the plan reads back unchanged."""
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(tmp_path / "saved"),
            str(written),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert _plain(load_plan(tmp_path / "saved" / written.name)) == _plain(plan)


def _dropdowns(ws: Worksheet) -> dict[str, str]:
    """Column letter → list source of each dropdown on the sheet."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type == "list":
            first = str(dv.sqref).split(":")[0]
            out[first.rstrip("0123456789")] = dv.formula1
    return out


def test_dropdowns(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    assert _dropdowns(wb["Danh sách"]) == {"B": '"thon,donvi"'}
    assert _dropdowns(wb["Trường dữ liệu"]) == {
        "E": '"int,yesno,status,text,date,decimal,money,choice"',
        "F": '"Có,Không"',
        "M": '"Có,Không"',  # Cộng dồn
    }
    assert _dropdowns(wb["Quy tắc"]) == {"C": '"error,warning"'}
    assert _dropdowns(wb["Chỉ tiêu"]) == {"G": '">=,<="'}
    assert _dropdowns(wb["Nhiệm vụ"])["E"].startswith("'Danh sách'!$A$2:$A$")
    wb.close()


def test_guide_sheet_explains_every_sheet(written: Path) -> None:
    wb = openpyxl.load_workbook(written)
    text = "\n".join(
        str(c.value) for r in wb[GUIDE_SHEET].iter_rows() for c in r if c.value is not None
    )
    for sheet in SHEETS:
        assert f"Trang {sheet.name}" in text
        assert sheet.help in text
        for column in sheet.columns:
            assert column.header in text
    assert 'COUNT(thon: co_ke_hoach = "Có")' in text
    assert "SO_THANG" in text and "NAM" in text
    assert "wbt plan check" in text
    wb.close()


# --- reading what an officer may do to the workbook -----------------------------------


def test_reader_tolerates_an_officers_edits(tmp_path: Path, plan: Plan) -> None:
    path = write_workbook(sample_data(), tmp_path / "edited.xlsx")
    wb = openpyxl.load_workbook(path)
    ind = wb["Chỉ tiêu"]
    ind.title = "CHI TIEU"  # case, no diacritics
    ws = wb["Kỳ báo cáo"]
    ws.insert_rows(1)  # a title above the header
    ws["A1"] = "Các kỳ báo cáo năm 2024"
    ws["B2"] = "  tên KỲ   báo cáo "  # spacing and case in a header
    ws["F3"] = "15/06/2024"  # a date typed as text
    ind["F2"] = "95 %"  # percentages typed as text
    ind["F4"] = "0,3"
    ind["D2"].value = ind["D2"].value.replace(" AND ", "  and ")
    roster = wb["Danh sách"]
    roster.insert_rows(10, amount=3)  # empty rows inside the roster
    roster["B2"] = "Thôn"  # the Vietnamese word for the kind
    wb.save(path)
    got = load_plan(path)
    assert got.periods == plan.periods
    assert [e.code for e in got.roster] == [e.code for e in plan.roster]
    assert got.entry("T01").kind is Kind.VILLAGE
    ct11 = got.indicators[0]
    assert ct11.target == Fraction(95, 100)
    assert got.indicators[2].target == Fraction(3, 10)


def test_sample_source_goes_through_the_validator() -> None:
    data = sample_data()
    row(data, "roster", "T02")["code"] = "T01"
    with pytest.raises(PlanError) as caught:
        validate(tables_from_mapping(data, source="x.toml"))
    assert [(p.code, p.cell) for p in caught.value.problems] == [("plan.duplicate_code", "A3")]


@given(st.one_of(st.text(), st.text(alphabet=" \t\n\u00a0\u2003\u3000aáA\u0301ôđ")))
def test_plan_text_is_normalised_as_the_nfc_collapsed_spaces_rule_says(text: str) -> None:
    spaced = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).replace("\u00a0", " "))
    assert normalise(text) == (spaced.strip() or None)
