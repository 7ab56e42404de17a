"""``wbt merge`` writes the Word report from the officer's template (issue 18).

The officer's template is ``templates/mau_bao_cao.docx`` in the working folder:
here the built-in one with a paragraph added by python-docx, as an officer adds
one in Word. A broken template (a tag written wrong, a tag that does not exist,
not a .docx) does not lose the merge: the workbook and the JSON summary are
written, the Word report is not (never silently from the built-in template), the
output names the file, the paragraph and the tag and says ``--builtin-template``,
and the exit code is 1 (an output of the command is missing: a script running
``wbt merge`` must not send the outbox on). With ``--builtin-template`` the
built-in template is used. The plan's guide sheet lists every tag, read back with
openpyxl. The report is read back with python-docx; the commands run through
CliRunner over a copy of the demo's working folder.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner, Result

from tests.demo_folders import demo_folder
from tests.test_document import consolidation_of
from workbook_tools import demo
from workbook_tools.cli import cli
from workbook_tools.plan import load_sample_plan
from workbook_tools.plan.schema import GUIDE_SHEET
from workbook_tools.report.document import ReportEntries, build_context, default_template
from workbook_tools.report.write import RECORD_NAME
from workbook_tools.template_guide import BUILTIN_OPTION, TAG_GROUPS, TEMPLATE_GUIDE

PERIOD = demo.load_scenario().period
WORKBOOK = f"BaoCao_TongHop_{PERIOD}.xlsx"
SUMMARY = f"tong_hop_{PERIOD}.json"
DOCUMENT = f"BaoCao_{PERIOD}.docx"
COMMUNE = load_sample_plan().settings.commune
SENTENCE = "Báo cáo này lập theo mẫu riêng của xã, có chữ ký của cán bộ Văn hóa - Xã hội."
REPO = Path(__file__).resolve().parent.parent
SHIPPED_PLAN = REPO / "templates" / "kehoach_2024.xlsx"


def run(root: Path, *more: str) -> Result:
    return CliRunner().invoke(cli, ["merge", "--period", PERIOD, "--dir", str(root), *more])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = demo_folder(tmp_path_factory, "template")
    return root


def folder(root: Path) -> Path:
    return root / "outbox" / PERIOD


def put_template(root: Path, *lines: str) -> Path:
    """The officer's template: the built-in one with ``lines`` added as paragraphs."""
    document = docx.Document(io.BytesIO(default_template()))
    for line in lines:
        document.add_paragraph(line)
    path = root / "templates" / "mau_bao_cao.docx"
    document.save(str(path))
    return path


