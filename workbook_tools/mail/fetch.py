"""Replies taken from a mailbox into ``inbox/`` (``wbt fetch``), their arrival from the mail.

Where the mail is read: an mbox file, a folder of ``.eml`` files, or an IMAP mailbox.
IMAP is read only: the mailbox is opened with EXAMINE, messages are read with
``BODY.PEEK[]`` (which sets no \\Seen flag), nothing is ever stored, moved, copied
or deleted, and the session ends with LOGOUT (never CLOSE). Only the mail since
the period began is asked for, and of it only the Message-IDs first: a mail fetched
before is not downloaded again. A connection lost midway stops the run where it is:
each mail's files are recorded in the ledger as soon as they are written, so nothing
taken is lost and the next run goes on (:func:`take`).

Which attachments are taken: a part whose name ends in ``.xlsx``, ``.xlsm``,
``.xls``, ``.ods`` (a form, whatever state it is in), or ``.zip`` (opened here);
a part with no name whose type is a spreadsheet's. Every other named part (a
photo, a PDF, a Word file, a signature ``.p7s``) is listed as skipped, with its
name; unnamed parts (the text, inline images of a signature) are not attachments.
Forwarded messages (``message/rfc822`` parts) are walked like the others. The
commune's own mail (sent from the plan's ``sender_email``, or with a Message-ID the
tool made: ``wbt send``'s drafts, the Sent mail in Gmail's "All Mail" or a Google
Takeout) is no reply: its attachments are listed as skipped (:data:`OWN_MAIL`).

Each attachment is saved into ``inbox/`` in a folder of its mail
(``thu_2024-06-14_0930_t01@xa.vn_1a2b3c``), under a safe name
(:func:`safe_name`): the name mail programs encode (RFC 2231, encoded-words, raw
UTF-8) decoded, NFC, no folder parts, no character or name Windows refuses, never
over an existing file (a suffix is added). Nothing already in ``inbox/`` is
touched. A zip is opened within the safety step's limits
(:mod:`workbook_tools.safety.zipped`: members, sizes, bombs) and its spreadsheets
are saved beside it; a zip refused is said, and nothing of it saved. The files
saved then go through the same first look as any file of the inbox (and here,
:func:`workbook_tools.safety.inspect`, to say at once which are damaged).

Arrival: the mail's ``Date`` (the sender's computer's clock), checked against the
receiving side's stamp: the first (topmost) ``Received`` header, which the
commune's mail provider wrote when the mail reached it, and, from IMAP, the time
the server put it in the mailbox. Mail takes seconds or minutes from the sender's
program to the commune's provider; a ``Date`` more than :data:`DATE_TOLERANCE`
(two hours) before that stamp, or after it, comes from a computer whose clock is
wrong (or a header written by hand) and is not trusted: the stamp is the arrival
then, and a note says so (``mail.date_untrusted``; the officer can still correct it
with ``wbt arrival``). Two hours leave room for a mail program that kept the message
in its outbox a while, a server that delays a first mail (greylisting: minutes),
a clock some minutes off; they do not leave room for a clock set to the wrong day
or time zone (seven hours for Việt Nam). A mail with no ``Received`` header (saved
from a mail program) is taken at its ``Date``.

Each attachment's mail (its Message-ID, sender, time) goes into the ledger
(:class:`~workbook_tools.inbox.ledger.MailArrival`): on time and late follow it
("theo thư điện tử"). The same attachment twice (the same SHA-256, in two mails
or already in the inbox) is saved once; a mail fetched before adds nothing: fetch
again and again, the inbox is the same. An attachment whose sender is not on the
roster is saved and flagged (``inbox.unknown_sender``, shown by status and merge); a
unit whose arrival comes only from such a mail is "cần xác nhận" until the officer
confirms it (``wbt arrival``). A mail that gives no believable time at all (no
readable Date, no server stamp) records none: the file's own time stands, and a note
says so (``mail.no_date``). Every time is moved between zones by
:mod:`workbook_tools.clock`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import imaplib
import mailbox
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

from workbook_tools import problems, safety
from workbook_tools.clock import believable, in_zone, local
from workbook_tools.errors import OutputError
from workbook_tools.inbox.ledger import Ledger, MailArrival
from workbook_tools.inbox.read import plan_zone
from workbook_tools.mail import PASSWORD_VARIABLE, SPREADSHEET_TYPES
from workbook_tools.mail.compose import made_here, sender_address
from workbook_tools.mail.transport import (
    MailError,
    Server,
    login_refused,
    network_reason,
    reply_text,
    tls_context,
)
from workbook_tools.plan.model import Plan
from workbook_tools.problems import Problem
from workbook_tools.safety import zipped
from workbook_tools.safety.findings import DEFAULT_LIMITS, Findings, Refused
from workbook_tools.workspace import write_atomic

#: How far a mail's Date may be from its Received stamps and still be believed.
DATE_TOLERANCE = timedelta(hours=2)
#: The attachments taken, by extension (a zip is opened).
SPREADSHEETS = tuple(SPREADSHEET_TYPES)
TAKEN = (*SPREADSHEETS, ".zip")
#: A part with no name, taken by its type (lower case): the extension it is saved with.
_BY_TYPE = {kind.lower(): extension for extension, kind in SPREADSHEET_TYPES.items()}
#: Why the attachments of the commune's own mail are not taken.
OWN_MAIL = (
    "thư do xã gửi đi, không phải thư trả lời của thôn, đơn vị (nếu là bài nộp xã tự chuyển "
    "tiếp, hãy lưu tệp vào inbox/)"
)
#: Names Windows keeps for devices, whatever the extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)),
             *(f"LPT{n}" for n in range(1, 10))}
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_ENCODED_WORD = re.compile(r"=\?[^?]+\?[BbQq]\?[^?]*\?=")
# Windows refuses a path over 260 characters (older Excel: 218), and the inbox may sit deep
# (C:\Users\<name>\Documents\Xã …\inbox\): what is saved under inbox/ stays within
# MAX_RELATIVE characters: a mail's folder (at most 20 + 30 + 7), a zip's folder (30), a
# name (50 before its extension, up to 10 for it, " (NN)" when taken).
_MAX_STEM = 50  # characters of a saved name before its extension
_MAX_EXTENSION = 10
_MAX_SENDER = 30  # characters of the address in a mail's folder name
_MAX_ZIP_FOLDER = 30
MAX_RELATIVE = 150
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class RawMail:
    """One message as read from a mailbox: its bytes, where it was, and (IMAP) when the
    server put it in the mailbox."""

    data: bytes
    where: str  # "thư số 3 trong hop_thu.mbox", "tra_loi.eml", "INBOX, thư UID 12"
    delivered: datetime | None = None  # aware


@dataclass(frozen=True, slots=True)
class MailTime:
    """When a mail was sent, as far as its headers can be believed."""

    arrived: datetime | None  # aware; None: the mail says nothing
    trusted_date: bool  # its Date header was used
    note: str = ""  # why the Date was not used


@dataclass(slots=True)
class Saved:
    """An attachment saved into the inbox."""

    file: str  # relative to inbox/, with '/'
    message_id: str
    sender: str
    arrived: datetime | None  # naive local time; None: the mail gave none (the file's time)
    known_sender: bool
    problems: list[Problem] = field(default_factory=list)  # the first look's, at once


@dataclass(frozen=True, slots=True)
class Skipped:
    """A part of a mail that was not saved, and why (in Vietnamese)."""

    where: str
    name: str
    why: str


@dataclass(slots=True)
class FetchResult:
    """What one ``wbt fetch`` did."""

    messages: int = 0  # read from the mailbox
    saved: list[Saved] = field(default_factory=list)
    duplicates: list[Skipped] = field(default_factory=list)  # the same content seen before
    skipped: list[Skipped] = field(default_factory=list)  # not a form, or refused
    already: int = 0  # attachments of mail fetched before
    mails_before: int = 0  # mails fetched before, not downloaded again (IMAP)
    problems: list[Problem] = field(default_factory=list)
    stopped: str = ""  # the mailbox could not be read to its end: why (what was taken is kept)


# --- reading mailboxes ------------------------------------------------------------


#: How to get mail the tool can read out of the mail programs villages' replies sit in.
HOW_TO_SAVE = (
    "Hãy dùng --imap để đọc thẳng hộp thư trên máy chủ, hoặc lưu thư dạng .eml: Thunderbird: "
    "kéo thư ra thư mục (hoặc chuột phải > Lưu thành); Outlook trên web và Outlook mới: mở "
    "thư > … > Tải xuống; Outlook cổ điển chỉ lưu được .msg, không đọc được: hãy dùng --imap."
)


def read_mbox(path: Path, notes: list[str] | None = None) -> Iterator[RawMail]:
    """Every message of an mbox file (Thunderbird's folders, Google Takeout), read only.

    A file that is not an mbox (its first line is not ``From …``: an .eml, an Outlook
    .pst or .msg) is said as such; an mbox with no message is said in ``notes``."""
    if not path.is_file():
        raise MailError(f"Không tìm thấy tệp hộp thư {path}. Hãy kiểm tra đường dẫn sau --mbox.")
    try:
        with path.open("rb") as stream:
            start = stream.read(5)
        if start and start != b"From ":
            raise MailError(
                f"Tệp {path} không phải tệp hộp thư dạng mbox (tệp mbox bắt đầu bằng dòng "
                "'From '). Nếu là thư .eml, hãy để vào một thư mục rồi dùng --eml THƯ_MỤC. "
                + HOW_TO_SAVE
            )
        box = mailbox.mbox(path, create=False)
        try:
            n = 0
            for n, key in enumerate(box.iterkeys(), start=1):
                yield RawMail(box.get_bytes(key), f"thư số {n} trong {path.name}")
        finally:
            box.close()
        if n == 0 and notes is not None:
            notes.append(f"Tệp hộp thư {path.name} không có thư nào.")
    except OSError as err:
        raise MailError(
            f"Không đọc được tệp hộp thư {path} ({err.strerror or err}). Hãy đóng chương trình "
            "thư đang mở tệp đó, hoặc chép tệp ra chỗ khác rồi chạy lại."
        ) from None


def read_eml_folder(folder: Path, notes: list[str] | None = None) -> Iterator[RawMail]:
    """Every ``.eml`` file of ``folder`` and its subfolders, in name order.

    Outlook's ``.msg`` files and other files are not mail this reads: counted and said
    (what to do instead) in ``notes``; a folder with no ``.eml`` but such files raises; an
    empty folder is said in ``notes``."""
    if not folder.is_dir():
        raise MailError(
            f"Không tìm thấy thư mục {folder}. Hãy kiểm tra đường dẫn sau --eml (thư mục chứa "
            "các thư đã lưu dạng .eml)."
        )
    files = [p for p in sorted(folder.rglob("*")) if p.is_file()]
    emls = [p for p in files if p.suffix.lower() == ".eml"]
    msgs = sum(1 for p in files if p.suffix.lower() == ".msg")
    others = len(files) - len(emls) - msgs
    if msgs or others:
        found = ", ".join(
            what for what, yes in (
                (f"{msgs} tệp .msg của Outlook", msgs),
                (f"{others} tệp khác", others),
            ) if yes
        )
        said = (
            f"Thư mục {folder} có {found}, không phải thư dạng .eml: không đọc được. "
            + HOW_TO_SAVE
        )
        if not emls:
            raise MailError(said)
        if notes is not None:
            notes.append(said)
    if not files and notes is not None:
        notes.append(f"Thư mục {folder.name or folder} không có thư nào (tệp .eml).")
    for path in emls:
        if path.is_file():
            try:
                data = path.read_bytes()
            except OSError as err:
                raise MailError(
                    f"Không đọc được thư {path} ({err.strerror or err}). Hãy kiểm tra quyền đọc "
                    "tệp rồi chạy lại."
                ) from None
            yield RawMail(data, path.relative_to(folder).as_posix())


#: A mailbox read knowing what was fetched before: given whether a Message-ID was (its
#: mail is then not downloaded again) and a progress callback ``(done, total, where)``.
MailSource = Callable[[Callable[[str], bool], "Callable[[int, int, str], None] | None"],
                      Iterable[RawMail]]
#: Message-IDs asked for in one command.
_IDS_AT_ONCE = 200


def read_imap(
    server: Server,
    box: str,
    since: date | None,
    already: Callable[[str], bool] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Iterator[RawMail]:
    """The messages of the IMAP mailbox ``box`` since ``since``, read only (EXAMINE,
    BODY.PEEK[]: no flag set), with the time the server received each.

    Each message's Message-ID is asked first (``BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]``,
    a few dozen bytes): a mail ``already`` fetched is not downloaded again. ``progress``
    hears of each message downloaded."""
    imap = _imap_connect(server)
    try:
        try:
            status, data = imap.select(_quoted(mailbox_name(box)), readonly=True)  # EXAMINE
            if status != "OK":
                raise MailError(
                    f"Không mở được hộp thư '{box}' trên máy chủ {server.shown} "
                    f"({_said(data)}). Hãy kiểm tra tên hộp thư sau --mailbox (thường là INBOX)."
                )
            criteria = ["SINCE", f"{since.day}-{_MONTHS[since.month - 1]}-{since.year}"] if (
                since is not None
            ) else ["ALL"]
            status, data = imap.uid("SEARCH", *criteria)
            uids = data[0].split() if status == "OK" and data and data[0] else []
            if already is not None and uids:
                ids = _message_ids(imap, uids)
                uids = [u for u in uids if not (ids.get(u) and already(ids[u]))]
            for n, uid in enumerate(uids, start=1):
                number = uid.decode("ascii", "replace")
                status, data = imap.uid("FETCH", number, "(INTERNALDATE BODY.PEEK[])")
                raw, delivered = _fetched(data)
                where = f"{box}, thư UID {number}"
                if progress is not None:
                    progress(n, len(uids), where)
                if status == "OK" and raw is not None:
                    yield RawMail(raw, where, delivered)
        except imaplib.IMAP4.abort as err:  # the connection lost (before IMAP4.error)
            raise MailError(
                f"Mất kết nối với máy chủ thư {server.shown} khi đang đọc hộp thư '{box}' "
                f"(máy chủ báo: {_error_text(err)}). Các thư đã lấy vẫn được giữ; hãy chạy lại "
                "lệnh để lấy tiếp, không mất gì."
            ) from None
        except imaplib.IMAP4.error as err:
            raise MailError(
                f"Máy chủ thư {server.shown} từ chối một lệnh đọc hộp thư '{box}' (máy chủ "
                f"báo: {_error_text(err)}). Các thư đã lấy vẫn được giữ; hãy chạy lại lệnh sau ít "
                "phút."
            ) from None
        except OSError as err:
            where = f"máy chủ thư {server.shown}"
            raise MailError(
                network_reason(err, where, server.timeout, "993, hoặc 143")
                + " Các thư đã lấy vẫn được giữ; chạy lại lệnh sẽ lấy tiếp."
            ) from None
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            imap.logout()  # never CLOSE: nothing is expunged


_UID = re.compile(rb"UID (\d+)")


def _message_ids(imap: imaplib.IMAP4, uids: Sequence[bytes]) -> dict[bytes, str]:
    """Each message's Message-ID (as :func:`message_id` reads it), by UID."""
    found: dict[bytes, str] = {}
    for start in range(0, len(uids), _IDS_AT_ONCE):
        chosen = b",".join(uids[start : start + _IDS_AT_ONCE]).decode("ascii")
        status, data = imap.uid("FETCH", chosen, "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        if status != "OK":
            continue
        for item in data:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes)):
                continue
            uid = _UID.search(item[0]) if isinstance(item[0], bytes) else None
            if uid is None:
                continue
            head = BytesParser(policy=policy.default).parsebytes(item[1], headersonly=True)
            ident = _header(head, "Message-ID").strip()
            if ident:
                found[uid[1]] = ident
    return found


