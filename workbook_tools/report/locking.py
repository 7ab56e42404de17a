"""The report's words on chốt số liệu (a locked period) and on the officer's reviews.

One place for the sentences the report workbook, the Word report, ``wbt merge`` and
``wbt status`` print, so they say the same (:mod:`workbook_tools.inbox.lock` is what
they mean). Plain data in: it loads neither pandas nor the report's writers.
"""

from __future__ import annotations

from collections.abc import Sequence

from workbook_tools.inbox.ledger import LOCK, LockEvent, Review
from workbook_tools.inbox.lock import REVIEW_LABELS, LockState, review_state, shown_time
from workbook_tools.inbox.model import Submission
from workbook_tools.plan.model import Plan

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
    names = {e.code: e.name for e in plan.roster}
    listed = ", ".join(
        f"{names.get(s.unit or '', s.unit)} (tệp {s.file}, nhận {s.arrived:%d/%m/%Y %H:%M})"
        for s in files
    )
    return f"{AFTER_LOCK_LABEL}, không tính vào báo cáo ({len(files)}): {listed}."


def lock_lines(plan: Plan, state: LockState, files: Sequence[Submission]) -> list[str]:
    """The report's lines on the lock: its state, its history, the files after it."""
    lines = (state_line(state), history_line(state), after_lock_line(plan, files))
    return [line for line in lines if line]


def document_sentence(
    plan: Plan, state: LockState, files: Sequence[Submission]
) -> str | None:
    """The Word report's sentence on a locked period; None if it is not locked."""
    current = state.current
    if current is None:
        return None
    sentence = f"Số liệu của báo cáo được chốt lúc {shown_time(current.at)}"
    if files:
        names = {e.code: e.name for e in plan.roster}
        who = ", ".join(dict.fromkeys(names.get(s.unit or "", s.unit or "") for s in files))
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
