"""Where the messages go: ``.eml`` drafts in the outbox, or an SMTP server.

The default is drafts: one ``.eml`` file a unit, written atomically, with
``X-Unsent: 1`` so that Outlook opens it ready to send (Thunderbird opens it
too). The officer looks at them, and sends them from the mail program they
already use.

With a server (``--smtp HOST:PORT``): port 465, or ``ssl``, is TLS from the first
byte (SMTP_SSL); any other port is plain SMTP that is upgraded by STARTTLS when
the server offers it. A password is never sent over a connection that is not
encrypted: a server that offers no STARTTLS gets no login (a message says what to
do). The certificate is checked against the system's authorities
(``SSL_CERT_FILE`` names another bundle). Every network operation has a
timeout. One connection serves every message; a message the server refuses
fails alone, and a connection lost is opened again for the next. Every failure
is a Vietnamese sentence naming the server and what to do, never a traceback.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from workbook_tools.errors import WorkbookToolsError
from workbook_tools.mail import PASSWORD_VARIABLE, TIMEOUT
from workbook_tools.mail.compose import Outgoing, draft_bytes
from workbook_tools.plan.model import RosterEntry
from workbook_tools.workspace import write_atomic


class MailError(WorkbookToolsError):
    """A mail server could not be used at all (its address, its connection, the login)."""


@dataclass(frozen=True, slots=True)
class Server:
    """A mail server to connect to, and as whom. The password lives only here, in memory."""

    host: str
    port: int
    user: str | None = None
    password: str | None = None
    ssl: bool = False  # TLS from the first byte (port 465 is, whatever this says)
    timeout: float = TIMEOUT

    @property
    def shown(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def implicit_tls(self) -> bool:
        return self.ssl or self.port == 465

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"Server({self.shown!r}, user={self.user!r}, ssl={self.ssl})"


def parse_address(text: str, default_port: int) -> tuple[str, int]:
    """``"smtp.gmail.com:587"``, ``"[::1]:25"`` or ``"mail.xa.vn"`` (``default_port``)."""
    value = text.strip()
    host, port = value, default_port
    if value.startswith("["):  # [IPv6]:port
        inside, _, rest = value[1:].partition("]")
        host = inside
        if rest.startswith(":"):
            port = _port(rest[1:], text)
    elif value.count(":") == 1:
        host, _, number = value.partition(":")
        port = _port(number, text)
    if not host or any(c.isspace() for c in host):
        raise MailError(
            f"Địa chỉ máy chủ thư '{text}' không đúng. Hãy ghi dạng TÊN_MÁY_CHỦ:CỔNG, ví dụ "
            "smtp.gmail.com:587 hoặc imap.gmail.com:993."
        )
    return host, port


def _port(number: str, text: str) -> int:
    if number.isdigit() and 0 < int(number) < 65536:
        return int(number)
    raise MailError(
        f"Cổng '{number}' trong '{text}' không đúng: cổng là một số từ 1 đến 65535, ví dụ "
        "587 (gửi thư), 465 (gửi thư, mã hóa ngay), 993 (IMAP)."
    )


def tls_context() -> ssl.SSLContext:
    """The system's authorities (``SSL_CERT_FILE``, ``SSL_CERT_DIR`` if set), names checked."""
    return ssl.create_default_context()


