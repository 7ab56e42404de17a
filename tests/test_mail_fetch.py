"""``wbt fetch`` on the mailbox the issue lists, in a real IMAP server (Dovecot), and from
an mbox file and a folder of .eml files: which attachments are taken and under which
names, zips within the safety step's limits, the same content once, the mail's time."""

from __future__ import annotations

import base64
import functools
import io
import itertools
import json
import mailbox
import socket
import socketserver
import sqlite3
import ssl
import threading
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from click.testing import CliRunner, Result

from tests.inbox_forms import VILLAGE, blank_form, filled, form_name, snapshot
from tests.mail_servers import Certificate, ImapMailbox, reply_message
from workbook_tools import problems
from workbook_tools.cli import cli
from workbook_tools.mail import PASSWORD_VARIABLE
from workbook_tools.mail.fetch import DATE_TOLERANCE, mail_time, safe_name, unique_path
from workbook_tools.plan import load_sample_plan
from workbook_tools.workspace import Workspace

PERIOD = "6T-2024"
VN = timezone(timedelta(hours=7))
TO = "UBND xã Tiến Nông <vanhoa.tiennong@example.org>"
ON_TIME = datetime(2024, 6, 13, 15, 0, tzinfo=VN)
#: A Vietnamese file name, as a village would write it.
NAME = unicodedata.normalize("NFC", "Báo cáo thôn Đông Phú 6 tháng.xlsx")


