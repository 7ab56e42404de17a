"""The report's words on chốt số liệu (a locked period), on the officer's reviews, and on
the arrivals the officer is to confirm or has corrected (``wbt arrival``).

One place for the sentences the report workbook, the Word report, ``wbt merge`` and
``wbt status`` print, so they say the same (:mod:`workbook_tools.inbox.lock` is what
they mean). Plain data in: it loads neither pandas nor the report's writers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol
from zoneinfo import ZoneInfo

from workbook_tools.inbox.arrival import UNKNOWN_SENDER_WHY, correction_when
from workbook_tools.inbox.ledger import LOCK, Correction, LockEvent, Review
from workbook_tools.inbox.lock import (
    REVIEW_LABELS,
    LockState,
    entry_name,
    review_state,
    shown_time,
)
from workbook_tools.inbox.model import Submission
from workbook_tools.plan.model import Plan, RosterEntry

#: The name of the files that came after the lock, as the officer says it.
AFTER_LOCK_LABEL = "Nộp sau khi chốt số liệu"


def _event_text(event: LockEvent) -> str:
    what = "chốt" if event.action == LOCK else "mở chốt"
    why = f" ({event.reason})" if event.reason else ""
    return f"{what} lúc {shown_time(event.at)}{why}"


def state_line(state: LockState) -> str | None:
    """Whether the figures are locked, since when and why; None if never locked."""
    current = state.current
    if current is not None:
        why = f" (lý do: {current.reason})" if current.reason else ""
        return (
            f"Số liệu đã chốt lúc {shown_time(current.at)}{why}: báo cáo tổng hợp đúng các tệp "
            "đã chốt, số liệu giữ nguyên như lúc chốt."
        )
    if state.history:
        last = state.history[-1]
        return f"Số liệu đã được mở chốt lúc {shown_time(last.at)} (lý do: {last.reason})."
    return None


def history_line(state: LockState) -> str | None:
    """Every lock and unlock of the period, in order; None if never locked."""
    history = state.history
    if not history:
        return None
    return "Lịch sử chốt số liệu: " + "; ".join(_event_text(e) for e in history) + "."


def after_lock_line(plan: Plan, files: Sequence[Submission]) -> str | None:
    """The files that came after the lock, not counted; None if none."""
    if not files:
        return None
    listed = ", ".join(
        f"{entry_name(plan, s.unit or '')} (tệp {s.file}, nhận {s.arrived:%d/%m/%Y %H:%M})"
        for s in files
    )
    return f"{AFTER_LOCK_LABEL}, không tính vào báo cáo ({len(files)}): {listed}."


def lock_lines(plan: Plan, state: LockState, files: Sequence[Submission]) -> list[str]:
    """The report's lines on the lock: its state, its history, the files after it."""
    lines = (state_line(state), history_line(state), after_lock_line(plan, files))
    return [line for line in lines if line]


class Standing(Protocol):
    """Where a unit's arrival stands (``wbt status``'s rows, the report's entries)."""

    @property
    def entry(self) -> RosterEntry: ...
    @property
    def needs_confirmation(self) -> bool: ...
    @property
    def unknown_sender(self) -> bool: ...
    @property
    def correction(self) -> Correction | None: ...


def confirmation_lines(standings: Sequence[Standing], period: str) -> list[str]:
    """The units whose arrival the officer is to confirm (late by its time, on time by its
    form or its mail; a mail from a sender not on the roster), and how: ``wbt arrival``."""
    how = f'wbt arrival --period {period} --unit MÃ --date dd/mm/yyyy --reason "lý do".'
    lines = []
    doubtful = [s.entry.code for s in standings if s.needs_confirmation]
    if doubtful:
        lines.append(
            f"Cần xác nhận ({', '.join(doubtful)}): nhận sau hạn nhưng biểu mẫu hoặc thư ghi "
            f"ngày trước hạn. Nếu bài đã gửi đúng hạn, hãy ghi lại bằng: {how}"
        )
    strangers = [s.entry.code for s in standings if s.unknown_sender]
    if strangers:
        lines.append(
            f"Người gửi lạ ({', '.join(strangers)}): {UNKNOWN_SENDER_WHY}. Nếu đúng là bài "
            f"của thôn, đơn vị và thư gửi đúng hạn, hãy ghi ngày nhận bằng: {how}"
        )
    return lines


def correction_lines(
    standings: Sequence[Standing], zone: ZoneInfo, named: Callable[[RosterEntry], str]
) -> list[str]:
    """Each unit whose arrival the officer corrected: when (as typed) and why. ``named``:
    how the command names a unit ("T03 - Thôn 3", "Thôn 3 (T03)")."""
    return [
        f"{named(s.entry)}: cán bộ xác nhận nhận ngày {correction_when(s.correction, zone)} "
        f"({s.correction.reason})."
        for s in standings
        if s.correction is not None
    ]


def document_sentence(
    plan: Plan, state: LockState, files: Sequence[Submission]
) -> str | None:
    """The Word report's sentence on a locked period; None if it is not locked."""
    current = state.current
    if current is None:
        return None
    sentence = f"Số liệu của báo cáo được chốt lúc {shown_time(current.at)}"
    if files:
        who = ", ".join(dict.fromkeys(entry_name(plan, s.unit or "") for s in files))
        return (
            f"{sentence}; báo cáo nộp sau khi chốt số liệu ({who}) không được tổng hợp vào báo "
            "cáo này."
        )
    return sentence + "."


def review_text(review: Review | None, *, reported: bool) -> str | None:
    """A unit's review as the report shows it ("đã chấp nhận"…); None with no file used."""
    if not reported:
        return None
    state = review_state(review)
    if review is not None and review.reason:
        return f"{REVIEW_LABELS[state]}: {review.reason}"
    return REVIEW_LABELS[state]
