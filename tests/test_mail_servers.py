"""The mail tests' servers and replies (tests/mail_servers.py), checked with the standard
library's clients (smtplib, imaplib) and parser (email): what the tool's mail tests rely on.
"""

from __future__ import annotations

import imaplib
import smtplib
import ssl
import time
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

import pytest

from tests import mail_servers
from tests.mail_servers import (
    Certificate,
    Dovecot,
    ImapMailbox,
    SmtpServer,
    attachment_names,
    reply_message,
    smtp_client,
)

VN = timezone(timedelta(hours=7))
SENT = datetime(2024, 6, 12, 16, 45, tzinfo=VN)
#: A Vietnamese name, NFC, long enough to be continued or folded by every style.
NAME = unicodedata.normalize("NFC", "Báo cáo kế hoạch thôn Đông Phú 6 tháng đầu năm 2024.xlsx")


def outgoing(to: str = "thon3@xa-thu-nghiem.vn") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "UBND xã <vanphong@xa-thu-nghiem.vn>"
    message["To"] = to
    message["Subject"] = "Biểu mẫu báo cáo 6 tháng đầu năm 2024 — hạn 15/06/2024"
    message.set_content("Kính gửi thôn 3, xin gửi biểu mẫu.")
    message.add_attachment(b"PK\x03\x04form", "application", "octet-stream", filename=NAME)
    return message


# --------------------------------------------------------------------------- SMTP


def test_smtp_server_keeps_a_plain_message(smtp_server: SmtpServer) -> None:
    with smtp_client(smtp_server) as client:
        client.send_message(outgoing(), to_addrs=["thon3@xa-thu-nghiem.vn", "cc@xa.vn"])
    [delivery] = smtp_server.messages
    assert delivery.mail_from == "vanphong@xa-thu-nghiem.vn"
    assert delivery.rcpt_tos == ["thon3@xa-thu-nghiem.vn", "cc@xa.vn"]
    assert delivery.login is None and not delivery.encrypted
    assert delivery.message["Subject"].startswith("Biểu mẫu báo cáo 6 tháng")
    [attachment] = delivery.message.iter_attachments()
    assert attachment.get_filename() == NAME
    assert attachment.get_content() == b"PK\x03\x04form"


def test_smtp_server_starttls_and_login(smtp_server: SmtpServer) -> None:
    with smtp_client(smtp_server) as client:
        client.starttls(context=ssl.create_default_context(cafile=str(smtp_server.cafile)))
        client.login(smtp_server.user, smtp_server.password)
        client.send_message(outgoing())
    [delivery] = smtp_server.messages
    assert delivery.encrypted
    assert delivery.login == smtp_server.user
    assert delivery.rcpt_tos == ["thon3@xa-thu-nghiem.vn"]


def test_smtp_server_login_without_tls_is_allowed_on_127(smtp_server: SmtpServer) -> None:
    with smtp_client(smtp_server) as client:
        client.ehlo()
        assert "auth" in client.esmtp_features and "starttls" in client.esmtp_features
        client.login(smtp_server.user, smtp_server.password)
        client.send_message(outgoing())
    assert [d.login for d in smtp_server.messages] == [smtp_server.user]


def test_smtp_server_refuses_a_wrong_password(smtp_server: SmtpServer) -> None:
    with smtp_client(smtp_server) as client, pytest.raises(smtplib.SMTPAuthenticationError):
        client.login(smtp_server.user, "sai-mat-khau")
    assert smtp_server.messages == []
    assert smtp_server.refused and smtp_server.refused[0][1] == smtp_server.user


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_server_requiring_login(smtp_servers) -> None:  # type: ignore[no-untyped-def]
    server: SmtpServer = smtp_servers(auth_required=True)
    with smtp_client(server) as client, pytest.raises(smtplib.SMTPSenderRefused):
        client.send_message(outgoing())
    assert server.messages == []