def _imap_connect(server: Server) -> imaplib.IMAP4:
    where = f"máy chủ thư {server.shown}"
    imap: imaplib.IMAP4 | None = None
    try:
        if server.implicit_tls or server.port == 993:
            imap = imaplib.IMAP4_SSL(
                server.host, server.port, ssl_context=tls_context(), timeout=server.timeout
            )
        else:
            imap = imaplib.IMAP4(server.host, server.port, timeout=server.timeout)
            if "STARTTLS" in imap.capabilities:
                _starttls(imap, server)
            elif server.user:  # no login in clear, whatever the password (even none)
                raise MailError(
                    f"Máy chủ thư {server.shown} không hỗ trợ mã hóa kết nối (STARTTLS), nên "
                    "mật khẩu không được gửi đi. Hãy dùng cổng IMAP có mã hóa (thường là 993)."
                )
        if server.user:
            try:
                _login(imap, server)
            except imaplib.IMAP4.abort:
                raise
            except imaplib.IMAP4.error as err:
                raise MailError(login_refused(server, _error_text(err))) from None
        return imap
    except MailError:
        _logout(imap)
        raise
    except imaplib.IMAP4.abort as err:  # the connection lost (before IMAP4.error)
        _logout(imap)
        raise MailError(
            f"Máy chủ thư {server.shown} ngắt kết nối khi đang đăng nhập (máy chủ báo: "
            f"{_error_text(err)}). Hãy chạy lại lệnh sau ít phút; nếu vẫn lỗi, hãy kiểm tra "
            "cổng (thường là 993) và --ssl."
        ) from None
    except imaplib.IMAP4.error as err:  # before any login: the greeting, CAPABILITY
        _logout(imap)
        raise MailError(
            f"Máy chủ thư {server.shown} trả lời không đúng cách của máy chủ IMAP (máy chủ "
            f"báo: {_error_text(err)}). Hãy kiểm tra cổng (thường là 993, hoặc 143) và --ssl."
        ) from None
    except OSError as err:
        _logout(imap)
        raise MailError(network_reason(err, where, server.timeout, "993, hoặc 143")) from None


