"""``wbt send`` and ``wbt remind``'s way out: .eml drafts read back with the email package,
or a real SMTP server (aiosmtpd on 127.0.0.1, tests/mail_servers.py) read back."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.inbox_forms import VILLAGE, filled, form_name, put
from tests.mail_servers import SmtpServer
from tests.plan_samples import row, sample_data, write_workbook
from tests.platforms import posix_only
from workbook_tools.cli import cli
from workbook_tools.mail import PASSWORD_VARIABLE
from workbook_tools.plan import load_sample_plan

PERIOD = "6T-2024"
SENDER = "vanhoa.tiennong@example.org"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder with the sample plan and the period's 22 forms generated."""
    root = tmp_path_factory.mktemp("send") / "xa"
    assert wbt(root.parent, "init", str(root)).exit_code == 0
    assert wbt(root, "generate", "--period", PERIOD, "--dir", str(root)).exit_code == 0
    return root


@pytest.fixture(autouse=True)
def _no_password_around(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)


def wbt(root: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def send(root: Path, *args: str, input: str | None = None) -> Result:
    return wbt(root, "send", "--period", PERIOD, "--dir", str(root), *args, input=input)


def parsed(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def attachments(message: EmailMessage) -> dict[str, bytes]:
    return {
        str(part.get_filename()): part.get_content()
        for part in message.iter_attachments()
    }


def every_byte_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_send_writes_one_draft_a_unit_with_its_own_form(root: Path) -> None:
    result = send(root)
    assert result.exit_code == 0, result.output
    plan = load_sample_plan()
    drafts = root / "outbox" / PERIOD / "thu_gui"
    forms = root / "outbox" / PERIOD / "bieu_mau"
    files = sorted(drafts.iterdir())
    assert len(files) == 22 and all(p.suffix == ".eml" for p in files)
    assert f"Đã ghi 22 thư nháp (biểu mẫu) vào outbox/{PERIOD}/thu_gui" in result.output
    for entry in plan.roster:
        (path,) = [p for p in files if f"_{entry.code}_" in p.name]
        message = parsed(path.read_bytes())
        assert message["X-Unsent"] == "1"  # Outlook opens it as a message to send
        assert message["From"] == SENDER
        assert [a.addr_spec for a in message["To"].addresses] == [entry.email]
        assert message["Subject"] == (
            f"[UBND xã Tiến Nông] Biểu mẫu Báo cáo 6 tháng đầu năm 2024 – {entry.name} "
            "(hạn nộp 15/06/2024)"
        )
        body = message.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        assert f"Kính gửi: {entry.name}," in text
        assert "chậm nhất ngày 15/06/2024" in text
        assert "Trả lời thư này" in text and "Giữ nguyên tên tệp" in text
        (name, content), = attachments(message).items()
        assert (forms / name).read_bytes() == content
        assert f"_{entry.code}_" in name


def test_send_to_some_units_and_say_who_has_no_address_or_no_form(tmp_path: Path) -> None:
    root = tmp_path / "xa"
    assert wbt(tmp_path, "init", str(root)).exit_code == 0
    data = sample_data()
    row(data, "roster", "T05")["email"] = ""
    row(data, "roster", "CA")["email"] = "cong an@xa"
    write_workbook(data, root / "templates" / "kehoach_2024.xlsx")
    assert wbt(root, "generate", "--period", PERIOD, "--unit", "T01", "--unit", "T05",
               "--unit", "CA", "--dir", str(root)).exit_code == 0  # fmt: skip
    result = send(root, "--unit", "T01", "--unit", "t05", "--unit", "CA", "--unit", "T02")
    assert result.exit_code == 1
    assert "Đã ghi 1 thư nháp" in result.output
    assert "T05 - Thôn 5: chưa có email ở trang Danh sách của kế hoạch" in result.output
    assert (
        "CA - Công an xã: email 'cong an@xa' ở trang Danh sách của kế hoạch không đúng dạng"
        in result.output
    )
    assert f"T02 - Thôn 2: chưa có biểu mẫu {PERIOD}_T02_Thon-2.xlsx" in result.output
    assert f"hãy chạy wbt generate --period {PERIOD}" in result.output
    assert [p.name for p in (root / "outbox" / PERIOD / "thu_gui").iterdir()] == [
        f"{PERIOD}_T01_Thon-1.eml"
    ]
    assert "Traceback" not in result.output


def test_two_codes_with_the_same_file_name_get_a_draft_each(tmp_path: Path) -> None:
    root = tmp_path / "xa"
    assert wbt(tmp_path, "init", str(root)).exit_code == 0
    data = sample_data()
    # "T.01" and "T_01" both read T-01 in a file name, and the names Thon-1.
    row(data, "roster", "T01")["code"] = "T.01"
    row(data, "roster", "T02")["code"] = "T_01"
    row(data, "roster", "T_01")["name"] = "Thon 1"
    write_workbook(data, root / "templates" / "kehoach_2024.xlsx")
    assert wbt(root, "generate", "--period", PERIOD, "--dir", str(root)).exit_code == 0
    result = send(root, "--unit", "T.01", "--unit", "T_01")
    assert result.exit_code == 0, result.output
    folder = root / "outbox" / PERIOD / "thu_gui"
    drafts = {p.name: parsed(p.read_bytes()) for p in folder.iterdir()}
    # Each draft named as the form it carries (the forms' names are made distinct).
    assert sorted(drafts) == [f"{PERIOD}_T-01_Thon-1-2.eml", f"{PERIOD}_T-01_Thon-1.eml"]
    for name, message in drafts.items():
        (attached,) = attachments(message)
        assert attached == name.replace(".eml", ".xlsx")
    assert {str(m["To"]) for m in drafts.values()} == {
        "Thôn 1 <t01.tiennong@example.org>", "Thon 1 <t02.tiennong@example.org>"
    }


def test_send_through_an_smtp_server_with_starttls_and_login(
    root: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_server.cafile))  # the test CA
    monkeypatch.setenv(PASSWORD_VARIABLE, smtp_server.password)
    result = send(root, "--smtp", smtp_server.address, "--user", smtp_server.user)
    assert result.exit_code == 0, result.output
    assert f"Đã gửi 22 thư (biểu mẫu) qua máy chủ {smtp_server.address}" in result.output
    plan = load_sample_plan()
    got = smtp_server.messages
    assert len(got) == 22
    forms = root / "outbox" / PERIOD / "bieu_mau"
    by_address = {d.rcpt_tos[0]: d for d in got}
    assert sorted(by_address) == sorted(e.email for e in plan.roster)
    for entry in plan.roster:
        delivery = by_address[entry.email]
        assert delivery.rcpt_tos == [entry.email]
        assert delivery.mail_from == SENDER
        assert delivery.encrypted and delivery.login == smtp_server.user
        assert "X-Unsent" not in delivery.message  # a message sent, not a draft
        (name, content), = attachments(delivery.message).items()
        assert f"_{entry.code}_" in name and (forms / name).read_bytes() == content
        assert entry.name in delivery.message["Subject"]
    # No draft written, and the password nowhere: not in a file, not on the screen.
    assert not (root / "outbox" / PERIOD / "thu_gui").exists()
    assert smtp_server.password.encode() not in every_byte_under(root)
    assert smtp_server.password not in result.output


@posix_only
def test_send_with_tls_from_the_start_and_the_password_asked(
    root: Path, smtps_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pty  # POSIX only: the test is marked so
    import termios

    monkeypatch.setenv("SSL_CERT_FILE", str(smtps_server.cafile))
    # Typed at a terminal (a pseudo-terminal: wbt in its own process, with no other
    # controlling terminal), the only place a password is asked.
    leader, follower = pty.openpty()
    command = subprocess.Popen(
        [sys.executable, "-m", "workbook_tools", "send", "--period", PERIOD, "--dir", str(root),
         "--unit", "T03", "--smtp", smtps_server.address, "--ssl", "--user", smtps_server.user],
        stdin=follower, stdout=subprocess.PIPE, stderr=follower, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )  # fmt: skip
    os.close(follower)
    asked = b""
    while "Mật khẩu thư".encode() not in asked:
        chunk = os.read(leader, 1024)
        assert chunk, asked
        asked += chunk
    # Typed once the terminal no longer echoes: getpass flushes what was typed before
    # (an older click shows the prompt itself, a moment before getpass takes over).
    waited = time.monotonic() + 30
    while termios.tcgetattr(leader)[3] & termios.ECHO:
        assert time.monotonic() < waited, "the password prompt never hid what is typed"
        time.sleep(0.01)
    os.write(leader, smtps_server.password.encode() + b"\r")
    out, _ = command.communicate(timeout=60)
    with contextlib.suppress(OSError):
        while chunk := os.read(leader, 1024):
            asked += chunk
    os.close(leader)
    assert command.returncode == 0, (out.decode(), asked.decode())
    assert f"Mật khẩu thư của {smtps_server.user}".encode() in asked
    assert smtps_server.password.encode() not in asked + out  # typed without being shown
    (delivery,) = smtps_server.messages
    assert delivery.encrypted and delivery.login == smtps_server.user
    assert delivery.rcpt_tos == ["t03.tiennong@example.org"]
    assert smtps_server.password.encode() not in every_byte_under(root)


def test_a_refused_connection_a_wrong_password_an_untrusted_certificate_are_said(
    root: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv(PASSWORD_VARIABLE, "khong-dung-den")  # the login: the plan's address
    refused = send(root, "--unit", "T01", "--smtp", f"127.0.0.1:{closed}")
    assert refused.exit_code == 1
    assert f"T01 - Thôn 1: Máy chủ thư 127.0.0.1:{closed} không nhận kết nối" in refused.output
    assert "Traceback" not in refused.output

    # The certificate is the test CA's, which this computer does not trust.
    monkeypatch.setenv(PASSWORD_VARIABLE, smtp_server.password)
    untrusted = send(root, "--unit", "T01", "--smtp", smtp_server.address, "--user",
                     smtp_server.user)  # fmt: skip
    assert untrusted.exit_code == 1
    assert f"Chứng chỉ bảo mật của máy chủ thư {smtp_server.address} không hợp lệ" in (
        untrusted.output
    )

    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_server.cafile))
    # TLS from the first byte asked of a server that starts in plain text: TLS fails.
    tls = send(root, "--unit", "T01", "--smtp", smtp_server.address, "--ssl", "--user",
               smtp_server.user)  # fmt: skip
    assert tls.exit_code == 1
    assert (
        f"Không thiết lập được kết nối bảo mật (TLS) với máy chủ thư {smtp_server.address}"
        in tls.output
    )
    assert "hãy thêm --ssl; nếu không thì bỏ --ssl" in tls.output
    monkeypatch.setenv(PASSWORD_VARIABLE, "sai-mat-khau")
    wrong = send(root, "--unit", "T01", "--unit", "T02", "--smtp", smtp_server.address,
                 "--user", smtp_server.user)  # fmt: skip
    assert wrong.exit_code == 1
    said = (
        f"Máy chủ thư {smtp_server.address} không cho đăng nhập với tên {smtp_server.user}: "
        "sai tên đăng nhập hoặc mật khẩu"
    )
    assert f"T01 - Thôn 1: {said}" in wrong.output and f"T02 - Thôn 2: {said}" in wrong.output
    assert "Chưa gửi được 2 thư" in wrong.output
    assert "Đã gửi" not in wrong.output  # nothing sent: no empty list of what was
    assert smtp_server.messages == []
    assert "sai-mat-khau" not in wrong.output
    bad = send(root, "--smtp", "may chu:587")
    assert bad.exit_code == 1 and "Địa chỉ máy chủ thư 'may chu:587' không đúng" in bad.output
    port = send(root, "--smtp", "smtp.example.org:abc")
    assert port.exit_code == 1 and "Cổng 'abc' trong 'smtp.example.org:abc' không đúng" in (
        port.output
    )


def test_the_password_is_never_written_into_the_plan_or_the_ledger(
    root: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_server.cafile))
    monkeypatch.setenv(PASSWORD_VARIABLE, smtp_server.password)
    assert send(root, "--smtp", smtp_server.address, "--user", smtp_server.user).exit_code == 0
    reminded = wbt(root, "remind", "--period", PERIOD, "--dir", str(root), "--smtp",
                   smtp_server.address, "--user", smtp_server.user)  # fmt: skip
    assert reminded.exit_code == 0, reminded.output
    assert len(smtp_server.messages) == 44  # 22 forms, then 22 reminders: nothing came back
    assert smtp_server.password.encode() not in every_byte_under(root)
    assert os.environ[PASSWORD_VARIABLE] == smtp_server.password  # read, left as it was


