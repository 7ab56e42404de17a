"""The messages the commune sends: a form to fill (``wbt send``), a reminder (``wbt remind``).

Plain data in, an :class:`~email.message.EmailMessage` out; nothing here touches the
network or the disk. Subjects and bodies are Vietnamese, in the officer's words,
and say the deadline and how to reply: answer this mail with the filled form
attached, its name unchanged. Attachments' names are encoded as mail programs
expect (RFC 2231 for names with accents). A message is dated now and has its own
Message-ID, so a reply's ``In-Reply-To`` names it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime, make_msgid
from pathlib import Path

from workbook_tools.clock import in_zone
from workbook_tools.deadline import days_left_text
from workbook_tools.errors import WorkspaceError
from workbook_tools.inbox.lock import REVIEW_LABELS, ReviewState, review_state
from workbook_tools.inbox.model import EntryStatus
from workbook_tools.mail import SPREADSHEET_TYPES
from workbook_tools.plan.model import Period, Plan, RosterEntry
from workbook_tools.problems import Problem, Severity

#: The tag of the Message-IDs the tool makes (:func:`email.utils.make_msgid`'s idstring):
#: ``<time.pid.random.wbt@domain>``.
_ID_TAG = "wbt"
_OWN_ID = re.compile(rf"<\d+\.\d+\.\d+\.{_ID_TAG}@[^>]*>$")
#: The messages' policy: headers folded only past 998 characters (RFC 5322's limit), not at
#: 78. Python 3.11 folding a long header of encoded words (a Vietnamese subject) at 78 drops
#: the space between two of them ("6 thángđầu năm"); unfolded, each header is one line.
#: ``smtplib``'s ``send_message`` writes a message by its own policy: this one.
MESSAGE_POLICY = default.clone(max_line_length=998)
#: The same, with CRLF lines: the ``.eml`` drafts.
DRAFT_POLICY = SMTP.clone(max_line_length=998)
#: The most problems a reminder lists one by one; the feedback copy has them all.
PROBLEMS_LISTED = 15


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to attach: its bytes and the name the recipient sees."""

    name: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a unit stands, for its reminder: what is missing, late or wrong."""

    received: bool
    late: bool
    first_arrival: datetime | None  # in the plan's time, as shown
    errors: Sequence[str]  # the error messages of its file, in the officer's words
    file: str | None = None  # the file used
    #: Late by its time, but its form says it was made before the deadline: the unit is
    #: asked when it sent it (not told it was late).
    to_confirm: bool = False
    #: The officer returned its file for correction (``wbt review --return``): the reason.
    returned: str | None = None

    @property
    def needs_reminder(self) -> bool:
        """Missing, late, to confirm, returned or with errors: a unit to write to."""
        return (
            not self.received
            or self.late
            or self.to_confirm
            or self.returned is not None
            or bool(self.errors)
        )

    @property
    def reasons(self) -> list[tuple[str, str]]:
        """Why it is reminded, each reason in short (the officer's list) and as a
        reminder's subject says it: ("trễ hạn", "nộp trễ hạn")."""
        returned = REVIEW_LABELS[ReviewState.RETURNED]
        return [
            words
            for words, yes in (
                (("chưa nộp", "chưa nộp"), not self.received),
                (("trễ hạn", "nộp trễ hạn"), self.late),
                (("cần xác nhận ngày gửi", "cần xác nhận ngày gửi"), self.to_confirm),
                ((returned, returned), self.returned is not None),
                (("có lỗi", "có lỗi cần sửa"), bool(self.errors)),
            )
            if yes
        ]

    @property
    def summary(self) -> str:
        """Why it is reminded, in the officer's words: "trễ hạn, có lỗi"."""
        return ", ".join(short for short, _ in self.reasons)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One unit's message as prepared (``wbt send``, ``wbt remind``), or why there is none."""

    entry: RosterEntry
    message: EmailMessage | None
    draft: str  # the .eml draft's name: its form's, clash-free over the roster
    why: str = ""  # no message: why (no address, no form), in the officer's words
    what: str = ""  # a reminder: why it is reminded ("trễ hạn, có lỗi")


def draft_name(form_name: str) -> str:
    """A unit's draft: its form's name (made clash-free over the roster), as ``.eml``."""
    return Path(form_name).with_suffix(".eml").name


def sender_for(plan: Plan, user: str | None, *, sending: bool) -> str:
    """The commune's address (:func:`sender_address`); sending through a server, there must
    be one (:class:`WorkspaceError` says where to write it)."""
    sender = sender_address(plan, user)
    if sending and not sender:
        raise WorkspaceError(
            "Chưa biết địa chỉ gửi thư: hãy ghi email của xã vào mục sender_email ở trang Cài "
            "đặt của kế hoạch, hoặc ghi --user là địa chỉ email dùng để gửi."
        )
    return sender


def no_address(entry: RosterEntry) -> str:
    """Why ``entry`` gets no message: its roster email missing or not an address."""
    if entry.email.strip():
        return (
            f"email '{entry.email}' ở trang Danh sách của kế hoạch không đúng dạng địa chỉ thư"
        )
    return "chưa có email ở trang Danh sách của kế hoạch"


def standing_of(row: EntryStatus, found: Sequence[Problem], zone: tzinfo) -> Standing:
    """Where ``row``'s unit stands for its reminder: ``found``, the period's problems (the
    errors of the file used are kept); its first arrival shown in ``zone``."""
    used = row.used
    errors = (
        [
            p.message
            for p in found
            if p.unit == row.entry.code and p.severity is Severity.ERROR and p.file == used.file
        ]
        if used is not None
        else []
    )
    # Late by its time but made before the deadline by its form: "Cần xác nhận", asked
    # when it was sent, not told it was late.
    to_confirm = row.received and row.needs_confirmation
    returned = (
        row.review.reason
        if used is not None
        and row.review is not None
        and review_state(row.review) is ReviewState.RETURNED
        else None
    )
    return Standing(
        received=row.received,
        late=row.received and row.on_time is False and not to_confirm,
        first_arrival=in_zone(row.first_arrival, zone) if row.first_arrival else None,
        errors=errors,
        file=used.file if used is not None else None,
        to_confirm=to_confirm,
        returned=returned,
    )


def reminder_attachment(
    row: EntryStatus, standing: Standing, copies: Mapping[str, Path], blank_form: Path
) -> Path | None:
    """What a reminder carries: the feedback copy of the file used (errors, returned; from
    ``copies``, by file), or the blank form for a report missing; None when there is none."""
    if row.used is not None and (standing.errors or standing.returned is not None):
        copy = copies.get(row.used.file)
        return copy if copy is not None and copy.is_file() else None
    if not row.received and blank_form.is_file():
        return blank_form
    return None


def made_here(message_id: str) -> bool:
    """Whether ``message_id`` is one :func:`form_message` or :func:`reminder_message` made
    (``<1718260000.123.456.wbt@xa.vn>``): the commune's own mail, not a reply."""
    return _OWN_ID.match(message_id.strip()) is not None


def sender_address(plan: Plan, user: str | None = None) -> str:
    """The commune's address: the plan's ``sender_email``, else the mail user if it is one."""
    if plan.settings.sender_email:
        return plan.settings.sender_email
    return user if user and "@" in user else ""


def form_message(
    plan: Plan,
    period: Period,
    entry: RosterEntry,
    form: Attachment,
    *,
    sender: str,
    now: datetime,
) -> EmailMessage:
    """The form of ``entry`` for ``period``, attached, with how and by when to return it."""
    s = plan.settings
    deadline = f"{period.unit_deadline:%d/%m/%Y}"
    subject = f"[UBND xã {s.commune}] Biểu mẫu {period.name} – {entry.name} (hạn nộp {deadline})"
    body = "\n".join(
        [
            f"Kính gửi: {_addressee(entry)},",
            "",
            f"Ủy ban nhân dân xã {s.commune} gửi {entry.name} biểu mẫu {period.name} theo "
            f"{s.plan_title} (tệp đính kèm {form.name}).",
            "",
            f"Đề nghị {entry.name} điền biểu mẫu và gửi lại chậm nhất ngày {deadline}.",
            "",
            "Cách gửi lại:",
            "1. Lưu tệp đính kèm về máy, mở bằng Excel (hoặc WPS, LibreOffice); nếu Excel hỏi "
            'thì bấm "Enable Editing" (Cho phép sửa).',
            "2. Điền vào các ô tô màu, rồi lưu lại (Ctrl+S), giữ dạng .xlsx.",
            "3. Giữ nguyên tên tệp; không đổi tên trang, không chèn hay xóa dòng, cột.",
            "4. Trả lời thư này (bấm Trả lời / Reply) và đính kèm tệp đã điền. Không cần nén "
            "tệp, không gửi ảnh chụp.",
            "5. Cần sửa sau khi đã gửi thì gửi lại cả tệp đã sửa: bản gửi sau được dùng, ngày "
            "gửi bản đầu vẫn được tính để xét đúng hạn.",
            "",
            "Ngày gửi thư trả lời được ghi là ngày nộp báo cáo.",
            *_contact(sender),
            "",
            "Trân trọng,",
            f"Ủy ban nhân dân xã {s.commune}",
        ]
    )
    return _message(subject, body, entry, [form], sender=sender, now=now)


def reminder_message(
    plan: Plan,
    period: Period,
    entry: RosterEntry,
    standing: Standing,
    attachments: Sequence[Attachment],
    *,
    sender: str,
    now: datetime,
    today: date,
) -> EmailMessage:
    """A reminder to ``entry``: its report missing, late or with errors, said plainly;
    ``attachments``: its feedback copy (errors) or its blank form (missing)."""
    s = plan.settings
    deadline = f"{period.unit_deadline:%d/%m/%Y}"
    when = days_left_text(period.unit_deadline, today)
    lines = [f"Kính gửi: {_addressee(entry)},", ""]
    if not standing.received:
        subject = f"[UBND xã {s.commune}] Nhắc nộp {period.name} – {entry.name}"
        lines += [
            f"Đến ngày {today:%d/%m/%Y}, Ủy ban nhân dân xã {s.commune} chưa nhận được "
            f"{period.name} của {entry.name}. Hạn nộp là ngày {deadline} ({when}).",
            "",
            f"Đề nghị {entry.name} điền biểu mẫu và gửi lại sớm bằng cách trả lời thư này, "
            "đính kèm tệp đã điền (giữ nguyên tên tệp)."
            + (" Biểu mẫu được gửi kèm lại thư này." if attachments else ""),
            "Nếu đã gửi rồi, xin trả lời thư này và đính kèm lại tệp đã gửi.",
        ]
    else:
        said = " và ".join(words for _, words in standing.reasons)  # received: never "chưa nộp"
        subject = f"[UBND xã {s.commune}] {period.name} – {entry.name}: {said}"
        if standing.late and standing.first_arrival is not None:
            lines += [
                f"Báo cáo {period.name} của {entry.name} được nhận ngày "
                f"{standing.first_arrival:%d/%m/%Y}, sau hạn nộp {deadline}, nên được ghi là "
                "nộp trễ hạn. Nếu đã gửi đúng hạn bằng cách khác (Zalo, bản giấy…), xin trả lời "
                "thư này nói rõ ngày gửi để cán bộ xã ghi lại.",
                "",
            ]
        if standing.to_confirm:
            arrived = (
                f" được nhận ngày {standing.first_arrival:%d/%m/%Y}, sau hạn nộp {deadline},"
                if standing.first_arrival is not None
                else f" được nhận sau hạn nộp {deadline},"
            )
            lines += [
                f"Báo cáo {period.name} của {entry.name}{arrived} nhưng ngày báo cáo ghi "
                "trên biểu mẫu là trước hạn. Để ghi đúng ngày nộp, đề nghị "
                f"{entry.name} trả lời thư này cho biết đã gửi báo cáo ngày nào, bằng cách nào "
                "(thư điện tử, Zalo, bản giấy…), kèm ảnh chụp tin nhắn hoặc thư đã gửi nếu có.",
                "",
            ]
        if standing.returned is not None:
            lines += [
                f"Cán bộ xã đã xem tệp {standing.file or ''} của {entry.name} và trả lại để "
                f"sửa. Lý do: {standing.returned}",
            ]
            if not standing.errors:
                lines += [
                    "",
                    "Bản phản hồi đính kèm ghi lý do trả lại và các ô cần xem lại."
                    if attachments
                    else "",
                    "Đề nghị sửa trên tệp của mình rồi gửi lại cả tệp bằng cách trả lời thư "
                    "này (giữ nguyên tên tệp).",
                ]
            lines.append("")
        if standing.errors:
            shown = list(standing.errors[:PROBLEMS_LISTED])
            more = len(standing.errors) - len(shown)
            lines += [
                f"Tệp {standing.file or ''} của {entry.name} có {len(standing.errors)} lỗi, "
                "chưa dùng được các số liệu đó:",
                *(f"- {text}" for text in shown),
            ]
            if more > 0:
                lines.append(f"- … và {more} lỗi khác (xem bản phản hồi đính kèm).")
            lines += [
                "",
                "Bản phản hồi đính kèm tô màu các ô cần sửa; trang \"Cần sửa\" liệt kê từng chỗ "
                "và cách sửa."
                if attachments
                else "",
                "Đề nghị sửa trên tệp của mình rồi gửi lại cả tệp bằng cách trả lời thư này "
                "(giữ nguyên tên tệp).",
            ]
    lines += [*_contact(sender), "", "Trân trọng,", f"Ủy ban nhân dân xã {s.commune}"]
    body = "\n".join(line for n, line in enumerate(lines) if line or lines[n - 1])
    return _message(subject, body, entry, attachments, sender=sender, now=now)


def draft_bytes(message: EmailMessage) -> bytes:
    """The message as an ``.eml`` draft: CRLF lines, ``X-Unsent: 1`` so that Outlook opens
    it as a message to send (Thunderbird: "Edit as New")."""
    if "X-Unsent" not in message:
        message["X-Unsent"] = "1"
    return message.as_bytes(policy=DRAFT_POLICY)


def attachment_from(path: Path, name: str | None = None) -> Attachment:
    """A file on disk to attach, under its own name (or ``name``)."""
    return Attachment(unicodedata.normalize("NFC", name or path.name), path.read_bytes())


# --- the parts ---------------------------------------------------------------------


def _message(
    subject: str,
    body: str,
    entry: RosterEntry,
    attachments: Sequence[Attachment],
    *,
    sender: str,
    now: datetime,
) -> EmailMessage:
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = subject
    if sender:
        message["From"] = Address(addr_spec=sender)
    message["To"] = [Address(display_name=entry.name, addr_spec=a) for a in entry.addresses]
    message["Date"] = format_datetime(now.astimezone())
    domain = sender.rpartition("@")[2] if "@" in sender else None
    message["Message-ID"] = make_msgid(_ID_TAG, domain=domain)
    message.set_content(body)
    for attachment in attachments:
        kind = SPREADSHEET_TYPES.get(
            Path(attachment.name).suffix.lower(), "application/octet-stream"
        )
        maintype, _, subtype = kind.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.name
        )
    return message


def _addressee(entry: RosterEntry) -> str:
    return f"{entry.contact} – {entry.name}" if entry.contact else entry.name


def _contact(sender: str) -> list[str]:
    if not sender:
        return []
    return ["", f"Mọi thắc mắc xin trả lời thư này hoặc gửi về {sender}."]
