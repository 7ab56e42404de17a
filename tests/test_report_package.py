"""The report's villages table written by a second process: the same file, or written here."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import zipfile
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from tests.merge_data import NOW, PERIOD, everyone, inbox
from workbook_tools.consolidation import Consolidation, consolidate
from workbook_tools.plan import load_sample_plan
from workbook_tools.report import build_workbook, package
from workbook_tools.report import workbook as report_workbook
from workbook_tools.report import write as report_write
from workbook_tools.report.package import SplitWorkbook
from workbook_tools.report.workbook import SPLIT_MIN, VILLAGES_SHEET

pytestmark = pytest.mark.skipif(not package.can_split(), reason="no forked processes here")

_OPTIONS = {"in_memory": True}


@pytest.fixture(scope="module")
def consolidation() -> Consolidation:
    plan = load_sample_plan()
    return consolidate(plan, PERIOD, inbox(everyone(plan)), generated_at=NOW)


def _written_by(pids: Path) -> Any:
    """package._assemble, noting in ``pids`` which process wrote each worksheet."""
    assemble = package._assemble

    def noted(ws: Any) -> str:
        with pids.open("a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {ws.name}\n")
        return assemble(ws)  # type: ignore[no-any-return]

    return noted


def _writers(pids: Path) -> list[tuple[str, bool]]:
    """(worksheet, written by another process) for each worksheet noted in ``pids``."""
    noted = [line.split(" ", 1) for line in pids.read_text(encoding="utf-8").splitlines()]
    return [(name, int(pid) != os.getpid()) for pid, name in noted]


def test_the_villages_table_is_written_by_another_process_into_the_same_bytes(
    consolidation: Consolidation, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    alone = build_workbook(consolidation, split=False)
    pids = tmp_path / "pids.txt"
    monkeypatch.setattr(package, "_assemble", _written_by(pids))
    split = build_workbook(consolidation, split=True)
    assert _writers(pids) == [(VILLAGES_SHEET, True)]
    assert split == alone
    values = CalamineWorkbook.from_filelike(io.BytesIO(split))
    villages = values.get_sheet_by_name(VILLAGES_SHEET).to_python()
    assert any(row[1] == "T01" for row in villages)


def test_by_default_only_large_rosters_are_split(
    consolidation: Consolidation, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    entries = len(consolidation.plan.roster)
    assert entries < SPLIT_MIN  # the sample plan: one process
    pids = tmp_path / "pids.txt"
    monkeypatch.setattr(package, "_assemble", _written_by(pids))
    build_workbook(consolidation)
    assert not pids.exists()
    monkeypatch.setattr(report_workbook, "SPLIT_MIN", entries)
    build_workbook(consolidation)
    assert _writers(pids) == [(VILLAGES_SHEET, True)]


def test_a_forked_process_that_fails_leaves_the_table_to_this_one(
    consolidation: Consolidation,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    parent = os.getpid()
    assemble = package._assemble

    def fails_when_forked(ws: Any) -> str:
        if os.getpid() != parent:
            raise RuntimeError("a bug met in the forked process")
        return assemble(ws)  # type: ignore[no-any-return]

    monkeypatch.setattr(package, "_assemble", fails_when_forked)
    assert build_workbook(consolidation, split=True) == build_workbook(consolidation, split=False)
    assert "Traceback" not in capfd.readouterr().err


def _two_sheets(aside: bool, fill: Any) -> bytes:
    """Sheets A and B; B, filled by ``fill``, handed aside when complete if ``aside``."""
    buffer = io.BytesIO()
    wb = SplitWorkbook(buffer, dict(_OPTIONS))
    first, second = wb.add_worksheet("A"), wb.add_worksheet("B")
    fill(wb, second)
    if aside:
        wb.write_aside(second)
    first.write_string(0, 0, "đầu", wb.add_format({"bold": True}))
    wb.close()
    return buffer.getvalue()


def test_a_style_first_numbered_while_writing_aside_is_written_here(tmp_path: Path) -> None:
    # xlsxwriter's own link style is numbered when a part first uses it: the
    # forked process would number it alone, so the sheet is written here.
    def fill(wb: Any, ws: Any) -> None:
        ws.write_string(0, 0, "gạch chân", wb.default_url_format)
        ws.write_number(1, 0, 7, wb.add_format({"italic": True}))

    split = _two_sheets(True, fill)
    path = tmp_path / "b.xlsx"
    path.write_bytes(split)
    book = openpyxl.load_workbook(path)
    assert book["A"]["A1"].font.b
    assert book["B"]["A1"].value == "gạch chân"
    assert book["B"]["A1"].font.u == "single"
    assert book["B"]["A2"].value == 7
    assert book["B"]["A2"].font.i
    assert not book["B"]["A2"].font.u


def test_a_sheet_with_links_is_written_here(tmp_path: Path) -> None:
    # Its own style, numbered when made: only the link itself keeps it here
    # (xlsxwriter lists a worksheet's links while it writes the worksheet).
    def fill(wb: Any, ws: Any) -> None:
        link = wb.add_format({"underline": 1, "font_color": "blue"})
        ws.write_url(0, 0, "https://example.org/", link, string="liên kết")

    split = _two_sheets(True, fill)
    assert split == _two_sheets(False, fill)
    path = tmp_path / "links.xlsx"
    path.write_bytes(split)
    assert openpyxl.load_workbook(path)["B"]["A1"].hyperlink.target == "https://example.org/"


def _children() -> set[int]:
    """The processes this one has started and not yet waited for (Linux)."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        found.update(int(pid) for pid in (task / "children").read_text().split())
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="no /proc here")
def test_no_forked_process_is_left_when_closing_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _children()
    wb = SplitWorkbook(io.BytesIO(), dict(_OPTIONS))
    ws = wb.add_worksheet("B")
    ws.write_number(0, 0, 7)
    wb.write_aside(ws)
    assert _children() - before  # the worksheet is being written aside

    def fails(self: Any) -> None:
        raise RuntimeError("a fault while closing")

    monkeypatch.setattr(Workbook, "_store_workbook", fails)
    with pytest.raises(RuntimeError):
        wb.close()
    assert _children() == before