def test_smtps_server(smtps_server: SmtpServer) -> None:
    with smtp_client(smtps_server) as client:
        client.login(smtps_server.user, smtps_server.password)
        client.send_message(outgoing("thon4@xa-thu-nghiem.vn"))
    [delivery] = smtps_server.messages
    assert delivery.encrypted and delivery.rcpt_tos == ["thon4@xa-thu-nghiem.vn"]


def test_the_certificate_is_checked(smtp_server: SmtpServer) -> None:
    """A client that does not trust the test CA refuses the server: the CA is what makes it work."""
    with smtp_client(smtp_server) as client, pytest.raises(ssl.SSLCertVerificationError):
        client.starttls(context=ssl.create_default_context())
    assert smtp_server.messages == []


def test_each_test_has_an_empty_server(smtp_server: SmtpServer) -> None:
    assert smtp_server.messages == []
    assert smtp_server.address == f"127.0.0.1:{smtp_server.port}"


def test_certificate_names_127_0_0_1(mail_certificate: Certificate) -> None:
    pem = mail_certificate.certfile.read_text(encoding="ascii")
    assert "BEGIN CERTIFICATE" in pem
    assert mail_certificate.cafile != mail_certificate.certfile


# --------------------------------------------------------------------------- replies


def parsed(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("style", ["rfc2231", "encoded-word", "raw-utf8"])
def test_reply_names_decode_to_the_vietnamese_name(style) -> None:  # type: ignore[no-untyped-def]
    raw = reply_message(
        sender="Thôn Đông Phú <dongphu@gmail.com>", to="vanphong@xa-thu-nghiem.vn",
        subject="Re: Biểu mẫu báo cáo", date=SENT,
        attachments=[(NAME, b"PK\x03\x04one"), ("phu luc.xlsx", b"PK\x03\x04two")],
        filename_style=style,
    )  # fmt: skip
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    message = parsed(raw)
    assert attachment_names(message) == [NAME, "phu luc.xlsx"]
    assert [p.get_content() for p in message.iter_attachments()] == [
        b"PK\x03\x04one",
        b"PK\x03\x04two",
    ]
    first_part = raw.split(b"WBTNAME")[0]  # no placeholder left
    assert first_part == raw
    wire = {
        "rfc2231": b"filename*0*=utf-8''B%C3%A1o%20c%C3%A1o",
        "encoded-word": b'filename="=?UTF-8?B?',
        "raw-utf8": f'filename="{NAME}"'.encode(),
    }[style]
    assert wire in raw
    assert parsedate_to_datetime(message["Date"]) == SENT
    assert message["From"].addresses[0].addr_spec == "dongphu@gmail.com"


def test_reply_received_header_and_message_id() -> None:
    late = SENT + timedelta(days=3)
    raw = reply_message(
        sender="thon3@xa.vn", to="vanphong@xa.vn", subject="Re: x", date=SENT,
        received_date=late, in_reply_to="<form-1@xa.vn>",
    )  # fmt: skip
    message = parsed(raw)
    top = message.get_all("Received")[0]
    assert parsedate_to_datetime(top.rsplit(";", 1)[1].strip()) == late
    assert message["In-Reply-To"] == "<form-1@xa.vn>"
    again = reply_message(
        sender="thon3@xa.vn", to="vanphong@xa.vn", subject="Re: x", date=SENT,
        received_date=late, in_reply_to="<form-1@xa.vn>",
    )  # fmt: skip
    assert parsed(again)["Message-ID"] == message["Message-ID"]
    other = reply_message(sender="thon3@xa.vn", to="vanphong@xa.vn", subject="Re: y", date=SENT)
    assert parsed(other)["Message-ID"] != message["Message-ID"]
    given = reply_message(sender="a@b.vn", to="c@d.vn", subject="s", date=SENT, message_id="<g@b>")
    assert parsed(given)["Message-ID"] == "<g@b>"


def test_reply_forwarded_as_a_message() -> None:
    raw = reply_message(
        sender="truongthon@xa.vn", to="vanphong@xa.vn", subject="Re: Biểu mẫu", date=SENT,
        attachments=[(NAME, b"PK\x03\x04one")], filename_style="encoded-word",
        forwarded=True, original_sender="Kế toán thôn <ketoan@gmail.com>",
    )  # fmt: skip
    message = parsed(raw)
    assert message["Subject"] == "Fwd: Re: Biểu mẫu"
    [rfc822] = [p for p in message.iter_attachments() if p.get_content_type() == "message/rfc822"]
    inner = rfc822.get_content()
    assert inner["From"].addresses[0].addr_spec == "ketoan@gmail.com"
    assert parsedate_to_datetime(inner["Date"]) == SENT - timedelta(hours=1)
    assert attachment_names(inner) == [NAME]
    assert attachment_names(message) == [NAME]
    [attachment] = inner.iter_attachments()
    assert attachment.get_content() == b"PK\x03\x04one"


def test_reply_forwarded_inline() -> None:
    raw = reply_message(
        sender="truongthon@xa.vn", to="vanphong@xa.vn", subject="Re: Biểu mẫu", date=SENT,
        attachments=[(NAME, b"PK\x03\x04one")], forwarded="inline",
        original_sender="ketoan@gmail.com", original_date=SENT - timedelta(days=1),
    )  # fmt: skip
    message = parsed(raw)
    assert message["Subject"] == "Fwd: Re: Biểu mẫu"
    text = message.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    assert "---------- Forwarded message ---------" in content
    assert "From: ketoan@gmail.com" in content
    [attachment] = message.iter_attachments()
    assert attachment_names(message) == [NAME]
    assert attachment.get_content() == b"PK\x03\x04one"


def test_reply_needs_a_timezone() -> None:
    with pytest.raises(ValueError, match="timezone"):
        reply_message(sender="a@b.vn", to="c@d.vn", subject="s", date=datetime(2024, 6, 12))


# --------------------------------------------------------------------------- IMAP


def independent_read(mailbox: ImapMailbox) -> list[tuple[float, bytes]]:
    """Each message's internal date (epoch seconds) and bytes, read with imaplib alone."""
    client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=10)
    try:
        client.login(mailbox.user, mailbox.password)
        status, _ = client.select("INBOX", readonly=True)  # EXAMINE
        assert status == "OK"
        status, answer = client.fetch("1:*", "(INTERNALDATE BODY.PEEK[])")
        assert status == "OK"
        found = []
        for item in answer:
            if isinstance(item, tuple):
                stamp = imaplib.Internaldate2tuple(item[0])
                assert stamp is not None
                found.append((time.mktime(stamp), item[1]))
        return found
    finally:
        client.logout()


