"""Chốt số liệu (a period's figures locked) and the officer's review of each unit's file.

Part of the inbox step: both decide which file of a unit counts, and how the
officer stands on it. Their history is kept in the ledger
(:mod:`~workbook_tools.inbox.ledger`: ``lock_events``, ``lock_files``,
``reviews``), read by :func:`~workbook_tools.inbox.read.collect` with the
arrivals, so that ``wbt status``, ``wbt check`` and ``wbt merge`` all see it.

**A lock** records the files of the period's report as it was when the officer
locked it (the report sent): for each unit the file used (by SHA-256), and every
other file of a unit then in the inbox. While the period is locked,
:func:`apply_lock` makes the inbox step choose exactly those files again, so the
report's figures stay the locked ones:

- a unit's locked file (by content, whatever its name now) is its file used;
- a unit's other files that were there when locked stay unused (superseded);
- any other file of a unit, arrived after the lock or changed since, is not
  used: its status is ``after_lock`` ("nộp sau khi chốt số liệu"), listed apart;
- a locked file no longer in the inbox (deleted, moved, changed) is an error
  naming it and how to fix it (``lock.file_missing``): ``wbt merge`` then
  refuses to write a report that would silently differ.

An unlock (with a reason) reopens the period: the files are chosen as usual
again. Every lock and unlock stays in the history, shown in the report.

**A review** is the officer's word on one file of a unit: accepted ("đã chấp
nhận") or returned for correction ("trả lại để sửa", with a reason and the
feedback copy). It belongs to that file (its SHA-256): a new file from the unit
is not reviewed yet ("chưa xem xét").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from workbook_tools import problems
from workbook_tools.errors import LockError
from workbook_tools.inbox.ledger import (
    ACCEPTED,
    LOCK,
    RETURNED,
    LedgerWriteError,
    LockedFile,
    LockEvent,
    Review,
    open_ledger,
    record_decisions,
)
from workbook_tools.inbox.model import FileRead, InboxResult, Submission, SubmissionStatus
from workbook_tools.plan.model import Plan
from workbook_tools.problems import Problem


@dataclass(frozen=True, slots=True)
class LockState:
    """A period's lock history, and what it means now."""

    period: str
    history: tuple[LockEvent, ...]  # oldest first

    @property
    def current(self) -> LockEvent | None:
        """The lock in force (the last event, if it is a lock), or None."""
        if self.history and self.history[-1].action == LOCK:
            return self.history[-1]
        return None

    @property
    def locked(self) -> bool:
        return self.current is not None

    def used_files(self) -> dict[str, LockedFile]:
        """Each unit's file used by the locked report (none when not locked)."""
        lock = self.current
        return {} if lock is None else {f.unit: f for f in lock.files if f.used}


class ReviewState(StrEnum):
    ACCEPTED = ACCEPTED
    RETURNED = RETURNED
    PENDING = "pending"


REVIEW_LABELS = {
    ReviewState.ACCEPTED: "đã chấp nhận",
    ReviewState.RETURNED: "trả lại để sửa",
    ReviewState.PENDING: "chưa xem xét",
}


def who_runs(who: str | None = None) -> str:
    """The computer's user running the command (the officer), as the lock records them;
    ``who`` if given (the caller knows them)."""
    if who is not None:
        return who
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name to be found (a service account, say): not a reason to stop
        return ""


def apply_lock(plan: Plan, state: LockState | None, reads: Sequence[FileRead]) -> list[Problem]:
    """Make the inbox step choose the locked files of a locked period (see the module).

    Runs before the newest file of each unit is chosen: of each unit's files, only
    its locked one stays a candidate; the others get their note. Returns the errors
    about locked files no longer in the inbox (``lock.file_missing``).
    """
    lock = None if state is None else state.current
    if state is None or lock is None:
        return []
    locked = state.used_files()
    known = {f.sha256 for f in lock.files}
    present: set[str] = set()
    for read in reads:
        s = read.submission
        if s.status is not SubmissionStatus.USED or s.unit is None:
            continue
        mine = locked.get(s.unit)
        if mine is not None and s.sha256 == mine.sha256:
            present.add(s.unit)
            continue
        if mine is not None and s.sha256 in known:
            # There when locked, not used then: not used now either.
            s.status = SubmissionStatus.SUPERSEDED
            s.superseded_by = mine.file
            continue
        s.status = SubmissionStatus.AFTER_LOCK
        read.problems.append(
            problems.make(
                "lock.after_lock",
                file=s.file,
                unit=s.unit,
                name=_name(plan, s.unit),
                locked=shown_time(lock.at),
                period=state.period,
            )
        )
    names = {r.submission.file for r in reads}
    return [
        missing_locked_file(plan, lock, mine, changed=mine.file in names)
        for unit, mine in locked.items()
        if unit not in present
    ]


def missing_locked_file(
    plan: Plan, lock: LockEvent, locked: LockedFile, *, changed: bool
) -> Problem:
    """The error for a locked file no longer in the inbox as it was locked."""
    how = (
        "tệp cùng tên đang có đã bị sửa hoặc thay bằng bản khác"
        if changed
        else "không còn tệp nào có nội dung đó"
    )
    return problems.make(
        "lock.file_missing",
        file=locked.file,
        unit=locked.unit,
        name=_name(plan, locked.unit),
        period=lock.period,
        locked=shown_time(lock.at),
        how=how,
    )


