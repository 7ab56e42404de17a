"""The inbox step on an inbox as officers have it: damaged, renamed, resent, mixed.

One inbox is built once with every kind of returned file, read once, and each
test asserts what a user would see of one file: whose it is, how it was
identified, the values, and the exact problem records.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.inbox_forms import (
    CA,
    LATE,
    NOW,
    ON_TIME,
    PERIOD,
    VILLAGE,
    VILLAGE_CLEAN,
    blank_form,
    convert_many,
    copied_to_new_workbook,
    fill,
    filled,
    form_name,
    insert_rows,
    nfd,
    put,
    sample_period,
    sample_plan,
    save,
    snapshot,
    without_metadata,
    without_properties,
)
from workbook_tools import problems
from workbook_tools.consolidation import consolidate
from workbook_tools.forms import contract
from workbook_tools.inbox import read, roster_status
from workbook_tools.inbox.model import (
    IdentifiedBy,
    InboxResult,
    Submission,
    SubmissionStatus,
)
from workbook_tools.inbox.scan import has_files, named_files, scan_inbox
from workbook_tools.pipeline import read_and_check
from workbook_tools.problems import Problem, Severity

NUMBERS_AS_TEXT = {**VILLAGE, "tt_loa": "12", "tt_so_buoi": " 5 ", "ld_tong": "10"}


@dataclass
class Read:
    inbox: Path
    ledger: Path
    result: InboxResult
    before: dict[str, tuple[str, int]]

    def submission(self, file: str) -> Submission:
        return next(s for s in self.result.submissions if s.file == file)

    def problems_of(self, file: str) -> list[Problem]:
        return [p for p in self.result.problems if p.file == file]


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Read:
    root = tmp_path_factory.mktemp("ws")
    box = root / "inbox"
    t05_first = filled("T05", {**VILLAGE, "tt_loa": 1})
    t05_fixed = filled("T05", {**VILLAGE, "tt_loa": 2})
    files = {
        # Straight from the form, renamed by the mail client.
        "6T-2024_T01_Thon-1 (1).xlsx": (filled("T01", VILLAGE), ON_TIME),
        # Two rows inserted above the table's lower half: names moved, cell map stale.
        "Thon 2/bao cao.xlsx": (insert_rows(filled("T02", VILLAGE), 15, 2), ON_TIME),
        # Pasted two rows down into a new workbook, title retyped in NFD without the code.
        "thon3.xlsx": (
            copied_to_new_workbook(
                filled("T03", VILLAGE),
                row_offset=2,
                retitle={contract.UNIT_PREFIX: nfd("Đơn vị báo cáo:  THÔN  3")},
            ),
            LATE,
        ),
        "T04.xlsx": (filled("T04", NUMBERS_AS_TEXT), ON_TIME),
        # Sent on time, corrected after the deadline, and a backup copy of the correction.
        "zalo/T05.xlsx": (t05_first, ON_TIME),
        "T05 (sửa).xlsx": (t05_fixed, LATE),
        "zalo/T05 (sửa) - Copy.xlsx": (t05_fixed, datetime(2024, 6, 24, 17, 0)),
        # The annual form, sent too early; last year's form.
        "T06 nam.xlsx": (filled("T06", VILLAGE, "CN-2024"), ON_TIME),
        "T07.xlsx": (filled("T07", VILLAGE, last_year=True), ON_TIME),
        # The metadata gone (hidden sheet deleted, properties stripped): names still there.
        "T11.xlsx": (without_metadata(filled("T11", VILLAGE)), ON_TIME),
        # A part greater than its whole.
        "T12.xlsx": (filled("T12", {**VILLAGE, "ld_tong": 3, "ld_duoc_tt": 9}), ON_TIME),
        "Cong an/CA.xlsx": (filled("CA", CA), ON_TIME),
        # Not workbooks, or not to be read at all.
        "ghi chu.xlsx": (b"Thon 8 xin nop cham vai ngay.\r\n", ON_TIME),
        "~$T04.xlsx": (b"owner file", ON_TIME),
        ".~lock.T04.xlsx#": (b"lock", ON_TIME),
        ".hidden/T09.xlsx": (filled("T09", VILLAGE), ON_TIME),
    }
    for name, (data, modified) in files.items():
        put(box, name, data, modified)
    before = snapshot(box)
    ledger = root / ".wbt-ledger.sqlite3"
    result = read_and_check(sample_plan(), sample_period(), box, ledger, now=NOW)
    return Read(box, ledger, result, before)


def test_the_inbox_is_left_exactly_as_it_was(inbox: Read) -> None:
    assert snapshot(inbox.inbox) == inbox.before


def test_lock_and_hidden_files_are_passed_over_silently(inbox: Read) -> None:
    seen = {s.file for s in inbox.result.submissions}
    assert not {"~$T04.xlsx", ".~lock.T04.xlsx#", ".hidden/T09.xlsx"} & seen
    assert not [p for p in inbox.result.problems if p.file and "T09" in p.file]
    # Every other file is reported, in path order.
    assert [s.file for s in inbox.result.submissions] == [
        "6T-2024_T01_Thon-1 (1).xlsx",
        "Cong an/CA.xlsx",
        "T04.xlsx",
        "T05 (sửa).xlsx",
        "T06 nam.xlsx",
        "T07.xlsx",
        "T11.xlsx",
        "T12.xlsx",
        "Thon 2/bao cao.xlsx",
        "ghi chu.xlsx",
        "thon3.xlsx",
        "zalo/T05 (sửa) - Copy.xlsx",
        "zalo/T05.xlsx",
    ]


def test_a_clean_form_is_used_with_all_its_values(inbox: Read) -> None:
    s = inbox.submission("6T-2024_T01_Thon-1 (1).xlsx")
    assert (s.unit, s.status, s.identified_by) == ("T01", SubmissionStatus.USED,
                                                   IdentifiedBy.METADATA)
    assert s.period == PERIOD
    assert s.arrived == ON_TIME and s.on_time is True
    assert s.values == VILLAGE_CLEAN
    assert s.unusable == set()
    assert s.cells["tt_loa"] == "Báo cáo!C17"
    assert inbox.problems_of(s.file) == []


def test_values_follow_inserted_rows_by_defined_name(inbox: Read) -> None:
    s = inbox.submission("Thon 2/bao cao.xlsx")
    assert (s.unit, s.status) == ("T02", SubmissionStatus.USED)
    assert s.values == VILLAGE_CLEAN
    assert s.cells["nguoi_bao_cao"] == "Báo cáo!C9"  # above the inserted rows
    assert s.cells["tt_loa"] == "Báo cáo!C19"  # was C17
    assert inbox.problems_of(s.file) == []


def test_a_form_pasted_into_a_new_workbook_is_read_by_title_and_position(inbox: Read) -> None:
    s = inbox.submission("thon3.xlsx")
    assert (s.unit, s.status, s.identified_by) == ("T03", SubmissionStatus.USED,
                                                   IdentifiedBy.TITLE)
    assert s.values == VILLAGE_CLEAN
    assert s.cells["tt_loa"] == "Sheet1!C19"
    assert s.on_time is False
    assert inbox.problems_of(s.file) == [
        problems.make("inbox.identified_by_title", file="thon3.xlsx", unit="T03", name="Thôn 3"),
        problems.make("inbox.cells_by_position", file="thon3.xlsx", unit="T03"),
    ]


def test_numbers_typed_as_text_are_read_as_numbers(inbox: Read) -> None:
    s = inbox.submission("T04.xlsx")
    assert s.values == VILLAGE_CLEAN
    assert inbox.problems_of("T04.xlsx") == []


def test_the_last_arrival_is_used_and_the_others_listed(inbox: Read) -> None:
    used = inbox.submission("T05 (sửa).xlsx")
    copy = inbox.submission("zalo/T05 (sửa) - Copy.xlsx")
    first = inbox.submission("zalo/T05.xlsx")
    assert used.status is SubmissionStatus.USED
    assert used.values["tt_loa"] == 2
    assert used.arrived == LATE and used.on_time is False
    assert (copy.status, copy.superseded_by) == (SubmissionStatus.DUPLICATE, "T05 (sửa).xlsx")
    assert copy.arrived == LATE  # one content, one arrival: the copy's later time is not it
    assert (first.status, first.superseded_by) == (SubmissionStatus.SUPERSEDED, "T05 (sửa).xlsx")
    assert first.on_time is True
    assert inbox.problems_of(copy.file) == [
        problems.make("inbox.duplicate", file=copy.file, unit="T05", other="T05 (sửa).xlsx")
    ]
    assert inbox.problems_of(first.file) == [
        problems.make("inbox.superseded", file=first.file, unit="T05", name="Thôn 5",
                      newer="T05 (sửa).xlsx")
    ]
    assert inbox.result.used()["T05"] is used


def test_a_form_of_the_other_period_is_skipped(inbox: Read) -> None:
    s = inbox.submission("T06 nam.xlsx")
    assert (s.unit, s.status, s.period) == ("T06", SubmissionStatus.OTHER_PERIOD, "CN-2024")
    assert s.values == {} and s.on_time is None
    assert inbox.problems_of(s.file) == [
        problems.make("inbox.other_period", file=s.file, unit="T06", found="CN-2024",
                      found_name="Báo cáo năm 2024", name="Thôn 6", period=PERIOD)
    ]


def test_last_years_form_is_rejected(inbox: Read) -> None:
    s = inbox.submission("T07.xlsx")
    assert (s.unit, s.status) == ("T07", SubmissionStatus.REJECTED)
    assert inbox.problems_of(s.file) == [
        problems.make("inbox.other_plan", file=s.file, unit="T07", found="PCMD-TienNong-2023",
                      plan="PCMD-TienNong-2024", period=PERIOD,
                      form_hint=f" (tệp {form_name('T07')})")
    ]


def test_without_its_metadata_a_form_is_read_by_title_and_names(inbox: Read) -> None:
    s = inbox.submission("T11.xlsx")
    assert (s.unit, s.status, s.identified_by) == ("T11", SubmissionStatus.USED,
                                                   IdentifiedBy.TITLE)
    assert s.values == VILLAGE_CLEAN
    assert inbox.problems_of(s.file) == [
        problems.make("inbox.identified_by_title", file=s.file, unit="T11", name="Thôn 11")
    ]


def test_a_rule_error_makes_both_values_unusable(inbox: Read) -> None:
    s = inbox.submission("T12.xlsx")
    assert s.status is SubmissionStatus.USED
    assert s.unusable == {"ld_tong", "ld_duoc_tt"}
    assert "ld_tong" not in s.values and s.values["tt_loa"] == 12
    found = inbox.problems_of(s.file)
    assert [(p.code, p.severity, p.field, p.cell) for p in found] == [
        ("rule.failed", Severity.ERROR, "ld_duoc_tt", "C20")
    ]


def test_a_unit_form_is_read(inbox: Read) -> None:
    s = inbox.submission("Cong an/CA.xlsx")
    assert (s.unit, s.status) == ("CA", SubmissionStatus.USED)
    assert s.values == {**CA, "ngay_bao_cao": date(2024, 6, 12)}


def test_a_text_file_named_xlsx_gets_a_clear_record(inbox: Read) -> None:
    s = inbox.submission("ghi chu.xlsx")
    assert (s.unit, s.status) == (None, SubmissionStatus.REJECTED)
    found = inbox.problems_of("ghi chu.xlsx")
    assert [(p.code, p.severity, p.file) for p in found] == [
        ("file.not_workbook", Severity.ERROR, "ghi chu.xlsx")
    ]


def test_the_roster_status_says_who_reported_on_time(inbox: Read) -> None:
    plan = sample_plan()
    rows = {r.entry.code: r for r in roster_status(plan, plan.period(PERIOD), inbox.result)}
    assert list(rows) == [e.code for e in plan.roster]
    received = {code for code, r in rows.items() if r.received}
    assert received == {"T01", "T02", "T03", "T04", "T05", "T11", "T12", "CA"}
    assert rows["T01"].on_time is True
    assert rows["T03"].on_time is False
    # T05's first report came on time; its correction came late: on time (DHIS2).
    assert rows["T05"].on_time is True
    assert rows["T05"].used is not None and rows["T05"].used.file == "T05 (sửa).xlsx"
    assert [s.file for s in rows["T05"].others] == ["zalo/T05 (sửa) - Copy.xlsx",
                                                    "zalo/T05.xlsx"]
    assert (rows["T06"].received, rows["T06"].on_time) == (False, None)
    assert (rows["T07"].errors, rows["T07"].warnings) == (1, 0)
    assert (rows["T03"].errors, rows["T03"].warnings) == (0, 2)
    assert (rows["T12"].errors, rows["T12"].warnings) == (1, 0)
    assert rows["T08"].used is None and rows["T08"].others == ()


def test_arrivals_stay_put_however_the_files_are_touched_later(inbox: Read, tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    shutil.copytree(inbox.inbox, box)  # a copy: every file gets a new time
    ledger = tmp_path / "ledger.sqlite3"
    shutil.copy(inbox.ledger, ledger)
    later = datetime(2024, 7, 1).timestamp()
    for path in box.rglob("*"):
        os.utime(path, (later, later))
    again = read_and_check(sample_plan(), sample_period(), box, ledger, now=datetime(2024, 7, 2))
    assert {s.file: s.arrived for s in again.submissions} == {
        s.file: s.arrived for s in inbox.result.submissions
    }
    # Losing the ledger loses that memory: every file now arrived when it was
    # copied, so T05's two versions tie and the later file name wins.
    ledger.unlink()
    fresh = read_and_check(sample_plan(), sample_period(), box, ledger, now=datetime(2024, 7, 2))
    assert {s.arrived for s in fresh.submissions} == {datetime(2024, 7, 1)}
    assert fresh.used()["T05"].file == "zalo/T05.xlsx"
    assert sorted(fresh.used()) == sorted(again.used())


def test_a_ledger_that_cannot_record_the_arrivals_is_said_in_the_result(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    put(box, "a.xlsx", filled("T01", VILLAGE), ON_TIME)
    ledger = tmp_path / "l.sqlite3"
    with sqlite3.connect(ledger) as db:  # an old ledger the database refuses to add to
        db.execute(
            "CREATE TABLE arrivals (sha256 TEXT PRIMARY KEY, arrived TEXT NOT NULL, "
            "file TEXT NOT NULL, recorded TEXT NOT NULL)"
        )
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON arrivals BEGIN SELECT RAISE(ABORT, 'x'); END"
        )
    result = read_and_check(sample_plan(), sample_period(), box, ledger, now=NOW)
    assert result.submissions[0].arrived == ON_TIME
    assert [p.code for p in result.problems] == ["inbox.ledger_unavailable"]


def test_one_file_failing_unexpectedly_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = tmp_path / "inbox"
    put(box, "a.xlsx", filled("T01", VILLAGE), ON_TIME)
    put(box, "b.xlsx", filled("T02", VILLAGE), ON_TIME)
    real = read.identify

    def fail_on_a(plan: object, period: str, workbook: object, *, file: str) -> object:
        if file == "a.xlsx":
            raise RuntimeError("bất ngờ")
        return real(plan, period, workbook, file=file)  # type: ignore[arg-type]

    monkeypatch.setattr(read, "identify", fail_on_a)
    result = read_and_check(sample_plan(), sample_period(), box, tmp_path / "l.sqlite3", now=NOW)
    a, b = result.submissions
    assert (a.status, b.status) == (SubmissionStatus.REJECTED, SubmissionStatus.USED)
    assert a.arrived == ON_TIME and len(a.sha256) == 64
    assert result.problems == [
        problems.make(
            "inbox.unreadable",
            file="a.xlsx",
            reason="lỗi không lường trước khi đọc tệp (RuntimeError: bất ngờ)",
        )
    ]


def test_the_reader_parses_the_checked_parts_and_the_hash_is_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = tmp_path / "inbox"
    sent = filled("T01", VILLAGE)
    put(box, "a.xlsx", sent, ON_TIME)
    opened: list[bytes] = []
    real = read.open_workbook

    def spy(data: bytes, fmt: str, parts: object = None) -> object:
        opened.append(data)
        return real(data, fmt, parts)  # type: ignore[arg-type]

    monkeypatch.setattr(read, "open_workbook", spy)
    result = read_and_check(sample_plan(), sample_period(), box, tmp_path / "l.sqlite3", now=NOW)
    (data,) = opened
    with zipfile.ZipFile(io.BytesIO(data)) as stored, zipfile.ZipFile(io.BytesIO(sent)) as came:
        assert {i.compress_type for i in stored.infolist()} == {zipfile.ZIP_STORED}
        assert all(stored.read(name) == came.read(name) for name in stored.namelist())
    (used,) = result.submissions
    assert used.status is SubmissionStatus.USED
    assert used.sha256 == hashlib.sha256(sent).hexdigest()


def test_a_corrupt_ledger_warns_and_the_run_goes_on(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    put(box, "a.xlsx", filled("T01", VILLAGE), ON_TIME)
    ledger = tmp_path / ".wbt-ledger.sqlite3"
    ledger.write_bytes(b"\0" * 5000)
    result = read_and_check(sample_plan(), sample_period(), box, ledger, now=NOW)
    assert [p.code for p in result.problems] == ["inbox.ledger_corrupt"]
    assert result.problems[0].file is None
    assert result.used()["T01"].arrived == ON_TIME


def test_forms_resaved_by_libreoffice_read_the_same(tmp_path: Path) -> None:
    """Officers on LibreOffice save as .ods, as .xls, or re-save the .xlsx."""
    source = tmp_path / "filled"
    originals = {code: put(source, f"{code}.xlsx", filled(code, VILLAGE), ON_TIME)
                 for code in ("T08", "T09", "T10")}
    # Three rows inserted, then saved as .xls: the names must have moved with the cells.
    moved = put(source, "T12.xlsx", insert_rows(filled("T12", VILLAGE), 12, 3), ON_TIME)
    box = tmp_path / "inbox"
    converted = convert_many([
        ([originals["T08"]], "ods", box),
        ([originals["T09"], moved], "xls", box),
        ([originals["T10"]], "xlsx", box / "lo"),
    ])
    outputs = [p for paths in converted for p in paths]
    assert [p.relative_to(box).as_posix() for p in outputs] == [
        "T08.ods", "T09.xls", "T12.xls", "lo/T10.xlsx"
    ]
    result = read_and_check(sample_plan(), sample_period(), box, tmp_path / "l.sqlite3", now=NOW)
    assert result.problems == []
    for s in result.submissions:
        assert (s.status, s.identified_by) == (SubmissionStatus.USED, IdentifiedBy.METADATA)
        assert s.values == VILLAGE_CLEAN, s.file
    assert sorted(result.used()) == ["T08", "T09", "T10", "T12"]
    assert result.used()["T12"].cells["tt_loa"] == "Báo cáo!C20"  # was C17
    assert result.used()["T09"].cells["tt_loa"] == "Báo cáo!C17"


@pytest.mark.parametrize(
    "damage", [lambda d: d, without_properties], ids=["properties and sheet", "sheet only"]
)
def test_without_its_names_a_form_is_read_by_the_metadata_cell_map(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    # Identified by its document properties, the form has its cell map read from the
    # metadata sheet only now that a name is missing.
    wb = load_workbook(io.BytesIO(damage(filled("T01", VILLAGE))))
    for code in VILLAGE_CLEAN:
        del wb.defined_names[code]
    box = tmp_path / "inbox"
    put(box, "t.xlsx", save(wb), ON_TIME)
    result = read_and_check(sample_plan(), sample_period(), box, tmp_path / "l.sqlite3", now=NOW)
    (s,) = result.submissions
    assert (s.status, s.identified_by) == (SubmissionStatus.USED, IdentifiedBy.METADATA)
    assert s.values == VILLAGE_CLEAN
    assert s.cells["tt_loa"] == "Báo cáo!C17"
    assert result.problems == [problems.make("inbox.cells_by_position", file="t.xlsx", unit="T01")]


def test_names_are_found_whatever_their_case_as_excel_does(tmp_path: Path) -> None:
    wb = load_workbook(io.BytesIO(filled("T01", VILLAGE)))
    for code in ("tt_loa", "ld_tong"):
        name = wb.defined_names.pop(code)
        name.name = code.upper()
        wb.defined_names[name.name] = name
    box = tmp_path / "inbox"
    put(box, "t.xlsx", save(wb), ON_TIME)
    result = read_and_check(sample_plan(), sample_period(), box, tmp_path / "l.sqlite3", now=NOW)
    (s,) = result.submissions
    assert s.values == VILLAGE_CLEAN
    assert s.cells["tt_loa"] == "Báo cáo!C17"
    assert result.problems == []


def test_a_form_whose_named_cell_was_deleted_reports_the_lost_field(tmp_path: Path) -> None:
    wb = load_workbook(io.BytesIO(filled("T01", VILLAGE)))
    wb.defined_names["tt_loa"].attr_text = "#REF!"
    box = tmp_path / "inbox"
    put(box, "t.xlsx", save(wb), ON_TIME)
    result = read_and_check(sample_plan(), sample_period(), box, tmp_path / "l.sqlite3", now=NOW)
    (s,) = result.submissions
    assert "tt_loa" not in s.values
    field = sample_plan().field("tt_loa")
    assert result.problems == [
        problems.make("inbox.field_not_found", file="t.xlsx", unit="T01", field="tt_loa",
                      label=field.label)
    ]


def test_a_blank_form_keeps_the_file_even_when_nothing_is_filled(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    put(box, "blank.xlsx", fill(blank_form("T01"), {}), ON_TIME)
    result = read_and_check(sample_plan(), sample_period(), box, tmp_path / "l.sqlite3", now=NOW)
    (s,) = result.submissions
    assert s.status is SubmissionStatus.USED and s.values == {}
    assert [(p.code, p.field) for p in result.problems] == [
        ("value.required", "nguoi_bao_cao"),
        ("value.required", "ngay_bao_cao"),
    ]


def test_status_and_report_count_the_errors_of_the_file_used(tmp_path: Path) -> None:
    # T02 first sent a damaged form (its metadata sheet lost: a warning), then
    # a good one: neither `wbt status` nor the report blames the new file for
    # the old one. T03 sent only last year's form: its error says why nothing
    # is used.
    box = tmp_path / "inbox"
    put(box, "T02.xlsx", without_metadata(filled("T02", VILLAGE_CLEAN)), ON_TIME)
    put(box, "T02 sua.xlsx", filled("T02", VILLAGE_CLEAN), LATE)
    put(box, "T03.xlsx", blank_form("T03", last_year=True), ON_TIME)
    plan = sample_plan()
    result = read_and_check(plan, plan.period(PERIOD), box, tmp_path / "ledger.sqlite3", now=NOW)
    old = [p for p in result.problems if p.file == "T02.xlsx"]
    assert any(p.severity is Severity.WARNING for p in old)  # the case is real
    rows = {r.entry.code: r for r in roster_status(plan, plan.period(PERIOD), result)}
    assert rows["T02"].used is not None and rows["T02"].used.file == "T02 sua.xlsx"
    assert (rows["T02"].errors, rows["T02"].warnings, rows["T02"].on_time) == (0, 0, True)
    assert rows["T03"].used is None and rows["T03"].errors >= 1
    report = {
        e.entry.code: e
        for e in consolidate(plan, PERIOD, result, generated_at=NOW).completeness.entries
    }
    for code in ("T02", "T03"):
        assert (report[code].errors, report[code].warnings) == (
            rows[code].errors,
            rows[code].warnings,
        )


def test_the_scan_names_files_as_the_officer_sees_them(tmp_path: Path) -> None:
    for name in (
        "Thon 2.xlsx", "Cong an/CA.xlsx", "Cong an/b/x.ods", "A/z.xls", "~$Thon 2.xlsx",
        ".~lock.Thon 2.xlsx#", ".git/config", "Cong an/Thumbs.db", "__MACOSX/._Thon 2.xlsx",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    expected = ["A/z.xls", "Cong an/CA.xlsx", "Cong an/b/x.ods", "Thon 2.xlsx"]
    assert [name for name, _ in named_files(tmp_path)] == expected
    assert scan_inbox(tmp_path) == [tmp_path / name for name in expected]
    assert has_files(tmp_path)
    (tmp_path / "empty" / ".hidden").mkdir(parents=True)
    (tmp_path / "empty" / "~$open.xlsx").write_bytes(b"x")
    assert not has_files(tmp_path / "empty")


# --- first arrival of a unit, the plan's time zone (issue 17) ----------------------------


def _wbt(*args: str) -> str:
    from click.testing import CliRunner

    from workbook_tools.cli import cli

    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "xa"
    _wbt("init", str(root))
    return root


def _status(root: Path) -> str:
    """``wbt status`` as the officer runs it; the inbox is left byte for byte as it was."""
    before = snapshot(root / "inbox")
    out = _wbt("status", "--period", PERIOD, "--dir", str(root))
    assert snapshot(root / "inbox") == before
    return out


def _columns(output: str, code: str) -> list[str]:
    """The ``wbt status`` table row of ``code``, split into its columns."""
    import re

    line = next(line for line in output.splitlines() if line.startswith(f"{code} "))
    return re.split(r" {2,}", line.strip())


def _timeliness(output: str, code: str) -> str:
    return _columns(output, code)[3]


@pytest.fixture
def machine_in_utc(monkeypatch: pytest.MonkeyPatch) -> object:
    """The computer's clock set to UTC, as a fresh Windows or a server often is."""
    import time

    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX only")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield None
    monkeypatch.undo()
    time.tzset()


