"""Generated forms opened and saved by LibreOffice: xlsx, ods and xls keep what the reader needs.

LibreOffice (``soffice``) converts the forms headless, with a profile of its
own, a few files per call. The results are read with independent readers:
openpyxl for xlsx (and for xls, converted back to xlsx by LibreOffice),
python-calamine for ods and xls values, the raw ``content.xml`` for ods names,
validations and protection.

Without ``soffice`` the tests are skipped, except in CI (``CI=true``), where
a missing LibreOffice is a failure: the CI image installs it.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import Element

import pytest
from defusedxml import ElementTree
from openpyxl import load_workbook
from openpyxl.utils.cell import (
    column_index_from_string,
    coordinate_from_string,
    get_column_letter,
    range_boundaries,
)
from openpyxl.workbook.workbook import Workbook
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from workbook_tools.forms import GeneratedForm, build_forms, contract, write_forms
from workbook_tools.plan import load_sample_plan
from workbook_tools.spreadsheet import read_properties

PERIOD = "6T-2024"
NOW = datetime(2024, 5, 2, 8, 30)
#: A village and a unit with tasks: every field type, merged task text.
CODES = ("T01", "CA")
TIMEOUT = 240  # seconds for one soffice call (the first one creates its profile)

TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"


def find_soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        reason = (
            "LibreOffice (soffice) is not installed: the round-trip tests need it "
            "(Debian: apt-get install libreoffice-calc-nogui)."
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " CI must install it.")
        pytest.skip(reason)
    return found


#: A validation as openpyxl reads it: type, formula1, formula2, input title and
#: message, error title and message.
Rule = tuple[str, str | None, str | None, str | None, str | None, str | None, str | None]


@dataclass(frozen=True)
class Expected:
    """What the original form holds, read with openpyxl."""

    names: dict[str, str]  # field code -> cell ("C12")
    validations: dict[str, Rule]  # cell -> rule and messages
    metadata: contract.FormMetadata


@dataclass(frozen=True)
class RoundTrip:
    forms: dict[str, GeneratedForm]
    expected: dict[str, Expected]
    xlsx: dict[str, Path]  # LibreOffice's own .xlsx
    ods: dict[str, Path]
    xls: dict[str, Path]
    xls_as_xlsx: dict[str, Path]  # the .xls, opened and saved as .xlsx again


def expected_of(form: GeneratedForm) -> Expected:
    book = load_workbook(io.BytesIO(form.content))
    names = {n: contract.parse_cell_ref(d.attr_text)[1] for n, d in book.defined_names.items()}
    validations = validations_by_cell(book)
    rows = list(book[contract.META_SHEET].iter_rows(values_only=True))
    metadata = contract.parse_metadata(rows)
    assert metadata is not None
    return Expected(names, validations, metadata)


def validations_by_cell(book: Workbook) -> dict[str, Rule]:
    """The main sheet's validations by cell."""
    sheet = book[contract.MAIN_SHEET]
    return {
        cell: (
            dv.type,
            dv.formula1,
            # LibreOffice writes a formula2 of 0 for a list, which means nothing there.
            None if dv.type == "list" else dv.formula2,
            dv.promptTitle,
            dv.prompt,
            dv.errorTitle,
            dv.error,
        )
        for dv in sheet.data_validations.dataValidation
        for rng in dv.sqref.ranges
        for cell in _cells(rng.coord)
    }


def _cells(coord: str) -> Iterator[str]:
    min_col, min_row, max_col, max_row = range_boundaries(coord)
    assert min_col is not None and min_row is not None
    assert max_col is not None and max_row is not None
    for row in range(min_row, max_row + 1):
        for col in range(min_col, max_col + 1):
            yield f"{get_column_letter(col)}{row}"