def current_reviews(
    reviews: Iterable[Review], used: dict[str, tuple[str, str]]
) -> dict[str, Review]:
    """The review in force of each unit: its last review of the file it uses now.

    ``used`` maps each unit to its file used now (name, SHA-256). A unit whose
    file used has never been reviewed (a new file came) has none: "chưa xem xét".
    """
    out: dict[str, Review] = {}
    for review in reviews:  # oldest first: the last one stands
        now = used.get(review.unit)
        if now is not None and now[1] == review.sha256:
            out[review.unit] = review
    return out


def review_state(review: Review | None) -> ReviewState:
    if review is None:
        return ReviewState.PENDING
    return ReviewState(review.decision)


def returned_problem(plan: Plan, review: Review) -> Problem:
    """The note that a unit's file was returned for correction, with the officer's reason:
    on the feedback copy and in the report."""
    return problems.make(
        "review.returned",
        file=review.file,
        unit=review.unit,
        name=_name(plan, review.unit),
        at=shown_time(review.at),
        reason=review.reason,
    )


def shown_time(moment: datetime) -> str:
    return f"{moment:%H:%M ngày %d/%m/%Y}"


def _name(plan: Plan, unit: str) -> str:
    try:
        return plan.entry(unit).name
    except KeyError:  # a unit no longer on the roster
        return unit
entry_name = _name  # a unit's name as the officer reads it; its code if off the roster


def locked_files(submissions: Iterable[dict[str, object]]) -> tuple[LockedFile, ...]:
    """The files a report used and had (its JSON summary's ``submissions``), as a lock keeps
    them: each unit's file used, and its other files then counted (superseded, copies).
    Files the report had as after a lock, or not usable, are not part of it."""
    kept = {"used", "superseded", "duplicate"}
    out = []
    for s in submissions:
        unit, file, sha = (s.get(k) for k in ("unit", "file", "sha256"))
        status = s.get("status")
        if not (isinstance(unit, str) and isinstance(file, str) and isinstance(sha, str)):
            continue  # not a file of a unit (unidentified), or a summary edited by hand
        if sha and status in kept:
            out.append(LockedFile(unit, file, sha, status == "used"))
    return tuple(out)


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _event_record(event: LockEvent) -> dict[str, object]:
    return {
        "action": event.action,
        "at": _when(event.at),
        "reason": event.reason,
        "who": event.who,
        "report_sha256": event.report_sha256 or None,
        "workbook_sha256": event.workbook_sha256 or None,
        "figures_sha256": event.figures_sha256 or None,
        "report_made": _when(event.report_made),
    }


def lock_record(state: LockState) -> dict[str, object]:
    """A period's lock as plain JSON data: in the report's JSON summary (its ``lock``) and in
    the period's hidden record beside the report (``.wbt-report.json``), from which
    :func:`history_from_record` puts it back into a ledger that lost it."""
    current = state.current
    return {
        "locked": current is not None,
        "at": _when(current.at) if current else None,
        "reason": current.reason if current else None,
        "who": current.who if current else None,
        "report_sha256": current.report_sha256 if current else None,
        # Every file of a unit in the inbox when locked; "used": the one the report used.
        "files": [
            {"unit": f.unit, "file": f.file, "sha256": f.sha256, "used": f.used}
            for f in (current.files if current else ())
        ],
        "history": [_event_record(e) for e in state.history],
    }


_FILE_KEYS = ("unit", "file", "sha256")


def history_from_record(period: str, shown: dict[str, object]) -> tuple[LockEvent, ...]:
    """The lock history of a :func:`lock_record` (read back from a file), as the ledger
    keeps it: to put back a lock the ledger lost. The lock in force gets the files
    locked. Empty if it is not a lock in force, or cannot be read (edited by hand)."""
    history = shown.get("history")
    files = shown.get("files")
    if not isinstance(history, list) or not isinstance(files, list):
        return ()
    locked = tuple(
        LockedFile(str(f["unit"]), str(f["file"]), str(f["sha256"]), bool(f.get("used", True)))
        for f in files
        if isinstance(f, dict) and all(isinstance(f.get(k), str) for k in _FILE_KEYS)
    )
    events = []
    try:
        for n, h in enumerate(history):
            made = h.get("report_made")
            events.append(
                LockEvent(
                    period=period,
                    action=str(h["action"]),
                    at=datetime.fromisoformat(str(h["at"])),
                    reason=str(h.get("reason") or ""),
                    who=str(h.get("who") or ""),
                    report_sha256=str(h.get("report_sha256") or ""),
                    workbook_sha256=str(h.get("workbook_sha256") or ""),
                    figures_sha256=str(h.get("figures_sha256") or ""),
                    report_made=datetime.fromisoformat(made) if isinstance(made, str) else None,
                    files=locked if n == len(history) - 1 else (),
                )
            )
    except (KeyError, TypeError, ValueError, AttributeError):
        return ()
    if not events or events[-1].action != LOCK:
        return ()
    return tuple(events)