def test_an_on_time_report_overwritten_or_resaved_after_the_deadline_stays_on_time(
    tmp_path: Path,
) -> None:
    root = _workspace(tmp_path)
    box = root / "inbox"
    first = filled("T01", VILLAGE)
    put(box, "T01.xlsx", first, ON_TIME)
    put(box, "T02.xlsx", filled("T02", VILLAGE), ON_TIME)
    assert _timeliness(_status(root), "T01") == "Đúng hạn"
    # T01's correction saved over the on-time file, under the same name, after the deadline;
    # T02's file opened and saved again in Excel (new bytes, new time).
    put(box, "T01.xlsx", filled("T01", {**VILLAGE, "tt_loa": 13}), LATE)
    put(box, "T02.xlsx", filled("T02", {**VILLAGE, "dien_thoai": "0912 345 678"}), LATE)
    out = _status(root)
    assert (_timeliness(out, "T01"), _timeliness(out, "T02")) == ("Đúng hạn", "Đúng hạn")
    assert "Đã nộp 2/22 (đúng hạn 2, trễ hạn 0)" in out
    # The ledger says which file first arrived, and when.
    with sqlite3.connect(root / ".wbt-ledger.sqlite3") as db:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        recorded = db.execute(
            "SELECT unit, period, arrived, file, sha256 FROM first_arrivals ORDER BY unit"
        ).fetchall()
    assert version == 4
    assert recorded[0] == (
        "T01", PERIOD, ON_TIME.astimezone().isoformat(), "T01.xlsx",
        hashlib.sha256(first).hexdigest(),
    )
    assert [r[0] for r in recorded] == ["T01", "T02"]
    # The report and its summary say the same: first arrival on time, the correction used.
    before = snapshot(box)
    _wbt("merge", "--period", PERIOD, "--dir", str(root))
    assert snapshot(box) == before
    import json

    summary = json.loads(
        (root / "outbox" / PERIOD / f"tong_hop_{PERIOD}.json").read_text(encoding="utf-8")
    )
    assert summary["completeness"]["on_time"] == 2 and summary["completeness"]["late"] == []
    t01 = next(e for e in summary["completeness"]["entries"] if e["unit"] == "T01")
    assert (t01["status"], t01["first_arrival"], t01["file"]) == (
        "dung_han", ON_TIME.isoformat(), "T01.xlsx"
    )
    report = load_workbook(root / "outbox" / PERIOD / f"BaoCao_TongHop_{PERIOD}.xlsx")
    sheet = report["Tình hình nộp"]
    row = next(r for r in sheet.iter_rows(values_only=True) if "T01" in r)
    assert ON_TIME in row and "Đúng hạn" in row


