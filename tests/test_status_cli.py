"""``wbt status`` and ``wbt check`` as the officer runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from tests.inbox_forms import (
    LATE,
    ON_TIME,
    PERIOD,
    VILLAGE,
    filled,
    form_name,
    put,
    sample_plan,
    snapshot,
)
from workbook_tools import problems
from workbook_tools.cli import cli
from workbook_tools.cli.inbox import FILES_SHOWN
from workbook_tools.report.feedback import ERROR_FILL, SUMMARY_SHEET

BAD_T02 = {**VILLAGE, "ld_tong": 3, "ld_duoc_tt": 9}


def wbt(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "pcmd"
    assert wbt("init", str(root)).exit_code == 0
    box = root / "inbox"
    put(box, form_name("T01"), filled("T01", VILLAGE), ON_TIME)
    put(box, "Thon 2/T02.xlsx", filled("T02", BAD_T02), LATE)
    put(box, "T06 nam.xlsx", filled("T06", VILLAGE, "CN-2024"), ON_TIME)
    put(box, "ghi chu.xlsx", b"Thon 8 xin nop cham.\n", ON_TIME)
    return root


def shown(saved: datetime) -> str:
    """A file time (this computer's local time) as status shows it: where the plan is."""
    return f"{saved.astimezone(ZoneInfo('Asia/Ho_Chi_Minh')):%d/%m %H:%M}"


def columns(output: str, code: str) -> list[str]:
    """The table row of ``code``, split into its columns."""
    line = next(line for line in output.splitlines() if line.startswith(f"{code} "))
    return re.split(r" {2,}", line.strip())


def test_status_prints_who_reported_and_leaves_inbox_and_outbox_alone(workspace: Path) -> None:
    before = snapshot(workspace / "inbox")
    result = wbt("status", "--period", PERIOD, "--dir", str(workspace))
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(
        "Báo cáo 6 tháng đầu năm 2024 (6T-2024), hạn nộp 15/06/2024: 22 thôn, đơn vị phải nộp."
    )
    assert columns(out, "Mã") == [
        "Mã",
        "Tên",
        "Nộp",
        "Hạn",
        "Thời điểm nhận",
        "Tệp dùng",
        "Lỗi",
        "Cảnh báo",
        "Xem xét",
    ]
    assert columns(out, "T01") == [
        "T01",
        "Thôn 1",
        "Đã nộp",
        "Đúng hạn",
        f"{shown(ON_TIME)} theo ngày của tệp",
        form_name("T01"),
        "0",
        "0",
        "chưa xem xét",
    ]
    # Saved after the deadline, but the form says it was made on 10/06: not silently late.
    assert columns(out, "T02") == [
        "T02",
        "Thôn 2",
        "Đã nộp",
        "Cần xác nhận",
        f"{shown(LATE)} theo ngày của tệp",
        "Thon 2/T02.xlsx",
        "1",
        "0",
        "chưa xem xét",
    ]
    assert columns(out, "T06") == ["T06", "Thôn 6", "Chưa nộp", "-", "-", "-", "0", "0", "-"]
    assert "Cần xác nhận (T02): nhận sau hạn nhưng biểu mẫu hoặc thư ghi ngày trước hạn." in out
    assert f"wbt arrival --period {PERIOD} --unit MÃ --date dd/mm/yyyy" in out
    missing = [e.code for e in sample_plan().roster if e.code not in ("T01", "T02")]
    assert f"Đã nộp 2/22 (đúng hạn 1, trễ hạn 1); chưa nộp: {', '.join(missing)}." in out
    other_period = problems.make(
        "inbox.other_period",
        file="T06 nam.xlsx",
        unit="T06",
        found="CN-2024",
        found_name="Báo cáo năm 2024",
        name="Thôn 6",
        period=PERIOD,
    )
    assert f"T06 - Thôn 6:\n  Tệp T06 nam.xlsx:\n    - Ghi chú: {other_period.message}\n" in out
    assert "T02 - Thôn 2:\n  Tệp Thon 2/T02.xlsx:\n    - Lỗi: " in out
    not_workbook = problems.make("file.not_workbook", file="ghi chu.xlsx", kind="một tệp văn bản")
    assert (
        f"Các tệp không dùng được:\n  Tệp ghi chu.xlsx:\n    - Lỗi: {not_workbook.message}" in out
    )
    assert snapshot(workspace / "inbox") == before
    assert list((workspace / "outbox").iterdir()) == []
    assert (workspace / ".wbt-ledger.sqlite3").is_file()
    assert not (workspace / ".wbt.lock").exists()


def test_check_writes_a_feedback_copy_for_each_file_to_correct(workspace: Path) -> None:
    before = snapshot(workspace / "inbox")
    result = wbt("check", "--period", PERIOD, "--dir", str(workspace))
    assert result.exit_code == 0, result.output
    folder = workspace / "outbox" / PERIOD / "phan_hoi"
    written = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.xlsx"))
    # Not the clean T01, not the other period's T06 (a note only), not the text file.
    assert written == ["Thon 2/T02_phan_hoi.xlsx"]
    assert result.output.endswith(
        f"Đã tạo 1 bản phản hồi trong {folder}:\n  Thon 2/T02_phan_hoi.xlsx\n"
    )
    wb = load_workbook(folder / "Thon 2" / "T02_phan_hoi.xlsx")
    assert wb.sheetnames[0] == SUMMARY_SHEET
    marked = wb["Báo cáo"]["C20"]  # ld_duoc_tt, the rule's cell
    assert marked.value == 9
    assert marked.fill.fgColor.rgb.endswith(ERROR_FILL)
    assert snapshot(workspace / "inbox") == before


def test_the_commands_stop_with_a_message_when_they_cannot_run(tmp_path: Path) -> None:
    no_plan = wbt("status", "--period", PERIOD, "--dir", str(tmp_path))
    assert no_plan.exit_code == 1
    assert "không có thư mục 'templates/'" in no_plan.output
    root = tmp_path / "ws"
    assert wbt("init", str(root)).exit_code == 0
    (root / "inbox").rmdir()
    no_inbox = wbt("check", "--period", PERIOD, "--dir", str(root))
    assert no_inbox.exit_code == 1
    assert f"Lỗi: Thư mục {root.resolve()} không có thư mục 'inbox/'." in no_inbox.output
    (root / "inbox").mkdir()
    wrong = wbt("status", "--period", "6T-2023", "--dir", str(root))
    assert wrong.exit_code == 1
    assert "Lỗi: Kỳ báo cáo '6T-2023' không có trong kế hoạch." in wrong.output
    assert "Các kỳ có trong kế hoạch: 6T-2024, CN-2024." in wrong.output


def test_an_empty_inbox_is_reported_plainly(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert wbt("init", str(root)).exit_code == 0
    result = wbt("check", "--period", "CN-2024", "--dir", str(root))
    assert result.exit_code == 0
    assert "Đã nộp 0/22 (đúng hạn 0, trễ hạn 0); chưa nộp: T01," in result.output
    assert "Không có vấn đề nào." in result.output
    assert result.output.endswith("Không tệp nào có lỗi hay cảnh báo: không cần bản phản hồi.\n")


@pytest.mark.parametrize("command", ["status", "check"])
def test_each_command_has_help_with_an_example(command: str) -> None:
    result = wbt(command, "--help")
    assert result.exit_code == 0
    assert f"Ví dụ: wbt {command} --period Q1-2025" in result.output
    assert "--period" in result.output and "--dir" in result.output


def test_an_inbox_of_junk_is_summarised_past_a_screenful(tmp_path: Path) -> None:
    root = tmp_path / "xa"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    for n in range(250):
        put(root / "inbox", f"rac/ghi chu {n:03d}.txt", b"khong phai bang tinh\r\n", ON_TIME)
    result = CliRunner().invoke(cli, ["status", "--period", PERIOD, "--dir", str(root)])
    assert result.exit_code == 0, result.output
    listed = [line for line in result.output.splitlines() if line.startswith("  Tệp rac/")]
    assert len(listed) == FILES_SHOWN
    assert '… và 230 tệp khác (danh sách đầy đủ ở trang "Lỗi dữ liệu"' in result.output
    assert len(result.output.splitlines()) < 120


def test_the_commands_that_only_read_do_not_load_the_report_s_libraries(tmp_path: Path) -> None:
    """pandas, xlsxwriter and python-docx take a third of a second to load: only the
    commands that write reports need them; smtplib, imaplib and ssl only the mail
    commands."""
    root = tmp_path / "xa"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    put(root / "inbox", "T01.xlsx", filled("T01", VILLAGE), ON_TIME)
    code = (
        "import sys\n"
        "from workbook_tools import main\n"
        f"sys.argv = ['wbt', 'status', '--period', '{PERIOD}', '--dir', {str(root)!r}]\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print(sorted(m for m in ('pandas', 'xlsxwriter', 'docx', 'smtplib', 'imaplib', "
        "'mailbox') if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "[]"