def _starttls(imap: imaplib.IMAP4, server: Server) -> None:
    """The connection encrypted (STARTTLS); a server that offers it and then refuses it
    is said as such (no login is tried)."""
    try:
        imap.starttls(ssl_context=tls_context())
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error:  # imaplib's own words, not the server's: not shown
        raise MailError(
            f"Máy chủ thư {server.shown} nhận lời mã hóa kết nối (STARTTLS) rồi lại từ chối, "
            "nên mật khẩu không được gửi đi. Hãy dùng cổng IMAP mã hóa ngay từ đầu (thường là "
            "993, kèm --ssl) hoặc thử lại sau."
        ) from None


def _login(imap: imaplib.IMAP4, server: Server) -> None:
    """LOGIN (ASCII only, as imaplib sends it), or, for a name or password with Vietnamese
    letters, AUTHENTICATE PLAIN with them in UTF-8 (RFC 4616) where the server offers it."""
    user, password = server.user or "", server.password or ""
    if user.isascii() and password.isascii():
        imap.login(user, password)
        return
    if "AUTH=PLAIN" not in imap.capabilities:
        raise MailError(
            f"Tên đăng nhập hoặc mật khẩu của {user} có chữ có dấu hoặc ký tự đặc biệt, mà "
            f"máy chủ thư {server.shown} không nhận cách đăng nhập dùng được chữ có dấu. Hãy "
            f"kiểm tra lại tên đăng nhập (--user) và mật khẩu (biến môi trường {PASSWORD_VARIABLE}"
            "), hoặc đổi mật khẩu thư sang chữ không dấu."
        )
    payload = f"\0{user}\0{password}".encode()
    imap.authenticate("PLAIN", lambda _challenge: payload)


