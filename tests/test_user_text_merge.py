"""What users type, end to end: text that looks like a formula, legacy fonts, NFD.

One working folder, one ``wbt merge`` and one ``wbt check``; every assertion
reads what they wrote with an independent reader (openpyxl, python-calamine,
the raw XML of the zip), as the officer and Excel would meet it.

- Text starting like a formula (``=``, ``+``, ``-``, ``@``, also after a tab
  or a line break) stays plain text in the report, in its JSON and in the
  feedback copies: never a formula, never a link.
- Vietnamese typed in TCVN3 or VNI is converted with a warning showing the
  converted text, or, when it cannot be converted with confidence, an error
  asks for it to be retyped in Unicode. NFD text comes out NFC.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import python_calamine
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.corpus import TCVN3_TEXT, VNI_TEXT
from tests.inbox_forms import ON_TIME, PERIOD, VILLAGE, blank_form, form_name, put, snapshot
from workbook_tools.cli import cli
from workbook_tools.forms.fill import fill_form
from workbook_tools.report.feedback import FEEDBACK_FOLDER, SUMMARY_SHEET, feedback_name
from workbook_tools.report.workbook import OPINIONS_SHEET, PROBLEMS_SHEET, VILLAGES_SHEET

REPORT = f"outbox/{PERIOD}/BaoCao_TongHop_{PERIOD}.xlsx"
SUMMARY = f"outbox/{PERIOD}/tong_hop_{PERIOD}.json"
HYPERLINK = '=HYPERLINK("http://x","y")'

#: Formula-like text in the text fields, and what the report shows of it
#: (the normaliser trims the ends and makes a tab one space; line breaks stay).
TEXT_FIELDS = {
    "T01": {
        "kho_khan": (HYPERLINK, HYPERLINK),
        "de_xuat": ("@SUM(A1)", "@SUM(A1)"),
        "kh_so_ngay": ("+1", "+1"),
        "mh_ten": ("-1", "-1"),
        "nguoi_bao_cao": ("Lê Văn Tám\n=1+1", "Lê Văn Tám\n=1+1"),
    },
    "T02": {
        "kho_khan": ("\t=1+1", "=1+1"),
        "de_xuat": ("\n=1+1", "=1+1"),
        "kh_so_ngay": ("Số 01\t=1+1", "Số 01 =1+1"),
    },
}
#: Formula-like text in number fields: unusable, and quoted verbatim in the records.
NUMBER_FIELDS = {
    "T01": {
        "tt_loa": "=1+1",
        "tb_tiep_nhan": HYPERLINK,
        "ld_tong": "@SUM(A1)",
        "tt_luot_nguoi": "-1",
        "tt_so_buoi": "+5",  # read as 5, with a warning
    },
    "T02": {"tt_mang_xa_hoi": "\t=1+1", "cs_tong": "\n=1+1"},
}
#: Every formula-like text a user typed, as typed.
TYPED = {v for f in TEXT_FIELDS.values() for v, _ in f.values()} | {
    v for f in NUMBER_FIELDS.values() for v in f.values()
}
#: What a formula made of user text would hold.
USER_FORMULA = re.compile(r"HYPERLINK|SUM\(A1\)|1\+1")

GARBLED = "Th«n ®Üa ¸¸¸ x§y"  # TCVN3-looking, but no conversion reads as Vietnamese
NFD_NAME = unicodedata.normalize("NFD", "Phạm Thị Ngọc Ánh")
NFD_OPINION = unicodedata.normalize("NFD", "Thiếu kinh phí tuyên truyền ở thôn")


def filled(code: str, values: dict[str, object]) -> bytes:
    """``code``'s form with ``values`` typed in as a user types text (never a formula)."""
    return fill_form(blank_form(code), values)