def test_an_old_ledger_is_upgraded_in_place_and_keeps_its_arrivals(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    box = root / "inbox"
    sent = filled("T01", VILLAGE)
    put(box, "T01.xlsx", sent, LATE)  # a later copy: the old ledger knows when it came
    sha = hashlib.sha256(sent).hexdigest()
    ledger = root / ".wbt-ledger.sqlite3"
    with sqlite3.connect(ledger) as db:  # the ledger as version 1 of the tool left it
        db.execute(
            "CREATE TABLE arrivals (sha256 TEXT PRIMARY KEY, arrived TEXT NOT NULL, "
            "file TEXT NOT NULL, recorded TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO arrivals VALUES (?, ?, ?, ?)",
            (sha, ON_TIME.isoformat(), "T01.xlsx", NOW.isoformat()),
        )
        db.execute("PRAGMA user_version = 1")
    db.close()
    assert _timeliness(_status(root), "T01") == "Đúng hạn"
    with sqlite3.connect(ledger) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (4,)
        assert db.execute("SELECT sha256, arrived, file FROM arrivals").fetchall() == [
            (sha, ON_TIME.isoformat(), "T01.xlsx")
        ]
        assert db.execute("SELECT unit, file, sha256 FROM first_arrivals").fetchall() == [
            ("T01", "T01.xlsx", sha)
        ]
    db.close()
    assert not list(root.glob(".wbt-ledger.sqlite3.hong-*"))


def test_a_ledger_from_a_newer_wbt_is_left_alone_and_said_so(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    put(root / "inbox", "T01.xlsx", filled("T01", VILLAGE), ON_TIME)
    ledger = root / ".wbt-ledger.sqlite3"
    with sqlite3.connect(ledger) as db:
        db.execute("CREATE TABLE arrivals_v9 (x TEXT)")
        db.execute("PRAGMA user_version = 9")
    db.close()
    kept = ledger.read_bytes()
    out = _status(root)
    newer = problems.make("inbox.ledger_newer", path=str(ledger), found=9, supported=4)
    assert newer.severity is Severity.WARNING
    assert f"Cảnh báo: {newer.message}" in out
    assert "bị hỏng" not in out
    assert _timeliness(out, "T01") == "Đúng hạn"  # the run goes on, in memory
    assert ledger.read_bytes() == kept
    assert not list(root.glob(".wbt-ledger.sqlite3.hong-*"))


def test_on_time_is_judged_in_the_plans_time_zone_not_the_computers(
    tmp_path: Path, machine_in_utc: object
) -> None:
    from datetime import UTC

    root = _workspace(tmp_path)
    box = root / "inbox"
    # 15/06 16:59 UTC is 23:59 in Việt Nam; 15/06 20:00 UTC is 16/06 03:00 there.
    put(box, "T01.xlsx", filled("T01", VILLAGE), datetime(2024, 6, 15, 16, 59, tzinfo=UTC))
    # (T02's form dated after the deadline: late, nothing to confirm.)
    made_late = {**VILLAGE, "ngay_bao_cao": datetime(2024, 6, 16)}
    put(box, "T02.xlsx", filled("T02", made_late), datetime(2024, 6, 15, 20, 0, tzinfo=UTC))
    out = _status(root)
    assert (_timeliness(out, "T01"), _timeliness(out, "T02")) == ("Đúng hạn", "Trễ hạn")
    bites = problems.make(
        "inbox.arrival_time_zone", file="T02.xlsx", unit="T02", name="Thôn 2",
        local="15/06/2024 20:00", plan_time="16/06/2024 03:00", zone="Asia/Ho_Chi_Minh",
        verdict="trễ hạn",
    )
    assert f"Cảnh báo: {bites.message}" in out
    assert "Tệp T01.xlsx của Thôn 1 đến lúc" not in out  # on time whichever the clock


def test_the_time_zone_is_an_optional_plan_setting(tmp_path: Path) -> None:
    from workbook_tools.errors import PlanError
    from workbook_tools.plan import load_plan

    root = _workspace(tmp_path)
    (template,) = (root / "templates").glob("*.xlsx")
    assert load_plan(template).settings.time_zone == "Asia/Ho_Chi_Minh"
    wb = load_workbook(template)
    ws = wb["Cài đặt"]
    (row,) = [c.row for c in ws["A"] if c.value == "time_zone"]
    ws.cell(row=row, column=3).value = "Europe/London"
    wb.save(template)
    assert load_plan(template).settings.time_zone == "Europe/London"
    ws.cell(row=row, column=3).value = "Giờ Hà Nội"
    wb.save(template)
    with pytest.raises(PlanError) as raised:
        load_plan(template)
    assert [p.code for p in raised.value.problems] == ["plan.value_invalid"]
    ws.delete_rows(row)  # a plan workbook made before the setting existed
    wb.save(template)
    assert load_plan(template).settings.time_zone == "Asia/Ho_Chi_Minh"


def test_an_arrival_before_the_period_starts_is_counted_with_a_warning(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    early = datetime(2023, 12, 20, 10, 0)  # a computer whose clock was set back
    put(root / "inbox", "T03.xlsx", filled("T03", VILLAGE), early)
    out = _status(root)
    assert _timeliness(out, "T03") == "Đúng hạn"
    before = problems.make(
        "inbox.arrived_before_period", file="T03.xlsx", unit="T03", name="Thôn 3",
        arrived=early.strftime("%d/%m/%Y %H:%M"), period=PERIOD, start="01/01/2024",
    )
    assert before.severity is Severity.WARNING
    assert f"Cảnh báo: {before.message}" in out


def test_two_versions_arriving_at_the_same_time_say_which_was_used(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    box = root / "inbox"
    put(box, "T04 ban 1.xlsx", filled("T04", {**VILLAGE, "tt_loa": 1}), ON_TIME)
    put(box, "T04 ban 2.xlsx", filled("T04", {**VILLAGE, "tt_loa": 2}), ON_TIME)
    out = _status(root)
    assert _columns(out, "T04")[5] == "T04 ban 2.xlsx"
    tie = problems.make(
        "inbox.arrival_tie", file="T04 ban 2.xlsx", unit="T04", name="Thôn 4",
        arrived=ON_TIME.strftime("%d/%m/%Y %H:%M"), others="T04 ban 1.xlsx",
    )
    assert f"Cảnh báo: {tie.message}" in out
    assert _status(root) == out  # every run chooses the same
