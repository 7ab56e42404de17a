"""The inbox step itself: see :mod:`workbook_tools.inbox`."""

from __future__ import annotations

import contextlib
import hashlib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.parsers.expat import ExpatError

from python_calamine import CalamineError

from workbook_tools import problems
from workbook_tools.errors import WorkbookToolsError
from workbook_tools.inbox import safety
from workbook_tools.inbox.cells import LayoutCache, find_cells
from workbook_tools.inbox.identify import identify
from workbook_tools.inbox.ledger import Ledger, open_ledger
from workbook_tools.inbox.model import (
    EntryStatus,
    InboxResult,
    RawCell,
    Submission,
    SubmissionStatus,
)
from workbook_tools.inbox.scan import relative_name, scan_inbox
from workbook_tools.inbox.workbook import open_workbook
from workbook_tools.plan.model import Period, Plan, RosterEntry
from workbook_tools.problems import Problem, Severity

#: ``progress(done, total, file)``, called after each file.
Progress = Callable[[int, int, str], None]

#: The statuses of a file that counts as an arrival of the period's report.
ARRIVALS = (SubmissionStatus.USED, SubmissionStatus.SUPERSEDED, SubmissionStatus.DUPLICATE)


@dataclass(slots=True)
class _FileRead:
    """One file, as far as it got, before the newest file of each unit is chosen."""

    submission: Submission
    problems: list[Problem] = field(default_factory=list)  # shown whatever its status
    entry: RosterEntry | None = None
    raw: dict[str, RawCell] = field(default_factory=dict)
    cell_problems: list[Problem] = field(default_factory=list)  # shown only if it is used


