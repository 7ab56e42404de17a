"""The inbox step itself: see :mod:`workbook_tools.inbox`.

Two halves. :func:`read_file` reads one file, whatever is wrong with it, and
needs nothing but the plan: worker processes run it side by side.
:func:`collect` then records each file's arrival in the ledger, in path order,
and chooses the newest file of each unit: one process, so every run records
the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import zipfile
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from xml.parsers.expat import ExpatError
from zoneinfo import ZoneInfo

from python_calamine import CalamineError

from workbook_tools import problems, safety
from workbook_tools.clock import in_zone
from workbook_tools.inbox.arrival import report_date, taken_arrival, unknown_sender
from workbook_tools.inbox.cells import LayoutCache, find_cells
from workbook_tools.inbox.identify import identify
from workbook_tools.inbox.ledger import OFFICER, FirstArrival, Ledger, MailArrival, open_ledger
from workbook_tools.inbox.lock import (
    LockState,
    ReviewState,
    apply_lock,
    current_reviews,
    entry_name,
    returned_problem,
    review_state,
)
from workbook_tools.inbox.model import (
    EntryStatus,
    FileRead,
    InboxResult,
    Submission,
    SubmissionStatus,
)
from workbook_tools.inbox.scan import UNDECODABLE, printable
from workbook_tools.inbox.workbook import open_workbook
from workbook_tools.plan.model import Period, Plan
from workbook_tools.problems import Problem, Severity

#: ``progress(done, total, file)``, called after each file.
Progress = Callable[[int, int, str], None]

#: The statuses of a file that counts as an arrival of the period's report.
ARRIVALS = (SubmissionStatus.USED, SubmissionStatus.SUPERSEDED, SubmissionStatus.DUPLICATE)


class FileReader:
    """What reading one file needs: the plan, the period, and the layouts made so far."""

    def __init__(self, plan: Plan, period: Period) -> None:
        self.plan = plan
        self.period = period
        self.layouts = LayoutCache(plan, period.code)


def read_file(reader: FileReader, path: Path, name: str) -> FileRead:
    """Read one file, whatever is wrong with it: never raises for a bad file.

    ``name`` is the file as the officer sees it (relative to ``inbox/``).
    The values are handed on as read, in :attr:`FileRead.raw`.
    """
    read = _read_any(reader, path, name)
    # A name ending in "/" is a folder the scan could not open: nothing to reopen.
    if not name.endswith("/") and not path.as_posix().endswith(name):
        parts = len(Path(name).parts)
        # On disk, a name that is not UTF-8 keeps its bytes as surrogate escapes
        # (os.fsdecode): fit to reopen the file, never to be written anywhere.
        read.submission.stored_as = "/".join(path.parts[-parts:])
        if UNDECODABLE in name and not printable(read.submission.stored_as):
            read.problems.append(
                problems.make("inbox.name_unprintable", file=name, unit=read.submission.unit)
            )
    return read


def _read_any(reader: FileReader, path: Path, name: str) -> FileRead:
    try:
        return _read_file(reader, path, name)
    except Exception as err:  # one bad file must never stop the run
        return _unreadable(path, name, err)
    except BaseException as err:
        # A panic inside python-calamine is not an Exception (see safety.is_reader_panic).
        if not safety.is_reader_panic(err):
            raise
        return _unreadable(path, name, err)


def collect(
    plan: Plan,
    period: Period,
    reads: Iterable[FileRead],
    ledger_path: Path,
    now: datetime,
    *,
    total: int = 0,
    progress: Progress | None = None,
) -> InboxResult:
    """Every file read, its arrival recorded, the newest file of each unit chosen.

    ``reads`` are in path order; ``total`` is their number, for ``progress``.
    Each unit's first arrival for the period is recorded too (the ledger keeps
    it whatever later happens to the files), in
    :attr:`InboxResult.first_arrivals`: on time and late follow it.
    """
    result = InboxResult(period=period.code)
    kept: list[FileRead] = []
    zone = plan_zone(plan)
    with open_ledger(ledger_path, now=now) as ledger:
        # Arrivals are recorded one file after the other in path order,
        # whoever read the files: every run records the same.
        known = {a.casefold() for e in plan.roster for a in e.addresses}
        for done, read in enumerate(reads, start=1):
            kept.append(_arrived(plan, read, ledger, now, known))
            if progress is not None:
                progress(done, total, read.submission.file)
        # A locked period: its locked files chosen again (inbox.lock).
        result.lock_history = ledger.lock_history(period.code)
        lock_problems = apply_lock(plan, LockState(period.code, result.lock_history), kept)
        _choose_newest(plan, kept)
        _first_arrivals(plan, period, kept, ledger, now, zone, result)
        reviews = ledger.reviews(period.code)
    result.problems.extend(ledger.problems)  # after the commit, which may add one
    result.problems.extend(lock_problems)
    for read in kept:
        submission = read.submission
        if submission.status is SubmissionStatus.USED:
            read.problems.extend(read.cell_problems)  # about the values: only the used file's
        if submission.status in ARRIVALS:
            correction = result.corrections.get(submission.unit or "")
            arrived = correction.arrived if correction is not None else submission.arrived
            submission.on_time = plan_date(arrived, zone) <= period.unit_deadline
        result.submissions.append(submission)
        result.problems.extend(read.problems)
    used = {s.unit: (s.file, s.sha256) for s in result.submissions
            if s.status is SubmissionStatus.USED and s.unit is not None}
    result.reviews = current_reviews(reviews, used)
    for review in result.reviews.values():
        if review_state(review) is ReviewState.RETURNED:
            result.problems.append(returned_problem(plan, review))
    return result


def plan_zone(plan: Plan) -> ZoneInfo:
    """The plan's time zone, in which on time and late are judged (``time_zone`` setting)."""
    return ZoneInfo(plan.settings.time_zone)


