"""Returned forms for the inbox tests, made the way users make and damage them.

Forms come from the forms step; values are filled by defined name with openpyxl
(an independent writer), and each damage is a small function: rows inserted,
metadata sheet deleted, content copied into a new workbook, a LibreOffice
round trip.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.packaging.custom import CustomPropertyList

from workbook_tools.forms import build_forms, contract
from workbook_tools.plan import load_sample_plan
from workbook_tools.plan.model import Period, Plan

PERIOD = "6T-2024"
GENERATED = datetime(2024, 5, 2, 8, 0)
#: The time of every test run: after the 6-month deadline (15/06/2024).
NOW = datetime(2024, 6, 25, 9, 0)
ON_TIME = datetime(2024, 6, 10, 14, 30)
LATE = datetime(2024, 6, 18, 8, 15)

#: A complete, valid village report.
VILLAGE: dict[str, object] = {
    "nguoi_bao_cao": "Nguyễn Văn An",
    "dien_thoai": "0912345678",
    "ngay_bao_cao": datetime(2024, 6, 10),
    "tt_hinh_thuc": 3,
    "tt_so_buoi": 5,
    "tt_luot_nguoi": 420,
    "tt_thuong_xuyen": "Có",
    "tt_loa": 12,
    "tt_mang_xa_hoi": 4,
    "ld_tong": 10,
    "ld_duoc_tt": 6,
    "kh_xay_dung": "Có",
    "kh_so_ngay": "01/KH-T ngày 15/01/2024",
    "lg_kt_xh": "Có",
    "lg_an_sinh": "Không",
    "lg_ma_tuy": "Có",
    "lg_hiv": "Không",
    "lg_mua_ban_nguoi": "Không",
    "cs_tong": 3,
    "tb_tiep_nhan": 2,
    "tb_chuyen_xu_ly": 1,
    "mh_trien_khai": "Không",
}
#: What the checks make of VILLAGE.
VILLAGE_CLEAN: dict[str, object] = {
    **VILLAGE,
    "ngay_bao_cao": date(2024, 6, 10),
}

CA: dict[str, object] = {
    "nguoi_bao_cao": "Lê Văn Bình",
    "ngay_bao_cao": datetime(2024, 6, 12),
    "dv_ke_hoach": "Có",
    "ca_cs_tong": 8,
    "ca_cs_kiem_tra": 4,
    "ca_cs_vi_pham": 1,
    "ca_tb_tiep_nhan": 3,
    "ca_tb_xu_ly": 3,
}


def sample_period() -> Period:
    """The period of the sample plan the tests read (:data:`PERIOD`)."""
    return sample_plan().period(PERIOD)


@functools.cache
def sample_plan() -> Plan:
    return load_sample_plan()


@functools.cache
def last_years_plan() -> Plan:
    """The same plan as issued a year earlier: another plan id."""
    plan = sample_plan()
    return replace(plan, settings=replace(plan.settings, plan_id="PCMD-TienNong-2023"))


@functools.cache
def blank_form(code: str, period: str = PERIOD, *, last_year: bool = False) -> bytes:
    plan = last_years_plan() if last_year else sample_plan()
    (form,) = build_forms(plan, period, [code], now=GENERATED)
    return form.content


def form_name(code: str, period: str = PERIOD) -> str:
    (form,) = build_forms(sample_plan(), period, [code], now=GENERATED)
    return form.filename


def filled(code: str, values: Mapping[str, object], period: str = PERIOD, **kw: bool) -> bytes:
    """A form of ``code`` with ``values`` typed into the cells named after their fields."""
    return fill(blank_form(code, period, **kw), values)


def fill(data: bytes, values: Mapping[str, object]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    for code, value in values.items():
        for sheet, coord in wb.defined_names[code].destinations:
            wb[sheet][coord.replace("$", "")].value = value
    return save(wb)


def insert_rows(data: bytes, before: int, count: int) -> bytes:
    """Rows inserted as Excel does it: cells below move down, and their names with them.

    openpyxl moves the cells but not the names, so the names are moved here.
    The metadata sheet's cell map is left as it was (Excel does not touch it).
    """
    wb = load_workbook(io.BytesIO(data))
    ws = wb[contract.MAIN_SHEET]
    ws.insert_rows(before, count)
    for name in wb.defined_names.values():
        def shift(match: re.Match[str]) -> str:
            row = int(match["row"])
            return f"${match['col']}${row + count if row >= before else row}"

        name.attr_text = re.sub(r"\$(?P<col>[A-Z]+)\$(?P<row>\d+)", shift, name.attr_text)
    return save(wb)


def without_metadata(data: bytes) -> bytes:
    """The form's metadata gone: its hidden sheet and its document properties."""
    return _stripped(data, sheet=True, properties=True)


def without_meta_sheet(data: bytes) -> bytes:
    """The hidden metadata sheet deleted (unhidden, then deleted); the properties kept."""
    return _stripped(data, sheet=True, properties=False)


def without_properties(data: bytes) -> bytes:
    """The custom document properties removed, as forms made before them had none."""
    return _stripped(data, sheet=False, properties=True)


def _stripped(data: bytes, *, sheet: bool, properties: bool) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    if sheet:
        del wb[contract.META_SHEET]
    if properties:
        wb.custom_doc_props = CustomPropertyList()
    return save(wb)