def test_a_workbook_built_in_a_forked_process_is_split_there_into_the_same_bytes(
    consolidation: Consolidation, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # merge builds a large roster's workbook in a forked process (report/write.py),
    # which hands the villages' table to a process of its own, and is handed the
    # indicators as they are computed.
    monkeypatch.setattr(report_workbook, "SPLIT_MIN", 1)
    pids = tmp_path / "pids.txt"
    monkeypatch.setattr(package, "_assemble", _written_by(pids))
    tables = dataclasses.replace(consolidation, indicators=())
    with contextlib.ExitStack() as later:
        _, wait = report_write._workbook(tables, aside=True, pending=True, later=later)
        built = wait()
    assert _writers(pids) == [(VILLAGES_SHEET, True)]
    assert built == build_workbook(consolidation, split=False)


@pytest.mark.parametrize(
    "attribute",
    [0, 7, 123456, 1.5, None, "A1", "XFD1048576", 'a "b" & <c>\nd', "Thôn 1 & 2", "", b"x"],
)
def test_a_quick_worksheet_escapes_attributes_as_xlsxwriter_does(attribute: object) -> None:
    quick = package.QuickWorksheet()._escape_attributes(attribute)
    assert quick == Worksheet()._escape_attributes(attribute)


def _every_kind_of_cell(path: Path, options: dict[str, Any], worksheet_class: type) -> str:
    """The XML of a worksheet holding every kind of cell xlsxwriter writes, as
    ``worksheet_class`` writes it into the workbook ``path``."""
    book = Workbook(path, options)
    book.worksheet_class = worksheet_class
    ws = book.add_worksheet()
    own, row_format, col_format = (book.add_format({"bold": True}) for _ in range(3))
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    ws.set_column(5, 5, None, col_format)
    for row in range(12):  # rows in order, as constant_memory needs
        if row == 9:
            ws.set_row(row, None, row_format)
        ws.write_number(row, 0, row * 1.5 - 3, own)
        ws.write_number(row, 1, 10**row + 0.25)  # without a format: the row's or column's
        ws.write_string(row, 2, f"Thôn {row} & <{row % 3}>", own)
        ws.write_string(row, 3, "chữ")
        ws.write_blank(row, 4, None, own)
        ws.write_blank(row, 5, None, None)  # not written: no format of its own
        ws.write_datetime(row, 6, datetime(2024, 6, 1 + row, 8, 30), date)
        ws.write_boolean(row, 7, row % 2 == 0, own)
        ws.write_formula(row, 8, f"=A{row + 1}*2", own, row * 3.0 - 6)
        ws.write_rich_string(row, 9, "a ", own, "b", " c")
        ws.write_url(row, 10, f"https://example.org/{row}", own, string=f"link {row}")
        ws.write_number(row, 11, 1e300 if row == 11 else -0.0, own)
    ws.write_array_formula(12, 0, 12, 0, "{=SUM(A1:A12*B1:B12)}", own, 42)
    book.close()
    with zipfile.ZipFile(path) as written:
        return written.read("xl/worksheets/sheet1.xml").decode("utf-8")


@pytest.mark.parametrize(
    "options", [{"in_memory": True}, {"constant_memory": True}], ids=["in memory", "constant"]
)
def test_a_quick_worksheet_writes_every_kind_of_cell_as_xlsxwriter_does(
    options: dict[str, Any], tmp_path: Path
) -> None:
    quick = _every_kind_of_cell(tmp_path / "quick.xlsx", options, package.QuickWorksheet)
    assert quick == _every_kind_of_cell(tmp_path / "own.xlsx", options, Worksheet)
    # What the quick cells are, as a spreadsheet program reads them.
    values = CalamineWorkbook.from_path(str(tmp_path / "quick.xlsx")).get_sheet_by_index(0)
    rows = values.to_python()
    assert rows[0][0] == -3 and rows[2][2] == "Thôn 2 & <2>" and rows[11][11] == 1e300
    assert rows[3][6] == datetime(2024, 6, 4, 8, 30)


def _stored(options: dict[str, Any], worksheet_class: type, tmp_path: Path) -> list[object]:
    """What each call of a worksheet's write methods gave, then what the sheet holds."""
    book = Workbook(tmp_path / f"{worksheet_class.__name__}.xlsx", options)
    book.worksheet_class = worksheet_class
    ws = book.add_worksheet()
    fmt = book.add_format({"bold": True})
    # Beyond half of Excel's 32,767 UTF-16 units; beyond it (too many characters,
    # or characters taking two units each): cut to it.
    long, longer, wide = "ữ" * 20_000, "ab" * 20_000, "😀" * 20_000
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
        ("write_number", (2, 1, 7, fmt), {}),
        ("write_number", (0, 3, -2.5, None), {}),
        ("write_number", (9, 0, 1, fmt), {}),
        ("write_string", (1, 7, "a", fmt), {}),
        ("write_blank", (4, 2, None, fmt), {}),
        ("write_number", (5, 0, -0.0, fmt), {}),
        ("write_number", (1, 2, 10**20, fmt), {}),
        ("write_number", (3, 3, True, fmt), {}),
        ("write_number", (3, 4, Fraction(1, 3), fmt), {}),
        ("write_number", (3, 5, float("nan"), fmt), {}),
        ("write_number", (3, 6, float("-inf"), fmt), {}),
        ("write_number", ("H9", 4, fmt), {}),
        ("write_number", (4, 4, 4), {"cell_format": fmt}),
        ("write_number", (-1, 0, 1, fmt), {}),
        ("write_number", (1_048_576, 0, 1, fmt), {}),
        ("write_number", (0, 16_384, 1, fmt), {}),
        ("write_string", (6, 0, "Thôn 1", fmt), {}),
        ("write_string", (6, 1, "Thôn 1", None), {}),
        ("write_string", (6, 2, "", fmt), {}),
        ("write_string", (6, 3, long, fmt), {}),
        ("write_string", (6, 4, longer, fmt), {}),
        ("write_string", (6, 5, wide, fmt), {}),
        ("write_string", ("J12", "chữ", fmt), {}),
        ("write_string", (7, 0, 12, fmt), {}),
        ("write_string", (7, 1, "x", fmt), {}),
        ("write_string", (7, 1 << 20, "x", fmt), {}),
        ("write_blank", (8, 0, None, fmt), {}),
        ("write_blank", (8, 1, None, None), {}),
        ("write_blank", (8, 2, "ignored", fmt), {}),
        ("write_blank", ("L14", None, fmt), {}),
        ("write_blank", (8, -3, None, fmt), {}),
    ]
    given: list[object] = []
    for name, args, kwargs in calls:
        try:
            given.append(getattr(ws, name)(*args, **kwargs))
        except Exception as err:  # xlsxwriter refuses some: the same way
            given.append(type(err))
        given.append((ws.dim_rowmin, ws.dim_rowmax, ws.dim_colmin, ws.dim_colmax))
    # Each cell as its kind and fields, the format named (formats of two books differ).
    table = {
        (r, c): (type(cell).__name__, *("format" if f is fmt else f for f in cell))
        for r, cells in ws.table.items()
        for c, cell in cells.items()
    }
    strings = book.str_table
    book.close()
    return [*given, table, dict(strings.string_table), strings.count, strings.unique_count]


@pytest.mark.parametrize(
    "options",
    [
        {"in_memory": True},
        {"in_memory": True, "nan_inf_to_errors": True},
        {"constant_memory": True},
    ],
    ids=["in memory", "nan as error", "constant"],
)
def test_a_quick_worksheet_stores_cells_as_xlsxwriter_does(
    options: dict[str, Any], tmp_path: Path
) -> None:
    quick = _stored(options, package.QuickWorksheet, tmp_path)
    assert quick == _stored(options, Worksheet, tmp_path)
    assert quick[0] == 0
    if "constant_memory" not in options:  # else each row is written out as the next begins
        assert quick[-4][(2, 1)] == ("Number", 7, "format")


def test_the_report_is_the_same_with_xlsxwriters_own_worksheets(
    consolidation: Consolidation, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = build_workbook(consolidation, split=False)
    # Each worksheet is the quick one; without it, the very same bytes.
    book = SplitWorkbook(io.BytesIO(), _OPTIONS)
    assert isinstance(book.add_worksheet(), package.QuickWorksheet)
    book.close()
    monkeypatch.setattr(SplitWorkbook, "worksheet_class", Worksheet)
    assert build_workbook(consolidation, split=False) == quick