def _forms() -> dict[str, bytes]:
    forms = {}
    for code in ("T01", "T02"):
        values: dict[str, object] = {**VILLAGE, "mh_trien_khai": "Có"}
        values.update({field: typed for field, (typed, _) in TEXT_FIELDS[code].items()})
        values.update(NUMBER_FIELDS[code])
        forms[code] = filled(code, values)
    forms["T03"] = filled("T03", {**VILLAGE, "kho_khan": TCVN3_TEXT[0], "tt_thuong_xuyen": "Cã"})
    forms["T04"] = filled("T04", {**VILLAGE, "nguoi_bao_cao": VNI_TEXT[0]})
    forms["T05"] = filled("T05", {**VILLAGE, "de_xuat": GARBLED})
    forms["T06"] = filled("T06", {**VILLAGE, "nguoi_bao_cao": NFD_NAME, "kho_khan": NFD_OPINION})
    return forms


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder after ``wbt merge`` and ``wbt check`` over the six forms."""
    root = tmp_path_factory.mktemp("text") / "xa"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    for code, data in _forms().items():
        put(root / "inbox", form_name(code), data, ON_TIME)
    before = snapshot(root / "inbox")
    for command in ("merge", "check"):
        result = runner.invoke(cli, [command, "--period", PERIOD, "--dir", str(root)])
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
    assert snapshot(root / "inbox") == before
    return root


@pytest.fixture(scope="module")
def summary(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((root / SUMMARY).read_text("utf-8"))
    return data


def problems_of(summary: dict[str, object], code: str) -> list[dict[str, str]]:
    problems = summary["problems"]
    assert isinstance(problems, list)
    return [p for p in problems if p["unit"] == code]


def feedback_path(root: Path, code: str) -> Path:
    return root / "outbox" / PERIOD / FEEDBACK_FOLDER / feedback_name(form_name(code))


def xml_parts(path: Path) -> Iterator[tuple[str, str]]:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                yield name, archive.read(name).decode("utf-8")


def cell_texts(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Every text cell of every sheet, as openpyxl reads it: sheet -> [(value, data type)]."""
    book = load_workbook(path)  # formulas as formulas, not their values
    out = {
        ws.title: [
            (cell.value, cell.data_type)
            for row in ws.iter_rows()
            for cell in row
            if isinstance(cell.value, str)
        ]
        for ws in book.worksheets
    }
    book.close()
    return out


def assert_no_formula_or_link_of_user_text(path: Path) -> None:
    """No ``<f>`` holding user text, no external link, no link relationship."""
    for name, xml in xml_parts(path):
        for formula in re.findall(r"<f[^>]*>(.*?)</f>", xml, flags=re.S):
            assert not USER_FORMULA.search(formula), (name, formula)
        assert 'TargetMode="External"' not in xml, name
        assert "relationships/hyperlink" not in xml, name
        for link in re.findall(r"<hyperlink\b[^>]*>", xml):
            # Only our own links to a cell of the workbook: a location, no target.
            assert "location=" in link and "r:id=" not in link, (name, link)
    for sheet, cells in cell_texts(path).items():
        for value, kind in cells:
            if USER_FORMULA.search(value) or value in TYPED:
                assert kind == "s", (sheet, value, kind)


# --- formula-like text ----------------------------------------------------------------


def test_formula_like_text_is_plain_text_in_the_report(root: Path) -> None:
    report = root / REPORT
    assert_no_formula_or_link_of_user_text(report)
    shown = {value for cells in cell_texts(report).values() for value, _ in cells}
    for fields in TEXT_FIELDS.values():
        for _, cleaned in fields.values():
            assert cleaned in shown, cleaned
    # An independent reader sees the text itself, not a computed value ("y", 2).
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(report.read_bytes()))
    values = {
        v
        for name in book.sheet_names
        for row in book.get_sheet_by_name(name).to_python()
        for v in row
        if isinstance(v, str)
    }
    assert {HYPERLINK, "@SUM(A1)", "+1", "-1", "=1+1"} <= values


def test_formula_like_text_in_number_fields_is_quoted_verbatim_in_the_records(
    root: Path, summary: dict[str, object]
) -> None:
    for code, fields in NUMBER_FIELDS.items():
        by_field = {p["field"]: p for p in problems_of(summary, code)}
        for field, typed in fields.items():
            problem = by_field[field]
            assert problem["value"] == typed, (code, field)
            expected = "warning" if typed == "+5" else "error"
            assert problem["severity"] == expected, (code, field, problem["code"])
    # The same records in the report's problem sheet, as plain text.
    texts = {v for cells in cell_texts(root / REPORT).values() for v, _ in cells}
    assert {HYPERLINK, "@SUM(A1)", "=1+1", "\t=1+1"} <= texts