def mailbox_name(name: str) -> str:
    """An IMAP mailbox name in modified UTF-7 (RFC 3501 §5.1.3), as servers keep names with
    Vietnamese letters ("Hộp thư đến" → ``H&Htk-p th&AbA- &AREevw-n``).

    The standard library has no such codec (Python 3.11's :mod:`imaplib` sends names as
    ASCII and fails on any other letter; its ``utf-7`` codec is RFC 2152's, whose ``+``,
    ``/`` and optional runs differ): printable ASCII but ``&`` stays, ``&`` is ``&-``,
    every other run is UTF-16BE in base64 with ``,`` for ``/``, no padding, between
    ``&`` and ``-``.
    """
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            data = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=")
                       .replace("/", ",") + "-")  # fmt: skip
            run.clear()

    for ch in unicodedata.normalize("NFC", name):
        if "\x20" <= ch <= "\x7e":
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def _logout(imap: imaplib.IMAP4 | None) -> None:
    if imap is not None:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            imap.logout()


def _quoted(box: str) -> str:
    return '"' + box.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _said(data: object) -> str:
    return reply_text(data[0] if isinstance(data, list) and data else data)


def _error_text(err: imaplib.IMAP4.error) -> str:
    """What the server said, as imaplib keeps it (often bytes), as text."""
    return reply_text(err.args[0] if err.args else err)


