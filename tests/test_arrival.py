"""Where an arrival comes from, and the officer's correction (``wbt arrival``), as the
officer sees them: status, and the report's workbook, JSON and Word document."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
from click.testing import CliRunner, Result

from tests.demo_folders import demo_folder
from tests.inbox_forms import snapshot
from workbook_tools.cli import cli
from workbook_tools.inbox.ledger import open_ledger

PERIOD = "6T-2024"
LEDGER = ".wbt-ledger.sqlite3"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_folder(tmp_path_factory, "arrival")


def wbt(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--dir", str(root)], catch_exceptions=False)


def columns(output: str, code: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.startswith(f"{code} "))
    return re.split(r" {2,}", line.strip())


def test_a_correction_is_kept_with_its_reason_and_the_newest_applies(root: Path) -> None:
    inbox = snapshot(root / "inbox")
    # The demo's T03 was saved after the deadline; its form says 10/06: in doubt.
    before = wbt(root, "status", "--period", PERIOD)
    # The time shown is the one the demo saves it at (sample/demo_2024.toml), this
    # computer's local time, shown where the plan is.
    saved = datetime(2024, 6, 18, 9, 15).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert columns(before.output, "T03")[3:5] == [
        "Cần xác nhận", f"{saved:%d/%m %H:%M} theo ngày của tệp"
    ]
    assert columns(before.output, "T01")[3] == "Đúng hạn"
    assert columns(before.output, "T01")[4].endswith(" theo ngày của tệp")

    done = wbt(
        root,
        "arrival",
        "--period",
        PERIOD,
        "--unit",
        "t03",
        "--date",
        "14/06/2024",
        "--reason",
        "nhận qua Zalo",
    )
    assert done.exit_code == 0, done.output
    assert "Đã ghi: T03 - Thôn 3 nộp báo cáo 6T-2024 ngày 14/06/2024" in done.output
    after = wbt(root, "status", "--period", PERIOD)
    assert columns(after.output, "T03")[3:5] == ["Đúng hạn", "14/06 cán bộ xác nhận"]
    assert "T03 - Thôn 3: cán bộ xác nhận nhận ngày 14/06/2024 (nhận qua Zalo)." in after.output
    assert "Cần xác nhận (" not in after.output

    # A second correction adds a row: the newest applies, the first is kept.
    again = wbt(
        root,
        "arrival",
        "--period",
        PERIOD,
        "--unit",
        "T03",
        "--date",
        "16/06/2024 08:00",
        "--reason",
        "Zalo gửi ngày 16/06, xem lại tin nhắn",
    )
    assert again.exit_code == 0, again.output
    late = wbt(root, "status", "--period", PERIOD)
    assert columns(late.output, "T03")[3:5] == ["Trễ hạn", "16/06 08:00 cán bộ xác nhận"]
    listed = wbt(root, "arrival", "--period", PERIOD).output
    assert "T03 nhận ngày 14/06/2024 (nhận qua Zalo)" in listed
    assert "T03 nhận ngày 16/06/2024 08:00 (Zalo gửi ngày 16/06, xem lại tin nhắn)" in listed
    with sqlite3.connect(root / ".wbt-ledger.sqlite3") as db:
        reasons = [r for (r,) in db.execute("SELECT reason FROM corrections ORDER BY id")]
    db.close()
    assert reasons == ["nhận qua Zalo", "Zalo gửi ngày 16/06, xem lại tin nhắn"]
    assert snapshot(root / "inbox") == inbox  # nothing in the inbox touched


def test_the_report_lists_the_correction_with_its_reason(root: Path) -> None:
    wbt(
        root,
        "arrival",
        "--period",
        PERIOD,
        "--unit",
        "T03",
        "--date",
        "14/06/2024",
        "--reason",
        "nhận qua Zalo",
    )
    merged = wbt(root, "merge", "--period", PERIOD)
    assert merged.exit_code == 0, merged.output
    assert "Thôn 3 (T03): cán bộ xác nhận nhận ngày 14/06/2024 (nhận qua Zalo)." in merged.output
    assert (
        "Thời điểm nhận của 20 bài nộp: 19 theo ngày của tệp, 1 cán bộ xác nhận." in merged.output
    )
    outbox = root / "outbox" / PERIOD

    ws = openpyxl.load_workbook(outbox / f"BaoCao_TongHop_{PERIOD}.xlsx")["Tình hình nộp"]
    assert ws.cell(4, 12).value == "Nguồn thời điểm nhận"
    rows = {ws.cell(r, 2).value: r for r in range(5, 27)}
    assert ws.cell(rows["T03"], 5).value == "Đúng hạn"
    assert ws.cell(rows["T03"], 12).value.startswith("cán bộ xác nhận: nhận qua Zalo (ghi ngày ")
    assert ws.cell(rows["T01"], 12).value == "theo ngày của tệp"

    summary = json.loads((outbox / f"tong_hop_{PERIOD}.json").read_text(encoding="utf-8"))
    entries = {e["unit"]: e for e in summary["completeness"]["entries"]}
    assert entries["T03"]["status"] == "dung_han"
    assert entries["T03"]["arrival_source"] == "officer"
    assert entries["T03"]["arrival_source_label"] == "cán bộ xác nhận"
    assert entries["T03"]["correction"]["reason"] == "nhận qua Zalo"
    assert entries["T03"]["correction"]["arrived"].startswith("2024-06-1")
    assert entries["T01"]["arrival_source"] == "file"
    assert entries["T07"]["arrival_source"] is None  # nothing arrived

    document = docx.Document(str(next(outbox.glob("*.docx"))))
    text = "\n".join(p.text for p in document.paragraphs)
    assert (
        "Thời điểm nhận do cán bộ xác nhận (1): Thôn 3 (nhận ngày 14/06/2024, nhận qua Zalo)."
        in text
    )
    assert "19 theo ngày của tệp, 1 cán bộ xác nhận" in text


def test_a_bad_correction_is_refused_with_a_message(root: Path) -> None:
    cases = [
        (("--unit", "T3", "--date", "14/06/2024", "--reason", "x"), "Có phải ý bạn là 'T03'?"),
        (("--unit", "T03", "--date", "31/13/2024", "--reason", "x"), "không đúng dạng"),
        (("--unit", "T03", "--date", "14/06/2024"), "Hãy ghi lý do bằng --reason"),
        (("--unit", "T03", "--reason", "x"), "Hãy ghi ngày nhận bài bằng --date"),
    ]
    for args, said in cases:
        result = wbt(root, "arrival", "--period", PERIOD, *args)
        assert result.exit_code == 1 and said in result.output, result.output
        assert "Traceback" not in result.output
    # Refused before the ledger is opened: nothing recorded, not even an empty ledger.
    assert not (root / ".wbt-ledger.sqlite3").exists()


def test_an_arrival_after_today_or_before_the_period_is_refused_with_the_range(
    root: Path,
) -> None:
    """A future day, a day before the period starts (a typo 2014 for 2024, 01/01/0001)
    is refused, saying the days allowed; nothing is recorded."""
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    cases = [
        ("14/06/2042", "là ngày trong tương lai"),
        ("01/01/0001", "trước ngày bắt đầu kỳ báo cáo (01/01/2024)"),
        ("14/06/2014", "trước ngày bắt đầu kỳ báo cáo (01/01/2024)"),
        ("31/12/2023 23:59", "trước ngày bắt đầu kỳ báo cáo (01/01/2024)"),
    ]
    for typed, said in cases:
        result = wbt(
            root, "arrival", "--period", PERIOD, "--unit", "T03", "--date", typed,
            "--reason", "nhận qua Zalo",
        )
        assert result.exit_code == 1, (typed, result.output)
        text = " ".join(result.output.split())
        assert f"Ngày nhận '{typed}' {said}" in text, text
        assert f"phải từ 01/01/2024 đến hôm nay {today:%d/%m/%Y}" in text
        assert "Traceback" not in result.output
    assert not (root / ".wbt-ledger.sqlite3").exists()
    # The first day of the period is allowed.
    done = wbt(
        root, "arrival", "--period", PERIOD, "--unit", "T03", "--date", "01/01/2024",
        "--reason", "nhận qua Zalo",
    )
    assert done.exit_code == 0, done.output


def test_a_correction_goes_into_a_ledger_rebuilt_after_damage(root: Path) -> None:
    # A damaged ledger is set aside and a new one made: that one is written to.
    (root / LEDGER).write_bytes(b"this is not a database" * 100)
    done = wbt(
        root, "arrival", "--period", PERIOD, "--unit", "T03", "--date", "14/06/2024",
        "--reason", "nhận qua Zalo",
    )
    assert done.exit_code == 0, done.output
    assert "Đã ghi: T03 - Thôn 3 nộp báo cáo 6T-2024 ngày 14/06/2024" in done.output
    assert "Không ghi được" not in done.output
    assert list(root.glob(f"{LEDGER}.hong-*"))
    after = wbt(root, "status", "--period", PERIOD)
    assert columns(after.output, "T03")[3:5] == ["Đúng hạn", "14/06 cán bộ xác nhận"]


def test_a_correction_is_refused_when_the_ledger_cannot_keep_it(root: Path) -> None:
    # A newer wbt's ledger is only read: the correction would be lost, so none is made.
    with sqlite3.connect(root / LEDGER) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    before = (root / LEDGER).read_bytes()
    refused = wbt(
        root, "arrival", "--period", PERIOD, "--unit", "T03", "--date", "14/06/2024",
        "--reason", "nhận qua Zalo",
    )
    assert refused.exit_code == 1
    assert "Không ghi được sửa đổi: " in refused.output
    assert "phiên bản wbt mới hơn" in refused.output
    assert (root / LEDGER).read_bytes() == before  # a newer wbt's ledger left alone


def test_a_ledger_rebuilt_is_written_to_one_that_cannot_be_opened_is_in_memory(
    tmp_path: Path,
) -> None:
    path = tmp_path / LEDGER
    path.write_bytes(b"this is not a database" * 100)
    with open_ledger(path) as rebuilt:
        assert [p.code for p in rebuilt.problems] == ["inbox.ledger_corrupt"]
        assert not rebuilt.in_memory
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    with open_ledger(path) as newer:
        assert [p.code for p in newer.problems] == ["inbox.ledger_newer"]
        assert newer.in_memory


def test_a_day_typed_alone_is_shown_as_that_day_without_a_made_up_time(root: Path) -> None:
    """The officer types a day and no time: every place that shows the correction shows
    that day alone (the noon it is judged by is never shown); a time typed is shown."""
    done = wbt(
        root, "arrival", "--period", PERIOD, "--unit", "T03", "--date", "14/06/2024",
        "--reason", "nhận qua Zalo",
    )
    assert done.exit_code == 0, done.output
    assert (
        "Đã ghi: T03 - Thôn 3 nộp báo cáo 6T-2024 ngày 14/06/2024 (cán bộ xác nhận: nhận qua "
        "Zalo)." in done.output
    )
    assert "12:00" not in done.output
    listed = wbt(root, "arrival", "--period", PERIOD).output
    assert re.search(r": T03 nhận ngày 14/06/2024 \(nhận qua Zalo\)$", listed, re.M), listed
    status = wbt(root, "status", "--period", PERIOD).output
    assert columns(status, "T03")[3:5] == ["Đúng hạn", "14/06 cán bộ xác nhận"]
    assert "T03 - Thôn 3: cán bộ xác nhận nhận ngày 14/06/2024 (nhận qua Zalo)." in status
    merged = wbt(root, "merge", "--period", PERIOD)
    assert merged.exit_code == 0, merged.output
    assert "Thôn 3 (T03): cán bộ xác nhận nhận ngày 14/06/2024 (nhận qua Zalo)." in merged.output
    workbook = openpyxl.load_workbook(root / "outbox" / PERIOD / f"BaoCao_TongHop_{PERIOD}.xlsx")
    ws = workbook["Tình hình nộp"]
    rows = {ws.cell(r, 2).value: r for r in range(5, 27)}
    first = ws.cell(rows["T03"], 7)
    assert first.value == datetime(2024, 6, 14) and "h" not in first.number_format.lower()
    assert "h" in ws.cell(rows["T01"], 7).number_format.lower()  # a file's time keeps its hour
    with sqlite3.connect(root / ".wbt-ledger.sqlite3") as db:
        assert db.execute("SELECT timed FROM corrections").fetchall() == [(0,)]
    db.close()

    # A time typed with the day is the officer's: shown as typed.
    again = wbt(
        root, "arrival", "--period", PERIOD, "--unit", "T03", "--date", "14/06/2024 12:00",
        "--reason", "Zalo lúc 12 giờ",
    )
    assert "ngày 14/06/2024 12:00 (cán bộ xác nhận: Zalo lúc 12 giờ)." in again.output
    status = wbt(root, "status", "--period", PERIOD).output
    assert columns(status, "T03")[3:5] == ["Đúng hạn", "14/06 12:00 cán bộ xác nhận"]
    assert "T03 - Thôn 3: cán bộ xác nhận nhận ngày 14/06/2024 12:00 (Zalo lúc 12 giờ)." in status


def test_a_date_or_reason_without_a_unit_is_refused_not_taken_as_a_listing(
    root: Path,
) -> None:
    for args in (("--date", "14/06/2024"), ("--reason", "nhận qua Zalo"),
                 ("--date", "14/06/2024", "--reason", "nhận qua Zalo")):  # fmt: skip
        result = wbt(root, "arrival", "--period", PERIOD, *args)
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.split())
        assert "--date và --reason phải đi cùng --unit (mã thôn, đơn vị)" in said
        assert "Các lần sửa" not in said and "Chưa có lần sửa" not in said
        assert "Traceback" not in result.output
    assert not (root / LEDGER).exists()  # nothing opened, nothing recorded