def test_formula_like_text_stays_plain_text_in_the_feedback_copies(root: Path) -> None:
    for code in ("T01", "T02"):
        copy = feedback_path(root, code)
        assert_no_formula_or_link_of_user_text(copy)
        texts = {v for cells in cell_texts(copy).values() for v, _ in cells}
        # The unit's own cells as typed, and the list quoting them.
        assert {typed for typed, _ in TEXT_FIELDS[code].values()} <= texts
        assert set(NUMBER_FIELDS[code].values()) <= texts
        book = load_workbook(copy)
        listed = [
            cell
            for row in book[SUMMARY_SHEET].iter_rows()
            for cell in row
            if isinstance(cell.value, str) and cell.value.lstrip().startswith(("=", "+", "-", "@"))
        ]
        book.close()
        assert listed and all(c.data_type == "s" and c.quotePrefix for c in listed)


# --- legacy fonts and NFD --------------------------------------------------------------


def test_tcvn3_and_vni_text_is_converted_with_a_warning_showing_it(
    root: Path, summary: dict[str, object]
) -> None:
    converted = {
        (p["unit"], p["field"]): p
        for code in ("T03", "T04")
        for p in problems_of(summary, code)
        if p["code"] == "value.legacy_converted"
    }
    assert set(converted) == {
        ("T03", "kho_khan"),
        ("T03", "tt_thuong_xuyen"),
        ("T04", "nguoi_bao_cao"),
    }
    tcvn3, yes, vni = (
        converted[key]["message"]
        for key in (("T03", "kho_khan"), ("T03", "tt_thuong_xuyen"), ("T04", "nguoi_bao_cao"))
    )
    assert f"bảng mã cũ TCVN3, đã chuyển sang Unicode thành '{TCVN3_TEXT[1]}'" in tcvn3
    assert "thành 'Có'" in yes
    assert f"bảng mã cũ VNI, đã chuyển sang Unicode thành '{VNI_TEXT[1]}'" in vni
    assert all(p["severity"] == "warning" for p in converted.values())
    # The report's data holds the Unicode text; the legacy bytes only where the
    # problem sheet quotes what was typed.
    sheets = cell_texts(root / REPORT)
    data = {v for name in (VILLAGES_SHEET, OPINIONS_SHEET) for v, _ in sheets[name]}
    assert {TCVN3_TEXT[1], VNI_TEXT[1]} <= data
    assert not {TCVN3_TEXT[0], VNI_TEXT[0]} & data
    assert {TCVN3_TEXT[0], VNI_TEXT[0]} <= {v for v, _ in sheets[PROBLEMS_SHEET]}
    totals = summary["village_totals"]
    assert isinstance(totals, dict)
    assert totals["tt_thuong_xuyen"] == 6  # "Cã" read as Có, like the five others


def test_legacy_text_that_cannot_be_converted_must_be_retyped_in_unicode(
    summary: dict[str, object],
) -> None:
    (problem,) = [p for p in problems_of(summary, "T05") if p["field"] == "de_xuat"]
    assert (problem["code"], problem["severity"]) == ("value.legacy_unreadable", "error")
    assert "Hãy gõ lại bằng bảng mã Unicode" in problem["message"]
    assert problem["value"] == GARBLED


def test_nfd_text_comes_out_nfc(root: Path, summary: dict[str, object]) -> None:
    assert problems_of(summary, "T06") == []
    for path in (root / REPORT, root / SUMMARY):
        if path.suffix == ".xlsx":
            text = "\n".join(xml for _, xml in xml_parts(path))
        else:
            text = path.read_text("utf-8")
        assert unicodedata.is_normalized("NFC", text), path.name
    texts = {v for cells in cell_texts(root / REPORT).values() for v, _ in cells}
    assert unicodedata.normalize("NFC", NFD_NAME) in texts
    assert unicodedata.normalize("NFC", NFD_OPINION) in texts