_INTERNALDATE = re.compile(
    rb'INTERNALDATE "\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) '
    rb'(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})"'
)


def _fetched(data: Sequence[object]) -> tuple[bytes | None, datetime | None]:
    """The message's bytes and its INTERNALDATE, from a UID FETCH response."""
    raw: bytes | None = None
    delivered: datetime | None = None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            raw = item[1]
            head = item[0] if isinstance(item[0], bytes) else b""
        elif isinstance(item, bytes):
            head = item
        else:
            continue
        found = _INTERNALDATE.search(head)
        if found is not None:
            day, month, year, hour, minute, second, sign, oh, om = found.groups()
            with contextlib.suppress(ValueError):
                offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == b"-" else 1)
                delivered = datetime(
                    int(year),
                    _MONTHS.index(month.decode().title()) + 1,
                    int(day),
                    int(hour),
                    int(minute),
                    int(second),
                    tzinfo=UTC,
                ) - offset
                if not believable(delivered):
                    delivered = None
    return raw, delivered


# --- one mail ---------------------------------------------------------------------


def mail_time(
    message: Message, delivered: datetime | None = None, zone: tzinfo | None = None
) -> MailTime:
    """When ``message`` was sent: its Date if the receiving side's stamp bears it out, else
    that stamp (see the module's note).

    The receiving side's stamp: the topmost ``Received`` header (the last server the mail
    went through, the commune's provider: the sender cannot write it) and, from IMAP,
    ``delivered``, the time the mail was put in the mailbox; the earlier of them.
    """
    stamps = []
    headers = _all(message, "Received")
    if headers:
        top = _received_time(headers[0])
        if top is not None:
            stamps.append(top)
    if delivered is not None:
        stamps.append(delivered)
    written = _header(message, "Date")
    sent = _date(written)
    if not stamps:
        return MailTime(sent, sent is not None)
    stamp = min(stamps)
    if sent is None:
        if written.strip():
            return MailTime(
                stamp, False, f"ngày gửi ghi trong thư ({written.strip()[:40]}) không đọc được"
            )
        return MailTime(stamp, False, "thư không ghi ngày gửi")
    if sent < stamp - DATE_TOLERANCE:
        return MailTime(
            stamp,
            False,
            f"ngày gửi ghi trong thư ({_shown(sent, zone)}) sớm hơn nhiều so với lúc máy chủ "
            f"thư của xã nhận thư ({_shown(stamp, zone)}): có thể đồng hồ máy gửi đặt sai",
        )
    if sent > stamp + DATE_TOLERANCE:
        return MailTime(
            stamp,
            False,
            f"ngày gửi ghi trong thư ({_shown(sent, zone)}) muộn hơn lúc máy chủ thư của xã "
            f"nhận thư ({_shown(stamp, zone)}): có thể đồng hồ máy gửi đặt sai",
        )
    return MailTime(sent, True)