def plan_date(arrived: datetime, zone: ZoneInfo) -> date:
    """The day ``arrived`` (naive local time of this computer, as file times are read) falls
    on in the plan's time zone ``zone``: a deadline is a day where the plan is."""
    return in_zone(arrived, zone).date()


def _first_arrivals(
    plan: Plan,
    period: Period,
    reads: list[FileRead],
    ledger: Ledger,
    now: datetime,
    zone: ZoneInfo,
    result: InboxResult,
) -> None:
    """Record each unit's first arrival for the period; warn where its day is in doubt.

    The earliest of the unit's files now in the inbox (ties: the first file
    name) is offered to the ledger, which keeps the earlier of it and the one
    recorded before. Warnings go with the file that first arrived when it is
    still in the inbox, else with the unit's file used.
    """
    by_unit: dict[str, list[FileRead]] = {}
    for read in reads:
        s = read.submission
        if s.status in ARRIVALS and s.unit is not None and s.arrived is not _NOT_YET:
            by_unit.setdefault(s.unit, []).append(read)
    # The newest of each unit applies: the ledger gives them oldest first.
    corrections = {c.unit: c for c in ledger.corrections(period.code)}
    for unit, unit_reads in by_unit.items():
        earliest = min(unit_reads, key=lambda r: (r.submission.arrived, r.submission.file))
        s = earliest.submission
        first = ledger.first_arrival(
            unit, period.code, s.arrived, s.file, s.sha256, now, s.arrival_source
        )
        result.first_arrivals[unit] = first
        correction = corrections.get(unit)
        if correction is not None:
            result.corrections[unit] = correction
        holder = next(
            (
                r
                for r in unit_reads
                if (r.submission.file, r.submission.sha256) == (first.file, first.sha256)
            ),
            next(
                (r for r in unit_reads if r.submission.status is SubmissionStatus.USED),
                earliest,
            ),
        )
        holder.problems.extend(_first_arrival_notes(plan, period, first, zone))


