"""Chốt số liệu and the officer's review of each unit's file (issue 20, first half).

A sent report stays reproducible: ``wbt lock`` records the files the last merge used,
a later ``wbt merge`` gives the locked figures again whatever arrives after, and names
what arrived as "nộp sau khi chốt số liệu" in the terminal, the JSON summary, the
report workbook and the Word report; ``wbt unlock`` (with a reason) reopens it. Each
lock and unlock is kept. ``wbt review`` marks a unit's file accepted or returned (with
its feedback copy), shown by status and the report until the unit sends a new file.

The commands run through CliRunner over a copy of the demo's working folder, merged
once; what they wrote is read back with json, openpyxl, python-docx and sqlite3.
"""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from tests.demo_folders import demo_folder
from tests.inbox_forms import VILLAGE, filled, put
from workbook_tools import demo, problems
from workbook_tools.cli import cli
from workbook_tools.inbox.ledger import open_ledger, record_decisions

PERIOD = demo.load_scenario().period
FOLDER = Path("outbox") / PERIOD
SUMMARY = FOLDER / f"tong_hop_{PERIOD}.json"
WORKBOOK = FOLDER / f"BaoCao_TongHop_{PERIOD}.xlsx"
DOCUMENT = FOLDER / f"BaoCao_{PERIOD}.docx"
LEDGER = ".wbt-ledger.sqlite3"
#: The demo's Thôn 7 never reports: its file comes after the lock.
LATE_NAME = "T07 nop muon.xlsx"
LATE_TIME = datetime(2024, 6, 22, 10, 0)
T01_FILE = f"{PERIOD}_T01_Thon-1.xlsx"


def wbt(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--dir", str(root)])


def merge(root: Path) -> Result:
    result = wbt(root, "merge", "--period", PERIOD)
    return result


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's folder, merged once (its report is the one to lock)."""
    root = demo_folder(tmp_path_factory, "lock")
    result = merge(root)
    assert result.exit_code == 0, result.output
    return root


def summary(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / SUMMARY).read_bytes())
    return data


def figures(data: dict[str, Any]) -> str:
    """The numbers of a summary: every indicator, the totals, who reported."""
    done = data["completeness"]
    return json.dumps(
        [
            data["indicators"],
            data["village_totals"],
            data["unit_totals"],
            [done[k] for k in ("expected", "received", "on_time", "missing", "late")],
        ],
        ensure_ascii=False,
        sort_keys=True,
    )


def sheet_texts(root: Path, sheet: str) -> list[str]:
    book = load_workbook(io.BytesIO((root / WORKBOOK).read_bytes()))
    return [c.value for row in book[sheet].iter_rows() for c in row if isinstance(c.value, str)]


def submissions_table(root: Path) -> dict[str, dict[str, Any]]:
    """The roster table of the 'Tình hình nộp' sheet: code -> header -> value."""
    book = load_workbook(io.BytesIO((root / WORKBOOK).read_bytes()))
    ws = book["Tình hình nộp"]
    headers = [c.value for c in ws[4]]
    out = {}
    for row in ws.iter_rows(min_row=5, values_only=True):
        if not row[1]:
            break
        out[str(row[1])] = dict(zip(headers, row, strict=False))
    return out


def document_text(root: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(root / DOCUMENT)).paragraphs)


def status_row(output: str, code: str) -> str:
    """The row of ``code`` in wbt status's table (its first line starting with the code)."""
    return next(line for line in output.splitlines() if line.startswith(f"{code} "))


def add_late_file(root: Path) -> None:
    put(root / "inbox", LATE_NAME, filled("T07", VILLAGE), LATE_TIME)