def _shown(moment: datetime, zone: tzinfo | None = None) -> str:
    """An aware time as the officer reads it: in the plan's time zone when given."""
    return f"{in_zone(moment, zone):%d/%m/%Y %H:%M}"


def _all(message: Message, name: str) -> list[str]:
    try:
        return [str(v) for v in message.get_all(name, [])]
    except Exception:  # a header the parser cannot make sense of
        return []


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot make sense of
        return ""
    return "" if value is None else str(value)


def _date(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000": the time is UTC, the zone unknown.
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return moment if believable(moment) else None  # year 0001, 9999: no date


def _received_time(header: str) -> datetime | None:
    """The stamp a server put at the end of its Received header ("…; Fri, 14 Jun 2024 …")."""
    _, semicolon, stamp = header.rpartition(";")
    return _date(stamp) if semicolon else None


def message_id(message: Message, data: bytes) -> str:
    """The mail's Message-ID; a mail without one is known by its bytes' hash."""
    found = _header(message, "Message-ID").strip()
    return found or f"<sha256-{hashlib.sha256(data).hexdigest()}@wbt>"


def sender_of(message: Message) -> str:
    """The From address, lower case ('' if none)."""
    return parseaddr(_header(message, "From"))[1].strip().lower()


def attachments(message: Message) -> tuple[list[tuple[str, bytes]], list[tuple[str, str]]]:
    """The parts taken (name, bytes) and the named parts skipped (name, why), forwarded
    messages included."""
    taken: list[tuple[str, bytes]] = []
    skipped: list[tuple[str, str]] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part_name(part)
        kind = part.get_content_type().lower()
        if not name:
            extension = _BY_TYPE.get(kind)
            if extension is None:
                continue  # the text, an inline image: not an attachment
            name = f"tep_dinh_kem{extension}"
        if not name.lower().endswith(TAKEN):
            skipped.append((name, "không phải bảng tính (chỉ lấy tệp .xlsx, .xls, .ods, .zip)"))
            continue
        try:
            content = part.get_payload(decode=True)
        except Exception:  # a payload the parser cannot decode
            content = None
        if not isinstance(content, bytes) or not content:
            skipped.append((name, "tệp đính kèm rỗng hoặc hỏng, không giải mã được"))
            continue
        taken.append((name, content))
    return taken, skipped


def part_name(part: Message) -> str:
    """A part's file name as the sender's program meant it: RFC 2231 and encoded-words
    decoded (also where the standard does not put them, as Outlook does), raw UTF-8
    bytes read as UTF-8 (else Windows' Vietnamese code page), NFC."""
    try:
        name = part.get_filename() or part.get_param("name", header="content-type") or ""
    except Exception:  # a parameter the parser cannot make sense of
        return ""
    if isinstance(name, tuple):  # an RFC 2231 triple the parser left undecoded
        name = str(name[2])
    name = str(name)
    if _ENCODED_WORD.search(name):
        with contextlib.suppress(Exception):
            name = str(make_header(decode_header(name)))
    if any("\udc80" <= ch <= "\udcff" for ch in name):
        raw = name.encode("utf-8", "surrogateescape")
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            name = raw.decode("cp1258", "replace")
    return unicodedata.normalize("NFC", name).strip()


def safe_name(name: str, default: str = "tep_dinh_kem") -> str:
    """``name`` fit to save on any computer: its last part only (no folder), no control
    character, none Windows refuses (``<>:"/\\|?*``), no trailing dot or space, not a
    device name (CON, NUL, COM1…), not hidden, at most 50 characters before its
    extension (of at most 10, split off first: ``.xlsx`` alone is ``tep_dinh_kem.xlsx``);
    NFC."""
    text = unicodedata.normalize("NFC", name).replace("\\", "/")
    text = text.rsplit("/", 1)[-1]
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
                   for ch in text)
    text = _FORBIDDEN.sub("_", text)
    text = " ".join(text.split())
    # The extension split off first: ".xlsx" is a name with no stem, not "xlsx".
    stem, dot, extension = text.rpartition(".")
    if not dot or not extension or " " in extension or len(extension) > _MAX_EXTENSION:
        stem, extension = text, ""
    stem = stem.strip(" .")[:_MAX_STEM].rstrip(" .")
    if not stem:
        stem = default
    if stem.split(".")[0].upper() in _RESERVED:
        stem = f"_{stem}"
    return f"{stem}.{extension}" if extension else stem


