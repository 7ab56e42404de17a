"""The forms and the report as printed: no text cut at the bottom of its row, no row far
taller than its text, no heading alone at the foot of a page, pages as wide as the paper.

Each wrapped cell's text is wrapped again here at its column's width read back from the
file (openpyxl), in the cell's own font, with :mod:`workbook_tools.textfit`; with
LibreOffice on the machine the CA form is also printed to PDF and read back (pdftotext).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from workbook_tools import textfit
from workbook_tools.forms import build_forms, contract
from workbook_tools.forms.layout import FONT_SIZE
from workbook_tools.plan import load_sample_plan
from workbook_tools.plan.model import Plan
from workbook_tools.report.pdf import make_pdfs

PERIOD = "6T-2024"
NOW = datetime(2024, 6, 1, 8, 0)
SECTION_FILL = "EDEDED"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_sample_plan()


@pytest.fixture(scope="module")
def sheets(plan: Plan) -> dict[str, Worksheet]:
    """Every form's main sheet, by unit code: units with tasks and the villages."""
    forms = build_forms(plan, PERIOD, now=NOW)
    return {
        f.entry.code: load_workbook(io.BytesIO(f.content))[contract.MAIN_SHEET] for f in forms
    }


def spans(ws: Worksheet) -> dict[tuple[int, int], int]:
    """(row, first column) → last column of each merged range."""
    return {(m.min_row, m.min_col): m.max_col for m in ws.merged_cells.ranges}


def width_of(ws: Worksheet, first: int, last: int, default_size: float) -> float:
    """Printed width of columns ``first``..``last`` (1-based), as the file stores them
    (one <col> element may give several columns their width)."""
    stored: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.max is not None and dim.customWidth:
            for col in range(dim.min, dim.max + 1):
                stored[col] = dim.width
    return sum(
        textfit.stored_column_points(stored.get(c, 8.43), default_size)
        for c in range(first, last + 1)
    )


def needed_heights(
    ws: Worksheet, default_size: float, single: bool = True
) -> dict[int, float]:
    """Each row's height as its wrapped texts need it, in points (``single``: rows of
    one line too)."""
    merged = spans(ws)
    needed: dict[int, float] = {}
    for row in ws.iter_rows():
        for cell in row:
            if not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                continue
            if cell.data_type == "f":  # a total: it shows a number
                continue
            last = merged.get((cell.row, cell.column), cell.column)
            width = width_of(ws, cell.column, last, default_size)
            size = float(cell.font.sz or default_size)
            lines = textfit.line_count(
                cell.value, width, size, bool(cell.font.b), bool(cell.font.i)
            )
            if lines == 1 and not single:
                continue
            height = textfit.rows_height(lines, size)
            needed[cell.row] = max(needed.get(cell.row, 0.0), height)
    return needed


def test_every_forms_text_fits_its_row(sheets: dict[str, Worksheet]) -> None:
    assert {"CA", "VHXH", "T01"} <= set(sheets)
    for code, ws in sheets.items():
        for row, height in needed_heights(ws, FONT_SIZE).items():
            shown = ws.row_dimensions[row].height
            assert shown is not None, (code, row)
            assert shown + 0.01 >= height, (code, row, shown, height)


def test_no_forms_row_far_taller_than_its_text(sheets: dict[str, Worksheet]) -> None:
    for code, ws in sheets.items():
        free_text = {
            c.row for r in ws.iter_rows() for c in r if c.protection.locked is False
            and c.number_format == "@"
        }  # fmt: skip
        for row, height in needed_heights(ws, FONT_SIZE).items():
            shown = ws.row_dimensions[row].height or 0
            if row not in free_text:  # a free-text answer gets room for a few lines
                assert shown <= height + 0.01, (code, row, shown, height)


def is_heading(ws: Worksheet, row: int) -> bool:
    cell = ws.cell(row, 1)
    color = cell.fill.fgColor.rgb if cell.fill is not None else None
    return bool(cell.font.b) and isinstance(color, str) and color.endswith(SECTION_FILL)


def test_no_heading_ends_a_printed_page(sheets: dict[str, Worksheet]) -> None:
    ca = sheets["CA"]
    assert ca.row_breaks.brk, "the CA form prints on more than one page"
    for code, ws in sheets.items():
        for brk in ws.row_breaks.brk:
            # openpyxl's break id is the last row of a page (1-based)
            assert not is_heading(ws, brk.id), (code, brk.id)
            assert is_heading(ws, brk.id + 1) or ws.cell(brk.id + 1, 1).value is not None


def test_the_ca_form_prints_whole(sheets: dict[str, Worksheet], plan: Plan,
                                  tmp_path: Path) -> None:  # fmt: skip
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or poppler-utils is not installed")
    form = next(f for f in build_forms(plan, PERIOD, now=NOW) if f.entry.code == "CA")
    source = tmp_path / "ca.xlsx"
    source.write_bytes(form.content)
    outcome = make_pdfs([source])
    assert outcome.written, outcome
    done = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "ca.pdf"), "-"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    text = unicodedata.normalize("NFC", done.stdout.decode("utf-8"))
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 2
    for page in pages:
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        body = [line for line in lines if not line.startswith("Trang ")]
        last = body[-1]
        assert not last.startswith("Nhiệm vụ "), last  # a task's heading ends no page
    flat = " ".join(text.split())
    for task in plan.tasks_for(plan.entry("CA")):
        assert " ".join(task.text.split())[-30:] in flat, task.code


# --- the report workbook -------------------------------------------------------------


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from workbook_tools import demo
    from workbook_tools.cli import cli

    root = tmp_path_factory.mktemp("print") / "xa"
    demo.prepare(root)
    result = CliRunner().invoke(cli, ["merge", "--period", PERIOD, "--dir", str(root)])
    assert result.exit_code == 0, result.output
    return root / "outbox" / PERIOD / f"BaoCao_TongHop_{PERIOD}.xlsx"


def test_the_reports_texts_fit_their_rows(report: Path) -> None:
    book = load_workbook(report)
    for ws in book.worksheets:
        for row, height in needed_heights(ws, 11, single=False).items():
            shown = ws.row_dimensions[row].height or 15.0
            assert shown + 0.01 >= height, (ws.title, row, shown, height)


def test_the_signature_block_prints_on_one_page(report: Path) -> None:
    ws = load_workbook(report)["Tổng hợp"]
    assert ws.print_title_rows is None  # no table heading above "CHỦ TỊCH"
    first = next(c.row for c in ws["A"] if c.value == "Nơi nhận:")
    last = max(c.row for r in ws.iter_rows(min_row=first) for c in r if c.value)
    for brk in ws.row_breaks.brk:
        assert not first <= brk.id < last, (brk.id, first, last)


def test_the_chart_labels_one_series(report: Path) -> None:
    import zipfile

    with zipfile.ZipFile(report) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert chart.count("<c:showVal val=\"1\"/>") == 1


def test_the_units_sheets_headings_are_numbered_in_order(report: Path) -> None:
    import re

    ws = load_workbook(report)["Theo đơn vị"]
    numbers = [
        int(m.group(1))
        for c in ws["A"]
        if isinstance(c.value, str) and (m := re.match(r"(\d+)\. ", c.value))
    ]
    assert numbers == list(range(1, len(numbers) + 1)) and numbers