# --- drafts or SMTP ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    """One unit's message (``wbt send``, ``wbt remind``): sent, written as a draft, or not
    and why (Vietnamese)."""

    entry: RosterEntry
    addresses: tuple[str, ...]
    done: bool
    why: str = ""  # for a message not sent: no address, no form, the server's refusal…
    path: Path | None = None  # the .eml draft written
    what: str = ""  # for a reminder: "chưa nộp", "trễ hạn", "có lỗi"


def dispatch(
    prepared: Sequence[Outgoing], server: Server | None, folder: Path | None = None
) -> list[Delivery]:
    """Each prepared message written as a draft into ``folder`` (no ``server``: run it
    holding the run lock), or sent through ``server``; one :class:`Delivery` each."""
    failed: dict[str, str] = {}
    if server is not None:
        messages = [(o.entry.code, o.message) for o in prepared if o.message is not None]
        failed = deliver(server, messages)
    out: list[Delivery] = []
    for o in prepared:
        entry = o.entry
        if o.message is None:
            out.append(Delivery(entry, entry.addresses, False, o.why, what=o.what))
        elif server is not None:
            reason = failed.get(entry.code, "")
            out.append(Delivery(entry, entry.addresses, not reason, reason, what=o.what))
        else:
            assert folder is not None
            path = folder / o.draft
            write_atomic(path, draft_bytes(o.message), what="thư nháp")
            out.append(Delivery(entry, entry.addresses, True, path=path, what=o.what))
    return out


# --- SMTP -------------------------------------------------------------------------


def deliver(server: Server, messages: Iterable[tuple[str, EmailMessage]]) -> dict[str, str]:
    """Send each ``(unit, message)``; the reason each unit's message was not sent (none:
    sent). One refused message does not stop the others."""
    failed: dict[str, str] = {}
    queue = list(messages)
    smtp: smtplib.SMTP | None = None
    try:
        for n, (unit, message) in enumerate(queue):
            if smtp is None:
                try:
                    smtp = _connect(server)
                except MailError as err:  # nothing more will go: said for each that is left
                    for rest, _ in queue[n:]:
                        failed[rest] = str(err)
                    return failed
            try:
                refused = smtp.send_message(message)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as err:
                failed[unit] = _reason(err, server)
                continue
            except smtplib.SMTPResponseException as err:
                failed[unit] = _reason(err, server)
                if err.smtp_code == 421:  # the server is closing the connection
                    _close(smtp)
                    smtp = None
                continue
            except (smtplib.SMTPException, OSError) as err:  # the connection is gone
                failed[unit] = _reason(err, server)
                _close(smtp)
                smtp = None
                continue
            if refused:
                failed[unit] = _refused(refused)
    finally:
        if smtp is not None:
            _close(smtp)
    return failed


def _connect(server: Server) -> smtplib.SMTP:
    """A connection, encrypted and logged in as ``server`` asks; :class:`MailError` if not."""
    smtp: smtplib.SMTP | None = None
    try:
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout, context=tls_context()
            )
            smtp.ehlo()
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=tls_context())
                smtp.ehlo()
            elif server.user:
                raise MailError(
                    f"Máy chủ thư {server.shown} không hỗ trợ mã hóa kết nối (STARTTLS), nên "
                    "mật khẩu không được gửi đi. Hãy dùng cổng có mã hóa của nhà cung cấp thư "
                    "(thường là 587, hoặc 465 kèm --ssl)."
                )
        if server.user:
            smtp.login(server.user, server.password or "")
        return smtp
    except MailError:
        if smtp is not None:
            _close(smtp)
        raise
    except (smtplib.SMTPException, OSError) as err:
        if smtp is not None:
            _close(smtp)
        raise MailError(_reason(err, server)) from None


def _close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.quit()
    with contextlib.suppress(OSError):
        smtp.close()


def _refused(refused: dict[str, tuple[int, bytes]]) -> str:
    shown = ", ".join(
        f"{address} ({code} {reply_text(reply)})" for address, (code, reply) in refused.items()
    )
    return (
        f"Máy chủ thư không nhận địa chỉ {shown}. Hãy kiểm tra email ở trang Danh sách của kế "
        "hoạch."
    )


def reply_text(reply: object) -> str:
    """A server's reply as text: bytes decoded (not shown as ``b'...'``)."""
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace").strip()
    return str(reply).strip()


