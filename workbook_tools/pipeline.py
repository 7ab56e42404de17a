"""The pipeline wired: plan → forms → inbox → checks → consolidation → report.

Each command of ``wbt`` is one function here; the command line only parses
its options, calls it and prints what it returns. Each step takes plain,
typed data and hands plain data on:

- :func:`read_and_check`: every returned file of the period read and checked
  (:func:`read_one`: one file → a :class:`~workbook_tools.inbox.model.FileRead`,
  in worker processes when there are many), then the arrivals recorded and
  the newest file of each unit chosen;
- :func:`status`, :func:`check`, :func:`merge`: that, and then who reported,
  the feedback copies, or the consolidation and the report;
- :func:`lock`, :func:`unlock`, :func:`review`: the officer's decisions on a
  period's files (chốt số liệu, a unit's file accepted or returned), kept in the
  ledger (:mod:`~workbook_tools.inbox.lock`); the inbox step applies them.

The working folder's lock is held by each command that writes (the ledger,
the outbox). pandas and xlsxwriter are imported only by the commands that
write reports, so the others start quickly.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from workbook_tools.checks import check_read
from workbook_tools.errors import LockError, WorkspaceError
from workbook_tools.inbox.ledger import (
    UNLOCK,
    Correction,
    LockEvent,
    Review,
    open_ledger,
)
from workbook_tools.inbox.lock import (
    LockState,
    ReviewState,
    new_lock,
    record,
    require_locked_files,
    require_unlocked,
    restore_lost_lock,
    restored_note,
    shown_time,
    who_runs,
)
from workbook_tools.inbox.model import (
    EntryStatus,
    FileRead,
    InboxResult,
    Submission,
)
from workbook_tools.inbox.read import (
    FileReader,
    Progress,
    collect,
    read_file,
    roster_status,
)
from workbook_tools.inbox.scan import has_files, named_files
from workbook_tools.plan.model import Period, Plan
from workbook_tools.workers import ordered_map, worker_count
from workbook_tools.workspace import Workspace, run_lock

if TYPE_CHECKING:
    from workbook_tools.consolidation import Consolidation
    from workbook_tools.mail.compose import Outgoing
    from workbook_tools.mail.fetch import FetchResult, MailSource, RawMail
    from workbook_tools.mail.transport import Delivery, Server
    from workbook_tools.report.entries import Entries
    from workbook_tools.report.feedback import FeedbackCopies
    from workbook_tools.report.pdf import PdfOutcome
    from workbook_tools.report.write import ReportPaths


@dataclass(frozen=True, slots=True)
class InitOutcome:
    """A new working folder (``wbt init``), the plan put in it (``None`` for a blank
    plan, which is to be filled in first) and the Word report's template (``None`` if
    one was already there, kept)."""

    ws: Workspace
    plan: Plan | None
    plan_file: Path
    report_template: Path | None = None


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    """A plan workbook built from its text source (``wbt plan build``)."""

    plan: Plan
    path: Path


@dataclass(frozen=True, slots=True)
class GenerateOutcome:
    """The forms written (``wbt generate``) and the folder they are in."""

    folder: Path
    paths: Sequence[Path]


@dataclass(frozen=True, slots=True)
class StatusOutcome:
    """Who has reported (``wbt status``)."""

    result: InboxResult
    rows: Sequence[EntryStatus]


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """``wbt status``, and the feedback copies written (``wbt check``)."""

    result: InboxResult
    rows: Sequence[EntryStatus]
    feedback: FeedbackCopies
    feedback_folder: Path  # where the copies are


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    """The consolidation and where its report was written (``wbt merge``): with the
    officer's changed copies kept (``paths.kept``) and the PDFs, if asked for."""

    consolidation: Consolidation
    paths: ReportPaths
    pdf: PdfOutcome | None = None