def test_imap_append_keeps_internal_date_and_bytes(imap_server: ImapMailbox) -> None:
    assert imap_server.count() == 0
    first = reply_message(
        sender="Thôn 3 <thon3@gmail.com>", to="vanphong@xa-thu-nghiem.vn",
        subject="Re: Biểu mẫu", date=SENT, attachments=[(NAME, b"PK\x03\x04one")],
        filename_style="raw-utf8",
    )  # fmt: skip
    second = outgoing("vanphong@xa-thu-nghiem.vn")
    received = [SENT + timedelta(minutes=1), datetime(2024, 6, 14, 2, 0, tzinfo=UTC)]
    imap_server.append(first, when=received[0])
    imap_server.append(second, when=received[1])

    read = independent_read(imap_server)
    assert [stamp for stamp, _ in read] == [moment.timestamp() for moment in received]
    assert read[0][1] == first  # byte for byte, raw UTF-8 name included
    message = BytesParser(policy=policy.default).parsebytes(read[0][1])
    assert isinstance(message, EmailMessage)
    assert attachment_names(message) == [NAME]
    other = BytesParser(policy=policy.default).parsebytes(read[1][1])
    assert other["Subject"] == second["Subject"]
    assert [when for when, _ in imap_server.messages()] == received
    assert imap_server.count() == 2


