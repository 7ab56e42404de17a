"""``wbt merge`` over an inbox holding one hostile or damaged file beside valid forms.

For every kind of file in the hostile corpus (tests/corpus.py) the real merge
runs on an inbox with three valid filled forms and that file: it ends with
exit code 0, the report and its JSON are written, the file has its record
(code, severity, its name in a Vietnamese message), the valid forms are all
counted, the run takes a few seconds at most, and not a byte or a time of the
inbox has changed. Files a reader can open are also made from a real form
(macros, a wrong extension, an overlong cell, a huge claimed dimension) to
show that their values are used.

Memory is measured by the operating system, as python-calamine allocates
outside Python: the whole corpus is merged in a separate process, limited to
1.5 GB of address space, and its resident memory is asserted after every file
(benchmarks/bench_hostile.py).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest
import python_calamine
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from tests.corpus import (
    EXPECTED,
    LONG_TEXT,
    SKIPPED,
    build_corpus,
    macro_enabled,
    parts_of,
    rezip,
)
from tests.inbox_forms import (
    CA,
    NOW,
    ON_TIME,
    PERIOD,
    VILLAGE,
    filled,
    form_name,
    put,
    sample_period,
    sample_plan,
    snapshot,
)
from workbook_tools.cli import cli
from workbook_tools.inbox import read as inbox_read
from workbook_tools.inbox.workbook import FormWorkbook, open_workbook
from workbook_tools.pipeline import read_and_check
from workbook_tools.problems import MESSAGES, SEVERITY_LABELS, Severity
from workbook_tools.report.feedback import FEEDBACK_FOLDER, feedback_name
from workbook_tools.report.feedback import SUMMARY_SHEET as FEEDBACK_SUMMARY_SHEET
from workbook_tools.report.workbook import PROBLEMS_SHEET
from workbook_tools.safety import inspect, is_reader_panic

REPORT = f"outbox/{PERIOD}/BaoCao_TongHop_{PERIOD}.xlsx"
SUMMARY = f"outbox/{PERIOD}/tong_hop_{PERIOD}.json"
#: Seconds one merge of four files may take (about 0.3 s on a slow shared machine).
MOST_SECONDS = 5.0
#: The valid forms beside each hostile file.
VALID = {"T01": VILLAGE, "T02": {**VILLAGE, "tt_luot_nguoi": 380}, "CA": CA}


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plan workbook, as ``wbt init`` writes it."""
    root = tmp_path_factory.mktemp("plan") / "xa"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    (found,) = (root / "templates").glob("*.xlsx")
    return found


