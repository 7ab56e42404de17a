"""``wbt merge --pdf``: the report's PDFs by LibreOffice headless (issue 18).

The PDFs are read with poppler (``pdftotext``, ``pdffonts``): the workbook's PDF
holds the indicator figures and the Vietnamese text intact, the Word report's too,
and every font is embedded from a font that has the Vietnamese letters (no DejaVu
fallback in the middle of a line, as Liberation Serif 1.07 gave); a Word report
written from the officer's own template (a paragraph added with an indicator's text
and figure) keeps the motto and that paragraph whole, with no DejaVu either. Without
LibreOffice the command says so in Vietnamese and does the rest (exit 0); a
LibreOffice that fails or runs too long is said the same way.

The LibreOffice tests skip without ``soffice`` (and poppler), except in CI
(``CI=true``), where they fail: the CI image installs them.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner, Result

from workbook_tools import demo
from workbook_tools.cli import cli
from workbook_tools.numbers import percent_text
from workbook_tools.plan import load_sample_plan
from workbook_tools.report.document import default_template
from workbook_tools.report.pdf import make_pdfs

PERIOD = demo.load_scenario().period
WORKBOOK = f"BaoCao_TongHop_{PERIOD}.xlsx"
DOCUMENT = f"BaoCao_{PERIOD}.docx"
SUMMARY = f"tong_hop_{PERIOD}.json"
MOTTO = "Cộng hòa xã hội chủ nghĩa Việt Nam"
MOTTO_LINE = "Độc lập - Tự do - Hạnh phúc"
TIMEOUT = 60  # seconds for poppler's tools


def run(root: Path, *more: str) -> Result:
    return CliRunner().invoke(cli, ["merge", "--period", PERIOD, "--dir", str(root), *more])


def required(program: str, package: str) -> str:
    found = shutil.which(program)
    if found is None:
        reason = f"{program} is not installed (Debian: apt-get install {package})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI must install it.")
        pytest.skip(reason)
    return found


def text_of(pdf: Path) -> str:
    """The PDF's text (pdftotext), NFC, its lines' spaces collapsed, case folded."""
    done = subprocess.run(
        [required("pdftotext", "poppler-utils"), "-layout", str(pdf), "-"],
        capture_output=True,
        check=True,
        timeout=TIMEOUT,
    )
    text = unicodedata.normalize("NFC", done.stdout.decode("utf-8"))
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).casefold()


def fonts_of(pdf: Path) -> list[tuple[str, str]]:
    """Each font of the PDF (pdffonts): its name and whether it is embedded."""
    done = subprocess.run(
        [required("pdffonts", "poppler-utils"), str(pdf)],
        capture_output=True,
        check=True,
        timeout=TIMEOUT,
    )
    rows = done.stdout.decode("utf-8").splitlines()[2:]
    fonts = []
    for row in rows:
        parts = row.split()
        # name type [type…] encoding emb sub uni object ID
        fonts.append((parts[0], parts[-5]))
    return fonts


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    required("soffice", "libreoffice-calc-nogui libreoffice-writer-nogui")
    root = tmp_path_factory.mktemp("pdf") / "xa"
    demo.prepare(root)
    result = run(root, "--pdf", "--number", "45/BC-UBND", "--date", "18/06/2024")
    assert result.exit_code == 0, result.output
    return root / "outbox" / PERIOD, result


def test_the_pdfs_are_beside_the_report_and_named(merged: tuple[Path, Result]) -> None:
    folder, result = merged
    for name in (WORKBOOK, DOCUMENT):
        pdf = folder / name.replace(".xlsx", ".pdf").replace(".docx", ".pdf")
        assert pdf.read_bytes().startswith(b"%PDF")
        assert f"Đã tạo PDF: outbox/{PERIOD}/{pdf.name}" in result.output


def test_the_workbook_pdf_holds_the_figures_and_the_vietnamese_text(
    merged: tuple[Path, Result],
) -> None:
    folder, _ = merged
    text = text_of(folder / WORKBOOK.replace(".xlsx", ".pdf"))
    for said in (
        MOTTO,
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 45/BC-UBND",
        "ngày 18 tháng 6 năm 2024",
    ):
        assert said.casefold() in text, said
    summary = json.loads((folder / SUMMARY).read_bytes())
    for indicator in summary["indicators"]:
        assert indicator["code"].casefold() in text
        if indicator["value"] is not None and indicator["denominator"]:
            # As the officer's Excel shows it: 83,3% (the Vietnamese way, not 83.3%).
            assert percent_text(indicator["value"]).casefold() in text, indicator["code"]
    done = summary["completeness"]
    assert f"{done['expected']} {done['received']}" in text  # the totals row


def test_the_word_report_pdf_holds_the_figures_and_the_vietnamese_text(
    merged: tuple[Path, Result],
) -> None:
    folder, _ = merged
    text = text_of(folder / DOCUMENT.replace(".docx", ".pdf"))
    for said in (
        MOTTO,
        MOTTO_LINE,
        "Số: 45/BC-UBND",
        "Tiến Nông, ngày 18 tháng 6 năm 2024",
        "Nơi nhận",
    ):
        assert said.casefold() in text, said
    summary = json.loads((folder / SUMMARY).read_bytes())
    first = summary["indicators"][0]
    shown = f"{percent_text(first['value'])} ({first['numerator']}/{first['denominator']}"
    assert shown.casefold() in text


@pytest.mark.parametrize("name", [WORKBOOK, DOCUMENT])
def test_every_font_is_embedded_and_none_falls_back_to_dejavu(
    merged: tuple[Path, Result], name: str
) -> None:
    folder, _ = merged
    fonts = fonts_of(folder / f"{Path(name).stem}.pdf")
    assert fonts
    assert all(embedded == "yes" for _, embedded in fonts), fonts
    assert not [n for n, _ in fonts if "dejavu" in n.casefold()], fonts
    assert any("LiberationSerif" in n for n, _ in fonts), fonts  # Times New Roman's stand-in


# --- the Word report from the officer's template -------------------------------------------

#: A paragraph the officer adds to their template in Word: an indicator's text and figure.
OFFICER_LINE = "Xã {{ xa }} ghi nhận: {{ chi_tieu[0].ten }} — {{ chi_tieu[0].ket_qua }}."


@pytest.fixture(scope="module")
def officer_pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo merged with --pdf and an officer's templates/mau_bao_cao.docx: the Word
    report's PDF and the JSON summary."""
    required("soffice", "libreoffice-writer-nogui")
    root = tmp_path_factory.mktemp("officer-pdf") / "xa"
    demo.prepare(root)
    document = docx.Document(io.BytesIO(default_template()))
    document.add_paragraph(OFFICER_LINE)
    document.save(str(root / "templates" / "mau_bao_cao.docx"))
    result = run(root, "--pdf")
    assert result.exit_code == 0, result.output
    folder = root / "outbox" / PERIOD
    return folder / DOCUMENT.replace(".docx", ".pdf"), folder / SUMMARY