def test_imap_examine_and_peek_leave_flags_unset(imap_server: ImapMailbox) -> None:
    imap_server.append(outgoing(), when=SENT)
    imap_server.append(outgoing(), when=SENT)
    independent_read(imap_server)
    imap_server.messages()
    assert imap_server.flags() == [frozenset(), frozenset()]
    # Reading without PEEK in a mailbox SELECTed for writing marks the message read:
    # the flags helper sees what a careless fetch does.
    client = imap_server.connect()
    client.select("INBOX")
    client.fetch("2", "(BODY[])")
    client.logout()
    assert imap_server.flags() == [frozenset(), frozenset({"\\Seen"})]
    assert imap_server.count() == 2


def test_imap_wrong_password_is_refused(imap_server: ImapMailbox) -> None:
    client = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error, match=r"(?i)authentication failed"):
            client.login(imap_server.user, "sai-mat-khau")
    finally:
        client.shutdown()


def test_imap_starttls_and_imaps(imap_server: ImapMailbox) -> None:
    context = ssl.create_default_context(cafile=str(imap_server.cafile))
    client = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=10)
    assert "STARTTLS" in client.capabilities
    client.starttls(ssl_context=context)
    assert client.login(imap_server.user, imap_server.password)[0] == "OK"
    client.logout()
    secure = imaplib.IMAP4_SSL(
        imap_server.host, imap_server.ssl_port, ssl_context=context, timeout=10
    )
    assert secure.login(imap_server.user, imap_server.password)[0] == "OK"
    secure.logout()


def test_imap_other_mailboxes(imap_server: ImapMailbox) -> None:
    assert imap_server.mailboxes() == ["INBOX"]
    imap_server.append(outgoing(), when=SENT, mailbox="Archive")
    assert imap_server.mailboxes() == ["Archive", "INBOX"]
    assert (imap_server.count("Archive"), imap_server.count()) == (1, 0)


def test_imap_each_test_has_an_empty_mailbox(imap_server: ImapMailbox, dovecot: Dovecot) -> None:
    assert imap_server.count() == 0 and imap_server.mailboxes() == ["INBOX"]
    assert imap_server.address == f"127.0.0.1:{dovecot.port}"
    assert dovecot.version.startswith("2.3")


def test_imap_append_needs_a_timezone(imap_server: ImapMailbox) -> None:
    with pytest.raises(ValueError, match="timezone"):
        imap_server.append(outgoing(), when=datetime(2024, 6, 12, 9, 0))
    assert imap_server.count() == 0


def test_without_dovecot_the_fixture_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without Dovecot fails the IMAP tests (CI installs it): never a silent skip."""
    monkeypatch.setattr(mail_servers.shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(pytest.fail.Exception, match="apt-get install dovecot-imapd"):
        mail_servers.dovecot_binary()


def test_replies_of_every_kind_survive_the_imap_server(imap_server: ImapMailbox) -> None:
    """What the mail tests will put in the mailbox comes back as the mail programs wrote it."""
    kinds: list[dict[str, object]] = [
        {"filename_style": "rfc2231"},
        {"filename_style": "encoded-word"},
        {"filename_style": "raw-utf8"},
        {"forwarded": "attached", "filename_style": "encoded-word"},
        {"forwarded": "inline", "filename_style": "rfc2231"},
    ]
    for n, kind in enumerate(kinds):
        raw = reply_message(
            sender=f"thon{n}@gmail.com", to="vanphong@xa-thu-nghiem.vn", subject="Re: Biểu mẫu",
            date=SENT, attachments=[(NAME, b"PK\x03\x04%d" % n)], **kind,  # type: ignore[arg-type]
        )  # fmt: skip
        imap_server.append(raw, when=SENT + timedelta(minutes=n))
    read = independent_read(imap_server)
    assert len(read) == len(kinds)
    for n, (_, raw) in enumerate(read):
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        assert attachment_names(message) == [NAME], kinds[n]
        [data] = [p.get_content() for p in message.walk() if p.get_filename()]
        assert data == b"PK\x03\x04%d" % n
    assert imap_server.flags() == [frozenset()] * len(kinds)
