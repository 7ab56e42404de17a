"""The forms step: every generated form read back with openpyxl, as a user's Excel would see it."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from tests.plan_samples import row, sample_data, write_workbook
from workbook_tools.cli import cli
from workbook_tools.errors import PlanError, WorkbookToolsError
from workbook_tools.forms import (
    FormPlanner,
    GeneratedForm,
    build_forms,
    contract,
    generate_forms,
    iter_forms,
    select_forms,
    write_forms,
)
from workbook_tools.forms.layout import layout_form
from workbook_tools.plan import load_sample_plan
from workbook_tools.plan.model import (
    STATUS_VALUES,
    Field,
    FieldType,
    Kind,
    Plan,
    RosterEntry,
)
from workbook_tools.plan.tables import tables_from_mapping
from workbook_tools.plan.validate import validate
from workbook_tools.workers import usable_cpus, worker_count

PERIOD = "6T-2024"
NOW = datetime(2024, 5, 2, 8, 30)
VILLAGES = [f"T{n:02d}" for n in range(1, 13)]
UNITS = ["VHXH", "CA", "VP", "MTTQ", "HLHPN", "DTN", "CDX", "THCS", "TH", "MN"]
#: Field-code prefixes that belong to units only: a village form has none of them.
UNIT_ONLY = ("ca_", "vh_", "pn_", "th_", "dv_", "nv_")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_sample_plan()


@pytest.fixture(scope="module")
def forms(plan: Plan) -> dict[str, GeneratedForm]:
    return {f.entry.code: f for f in build_forms(plan, PERIOD, now=NOW)}


@pytest.fixture(scope="module")
def books(forms: dict[str, GeneratedForm]) -> dict[str, Workbook]:
    return {code: load_workbook(io.BytesIO(f.content)) for code, f in forms.items()}


def main(book: Workbook) -> Worksheet:
    return book[contract.MAIN_SHEET]


def names(book: Workbook) -> dict[str, str]:
    return {name: d.attr_text for name, d in book.defined_names.items()}


def named_cell(book: Workbook, code: str) -> tuple[Worksheet, str]:
    sheet, cell = contract.parse_cell_ref(names(book)[code])
    return book[sheet], cell


def validation_of(sheet: Worksheet, cell: str) -> DataValidation:
    found: list[DataValidation] = [
        dv for dv in sheet.data_validations.dataValidation if cell in dv.sqref
    ]
    assert len(found) == 1, f"{cell}: {len(found)} validations"
    return found[0]


def texts(sheet: Worksheet) -> list[str]:
    return [c.value for r in sheet.iter_rows() for c in r if isinstance(c.value, str)]


# --- one form per roster entry ------------------------------------------------


def test_one_form_per_roster_entry_named_in_ascii(forms: dict[str, GeneratedForm]) -> None:
    assert list(forms) == VILLAGES + UNITS
    filenames = [f.filename for f in forms.values()]
    assert filenames[0] == "6T-2024_T01_Thon-1.xlsx"
    assert forms["CA"].filename == "6T-2024_CA_Cong-an-xa.xlsx"
    assert forms["DTN"].filename == "6T-2024_DTN_Doan-Thanh-nien-Cong-san-Ho-Chi-Minh-xa.xlsx"
    assert forms["MN"].filename == "6T-2024_MN_Truong-Mam-non-Tien-Nong.xlsx"
    assert len({n.casefold() for n in filenames}) == 22
    for name in filenames:
        assert name.isascii() and " " not in name and name.endswith(".xlsx")


@pytest.mark.parametrize("code", VILLAGES + UNITS)
def test_every_field_that_applies_is_a_named_unlocked_input(
    plan: Plan, books: dict[str, Workbook], code: str
) -> None:
    book = books[code]
    expected = {f.code for f in plan.fields_for(plan.entry(code))}
    assert set(names(book)) == expected
    assert main(book).protection.sheet is True
    for field_code in expected:
        sheet, cell = named_cell(book, field_code)
        assert sheet.title == contract.MAIN_SHEET
        assert sheet[cell].protection.locked is False, field_code
        assert sheet[cell].fill.fgColor.rgb == "FF" + contract.INPUT_FILL.lstrip("#")
        assert sheet[cell].value is None
    # Everything else is locked: the label beside each input, and the title.
    sheet = main(book)
    assert sheet["A1"].protection.locked is True
    for field_code in expected:
        _, cell = named_cell(book, field_code)
        assert sheet[cell].offset(column=-1).protection.locked is True


def test_a_village_form_has_no_unit_fields(books: dict[str, Workbook]) -> None:
    village = set(names(books["T01"]))
    assert not [c for c in village if c.startswith(UNIT_ONLY)]
    assert {"tt_hinh_thuc", "ld_duoc_tt", "lg_hiv", "mh_ten", "kho_khan"} <= village


def test_each_unit_sees_its_own_fields(books: dict[str, Workbook]) -> None:
    ca, vhxh, women = (set(names(books[c])) for c in ("CA", "VHXH", "HLHPN"))
    assert "ca_cs_kiem_tra" in ca and not [c for c in ca if c.startswith(("vh_", "tt_"))]
    assert {"vh_doan_lien_nganh", "vh_qd_ngay"} <= vhxh and "ca_cs_tong" not in vhxh
    assert {"pn_ho_tro_viec_lam", "pn_hoa_nhap"} <= women and "th_hoc_sinh_tt" not in women
    for school in ("THCS", "TH", "MN"):
        fields = set(names(books[school]))
        assert "th_hoc_sinh_tt" in fields
        assert not [c for c in fields if c.startswith(("ca_", "vh_", "pn_", "tt_"))]


def test_a_unit_sees_the_tasks_it_leads_or_supports_with_the_plans_text(
    plan: Plan, books: dict[str, Workbook]
) -> None:
    shown = texts(main(books["CA"]))
    involved = {t.code for t in plan.tasks_for(plan.entry("CA"))}
    # II.2.b and the inspection team (II.3) are the UBND xã's, advised by VHXH: not CA's.
    assert involved == {"1a", "1b", "3a", "3b"}
    for task in plan.tasks:
        heading = f"Nhiệm vụ {task.section}: {task.title}"
        has_text = any(task.text in t for t in shown)
        if task.code in involved:
            assert heading in shown and has_text, task.code
            assert {task.status_field, task.result_field} <= set(names(books["CA"]))
        else:
            assert heading not in shown and not has_text, task.code
    lead = next(t for t in shown if "Nội dung kế hoạch (mục II.3.a)" in t)
    assert "Chủ trì: Công an xã." in lead
    assert "Vai trò: Chủ trì" in shown and "Vai trò: Phối hợp" in shown
    assert not [t for t in texts(main(books["T01"])) if t.startswith("Nhiệm vụ ")]


def test_labels_and_sections_come_from_the_plan(plan: Plan, books: dict[str, Workbook]) -> None:
    for code in ("T01", "VHXH"):
        book = books[code]
        sheet = main(book)
        shown = texts(sheet)
        for f in plan.fields_for(plan.entry(code)):
            _, cell = named_cell(book, f.code)
            assert sheet[cell].offset(column=-1).value == f.label
            assert f.section in shown
    # The note beside an input says how to fill it and whether it is required.
    book = books["T01"]
    sheet, cell = named_cell(book, "nguoi_bao_cao")
    assert sheet[cell].offset(column=1).value == "Chữ, tối đa 255 ký tự. Bắt buộc nhập."
    sheet, cell = named_cell(book, "tt_hinh_thuc")
    assert sheet[cell].offset(column=1).value == (
        "Số nguyên từ 0 đến 100. Đếm số loại hình thức, không phải số buổi."
    )
    # Sections in plan order; difficulties and proposals close the form.
    headings = [t for t in texts(main(books["VHXH"])) if t in {f.section for f in plan.all_fields}]
    assert headings[0] == "Thông tin người báo cáo"
    assert headings[-1] == "Khó khăn, vướng mắc và đề xuất"
    assert headings.index("1. Truyền thông, tuyên truyền (mục II.1)") < headings.index(
        "Nhiệm vụ II.1.a: Tăng cường tuyên truyền phòng ngừa đến mọi người dân"
    )


def test_title_block_says_who_what_and_when(books: dict[str, Workbook]) -> None:
    shown = texts(main(books["T01"]))
    assert "UBND XÃ TIẾN NÔNG" in shown and "THÔN 1" in shown
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in shown
    assert "BÁO CÁO KẾT QUẢ THỰC HIỆN CÔNG TÁC PHÒNG, CHỐNG MẠI DÂM" in shown
    assert "Đơn vị báo cáo: Thôn 1 (T01)" in shown
    assert "Kỳ báo cáo: Báo cáo 6 tháng đầu năm 2024 (6T-2024)" in shown
    assert (
        "Kế hoạch: Kế hoạch phòng, chống mại dâm trên địa bàn xã Tiến Nông năm 2024 "
        "(PCMD-TienNong-2024)" in shown
    )
    assert "Hạn gửi báo cáo: 15/06/2024, gửi về UBND xã Tiến Nông" in shown
    assert any(t.startswith("Hướng dẫn: chỉ nhập vào các ô màu vàng") for t in shown)
    parsed = {p.prefix: p for p in map(contract.parse_title_line, shown) if p is not None}
    assert parsed[contract.UNIT_PREFIX].code == "T01"
    assert parsed[contract.PERIOD_PREFIX].code == PERIOD
    assert parsed[contract.PLAN_PREFIX].code == "PCMD-TienNong-2024"


def test_protection_without_password(books: dict[str, Workbook]) -> None:
    for book in books.values():
        for sheet in book.worksheets:
            protection = sheet.protection
            assert protection.sheet is True and protection.password is None
        rules = main(book).protection
        # Rows cannot be inserted or deleted (an input could be lost); widths can change.
        assert rules.insertRows and rules.deleteRows and rules.insertColumns
        assert rules.formatColumns is False and rules.formatRows is False


# --- validations --------------------------------------------------------------


def expected_rule(f: Field) -> tuple[str, str | None, str, str | None]:
    """(type, operator, formula1, formula2) as openpyxl reads them."""
    if f.type is FieldType.INT:
        low = f.minimum or 0
        if f.maximum is None:
            return ("whole", "greaterThanOrEqual", str(low), None)
        return ("whole", None, str(low), str(f.maximum))  # "between" is the default
    if f.type is FieldType.YESNO:
        return ("list", None, '"Có,Không"', None)
    if f.type is FieldType.STATUS:
        return ("list", None, '"' + ",".join(STATUS_VALUES) + '"', None)
    if f.type is FieldType.DATE:
        first = (date(2023, 1, 1) - date(1899, 12, 30)).days  # Excel's day numbers
        last = (date(2025, 12, 31) - date(1899, 12, 30)).days
        return ("date", None, str(first), str(last))
    return ("textLength", None, "0", str(f.max_length or 32767))


@pytest.mark.parametrize("code", ["T01", "VHXH", "CA"])
def test_every_input_is_validated_by_its_type(
    plan: Plan, books: dict[str, Workbook], code: str
) -> None:
    book = books[code]
    for f in plan.fields_for(plan.entry(code)):
        sheet, cell = named_cell(book, f.code)
        dv = validation_of(sheet, cell)
        assert (dv.type, dv.operator, dv.formula1, dv.formula2) == expected_rule(f), f.code
        assert dv.allow_blank is True  # required values are checked on return
        assert dv.showInputMessage and dv.showErrorMessage
        assert dv.errorStyle in (None, "stop")
        assert dv.promptTitle and len(dv.promptTitle) <= 32
        assert dv.errorTitle and len(dv.errorTitle) <= 32
        assert dv.prompt and len(dv.prompt) <= 255
        assert dv.error and len(dv.error) <= 255


def test_validation_messages_are_vietnamese_and_say_the_limits(
    books: dict[str, Workbook],
) -> None:
    book = books["VHXH"]
    by_field = {code: validation_of(*named_cell(book, code)) for code in names(book)}
    prompts = {code: str(dv.prompt) for code, dv in by_field.items()}
    errors = {code: str(dv.error) for code, dv in by_field.items()}
    assert by_field["vh_thang_co_tin"].promptTitle == "Nhập số nguyên"
    assert "từ 0 đến 12" in prompts["vh_thang_co_tin"]
    assert (
        errors["vh_thang_co_tin"] == "Ô này chỉ nhận số nguyên từ 0 đến 12. Hãy nhập lại, ví dụ 12."
    )
    assert prompts["vh_doan_lien_nganh"] == "Bấm mũi tên bên phải ô để chọn Có hoặc Không."
    assert "Hoàn thành, Đang thực hiện hoặc Chưa thực hiện" in errors["nv_1a_tinh_trang"]
    assert "từ 01/01/2023 đến 31/12/2025" in prompts["vh_qd_ngay"]
    assert by_field["vh_qd_ngay"].errorTitle == "Ngày không hợp lệ"
    assert "tối đa 2000 ký tự" in prompts["kho_khan"]


def test_a_whole_number_without_maximum_is_at_least_its_minimum() -> None:
    data = sample_data()
    del row(data, "fields", "tt_loa")["maximum"]
    plan = validate(tables_from_mapping(data, source="no-maximum.toml"))
    book = load_workbook(io.BytesIO(build_forms(plan, PERIOD, ["T01"], now=NOW)[0].content))
    dv = validation_of(*named_cell(book, "tt_loa"))
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == (
        "whole",
        "greaterThanOrEqual",
        "0",
        None,
    )
    assert dv.error == "Ô này chỉ nhận số nguyên từ 0 trở lên. Hãy nhập lại, ví dụ 12."


def test_inputs_are_formatted_for_their_type(books: dict[str, Workbook]) -> None:
    book = books["VHXH"]
    shown = {}
    for code in ("ngay_bao_cao", "dien_thoai", "vh_tin_bai_ttdt", "vh_doan_lien_nganh"):
        sheet, cell = named_cell(book, code)
        shown[code] = sheet[cell].number_format
    assert shown == {
        "ngay_bao_cao": "dd/mm/yyyy",
        "dien_thoai": "@",  # text: a phone number keeps its leading 0
        "vh_tin_bai_ttdt": "0",
        "vh_doan_lien_nganh": "General",
    }


# --- the metadata sheet -------------------------------------------------------


@pytest.mark.parametrize("code", ["T01", "HLHPN"])
def test_hidden_metadata_says_what_the_reader_needs(
    plan: Plan, books: dict[str, Workbook], code: str
) -> None:
    book = books[code]
    meta = book[contract.META_SHEET]
    assert meta.sheet_state == "veryHidden"
    assert meta.protection.sheet is True
    assert book.sheetnames[0] == contract.MAIN_SHEET
    assert book.active is not None and book.active.title == contract.MAIN_SHEET
    rows = list(meta.iter_rows(values_only=True))
    assert rows[0][:2] == (contract.META_MARKER, contract.CONTRACT_VERSION)
    parsed = contract.parse_metadata(rows)
    assert parsed is not None
    entry = plan.entry(code)
    assert parsed.values == {
        "plan_id": "PCMD-TienNong-2024",
        "plan_version": "1",
        "form_version": "1+f1",
        "unit_code": code,
        "unit_name": entry.name,
        "unit_kind": str(entry.kind),
        "period": PERIOD,
        "period_name": "Báo cáo 6 tháng đầu năm 2024",
        "generated_at": "2024-05-02T08:30:00",
        "tool_version": parsed.values["tool_version"],
    }
    assert parsed.cells == names(book)
    assert {f.field: f.type for f in parsed.fields} == {
        f.code: str(f.type) for f in plan.fields_for(entry)
    }
    # Every value is a text cell: "1" stays "1", not the number 1.
    assert all(c.data_type == "s" for r in meta.iter_rows() for c in r if c.value is not None)


@pytest.mark.parametrize("code", ["T01", "HLHPN"])
def test_the_metadata_is_also_in_the_document_properties(
    books: dict[str, Workbook], code: str
) -> None:
    book = books[code]
    rows = book[contract.META_SHEET].iter_rows(values_only=True)
    sheet = contract.parse_metadata(rows)
    assert sheet is not None
    properties = {p.name: p.value for p in book.custom_doc_props.props}
    assert properties == {
        contract.PROPERTY_MARKER: contract.CONTRACT_VERSION,
        **{contract.PROPERTY_PREFIX + key: value for key, value in sheet.values.items()},
    }
    assert properties["wbt_unit_code"] == code
    parsed = contract.parse_properties(properties)
    assert parsed is not None and parsed.values == sheet.values and parsed.fields == ()
    assert contract.parse_properties({"Company": "UBND xã"}) is None


def test_metadata_rows_read_back_whatever_the_reader(plan: Plan) -> None:
    layout = layout_form(plan, PERIOD, plan.entry("T01"), NOW)
    rows = contract.metadata_rows(layout.metadata)
    # A reader may hand numbers back as floats and empty cells as None or "".
    mangled = [(*(1.0 if v == "1" else v for v in r), None) for r in rows]
    assert contract.parse_metadata(mangled) == layout.metadata
    assert contract.parse_metadata([("something else", "1")]) is None


def test_metadata_undoes_libreoffices_reading_of_x_escapes() -> None:
    # LibreOffice reads "_xa_" in an .xlsx string as the character 0x0A.
    rows = [
        (contract.META_MARKER, "1"),
        ("unit_name", "Thôn\x01"),
        (),
        contract.FIELD_TABLE_HEADER,
        ("tt_mang\nhoi", "'Báo cáo'!$C$18", "int"),
        ("kh\rke_hoach", "'Báo cáo'!$C$19", "yesno"),
    ]
    parsed = contract.parse_metadata(rows)
    assert parsed is not None
    assert [f.field for f in parsed.fields] == ["tt_mang_xa_hoi", "kh_xd_ke_hoach"]
    assert parsed.get("unit_name") == "Thôn_x1_"


# --- print, font, layout ------------------------------------------------------


def test_print_ready_in_times_new_roman(books: dict[str, Workbook]) -> None:
    for code in ("T01", "VHXH"):
        sheet = main(books[code])
        setup = sheet.page_setup
        assert setup.paperSize == 9  # A4
        assert setup.orientation == "portrait"
        fit = sheet.sheet_properties.pageSetUpPr
        assert fit is not None and fit.fitToPage is True
        assert setup.fitToWidth in (None, 1) and setup.fitToHeight == 0  # absent means 1
        header = next(c for c in sheet["A"] if c.value == "STT")
        assert sheet.print_title_rows == f"${header.row}:${header.row}"
        assert sheet.freeze_panes == f"A{header.row + 1}"
        assert {c.value for c in sheet[header.row]} >= {"STT", "Nội dung", "Hướng dẫn nhập"}
        fonts = {c.font.name for r in sheet.iter_rows() for c in r if c.value is not None}
        assert fonts == {"Times New Roman"}
        assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width


def test_fonts_are_not_replaced_by_the_theme_font(forms: dict[str, GeneratedForm]) -> None:
    # Excel shows a font that belongs to the theme's scheme in the theme's font.
    with zipfile.ZipFile(io.BytesIO(forms["VHXH"].content)) as z:
        styles = z.read("xl/styles.xml").decode()
    fonts = styles[styles.index("<fonts") : styles.index("</fonts>")]
    assert "<scheme" not in fonts
    assert fonts.count('<name val="Times New Roman"/>') == fonts.count("<font>")


def test_long_task_text_is_wrapped_in_a_merged_cell_tall_enough(
    books: dict[str, Workbook],
) -> None:
    sheet = main(books["VHXH"])
    cell = next(c for r in sheet.iter_rows() for c in r if str(c.value).startswith("Nội dung kế"))
    assert cell.alignment.wrap_text is True
    merged = next(m for m in sheet.merged_cells.ranges if cell.coordinate in m)
    assert (merged.min_col, merged.max_col) == (2, 4)
    assert cell.row is not None and sheet.row_dimensions[cell.row].height >= 100


def test_the_same_inputs_give_the_same_bytes(plan: Plan, forms: dict[str, GeneratedForm]) -> None:
    again = build_forms(plan, PERIOD, ["T01", "CA"], now=NOW)
    assert [f.content for f in again] == [forms["T01"].content, forms["CA"].content]


def test_forms_made_in_worker_processes_are_the_same(plan: Plan, tmp_path: Path) -> None:
    specs = select_forms(plan, PERIOD, ["T01", "T02", "CA", "VHXH"])
    alone = [f.content for f in iter_forms(plan, specs, NOW)]
    with generate_forms(plan, specs, tmp_path, NOW, workers=2) as written:
        paths = list(written)
    assert [p.name for p in paths] == [s.filename for s in specs]
    assert [p.read_bytes() for p in paths] == alone


# --- the plan's text is never a formula or a link -----------------------------


def tricky_plan() -> Plan:
    """The sample plan with text that a spreadsheet would like to turn into formulas."""
    data = sample_data()
    row(data, "fields", "tt_loa")["label"] = "=1+2"
    row(data, "fields", "tt_loa")["help"] = "+cmd|' /C calc'!A0"
    row(data, "fields", "tt_so_buoi")["label"] = "http://example.com/tuyen-truyen"
    row(data, "fields", "tt_so_buoi")["section"] = "=SUM(A1:A3)"
    row(data, "tasks", "1a")["text"] = '=HYPERLINK("http://example.com","bấm")'
    row(data, "roster", "T01")["name"] = "-2+3"
    row(data, "roster", "T02")["name"] = "00123"
    return validate(tables_from_mapping(data, source="tricky.toml"))


def test_text_that_looks_like_a_formula_or_link_stays_text() -> None:
    plan = tricky_plan()
    forms = {f.entry.code: f for f in build_forms(plan, PERIOD, ["T01", "T02", "VHXH"], now=NOW)}
    for form in forms.values():
        with zipfile.ZipFile(io.BytesIO(form.content)) as z:
            sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
            assert "<f>" not in sheet_xml and "hyperlink" not in sheet_xml
    book = load_workbook(io.BytesIO(forms["T01"].content))
    sheet = main(book)
    shown = texts(sheet)
    assert "=1+2" in shown and "=SUM(A1:A3)" in shown and "http://example.com/tuyen-truyen" in shown
    assert any("+cmd|' /C calc'!A0" in t for t in shown)
    assert "Đơn vị báo cáo: -2+3 (T01)" in shown and "-2+3" in shown
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
    assert all(c.hyperlink is None for r in sheet.iter_rows() for c in r)
    two = main(load_workbook(io.BytesIO(forms["T02"].content)))
    assert "00123" in texts(two)
    task = main(load_workbook(io.BytesIO(forms["VHXH"].content)))
    assert any('=HYPERLINK("http://example.com","bấm")' in t for t in texts(task))
    assert forms["T01"].filename == "6T-2024_T01_2-3.xlsx"


# --- file names ---------------------------------------------------------------


def entry(code: str, name: str, kind: Kind = Kind.VILLAGE) -> RosterEntry:
    return RosterEntry(code=code, kind=kind, name=name)


@pytest.mark.parametrize(
    ("code", "name", "filename"),
    [
        ("T01", "Thôn 1", "6T-2024_T01_Thon-1.xlsx"),
        ("T02", "Thôn Đông Hòa", "6T-2024_T02_Thon-Dong-Hoa.xlsx"),
        ("T03", "Làng Đường Đá – đội 3", "6T-2024_T03_Lang-Duong-Da-doi-3.xlsx"),
        ("HLHPN", "Hội Liên hiệp Phụ nữ xã", "6T-2024_HLHPN_Hoi-Lien-hiep-Phu-nu-xa.xlsx"),
        ("CA", "CA", "6T-2024_CA.xlsx"),
        ("X1", "???", "6T-2024_X1.xlsx"),
        ("Đ1", "Ấp Ủy Ỷ", "6T-2024_D1_Ap-Uy-Y.xlsx"),
    ],
)
def test_form_filename(code: str, name: str, filename: str) -> None:
    assert contract.form_filename(PERIOD, entry(code, name)) == filename


def test_long_names_are_cut_at_a_word() -> None:
    name = contract.form_filename(PERIOD, entry("U1", "Ban " + "Chỉ đạo " * 10))
    slug = name.removeprefix("6T-2024_U1_").removesuffix(".xlsx")
    assert len(slug) <= contract.MAX_NAME_SLUG and not slug.endswith("-")
    assert slug.startswith("Ban-Chi-dao-Chi-dao")


def test_clashing_names_get_a_number() -> None:
    assert contract.unique_filenames(["a.xlsx", "A.xlsx", "b.xlsx", "a.xlsx", "a-2.xlsx"]) == [
        "a.xlsx",
        "A-2.xlsx",
        "b.xlsx",
        "a-3.xlsx",
        "a-2-2.xlsx",
    ]


def test_entries_whose_names_clash_get_distinct_files(plan: Plan) -> None:
    roster = (*plan.roster, entry("T-13", "Thôn Đông"), entry("T 13", "Thôn Dong"))
    wide = replace(plan, roster=roster, _by_code={})
    specs = select_forms(wide, PERIOD)
    assert [s.filename for s in specs[-2:]] == [
        "6T-2024_T-13_Thon-Dong.xlsx",
        "6T-2024_T-13_Thon-Dong-2.xlsx",
    ]
    # Alone, a form keeps the name it has among the others.
    assert select_forms(wide, PERIOD, ["T 13"])[0].filename == "6T-2024_T-13_Thon-Dong-2.xlsx"


# --- cell references and title lines -----------------------------------------


def test_parse_cell_ref() -> None:
    assert contract.parse_cell_ref("'Báo cáo'!$C$12") == ("Báo cáo", "C12")
    assert contract.parse_cell_ref("=Sheet1!B3") == ("Sheet1", "B3")
    assert contract.parse_cell_ref("'Bob''s'!$AA$7") == ("Bob's", "AA7")
    assert contract.parse_cell_ref("$'Báo cáo'.$C$12") == ("Báo cáo", "C12")  # OpenDocument
    assert contract.cell_ref("Báo cáo", 11, 2) == "'Báo cáo'!$C$12"
    with pytest.raises(ValueError, match="range"):
        contract.parse_cell_ref("'Báo cáo'!$C$12:$C$13")
    with pytest.raises(ValueError):
        contract.parse_cell_ref("#REF!")


def test_parse_title_line() -> None:
    line = contract.parse_title_line("  đơn vị báo cáo:   Trường THCS (Tiến Nông)  (THCS) ")
    assert line == contract.TitleLine(contract.UNIT_PREFIX, "Trường THCS (Tiến Nông)", "THCS")
    deadline = contract.parse_title_line("Hạn gửi báo cáo: 15/06/2024, gửi về UBND xã (VHXH)")
    assert deadline is not None and deadline.code is None
    assert contract.parse_title_line("Họ và tên người báo cáo") is None


# --- errors -------------------------------------------------------------------


def test_unknown_period_lists_the_valid_ones(plan: Plan) -> None:
    with pytest.raises(WorkbookToolsError) as caught:
        build_forms(plan, "6T-2025")
    assert str(caught.value) == (
        "Kỳ báo cáo '6T-2025' không có trong kế hoạch. Có phải ý bạn là '6T-2024'? "
        "Các kỳ có trong kế hoạch: 6T-2024, CN-2024."
    )


def test_unknown_unit_lists_the_valid_codes(plan: Plan) -> None:
    with pytest.raises(WorkbookToolsError) as caught:
        build_forms(plan, PERIOD, ["T01", "CAX", "zz"])
    message = str(caught.value)
    assert message.startswith(
        "Không có thôn hay đơn vị nào mã 'CAX', 'zz' trong danh sách của kế hoạch. "
        "Có phải ý bạn là 'CA'?"
    )
    assert message.endswith("Các mã có trong danh sách: " + ", ".join(VILLAGES + UNITS) + ".")


def test_codes_are_matched_whatever_their_case(plan: Plan) -> None:
    specs = select_forms(plan, "6t-2024", ["ca", "t01", "T01"])
    assert [s.entry.code for s in specs] == ["T01", "CA"]  # roster order, once each


def test_a_field_code_excel_cannot_name_stops_the_run(plan: Plan) -> None:
    bad = Field(code="ab12", forms=("tatca",), section="X", label="X", type=FieldType.INT)
    broken = replace(plan, fields=(*plan.fields, bad), _by_code={})
    with pytest.raises(PlanError, match="ab12"):
        select_forms(broken, PERIOD)
    twin = replace(bad, code="TT_LOA")
    broken = replace(plan, fields=(*plan.fields, twin), _by_code={})
    with pytest.raises(PlanError, match="'tt_loa' và 'TT_LOA'"):
        select_forms(broken, PERIOD)


# --- writing ------------------------------------------------------------------


def test_write_forms_puts_each_file_whole_in_the_folder(
    tmp_path: Path, forms: dict[str, GeneratedForm]
) -> None:
    chosen = [forms["T01"], forms["CA"]]
    paths = write_forms(chosen, tmp_path / "bieu_mau")
    assert [p.name for p in paths] == [f.filename for f in chosen]
    assert paths[1].read_bytes() == forms["CA"].content
    assert sorted(p.name for p in (tmp_path / "bieu_mau").iterdir()) == sorted(
        p.name for p in paths
    )


def test_many_forms_are_made_in_several_processes() -> None:
    assert worker_count(22) == 1
    assert 1 <= worker_count(2000) <= 8
    if usable_cpus() > 1:
        assert worker_count(2000) > 1


def test_planner_is_reused_across_entries(plan: Plan) -> None:
    planner = FormPlanner(plan, PERIOD)
    first = planner.layout(plan.entry("T01"), NOW)
    assert planner.layout(plan.entry("T01"), NOW) == first
    assert layout_form(plan, PERIOD, plan.entry("T01"), NOW) == first


# --- the command --------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ws") / "xa"
    result = CliRunner().invoke(cli, ["init", str(root)])
    assert result.exit_code == 0, result.output
    return root


def test_generate_writes_one_workbook_per_entry(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", "--period", PERIOD, "--dir", str(workspace)])
    assert result.exit_code == 0, result.output
    folder = workspace / "outbox" / PERIOD / "bieu_mau"
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 22 and "6T-2024_T01_Thon-1.xlsx" in files
    lines = result.output.splitlines()
    assert lines[0] == (
        f"Đã tạo 22 biểu mẫu Báo cáo 6 tháng đầu năm 2024 (6T-2024) trong thư mục {folder}:"
    )
    assert "  6T-2024_CA_Cong-an-xa.xlsx" in lines
    assert lines[-1].startswith("Hạn nộp 15/06/2024.")
    book = load_workbook(folder / "6T-2024_CA_Cong-an-xa.xlsx")
    assert "ca_cs_tong" in names(book)


def test_generate_some_units_only(workspace: Path) -> None:
    args = ["generate", "--period", "CN-2024", "--unit", "T01", "--unit", "ca"]
    result = CliRunner().invoke(cli, [*args, "--dir", str(workspace)])
    assert result.exit_code == 0, result.output
    folder = workspace / "outbox" / "CN-2024" / "bieu_mau"
    assert sorted(p.name for p in folder.iterdir()) == [
        "CN-2024_CA_Cong-an-xa.xlsx",
        "CN-2024_T01_Thon-1.xlsx",
    ]
    assert "Đã tạo 2 biểu mẫu Báo cáo năm 2024 (CN-2024)" in result.output


def test_generate_an_unknown_unit_fails_cleanly(workspace: Path) -> None:
    args = ["generate", "--period", PERIOD, "--unit", "XYZ", "--dir", str(workspace)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "Lỗi: Không có thôn hay đơn vị nào mã 'XYZ'" in result.output
    assert "Traceback" not in result.output


def test_generate_outside_a_working_folder_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", "--period", PERIOD, "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "không có thư mục 'templates/'" in result.output


def test_generate_many_shows_progress_and_counts(tmp_path: Path) -> None:
    data = sample_data()
    data["roster"] += [
        {"code": f"X{n:02d}", "kind": "thon", "name": f"Xóm {n}"} for n in range(1, 21)
    ]
    plan_file = write_workbook(data, tmp_path / "kehoach.xlsx")
    args = ["generate", "--period", PERIOD, "--plan", str(plan_file), "--dir", str(tmp_path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "outbox" / PERIOD / "bieu_mau"
    assert len(list(folder.iterdir())) == 42
    assert "Đang tạo biểu mẫu" in result.output
    assert f"Đã tạo 42 biểu mẫu Báo cáo 6 tháng đầu năm 2024 (6T-2024) trong thư mục {folder}." in (
        result.output
    )
    assert "6T-2024_X20_Xom-20.xlsx" not in result.output  # too many to list
    assert (folder / "6T-2024_X20_Xom-20.xlsx").is_file()


def test_generate_has_help_with_an_example() -> None:
    result = CliRunner().invoke(cli, ["generate", "--help"])
    assert result.exit_code == 0
    assert "wbt generate --period Q1-2025 --unit T01 --unit CA" in result.output


def test_the_order_of_a_forms_fields_is_the_order_of_its_input_cells() -> None:
    """What the inbox counts repeated labels by (a unit's tasks) without laying out the form."""
    plan = load_sample_plan()
    for period in plan.periods:
        planner = FormPlanner(plan, period.code)
        for entry in plan.roster:
            laid_out = layout_form(plan, period.code, entry, datetime(2024, 6, 1)).inputs
            assert [f.code for f in planner.fields_in_order(entry)] == [
                i.field.code for i in laid_out
            ], entry.code