def _first_arrival_notes(
    plan: Plan, period: Period, first: FirstArrival, zone: ZoneInfo
) -> list[Problem]:
    """Warnings about a unit's first arrival: before the period, or its day differing
    between this computer's clock and the plan's time zone where that decides on time."""
    notes: list[Problem] = []
    name = plan.entry(first.unit).name
    where = plan_date(first.arrived, zone)
    if where < period.start:
        notes.append(
            problems.make(
                "inbox.arrived_before_period",
                file=first.file,
                unit=first.unit,
                name=name,
                arrived=_shown(first.arrived),
                period=period.code,
                start=f"{period.start:%d/%m/%Y}",
            )
        )
    on_time = where <= period.unit_deadline
    if (first.arrived.date() <= period.unit_deadline) != on_time:
        notes.append(
            problems.make(
                "inbox.arrival_time_zone",
                file=first.file,
                unit=first.unit,
                name=name,
                local=_shown(first.arrived),
                plan_time=_shown(in_zone(first.arrived, zone)),
                zone=plan.settings.time_zone,
                verdict="đúng hạn" if on_time else "trễ hạn",
            )
        )
    return notes


def _shown(moment: datetime) -> str:
    return f"{moment:%d/%m/%Y %H:%M}"


def roster_status(plan: Plan, period: Period, result: InboxResult) -> list[EntryStatus]:
    """For every village and unit on the roster: received or not, on time or late, which file.

    On time follows the first arrival of the unit's report (DHIS2's
    timeliness): a correction sent after the deadline does not make an
    on-time report late, nor does the on-time file overwritten by it or saved
    again (the ledger's first arrival, :attr:`InboxResult.first_arrivals`).
    The day is the plan's (its time zone). Errors and warnings are those of
    the file used (a corrected resend is not blamed for what the old file
    had); with no file used, those of every file of the unit, which say why.
    """
    # Grouped once: a roster of thousands must not go through every file for every entry.
    by_unit: dict[str | None, list[Submission]] = {}
    for s in result.submissions:
        by_unit.setdefault(s.unit, []).append(s)
    problems_of: dict[str | None, list[Problem]] = {}
    for p in result.problems:
        problems_of.setdefault(p.unit, []).append(p)
    zone = plan_zone(plan)
    out: list[EntryStatus] = []
    for entry in plan.roster:
        mine = by_unit.get(entry.code, [])
        used = next((s for s in mine if s.status is SubmissionStatus.USED), None)
        arrivals = sorted((s.arrived, s.file) for s in mine if s.status in ARRIVALS)
        first, first_file = arrivals[0] if arrivals else (None, None)
        sources = {(s.arrived, s.file): s.arrival_source for s in mine if s.status in ARRIVALS}
        source = sources.get(arrivals[0]) if arrivals else None
        recorded = result.first_arrivals.get(entry.code)
        if first is not None and recorded is not None and recorded.arrived <= first:
            first, first_file, source = recorded.arrived, recorded.file, recorded.source
        correction = result.corrections.get(entry.code) if first is not None else None
        if correction is not None:
            first, source = correction.arrived, OFFICER
        on_time = None if first is None else plan_date(first, zone) <= period.unit_deadline
        made = report_date(plan, entry, used.values) if used is not None else None
        # Its first file came in a mail from an address not on the roster: the mail's
        # time is not taken (the file's own is), but it may say the report was on time.
        stranger = any(s.unknown_sender for s in mine if s.file == first_file)
        doubtful = on_time is False and (
            stranger or (made is not None and made <= period.unit_deadline)
        )
        counted = problems_of.get(entry.code, [])
        if used is not None:
            counted = [p for p in counted if p.file in (None, used.file)]
        out.append(
            EntryStatus(
                entry=entry,
                used=used,
                others=tuple(s for s in mine if s is not used),
                first_arrival=first,
                on_time=on_time,
                errors=sum(p.severity is Severity.ERROR for p in counted),
                warnings=sum(p.severity is Severity.WARNING for p in counted),
                first_file=first_file,
                arrival_source=source,
                needs_confirmation=doubtful and source != OFFICER,
                unknown_sender=stranger,
                correction=correction,
                review=result.reviews.get(entry.code) if used is not None else None,
            )
        )
    return out