# --- the officer's decisions recorded (wbt lock, unlock, review; wbt merge) ------------------


@dataclass(frozen=True, slots=True)
class ReportToLock:
    """The period's report that ``wbt lock`` locks, as read back from its JSON summary
    (:func:`~workbook_tools.report.write.report_to_lock`): what the lock keeps of it."""

    period: str
    summary: Path  # the JSON summary
    data: bytes  # its bytes, as checked
    sha256: str  # theirs
    workbook_sha256: str  # the workbook's as wbt wrote it ("" if not known)
    figures_sha256: str  # the digest of its figures
    made: datetime  # when the report was made
    files: tuple[LockedFile, ...]  # the files it used and had


def require_unlocked(period: str, history: Sequence[LockEvent]) -> None:
    """A period already locked is not locked again: :class:`LockError` says how to."""
    current = LockState(period, tuple(history)).current
    if current is not None:
        raise LockError(
            f"Kỳ {period} đã chốt số liệu lúc {shown_time(current.at)}. Muốn chốt lại theo "
            f'báo cáo mới, hãy mở chốt trước: wbt unlock --period {period} --reason "lý do", '
            "chạy wbt merge, rồi chốt lại."
        )


def new_lock(
    report: ReportToLock,
    submissions: Sequence[Submission],
    *,
    now: datetime,
    reason: str,
    who: str,
) -> tuple[LockEvent, tuple[Submission, ...]]:
    """The lock of ``report`` (the files it used and had, its digests), and the files of
    the inbox now (``submissions``) that it did not have: they count as "nộp sau khi chốt
    số liệu". Raises :class:`LockError` if a file the report used is no longer in the
    inbox (by content): the report could not be made again from the inbox."""
    from workbook_tools.inbox.read import ARRIVALS  # inbox.read uses this module

    code = report.period
    present = {s.sha256 for s in submissions}
    gone = [f for f in report.files if f.used and f.sha256 not in present]
    if gone:
        lines = "\n".join(f"  - {f.file} ({f.unit})" for f in gone)
        raise LockError(
            f"Chưa chốt được số liệu kỳ {code}: báo cáo đã dùng những tệp sau, nhưng không "
            f"còn tệp nào có nội dung đó trong inbox/:\n{lines}\nHãy chép lại các tệp đó "
            f"vào inbox/ (đúng như lúc tổng hợp), hoặc chạy wbt merge --period {code} để "
            "tổng hợp theo các tệp đang có, rồi chốt số liệu."
        )
    known = {f.sha256 for f in report.files}
    after = tuple(
        s
        for s in submissions
        if s.unit is not None and s.status in ARRIVALS and s.sha256 not in known
    )
    event = LockEvent(
        period=code,
        action=LOCK,
        at=now,
        reason=" ".join(reason.split()),
        who=who,
        report_sha256=report.sha256,
        workbook_sha256=report.workbook_sha256,
        figures_sha256=report.figures_sha256,
        report_made=report.made,
        files=report.files,
    )
    return event, after


def record(
    ledger: Path, *, events: Sequence[LockEvent] = (), reviews: Sequence[Review] = ()
) -> None:
    """Lock events and reviews written into the ledger, all or none; :class:`LockError`
    (saying why) if they cannot be."""
    try:
        record_decisions(ledger, events=events, reviews=reviews)
    except LedgerWriteError as err:
        raise LockError(str(err)) from err


def restore_lost_lock(
    ledger: Path, period: str, kept: dict[str, object] | None, now: datetime
) -> tuple[LockEvent, ...]:
    """A lock the period's record beside its report keeps (``kept``: ``wbt lock`` wrote it
    there too, :func:`lock_record`) that the ledger no longer has (set aside as corrupt
    and rebuilt, deleted): written back into the ledger, so that the period stays locked.
    The history put back (empty if none). Raises :class:`LockError` if the ledger cannot
    take it."""
    history = history_from_record(period, kept) if kept is not None else ()
    if not history:
        return ()
    with open_ledger(ledger, now=now) as book:
        if book.lock_history(period):
            return ()  # the ledger has its own history: it stands
    record(ledger, events=history)
    return history


def restored_note(ledger: Path, period: str, history: Sequence[LockEvent]) -> Problem:
    """The warning that a lock the ledger lost was put back (:func:`restore_lost_lock`)."""
    lock = LockState(period, tuple(history)).current
    return problems.make(
        "lock.restored",
        path=str(ledger),
        period=period,
        locked=shown_time(lock.at) if lock is not None else "",
    )


def require_locked_files(result: InboxResult) -> None:
    """A locked period's merge stops when a locked file is gone: its report would differ."""
    gone = [p for p in result.problems if p.code == "lock.file_missing"]
    if gone:
        lines = "\n".join(f"  - {p.message}" for p in gone)
        raise LockError(
            "Chưa tổng hợp lại: báo cáo đã chốt được giữ nguyên, vì thiếu tệp đã chốt:\n" + lines
        )