def wbt(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--dir", str(root)], catch_exceptions=False)


def address(code: str) -> str:
    return load_sample_plan().entry(code).email


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def mailbox_content() -> list[tuple[str, bytes]]:
    """The issue's mailbox: (what it is, the reply's bytes), each sent before the deadline."""
    t05 = filled("T05", VILLAGE)
    replies = [
        # Two forms in one mail, a photo and a PDF beside them.
        ("two", reply_message(
            sender=address("T05"), to=TO, subject="Bao cao", date=ON_TIME,
            attachments=[(form_name("T05"), t05), (form_name("T06"), filled("T06", VILLAGE)),
                         ("anh chup.jpg", b"\xff\xd8\xff\xe0 not a form"),
                         ("cong van.pdf", b"%PDF-1.4 not a form")],
        )),
        # Forwarded as a message by the village head, and forwarded inline.
        ("forwarded", reply_message(
            sender=address("T07"), to=TO, subject="Bao cao thon 7", date=ON_TIME,
            attachments=[(form_name("T07"), filled("T07", VILLAGE))], forwarded="attached",
            original_sender="Ke toan thon 7 <ketoan.thon7@example.org>",
        )),
        ("inline", reply_message(
            sender=address("T08"), to=TO, subject="Bao cao thon 8", date=ON_TIME,
            attachments=[(form_name("T08"), filled("T08", VILLAGE))], forwarded="inline",
        )),
        # A Vietnamese name, written each way mail programs write it.
        *(
            (style, reply_message(
                sender=address(code), to=TO, subject="Báo cáo", date=ON_TIME,
                attachments=[(NAME, filled(code, VILLAGE))], filename_style=style,
            ))
            for code, style in (("T09", "rfc2231"), ("T10", "encoded-word"),
                                ("T11", "raw-utf8"))
        ),
        # A damaged attachment: the download was cut.
        ("damaged", reply_message(
            sender=address("T12"), to=TO, subject="Bao cao", date=ON_TIME,
            attachments=[(form_name("T12"), filled("T12", VILLAGE)[:3000])],
        )),
        # Last year's form (another plan).
        ("last year", reply_message(
            sender=address("VHXH"), to=TO, subject="Bao cao", date=ON_TIME,
            attachments=[("VHXH cu.xlsx", blank_form("VHXH", last_year=True))],
        )),
        # From an address that is not on the roster.
        ("unknown", reply_message(
            sender="Ai do <nguoi.la@gmail.com>", to=TO, subject="Bao cao MN", date=ON_TIME,
            attachments=[(form_name("MN"), blank_form("MN"))],
        )),
        # Two forms zipped; a zip bomb; the same T05 form sent again.
        ("zip", reply_message(
            sender=address("CDX"), to=TO, subject="Bao cao", date=ON_TIME,
            attachments=[("bao cao.zip", zipped({
                f"thu muc/{form_name('CDX')}": blank_form("CDX"),
                form_name("THCS"): blank_form("THCS"),
                "ghi chu.txt": b"xin cam on",
            }))],
        )),
        ("bomb", reply_message(
            sender=address("TH"), to=TO, subject="Bao cao", date=ON_TIME,
            attachments=[("nen.zip", zipped({"a.xlsx": bytes(40 << 20)}))],
        )),
        ("again", reply_message(
            sender=address("T05"), to=TO, subject="Gui lai", date=ON_TIME + timedelta(hours=3),
            attachments=[("ban gui lai.xlsx", t05)],
        )),
    ]  # fmt: skip
    return replies


@pytest.fixture(scope="module")
def replies() -> list[tuple[str, bytes]]:
    return mailbox_content()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "xa"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    return root


def test_the_issues_mailbox_fetched_from_imap(
    root: Path,
    imap_server: ImapMailbox,
    replies: list[tuple[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(imap_server.cafile))
    monkeypatch.setenv(PASSWORD_VARIABLE, imap_server.password)
    for _, reply in replies:
        imap_server.append(reply, when=ON_TIME + timedelta(minutes=5))
    flags = imap_server.flags()
    result = wbt(root, "fetch", "--period", PERIOD, "--imap", imap_server.address,
                 "--user", imap_server.user)  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    inbox = root / "inbox"
    saved = {p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if p.is_file()}
    by_name: dict[str, list[str]] = {}
    for file in saved:
        by_name.setdefault(file.rsplit("/", 1)[-1], []).append(file)

    # Two attachments of one mail: one folder; the photo and the PDF listed as skipped.
    (t05,) = by_name[form_name("T05")]
    (t06,) = by_name[form_name("T06")]
    assert t05.split("/")[0] == t06.split("/")[0] and t05.startswith("thu_2024-06-13_1500_")
    assert "anh chup.jpg" in out and "cong van.pdf" in out and "không phải bảng tính" in out
    # Forwarded either way: taken.
    assert len(by_name[form_name("T07")]) == 1 and len(by_name[form_name("T08")]) == 1
    # The Vietnamese name, however it was encoded: the same NFC name, in three mails.
    assert len(by_name[NAME]) == 3
    # The damaged file is saved (the inbox keeps what came) and said at once.
    (t12,) = by_name[form_name("T12")]
    truncated = problems.make("file.truncated", file=t12)
    assert truncated.message in " ".join(out.split())
    # The zip's forms, beside it in a folder named after it; its text file skipped.
    (cdx,) = by_name[form_name("CDX")]
    (thcs,) = by_name[form_name("THCS")]
    assert cdx.split("/")[1] == "bao cao" and thcs.split("/")[1] == "bao cao"
    assert "ghi chu.txt" in out
    # The zip bomb refused with the safety step's words, nothing of it saved.
    assert "a.xlsx" not in by_name
    assert "Đây là tệp nén bất thường, có thể là tệp độc hại" in out
    # The same T05 form again: taken once.
    assert "ban gui lai.xlsx" not in by_name and f"giống hệt tệp {t05}" in out
    # The unknown sender: saved, flagged.
    (mn,) = by_name[form_name("MN")]
    assert "từ nguoi.la@gmail.com" in out and "người gửi không có trong trang Danh sách" in out
    assert len(saved) == 12
    assert imap_server.flags() == flags  # nothing read, moved or deleted
    assert imap_server.count() == len(replies)

    # Status: on time by the mail, the unknown sender flagged, last year's form and the
    # damaged one said as for any file of the inbox.
    status = wbt(root, "status", "--period", PERIOD).output
    assert "theo thư điện tử" in status
    plan = load_sample_plan()
    unknown = problems.make(
        "inbox.unknown_sender", file=mn, unit="MN", sender="nguoi.la@gmail.com",
        name=plan.entry("MN").name,
    )  # fmt: skip
    assert unknown.message in status
    assert f"Tệp {t12} bị thiếu phần cuối" in status
    (old,) = by_name["VHXH cu.xlsx"]
    assert f"Tệp {old}" in status and "PCMD-TienNong-2023" in status

    # Merge: the unknown sender in the report's problems too (the JSON summary's).
    assert wbt(root, "merge", "--period", PERIOD).exit_code == 0
    data = json.loads((root / "outbox" / PERIOD / f"tong_hop_{PERIOD}.json").read_text("utf-8"))
    assert unknown.to_dict() in data["problems"]

    # Fetch again: the same inbox.
    before = snapshot(inbox)
    again = wbt(root, "fetch", "--period", PERIOD, "--imap", imap_server.address,
                "--user", imap_server.user)  # fmt: skip
    assert "lấy 0 tệp mới" in again.output
    assert snapshot(inbox) == before


def test_an_mbox_and_a_folder_of_eml_give_the_same_files(
    tmp_path: Path, replies: list[tuple[str, bytes]]
) -> None:
    chosen = [reply for what, reply in replies if what not in ("bomb",)]
    box_path = tmp_path / "Thu den.mbox"
    box = mailbox.mbox(box_path)
    for reply in chosen:
        box.add(reply)
    box.flush()
    box.close()
    emls = tmp_path / "thu"
    emls.mkdir()
    for n, reply in enumerate(chosen):
        (emls / f"thu {n:02d}.eml").write_bytes(reply)
    kept = box_path.read_bytes()

    found = []
    for source in (["--mbox", str(box_path)], ["--eml", str(emls)]):
        root = tmp_path / source[0].strip("-")
        assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
        result = wbt(root, "fetch", "--period", PERIOD, *source)
        assert result.exit_code == 0, result.output
        assert f"Đã đọc {len(chosen)} thư; lấy 12 tệp mới" in result.output
        found.append(sorted(p.relative_to(root / "inbox").as_posix()
                            for p in (root / "inbox").rglob("*") if p.is_file()))  # fmt: skip
    assert found[0] == found[1]
    assert box_path.read_bytes() == kept  # the mbox is only read


def test_one_source_is_asked_for(root: Path) -> None:
    none = wbt(root, "fetch", "--period", PERIOD)
    assert none.exit_code == 1 and "Hãy chọn đúng một nơi lấy thư" in none.output
    two = wbt(root, "fetch", "--period", PERIOD, "--mbox", "a.mbox", "--eml", "thu")
    assert two.exit_code == 1 and "(đang ghi --mbox và --eml)" in two.output
    gone = wbt(root, "fetch", "--period", PERIOD, "--mbox", str(root / "khong co.mbox"))
    assert gone.exit_code == 1 and "Không tìm thấy tệp hộp thư" in gone.output


def test_a_refused_imap_login_is_said(
    root: Path, imap_server: ImapMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(imap_server.cafile))
    monkeypatch.setenv(PASSWORD_VARIABLE, "sai")
    result = wbt(root, "fetch", "--period", PERIOD, "--imap", imap_server.address,
                 "--user", imap_server.user)  # fmt: skip
    assert result.exit_code == 1
    assert f"không cho đăng nhập với tên {imap_server.user}" in result.output
    assert "Traceback" not in result.output
    # What the server said, as text: not Python's b'...'.
    assert "b'" not in result.output and 'b"' not in result.output
    # TLS from the first byte on the IMAPS port works as well.
    monkeypatch.setenv(PASSWORD_VARIABLE, imap_server.password)
    ssl_port = f"{imap_server.host}:{imap_server.ssl_port}"
    ok = wbt(root, "fetch", "--period", PERIOD, "--imap", ssl_port, "--ssl",
             "--user", imap_server.user)  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "Đã đọc 0 thư" in ok.output


def test_the_communes_own_mail_is_not_taken_as_replies(tmp_path: Path, root: Path) -> None:
    assert wbt(root, "generate", "--period", PERIOD).exit_code == 0
    assert wbt(root, "send", "--period", PERIOD).exit_code == 0
    drafts = root / "outbox" / PERIOD / "thu_gui"
    # The drafts wbt send wrote, read back as if from a mailbox that keeps the Sent mail.
    result = wbt(root, "fetch", "--period", PERIOD, "--eml", str(drafts))
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "Đã đọc 22 thư; lấy 0 tệp mới" in said
    assert "Bỏ qua 22 tệp đính kèm" in said and said.count("thư do xã gửi đi") == 22
    assert not any(p.is_file() for p in (root / "inbox").rglob("*"))
    # A mail sent from the commune's address by hand (its Message-ID the mail program's).
    sender = load_sample_plan().settings.sender_email
    emls = tmp_path / "tat ca thu"
    emls.mkdir()
    (emls / "da gui.eml").write_bytes(reply_message(
        sender=sender, to=address("T01"), subject="Gui lai bieu mau", date=ON_TIME,
        attachments=[(form_name("T01"), blank_form("T01"))],
    ))  # fmt: skip
    (emls / "tra loi.eml").write_bytes(reply_message(
        sender=address("T02"), to=TO, subject="Bao cao", date=ON_TIME,
        attachments=[(form_name("T02"), filled("T02", VILLAGE))],
    ))  # fmt: skip
    mixed = wbt(root, "fetch", "--period", PERIOD, "--eml", str(emls))
    said = " ".join(mixed.output.split())
    assert mixed.exit_code == 0, mixed.output
    assert "lấy 1 tệp mới" in said and f"{form_name('T01')} (da gui.eml (từ {sender})" in said
    saved = [p.name for p in (root / "inbox").rglob("*") if p.is_file()]
    assert saved == [form_name("T02")]


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../Windows/System32/bao cao.xlsx", "bao cao.xlsx"),
        ("C:\\Users\\thon\\Desktop\\T01.xlsx", "T01.xlsx"),
        ("CON.xlsx", "_CON.xlsx"),
        ("lpt1", "_lpt1"),
        ('bao<cao>:"thon"|1?*.xlsx', "bao_cao___thon__1__.xlsx"),
        ("bao cao. . .", "bao cao"),
        (".an.xlsx", "an.xlsx"),
        ("tab\there\x00.xlsx", "tab here.xlsx"),
        (unicodedata.normalize("NFD", "Thôn Đông.xlsx"), "Thôn Đông.xlsx"),
        ("", "tep_dinh_kem"),
        ("a" * 300 + ".xlsx", "a" * 50 + ".xlsx"),
        (".xlsx", "tep_dinh_kem.xlsx"),
        ("\x00.xlsx", "tep_dinh_kem.xlsx"),
        ("bao cao. 2024", "bao cao. 2024"),
    ],
)
def test_safe_names(name: str, safe: str) -> None:
    assert safe_name(name) == safe
    assert unicodedata.is_normalized("NFC", safe_name(name))


def test_zip_member_names_in_utf8_or_the_vietnamese_code_page_unmarked() -> None:
    from workbook_tools.mail.fetch import unzip

    name = unicodedata.normalize("NFC", "Báo cáo thôn.xlsx")
    raws = [name.encode("utf-8"), "Thôn Đông.xlsx".encode("cp1258")]
    # zipfile marks any name it cannot write in ASCII as UTF-8: the bytes are put in after,
    # unmarked, as Windows writes them.
    stand_ins = [(letter * len(raw)).encode() for letter, raw in zip("QZ", raws, strict=True)]
    data = zipped({stand_in.decode(): b"x" for stand_in in stand_ins})
    for stand_in, raw in zip(stand_ins, raws, strict=True):
        data = data.replace(stand_in, raw)
    taken, skipped, refused = unzip("nen.zip", data)
    assert [n for n, _ in taken] == [name, unicodedata.normalize("NFC", "Thôn Đông.xlsx")]
    assert skipped == [] and refused == []


def test_no_file_is_overwritten(tmp_path: Path) -> None:
    (tmp_path / "T01.xlsx").write_bytes(b"first")
    (tmp_path / "t01 (2).XLSX").write_bytes(b"second")
    assert unique_path(tmp_path, "T01.xlsx") == tmp_path / "T01 (3).xlsx"
    assert unique_path(tmp_path, "T02.xlsx") == tmp_path / "T02.xlsx"


def _message(date: datetime, received: datetime | None) -> EmailMessage:
    raw = reply_message(sender=address("T01"), to=TO, subject="x", date=date,
                        received_date=received)  # fmt: skip
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def test_a_date_the_receiving_server_contradicts_is_not_trusted() -> None:
    # Received within the tolerance: the Date is the arrival.
    fine = mail_time(_message(ON_TIME, ON_TIME + timedelta(minutes=30)))
    assert (fine.arrived, fine.trusted_date) == (ON_TIME, True)
    # The sender's clock three days behind the commune's provider: the provider's time.
    late = ON_TIME + timedelta(days=3)
    behind = mail_time(_message(ON_TIME, late))
    assert (behind.arrived, behind.trusted_date) == (late, False)
    assert "sớm hơn nhiều" in behind.note
    # A clock ahead of the provider (the Date after the mail arrived): the provider's time.
    ahead = mail_time(_message(ON_TIME, ON_TIME - DATE_TOLERANCE - timedelta(minutes=1)))
    assert ahead.arrived == ON_TIME - DATE_TOLERANCE - timedelta(minutes=1)
    # The IMAP server's own time counts as the receiving side's too; with no stamp at
    # all (a mail saved from a mail program), the Date is all there is.
    bare = _message(ON_TIME, None)
    del bare["Received"]
    boxed = mail_time(bare, delivered=late)
    assert boxed.arrived == late and not boxed.trusted_date
    alone = mail_time(bare)
    assert (alone.arrived, alone.trusted_date) == (ON_TIME, True)


# --- a mailbox that cannot be read to its end ---------------------------------------


class _FlakyImap(socketserver.ThreadingTCPServer):
    """A tiny IMAP server over TLS that holds ``messages`` (UIDs 1, 2, …) and drops the
    connection when the body of UID ``drop`` is asked for (as a mobile connection, a
    provider's limit does): the tool's client is real imaplib, the failure a real EOF."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, context: ssl.SSLContext, messages: list[bytes], drop: int) -> None:
        super().__init__(("127.0.0.1", 0), _FlakyHandler)
        self.context = context
        self.messages = messages
        self.drop = drop
        self.bodies_sent: list[int] = []

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        return self.context.wrap_socket(sock, server_side=True), address

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _FlakyHandler(socketserver.StreamRequestHandler):
    server: _FlakyImap

    def handle(self) -> None:
        out = self.wfile.write
        out(b"* OK fake IMAP ready\r\n")
        while line := self.rfile.readline():
            tag, _, command = line.decode("utf-8", "replace").strip().partition(" ")
            verb = command.upper()
            if verb.startswith("CAPABILITY"):
                out(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
            elif verb.startswith("LOGOUT"):
                out(b"* BYE\r\n" + f"{tag} OK bye\r\n".encode())
                return
            elif verb.startswith(("EXAMINE", "SELECT")):
                out(f"* {len(self.server.messages)} EXISTS\r\n* FLAGS ()\r\n".encode())
                out(f"{tag} OK [READ-ONLY] done\r\n".encode())
                continue
            elif verb.startswith("UID SEARCH"):
                uids = " ".join(str(n) for n in range(1, len(self.server.messages) + 1))
                out(f"* SEARCH {uids}\r\n".encode())
            elif verb.startswith("UID FETCH"):
                uid_set = command.split()[2]
                headers_only = "HEADER.FIELDS" in verb
                for uid in _uids(uid_set, len(self.server.messages)):
                    data = self.server.messages[uid - 1]
                    if headers_only:
                        head = data.split(b"\r\n\r\n", 1)[0]
                        data = b"".join(
                            h + b"\r\n" for h in head.split(b"\r\n")
                            if h.lower().startswith(b"message-id:")
                        ) + b"\r\n"
                        item = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"
                    else:
                        if uid == self.server.drop:
                            return  # the connection dropped
                        self.server.bodies_sent.append(uid)
                        item = b'INTERNALDATE "13-Jun-2024 15:05:00 +0700" BODY[]'
                    out(f"* {uid} FETCH (UID {uid} ".encode() + item
                        + f" {{{len(data)}}}\r\n".encode() + data + b")\r\n")
            elif not verb.startswith(("LOGIN", "AUTHENTICATE", "NOOP")):
                out(f"{tag} BAD unknown\r\n".encode())
                continue
            out(f"{tag} OK done\r\n".encode())


class _PlainImap(socketserver.ThreadingTCPServer):
    """A tiny IMAP server in plain text that offers STARTTLS and then refuses it, or offers
    none; it keeps the commands it was sent (a password sent in clear would be among them)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, starttls: bool) -> None:
        super().__init__(("127.0.0.1", 0), _PlainHandler)
        self.starttls = starttls
        self.lines: list[str] = []

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _PlainHandler(socketserver.StreamRequestHandler):
    server: _PlainImap

    def handle(self) -> None:
        out = self.wfile.write
        out(b"* OK fake IMAP ready\r\n")
        while line := self.rfile.readline():
            text = line.decode("utf-8", "replace").strip()
            self.server.lines.append(text)
            tag, _, command = text.partition(" ")
            verb = command.upper()
            if verb.startswith("CAPABILITY"):
                offered = b" STARTTLS" if self.server.starttls else b""
                out(b"* CAPABILITY IMAP4rev1" + offered + b"\r\n" + f"{tag} OK done\r\n".encode())
            elif verb.startswith("LOGOUT"):
                out(b"* BYE\r\n" + f"{tag} OK bye\r\n".encode())
                return
            elif verb.startswith("STARTTLS"):
                out(f"{tag} NO [UNAVAILABLE] not now\r\n".encode())
            else:
                out(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n".encode())


@pytest.mark.parametrize("password", ["", "mat khau"])
def test_no_login_in_clear_and_a_refused_starttls_is_said(
    root: Path, monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, password)
    for starttls in (False, True):
        server = _PlainImap(starttls)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            result = wbt(root, "fetch", "--period", PERIOD, "--imap", server.address,
                         "--user", "xa@example.org")  # fmt: skip
        finally:
            server.shutdown()
            server.server_close()
        said = " ".join(result.output.split())
        assert result.exit_code == 1 and "Traceback" not in said
        # Even with an empty password, no LOGIN (the user's name) goes in clear.
        assert not any("LOGIN" in line.upper() or "AUTHENTICATE" in line.upper()
                       for line in server.lines), server.lines  # fmt: skip
        assert "mật khẩu không được gửi đi" in said
        assert "không cho đăng nhập" not in said and "None" not in said
        if starttls:
            assert f"Máy chủ thư {server.address} nhận lời mã hóa kết nối (STARTTLS)" in said
        else:
            assert f"Máy chủ thư {server.address} không hỗ trợ mã hóa kết nối (STARTTLS)" in said


def _uids(text: str, count: int) -> list[int]:
    found: list[int] = []
    for piece in text.split(","):
        first, _, last = piece.partition(":")
        end = count if last == "*" else int(last or first)
        found.extend(range(int(first), end + 1))
    return [n for n in found if 1 <= n <= count]


@pytest.fixture
def flaky_imap(
    mail_certificate: Certificate, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[list[bytes], int], _FlakyImap]]:
    started: list[_FlakyImap] = []
    monkeypatch.setenv("SSL_CERT_FILE", str(mail_certificate.cafile))
    monkeypatch.setenv(PASSWORD_VARIABLE, "mat khau")

    def start(messages: list[bytes], drop: int) -> _FlakyImap:
        server = _FlakyImap(mail_certificate.server_context(), messages, drop)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def _fetch_flaky(root: Path, server: _FlakyImap) -> Result:
    return wbt(root, "fetch", "--period", PERIOD, "--imap", server.address, "--ssl",
               "--user", "xa@example.org")  # fmt: skip


