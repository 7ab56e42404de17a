"""The issue's whole cycle through real servers: send (aiosmtpd) → replies put into a real
IMAP server (Dovecot) dated before the deadline → fetch → merge: on time by the mail's
date although the files are new; fetch again adds nothing; the officer's correction
changes a unit's status and the report lists it; remind writes to exactly the units
missing, late or with errors."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner, Result

from tests.inbox_forms import CA, VILLAGE, fill, snapshot
from tests.mail_servers import ImapMailbox, SmtpServer, reply_message
from workbook_tools.cli import cli
from workbook_tools.mail import PASSWORD_VARIABLE
from workbook_tools.plan import load_sample_plan

PERIOD = "6T-2024"
VN = timezone(timedelta(hours=7))
SENDER = "vanhoa.tiennong@example.org"
#: The replies: sent on 14/06/2024 (the deadline is 15/06), each with its form filled.
REPLIED = {
    "T01": VILLAGE,
    "T02": VILLAGE,
    "T03": {**VILLAGE, "ld_tong": 3, "ld_duoc_tt": 9},  # a rule broken: an error
    "T04": VILLAGE,
    "CA": CA,
}
#: After the deadline: when the files are saved (as a download would date them).
SAVED_LATE = datetime(2024, 6, 25, 9, 0)


def wbt(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--dir", str(root)], catch_exceptions=False)


def parsed(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def summary(root: Path) -> dict[str, dict[str, object]]:
    path = root / "outbox" / PERIOD / f"tong_hop_{PERIOD}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return {e["unit"]: e for e in data["completeness"]["entries"]}


@pytest.fixture
def servers_trusted(
    smtp_server: SmtpServer, imap_server: ImapMailbox, monkeypatch: pytest.MonkeyPatch
) -> tuple[SmtpServer, ImapMailbox]:
    # Both servers present the test CA's certificate; one password serves both logins.
    assert smtp_server.cafile == imap_server.cafile
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_server.cafile))
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    return smtp_server, imap_server


def test_send_reply_fetch_merge_correct_remind(
    tmp_path: Path,
    servers_trusted: tuple[SmtpServer, ImapMailbox],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp, imap = servers_trusted
    plan = load_sample_plan()
    root = tmp_path / "xa"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    assert wbt(root, "generate", "--period", PERIOD).exit_code == 0
    forms = root / "outbox" / PERIOD / "bieu_mau"

    # 1. Send: 22 messages, read back from the server, each to its unit with its form.
    monkeypatch.setenv(PASSWORD_VARIABLE, smtp.password)
    sent = wbt(root, "send", "--period", PERIOD, "--smtp", smtp.address, "--user", smtp.user)
    assert sent.exit_code == 0, sent.output
    assert len(smtp.messages) == 22
    by_unit: dict[str, EmailMessage] = {}
    for entry in plan.roster:
        (delivery,) = [d for d in smtp.messages if d.rcpt_tos == [entry.email]]
        (part,) = list(delivery.message.iter_attachments())
        assert part.get_content() == (forms / str(part.get_filename())).read_bytes()
        assert f"_{entry.code}_" in str(part.get_filename())
        by_unit[entry.code] = delivery.message

    # 2. The replies, in the IMAP mailbox, sent and received on 14/06 (before the deadline).
    for n, (code, values) in enumerate(REPLIED.items()):
        original = by_unit[code]
        (part,) = list(original.iter_attachments())
        name = str(part.get_filename())
        when = datetime(2024, 6, 14, 9, 0, tzinfo=VN) + timedelta(minutes=10 * n)
        reply = reply_message(
            sender=f"{plan.entry(code).name} <{plan.entry(code).email}>",
            to=SENDER,
            subject=f"Re: {original['Subject']}",
            date=when,
            attachments=[(name, fill(part.get_content(), values))],
            in_reply_to=str(original["Message-ID"]),
        )
        imap.append(reply, when=when + timedelta(minutes=1))
    flags_before, mailboxes_before = imap.flags(), imap.mailboxes()
    assert imap.count() == 5

    # 3. Fetch (read only), then the files dated after the deadline, as a late download.
    monkeypatch.setenv(PASSWORD_VARIABLE, imap.password)
    fetched = wbt(root, "fetch", "--period", PERIOD, "--imap", imap.address, "--user", imap.user)
    assert fetched.exit_code == 0, fetched.output
    assert "Đã đọc 5 thư; lấy 5 tệp mới vào inbox/." in fetched.output
    saved = sorted(p for p in (root / "inbox").rglob("*.xlsx"))
    assert len(saved) == 5
    for path in saved:
        stamp = SAVED_LATE.timestamp()
        os.utime(path, (stamp, stamp))
    assert imap.flags() == flags_before == [frozenset()] * 5  # not even \\Seen
    assert imap.count() == 5 and imap.mailboxes() == mailboxes_before

    # 4. Merge: on time by the mail's date although the files are dated after the deadline.
    merged = wbt(root, "merge", "--period", PERIOD)
    assert merged.exit_code == 0, merged.output
    entries = summary(root)
    for code in REPLIED:
        assert entries[code]["status"] == "dung_han", code
        assert entries[code]["arrival_source"] == "mail"
        assert entries[code]["arrival_source_label"] == "theo thư điện tử"
        assert str(entries[code]["first_arrival"]).startswith("2024-06-1")
    assert entries["T05"]["status"] == "chua_nop"
    book = openpyxl.load_workbook(root / "outbox" / PERIOD / f"BaoCao_TongHop_{PERIOD}.xlsx")
    sheet = book["Tình hình nộp"]
    rows = {sheet.cell(r, 2).value: r for r in range(5, 27)}
    assert sheet.cell(rows["T01"], 5).value == "Đúng hạn"
    assert sheet.cell(rows["T01"], 12).value == "theo thư điện tử"
    status = wbt(root, "status", "--period", PERIOD)
    assert "Đã nộp 5/22 (đúng hạn 5, trễ hạn 0)" in status.output

    # 5. Fetch again: nothing added, nothing touched.
    inbox = snapshot(root / "inbox")
    again = wbt(root, "fetch", "--period", PERIOD, "--imap", imap.address, "--user", imap.user)
    assert again.exit_code == 0, again.output
    assert "Đã đọc 5 thư; lấy 0 tệp mới vào inbox/." in again.output
    assert "5 thư đã lấy từ lần trước: không tải lại." in again.output  # not downloaded
    assert snapshot(root / "inbox") == inbox
    with sqlite3.connect(root / ".wbt-ledger.sqlite3") as db:
        attachments = "SELECT count(*) FROM mail_arrivals WHERE sha256 != ''"
        assert db.execute(attachments).fetchone() == (5,)
        senders = {s for (s,) in db.execute("SELECT sender FROM mail_arrivals")}
    db.close()
    assert senders == {plan.entry(code).email for code in REPLIED}
    assert imap.flags() == flags_before

    # 6. The officer's correction: T04's report is to count from 18/06 (after the deadline).
    reason = "thôn gửi lại bản đúng ngày 18/06 qua Zalo"
    corrected = wbt(root, "arrival", "--period", PERIOD, "--unit", "T04", "--date",
                    "18/06/2024", "--reason", reason)  # fmt: skip
    assert corrected.exit_code == 0, corrected.output
    assert wbt(root, "merge", "--period", PERIOD).exit_code == 0
    entries = summary(root)
    assert entries["T04"]["status"] == "muon"
    assert entries["T04"]["arrival_source"] == "officer"
    assert entries["T04"]["correction"]["reason"] == reason  # type: ignore[index]
    document = docx.Document(str(root / "outbox" / PERIOD / f"BaoCao_{PERIOD}.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"Thôn 4 (nhận ngày 18/06/2024, {reason})" in text
    assert "Nộp báo cáo trễ hạn (1): Thôn 4." in text

    # 7. Remind: exactly the units missing (17), late (T04) or with errors (T03).
    reminded = wbt(root, "remind", "--period", PERIOD)
    assert reminded.exit_code == 0, reminded.output
    drafts = root / "outbox" / PERIOD / "thu_nhac"
    written = {p.name.split("_")[1]: p for p in drafts.glob("*.eml")}
    missing = {e.code for e in plan.roster} - set(REPLIED)
    assert set(written) == missing | {"T04", "T03"}
    t03 = parsed(written["T03"].read_bytes())
    assert [a.addr_spec for a in t03["To"].addresses] == [plan.entry("T03").email]
    (copy,) = list(t03.iter_attachments())
    assert str(copy.get_filename()).endswith("_phan_hoi.xlsx")
    feedback = root / "outbox" / PERIOD / "phan_hoi"
    assert copy.get_content() == next(feedback.rglob(str(copy.get_filename()))).read_bytes()
    body = t03.get_body(("plain",))
    assert body is not None and "có 1 lỗi" in body.get_content()
    assert "có lỗi cần sửa" in t03["Subject"]
    t04 = parsed(written["T04"].read_bytes()).get_body(("plain",))
    assert t04 is not None and "được nhận ngày 18/06/2024, sau hạn nộp 15/06/2024" in (
        t04.get_content()
    )
    t05 = parsed(written["T05"].read_bytes())
    t05_body = t05.get_body(("plain",))
    assert t05_body is not None and "chưa nhận được Báo cáo 6 tháng đầu năm 2024 của Thôn 5" in (
        t05_body.get_content()
    )
    (blank,) = list(t05.iter_attachments())  # the form again, for a unit that has not sent
    assert blank.get_content() == (forms / str(blank.get_filename())).read_bytes()
    for path in written.values():
        assert parsed(path.read_bytes())["X-Unsent"] == "1"
    # The passwords were never written anywhere in the working folder.
    everything = b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())
    assert smtp.password.encode() not in everything and imap.password.encode() not in everything
