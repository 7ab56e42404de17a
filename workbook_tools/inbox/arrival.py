"""Where a unit's arrival time comes from, in the officer's words, and when it is in doubt.

Three sources (the ledger's codes, :mod:`workbook_tools.inbox.ledger`):

- ``mail``: the mail that carried the file (``wbt fetch``): its Date header, when
  the mail's own Received headers bear it out (:mod:`workbook_tools.mail.fetch`);
- ``file``: the file's own modification time when the tool first saw it (a file
  saved into ``inbox/`` by hand);
- ``officer``: the officer's correction (``wbt arrival``), with its reason; the
  newest correction of a unit and period applies, the older ones are kept.

A report whose time is after the deadline although the form itself says it was
made on or before it (its "Ngày báo cáo" field) is not silently late: it "needs
confirming" (:data:`NEEDS_CONFIRMATION`) until the officer corrects its arrival
(or confirms it late the same way).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from workbook_tools.clock import in_zone, local
from workbook_tools.errors import WorkbookToolsError
from workbook_tools.inbox.ledger import FILE, MAIL, OFFICER, Correction, MailArrival
from workbook_tools.plan.model import FieldType, Plan, RosterEntry

SOURCE_LABELS = {
    MAIL: "theo thư điện tử",
    FILE: "theo ngày của tệp",
    OFFICER: "cán bộ xác nhận",
}
NEEDS_CONFIRMATION = "cần xác nhận"
#: What is said of a unit whose first file came in a mail from an address not on the roster.
UNKNOWN_SENDER_WHY = (
    "tệp nhận qua thư của người gửi không có trong trang Danh sách: thời điểm nhận tính "
    "theo ngày của tệp, không theo thư"
)

#: The label of the form's field in which the unit types its report's date.
REPORT_DATE_LABEL = "ngày báo cáo"


def source_label(source: str | None) -> str:
    """'theo thư điện tử', 'theo ngày của tệp', 'cán bộ xác nhận'; '' for no arrival."""
    return SOURCE_LABELS.get(source or "", "")


def taken_arrival(
    arrived: datetime, mail: MailArrival | None, senders: Collection[str]
) -> tuple[datetime, str]:
    """A file's arrival and where it comes from (:data:`FILE`, :data:`MAIL`): its own
    first sight ``arrived``, or the time of the ``mail`` that carried it when that is
    earlier and the mail came from one of ``senders`` (the roster's addresses, case
    folded). A stranger's mail is not taken at its word (:func:`unknown_sender`)."""
    if (
        mail is not None
        and mail.arrived is not None
        and mail.arrived < arrived
        and not unknown_sender(mail, senders)
    ):
        return mail.arrived, MAIL
    return arrived, FILE


def unknown_sender(mail: MailArrival | None, senders: Collection[str]) -> bool:
    """Whether a file came in a ``mail`` from an address not among ``senders`` (the
    roster's, case folded): its time decides nothing until the officer confirms it."""
    return mail is not None and mail.sender.casefold() not in senders


def report_date_field(plan: Plan, entry: RosterEntry) -> str | None:
    """The code of the date field of ``entry``'s form labelled "Ngày báo cáo", if any.

    Forms carry the day the unit made its report in such a field (its label is the
    plan's, whatever its code): the first date field with that label.
    """
    for f in plan.fields_for(entry):
        if f.type is FieldType.DATE and _folded(f.label) == REPORT_DATE_LABEL:
            return f.code
    return None


def report_date(plan: Plan, entry: RosterEntry, values: Mapping[str, object]) -> date | None:
    """The day ``entry``'s form says it was made (its "Ngày báo cáo"), if it says."""
    code = report_date_field(plan, entry)
    value = values.get(code) if code is not None else None
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split()).rstrip(":")


def arrival_note(
    source: str | None, needs_confirmation: bool = False, correction: Correction | None = None
) -> str:
    """Where a unit's arrival comes from, as the status and the report say it:
    'theo thư điện tử'; 'theo ngày của tệp, cần xác nhận'; 'cán bộ xác nhận: nhận qua
    Zalo (ghi ngày 25/06/2024)'."""
    if source is None:
        return ""
    text = source_label(source)
    if source == OFFICER and correction is not None:
        text += f": {correction.reason} (ghi ngày {correction.recorded:%d/%m/%Y})"
    if needs_confirmation:
        text += f", {NEEDS_CONFIRMATION}"
    return text