def test_a_connection_lost_midway_keeps_what_was_taken(
    root: Path, flaky_imap: Callable[[list[bytes], int], _FlakyImap]
) -> None:
    first = reply_message(sender=address("T01"), to=TO, subject="Bao cao", date=ON_TIME,
                          attachments=[(form_name("T01"), filled("T01", VILLAGE))])  # fmt: skip
    second = reply_message(sender=address("T02"), to=TO, subject="Bao cao", date=ON_TIME,
                           attachments=[(form_name("T02"), filled("T02", VILLAGE))])  # fmt: skip
    server = flaky_imap([first, second], 2)
    inbox = root / "inbox"
    for _ in range(2):
        result = _fetch_flaky(root, server)
        assert result.exit_code == 1
        said = " ".join(result.output.split())
        assert "Mất kết nối với máy chủ thư" in said and "Traceback" not in said
        assert "hãy chạy lại lệnh để lấy tiếp, không mất gì" in said
        files = sorted(p.name for p in inbox.rglob("*") if p.is_file())
        assert files == [form_name("T01")]  # once, however many times it is run
    with sqlite3.connect(Workspace(root).ledger) as db:
        rows = db.execute("SELECT sender, file FROM mail_arrivals WHERE file != ''").fetchall()
    assert [(s, f.rsplit("/", 1)[-1]) for s, f in rows] == [(address("T01"), form_name("T01"))]
    # The connection good again: the rest is taken, nothing twice.
    server.drop = 0
    result = _fetch_flaky(root, server)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in inbox.rglob("*") if p.is_file()) == sorted(
        [form_name("T01"), form_name("T02")]
    )


