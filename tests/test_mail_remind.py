"""``wbt remind`` on the demo's working folder: what each unit is told.

A unit in doubt ("Cần xác nhận": its file came after the deadline, its form says it was
made before) is asked when it sent its report, never told it was late; a unit whose file
the officer returned (``wbt review --return``) is reminded, with the reason and the
feedback copy. The drafts are read back with the email parser, the copy with openpyxl.
"""

from __future__ import annotations

import io
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from tests.demo_folders import demo_folder
from workbook_tools.cli import cli

PERIOD = "6T-2024"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_folder(tmp_path_factory, "remind")


def wbt(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--dir", str(root)])


def drafts(root: Path) -> dict[str, EmailMessage]:
    """The reminders written, by unit code (their names: <period>_<code>_…)."""
    out = {}
    for path in (root / "outbox" / PERIOD / "thu_nhac").glob("*.eml"):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        out[path.name.split("_")[1]] = message
    return out


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())


def test_a_unit_to_confirm_is_asked_when_it_sent_not_told_it_was_late(root: Path) -> None:
    status = wbt(root, "status", "--period", PERIOD)
    t03 = next(line for line in status.output.splitlines() if line.startswith("T03 "))
    assert "Cần xác nhận" in t03
    result = wbt(root, "remind", "--period", PERIOD)
    assert result.exit_code == 0, result.output
    message = drafts(root)["T03"]
    subject = str(message["Subject"])
    assert subject.endswith("– Thôn 3: cần xác nhận ngày gửi")
    text = body(message)
    assert "trễ hạn" not in subject + text
    assert "ngày báo cáo ghi trên biểu mẫu là trước hạn" in text
    assert "cho biết đã gửi báo cáo ngày nào" in text and "ảnh chụp" in text
    line = next(line for line in result.output.splitlines() if "T03" in line)
    assert "cần xác nhận ngày gửi" in line and "trễ hạn" not in line


def test_a_returned_file_gets_a_reminder_with_the_reason_and_the_feedback_copy(
    root: Path,
) -> None:
    assert wbt(root, "remind", "--period", PERIOD).exit_code == 0
    assert "T01" not in drafts(root)  # on time, no error: no reminder
    reason = "Số lượt người được tuyên truyền chưa khớp sổ theo dõi"
    returned = wbt(
        root, "review", "--period", PERIOD, "--unit", "T01", "--return", "--reason", reason
    )
    assert returned.exit_code == 0, returned.output
    result = wbt(root, "remind", "--period", PERIOD)
    assert result.exit_code == 0, result.output
    message = drafts(root)["T01"]
    assert str(message["Subject"]).endswith("– Thôn 1: trả lại để sửa")
    text = body(message)
    assert f"trả lại để sửa. Lý do: {reason}" in text
    assert "trễ hạn" not in text
    (copy,) = list(message.iter_attachments())
    name = str(copy.get_filename())
    assert name.endswith("_phan_hoi.xlsx")
    kept = next((root / "outbox" / PERIOD / "phan_hoi").rglob(name))
    assert copy.get_content() == kept.read_bytes()
    book = load_workbook(io.BytesIO(copy.get_content()))
    cells = [c.value for ws in book for row in ws.iter_rows() for c in row]
    assert any(isinstance(v, str) and reason in v for v in cells)
    line = next(line for line in result.output.splitlines() if "T01" in line)
    assert "trả lại để sửa" in line
