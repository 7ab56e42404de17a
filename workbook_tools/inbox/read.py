"""The inbox step itself: see :mod:`workbook_tools.inbox`."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import os
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.parsers.expat import ExpatError

from python_calamine import CalamineError

from workbook_tools import problems, safety
from workbook_tools.collector import collection_paused
from workbook_tools.errors import WorkbookToolsError
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
from workbook_tools.inbox.scan import named_files
from workbook_tools.inbox.workbook import open_workbook
from workbook_tools.plan.model import Period, Plan, RosterEntry
from workbook_tools.problems import Problem, Severity

#: ``progress(done, total, file)``, called after each file.
Progress = Callable[[int, int, str], None]
#: ``prepare(plan, period, entry, raw, file)``: the next step's work on one
#: identified form's cells, done by the process that read the file (see read_inbox).
Prepare = Callable[[Plan, Period, RosterEntry, Mapping[str, RawCell], str], object]

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
    prepared: object = None  # what ``prepare`` made of the cells (see read_inbox)


def read_inbox(
    plan: Plan,
    period_code: str,
    inbox_dir: Path,
    ledger_path: Path,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    prepare: Prepare | None = None,
) -> InboxResult:
    """Read every returned file for ``period_code``: submissions and problem records.

    ``ledger_path`` is the arrival ledger (``.wbt-ledger.sqlite3`` of the
    working folder); ``now`` is the time of the run (tests fix it);
    ``workers`` the number of processes reading the files (default: one for
    a few files, one per core for many: see :func:`default_workers`). The
    result is the same however many read them. ``prepare``, if given, is
    called on every identified form's cells where the file was read (so the
    next step's work on them is shared by the workers too); what it returns
    for the files that are used is in :attr:`InboxResult.prepared`. It must
    be a module-level function and must not raise. Raises
    :class:`WorkbookToolsError` only for an unknown period or a missing inbox
    folder.
    """
    with inbox_reading(
        plan,
        period_code,
        inbox_dir,
        ledger_path,
        now=now,
        progress=progress,
        workers=workers,
        prepare=prepare,
    ) as reading:
        return reading.result()


@contextlib.contextmanager
def inbox_reading(
    plan: Plan,
    period_code: str,
    inbox_dir: Path,
    ledger_path: Path,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    prepare: Prepare | None = None,
) -> Iterator[InboxReading]:
    """:func:`read_inbox` begun: the worker processes are reading when this is entered.

    The caller may do other work (load the next steps' modules) before it asks
    for :meth:`InboxReading.result`; the workers are stopped on leaving.
    """
    period = _period(plan, period_code)
    if not inbox_dir.is_dir():
        raise WorkbookToolsError(
            f"Không có thư mục {inbox_dir}. Hãy tạo thư mục inbox/ trong thư mục làm việc và "
            "lưu các tệp nhận được vào đó."
        )
    named = named_files(inbox_dir)
    names = [name for name, _ in named]
    files = [path for _, path in named]
    count = default_workers(len(files)) if workers is None else workers
    # The worker processes start before the ledger is opened: a database
    # connection must not be carried into a forked process.
    with _looked_at(_Reader(plan, period, prepare), files, names, count) as looks:
        yield InboxReading(period, looks, len(files), ledger_path, now or datetime.now(), progress)


class InboxReading:
    """The files of one period being read (see :func:`inbox_reading`)."""

    def __init__(
        self,
        period: Period,
        looks: Iterator[_Look],
        total: int,
        ledger_path: Path,
        now: datetime,
        progress: Progress | None,
    ) -> None:
        self._period = period
        self._looks = looks
        self._total = total
        self._ledger_path = ledger_path
        self._now = now
        self._progress = progress

    def result(self) -> InboxResult:
        """Every file read, its arrival recorded, the newest file of each unit chosen."""
        result = InboxResult(period=self._period.code)
        # The records are acyclic: the cycle collector, run again and again as
        # thousands of them pile up, would find nothing to free.
        with collection_paused():
            self._collect(result)
        return result

    def _collect(self, result: InboxResult) -> None:
        period, now, progress = self._period, self._now, self._progress
        reads: list[_FileRead] = []
        with open_ledger(self._ledger_path, now=now) as ledger:
            # Arrivals are recorded here, one file after the other in path order,
            # whoever read the files: every run records the same.
            for done, look in enumerate(self._looks, start=1):
                reads.append(_arrived(look, ledger, now))
                if progress is not None:
                    progress(done, self._total, look.read.submission.file)
        result.problems.extend(ledger.problems)  # after the commit, which may add one
        _choose_newest(reads)
        for read in reads:
            submission = read.submission
            if submission.status is SubmissionStatus.USED:
                # Where the values were found matters only for the file that is used.
                submission.raw = read.raw
                read.problems.extend(read.cell_problems)
                if read.prepared is not None:
                    result.prepared[submission.file] = read.prepared
            if submission.status in ARRIVALS:
                submission.on_time = submission.arrived.date() <= period.unit_deadline
            result.submissions.append(submission)
            result.problems.extend(read.problems)


#: Fewer files than this are read in one process: starting workers costs more.
#: Where a worker starts as a new interpreter (Windows, macOS) it must import
#: everything first, so it pays only for a larger inbox.
PARALLEL_MIN = 200
PARALLEL_MIN_SPAWNED = 1000
MAX_WORKERS = 8


def default_workers(count: int) -> int:
    """How many processes to read ``count`` files with: one unless there are many."""
    # The start method in force, or the platform's default (without fixing it).
    method = multiprocessing.get_start_method(allow_none=True)
    forked = (method or multiprocessing.get_all_start_methods()[0]) == "fork"
    if count < (PARALLEL_MIN if forked else PARALLEL_MIN_SPAWNED):
        return 1
    # The CPUs this process may use (a container may get fewer than the machine has).
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_WORKERS, usable or 1))


def roster_status(plan: Plan, period: str | Period, result: InboxResult) -> list[EntryStatus]:
    """For every village and unit on the roster: received or not, on time or late, which file.

    On time follows the first arrival of the unit's report (DHIS2's
    timeliness): a correction sent after the deadline does not make an
    on-time report late. Errors and warnings are those of the file used (a
    corrected resend is not blamed for what the old file had); with no file
    used, those of every file of the unit, which say why.
    """
    chosen = period if isinstance(period, Period) else plan.period(period)
    # Grouped once: a roster of thousands must not go through every file for every entry.
    by_unit: dict[str | None, list[Submission]] = {}
    for s in result.submissions:
        by_unit.setdefault(s.unit, []).append(s)
    problems_of: dict[str | None, list[Problem]] = {}
    for p in result.problems:
        problems_of.setdefault(p.unit, []).append(p)
    out: list[EntryStatus] = []
    for entry in plan.roster:
        mine = by_unit.get(entry.code, [])
        used = next((s for s in mine if s.status is SubmissionStatus.USED), None)
        arrivals = [s.arrived for s in mine if s.status in ARRIVALS]
        first = min(arrivals) if arrivals else None
        counted = problems_of.get(entry.code, [])
        if used is not None:
            counted = [p for p in counted if p.file in (None, used.file)]
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

#: A submission's arrival until the ledger gives it.
_NOT_YET = datetime.min


@dataclass(slots=True)
class _Look:
    """One file read as far as it goes without the ledger, and what its arrival needs.

    ``modified`` is the file's own time (None if it could not be had: the
    arrival is then the run's time); ``record`` says whether the arrival goes
    through the ledger (not for a file too large to be hashed).
    """

    read: _FileRead
    modified: datetime | None
    record: bool
    failed: bool = False  # the file could not be read: nothing more is learnt from the ledger


class _Reader:
    """What reading one file needs, set once a run (and once in each worker process)."""

    def __init__(self, plan: Plan, period: Period, prepare: Prepare | None) -> None:
        self.plan = plan
        self.period = period
        self.prepare = prepare
        self.layouts = LayoutCache(plan, period.code)


def _look(reader: _Reader, path: Path, name: str) -> _Look:
    """Read one file, whatever is wrong with it."""
    try:
        return _read_file(reader, path, name)
    except Exception as err:  # one bad file must never stop the run
        return _unreadable(path, name, err)
    except BaseException as err:
        # A panic inside python-calamine is not an Exception (see safety.is_reader_panic).
        if not safety.is_reader_panic(err):
            raise
        return _unreadable(path, name, err)


def _read_file(reader: _Reader, path: Path, name: str) -> _Look:
    plan, period = reader.plan, reader.period
    inspection = safety.inspect(path, name=name)
    if inspection.format is None:
        # Not a workbook we read: still an arrival, so its time is kept.
        sha, modified, record = _fingerprint(path)
        submission = Submission(name, sha, _NOT_YET, SubmissionStatus.REJECTED)
        return _Look(_FileRead(submission, list(inspection.problems)), modified, record)
    data = inspection.content  # exactly the bytes that were checked
    sha, modified, record = _fingerprint(path, data, inspection.modified)
    # USED until the newest file of each unit is chosen.
    submission = Submission(name, sha, _NOT_YET, SubmissionStatus.USED)
    read = _FileRead(submission, list(inspection.problems))
    look = _Look(read, modified, record)
    # The parts as checked, stored: read without inflating them a second time.
    readable = inspection.unpacked or data
    with open_workbook(readable, inspection.format, inspection.parts) as workbook:
        ident = identify(plan, period.code, workbook, file=name)
        read.problems.extend(ident.problems)
        read.entry = ident.entry
        submission.unit = ident.entry.code if ident.entry is not None else None
        submission.period = ident.period.code if ident.period is not None else None
        submission.identified_by = ident.by
        if ident.status is not None:
            submission.status = ident.status
            return look
        assert ident.entry is not None
        found = find_cells(plan, ident.entry, workbook, ident, reader.layouts, file=name)
    read.raw = found.raw
    read.cell_problems = found.problems
    submission.cells = {code: f"{c.sheet}!{c.cell}" for code, c in found.raw.items()}
    if reader.prepare is not None:
        read.prepared = reader.prepare(plan, period, ident.entry, found.raw, name)
    return look


def _fingerprint(
    path: Path, data: bytes | None = None, mtime: float | None = None
) -> tuple[str, datetime, bool]:
    """The file's content hash, its modification time, and whether the ledger records it.

    ``data`` and ``mtime`` are the file's bytes and time as the safety step
    read them, when it did. A file too large to be a form (refused by the
    safety step) is not read whole just to be hashed: its own time will be
    its arrival.
    """
    if data is not None and mtime is not None:
        return hashlib.sha256(data).hexdigest(), datetime.fromtimestamp(mtime), True
    stat = path.stat()
    modified = datetime.fromtimestamp(stat.st_mtime)
    if data is not None:
        return hashlib.sha256(data).hexdigest(), modified, True
    if stat.st_size > safety.DEFAULT_LIMITS.max_file_bytes:
        return "", modified, False
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest(), modified, True


def _arrived(look: _Look, ledger: Ledger, now: datetime) -> _FileRead:
    """``look``'s read, with the arrival of its content: first seen, as the ledger keeps it."""
    submission = look.read.submission
    try:
        if look.modified is None:
            arrived = now
        elif look.record:
            arrived = ledger.arrival(submission.sha256, submission.file, look.modified, now)
        else:
            arrived = min(look.modified, now)
    except Exception as err:  # the ledger must not stop the run either
        if look.failed:
            submission.sha256, submission.arrived = "", now
            return look.read
        failed = _failure(submission.file, "", err)
        failed.submission.arrived = now
        return failed
    submission.arrived = arrived
    return look.read