def _with_headers(raw: bytes, **headers: str) -> bytes:
    """``raw`` with its (top) headers of these names written as given, by hand."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    for name, value in headers.items():
        key = name.replace("_", "-").encode()
        at = next(i for i, h in enumerate(lines) if h.lower().startswith(key.lower() + b":"))
        end = at + 1
        while end < len(lines) and lines[end][:1] in (b" ", b"\t"):
            end += 1  # a folded header's continuation lines
        lines[at:end] = [key + b": " + value.encode()]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def test_a_mail_dated_at_the_ends_of_the_calendar_does_not_stop_the_fetch(
    tmp_path: Path, root: Path
) -> None:
    emls = tmp_path / "thu"
    emls.mkdir()
    for n, code in enumerate(("T01", "T02", "T03")):
        raw = reply_message(sender=address(code), to=TO, subject="Bao cao", date=ON_TIME,
                            attachments=[(form_name(code), filled(code, VILLAGE))])  # fmt: skip
        if code == "T01":
            raw = _with_headers(raw, Date="Fri, 31 Dec 9999 23:59:59 -1200")
        elif code == "T02":
            raw = _with_headers(raw, Date="Mon, 1 Jan 1900 00:00:00 +1400",
                                Received="from x by mx.example.org; Mon, 1 Jan 1900 00:00:00 "
                                "+1400")  # fmt: skip
        (emls / f"thu {n}.eml").write_bytes(raw)
    result = wbt(root, "fetch", "--period", PERIOD, "--eml", str(emls))
    assert result.exit_code == 0, result.output
    assert "Đã đọc 3 thư; lấy 3 tệp mới" in result.output
    times = [mail_time(BytesParser(policy=policy.default).parsebytes(f.read_bytes()))
             for f in sorted(emls.iterdir())[:2]]  # fmt: skip
    # The year 9999 not believed: the provider's stamp, said; the year 1900: no date.
    assert times[0].arrived == ON_TIME + timedelta(seconds=40) and not times[0].trusted_date
    assert "không đọc được" in times[0].note
    assert times[1].arrived is None
    assert wbt(root, "status", "--period", PERIOD).exit_code == 0


def test_mailbox_names_in_modified_utf7() -> None:
    from workbook_tools.mail.fetch import mailbox_name

    # RFC 3501 §5.1.3's own example, and "&" written "&-".
    assert mailbox_name("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
    assert mailbox_name("Thư & báo cáo") == "Th&AbA- &- b&AOE-o c&AOE-o"
    assert mailbox_name("INBOX") == "INBOX"


def _utf7(name: str) -> str:
    """The test's own modified UTF-7 (RFC 3501 §5.1.3): each run of other letters together
    (Dovecot refuses two encoded runs side by side)."""
    return "".join(
        "".join(run).replace("&", "&-") if plain
        else "&" + base64.b64encode("".join(run).encode("utf-16-be")).decode().rstrip("=")
        .replace("/", ",") + "-"
        for plain, run in itertools.groupby(name, lambda ch: " " <= ch <= "~")
    )


def test_a_vietnamese_mailbox_name_and_login(
    root: Path, imap_server: ImapMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(imap_server.cafile))
    monkeypatch.setenv(PASSWORD_VARIABLE, imap_server.password)
    folder = unicodedata.normalize("NFC", "Hộp thư đến")
    reply = reply_message(sender=address("T01"), to=TO, subject="Bao cao", date=ON_TIME,
                          attachments=[(form_name("T01"), filled("T01", VILLAGE))])  # fmt: skip
    imap_server.append(reply, when=ON_TIME, mailbox=_utf7(folder))
    result = wbt(root, "fetch", "--period", PERIOD, "--imap", imap_server.address,
                 "--user", imap_server.user, "--mailbox", folder)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Đã đọc 1 thư; lấy 1 tệp mới" in result.output
    # A name or password with Vietnamese letters: sent in UTF-8, refused here, said.
    monkeypatch.setenv(PASSWORD_VARIABLE, "mật khẩu")
    refused = wbt(root, "fetch", "--period", PERIOD, "--imap", imap_server.address,
                  "--user", "cán.bộ@xa.vn")  # fmt: skip
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "không cho đăng nhập với tên cán.bộ@xa.vn" in refused.output


def test_outlook_msg_files_and_a_file_that_is_no_mbox_are_said(
    tmp_path: Path, root: Path
) -> None:
    reply = reply_message(sender=address("T01"), to=TO, subject="Bao cao", date=ON_TIME,
                          attachments=[(form_name("T01"), filled("T01", VILLAGE))])  # fmt: skip
    folder = tmp_path / "thu outlook"
    folder.mkdir()
    # An Outlook .msg is an OLE compound file (its signature), not a mail's text.
    for name in ("Bao cao thon 1.msg", "Bao cao thon 2.MSG"):
        (folder / name).write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    (folder / "ghi chu.txt").write_text("x", encoding="utf-8")
    nothing = wbt(root, "fetch", "--period", PERIOD, "--eml", str(folder))
    said = " ".join(nothing.output.split())
    assert nothing.exit_code == 1 and "Đã đọc 0 thư" not in said
    assert "có 2 tệp .msg của Outlook, 1 tệp khác, không phải thư dạng .eml" in said
    assert "--imap" in said and "Thunderbird" in said
    # One .eml beside them: read, the others said.
    (folder / "tra loi.eml").write_bytes(reply)
    some = wbt(root, "fetch", "--period", PERIOD, "--eml", str(folder))
    assert some.exit_code == 0, some.output
    assert "Đã đọc 1 thư; lấy 1 tệp mới" in some.output
    assert "2 tệp .msg của Outlook" in " ".join(some.output.split())
    # An .eml given as an mbox; an empty mbox.
    not_mbox = wbt(root, "fetch", "--period", PERIOD, "--mbox", str(folder / "tra loi.eml"))
    assert not_mbox.exit_code == 1
    assert "không phải tệp hộp thư dạng mbox" in " ".join(not_mbox.output.split())
    empty = tmp_path / "Thu rac.mbox"
    empty.write_bytes(b"")
    none = wbt(root, "fetch", "--period", PERIOD, "--mbox", str(empty))
    assert none.exit_code == 0 and "Tệp hộp thư Thu rac.mbox không có thư nào" in none.output
    # An empty folder given to --eml: said the same way.
    (tmp_path / "thu trong").mkdir()
    no_eml = wbt(root, "fetch", "--period", PERIOD, "--eml", str(tmp_path / "thu trong"))
    assert no_eml.exit_code == 0, no_eml.output
    assert "Ghi chú: Thư mục thu trong không có thư nào" in no_eml.output
    # The help no longer says Outlook drags out .eml files.
    help_text = " ".join(CliRunner().invoke(cli, ["fetch", "--help"]).output.split())
    assert "Outlook cổ điển lưu .msg" in help_text


def test_no_password_and_no_terminal_to_ask_it_at(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    for command in (["fetch", "--imap", "127.0.0.1:1"], ["send", "--smtp", "127.0.0.1:1"],
                    ["remind", "--smtp", "127.0.0.1:1"]):  # fmt: skip
        result = CliRunner().invoke(
            cli, [*command, "--period", PERIOD, "--user", "xa@example.org", "--dir", str(root)],
            input="",
        )
        said = " ".join(result.output.split())
        assert result.exit_code == 1, said
        assert '$env:WBT_MAIL_PASSWORD = "mật khẩu"' in said
        assert "Ctrl-C" not in said and "Warning" not in said and "Traceback" not in said


@pytest.fixture
def computer_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This computer's clock set to New York's time zone (the plan's is Việt Nam's)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("computer_in_new_york")
def test_a_mail_with_no_time_at_all_is_not_said_to_give_one(tmp_path: Path, root: Path) -> None:
    raw = reply_message(sender=address("T04"), to=TO, subject="Bao cao", date=ON_TIME,
                        attachments=[(form_name("T04"), filled("T04", VILLAGE))])  # fmt: skip
    message = BytesParser(policy=policy.default).parsebytes(raw)
    del message["Received"]
    message.replace_header("Date", "hôm qua")  # a Date no program can read
    emls = tmp_path / "thu"
    emls.mkdir()
    (emls / "tra loi.eml").write_bytes(message.as_bytes())
    before = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None, second=0,
                                                                microsecond=0)  # fmt: skip
    result = wbt(root, "fetch", "--period", PERIOD, "--eml", str(emls))
    after = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "không rõ ngày gửi" in said
    assert "thư không ghi ngày gửi đọc được" in said and "theo ngày của tệp" in said
    # The mail's folder named by the time where the plan is, not this computer's.
    (saved,) = [p for p in (root / "inbox").rglob("*.xlsx")]
    folder_time = datetime.strptime(saved.parent.name[4:19], "%Y-%m-%d_%H%M")
    assert before <= folder_time <= after
    # The status: the file's own time, not "theo thư điện tử".
    status = wbt(root, "status", "--period", PERIOD).output
    line = next(row for row in status.splitlines() if "T04" in row)
    assert "theo ngày của tệp" in line and "theo thư điện tử" not in line


def test_mail_fetched_before_is_not_downloaded_again(
    root: Path, flaky_imap: Callable[[list[bytes], int], _FlakyImap]
) -> None:
    from workbook_tools import pipeline
    from workbook_tools.cli.common import open_period
    from workbook_tools.mail.fetch import read_imap
    from workbook_tools.mail.transport import Server

    replies = [
        reply_message(
            sender=address(code), to=TO, subject="Bao cao", date=ON_TIME,
            attachments=[(form_name(code), filled(code, VILLAGE))],
        )
        for code in ("T01", "T02", "T03")
    ]  # fmt: skip
    server = flaky_imap(replies, 0)
    ws, plan, period = open_period(root, None, PERIOD)
    heard: list[tuple[int, int]] = []
    host, port = server.address.split(":")
    source = functools.partial(
        read_imap, Server(host, int(port), "xa@example.org", "mat khau", ssl=True), "INBOX",
        period.start,
    )  # fmt: skip
    outcome = pipeline.fetch(
        ws, plan, period, source, progress=lambda done, total, _: heard.append((done, total))
    )
    assert len(outcome.result.saved) == 3 and server.bodies_sent == [1, 2, 3]
    assert heard == [(1, 3), (2, 3), (3, 3)]
    # Again: only the Message-IDs are asked; no mail is downloaded, nothing is added.
    before = snapshot(root / "inbox")
    again = _fetch_flaky(root, server)
    assert again.exit_code == 0, again.output
    assert "3 thư đã lấy từ lần trước: không tải lại" in again.output
    assert "lấy 0 tệp mới" in again.output
    assert server.bodies_sent == [1, 2, 3] and snapshot(root / "inbox") == before
    # A new mail: only it is downloaded.
    server.messages.append(reply_message(
        sender=address("T04"), to=TO, subject="Bao cao", date=ON_TIME,
        attachments=[(form_name("T04"), filled("T04", VILLAGE))],
    ))
    assert "lấy 1 tệp mới" in _fetch_flaky(root, server).output
    assert server.bodies_sent == [1, 2, 3, 4]


def test_saved_paths_stay_short_enough_for_windows(tmp_path: Path, root: Path) -> None:
    from workbook_tools.mail.fetch import MAX_RELATIVE

    long = unicodedata.normalize("NFC", "Báo cáo kết quả thực hiện kế hoạch 6 tháng đầu năm " * 5)
    sender = "nguoi.gui.co.dia.chi.rat.dai.vuot.qua.muc.thuong.le@truong-mam-non-tien-nong.vn"
    raw = reply_message(
        sender=sender, to=TO, subject="Bao cao", date=ON_TIME,
        attachments=[
            (long + ".xlsx", filled("T01", VILLAGE)),
            (long + ".zip", zipped({long + ".xlsx": filled("T02", VILLAGE),
                                    "b/" + long + " 2.xlsx": filled("T03", VILLAGE)})),
        ],
    )  # fmt: skip
    emls = tmp_path / "thu"
    emls.mkdir()
    (emls / "tra loi.eml").write_bytes(raw)
    result = wbt(root, "fetch", "--period", PERIOD, "--eml", str(emls))
    assert result.exit_code == 0, result.output
    saved = [p.relative_to(root / "inbox").as_posix() for p in (root / "inbox").rglob("*.xlsx")]
    assert len(saved) == 3
    assert all(len(p) <= MAX_RELATIVE <= 150 for p in saved), saved
    assert all(p.endswith(".xlsx") for p in saved)


def test_a_damaged_zip_is_said_once_and_the_sender_asked_again(
    tmp_path: Path, root: Path
) -> None:
    whole = zipped({form_name("T05"): filled("T05", VILLAGE)})
    emls = tmp_path / "thu"
    emls.mkdir()
    for n, damaged in enumerate((whole[: len(whole) // 2],  # cut short
                                 whole[:30] + b"\0" * 40 + whole[70:])):  # fmt: skip
        (emls / f"thu {n}.eml").write_bytes(reply_message(
            sender=address("T05"), to=TO, subject="Bao cao", date=ON_TIME,
            attachments=[(f"bao cao {n}.zip", damaged)],
        ))  # fmt: skip
    result = wbt(root, "fetch", "--period", PERIOD, "--eml", str(emls))
    said = " ".join(result.output.split())
    for n in range(2):
        assert said.count(f"Tệp nén bao cao {n}.zip (thu {n}.eml") == 1, said
    assert said.count("Hãy đề nghị người gửi gửi lại các tệp") == 2
    assert "Excel" not in said and "Bỏ qua" not in said
    assert not list((root / "inbox").rglob("*.xlsx"))


def test_an_unknown_senders_mail_decides_nothing_until_confirmed(
    tmp_path: Path, root: Path
) -> None:
    emls = tmp_path / "thu"
    emls.mkdir()
    (emls / "tu nguoi la.eml").write_bytes(reply_message(
        sender="Nguoi La <nguoi.la@gmail.com>", to=TO, subject="Bao cao MN", date=ON_TIME,
        attachments=[(form_name("MN"), blank_form("MN"))],
    ))  # fmt: skip
    (emls / "thon 1.eml").write_bytes(reply_message(
        sender=address("T01"), to=TO, subject="Bao cao", date=ON_TIME,
        attachments=[(form_name("T01"), filled("T01", VILLAGE))],
    ))  # fmt: skip
    assert wbt(root, "fetch", "--period", PERIOD, "--eml", str(emls)).exit_code == 0

    def row_of(status: str, code: str) -> str:
        return next(line for line in status.splitlines() if line.startswith(f"{code} "))

    # The stranger's mail says 14/06, but its time is not taken: the file's own (today)
    # makes it late, and the mail's word makes it one for the officer to confirm.
    status = wbt(root, "status", "--period", PERIOD).output
    assert "Cần xác nhận" in row_of(status, "MN") and "Đúng hạn" not in row_of(status, "MN")
    assert "theo ngày của tệp" in row_of(status, "MN")
    assert "Đúng hạn" in row_of(status, "T01") and "theo thư điện tử" in row_of(status, "T01")
    said = " ".join(status.split())
    assert "(đúng hạn 1, trễ hạn 1)" in said
    assert "Người gửi lạ (MN): tệp nhận qua thư của người gửi không có trong trang Danh" in said

    merged = wbt(root, "merge", "--period", PERIOD)
    assert merged.exit_code == 0, merged.output
    data = json.loads((root / "outbox" / PERIOD / f"tong_hop_{PERIOD}.json").read_text("utf-8"))
    flags = {e["unit"]: e["unknown_sender"] for e in data["completeness"]["entries"]}
    assert flags["MN"] is True and flags["T01"] is False
    # The report counts as status does: the stranger's mail decided nothing.
    assert data["completeness"]["on_time"] == 1 and data["completeness"]["late"] == ["MN"]
    workbook = openpyxl.load_workbook(root / "outbox" / PERIOD / f"BaoCao_TongHop_{PERIOD}.xlsx")
    cells = {str(c.value) for ws in workbook.worksheets for r in ws.iter_rows() for c in r}
    assert "Trễ hạn, cần xác nhận" in cells

    # Confirmed by the officer: decided by the date they give.
    confirm = wbt(root, "arrival", "--period", PERIOD, "--unit", "MN", "--date", "13/06/2024",
                  "--reason", "thôn xác nhận qua điện thoại")  # fmt: skip
    assert confirm.exit_code == 0, confirm.output
    status = wbt(root, "status", "--period", PERIOD).output
    assert "Đúng hạn" in row_of(status, "MN") and "Cần xác nhận" not in row_of(status, "MN")


def test_a_mail_taken_in_part_is_downloaded_again_for_the_rest(
    root: Path, flaky_imap: Callable[[list[bytes], int], _FlakyImap]
) -> None:
    from workbook_tools.mail.fetch import mail_folder

    reply = reply_message(
        sender=address("T01"), to=TO, subject="Bao cao", date=ON_TIME, message_id="<a1@xa.vn>",
        attachments=[(form_name("T01"), filled("T01", VILLAGE)),
                     ("thon 2.zip", zipped({form_name("T02"): filled("T02", VILLAGE)}))],
    )  # fmt: skip
    server = flaky_imap([reply], 0)
    # Where the zip's forms go, a file in the way: that attachment cannot be saved.
    folder = root / "inbox" / mail_folder(
        ON_TIME.astimezone(VN).replace(tzinfo=None), address("T01"), "<a1@xa.vn>"
    )
    folder.mkdir(parents=True)
    (folder / "thon 2").write_bytes(b"in the way")
    first = _fetch_flaky(root, server)
    assert "lấy 1 tệp mới" in first.output and server.bodies_sent == [1]
    (folder / "thon 2").unlink()
    second = _fetch_flaky(root, server)
    assert second.exit_code == 0, second.output
    assert server.bodies_sent == [1, 1]  # not taken whole: read again, for the rest
    assert "lấy 1 tệp mới" in second.output and "1 tệp đã lấy từ lần trước" in second.output
    assert sorted(p.name for p in (root / "inbox").rglob("*.xlsx")) == sorted(
        [form_name("T01"), form_name("T02")]
    )
    # Now whole: not downloaded a third time.
    assert "1 thư đã lấy từ lần trước" in _fetch_flaky(root, server).output
    assert server.bodies_sent == [1, 1]