def login_refused(server: Server, detail: object = "") -> str:
    """The login refused by ``server`` (SMTP or IMAP), with what the server said."""
    said = reply_text(detail)
    return (
        f"Máy chủ thư {server.shown} không cho đăng nhập với tên {server.user}: sai tên "
        "đăng nhập hoặc mật khẩu" + (f" (máy chủ báo: {said})" if said else "") + ". Hãy "
        f"kiểm tra lại (--user, biến môi trường {PASSWORD_VARIABLE}); với Gmail, Outlook.com "
        "cần dùng mật khẩu ứng dụng (App password), không dùng mật khẩu thường."
    )


def _reason(err: BaseException, server: Server) -> str:
    """Why talking to ``server`` failed, in words the officer can act on."""
    where = f"máy chủ thư {server.shown}"
    if isinstance(err, smtplib.SMTPAuthenticationError):
        return login_refused(server, f"{err.smtp_code} {reply_text(err.smtp_error)}")
    if isinstance(err, smtplib.SMTPNotSupportedError):
        return (
            f"Máy chủ thư {server.shown} không hỗ trợ đăng nhập ({err}). Hãy kiểm "
            "tra cổng (thường là 587, hoặc 465 kèm --ssl) hoặc bỏ --user nếu máy chủ không "
            "cần đăng nhập."
        )
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return _refused(err.recipients)
    if isinstance(err, smtplib.SMTPSenderRefused):
        return (
            f"Máy chủ thư {server.shown} không nhận địa chỉ gửi {err.sender} ({err.smtp_code} "
            f"{reply_text(err.smtp_error)}). Hãy ghi đúng email của xã ở mục sender_email trang "
            "Cài đặt của kế hoạch, trùng với tài khoản đăng nhập."
        )
    if isinstance(err, smtplib.SMTPResponseException):
        return (
            f"Máy chủ thư {server.shown} từ chối thư ({err.smtp_code} "
            f"{reply_text(err.smtp_error)}). Hãy thử lại sau."
        )
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return (
            f"Máy chủ thư {server.shown} ngắt kết nối giữa chừng. Hãy kiểm tra cổng (thường "
            "là 587, hoặc 465 kèm --ssl) và thử lại sau."
        )
    if isinstance(err, smtplib.SMTPException):
        return f"Máy chủ thư {server.shown} báo lỗi: {err}. Hãy thử lại sau."
    return network_reason(err, where, server.timeout, "587, hoặc 465 kèm --ssl")


def network_reason(err: BaseException, where: str, timeout: float, ports: str) -> str:
    """A connection's failure (refused, not found, timed out, TLS) said for ``where``."""
    if isinstance(err, ssl.SSLCertVerificationError):
        return (
            f"Chứng chỉ bảo mật của {where} không hợp lệ ({err.verify_message}). Hãy kiểm tra "
            "tên máy chủ (đúng tên nhà cung cấp thư cho, không dùng địa chỉ IP) và đồng hồ của "
            "máy tính."
        )
    if isinstance(err, ssl.SSLError):
        return (
            f"Không thiết lập được kết nối bảo mật (TLS) với {where} ({err.reason or err}). "
            "Nếu máy chủ dùng mã hóa ngay từ đầu (cổng 465, 993) hãy thêm --ssl; nếu không "
            "thì bỏ --ssl."
        )
    if isinstance(err, ConnectionRefusedError):
        return (
            f"{where[:1].upper()}{where[1:]} không nhận kết nối. Hãy kiểm tra tên máy chủ và "
            f"cổng (thường là {ports}) và kết nối mạng."
        )
    if isinstance(err, socket.gaierror):
        return (
            f"Không tìm thấy {where}: hãy kiểm tra tên máy chủ và kết nối Internet của máy "
            "tính."
        )
    if isinstance(err, TimeoutError):
        return (
            f"{where[:1].upper()}{where[1:]} không trả lời sau {timeout:.0f} giây. Hãy kiểm "
            f"tra kết nối mạng, tên máy chủ và cổng (thường là {ports}), rồi thử lại."
        )
    if isinstance(err, OSError):
        return f"Lỗi kết nối với {where}: {err.strerror or err}. Hãy kiểm tra kết nối mạng."
    return f"Lỗi không lường trước với {where} ({type(err).__name__}: {err})."