def _unreadable(path: Path, name: str, err: BaseException) -> _Look:
    """The record of a file whose reading failed, however it failed."""
    sha, modified, record = "", None, False
    with contextlib.suppress(Exception):  # nothing more can be learnt about this file
        sha, modified, record = _fingerprint(path)
    return _Look(_failure(name, sha, err), modified, record, failed=True)


def _failure(name: str, sha: str, err: BaseException) -> _FileRead:
    submission = Submission(name, sha, _NOT_YET, SubmissionStatus.REJECTED)
    problem = problems.make("inbox.unreadable", file=name, reason=_reason(err))
    return _FileRead(submission, [problem])


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


# --- many files: in this process or in several ----------------------------------


@contextlib.contextmanager
def _looked_at(
    reader: _Reader, files: Sequence[Path], names: Sequence[str], workers: int
) -> Iterator[Iterator[_Look]]:
    """The files read in path order: here, or by ``workers`` processes (the pool is started now)."""
    if workers <= 1 or len(files) < 2:
        yield (_look(reader, p, n) for p, n in zip(files, names, strict=True))
        return
    chunk = max(1, min(32, len(files) // (workers * 8)))
    # The objects this process holds are set aside from the cycle collector
    # while the workers run (Python's advice for forked workers): a collection
    # in a worker would otherwise go through all of them, and copy every page
    # of memory it shares with this process.
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    pool = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(reader,))
    try:
        packed = pool.map(_look_in_worker, files, names, chunksize=chunk)
        yield _until_broken((_unpack(reader.plan, p) for p in packed), reader, files, names)
    finally:
        pool.shutdown(cancel_futures=True)
        if not frozen_before:  # the program's own freezing is left as it was
            gc.unfreeze()


def _until_broken(
    looks: Iterator[_Look], reader: _Reader, files: Sequence[Path], names: Sequence[str]
) -> Iterator[_Look]:
    """``looks`` in order; if a worker process dies, the files left are read here."""
    done = 0
    try:
        for look in looks:
            yield look
            done += 1
    except BrokenProcessPool:
        # A worker was killed (out of memory, or by the system): reading on in
        # this process gives each remaining file its record as one process would.
        for path, name in zip(files[done:], names[done:], strict=True):
            yield _look(reader, path, name)


# Each worker process reads with its own reader (plan, period, layout cache), set once.
_worker: _Reader | None = None


def _start_worker(reader: _Reader) -> None:
    global _worker
    _worker = reader


def _look_in_worker(path: Path, name: str) -> _Packed:
    if _worker is None:
        raise RuntimeError("worker process started without a plan")
    return _pack(_look(_worker, path, name))


# A read goes back from a worker as tuples of plain values: pickling the
# dataclasses one by one costs nearly as much as reading the file. Every field
# of each record travels, so a field added to one travels too.
_Fields = tuple[Any, ...]
_Packed = tuple[
    _Fields,
    list[_Fields],
    str | None,
    list[_Fields],
    list[_Fields],
    object,
    datetime | None,
    bool,
    bool,
]
_SUBMISSION = tuple(f.name for f in dataclass_fields(Submission))
_PROBLEM = tuple(f.name for f in dataclass_fields(Problem))


def _pack(look: _Look) -> _Packed:
    read = look.read
    return (
        tuple(getattr(read.submission, name) for name in _SUBMISSION),
        [tuple(getattr(p, name) for name in _PROBLEM) for p in read.problems],
        read.entry.code if read.entry is not None else None,
        [tuple(c) for c in read.raw.values()],  # plain tuples load faster than named ones
        [tuple(getattr(p, name) for name in _PROBLEM) for p in read.cell_problems],
        read.prepared,  # the next step's own record: pickled as it is
        look.modified,
        look.record,
        look.failed,
    )


def _unpack(plan: Plan, packed: _Packed) -> _Look:
    submission, found, entry, raw, cell_problems, prepared, modified, record, failed = packed
    read = _FileRead(
        Submission(*submission),
        [Problem(*p) for p in found],
        # The plan's own entry, as one process would have it.
        plan.entry(entry) if entry is not None else None,
        {c[0]: RawCell._make(c) for c in raw},
        [Problem(*p) for p in cell_problems],
        prepared,
    )
    return _Look(read, modified, record, failed)


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