@pytest.fixture(scope="module")
def valid_forms() -> dict[str, bytes]:
    return {form_name(code): filled(code, values) for code, values in VALID.items()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def inbox_with(root: Path, valid_forms: dict[str, bytes], extra: dict[str, bytes]) -> Path:
    inbox = root / "inbox"
    for name, data in {**valid_forms, **extra}.items():
        put(inbox, name, data, ON_TIME)
    return inbox


def merge(root: Path, plan_file: Path) -> tuple[Result, float]:
    """``wbt merge`` in ``root``: the result, and how many seconds it took."""
    started = time.perf_counter()
    result = CliRunner().invoke(
        cli, ["merge", "--period", PERIOD, "--dir", str(root), "--plan", str(plan_file)]
    )
    return result, time.perf_counter() - started


def summary_of(root: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((root / SUMMARY).read_text("utf-8"))
    return data


def report_strings(root: Path) -> str:
    """Every text of the report workbook, from its shared-strings part."""
    with zipfile.ZipFile(root / REPORT) as archive:
        assert archive.testzip() is None
        return archive.read("xl/sharedStrings.xml").decode("utf-8")


def file_problems(summary: dict[str, object], name: str) -> list[dict[str, str]]:
    problems = summary["problems"]
    assert isinstance(problems, list)
    return [p for p in problems if p["file"] == name]


def assert_valid_forms_counted(summary: dict[str, object], valid_forms: dict[str, bytes]) -> None:
    completeness = summary["completeness"]
    assert isinstance(completeness, dict)
    assert completeness["received"] >= len(valid_forms)
    submissions = summary["submissions"]
    assert isinstance(submissions, list)
    status = {s["file"]: s["status"] for s in submissions}
    assert all(status[name] == "used" for name in valid_forms), status
    for name in valid_forms:
        assert not [p for p in file_problems(summary, name) if p["severity"] == "error"]


# --- every kind of the corpus ------------------------------------------------------


def expected_codes(name: str) -> list[str]:
    """The records a corpus file must have: its inspection's, then, if it is read at all,
    the one saying it is not a form of the plan (the corpus is not made of our forms)."""
    expected = EXPECTED[name]
    codes = [expected.code] if expected.code is not None else []
    if expected.usable:
        codes.append("inbox.unidentified")
    return codes


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_hostile_file_gets_its_record_and_every_other_file_is_reported(
    name: str,
    tmp_path: Path,
    plan_file: Path,
    valid_forms: dict[str, bytes],
    corpus: dict[str, Path],
) -> None:
    inbox = inbox_with(tmp_path, valid_forms, {name: corpus[name].read_bytes()})
    before = snapshot(inbox)
    time.sleep(0.01)  # a write during the run would show in the modification times

    result, elapsed = merge(tmp_path, plan_file)

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "Đã ghi báo cáo tổng hợp" in result.output
    summary = summary_of(tmp_path)
    found = file_problems(summary, name)
    assert {p["code"] for p in found} >= set(expected_codes(name))
    for problem in found:
        assert problem["severity"] == str(MESSAGES[problem["code"]][0])
        assert name in problem["message"] and "{" not in problem["message"]
        # A reader that failed in a way nobody foresaw: the inspection missed something.
        assert problem["code"] not in ("file.unexpected", "inbox.unreadable"), problem
    submissions = summary["submissions"]
    assert isinstance(submissions, list)
    (mine,) = [s for s in submissions if s["file"] == name]
    assert mine["status"] == "rejected"  # refused, or not a form of the plan
    assert_valid_forms_counted(summary, valid_forms)
    # The officer sees the record in the report's problem sheet too.
    assert name in report_strings(tmp_path)
    assert elapsed < MOST_SECONDS, f"{name}: {elapsed:.2f} s"
    assert snapshot(inbox) == before


def test_lock_and_system_files_are_passed_over_without_a_word(
    tmp_path: Path, plan_file: Path, valid_forms: dict[str, bytes], corpus: dict[str, Path]
) -> None:
    inbox = inbox_with(tmp_path, valid_forms, {n: corpus[n].read_bytes() for n in SKIPPED})
    before = snapshot(inbox)
    result, _ = merge(tmp_path, plan_file)
    assert result.exit_code == 0, result.output
    text = (tmp_path / SUMMARY).read_text("utf-8")
    assert not [n for n in SKIPPED if json.dumps(n, ensure_ascii=False)[1:-1] in text]
    assert_valid_forms_counted(summary_of(tmp_path), valid_forms)
    assert snapshot(inbox) == before


# --- readable files made from a real form: read, with a warning --------------------


def _huge_dimension(data: bytes) -> bytes:
    parts = parts_of(data)
    sheet = parts["xl/worksheets/sheet1.xml"]
    start = sheet.index(b"<dimension ref=")
    end = sheet.index(b"/>", start) + 2
    parts["xl/worksheets/sheet1.xml"] = (
        sheet[:start] + b'<dimension ref="A1:XFD1048576"/>' + sheet[end:]
    )
    return rezip(parts)


#: name -> (how the T03 form is changed, the warning it gets)
READABLE = {
    "T03 co macro.xlsm": (macro_enabled, "file.macros"),
    "T03 co macro doi ten.xlsx": (macro_enabled, "file.macros"),
    "T03 doi duoi.xls": (lambda data: data, "file.wrong_extension"),
    "T03 kich thuoc khai lon.xlsx": (_huge_dimension, "file.huge_dimension"),
}


@pytest.mark.parametrize("name", sorted(READABLE))
def test_a_readable_oddity_is_read_with_a_warning_and_nothing_is_run(
    name: str, tmp_path: Path, plan_file: Path, valid_forms: dict[str, bytes]
) -> None:
    change, code = READABLE[name]
    values = {**VILLAGE, "tt_luot_nguoi": 1001}
    inbox = inbox_with(tmp_path, valid_forms, {name: change(filled("T03", values))})
    before = snapshot(inbox)
    result, elapsed = merge(tmp_path, plan_file)
    assert result.exit_code == 0, result.output
    summary = summary_of(tmp_path)
    (warning,) = [p for p in file_problems(summary, name) if p["code"] == code]
    assert warning["severity"] == "warning" and name in warning["message"]
    assert not [p for p in file_problems(summary, name) if p["severity"] == "error"]
    submissions = summary["submissions"]
    assert isinstance(submissions, list)
    assert {s["file"]: s["unit"] for s in submissions if s["status"] == "used"}[name] == "T03"
    totals = summary["village_totals"]
    assert isinstance(totals, dict)
    assert totals["tt_luot_nguoi"] == 420 + 380 + 1001  # T01, T02 and this file's value
    assert elapsed < MOST_SECONDS
    assert snapshot(inbox) == before
    # The report is a plain workbook: no macros were carried into it.
    with zipfile.ZipFile(tmp_path / REPORT) as archive:
        assert not [n for n in archive.namelist() if n.lower().endswith(".bin")]


def test_a_cell_longer_than_excel_allows_is_said_with_its_own_length(
    tmp_path: Path, plan_file: Path, valid_forms: dict[str, bytes]
) -> None:
    name = "T03 kho khan dai.xlsx"
    # openpyxl keeps to Excel's limit when it writes: the long text is put in afterwards.
    parts = parts_of(filled("T03", {**VILLAGE, "kho_khan": "LONG"}))
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b">LONG<", f">{LONG_TEXT}<".encode())
    inbox = inbox_with(tmp_path, valid_forms, {name: rezip(parts)})
    before = snapshot(inbox)
    result, elapsed = merge(tmp_path, plan_file)
    assert result.exit_code == 0, result.output
    summary = summary_of(tmp_path)
    (warning,) = [p for p in file_problems(summary, name) if p["code"] == "file.cell_too_long"]
    assert f"một ô có {len(LONG_TEXT)} ký tự" in warning["message"]
    # More than the plan allows in this field (2,000): the field's own error says
    # how long the text is, not how much of it a spreadsheet would keep.
    (too_long,) = [p for p in file_problems(summary, name) if p["code"] == "value.too_long"]
    assert (too_long["field"], too_long["cell"]) == ("kho_khan", "C37")
    assert f"dài {len(LONG_TEXT)} ký tự, quá giới hạn 2000" in too_long["message"]
    assert str(too_long["value"]).startswith("Khó khăn.Khó khăn.")
    assert_valid_forms_counted(summary, valid_forms)
    assert elapsed < MOST_SECONDS
    assert snapshot(inbox) == before


# --- the whole corpus at once, its memory measured by the operating system ---------

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_hostile.py"
#: Resident memory a merge of the whole corpus may reach: about 85 MB once the
#: program is loaded, 120 MB after the zip bomb whose header claims 31 MB, 205 MB
#: with the million-value sheet.
MOST_RSS_MB = 500
#: How much one file may add to it (the million values: about 120 MB).
MOST_GROWTH_MB = 250
#: The largest sheet the limits let through takes about 2.5 s on a slow machine.
MOST_SECONDS_LARGE = 15.0


def test_the_whole_corpus_in_one_merge_stays_within_time_and_memory() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--json", "--memory-limit", "1536"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(BENCH.parent.parent)},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout)
    kinds = figures["kinds"]
    files = figures["files"]  # in the order read, with the RSS high-water mark after each
    assert {f["file"] for f in files} == {n for n, kind in kinds.items() if kind != "skipped"}
    rss = figures["start_rss_mb"]
    for f in files:
        name = f["file"]
        most = MOST_SECONDS_LARGE if kinds[name] == "large" else MOST_SECONDS
        assert f["seconds"] < most, f"{name}: {f['seconds']:.2f} s"
        assert f["rss_mb"] - rss < MOST_GROWTH_MB, f"{name}: {rss:.0f} -> {f['rss_mb']:.0f} MB"
        rss = f["rss_mb"]
    assert figures["peak_rss_mb"] < MOST_RSS_MB, figures["peak_rss_mb"]
    assert set(figures["submissions"]) == {f["file"] for f in files}
    for name in EXPECTED:
        assert figures["submissions"][name] == "rejected"
        assert set(expected_codes(name)) <= set(figures["problems"][name])
    # The three valid forms and the large one (a village's form, with its values).
    assert figures["received"] == 4
    assert Path(figures["report"]).name == Path(REPORT).name


def test_the_report_lists_the_problem_with_its_severity(
    tmp_path: Path, plan_file: Path, valid_forms: dict[str, bytes], corpus: dict[str, Path]
) -> None:
    name = "zip_bomb_lying_header.xlsx"
    inbox_with(tmp_path, valid_forms, {name: corpus[name].read_bytes()})
    result, _ = merge(tmp_path, plan_file)
    assert result.exit_code == 0, result.output
    book = load_workbook(tmp_path / REPORT, read_only=True)
    rows = [list(row) for row in book[PROBLEMS_SHEET].iter_rows(values_only=True)]
    book.close()
    (row,) = [r for r in rows if name in [str(v) for v in r]]
    assert SEVERITY_LABELS[Severity.ERROR] in row
    message = next(str(v) for v in row if isinstance(v, str) and "Đừng mở tệp này" in v)
    assert name in message


# --- a reader that panics ------------------------------------------------------------


def _a_reader_panic() -> BaseException:
    """A real panic of python-calamine (on a compound file whose directory points nowhere)."""
    from tests.corpus import broken_directory

    try:
        python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(broken_directory()))
    except BaseException as err:  # pyo3's PanicException is not an Exception
        assert is_reader_panic(err) and not isinstance(err, Exception)
        return err
    raise AssertionError("python-calamine read a file it used to panic on")


