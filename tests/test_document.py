"""The Word report (report/document.py): built from a consolidation, read back with python-docx."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from datetime import date
from fractions import Fraction
from pathlib import Path

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from tests.merge_data import (
    LATE,
    NOW,
    PERIOD,
    everyone,
    inbox,
    submission,
    unit_values,
    village_values,
)
from workbook_tools.consolidation import Consolidation, consolidate
from workbook_tools.errors import TemplateError
from workbook_tools.numbers import number_text, thousands_text
from workbook_tools.plan import load_sample_plan
from workbook_tools.plan.model import Plan
from workbook_tools.report import document
from workbook_tools.report.document import (
    TEMPLATE_GUIDE,
    ReportEntries,
    build_context,
    build_document,
    default_template,
    timeframe_end,
)
from workbook_tools.report.summary import build_summary
from workbook_tools.report.template_build import TEMPLATE_FILE, build_template

DIFFICULTY = "Thiếu cán bộ chuyên trách <kiêm nhiệm> & kinh phí"
PROPOSAL = "Đề nghị huyện mở lớp tập huấn cho cán bộ"
ENTRIES = ReportEntries(number="27/BC-UBND", signed_on=date(2024, 6, 19))


def consolidation_of(plan: Plan) -> Consolidation:
    """T07 and DTN missing, T03 late; CA writes a difficulty and a proposal."""
    ca = {**unit_values(plan, "CA"), "kho_khan": DIFFICULTY, "de_xuat": PROPOSAL}
    subs = everyone(
        plan,
        T07=None,
        DTN=None,
        T03=submission(plan, "T03", village_values(3), arrived=LATE),
        CA=submission(plan, "CA", ca),
    )
    return consolidate(plan, PERIOD, inbox(subs), generated_at=NOW)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_sample_plan()


@pytest.fixture(scope="module")
def consolidation(plan: Plan) -> Consolidation:
    return consolidation_of(plan)


@pytest.fixture(scope="module")
def report(consolidation: Consolidation) -> DocxDocument:
    return docx.Document(io.BytesIO(build_document(consolidation, ENTRIES, None)))


def texts(doc: DocxDocument) -> list[str]:
    return [p.text for p in doc.paragraphs]


def index_of(lines: list[str], start: str) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith(start))


def between(lines: list[str], first: str, last: str) -> list[str]:
    return lines[index_of(lines, first) : index_of(lines, last)]


def bottom_border(paragraph: Paragraph) -> str | None:
    ppr = paragraph._p.pPr
    border = None if ppr is None else ppr.find(qn("w:pBdr"))
    bottom = None if border is None else border.find(qn("w:bottom"))
    return None if bottom is None else bottom.get(qn("w:val"))


def run_sizes(paragraph: Paragraph) -> set[float | None]:
    return {None if r.font.size is None else r.font.size.pt for r in paragraph.runs if r.text}


def borders_off(table: Table) -> bool:
    found = table._tbl.tblPr.find(qn("w:tblBorders"))
    return found is not None and all(edge.get(qn("w:val")) == "nil" for edge in found)


# --- the title block -----------------------------------------------------------------


def test_title_block(report: DocxDocument) -> None:
    title = report.tables[0]
    assert borders_off(title)
    left, right = title.rows[0].cells
    left_lines = [p.text for p in left.paragraphs]
    assert left_lines == ["ỦY BAN NHÂN DÂN", "XÃ TIẾN NÔNG", "", "Số: 27/BC-UBND"]
    right_lines = [p.text for p in right.paragraphs]
    assert right_lines == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "",
        "Tiến Nông, ngày 19 tháng 6 năm 2024",
    ]
    # A short line under the issuing body, and one under the motto: paragraph borders.
    for cell in (left, right):
        line = cell.paragraphs[2]
        assert bottom_border(line) == "single"
        indent = line.paragraph_format.left_indent
        assert indent is not None and indent > Mm(5)  # short, centred: not the cell's width
    for cell in (left, right):
        for p in cell.paragraphs[:2]:
            assert all(r.bold for r in p.runs) and run_sizes(p) == {13.0}
    date_line = right.paragraphs[3]
    assert all(r.italic for r in date_line.runs) and run_sizes(date_line) == {13.0}
    assert not any(r.bold for r in left.paragraphs[3].runs)  # "Số:" is not bold


def test_one_title_and_no_kinh_gui(report: DocxDocument) -> None:
    lines = texts(report)
    assert lines.count("BÁO CÁO") == 1
    summary = "Kết quả thực hiện công tác phòng, chống mại dâm 6 tháng đầu năm 2024"
    assert lines.count(summary) == 1
    assert lines[index_of(lines, "BÁO CÁO") + 1] == summary
    assert bottom_border(report.paragraphs[index_of(lines, "BÁO CÁO") + 2]) == "single"
    assert not any("Kính gửi" in line for line in lines)
    opening = lines[index_of(lines, "Thực hiện Kế hoạch")]
    assert opening.startswith("Thực hiện Kế hoạch số …/KH-UBND của Ủy ban nhân dân xã Tiến Nông")
    assert "về phòng, chống mại dâm trên địa bàn xã Tiến Nông năm 2024" in opening
    assert lines[-1].endswith("của Ủy ban nhân dân xã Tiến Nông./.")


def test_sections_in_order(report: DocxDocument) -> None:
    lines = texts(report)
    headings = [
        "I. TÌNH HÌNH CHUNG",
        "II. KẾT QUẢ THỰC HIỆN",
        "III. ĐÁNH GIÁ CHUNG",
        "IV. NHIỆM VỤ TRỌNG TÂM KỲ TỚI",
        "V. ĐỀ XUẤT, KIẾN NGHỊ",
    ]
    where = [lines.index(h) for h in headings]
    assert where == sorted(where)
    for h in headings:
        paragraph = report.paragraphs[lines.index(h)]
        assert all(r.bold for r in paragraph.runs)
    assessment = between(lines, "III. ĐÁNH GIÁ CHUNG", "IV.")
    parts = [assessment.index(h) for h in ("1. Ưu điểm", "2. Hạn chế", "3. Nguyên nhân")]
    assert parts == sorted(parts)


def test_situation_names_who_did_not_report(report: DocxDocument) -> None:
    situation = " ".join(between(texts(report), "I. TÌNH HÌNH", "II."))
    assert "22 thôn, đơn vị (12 thôn và 10 đơn vị)" in situation
    assert "hạn nộp ngày 15/06/2024" in situation
    assert "đã nhận 20/22 báo cáo (90,9%), trong đó 19 báo cáo đúng hạn, 1 báo cáo trễ hạn" in (
        situation
    )
    assert "Chưa nộp báo cáo (2): Thôn 7, Đoàn Thanh niên Cộng sản Hồ Chí Minh xã." in situation
    assert "Nộp báo cáo trễ hạn (1): Thôn 3." in situation


def test_results_follow_the_plan_sections_and_name_the_units(
    report: DocxDocument, plan: Plan
) -> None:
    results = between(texts(report), "II. KẾT QUẢ THỰC HIỆN", "III.")
    sections = [line for line in results if line[:2] in {"1.", "2.", "3.", "4.", "5."}]
    assert sections == [
        "1. Truyền thông, tuyên truyền (mục II.1)",
        "2. Lồng ghép các chương trình (mục II.2)",
        "3. Thanh tra, kiểm tra (mục II.3)",
        "4. Mô hình can thiệp, giảm hại (mục II.4)",
        "5. Kế hoạch của đơn vị (mục IV.1)",
    ]
    # Every task of the plan, under its section, with each unit's status and result.
    for task in plan.tasks:
        assert any(task.title in line and f"mục {task.section}" in line for line in results)
    assert "- Công an xã (chủ trì): Hoàn thành — CA đã thực hiện nhiệm vụ 3a" in results
    assert (
        "- Bộ phận Văn hóa - Xã hội (phối hợp): Đang thực hiện — VHXH đã thực hiện nhiệm vụ 3a"
        in (results)
    )
    assert "- Đoàn Thanh niên Cộng sản Hồ Chí Minh xã (phối hợp): chưa gửi báo cáo." in results
    # Figures, written the Vietnamese way; a unit's own figure names the unit.
    assert "- Số lượt người được tuyên truyền: 1.171 (tổng số liệu của 11/12 thôn)." in results
    assert "- Số cơ sở đã được kiểm tra (Công an xã): 3." in results
    assert any(line.startswith("- Chỉ tiêu CT3.2 (") for line in results)


def test_indicator_table_equals_the_summary(
    report: DocxDocument, consolidation: Consolidation
) -> None:
    table = report.tables[1]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["STT", "Chỉ tiêu", "Kết quả", "Mức cần đạt", "Đánh giá"]
    summary = build_summary(consolidation)["indicators"]
    assert len(rows) - 1 == len(summary)
    for i, (row, indicator) in enumerate(zip(rows[1:], summary, strict=True), start=1):
        assert row[0] == str(i)
        assert row[1] == f"{indicator['code']}: {indicator['text']}"
        assert row[4] == indicator["outcome_label"]
        if indicator["value_exact"] is not None:
            value = Fraction(indicator["value_exact"])
            assert row[2].startswith(document.percent_text(value))
            num, den = indicator["numerator"], indicator["denominator"]
            assert f"({number_text(Fraction(num))}/{number_text(Fraction(den))}" in row[2]
        elif indicator["denominator"] is None:
            assert row[2].startswith(number_text(Fraction(indicator["numerator"])))
        if indicator["target_exact"] is None:
            assert row[3] == "—"
        else:
            assert row[3] == indicator["target_shown"]  # "≥ 95%", or a count's "≥ 12 buổi"
    ct11 = rows[1]
    assert ct11[2:] == ["91,7% (11/12 thôn)", "≥ 95%", "Không đạt"]


def test_difficulty_and_proposal_with_the_unit_named(report: DocxDocument) -> None:
    lines = texts(report)
    weaknesses = between(lines, "2. Hạn chế", "3. Nguyên nhân")
    assert f"- Công an xã: {DIFFICULTY}." in weaknesses  # < and & kept as typed
    assert "- Thôn 2: Thiếu kinh phí tuyên truyền." in weaknesses
    assert any(line.startswith("- Chưa đạt chỉ tiêu CT1.1 (") for line in weaknesses)
    assert "- Chưa gửi báo cáo (2): Thôn 7, Đoàn Thanh niên Cộng sản Hồ Chí Minh xã." in weaknesses
    proposals = between(lines, "V. ĐỀ XUẤT, KIẾN NGHỊ", "Trên đây")
    assert f"- Công an xã: {PROPOSAL}." in proposals
    assert "- Thôn 2: Đề nghị hỗ trợ loa truyền thanh." in proposals
    assert not any(DIFFICULTY in line for line in proposals)


def test_next_tasks_are_the_ones_still_running(report: DocxDocument, plan: Plan) -> None:
    next_tasks = between(texts(report), "IV. NHIỆM VỤ", "V. ĐỀ XUẤT")
    # Every task of the sample plan runs all year, or is not done by every unit.
    assert len(next_tasks[1:]) == len(plan.tasks)
    assert any(
        "II.3 Kiện toàn Đoàn kiểm tra" in line and "Quý I/2024" in line and "đang thực hiện" in line
        for line in next_tasks
    )


def test_an_annual_report_drops_the_tasks_done(plan: Plan) -> None:
    # In the annual period, a task done by all its units and due within the year is over.
    values = {code: unit_values(plan, code) for code in ("VHXH", "HLHPN")}
    for code in values:
        for task in plan.tasks_for(plan.entry(code)):
            values[code][task.status_field] = "Hoàn thành"
    subs = [dataclasses.replace(s, period="CN-2024") for s in everyone(plan)]
    subs = [
        dataclasses.replace(s, values={**s.values, **values[s.unit]}) if s.unit in values else s
        for s in subs
    ]
    year = consolidate(
        plan, "CN-2024", dataclasses.replace(inbox(subs), period="CN-2024"), generated_at=NOW
    )
    lines = build_context(year, ENTRIES)["nhiem_vu_ky_toi"]
    assert not any("II.2.a" in line for line in lines)  # VHXH and HLHPN done, all year
    assert any("II.1.a" in line for line in lines)  # the supporting units still running


def test_signature_and_receivers(report: DocxDocument, plan: Plan) -> None:
    signature = report.tables[-1]
    assert borders_off(signature)
    left, right = signature.rows[0].cells
    heading = left.paragraphs[0]
    assert heading.text == "Nơi nhận:"
    assert all(r.bold and r.italic for r in heading.runs) and run_sizes(heading) == {12.0}
    receivers = left.paragraphs[1:]
    archive = f"- {plan.settings.archive_line}"
    assert [p.text for p in receivers] == ["- UBND huyện Triệu Sơn;", archive]
    assert all(run_sizes(p) == {11.0} for p in receivers)
    lines = [p.text for p in right.paragraphs]
    assert lines[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    assert lines[-1] == "Nguyễn Đình Toàn"
    assert lines[2:-1] == [""] * (len(lines) - 3) and len(lines) >= 5  # room to sign


def test_entries_replace_the_plan_settings(consolidation: Consolidation, plan: Plan) -> None:
    entries = ReportEntries(
        number="05/BC-UBND",
        signer_title="PHÓ CHỦ TỊCH",
        signer_name="Lê Văn An",
        authority="KT. CHỦ TỊCH",
        receivers=("UBND tỉnh Thanh Hóa", "Thường trực Đảng ủy xã;"),
        place="Triệu Sơn",
    )
    doc = docx.Document(io.BytesIO(build_document(consolidation, entries, None)))
    left, right = doc.tables[0].rows[0].cells
    assert left.paragraphs[3].text == "Số: 05/BC-UBND"
    assert right.paragraphs[3].text == "Triệu Sơn, ngày 18 tháng 6 năm 2024"
    signer = [p.text for p in doc.tables[-1].rows[0].cells[1].paragraphs]
    assert signer[:2] == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] and signer[-1] == "Lê Văn An"
    receivers = [p.text for p in doc.tables[-1].rows[0].cells[0].paragraphs[1:]]
    archive = f"- {plan.settings.archive_line}"
    assert receivers == ["- UBND tỉnh Thanh Hóa;", "- Thường trực Đảng ủy xã;", archive]


# --- page, fonts ---------------------------------------------------------------------


def test_page_margins_fonts_and_page_numbers(report: DocxDocument) -> None:
    section = report.sections[0]
    # Word keeps sizes in twentieths of a point: within a millimetre of A4.
    assert abs(section.page_width - Mm(210)) < Mm(1)
    assert abs(section.page_height - Mm(297)) < Mm(1)
    assert Mm(20) <= section.top_margin <= Mm(25)
    assert Mm(20) <= section.bottom_margin <= Mm(25)
    assert Mm(30) <= section.left_margin <= Mm(35)
    assert Mm(15) <= section.right_margin <= Mm(20)
    normal = report.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.font.size == Pt(14)
    fonts = normal.element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "Times New Roman"
    # Page numbers at the top centre, not on the first page.
    assert section.different_first_page_header_footer
    header = section.header._element
    assert any(" PAGE " in (t.text or "") for t in header.iter(qn("w:instrText")))
    assert not list(section.first_page_header._element.iter(qn("w:instrText")))
    assert section.header.paragraphs[0].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    # Every run of the body is 13 or 14 pt, or takes the body's 14 pt; the table 12 pt.
    for p in report.paragraphs:
        assert run_sizes(p) <= {None, 13.0, 14.0}, p.text
    rows = report.tables[1].rows
    assert all(
        run_sizes(p) == {12.0} for row in rows for c in row.cells for p in c.paragraphs if p.text
    )


# --- another plan --------------------------------------------------------------------


def test_another_plan_gets_its_own_names(plan: Plan) -> None:
    settings = dataclasses.replace(
        plan.settings,
        commune="Hòa Bình",
        plan_title="Kế hoạch phòng, chống mại dâm trên địa bàn xã Hòa Bình năm 2024",
        plan_number="08/KH-UBND",
        plan_date=date(2024, 1, 20),
        report_to="UBND tỉnh Thanh Hóa",
        signer_name="Trần Thị Bình",
    )
    roster = tuple(
        dataclasses.replace(e, name=e.name.replace("Tiến Nông", "Hòa Bình")) for e in plan.roster
    )
    indicators = tuple(
        dataclasses.replace(i, text=f"Chỉ tiêu riêng của Hòa Bình số {n}")
        for n, i in enumerate(plan.indicators, start=1)
    )
    other = dataclasses.replace(plan, settings=settings, roster=roster, indicators=indicators)
    data = build_document(consolidation_of(other), ReportEntries(), None)
    doc = docx.Document(io.BytesIO(data))
    everything = "\n".join(
        [*texts(doc), *(c.text for t in doc.tables for row in t.rows for c in row.cells)]
    )
    assert "Tiến Nông" not in everything
    assert "XÃ HÒA BÌNH" in everything
    assert "Số:       /BC-UBND" in everything  # no number entered: left for the office
    assert "Thực hiện Kế hoạch số 08/KH-UBND ngày 20 tháng 01 năm 2024 của Ủy ban nhân dân xã " in (
        everything
    )
    assert "Trần Thị Bình" in everything and "- UBND tỉnh Thanh Hóa;" in everything
    table = [[c.text for c in row.cells] for row in doc.tables[1].rows]
    assert table[1][1] == "CT1.1: Chỉ tiêu riêng của Hòa Bình số 1"


def test_a_plan_of_one_section_and_no_indicators(plan: Plan) -> None:
    tasks = tuple(t for t in plan.tasks if t.section.startswith("II.3"))
    fields = tuple(f for f in plan.fields if "mục II.3" in f.section or "mục" not in f.section)
    small = dataclasses.replace(plan, tasks=tasks, fields=fields, indicators=(), rules=())
    context = build_context(consolidation_of(small), ENTRIES)
    assert [m["ten"] for m in context["muc_ke_hoach"]] == ["Thanh tra, kiểm tra (mục II.3)"]
    assert context["chi_tieu"] == []
    doc = docx.Document(io.BytesIO(build_document(consolidation_of(small), ENTRIES, None)))
    assert doc.tables[1].rows[0].cells[0].text == "STT"
    assert len(doc.tables[1].rows) == 1


# --- the template --------------------------------------------------------------------


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_the_committed_template_is_built_from_the_code() -> None:
    committed = default_template()
    assert committed == TEMPLATE_FILE.read_bytes()
    fresh = build_template()
    # Every part alike, but the core properties, which python-docx versions write in
    # another order: those are compared by what they say.
    core = "docProps/core.xml"
    rebuild = "python -m workbook_tools.report.template_build"
    assert {k: v for k, v in parts(committed).items() if k != core} == {
        k: v for k, v in parts(fresh).items() if k != core
    }, rebuild
    said = [docx.Document(io.BytesIO(data)).core_properties for data in (committed, fresh)]
    for name in ("title", "author", "comments", "created", "modified"):
        assert getattr(said[0], name) == getattr(said[1], name), rebuild


def test_same_input_same_bytes(consolidation: Consolidation) -> None:
    assert build_document(consolidation, ENTRIES, None) == build_document(
        consolidation, ENTRIES, None
    )


def test_every_tag_is_explained() -> None:
    # Every name the template is given is in the guide and the module's docstring.
    plan = load_sample_plan()
    keys = build_context(consolidation_of(plan), ENTRIES).keys()
    for key in keys:
        assert key in TEMPLATE_GUIDE, key
        assert key in (document.__doc__ or ""), key


def officer_template(tmp_path: Path, *lines: str) -> Path:
    """A template an officer made in Word: the built-in one, with paragraphs added."""
    doc = docx.Document(io.BytesIO(default_template()))
    for line in lines:
        doc.add_paragraph(line)
    path = tmp_path / "Mẫu của xã.docx"
    doc.save(path)
    return path


def test_the_officers_template_is_used(tmp_path: Path, consolidation: Consolidation) -> None:
    path = officer_template(tmp_path, "Ghi chú của xã {{ xa }}: {{ chi_tieu|length|so }} chỉ tiêu.")
    doc = docx.Document(io.BytesIO(build_document(consolidation, ENTRIES, path)))
    assert "Ghi chú của xã Tiến Nông: 11 chỉ tiêu." in texts(doc)
    # Asked for, the built-in template is used instead.
    builtin = build_document(consolidation, ENTRIES, path, use_builtin=True)
    assert builtin == build_document(consolidation, ENTRIES, None)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("Tên xã: {{ xa }", "thẻ viết sai"),
        ("{%p for dong in tinh_hinh %}", "thẻ viết sai"),  # no endfor
        ("Người lập: {{ nguoi_lap_bieu }}", "thẻ không có: nguoi_lap_bieu"),
        ("{{ chi_tieu[0].khong_co }}", "thẻ không có: khong_co"),
    ],
)
def test_a_broken_template_says_the_file_and_the_tag(
    tmp_path: Path, consolidation: Consolidation, line: str, said: str
) -> None:
    path = officer_template(tmp_path, "Đoạn trước.", line, "Đoạn sau.")
    with pytest.raises(TemplateError) as caught:
        build_document(consolidation, ENTRIES, path)
    message = str(caught.value)
    assert str(path) in message and caught.value.path == str(path)
    assert said in message
    if "{{ xa }" in line or "nguoi_lap_bieu" in line:
        assert "đoạn văn thứ" in message and line[:8] in message


def test_not_a_docx(tmp_path: Path, consolidation: Consolidation) -> None:
    for name, data in (
        ("mau.docx", b"plain text, not a zip"),
        ("mau.xlsx.docx", parts_zip({"xl/workbook.xml": b"<workbook/>"})),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(TemplateError) as caught:
            build_document(consolidation, ENTRIES, path)
        assert str(path) in str(caught.value)
        assert "không phải tệp Word (.docx)" in str(caught.value)
    missing = tmp_path / "khong_co.docx"
    with pytest.raises(TemplateError, match="Không tìm thấy mẫu báo cáo"):
        build_document(consolidation, ENTRIES, missing)


def parts_zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


# --- helpers -------------------------------------------------------------------------


def test_timeframe_end() -> None:
    assert timeframe_end("Quý I/2024", 2024) == date(2024, 3, 31)
    assert timeframe_end("Thường xuyên trong năm", 2024) == date(2024, 12, 31)
    assert timeframe_end("Quý I - Quý II/2024", 2024) == date(2024, 6, 30)
    assert timeframe_end("Tháng 2/2024", 2024) == date(2024, 2, 29)
    assert timeframe_end("trước 15/09/2024", 2024) == date(2024, 9, 15)
    assert timeframe_end("Năm 2025", 2024) == date(2025, 12, 31)
    assert timeframe_end("Khi có chỉ đạo", 2024) is None


def test_vietnamese_numbers() -> None:
    assert thousands_text(1250) == "1.250"
    assert thousands_text(1250000) == "1.250.000"
    assert number_text(Fraction(25, 2)) == "12,5"
    assert number_text(Fraction(1, 3)) == "0,33"
    assert number_text(7) == "7"