# --- one file -------------------------------------------------------------------

#: A submission's arrival until the ledger gives it.
_NOT_YET = datetime.min


def _read_file(reader: FileReader, path: Path, name: str) -> FileRead:
    plan, period = reader.plan, reader.period
    inspection = safety.inspect(path, name=name)
    if inspection.format is None:
        # Not a workbook we read: still an arrival, so its time is kept.
        try:
            sha, modified, record = _fingerprint(path)
        except OSError:  # not opened (a pipe, a folder, no permission): the records say why
            sha, modified, record = "", None, False
        submission = Submission(name, sha, _NOT_YET, SubmissionStatus.REJECTED)
        return FileRead(submission, list(inspection.problems), modified=modified, record=record)
    data = inspection.content  # exactly the bytes that were checked
    sha, modified, record = _fingerprint(path, data, inspection.modified)
    # USED until the newest file of each unit is chosen.
    submission = Submission(name, sha, _NOT_YET, SubmissionStatus.USED)
    read = FileRead(submission, list(inspection.problems), modified=modified, record=record)
    # The parts as checked, stored: read without inflating them a second time.
    readable = inspection.unpacked or data
    with open_workbook(readable, inspection.format, inspection.parts) as workbook:
        ident = identify(plan, period.code, workbook, file=name)
        read.problems.extend(ident.problems)
        submission.unit = ident.entry.code if ident.entry is not None else None
        submission.period = ident.period.code if ident.period is not None else None
        submission.identified_by = ident.by
        if ident.status is not None:
            submission.status = ident.status
            return read
        assert ident.entry is not None
        found = find_cells(plan, ident.entry, workbook, ident, reader.layouts, file=name)
    read.raw = found.raw
    read.cell_problems = found.problems
    submission.cells = {code: f"{c.sheet}!{c.cell}" for code, c in found.raw.items()}
    return read


def _fingerprint(
    path: Path, data: bytes | None = None, mtime: float | None = None
) -> tuple[str, datetime, bool]:
    """The file's content hash, its modification time, and whether the ledger records it.

    ``data`` and ``mtime`` are the file's bytes and time as the safety step
    read them, when it did. A file too large to be a form (refused by the
    safety step) is not read whole just to be hashed: its own time will be
    its arrival. Only a regular file is opened (:func:`safety.open_regular`):
    a pipe or a device named like a form raises :class:`safety.NotRegularFile`
    instead of blocking the run, or never ending it.
    """
    if data is not None and mtime is not None:
        return hashlib.sha256(data).hexdigest(), datetime.fromtimestamp(mtime), True
    if data is not None:
        return hashlib.sha256(data).hexdigest(), _modified(path), True
    descriptor, status = safety.open_regular(path)
    with open(descriptor, "rb") as stream:  # closes the descriptor
        modified = datetime.fromtimestamp(status.st_mtime)
        if status.st_size > safety.DEFAULT_LIMITS.max_file_bytes:
            return "", modified, False
        return hashlib.file_digest(stream, "sha256").hexdigest(), modified, True


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime)


def _arrived(
    plan: Plan, read: FileRead, ledger: Ledger, now: datetime, senders: set[str]
) -> FileRead:
    """``read``, with the arrival of its content: first seen, as the ledger keeps it, or
    its mail's time when one of ``senders`` (the roster's addresses) sent it. A file that
    came in a mail from anyone else is flagged (still read): its mail decides nothing."""
    submission = read.submission
    mail: MailArrival | None = None
    try:
        if read.modified is None:
            arrived = now
        elif read.record:
            arrived, mail = ledger.arrival_and_mail(
                submission.sha256, submission.file, read.modified, now
            )
        else:
            arrived = min(read.modified, now)
    except Exception as err:  # the ledger must not stop the run either
        if read.failed:
            submission.sha256, submission.arrived = "", now
            return read
        failed = _failure(submission.file, "", err)
        failed.submission.arrived = now
        return failed
    submission.arrived, submission.arrival_source = taken_arrival(arrived, mail, senders)
    if mail is not None and unknown_sender(mail, senders):
        submission.unknown_sender = True
        name = (
            entry_name(plan, submission.unit)
            if submission.unit is not None
            else plan.settings.roster_words
        )
        read.problems.append(
            problems.make(
                "inbox.unknown_sender",
                file=submission.file,
                unit=submission.unit,
                sender=mail.sender or "(không rõ người gửi)",
                name=name,
            )
        )
    return read