def copied_to_new_workbook(
    data: bytes,
    *,
    row_offset: int = 0,
    retitle: Mapping[str, str] | None = None,
) -> bytes:
    """The main sheet's values pasted into a fresh workbook: no metadata, no names.

    ``retitle`` replaces title lines by prefix (a user retyping the unit line).
    """
    source = load_workbook(io.BytesIO(data))[contract.MAIN_SHEET]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sheet1"
    for row in source.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            value = cell.value
            if isinstance(value, str) and retitle:
                for prefix, text in retitle.items():
                    if value.startswith(prefix):
                        value = text
            ws.cell(row=cell.row + row_offset, column=cell.column, value=value)
    return save(wb)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- the inbox folder ------------------------------------------------------------------


def put(folder: Path, name: str, data: bytes, modified: datetime) -> Path:
    """Save a file into the inbox as the officer does, with its modification time."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = modified.timestamp()
    os.utime(path, (stamp, stamp))
    return path


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder`` (hidden ones too): content hash and modification time."""
    out: dict[str, tuple[str, int]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            out[path.relative_to(folder).as_posix()] = (
                hashlib.sha256(path.read_bytes()).hexdigest(),
                stat.st_mtime_ns,
            )
    return out


# --- LibreOffice ------------------------------------------------------------------------


def soffice() -> str:
    """The LibreOffice program; skips the test where it is missing, except in CI."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is required in CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


@functools.cache
def _profile(slot: int) -> Path:
    """A LibreOffice profile of our own, made once per test run and slot.

    The first start with a new profile is slow; two programs running at once
    cannot share one.
    """
    folder = Path(tempfile.mkdtemp(prefix=f"wbt-lo-profile-{slot}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


_FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "xls": "xls:MS Excel 97", "ods": "ods"}


def convert_many(jobs: list[tuple[list[Path], str, Path]]) -> list[list[Path]]:
    """Several conversions at once, each ``(files, format, folder)``: LibreOffice starts slowly."""
    program = soffice()
    running = []
    for slot, (files, fmt, outdir) in enumerate(jobs):
        outdir.mkdir(parents=True, exist_ok=True)
        command = [
            program,
            f"-env:UserInstallation={_profile(slot).as_uri()}",
            "--headless",
            "--convert-to",
            _FILTERS[fmt],
            "--outdir",
            str(outdir),
            *map(str, files),
        ]
        running.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        )
    results: list[list[Path]] = []
    for process, (files, fmt, outdir) in zip(running, jobs, strict=True):
        _, err = process.communicate(timeout=180)
        assert process.returncode == 0, err.decode(errors="replace")
        out = [outdir / f"{f.stem}.{fmt}" for f in files]
        missing = [p.name for p in out if not p.exists()]
        assert not missing, f"LibreOffice did not write {missing}: {err.decode(errors='replace')}"
        results.append(out)
    return results


def mixed_inbox(box: Path) -> Path:
    """An inbox with every kind of file a merge meets: forms on time and late, one with
    wrong values, one without its metadata, another period's, a unit's form sent twice
    and copied, a note and a PDF."""
    t05 = filled("T05", {**VILLAGE, "tt_loa": 2})
    files = {
        "T01.xlsx": (filled("T01", VILLAGE), ON_TIME),
        "T02.xlsx": (filled("T02", {**VILLAGE, "ld_tong": 3, "ld_duoc_tt": 9}), LATE),
        "T03.xlsx": (without_metadata(filled("T03", VILLAGE)), ON_TIME),
        "T04 nam.xlsx": (filled("T04", VILLAGE, "CN-2024"), ON_TIME),
        "zalo/T05.xlsx": (filled("T05", {**VILLAGE, "tt_loa": 1}), ON_TIME),
        "zalo/T05 (sửa).xlsx": (t05, LATE),
        "zalo/T05 (sửa) - Copy.xlsx": (t05, datetime(2024, 6, 24, 17, 0)),
        "CA.xlsx": (filled("CA", CA), ON_TIME),
        "ghi chu.xlsx": (b"Thon 8 xin nop cham vai ngay.\r\n", ON_TIME),
        "scan.pdf": (b"%PDF-1.4 not a form", ON_TIME),
    }
    for name, (data, modified) in files.items():
        put(box, name, data, modified)
    return box


# --- cells and names damaged the way spreadsheet programs leave them ------------------


def with_cell_xml(
    data: bytes, cell: str, element: str, sheet_part: str = "xl/worksheets/sheet1.xml"
) -> bytes:
    """Cell ``cell`` of an .xlsx replaced by the XML ``element``, as Excel writes it.

    openpyxl writes a formula without its result (``<f>1/0</f><v />``); Excel
    and LibreOffice write the result they computed, an error as
    ``<c r="C17" t="e"><f>1/0</f><v>#DIV/0!</v></c>``. The other members are
    copied as they are.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    xml = source.read(sheet_part).decode()
    pattern = re.compile(rf'<c r="{cell}"[^>]*?(?:/>|>.*?</c>)')
    assert len(pattern.findall(xml)) == 1, f"{cell} not in {sheet_part}"
    xml = pattern.sub(lambda _: element, xml)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, xml if info.filename == sheet_part else source.read(info))
    return out.getvalue()


def with_name(
    data: bytes, code: str, ref: str, *, scratch: Mapping[str, object] | None = None
) -> bytes:
    """The defined name ``code`` made to point at ``ref`` (Name Manager's "Refers to").

    ``scratch`` adds a visible sheet "Nháp" with these values by cell, for a
    name pointed at a sheet of the user's own.
    """
    wb = load_workbook(io.BytesIO(data))
    if scratch is not None:
        ws = wb.create_sheet("Nháp")
        for coord, value in scratch.items():
            ws[coord] = value
    wb.defined_names[code].attr_text = ref
    return save(wb)