@dataclass(frozen=True, slots=True)
class LockOutcome:
    """A period locked (``wbt lock``) or unlocked (``wbt unlock``)."""

    event: LockEvent  # the history row written
    report: Path  # the JSON summary of the locked report
    #: Lock: the files in the inbox now that the locked report did not have (they
    #: count as "nộp sau khi chốt số liệu"). Unlock: none.
    after_lock: tuple[Submission, ...] = ()
    previous: LockEvent | None = None  # unlock: the lock it ended
    #: Why the copy of the lock beside the report could not be written (None: it was).
    copy_error: str | None = None
    #: Lock: the folder keeping a copy of the locked report's files (workbook, Word
    #: report, JSON summary) as they were when locked; a later merge leaves it alone.
    kept: Path | None = None


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """A unit's file reviewed (``wbt review``): the review written, the file, and for a file
    returned, its feedback copy (None if it could not be written: ``feedback_error``)."""

    review: Review
    submission: Submission
    feedback: Path | None = None
    feedback_error: str | None = None


#: The blank plan's file name (``wbt init --blank``).
BLANK_PLAN_NAME = "kehoach"


def init(root: Path, *, blank: bool = False) -> InitOutcome:
    """A working folder at ``root``: a plan in ``templates/`` (the sample, or with
    ``blank`` every sheet and header and no content), the Word report's template
    beside it, ``inbox/``, ``outbox/``.

    A plan already in ``templates/`` is never overwritten, nor a report template.
    """
    from workbook_tools.plan import SAMPLE_NAME, blank_tables, sample_tables
    from workbook_tools.plan.validate import validate
    from workbook_tools.plan.writer import write_plan_file  # xlsxwriter: only when writing
    from workbook_tools.report.document import default_template
    from workbook_tools.workspace import write_atomic

    ws = Workspace(root.resolve())
    existing = (
        sorted(p.name for p in ws.templates.iterdir() if p.suffix.lower() == ".xlsx")
        if ws.templates.is_dir()
        else []
    )
    if existing:
        raise WorkspaceError(
            f"Thư mục {ws.templates} đã có kế hoạch ({', '.join(existing)}); không ghi đè. "
            "Hãy chọn một thư mục khác, hoặc dùng kế hoạch đã có: wbt plan check --dir "
            f"{root}"
        )
    if blank:
        tables, plan = blank_tables(), None
        target = ws.templates / f"{BLANK_PLAN_NAME}.xlsx"
    else:
        tables = sample_tables()
        plan = validate(tables)
        target = ws.templates / f"{SAMPLE_NAME}.xlsx"
    template = ws.report_template  # the officer's, used by merge when there
    ws.root.mkdir(parents=True, exist_ok=True)
    with run_lock(ws.root):
        write_plan_file(tables, target)
        # A template already there is the officer's own, edited in Word: kept.
        written = not template.exists()
        if written:
            write_atomic(template, default_template(), what="mẫu báo cáo")
        ws.inbox.mkdir(parents=True, exist_ok=True)
        ws.outbox.mkdir(parents=True, exist_ok=True)
    return InitOutcome(ws, plan, target, template if written else None)


def build_plan(source: Path, output: Path, *, force: bool = False) -> BuildOutcome:
    """The plan workbook ``output`` built from the text source ``source`` (TOML), after
    checking it as ``wbt plan check`` does: a broken source writes nothing.

    An existing ``output`` is overwritten only with ``force``.
    """
    from workbook_tools.plan import tables_from_source
    from workbook_tools.plan.validate import validate
    from workbook_tools.plan.writer import write_plan_file

    if output.exists() and not force:
        raise WorkspaceError(
            f"Tệp {output} đã có; không ghi đè. Hãy chọn tên khác bằng --out, hoặc thêm "
            "--force để ghi đè."
        )
    tables = tables_from_source(source)
    plan = validate(tables)
    write_plan_file(tables, output)
    return BuildOutcome(plan, output)