def unique_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name (2).xlsx``, ``(3)``… where a file (any case) is there."""
    taken = {p.name.casefold() for p in folder.iterdir()} if folder.is_dir() else set()
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem} ({n}){dot}{extension}"
    return folder / candidate


#: What the safety step finds in a zip that is damaged, not dangerous: said as a damaged
#: zip (ask the sender again), not with a spreadsheet's advice.
_DAMAGED = {"file.truncated": "thiếu phần cuối", "file.corrupt": "cấu trúc hỏng"}


def unzip(
    name: str, data: bytes, where: str = ""
) -> tuple[list[tuple[str, bytes]], list[tuple[str, str]], list[Problem]]:
    """The spreadsheets in a zip attachment, opened within the safety step's limits;
    the other members skipped; a zip refused (a bomb, too many members) is said as the
    safety step says it, a damaged one as such (``mail.zip_damaged``), and nothing of it
    is taken."""
    report = Findings(name, ".zip")
    taken: list[tuple[str, bytes]] = []
    skipped: list[tuple[str, str]] = []
    try:
        listed = zipped.members(data, DEFAULT_LIMITS, report)
        inflater = zipped.Inflater(data, DEFAULT_LIMITS, report)
        for member in listed:
            if member.is_dir:
                continue
            member_name = _zip_name(member.name, member.flags)
            inner = f"{name}/{member_name}"
            if not member_name.lower().endswith(SPREADSHEETS):
                skipped.append((inner, "không phải bảng tính"))
                inflater.inflate(member, keep=False)  # counted against the limits all the same
                continue
            taken.append((member_name, inflater.inflate(member, keep=True)))
    except Refused:
        return [], [], [
            problems.make("mail.zip_damaged", file=name, where=where, reason=_DAMAGED[p.code])
            if p.code in _DAMAGED else p
            for p in report.problems
        ]
    except Exception:  # a zip too broken for the reader
        return [], [], [
            problems.make("mail.zip_damaged", file=name, where=where, reason="cấu trúc hỏng")
        ]
    return taken, skipped, report.problems


def _zip_name(name: str, flags: int) -> str:
    """A zip member's name: one not marked UTF-8 (flag 0x800) was read as code page 437;
    Windows' "Send to > Compressed folder" writes UTF-8 bytes or the computer's code page
    (Vietnamese: 1258) unmarked, so those are tried first."""
    if flags & 0x800 or name.isascii():
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for codec in ("utf-8", "cp1258"):
        try:
            return unicodedata.normalize("NFC", raw.decode(codec))
        except UnicodeDecodeError:
            continue
    return name


# --- taking a mailbox into the inbox ----------------------------------------------


def take(
    plan: Plan,
    mails: Iterable[RawMail] | MailSource,
    inbox: Path,
    ledger: Ledger,
    now: datetime,
    since: date | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> FetchResult:
    """Save the attachments of ``mails`` into ``inbox`` and record their mail in ``ledger``.

    ``mails``: the mail, or a :data:`MailSource` (IMAP) told which mails ``ledger`` has
    taken whole before (not downloaded again: counted in :attr:`FetchResult.mails_before`)
    and given ``progress``. ``since``: mail sent before this day (the period's start) is
    passed over. Run it holding the run lock. A mail that cannot be parsed is said, and
    the others are taken.

    Each mail's files are recorded in the ledger (committed) as soon as they are written:
    a run stopped later (the connection lost, Ctrl-C, a crash) keeps them recorded, and
    the next run adds nothing for them. A mailbox that cannot be read to its end (the
    connection lost midway) stops the run there: what was taken is kept, and
    :attr:`FetchResult.stopped` says why. One that cannot be read at all (no such file,
    no connection, the login refused) raises :class:`MailError`.
    """
    result = FetchResult()
    known = {a.casefold() for e in plan.roster for a in e.addresses}
    own = sender_address(plan).strip().casefold()
    zone = plan_zone(plan)
    seen: dict[str, str] = {}  # sha256 -> the file saved for it in this run

    def fetched_before(ident: str) -> bool:
        if ledger.has_mail(ident):
            result.mails_before += 1
            return True
        return False

    reading = iter(mails(fetched_before, progress) if callable(mails) else mails)
    while True:
        try:
            raw = next(reading)
        except StopIteration:
            break
        except MailError as err:
            if result.messages == 0:
                raise
            result.stopped = str(err)
            break
        result.messages += 1
        try:
            message = BytesParser(policy=policy.default).parsebytes(raw.data)
        except Exception:  # the parser gives up only on the worst
            result.problems.append(
                problems.make(
                    "mail.unreadable", where=raw.where, reason="cấu trúc thư không đọc được"
                )
            )
            continue
        try:
            _take_one(raw, message, inbox, ledger, now, since, zone, known, own, seen, result)
        finally:
            ledger.save()  # this mail's files recorded, whatever comes next
    return result


def _take_one(
    raw: RawMail,
    message: EmailMessage,
    inbox: Path,
    ledger: Ledger,
    now: datetime,
    since: date | None,
    zone: tzinfo,
    known: set[str],
    own: str,
    seen: dict[str, str],
    result: FetchResult,
) -> None:
    ident = message_id(message, raw.data)
    sender = sender_of(message)
    if (own and sender == own) or made_here(ident):
        # The commune's own mail (Gmail's "All Mail", a Takeout, the outbox's drafts): the
        # forms and feedback copies it sent are no unit's reply.
        where = f"{raw.where} (từ {sender or 'xã'})"
        found, skipped = attachments(message)
        result.skipped.extend(
            Skipped(where, name, OWN_MAIL) for name in [*(n for n, _ in found),
                                                        *(n for n, _ in skipped)]
        )
        ledger.record_mail(MailArrival(ident, "", None, sender, "", now))
        return
    when = mail_time(message, raw.delivered, zone)
    # No time from the mail: none recorded as the mail's (the file's own time stands).
    arrived = min(local(when.arrived), now) if when.arrived is not None else None
    if since is not None and arrived is not None and arrived.date() < since:
        return  # before the period began: not a reply to its forms
    found, skipped = attachments(message)
    where = f"{raw.where} (từ {sender or 'không rõ người gửi'})"
    files: list[tuple[str, bytes]] = []
    for name, content in found:
        if name.lower().endswith(".zip"):
            zip_name = safe_name(name)
            inner, inner_skipped, refused = unzip(zip_name, content, where)
            folder_name = safe_name(Path(zip_name).stem[:_MAX_ZIP_FOLDER])  # already safe
            files.extend((f"{folder_name}/{safe_name(n)}", c) for n, c in inner)
            skipped.extend(inner_skipped)
            result.problems.extend(refused)  # said once, not also as skipped
        else:
            files.append((safe_name(name), content))
    result.skipped.extend(Skipped(where, name, why) for name, why in skipped)
    if files and when.arrived is None:
        result.problems.append(
            problems.make("mail.no_date", where=where, used=f"{in_zone(now, zone):%d/%m/%Y %H:%M}")
        )
    if files and not when.trusted_date and when.note and when.arrived is not None:
        result.problems.append(
            problems.make(
                "mail.date_untrusted",
                where=where,
                reason=when.note,
                used=_shown(when.arrived, zone),
            )
        )
    folder: Path | None = None
    whole = True  # every file of the mail saved (or known): the mail need not be read again
    for name, content in files:
        sha = hashlib.sha256(content).hexdigest()
        if ledger.fetched(ident, sha):
            result.already += 1
            continue
        existing = seen.get(sha) or _known_file(ledger, sha)
        if existing is not None:
            ledger.record_mail(MailArrival(ident, sha, arrived, sender, existing, now))
            result.duplicates.append(Skipped(where, name, f"giống hệt tệp {existing}"))
            continue
        if folder is None:
            # Named in the plan's time zone, as the officer reads the mail's time.
            stamp = in_zone(when.arrived if when.arrived is not None else now, zone)
            folder = inbox / mail_folder(stamp, sender, ident)
        inside, _, base = name.rpartition("/")  # a zip's member: in a folder named after it
        path = unique_path(folder / inside if inside else folder, base)
        try:
            write_atomic(path, content, what="tệp đính kèm")
        except OutputError as err:  # this one is not saved (nor recorded): the next run tries
            result.problems.append(problems.make("mail.not_saved", where=where, reason=str(err)))
            whole = False
            continue
        relative = path.relative_to(inbox).as_posix()
        seen[sha] = relative
        ledger.record_mail(MailArrival(ident, sha, arrived, sender, relative, now))
        saved = Saved(relative, ident, sender, arrived, sender.casefold() in known)
        with contextlib.suppress(Exception):  # the status will look again anyway
            inspection = safety.inspect(path, name=relative)
            saved.problems.extend(
                p for p in inspection.problems if p.severity is problems.Severity.ERROR
            )
        result.saved.append(saved)
    if whole:  # taken whole: an IMAP fetch need not download it again (Ledger.has_mail)
        ledger.record_mail(MailArrival(ident, "", None, sender, "", now))


def _known_file(ledger: Ledger, sha: str) -> str | None:
    """The inbox file already holding the content ``sha``, as the ledger knows it."""
    mail = ledger.mail_of(sha)
    if mail is not None:
        return mail.file
    seen = ledger.lookup(sha)
    return seen.file if seen is not None else None


def mail_folder(arrived: datetime, sender: str, ident: str) -> str:
    """The inbox folder of one mail: ``thu_2024-06-14_0930_t01@xa.vn_1a2b3c``."""
    tag = hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:6]
    # At most 30 characters of the address: Windows' paths end at 260 (MAX_RELATIVE).
    who = safe_name((sender or "khong-ro-nguoi-gui")[:_MAX_SENDER], default="khong-ro-nguoi-gui")
    return safe_name(f"thu_{arrived:%Y-%m-%d_%H%M}_{who}_{tag}")