def test_the_officers_template_pdf_keeps_the_motto_and_the_vietnamese_text(
    officer_pdf: tuple[Path, Path],
) -> None:
    pdf, summary_path = officer_pdf
    text = text_of(pdf)
    assert MOTTO_LINE.casefold() in text
    first = json.loads(summary_path.read_bytes())["indicators"][0]
    plan = load_sample_plan()
    indicator = next(i for i in plan.indicators if i.code == first["code"])
    figure = f"{percent_text(first['value'])} ({first['numerator']}/{first['denominator']}"
    # The officer's paragraph, whole: the indicator's Vietnamese text and its figure.
    flowing = " ".join(text.split())
    said = f"Xã {plan.settings.commune} ghi nhận: {indicator.text} — {figure}"
    assert " ".join(said.split()).casefold() in flowing, said
    fonts = fonts_of(pdf)
    assert fonts and all(embedded == "yes" for _, embedded in fonts), fonts
    assert not [n for n, _ in fonts if "dejavu" in n.casefold()], fonts


# --- without LibreOffice, or when it fails ------------------------------------------------


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nopdf") / "xa"
    demo.prepare(root)
    return root


def test_without_libreoffice_a_message_and_the_rest_done(
    demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "xa"
    shutil.copytree(demo_root, root)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(sys, "platform", "linux")  # no Program Files to look into
    result = run(root, "--pdf")
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "Chưa tạo tệp PDF: máy này chưa cài LibreOffice" in output
    assert "Báo cáo vẫn được ghi đầy đủ" in output
    folder = root / "outbox" / PERIOD
    assert (folder / WORKBOOK).is_file() and (folder / DOCUMENT).is_file()
    assert not list(folder.glob("*.pdf"))


posix_only = pytest.mark.skipif(sys.platform == "win32", reason="a shell script as soffice")


def fake_soffice(folder: Path, body: str) -> str:
    path = folder / "soffice"
    path.write_text(f"#!/bin/sh\n{body}\n", "utf-8")
    path.chmod(0o755)
    return str(path)


@posix_only
def test_libreoffice_running_too_long_is_ended_and_said(tmp_path: Path) -> None:
    source = tmp_path / WORKBOOK
    source.write_bytes(b"workbook")
    marker = tmp_path / "child.pid"
    # The launcher starts a child that would run on: both are ended at the time limit.
    soffice = fake_soffice(tmp_path, f"sleep 300 &\necho $! > {marker}\nwait")
    started = time.monotonic()
    outcome = make_pdfs([source], soffice=soffice, timeout=1)
    assert time.monotonic() - started < 30
    assert outcome.written == ()
    assert outcome.problem is not None
    assert "quá 1 giây" in outcome.problem and WORKBOOK in outcome.problem
    child = int(marker.read_text())
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if sys.platform.startswith("linux"):
        status = Path(f"/proc/{child}/status")
        assert not status.exists() or "zombie" in status.read_text()


@posix_only
def test_libreoffice_failing_is_said_with_its_message(tmp_path: Path) -> None:
    source = tmp_path / DOCUMENT
    source.write_bytes(b"document")
    soffice = fake_soffice(tmp_path, "echo 'Error: source file could not be loaded' >&2\nexit 1")
    outcome = make_pdfs([source], soffice=soffice)
    assert outcome.written == ()
    assert outcome.problem is not None
    assert DOCUMENT in outcome.problem and "source file could not be loaded" in outcome.problem
    assert not (tmp_path / f"BaoCao_{PERIOD}.pdf").exists()