def _unreadable(path: Path, name: str, err: BaseException) -> FileRead:
    """The record of a file whose reading failed, however it failed."""
    sha, modified, record = "", None, False
    with contextlib.suppress(Exception):  # nothing more can be learnt about this file
        sha, modified, record = _fingerprint(path)
    read = _failure(name, sha, err)
    read.modified, read.record, read.failed = modified, record, True
    return read


def _failure(name: str, sha: str, err: BaseException) -> FileRead:
    submission = Submission(name, sha, _NOT_YET, SubmissionStatus.REJECTED)
    problem = problems.make("inbox.unreadable", file=name, reason=_reason(err))
    return FileRead(submission, [problem])


def _reason(err: BaseException) -> str:
    """Why a file could not be read, in words the officer can act on."""
    if isinstance(err, PermissionError):
        return "không có quyền đọc tệp (tệp có thể đang mở trong chương trình khác)"
    if isinstance(err, FileNotFoundError):
        return "tệp đã bị chuyển hoặc xóa trong lúc đọc"
    if isinstance(err, OSError):
        return f"lỗi khi đọc tệp ({err.strerror or err})"
    if isinstance(err, CalamineError | zipfile.BadZipFile | ExpatError | ValueError | KeyError):
        return f"tệp bị hỏng hoặc không đúng định dạng bảng tính ({type(err).__name__}: {err})"
    if safety.is_reader_panic(err):
        return "tệp bị hỏng đến mức chương trình đọc bảng tính không đọc được"
    return f"lỗi không lường trước khi đọc tệp ({type(err).__name__}: {err})"


# --- several files of one unit -----------------------------------------------------


def _choose_newest(plan: Plan, reads: list[FileRead]) -> None:
    """Per unit: the newest arrival is used, older ones superseded, identical copies counted once.

    Arrival ties are broken by file name (the later name wins), so every run
    chooses the same file, and a warning says which was used and why.
    """
    by_unit: dict[str, list[FileRead]] = {}
    for read in reads:
        s = read.submission
        if s.status is SubmissionStatus.USED and s.unit is not None:
            by_unit.setdefault(s.unit, []).append(read)
    for unit, unit_reads in by_unit.items():
        first_of: dict[str, FileRead] = {}
        distinct: list[FileRead] = []
        for read in sorted(unit_reads, key=lambda r: r.submission.file):
            s = read.submission
            original = first_of.get(s.sha256)
            if original is None:
                first_of[s.sha256] = read
                distinct.append(read)
                continue
            s.status = SubmissionStatus.DUPLICATE
            s.superseded_by = original.submission.file
            read.problems.append(
                problems.make(
                    "inbox.duplicate", file=s.file, unit=s.unit, other=original.submission.file
                )
            )
        distinct.sort(key=lambda r: (r.submission.arrived, r.submission.file))
        newest = distinct[-1]
        tied = [r for r in distinct[:-1] if r.submission.arrived == newest.submission.arrived]
        if tied:
            newest.problems.append(
                problems.make(
                    "inbox.arrival_tie",
                    file=newest.submission.file,
                    unit=unit,
                    name=plan.entry(unit).name,
                    arrived=_shown(newest.submission.arrived),
                    others=", ".join(r.submission.file for r in tied),
                )
            )
        for read in distinct[:-1]:
            s = read.submission
            s.status = SubmissionStatus.SUPERSEDED
            s.superseded_by = newest.submission.file
            read.problems.append(
                problems.make(
                    "inbox.superseded",
                    file=s.file,
                    unit=s.unit,
                    name=plan.entry(unit).name,
                    newer=newest.submission.file,
                )
            )