def test_a_panic_inside_the_reader_is_a_record_not_the_end_of_the_run(
    tmp_path: Path,
    plan_file: Path,
    valid_forms: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The safety step refuses every file the reader was seen to panic on, so one
    # that passes it is made here: the reader panics on this file only.
    panic = _a_reader_panic()
    name = "T03 lam hong trinh doc.xlsx"
    inbox_with(tmp_path, valid_forms, {name: filled("T03", VILLAGE)})

    sent = tmp_path / "inbox" / name
    # The file as it came, or its checked parts as the reader is handed them.
    this_file = {sent.read_bytes(), inspect(sent).unpacked}

    def panicking(data: bytes, fmt: str, parts: Mapping[str, bytes] | None = None) -> FormWorkbook:
        if data in this_file:
            raise panic
        return open_workbook(data, fmt, parts)

    monkeypatch.setattr(inbox_read, "open_workbook", panicking)
    result, _ = merge(tmp_path, plan_file)
    assert result.exit_code == 0, result.output
    summary = summary_of(tmp_path)
    (problem,) = file_problems(summary, name)
    assert (problem["code"], problem["severity"]) == ("inbox.unreadable", "error")
    assert "chương trình đọc bảng tính không đọc được" in problem["message"]
    assert_valid_forms_counted(summary, valid_forms)


def test_stopping_the_run_by_hand_still_stops_it(
    tmp_path: Path, valid_forms: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox_with(tmp_path, valid_forms, {})

    def interrupted(*_: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(inbox_read, "open_workbook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        read_and_check(sample_plan(), sample_period(), tmp_path / "inbox", tmp_path / "l", now=NOW)


# --- wbt check: feedback copies of what could be read ---------------------------------


def test_check_writes_a_sound_feedback_copy_for_every_readable_file_of_the_corpus(
    tmp_path: Path, plan_file: Path, valid_forms: dict[str, bytes], corpus: dict[str, Path]
) -> None:
    extra = {name: path.read_bytes() for name, path in corpus.items()}
    inbox = inbox_with(tmp_path, valid_forms, extra)
    before = snapshot(inbox)
    result = CliRunner().invoke(
        cli, ["check", "--period", PERIOD, "--dir", str(tmp_path), "--plan", str(plan_file)]
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    folder = tmp_path / "outbox" / PERIOD / FEEDBACK_FOLDER
    readable = sorted(n for n, e in EXPECTED.items() if e.usable)
    # Only files a reader may open get a copy (a zip bomb stays shut). Files
    # that differ only by their extension (form.xls, form.xlsx) keep it.
    stems = [Path(n).stem for n in readable]
    copies = {n: feedback_name(n, with_extension=stems.count(Path(n).stem) > 1) for n in readable}
    assert sorted(p.name for p in folder.iterdir()) == sorted(copies.values())
    assert copies["form.xls"] == "form_xls_phan_hoi.xlsx"
    for name in readable:
        book = load_workbook(folder / copies[name])
        assert book.sheetnames[0] == FEEDBACK_SUMMARY_SHEET
        longest = max(
            (
                len(c.value)
                for ws in book.worksheets
                for row in ws.iter_rows()
                for c in row
                if isinstance(c.value, str)
            ),
            default=0,
        )
        book.close()
        assert longest <= 32_767, name  # the overlong cell is cut in the copy too
    assert snapshot(inbox) == before