def generate(
    ws: Workspace,
    plan: Plan,
    period: Period,
    unit_codes: Sequence[str] = (),
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> GenerateOutcome:
    """Write the forms of ``period`` (of ``unit_codes`` only, if given) into its outbox."""
    from workbook_tools.forms import forms_folder, generate_forms, now_for_forms, select_forms

    if not ws.root.is_dir():
        raise WorkspaceError(
            f"Không có thư mục làm việc {ws.root}. Hãy dùng --dir để chỉ đến thư mục có "
            "templates/, inbox/, outbox/, hoặc tạo thư mục bằng 'wbt init'."
        )
    specs = select_forms(plan, period.code, unit_codes)
    if not specs:
        raise WorkspaceError(
            "Danh sách thôn, đơn vị của kế hoạch đang trống: không có biểu mẫu nào để tạo. "
            "Hãy điền trang danh sách trong tệp kế hoạch."
        )
    folder = forms_folder(ws.period_outbox(period.code))
    written: list[Path] = []
    workers = worker_count(len(specs))
    with (
        run_lock(ws.root),
        generate_forms(plan, specs, folder, now_for_forms(now), workers) as paths,
    ):
        for done, path in enumerate(paths, start=1):
            written.append(path)
            if progress is not None:
                progress(done, len(specs), path.name)
    return GenerateOutcome(folder, written)


def read_one(reader: FileReader, path: Path, name: str) -> FileRead:
    """One returned file read and its values checked: what a worker process does per file."""
    return check_read(reader.plan, reader.period, read_file(reader, path, name))


def read_and_check(
    plan: Plan,
    period: Period,
    inbox_dir: Path,
    ledger_path: Path,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> InboxResult:
    """Read, identify, clean and check every returned file of ``period``: the shared step.

    ``ledger_path`` is the arrival ledger; ``now`` the time of the run (tests
    fix it); ``workers`` the number of processes reading the files (default:
    :func:`~workbook_tools.workers.worker_count`). The result is the same
    however many read them. Raises :class:`WorkspaceError` only for a missing
    inbox folder: a bad file is a problem record.
    """
    with _reading(plan, period, inbox_dir, workers) as (reads, total):
        return collect(
            plan, period, reads, ledger_path, now or datetime.now(), total=total, progress=progress
        )


@contextlib.contextmanager
def _reading(
    plan: Plan, period: Period, inbox_dir: Path, workers: int | None = None
) -> Iterator[tuple[Iterator[FileRead], int]]:
    """Every file of ``inbox_dir`` being read (:func:`read_one`), in path order, and their
    number. The worker processes start on entering: what is opened inside the block
    (the ledger) is never copied into them."""
    if not inbox_dir.is_dir():
        raise WorkspaceError(
            f"Không có thư mục {inbox_dir}. Hãy tạo thư mục inbox/ trong thư mục làm việc và "
            "lưu các tệp thôn, đơn vị gửi về vào đó, hoặc dùng --dir để chỉ đến thư mục làm việc."
        )
    named = named_files(inbox_dir)
    names = [name for name, _ in named]
    paths = [path for _, path in named]
    count = worker_count(len(paths)) if workers is None else workers
    reader = FileReader(plan, period)
    with ordered_map(read_one, reader, paths, names, workers=count) as reads:
        yield reads, len(paths)


def status(
    ws: Workspace, plan: Plan, period: Period, *, progress: Progress | None = None
) -> StatusOutcome:
    """Who has reported for ``period``, on time or late, with which file and problems."""
    _require_inbox(ws)
    with run_lock(ws.root):  # the ledger is written: one run at a time
        result = read_and_check(plan, period, ws.inbox, ws.ledger, progress=progress)
    return StatusOutcome(result, roster_status(plan, period, result))


def check(
    ws: Workspace, plan: Plan, period: Period, *, progress: Progress | None = None
) -> CheckOutcome:
    """:func:`status`, and a feedback copy of each returned file with an error or a warning."""
    from workbook_tools.report.feedback import feedback_folder, write_feedback_copies

    _require_inbox(ws)
    outbox = ws.period_outbox(period.code)
    with run_lock(ws.root):  # the ledger and the copies are written: one run at a time
        result = read_and_check(plan, period, ws.inbox, ws.ledger, progress=progress)
        feedback = write_feedback_copies(plan, result, ws.inbox, outbox)
    rows = roster_status(plan, period, result)
    return CheckOutcome(result, rows, feedback, feedback_folder(outbox))


def merge(
    ws: Workspace,
    plan: Plan,
    period: Period,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    entries: Entries | None = None,
    cleared: frozenset[str] = frozenset(),
    pdf: bool = False,
    builtin_template: bool = False,
    compare_with: Path | None = None,
) -> MergeOutcome:
    """Read and check the inbox, consolidate it and write the report of ``period``.

    ``entries``: the officer's number, date, signer… given now (``cleared``: the
    fields given empty, to forget), remembered for the period with the report
    (:mod:`~workbook_tools.report.entries`). ``pdf``: PDFs of the report too, by
    LibreOffice (:mod:`~workbook_tools.report.pdf`; its absence is said, not raised).

    The Word report is written from the officer's template,
    ``templates/mau_bao_cao.docx`` (:attr:`Workspace.report_template`), when there is
    one, else from the built-in one; ``builtin_template``: from the built-in one even
    so. A template that cannot be used leaves the Word report unwritten and is said in
    ``paths.template_error``; the workbook and the JSON summary are written all the same.

    Each indicator is compared with the earlier reports as sent (their JSON summaries,
    :func:`~workbook_tools.history.find_history`): the plan's previous period's in
    ``outbox/``, and the same period of the year before, found in ``outbox/`` by its
    dates or in ``compare_with`` (last year's summary, or a folder holding it).
    """
    from workbook_tools.report.record import read_record

    if not ws.inbox.is_dir() or not has_files(ws.inbox):
        raise WorkspaceError(
            f"Không có tệp nào để tổng hợp trong {ws.inbox}. Hãy lưu các tệp thôn, đơn vị "
            "gửi về vào thư mục inbox/ rồi chạy lại lệnh."
        )
    now = _moment(now)
    outbox = ws.period_outbox(period.code)
    with run_lock(ws.root):
        # A lock the ledger lost, kept beside the report: put back before the inbox is read.
        restored = restore_lost_lock(ws.ledger, period.code, read_record(outbox).lock, now)
        with _reading(plan, period, ws.inbox) as (reads, total):
            # The report's libraries (pandas, xlsxwriter: a fifth of a second to
            # load) are loaded while the worker processes read, if there are any.
            from workbook_tools.consolidation import consolidate
            from workbook_tools.history import find_history
            from workbook_tools.report.write import require_locked_figures, write_report

            result = collect(plan, period, reads, ws.ledger, now, total=total, progress=progress)
        if restored:
            result.problems.append(restored_note(ws.ledger, period.code, restored))
        require_locked_files(result)
        history = find_history(plan, period, ws.outbox, compare_with)
        consolidation = consolidate(plan, period.code, result, generated_at=now, history=history)
        require_locked_figures(consolidation)
        template = ws.report_template
        paths = write_report(
            consolidation,
            outbox,
            entries,
            cleared,
            template=template if os.path.lexists(template) else None,
            use_builtin=builtin_template,
        )
        pdfs = None
        if pdf:
            from workbook_tools.report.pdf import make_pdfs

            pdfs = make_pdfs([p for p in paths.written if p != paths.summary])
    return MergeOutcome(consolidation, paths, pdfs)


@dataclass(frozen=True, slots=True)
class ArrivalOutcome:
    """The officer's corrections of arrivals (``wbt arrival``): the one just recorded
    (None when only listing) and every correction of the period, oldest first."""

    recorded: Correction | None
    history: Sequence[Correction]


def arrival(
    ws: Workspace,
    plan: Plan,
    period: Period,
    unit: str | None = None,
    when: str | None = None,
    reason: str | None = None,
    *,
    now: datetime | None = None,
) -> ArrivalOutcome:
    """Record when ``unit``'s report for ``period`` arrived, in the officer's word (``when``:
    "14/06/2024" or "14/06/2024 16:30", the plan's time) and why; or, with no ``unit``,
    list the corrections of the period.

    A correction is a new row of the ledger: earlier ones are kept, the newest applies
    (:mod:`workbook_tools.inbox.arrival`). Status, check, merge and the report follow it.
    """
    from workbook_tools.forms import select_entries
    from workbook_tools.inbox.arrival import arrival_out_of_range, parse_arrival, time_typed
    from workbook_tools.inbox.read import plan_zone

    _require_root(ws)
    now = _moment(now)
    recorded = None
    if unit is not None:
        (entry,) = select_entries(plan, [unit])
        if not when:
            raise WorkspaceError(
                "Hãy ghi ngày nhận bài bằng --date, ví dụ --date 14/06/2024 (hoặc "
                "--date \"14/06/2024 16:30\")."
            )
        why = (reason or "").strip()
        if not why:
            raise WorkspaceError(
                'Hãy ghi lý do bằng --reason, ví dụ --reason "nhận qua Zalo ngày 14/06": lý '
                "do được lưu cùng ngày sửa và in trong báo cáo."
            )
        arrived = parse_arrival(when, plan_zone(plan))
        wrong = arrival_out_of_range(when, arrived, plan_zone(plan), period.start, now)
        if wrong is not None:
            raise WorkspaceError(wrong)
    with run_lock(ws.root), open_ledger(ws.ledger, now=now) as ledger:
        if ledger.in_memory and unit is not None:
            # Kept in memory only: the correction would be lost; say so, record nothing.
            raise WorkspaceError(
                "Không ghi được sửa đổi: " + " ".join(p.message for p in ledger.problems)
            )
        locked = LockState(period.code, ledger.lock_history(period.code)).current
        if unit is not None and locked is not None:
            # A locked report's arrivals are part of its figures (on time, late): a
            # correction now would stop every merge until unlocked.
            raise LockError(
                f"Kỳ {period.code} đã chốt số liệu lúc {shown_time(locked.at)}: hãy mở chốt "
                f'bằng wbt unlock --period {period.code} --reason "lý do" trước khi sửa ngày '
                "nhận, rồi chạy wbt merge và chốt lại."
            )
        if unit is not None:
            recorded = ledger.add_correction(
                entry.code, period.code, arrived, why, now, timed=time_typed(when or "")
            )
        history = ledger.corrections(period.code)
    return ArrivalOutcome(recorded, history)


def lock(
    ws: Workspace,
    plan: Plan,
    period: Period,
    reason: str = "",
    *,
    now: datetime | None = None,
    who: str | None = None,
    progress: Progress | None = None,
) -> LockOutcome:
    """Chốt số liệu: lock ``period`` on the report its last merge wrote.

    The lock records that report (its JSON summary's SHA-256, the workbook's as wbt
    wrote it, and the digest of its figures) and the files it used, by SHA-256.
    What is locked is exactly what the report used: the report is what was sent.
    Files in the inbox since that merge are not part of it: they are returned in
    :attr:`LockOutcome.after_lock` and count as "nộp sau khi chốt số liệu" (to have
    them in, run ``wbt merge`` first, then lock). The report's files as they are (workbook,
    Word report, JSON summary) are kept in ``outbox/<period>/da_chot_<date_time>/``
    (:attr:`LockOutcome.kept`), which later merges never write over.

    Raises :class:`LockError` when the period is locked already, has no report, its
    JSON summary is not the one wbt wrote, a file the report used is no longer in
    the inbox, or the ledger cannot be written.
    """
    from workbook_tools.report.write import copy_lock, keep_locked_report, report_to_lock

    _require_inbox(ws)
    now = _moment(now)
    code = period.code
    outbox = ws.period_outbox(code)
    with run_lock(ws.root):
        result = read_and_check(plan, period, ws.inbox, ws.ledger, now=now, progress=progress)
        require_unlocked(code, result.lock_history)
        report = report_to_lock(outbox, code)
        event, after = new_lock(
            report, result.submissions, now=now, reason=reason, who=who_runs(who)
        )
        # The report as sent, kept before anything can replace it (the next merge writes
        # over the period's report files): in the ledger's lock only if kept.
        kept = keep_locked_report(report, now)
        record(ws.ledger, events=[event])
        copy_error = copy_lock(outbox, LockState(code, (*result.lock_history, event)))
    return LockOutcome(event, report.summary, after, copy_error=copy_error, kept=kept)


def unlock(
    ws: Workspace,
    plan: Plan,
    period: Period,
    reason: str,
    *,
    now: datetime | None = None,
    who: str | None = None,
) -> LockOutcome:
    """Mở chốt: reopen a locked ``period``; ``reason`` is required, kept in the history.

    The next merge chooses the files as usual again (the files that came after
    the lock included). Raises :class:`LockError` with no reason, when the period
    is not locked, or the ledger cannot be written.
    """
    from workbook_tools.report.record import read_record
    from workbook_tools.report.write import copy_lock, report_paths

    _require_root(ws)
    code = period.code
    outbox = ws.period_outbox(code)
    reason = " ".join(reason.split())
    if not reason:
        raise LockError(
            f"Cần ghi lý do mở chốt số liệu, ví dụ: wbt unlock --period {code} --reason "
            '"Thôn 7 gửi bản sửa, UBND huyện đồng ý tổng hợp lại". Lý do được ghi vào sổ và '
            "hiện trong báo cáo."
        )
    now = _moment(now)
    with run_lock(ws.root):
        with open_ledger(ws.ledger, now=now) as ledger:
            history = ledger.lock_history(code)
            trouble = list(ledger.problems) if ledger.in_memory else []
        if trouble:
            raise LockError(" ".join(p.message for p in trouble))
        if not history:  # a ledger rebuilt (or deleted) that lost the lock: put back first
            history = restore_lost_lock(ws.ledger, code, read_record(outbox).lock, now)
        current = LockState(code, history).current
        if current is None:
            raise LockError(f"Kỳ {code} chưa chốt số liệu: không có gì để mở chốt.")
        event = LockEvent(
            period=code,
            action=UNLOCK,
            at=now,
            reason=reason,
            who=who_runs(who),
        )
        record(ws.ledger, events=[event])
        copy_error = copy_lock(outbox, LockState(code, (*history, event)))
    summary = report_paths(outbox, code).summary
    return LockOutcome(event, summary, previous=current, copy_error=copy_error)


def review(
    ws: Workspace,
    plan: Plan,
    period: Period,
    unit: str,
    decision: ReviewState,
    reason: str = "",
    *,
    now: datetime | None = None,
    who: str | None = None,
    progress: Progress | None = None,
) -> ReviewOutcome:
    """The officer's review of ``unit``'s file used for ``period``: accepted, or returned
    for correction (``reason`` required) with its feedback copy written in
    ``outbox/<period>/phan_hoi/`` (the file's problems and the reason).

    The review is kept in the ledger with the file's SHA-256: a new file from the
    unit is not reviewed yet. Raises :class:`WorkbookToolsError` for an unknown unit
    (naming the nearest), and :class:`LockError` for one with no file used, a return
    with no reason, or a ledger that cannot be written.
    """
    from workbook_tools.forms import select_entries
    from workbook_tools.inbox.lock import returned_problem
    from workbook_tools.report.feedback import write_feedback_copies

    _require_inbox(ws)
    code = period.code
    (entry,) = select_entries(plan, [unit])  # an unknown code: said with the nearest
    reason = " ".join(reason.split())
    if decision is ReviewState.RETURNED and not reason:
        raise LockError(
            f"Cần ghi lý do trả lại để sửa, ví dụ: wbt review --period {code} --unit "
            f'{entry.code} --return --reason "Số lượt người được tuyên truyền chưa khớp sổ '
            'theo dõi". Lý do được ghi vào bản phản hồi gửi đơn vị.'
        )
    now = _moment(now)
    with run_lock(ws.root):
        result = read_and_check(plan, period, ws.inbox, ws.ledger, now=now, progress=progress)
        used = result.used().get(entry.code)
        if used is None:
            raise LockError(
                f"{entry.name} ({entry.code}) chưa có tệp nào dùng được cho kỳ {code}: chưa có gì "
                "để xem xét. Xem wbt status --period " + code + " để biết lý do."
            )
        decided = Review(
            period=code,
            unit=entry.code,
            file=used.file,
            sha256=used.sha256,
            decision=str(decision),
            reason=reason,
            at=now,
            who=who_runs(who),
        )
        record(ws.ledger, reviews=[decided])
        if decision is not ReviewState.RETURNED:
            return ReviewOutcome(decided, used)
        # The copy holds the file's problems and the officer's reason (this review's).
        result.problems[:] = [p for p in result.problems if p.code != "review.returned"]
        result.problems.append(returned_problem(plan, decided))
        copies = write_feedback_copies(
            plan, result, ws.inbox, ws.period_outbox(code), files={used.file}
        )
    copy = copies.written[0] if copies.written else None
    error = copies.failed[0] if copies.failed else None
    return ReviewOutcome(decided, used, copy, error)


def _moment(now: datetime | None) -> datetime:
    """The time of the run, to the second: ``now`` (tests fix it), or the clock's."""
    return (now or datetime.now()).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class MailOutcome:
    """The messages of ``wbt send`` or ``wbt remind``: each unit's, and where the drafts
    went (None: sent through ``server``)."""

    deliveries: Sequence[Delivery]
    folder: Path | None
    server: str | None = None


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What ``wbt fetch`` took into the inbox."""

    result: FetchResult


#: The outbox's folders of mail drafts: the forms sent, the reminders.
SENT_FOLDER = "thu_gui"
REMINDER_FOLDER = "thu_nhac"


def send(
    ws: Workspace,
    plan: Plan,
    period: Period,
    unit_codes: Sequence[str] = (),
    server: Server | None = None,
    *,
    now: datetime | None = None,
) -> MailOutcome:
    """One message to each village and unit (of ``unit_codes`` only, if given) with its own
    form of ``period`` attached (``wbt generate`` wrote it in ``outbox/KỲ/bieu_mau``): as
    ``.eml`` drafts in ``outbox/KỲ/thu_gui``, or through ``server``.

    A unit with no address, or whose form is not generated yet, is listed as not sent
    with why; the others go all the same.
    """
    from workbook_tools.forms import forms_folder, select_forms
    from workbook_tools.mail.compose import (
        Outgoing,
        attachment_from,
        draft_name,
        form_message,
        no_address,
        sender_for,
    )

    _require_root(ws)
    now = (now or datetime.now()).replace(microsecond=0)
    sender = sender_for(plan, server.user if server else None, sending=server is not None)
    folder = forms_folder(ws.period_outbox(period.code))
    prepared: list[Outgoing] = []
    for spec in select_forms(plan, period.code, unit_codes):
        entry, form, draft = spec.entry, folder / spec.filename, draft_name(spec.filename)
        if not entry.addresses:
            prepared.append(Outgoing(entry, None, draft, no_address(entry)))
        elif not form.is_file():
            why = (
                f"chưa có biểu mẫu {spec.filename} trong {folder}: hãy chạy wbt generate "
                f"--period {period.code} trước"
            )
            prepared.append(Outgoing(entry, None, draft, why))
        else:
            attachment = attachment_from(form)
            message = form_message(plan, period, entry, attachment, sender=sender, now=now)
            prepared.append(Outgoing(entry, message, draft))
    return _dispatch(ws, period, prepared, server, SENT_FOLDER)


def remind(
    ws: Workspace,
    plan: Plan,
    period: Period,
    server: Server | None = None,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> MailOutcome:
    """A message to each unit whose report of ``period`` is missing, late, has errors or
    was returned by the officer (``wbt review --return``), or whose arrival is to be
    confirmed (as ``wbt check`` finds them, its feedback copies written): what is missing
    or wrong said plainly, the feedback copy attached for errors and returns (with the
    officer's reason), the blank form for a missing report; a unit to confirm is asked
    when it sent its report, not told it was late. ``.eml`` drafts in
    ``outbox/KỲ/thu_nhac``, or through ``server``."""
    from workbook_tools.forms import forms_folder, select_forms
    from workbook_tools.inbox.read import plan_date, plan_zone
    from workbook_tools.mail.compose import (
        Outgoing,
        attachment_from,
        draft_name,
        no_address,
        reminder_attachment,
        reminder_message,
        sender_for,
        standing_of,
    )

    now = (now or datetime.now()).replace(microsecond=0)
    sender = sender_for(plan, server.user if server else None, sending=server is not None)
    checked = check(ws, plan, period, progress=progress)
    zone = plan_zone(plan)
    today = plan_date(now, zone)
    forms = forms_folder(ws.period_outbox(period.code))
    names = {s.entry.code: s.filename for s in select_forms(plan, period.code)}
    prepared: list[Outgoing] = []
    for row in checked.rows:
        entry = row.entry
        standing = standing_of(row, checked.result.problems, zone)
        if not standing.needs_reminder:
            continue
        draft, what = draft_name(names[entry.code]), standing.summary
        if not entry.addresses:
            prepared.append(Outgoing(entry, None, draft, no_address(entry), what))
            continue
        attached = reminder_attachment(
            row, standing, checked.feedback.by_file, forms / names[entry.code]
        )
        message = reminder_message(
            plan,
            period,
            entry,
            standing,
            [attachment_from(attached)] if attached is not None else [],
            sender=sender,
            now=now,
            today=today,
        )
        prepared.append(Outgoing(entry, message, draft, what=what))
    return _dispatch(ws, period, prepared, server, REMINDER_FOLDER)


def fetch(
    ws: Workspace,
    plan: Plan,
    period: Period,
    mails: Iterable[RawMail] | MailSource,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> FetchOutcome:
    """The attachments of ``mails`` (:mod:`workbook_tools.mail.fetch`: an mbox, a folder of
    ``.eml``, an IMAP mailbox read only) saved into ``inbox/``, their mail recorded in the
    ledger: arrival "theo thư điện tử". Fetching again adds nothing; a :data:`MailSource`
    (IMAP) does not even download the mails fetched before."""
    from workbook_tools.mail.fetch import take

    _require_inbox(ws)
    now = (now or datetime.now()).replace(microsecond=0)
    with run_lock(ws.root), open_ledger(ws.ledger, now=now) as ledger:
        result = take(plan, mails, ws.inbox, ledger, now, since=period.start, progress=progress)
        result.problems.extend(ledger.problems)
    return FetchOutcome(result)


def _dispatch(
    ws: Workspace,
    period: Period,
    prepared: Sequence[Outgoing],
    server: Server | None,
    folder_name: str,
) -> MailOutcome:
    """The messages written as drafts into ``outbox/KỲ/<folder_name>`` (holding the run
    lock), or sent through ``server``."""
    from workbook_tools.mail.transport import dispatch

    if server is not None:
        return MailOutcome(dispatch(prepared, server), None, server.shown)
    folder = ws.period_outbox(period.code) / folder_name
    with run_lock(ws.root):
        return MailOutcome(dispatch(prepared, None, folder), folder)


def _require_root(ws: Workspace) -> None:
    if not ws.root.is_dir():
        raise WorkspaceError(
            f"Không có thư mục làm việc {ws.root}. Hãy dùng --dir để chỉ đến thư mục có "
            "templates/, inbox/, outbox/."
        )


def _require_inbox(ws: Workspace) -> None:
    if not ws.inbox.is_dir():
        raise WorkspaceError(
            f"Thư mục {ws.root} không có thư mục 'inbox/'. Hãy tạo thư mục inbox/ và lưu các "
            "tệp thôn, đơn vị gửi về vào đó, hoặc dùng --dir để chỉ đến thư mục làm việc."
        )