#: The forms the officer may type an arrival in, and whether each gives a time.
_ARRIVAL_FORMS = (
    ("%d/%m/%Y %H:%M", True),
    ("%d/%m/%Y", False),
    ("%d-%m-%Y %H:%M", True),
    ("%d-%m-%Y", False),
)


def _typed(text: str) -> tuple[datetime, bool] | None:
    """The officer's arrival as typed, and whether a time was typed with the day."""
    cleaned = " ".join(text.split())
    for pattern, timed in _ARRIVAL_FORMS:
        try:
            return datetime.strptime(cleaned, pattern), timed
        except ValueError:
            continue
    return None


def time_typed(text: str) -> bool:
    """Whether the officer's arrival ``text`` gives a time with its day ("14/06/2024 16:30"):
    one typed alone is shown as the day (:func:`correction_when`), never at a made-up time."""
    typed = _typed(text)
    return typed is not None and typed[1]


def parse_arrival(text: str, zone: ZoneInfo) -> datetime:
    """The officer's "14/06/2024" or "14/06/2024 16:30" (the plan's time, ``zone``) as
    naive local time of this computer, as the files' times are kept.

    A day given alone is taken at its noon where the plan is, to be judged on time or
    late by that day; it is shown as the day alone (:func:`time_typed`).

    Raises :class:`WorkbookToolsError` naming what was typed and the form expected.
    """
    typed = _typed(text)
    if typed is not None:
        moment, timed = typed
        if not timed:
            moment = moment.replace(hour=12)
        return local(moment.replace(tzinfo=zone))
    raise WorkbookToolsError(
        f"Ngày '{text}' không đúng dạng ngày/tháng/năm. Hãy ghi như 14/06/2024, hoặc kèm giờ "
        "như 14/06/2024 16:30 (giờ theo múi giờ của kế hoạch)."
    )


def arrival_out_of_range(
    text: str, arrived: datetime, zone: ZoneInfo, start: date, now: datetime
) -> str | None:
    """Why the officer's arrival ``arrived`` (as :func:`parse_arrival` gave it for ``text``)
    cannot be: a day after today or before the period's ``start`` (days where the plan is;
    ``now``: this computer's time). None if it can."""
    day = in_zone(arrived, zone).date()
    today = in_zone(now, zone).date()
    if start <= day <= today:
        return None
    if day > today:
        why = f"là ngày trong tương lai (hôm nay là {today:%d/%m/%Y})"
    else:
        why = f"trước ngày bắt đầu kỳ báo cáo ({start:%d/%m/%Y})"
    return (
        f"Ngày nhận '{text}' {why}: chưa ghi. Ngày nhận bài phải từ {start:%d/%m/%Y} đến "
        f"hôm nay {today:%d/%m/%Y}; hãy kiểm tra lại năm, tháng đã gõ."
    )


def shown_arrival(
    moment: datetime, zone: ZoneInfo, *, timed: bool = True, year: bool = True
) -> str:
    """``moment`` (naive local time) where the plan is: '14/06/2024 16:30', or the day
    alone ('14/06/2024') when no time is known; '14/06 16:30' without the ``year``."""
    day = "%d/%m/%Y" if year else "%d/%m"
    return in_zone(moment, zone).strftime(f"{day} %H:%M" if timed else day)


def correction_when(correction: Correction, zone: ZoneInfo, *, year: bool = True) -> str:
    """When the officer says the report arrived, as they typed it: '14/06/2024', or
    '14/06/2024 16:30' when they gave a time (the plan's time)."""
    return shown_arrival(correction.arrived, zone, timed=correction.timed, year=year)


def arrival_value(
    first: datetime | None, correction: Correction | None
) -> datetime | date | None:
    """A unit's first arrival as a report's cell holds it: the day alone when it is the
    officer's, given with no time."""
    if first is None or correction is None or correction.timed:
        return first
    return first.date()