def lock_rows(root: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(root / LEDGER) as db:
        found = db.execute(
            "SELECT period, action, reason FROM lock_events ORDER BY id"
        ).fetchall()
    db.close()
    return found


# --- the "Must show" -------------------------------------------------------------


def test_a_late_file_after_the_lock_leaves_the_figures_and_is_named_until_unlocked(
    root: Path,
) -> None:
    locked = summary(root)
    result = wbt(root, "lock", "--period", PERIOD, "--reason", "Đã gửi Báo cáo số 45/BC-UBND")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Đã chốt số liệu Báo cáo 6 tháng đầu năm 2024 ({PERIOD}) lúc")
    assert "Báo cáo dùng 20 tệp của 20 thôn, đơn vị" in result.output
    assert "Lý do: Đã gửi Báo cáo số 45/BC-UBND" in result.output

    add_late_file(root)
    result = merge(root)
    assert result.exit_code == 0, result.output
    after = summary(root)
    # The locked figures, byte for byte: the late file is not counted.
    assert figures(after) == figures(locked)
    assert "T07" in after["completeness"]["missing"]
    lock = after["lock"]
    assert lock["locked"] is True and lock["reason"] == "Đã gửi Báo cáo số 45/BC-UBND"
    assert [(a["unit"], a["file"]) for a in lock["after_lock"]] == [("T07", LATE_NAME)]
    assert lock["after_lock"][0]["arrived"] == LATE_TIME.isoformat()
    assert [h["action"] for h in lock["history"]] == ["lock"]
    assert {f["unit"] for f in lock["files"]} == {
        s["unit"] for s in locked["submissions"] if s["status"] == "used"
    }
    late = next(s for s in after["submissions"] if s["file"] == LATE_NAME)
    assert late["status"] == "after_lock"
    # The terminal, the workbook and the Word report name the late file.
    line = (
        f"Nộp sau khi chốt số liệu, không tính vào báo cáo (1): Thôn 7 (tệp {LATE_NAME}, "
        "nhận 22/06/2024 10:00)."
    )
    assert line in result.output
    texts = sheet_texts(root, "Tổng hợp")
    assert line in texts
    assert any(t.startswith("Số liệu đã chốt lúc ") and "Đã gửi Báo cáo số 45" in t for t in texts)
    files = sheet_texts(root, "Tình hình nộp")
    assert LATE_NAME in files and "Nộp sau khi chốt số liệu" in files
    text = document_text(root)
    assert "Số liệu của báo cáo được chốt lúc " in text
    assert "báo cáo nộp sau khi chốt số liệu (Thôn 7) không được tổng hợp vào báo cáo này" in text
    # Status and check say so too, before their table.
    for command in ("status", "check"):
        shown = wbt(root, command, "--period", PERIOD).output
        table = shown.index("\nMã ")
        assert "Số liệu đã chốt lúc " in shown[:table] and line in shown[:table], command

    # Unlock: the reason is required, then the late file counts.
    refused = wbt(root, "unlock", "--period", PERIOD)
    assert refused.exit_code == 1
    assert "Cần ghi lý do mở chốt số liệu" in refused.output
    refused = wbt(root, "unlock", "--period", PERIOD, "--reason", "   ")
    assert refused.exit_code == 1 and "Cần ghi lý do mở chốt số liệu" in refused.output
    result = wbt(root, "unlock", "--period", PERIOD, "--reason", "Thôn 7 nộp bổ sung")
    assert result.exit_code == 0, result.output
    assert "Đã mở chốt số liệu" in result.output and "Lý do: Thôn 7 nộp bổ sung" in result.output
    result = merge(root)
    assert result.exit_code == 0, result.output
    reopened = summary(root)
    assert reopened["completeness"]["received"] == locked["completeness"]["received"] + 1
    assert "T07" not in reopened["completeness"]["missing"]
    assert reopened["lock"]["locked"] is False and reopened["lock"]["after_lock"] == []
    history = [(h["action"], h["reason"]) for h in reopened["lock"]["history"]]
    assert history == [("lock", "Đã gửi Báo cáo số 45/BC-UBND"), ("unlock", "Thôn 7 nộp bổ sung")]
    texts = sheet_texts(root, "Tổng hợp")
    assert any(
        t.startswith("Lịch sử chốt số liệu: chốt lúc ") and "mở chốt lúc " in t
        and "(Thôn 7 nộp bổ sung)" in t
        for t in texts
    )
    assert "được chốt lúc" not in document_text(root)


def test_a_new_version_of_a_locked_unit_s_file_is_not_used_while_locked(root: Path) -> None:
    before = summary(root)
    assert wbt(root, "lock", "--period", PERIOD).exit_code == 0
    # T01 sends a correction after the lock: T01 stays on its locked file.
    put(root / "inbox", "T01 ban sua.xlsx", filled("T01", {**VILLAGE, "tt_loa": 99}), LATE_TIME)
    result = merge(root)
    assert result.exit_code == 0, result.output
    after = summary(root)
    assert figures(after) == figures(before)
    entry = next(e for e in after["completeness"]["entries"] if e["unit"] == "T01")
    assert entry["file"] == T01_FILE
    assert [a["file"] for a in after["lock"]["after_lock"]] == ["T01 ban sua.xlsx"]
    # T05's older file, there when locked, is still only superseded.
    statuses = {s["file"]: s["status"] for s in after["submissions"]}
    assert statuses[f"{PERIOD}_T05_Thon-5 (lan 1).xlsx"] == "superseded"


# --- what a lock needs ---------------------------------------------------------------------


def test_lock_without_a_report_is_refused_with_what_to_do(root: Path) -> None:
    (root / SUMMARY).unlink()
    result = wbt(root, "lock", "--period", PERIOD)
    assert result.exit_code == 1
    assert f"Kỳ {PERIOD} chưa có báo cáo tổng hợp" in result.output
    assert f"Hãy chạy wbt merge --period {PERIOD} để tổng hợp, rồi chốt số liệu." in result.output
    assert "Traceback" not in result.output
    assert lock_rows(root) == []


def test_lock_refuses_a_summary_wbt_did_not_write(root: Path) -> None:
    path = root / SUMMARY
    path.write_bytes(path.read_bytes().replace(b'"received": 20', b'"received": 21'))
    result = wbt(root, "lock", "--period", PERIOD)
    assert result.exit_code == 1
    assert "không phải bản wbt ghi ở lần tổng hợp gần nhất" in result.output


def test_locking_twice_is_refused_and_says_how_to_lock_again(root: Path) -> None:
    assert wbt(root, "lock", "--period", PERIOD).exit_code == 0
    again = wbt(root, "lock", "--period", PERIOD)
    assert again.exit_code == 1
    assert f"Kỳ {PERIOD} đã chốt số liệu lúc" in again.output and "wbt unlock" in again.output
    assert [row[1] for row in lock_rows(root)] == ["lock"]
    never = wbt(root, "unlock", "--period", "CN-2024", "--reason", "thử")
    assert never.exit_code == 1
    assert "Kỳ CN-2024 chưa chốt số liệu: không có gì để mở chốt." in never.output


def test_a_lock_is_on_the_report_sent_even_when_files_came_since(root: Path) -> None:
    """Locking locks what the last merge used (the report sent), and says what came since."""
    sent = summary(root)
    add_late_file(root)
    result = wbt(root, "lock", "--period", PERIOD)
    assert result.exit_code == 0, result.output
    assert "1 tệp trong inbox/ không có trong báo cáo đã chốt" in result.output
    assert f"Thôn 7 (T07): {LATE_NAME}" in result.output
    assert merge(root).exit_code == 0
    assert figures(summary(root)) == figures(sent)


def test_a_locked_file_gone_from_the_inbox_stops_merge_and_says_which(root: Path) -> None:
    assert wbt(root, "lock", "--period", PERIOD).exit_code == 0
    at = summary(root)  # unchanged by the lock: the report as sent
    written = {p: (root / p).read_bytes() for p in (SUMMARY, WORKBOOK, DOCUMENT)}
    (root / "inbox" / T01_FILE).unlink()
    result = merge(root)
    assert result.exit_code == 1
    history = lock_rows(root)
    assert history[0][1] == "lock"
    assert "Chưa tổng hợp lại: báo cáo đã chốt được giữ nguyên, vì thiếu tệp đã chốt" in (
        result.output
    )
    assert f"với tệp {T01_FILE} của Thôn 1" in result.output
    assert "không còn tệp nào có nội dung đó" in result.output
    assert f"Hãy chép lại vào inbox/ đúng tệp {T01_FILE} như lúc chốt" in result.output
    assert {p: (root / p).read_bytes() for p in written} == written
    assert at == summary(root)
    # The same file, changed under its name: said so.
    put(root / "inbox", T01_FILE, filled("T01", VILLAGE), LATE_TIME)
    result = merge(root)
    assert result.exit_code == 1
    assert "tệp cùng tên đang có đã bị sửa hoặc thay bằng bản khác" in result.output
    # wbt status shows the error under Thôn 1.
    status = wbt(root, "status", "--period", PERIOD)
    assert "T01 - Thôn 1:" in status.output and "không còn trong inbox/ như lúc chốt" in (
        status.output
    )


def test_merge_refuses_figures_that_differ_from_the_locked_ones(root: Path) -> None:
    assert wbt(root, "lock", "--period", PERIOD).exit_code == 0
    with sqlite3.connect(root / LEDGER) as db:  # as if the plan's formulas changed since
        db.execute("UPDATE lock_events SET figures_sha256 = ?", ("0" * 64,))
    db.close()
    before = (root / WORKBOOK).read_bytes()
    result = merge(root)
    assert result.exit_code == 1
    assert "khác với số liệu đã chốt" in result.output and "wbt unlock" in result.output
    assert (root / WORKBOOK).read_bytes() == before


def test_every_lock_and_unlock_is_kept_in_order(root: Path) -> None:
    steps = [
        ("lock", "Gửi lần 1"),
        ("unlock", "Sửa số của Thôn 3"),
        ("lock", "Gửi lần 2"),
        ("unlock", "Huyện yêu cầu bổ sung"),
        ("lock", ""),
    ]
    for action, reason in steps:
        if action == "lock":
            assert merge(root).exit_code == 0
        result = wbt(root, action, "--period", PERIOD, "--reason", reason)
        assert result.exit_code == 0, result.output
    assert lock_rows(root) == [(PERIOD, a, r) for a, r in steps]
    assert merge(root).exit_code == 0
    history = summary(root)["lock"]["history"]
    assert [(h["action"], h["reason"]) for h in history] == steps
    assert all(h["at"] for h in history)
    line = next(t for t in sheet_texts(root, "Tổng hợp") if t.startswith("Lịch sử chốt"))
    assert line.count("mở chốt lúc") == 2 and "(Gửi lần 2)" in line


# --- review -------------------------------------------------------------------------------


def test_review_accept_and_return_shown_in_status_and_report(root: Path) -> None:
    accepted = wbt(root, "review", "--period", PERIOD, "--unit", "t01", "--accept")
    assert accepted.exit_code == 0, accepted.output
    assert accepted.output.startswith(f"Thôn 1 (T01), tệp {T01_FILE}: đã chấp nhận.")
    refused = wbt(root, "review", "--period", PERIOD, "--unit", "T03", "--return")
    assert refused.exit_code == 1 and "Cần ghi lý do trả lại để sửa" in refused.output
    reason = "Số lượt người được tuyên truyền chưa khớp sổ theo dõi"
    returned = wbt(root, "review", "--period", PERIOD, "--unit", "T03", "--return",
                   "--reason", reason)
    assert returned.exit_code == 0, returned.output
    copy = root / FOLDER / "phan_hoi" / f"{PERIOD}_T03_Thon-3_phan_hoi.xlsx"
    assert f"Bản phản hồi để gửi lại: {copy.relative_to(root).as_posix()}" in returned.output
    listed = [c.value for row in load_workbook(copy)["Cần sửa"].iter_rows() for c in row]
    assert any(isinstance(v, str) and reason in v for v in listed)
    neither = wbt(root, "review", "--period", PERIOD, "--unit", "T04")
    assert neither.exit_code == 2 and "--accept" in neither.output
    missing = wbt(root, "review", "--period", PERIOD, "--unit", "T07", "--accept")
    assert missing.exit_code == 1 and "chưa có tệp nào dùng được" in missing.output
    unknown = wbt(root, "review", "--period", PERIOD, "--unit", "X99", "--accept")
    assert unknown.exit_code == 1 and "mã 'X99'" in unknown.output

    status = wbt(root, "status", "--period", PERIOD).output
    assert status_row(status, "T01").endswith("đã chấp nhận")
    assert status_row(status, "T03").endswith(f"trả lại để sửa: {reason}")
    assert status_row(status, "T04").endswith("chưa xem xét")
    assert status_row(status, "T07").endswith("-")
    returned_note = "đã bị cán bộ trả lại để sửa lúc "
    assert returned_note in status
    assert merge(root).exit_code == 0
    entries = {e["unit"]: e for e in summary(root)["completeness"]["entries"]}
    assert (entries["T01"]["review"], entries["T01"]["review_label"]) == (
        "accepted", "đã chấp nhận"
    )
    assert (entries["T03"]["review"], entries["T03"]["review_reason"]) == ("returned", reason)
    assert entries["T04"]["review"] == "pending" and entries["T07"]["review"] is None
    table = submissions_table(root)
    assert table["T01"]["Xem xét"] == "đã chấp nhận"
    assert table["T03"]["Xem xét"] == f"trả lại để sửa: {reason}"
    assert table["T04"]["Xem xét"] == "chưa xem xét"
    assert table["T07"]["Xem xét"] is None
    # The return is a warning of the report, with the reason.
    warning = next(p for p in summary(root)["problems"] if p["code"] == "review.returned")
    assert warning["unit"] == "T03" and reason in warning["message"]


def test_a_new_file_from_the_unit_is_not_reviewed_yet(root: Path) -> None:
    assert wbt(root, "review", "--period", PERIOD, "--unit", "T01", "--accept").exit_code == 0
    put(root / "inbox", "T01 ban sua.xlsx", filled("T01", VILLAGE), LATE_TIME)
    row = status_row(wbt(root, "status", "--period", PERIOD).output, "T01")
    assert "T01 ban sua.xlsx" in row and row.endswith("chưa xem xét")
    # The old file back as the newest: its review stands again (it is tied to the file).
    (root / "inbox" / "T01 ban sua.xlsx").unlink()
    row = status_row(wbt(root, "status", "--period", PERIOD).output, "T01")
    assert row.endswith("đã chấp nhận")


# --- the ledger ----------------------------------------------------------------------------


def test_a_version_2_ledger_is_upgraded_with_its_rows_and_takes_a_lock(tmp_path: Path) -> None:
    path = tmp_path / LEDGER
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE arrivals (sha256 TEXT PRIMARY KEY, arrived TEXT NOT NULL, "
            "file TEXT NOT NULL, recorded TEXT NOT NULL)"
        )
        db.execute(
            "CREATE TABLE first_arrivals (unit TEXT NOT NULL, period TEXT NOT NULL, "
            "arrived TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT NOT NULL, "
            "recorded TEXT NOT NULL, PRIMARY KEY (unit, period))"
        )
        db.execute(
            "INSERT INTO arrivals VALUES ('a', '2024-06-10T14:30:00', 'T01.xlsx', "
            "'2024-06-11T08:00:00')"
        )
        db.execute("PRAGMA user_version = 2")
    db.close()
    from workbook_tools.inbox.ledger import LOCK, LockedFile, LockEvent

    event = LockEvent(
        PERIOD, LOCK, datetime(2024, 6, 20, 9, 0), "Đã gửi", "vhxh",
        report_sha256="b" * 64, files=(LockedFile("T01", "T01.xlsx", "a", True),),
    )
    record_decisions(path, events=[event])
    with open_ledger(path) as ledger:
        assert ledger.problems == []
        assert ledger.lookup("a") is not None
        assert ledger.lock_history(PERIOD) == (event,)
        assert ledger.lock_history("CN-2024") == ()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (4,)
    db.close()


def test_a_lock_is_not_kept_in_memory_when_the_ledger_is_newer(root: Path) -> None:
    with sqlite3.connect(root / LEDGER) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    result = wbt(root, "lock", "--period", PERIOD)
    assert result.exit_code == 1
    assert "phiên bản wbt mới hơn" in result.output


def test_a_lock_the_ledger_lost_is_put_back_from_the_copy_beside_the_report(root: Path) -> None:
    locked = summary(root)
    assert wbt(root, "lock", "--period", PERIOD, "--reason", "Đã gửi").exit_code == 0
    record = json.loads((root / FOLDER / ".wbt-report.json").read_bytes())
    assert record["lock"]["locked"] is True and record["lock"]["reason"] == "Đã gửi"
    assert record["written"]  # the rest of the record kept
    # The ledger damaged (set aside and rebuilt by the next command), a late file in.
    (root / LEDGER).write_bytes(b"this is not a database" * 100)
    add_late_file(root)
    result = merge(root)
    assert result.exit_code == 0, result.output
    after = summary(root)
    assert figures(after) == figures(locked)
    assert [a["file"] for a in after["lock"]["after_lock"]] == [LATE_NAME]
    assert [(h["action"], h["reason"]) for h in after["lock"]["history"]] == [("lock", "Đã gửi")]
    restored = next(p for p in after["problems"] if p["code"] == "lock.restored")
    assert restored["severity"] == "warning"
    assert "đã ghi lại việc chốt vào sổ" in restored["message"]
    assert lock_rows(root) == [(PERIOD, "lock", "Đã gửi")]
    assert list(root.glob(f"{LEDGER}.hong-*"))
    record = json.loads((root / FOLDER / ".wbt-report.json").read_bytes())
    assert record["lock"]["locked"] is True  # the merge kept the copy
    # Unlocked: the copy says so too, and nothing is put back.
    assert wbt(root, "unlock", "--period", PERIOD, "--reason", "Sửa").exit_code == 0
    record = json.loads((root / FOLDER / ".wbt-report.json").read_bytes())
    assert record["lock"]["locked"] is False
    assert [h["action"] for h in record["lock"]["history"]] == ["lock", "unlock"]
    (root / LEDGER).unlink()
    assert merge(root).exit_code == 0
    assert summary(root)["lock"]["locked"] is False
    assert "T07" not in summary(root)["completeness"]["missing"]


def test_the_catalogue_s_lock_messages_say_how_to_fix() -> None:
    missing = problems.make(
        "lock.file_missing", file="T01.xlsx", unit="T01", name="Thôn 1", period=PERIOD,
        locked="09:00 ngày 20/06/2024", how="không còn tệp nào có nội dung đó",
    )
    assert missing.severity is problems.Severity.ERROR
    assert "Hãy chép lại vào inbox/ đúng tệp T01.xlsx" in missing.message
    assert f"wbt unlock --period {PERIOD}" in missing.message


def test_the_locked_report_is_kept_as_sent_when_a_later_merge_rewrites_it(root: Path) -> None:
    """The report files the lock recorded stay somewhere: a copy in the period's outbox,
    named in lock's output, untouched by the merge that rewrites the report."""
    import hashlib

    sent = {p: (root / p).read_bytes() for p in (WORKBOOK, DOCUMENT, SUMMARY)}
    result = wbt(root, "lock", "--period", PERIOD)
    assert result.exit_code == 0, result.output
    copies = sorted((root / FOLDER).glob("da_chot_*"))
    assert len(copies) == 1 and copies[0].is_dir()
    kept = copies[0]
    assert "Bản sao báo cáo đã chốt" in result.output
    assert str(Path("outbox") / PERIOD / kept.name) in result.output
    add_late_file(root)
    result = merge(root)
    assert result.exit_code == 0, result.output
    # The merge rewrote the report (its generation time at least) ...
    assert (root / SUMMARY).read_bytes() != sent[SUMMARY]
    # ... and the copy holds exactly what the lock recorded.
    with sqlite3.connect(root / LEDGER) as db:
        report_sha, workbook_sha = db.execute(
            "SELECT report_sha256, workbook_sha256 FROM lock_events WHERE action = 'lock'"
        ).fetchone()
    db.close()

    def sha(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    assert sorted(p.name for p in kept.iterdir()) == sorted(
        p.name for p in (WORKBOOK, DOCUMENT, SUMMARY)
    )
    assert sha(kept / SUMMARY.name) == report_sha
    assert sha(kept / WORKBOOK.name) == workbook_sha
    for path, content in sent.items():
        assert (kept / path.name).read_bytes() == content
    assert json.loads((kept / SUMMARY.name).read_bytes())["lock"]["locked"] is False
    load_workbook(kept / WORKBOOK.name)  # whole, as Excel opens it
    assert docx.Document(str(kept / DOCUMENT.name)).paragraphs


def test_an_arrival_correction_on_a_locked_period_is_refused_a_review_is_harmless(
    root: Path,
) -> None:
    """A correction of an arrival would change the locked figures (on time, late), so it
    waits for an unlock; a review changes no figure: allowed, and the merge still gives the
    locked figures."""
    locked = summary(root)
    assert wbt(root, "lock", "--period", PERIOD).exit_code == 0
    refused = wbt(
        root, "arrival", "--period", PERIOD, "--unit", "T03", "--date", "14/06/2024",
        "--reason", "nhận qua Zalo",
    )
    assert refused.exit_code == 1
    text = " ".join(refused.output.split())
    assert f"Kỳ {PERIOD} đã chốt số liệu lúc " in text
    assert f"hãy mở chốt bằng wbt unlock --period {PERIOD}" in text
    assert "trước khi sửa ngày nhận" in text
    with sqlite3.connect(root / LEDGER) as db:
        assert db.execute("SELECT COUNT(*) FROM corrections").fetchone() == (0,)
    db.close()
    result = merge(root)
    assert result.exit_code == 0, result.output
    assert figures(summary(root)) == figures(locked)
    # A review of a locked period: kept, the figures stay the locked ones.
    returned = wbt(
        root, "review", "--period", PERIOD, "--unit", "T01", "--return", "--reason", "Sai số"
    )
    assert returned.exit_code == 0, returned.output
    result = merge(root)
    assert result.exit_code == 0, result.output
    after = summary(root)
    assert figures(after) == figures(locked)
    entry = next(e for e in after["completeness"]["entries"] if e["unit"] == "T01")
    assert "trả lại" in json.dumps(entry, ensure_ascii=False)
    # Unlocked, the correction is taken.
    assert wbt(root, "unlock", "--period", PERIOD, "--reason", "sửa ngày nhận").exit_code == 0
    done = wbt(
        root, "arrival", "--period", PERIOD, "--unit", "T03", "--date", "14/06/2024",
        "--reason", "nhận qua Zalo",
    )
    assert done.exit_code == 0, done.output


def test_unlock_in_a_missing_folder_says_so_in_the_officer_s_words(
    base: Path, tmp_path: Path
) -> None:
    plan = next((base / "templates").glob("*.xlsx"))
    missing = tmp_path / "khong-co"
    result = CliRunner().invoke(
        cli,
        ["unlock", "--period", PERIOD, "--reason", "Sửa", "--dir", str(missing),
         "--plan", str(plan)],
    )
    assert result.exit_code == 1
    assert f"Không có thư mục làm việc {missing}." in result.output
    assert "No such file" not in result.output and "tệp khóa" not in result.output
    assert not missing.exists()


def test_unlock_after_the_ledger_was_rebuilt_puts_the_lock_back_and_ends_it(root: Path) -> None:
    assert wbt(root, "lock", "--period", PERIOD, "--reason", "Đã gửi").exit_code == 0
    (root / LEDGER).write_bytes(b"this is not a database" * 100)
    result = wbt(root, "unlock", "--period", PERIOD, "--reason", "Sửa")
    assert result.exit_code == 0, result.output
    assert list(root.glob(f"{LEDGER}.hong-*"))
    assert lock_rows(root) == [(PERIOD, "lock", "Đã gửi"), (PERIOD, "unlock", "Sửa")]
    record = json.loads((root / FOLDER / ".wbt-report.json").read_bytes())
    assert [h["action"] for h in record["lock"]["history"]] == ["lock", "unlock"]
    assert merge(root).exit_code == 0
    assert summary(root)["lock"]["locked"] is False


def test_unlock_is_refused_when_the_ledger_cannot_be_written(root: Path) -> None:
    assert wbt(root, "lock", "--period", PERIOD, "--reason", "Đã gửi").exit_code == 0
    with sqlite3.connect(root / LEDGER) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    result = wbt(root, "unlock", "--period", PERIOD, "--reason", "Sửa")
    assert result.exit_code == 1
    assert "phiên bản wbt mới hơn" in result.output