def test_every_subject_reads_back_as_written_as_drafts_and_through_the_server(
    root: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each form's and reminder's subject, read back from the .eml drafts and from the SMTP
    server, is the intended text: no space lost where a long Vietnamese header is folded
    ("6 thángđầu năm", "trễ hạnvà")."""
    plan = load_sample_plan()
    commune = plan.settings.commune
    period = plan.period(PERIOD)
    head = f"[UBND xã {commune}]"
    late = {**VILLAGE, "ngay_bao_cao": datetime(2024, 6, 18)}
    inbox = root / "inbox"
    inbox.mkdir(exist_ok=True)
    put(inbox, form_name("T01"), filled("T01", late), datetime(2024, 6, 18, 9))
    wrong = {**VILLAGE, "tt_loa": "nhiều"}
    put(inbox, form_name("T02"), filled("T02", wrong), datetime(2024, 6, 12))
    put(inbox, form_name("T03"), filled("T03", {**late, "tt_loa": "nhiều"}), datetime(2024, 6, 18))
    forms = {
        e.email: f"{head} Biểu mẫu {period.name} – {e.name} (hạn nộp 15/06/2024)"
        for e in plan.roster
    }
    standing = {
        "T01": "nộp trễ hạn",
        "T02": "có lỗi cần sửa",
        "T03": "nộp trễ hạn và có lỗi cần sửa",
    }
    reminders = {
        e.email: (
            f"{head} {period.name} – {e.name}: {standing[e.code]}"
            if e.code in standing
            else f"{head} Nhắc nộp {period.name} – {e.name}"
        )
        for e in plan.roster
    }
    assert len(forms) == len(reminders) == 22

    def subjects(folder: Path) -> dict[str, str]:
        read = [parsed(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]
        return {m["To"].addresses[0].addr_spec: str(m["Subject"]) for m in read}

    assert send(root).exit_code == 0
    assert subjects(root / "outbox" / PERIOD / "thu_gui") == forms
    reminded = wbt(root, "remind", "--period", PERIOD, "--dir", str(root))
    assert reminded.exit_code == 0, reminded.output
    assert subjects(root / "outbox" / PERIOD / "thu_nhac") == reminders

    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_server.cafile))
    monkeypatch.setenv(PASSWORD_VARIABLE, smtp_server.password)
    server = ("--smtp", smtp_server.address, "--user", smtp_server.user)
    assert send(root, *server).exit_code == 0
    got = {d.rcpt_tos[0]: str(d.message["Subject"]) for d in smtp_server.messages}
    assert got == forms
    smtp_server.messages.clear()
    reminded = wbt(root, "remind", "--period", PERIOD, "--dir", str(root), *server)
    assert reminded.exit_code == 0, reminded.output
    got = {d.rcpt_tos[0]: str(d.message["Subject"]) for d in smtp_server.messages}
    assert got == reminders
    # Read as raw bytes by another parser too: the same text.
    for delivery in smtp_server.messages:
        again = BytesParser(policy=policy.SMTP).parsebytes(delivery.raw)
        assert str(again["Subject"]) == reminders[delivery.rcpt_tos[0]]