def convert(soffice: str, profile: Path, files: list[Path], target: str, out: Path) -> list[Path]:
    """Convert ``files`` in one soffice call; the converted paths, in order."""
    out.mkdir(parents=True, exist_ok=True)
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        target,
        "--outdir",
        str(out),
        *(str(f) for f in files),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"soffice did not finish converting to {target} within {TIMEOUT} s")
    extension = target.split(":")[0]
    converted = [out / f"{f.stem}.{extension}" for f in files]
    missing = [p.name for p in converted if not p.is_file()]
    assert not missing, f"soffice did not write {missing}: {done.stdout}\n{done.stderr}"
    return converted


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> RoundTrip:
    soffice = find_soffice()
    base = tmp_path_factory.mktemp("libreoffice")
    profile = base / "profile"
    forms = {f.entry.code: f for f in build_forms(load_sample_plan(), PERIOD, CODES, now=NOW)}
    originals = write_forms(forms.values(), base / "forms")

    def run(files: list[Path], target: str, folder: str) -> dict[str, Path]:
        paths = convert(soffice, profile, files, target, base / folder)
        return dict(zip(CODES, paths, strict=True))

    xlsx = run(originals, "xlsx:Calc MS Excel 2007 XML", "xlsx")
    ods = run(originals, "ods", "ods")
    xls = run(originals, "xls:MS Excel 97", "xls")
    xls_as_xlsx = run(list(xls.values()), "xlsx:Calc MS Excel 2007 XML", "xls-xlsx")
    expected = {code: expected_of(form) for code, form in forms.items()}
    return RoundTrip(forms, expected, xlsx, ods, xls, xls_as_xlsx)


# --- xlsx, and xls read back through xlsx --------------------------------------


def check_xlsx(book: Workbook, expected: Expected) -> None:
    names = {n: contract.parse_cell_ref(d.attr_text) for n, d in book.defined_names.items()}
    assert {n: ref for n, ref in names.items() if not n.startswith("_xlnm")} == {
        n: (contract.MAIN_SHEET, cell) for n, cell in expected.names.items()
    }
    sheet = book[contract.MAIN_SHEET]
    meta = book[contract.META_SHEET]
    assert sheet.protection.sheet is True and meta.protection.sheet is True
    assert meta.sheet_state in ("hidden", "veryHidden")  # LibreOffice keeps "hidden" only
    for cell in expected.names.values():
        assert sheet[cell].protection.locked is False, cell
        assert sheet[cell].offset(column=-1).protection.locked is True, cell
    assert validations_by_cell(book) == expected.validations
    metadata = contract.parse_metadata(meta.iter_rows(values_only=True))
    assert metadata == expected.metadata


@pytest.mark.parametrize("code", CODES)
def test_libreoffice_xlsx_keeps_names_metadata_validations_protection(
    round_trip: RoundTrip, code: str
) -> None:
    check_xlsx(load_workbook(round_trip.xlsx[code]), round_trip.expected[code])


@pytest.mark.parametrize("code", CODES)
def test_xls_keeps_names_metadata_validations_protection(round_trip: RoundTrip, code: str) -> None:
    check_xlsx(load_workbook(round_trip.xls_as_xlsx[code]), round_trip.expected[code])


@pytest.mark.parametrize("kind", ["ods", "xls"])
def test_metadata_and_title_read_with_calamine(round_trip: RoundTrip, kind: str) -> None:
    for code in CODES:
        path = getattr(round_trip, kind)[code]
        book = CalamineWorkbook.from_path(str(path))
        visible = {s.name: s.visible for s in book.sheets_metadata}
        assert visible[contract.MAIN_SHEET] == SheetVisibleEnum.Visible
        assert visible[contract.META_SHEET] != SheetVisibleEnum.Visible
        rows = book.get_sheet_by_name(contract.META_SHEET).to_python()
        assert contract.parse_metadata(rows) == round_trip.expected[code].metadata
        title = [v for r in book.get_sheet_by_name(contract.MAIN_SHEET).to_python() for v in r]
        unit = round_trip.forms[code].entry
        assert f"{contract.UNIT_PREFIX}{unit.name} ({code})" in title


def ods_properties(path: Path) -> dict[str, str]:
    """The user-defined properties of an .ods file, from its meta.xml."""
    with zipfile.ZipFile(path) as z:
        root = ElementTree.fromstring(z.read("meta.xml"))
    name = f"{{{META}}}name"
    return {e.get(name, ""): e.text or "" for e in root.iter(f"{{{META}}}user-defined")}


@pytest.mark.parametrize("code", CODES)
def test_libreoffice_keeps_the_document_properties(round_trip: RoundTrip, code: str) -> None:
    # What a reader identifies the form by without reading its metadata sheet.
    expected = dict(contract.metadata_properties(round_trip.expected[code].metadata))
    assert expected[contract.PROPERTY_PREFIX + "unit_code"] == code
    xlsx = load_workbook(round_trip.xlsx[code]).custom_doc_props
    assert {p.name: p.value for p in xlsx.props} == expected
    ods = ods_properties(round_trip.ods[code])
    assert {k: v for k, v in ods.items() if k.startswith(contract.PROPERTY_PREFIX)} == expected
    # And the inbox's own reader finds them in both.
    for path, fmt in ((round_trip.xlsx[code], "xlsx"), (round_trip.ods[code], "ods")):
        found = contract.parse_properties(read_properties(path.read_bytes(), fmt))
        assert found == replace(round_trip.expected[code].metadata, fields=()), fmt