def read_inbox(
    plan: Plan,
    period_code: str,
    inbox_dir: Path,
    ledger_path: Path,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> InboxResult:
    """Read every returned file for ``period_code``: submissions and problem records.

    ``ledger_path`` is the arrival ledger (``.wbt-ledger.sqlite3`` of the
    working folder); ``now`` is the time of the run (tests fix it). Raises
    :class:`WorkbookToolsError` only for an unknown period or a missing inbox
    folder.
    """
    period = _period(plan, period_code)
    if not inbox_dir.is_dir():
        raise WorkbookToolsError(
            f"Không có thư mục {inbox_dir}. Hãy tạo thư mục inbox/ trong thư mục làm việc và "
            "lưu các tệp nhận được vào đó."
        )
    now = now or datetime.now()
    result = InboxResult(period=period.code)
    files = scan_inbox(inbox_dir)
    layouts = LayoutCache(plan, period.code)
    reads: list[_FileRead] = []
    with open_ledger(ledger_path, now=now) as ledger:
        for done, path in enumerate(files, start=1):
            name = relative_name(path, inbox_dir)
            try:
                reads.append(_read_file(plan, period, path, name, ledger, layouts, now))
            except Exception as err:  # one bad file must never stop the run
                reads.append(_unreadable(path, name, err, ledger, now))
            if progress is not None:
                progress(done, len(files), name)
        result.problems.extend(ledger.problems)
    _choose_newest(reads)
    for read in reads:
        submission = read.submission
        if submission.status is SubmissionStatus.USED:
            # Where the values were found matters only for the file that is used.
            submission.raw = read.raw
            read.problems.extend(read.cell_problems)
        if submission.status in ARRIVALS:
            submission.on_time = submission.arrived.date() <= period.unit_deadline
        result.submissions.append(submission)
        result.problems.extend(read.problems)
    return result


def roster_status(plan: Plan, period: str | Period, result: InboxResult) -> list[EntryStatus]:
    """For every village and unit on the roster: received or not, on time or late, which file.

    On time follows the first arrival of the unit's report (DHIS2's
    timeliness): a correction sent after the deadline does not make an
    on-time report late.
    """
    chosen = period if isinstance(period, Period) else plan.period(period)
    out: list[EntryStatus] = []
    for entry in plan.roster:
        mine = [s for s in result.submissions if s.unit == entry.code]
        used = next((s for s in mine if s.status is SubmissionStatus.USED), None)
        arrivals = [s.arrived for s in mine if s.status in ARRIVALS]
        first = min(arrivals) if arrivals else None
        counted = [p for p in result.problems if p.unit == entry.code]
        out.append(
            EntryStatus(
                entry=entry,
                used=used,
                others=tuple(s for s in mine if s is not used),
                first_arrival=first,
                on_time=None if first is None else first.date() <= chosen.unit_deadline,
                errors=sum(p.severity is Severity.ERROR for p in counted),
                warnings=sum(p.severity is Severity.WARNING for p in counted),
            )
        )
    return out


# --- one file -------------------------------------------------------------------


def _read_file(
    plan: Plan,
    period: Period,
    path: Path,
    name: str,
    ledger: Ledger,
    layouts: LayoutCache,
    now: datetime,
) -> _FileRead:
    inspection = safety.inspect(path, name=name)
    if inspection.format is None:
        # Not a workbook we read: still an arrival, so its time is kept.
        sha, arrived = _arrival(path, name, ledger, now)
        submission = Submission(name, sha, arrived, SubmissionStatus.REJECTED)
        return _FileRead(submission, list(inspection.problems))
    data = path.read_bytes()
    sha, arrived = _arrival(path, name, ledger, now, data)
    # USED until the newest file of each unit is chosen.
    submission = Submission(name, sha, arrived, SubmissionStatus.USED)
    read = _FileRead(submission, list(inspection.problems))
    with open_workbook(data, inspection.format, inspection.parts) as workbook:
        ident = identify(plan, period.code, workbook, file=name)
        read.problems.extend(ident.problems)
        read.entry = ident.entry
        submission.unit = ident.entry.code if ident.entry is not None else None
        submission.period = ident.period.code if ident.period is not None else None
        submission.identified_by = ident.by
        if ident.status is not None:
            submission.status = ident.status
            return read
        assert ident.entry is not None
        found = find_cells(plan, ident.entry, workbook, ident, layouts, file=name)
    read.raw = found.raw
    read.cell_problems = found.problems
    submission.cells = {code: f"{c.sheet}!{c.cell}" for code, c in found.raw.items()}
    return read


def _arrival(
    path: Path, name: str, ledger: Ledger, now: datetime, data: bytes | None = None
) -> tuple[str, datetime]:
    """The file's content hash and its first arrival, recorded in the ledger if new.

    A file too large to be a form (refused by the safety step) is not read
    whole just to be hashed: its own time is its arrival.
    """
    stat = path.stat()
    modified = datetime.fromtimestamp(stat.st_mtime)
    if data is not None:
        sha = hashlib.sha256(data).hexdigest()
    elif stat.st_size > safety.DEFAULT_LIMITS.max_file_bytes:
        return "", min(modified, now)
    else:
        with path.open("rb") as stream:
            sha = hashlib.file_digest(stream, "sha256").hexdigest()
    return sha, ledger.arrival(sha, name, modified, now)


def _unreadable(path: Path, name: str, err: Exception, ledger: Ledger, now: datetime) -> _FileRead:
    """The record of a file whose reading failed, however it failed."""
    sha, arrived = "", now
    with contextlib.suppress(Exception):  # nothing more can be learnt about this file
        sha, arrived = _arrival(path, name, ledger, now)
    submission = Submission(name, sha, arrived, SubmissionStatus.REJECTED)
    problem = problems.make("inbox.unreadable", file=name, reason=_reason(err))
    return _FileRead(submission, [problem])


def _reason(err: Exception) -> str:
    """Why a file could not be read, in words the officer can act on."""
    if isinstance(err, PermissionError):
        return "không có quyền đọc tệp (tệp có thể đang mở trong chương trình khác)"
    if isinstance(err, FileNotFoundError):
        return "tệp đã bị chuyển hoặc xóa trong lúc đọc"
    if isinstance(err, OSError):
        return f"lỗi khi đọc tệp ({err.strerror or err})"
    if isinstance(err, CalamineError | zipfile.BadZipFile | ExpatError | ValueError | KeyError):
        return f"tệp bị hỏng hoặc không đúng định dạng bảng tính ({type(err).__name__}: {err})"
    return f"lỗi không lường trước khi đọc tệp ({type(err).__name__}: {err})"


# --- several files of one unit -----------------------------------------------------


def _choose_newest(reads: list[_FileRead]) -> None:
    """Per unit: the newest arrival is used, older ones superseded, identical copies counted once.

    Arrival ties are broken by file name (the later name wins), so every run
    chooses the same file.
    """
    by_unit: dict[str, list[_FileRead]] = {}
    for read in reads:
        s = read.submission
        if s.status is SubmissionStatus.USED and s.unit is not None:
            by_unit.setdefault(s.unit, []).append(read)
    for unit_reads in by_unit.values():
        first_of: dict[str, _FileRead] = {}
        distinct: list[_FileRead] = []
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
        for read in distinct[:-1]:
            s = read.submission
            s.status = SubmissionStatus.SUPERSEDED
            s.superseded_by = newest.submission.file
            name = read.entry.name if read.entry is not None else s.unit or ""
            read.problems.append(
                problems.make(
                    "inbox.superseded",
                    file=s.file,
                    unit=s.unit,
                    name=name,
                    newer=newest.submission.file,
                )
            )


def _period(plan: Plan, code: str) -> Period:
    try:
        return plan.period(code.strip())
    except KeyError:
        valid = ", ".join(p.code for p in plan.periods)
        raise WorkbookToolsError(
            f"Kỳ báo cáo '{code}' không có trong kế hoạch. Các kỳ có trong kế hoạch: {valid}."
        ) from None