def paragraphs(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


def said(result: Result) -> str:
    return " ".join(result.output.split())


def test_the_officers_template_is_used(root: Path) -> None:
    put_template(root, "Xã {{ xa }}: " + SENTENCE)
    result = run(root)
    assert result.exit_code == 0, result.output
    lines = paragraphs((folder(root) / DOCUMENT).read_bytes())
    assert f"Xã {COMMUNE}: {SENTENCE}" in lines
    assert "BÁO CÁO" in lines  # the rest of the template filled as before
    assert f"outbox/{PERIOD}/{DOCUMENT}" in result.output


def test_without_a_template_the_built_in_one(root: Path) -> None:
    result = run(root)
    assert result.exit_code == 0, result.output
    lines = paragraphs((folder(root) / DOCUMENT).read_bytes())
    assert "BÁO CÁO" in lines and not any(SENTENCE in line for line in lines)


@pytest.mark.parametrize(
    ("line", "tag", "what"),
    [
        ("Người lập: {{ nguoi_lap_bieu }}", "nguoi_lap_bieu", "thẻ không có: nguoi_lap_bieu"),
        ("Tên xã: {{ xa }", "{{ xa }", "thẻ viết sai"),
    ],
)
def test_a_broken_template_names_the_file_and_the_tag_and_keeps_the_rest(
    root: Path, line: str, tag: str, what: str
) -> None:
    template = put_template(root, "Đoạn trước.", line, "Đoạn sau.")
    result = run(root)
    assert result.exit_code == 1, result.output
    output = said(result)
    assert str(template) in output
    assert what in output and "đoạn văn thứ" in output and tag in output
    assert BUILTIN_OPTION in output
    assert "Traceback" not in output
    # The workbook and the JSON summary are written; no Word report from the built-in template.
    assert (folder(root) / WORKBOOK).is_file()
    assert json.loads((folder(root) / SUMMARY).read_bytes())["period"] == PERIOD
    assert not (folder(root) / DOCUMENT).exists()
    assert f"outbox/{PERIOD}/{WORKBOOK}" in output
    assert f"  outbox/{PERIOD}/{DOCUMENT}\n" not in result.output  # not listed as written
    # Asked for, the built-in template writes it.
    result = run(root, BUILTIN_OPTION)
    assert result.exit_code == 0, result.output
    lines = paragraphs((folder(root) / DOCUMENT).read_bytes())
    assert "BÁO CÁO" in lines and "Đoạn trước." not in lines


def test_not_a_docx(root: Path) -> None:
    template = root / "templates" / "mau_bao_cao.docx"
    template.write_bytes(b"{{ xa }} typed into Notepad and saved as .docx")
    result = run(root)
    assert result.exit_code == 1, result.output
    output = said(result)
    assert str(template) in output and "không phải tệp Word (.docx)" in output
    assert BUILTIN_OPTION in output
    assert (folder(root) / WORKBOOK).is_file() and (folder(root) / SUMMARY).is_file()
    assert not (folder(root) / DOCUMENT).exists()


def test_a_broken_template_leaves_the_last_word_report_as_it_was(root: Path) -> None:
    """The last report stays, said to be the last merge's; fixed, the next merge replaces it
    without keeping it as an officer's copy (the record still knows it)."""
    assert run(root).exit_code == 0
    before = (folder(root) / DOCUMENT).read_bytes()
    workbook_before = (folder(root) / WORKBOOK).read_bytes()
    template = put_template(root, "{{ khong_co_the_nay }}")
    result = run(root, "--number", "45/BC-UBND")
    assert result.exit_code == 1, result.output
    assert (folder(root) / DOCUMENT).read_bytes() == before
    assert "báo cáo của lần tổng hợp trước" in said(result)
    assert (folder(root) / WORKBOOK).read_bytes() != workbook_before  # with the number now
    record = json.loads((folder(root) / RECORD_NAME).read_bytes())
    assert DOCUMENT in record["written"] and record["entries"]["number"] == "45/BC-UBND"
    put_template(root, "Xã {{ xa }}: " + SENTENCE)
    assert template.is_file()
    result = run(root)
    assert result.exit_code == 0, result.output
    text = "\n".join(paragraphs((folder(root) / DOCUMENT).read_bytes()))
    assert SENTENCE in text
    assert not [p for p in folder(root).iterdir() if "(sửa " in p.name]
    assert "giữ lại" not in result.output


def test_merge_help_names_the_option() -> None:
    result = CliRunner().invoke(cli, ["merge", "--help"])
    assert BUILTIN_OPTION in result.output and "mau_bao_cao.docx" in said(result)


# --- the plan's guide sheet --------------------------------------------------------------


def guide_text(path: Path) -> str:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        cells = [c for row in book[GUIDE_SHEET].iter_rows(values_only=True) for c in row]
    finally:
        book.close()
    return "\n".join(str(c) for c in cells if c is not None)


def test_the_guide_sheet_lists_every_tag() -> None:
    text = guide_text(SHIPPED_PLAN)
    assert "MẪU BÁO CÁO WORD" in text and "templates/mau_bao_cao.docx" in text
    assert BUILTIN_OPTION in text
    for group in TAG_GROUPS:
        assert group.heading in text
        for tag, what in group.tags:
            assert tag in text and what in text, tag
    # Every tag the template is given, and every one the guide's text names.
    names = set(build_context(consolidation_of(load_sample_plan()), ReportEntries()))
    names |= set(re.findall(r"\{\{ ([\w.|]+) \}\}", TEMPLATE_GUIDE))
    for name in names:
        assert re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text), name