# --- ods, from its XML ----------------------------------------------------------


def ods_content(path: Path) -> Element:
    with zipfile.ZipFile(path) as z:
        root: Element = ElementTree.fromstring(z.read("content.xml"))
    return root


def ods_cells(table: Element, max_rows: int = 200) -> dict[tuple[int, int], Element]:
    """The cells of a table by (0-based row, column), repeated rows and columns expanded."""
    cells: dict[tuple[int, int], Element] = {}
    row_index = 0
    for row in table.iter(f"{TABLE}table-row"):
        rows = int(row.get(f"{TABLE}number-rows-repeated", "1"))
        col_index = 0
        for cell in row:
            cols = int(cell.get(f"{TABLE}number-columns-repeated", "1"))
            for r in range(row_index, min(row_index + rows, max_rows)):
                for c in range(col_index, col_index + min(cols, 64)):
                    cells[(r, c)] = cell
            col_index += cols
        row_index += rows
        if row_index >= max_rows:
            break
    return cells


def ods_position(cell: str) -> tuple[int, int]:
    letters, row = coordinate_from_string(cell)
    return row - 1, column_index_from_string(letters) - 1


def cell_protect(style: Element) -> str | None:
    properties = style.find(f"{STYLE}table-cell-properties")
    return None if properties is None else properties.get(f"{STYLE}cell-protect")


ODS_CONDITION = {
    "whole": "of:cell-content-is-whole-number() and cell-content-is-between({0},{1})",
    "date": "of:cell-content-is-date() and cell-content-is-between({0},{1})",
    "textLength": "of:cell-content-text-length-is-between({0},{1})",
    "list": "of:cell-content-is-in-list({0})",
}


@pytest.mark.parametrize("code", CODES)
def test_ods_keeps_names_validations_protection(round_trip: RoundTrip, code: str) -> None:
    expected = round_trip.expected[code]
    root = ods_content(round_trip.ods[code])
    names = {
        n.get(f"{TABLE}name"): n.get(f"{TABLE}cell-range-address", "")
        for n in root.iter(f"{TABLE}named-range")
    }
    assert {n: contract.parse_cell_ref(ref) for n, ref in names.items() if n in expected.names} == {
        n: (contract.MAIN_SHEET, cell) for n, cell in expected.names.items()
    }
    assert set(expected.names) <= set(names)

    tables = {t.get(f"{TABLE}name"): t for t in root.iter(f"{TABLE}table")}
    assert tables[contract.MAIN_SHEET].get(f"{TABLE}protected") == "true"
    assert tables[contract.META_SHEET].get(f"{TABLE}protected") == "true"
    table_styles = {
        s.get(f"{STYLE}name"): s.find(f"{STYLE}table-properties")
        for s in root.iter(f"{STYLE}style")
        if s.get(f"{STYLE}family") == "table"
    }
    meta_style = table_styles[tables[contract.META_SHEET].get(f"{TABLE}style-name")]
    assert meta_style is not None and meta_style.get(f"{TABLE}display") == "false"

    conditions = {
        v.get(f"{TABLE}name"): v.get(f"{TABLE}condition")
        for v in root.iter(f"{TABLE}content-validation")
    }
    protect = {
        s.get(f"{STYLE}name"): cell_protect(s)
        for s in root.iter(f"{STYLE}style")
        if s.get(f"{STYLE}family") == "table-cell"
    }
    cells = ods_cells(tables[contract.MAIN_SHEET])
    for cell in expected.names.values():
        element = cells[ods_position(cell)]
        kind, first, second = expected.validations[cell][:3]
        if kind == "list":
            assert first is not None
            items = ";".join(f'"{v}"' for v in first.strip('"').split(","))
            wanted = ODS_CONDITION[kind].format(items)
        else:
            wanted = ODS_CONDITION[kind].format(first, second)
        assert conditions[element.get(f"{TABLE}content-validation-name")] == wanted, cell
        assert protect[element.get(f"{TABLE}style-name")] == "none", cell
