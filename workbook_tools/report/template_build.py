"""Build the Word report's built-in template from python-docx code.

    python -m workbook_tools.report.template_build [OUTPUT]

writes ``workbook_tools/sample/mau_bao_cao.docx`` (or OUTPUT): a .docx with
Jinja tags that :mod:`workbook_tools.report.document` fills (the tags are listed
there, :data:`~workbook_tools.report.document.TEMPLATE_GUIDE`). This code is
what is reviewed; the .docx is rebuilt from it, and a test fails when the two
drift apart. The officer may copy the .docx and edit it in Word.

The layout is Decree 30/2020/NĐ-CP's (appendix I): A4; margins 20 mm top and
bottom, 30 mm left, 15 mm right; Times New Roman, 14 pt text; the title block
as a borderless two-column table (issuing body and number left, national title
and motto right, each with a short line under it, then place and date in
italics); "BÁO CÁO" and its summary (trích yếu) centred in bold; page numbers
at the top centre from the second page; receivers (12 pt and 11 pt) and the
signature at the end.
"""

from __future__ import annotations

import io
import sys
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, Twips
from docx.table import Table
from docx.text.paragraph import Paragraph

from workbook_tools.report.document import stable_zip

TEMPLATE_FILE = Path(__file__).resolve().parent.parent / "sample" / "mau_bao_cao.docx"

FONT = "Times New Roman"
BODY_SIZE = 14  # Decree 30: 13–14 pt
TITLE_SIZE = 13  # the national title and the issuing body: 12–13 pt; the motto 13–14 pt
RECEIVERS_HEADING_SIZE = 12
RECEIVERS_SIZE = 11
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)  # A4
MARGIN_TOP = MARGIN_BOTTOM = Mm(20)
# Word keeps margins in twips: 851 twips is 15.01 mm (Mm(15) would round down to 14.99 mm).
MARGIN_LEFT, MARGIN_RIGHT = Mm(30), Twips(851)
TEXT_WIDTH = 165  # mm, between the margins
TITLE_COLUMNS = (60, 105)  # mm: issuing body, national title
INDICATOR_COLUMNS = (12, 68, 37, 23, 25)  # mm: STT, chỉ tiêu, kết quả, mức cần đạt, đánh giá
INDICATOR_HEADERS = ("STT", "Chỉ tiêu", "Kết quả", "Mức cần đạt", "Đánh giá")
INDICATOR_SIZE = 12
SIGNATURE_COLUMNS = (75, 90)  # mm: receivers, signature
# Fixed so that the same code builds the same bytes.
BUILT_AT = datetime(2024, 1, 1)

CENTER = WD_ALIGN_PARAGRAPH.CENTER
LEFT = WD_ALIGN_PARAGRAPH.LEFT


