"""Issue 16: a new plan starts somewhere — ``wbt init --blank`` and ``wbt plan build``.

A blank plan has every sheet, header and the guide and no content of the 2024
sample; ``wbt plan check`` on it says what to fill, cell by cell. ``wbt plan
build`` turns a plan kept as text (TOML) into the workbook, refusing to
overwrite one and saying where a broken source is broken.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import openpyxl
from click.testing import CliRunner, Result
from docx import Document

from workbook_tools.cli import cli
from workbook_tools.plan import load_plan
from workbook_tools.plan.schema import GUIDE_SHEET, SETTINGS, SHEETS
from workbook_tools.report.document import default_template

SAMPLE_TOML = Path(__file__).resolve().parent.parent / "workbook_tools/sample/kehoach_2024.toml"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def sheet_text(path: Path) -> str:
    wb = openpyxl.load_workbook(path)
    try:
        return "\n".join(
            str(c.value) for ws in wb.worksheets for r in ws.iter_rows() for c in r
            if c.value is not None
        )
    finally:
        wb.close()


def test_init_blank_writes_every_sheet_and_no_content(tmp_path: Path) -> None:
    root = tmp_path / "moi"
    result = run("init", "--blank", str(root))
    assert result.exit_code == 0, result.output
    plan = root / "templates" / "kehoach.xlsx"
    assert "templates/kehoach.xlsx" in result.output
    wb = openpyxl.load_workbook(plan)
    try:
        assert wb.sheetnames == [GUIDE_SHEET, *(s.name for s in SHEETS)]
        for sheet in SHEETS:
            ws = wb[sheet.name]
            assert [c.value for c in ws[1]] == [c.header for c in sheet.columns]
            rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if any(r)]
            if sheet.id == "settings":
                # Every setting's key and its explanation; no value.
                assert [r[0] for r in rows] == [s.key for s in SETTINGS]
                assert all(r[2] is None for r in rows)
            else:
                assert rows == [], sheet.name
    finally:
        wb.close()
    # Nothing of the sample, the guide's examples included: its places, subject, periods,
    # unit and field codes.
    text = sheet_text(plan)
    sample = tomllib.loads(SAMPLE_TOML.read_text(encoding="utf-8"))
    # kho_khan and de_xuat are also the Word template's tags, which the guide lists.
    codes = {f["code"] for f in sample["fields"]} - {"kho_khan", "de_xuat"}
    for sample_only in ("Tiến Nông", "Triệu Sơn", "Thanh Hóa", "mại dâm", "6T-2024",
                        "CN-2024", "VHXH", *sorted(codes)):
        assert sample_only not in text, sample_only
    assert (root / "inbox").is_dir() and (root / "outbox").is_dir()


def test_init_puts_the_word_template_to_edit(tmp_path: Path) -> None:
    for args in (("init",), ("init", "--blank")):
        root = tmp_path / str(len(args))
        result = run(*args, str(root))
        assert result.exit_code == 0, result.output
        template = root / "templates" / "mau_bao_cao.docx"
        assert template.read_bytes() == default_template()
        assert "templates/mau_bao_cao.docx" in result.output
        Document(str(template))  # Word opens it


def test_plan_check_on_a_blank_plan_says_what_to_fill(tmp_path: Path) -> None:
    root = tmp_path / "moi"
    assert run("init", "--blank", str(root)).exit_code == 0
    result = run("plan", "check", "--dir", str(root))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    for said in (
        "Ô C2 (trang 'Cài đặt', cột 'Giá trị') đang trống",
        "(Tên xã)",
        "Trang 'Kỳ báo cáo' chưa có dòng nào",
        "Trang 'Danh sách' chưa có dòng nào",
        "Trang 'Trường dữ liệu' chưa có dòng nào",
    ):
        assert said in result.output, said


def test_plan_build_writes_the_workbook_of_a_toml(tmp_path: Path) -> None:
    source = tmp_path / "kehoach.toml"
    source.write_bytes(SAMPLE_TOML.read_bytes())
    result = run("plan", "build", str(source))
    assert result.exit_code == 0, result.output
    built = tmp_path / "kehoach.xlsx"
    assert f"Đã ghi tệp kế hoạch {built}" in result.output
    assert load_plan(built).settings.commune == "Tiến Nông"
    out = tmp_path / "templates" / "khac.xlsx"
    assert run("plan", "build", str(source), "--out", str(out)).exit_code == 0
    assert out.is_file()


def test_plan_build_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    source = tmp_path / "kehoach.toml"
    source.write_bytes(SAMPLE_TOML.read_bytes())
    out = tmp_path / "kehoach.xlsx"
    out.write_bytes(b"the officer's own")
    result = run("plan", "build", str(source))
    assert result.exit_code == 1
    assert "đã có; không ghi đè" in result.output and "--force" in result.output
    assert out.read_bytes() == b"the officer's own"
    result = run("plan", "build", str(source), "--force")
    assert result.exit_code == 0, result.output
    assert load_plan(out).settings.year == 2024


def test_a_broken_toml_is_said_with_its_line(tmp_path: Path) -> None:
    source = tmp_path / "kehoach.toml"
    source.write_text('[[settings]]\nkey = "commune"\nvalue = "Xã\n', encoding="utf-8")
    result = run("plan", "build", str(source))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "sai cú pháp TOML ở dòng 3" in result.output
    assert not (tmp_path / "kehoach.xlsx").exists()


def test_a_toml_with_an_unknown_part_or_key_is_said(tmp_path: Path) -> None:
    source = tmp_path / "kehoach.toml"
    source.write_text('[[setting]]\nkey = "commune"\n', encoding="utf-8")
    result = run("plan", "build", str(source))
    assert result.exit_code == 1
    assert "phần không biết: setting" in result.output
    source.write_text('[[settings]]\nkey = "commune"\nvalu = "X"\n', encoding="utf-8")
    result = run("plan", "build", str(source))
    assert result.exit_code == 1
    assert "khóa không biết: valu" in result.output


def test_a_toml_with_plan_problems_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "kehoach.toml"
    source.write_text('[[settings]]\nkey = "commune"\nvalue = "Xã Mới"\n', encoding="utf-8")
    result = run("plan", "build", str(source))
    assert result.exit_code == 1
    assert "Trang 'Kỳ báo cáo' chưa có dòng nào" in result.output
    assert not (tmp_path / "kehoach.xlsx").exists()
