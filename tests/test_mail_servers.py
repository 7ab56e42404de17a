"""The mail tests' servers and replies (tests/mail_servers.py), checked with the standard
library's clients (smtplib, imaplib) and parser (email): what the tool's mail tests rely on.
"""

from __future__ import annotations

import smtplib
import ssl
import unicodedata
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

import pytest

from tests.mail_servers import (
    Certificate,
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