def build_template() -> bytes:
    """The built-in template's bytes (always the same for the same code)."""
    doc = Document()
    _page_setup(doc)
    _styles(doc)
    body = doc.add_paragraph
    _title_block(doc)
    _centered(doc.add_paragraph(), "BÁO CÁO", bold=True, space_before=18)
    _centered(doc.add_paragraph(), "{{ trich_yeu }}", bold=True)
    _short_line(doc.add_paragraph(), width=50, column=TEXT_WIDTH, space_after=12)

    body("{{ mo_dau }}")
    _heading(doc, "I. TÌNH HÌNH CHUNG")
    _loop(doc, "doan", "tinh_hinh", "{{ doan }}")

    _heading(doc, "II. KẾT QUẢ THỰC HIỆN")
    body("{%p for muc in muc_ke_hoach %}")
    _heading(doc, "{{ muc.so }}. {{ muc.ten }}")
    body("{%p for nv in muc.nhiem_vu %}")
    _italic(doc.add_paragraph(), "{{ nv.ten }}")
    _loop(doc, "dong", "nv.bao_cao", "- {{ dong }}")
    body("{%p endfor %}")
    body("{%p if muc.so_lieu %}")
    _italic(doc.add_paragraph(), "Số liệu các {{ doi_tuong }} báo cáo:")
    _loop(doc, "dong", "muc.so_lieu", "- {{ dong }}")
    body("{%p endif %}")
    _loop(doc, "dong", "muc.chi_tieu", "- {{ dong }}")
    body("{%p endfor %}")
    _heading(doc, "{{ so_muc_chi_tieu }}. Kết quả thực hiện các chỉ tiêu của Kế hoạch")
    body("Số liệu tổng hợp đến {{ ngay_tong_hop }}:")
    _indicator_table(doc)
    body("{%p if so_sanh %}")
    _italic(doc.add_paragraph(), "So với các kỳ báo cáo trước:")
    _loop(doc, "dong", "so_sanh", "- {{ dong }}")
    body("{%p endif %}")

    _heading(doc, "III. ĐÁNH GIÁ CHUNG")
    _heading(doc, "1. Ưu điểm")
    _loop(doc, "dong", "uu_diem", "- {{ dong }}")
    _heading(doc, "2. Hạn chế")
    _loop(doc, "dong", "han_che", "- {{ dong }}")
    body("{%p if kho_khan %}")
    body("Khó khăn, vướng mắc các {{ doi_tuong }} nêu:")
    _loop(doc, "dv", "kho_khan", "- {{ dv.ten }}: {{ dv.noi_dung }}")
    body("{%p endif %}")
    _heading(doc, "3. Nguyên nhân")
    _loop(doc, "dong", "nguyen_nhan", "- {{ dong }}")

    _heading(doc, "IV. NHIỆM VỤ TRỌNG TÂM KỲ TỚI")
    _loop(doc, "dong", "nhiem_vu_ky_toi", "- {{ dong }}")

    _heading(doc, "V. ĐỀ XUẤT, KIẾN NGHỊ")
    body("{%p if de_xuat %}")
    _loop(doc, "dv", "de_xuat", "- {{ dv.ten }}: {{ dv.noi_dung }}")
    body("{%p else %}")
    body("Các thôn, đơn vị không có đề xuất, kiến nghị.")
    body("{%p endif %}")
    body("{{ ket_thuc }}")

    _signature_block(doc)
    _page_numbers(doc)
    _properties(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    return stable_zip(buffer.getvalue())


# --- page and styles -----------------------------------------------------------------


def _page_setup(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance = section.footer_distance = Mm(10)


def _styles(doc: DocxDocument) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_SIZE)
    # Vietnamese letters are not all in the "ascii" range: every script's font is set.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(script), FONT)
    paragraph = normal.paragraph_format
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.first_line_indent = Mm(10)  # Decree 30: 1 cm or 1.27 cm
    paragraph.space_before = Pt(0)
    paragraph.space_after = Pt(6)  # Decree 30: at least 6 pt between paragraphs
    paragraph.line_spacing = 1.15  # Decree 30: single to 1.5 lines
    for name in ("Header", "Table Grid"):
        if name in [s.name for s in doc.styles]:
            doc.styles[name].font.name = FONT


def _properties(doc: DocxDocument) -> None:
    core = doc.core_properties
    core.title = "Mẫu báo cáo kết quả thực hiện kế hoạch (Nghị định 30/2020/NĐ-CP)"
    core.author = core.last_modified_by = "wbt"
    core.comments = "Mẫu báo cáo của wbt: các thẻ trong văn bản được thay bằng số liệu tổng hợp."
    core.created = core.modified = BUILT_AT


# --- paragraphs ----------------------------------------------------------------------


def _format(
    paragraph: Paragraph,
    *,
    align: WD_ALIGN_PARAGRAPH | None = None,
    space_before: float = 0,
    space_after: float = 0,
    indent: bool = False,
) -> None:
    fmt = paragraph.paragraph_format
    if align is not None:
        fmt.alignment = align
    fmt.space_before = Pt(space_before)
    fmt.space_after = Pt(space_after)
    fmt.line_spacing = 1.0
    if not indent:
        fmt.first_line_indent = Mm(0)


def _run(
    paragraph: Paragraph,
    text: str,
    *,
    size: float = BODY_SIZE,
    bold: bool = False,
    italic: bool = False,
) -> None:
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold or None
    run.italic = italic or None


def _centered(
    paragraph: Paragraph,
    text: str,
    *,
    size: float = BODY_SIZE,
    bold: bool = False,
    italic: bool = False,
    space_before: float = 0,
) -> Paragraph:
    _format(paragraph, align=CENTER, space_before=space_before)
    _run(paragraph, text, size=size, bold=bold, italic=italic)
    return paragraph


def _italic(paragraph: Paragraph, text: str) -> None:
    _run(paragraph, text, italic=True)


def _heading(doc: DocxDocument, text: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.keep_with_next = True
    _run(paragraph, text, bold=True)


def _loop(doc: DocxDocument, item: str, items: str, line: str) -> None:
    """One paragraph ``line`` repeated for each ``item`` of the list ``items``."""
    doc.add_paragraph("{%p for " + item + " in " + items + " %}")
    doc.add_paragraph(line)
    doc.add_paragraph("{%p endfor %}")


def _short_line(
    paragraph: Paragraph, *, width: float, column: float, space_after: float = 0
) -> None:
    """A horizontal line ``width`` mm long, centred in a ``column`` mm wide.

    Drawn as the bottom border of an empty paragraph squeezed to a few points
    high, between indents: Word, LibreOffice and WPS all show it where it is.
    """
    _format(paragraph, align=CENTER, space_after=space_after)
    fmt = paragraph.paragraph_format
    side = Mm((column - width) / 2)
    fmt.left_indent = fmt.right_indent = side
    fmt.line_spacing = Pt(4)  # exactly 4 pt: the line sits just under the text above
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


# --- tables --------------------------------------------------------------------------


def _fixed_table(doc: DocxDocument, rows: int, widths: tuple[int, ...]) -> Table:
    table: Table = doc.add_table(rows=rows, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Mm(width)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    return table


def _no_borders(table: Table) -> None:
    """Said in the table itself, so that no style of Word's gives it borders."""
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _title_block(doc: DocxDocument) -> None:
    table = _fixed_table(doc, 1, TITLE_COLUMNS)
    _no_borders(table)
    left, right = table.rows[0].cells
    # Left: the issuing body, in full (a commune's People's Committee has no parent line).
    _centered(left.paragraphs[0], "ỦY BAN NHÂN DÂN", size=TITLE_SIZE, bold=True)
    _centered(left.add_paragraph(), "{{ xa_in_hoa }}", size=TITLE_SIZE, bold=True)
    _short_line(left.add_paragraph(), width=22, column=TITLE_COLUMNS[0] - 4)
    number = _centered(left.add_paragraph(), "Số: {{ so_ky_hieu }}", size=TITLE_SIZE)
    number.paragraph_format.space_before = Pt(6)
    # Right: the national title, the motto with a line its length under it, place and date.
    _centered(right.paragraphs[0], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=TITLE_SIZE, bold=True)
    _centered(right.add_paragraph(), "Độc lập - Tự do - Hạnh phúc", size=TITLE_SIZE, bold=True)
    _short_line(right.add_paragraph(), width=62, column=TITLE_COLUMNS[1] - 4)
    date_line = _centered(
        right.add_paragraph(), "{{ dia_danh_ngay }}", size=TITLE_SIZE, italic=True
    )
    date_line.paragraph_format.space_before = Pt(6)


def _indicator_table(doc: DocxDocument) -> None:
    table = _fixed_table(doc, 4, INDICATOR_COLUMNS)
    table.style = doc.styles["Table Grid"]
    header, loop_start, row, loop_end = table.rows
    for cell, text in zip(header.cells, INDICATOR_HEADERS, strict=True):
        _centered(cell.paragraphs[0], text, size=INDICATOR_SIZE, bold=True)
    # The header row is repeated on every page the table runs onto.
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    loop_start.cells[0].paragraphs[0].add_run("{%tr for ct in chi_tieu %}")
    loop_end.cells[0].paragraphs[0].add_run("{%tr endfor %}")
    cells = (
        ("{{ ct.stt }}", CENTER),
        ("{{ ct.ma }}: {{ ct.ten }}", LEFT),
        ("{{ ct.ket_qua }}", CENTER),
        ("{{ ct.muc_can_dat }}", CENTER),
        ("{{ ct.danh_gia }}", CENTER),
    )
    for cell, (text, align) in zip(row.cells, cells, strict=True):
        paragraph = cell.paragraphs[0]
        _format(paragraph, align=align, space_before=2, space_after=2)
        _run(paragraph, text, size=INDICATOR_SIZE)
    doc.add_paragraph()  # Word needs a paragraph between two tables


def _signature_block(doc: DocxDocument) -> None:
    table = _fixed_table(doc, 1, SIGNATURE_COLUMNS)
    _no_borders(table)
    left, right = table.rows[0].cells
    heading = left.paragraphs[0]
    _format(heading, align=LEFT, space_before=6)
    _run(heading, "Nơi nhận:", size=RECEIVERS_HEADING_SIZE, bold=True, italic=True)
    for text in ("{%p for nn in noi_nhan %}", "- {{ nn }}", "{%p endfor %}"):
        paragraph = left.add_paragraph()
        _format(paragraph, align=LEFT)
        _run(paragraph, text, size=RECEIVERS_SIZE)
    first = _centered(right.paragraphs[0], "{{ tham_quyen_ky }}", bold=True)
    first.paragraph_format.space_before = Pt(6)
    _centered(right.add_paragraph(), "{{ chuc_vu }}", bold=True)
    for _ in range(4):  # room for the signature and the seal
        _centered(right.add_paragraph(), "")
    _centered(right.add_paragraph(), "{{ nguoi_ky }}", bold=True)


def _page_numbers(doc: DocxDocument) -> None:
    """The page number at the top centre, from the second page (Decree 30)."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    _format(paragraph, align=CENTER)
    for kind, text in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, "2"),
        ("end", None),
    ):
        run = paragraph.add_run()
        run.font.size = Pt(BODY_SIZE)
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._r.append(instruction)
        else:
            run.text = text or ""
    # An empty first-page header: nothing is printed on page 1.
    _format(section.first_page_header.paragraphs[0], align=CENTER)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else TEMPLATE_FILE
    output.write_bytes(build_template())
    print(f"Đã ghi {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
